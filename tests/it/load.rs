//! `netassist load`: many clients against a server, from the command line.
//! The servers are Python peers with a thread per client (tutorial 004's
//! way) and, for the larger run, NetAssist's own TCP server. Each run is
//! read from its `--json` summary; speed is a bench's business
//! (benches/load.rs), so these only check counts, kinds and fields.

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::Value;

use crate::peer_support::{netassist, peer_server, tcp_server};

/// The tutorial 004 conversation as a sequence: wait for the question,
/// give a name and wait for the greeting and the next question (so nothing
/// of this answer is left to be taken for the next one's first byte), say
/// exit and wait for the goodbye.
const CHAT: &str = r#"
[[sequence]]
name = "chat"

[[sequence.step]]
send = { text = "" }
wait_for = "contains"
pattern = "name?"
timeout_ms = 5000

[[sequence.step]]
send = { text = "Alice" }
wait_for = "contains"
pattern = "Hello Alice!\nWhat's your name?"
timeout_ms = 5000

[[sequence.step]]
send = { text = "exit" }
wait_for = "contains"
pattern = "Good bye"
timeout_ms = 5000
"#;

fn presets_file(name: &str, text: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("netassist-load-{}-{name}.toml", std::process::id()));
    std::fs::write(&path, text).expect("write the presets");
    path
}

/// Runs `netassist load ARGS --json` to its end (exit 0) and gives the
/// summary and the process's stderr.
fn run_json(args: &[&str]) -> (Value, String) {
    let mut all = vec!["load"];
    all.extend_from_slice(args);
    all.push("--json");
    let mut na = netassist(&all);
    na.expect_success();
    let out = na.out.text();
    let line = out.lines().last().unwrap_or_default();
    let v: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{}", na.describe()));
    (v, na.err.text())
}

fn failures(v: &Value, kind: &str) -> u64 {
    v["failures"][kind]
        .as_u64()
        .unwrap_or_else(|| panic!("no failures.{kind} in {v}"))
}

#[test]
fn a_sequence_against_a_thread_per_client_server() {
    let (_server, remote) = peer_server("name_server.py", &["--deadline", "30"]);
    let presets = presets_file("chat", CHAT);
    let presets = presets.to_string_lossy().into_owned();
    let url = format!("tcp://{remote}");
    let (v, err) = run_json(&[
        &url,
        "--connections",
        "40",
        "--rate",
        "400",
        "--presets",
        &presets,
        "--sequence",
        "chat",
    ]);
    let _ = std::fs::remove_file(&presets);
    assert_eq!(v["connected"], 40, "{v}");
    assert_eq!(v["done"], 40, "{v}");
    assert_eq!(v["failed"], 0, "{v}");
    assert_eq!(v["end"], "completed");
    for kind in [
        "refused",
        "reset",
        "connect_timed_out",
        "reply_timed_out",
        "closed_early",
        "reply_mismatch",
    ] {
        assert_eq!(failures(&v, kind), 0, "{kind}: {v}");
    }
    // Two sends a client (the first step only waits), each answered.
    assert_eq!(v["messages"]["sent"], 80, "{v}");
    assert_eq!(v["messages"]["received"], 80, "{v}");
    // "Alice" and "exit" go out whole.
    assert_eq!(v["sent_bytes"], 40 * 9, "{v}");
    let received = v["received_bytes"].as_u64().unwrap();
    let per_client = "Welcome!\nWhat's your name?Hello Alice!\nWhat's your name?Good bye!\n".len();
    assert_eq!(received, 40 * per_client as u64, "{v}");
    let l = &v["latency_ms"];
    assert_eq!(l["count"], 80, "{v}");
    for p in ["p50", "p90", "p99", "p999", "max"] {
        assert!(l[p].as_f64().is_some_and(|x| x > 0.0), "latency {p}: {v}");
    }
    assert!(l["p50"].as_f64() <= l["p99"].as_f64() && l["p99"].as_f64() <= l["max"].as_f64());
    // The live figures: a line a second on stderr.
    assert!(err.contains("open ") && err.contains("p50 "), "{err}");
    assert!(err.contains("load test of tcp://"), "{err}");
}

