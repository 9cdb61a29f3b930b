//! The window driven like a person would: `egui_kittest` clicks and types into
//! the real `NetAssistApp` (bundled CJK font installed, so a glyph no font
//! has fails the test), while plain `std::net` sockets on loopback play the
//! other end of every connection.

use crate::support;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use netassist::i18n::{Lang, T, fill};
use netassist::records::Entry;
use netassist::session::LinkState;
use support::*;

// ---------------------------------------------------------------------------

#[test]
fn tcp_server_receives_utf8_and_gbk_and_shows_hex() {
    let mut h = app();
    assert_eq!(
        h.get_by_label(en(T::Protocol)).value().as_deref(),
        Some(en(T::TcpServer))
    );
    set_field(&mut h, en(T::LocalPort), "0");
    click(&mut h, en(T::Open));
    let port = shown_addr(&mut h, T::ListeningOn).port();
    assert!(matches!(h.state().tab().link(), LinkState::Open(..)));
    assert!(
        h.query_by_label(en(T::CloseBtn)).is_some(),
        "Open became Close"
    );

    let mut peer = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let me = peer.local_addr().unwrap().to_string();
    peer.write_all("你好 hello".as_bytes()).unwrap();
    let row = wait_text(&mut h, "你好 hello");
    assert!(row.contains(" RX ") && row.contains(&me), "{row}");
    assert!(row.contains(" 12B "), "byte count: {row}");
    peer.write_all(&gbk("中文测试")).unwrap();
    let row = wait_text(&mut h, "中文测试");
    assert!(
        row.contains(" 8B "),
        "GBK bytes shown as GBK with Auto: {row}"
    );
    assert!(
        has_text(&h, "你好 hello"),
        "the UTF-8 record still reads right"
    );

    // Forced GBK: the GBK record stays right, the UTF-8 one no longer decodes as 你好.
    choose(&mut h, en(T::RxEncoding), "GBK");
    wait_text(&mut h, "中文测试");
    assert!(
        !has_text(&h, "你好"),
        "UTF-8 bytes read as GBK: {:?}",
        log_rows(&h)
    );
    // (Forced UTF-8 is in `undecodable_bytes_have_a_glyph`.)
    choose(&mut h, en(T::RxEncoding), en(T::EncAuto));
    wait_text(&mut h, "你好 hello");

    click(&mut h, en(T::ViewHex));
    wait_text(&mut h, "E4 BD A0 E5 A5 BD 20 68 65 6C 6C 6F");
    wait_text(&mut h, "D6 D0 CE C4 B2 E2 CA D4");
    assert!(
        !has_text(&h, "你好 hello"),
        "hex view shows no text: {:?}",
        log_rows(&h)
    );
    click(&mut h, en(T::ViewBoth));
    let row = wait_text(&mut h, "E4 BD A0");
    assert!(row.contains("| 你好"), "{row}");
    click(&mut h, en(T::ViewText));
    wait_text(&mut h, "你好 hello");
    assert!(!has_text(&h, "E4 BD A0"));

    // The status bar counts what arrived.
    assert!(has_text(&h, "RX 20 bytes / 2 packets"), "{:?}", texts(&h));
    close_link(&mut h);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "still listening after Close"
    );
}

/// Bytes that do not decode show as U+FFFD, and the window must have a glyph
/// for it (`egui_kittest` fails on a glyph no loaded font has; a user sees tofu).
#[test]
fn undecodable_bytes_have_a_glyph() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut peer = connect_client(&mut h, port);
    peer.write_all(&gbk("中文测试")).unwrap();
    wait_text(&mut h, "中文测试");
    // GBK bytes read as UTF-8 cannot decode.
    choose(&mut h, en(T::RxEncoding), "UTF-8");
    let row = step_until(&mut h, "the GBK record as UTF-8", |h| {
        log_rows(h)
            .into_iter()
            .find(|r| r.contains(" RX ") && r.contains(" 8B "))
    });
    assert!(!row.contains("中文测试"), "{row}");
    assert!(row.contains('\u{FFFD}'), "{row}");
}

