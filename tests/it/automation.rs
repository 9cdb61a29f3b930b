//! The command line's automation against the Python tutorial peers: every
//! tutorial partner against a stand-in of the program it partners, auto-reply
//! rules (`--rules`), sequences (`--presets --sequence`), checksums
//! (`--checksum`), and text output a peer cannot use to drive the terminal.
//!
//! As in peers.rs: loopback only, ports the OS picks, and every wait
//! has a deadline.

use crate::peer_support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use peer_support::*;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Writes `text` to a fresh file in the temp directory; removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(text: &str) -> TempFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "netassist-automation-{}-{}.toml",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, text).expect("write temp file");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs netassist to its end; returns its exit code and stderr.
fn exit_of(args: &[&str]) -> (Option<i32>, String) {
    let mut na = netassist(args);
    na.close_stdin();
    let status = na.wait_exit();
    (status.code(), na.err.text())
}

/// Asserts exit 2 with one stderr line holding every fragment.
fn expect_usage_error(args: &[&str], fragments: &[&str]) {
    let (code, err) = exit_of(args);
    assert_eq!(code, Some(2), "netassist {args:?}\n{err}");
    assert_eq!(err.lines().count(), 1, "one line expected:\n{err}");
    for f in fragments {
        assert!(err.contains(f), "{f:?} not in {err:?}");
    }
}

/// Starts `netassist partner ID --bind 127.0.0.1:0 ARGS`; returns it and
/// its port.
fn partner_bound(id: &str, status: &str, args: &[&str]) -> (Proc, u16) {
    let mut all = vec![id];
    all.extend_from_slice(args);
    bound("partner", status, &all)
}

// ---------------------------------------------------------------------------
// Tutorial partners against stand-ins of the tutorial programs
// ---------------------------------------------------------------------------

#[test]
fn partner_000_greeting_server_greets_the_tutorial_client() {
    let (na, port) = partner_bound("000-greeting-server", "listening on", &[]);
    let greeting = "欢迎连接 NetAssist 服务器!";
    let mut client = peer(
        "greeting_client.py",
        &[
            "127.0.0.1",
            &port.to_string(),
            "--expect",
            &greeting.len().to_string(),
        ],
    );
    let local = peer_local(&client);
    peer_done(&mut client);
    assert_eq!(peer_rx_all(&client), greeting.as_bytes());
    wait_text_from(&na, &local, "你好服务器");
}

#[test]
fn partner_000_greeting_client_replies_to_the_tutorial_server() {
    let (mut server, remote) = peer_server("greeting_server.py", &["--reply", "32"]);
    let mut na = netassist(&["partner", "000-greeting-client", "--connect", &remote]);
    peer_done(&mut server);
    let rx: Vec<Vec<u8>> = peer_rx(&server).into_iter().map(|(b, _)| b).collect();
    assert_eq!(rx, vec!["问候已收到,谢谢服务器!".as_bytes().to_vec()]);
    na.expect_success();
    assert_eq!(text_from(&na, &remote), "你好,客户端,我是服务器");
}

#[test]
fn partner_001_thank_you_server_answers_gbk_and_closes() {
    let (na, port) = partner_bound("001-thank-you-server", "listening on", &[]);
    let mut client = peer(
        "gbk_client.py",
        &["127.0.0.1", &port.to_string(), "--expect", "11"],
    );
    let local = peer_local(&client);
    peer_done(&mut client);
    assert_eq!(peer_rx_all(&client), b"thank you !");
    // The client's GBK text shows decoded, and the link ends (the partner
    // closes it; the client may be quicker to close its side).
    wait_text_from(&na, &local, "你好，服务器");
    na.err_line("the connection's end", |l| {
        ["closed by us", "closed by peer", "connection closed"]
            .iter()
            .any(|end| l == format!("{end}: {local}"))
    });
    assert!(!na.err.text().contains("error"), "{}", na.describe());
}

#[test]
fn partner_001_udp_receivers_show_gbk_and_utf8() {
    for (id, encoding) in [
        ("001-udp-receiver-gbk", "gbk"),
        ("001-udp-receiver-utf8", "utf-8"),
    ] {
        let (na, port) = partner_bound(id, "bound to", &[]);
        let local = udp_send_once(port, "你好 udp", encoding);
        wait_text_from(&na, &local, "你好 udp");
    }
}