#[test]
fn a_refused_port_counts_every_client_as_refused() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("tcp://127.0.0.1:{port}");
    let (v, err) = run_json(&[
        &url,
        "--connections",
        "12",
        "--send",
        "hi",
        "--expect",
        "hi",
    ]);
    assert_eq!(v["connected"], 0, "{v}");
    assert_eq!(v["failed"], 12, "{v}");
    assert_eq!(failures(&v, "refused"), 12, "{v}");
    assert!(err.contains("connection refused"), "{err}");
    assert!(err.contains("what to do: Start the server first"), "{err}");
}

#[test]
fn a_server_that_resets_answers_else_or_closes_early() {
    let skip_reset = crate::wine::skip_under_wine(
        "a_server_that_resets_answers_else_or_closes_early, its reset case",
        crate::wine::RST_LOOKS_LIKE_FIN,
    );
    for (mode, kind) in [
        ("reset", "reset"),
        ("other", "reply_mismatch"),
        ("close", "closed_early"),
    ] {
        if mode == "reset" && skip_reset {
            continue;
        }
        let (_server, remote) = peer_server("load_server.py", &[mode, "--deadline", "30"]);
        let url = format!("tcp://{remote}");
        let (v, _) = run_json(&[
            &url,
            "--connections",
            "15",
            "--rate",
            "500",
            "--send",
            "hello",
            "--expect",
            "HELLO",
            "--reply-timeout",
            "3000",
        ]);
        assert_eq!(v["failed"], 15, "{mode}: {v}");
        assert_eq!(failures(&v, kind), 15, "{mode}: {v}");
        assert_eq!(v["done"], 0, "{mode}: {v}");
    }
    // And the same server, echoing, passes.
    let (_server, remote) = peer_server("load_server.py", &["echo", "--deadline", "30"]);
    let url = format!("tcp://{remote}");
    let (v, _) = run_json(&[
        &url,
        "--connections",
        "15",
        "--send",
        "hello",
        "--expect",
        "HELLO",
        "--rounds",
        "3",
    ]);
    assert_eq!(v["done"], 15, "{v}");
    assert_eq!(v["messages"]["sent"], 45, "{v}");
    assert_eq!(v["latency_ms"]["count"], 45, "{v}");
}

#[test]
fn max_failures_stops_the_run_with_exit_1() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("tcp://127.0.0.1:{port}");
    let mut na = netassist(&[
        "load",
        &url,
        "--connections",
        "500",
        "--rate",
        "200",
        "--max-failures",
        "3",
        "--json",
    ]);
    let status = na.wait_exit();
    assert_eq!(status.code(), Some(1), "{}", na.describe());
    let v: Value = serde_json::from_str(na.out.text().trim()).unwrap();
    assert_eq!(v["end"], "max_failures", "{v}");
    assert!(v["failed"].as_u64().unwrap() < 100, "{v}");
}

#[test]
fn two_thousand_clients_from_several_source_addresses() {
    let (server, port) = tcp_server(&["--echo"]);
    let url = format!("tcp://127.0.0.1:{port}");
    let (v, err) = run_json(&[
        &url,
        "--connections",
        "2000",
        "--rate",
        "5000",
        "--per-source",
        "500",
        "--send",
        "ping",
        "--expect",
        "ping",
    ]);
    assert_eq!(v["connected"], 2000, "{v}");
    assert_eq!(v["done"], 2000, "{v}");
    assert_eq!(v["failed"], 0, "{v}");
    // Source addresses are spread on Linux only: netassist.exe (under
    // wine) connects all 2,000 from 127.0.0.1.
    if cfg!(target_os = "linux") && !crate::wine::under_wine() {
        let sources: Vec<&str> = v["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(
            sources,
            ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]
        );
        assert!(
            err.contains("spread over 4 source addresses (127.0.0.2 to 127.0.0.5)"),
            "{err}"
        );
        // The server saw them come from each.
        let seen: HashSet<String> = server
            .err
            .text()
            .lines()
            .filter_map(|l| l.strip_prefix("client connected: "))
            .filter_map(|a| a.rsplit_once(':').map(|(ip, _)| ip.to_string()))
            .collect();
        assert_eq!(seen.len(), 4, "{seen:?}");
    }
}

