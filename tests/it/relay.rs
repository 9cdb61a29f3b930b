//! `netassist relay` between tutorial-style programs (tests/peers): the
//! tutorial 004 conversation carried and printed both ways, 1-byte slices
//! seen by the server's recv(), a half-close passed on, a reset on purpose,
//! an unreachable server explained, UDP boundaries and drops, and a pcapng
//! file that holds both legs of each pair.

use std::net::UdpSocket;
use std::time::Duration;

use crate::peer_support::{
    Proc, complete_lines, netassist, peer, peer_done, peer_port, peer_rx_all, port_of, run_python,
};

/// Starts `netassist relay --listen 127.0.0.1:0 ARGS` and returns it with
/// the port it listens on.
fn relay(args: &[&str]) -> (Proc, u16) {
    let mut all = vec!["relay", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let na = netassist(&all);
    let prefix = "relaying: ";
    let line = na.err_line("'relaying: … 127.0.0.1:PORT'", |l| l.starts_with(prefix));
    (na, port_of(&line))
}

/// Starts a tutorial server peer on a port it picks; returns it and
/// `127.0.0.1:PORT`.
fn server(script: &str, extra: &[&str]) -> (Proc, String) {
    let mut args = vec!["127.0.0.1", "0"];
    args.extend_from_slice(extra);
    let p = peer(script, &args);
    let addr = format!("127.0.0.1:{}", peer_port(&p));
    (p, addr)
}

/// netassist's stdout rows of one direction (`C->S` or `S->C`), joined.
fn joined(out: &[u8], tag: &str) -> String {
    let prefix = format!("[{tag} ");
    complete_lines(out)
        .iter()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|rest| rest.split_once("] ").map(|(_, text)| text.to_string()))
        .collect()
}

#[test]
fn the_tutorial_004_conversation_goes_through_and_is_printed_both_ways() {
    let (mut srv, target) = server("name_server.py", &[]);
    let (mut na, port) = relay(&["--to", &target]);
    let mut client = peer(
        "name_chat_client.py",
        &["127.0.0.1", &port.to_string(), "Alice", "exit"],
    );
    peer_done(&mut client);
    let got = String::from_utf8_lossy(&peer_rx_all(&client)).into_owned();
    assert!(got.starts_with("Welcome!\n"), "{got:?}");
    // The client reads each answer whole, whatever the reads.
    for part in ["Welcome!", "Hello Alice!", "Good bye!"] {
        assert!(got.contains(part), "{part:?} not in {got:?}");
    }
    let out = na.out_until("both directions printed", |out| {
        joined(out, "S->C").contains("Good bye!") && joined(out, "C->S").contains("exit")
    });
    assert_eq!(joined(&out, "C->S"), "Aliceexit");
    assert!(joined(&out, "S->C").starts_with("Welcome!"));
    na.err_line("the server's leg", |l| {
        l.contains("connected to the server") && l.contains(&target)
    });
    srv.kill();
    na.kill();
}

#[test]
fn slicing_into_1_byte_pieces_gives_the_server_1_byte_reads() {
    let (mut srv, target) = server("recv_sizes_server.py", &[]);
    let (mut na, port) = relay(&["--to", &target, "--slice", "1", "--slice-gap-ms", "10"]);
    let text = "hello relay";
    let mut client = peer(
        "half_close_client.py",
        &["127.0.0.1", &port.to_string(), "--text", text],
    );
    peer_done(&mut client);
    peer_done(&mut srv);
    let sizes: Vec<String> = complete_lines(&srv.out.bytes())
        .into_iter()
        .filter_map(|l| l.strip_prefix("SIZE ").map(str::to_string))
        .collect();
    // One read per byte, unless the machine is so loaded that the server
    // slept through a 10 ms gap (then two pieces wait at once).
    crate::peer_support::assert_pieces(&sizes, text.len());
    // The answer went back in 1-byte pieces too, and arrived whole.
    assert_eq!(peer_rx_all(&client), b"got 11 bytes");
    na.err_line("the fault told", |l| l.contains("sliced into"));
    na.kill();
}

