//! `netassist` against small Python peers that behave like the programs in
//! the socket tutorials our users follow (tests/peers/*.py): netassist plays
//! the client of their servers and the server of their clients, over TCP and
//! UDP, and every test checks the exact bytes each side received and the
//! status lines netassist printed.
//!
//! The peers need python3; without it these tests fail (never pass silently).
//! Everything runs on loopback with ports the OS picks, so tests can run in
//! parallel, and every wait has a deadline so nothing can hang.

use crate::peer_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use netassist::codec::{DisplayEncoding, TextEncoding};
use netassist::net::{HostPort, Mode};
use netassist::teach::{CommentLanguage, PythonSession, SnippetRole, python_snippets};
use peer_support::*;

// GBK bytes of the test strings (checked against Python's gbk codec).
const GBK_NIHAO_SERVER: &[u8] = &[
    0xC4, 0xE3, 0xBA, 0xC3, 0xA3, 0xAC, 0xB7, 0xFE, 0xCE, 0xF1, 0xC6, 0xF7,
]; // 你好，服务器
const GBK_XIEXIE: &[u8] = &[0xD0, 0xBB, 0xD0, 0xBB]; // 谢谢 (also valid UTF-8: "лл")
const GBK_BUKEQI: &[u8] = &[0xB2, 0xBB, 0xBF, 0xCD, 0xC6, 0xF8]; // 不客气
const GBK_NIHAO: &[u8] = &[0xC4, 0xE3, 0xBA, 0xC3]; // 你好
const GBK_SHOUDAO: &[u8] = &[0xCA, 0xD5, 0xB5, 0xBD]; // 收到

// ---------------------------------------------------------------------------
// Tutorial 000: greeting server and client (UTF-8)
// ---------------------------------------------------------------------------

#[test]
fn netassist_client_shows_greeting_from_tutorial_server() {
    let (mut server, remote) = peer_server("greeting_server.py", &[]);
    let mut na = netassist(&["tcp-client", "--connect", &remote]);

    let connected = na.err_line("'connected to ...'", |l| l.starts_with("connected to "));
    let local = connected
        .strip_prefix(&format!("connected to {remote} from "))
        .unwrap_or_else(|| panic!("unexpected status line {connected:?}"))
        .to_string();
    // The server saw the same client address netassist reported.
    server.out_line("'CONNECTED <addr>'", |l| l == format!("CONNECTED {local}"));

    // The server closes after the greeting: netassist prints it, reports the
    // close and exits 0.
    na.expect_success();
    assert_eq!(text_from(&na, &remote), "你好,客户端,我是服务器");
    assert_stderr_line(&na, &format!("closed by peer: {remote}"));
    peer_done(&mut server);
}

#[test]
fn netassist_server_greets_tutorial_client_and_shows_reply() {
    let greeting = "你好,客户端,我是服务器";
    let (na, port) = tcp_server(&["--send", greeting]);
    let expect = greeting.len().to_string();
    let mut client = peer(
        "greeting_client.py",
        &["127.0.0.1", &port.to_string(), "--expect", &expect],
    );
    let local = peer_local(&client);
    na.err_line("'client connected: <addr>'", |l| {
        l == format!("client connected: {local}")
    });
    peer_done(&mut client);
    assert_eq!(peer_rx_all(&client), greeting.as_bytes());

    wait_text_from(&na, &local, "你好服务器");
    na.err_line("'closed by peer: <addr>'", |l| {
        l == format!("closed by peer: {local}")
    });
}

/// One greeting sent in two writes, cut inside a character: the display
/// must never show a broken character, and the pieces join to the text.
#[test]
fn chinese_split_across_reads_still_shows_as_chinese() {
    let text = "你好世界";
    // (wire encoding, bytes in the first write, netassist's display option)
    let cases: &[(&str, &str, &[&str])] = &[
        ("utf-8", "1", &[]),                     // inside 你
        ("utf-8", "4", &[]),                     // inside 好
        ("utf-8", "8", &["--encoding", "utf8"]), // inside 世
        ("gbk", "1", &["--encoding", "gbk"]),    // inside 你
        ("gbk", "1", &[]),                       // auto: C4 could start UTF-8
        ("gbk", "3", &[]),                       // auto, inside 好
        ("gbk", "5", &["--encoding", "gbk"]),    // inside 世
    ];
    // All cases at once: each pauses between its two writes.
    let mut runs: Vec<(String, Proc, Proc, String)> = cases
        .iter()
        .map(|&(wire, split, display)| {
            let (server, remote) = peer_server(
                "greeting_server.py",
                &[
                    "--text",
                    text,
                    "--encoding",
                    wire,
                    "--split",
                    split,
                    "--pause",
                    "0.2",
                ],
            );
            let mut args = vec!["tcp-client", "--connect", &remote];
            args.extend_from_slice(display);
            let na = netassist(&args);
            let case = format!("{wire} split after {split} bytes, display {display:?}");
            (case, server, na, remote)
        })
        .collect();
    for (case, server, na, remote) in &mut runs {
        na.expect_success();
        peer_done(server);
        let recs = records(na);
        assert!(
            recs.iter().all(|(_, t)| !t.contains('\u{FFFD}')),
            "{case}: a record shows a broken character: {recs:?}"
        );
        assert_eq!(text_from(na, remote), text, "{case}: {recs:?}");
    }
}