/// "Text + hex": the text beside a row's hex is those bytes' text, like a
/// hex dump. A record of one and a half rows of ASCII shows the mismatch
/// plainly (ASCII: one byte, one character).
#[test]
fn text_and_hex_rows_line_up() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut peer = connect_client(&mut h, port);
    click(&mut h, en(T::ViewBoth));
    let b = h.state().tab().ui.style.bytes_per_row;
    let payload: String = "abcdefghijklmnopqrstuvwxyz0123456789"
        .chars()
        .cycle()
        .take(b + b / 2)
        .collect();
    peer.write_all(payload.as_bytes()).unwrap();
    let first_hex = netassist::codec::to_hex(&payload.as_bytes()[..4]);
    step_until(&mut h, "the record", |h| find_text(h, &first_hex));
    // Each row: hex pairs, then "| " and the text.
    let rows: Vec<(String, String)> = log_rows(&h)
        .into_iter()
        .chain(texts(&h).into_iter().filter(|t| t.starts_with(' ')))
        .filter_map(|r| {
            let (hex, text) = r.split_once(" | ")?;
            let pairs: Vec<&str> = hex
                .split_whitespace()
                .rev()
                .take_while(|t| t.len() == 2 && t.chars().all(|c| c.is_ascii_hexdigit()))
                .collect();
            let bytes: Vec<u8> = pairs
                .iter()
                .rev()
                .map(|t| u8::from_str_radix(t, 16).unwrap())
                .collect();
            Some((String::from_utf8(bytes).unwrap(), text.to_string()))
        })
        .collect();
    assert_eq!(rows.len(), 2, "{b} bytes per row: {rows:?}");
    let hex_all: String = rows.iter().map(|(h, _)| h.as_str()).collect();
    assert_eq!(hex_all, payload);
    for (hex_text, text) in &rows {
        assert_eq!(text, hex_text, "text beside the hex of {hex_text:?}");
    }
}

/// The hex pairs of each "Text + hex" row of the log, oldest first: first
/// rows, then the rows that continue them (which start with spaces).
fn hex_rows(h: &App) -> Vec<Vec<u8>> {
    log_rows(h)
        .into_iter()
        .chain(texts(h).into_iter().filter(|t| t.starts_with(' ')))
        .filter_map(|r| {
            let (hex, _) = r.split_once(" | ")?;
            let pairs: Vec<&str> = hex
                .split_whitespace()
                .rev()
                .take_while(|t| t.len() == 2 && t.chars().all(|c| c.is_ascii_hexdigit()))
                .collect();
            Some(
                pairs
                    .iter()
                    .rev()
                    .map(|t| u8::from_str_radix(t, 16).unwrap())
                    .collect(),
            )
        })
        .collect()
}

/// "Text + hex" takes the width it has, as a hex editor does: 16 bytes per
/// row when the log is wide enough for a whole 16-byte row (a client tab in
/// a 1280-pixel window: the log is 1014 points wide, 127 columns, and the
/// row with the time, peer, size and encoding columns needs 120), else 8
/// (88 columns), and only 4 when not even 8 fit; never 12 or 24. The rows
/// hold every byte whatever the width.
#[test]
fn text_and_hex_rows_use_the_width_they_have() {
    let mut h = app();
    choose(&mut h, en(T::Protocol), en(T::TcpClient));
    click(&mut h, en(T::ViewBoth));
    let bytes: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
    let record = bytes.clone();
    fill_log(&mut h, 1, move |_| Bytes::from(record.clone()));
    h.run();
    let widths = |h: &App| hex_rows(h).iter().map(Vec::len).collect::<Vec<_>>();
    for (window, per_row, rows) in [
        (1280.0, 16, vec![16, 16, 8]),
        // 110 columns: room for 12, but a hex row shows 8 or 16.
        (1150.0, 8, vec![8; 5]),
        (1000.0, 8, vec![8; 5]),
        (900.0, 4, vec![4; 10]),
        // 167 columns: room for 24, still 16.
        (1600.0, 16, vec![16, 16, 8]),
        (1280.0, 16, vec![16, 16, 8]),
    ] {
        h.set_size(egui::vec2(window, 800.0));
        h.run();
        let shown = step_until(&mut h, &format!("{per_row} bytes per row"), |h| {
            (widths(h) == rows).then(|| hex_rows(h))
        });
        assert_eq!(shown.concat(), bytes, "at {window}");
        assert_eq!(h.state().tab().ui.style.bytes_per_row, per_row);
    }
}