#[test]
fn partner_001_udp_send_receive_sends_first_and_shows_the_answer() {
    let mut server = peer("udp_upper_server.py", &["127.0.0.1", "0"]);
    let to = format!("127.0.0.1:{}", peer_port(&server));
    let mut na = netassist(&[
        "partner",
        "001-udp-send-receive",
        "--bind",
        "127.0.0.1:0",
        "--to",
        &to,
        "--exit-after-bytes",
        "12",
    ]);
    peer_done(&mut server);
    let rx = peer_rx(&server);
    assert_eq!(rx.len(), 1, "{}", server.describe());
    assert_eq!(rx[0].0, "hello 你好".as_bytes());
    na.expect_success();
    assert_eq!(text_from(&na, &to), "HELLO 你好");
}

#[test]
fn partner_002_upper_echo_tcp_answers_the_tutorial_client() {
    let (_na, port) = partner_bound("002-upper-echo-tcp", "listening on", &[]);
    let mut client = peer("echo_upper_client.py", &["127.0.0.1", &port.to_string()]);
    peer_done(&mut client);
    assert_eq!(peer_rx_all(&client), "HELLO EGON 哈哈哈".as_bytes());
}

#[test]
fn partner_002_upper_echo_udp_answers_the_sender() {
    let (_na, port) = partner_bound("002-upper-echo-udp", "bound to", &[]);
    let client = udp_send_recv_once(port, "hello egon 哈哈哈");
    let local = peer_local(&client);
    let rx = peer_rx(&client);
    assert_eq!(rx.len(), 1);
    assert_eq!(rx[0].0, "HELLO EGON 哈哈哈".as_bytes());
    assert!(
        rx[0]
            .1
            .as_deref()
            .is_some_and(|from| from.ends_with(&format!(":{port}")))
    );
    assert!(!local.is_empty());
}

#[test]
fn partner_002_hello_client_talks_to_the_tutorial_server() {
    let (mut server, remote) = peer_server("echo_upper_server.py", &[]);
    let text = "hello egon 哈哈哈";
    let mut na = netassist(&[
        "partner",
        "002-hello-client",
        "--connect",
        &remote,
        "--exit-after-bytes",
        &text.len().to_string(),
    ]);
    na.expect_success();
    assert_eq!(text_from(&na, &remote), "HELLO EGON 哈哈哈");
    peer_done(&mut server);
    assert_eq!(peer_rx_all(&server), text.as_bytes());
}

#[test]
fn partner_004_name_server_talks_to_several_clients() {
    let (na, port) = partner_bound("004-name-server", "listening on", &[]);
    let port = port.to_string();
    let mut clients = name_chat_clients(&port);
    for (client, name) in clients.iter_mut().zip(NAME_CHAT_NAMES) {
        let local = peer_local(client);
        peer_done(client);
        let expected =
            format!("Welcome!\nWhat's your name?Hello {name}!\nWhat's your name?Good bye!\n");
        assert_eq!(
            String::from_utf8_lossy(&peer_rx_all(client)),
            expected,
            "{}",
            client.describe()
        );
        assert!(
            peer_support::complete_lines(&client.out.bytes())
                .iter()
                .any(|l| l == "CLOSED"),
            "the partner closes after Good bye\n{}",
            client.describe()
        );
        wait_text_from(&na, &local, &format!("{name}exit"));
    }
}

