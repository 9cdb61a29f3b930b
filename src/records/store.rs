//! The bounded, append-only record store.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};

use super::census::{Edges, Tally};
use super::earlier::Earlier;
use super::record::{Direction, Entry, Note, Record};

/// A merged record stops growing at this size, so a continuous stream with
/// no gaps still shows as rows of a readable size.
pub const MAX_MERGED_BYTES: usize = 64 * 1024;

/// Limits and framing of a [`RecordStore`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct StoreConfig {
    /// Payload bytes kept before the oldest records are dropped (64 MiB by
    /// default; a session's store leaves this to the shared budget).
    pub max_payload_bytes: usize,
    /// Records kept before the oldest are dropped (1 000 000 by default; at
    /// least one record is always kept).
    pub max_records: usize,
    /// When set, an RX read from the same peer arriving within this time
    /// (inclusive) of the previous read is appended to the previous record,
    /// provided that record is still the newest one: framing by time gap.
    pub merge_window: Option<Duration>,
    /// Count each record's [`Census`](super::Census) as it comes in, for
    /// the window's row index (on by default; the command line, which
    /// shows no rows from the store, leaves it off).
    pub count_rows: bool,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            max_payload_bytes: 64 * 1024 * 1024,
            max_records: 1_000_000,
            merge_window: None,
            count_rows: true,
        }
    }
}

/// Identifies a byte stream: records of one direction with one peer.
pub(crate) type StreamKey = (Direction, SocketAddr);

/// The receive log: records in seq order, bounded by [`StoreConfig`], with
/// O(1) append and O(1) lookup by seq.
///
/// Rendering memoizes through interior mutability, so the store is `Send`
/// but not `Sync`: keep it on the thread that draws it.
#[derive(Debug, Clone)]
pub struct RecordStore {
    pub(crate) config: StoreConfig,
    pub(crate) records: VecDeque<Record>,
    /// Seq of `records[0]`, or the next seq when empty.
    pub(crate) first_seq: u64,
    payload_bytes: usize,
    dropped_bytes: u64,
    dropped_records: u64,
    /// Newest seq of each stream (may point at dropped records).
    pub(crate) streams: HashMap<StreamKey, u64>,
    /// `streams` is pruned of dropped entries when it grows past this.
    prune_at: usize,
    /// Time of the last read merged into the newest record, when that record
    /// is RX and may take more reads.
    last_read: Option<SystemTime>,
    /// What the records no longer held had established.
    pub(crate) earlier: Earlier,
    /// The newest record's counts in full, with its first and open last
    /// line, which a read merged into it continues.
    newest_tally: Option<(Tally, Edges)>,
}

/// Memory a record costs besides its payload: the record itself, its boxed
/// note or read offsets, and the row index entry the window keeps for it.
pub const RECORD_OVERHEAD: usize = std::mem::size_of::<Record>() + 16;

/// Smallest pruning threshold for the stream map.
const MIN_PRUNE_AT: usize = 1024;

