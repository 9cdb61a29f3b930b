//! TLS on the command line: `tcp-server --tls` and `tcp-client --tls`
//! with their options, against each other, `openssl s_server`/`s_client`
//! and Python's `ssl` module (tests/peers/tls_peer.py). A self-signed
//! certificate is kept in a configuration folder of the test's own
//! (`XDG_CONFIG_HOME` for the child), never the user's.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::peer_support::{Proc, complete_lines, port_of, python3};
use crate::tls::{TempDir, free_port, pki};
use crate::wine;

/// `netassist ARGS` with its configuration folder in `config`.
fn na(config: &Path, args: &[&str]) -> Proc {
    let mut cmd = Command::new(wine::netassist_bin());
    cmd.args(args).env("XDG_CONFIG_HOME", config);
    Proc::spawn(&format!("netassist {}", args.join(" ")), cmd)
}

/// A TLS server from the command line on a port the system picks.
fn server(config: &Path, extra: &[&str]) -> (Proc, u16) {
    let mut args = vec!["tcp-server", "--bind", "127.0.0.1:0", "--tls"];
    args.extend_from_slice(extra);
    let p = na(config, &args);
    let line = p.err_line("'listening on …'", |l| l.starts_with("listening on "));
    (p, port_of(&line))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

#[test]
fn a_self_signed_server_is_refused_then_accepted_with_insecure_or_its_certificate() {
    if wine::skip_under_wine(
        "a_self_signed_server_is_refused_then_accepted_with_insecure_or_its_certificate",
        "the self-signed certificate is kept in wine's own configuration folder",
    ) {
        return;
    }
    let dir = TempDir::new("cli-self-signed");
    let config = dir.path("config");
    let (mut srv, port) = server(&config, &[]);
    srv.err_line("the certificate's fingerprint", |l| {
        l.contains("TLS ready") && l.contains("SHA-256")
    });
    let target = format!("127.0.0.1:{port}");
    // Checked against the system's roots: refused, exit 1, explained.
    let mut refused = na(&config, &["tcp-client", "--connect", &target, "--tls"]);
    assert_eq!(
        refused.wait_exit().code(),
        Some(1),
        "{}",
        refused.describe()
    );
    let err = refused.err.text();
    assert!(err.contains("TLS failed"), "{err}");
    assert!(err.contains("what to do:"), "{err}");
    // Told to ignore certificate errors: it talks.
    let mut insecure = na(
        &config,
        &[
            "tcp-client",
            "--connect",
            &target,
            "--tls",
            "--insecure",
            "--send",
            "hello",
            "--count",
            "1",
        ],
    );
    insecure.expect_success();
    srv.out_line("the text over TLS", |l| l.ends_with("] hello"));
    // Given the server's own certificate as the CA: accepted and checked.
    let cert = config
        .join("netassist")
        .join(netassist::net::tls::SELF_SIGNED_CERT_FILE);
    let mut trusted = na(
        &config,
        &[
            "tcp-client",
            "--connect",
            &target,
            "--tls",
            "--ca",
            s(&cert),
            "--send",
            "again",
            "--count",
            "1",
        ],
    );
    trusted.expect_success();
    let told = trusted.err.text();
    assert!(told.contains("TLS handshake done"), "{told}");
    srv.out_line("the second text", |l| l.ends_with("] again"));
    srv.kill();
}

#[test]
fn openssl_s_client_with_a_client_certificate_talks_to_our_mutual_tls_server() {
    let dir = TempDir::new("cli-mtls");
    let pki = pki(&dir);
    let config = dir.path("config");
    let (mut srv, port) = server(
        &config,
        &[
            "--cert",
            s(&pki.server_cert),
            "--key",
            s(&pki.server_key),
            "--client-ca",
            s(&pki.ca),
        ],
    );
    let mut client = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-quiet",
        ])
        .args([
            "-CAfile",
            s(&pki.ca),
            "-cert",
            s(&pki.client_cert),
            "-key",
            s(&pki.client_key),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_client (Debian: apt-get install openssl)");
    if let Some(stdin) = client.stdin.as_mut() {
        use std::io::Write;
        stdin.write_all(b"hello mtls\n").expect("write to s_client");
    }
    srv.out_line("the text from s_client", |l| l.ends_with("] hello mtls"));
    srv.err_line("the client certificate shown", |l| {
        l.contains("TLS handshake done") && l.contains("netassist-client")
    });
    let _ = client.kill();
    let _ = client.wait();
    srv.kill();
}

#[test]
fn tls_1_2_only_against_a_tls_1_3_only_server_exits_1_explained() {
    let dir = TempDir::new("cli-versions");
    let pki = pki(&dir);
    let port = free_port();
    let mut s_server = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-tls1_3",
            "-quiet",
        ])
        .args(["-cert", s(&pki.server_cert), "-key", s(&pki.server_key)])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server (Debian: apt-get install openssl)");
    let config = dir.path("config");
    let target = format!("127.0.0.1:{port}");
    // s_server takes a moment to listen: try until the failure is TLS's.
    let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let err = loop {
        let mut c = na(
            &config,
            &[
                "tcp-client",
                "--connect",
                &target,
                "--tls",
                "--ca",
                s(&pki.ca),
                "--tls-version",
                "1.2",
            ],
        );
        assert_eq!(c.wait_exit().code(), Some(1), "{}", c.describe());
        let err = c.err.text();
        if err.contains("TLS failed") || std::time::Instant::now() > end {
            break err;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(err.contains("TLS failed"), "{err}");
    assert!(err.to_lowercase().contains("version"), "{err}");
    let _ = s_server.kill();
    let _ = s_server.wait();
}

#[test]
fn a_bad_certificate_file_exits_2_and_names_it() {
    let dir = TempDir::new("cli-bad-file");
    let config = dir.path("config");
    let missing = dir.path("missing.pem");
    let mut p = na(
        &config,
        &[
            "tcp-server",
            "--bind",
            "127.0.0.1:0",
            "--tls",
            "--cert",
            s(&missing),
            "--key",
            s(&missing),
        ],
    );
    assert_eq!(p.wait_exit().code(), Some(2), "{}", p.describe());
    assert!(p.err.text().contains(s(&missing)), "{}", p.describe());
    let not_pem = dir.path("not.pem");
    std::fs::write(&not_pem, "hello").expect("write");
    let mut p = na(
        &config,
        &[
            "tcp-client",
            "--connect",
            "127.0.0.1:9",
            "--tls",
            "--ca",
            s(&not_pem),
        ],
    );
    assert_eq!(p.wait_exit().code(), Some(2), "{}", p.describe());
    assert!(p.err.text().contains(s(&not_pem)), "{}", p.describe());
}

#[test]
fn gbk_text_and_a_rule_work_over_tls_with_python_ssl() {
    let dir = TempDir::new("cli-gbk-rules");
    let pki = pki(&dir);
    let rules = dir.path("echo.toml");
    std::fs::write(&rules, "[[rule]]\nwhen = \"any\"\necho = \"same\"\n").expect("rules");
    let config = dir.path("config");
    let (mut srv, port) = server(
        &config,
        &[
            "--cert",
            s(&pki.server_cert),
            "--key",
            s(&pki.server_key),
            "--encoding",
            "gbk",
            "--rules",
            s(&rules),
        ],
    );
    // 你好 in GBK.
    let gbk = "c4e3bac3";
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/tls_peer.py");
    let mut cmd = Command::new(python3());
    cmd.arg("-B")
        .arg(script)
        .args(["client", "127.0.0.1", &port.to_string(), "--ca", s(&pki.ca)])
        .args(["--send-hex", gbk, "--read", "4"]);
    let mut client = Proc::spawn("tls_peer.py client", cmd);
    client.expect_success();
    let rx: Vec<String> = complete_lines(&client.out.bytes())
        .into_iter()
        .filter_map(|l| l.strip_prefix("RX ").map(str::to_string))
        .collect();
    assert_eq!(rx.concat(), gbk, "the rule's echo, byte for byte");
    srv.out_line("GBK decoded", |l| l.ends_with("] 你好"));
    srv.kill();
}

/// Copy as Python's snippets for `session`, in English.
fn snippets(session: &netassist::teach::PythonSession) -> Vec<String> {
    netassist::teach::python_snippets(session, netassist::teach::CommentLanguage::English)
        .expect("snippets")
        .into_iter()
        .map(|s| s.code)
        .collect()
}

#[test]
fn copy_as_python_gives_tls_programs_that_talk_to_our_tls_sessions() {
    use netassist::codec::{DisplayEncoding, TextEncoding};
    use netassist::net::tls::{SELF_SIGNED_CERT_FILE, TlsServerConfig};
    use netassist::net::{HostPort, SessionConfig};
    use netassist::teach::{PyTls, PythonSession};

    let dir = TempDir::new("cli-python");
    let config = dir.path("config");
    let pki = pki(&dir);
    // A TLS server with its self-signed certificate: the snippet (a client)
    // trusts that certificate file.
    let cert_dir = config.join("netassist");
    let self_signed = PythonSession::from_config(
        &SessionConfig::TcpServer {
            bind: "127.0.0.1:8443".parse().expect("addr"),
            tls: Some(TlsServerConfig::self_signed(&cert_dir)),
        },
        None,
        TextEncoding::Utf8,
        DisplayEncoding::Utf8,
    );
    assert_eq!(
        self_signed.tls,
        Some(PyTls::Trust(cert_dir.join(SELF_SIGNED_CERT_FILE)))
    );
    // Run against a server whose certificate a CA signed (the same program,
    // trusting that CA), so the check does not depend on where this
    // platform keeps the self-signed one.
    let (mut srv, port) = server(
        &config,
        &[
            "--cert",
            s(&pki.server_cert),
            "--key",
            s(&pki.server_key),
            "--echo",
        ],
    );
    let mut session = PythonSession::from_config(
        &SessionConfig::TcpServer {
            bind: format!("127.0.0.1:{port}").parse().expect("addr"),
            tls: Some(TlsServerConfig::pem(&pki.server_cert, &pki.server_key)),
        },
        None,
        TextEncoding::Utf8,
        DisplayEncoding::Utf8,
    );
    assert_eq!(session.tls, Some(PyTls::Trust(pki.server_cert.clone())));
    session.tls = Some(PyTls::Trust(pki.ca.clone()));
    let code = &snippets(&session)[0];
    let mut client = crate::peer_support::run_python(code, "tls_client.py");
    client.type_line("hello over tls");
    client.out_line("the echo", |l| l.contains("NetAssist: hello over tls"));
    client.type_line("quit");
    client.expect_success();
    srv.out_line("the text", |l| l.ends_with("] hello over tls"));
    srv.kill();

    // NetAssist as the TLS client: the snippet (a server) presents a
    // certificate NetAssist is told to trust.
    let port = free_port();
    let mut session = PythonSession::from_config(
        &SessionConfig::TcpClient {
            remote: HostPort::new("127.0.0.1", port).expect("remote"),
            bind: None,
            tls: None,
        },
        None,
        TextEncoding::Utf8,
        DisplayEncoding::Utf8,
    );
    session.tls = Some(PyTls::Present {
        cert: pki.server_cert.clone(),
        key: pki.server_key.clone(),
    });
    let code = &snippets(&session)[0];
    let py_server = crate::peer_support::run_python(code, "tls_server.py");
    py_server.out_line("listening", |l| l.starts_with("waiting on"));
    let target = format!("127.0.0.1:{port}");
    let mut na_client = na(
        &config,
        &[
            "tcp-client",
            "--connect",
            &target,
            "--tls",
            "--ca",
            s(&pki.ca),
            "--send",
            "abc",
            "--timeout",
            "3",
        ],
    );
    na_client.out_line("the upper-cased answer", |l| l.ends_with("] ABC"));
    na_client.kill();
}