#[test]
fn udp_clients_each_get_their_reply() {
    let (_server, remote) = peer_server("udp_upper_server.py", &["--count", "10"]);
    let url = format!("udp://{remote}");
    let (v, _) = run_json(&[
        &url,
        "--connections",
        "10",
        "--send",
        "abc",
        "--expect",
        "ABC",
    ]);
    assert_eq!(v["done"], 10, "{v}");
    assert_eq!(v["latency_ms"]["count"], 10, "{v}");
}

#[test]
fn too_many_do_not_fit() {
    let (_server, port) = tcp_server(&[]);
    let url = format!("tcp://127.0.0.1:{port}");
    let mut na = netassist(&["load", &url, "--connections", "1000000"]);
    assert_eq!(na.wait_exit().code(), Some(1));
    let err = na.err.text();
    if crate::wine::under_wine() {
        // Windows has no open-file limit to check; its ports run out first.
        assert!(
            err.contains("need as many local ports") && err.contains("16384"),
            "{err}"
        );
    } else {
        assert!(
            err.contains("do not fit") && err.contains("ulimit -Hn"),
            "{err}"
        );
    }
}

/// `netassist ws-server ARGS` on a port the system picks, and its port.
fn ws_server(extra: &[&str]) -> (crate::peer_support::Proc, u16) {
    let mut args = vec!["ws-server", "--bind", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let na = netassist(&args);
    let line = na.err_line("'WebSocket server listening on …'", |l| {
        l.starts_with("WebSocket server listening on ")
    });
    (na, crate::peer_support::port_of(&line))
}

#[test]
fn websocket_clients_talk_in_messages_and_a_wrong_path_is_refused() {
    let (_server, port) = ws_server(&["--path", "/chat", "--echo"]);
    let url = format!("ws://127.0.0.1:{port}/chat");
    let (v, _) = run_json(&[
        &url,
        "--connections",
        "20",
        "--rounds",
        "3",
        "--send",
        "hello 你好",
        "--expect",
        "你好",
    ]);
    assert_eq!(v["connected"], 20, "{v}");
    assert_eq!(v["done"], 20, "{v}");
    assert_eq!(v["failed"], 0, "{v}");
    assert_eq!(v["latency_ms"]["count"], 60, "{v}");
    // The server serves /chat only: every upgrade is refused, and said so.
    let wrong = format!("ws://127.0.0.1:{port}/other");
    let (v, err) = run_json(&[&wrong, "--connections", "5", "--send", "x"]);
    assert_eq!(v["failed"], 5, "{v}");
    assert_eq!(failures(&v, "other"), 5, "{v}");
    assert!(
        err.contains("WebSocket upgrade refused") && err.contains("404"),
        "{err}"
    );
}

#[test]
fn tls_clients_check_the_certificate_or_fail_as_tls() {
    use crate::tls::{TempDir, pki};
    let dir = TempDir::new("load");
    let pki = pki(&dir);
    let (cert, key, ca) = (
        pki.server_cert.to_string_lossy().into_owned(),
        pki.server_key.to_string_lossy().into_owned(),
        pki.ca.to_string_lossy().into_owned(),
    );
    let (_server, port) = tcp_server(&["--tls", "--cert", &cert, "--key", &key, "--echo"]);
    let url = format!("tls://127.0.0.1:{port}");
    let (v, _) = run_json(&[
        &url,
        "--connections",
        "20",
        "--send",
        "secret",
        "--expect",
        "secret",
        "--ca",
        &ca,
    ]);
    assert_eq!(v["done"], 20, "{v}");
    assert_eq!(v["latency_ms"]["count"], 20, "{v}");
    // Checked against another CA, the certificate is not trusted.
    let other = TempDir::new("load-other");
    let other_ca = crate::tls::pki(&other).ca.to_string_lossy().into_owned();
    let (v, err) = run_json(&[&url, "--connections", "5", "--send", "x", "--ca", &other_ca]);
    assert_eq!(failures(&v, "tls"), 5, "{v}");
    assert!(err.contains("TLS failed"), "{err}");
}

#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_stops_a_timed_run_and_still_prints_its_summary() {
    if crate::wine::skip_under_wine(
        "ctrl_c_stops_a_timed_run_and_still_prints_its_summary",
        "the test's SIGINT reaches wine, which does not hand it to a program without a console as Ctrl+C",
    ) {
        return;
    }
    let (_server, port) = tcp_server(&["--echo"]);
    let url = format!("tcp://127.0.0.1:{port}");
    let mut na = netassist(&[
        "load",
        &url,
        "--connections",
        "50",
        "--duration",
        "60",
        "--send",
        "x",
        "--every",
        "200",
        "--json",
    ]);
    na.err_line("a line of figures", |l| l.starts_with("[   1s] open 50"));
    let pid = na.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    na.expect_success();
    let v: Value = serde_json::from_str(na.out.text().trim()).unwrap();
    assert_eq!(v["end"], "stopped", "{v}");
    assert_eq!(v["connected"], 50, "{v}");
    assert!(v["elapsed_s"].as_f64().unwrap() < 30.0, "{v}");
}