impl RecordStore {
    /// An empty store with the given limits.
    pub fn new(config: StoreConfig) -> Self {
        RecordStore {
            config,
            records: VecDeque::new(),
            first_seq: 0,
            payload_bytes: 0,
            dropped_bytes: 0,
            dropped_records: 0,
            streams: HashMap::new(),
            prune_at: MIN_PRUNE_AT,
            last_read: None,
            earlier: Earlier::default(),
            newest_tally: None,
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// Counts (or stops counting) each new record's census; see
    /// [`StoreConfig::count_rows`].
    pub(crate) fn set_count_rows(&mut self, on: bool) {
        self.config.count_rows = on;
    }

    /// Keeps at most `bytes` of payload, dropping the oldest records at
    /// once if it holds more.
    pub(crate) fn set_max_payload_bytes(&mut self, bytes: usize) {
        self.config.max_payload_bytes = bytes;
        self.enforce_caps();
    }

    /// Changes the limits; lowered caps drop the oldest records at once.
    #[cfg(test)]
    pub fn set_config(&mut self, config: StoreConfig) {
        self.config = config;
        if config.merge_window.is_none() {
            self.last_read = None;
        }
        self.enforce_caps();
    }

    /// Records a read from `peer` and returns the seq of the record holding
    /// it (an existing record when it was merged, see
    /// [`StoreConfig::merge_window`]).
    pub fn push_rx(&mut self, time: SystemTime, peer: SocketAddr, bytes: Bytes) -> u64 {
        self.push_read(time, Direction::Rx, peer, bytes)
    }

    /// Records a read of `dir` ([`Direction::Rx`], or a relay's
    /// [`Direction::Up`] or [`Direction::Down`]) concerning `peer`, merged
    /// like [`push_rx`](Self::push_rx) with the newest record of the same
    /// direction and peer.
    pub fn push_read(
        &mut self,
        time: SystemTime,
        dir: Direction,
        peer: SocketAddr,
        bytes: Bytes,
    ) -> u64 {
        if let Some(seq) = self.try_merge(time, dir, peer, &bytes) {
            self.last_read = Some(time);
            self.enforce_caps();
            return seq;
        }
        let seq = self.push(Record::new(
            self.end_seq(),
            time,
            dir,
            Some(peer),
            bytes,
            None,
        ));
        self.last_read = Some(time);
        seq
    }

    /// Records bytes sent to `peer` and returns the new seq.
    #[cfg(any(test, feature = "test-support"))]
    pub fn push_tx(&mut self, time: SystemTime, peer: SocketAddr, bytes: Bytes) -> u64 {
        self.push_tx_added(time, peer, bytes, 0)
    }

    /// Records a send whose last `added` bytes NetAssist added (line
    /// ending, checksum), so the log can show them apart.
    pub fn push_tx_added(
        &mut self,
        time: SystemTime,
        peer: SocketAddr,
        bytes: Bytes,
        added: u32,
    ) -> u64 {
        self.last_read = None;
        let mut record = Record::new(self.end_seq(), time, Direction::Tx, Some(peer), bytes, None);
        record.added = added.min(u32::try_from(record.bytes.len()).unwrap_or(u32::MAX));
        self.push(record)
    }

    /// Records an [`Entry`] and returns the seq of the record holding it.
    pub fn push_entry(&mut self, entry: Entry) -> u64 {
        if let (Some(message), Some(peer)) = (entry.message, entry.peer) {
            // A WebSocket message: a record of its own, never merged.
            self.last_read = None;
            let mut record = Record::new(
                self.end_seq(),
                entry.time,
                entry.dir,
                Some(peer),
                entry.bytes,
                None,
            );
            record.message = Some(message);
            record.added = entry
                .added
                .min(u32::try_from(record.bytes.len()).unwrap_or(u32::MAX));
            return self.push(record);
        }
        match (entry.dir, entry.peer, entry.note) {
            (dir @ (Direction::Rx | Direction::Up | Direction::Down), Some(peer), _) => {
                self.push_read(entry.time, dir, peer, entry.bytes)
            }
            (Direction::Tx, Some(peer), _) => {
                self.push_tx_added(entry.time, peer, entry.bytes, entry.added)
            }
            (_, peer, note) => {
                let note = note.unwrap_or(Note::Error {
                    message: "data without an address".to_string(),
                });
                // An event's bytes, if it has any (a relay's rewritten
                // chunk), are kept with it.
                self.last_read = None;
                self.push(Record::new(
                    self.end_seq(),
                    entry.time,
                    Direction::Event,
                    peer,
                    entry.bytes,
                    Some(note),
                ))
            }
        }
    }

    /// Records an event (optionally about `peer`) and returns the new seq.
    pub fn push_event(&mut self, time: SystemTime, peer: Option<SocketAddr>, note: Note) -> u64 {
        self.last_read = None;
        self.push(Record::new(
            self.end_seq(),
            time,
            Direction::Event,
            peer,
            Bytes::new(),
            Some(note),
        ))
    }

    /// Number of records held.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no records are held.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Seq of the oldest record held (equals [`end_seq`](Self::end_seq) when
    /// empty).
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// One past the seq of the newest record: the seq the next record gets.
    pub fn end_seq(&self) -> u64 {
        self.first_seq + self.records.len() as u64
    }

    /// The record with this seq, if it is still held. O(1).
    pub fn get(&self, seq: u64) -> Option<&Record> {
        self.index_of(seq).and_then(|i| self.records.get(i))
    }

    /// All records held, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Record> + ExactSizeIterator + '_ {
        self.records.iter()
    }

    /// The records from seq `from` on (all held records if `from` is older).
    pub fn iter_from(&self, from: u64) -> impl Iterator<Item = &Record> + '_ {
        let skip = usize::try_from(from.saturating_sub(self.first_seq)).unwrap_or(usize::MAX);
        self.records.range(skip.min(self.records.len())..)
    }