#[test]
fn raw_output_is_exactly_the_received_bytes() {
    let text = "你好世界\r\n";
    let (mut server, remote) = peer_server(
        "greeting_server.py",
        &["--text", text, "--split", "4", "--pause", "0.1"],
    );
    let mut na = netassist(&["tcp-client", "--connect", &remote, "--raw"]);
    na.expect_success();
    peer_done(&mut server);
    assert_eq!(na.out.bytes(), text.as_bytes(), "{}", na.describe());
}

#[test]
fn hex_display_shows_every_byte() {
    let (mut server, remote) = peer_server("greeting_server.py", &["--text", "Hi你\n"]);
    let mut na = netassist(&["tcp-client", "--connect", &remote, "--hex"]);
    na.expect_success();
    peer_done(&mut server);
    assert_eq!(
        complete_lines(&na.out.bytes()),
        vec![format!("[RX {remote}] 48 69 E4 BD A0 0A")]
    );
}

// ---------------------------------------------------------------------------
// Tutorials 001/003: GBK "thank you !" server and GBK client
// ---------------------------------------------------------------------------

#[test]
fn netassist_client_sends_gbk_to_tutorial_gbk_server() {
    let (mut server, remote) = peer_server("gbk_server.py", &[]);
    let mut na = netassist(&[
        "tcp-client",
        "--connect",
        &remote,
        "--send-encoding",
        "gbk",
        "--send",
        "你好，服务器",
    ]);
    peer_done(&mut server);
    assert_eq!(peer_rx_all(&server), GBK_NIHAO_SERVER);
    server.out_line("'TEXT 你好，服务器'", |l| l == "TEXT 你好，服务器");

    na.expect_success();
    assert_eq!(text_from(&na, &remote), "thank you !");
    assert_stderr_line(&na, &format!("closed by peer: {remote}"));
}

/// A client that sends a little at a time, with pauses, as a person typing
/// over a slow link does: every piece must show (GBK characters cut between
/// pieces included), and so must the client's close. Each pause lets the
/// server's socket go quiet, so a poll loop that stops re-arming readiness
/// after a read shows only the first pieces.
#[test]
fn netassist_server_shows_gbk_sent_in_small_pieces() {
    let (na, port) = tcp_server(&["--encoding", "gbk"]);
    let text = "中文测试:网络调试";
    let mut client = peer(
        "gbk_client.py",
        &[
            "127.0.0.1",
            &port.to_string(),
            "--text",
            text,
            "--piece",
            "3",
            "--pause",
            "0.05",
            "--expect",
            "0",
        ],
    );
    let local = peer_local(&client);
    peer_done(&mut client);
    wait_text_from(&na, &local, text);
    na.err_line("'closed by peer: <addr>'", |l| {
        l == format!("closed by peer: {local}")
    });
}

#[test]
fn netassist_server_shows_gbk_and_answers_in_gbk() {
    // 谢谢 in GBK is also valid UTF-8, so the display must be told: gbk.
    assert_eq!(std::str::from_utf8(GBK_XIEXIE), Ok("лл"));
    let (mut na, port) = tcp_server(&[
        "--encoding",
        "gbk",
        "--send-encoding",
        "gbk",
        "--newline",
        "none",
    ]);
    let expect = GBK_BUKEQI.len().to_string();
    let mut client = peer(
        "gbk_client.py",
        &[
            "127.0.0.1",
            &port.to_string(),
            "--text",
            "谢谢",
            "--expect",
            &expect,
        ],
    );
    let local = peer_local(&client);
    wait_text_from(&na, &local, "谢谢");
    na.type_line("不客气");
    peer_done(&mut client);
    assert_eq!(peer_rx_all(&client), GBK_BUKEQI);
    client.out_line("'TEXT 不客气'", |l| l == "TEXT 不客气");
    na.err_line("'closed by peer'", |l| {
        l == format!("closed by peer: {local}")
    });
}

#[test]
fn auto_display_recognises_gbk_that_is_not_utf8() {
    let (na, port) = tcp_server(&["--send", "thank you !"]);
    let mut client = peer(
        "gbk_client.py",
        &[
            "127.0.0.1",
            &port.to_string(),
            "--text",
            "你好",
            "--expect",
            "11",
        ],
    );
    let local = peer_local(&client);
    peer_done(&mut client);
    wait_text_from(&na, &local, "你好");
    assert_eq!(peer_rx_all(&client), b"thank you !");
}

// ---------------------------------------------------------------------------
// Tutorial 002: echo-upper server and client
// ---------------------------------------------------------------------------

#[test]
fn netassist_client_sees_upper_cased_echo() {
    let (mut server, remote) = peer_server("echo_upper_server.py", &[]);
    let mut na = netassist(&[
        "tcp-client",
        "--connect",
        &remote,
        "--send",
        "hello egon 哈哈哈",
    ]);
    wait_text_from(&na, &remote, "HELLO EGON 哈哈哈");
    // A stdin line goes out with the default line end (LF).
    na.type_line("again");
    wait_text_from(&na, &remote, "HELLO EGON 哈哈哈AGAIN");
    wait_peer_rx_all(&server, "hello egon 哈哈哈again\n".as_bytes());
    // End of stdin closes nothing: the link stays up.
    na.close_stdin();
    thread::sleep(Duration::from_millis(150));
    assert!(na.is_running(), "{}", na.describe());
    na.kill();
    server.out_line("'CLOSED'", |l| l.starts_with("CLOSED "));
    peer_done(&mut server);
}