#[test]
fn a_preset_is_each_round_s_payload() {
    let presets = presets_file("preset", "[[preset]]\nname = \"hi\"\ntext = \"hello\"\n");
    let presets = presets.to_string_lossy().into_owned();
    let (_server, remote) = peer_server("load_server.py", &["echo", "--deadline", "30"]);
    let url = format!("tcp://{remote}");
    let (v, _) = run_json(&[
        &url,
        "--connections",
        "10",
        "--presets",
        &presets,
        "--preset",
        "hi",
        "--expect",
        "HELLO",
        "--rounds",
        "2",
    ]);
    let _ = std::fs::remove_file(&presets);
    assert_eq!(v["done"], 10, "{v}");
    assert_eq!(v["sent_bytes"], 10 * 2 * 5, "{v}");
    let mut na = netassist(&[
        "load",
        &url,
        "--connections",
        "1",
        "--presets",
        "/nonexistent.toml",
    ]);
    assert_eq!(na.wait_exit().code(), Some(2), "{}", na.describe());
}

#[test]
fn wss_clients_go_through_tls_and_the_upgrade() {
    if crate::wine::skip_under_wine(
        "wss_clients_go_through_tls_and_the_upgrade",
        "the self-signed certificate is kept in wine's own configuration folder",
    ) {
        return;
    }
    let dir = crate::tls::TempDir::new("load-wss");
    let mut cmd = std::process::Command::new(crate::wine::netassist_bin());
    cmd.args(["ws-server", "--bind", "127.0.0.1:0", "--tls", "--echo"])
        .env("XDG_CONFIG_HOME", dir.path("config"));
    let server = crate::peer_support::Proc::spawn("netassist ws-server --tls", cmd);
    let line = server.err_line("listening", |l| {
        l.starts_with("WebSocket server listening on ")
    });
    let port = crate::peer_support::port_of(&line);
    let url = format!("wss://localhost:{port}/");
    let (v, _) = run_json(&[
        &url,
        "--insecure",
        "--connections",
        "10",
        "--rounds",
        "2",
        "--send",
        "秘密",
        "--expect",
        "秘密",
    ]);
    assert_eq!(v["done"], 10, "{v}");
    assert_eq!(v["failed"], 0, "{v}");
    assert_eq!(v["latency_ms"]["count"], 20, "{v}");
    // Without --insecure the self-signed certificate is refused as TLS.
    let (v, _) = run_json(&[&url, "--connections", "3", "--send", "x"]);
    assert_eq!(failures(&v, "tls"), 3, "{v}");
}