    /// Payload bytes currently held.
    pub fn payload_bytes(&self) -> usize {
        self.payload_bytes
    }

    /// Payload bytes dropped to respect the caps since creation or the last
    /// [`clear`](Self::clear).
    pub fn dropped_bytes(&self) -> u64 {
        self.dropped_bytes
    }

    /// Records dropped to respect the caps since creation or the last
    /// [`clear`](Self::clear).
    pub fn dropped_records(&self) -> u64 {
        self.dropped_records
    }

    /// Removes every record and resets the drop counters; seqs keep counting
    /// up, and records pushed afterwards start new streams.
    pub fn clear(&mut self) {
        for record in &self.records {
            self.earlier.absorb(record);
        }
        self.first_seq = self.end_seq();
        self.records.clear();
        self.payload_bytes = 0;
        self.dropped_bytes = 0;
        self.dropped_records = 0;
        self.streams.clear();
        self.prune_at = MIN_PRUNE_AT;
        self.last_read = None;
        self.newest_tally = None;
    }

    /// Position of `seq` in `records`, if held.
    pub(crate) fn index_of(&self, seq: u64) -> Option<usize> {
        let offset = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        (offset < self.records.len()).then_some(offset)
    }

    /// Whether `record` is the newest record of its stream, i.e. whether a
    /// later record may still continue its last character.
    pub(crate) fn is_stream_head(&self, record: &Record) -> bool {
        if record.message.is_some() {
            return true;
        }
        match (record.dir, record.peer) {
            (Direction::Event, _) | (_, None) => true,
            (dir, Some(peer)) => self.streams.get(&(dir, peer)) == Some(&record.seq),
        }
    }

    /// Appends a record, linking it to its stream, and enforces the caps.
    fn push(&mut self, mut record: Record) -> u64 {
        let seq = record.seq;
        // Counted here, while the bytes just read are still in the cache,
        // so the window's row index need not read them again.
        let counted = match record.dir {
            Direction::Event => None,
            _ if !self.config.count_rows => None,
            _ => Tally::of(record.typed()),
        };
        record.census = counted.and_then(|(tally, _)| tally.census());
        self.newest_tally = counted;
        // A WebSocket message stands alone: no stream to carry text across.
        if record.dir != Direction::Event
            && record.message.is_none()
            && let Some(peer) = record.peer
        {
            // One lookup: the stream's newest seq becomes this one.
            if let Some(prev) = self.streams.insert((record.dir, peer), seq)
                && prev >= self.first_seq
            {
                record.link = u32::try_from(seq - prev).unwrap_or(0);
                if record.link != 0
                    && let Some(prev_record) =
                        self.index_of(prev).and_then(|i| self.records.get_mut(i))
                {
                    prev_record.next = record.link;
                }
            }
            if self.streams.len() > self.prune_at {
                let first = self.first_seq;
                self.streams.retain(|_, &mut last| last >= first);
                self.prune_at = (self.streams.len() * 2).max(MIN_PRUNE_AT);
            }
        }
        self.payload_bytes += record.bytes.len();
        self.records.push_back(record);
        self.enforce_caps();
        seq
    }