#[test]
fn netassist_server_answers_tutorial_echo_client() {
    let (mut na, port) = tcp_server(&["--newline", "none"]);
    // Typed before anyone connects: reported, and not kept for later.
    na.type_line("early");
    na.err_line("'error: no client is connected...'", |l| {
        l.starts_with("error: no client is connected")
    });
    let mut client = peer("echo_upper_client.py", &["127.0.0.1", &port.to_string()]);
    let local = peer_local(&client);
    wait_text_from(&na, &local, "hello egon 哈哈哈");
    // No line end unless asked: the reply is exactly the typed text.
    na.type_line("HELLO EGON 哈哈哈");
    peer_done(&mut client);
    assert_eq!(peer_rx_all(&client), "HELLO EGON 哈哈哈".as_bytes());
    na.err_line("'closed by peer'", |l| {
        l == format!("closed by peer: {local}")
    });
}

#[test]
fn escapes_and_crlf_are_sent_exactly() {
    let (mut server, remote) = peer_server("echo_upper_server.py", &[]);
    let mut na = netassist(&[
        "tcp-client",
        "--connect",
        &remote,
        "--escapes",
        "--newline",
        "crlf",
        "--hex",
        "--send",
        r"a\tb\x41\\\xFF\0",
    ]);
    // --send gets no line end; \xFF and \0 are raw bytes; the echo shows as hex.
    na.out_line("the upper-cased --send echo", |l| {
        l == format!("[RX {remote}] 41 09 42 41 5C FF 00")
    });
    na.type_line(r"tab\there\x21");
    na.out_line("the upper-cased stdin echo", |l| {
        l == format!("[RX {remote}] 54 41 42 09 48 45 52 45 21 0D 0A")
    });
    wait_peer_rx_all(&server, b"a\tbA\\\xFF\0tab\there!\r\n");
    na.kill();
    peer_done(&mut server);
}

// ---------------------------------------------------------------------------
// Tutorial 004: name conversation, and several clients at once
// ---------------------------------------------------------------------------

#[test]
fn netassist_client_holds_name_conversation() {
    let (server, remote) = peer_server("name_server.py", &[]);
    let mut na = netassist(&[
        "tcp-client",
        "--connect",
        &remote,
        "--raw",
        "--newline",
        "none",
    ]);

    let mut expected = b"Welcome!\nWhat's your name?".to_vec();
    na.out_until("the welcome and question", |b| b == expected.as_slice());
    na.type_line("Bob");
    expected.extend_from_slice(b"Hello Bob!\nWhat's your name?");
    na.out_until("the answer to Bob", |b| b == expected.as_slice());
    na.type_line("exit");
    expected.extend_from_slice(b"Good bye!\n");
    // The server closes after "Good bye!": netassist exits 0.
    na.expect_success();
    assert_eq!(na.out.bytes(), expected);

    let rx: Vec<Vec<u8>> = peer_rx(&server).into_iter().map(|(b, _)| b).collect();
    assert_eq!(rx, vec![b"Bob".to_vec(), b"exit".to_vec()]);
    assert_stderr_line(&na, &format!("closed by peer: {remote}"));
}

#[test]
fn netassist_server_serves_three_clients_at_once() {
    let (mut na, port) = tcp_server(&["--send", r"Welcome!\n", "--escapes", "--echo"]);
    let port = port.to_string();
    let names = ["alice", "bob", "张三"];
    // Each client waits for the greeting plus the broadcast below before it
    // sends anything, so all three are connected at the same time.
    let welcome = "Welcome!\nhi all\n";
    let welcome_len = welcome.len().to_string();
    let mut clients: Vec<Proc> = names
        .iter()
        .map(|name| {
            peer(
                "name_client.py",
                &["127.0.0.1", &port, name, "exit", "--welcome", &welcome_len],
            )
        })
        .collect();
    let locals: Vec<String> = clients.iter().map(peer_local).collect();
    for local in &locals {
        na.err_line("'client connected: <addr>'", |l| {
            l == format!("client connected: {local}")
        });
    }
    na.type_line("hi all"); // to every client

    for ((client, local), name) in clients.iter_mut().zip(&locals).zip(names) {
        peer_done(client);
        assert_eq!(
            peer_rx_all(client),
            format!("{welcome}{name}exit").as_bytes(),
            "{}",
            client.describe()
        );
        wait_text_from(&na, local, &format!("{name}exit"));
        na.err_line("'closed by peer'", |l| {
            l == format!("closed by peer: {local}")
        });
    }
    let connects = na
        .err
        .text()
        .lines()
        .filter(|l| l.starts_with("client connected: "))
        .count();
    assert_eq!(connects, 3, "{}", na.describe());
}

// ---------------------------------------------------------------------------
// UDP (tutorials 001 and 002), both directions
// ---------------------------------------------------------------------------

#[test]
fn netassist_udp_sends_gbk_to_tutorial_receiver() {
    let mut receiver = peer("udp_receiver.py", &["127.0.0.1", "0"]);
    let to = format!("127.0.0.1:{}", peer_port(&receiver));
    let (_na, port) = udp(&["--to", &to, "--send-encoding", "gbk", "--send", "你好"]);
    peer_done(&mut receiver);
    let rx = peer_rx(&receiver);
    assert_eq!(
        rx,
        vec![(GBK_NIHAO.to_vec(), Some(format!("127.0.0.1:{port}")))]
    );
    receiver.out_line("'TEXT 你好'", |l| l == "TEXT 你好");
}