#[test]
fn partner_list_print_and_errors() {
    let mut list = netassist(&["partner", "--list"]);
    list.expect_success();
    let ids: Vec<String> = peer_support::complete_lines(&list.out.bytes())
        .iter()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert_eq!(ids.len(), 13, "{}", list.describe());
    assert!(ids.iter().any(|id| id == "004-name-server"));

    // --print gives a rules file that --rules takes.
    let mut print = netassist(&["partner", "004-name-server", "--print"]);
    print.expect_success();
    let file = TempFile::new(&print.out.text());
    let (na, port) = tcp_server(&["--rules", file.path()]);
    let mut client = peer(
        "name_chat_client.py",
        &["127.0.0.1", &port.to_string(), "Bob", "exit"],
    );
    peer_done(&mut client);
    assert_eq!(
        String::from_utf8_lossy(&peer_rx_all(&client)),
        "Welcome!\nWhat's your name?Hello Bob!\nWhat's your name?Good bye!\n"
    );
    drop(na);

    expect_usage_error(
        &["partner", "nobody"],
        &["unknown partner \"nobody\"", "--list"],
    );
    expect_usage_error(
        &["partner", "004-name-server", "--connect", "127.0.0.1:1"],
        &["is a TCP server", "--bind"],
    );
    expect_usage_error(
        &["partner", "002-hello-client", "--bind", "127.0.0.1:0"],
        &["is a TCP client", "--connect"],
    );
}

// ---------------------------------------------------------------------------
// --rules
// ---------------------------------------------------------------------------

const RULES: &str = r#"
[[rule]]
when = "regex"
pattern = "^name:(\\w+)"
reply = "Hello {{1}} #{{counter}}\n"

[[rule]]
when = "hex"
pattern = "70 ?? 6E 67"
reply = "50 4F 4E 47"
reply_hex = true
"#;

#[test]
fn rules_answer_tcp_clients_with_groups_and_hex_wildcards() {
    let rules = TempFile::new(RULES);
    let (na, port) = tcp_server(&["--rules", rules.path()]);
    let port = port.to_string();
    let reply = "Hello Bob #1\n";
    let mut first = peer(
        "echo_upper_client.py",
        &[
            "127.0.0.1",
            &port,
            "--text",
            "name:Bob",
            "--expect",
            &reply.len().to_string(),
        ],
    );
    peer_done(&mut first);
    assert_eq!(peer_rx_all(&first), reply.as_bytes());
    // The counter is the rule's, across connections.
    let mut second = peer(
        "echo_upper_client.py",
        &["127.0.0.1", &port, "--text", "name:张三", "--expect", "16"],
    );
    peer_done(&mut second);
    assert_eq!(peer_rx_all(&second), "Hello 张三 #2\n".as_bytes());
    // `??` matches any byte.
    let mut third = peer(
        "echo_upper_client.py",
        &["127.0.0.1", &port, "--text", "xpong", "--expect", "4"],
    );
    peer_done(&mut third);
    assert_eq!(peer_rx_all(&third), b"PONG");
    drop(na);
}

#[test]
fn rules_answer_udp_senders() {
    let rules = TempFile::new(
        "[[rule]]\nwhen = \"contains\"\npattern = \"你好\"\nreply = \"收到 from {{peer}}\"\n",
    );
    let (_na, port) = udp(&["--rules", rules.path()]);
    let mut client = peer(
        "udp_send_recv.py",
        &[
            "127.0.0.1",
            &port.to_string(),
            "--text",
            "你好",
            "--decode",
            "utf-8",
        ],
    );
    let local = peer_local(&client);
    peer_done(&mut client);
    assert_eq!(
        String::from_utf8_lossy(&peer_rx_all(&client)),
        format!("收到 from {local}")
    );
}

#[test]
fn a_bad_rules_file_exits_2_with_line_and_column() {
    let bad_regex = TempFile::new("[[rule]]\nwhen = \"regex\"\npattern = \"a(b\"\nreply = \"x\"\n");
    expect_usage_error(
        &[
            "tcp-server",
            "--bind",
            "127.0.0.1:0",
            "--rules",
            bad_regex.path(),
        ],
        &[&format!(
            "--rules {}: line 3, column 11: rule 1: pattern: invalid regex",
            bad_regex.path()
        )],
    );
    let syntax = TempFile::new("[[rule]]\nwhen = \"any\"\nreply = \"x\n");
    expect_usage_error(
        &["udp", "--bind", "127.0.0.1:0", "--rules", syntax.path()],
        &[&format!("--rules {}: line 3, column ", syntax.path())],
    );
    let unknown = TempFile::new("[[rule]]\nwhen = \"any\"\ndelay = 5\n");
    expect_usage_error(
        &["udp", "--bind", "127.0.0.1:0", "--rules", unknown.path()],
        &["line 3, column 1: ", "delay"],
    );
    expect_usage_error(
        &[
            "udp",
            "--bind",
            "127.0.0.1:0",
            "--rules",
            "/nonexistent/rules.toml",
        ],
        &["--rules /nonexistent/rules.toml: "],
    );
}