/// A resize that changes the bytes per row of a large log recounts its rows
/// over several frames beside the rows drawn: every frame still shows the
/// newest record, never a log counted only in part.
#[test]
fn a_resize_of_a_large_log_keeps_showing_the_newest_rows() {
    const N: usize = 300_000;
    let mut h = app();
    choose(&mut h, en(T::Protocol), en(T::TcpClient));
    click(&mut h, en(T::ViewBoth));
    fill_log(&mut h, N, |i| Bytes::from(format!("{i:06}")));
    let newest = format!("| {:06}", N - 1);
    step_until(&mut h, "the newest record", |h| {
        (h.state().tab().ui.rows.rows() == N as u64 && has_text(h, &newest)).then_some(())
    });
    assert_eq!(h.state().tab().ui.style.bytes_per_row, 16);
    h.set_size(egui::vec2(1000.0, 800.0));
    let mut frames = 0;
    while h.state().tab().ui.style.bytes_per_row != 8 || h.state().tab().ui.restyled.is_some() {
        h.step();
        frames += 1;
        assert!(frames < 10_000, "the new width was never counted");
        assert!(has_text(&h, &newest), "frame {frames}: {:?}", log_rows(&h));
        assert_eq!(h.state().tab().ui.rows.rows(), N as u64, "frame {frames}");
    }
    h.run();
    assert!(has_text(&h, &newest), "{:?}", log_rows(&h));
    eprintln!("counted in {frames} frames");
}

#[test]
fn send_box_sends_exact_bytes_with_options_and_ctrl_enter() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut peer = connect_client(&mut h, port);

    send(&mut h, "hello 世界");
    expect_bytes(&mut peer, "hello 世界".as_bytes());
    let row = wait_text(&mut h, "hello 世界");
    assert!(row.contains(" TX "), "{row}");

    choose(&mut h, en(T::Append), "CRLF");
    choose(&mut h, en(T::TxEncoding), "GBK");
    send(&mut h, "中文 ok");
    let mut want = gbk("中文 ok");
    want.extend_from_slice(b"\r\n");
    expect_bytes(&mut peer, &want);

    // Ctrl+Enter in the send box sends too, without adding a line break.
    set_field(&mut h, en(T::SendBox), "再来 via keys");
    h.get_by_label(en(T::SendBox)).focus();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    h.run();
    let mut want = gbk("再来 via keys");
    want.extend_from_slice(b"\r\n");
    expect_bytes(&mut peer, &want);
    assert_eq!(
        h.get_by_label(en(T::SendBox)).value().as_deref(),
        Some("再来 via keys"),
        "Ctrl+Enter must not type a newline"
    );
    assert!(h.state().tab().errors.send.is_none());
    // 12 + (7 + 2) + (13 + 2) bytes.
    // The peer may have the bytes before the log counts the send.
    wait_text(&mut h, "TX 36 bytes / 3 packets");
}

#[test]
fn tcp_client_both_directions() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut h = app();
    choose(&mut h, en(T::Protocol), en(T::TcpClient));
    set_field(&mut h, en(T::LocalPortAny), "");
    set_field(&mut h, en(T::RemoteHost), "127.0.0.1");
    set_field(&mut h, en(T::RemotePort), &port.to_string());
    click(&mut h, en(T::Connect));
    let local = shown_addr(&mut h, T::ConnectedFrom);
    let mut server = accept(&listener);
    assert_eq!(server.peer_addr().unwrap(), local);
    assert!(h.query_by_label(en(T::Disconnect)).is_some());

    server.write_all("from server 服务器".as_bytes()).unwrap();
    let row = wait_text(&mut h, "from server 服务器");
    assert!(
        row.contains(" RX ") && row.contains(&format!("127.0.0.1:{port}")),
        "{row}"
    );
    send(&mut h, "from client");
    expect_bytes(&mut server, b"from client");

    // The server hangs up: the log says so and the link closes.
    server.shutdown(Shutdown::Both).unwrap();
    drop(server);
    wait_text(&mut h, en(T::EvClosedByPeer));
    step_until(&mut h, "link closed", |h| {
        (h.state().tab().link() == LinkState::Closed).then_some(())
    });
    h.run();
    assert!(h.query_by_label(en(T::Connect)).is_some());
}