#[test]
fn a_half_close_reaches_the_server_and_its_answer_still_reaches_the_client() {
    let (mut srv, target) = server("recv_sizes_server.py", &[]);
    let (mut na, port) = relay(&["--to", &target]);
    let mut client = peer(
        "half_close_client.py",
        &["127.0.0.1", &port.to_string(), "--text", "ping"],
    );
    peer_done(&mut client);
    peer_done(&mut srv);
    assert_eq!(peer_rx_all(&client), b"got 4 bytes");
    na.err_line("the client's FIN", |l| {
        l.contains("the client finished sending (FIN); passed on to the server")
    });
    na.err_line("the server's FIN", |l| {
        l.contains("the server finished sending (FIN); passed on to the client")
    });
    na.kill();
}

#[test]
fn reset_after_bytes_resets_the_client() {
    if crate::wine::skip_under_wine(
        "reset_after_bytes_resets_the_client",
        crate::wine::RST_LOOKS_LIKE_FIN,
    ) {
        return;
    }
    let (mut srv, target) = server("recv_sizes_server.py", &[]);
    let (mut na, port) = relay(&["--to", &target, "--reset-after", "4"]);
    let code = format!(
        r#"
import socket, time
s = socket.create_connection(("127.0.0.1", {port}), timeout=5)
s.sendall(b"0123456789")
try:
    while s.recv(1024):
        pass
    print("CLOSED", flush=True)
except ConnectionResetError:
    print("RESET", flush=True)
"#
    );
    let mut client = run_python(&code, "reset_client.py");
    client.out_line("the client's reset", |l| l == "RESET");
    client.wait_exit();
    na.err_line("the fault told", |l| {
        l.contains("reset (RST to both sides) after 4 bytes, as asked")
    });
    srv.kill();
    na.kill();
}

#[test]
fn an_unreachable_server_is_explained_and_the_relay_keeps_listening() {
    // A port nothing listens on: bound, never listening.
    let hold =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("a socket");
    hold.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .expect("bind");
    let closed = hold
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .expect("its port")
        .port();
    let target = format!("127.0.0.1:{closed}");
    let (mut na, port) = relay(&["--to", &target]);
    for round in 0..2 {
        let code = format!(
            r#"
import socket
s = socket.create_connection(("127.0.0.1", {port}), timeout=5)
try:
    data = s.recv(1024)
    print("CLOSED" if not data else "DATA", flush=True)
except ConnectionResetError:
    print("CLOSED", flush=True)
"#
        );
        let mut client = run_python(&code, "refused_client.py");
        client.out_line("the client's connection closed", |l| l == "CLOSED");
        client.wait_exit();
        let lines = na.err.wait_for(|err| {
            let n = complete_lines(err)
                .iter()
                .filter(|l| l.contains("could not connect to the server"))
                .count();
            (n > round).then_some(n)
        });
        assert!(lines.is_some(), "round {round}: {}", na.describe());
    }
    na.err_line("what to do", |l| l.trim_start().starts_with("what to do:"));
    assert!(na.is_running(), "the relay keeps listening");
    na.kill();
}

#[test]
fn udp_keeps_datagram_boundaries_both_ways() {
    let (mut srv, target) = server("udp_upper_server.py", &["--count", "2"]);
    let (mut na, port) = relay(&["--udp", "--to", &target]);
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut buf = [0u8; 1500];
    for text in ["abc", "defg"] {
        s.send_to(text.as_bytes(), ("127.0.0.1", port))
            .expect("send");
        let (n, from) = s.recv_from(&mut buf).expect("the answer");
        assert_eq!(&buf[..n], text.to_uppercase().as_bytes());
        assert_eq!(from.port(), port, "answers come from the relay");
    }
    peer_done(&mut srv);
    let out = na.out_until("both datagrams each way", |out| {
        joined(out, "S->C") == "ABCDEFG"
    });
    let up: Vec<String> = complete_lines(&out)
        .into_iter()
        .filter(|l| l.starts_with("[C->S "))
        .collect();
    assert_eq!(up.len(), 2, "one row per datagram: {up:?}");
    na.kill();
}

#[test]
fn udp_drop_100_drops_everything_and_says_so() {
    let server_sock = UdpSocket::bind("127.0.0.1:0").expect("bind the server");
    server_sock
        .set_read_timeout(Some(Duration::from_millis(300)))
        .ok();
    let target = server_sock.local_addr().expect("addr").to_string();
    let (mut na, port) = relay(&["--udp", "--to", &target, "--drop", "100"]);
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    for i in 0..20u8 {
        s.send_to(&[i], ("127.0.0.1", port)).expect("send");
    }
    na.err_line("the drops told", |l| {
        l.contains("dropped") && l.contains("as asked")
    });
    let mut buf = [0u8; 64];
    assert!(
        server_sock.recv_from(&mut buf).is_err(),
        "the server got a datagram"
    );
    // The relay still read each one: they are in its log.
    let out = na.out_until("every datagram printed", |out| {
        complete_lines(out)
            .iter()
            .filter(|l| l.starts_with("[C->S "))
            .count()
            == 20
    });
    assert!(!out.is_empty());
    na.kill();
}