    /// Appends `bytes` to the newest record if the merge rule allows it.
    fn try_merge(
        &mut self,
        time: SystemTime,
        dir: Direction,
        peer: SocketAddr,
        bytes: &Bytes,
    ) -> Option<u64> {
        let window = self.config.merge_window?;
        let last_read = self.last_read?;
        let newest = self.records.back_mut()?;
        if newest.dir != dir || newest.peer != Some(peer) {
            return None;
        }
        // A clock that stepped backwards counts as no gap.
        let gap = time.duration_since(last_read).unwrap_or(Duration::ZERO);
        let merged_len = newest.bytes.len() + bytes.len();
        if gap > window || merged_len > MAX_MERGED_BYTES {
            return None;
        }
        let offset = u32::try_from(newest.bytes.len()).ok()?;
        let old = std::mem::take(&mut newest.bytes);
        // Reuses the buffer when nobody else holds it, so a long run of
        // merges grows it amortized instead of copying each time.
        let mut buf = old
            .try_into_mut()
            .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
        buf.extend_from_slice(bytes);
        newest.bytes = buf.freeze();
        // A merged record stops at 64 KiB: the joined counts fit.
        self.newest_tally = match (self.newest_tally, Tally::of(bytes)) {
            (Some(counted), Some(added)) => Some(Tally::join(counted, added)),
            _ => None,
        };
        newest.census = self.newest_tally.and_then(|(tally, _)| tally.census());
        newest.reads.push(offset);
        // Auto must look at the grown bytes again.
        newest.auto.set(0);
        self.payload_bytes += bytes.len();
        Some(newest.seq)
    }

    /// What the records held cost in memory: their payload plus a fixed
    /// overhead per record. A memory budget shared by several stores counts
    /// this.
    pub fn cost(&self) -> usize {
        self.payload_bytes + self.records.len() * RECORD_OVERHEAD
    }

    /// The time of the oldest record held.
    pub fn oldest_time(&self) -> Option<SystemTime> {
        self.records.front().map(|r| r.time)
    }

    /// Drops the oldest records until at least `want` of [`cost`](Self::cost)
    /// is freed or only `keep` records are left; returns the cost freed.
    /// Dropped records count in [`dropped_bytes`](Self::dropped_bytes).
    pub fn evict_oldest(&mut self, want: usize, keep: usize) -> usize {
        self.evict_oldest_before(want, keep, None)
    }

    /// Like [`evict_oldest`](Self::evict_oldest), but after the first record
    /// stops at records newer than `not_after`: several stores sharing a
    /// budget give up their records oldest first across all of them.
    pub fn evict_oldest_before(
        &mut self,
        want: usize,
        keep: usize,
        not_after: Option<SystemTime>,
    ) -> usize {
        let mut freed = 0;
        while freed < want && self.records.len() > keep {
            if freed > 0
                && let (Some(limit), Some(front)) = (not_after, self.records.front())
                && front.time > limit
            {
                break;
            }
            let Some(oldest) = self.records.pop_front() else {
                break;
            };
            freed += oldest.bytes.len() + RECORD_OVERHEAD;
            self.drop_counted(&oldest);
        }
        freed
    }

    fn drop_counted(&mut self, oldest: &Record) {
        self.earlier.absorb(oldest);
        self.payload_bytes -= oldest.bytes.len();
        self.dropped_bytes += oldest.bytes.len() as u64;
        self.dropped_records += 1;
        self.first_seq += 1;
        if self.records.is_empty() {
            self.last_read = None;
        }
    }

    /// Drops the oldest records while over a cap (always keeping the newest).
    fn enforce_caps(&mut self) {
        let max_records = self.config.max_records.max(1);
        while self.records.len() > max_records
            || (self.payload_bytes > self.config.max_payload_bytes && self.records.len() > 1)
        {
            let Some(oldest) = self.records.pop_front() else {
                break;
            };
            self.drop_counted(&oldest);
        }
    }
}

