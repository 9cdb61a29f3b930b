//! The window as a teacher, driven like a person would: finishing sending
//! (FIN) on a client and per client of a server, the four endings of a
//! connection as their own rows, and every event and error row explaining
//! itself on hover and when clicked.

use crate::support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

use egui_kittest::kittest::{NodeT, Queryable};
use netassist::i18n::{Lang, T, fill};
use support::*;

/// The log row (a label) whose text contains `needle`, clicked.
fn click_row(h: &mut App, needle: &str) {
    wait_text(h, needle);
    h.get_by(|n| {
        n.role() == egui::accesskit::Role::Label && n.value().is_some_and(|v| v.contains(needle))
    })
    .click();
    h.run();
}

/// The start of an explanation line (lines wrap to the log's width).
fn line_start(prefix: &str, key: T) -> String {
    format!("{prefix}{}", key.get(Lang::En))
        .chars()
        .take(40)
        .collect()
}

/// Clicking the row shows `why` and `fix` below it; clicking it again
/// folds them.
fn explained_row(h: &mut App, needle: &str, why: T, fix: T) {
    click_row(h, needle);
    wait_text(h, &line_start("Why: ", why));
    wait_text(h, &line_start("What to do: ", fix));
    click_row(h, needle);
    let gone = line_start("What to do: ", fix);
    step_until(h, "the explanation folded", |h| {
        find_text(h, &gone).is_none().then_some(())
    });
}

/// Reads until EOF (within [`WAIT`]), returning what came first.
fn read_to_eof(s: &mut TcpStream) -> Vec<u8> {
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).expect("EOF within the wait");
    got
}

#[test]
fn a_client_finishes_sending_and_still_receives() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let mut h = app();
    connect_tab(&mut h, port);
    let mut peer = accept(&server);
    send(&mut h, "last words");
    click(&mut h, en(T::FinishSending));
    // Everything queued goes first, then the FIN: the peer's read ends.
    assert_eq!(read_to_eof(&mut peer), b"last words");
    wait_text(&mut h, en(T::EvWeFinished));
    wait_text(&mut h, en(T::ClientWeFinished));
    assert!(
        h.get_by_label(en(T::FinishSending))
            .accesskit_node()
            .is_disabled(),
        "finished once: the button is greyed"
    );
    // Half-closed: the peer still talks to us, and we still show it.
    peer.write_all(b"still here").unwrap();
    wait_text(&mut h, "still here");
    // Sending now says why not, with the explanation.
    send(&mut h, "more");
    let addr = format!("127.0.0.1:{port}");
    wait_text(&mut h, &fill(en(T::NetSendingFinished), &[&addr]));
    // The peer finishes too: an orderly close, as its own row.
    peer.shutdown(Shutdown::Write).unwrap();
    wait_text(&mut h, en(T::EvClosedByPeer));
    explained_row(
        &mut h,
        en(T::EvWeFinished),
        T::ExWeFinishedWhy,
        T::ExWeFinishedFix,
    );
}

#[test]
fn a_server_finishes_one_client_and_keeps_the_other() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut a = connect_client(&mut h, port);
    let mut b = connect_client(&mut h, port);
    // Tick A in the client list and finish sending to it.
    click(&mut h, &a.local_addr().unwrap().to_string());
    click(&mut h, en(T::FinishSelected));
    assert_eq!(read_to_eof(&mut a), b"");
    wait_text(&mut h, en(T::ClientWeFin));
    click(&mut h, en(T::AllClients));
    // B still gets what we send; A's connection still carries A's data.
    send(&mut h, "to b");
    expect_bytes(&mut b, b"to b");
    a.write_all(b"from a").unwrap();
    wait_text(&mut h, "from a");
    // A finishes too: it leaves the list, B stays.
    a.shutdown(Shutdown::Write).unwrap();
    wait_text(&mut h, en(T::EvClosedByPeer));
    wait_text(&mut h, en(T::OneClient));
}

#[test]
fn the_four_endings_are_rows_that_explain_themselves() {
    let mut h = app();
    let port = open_server(&mut h);

    // 1. The peer finishes sending: recv() returned b'' on our side.
    let mut finisher = connect_client(&mut h, port);
    finisher.write_all(b"ping").unwrap();
    finisher.shutdown(Shutdown::Write).unwrap();
    wait_text(&mut h, en(T::EvPeerFinished));
    // NetAssist finishes too (the default policy), and says so: an
    // orderly close.
    assert_eq!(read_to_eof(&mut finisher), b"");
    wait_text(&mut h, en(T::EvWeFinished));
    wait_text(&mut h, en(T::EvClosedByPeer));

    // 2. A reset: the peer closes with SO_LINGER 0.
    let resetter = connect_client(&mut h, port);
    socket2::SockRef::from(&resetter)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(resetter);
    wait_text(&mut h, en(T::EvReset));

    // 3. Closed by us.
    let dropped = connect_client(&mut h, port);
    click(&mut h, &dropped.local_addr().unwrap().to_string());
    click(&mut h, en(T::DisconnectSelected));
    wait_text(&mut h, en(T::EvDisconnected));

    // Hovering an event row explains it.
    let reset_row = wait_text(&mut h, en(T::EvReset));
    h.get_by_value(&reset_row).hover();
    let why: String = T::ExResetWhy.get(Lang::En).chars().take(30).collect();
    step_until(&mut h, "the tooltip", |h| find_text(h, &why).map(|_| ()));
    // Clicking each one shows its explanation below it.
    click_row(&mut h, en(T::EvPeerFinished));
    wait_text(&mut h, "b''");
    click_row(&mut h, en(T::EvPeerFinished));
    explained_row(
        &mut h,
        en(T::EvPeerFinished),
        T::ExPeerFinishedWhy,
        T::ExPeerFinishedFix,
    );
    explained_row(
        &mut h,
        en(T::EvClosedByPeer),
        T::ExClosedByPeerWhy,
        T::ExClosedByPeerFix,
    );
    explained_row(&mut h, en(T::EvReset), T::ExResetWhy, T::ExResetFix);
    explained_row(
        &mut h,
        en(T::EvDisconnected),
        T::ExDisconnectedWhy,
        T::ExDisconnectedFix,
    );
    // In Chinese too.
    click(&mut h, "中文");
    click_row(&mut h, T::EvReset.get(Lang::Zh));
    let zh: String = T::ExResetWhy.get(Lang::Zh).chars().take(8).collect();
    wait_text(&mut h, &format!("为什么：{zh}"));
}