#[test]
fn a_pcapng_file_holds_both_legs_with_their_real_addresses() {
    let file = crate::pcap::temp_dir("relay").join("relay.pcapng");
    let (mut srv, target) = server("recv_sizes_server.py", &[]);
    let (mut na, port) = relay(&["--to", &target, "--pcap", file.to_str().expect("path")]);
    let mut client = peer(
        "half_close_client.py",
        &["127.0.0.1", &port.to_string(), "--text", "ping"],
    );
    peer_done(&mut client);
    peer_done(&mut srv);
    na.err_line("the pair closed", |l| l.contains("closed"));
    na.kill();
    let conv = crate::pcap::tshark_run(&file, &["-q", "-z", "conv,tcp"]);
    let server_port = target.rsplit(':').next().expect("port");
    assert!(
        conv.contains(&format!("127.0.0.1:{port}")),
        "the client's leg: {conv}"
    );
    assert!(
        conv.contains(&format!("127.0.0.1:{server_port}")),
        "the server's leg: {conv}"
    );
    let payloads = crate::pcap::tshark_run(
        &file,
        &["-Y", "tcp.len > 0", "-T", "fields", "-e", "tcp.payload"],
    );
    // "ping" on each leg, "got 4 bytes" on each leg.
    assert_eq!(payloads.matches("70696e67").count(), 2, "{payloads}");
    assert_eq!(
        payloads.matches("676f742034206279746573").count(),
        2,
        "{payloads}"
    );
}

/// Resident memory of process `pid`, in KiB (Linux).
#[cfg(target_os = "linux")]
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

#[cfg(target_os = "linux")]
#[test]
fn a_slow_reader_keeps_the_relays_memory_flat() {
    if crate::wine::skip_under_wine(
        "a_slow_reader_keeps_the_relays_memory_flat",
        "the process started is wine's, whose memory is not netassist.exe's alone",
    ) {
        return;
    }
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::time::Instant;

    // A server that accepts and never reads.
    let server = TcpListener::bind("127.0.0.1:0").expect("bind");
    let target = server.local_addr().expect("addr").to_string();
    let (mut na, port) = relay(&["--to", &target, "--raw"]);
    let mut client = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let (_held, _) = server.accept().expect("accept");
    na.err_line("the pair is up", |l| l.contains("connected to the server"));
    let pid = na.child.id();
    let before = rss_kib(pid);
    // The client pushes for two seconds, as much as it is let.
    client.set_nonblocking(true).expect("non-blocking");
    let block = vec![b'x'; 64 * 1024];
    let mut pushed = 0u64;
    let end = Instant::now() + Duration::from_secs(2);
    while Instant::now() < end {
        match client.write(&block) {
            Ok(n) => pushed += n as u64,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("write: {e}"),
        }
    }
    let after = rss_kib(pid);
    // What got in is bounded by socket buffers and the relay's queue, far
    // below what an unbounded relay would have taken in two seconds.
    assert!(
        pushed < 64 << 20,
        "the client pushed {pushed} bytes unhindered"
    );
    let grew = after.saturating_sub(before);
    assert!(
        grew < 32 * 1024,
        "the relay grew by {grew} KiB with a reader that never reads (pushed {pushed} bytes)"
    );
    na.kill();
}

// ---------------------------------------------------------------------------
// TLS on the relay's legs
// ---------------------------------------------------------------------------

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// The Python TLS server (tests/peers/tls_peer.py) with the test PKI's
/// server certificate; returns it and `127.0.0.1:PORT`.
fn tls_server(pki: &crate::tls::Pki) -> (Proc, String) {
    let p = peer(
        "tls_peer.py",
        &[
            "server",
            "127.0.0.1",
            "0",
            "--cert",
            path(&pki.server_cert),
            "--key",
            path(&pki.server_key),
        ],
    );
    let addr = format!("127.0.0.1:{}", peer_port(&p));
    (p, addr)
}

