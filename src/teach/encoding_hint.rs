//! The encoding hint: when Auto shows a peer's text as GBK while the
//! session sends UTF-8 (or the other way round), the log says so once for
//! that peer, with the fix. Mixing the two is the tutorials' most common
//! confusion: the learner reads the peer fine, and the peer reads garbage.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Instant;

use crate::codec::{DisplayEncoding, TextEncoding};
use crate::records::{Direction, RecordStore};

/// Most peers remembered as told; past this (a UDP flood from many
/// addresses) no more hints are given, rather than memory growing.
pub const MAX_PEERS: usize = 4096;

/// A peer to tell about, and the encoding Auto shows it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    /// The peer.
    pub peer: SocketAddr,
    /// The encoding its text is shown in.
    pub shown: TextEncoding,
}

/// Watches a store's received records for peers whose encoding differs
/// from the send encoding.
#[derive(Debug, Default, Clone)]
pub struct EncodingWatch {
    next_seq: u64,
    told: HashSet<SocketAddr>,
}

impl EncodingWatch {
    /// Nothing seen yet.
    pub fn new() -> EncodingWatch {
        EncodingWatch::default()
    }

    /// Looks only at records from `seq` on.
    pub fn skip_to(&mut self, seq: u64) {
        self.next_seq = seq;
    }

    /// Whether every record held has been looked at.
    pub fn caught_up(&self, store: &RecordStore) -> bool {
        self.next_seq >= store.end_seq()
    }

    /// Looks at the records received since the last call (until
    /// `deadline`, looking at the clock every 256 records) and returns the
    /// peers not told yet whose text Auto shows in the other encoding than
    /// `send`. Only records with bytes beyond ASCII count: ASCII reads the
    /// same in both. With a fixed display encoding nothing is told (the
    /// user chose it), but the records are still passed over.
    pub fn scan(
        &mut self,
        store: &RecordStore,
        display: DisplayEncoding,
        send: TextEncoding,
        deadline: Option<Instant>,
    ) -> Vec<Mismatch> {
        if self.next_seq < store.first_seq() || self.next_seq > store.end_seq() {
            self.next_seq = store.first_seq();
        }
        let mut found = Vec::new();
        if display != DisplayEncoding::Auto {
            // The user chose the encoding: nothing to tell, nothing to scan.
            self.next_seq = store.end_seq();
            return found;
        }
        let mut counted = 0u32;
        // A record's choice depends only on its own bytes and what its
        // stream carried into it, so later reads never change it.
        while self.next_seq < store.end_seq() {
            let Some(record) = store.get(self.next_seq) else {
                break;
            };
            if let (Direction::Rx, Some(peer), DisplayEncoding::Auto) =
                (record.dir, record.peer, display)
                && !record
                    .census()
                    .map_or_else(|| record.bytes.is_ascii(), |c| c.is_ascii())
                // A binary WebSocket message is not text in any encoding.
                && record
                    .message
                    .is_none_or(|m| m.kind == crate::net::ws::MessageKind::Text)
                && self.told.len() < MAX_PEERS
                && !self.told.contains(&peer)
                && let Some(shown) = store.chosen_encoding(record.seq, display)
                && shown != send
            {
                self.told.insert(peer);
                found.push(Mismatch { peer, shown });
            }
            self.next_seq += 1;
            counted = counted.wrapping_add(1);
            if counted.is_multiple_of(256) && deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use bytes::Bytes;

    use super::*;
    use crate::codec::encode;
    use crate::records::Note;

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn rx(s: &mut RecordStore, port: u16, bytes: Vec<u8>) {
        s.push_rx(SystemTime::now(), peer(port), Bytes::from(bytes));
    }

    #[test]
    fn each_mismatched_peer_is_told_once() {
        let mut s = RecordStore::default();
        let gbk = encode("你好", TextEncoding::Gbk).unwrap();
        rx(&mut s, 1, b"plain ascii".to_vec());
        rx(&mut s, 1, gbk.clone());
        rx(&mut s, 2, "你好".as_bytes().to_vec());
        rx(&mut s, 1, gbk.clone());
        s.push_event(SystemTime::now(), None, Note::Closed);
        let mut w = EncodingWatch::new();
        let utf8 = TextEncoding::Utf8;
        let found = w.scan(&s, DisplayEncoding::Auto, utf8, None);
        assert_eq!(
            found,
            [Mismatch {
                peer: peer(1),
                shown: TextEncoding::Gbk
            }]
        );
        rx(&mut s, 1, gbk.clone());
        rx(&mut s, 3, gbk.clone());
        s.push_event(SystemTime::now(), None, Note::Closed);
        let found = w.scan(&s, DisplayEncoding::Auto, utf8, None);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].peer, peer(3));
        // The other way round: a GBK sender meets UTF-8 text.
        let mut w = EncodingWatch::new();
        let found = w.scan(&s, DisplayEncoding::Auto, TextEncoding::Gbk, None);
        assert_eq!(
            found,
            [Mismatch {
                peer: peer(2),
                shown: TextEncoding::Utf8
            }]
        );
        // A fixed display encoding is the user's choice: nothing is told.
        let mut w = EncodingWatch::new();
        assert!(w.scan(&s, DisplayEncoding::Gbk, utf8, None).is_empty());
    }

    #[test]
    fn a_character_split_over_reads_is_not_a_mismatch() {
        // "你" in UTF-8 split over two reads: the first alone is not UTF-8.
        let mut s = RecordStore::default();
        let utf8 = "你".as_bytes();
        rx(&mut s, 1, utf8[..1].to_vec());
        let mut w = EncodingWatch::new();
        assert!(
            w.scan(&s, DisplayEncoding::Auto, TextEncoding::Utf8, None)
                .is_empty()
        );
        rx(&mut s, 1, utf8[1..].to_vec());
        s.push_event(SystemTime::now(), None, Note::Closed);
        assert!(
            w.scan(&s, DisplayEncoding::Auto, TextEncoding::Utf8, None)
                .is_empty()
        );
    }
}
