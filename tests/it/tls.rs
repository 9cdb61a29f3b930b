//! Loopback tests of the engine's TLS layer, against the engine itself,
//! `openssl s_server` / `openssl s_client` and Python's `ssl` module
//! (tests/peers/tls_peer.py).
//!
//! Certificates are made here with rcgen (a CA, a server certificate it
//! signed for `localhost` and 127.0.0.1, a client certificate) in a
//! directory of the test's own. Every wait has a deadline; every process
//! started is killed at the end.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use bytes::Bytes;
use netassist::net::tls::{
    ClientIdentity, ServerVerify, TlsClientConfig, TlsFailure, TlsFailureKind, TlsFileProblem,
    TlsInfo, TlsServerConfig, TlsVersion, TlsVersions,
};
use netassist::net::{
    CloseReason, Engine, Event, HostPort, NetError, PeerId, SessionConfig, Target,
};

use crate::engine_support::{engine, wait_within};

const WAIT: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Takes events until `pick` returns Some, failing after [`WAIT`].
fn wait_for<T>(engine: &Engine, what: &str, pick: impl FnMut(&Event) -> Option<T>) -> T {
    wait_within(engine, WAIT, what, pick)
}

fn opened(engine: &Engine) -> SocketAddr {
    wait_for(engine, "Opened", |ev| match ev {
        Event::Opened { local, .. } => Some(*local),
        Event::Error(e) => panic!("open failed: {e}"),
        _ => None,
    })
}

fn established(engine: &Engine) -> (PeerId, TlsInfo) {
    wait_for(engine, "TlsEstablished", |ev| match ev {
        Event::TlsEstablished { peer, info, .. } => Some((*peer, (**info).clone())),
        Event::PeerClosed { how, .. } => panic!("closed before the handshake: {how:?}"),
        _ => None,
    })
}

/// The TLS failure that ended a connection (the ends of earlier
/// connections, which a peer may reset, are skipped).
fn tls_failure(engine: &Engine) -> TlsFailure {
    wait_for(engine, "a TLS failure", |ev| match ev {
        Event::PeerClosed {
            how: CloseReason::Tls(f),
            ..
        } => Some(f.clone()),
        Event::TlsEstablished { .. } => panic!("the handshake succeeded"),
        _ => None,
    })
}

fn received(engine: &Engine, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    wait_for(engine, "data", |ev| {
        if let Event::Received { data, .. } = ev {
            got.extend_from_slice(data);
        }
        (got.len() >= n).then_some(())
    });
    got
}

