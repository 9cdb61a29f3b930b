//! The log view's rows: the record store's stream-aware text, the row
//! splitter (`RowStyle::rows_of`, `render`, `render_range`), the row index
//! and `split_weighted`.
//!
//! Input: byte 0 the view (text, hex, both), byte 1 the bytes per row (0 to
//! 64), byte 2 the encoding (UTF-8, GBK, Auto), byte 3 flags (control
//! characters shown, reads merged, a tiny store that drops records, rows
//! checked newest first, the first read or send made larger than
//! `RENDER_WHOLE`). Then records, each an op byte (read, send, send with
//! bytes NetAssist added, event; which of two peers; length), for a send
//! with added bytes one byte saying how many (0 to 4), then the bytes.
//!
//! Checked: every record renders to exactly `rows_of` rows; any range of
//! rows from `render_range` is that slice of `render`; a send's added bytes
//! end its last row as `added_marker` shows them; hex rows are the typed
//! bytes' hex; the index kept up to date record by record equals one rebuilt
//! at the end and maps every row back to its record; `split_weighted` gives
//! exactly k pieces of a record's text that concatenate back; the text and
//! hex-and-text rows of a record without added bytes show its text. While no
//! record was dropped, each stream's text is its bytes decoded at once, a
//! send's added bytes ending the text of its stream; in the text and the
//! hex-and-text views, the text of a stream's rows together is the same
//! without the added bytes (for `Auto` this is checked when the stream is
//! UTF-8). Rows are also drawn as records arrive, as the window does, so
//! memoized state is exercised.
#![no_main]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use netassist::codec::{DisplayEncoding, TextEncoding, decode_lossy};
use netassist::records::{
    Direction, Note, RENDER_WHOLE, Record, RecordStore, RowIndex, RowStyle, StoreConfig, View,
    added_marker, split_weighted,
};
use netassist_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let style = RowStyle {
        view: [View::Text, View::Hex, View::Both][input.pick(3)],
        bytes_per_row: input.pick(65),
        encoding: DisplayEncoding::ALL[input.pick(3)],
        show_control: false,
    };
    let flags = input.byte();
    let style = RowStyle {
        show_control: flags & 1 != 0,
        // Rows of at least 16 bytes keep a large record quick to check.
        bytes_per_row: if flags & 16 != 0 {
            style.bytes_per_row.max(16)
        } else {
            style.bytes_per_row
        },
        ..style
    };
    let merge = flags & 2 != 0;
    let tiny = flags & 4 != 0;
    let backwards = flags & 8 != 0;
    let mut large = flags & 16 != 0;
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
    for _ in 0..64 {
        let op = input.byte();
        let mut len = usize::from(op >> 3) + 1;
        if len == 32 {
            len += usize::from(input.byte());
        }
        let added = if op & 3 == 2 {
            u32::from(input.byte() % 5)
        } else {
            0
        };
        let mut bytes = input.take(len).to_vec();
        if bytes.is_empty() {
            break;
        }
        if large && op & 3 != 3 {
            bytes = bytes.repeat(RENDER_WHOLE / bytes.len() + 1);
            large = false;
        }
        time += Duration::from_millis(1);
        let peer = peers[usize::from(op >> 2) & 1];
        let seq = match op & 3 {
            0 => store.push_rx(time, peer, Bytes::from(bytes)),
            1 | 2 => store.push_tx_added(time, peer, Bytes::from(bytes), added),
            _ => store.push_event(time, Some(peer), Note::ClosedByPeer),
        };
        // Draw what the window would draw as records arrive, filling memos
        // (a large record is checked once, at the end).
        for s in seq.saturating_sub(1)..=seq {
            if store.get(s).is_some_and(|r| r.bytes.len() <= 4096) {
                check_record(&store, &style, s);
            }
        }
        live.sync(&store, &style);
    }

    let mut fresh = RowIndex::new();
    fresh.rebuild(&store, &style);
    assert_eq!(fresh.rows(), live.rows());
    let mut seqs: Vec<u64> = (store.first_seq()..store.end_seq()).collect();
    if backwards {
        seqs.reverse();
    }
    let mut total = 0u64;
    let mut shown: HashMap<u64, String> = HashMap::new();
    for &seq in &seqs {
        let (rows, text) = check_record(&store, &style, seq);
        shown.insert(seq, text);
        assert_eq!(fresh.row_of(seq), live.row_of(seq));
        let first = fresh.row_of(seq).expect("indexed");
        assert_eq!(fresh.locate(first), Some((seq, 0)));
        let last = rows as u32 - 1;
        assert_eq!(fresh.locate(first + u64::from(last)), Some((seq, last)));
        total += rows as u64;
    }
    assert_eq!(fresh.rows(), total);
    assert_eq!(fresh.locate(total), None);

    if store.dropped_records() == 0 {
        check_streams(&store, &style, &shown);
    }
});