#[test]
fn netassist_udp_replies_to_last_sender() {
    // No --to: a stdin line goes back to whoever sent last.
    let (mut na, port) = udp(&["--send-encoding", "gbk", "--newline", "none"]);
    // Typed before anyone has sent: there is nobody to answer yet.
    na.type_line("early");
    na.err_line("'error: no remote address...'", |l| {
        l.starts_with("error: no remote address")
    });
    let mut client = peer(
        "udp_send_recv.py",
        &["127.0.0.1", &port.to_string(), "--text", "hello 你好"],
    );
    let local = peer_local(&client);
    wait_text_from(&na, &local, "hello 你好");
    na.type_line("收到");
    peer_done(&mut client);
    assert_eq!(
        peer_rx(&client),
        vec![(GBK_SHOUDAO.to_vec(), Some(format!("127.0.0.1:{port}")))]
    );
    client.out_line("'TEXT 收到'", |l| l == "TEXT 收到");
}

#[test]
fn netassist_udp_talks_to_upper_echo_server() {
    let mut server = peer("udp_upper_server.py", &["127.0.0.1", "0"]);
    let to = format!("127.0.0.1:{}", peer_port(&server));
    let (na, port) = udp(&["--to", &to, "--send", "hello egon 哈哈哈"]);
    wait_text_from(&na, &to, "HELLO EGON 哈哈哈");
    peer_done(&mut server);
    assert_eq!(
        peer_rx(&server),
        vec![(
            "hello egon 哈哈哈".as_bytes().to_vec(),
            Some(format!("127.0.0.1:{port}"))
        )]
    );
}

#[test]
fn netassist_udp_echo_returns_each_datagram() {
    let (na, port) = udp(&["--echo"]);
    let mut client = peer(
        "udp_send_recv.py",
        &[
            "127.0.0.1",
            &port.to_string(),
            "--text",
            "ping 你好",
            "--decode",
            "utf-8",
        ],
    );
    let local = peer_local(&client);
    peer_done(&mut client);
    assert_eq!(
        peer_rx(&client),
        vec![(
            "ping 你好".as_bytes().to_vec(),
            Some(format!("127.0.0.1:{port}"))
        )]
    );
    wait_text_from(&na, &local, "ping 你好");
}

// ---------------------------------------------------------------------------
// Ending a run: --exit-after-bytes and --timeout
// ---------------------------------------------------------------------------

#[test]
fn exit_after_bytes_counts_all_received_bytes() {
    let (mut na, port) = udp(&["--exit-after-bytes", "6"]);
    let mut sender = peer("udp_sender.py", &["127.0.0.1", &port.to_string()]);
    let local = peer_local(&sender);
    sender.type_line("abc");
    wait_text_from(&na, &local, "abc");
    thread::sleep(Duration::from_millis(200));
    assert!(
        na.is_running(),
        "exited after 3 of 6 bytes\n{}",
        na.describe()
    );
    sender.type_line("def");
    na.expect_success();
    assert_eq!(text_from(&na, &local), "abcdef");
    sender.close_stdin();
    peer_done(&mut sender);
}

#[test]
fn timeout_ends_the_run_with_success() {
    let start = Instant::now();
    let mut server = netassist(&["tcp-server", "--bind", "127.0.0.1:0", "--timeout", "0.5"]);
    let mut udp = netassist(&["udp", "--bind", "127.0.0.1:0", "--timeout", "0.5"]);
    server.expect_success();
    udp.expect_success();
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(450),
        "exited after {elapsed:?}, before the 0.5 s timeout"
    );
    assert!(server.err.text().starts_with("listening on 127.0.0.1:"));
    assert!(udp.err.text().starts_with("bound to 127.0.0.1:"));
}

// ---------------------------------------------------------------------------
// Restart on the same port, and resets
// ---------------------------------------------------------------------------

/// Tutorial 002's "address already in use" after a restart: the server's side
/// of a connection it closed first stays in TIME_WAIT, and netassist must
/// still reopen the port at once.
#[test]
fn server_restarts_on_the_same_port_at_once() {
    let (mut first, port) = tcp_server(&[]);
    let addr = format!("127.0.0.1:{port}");
    let mut client = TcpStream::connect(&addr).expect("connect");
    client.set_read_timeout(Some(WAIT)).unwrap();
    client.write_all(b"hi").unwrap();
    wait_text_from(&first, &client.local_addr().unwrap().to_string(), "hi");

    // Kill the server first (its side closes first and lingers in
    // TIME_WAIT), then let the client see the close and close too.
    first.kill();
    let mut rest = Vec::new();
    let _ = client.read_to_end(&mut rest);
    drop(client);

    let mut second = netassist(&["tcp-server", "--bind", &addr, "--send", "again"]);
    second.err_line("'listening on <same port>'", |l| {
        l == format!("listening on {addr}")
    });
    let mut client = TcpStream::connect(&addr).expect("connect to the restarted server");
    client.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = [0u8; 5];
    client.read_exact(&mut buf).expect("greeting");
    assert_eq!(&buf, b"again");
    assert!(second.is_running(), "{}", second.describe());
}