// ---------------------------------------------------------------------------
// --presets --sequence
// ---------------------------------------------------------------------------

const SEQUENCES: &str = r#"
[[preset]]
name = "ping"
text = "ping"

[[sequence]]
name = "ask"
repeat = 2

[[sequence.step]]
preset = "ping"
wait_for = "contains"
pattern = "PING"
timeout_ms = 5000

[[sequence.step]]
send = { text = "done" }
wait_ms = 10

[[sequence]]
name = "unanswered"

[[sequence.step]]
preset = "ping"
wait_for = "regex"
pattern = "^never$"
timeout_ms = 300
"#;

/// Runs sequence `name` from `file` over UDP to `to`.
fn udp_sequence(file: &TempFile, to: &str, name: &str) -> Proc {
    netassist(&[
        "udp",
        "--bind",
        "127.0.0.1:0",
        "--to",
        to,
        "--presets",
        file.path(),
        "--sequence",
        name,
    ])
}

#[test]
fn a_sequence_waits_for_each_reply_and_ends_the_run() {
    let file = TempFile::new(SEQUENCES);
    let mut server = peer("udp_upper_server.py", &["127.0.0.1", "0", "--count", "4"]);
    let to = format!("127.0.0.1:{}", peer_port(&server));
    let mut na = udp_sequence(&file, &to, "ask");
    na.expect_success();
    peer_done(&mut server);
    let rx: Vec<Vec<u8>> = peer_rx(&server).into_iter().map(|(b, _)| b).collect();
    assert_eq!(
        rx,
        [&b"ping"[..], b"done", b"ping", b"done"].map(<[u8]>::to_vec)
    );
    assert_stderr_line(&na, "sequence ask: step 2 of 2, round 2 of 2");
    assert_stderr_line(&na, "sequence ask: finished after 2 round(s)");
}

#[test]
fn a_sequence_timeout_fails_naming_the_step() {
    let file = TempFile::new(SEQUENCES);
    let mut receiver = peer("udp_receiver.py", &["127.0.0.1", "0"]);
    let to = format!("127.0.0.1:{}", peer_port(&receiver));
    let mut na = udp_sequence(&file, &to, "unanswered");
    let status = na.wait_exit();
    assert_eq!(status.code(), Some(1), "{}", na.describe());
    assert_stderr_line(
        &na,
        "error: sequence unanswered failed at step 1 of 1, round 1 of 1 (preset \"ping\"): no reply matching regex \"^never$\" within 300 ms",
    );
    peer_done(&mut receiver);
}

#[test]
fn bad_sequence_arguments_exit_2() {
    let file = TempFile::new(SEQUENCES);
    expect_usage_error(
        &[
            "udp",
            "--bind",
            "127.0.0.1:0",
            "--presets",
            file.path(),
            "--sequence",
            "nope",
        ],
        &["no sequence named \"nope\"", "ask, unanswered"],
    );
    expect_usage_error(
        &["udp", "--bind", "127.0.0.1:0", "--sequence", "ask"],
        &["--presets"],
    );
    let bad =
        TempFile::new("[[sequence]]\nname = \"s\"\n[[sequence.step]]\npreset = \"missing\"\n");
    expect_usage_error(
        &[
            "udp",
            "--bind",
            "127.0.0.1:0",
            "--presets",
            bad.path(),
            "--sequence",
            "s",
        ],
        &["line 3, column 1: sequence \"s\": step 1: there is no preset named \"missing\""],
    );
}

// ---------------------------------------------------------------------------
// --checksum
// ---------------------------------------------------------------------------

