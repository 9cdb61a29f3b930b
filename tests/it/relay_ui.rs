//! A relay tab in the window, driven as a person would: TCP Relay picked
//! from the protocol list, the listen port and the target typed, Open
//! clicked; then tutorial-style programs (tests/peers) talk through it and
//! the log shows both directions and each passed-on FIN. The tutorial
//! partner "between your client and your server" sets it up with 1-byte
//! slices, which the server's recv() sees.

use crate::peer_support::{Proc, complete_lines, peer, peer_done, peer_port, peer_rx_all};
use crate::support::*;

use egui_kittest::kittest::Queryable;
use netassist::automation::partner;
use netassist::i18n::{T, fill};

/// Starts a tutorial server peer on a port it picks.
fn server(script: &str) -> (Proc, u16) {
    let p = peer(script, &["127.0.0.1", "0"]);
    let port = peer_port(&p);
    (p, port)
}

/// Points the relay tab at `target` on this machine, listens on a port the
/// system picks, opens, and returns that port.
fn open_relay(h: &mut App, target: u16) -> u16 {
    choose(h, en(T::LocalAddr), "127.0.0.1");
    set_field(h, en(T::ListenPort), "0");
    set_field(h, en(T::TargetHost), "127.0.0.1");
    set_field(h, en(T::TargetPort), &target.to_string());
    click(h, en(T::Open));
    shown_addr(h, T::RelayingOn).port()
}

#[test]
fn a_relay_tab_shows_the_tutorial_004_conversation_both_ways() {
    let (mut srv, target) = server("name_server.py");
    let mut h = app();
    choose(&mut h, en(T::Protocol), en(T::RelayMode));
    let port = open_relay(&mut h, target);
    let mut client = peer(
        "name_chat_client.py",
        &["127.0.0.1", &port.to_string(), "Alice", "exit"],
    );
    peer_done(&mut client);
    let got = String::from_utf8_lossy(&peer_rx_all(&client)).into_owned();
    assert!(got.contains("Hello Alice!"), "{got:?}");
    // Client to server and server to client, each in its own rows.
    step_until(&mut h, "both directions in the log", |h| {
        let rows = log_rows(h);
        let up = rows
            .iter()
            .any(|r| r.contains("C→S") && r.contains("Alice"));
        let down = rows
            .iter()
            .any(|r| r.contains("S→C") && r.contains("Welcome!"));
        (up && down).then_some(())
    });
    // The server ends the conversation: its FIN is passed on, and said so.
    wait_text(&mut h, en(T::EvRelayFinServer));
    wait_text(
        &mut h,
        &fill(
            en(T::EvServerConnected),
            &[&format!("127.0.0.1:{target}"), &""],
        ),
    );
    // The status bar counts each way under its own name.
    assert!(has_text(&h, &format!("{} ", en(T::FaultsUp))));
    srv.kill();
    close_link(&mut h);
}

#[test]
fn the_relay_partner_slices_into_1_byte_pieces_that_the_server_reads_one_by_one() {
    let p = partner("004-relay").expect("the relay partner");
    let mut h = app();
    click(&mut h, en(T::PartnerMenu));
    click(&mut h, p.title_en);
    wait_text(&mut h, p.about_en);
    assert_eq!(
        h.get_by_label(en(T::Protocol)).value().as_deref(),
        Some(en(T::RelayMode))
    );
    assert_eq!(
        h.get_by_label(en(T::FaultSlice)).value().as_deref(),
        Some("1")
    );
    let (mut srv, target) = server("recv_sizes_server.py");
    let port = open_relay(&mut h, target);
    let text = "hi there";
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
    // The relay wrote 1-byte pieces 10 ms apart; a server descheduled for
    // longer (a loaded machine) finds two of them waiting at once, so the
    // check is that recv() saw the stream in pieces, mostly single bytes.
    crate::peer_support::assert_pieces(&sizes, text.len());
    assert_eq!(peer_rx_all(&client), b"got 8 bytes");
    wait_text(&mut h, "sliced into");
    wait_text(&mut h, en(T::EvRelayFinClient));
    close_link(&mut h);
}

