//! Message framing views in the window: the reads a peer's bytes came in
//! stay the truth, and a view groups them into messages by delimiter,
//! length prefix or idle gap, saying how many reads each came from; a huge
//! log is framed over several frames.

use crate::support;

use std::io::Write;
use std::time::{Duration, Instant};

use bytes::Bytes;
use egui_kittest::kittest::Queryable;
use netassist::i18n::{T, fill};
use support::*;

/// The data rows of the log (message rows too), without their time.
fn rows(h: &App) -> Vec<String> {
    log_rows(h)
        .into_iter()
        .map(|r| r[13..].to_string())
        .collect()
}

/// Waits for a log row that contains `needle`.
fn row_with(h: &mut App, needle: &str) -> String {
    let end = Instant::now() + WAIT;
    loop {
        h.step();
        let all = rows(h);
        if let Some(r) = all.iter().find(|r| r.contains(needle)) {
            return r.clone();
        }
        assert!(Instant::now() < end, "no row with {needle:?} in {all:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Writes each piece as its own read: the next goes once the log shows
/// the one before.
fn write_reads(h: &mut App, peer: &mut std::net::TcpStream, reads: &[&[u8]]) {
    let before = h.state().tab().session.log().rx_records();
    for (i, read) in reads.iter().enumerate() {
        peer.write_all(read).unwrap();
        let want = before + i as u64 + 1;
        step_until(h, "the read in the log", |h| {
            (h.state().tab().session.log().rx_records() >= want).then_some(())
        });
    }
    assert_eq!(
        h.state().tab().session.log().rx_records(),
        before + reads.len() as u64,
        "one read per write"
    );
}

#[test]
fn a_delimiter_groups_reads_into_messages_and_marks_the_split_ones() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut peer = connect_client(&mut h, port);
    write_reads(&mut h, &mut peer, &[b"hel", b"lo\nwor", b"ld\n\nx"]);
    choose(&mut h, en(T::FramingLabel), en(T::FramingLf));
    let reads2 = fill(en(T::FramingReads), &[&2]);
    let split = format!("[{reads2}, {}] ", en(T::FramingSplit));
    let hello = row_with(&mut h, "hello␊");
    assert!(hello.contains(&format!("{split}hello␊")), "{hello}");
    assert!(hello.contains(" 6B "), "{hello}");
    row_with(&mut h, &format!("{split}world␊"));
    row_with(&mut h, &format!("[{}] ␊", en(T::FramingOneRead)));
    // The bytes after the last delimiter wait, shown as incomplete.
    row_with(&mut h, &format!("[{}] x", en(T::FramingIncomplete)));
    // The first split message brings the one-line hint.
    wait_text(&mut h, en(T::FramingHint));
    // Data only: the connection's events are not messages.
    assert!(
        rows(&h).iter().all(|r| r.starts_with("RX ")),
        "{:?}",
        rows(&h)
    );
    // The rest of the message completes it.
    peer.write_all(b"yz\n").unwrap();
    row_with(&mut h, &format!("{split}xyz␊"));

    // Raw reads stay the truth: off again, the reads are as they came.
    choose(&mut h, en(T::FramingLabel), en(T::FramingOff));
    row_with(&mut h, "hel");
    let raw: Vec<String> = rows(&h)
        .into_iter()
        .filter(|r| r.starts_with("RX "))
        .collect();
    assert_eq!(raw.len(), 4, "{raw:?}");
    assert!(raw[1].ends_with("lo"), "{raw:?}");
}

#[test]
fn a_length_prefix_frames_binary_messages_shown_as_hex() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut peer = connect_client(&mut h, port);
    write_reads(&mut h, &mut peer, &[b"\x00\x03abc\x00\x02", b"de\x00\x05"]);
    click(&mut h, en(T::ViewHex));
    choose(&mut h, en(T::FramingLabel), en(T::FramingPrefix));
    // Two bytes, big endian, not counting itself: the defaults.
    row_with(
        &mut h,
        &format!("[{}] 00 03 61 62 63", en(T::FramingOneRead)),
    );
    let split = fill(en(T::FramingReads), &[&2]);
    row_with(
        &mut h,
        &format!("[{split}, {}] 00 02 64 65", en(T::FramingSplit)),
    );
    row_with(&mut h, &format!("[{}] 00 05", en(T::FramingIncomplete)));
    // Counting the header: 00 05 is then three more bytes.
    click(&mut h, en(T::FramingCountsHeader));
    row_with(&mut h, &format!("[{}] 00 03 61", en(T::FramingOneRead)));
    // A bad field says why at the field, and the log shows the reads.
    choose(&mut h, en(T::FramingLabel), en(T::FramingFixed));
    set_field(&mut h, en(T::FramingLengthField), "0");
    wait_text(&mut h, &fill(en(T::ErrFramingLength), &[&1048576]));
    row_with(&mut h, "00 03 61 62 63 00 02");
    set_field(&mut h, en(T::FramingLengthField), "4");
    row_with(&mut h, "00 03 61 62");
}

#[test]
fn an_idle_gap_ends_a_message_when_the_peer_goes_quiet() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut peer = connect_client(&mut h, port);
    choose(&mut h, en(T::FramingLabel), en(T::FramingGap));
    set_field(&mut h, en(T::FramingGapField), "100");
    peer.write_all(b"first").unwrap();
    // Incomplete while the peer may go on, a message once it was quiet.
    row_with(&mut h, &format!("[{}] first", en(T::FramingOneRead)));
    peer.write_all(b"second").unwrap();
    row_with(&mut h, &format!("[{}] second", en(T::FramingOneRead)));
    assert!(
        rows(&h)
            .iter()
            .all(|r| !r.contains(en(T::FramingIncomplete))),
        "{:?}",
        rows(&h)
    );
}

#[test]
fn switching_the_rule_reframes_a_huge_log_over_several_frames() {
    const N: usize = 300_000;
    let mut h = app();
    // Each read ends one message and starts the next.
    fill_log(&mut h, N, |i| Bytes::from(format!("{i:06}\nnext ")));
    h.run();
    // Picking the rule by hand: `run()` would wait for a window that is
    // busy framing for many frames.
    click(&mut h, en(T::FramingLabel));
    h.get_by_label(en(T::FramingLf)).click();
    h.step();
    h.step();
    // The first frames show how far framing has got: the window draws on.
    let progress = find_text(&h, "Framing: ").expect("framing progress");
    assert!(
        !progress.starts_with(&format!("Framing: {N} ")),
        "{progress}"
    );
    // In the end every message is there, the newest at the bottom.
    let last = format!("next {:06}␊", N - 1);
    let end = Instant::now() + Duration::from_secs(60);
    while !rows(&h).iter().any(|r| r.contains(&last)) {
        assert!(Instant::now() < end, "framing never finished");
        h.step();
    }
    let row = rows(&h).into_iter().find(|r| r.contains(&last)).unwrap();
    assert!(row.contains(&fill(en(T::FramingReads), &[&2])), "{row}");
    assert!(!has_text(&h, "Framing: "), "done");
    assert!(
        log_rows(&h).len() < 200,
        "only the visible messages are drawn"
    );
}