#[test]
fn checksum_goes_on_send_hex_and_on_stdin_lines() {
    let mut receiver = peer("udp_receiver.py", &["127.0.0.1", "0", "--count", "2"]);
    let to = format!("127.0.0.1:{}", peer_port(&receiver));
    let (mut na, _) = udp(&[
        "--to",
        &to,
        "--send-hex",
        "01 03 00 00 00 01",
        "--checksum",
        "crc16-modbus",
    ]);
    receiver.out_line("the Modbus frame", |l| l.starts_with("RX "));
    // Stdin lines: the line ending, then the checksum over the range.
    let (mut na2, _) = udp(&[
        "--to",
        &to,
        "--checksum",
        "sum8",
        "--checksum-range",
        "0:-1",
    ]);
    na2.type_line("123456789");
    peer_done(&mut receiver);
    let rx: Vec<Vec<u8>> = peer_rx(&receiver).into_iter().map(|(b, _)| b).collect();
    assert_eq!(rx[0], [0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0A]);
    assert_eq!(rx[1], b"123456789\n\xDD");
    na.kill();
    na2.kill();
}

#[test]
fn bad_checksum_arguments_exit_2() {
    expect_usage_error(
        &["udp", "--bind", "127.0.0.1:0", "--checksum", "crc8"],
        &["crc8", "crc16-modbus"],
    );
    expect_usage_error(
        &[
            "udp",
            "--bind",
            "127.0.0.1:0",
            "--checksum",
            "sum8",
            "--checksum-range",
            "x",
        ],
        &["FROM:TO"],
    );
    expect_usage_error(
        &["udp", "--bind", "127.0.0.1:0", "--checksum-range", "1:"],
        &["--checksum"],
    );
    expect_usage_error(
        &[
            "udp",
            "--bind",
            "127.0.0.1:0",
            "--to",
            "127.0.0.1:9",
            "--send",
            "ab",
            "--checksum",
            "sum8",
            "--checksum-range",
            "5:",
        ],
        &["--send: checksum range 5: does not fit a 2-byte frame"],
    );
}

// ---------------------------------------------------------------------------
// Safe terminal output
// ---------------------------------------------------------------------------

/// True for bytes a terminal acts on: C0 controls but tab and line feed,
/// DEL, and the UTF-8 form of C1 controls (C2 80..C2 9F).
fn has_terminal_controls(out: &[u8]) -> bool {
    out.iter()
        .any(|&b| (b < 0x20 && b != b'\t' && b != b'\n') || b == 0x7F)
        || out
            .windows(2)
            .any(|w| w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1]))
}

#[test]
fn every_byte_value_prints_safely_and_raw_stays_exact() {
    for display in ["auto", "utf8", "gbk"] {
        let (mut server, remote) = peer_server("bytes_server.py", &[]);
        let mut na = netassist(&["tcp-client", "--connect", &remote, "--encoding", display]);
        na.expect_success();
        peer_done(&mut server);
        let out = na.out.bytes();
        assert!(
            !has_terminal_controls(&out),
            "{display}: {:?}",
            String::from_utf8_lossy(&out)
        );
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.contains("\\x1b"),
            "{display}: ESC shown escaped: {text:?}"
        );
        assert!(
            text.contains("\\x00") && text.contains("\\x7f"),
            "{display}: {text:?}"
        );
    }
    let (mut server, remote) = peer_server("bytes_server.py", &[]);
    let mut raw = netassist(&["tcp-client", "--connect", &remote, "--raw"]);
    raw.expect_success();
    peer_done(&mut server);
    assert_eq!(raw.out.bytes(), (0..=255u8).collect::<Vec<u8>>());
}

#[test]
fn escape_sequences_and_c1_controls_are_shown_not_obeyed() {
    // ESC [2J (clear screen), OSC title, a UTF-8 C1 CSI, a lone CR.
    let hex = "1b5b324a 1b5d303b7469746c6507 c29b33316d 6869 0d 6f6b 0a";
    let (mut server, remote) = peer_server("bytes_server.py", &["--hex", &hex.replace(' ', "")]);
    let mut na = netassist(&["tcp-client", "--connect", &remote]);
    na.expect_success();
    peer_done(&mut server);
    assert_eq!(
        text_from(&na, &remote),
        r"\x1b[2J\x1b]0;title\x07\u{9b}31mhi\x0dok"
    );
}
