//! A load tab in the window: Load test picked from the protocol list, the
//! target and the script typed, Start clicked; the figures, the failures
//! (each explained) and the samples in the log show as the run goes and
//! when it ends. The servers are Python peers with a thread per client.

use crate::peer_support::{Proc, peer, peer_port};
use crate::support::*;

use netassist::i18n::{T, fill};

fn server(mode: &str) -> (Proc, u16) {
    let p = peer(
        "load_server.py",
        &["127.0.0.1", "0", mode, "--deadline", "30"],
    );
    let port = peer_port(&p);
    (p, port)
}

/// Picks Load test and fills in the target, the clients and the script.
fn set_up(h: &mut App, url: &str, connections: &str, expect: &str) {
    choose(h, en(T::Protocol), en(T::LoadMode));
    set_field(h, en(T::LoadUrl), url);
    set_field(h, en(T::LoadConnections), connections);
    set_field(h, en(T::LoadRate), "500");
    set_field(h, en(T::LoadRounds), "3");
    set_field(h, en(T::LoadSend), "hello");
    set_field(h, en(T::LoadExpect), expect);
    set_field(h, en(T::LoadReplyTimeout), "500");
}

/// Waits for the run to end and the tab to close.
fn wait_ended(h: &mut App) {
    wait_text(h, "ended: ");
    step_until(h, "the run closed", |h| {
        (h.state().tab().link() == netassist::session::LinkState::Closed).then_some(())
    });
    h.run();
}

#[test]
fn a_load_tab_runs_against_a_server_and_shows_the_figures() {
    let (_srv, port) = server("echo");
    let mut h = app();
    set_up(&mut h, &format!("tcp://127.0.0.1:{port}"), "20", "HELLO");
    click(&mut h, en(T::LoadStart));
    wait_ended(&mut h);
    let done = fill(en(T::LoadFigConnValues), &[&0, &"", &20, &20, &20, &0]);
    // "open 0 (peak N), connected 20 of 20, done 20, failed 0"
    let tail = done.split("), ").nth(1).unwrap_or_default().to_string();
    wait_text(&mut h, &tail);
    assert!(has_text(&h, en(T::LoadNoFailures)));
    assert!(has_text(&h, en(T::LoadEndCompleted)));
    let latency = wait_text(&mut h, "p99.9 ");
    assert!(latency.contains("(60 replies)"), "{latency}");
    // The log holds samples: the first exchanges, each with its bytes.
    wait_text(&mut h, "(one of the first exchanges)");
    wait_text(&mut h, "(one of the slowest exchanges)");
    assert!(
        log_rows(&h).iter().any(|r| r.contains("HELLO")),
        "{:?}",
        log_rows(&h)
    );
    assert!(has_text(&h, en(T::LoadCopySummary)));
    assert!(has_text(&h, en(T::LoadSaveCsv)));
    // Idle, the window settles (no repaint every frame).
    h.run();
}

#[test]
fn failures_show_by_kind_with_their_explanation() {
    let (_reserved, port) = reserved_port();
    let mut h = app();
    set_up(&mut h, &format!("tcp://127.0.0.1:{port}"), "7", "HELLO");
    click(&mut h, en(T::LoadStart));
    wait_ended(&mut h);
    wait_text(&mut h, &format!("{} 7", en(T::LoadFailRefused)));
    wait_text(&mut h, en(T::ExLoadRefusedWhy));
    wait_text(&mut h, "client 1 failed: refused");
    // And a server that answers something else.
    let (_srv, port) = server("other");
    set_field(&mut h, en(T::LoadUrl), &format!("tcp://127.0.0.1:{port}"));
    click(&mut h, en(T::LoadStart));
    wait_ended(&mut h);
    wait_text(&mut h, &format!("{} 7", en(T::LoadFailMismatch)));
    wait_text(&mut h, en(T::ExLoadMismatchWhy));
}

#[test]
fn a_websocket_url_that_cannot_be_used_is_told_next_to_the_fields() {
    let mut h = app();
    set_up(&mut h, "ws://", "1", "");
    click(&mut h, en(T::LoadStart));
    wait_text(&mut h, "is not a WebSocket URL that can be used");
    assert!(has_text(&h, en(T::LoadStart)), "nothing started");
}

/// A client of the app's server from `source` (a loopback address).
fn client_from(source: [u8; 4], port: u16) -> socket2::Socket {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&std::net::SocketAddr::from((source, 0)).into())
        .unwrap();
    s.connect(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into())
        .unwrap();
    s
}

#[test]
fn the_client_list_counts_and_filters_by_address() {
    let mut h = app();
    let port = open_server(&mut h);
    let sources: &[[u8; 4]] = if cfg!(target_os = "linux") {
        &[
            [127, 0, 0, 1],
            [127, 0, 0, 3],
            [127, 0, 0, 3],
            [127, 0, 0, 4],
        ]
    } else {
        &[[127, 0, 0, 1]; 4]
    };
    let _clients: Vec<_> = sources.iter().map(|s| client_from(*s, port)).collect();
    wait_text(&mut h, &fill(en(T::ClientCount), &[&4]));
    if cfg!(target_os = "linux") {
        set_field(&mut h, en(T::ClientFilter), "127.0.0.3");
        wait_text(&mut h, &fill(en(T::ClientShown), &[&2, &4]));
        let shown = texts(&h)
            .into_iter()
            .filter(|t| t.starts_with("127.0.0.") && t.contains(':'))
            .count();
        assert_eq!(shown, 2, "{:?}", texts(&h));
        set_field(&mut h, en(T::ClientFilter), "");
        step_until(&mut h, "every client listed again", |h| {
            (!has_text(h, "showing ")).then_some(())
        });
    }
    close_link(&mut h);
}

#[test]
fn stop_ends_a_timed_run_at_once_with_its_figures() {
    let (_srv, port) = server("echo");
    let mut h = app();
    set_up(&mut h, &format!("tcp://127.0.0.1:{port}"), "10", "HELLO");
    set_field(&mut h, en(T::LoadDuration), "60");
    set_field(&mut h, en(T::LoadRounds), "");
    set_field(&mut h, en(T::LoadEvery), "100");
    click(&mut h, en(T::LoadStart));
    // Running: the figures count the clients in.
    wait_text(&mut h, "running for ");
    wait_text(&mut h, "connected 10 of 10");
    click(&mut h, en(T::LoadStop));
    wait_text(&mut h, &format!("ended: {}", en(T::LoadEndStopped)));
    wait_ended(&mut h);
    assert!(has_text(&h, en(T::LoadStart)));
}