#[test]
fn udp_both_directions_and_reply_to_last_sender() {
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer_addr = peer.local_addr().unwrap();
    let mut h = app();
    choose(&mut h, en(T::Protocol), "UDP");
    set_field(&mut h, en(T::LocalPort), "0");
    set_field(&mut h, en(T::RemoteHost), "127.0.0.1");
    set_field(&mut h, en(T::RemotePort), &peer_addr.port().to_string());
    click(&mut h, en(T::Open));
    let local = shown_addr(&mut h, T::BoundTo);
    assert_ne!(local.port(), 0);

    send(&mut h, "udp 你好");
    let (data, from) = recv_udp(&peer);
    assert_eq!(data, "udp 你好".as_bytes());
    assert_eq!(from, local);
    peer.send_to(b"udp back", local).unwrap();
    let row = wait_text(&mut h, "udp back");
    assert!(row.contains(&peer_addr.to_string()), "{row}");

    // No remote: nothing to send to until someone sends first.
    close_link(&mut h);
    set_field(&mut h, en(T::RemoteHost), "");
    set_field(&mut h, en(T::RemotePort), "");
    click(&mut h, en(T::Open));
    let local = shown_addr(&mut h, T::BoundTo);
    send(&mut h, "too early");
    assert!(has_text(&h, en(T::NetNoRemote)), "{:?}", texts(&h));
    peer.set_read_timeout(Some(QUIET)).unwrap();
    assert!(
        peer.recv_from(&mut [0u8; 64]).is_err(),
        "sent with no target"
    );

    peer.send_to(b"who am i", local).unwrap();
    wait_text(&mut h, "who am i");
    send(&mut h, "reply");
    let (data, from) = recv_udp(&peer);
    assert_eq!((data.as_slice(), from), (&b"reply"[..], local));
    assert!(
        !has_text(&h, en(T::NetNoRemote)),
        "stale error after a good send"
    );
}

#[test]
fn server_sends_to_selected_client_and_disconnects_it() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut a = connect_client(&mut h, port);
    let mut b = connect_client(&mut h, port);
    wait_text(&mut h, &fill(en(T::ClientCount), &[&2]));

    // Sending to all reaches both.
    send(&mut h, "to all");
    expect_bytes(&mut a, b"to all");
    expect_bytes(&mut b, b"to all");

    let a_addr = a.local_addr().unwrap().to_string();
    click(&mut h, &a_addr);
    assert_eq!(h.state().tab().ui.selected.len(), 1);
    click(&mut h, en(T::SelectedClients));
    send(&mut h, "only a");
    expect_bytes(&mut a, b"only a");
    assert_quiet(&mut b);

    click(&mut h, en(T::DisconnectSelected));
    a.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(a.read(&mut buf).unwrap(), 0, "the selected client sees EOF");
    wait_text(&mut h, en(T::OneClient));
    assert!(h.query_by_label(&a_addr).is_none(), "gone from the list");
    assert_quiet(&mut b);

    // B is still connected, both ways.
    b.write_all(b"still here").unwrap();
    wait_text(&mut h, "still here");
    click(&mut h, en(T::AllClients));
    send(&mut h, "bye b");
    expect_bytes(&mut b, b"bye b");
}

#[test]
fn bad_port_opens_nothing() {
    for text in ["abc", "70000", "-1", "65536"] {
        let mut h = app();
        set_field(&mut h, en(T::LocalPort), text);
        click(&mut h, en(T::Open));
        h.run();
        assert!(
            has_text(&h, "Port must be a number from 0 to 65535"),
            "{text}: {:?}",
            texts(&h)
        );
        // Give a (wrongly) started engine time to report.
        let end = Instant::now() + QUIET;
        while Instant::now() < end {
            h.step();
            sleep(Duration::from_millis(10));
        }
        assert_eq!(h.state().tab().link(), LinkState::Closed, "{text}");
        assert!(!has_text(&h, "Listening on"), "{text}");
        assert!(h.query_by_label(en(T::Open)).is_some(), "{text}");
        assert!(
            h.state().tab().session.log().store().is_empty(),
            "{text}: nothing was logged"
        );
    }
    // A port number that wraps around to a free port must not listen there.
    let (_held, free) = reserved_port();
    let mut h = app();
    set_field(
        &mut h,
        en(T::LocalPort),
        &(u32::from(free) + 65536).to_string(),
    );
    click(&mut h, en(T::Open));
    h.run();
    sleep(QUIET);
    h.run();
    assert!(has_text(&h, "Port must be a number from 0 to 65535"));
    assert!(
        TcpStream::connect(("127.0.0.1", free)).is_err(),
        "listens on {free}"
    );
}