#[test]
fn peer_reset_is_reported_and_server_goes_on() {
    if wine::skip_under_wine(
        "peer_reset_is_reported_and_server_goes_on",
        wine::RST_LOOKS_LIKE_FIN,
    ) {
        return;
    }
    let (mut na, port) = tcp_server(&[]);
    let mut client = peer(
        "reset_client.py",
        &["127.0.0.1", &port.to_string(), "--text", "bye"],
    );
    let local = peer_local(&client);
    wait_text_from(&na, &local, "bye");
    client.type_line("go");
    peer_done(&mut client);
    na.err_line("'reset by peer: <addr>'", |l| {
        l == format!("reset by peer: {local}")
    });
    assert!(na.is_running(), "{}", na.describe());

    // Still serving: a new client gets through.
    let mut after = peer(
        "greeting_client.py",
        &["127.0.0.1", &port.to_string(), "--expect", "3"],
    );
    let second = peer_local(&after);
    na.err_line("'client connected'", |l| {
        l == format!("client connected: {second}")
    });
    na.type_line("ok");
    peer_done(&mut after);
    assert_eq!(peer_rx_all(&after), b"ok\n");
}

/// The chosen local port must be free when netassist binds it, and no
/// socket can be handed to another process: so a port is picked by binding
/// port 0 and releasing it, and when another test takes it in between
/// ("already in use"), the run is tried again with a fresh port.
#[test]
fn netassist_client_connects_from_the_chosen_local_port() {
    let (mut server, remote) = peer_server("gbk_server.py", &[]);
    for attempt in 1..=5 {
        let local_port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let local = format!("127.0.0.1:{local_port}");
        let mut na = netassist(&[
            "tcp-client",
            "--connect",
            &remote,
            "--bind",
            &local,
            "--send",
            "hi",
        ]);
        let connected = format!("connected to {remote} from {local}");
        let line = na.err_line("'connected to ... from <chosen port>' or an error", |l| {
            l == connected || l.starts_with("error:")
        });
        if line.contains("already in use") && attempt < 5 {
            // Another test took the port after it was released: try again.
            na.wait_exit();
            continue;
        }
        assert_eq!(line, connected, "{}", na.describe());
        peer_done(&mut server);
        server.out_line("'CONNECTED <chosen port>'", |l| {
            l == format!("CONNECTED {local}")
        });
        assert_eq!(peer_rx_all(&server), b"hi");
        na.expect_success();
        return;
    }
}

// ---------------------------------------------------------------------------
// IPv6 loopback
// ---------------------------------------------------------------------------

#[test]
fn ipv6_loopback_tcp_and_udp() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("note: no IPv6 loopback (::1) on this machine; IPv6 checks skipped");
        return;
    }
    // TCP: netassist serves a tutorial client over ::1.
    let na = netassist(&["tcp-server", "--bind", "[::1]:0", "--echo"]);
    let line = na.err_line("'listening on [::1]:PORT'", |l| {
        l.starts_with("listening on [::1]:")
    });
    let port = port_of(&line).to_string();
    let mut client = peer("echo_upper_client.py", &["::1", &port]);
    let local = peer_local(&client);
    assert!(local.starts_with("[::1]:"), "{local}");
    peer_done(&mut client);
    assert_eq!(peer_rx_all(&client), "hello egon 哈哈哈".as_bytes());
    na.err_line("'client connected: [::1]:...'", |l| {
        l == format!("client connected: {local}")
    });
    wait_text_from(&na, &local, "hello egon 哈哈哈");

    // UDP: netassist sends to a tutorial receiver over ::1.
    let mut receiver = peer("udp_receiver.py", &["::1", "0", "--decode", "utf-8"]);
    let to = format!("[::1]:{}", peer_port(&receiver));
    let udp = netassist(&["udp", "--bind", "[::1]:0", "--to", &to, "--send", "你好"]);
    let line = udp.err_line("'bound to [::1]:PORT'", |l| {
        l.starts_with("bound to [::1]:")
    });
    peer_done(&mut receiver);
    assert_eq!(
        peer_rx(&receiver),
        vec![(
            "你好".as_bytes().to_vec(),
            Some(format!("[::1]:{}", port_of(&line)))
        )]
    );
}

// ---------------------------------------------------------------------------
// Half-close: a side that has finished sending still gets its answer
// ---------------------------------------------------------------------------

/// A client that sends, shuts down its write side (SHUT_WR) and waits for
/// the echo: netassist answers, then finishes too, and says what happened.
#[test]
fn echo_answers_a_client_that_finished_sending() {
    let (na, port) = tcp_server(&["--echo"]);
    let mut client = peer(
        "half_close_client.py",
        &["127.0.0.1", &port.to_string(), "--text", "ping 你好"],
    );
    let local = peer_local(&client);
    peer_done(&mut client);
    assert_eq!(peer_rx_all(&client), "ping 你好".as_bytes());
    wait_text_from(&na, &local, "ping 你好");
    na.err_line("'closed by peer: <addr>'", |l| {
        l == format!("closed by peer: {local}")
    });
    let status: Vec<String> = na
        .err
        .text()
        .lines()
        .filter(|l| l.ends_with(&local))
        .map(str::to_string)
        .collect();
    assert_eq!(
        status,
        vec![
            format!("client connected: {local}"),
            format!("peer finished sending: {local}"),
            format!("closed by peer: {local}"),
        ],
        "{}",
        na.describe()
    );
}

