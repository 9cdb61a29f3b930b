//! WebSocket on the command line: `ws-server` and `ws-client` against
//! Python's `websockets` package (tests/peers/ws_peer.py), both ways: text
//! and binary messages, fragments, ping and pong, close codes, a dropped
//! connection (1006), a refused upgrade, a message over the limit (1009),
//! text that is not UTF-8 (1007) and wss:// with a self-signed certificate.

use std::path::Path;
use std::process::Command;

use netassist::codec::{DisplayEncoding, TextEncoding};
use netassist::net::SessionConfig;
use netassist::net::ws::{DEFAULT_MAX_MESSAGE, MessageKind, WsClientConfig, WsServerConfig, WsUrl};
use netassist::teach::{CommentLanguage, PythonSession, python_snippets};

use crate::peer_support::{Proc, netassist, peer, port_of, run_python};
use crate::tls::{TempDir, pki};
use crate::wine;

/// `netassist ws-server --bind 127.0.0.1:0 ARGS` and its port.
fn server(args: &[&str]) -> (Proc, u16) {
    let mut all = vec!["ws-server", "--bind", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let na = netassist(&all);
    let line = na.err_line("'WebSocket server listening on …'", |l| {
        l.starts_with("WebSocket server listening on ")
    });
    (na, port_of(&line))
}

/// The Python peer as a client of `url`, doing `actions`.
fn py_client(url: &str, actions: &[&str]) -> Proc {
    py_client_with(&[], url, actions)
}

/// The same with options (they go before the URL).
fn py_client_with(options: &[&str], url: &str, actions: &[&str]) -> Proc {
    let mut args = vec!["client"];
    args.extend_from_slice(options);
    args.push(url);
    args.extend_from_slice(actions);
    peer("ws_peer.py", &args)
}

/// The Python peer as a server doing `actions`, and its port.
fn py_server(actions: &[&str]) -> (Proc, u16) {
    py_server_with(&[], actions)
}

/// The same with options (they go before the address).
fn py_server_with(options: &[&str], actions: &[&str]) -> (Proc, u16) {
    let mut args = vec!["server"];
    args.extend_from_slice(options);
    args.extend_from_slice(&["127.0.0.1", "0"]);
    args.extend_from_slice(actions);
    let p = peer("ws_peer.py", &args);
    let line = p.out_line("'PORT n'", |l| l.starts_with("PORT "));
    (p, port_of(&line.replace(' ', ":")))
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn text_binary_fragments_and_pings_reach_our_server_and_come_back() {
    let (na, port) = server(&["--echo", "--timeout", "8"]);
    let url = format!("ws://127.0.0.1:{port}/chat");
    let mut py = py_client(
        &url,
        &[
            "text:你好",
            "recv",
            "hex:0001ff",
            "recv",
            "frag:ab,cd,ef",
            "recv",
            "ping:hi",
            "close:1000:bye",
        ],
    );
    py.expect_success();
    let out = py.out.text();
    // Echoed as the kind they came as, bytes exact.
    assert!(out.contains(&format!("RX text {}", hex("你好"))), "{out}");
    assert!(out.contains("RX binary 0001ff"), "{out}");
    assert!(out.contains(&format!("RX text {}", hex("abcdef"))), "{out}");
    assert!(out.contains("PONG hi"), "{out}");
    assert!(out.contains("CLOSED 1000 bye"), "{out}");
    let rows = na.out_until("three message rows", |b| {
        String::from_utf8_lossy(b).contains("abcdef")
    });
    let rows = String::from_utf8_lossy(&rows);
    assert!(rows.contains(" text] 你好"), "{rows}");
    assert!(rows.contains(" binary] "), "{rows}");
    // websockets sends a fragmented message as its pieces and an empty
    // final frame: four frames on the wire.
    assert!(rows.contains(" text, 4 frames] abcdef"), "{rows}");
    let err = na.err_line("the handshake", |l| {
        l.contains("WebSocket upgrade: GET /chat")
    });
    assert!(err.contains("101 Switching Protocols"), "{err}");
    na.err_line("the ping", |l| {
        l.contains("ping from the peer (2 bytes: \"hi\")")
    });
    na.err_line("the close", |l| {
        l.contains("the peer closes: 1000 normal closure, reason \"bye\"")
    });
}

#[test]
fn our_client_talks_to_a_python_server_and_hears_1001() {
    let (mut py, port) = py_server(&[
        "text:你好",
        "hex:0102",
        "frag:x,y",
        "ping:abc",
        "recv",
        "close:1001:going",
    ]);
    let url = format!("ws://127.0.0.1:{port}/p?q=1");
    let mut na = netassist(&[
        "ws-client",
        &url,
        "--send",
        "hello 世界",
        "--protocol",
        "chat",
        "--header",
        "Origin: http://me.example",
        "--json",
    ]);
    na.expect_success();
    py.expect_success();
    let out = py.out.text();
    assert!(out.contains("PATH /p?q=1"), "{out}");
    assert!(out.contains("PONG abc"), "{out}");
    assert!(
        out.contains(&format!("RX text {}", hex("hello 世界"))),
        "{out}"
    );
    let json = na.out.text();
    assert!(
        json.contains(r#""text":"你好","message":"text","frames":1"#)
            || json.contains(r#""message":"text""#),
        "{json}"
    );
    assert!(json.contains(r#""frames":3"#), "{json}");
    assert!(json.contains(r#""message":"binary""#), "{json}");
    let err = na.err.text();
    assert!(err.contains("Origin http://me.example"), "{err}");
    assert!(err.contains("subprotocols asked for: chat"), "{err}");
    assert!(
        err.contains("ping from the peer (3 bytes: \"abc\")"),
        "{err}"
    );
    assert!(
        err.contains("the peer closes: 1001 going away, reason \"going\""),
        "{err}"
    );
}

#[test]
fn a_dropped_connection_is_1006_both_ways() {
    let (na, port) = server(&["--timeout", "6"]);
    let mut py = py_client(&format!("ws://127.0.0.1:{port}/"), &["text:a", "drop"]);
    py.expect_success();
    na.err_line("1006", |l| l.contains("without a close frame (1006"));

    let (_py, port) = py_server(&["text:b", "drop"]);
    let mut na = netassist(&["ws-client", &format!("ws://127.0.0.1:{port}/")]);
    na.wait_exit();
    let err = na.err.text();
    assert!(err.contains("without a close frame (1006"), "{err}");
}

#[test]
fn a_refused_upgrade_exits_1_with_the_http_status() {
    let http = peer(
        "ws_peer.py",
        &["http", "127.0.0.1", "0", "404", "no page here\nsecond line"],
    );
    let port = port_of(
        &http
            .out_line("'PORT n'", |l| l.starts_with("PORT "))
            .replace(' ', ":"),
    );
    let mut na = netassist(&["ws-client", &format!("ws://127.0.0.1:{port}/x")]);
    assert_eq!(na.wait_exit().code(), Some(1), "{}", na.describe());
    let err = na.err.text();
    assert!(
        err.contains("refused the WebSocket upgrade: HTTP/1.1 404"),
        "{err}"
    );
    assert!(err.contains("wrong path"), "{err}");
    assert!(
        err.contains("body begins: no page here | second line"),
        "{err}"
    );

    // Our server refuses a path it does not serve with 404.
    let (na, port) = server(&["--path", "/ok", "--timeout", "5"]);
    let mut py = py_client(&format!("ws://127.0.0.1:{port}/nope"), &[]);
    assert_eq!(py.wait_exit().code(), Some(1));
    assert!(py.out.text().contains("REFUSED 404"), "{}", py.describe());
    na.err_line("the refusal", |l| {
        l.contains("answering HTTP/1.1 404 Not Found: asked for /nope, served /ok")
    });
}

#[test]
fn messages_over_the_limit_close_with_1009_and_bad_text_with_1007() {
    let (na, port) = server(&["--max-message", "10", "--timeout", "6"]);
    let url = format!("ws://127.0.0.1:{port}/");
    let mut py = py_client(&url, &["big:20"]);
    py.expect_success();
    assert!(py.out.text().contains("CLOSED 1009"), "{}", py.describe());
    na.err_line("1009", |l| l.contains("closed with 1009 message too big"));
    let mut py = py_client(&url, &["badutf8"]);
    py.expect_success();
    assert!(py.out.text().contains("CLOSED 1007"), "{}", py.describe());
    na.err_line("1007", |l| l.contains("closed with 1007"));

    // Our client's limit, against a server that sends too much.
    let (mut py, port) = py_server(&["big:100", "wait"]);
    let mut na = netassist(&[
        "ws-client",
        &format!("ws://127.0.0.1:{port}/"),
        "--max-message",
        "64",
    ]);
    na.wait_exit();
    py.expect_success();
    assert!(py.out.text().contains("CLOSED 1009"), "{}", py.describe());
    assert!(
        na.err.text().contains("closed with 1009"),
        "{}",
        na.describe()
    );
}

#[test]
fn binary_sends_binary_frames() {
    let (mut py, port) = py_server(&["recv", "recv", "close:1000:"]);
    let mut na = netassist(&[
        "ws-client",
        &format!("ws://127.0.0.1:{port}/"),
        "--binary",
        "--newline",
        "none",
    ]);
    na.type_line("abc");
    na.type_line("def");
    py.expect_success();
    na.wait_exit();
    let out = py.out.text();
    assert!(out.contains("RX binary 616263"), "{out}");
    assert!(out.contains("RX binary 646566"), "{out}");
}

/// `netassist ARGS` with its configuration folder in `config`.
fn na_in(config: &Path, args: &[&str]) -> Proc {
    let mut cmd = Command::new(wine::netassist_bin());
    cmd.args(args).env("XDG_CONFIG_HOME", config);
    Proc::spawn(&format!("netassist {}", args.join(" ")), cmd)
}

#[test]
fn wss_with_a_self_signed_certificate_both_ways() {
    if wine::skip_under_wine(
        "wss_with_a_self_signed_certificate_both_ways",
        "the self-signed certificate is kept in wine's own configuration folder",
    ) {
        return;
    }
    let dir = TempDir::new("wss");
    let config = dir.path("config");
    let na = na_in(
        &config,
        &[
            "ws-server",
            "--bind",
            "127.0.0.1:0",
            "--tls",
            "--echo",
            "--timeout",
            "8",
        ],
    );
    let line = na.err_line("listening", |l| {
        l.starts_with("WebSocket server listening on ")
    });
    let port = port_of(&line);
    let cert = config
        .join("netassist")
        .join(netassist::net::tls::SELF_SIGNED_CERT_FILE);
    let mut py = py_client_with(
        &["--cafile", cert.to_str().unwrap()],
        &format!("wss://localhost:{port}/s"),
        &["text:秘密", "recv", "close:1000:"],
    );
    py.expect_success();
    assert!(
        py.out.text().contains(&format!("RX text {}", hex("秘密"))),
        "{}",
        py.describe()
    );
    na.out_line("the message", |l| l.ends_with(" text] 秘密"));

    // Our client to a Python wss server with the test CA's certificate.
    let pki = pki(&dir);
    let (mut py, port) = py_server_with(
        &[
            "--cert",
            pki.server_cert.to_str().unwrap(),
            "--key",
            pki.server_key.to_str().unwrap(),
        ],
        &["text:hi", "recv", "close:1000:done"],
    );
    let mut na = netassist(&[
        "ws-client",
        &format!("wss://localhost:{port}/"),
        "--ca",
        pki.ca.to_str().unwrap(),
        "--send",
        "back",
    ]);
    na.expect_success();
    py.expect_success();
    assert!(py.out.text().contains(&format!("RX text {}", hex("back"))));
    assert!(na.out.text().contains(" text] hi"), "{}", na.describe());
    assert!(
        na.err.text().contains("TLS handshake done"),
        "{}",
        na.describe()
    );
}

/// The program "Copy as Python" makes for a WebSocket session.
fn snippet(config: &SessionConfig, opened: Option<std::net::SocketAddr>) -> String {
    let session =
        PythonSession::from_config(config, opened, TextEncoding::Utf8, DisplayEncoding::Auto);
    let snippets = python_snippets(&session, CommentLanguage::English).expect("a program");
    assert_eq!(snippets.len(), 1);
    let code = snippets[0].code.clone();
    assert!(code.contains("pip install websockets"), "{code}");
    code
}

#[test]
fn copy_as_python_programs_talk_to_websocket_sessions() {
    // The client program, against our server (which echoes).
    let (na, port) = server(&["--path", "/py", "--echo", "--timeout", "8"]);
    let config = SessionConfig::WsServer(Box::new(WsServerConfig {
        bind: format!("127.0.0.1:{port}").parse().unwrap(),
        tls: None,
        path: Some("/py".into()),
        max_message: DEFAULT_MAX_MESSAGE,
        kind: MessageKind::Text,
    }));
    let mut py = run_python(&snippet(&config, None), "ws_client.py");
    py.type_line("你好 from Python");
    py.out_line("the echo", |l| l.ends_with("NetAssist: 你好 from Python"));
    py.type_line("quit");
    py.expect_success();
    na.out_line("the message", |l| l.ends_with(" text] 你好 from Python"));
    na.err_line("the close", |l| {
        l.contains("the peer closes: 1000 normal closure")
    });

    // The server program, for our client.
    let port = crate::tls::free_port();
    let url = format!("ws://127.0.0.1:{port}/up");
    let config = SessionConfig::WsClient(Box::new(WsClientConfig {
        url: WsUrl::parse(&url).unwrap(),
        headers: Vec::new(),
        protocols: Vec::new(),
        tls: None,
        bind: None,
        max_message: DEFAULT_MAX_MESSAGE,
        kind: MessageKind::Text,
    }));
    let py = run_python(&snippet(&config, None), "ws_server.py");
    // It listens once asyncio has started: try until it answers.
    let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mut na = netassist(&["ws-client", &url, "--send", "shout", "--timeout", "2"]);
        na.wait_exit();
        if na.out.text().contains(" text] SHOUT") {
            break;
        }
        assert!(std::time::Instant::now() < end, "{}", na.describe());
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(
        py.out.text().contains("NetAssist: shout"),
        "{}",
        py.describe()
    );
}

#[test]
fn a_plain_tcp_server_says_a_websocket_client_is_knocking() {
    let (na, port) = crate::peer_support::tcp_server(&["--timeout", "5"]);
    let mut py = py_client(&format!("ws://127.0.0.1:{port}/"), &[]);
    na.err_line("the hint", |l| {
        l.starts_with("hint: ") && l.contains("a WebSocket client is knocking")
    });
    py.kill();
}

#[test]
fn the_websocket_echo_partner_answers_in_kind() {
    let na = netassist(&[
        "partner",
        "ws-echo-server",
        "--bind",
        "127.0.0.1:0",
        "--timeout",
        "6",
    ]);
    let line = na.err_line("'WebSocket server listening on …'", |l| {
        l.starts_with("WebSocket server listening on ")
    });
    let mut py = py_client(
        &format!("ws://127.0.0.1:{}/any/path", port_of(&line)),
        &[
            "text:回声",
            "recv",
            "hex:61ff",
            "recv",
            "hex:6162",
            "recv",
            "close:1000:",
        ],
    );
    py.expect_success();
    let out = py.out.text();
    assert!(out.contains(&format!("RX text {}", hex("回声"))), "{out}");
    assert!(out.contains("RX binary 61ff"), "{out}");
    // Binary that happens to be UTF-8 still comes back binary.
    assert!(out.contains("RX binary 6162"), "{out}");
}

/// `--pcap` holds the connection as it was on the wire: Wireshark reads
/// the upgrade as HTTP and each frame as WebSocket (the client's masked,
/// ours not), with the messages' payloads in them.
#[test]
fn a_capture_holds_the_upgrade_and_the_frames() {
    let dir = crate::pcap::temp_dir("ws-pcap");
    let file = dir.join("ws.pcapng");
    let (mut na, port) = server(&["--echo", "--pcap", file.to_str().expect("path")]);
    let url = format!("ws://127.0.0.1:{port}/chat");
    let mut py = py_client(
        &url,
        &["text:你好", "recv", "hex:0001ff", "recv", "close:1000:bye"],
    );
    py.expect_success();
    na.err_line("the close", |l| l.contains("1000"));
    na.kill();
    let decode = format!("tcp.port=={port},http");
    let upgrade = crate::pcap::tshark_run(
        &file,
        &[
            "-d",
            &decode,
            "-Y",
            "http.upgrade",
            "-T",
            "fields",
            "-e",
            "http.request.uri",
        ],
    );
    assert!(upgrade.contains("/chat"), "the upgrade request: {upgrade}");
    let frames = crate::pcap::tshark_run(
        &file,
        &[
            "-d",
            &decode,
            "-Y",
            "websocket",
            "-T",
            "fields",
            "-e",
            "websocket.opcode",
            "-e",
            "websocket.mask",
            "-e",
            "websocket.payload",
        ],
    );
    let lines: Vec<&str> = frames.lines().filter(|l| !l.trim().is_empty()).collect();
    // Text and binary each way, then the closes.
    let text = lines.iter().filter(|l| l.starts_with("1\t")).count();
    let binary = lines.iter().filter(|l| l.starts_with("2\t")).count();
    assert_eq!((text, binary), (2, 2), "{frames}");
    assert!(
        lines.iter().any(|l| l.starts_with("1\t1\t")),
        "a masked client frame: {frames}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("1\t0\t")),
        "our unmasked frame: {frames}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("8\t")),
        "a close frame: {frames}"
    );
}

/// A server that takes the connection and never answers the upgrade: the
/// client gives up after its upgrade timeout, saying why.
#[test]
fn an_upgrade_never_answered_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let silent = std::thread::spawn(move || {
        let (conn, _) = listener.accept().expect("accept");
        // Holds the connection open, answering nothing.
        std::thread::sleep(std::time::Duration::from_secs(15));
        drop(conn);
    });
    let started = std::time::Instant::now();
    let mut na = netassist(&["ws-client", &format!("ws://127.0.0.1:{port}/")]);
    na.close_stdin();
    // Longer than the helpers wait: the timeout itself is 10 s.
    let said = |t: &str| t.contains("did not answer the WebSocket upgrade within 10 s");
    while !said(&na.err.text()) && started.elapsed() < std::time::Duration::from_secs(16) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(said(&na.err.text()), "{}", na.describe());
    let waited = started.elapsed();
    assert!(waited < std::time::Duration::from_secs(14), "{waited:?}");
    assert!(!na.wait_exit().success(), "{}", na.describe());
    let _ = silent.join();
}