#[test]
fn bad_hex_names_the_position_and_sends_nothing() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut peer = connect_client(&mut h, port);
    click(&mut h, en(T::TxHex));
    send(&mut h, "4G");
    let msg = "Bad hex: character 2 ('G') is not a hex digit";
    assert!(has_text(&h, msg), "{:?}", texts(&h));
    assert_quiet(&mut peer);
    assert_eq!(h.state().tab().counters().tx_bytes, 0);

    // Fixing the input clears the message and sends the bytes.
    send(&mut h, "41 42 0d0a");
    expect_bytes(&mut peer, b"AB\r\n");
    assert!(!has_text(&h, msg));
}

#[test]
fn refused_connection_says_so_and_closes() {
    let (_held, port) = reserved_port();
    let mut h = app();
    connect_tab(&mut h, port);
    let msg = format!("Nothing is listening on 127.0.0.1:{port}: start your server first");
    wait_text(&mut h, &msg);
    step_until(&mut h, "link closed", |h| {
        (h.state().tab().link() == LinkState::Closed).then_some(())
    });
    h.run();
    assert!(has_text(&h, &msg), "the message stays after closing");
    assert!(h.query_by_label(en(T::StateClosed)).is_some());
    assert!(h.query_by_label(en(T::Connect)).is_some());
    // The log has it too, as an error row.
    let rows = log_rows(&h);
    assert!(
        rows.iter()
            .any(|r| r.contains(&fill(en(T::EvError), &[&msg]))),
        "{rows:?}"
    );
}

// ---------------------------------------------------------------------------
// Language