impl Default for RecordStore {
    fn default() -> Self {
        RecordStore::new(StoreConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    fn bytes(n: usize) -> Bytes {
        Bytes::from(vec![b'x'; n])
    }

    #[test]
    fn seqs_are_continuous_and_get_is_direct() {
        let mut s = RecordStore::default();
        assert!(s.is_empty());
        assert_eq!(s.push_rx(at(0), peer(1), bytes(3)), 0);
        assert_eq!(s.push_tx(at(1), peer(1), bytes(2)), 1);
        assert_eq!(s.push_event(at(2), None, Note::Closed), 2);
        assert_eq!((s.len(), s.first_seq(), s.end_seq()), (3, 0, 3));
        assert_eq!(s.payload_bytes(), 5);
        assert_eq!(s.get(1).map(|r| r.dir), Some(Direction::Tx));
        assert_eq!(
            s.get(2).and_then(|r| r.note.as_deref().cloned()),
            Some(Note::Closed)
        );
        assert!(s.get(3).is_none());
        for (i, r) in s.iter().enumerate() {
            assert_eq!(r.seq, i as u64);
        }
    }

    #[test]
    fn record_cap_drops_oldest() {
        let mut s = RecordStore::new(StoreConfig {
            max_records: 3,
            ..StoreConfig::default()
        });
        for i in 0..10u64 {
            assert_eq!(s.push_rx(at(i), peer(1), bytes(2)), i);
        }
        assert_eq!(s.len(), 3);
        assert_eq!((s.first_seq(), s.end_seq()), (7, 10));
        assert_eq!(s.dropped_records(), 7);
        assert_eq!(s.dropped_bytes(), 14);
        assert_eq!(s.payload_bytes(), 6);
        assert!(s.get(6).is_none());
        assert_eq!(s.get(7).map(|r| r.seq), Some(7));
        assert_eq!(s.get(9).map(|r| r.seq), Some(9));
    }

    #[test]
    fn byte_cap_drops_oldest_but_keeps_newest() {
        let mut s = RecordStore::new(StoreConfig {
            max_payload_bytes: 10,
            ..StoreConfig::default()
        });
        s.push_rx(at(0), peer(1), bytes(4));
        s.push_rx(at(1), peer(1), bytes(4));
        assert_eq!((s.len(), s.dropped_records()), (2, 0));
        s.push_rx(at(2), peer(1), bytes(4));
        assert_eq!((s.len(), s.first_seq()), (2, 1));
        assert_eq!((s.dropped_records(), s.dropped_bytes()), (1, 4));
        assert_eq!(s.payload_bytes(), 8);
        // A single record larger than the cap is kept alone.
        s.push_rx(at(3), peer(1), bytes(50));
        assert_eq!((s.len(), s.first_seq()), (1, 3));
        assert_eq!((s.dropped_records(), s.dropped_bytes()), (3, 12));
        assert_eq!(s.payload_bytes(), 50);
        // Events cost no payload.
        s.push_event(at(4), None, Note::Closed);
        assert_eq!((s.len(), s.first_seq()), (1, 4));
    }

    #[test]
    fn lowering_caps_applies_at_once() {
        let mut s = RecordStore::default();
        for i in 0..5 {
            s.push_rx(at(i), peer(1), bytes(1));
        }
        s.set_config(StoreConfig {
            max_records: 2,
            ..StoreConfig::default()
        });
        assert_eq!((s.len(), s.first_seq(), s.dropped_records()), (2, 3, 3));
        s.set_config(StoreConfig {
            max_records: 0,
            ..StoreConfig::default()
        });
        assert_eq!((s.len(), s.first_seq()), (1, 4));
    }

    #[test]
    fn clear_keeps_counting_seqs() {
        let mut s = RecordStore::new(StoreConfig {
            max_records: 2,
            ..StoreConfig::default()
        });
        for i in 0..4 {
            s.push_rx(at(i), peer(1), bytes(1));
        }
        s.clear();
        assert!(s.is_empty());
        assert_eq!((s.first_seq(), s.end_seq()), (4, 4));
        assert_eq!(
            (s.dropped_records(), s.dropped_bytes(), s.payload_bytes()),
            (0, 0, 0)
        );
        assert_eq!(s.push_tx(at(5), peer(1), bytes(1)), 4);
        assert_eq!(s.get(4).map(|r| r.seq), Some(4));
        assert_eq!(s.get(4).map(|r| r.link), Some(0));
    }

    #[test]
    fn stream_links_skip_other_streams() {
        let mut s = RecordStore::default();
        s.push_rx(at(0), peer(1), bytes(1)); // 0
        s.push_rx(at(0), peer(2), bytes(1)); // 1
        s.push_tx(at(0), peer(1), bytes(1)); // 2
        s.push_event(
            at(0),
            Some(peer(1)),
            Note::Connected {
                local: peer(9),
                by: crate::records::Opener::Peer,
            },
        ); // 3
        s.push_rx(at(0), peer(1), bytes(1)); // 4
        let links: Vec<u32> = s.iter().map(|r| r.link).collect();
        assert_eq!(links, [0, 0, 0, 0, 4]);
        let nexts: Vec<u32> = s.iter().map(|r| r.next).collect();
        assert_eq!(nexts, [4, 0, 0, 0, 0]);
        assert!(!s.is_stream_head(&s.records[0]));
        assert!(s.is_stream_head(&s.records[4]));
    }

    fn merging(window_ms: u64) -> RecordStore {
        RecordStore::new(StoreConfig {
            merge_window: Some(Duration::from_millis(window_ms)),
            ..StoreConfig::default()
        })
    }

    #[test]
    fn merge_window_is_measured_from_the_previous_read() {
        let mut s = merging(10);
        assert_eq!(s.push_rx(at(0), peer(1), Bytes::from_static(b"ab")), 0);
        assert_eq!(s.push_rx(at(10), peer(1), Bytes::from_static(b"cd")), 0); // gap == window
        assert_eq!(s.push_rx(at(20), peer(1), Bytes::from_static(b"e")), 0); // chained gaps
        let merged = s.push_rx(at(31), peer(1), Bytes::from_static(b"f")); // gap 11 > 10
        assert_eq!(merged, 1);
        let r = s.get(0).unwrap();
        assert_eq!(&r.bytes[..], b"abcde");
        assert_eq!(r.reads, [2, 4]);
        assert_eq!(r.time, at(0));
        assert_eq!(s.get(1).map(|r| r.reads.is_empty()), Some(true));
        assert_eq!(s.payload_bytes(), 6);
    }

    #[test]
    fn merge_needs_same_peer_and_newest_record() {
        let mut s = merging(100);
        s.push_rx(at(0), peer(1), bytes(1));
        assert_eq!(s.push_rx(at(1), peer(2), bytes(1)), 1); // other peer
        assert_eq!(s.push_rx(at(2), peer(1), bytes(1)), 2); // 0 is no longer newest
        s.push_tx(at(3), peer(1), bytes(1));
        assert_eq!(s.push_rx(at(4), peer(1), bytes(1)), 4); // a TX came between
        s.push_event(at(5), Some(peer(1)), Note::ClosedByPeer);
        assert_eq!(s.push_rx(at(6), peer(1), bytes(1)), 6);
        // Without a window nothing merges.
        let mut plain = RecordStore::default();
        plain.push_rx(at(0), peer(1), bytes(1));
        assert_eq!(plain.push_rx(at(0), peer(1), bytes(1)), 1);
    }

    #[test]
    fn merged_records_stop_growing() {
        let mut s = merging(100);
        s.push_rx(at(0), peer(1), bytes(MAX_MERGED_BYTES - 1));
        assert_eq!(s.push_rx(at(1), peer(1), bytes(1)), 0);
        assert_eq!(s.push_rx(at(2), peer(1), bytes(1)), 1);
        assert_eq!(s.get(0).map(|r| r.bytes.len()), Some(MAX_MERGED_BYTES));
    }

    #[test]
    fn merging_respects_byte_cap() {
        let mut s = RecordStore::new(StoreConfig {
            max_payload_bytes: 5,
            merge_window: Some(Duration::from_millis(100)),
            ..StoreConfig::default()
        });
        s.push_tx(at(0), peer(1), bytes(3));
        s.push_rx(at(1), peer(1), bytes(2));
        assert_eq!(s.len(), 2);
        s.push_rx(at(2), peer(1), bytes(2)); // merged: 3 + 4 > 5 drops the TX
        assert_eq!((s.len(), s.first_seq(), s.payload_bytes()), (1, 1, 4));
        assert_eq!(s.dropped_bytes(), 3);
    }

    #[test]
    fn merging_does_not_touch_bytes_held_elsewhere() {
        let mut s = merging(100);
        let first = Bytes::from_static(b"ab");
        s.push_rx(at(0), peer(1), first.clone());
        let held = s.get(0).map(|r| r.bytes.clone()).unwrap();
        s.push_rx(at(1), peer(1), Bytes::from_static(b"cd"));
        assert_eq!(&held[..], b"ab");
        assert_eq!(&first[..], b"ab");
        assert_eq!(s.get(0).map(|r| &r.bytes[..]), Some(&b"abcd"[..]));
    }

    #[test]
    fn stream_map_is_pruned() {
        let mut s = RecordStore::new(StoreConfig {
            max_records: 10,
            ..StoreConfig::default()
        });
        for port in 0..5000u16 {
            s.push_rx(at(0), peer(port), bytes(1));
        }
        assert!(s.streams.len() <= MIN_PRUNE_AT + 1, "{}", s.streams.len());
        // The newest streams are still linked.
        s.push_rx(at(0), peer(4999), bytes(1));
        assert_eq!(s.get(5000).map(|r| r.link), Some(1));
    }

    #[test]
    fn a_million_records() {
        let mut s = RecordStore::new(StoreConfig {
            max_records: 600_000,
            ..StoreConfig::default()
        });
        let payload = Bytes::from_static(b"0123456789");
        for i in 0..1_000_000u64 {
            s.push_rx(at(i), peer(1 + (i % 4) as u16), payload.clone());
        }
        assert_eq!(s.len(), 600_000);
        assert_eq!((s.first_seq(), s.end_seq()), (400_000, 1_000_000));
        assert_eq!(s.dropped_records(), 400_000);
        assert_eq!(s.dropped_bytes(), 4_000_000);
        assert_eq!(s.payload_bytes(), 6_000_000);
        assert_eq!(s.get(999_999).map(|r| r.seq), Some(999_999));
        assert_eq!(s.get(400_000).map(|r| r.seq), Some(400_000));
        assert!(s.get(399_999).is_none());
    }

    #[test]
    fn eviction_frees_cost_from_the_oldest_and_counts_it() {
        let mut s = RecordStore::default();
        for i in 0..10 {
            s.push_rx(at(i), peer(1), bytes(100));
        }
        assert_eq!(s.cost(), 10 * (100 + RECORD_OVERHEAD));
        assert_eq!(s.oldest_time(), Some(at(0)));
        let freed = s.evict_oldest(2 * (100 + RECORD_OVERHEAD) + 1, 1);
        assert_eq!(freed, 3 * (100 + RECORD_OVERHEAD));
        assert_eq!((s.len(), s.first_seq()), (7, 3));
        assert_eq!((s.dropped_records(), s.dropped_bytes()), (3, 300));
        assert_eq!(s.oldest_time(), Some(at(3)));
        // `keep` records always stay.
        // After the first record, a time bound stops it.
        let freed = s.evict_oldest_before(usize::MAX, 0, Some(at(4)));
        assert_eq!((freed, s.len()), (2 * (100 + RECORD_OVERHEAD), 5));
        assert_eq!(
            s.evict_oldest_before(usize::MAX, 0, Some(at(0))),
            100 + RECORD_OVERHEAD
        );
        s.evict_oldest(usize::MAX, 2);
        assert_eq!(s.len(), 2);
        s.evict_oldest(usize::MAX, 0);
        assert!(s.is_empty());
        assert_eq!(s.cost(), 0);
    }

    #[test]
    fn record_stays_compact() {
        // Payload bytes live elsewhere; the per-record overhead is what a
        // million records multiply (a WebSocket message's kind and frame
        // count took it from 144 to 152, the rows' census to 160).
        assert!(
            std::mem::size_of::<Record>() <= 160,
            "{}",
            std::mem::size_of::<Record>()
        );
    }
}
