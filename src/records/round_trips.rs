//! Round-trip times for the log's RTT column: for each received record
//! that is the first from its peer after we sent to that peer, the time
//! from that send to it. Kept in step with the store incrementally (each
//! record is looked at once), bounded by the records held.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use super::RecordStore;

/// Peers with a send not yet answered that are remembered at once; past
/// this (a UDP flood to many addresses) the oldest waits are forgotten.
const MAX_WAITING: usize = 4096;

/// The round trips of a store's records.
#[derive(Debug, Default, Clone)]
pub struct RoundTrips {
    /// The next record to look at.
    next_seq: u64,
    /// Per peer, the first send not answered yet.
    waiting: HashMap<SocketAddr, SystemTime>,
    /// (seq of an answering RX record, round trip), in seq order.
    found: VecDeque<(u64, Duration)>,
}

impl RoundTrips {
    /// Nothing looked at yet.
    pub fn new() -> RoundTrips {
        RoundTrips::default()
    }

    /// Looks at the records added since the last call, stopping at
    /// `deadline` (looking at the clock every 256 records); true when every
    /// record held has been looked at.
    pub fn sync_until(&mut self, store: &RecordStore, deadline: Option<Instant>) -> bool {
        let first = store.first_seq();
        if self.next_seq < first || self.next_seq > store.end_seq() {
            // Records were dropped before they were looked at, or the
            // store was cleared: start over at the oldest held.
            self.waiting.clear();
            self.found.clear();
            self.next_seq = first;
        }
        while self.found.front().is_some_and(|(seq, _)| *seq < first) {
            self.found.pop_front();
        }
        let mut counted = 0u32;
        // The newest record may still grow; it is looked at once complete
        // enough to matter: its first read's time does not change.
        while let Some(record) = store.get(self.next_seq) {
            match (record.dir, record.peer) {
                (dir, Some(peer)) if dir.asks() => {
                    if self.waiting.len() >= MAX_WAITING && !self.waiting.contains_key(&peer) {
                        self.waiting.clear();
                    }
                    self.waiting.entry(peer).or_insert(record.time);
                }
                (dir, Some(peer)) if dir.answers() => {
                    if let Some(sent) = self.waiting.remove(&peer) {
                        let rtt = record.time.duration_since(sent).unwrap_or_default();
                        self.found.push_back((record.seq, rtt));
                    }
                }
                _ => {}
            }
            self.next_seq += 1;
            counted = counted.wrapping_add(1);
            if counted.is_multiple_of(256) && deadline.is_some_and(|d| Instant::now() >= d) {
                return store.get(self.next_seq).is_none();
            }
        }
        true
    }

    /// The round trip that ended with record `seq`, if it answered a send.
    pub fn rtt(&self, seq: u64) -> Option<Duration> {
        let i = self.found.partition_point(|(s, _)| *s < seq);
        self.found
            .get(i)
            .filter(|(s, _)| *s == seq)
            .map(|(_, rtt)| *rtt)
    }
}

/// A duration for a narrow column: `850us`, `12.345ms`, `3.250s`, `2m05s`.
pub fn short_duration(d: Duration) -> String {
    let us = d.as_micros();
    if us < 1_000 {
        format!("{us}us")
    } else if us < 1_000_000 {
        format!("{:.3}ms", us as f64 / 1_000.0)
    } else if d.as_secs() < 60 {
        format!("{:.3}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::records::{Note, StoreConfig};

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn the_first_answer_after_a_send_ends_its_round_trip() {
        let mut s = RecordStore::default();
        let b = |t: &str| Bytes::copy_from_slice(t.as_bytes());
        let early = s.push_rx(at(0), peer(1), b("unasked"));
        s.push_tx(at(10), peer(1), b("ping"));
        s.push_tx(at(15), peer(1), b("ping again"));
        s.push_tx(at(20), peer(2), b("hello"));
        s.push_event(at(25), Some(peer(1)), Note::PeerFinished);
        let other = s.push_rx(at(30), peer(2), b("HELLO"));
        let answer = s.push_rx(at(42), peer(1), b("pong"));
        let more = s.push_rx(at(50), peer(1), b("more"));
        let mut r = RoundTrips::new();
        assert!(r.sync_until(&s, None));
        assert_eq!(r.rtt(early), None, "no send before it");
        assert_eq!(r.rtt(other), Some(Duration::from_millis(10)));
        // From the first unanswered send.
        assert_eq!(r.rtt(answer), Some(Duration::from_millis(32)));
        assert_eq!(r.rtt(more), None, "only the first answer");
        s.push_tx(at(60), peer(1), b("again"));
        let next = s.push_rx(at(61), peer(1), b("ok"));
        assert!(r.sync_until(&s, None));
        assert_eq!(r.rtt(next), Some(Duration::from_millis(1)));
    }

    #[test]
    fn dropped_and_cleared_records_start_over() {
        let mut s = RecordStore::new(StoreConfig {
            max_records: 2,
            ..StoreConfig::default()
        });
        let mut r = RoundTrips::new();
        s.push_tx(at(0), peer(1), Bytes::from_static(b"a"));
        let rx = s.push_rx(at(5), peer(1), Bytes::from_static(b"b"));
        r.sync_until(&s, None);
        assert_eq!(r.rtt(rx), Some(Duration::from_millis(5)));
        for i in 0..4 {
            s.push_rx(at(10 + i), peer(1), Bytes::from_static(b"x"));
        }
        r.sync_until(&s, None);
        assert_eq!(r.rtt(rx), None, "dropped with its record");
        s.clear();
        s.push_tx(at(100), peer(1), Bytes::from_static(b"a"));
        let rx = s.push_rx(at(103), peer(1), Bytes::from_static(b"b"));
        r.sync_until(&s, None);
        assert_eq!(r.rtt(rx), Some(Duration::from_millis(3)));
    }

    #[test]
    fn a_deadline_slices_the_work() {
        let mut s = RecordStore::default();
        for i in 0..1000u64 {
            s.push_tx(at(i * 2), peer(1), Bytes::from_static(b"q"));
            s.push_rx(at(i * 2 + 1), peer(1), Bytes::from_static(b"a"));
        }
        let mut r = RoundTrips::new();
        let mut calls = 1;
        while !r.sync_until(&s, Some(Instant::now())) {
            calls += 1;
        }
        assert!(calls >= 7, "{calls}");
        assert_eq!(r.rtt(1999), Some(Duration::from_millis(1)));
    }

    #[test]
    fn durations_fit_a_narrow_column() {
        assert_eq!(short_duration(Duration::from_micros(850)), "850us");
        assert_eq!(short_duration(Duration::from_micros(12_345)), "12.345ms");
        assert_eq!(short_duration(Duration::from_millis(3_250)), "3.250s");
        assert_eq!(short_duration(Duration::from_secs(125)), "2m05s");
    }
}