/// Whether `text` is `template` with its `{}` filled in somehow.
fn matches_template(text: &str, template: &str) -> bool {
    let pieces: Vec<&str> = template.split("{}").collect();
    if pieces.len() == 1 {
        return text == template;
    }
    if pieces.iter().all(|p| p.trim().is_empty()) {
        return false; // "{}" alone says nothing about the language
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !text.starts_with(first) || !text.ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for p in &pieces[1..pieces.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

/// Every visible text that is a string of the table in `lang`, with the
/// keys it can be (one English text may be several keys, e.g. "Open").
fn keys_shown(h: &App, lang: Lang) -> Vec<(String, Vec<T>)> {
    texts(h)
        .into_iter()
        .filter_map(|text| {
            let keys: Vec<T> = T::ALL
                .iter()
                .copied()
                .filter(|k| matches_template(&text, k.get(lang)))
                .collect();
            (!keys.is_empty()).then_some((text, keys))
        })
        .collect()
}

fn shows_key(shown: &[(String, Vec<T>)], key: T) -> bool {
    shown.iter().any(|(_, keys)| keys.contains(&key))
}

/// Switches to Chinese and back, checking that every English string of the
/// table that was shown is replaced by its Chinese counterpart.
fn check_language_switch(h: &mut App, what: &str, must_show: &[T]) {
    let before = keys_shown(h, Lang::En);
    for &key in must_show {
        assert!(
            shows_key(&before, key),
            "{what}: {key:?} not shown in English: {:?}",
            texts(h)
        );
    }
    click(h, "中文");
    h.run();
    let after_zh = keys_shown(h, Lang::Zh);
    for (text, keys) in keys_shown(h, Lang::En) {
        assert!(
            keys.iter().all(|k| k.get(Lang::En) == k.get(Lang::Zh)),
            "{what}: still English after switching: {text:?} ({keys:?})"
        );
    }
    for (text, keys) in &before {
        assert!(
            keys.iter().any(|&k| shows_key(&after_zh, k)),
            "{what}: {text:?} ({keys:?}) has no Chinese counterpart shown: {:?}",
            texts(h)
        );
    }
    for &key in must_show {
        assert!(
            shows_key(&after_zh, key),
            "{what}: {key:?} not shown in Chinese"
        );
    }
    click(h, "English");
    h.run();
    let again = keys_shown(h, Lang::En);
    for (text, _) in &before {
        assert!(
            again.iter().any(|(t, _)| t == text),
            "{what}: {text:?} not back after switching to English"
        );
    }
}

#[test]
fn language_switch_changes_every_label() {
    let mut h = app();
    let common = [
        T::AppTitle,
        T::Language,
        T::NetSettings,
        T::Protocol,
        T::LocalAddr,
        T::RxSettings,
        T::ViewText,
        T::ViewHex,
        T::ViewBoth,
        T::RxEncoding,
        T::EncAuto,
        T::ShowTime,
        T::ShowPeer,
        T::ShowControl,
        T::AutoScroll,
        T::Pause,
        T::ClearLog,
        T::SaveLog,
        T::SaveRaw,
        T::RecordToFile,
        T::TxSettings,
        T::TxText,
        T::TxHex,
        T::Escapes,
        T::Append,
        T::AppendNone,
        T::TxEncoding,
        T::LoopEvery,
        T::LoopStart,
        T::SendFile,
        T::SendBox,
        T::SendBtn,
        T::History,
        T::StateClosed,
        T::ResetCounters,
    ];
    let mut server = common.to_vec();
    server.extend([
        T::TcpServer,
        T::LocalPort,
        T::Open,
        T::Clients,
        T::ClientCount,
        T::SendTo,
        T::AllClients,
        T::SelectedClients,
        T::DisconnectSelected,
        T::ColAddr,
    ]);
    check_language_switch(&mut h, "TCP server", &server);
    // Composite texts, built from several keys.
    click(&mut h, "中文");
    for zh in [
        "接收 0 字节 / 0 包 (0 B/s)",
        "发送 0 字节 / 0 包 (0 B/s)",
        "连接时间 / 接收 / 发送",
    ] {
        assert!(has_text(&h, zh), "{zh}: {:?}", texts(&h));
    }
    click(&mut h, "English");

    // An open server with a client.
    let port = open_server(&mut h);
    let _peer = connect_client(&mut h, port);
    check_language_switch(
        &mut h,
        "open server",
        &[T::ListeningOn, T::CloseBtn, T::StateOpen, T::OneClient],
    );
    // The log words its events in the UI language too.
    let opened = |lang: Lang| fill(T::EvOpened.get(lang), &[&format!("127.0.0.1:{port}")]);
    let rows = log_rows(&h);
    assert!(
        rows.iter().any(|r| r.ends_with(&opened(Lang::En))),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|r| r.ends_with(en(T::EvConnected))),
        "{rows:?}"
    );
    click(&mut h, "中文");
    let rows = log_rows(&h);
    assert!(
        rows.iter().any(|r| r.ends_with(&opened(Lang::Zh))),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.ends_with(T::EvConnected.get(Lang::Zh))),
        "{rows:?}"
    );
    click(&mut h, "English");
    close_link(&mut h);

    choose(&mut h, en(T::Protocol), en(T::TcpClient));
    let mut client = common.to_vec();
    client.extend([
        T::TcpClient,
        T::LocalPortAny,
        T::RemoteHost,
        T::RemotePort,
        T::Connect,
    ]);
    check_language_switch(&mut h, "TCP client", &client);

    choose(&mut h, en(T::Protocol), "UDP");
    let mut udp = common.to_vec();
    udp.extend([T::LocalPort, T::RemoteHost, T::RemotePort, T::Open]);
    check_language_switch(&mut h, "UDP", &udp);
    // The setting itself follows the click.
    click(&mut h, "中文");
    assert_eq!(h.state().settings.lang, Lang::Zh);
    assert!(h.query_by_label("打开").is_some());
}

/// Messages on screen (next to a field, in the status bar) are words of the
/// UI too: after switching the language they should read in the new one.
#[test]
fn messages_follow_language_switch() {
    let mut h = app();
    // A message in the status bar...
    let (_held, refused) = reserved_port();
    connect_tab(&mut h, refused);
    let addr = format!("127.0.0.1:{refused}");
    let refused_en = fill(en(T::NetRefused), &[&addr]);
    wait_text(&mut h, &refused_en);
    step_until(&mut h, "link closed", |h| {
        (h.state().tab().link() == LinkState::Closed).then_some(())
    });
    h.run();
    // ...and next to fields.
    set_field(&mut h, en(T::LoopEvery), "0");
    click(&mut h, en(T::LoopStart));
    click(&mut h, en(T::SendBtn));
    let en_msgs = [
        refused_en,
        en(T::ErrInterval).to_string(),
        en(T::ErrEmpty).to_string(),
    ];
    for m in &en_msgs {
        assert!(has_text(&h, m), "{m}: {:?}", texts(&h));
    }

    click(&mut h, "中文");
    h.run();
    let zh_msgs = [
        fill(T::NetRefused.get(Lang::Zh), &[&addr]),
        T::ErrInterval.get(Lang::Zh).to_string(),
        T::ErrEmpty.get(Lang::Zh).to_string(),
    ];
    let shown = texts(&h);
    let stale: Vec<&String> = en_msgs.iter().filter(|m| shown.contains(m)).collect();
    let missing: Vec<&String> = zh_msgs.iter().filter(|m| !shown.contains(m)).collect();
    assert!(
        stale.is_empty() && missing.is_empty(),
        "after switching to 中文: still English {stale:?}; Chinese missing {missing:?}"
    );
}

// ---------------------------------------------------------------------------
// A big log

#[test]
fn log_view_with_100k_records_follows_the_newest() {
    const N: usize = 100_000;
    let mut h = app();
    fill_log(&mut h, N, |i| Bytes::from(format!("record {i:06} 数据")));
    let peer: SocketAddr = "127.0.0.1:4242".parse().unwrap();
    h.run();
    let newest = format!("record {:06} 数据", N - 1);
    let row = wait_text(&mut h, &newest);
    assert!(row.contains("127.0.0.1:4242"), "{row}");
    let rows = log_rows(&h);
    assert!(
        rows.len() < 200,
        "the log draws only visible rows: {}",
        rows.len()
    );
    assert!(
        !has_text(&h, "record 000000"),
        "the oldest is scrolled away"
    );
    // The newest row is inside the window, not just laid out.
    let node = h.get_by_label_contains(&newest);
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1280.0, 800.0));
    assert!(screen.contains_rect(node.rect()), "{:?}", node.rect());
    assert_eq!(h.state().tab().ui.rows.rows(), N as u64);

    // More records keep following...
    h.state_mut().tab_mut().session.log().push(Entry::rx(
        SystemTime::now(),
        peer,
        Bytes::from_static(b"one more"),
    ));
    h.run();
    wait_text(&mut h, "one more");

    // ...unless auto-scroll is off: then the view stays where it is.
    click(&mut h, en(T::AutoScroll));
    assert!(!h.state().tab().settings.auto_scroll);
    {
        let tab = h.state_mut().tab_mut();
        let mut log = tab.session.log();
        for i in 0..100 {
            log.push(Entry::rx(
                SystemTime::now(),
                peer,
                Bytes::from(format!("late {i:03}")),
            ));
        }
    }
    h.run();
    assert!(has_text(&h, "one more"), "{:?}", log_rows(&h));
    assert!(!has_text(&h, "late 099"), "{:?}", log_rows(&h));
}

