//! Message framing (`Framer`) over reads split at random points.
//!
//! Input: byte 0 picks the rule (delimiter, fixed length, length prefix,
//! idle gap) and byte 1 its parameter (a delimiter's length, then its
//! bytes); byte 2 the message limit (1 to 256 bytes); byte 3 flags
//! (framing after every read, merging reads into records); then the cut
//! points, then the bytes received.
//!
//! Checked: the messages and what is left pending are the same whether the
//! bytes came in one read or many, framed as they came or all at once, and
//! after a rebuild; messages are never longer than the limit, their bytes
//! are the stream's bytes in order (the first bytes of a message and of the
//! pending one read alone agree), and each ends the way its cut says; a
//! close ends the pending message so every byte is in a message.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use netassist::records::{
    Cut, Endian, Framer, Framing, FramingError, LengthPrefix, Note, PrefixWidth, RecordStore,
    StoreConfig,
};
use netassist_fuzz::{Input, split};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let kind = input.byte();
    let param = input.byte();
    let framing = match kind % 4 {
        0 => {
            let len = usize::from(param % 16) + 1;
            Framing::Delimiter(input.take(len).to_vec())
        }
        1 => Framing::FixedLength(usize::from(param) + 1),
        2 => Framing::LengthPrefix(LengthPrefix {
            width: [PrefixWidth::One, PrefixWidth::Two, PrefixWidth::Four][usize::from(param) % 3],
            endian: if param & 4 == 0 {
                Endian::Big
            } else {
                Endian::Little
            },
            counts_header: param & 8 != 0,
        }),
        _ => Framing::IdleGap(Duration::from_millis(u64::from(param % 8) + 1)),
    };
    let max = usize::from(input.byte()) + 1;
    let flags = input.byte();
    let cuts = input.cuts();
    let bytes = input.rest();

    let framer = match Framer::with_limits(framing.clone(), max, 100_000) {
        Ok(framer) => framer,
        Err(e) => {
            match (&framing, e) {
                (Framing::Delimiter(d), FramingError::EmptyDelimiter) => assert!(d.is_empty()),
                (Framing::FixedLength(n), FramingError::LengthOverLimit(..)) => assert!(*n > max),
                (Framing::LengthPrefix(p), FramingError::PrefixOverLimit(..)) => {
                    assert!(p.width.bytes() > max)
                }
                (_, e) => panic!("{framing:?} refused: {e}"),
            }
            return;
        }
    };
    let peer: SocketAddr = "127.0.0.1:6000".parse().unwrap();
    let at = SystemTime::UNIX_EPOCH;

    // All the bytes in one read.
    let mut whole = RecordStore::default();
    if !bytes.is_empty() {
        whole.push_rx(at, peer, Bytes::copy_from_slice(bytes));
    }
    let mut one = framer.clone();
    one.update(&whole);
    let expected = messages(&one, &whole);
    let left = pending(&one, &whole, bytes);
    check_messages(&framing, max, bytes, &expected, left);
    for m in 0..one.len() as u64 {
        assert_eq!(one.get(one.first_index() + m).map(|m| m.reads()), Some(1));
    }

    // The same bytes in many reads, at the same time (one burst for the
    // idle gap).
    let mut split_store = RecordStore::new(StoreConfig {
        merge_window: (flags & 2 != 0).then_some(Duration::ZERO),
        ..StoreConfig::default()
    });
    let mut live = framer.clone();
    let pieces = split(bytes, &cuts);
    for piece in pieces.iter().filter(|p| !p.is_empty()) {
        split_store.push_rx(at, peer, Bytes::copy_from_slice(piece));
        if flags & 1 != 0 {
            live.update(&split_store);
        }
    }
    live.update(&split_store);
    assert_eq!(messages(&live, &split_store), expected);
    assert_eq!(pending(&live, &split_store, bytes), left);
    let mut rerun = live.clone();
    rerun.rebuild(&split_store);
    assert_eq!(messages(&rerun, &split_store), expected);
    assert_eq!(pending(&rerun, &split_store, bytes), left);

    // A close ends what is pending: then every byte is in a message.
    split_store.push_event(at, Some(peer), Note::ClosedByPeer);
    live.update(&split_store);
    assert!(live.pending().is_empty());
    let all = messages(&live, &split_store);
    let joined: Vec<u8> = all.iter().flat_map(|m| m.0.iter().copied()).collect();
    assert_eq!(joined, bytes);
    if left > 0 {
        let last = all.last().expect("the pending message ended");
        let idle = matches!(framing, Framing::IdleGap(_));
        assert_eq!(last.1, if idle { Cut::Complete } else { Cut::Unfinished });
        assert_eq!(last.0.len(), left);
    }
});