/// A server that greets, finishes sending, and then reads what the client
/// says until it finishes: `tcp-client --echo` answers, finishes, exits 0.
#[test]
fn client_answers_a_server_that_finished_sending_and_exits_0() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let remote = listener.local_addr().unwrap().to_string();
    let mut na = netassist(&["tcp-client", "--connect", &remote, "--echo"]);
    let (mut server, _) = listener.accept().expect("accept");
    server.set_read_timeout(Some(WAIT)).unwrap();
    server.write_all("你好 hello".as_bytes()).unwrap();
    server.shutdown(std::net::Shutdown::Write).unwrap();
    let mut answer = Vec::new();
    server
        .read_to_end(&mut answer)
        .expect("the client finishes in order (FIN)");
    assert_eq!(answer, "你好 hello".as_bytes());
    na.expect_success();
    assert_stderr_line(&na, &format!("peer finished sending: {remote}"));
    assert_stderr_line(&na, &format!("closed by peer: {remote}"));
}

// ---------------------------------------------------------------------------
// Timed sends: --every and --count
// ---------------------------------------------------------------------------

#[test]
fn every_and_count_send_on_the_clock_then_exit_0() {
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    sink.set_read_timeout(Some(WAIT)).unwrap();
    let to = sink.local_addr().unwrap().to_string();
    let start = Instant::now();
    let mut na = netassist(&[
        "udp",
        "--bind",
        "127.0.0.1:0",
        "--to",
        &to,
        "--send",
        "tick",
        "--every",
        "20",
        "--count",
        "5",
    ]);
    let mut buf = [0u8; 64];
    for k in 0..5 {
        let (n, _) = sink.recv_from(&mut buf).expect("a tick");
        assert_eq!(&buf[..n], b"tick", "datagram {k}");
    }
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(80),
        "five sends 20 ms apart took {elapsed:?}"
    );
    na.expect_success();
    // Every datagram netassist sent is in the sink by now: exactly five.
    sink.set_nonblocking(true).unwrap();
    assert!(
        sink.recv_from(&mut buf).is_err(),
        "a sixth datagram arrived"
    );
}

#[test]
fn count_alone_sends_that_many_times_and_exits_once_written() {
    for (count, expected) in [
        ("1", b"\x01\x02\xff".to_vec()),
        ("3", b"\x01\x02\xff".repeat(3)),
    ] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let remote = listener.local_addr().unwrap().to_string();
        let mut na = netassist(&[
            "tcp-client",
            "--connect",
            &remote,
            "--send-hex",
            "01 02 FF",
            "--count",
            count,
        ]);
        let (mut server, _) = listener.accept().expect("accept");
        server.set_read_timeout(Some(WAIT)).unwrap();
        let mut got = Vec::new();
        server
            .read_to_end(&mut got)
            .expect("netassist closes after its last send");
        assert_eq!(got, expected, "--count {count}");
        na.expect_success();
    }
}

#[test]
fn tcp_server_repeats_to_every_client_connected_at_each_send() {
    let (mut na, port) = tcp_server(&["--send", "hi", "--every", "100", "--count", "4"]);
    let mut a = TcpStream::connect(("127.0.0.1", port)).expect("connect a");
    a.set_read_timeout(Some(WAIT)).unwrap();
    let mut first = [0u8; 2];
    a.read_exact(&mut first).expect("the first send");
    assert_eq!(&first, b"hi");
    let mut b = TcpStream::connect(("127.0.0.1", port)).expect("connect b");
    b.set_read_timeout(Some(WAIT)).unwrap();
    na.expect_success();
    let mut rest_a = Vec::new();
    a.read_to_end(&mut rest_a).expect("a's end of stream");
    assert_eq!(rest_a, b"hihihi", "a was there for all four sends");
    let mut got_b = Vec::new();
    b.read_to_end(&mut got_b).expect("b's end of stream");
    let sends_b = got_b.len() / 2;
    assert!(
        got_b == b"hi".repeat(sends_b) && (1..=3).contains(&sends_b),
        "b joined after the first send: {got_b:?}"
    );
}

// ---------------------------------------------------------------------------
// Multicast and broadcast, in a private network namespace
// ---------------------------------------------------------------------------

#[cfg(target_os = "linux")]
use crate::netns;