#[test]
fn a_bad_fault_value_is_told_next_to_the_faults_and_nothing_opens() {
    let mut h = app();
    choose(&mut h, en(T::Protocol), en(T::RelayMode));
    set_field(&mut h, en(T::FaultRate), "fast");
    set_field(&mut h, en(T::TargetPort), "9");
    click(&mut h, en(T::Open));
    wait_text(&mut h, &fill(en(T::ErrFaultNumber), &[&"fast"]));
    assert!(has_text(&h, en(T::Open)), "nothing opened");
}

#[test]
fn a_relay_tab_speaking_tls_to_the_server_shows_the_conversation_in_clear() {
    use crate::tls::{TempDir, pki};
    let dir = TempDir::new("ui-relay-upstream");
    let pki = pki(&dir);
    let path = |p: &std::path::Path| p.to_str().expect("a UTF-8 path").to_string();
    let server = peer(
        "tls_peer.py",
        &[
            "server",
            "127.0.0.1",
            "0",
            "--cert",
            &path(&pki.server_cert),
            "--key",
            &path(&pki.server_key),
        ],
    );
    let target = peer_port(&server);
    let mut h = app();
    choose(&mut h, en(T::Protocol), en(T::RelayMode));
    click(&mut h, en(T::TlsHeader));
    click(&mut h, en(T::TlsRelayUpstream));
    set_field(&mut h, en(T::TlsCa), &path(&pki.ca));
    let port = open_relay(&mut h, target);
    let mut client = peer(
        "half_close_client.py",
        &["127.0.0.1", &port.to_string(), "--text", "secret"],
    );
    peer_done(&mut client);
    assert_eq!(peer_rx_all(&client), b"got 6 bytes");
    wait_text(&mut h, "TLS handshake done");
    step_until(&mut h, "both directions in clear", |h| {
        let rows = log_rows(h);
        let up = rows
            .iter()
            .any(|r| r.contains("C→S") && r.contains("secret"));
        let down = rows
            .iter()
            .any(|r| r.contains("S→C") && r.contains("got 6 bytes"));
        (up && down).then_some(())
    });
    close_link(&mut h);
}

#[test]
fn a_rule_typed_in_a_relay_tab_rewrites_one_way_and_the_log_shows_both_forms() {
    let (mut srv, target) = server("name_server.py");
    let mut h = app();
    choose(&mut h, en(T::Protocol), en(T::RelayMode));
    // The rule is typed while the relay runs: it applies from then on.
    let port = open_relay(&mut h, target);
    click(&mut h, en(T::AutomationBtn));
    click(&mut h, en(T::TabRules));
    wait_text(&mut h, en(T::RelayRulesNote));
    click(&mut h, en(T::AddRule));
    set_field(&mut h, en(T::RulePattern), "Alice");
    set_field(&mut h, en(T::RuleReplaceWith), "Bob");
    choose(&mut h, en(T::RuleWay), en(T::RuleWayUp));
    // A relay rule neither waits nor closes: those fields are not offered.
    assert!(!has_text(&h, en(T::RuleClose)));
    h.run();
    let mut client = peer(
        "name_chat_client.py",
        &["127.0.0.1", &port.to_string(), "Alice", "exit"],
    );
    peer_done(&mut client);
    let got = String::from_utf8_lossy(&peer_rx_all(&client)).into_owned();
    assert!(got.contains("Hello Bob!"), "the server read Bob: {got:?}");
    // The row as read, then the rewrite with what went on.
    step_until(&mut h, "the name as read", |h| {
        log_rows(h)
            .iter()
            .any(|r| r.contains("C→S") && r.contains("Alice"))
            .then_some(())
    });
    wait_text(
        &mut h,
        "C→S: rewritten by rule 1 (1 replaced, 5 → 3 bytes): \"Bob\"",
    );
    wait_text(&mut h, &fill(en(T::RuleHits), &[&1]));
    srv.kill();
}