/// Bytes and cut of every message indexed.
fn messages(framer: &Framer, store: &RecordStore) -> Vec<(Vec<u8>, Cut)> {
    (framer.first_index()..framer.end_index())
        .map(|i| {
            let m = framer.get(i).expect("indexed");
            let bytes = framer.bytes(store, m).expect("held").into_owned();
            assert_eq!(bytes.len(), m.len());
            for max in [0, 1, bytes.len() / 2, bytes.len() + 1] {
                let start = framer.bytes_up_to(store, m, max).expect("held");
                assert_eq!(start[..], bytes[..max.min(bytes.len())]);
            }
            assert!(m.reads() >= 1 || m.is_empty());
            (bytes, m.cut())
        })
        .collect()
}

/// Bytes of the message still arriving (one peer at most): the last bytes
/// of the stream `bytes`.
fn pending(framer: &Framer, store: &RecordStore, bytes: &[u8]) -> usize {
    let pending = framer.pending();
    assert!(pending.len() <= 1);
    let Some(p) = pending.first() else {
        return 0;
    };
    let tail = &bytes[bytes.len() - p.len..];
    for max in [0, 1, p.len / 2, p.len + 1] {
        let got = framer.pending_bytes(store, p, max).expect("held");
        assert_eq!(got[..], tail[..max.min(p.len)]);
    }
    p.len
}

/// Messages of one stream `bytes`, with `left` bytes still pending, each
/// within the limit and ended as its cut says.
fn check_messages(
    framing: &Framing,
    max: usize,
    bytes: &[u8],
    msgs: &[(Vec<u8>, Cut)],
    left: usize,
) {
    let joined: Vec<u8> = msgs.iter().flat_map(|m| m.0.iter().copied()).collect();
    assert_eq!(joined.len() + left, bytes.len());
    assert!(bytes.starts_with(&joined));
    // A message reaching the limit ends there, so less is ever pending.
    assert!(left < max);
    for (m, cut) in msgs {
        assert!(m.len() <= max, "{} > {max}", m.len());
        match (framing, cut) {
            (Framing::Delimiter(d), Cut::Complete) => {
                let first = m.windows(d.len()).position(|w| w == &d[..]);
                assert_eq!(first, Some(m.len() - d.len()), "{m:02X?} {d:02X?}");
            }
            (Framing::Delimiter(d), Cut::OverLimit) => {
                assert_eq!(m.len(), max);
                assert!(!m.windows(d.len()).any(|w| w == &d[..]));
            }
            (Framing::FixedLength(n), Cut::Complete) => assert_eq!(m.len(), *n),
            (Framing::LengthPrefix(p), cut) => {
                let width = p.width.bytes();
                let field = &m[..width.min(m.len())];
                let declared = declared(p, field);
                match cut {
                    Cut::Complete => {
                        let body = if p.counts_header {
                            declared - width
                        } else {
                            declared
                        };
                        assert_eq!(m.len(), width + body);
                    }
                    Cut::DeclaredTooLong { declared: d } => {
                        assert_eq!((m.len(), *d as usize), (width, declared));
                        let body = if p.counts_header {
                            declared - width
                        } else {
                            declared
                        };
                        assert!(width + body > max);
                    }
                    Cut::DeclaredTooShort { declared: d } => {
                        assert_eq!((m.len(), *d as usize), (width, declared));
                        assert!(p.counts_header && declared < width);
                    }
                    other => panic!("length prefix ended as {other:?}"),
                }
            }
            (Framing::IdleGap(_), Cut::OverLimit) => assert_eq!(m.len(), max),
            (framing, cut) => panic!("{framing:?} ended a message as {cut:?}"),
        }
    }
}

/// The value of a length field, read plainly.
fn declared(p: &LengthPrefix, field: &[u8]) -> usize {
    let mut be = field.to_vec();
    if p.endian == Endian::Little {
        be.reverse();
    }
    be.iter().fold(0usize, |acc, &b| acc << 8 | usize::from(b))
}