#[cfg(target_os = "linux")]
#[test]
fn cli_multicast_and_broadcast_in_a_private_network_namespace() {
    if wine::skip_under_wine(
        "cli_multicast_and_broadcast_in_a_private_network_namespace",
        wine::INTERFACES_OUTSIDE_NETNS,
    ) {
        return;
    }
    netns::run_inner(module_path!(), "inner_cli_multicast_and_broadcast");
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "runs only inside the namespace its outer test makes"]
fn inner_cli_multicast_and_broadcast() {
    use netns::{ADDR_V4, BROADCAST_V4};
    use std::net::{Ipv4Addr, SocketAddr, UdpSocket};

    netns::enter();
    let group = Ipv4Addr::new(239, 1, 2, 3);
    // Receiving: --join GROUP@IFACE.
    let na = netassist(&["udp", "--bind", "0.0.0.0:0", "--join", "239.1.2.3@na0"]);
    let port = port_of(&na.err_line("'bound to 0.0.0.0:PORT'", |l| {
        l.starts_with("bound to 0.0.0.0:")
    }));
    na.err_line("'joined 239.1.2.3@na0'", |l| l == "joined 239.1.2.3@na0");
    let tx = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    tx.bind(&SocketAddr::new(ADDR_V4.into(), 0).into()).unwrap();
    tx.set_multicast_if_v4(&ADDR_V4).unwrap();
    tx.send_to(b"hello group", &SocketAddr::new(group.into(), port).into())
        .unwrap();
    let from = tx.local_addr().unwrap().as_socket().unwrap().to_string();
    wait_text_from(&na, &from, "hello group");

    // Sending: --to GROUP with --ttl and --multicast-if.
    let raw = netns::RawUdp::open();
    let member = UdpSocket::bind("0.0.0.0:0").unwrap();
    member.set_read_timeout(Some(WAIT)).unwrap();
    socket2::SockRef::from(&member)
        .join_multicast_v4(&group, &ADDR_V4)
        .unwrap();
    let member_port = member.local_addr().unwrap().port();
    let mut sender = netassist(&[
        "udp",
        "--bind",
        "0.0.0.0:0",
        "--to",
        &format!("{group}:{member_port}"),
        "--multicast-if",
        "na0",
        "--ttl",
        "9",
        "--send",
        "hi group",
        "--count",
        "1",
    ]);
    sender.expect_success();
    let mut buf = [0u8; 64];
    let (n, _) = member.recv_from(&mut buf).expect("the multicast send");
    assert_eq!(&buf[..n], b"hi group");
    assert_eq!(raw.ttl_to_port(member_port), 9);

    // Broadcast.
    let listener = UdpSocket::bind("0.0.0.0:0").unwrap();
    listener.set_read_timeout(Some(WAIT)).unwrap();
    let to = format!("{BROADCAST_V4}:{}", listener.local_addr().unwrap().port());
    let mut bc = netassist(&[
        "udp",
        "--bind",
        "0.0.0.0:0",
        "--to",
        &to,
        "--send",
        "to all",
        "--count",
        "1",
    ]);
    bc.expect_success();
    let (n, _) = listener.recv_from(&mut buf).expect("the broadcast");
    assert_eq!(&buf[..n], b"to all");

    // A group that cannot be joined is a runtime failure: exit 1, saying why.
    let mut bad = netassist(&["udp", "--bind", "0.0.0.0:0", "--join", "239.1.1.1@nosuch0"]);
    let status = bad.wait_exit();
    assert_eq!(status.code(), Some(1), "{}", bad.describe());
    assert!(
        bad.err.text().contains("no network interface 'nosuch0'"),
        "{}",
        bad.describe()
    );
}

// ---------------------------------------------------------------------------
// Copy as Python: each generated program against a live session
// ---------------------------------------------------------------------------

/// The generated program for `role`.
fn snippet_code(session: &PythonSession, role: SnippetRole) -> String {
    python_snippets(session, CommentLanguage::English)
        .expect("a snippet for this session")
        .into_iter()
        .find(|s| s.role == role)
        .expect("the snippet asked for")
        .code
}

/// Starts the `role` program of a `mode` session whose remote is a port
/// chosen here (bound and released first, as no socket can be handed to
/// the program). When another test took the port meanwhile the program
/// exits without "waiting on", and it is tried again with a new port.
fn run_bound_python(
    mode: Mode,
    role: SnippetRole,
    (send, display): (TextEncoding, DisplayEncoding),
    name: &str,
) -> (Proc, u16) {
    for _ in 0..5 {
        let port = if mode == Mode::Udp {
            std::net::UdpSocket::bind("127.0.0.1:0").and_then(|s| s.local_addr())
        } else {
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr())
        }
        .expect("a free port")
        .port();
        let remote = Some(format!("127.0.0.1:{port}"));
        let session = python_session(mode, "127.0.0.1:7788".into(), remote, send, display);
        let py = run_python(&snippet_code(&session, role), name);
        let waiting = py.out.wait_for(|b| {
            complete_lines(b)
                .iter()
                .any(|l| l.starts_with("waiting on"))
                .then_some(())
        });
        if waiting.is_some() {
            return (py, port);
        }
    }
    panic!("{name} could not bind a port in five tries");
}

fn python_session(
    mode: Mode,
    local: String,
    remote: Option<String>,
    send: TextEncoding,
    display: DisplayEncoding,
) -> PythonSession {
    PythonSession {
        mode,
        local: local.parse().expect("local address"),
        remote: remote.map(|r| {
            let (host, port) = r.rsplit_once(':').expect("host:port");
            HostPort::new(host, port.parse().expect("port")).expect("remote")
        }),
        send_encoding: send,
        display_encoding: display,
        tls: None,
        ws_path: None,
    }
}

/// TCP server session (GBK both ways): the client program connects, sends
/// what is typed into it as GBK, and prints NetAssist's GBK reply.
#[test]
fn python_client_talks_to_tcp_server_session() {
    let (mut na, port) = tcp_server(&["--encoding", "gbk", "--send-encoding", "gbk"]);
    let session = python_session(
        Mode::TcpServer,
        format!("0.0.0.0:{port}"),
        None,
        TextEncoding::Gbk,
        DisplayEncoding::Gbk,
    );
    let code = snippet_code(&session, SnippetRole::TcpClient);
    let mut py = run_python(&code, "tcp_client.py");
    let line = na.err_line("'client connected: ...'", |l| {
        l.starts_with("client connected: ")
    });
    let client = line["client connected: ".len()..].to_string();
    py.type_line("你好 NetAssist");
    wait_text_from(&na, &client, "你好 NetAssist");
    na.type_line("谢谢");
    py.out_line("'NetAssist: 谢谢'", |l| l.ends_with("NetAssist: 谢谢"));
    py.type_line("quit");
    py.expect_success();
    na.err_line("'closed by peer: <client>'", |l| {
        l == format!("closed by peer: {client}")
    });
}

