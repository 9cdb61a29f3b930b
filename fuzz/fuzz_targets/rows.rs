//! The record store's text rendering and the log view's row splitter
//! (`RowStyle::rows_of` / `render`, `RowIndex`, `split_weighted`).
//!
//! Input: byte 0 picks the view and the encoding, with flags for control
//! characters, merging reads, a tiny store that drops records, and the order
//! rows are drawn in; byte 1 is the bytes per row (0 to 64). Then records,
//! each an op byte (kind, peer, length) and its bytes.
//!
//! Checked: every record renders to exactly `rows_of` rows; text rows
//! concatenate back to the record's text and hex rows to its hex; the index
//! kept up to date record by record equals one rebuilt at the end and maps
//! every row back to its record; `split_weighted` gives exactly k pieces
//! of a record's text that concatenate back; and, while no record was dropped, the texts of a
//! stream's records together are its bytes decoded at once (rendering
//! memoizes, so rows are also drawn while the records arrive).
#![no_main]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use netassist::codec::{DisplayEncoding, decode_lossy};
use netassist::records::{
    Direction, Note, RecordStore, RowIndex, RowStyle, StoreConfig, View, split_weighted,
};
use netassist_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let flags = input.byte();
    let style = RowStyle {
        view: [View::Text, View::Hex, View::Both][usize::from(flags) % 3],
        bytes_per_row: input.pick(65),
        encoding: DisplayEncoding::ALL[usize::from(flags >> 2) % 3],
        show_control: flags & 0x10 != 0,
    };
    let merge = flags & 0x20 != 0;
    let tiny = flags & 0x40 != 0;
    let backwards = flags & 0x80 != 0;
    let mut store = RecordStore::new(StoreConfig {
        max_records: if tiny { 3 } else { 1_000_000 },
        merge_window: merge.then_some(Duration::from_millis(1)),
        ..StoreConfig::default()
    });
    let peers: [SocketAddr; 2] = [
        "127.0.0.1:7788".parse().unwrap(),
        "[::1]:8080".parse().unwrap(),
    ];
    let mut live = RowIndex::new();
    let mut time = SystemTime::UNIX_EPOCH;
    let mut ops = 0;
    while ops < 64 {
        let op = input.byte();
        let mut len = usize::from(op >> 3) + 1;
        if len == 32 {
            len += usize::from(input.byte());
        }
        let bytes = input.take(len);
        if bytes.is_empty() {
            break;
        }
        ops += 1;
        time += Duration::from_millis(1);
        let peer = peers[usize::from(op >> 2) & 1];
        let seq = match op & 3 {
            0 | 1 => store.push_rx(time, peer, Bytes::copy_from_slice(bytes)),
            2 => store.push_tx(time, peer, Bytes::copy_from_slice(bytes)),
            _ => store.push_event(time, Some(peer), Note::ClosedByPeer),
        };
        // Draw what the window would draw as records arrive, filling memos.
        for s in seq.saturating_sub(1)..=seq {
            check_record(&store, &style, s);
        }
        live.sync(&store, &style);
    }

    let mut fresh = RowIndex::new();
    fresh.rebuild(&store, &style);
    assert_eq!(fresh.rows(), live.rows());
    let mut total = 0u64;
    let mut seqs: Vec<u64> = (store.first_seq()..store.end_seq()).collect();
    if backwards {
        seqs.reverse();
    }
    for &seq in &seqs {
        let rows = check_record(&store, &style, seq);
        assert_eq!(fresh.row_of(seq), live.row_of(seq));
        let first = fresh.row_of(seq).expect("indexed");
        assert_eq!(fresh.locate(first), Some((seq, 0)));
        assert_eq!(
            fresh.locate(first + rows as u64 - 1),
            Some((seq, rows as u32 - 1))
        );
        total += rows as u64;
    }
    assert_eq!(fresh.rows(), total);
    assert_eq!(fresh.locate(total), None);

    if store.dropped_records() == 0 {
        check_streams(&store, style.encoding);
    }
});

/// Checks one record's rows; returns how many it has.
fn check_record(store: &RecordStore, style: &RowStyle, seq: u64) -> usize {
    let Some(record) = store.get(seq) else {
        return 0;
    };
    let rows = style.render(store, seq);
    let count = usize::try_from(style.rows_of(record)).expect("fits");
    assert_eq!(rows.len(), count, "{style:?} {:02X?}", &record.bytes[..]);
    if record.dir == Direction::Event {
        return count;
    }
    match style.view {
        View::Text => {
            let text = store.text(seq, style.encoding);
            assert_eq!(rows.concat(), style.visible(&text));
            for k in 0..16 {
                let pieces = split_weighted(&text, k);
                assert_eq!(pieces.len(), k.max(1));
                assert_eq!(pieces.concat(), text);
            }
        }
        View::Hex => assert_eq!(rows.join(" "), store.hex(seq)),
        View::Both => {
            let b = style.bytes_per_row.max(1);
            for (row, chunk) in rows.iter().zip(record.bytes.chunks(b)) {
                let hex: Vec<String> = chunk.iter().map(|x| format!("{x:02X}")).collect();
                assert!(row.starts_with(&hex.join(" ")), "{row:?}");
            }
        }
    }
    count
}

/// The texts of each stream's records, in order, are the stream's bytes
/// decoded at once (for `Auto`: when they are UTF-8).
fn check_streams(store: &RecordStore, encoding: DisplayEncoding) {
    let mut streams: HashMap<(Direction, Option<SocketAddr>), (Vec<u8>, String)> = HashMap::new();
    for record in store.iter() {
        if record.dir == Direction::Event {
            continue;
        }
        let (bytes, text) = streams.entry((record.dir, record.peer)).or_default();
        bytes.extend_from_slice(&record.bytes);
        text.push_str(&store.text(record.seq, encoding));
    }
    for (bytes, text) in streams.values() {
        match encoding.concrete() {
            Some(enc) => {
                let mut whole = String::new();
                decode_lossy(enc, bytes, &mut whole);
                assert_eq!(text, &whole, "{bytes:02X?}");
            }
            None => {
                assert!(text.chars().count() <= bytes.len());
                if let Ok(whole) = std::str::from_utf8(bytes) {
                    assert_eq!(text, whole);
                }
            }
        }
    }
}