fn closed(engine: &Engine) {
    wait_for(engine, "Closed", |ev| {
        matches!(ev, Event::Closed).then_some(())
    });
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A directory of the test's own, emptied first and removed at the end.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("netassist-tls-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(crate) fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Test certificates: a CA, a server certificate for `localhost` and
/// 127.0.0.1 signed by it, and a client certificate signed by it.
pub(crate) struct Pki {
    pub(crate) ca: PathBuf,
    pub(crate) server_cert: PathBuf,
    pub(crate) server_key: PathBuf,
    pub(crate) client_cert: PathBuf,
    pub(crate) client_key: PathBuf,
}

fn ca_params(name: &str) -> rcgen::CertificateParams {
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.distinguished_name.push(rcgen::DnType::CommonName, name);
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    p
}

pub(crate) fn pki(dir: &TempDir) -> Pki {
    let write = |name: &str, text: String| {
        let path = dir.path(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca_p = ca_params("NetAssist Test CA");
    let ca_cert = ca_p.self_signed(&ca_key).unwrap();
    let ca = write("ca.pem", ca_cert.pem());
    let issuer = rcgen::Issuer::new(ca_p, ca_key);

    let mut sp =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    sp.distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    sp.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server = sp.signed_by(&server_key, &issuer).unwrap();
    let server_cert = write("server.pem", server.pem());
    let server_key = write("server-key.pem", server_key.serialize_pem());

    let mut cp = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    cp.distinguished_name
        .push(rcgen::DnType::CommonName, "netassist-client");
    cp.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let client_key = rcgen::KeyPair::generate().unwrap();
    let client = cp.signed_by(&client_key, &issuer).unwrap();
    let client_cert = write("client.pem", client.pem());
    let client_key = write("client-key.pem", client_key.serialize_pem());
    Pki {
        ca,
        server_cert,
        server_key,
        client_cert,
        client_key,
    }
}

fn tls_server(tls: TlsServerConfig) -> (Engine, SocketAddr) {
    let mut e = engine();
    e.open(SessionConfig::TcpServer {
        bind: "127.0.0.1:0".parse().unwrap(),
        tls: Some(tls),
    });
    let local = opened(&e);
    (e, local)
}

fn tls_client(host: &str, port: u16, tls: TlsClientConfig) -> Engine {
    let mut e = engine();
    e.open(SessionConfig::TcpClient {
        remote: HostPort::new(host, port).unwrap(),
        bind: None,
        tls: Some(tls),
    });
    e
}

fn send(e: &Engine, data: &[u8]) {
    e.handle()
        .unwrap()
        .send(Target::Default, Bytes::copy_from_slice(data))
        .unwrap();
}

/// A process the test started, killed when dropped; its stdout as lines.
struct Peer {
    child: Child,
    lines: Receiver<String>,
    raw: Option<Receiver<Vec<u8>>>,
}

impl Peer {
    /// Spawns with stdout read as lines.
    fn lines(cmd: &mut Command) -> Peer {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the peer (python3 and openssl must be installed)");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Peer {
            child,
            lines: rx,
            raw: None,
        }
    }

    /// Spawns with stdout read as raw bytes.
    fn raw(cmd: &mut Command) -> Peer {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the peer (openssl must be installed)");
        let mut out = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let (_, lines) = channel();
        Peer {
            child,
            lines,
            raw: Some(rx),
        }
    }

    /// The first line starting with `prefix` (other lines are skipped).
    fn line(&self, prefix: &str) -> String {
        let end = Instant::now() + WAIT;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(_) => panic!("the peer printed no line starting with {prefix:?}"),
            }
        }
    }

    /// Raw stdout until it contains `want`.
    fn raw_until(&self, want: &[u8]) -> Vec<u8> {
        let rx = self.raw.as_ref().unwrap();
        let end = Instant::now() + WAIT;
        let mut got = Vec::new();
        while !got.windows(want.len()).any(|w| w == want) {
            let left = end.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(chunk) => got.extend_from_slice(&chunk),
                Err(_) => panic!("the peer's output never held {want:?}: {got:?}"),
            }
        }
        got
    }

    /// Waits for the process to end by itself; its exit code.
    fn exit_code(&mut self) -> Option<i32> {
        let end = Instant::now() + WAIT;
        while Instant::now() < end {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the peer did not end");
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python_peer(args: &[&str]) -> Command {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/tls_peer.py");
    let mut cmd = Command::new("python3");
    cmd.arg("-B").arg(script).args(args);
    cmd
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Our TLS server with the test PKI's server certificate.
fn pki_server(pki: &Pki) -> TlsServerConfig {
    TlsServerConfig::pem(&pki.server_cert, &pki.server_key)
}

// ---------------------------------------------------------------------------
// Certificates and trust
// ---------------------------------------------------------------------------

#[test]
fn a_self_signed_server_is_refused_unless_trusted_or_ignored() {
    let dir = TempDir::new("selfsigned");
    let pki = pki(&dir);
    let store = dir.path("store");
    let (server, local) = tls_server(TlsServerConfig::self_signed(&store));
    let cert_file = wait_for(&server, "TlsServerReady", |ev| match ev {
        Event::TlsServerReady { self_signed, .. } => {
            Some(self_signed.clone().expect("self-signed").cert_file)
        }
        _ => None,
    });

    // A CA that did not sign it: unknown issuer, found by us; the server
    // hears our alert.
    let client = tls_client(
        "127.0.0.1",
        local.port(),
        TlsClientConfig::new(ServerVerify::CaFile(pki.ca.clone())),
    );
    let f = tls_failure(&client);
    assert_eq!((f.kind, f.by_peer), (TlsFailureKind::UnknownIssuer, false));
    closed(&client);
    let f = tls_failure(&server);
    assert_eq!((f.kind, f.by_peer), (TlsFailureKind::UnknownIssuer, true));

    // The system's roots do not trust it either.
    let client = tls_client(
        "127.0.0.1",
        local.port(),
        TlsClientConfig::new(ServerVerify::SystemRoots),
    );
    let outcome = wait_for(&client, "a failure", |ev| match ev {
        Event::PeerClosed {
            how: CloseReason::Tls(f),
            ..
        } => Some(Ok(f.kind.clone())),
        Event::Error(NetError::TlsNoRoots { .. }) => Some(Err(())),
        _ => None,
    });
    if let Ok(kind) = outcome {
        assert_eq!(kind, TlsFailureKind::UnknownIssuer);
        let _ = tls_failure(&server);
    }

    // Ignoring certificate errors: accepted, and data flows both ways.
    let client = tls_client(
        "127.0.0.1",
        local.port(),
        TlsClientConfig::new(ServerVerify::Insecure),
    );
    let (_, info) = established(&client);
    assert_eq!(info.sni, None, "an IP address gets no SNI");
    assert_eq!(info.peer_chain.len(), 1);
    let (peer, server_info) = established(&server);
    assert!(
        server_info.peer_chain.is_empty(),
        "no client certificate asked"
    );
    send(&client, "你好 TLS".as_bytes());
    assert_eq!(received(&server, 10), "你好 TLS".as_bytes());
    server
        .handle()
        .unwrap()
        .send(Target::Peers(vec![peer]), Bytes::from_static(b"pong"))
        .unwrap();
    assert_eq!(received(&client, 4), b"pong");

    // With its own certificate as the CA file: checked and accepted, by IP
    // address (its names include 127.0.0.1) and by name.
    for host in ["127.0.0.1", "localhost"] {
        let client = tls_client(
            host,
            local.port(),
            TlsClientConfig::new(ServerVerify::CaFile(cert_file.clone())),
        );
        let (_, info) = established(&client);
        let sni = (host == "localhost").then(|| "localhost".to_string());
        assert_eq!(info.sni, sni);
        let (_, at_server) = established(&server);
        assert_eq!(at_server.sni, sni);
    }
}

#[test]
fn a_ca_signed_server_is_checked_by_name_and_sni() {
    let dir = TempDir::new("names");
    let pki = pki(&dir);
    // A certificate for "localhost" only.
    let key = rcgen::KeyPair::generate().unwrap();
    let mut p = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let only_name = p.self_signed(&key).unwrap();
    let cert = dir.path("localhost-only.pem");
    let key_file = dir.path("localhost-only-key.pem");
    std::fs::write(&cert, only_name.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    let (server, local) = tls_server(TlsServerConfig::pem(&cert, &key_file));

    let client = tls_client(
        "127.0.0.1",
        local.port(),
        TlsClientConfig::new(ServerVerify::CaFile(cert.clone())),
    );
    let f = tls_failure(&client);
    match f.kind {
        TlsFailureKind::NameMismatch {
            expected,
            presented,
        } => {
            assert_eq!(expected, "127.0.0.1");
            assert_eq!(presented, ["localhost"]);
        }
        other => panic!("expected a name mismatch, got {other:?}"),
    }
    let _ = tls_failure(&server);

    // SNI set to the certificate's name: accepted, and the server sees it.
    let mut cfg = TlsClientConfig::new(ServerVerify::CaFile(cert.clone()));
    cfg.sni = Some("localhost".into());
    let client = tls_client("127.0.0.1", local.port(), cfg);
    assert_eq!(established(&client).1.sni.as_deref(), Some("localhost"));
    assert_eq!(established(&server).1.sni.as_deref(), Some("localhost"));

    // And the test PKI's CA-signed server, with ALPN agreed.
    let mut scfg = pki_server(&pki);
    scfg.alpn = vec!["netassist/1".into(), "h2".into()];
    let (server, local) = tls_server(scfg);
    let mut ccfg = TlsClientConfig::new(ServerVerify::CaFile(pki.ca.clone()));
    ccfg.alpn = vec!["h2".into()];
    let client = tls_client("localhost", local.port(), ccfg);
    let (_, info) = established(&client);
    assert_eq!(info.alpn.as_deref(), Some("h2"));
    assert_eq!(info.peer_chain[0].subject, "CN=localhost");
    assert_eq!(info.peer_chain[0].issuer, "CN=NetAssist Test CA");
    assert_eq!(established(&server).1.alpn.as_deref(), Some("h2"));
}

#[test]
fn mutual_tls_asks_for_and_checks_a_client_certificate() {
    let dir = TempDir::new("mtls");
    let pki = pki(&dir);
    let mut cfg = pki_server(&pki);
    cfg.client_ca = Some(pki.ca.clone());
    let (server, local) = tls_server(cfg);
    let port = local.port().to_string();

    // Python gives the client certificate.
    let mut py = Peer::lines(&mut python_peer(&[
        "client",
        "localhost",
        &port,
        "--ca",
        s(&pki.ca),
        "--cert",
        s(&pki.client_cert),
        "--key",
        s(&pki.client_key),
        "--send-hex",
        &hex(b"with cert"),
    ]));
    let (_, info) = established(&server);
    // OpenSSL sends the chain up to the CA it trusts.
    assert!(!info.peer_chain.is_empty());
    assert_eq!(info.peer_chain[0].subject, "CN=netassist-client");
    assert_eq!(info.peer_chain[0].issuer, "CN=NetAssist Test CA");
    assert_eq!(received(&server, 9), b"with cert");
    py.line("DONE");
    assert_eq!(py.exit_code(), Some(0));

    // Without one: the server says a client certificate was required.
    let _py = Peer::lines(&mut python_peer(&[
        "client",
        "localhost",
        &port,
        "--ca",
        s(&pki.ca),
        "--read",
        "1",
    ]));
    let f = tls_failure(&server);
    assert_eq!(
        (f.kind, f.by_peer),
        (TlsFailureKind::ClientCertRequired, false)
    );

    // Our own client with the certificate, and without it.
    let mut ccfg = TlsClientConfig::new(ServerVerify::CaFile(pki.ca.clone()));
    ccfg.client_cert = Some(ClientIdentity {
        chain: pki.client_cert.clone(),
        key: pki.client_key.clone(),
    });
    let client = tls_client("localhost", local.port(), ccfg);
    established(&client);
    assert_eq!(
        established(&server).1.peer_chain[0].subject,
        "CN=netassist-client"
    );
    let client = tls_client(
        "localhost",
        local.port(),
        TlsClientConfig::new(ServerVerify::CaFile(pki.ca.clone())),
    );
    // TLS 1.3: the client's side of the handshake ends before the server
    // has checked it, so the refusal comes as the server's alert.
    let f = wait_for(&client, "the server's refusal", |ev| match ev {
        Event::PeerClosed {
            how: CloseReason::Tls(f),
            ..
        } => Some(f.clone()),
        _ => None,
    });
    assert_eq!(
        (f.kind, f.by_peer),
        (TlsFailureKind::ClientCertRequired, true)
    );
    assert_eq!(
        tls_failure(&server).kind,
        TlsFailureKind::ClientCertRequired
    );
}

// ---------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------

#[test]
fn tls12_only_against_tls13_only_has_no_shared_version() {
    let dir = TempDir::new("versions");
    let pki = pki(&dir);
    let mut scfg = pki_server(&pki);
    scfg.versions = TlsVersions::Tls12Only;
    let (server, local) = tls_server(scfg);
    let mut ccfg = TlsClientConfig::new(ServerVerify::CaFile(pki.ca.clone()));
    ccfg.versions = TlsVersions::Tls13Only;
    let client = tls_client("localhost", local.port(), ccfg);
    let f = tls_failure(&client);
    assert_eq!(f.kind, TlsFailureKind::NoSharedVersion, "{f}");
    let f = tls_failure(&server);
    assert_eq!(
        (f.kind, f.by_peer),
        (TlsFailureKind::NoSharedVersion, false)
    );

    // 1.2 only on both: agreed.
    let mut ccfg = TlsClientConfig::new(ServerVerify::CaFile(pki.ca.clone()));
    ccfg.versions = TlsVersions::Tls12Only;
    let client = tls_client("localhost", local.port(), ccfg);
    assert_eq!(established(&client).1.version, TlsVersion::Tls12);

    // openssl s_server allowing 1.3 only, our client 1.2 only: openssl's
    // protocol_version alert.
    let port = free_port();
    let accept = format!("127.0.0.1:{port}");
    let openssl = Peer::lines(Command::new("openssl").args([
        "s_server",
        "-accept",
        &accept,
        "-cert",
        s(&pki.server_cert),
        "-key",
        s(&pki.server_key),
        "-tls1_3",
    ]));
    openssl.line("ACCEPT");
    let mut ccfg = TlsClientConfig::new(ServerVerify::CaFile(pki.ca.clone()));
    ccfg.versions = TlsVersions::Tls12Only;
    let client = tls_client("127.0.0.1", port, ccfg);
    let f = tls_failure(&client);
    assert_eq!(
        (&f.kind, f.by_peer),
        (&TlsFailureKind::NoSharedVersion, true),
        "{f}"
    );
    closed(&client);
}

// ---------------------------------------------------------------------------
// Data, finishing, and peers that are not what they seem
// ---------------------------------------------------------------------------

/// GBK text and every byte value, as one payload.
fn gbk_payload() -> Vec<u8> {
    let (gbk, _, bad) = encoding_rs::GBK.encode("你好，世界！GBK 编码测试");
    assert!(!bad);
    let mut bytes = gbk.into_owned();
    bytes.extend(0u8..=255);
    bytes
}

#[test]
fn gbk_bytes_cross_tls_exactly_both_ways() {
    let dir = TempDir::new("gbk");
    let pki = pki(&dir);
    let payload = gbk_payload();

    // Python client → our server.
    let (server, local) = tls_server(pki_server(&pki));
    let mut py = Peer::lines(&mut python_peer(&[
        "client",
        "localhost",
        &local.port().to_string(),
        "--ca",
        s(&pki.ca),
        "--send-hex",
        &hex(&payload),
    ]));
    established(&server);
    assert_eq!(received(&server, payload.len()), payload);
    py.line("DONE");
    let _ = py.exit_code();

    // Our client → openssl s_server, which prints what it gets.
    let port = free_port();
    let accept = format!("127.0.0.1:{port}");
    let openssl = Peer::raw(Command::new("openssl").args([
        "s_server",
        "-accept",
        &accept,
        "-cert",
        s(&pki.server_cert),
        "-key",
        s(&pki.server_key),
        "-quiet",
    ]));
    let client = connect_when_listening(port, &pki);
    established(&client);
    let mut marked = payload.clone();
    marked.extend_from_slice(b"<end>");
    send(&client, &marked);
    let got = openssl.raw_until(b"<end>");
    assert_eq!(got, marked);
}

/// Our TLS client to a server that may still be starting (openssl prints
/// nothing with -quiet): retries a refused connection until the deadline.
fn connect_when_listening(port: u16, pki: &Pki) -> Engine {
    let end = Instant::now() + WAIT;
    loop {
        let client = tls_client(
            "localhost",
            port,
            TlsClientConfig::new(ServerVerify::CaFile(pki.ca.clone())),
        );
        let up = wait_for(&client, "connect or refusal", |ev| match ev {
            Event::Connected { .. } => Some(true),
            Event::Error(_) => Some(false),
            _ => None,
        });
        if up {
            return client;
        }
        assert!(Instant::now() < end, "the server never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn our_servers_plaintext_reaches_openssl_s_client() {
    let dir = TempDir::new("sclient");
    let pki = pki(&dir);
    let (server, local) = tls_server(pki_server(&pki));
    let connect = format!("127.0.0.1:{}", local.port());
    let openssl = Peer::raw(Command::new("openssl").args([
        "s_client",
        "-connect",
        &connect,
        "-CAfile",
        s(&pki.ca),
        "-servername",
        "localhost",
        "-verify_return_error",
        "-quiet",
    ]));
    let (peer, info) = established(&server);
    assert_eq!(info.sni.as_deref(), Some("localhost"));
    let text = "hello from NetAssist 你好\n".as_bytes();
    server
        .handle()
        .unwrap()
        .send(Target::Peers(vec![peer]), Bytes::from_static(text))
        .unwrap();
    // The event for a send comes when its ciphertext is written.
    wait_for(&server, "Sent", |ev| match ev {
        Event::Sent { data, .. } if &data[..] == text => Some(()),
        _ => None,
    });
    assert_eq!(openssl.raw_until(text), text);
}

#[test]
fn finishing_sends_close_notify_and_the_peer_answers() {
    let dir = TempDir::new("halfclose");
    let pki = pki(&dir);

    // Our client finishes; the Python server reads to close_notify (a cut
    // connection would say RAGGED), answers, and closes in order.
    let mut py = Peer::lines(&mut python_peer(&[
        "server",
        "127.0.0.1",
        "0",
        "--cert",
        s(&pki.server_cert),
        "--key",
        s(&pki.server_key),
    ]));
    let port: u16 = py.line("PORT").split(' ').nth(1).unwrap().parse().unwrap();
    let client = tls_client(
        "localhost",
        port,
        TlsClientConfig::new(ServerVerify::CaFile(pki.ca.clone())),
    );
    let (peer, _) = established(&client);
    send(&client, b"ping");
    client.handle().unwrap().finish(peer).unwrap();
    assert_eq!(py.line("RX"), format!("RX {}", hex(b"ping")));
    assert_eq!(received(&client, 11), b"got 4 bytes");
    let how = wait_for(&client, "PeerClosed", |ev| match ev {
        Event::PeerClosed { how, .. } => Some(how.clone()),
        _ => None,
    });
    assert_eq!(how, CloseReason::Orderly);
    py.line("DONE");
    assert_eq!(py.exit_code(), Some(0));

    // A Python client finishes first (a FIN): our server hears the peer
    // finish, still answers, then finishes too (close_notify, then FIN).
    let (server, local) = tls_server(pki_server(&pki));
    let mut py = Peer::lines(&mut python_peer(&[
        "client",
        "localhost",
        &local.port().to_string(),
        "--ca",
        s(&pki.ca),
        "--send-hex",
        &hex(b"bye"),
        "--finish",
    ]));
    let (peer, _) = established(&server);
    assert_eq!(received(&server, 3), b"bye");
    wait_for(&server, "HalfClosed", |ev| match ev {
        Event::HalfClosed { peer: p, .. } if *p == peer => Some(()),
        _ => None,
    });
    let h = server.handle().unwrap();
    h.send(Target::Peers(vec![peer]), Bytes::from_static(b"answer"))
        .unwrap();
    h.finish(peer).unwrap();
    let how = wait_for(&server, "PeerClosed", |ev| match ev {
        Event::PeerClosed { how, .. } => Some(how.clone()),
        _ => None,
    });
    assert_eq!(how, CloseReason::Orderly);
    assert_eq!(py.line("RX"), format!("RX {}", hex(b"answer")));
    assert_eq!(py.exit_code(), Some(0));

    // Our client finishes first (close_notify, then FIN) to our server:
    // the server hears the close_notify as the peer finishing, answers,
    // and both end in order.
    let (server, local) = tls_server(pki_server(&pki));
    let client = tls_client(
        "localhost",
        local.port(),
        TlsClientConfig::new(ServerVerify::CaFile(pki.ca.clone())),
    );
    let (cpeer, _) = established(&client);
    let (speer, _) = established(&server);
    send(&client, b"question");
    client.handle().unwrap().finish(cpeer).unwrap();
    assert_eq!(received(&server, 8), b"question");
    wait_for(&server, "HalfClosed", |ev| match ev {
        Event::HalfClosed { peer, .. } if *peer == speer => Some(()),
        _ => None,
    });
    let h = server.handle().unwrap();
    h.send(Target::Peers(vec![speer]), Bytes::from_static(b"reply"))
        .unwrap();
    h.finish(speer).unwrap();
    assert_eq!(received(&client, 5), b"reply");
    for e in [&client, &server] {
        let how = wait_for(e, "PeerClosed", |ev| match ev {
            Event::PeerClosed { how, .. } => Some(how.clone()),
            _ => None,
        });
        assert_eq!(how, CloseReason::Orderly);
    }
}

#[test]
fn a_plain_tcp_server_is_not_speaking_tls() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let greeter = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(b"Welcome!\n").unwrap();
        // Hold the connection until the client gives up on it.
        s.set_read_timeout(Some(WAIT)).unwrap();
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    });
    let client = tls_client(
        "127.0.0.1",
        port,
        TlsClientConfig::new(ServerVerify::Insecure),
    );
    let f = tls_failure(&client);
    assert_eq!(
        f.kind,
        TlsFailureKind::NotTls {
            first_bytes: b"Welcome!\n".to_vec()
        }
    );
    // The session ends: a front-end can exit with the explanation.
    closed(&client);
    greeter.join().unwrap();
}

#[test]
fn a_plain_client_at_our_tls_server_is_not_speaking_tls() {
    let dir = TempDir::new("plainclient");
    let pki = pki(&dir);
    let (server, local) = tls_server(pki_server(&pki));
    let mut plain = std::net::TcpStream::connect(local).unwrap();
    plain.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let f = tls_failure(&server);
    assert_eq!(
        f.kind,
        TlsFailureKind::NotTls {
            first_bytes: b"GET / HTTP/1.0\r\n\r\n".to_vec()
        }
    );
}

// ---------------------------------------------------------------------------
// Key log, the self-signed store, bad files
// ---------------------------------------------------------------------------

#[test]
fn the_key_log_gets_the_session_keys() {
    let dir = TempDir::new("keylog");
    let pki = pki(&dir);
    let log = dir.path("keys.log");
    let (server, local) = tls_server(pki_server(&pki));
    let mut cfg = TlsClientConfig::new(ServerVerify::CaFile(pki.ca.clone()));
    cfg.key_log = Some(log.clone());
    let client = tls_client("localhost", local.port(), cfg);
    established(&client);
    established(&server);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.lines().count() >= 4, "{text}");
    for line in text.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts.len(), 3, "{line}");
        assert_eq!(parts[1].len(), 64, "client random in hex: {line}");
    }
    assert!(text.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET "));
    assert!(text.contains("CLIENT_TRAFFIC_SECRET_0 "));

    // A key log that cannot be written is reported once; TLS goes on.
    let mut cfg = TlsClientConfig::new(ServerVerify::CaFile(pki.ca.clone()));
    cfg.key_log = Some(dir.path("no-such-dir/keys.log"));
    let client = tls_client("localhost", local.port(), cfg);
    let mut errors = 0;
    wait_for(&client, "TlsEstablished", |ev| match ev {
        Event::Error(NetError::KeyLog { .. }) => {
            errors += 1;
            None
        }
        Event::TlsEstablished { .. } => Some(()),
        _ => None,
    });
    assert_eq!(errors, 1);
}

#[test]
fn the_self_signed_certificate_is_made_once_and_reused() {
    let dir = TempDir::new("store");
    let store = dir.path("netassist");
    let ready = |e: &Engine| {
        wait_for(e, "TlsServerReady", |ev| match ev {
            Event::TlsServerReady { cert, self_signed } => {
                Some((cert.clone(), self_signed.clone().expect("self-signed")))
            }
            _ => None,
        })
    };
    let (first, _) = tls_server(TlsServerConfig::self_signed(&store));
    let (cert1, kept1) = ready(&first);
    assert!(kept1.created);
    assert!(cert1.names.contains(&"localhost".to_string()));
    assert!(cert1.names.contains(&"127.0.0.1".to_string()));
    assert!(cert1.valid_at(std::time::SystemTime::now()));
    assert_eq!(cert1.subject, cert1.issuer, "self-signed");
    drop(first);
    let (second, _) = tls_server(TlsServerConfig::self_signed(&store));
    let (cert2, kept2) = ready(&second);
    assert!(!kept2.created, "reused");
    assert_eq!(cert2.sha256, cert1.sha256);
    assert_eq!(kept2.cert_file, store.join("server-cert.pem"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&kept2.key_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key is readable by its owner only");
    }
    // A broken store is made again.
    std::fs::write(&kept2.cert_file, "garbage").unwrap();
    drop(second);
    let (third, _) = tls_server(TlsServerConfig::self_signed(&store));
    let (cert3, kept3) = ready(&third);
    assert!(kept3.created);
    assert_ne!(cert3.sha256, cert1.sha256);
}

/// The error that failed an open.
fn open_error(e: &Engine) -> NetError {
    let err = wait_for(e, "an error", |ev| match ev {
        Event::Error(err) => Some(err.clone()),
        Event::Opened { .. } => panic!("opened with a bad file"),
        _ => None,
    });
    closed(e);
    err
}

#[test]
fn bad_files_fail_the_open_naming_the_file() {
    let dir = TempDir::new("badfiles");
    let pki = pki(&dir);
    let garbage = dir.path("garbage.pem");
    std::fs::write(&garbage, "this is not a certificate\n").unwrap();
    let open_server = |cfg: TlsServerConfig| {
        let mut e = engine();
        e.open(SessionConfig::TcpServer {
            bind: "127.0.0.1:0".parse().unwrap(),
            tls: Some(cfg),
        });
        open_error(&e)
    };
    let file_error = |err: NetError| match err {
        NetError::TlsFile(f) => (f.path, f.problem),
        other => panic!("expected a file error, got {other:?}"),
    };

    let (path, problem) = file_error(open_server(TlsServerConfig::pem(&garbage, &pki.server_key)));
    assert_eq!(path, garbage);
    assert_eq!(problem, TlsFileProblem::NotPem { looks_der: false });

    let (path, problem) = file_error(open_server(TlsServerConfig::pem(
        &pki.server_key,
        &pki.server_key,
    )));
    assert_eq!(
        (path, problem),
        (pki.server_key.clone(), TlsFileProblem::NoCertificate)
    );

    let (path, problem) = file_error(open_server(TlsServerConfig::pem(
        &pki.server_cert,
        &pki.server_cert,
    )));
    assert_eq!(
        (path, problem),
        (pki.server_cert.clone(), TlsFileProblem::NoPrivateKey)
    );

    let (path, problem) = file_error(open_server(TlsServerConfig::pem(
        &pki.server_cert,
        &pki.client_key,
    )));
    assert_eq!(
        (path, problem),
        (pki.client_key.clone(), TlsFileProblem::KeyMismatch)
    );

    let missing = dir.path("missing.pem");
    let (path, problem) = file_error(open_server(TlsServerConfig::pem(&missing, &pki.server_key)));
    assert_eq!(path, missing);
    assert!(matches!(problem, TlsFileProblem::Unreadable(_)));

    let mut cfg = pki_server(&pki);
    cfg.client_ca = Some(garbage.clone());
    assert_eq!(file_error(open_server(cfg)).0, garbage);

    // A client's CA file and client certificate are loaded at open too.
    let mut e = engine();
    e.open(SessionConfig::TcpClient {
        remote: HostPort::new("127.0.0.1", 9).unwrap(),
        bind: None,
        tls: Some(TlsClientConfig::new(ServerVerify::CaFile(garbage.clone()))),
    });
    assert_eq!(file_error(open_error(&e)).0, garbage);
    let mut cfg = TlsClientConfig::new(ServerVerify::Insecure);
    cfg.client_cert = Some(ClientIdentity {
        chain: pki.client_cert.clone(),
        key: garbage.clone(),
    });
    e.open(SessionConfig::TcpClient {
        remote: HostPort::new("127.0.0.1", 9).unwrap(),
        bind: None,
        tls: Some(cfg),
    });
    assert_eq!(file_error(open_error(&e)).0, garbage);

    // The words name the file and the problem.
    let text = NetError::TlsFile(netassist::net::tls::TlsFileError {
        path: garbage.clone(),
        problem: TlsFileProblem::NotPem { looks_der: false },
    })
    .to_string();
    assert!(
        text.contains("garbage.pem") && text.contains("not PEM"),
        "{text}"
    );
}