/// TCP client session (sends GBK, shows UTF-8): the server program prints
/// what NetAssist sent and answers it in upper case, in UTF-8.
#[test]
fn python_server_talks_to_tcp_client_session() {
    let (mut py, port) = run_bound_python(
        Mode::TcpClient,
        SnippetRole::TcpServer,
        (TextEncoding::Gbk, DisplayEncoding::Utf8),
        "tcp_server.py",
    );
    let remote = format!("127.0.0.1:{port}");
    let mut na = netassist(&[
        "tcp-client",
        "--connect",
        &remote,
        "--send-encoding",
        "gbk",
        "--encoding",
        "utf8",
    ]);
    na.err_line("'connected to ...'", |l| l.starts_with("connected to "));
    na.type_line("hello 你好");
    py.out_line("'NetAssist: hello 你好'", |l| {
        l == "NetAssist: hello 你好"
    });
    wait_text_from(&na, &remote, "HELLO 你好");
    // NetAssist closes; the program sees b'' and ends.
    na.kill();
    py.expect_success();
}

/// UDP session (sends GBK, shows Auto): the receiver prints NetAssist's
/// GBK datagram, and NetAssist shows the sender's UTF-8 text.
#[test]
fn python_sender_and_receiver_talk_to_udp_session() {
    let (receiver, recv_port) = run_bound_python(
        Mode::Udp,
        SnippetRole::UdpReceiver,
        (TextEncoding::Gbk, DisplayEncoding::Auto),
        "udp_receiver.py",
    );
    let to = format!("127.0.0.1:{recv_port}");
    let (mut na, port) = udp(&["--to", &to, "--send-encoding", "gbk"]);
    let session = python_session(
        Mode::Udp,
        format!("127.0.0.1:{port}"),
        Some(to),
        TextEncoding::Gbk,
        DisplayEncoding::Auto,
    );
    na.type_line("你好");
    let from = format!("('127.0.0.1', {port}) 你好");
    receiver.out_line("'(netassist) 你好'", |l| l == from);

    let mut sender = run_python(
        &snippet_code(&session, SnippetRole::UdpSender),
        "udp_sender.py",
    );
    sender.type_line("hello 世界");
    na.out_line("'[RX ...] hello 世界'", |l| {
        l.starts_with("[RX 127.0.0.1:") && l.ends_with("] hello 世界")
    });
    sender.type_line("quit");
    sender.expect_success();
}

// ---------------------------------------------------------------------------
// --json, and the encoding hint on the command line
// ---------------------------------------------------------------------------

/// Every row as one JSON object: received GBK text decoded (Auto says it
/// chose GBK), our echo as a sent row, the peer's FIN as an event; and
/// stderr tells once that the peer sends GBK while we send UTF-8.
#[test]
fn json_rows_and_the_encoding_hint() {
    let (na, port) = tcp_server(&["--json", "--echo"]);
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let local = client.local_addr().unwrap().to_string();
    client.write_all(GBK_NIHAO).unwrap();
    let mut echo = [0u8; 4];
    client.read_exact(&mut echo).unwrap();
    assert_eq!(echo, GBK_NIHAO);
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let rx = na.out_line("the received row", |l| l.contains("\"dir\":\"rx\""));
    let tx = na.out_line("the sent row", |l| l.contains("\"dir\":\"tx\""));
    na.out_line("the FIN row", |l| {
        l.contains("\"event\":\"peer finished sending\"")
    });
    for (row, dir) in [(&rx, "rx"), (&tx, "tx")] {
        assert!(row.starts_with("{\"time\":\""), "{row}");
        for part in [
            format!("\"dir\":\"{dir}\""),
            format!("\"peer\":\"{local}\""),
            "\"bytes\":4".to_string(),
            "\"encoding\":\"GBK\"".to_string(),
            "\"text\":\"你好\"".to_string(),
        ] {
            assert!(row.contains(&part), "{part} not in {row}");
        }
    }
    na.err_line("the hint", |l| {
        l == format!("hint: {local} sends GBK, but we send UTF-8: use --send-encoding gbk")
    });
}

/// A TLS client knocking at a plain server: the first bytes are a
/// ClientHello, and stderr says once that TLS should be turned on.
#[test]
// The ring provider is the one NetAssist is built with (no C build);
// rustls marks it deprecated only for lacking post-quantum key exchange.
#[allow(deprecated)]
fn a_tls_handshake_on_a_plain_server_is_told() {
    let (na, port) = tcp_server(&[]);
    // A real ClientHello, made by rustls (no certificate is ever checked:
    // the server never answers in TLS).
    let roots = rustls::RootCertStore::empty();
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let mut hello = Vec::new();
    tls.write_tls(&mut hello).unwrap();
    assert_eq!(hello[0], 0x16, "a handshake record");
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let local = client.local_addr().unwrap().to_string();
    client.write_all(&hello).unwrap();
    na.err_line("the TLS hint", |l| {
        l.starts_with(&format!("hint: {local}: this looks like a TLS handshake"))
    });
}