/// Checks one record's rows; returns how many there are and the text they
/// show (for the text views, without the added-bytes marker).
fn check_record(store: &RecordStore, style: &RowStyle, seq: u64) -> (usize, String) {
    let Some(record) = store.get(seq) else {
        return (0, String::new());
    };
    let mut rows = style.render(store, seq);
    let count = usize::try_from(style.rows_of(record)).expect("fits");
    assert_eq!(rows.len(), count, "{style:?} {}", short(&record.bytes));
    let n = count as u32;
    for range in [0..1, n / 2..n / 2 + 3, n.saturating_sub(2)..n + 2, 0..n] {
        let (from, to) = (range.start as usize, (range.end as usize).min(count));
        let expected = rows.get(from.min(to)..to).unwrap_or(&[]);
        let got = style.render_range(store, seq, range.clone());
        assert!(
            got == expected,
            "{style:?} rows {range:?} of {seq}: {} != {}",
            cut(&got.concat()),
            cut(&expected.concat())
        );
    }
    if record.dir == Direction::Event {
        return (count, String::new());
    }
    if record.added > 0 {
        let marker = added_marker(record.added_bytes());
        let last = rows.last_mut().expect("a row");
        assert!(last.ends_with(&marker), "{last:?} {marker:?}");
        last.truncate(last.len() - marker.len());
    }
    let text = match style.view {
        View::Text => {
            let text = store.text(seq, style.encoding);
            for k in [0, 1, 2, 3, 7] {
                let pieces = split_weighted(&text, k);
                assert_eq!(pieces.len(), k.max(1));
                assert_eq!(pieces.concat(), text);
            }
            rows.concat()
        }
        View::Hex => {
            let hex: Vec<String> = record.typed().iter().map(|b| format!("{b:02X}")).collect();
            assert_eq!(rows.join(" "), hex.join(" "));
            String::new()
        }
        View::Both => {
            let b = style.bytes_per_row.max(1);
            let mut text = String::new();
            let chunks: Vec<&[u8]> = record.typed().chunks(b).collect();
            for (i, row) in rows.iter().enumerate() {
                // A send of added bytes only has one row and no typed bytes.
                let chunk = chunks.get(i).copied().unwrap_or_default();
                let hex: Vec<String> = chunk.iter().map(|x| format!("{x:02X}")).collect();
                let hex = hex.join(" ");
                assert!(row.starts_with(&hex), "{row:?}");
                match row.split_once("| ") {
                    Some((_, shown)) => text.push_str(shown),
                    // Its text column shows only a character its stream
                    // left unfinished before it, if there is one.
                    None => assert!(chunks.is_empty() && row.is_empty(), "{row:?}"),
                }
            }
            text
        }
    };
    // The rows show the record's text (a send with added bytes: its typed
    // part, checked per stream).
    if record.added == 0 && style.view != View::Hex {
        let whole = style.visible(&store.text(seq, style.encoding));
        assert!(
            text == whole,
            "{style:?} {}: rows {} != text {}",
            short(&record.bytes),
            cut(&text),
            cut(&whole)
        );
    }
    (count, text)
}

/// Each stream's text, record by record, against its bytes decoded at once
/// (a send's added bytes end the text so far); and the same for the text
/// the rows show, without the added bytes.
fn check_streams(store: &RecordStore, style: &RowStyle, shown: &HashMap<u64, String>) {
    let mut streams: HashMap<(Direction, Option<SocketAddr>), Vec<&Record>> = HashMap::new();
    for record in store.iter().filter(|r| r.dir != Direction::Event) {
        streams
            .entry((record.dir, record.peer))
            .or_default()
            .push(record);
    }
    for records in streams.values() {
        let text: String = records
            .iter()
            .map(|r| store.text(r.seq, style.encoding))
            .collect();
        let rows: String = records.iter().map(|r| shown[&r.seq].as_str()).collect();
        let all: Vec<u8> = records.iter().flat_map(|r| r.bytes.to_vec()).collect();
        let (whole, typed) = match style.encoding.concrete() {
            Some(enc) => (
                Some(decoded(records, enc, false)),
                Some(decoded(records, enc, true)),
            ),
            None => {
                // Auto: exact only for UTF-8 streams.
                let utf8 = |typed| {
                    let parts = segments(records, typed);
                    parts
                        .iter()
                        .all(|p| std::str::from_utf8(p).is_ok())
                        .then(|| decoded(records, TextEncoding::Utf8, typed))
                };
                assert!(text.chars().count() <= all.len());
                (utf8(false), utf8(true))
            }
        };
        if let Some(whole) = whole {
            assert!(
                text == whole,
                "{}: text {} != {}",
                short(&all),
                cut(&text),
                cut(&whole)
            );
        }
        if let (Some(typed), View::Text | View::Both) = (typed, style.view) {
            let expected = style.visible(&typed);
            assert!(
                rows == expected,
                "{}: rows {} != {}",
                short(&all),
                cut(&rows),
                cut(&expected)
            );
        }
    }
}

/// A stream's bytes, cut after each send with added bytes (those bytes left
/// out when `typed`).
fn segments(records: &[&Record], typed: bool) -> Vec<Vec<u8>> {
    let mut parts = vec![Vec::new()];
    for r in records {
        let last = parts.last_mut().expect("a part");
        if r.added > 0 {
            last.extend_from_slice(if typed { r.typed() } else { &r.bytes });
            parts.push(Vec::new());
        } else {
            last.extend_from_slice(&r.bytes);
        }
    }
    parts
}

/// The segments of a stream, each decoded at once.
fn decoded(records: &[&Record], enc: TextEncoding, typed: bool) -> String {
    let mut out = String::new();
    for part in segments(records, typed) {
        decode_lossy(enc, &part, &mut out);
    }
    out
}

/// Bytes for a failure message: the length and the first few.
fn short(bytes: &[u8]) -> String {
    format!(
        "{} bytes {:02X?}",
        bytes.len(),
        &bytes[..bytes.len().min(48)]
    )
}

/// Text for a failure message: where it starts to differ is usually near
/// the end, so its length and last characters.
fn cut(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(48)..].iter().collect();
    format!("({} chars) ...{tail:?}", chars.len())
}