#[test]
fn a_plain_client_through_tls_upstream_is_printed_in_clear() {
    let dir = crate::tls::TempDir::new("relay-tls-upstream");
    let pki = crate::tls::pki(&dir);
    let (mut srv, target) = tls_server(&pki);
    let (mut na, port) = relay(&["--to", &target, "--tls-upstream", "--ca", path(&pki.ca)]);
    let text = "secret words";
    let mut client = peer(
        "half_close_client.py",
        &["127.0.0.1", &port.to_string(), "--text", text],
    );
    peer_done(&mut client);
    peer_done(&mut srv);
    // The server got the plaintext over TLS; the client got the answer.
    assert_eq!(peer_rx_all(&srv), text.as_bytes());
    assert!(
        complete_lines(&srv.out.bytes())
            .iter()
            .any(|l| l.starts_with("TLS TLSv1."))
    );
    assert_eq!(peer_rx_all(&client), b"got 12 bytes");
    // The relay printed both ways in clear.
    let out = na.out_until("both directions printed", |out| {
        joined(out, "C->S") == text && joined(out, "S->C").contains("got 12 bytes")
    });
    assert_eq!(joined(&out, "S->C"), "got 12 bytes");
    na.err_line("the upstream handshake", |l| {
        l.contains(&target) && l.contains("TLS handshake done")
    });
    na.kill();
}

#[test]
fn a_tls_client_through_tls_listen_is_printed_in_clear() {
    let dir = crate::tls::TempDir::new("relay-tls-listen");
    let pki = crate::tls::pki(&dir);
    let (mut srv, target) = server("recv_sizes_server.py", &[]);
    let (mut na, port) = relay(&[
        "--to",
        &target,
        "--tls-listen",
        "--cert",
        path(&pki.server_cert),
        "--key",
        path(&pki.server_key),
    ]);
    na.err_line("the certificate presented", |l| l.starts_with("TLS ready"));
    let text = "hello over tls";
    let hex: String = text.bytes().map(|b| format!("{b:02x}")).collect();
    let mut client = peer(
        "tls_peer.py",
        &[
            "client",
            "127.0.0.1",
            &port.to_string(),
            "--ca",
            path(&pki.ca),
            "--send-hex",
            &hex,
            "--finish",
        ],
    );
    peer_done(&mut client);
    peer_done(&mut srv);
    assert_eq!(peer_rx_all(&srv), text.as_bytes());
    // The answer came back encrypted and ended with close_notify (the
    // client reads to it).
    assert_eq!(peer_rx_all(&client), b"got 14 bytes");
    let out = na.out_until("both directions printed", |out| {
        joined(out, "C->S") == text && joined(out, "S->C") == "got 14 bytes"
    });
    assert_eq!(joined(&out, "C->S"), text);
    na.err_line("the client's handshake", |l| {
        l.contains("TLS handshake done")
    });
    na.kill();
}

#[test]
fn an_untrusted_target_certificate_ends_the_pair_and_the_relay_keeps_listening() {
    let dir = crate::tls::TempDir::new("relay-tls-untrusted");
    let pki = crate::tls::pki(&dir);
    let (mut srv, target) = tls_server(&pki);
    // No --ca and no --insecure: the test CA is not among the system's.
    let (mut na, port) = relay(&["--to", &target, "--tls-upstream"]);
    let code = format!(
        r#"
import socket
s = socket.create_connection(("127.0.0.1", {port}), timeout=5)
s.sendall(b"never seen by the server")
try:
    while s.recv(1024):
        pass
except ConnectionResetError:
    pass
print("ENDED", flush=True)
"#
    );
    let mut client = run_python(&code, "untrusted_client.py");
    client.out_line("the client's end", |l| l == "ENDED");
    client.wait_exit();
    // Named by the server's address, not the client's.
    let server_failed = format!("TLS with the server {target} failed");
    na.err_line("the TLS failure", |l| {
        l.starts_with("client 127.0.0.1:")
            && l.contains(&server_failed)
            && l.contains("not trusted")
    });
    na.err_line("what to do", |l| l.trim_start().starts_with("what to do:"));
    // The server saw our alert.
    srv.out_line("the server's error", |l| {
        l.starts_with("ERROR") && l.to_lowercase().contains("unknown ca")
    });
    let _ = srv.wait_exit();
    // A second client is still accepted.
    let _second = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect again");
    let lines = na.err.wait_for(|err| {
        let n = complete_lines(err)
            .iter()
            .filter(|l| l.starts_with("client connected"))
            .count();
        (n >= 2).then_some(n)
    });
    assert!(lines.is_some(), "{}", na.describe());
    assert!(na.is_running(), "the relay keeps listening");
    na.kill();
}