/// A server's port does not follow the user into TCP Client mode: the
/// client's local port is its own (empty: any), so connecting to a server on
/// that same port works.
#[test]
fn client_local_port_is_separate_from_the_servers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut h = app();
    set_field(&mut h, en(T::LocalPort), &port.to_string());
    choose(&mut h, en(T::Protocol), en(T::TcpClient));
    let field = h
        .get_by_label(en(T::LocalPortAny))
        .value()
        .unwrap_or_default();
    assert_eq!(field, "", "the client's local port starts empty");
    set_field(&mut h, en(T::RemoteHost), "127.0.0.1");
    set_field(&mut h, en(T::RemotePort), &port.to_string());
    click(&mut h, en(T::Connect));
    let local = shown_addr(&mut h, T::ConnectedFrom);
    assert_ne!(local.port(), port);
    let server = accept(&listener);
    assert_eq!(server.peer_addr().unwrap(), local);
}

/// With Auto, each row says which encoding it was decoded with, and
/// switching to a fixed encoding removes that column.
#[test]
fn auto_says_which_encoding_it_chose() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut c = connect_client(&mut h, port);
    c.write_all("你好 utf8".as_bytes()).unwrap();
    let row = wait_text(&mut h, "你好 utf8");
    assert!(row.contains(" UTF-8 "), "{row}");
    c.write_all(&gbk("中文 gbk")).unwrap();
    let row = wait_text(&mut h, "中文 gbk");
    assert!(row.contains(" GBK "), "{row}");
    choose(&mut h, en(T::RxEncoding), "GBK");
    let row = wait_text(&mut h, "中文 gbk");
    assert!(!row.contains(" GBK "), "{row}");
}