#[test]
fn error_rows_explain_refused_and_address_in_use() {
    // Refused: nothing listens there.
    let (_held, refused) = reserved_port();
    let mut h = app();
    connect_tab(&mut h, refused);
    let msg = fill(en(T::NetRefused), &[&format!("127.0.0.1:{refused}")]);
    // The log row, not the status bar.
    let row = fill(en(T::EvError), &[&msg]);
    explained_row(&mut h, &row, T::ExRefusedWhy, T::ExRefusedFix);

    // Address in use: another socket listens on the port.
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().port();
    choose(&mut h, en(T::Protocol), en(T::TcpServer));
    set_field(&mut h, en(T::LocalPort), &taken.to_string());
    click(&mut h, en(T::Open));
    let msg = fill(en(T::NetAddrInUse), &[&format!("127.0.0.1:{taken}")]);
    let row = fill(en(T::EvError), &[&msg]);
    click_row(&mut h, &row);
    wait_text(&mut h, "TIME_WAIT");
    wait_text(&mut h, "SO_REUSEADDR");
    click_row(&mut h, &row);
    explained_row(&mut h, &row, T::ExAddrInUseWhy, T::ExAddrInUseFix);
}

#[test]
fn a_character_the_send_encoding_lacks_is_explained_at_the_send_box() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut peer = connect_client(&mut h, port);
    choose(&mut h, en(T::TxEncoding), "GBK");
    send(&mut h, "hi ő");
    wait_text(&mut h, &fill(en(T::ErrGbk), &[&4, &"ő"]));
    wait_text(&mut h, T::ExUnmappableFix.get(Lang::En));
    assert_quiet(&mut peer);
}

#[test]
fn delta_and_round_trip_columns() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut peer = connect_client(&mut h, port);
    click(&mut h, en(T::ShowDelta));
    click(&mut h, en(T::ShowRtt));
    send(&mut h, "ping");
    expect_bytes(&mut peer, b"ping");
    peer.write_all(b"pong").unwrap();
    let pong = step_until(&mut h, "the answer", |h| {
        log_rows(h).into_iter().find(|r| r.ends_with(" pong"))
    });
    // `HH:MM:SS.mmm +Δt RTT t RX …`: the answer says how long it took.
    let rtt = pong.split("RTT ").nth(1).expect("an RTT column");
    let took = rtt.split_whitespace().next().unwrap();
    assert!(
        ["us", "ms", "s"].iter().any(|u| took.ends_with(u)),
        "{pong}"
    );
    assert!(
        pong[13..].trim_start().starts_with('+'),
        "Δt after the time: {pong}"
    );
    // Only the first answer after a send ends its round trip.
    peer.write_all(b"more").unwrap();
    let more = step_until(&mut h, "the second answer", |h| {
        log_rows(h).into_iter().find(|r| r.ends_with(" more"))
    });
    assert!(!more.contains("RTT "), "{more}");
    let ping = log_rows(&h)
        .into_iter()
        .find(|r| r.contains(" TX ") && r.ends_with(" ping"))
        .expect("the TX row");
    assert!(!ping.contains("RTT "), "a send has no RTT: {ping}");
    assert!(ping[13..].trim_start().starts_with('+'), "{ping}");
}

#[test]
fn a_peer_in_the_other_encoding_is_told_once_with_the_fix() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut gbk_peer = connect_client(&mut h, port);
    gbk_peer.write_all(&gbk("你好")).unwrap();
    let hint = fill(en(T::EvEncodingHint), &[&"GBK", &"UTF-8", &"GBK"]);
    wait_text(&mut h, &hint);
    gbk_peer.write_all(&gbk("再见")).unwrap();
    wait_text(&mut h, "再见");
    let told = log_rows(&h).iter().filter(|r| r.contains(&hint)).count();
    assert_eq!(told, 1, "once for that peer: {:?}", log_rows(&h));
    explained_row(&mut h, &hint, T::ExEncodingHintWhy, T::ExEncodingHintFix);
    // The other way round: sending GBK to a UTF-8 peer.
    choose(&mut h, en(T::TxEncoding), "GBK");
    let mut utf8_peer = connect_client(&mut h, port);
    utf8_peer.write_all("你好".as_bytes()).unwrap();
    wait_text(
        &mut h,
        &fill(en(T::EvEncodingHint), &[&"UTF-8", &"GBK", &"UTF-8"]),
    );
}