/// Rewrite rules: the client's name is changed on its way to the server,
/// and the server's greeting on its way back; both are logged as read and
/// as forwarded.
const REWRITE_RULES: &str = r#"
answer = "all"

[[rule]]
name = "rename"
when = "contains"
pattern = "Alice"
reply = "Bob"
direction = "up"

[[rule]]
when = "regex"
pattern = 'Hello (\w+)!'
reply = "Hi {{1}}, welcome!"
direction = "down"
"#;

#[test]
fn rewrite_rules_change_each_way_and_the_log_shows_both_forms() {
    let dir = crate::pcap::temp_dir("relay-rewrite");
    let rules = dir.join("rules.toml");
    std::fs::write(&rules, REWRITE_RULES).expect("rules");
    let capture = dir.join("rewrite.pcapng");
    let (mut srv, target) = server("name_server.py", &[]);
    let (mut na, port) = relay(&[
        "--to",
        &target,
        "--rules",
        rules.to_str().expect("path"),
        "--pcap",
        capture.to_str().expect("path"),
    ]);
    let mut client = peer(
        "name_chat_client.py",
        &["127.0.0.1", &port.to_string(), "Alice", "exit"],
    );
    peer_done(&mut client);
    let got = String::from_utf8_lossy(&peer_rx_all(&client)).into_owned();
    assert!(got.contains("Hi Bob, welcome!\n"), "{got:?}");
    assert!(!got.contains("Hello"), "{got:?}");
    // The server read the rewritten name, exactly.
    let srv_out = srv.out_until("the server read a name", |out| {
        String::from_utf8_lossy(out).contains("TEXT exit")
    });
    let server_rx: Vec<String> = complete_lines(&srv_out)
        .into_iter()
        .filter_map(|l| l.strip_prefix("RX ").map(str::to_string))
        .collect();
    assert_eq!(server_rx, ["426f62", "65786974"], "Bob, then exit");
    // Printed as read: the client's own name, the server's own greeting.
    let out = na.out_until("both directions printed", |out| {
        joined(out, "S->C").contains("Good bye!") && joined(out, "C->S").contains("exit")
    });
    assert_eq!(joined(&out, "C->S"), "Aliceexit");
    assert!(joined(&out, "S->C").contains("Hello Bob!"));
    // And as forwarded, explained.
    na.err_line("the name rewritten", |l| {
        l.contains("C→S: rewritten by rule 1 (1 replaced, 5 → 3 bytes): \"Bob\"")
    });
    na.err_line("the greeting rewritten", |l| {
        l.contains("S→C: rewritten by rule 2") && l.contains("\"Hi Bob, welcome!\\n")
    });
    srv.kill();
    na.kill();
    // The capture: the client's leg carries what the client sent and got,
    // the server's leg what the server got and sent.
    let payloads = crate::pcap::tshark_run(
        &capture,
        &["-Y", "tcp.len > 0", "-T", "fields", "-e", "tcp.payload"],
    );
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(payloads.matches(&hex("Alice")).count(), 1, "{payloads}");
    assert_eq!(
        payloads.matches(&hex("Bob")).count(),
        3,
        "Bob sent once, named twice in the greeting: {payloads}"
    );
    assert_eq!(
        payloads.matches(&hex("Hello Bob!")).count(),
        1,
        "{payloads}"
    );
    assert_eq!(
        payloads.matches(&hex("Hi Bob, welcome!")).count(),
        1,
        "{payloads}"
    );
}

#[test]
fn a_rule_a_relay_cannot_run_is_refused_with_its_number() {
    let dir = crate::pcap::temp_dir("relay-bad-rule");
    let rules = dir.join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nwhen = \"contains\"\npattern = \"a\"\nreply = \"b\"\n\n[[rule]]\nwhen = \"contains\"\npattern = \"x\"\nreply = \"y\"\ndelay_ms = 100\n",
    )
    .expect("rules");
    let mut na = netassist(&[
        "relay",
        "--listen",
        "127.0.0.1:0",
        "--to",
        "127.0.0.1:9",
        "--rules",
        rules.to_str().expect("path"),
    ]);
    na.close_stdin();
    assert_eq!(na.wait_exit().code(), Some(2), "{}", na.describe());
    let err = na.err.text();
    assert!(err.contains("rule 2: delay_ms"), "{err}");
    assert!(err.contains("cannot delay"), "{err}");
}
