//! The one scheduler of a session: rule replies, sequence sends and the
//! finishes (FIN) that follow them wait here until they are due.
//!
//! It is a pure type: no clock and no sockets. The caller passes the time in
//! and carries out what [`Scheduler::pop_due`] gives back, so tests drive it
//! with a made-up clock and never sleep. Due jobs sit in a heap keyed by due
//! time (ties in the order they were queued). The scheduler is bounded by a
//! count and by bytes: when either bound would be passed, the oldest
//! pending reply is dropped, and the drop is counted for the log to show.

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::time::Instant;

use bytes::Bytes;

use crate::net::{PeerId, SendMeta, Target};

/// Most jobs waiting at once.
pub const MAX_JOBS: usize = 65_536;

/// Most bytes of replies waiting at once, unless the session says otherwise
/// (the window gives a share of the memory budget).
pub const DEFAULT_MAX_BYTES: usize = 16 * 1024 * 1024;

/// Something to do once its time has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Send bytes.
    Send {
        /// Where.
        target: Target,
        /// The exact bytes.
        data: Bytes,
        /// Facts for the log.
        meta: SendMeta,
    },
    /// Finish our sending on a connection (half-close: our FIN follows
    /// what was queued before it).
    Finish(PeerId),
}

impl Job {
    /// The one connection this job is about, if it names one.
    pub fn peer(&self) -> Option<PeerId> {
        match self {
            Job::Send {
                target: Target::Peers(p),
                ..
            } if p.len() == 1 => p.first().copied(),
            Job::Finish(p) => Some(*p),
            Job::Send { .. } => None,
        }
    }

    /// Bytes this job holds.
    pub fn bytes(&self) -> usize {
        match self {
            Job::Send { data, .. } => data.len(),
            Job::Finish(_) => 0,
        }
    }
}

/// Why queued jobs were dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// More jobs were waiting than [`MAX_JOBS`].
    TooMany,
    /// The replies waiting held more bytes than the bound.
    TooManyBytes,
    /// The connection they were for has closed.
    PeerGone,
}

/// Jobs dropped since the last [`Scheduler::take_drops`], by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drops {
    /// (reason, connection if one, jobs dropped, bytes dropped).
    pub items: Vec<(DropReason, Option<PeerId>, u64, u64)>,
}

impl Drops {
    fn add(&mut self, why: DropReason, peer: Option<PeerId>, bytes: usize) {
        let bytes = bytes as u64;
        match self.items.iter_mut().find(|i| i.0 == why && i.1 == peer) {
            Some(i) => {
                i.2 += 1;
                i.3 += bytes;
            }
            None => self.items.push((why, peer, 1, bytes)),
        }
    }

    /// True when nothing was dropped.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// What the scheduler keeps per connection.
#[derive(Debug, Default, Clone)]
struct PeerJobs {
    /// Queued jobs for it.
    seqs: HashSet<u64>,
    /// The latest due time among them.
    last_due: Option<Instant>,
}

/// The scheduler.
#[derive(Debug)]
pub struct Scheduler {
    slots: HashMap<u64, Job>,
    /// Due time and queue order; entries whose slot is gone are skipped.
    by_due: BinaryHeap<Reverse<(Instant, u64)>>,
    /// Queue order, oldest first; entries whose slot is gone are skipped.
    by_age: VecDeque<u64>,
    peers: HashMap<PeerId, PeerJobs>,
    next_seq: u64,
    bytes: usize,
    max_jobs: usize,
    max_bytes: usize,
    dropped: Drops,
    dropped_total: u64,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler::new(MAX_JOBS, DEFAULT_MAX_BYTES)
    }
}

impl Scheduler {
    /// An empty scheduler holding at most `max_jobs` jobs and `max_bytes`
    /// bytes of replies.
    pub fn new(max_jobs: usize, max_bytes: usize) -> Scheduler {
        Scheduler {
            slots: HashMap::new(),
            by_due: BinaryHeap::new(),
            by_age: VecDeque::new(),
            peers: HashMap::new(),
            next_seq: 0,
            bytes: 0,
            max_jobs: max_jobs.max(1),
            max_bytes,
            dropped: Drops::default(),
            dropped_total: 0,
        }
    }

    /// Changes the byte bound; what no longer fits is dropped, oldest first.
    pub fn set_max_bytes(&mut self, max_bytes: usize) {
        self.max_bytes = max_bytes;
        while self.bytes > self.max_bytes && self.drop_oldest(DropReason::TooManyBytes) {}
    }

    /// Jobs waiting.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Bytes of replies waiting.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Jobs dropped since the scheduler was made.
    pub fn dropped_total(&self) -> u64 {
        self.dropped_total
    }

    /// Queues `job` for `due`. A job larger than the byte bound on its own
    /// is dropped at once; otherwise the oldest jobs make room for it.
    pub fn push(&mut self, due: Instant, job: Job) {
        let size = job.bytes();
        if size > self.max_bytes {
            self.count_drop(DropReason::TooManyBytes, job.peer(), size);
            return;
        }
        while self.slots.len() >= self.max_jobs {
            if !self.drop_oldest(DropReason::TooMany) {
                break;
            }
        }
        while self.bytes + size > self.max_bytes {
            if !self.drop_oldest(DropReason::TooManyBytes) {
                break;
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(peer) = job.peer() {
            let p = self.peers.entry(peer).or_default();
            p.seqs.insert(seq);
            p.last_due = Some(p.last_due.map_or(due, |d| d.max(due)));
        }
        self.bytes += size;
        self.by_due.push(Reverse((due, seq)));
        self.by_age.push_back(seq);
        self.slots.insert(seq, job);
        self.trim_age();
    }

    /// Queues `job` for a connection after everything already queued for
    /// it (and not before `now`): a finish that must follow the replies.
    pub fn push_after_peer(&mut self, now: Instant, peer: PeerId, job: Job) {
        let last = self.peers.get(&peer).and_then(|p| p.last_due);
        self.push(last.map_or(now, |d| d.max(now)), job);
    }

    /// When the next job is due.
    pub fn next_due(&mut self) -> Option<Instant> {
        self.skip_gone();
        self.by_due.peek().map(|Reverse((due, _))| *due)
    }

    /// Takes every job due by `now`, in due order (ties in queue order).
    pub fn pop_due(&mut self, now: Instant) -> Vec<Job> {
        let mut out = Vec::new();
        loop {
            self.skip_gone();
            match self.by_due.peek() {
                Some(Reverse((due, _))) if *due <= now => {}
                _ => break,
            }
            let Some(Reverse((_, seq))) = self.by_due.pop() else {
                break;
            };
            if let Some(job) = self.remove(seq) {
                out.push(job);
            }
        }
        self.trim_age();
        out
    }

    /// Drops every job for a connection that has gone; they are counted as
    /// [`DropReason::PeerGone`].
    pub fn peer_gone(&mut self, peer: PeerId) {
        let Some(p) = self.peers.remove(&peer) else {
            return;
        };
        for seq in p.seqs {
            if let Some(job) = self.slots.remove(&seq) {
                self.bytes -= job.bytes();
                // A finish for a connection that has gone is no reply lost.
                if matches!(job, Job::Send { .. }) {
                    self.count_drop(DropReason::PeerGone, Some(peer), job.bytes());
                }
            }
        }
        self.trim_age();
    }

    /// Drops everything (the link closed); nothing is counted.
    pub fn clear(&mut self) {
        self.slots.clear();
        self.by_due.clear();
        self.by_age.clear();
        self.peers.clear();
        self.bytes = 0;
    }

    /// Whether anything was dropped since the last [`Scheduler::take_drops`].
    pub fn has_drops(&self) -> bool {
        !self.dropped.is_empty()
    }

    /// What was dropped since the last call.
    pub fn take_drops(&mut self) -> Drops {
        std::mem::take(&mut self.dropped)
    }

    fn count_drop(&mut self, why: DropReason, peer: Option<PeerId>, bytes: usize) {
        self.dropped.add(why, peer, bytes);
        self.dropped_total += 1;
    }

    /// Drops the oldest queued reply; false when nothing is left to drop.
    fn drop_oldest(&mut self, why: DropReason) -> bool {
        while let Some(seq) = self.by_age.pop_front() {
            if let Some(job) = self.remove(seq) {
                let peer = job.peer();
                self.count_drop(why, peer, job.bytes());
                return true;
            }
        }
        false
    }

    /// Removes a queued job, keeping the per-connection index and the byte
    /// count right.
    fn remove(&mut self, seq: u64) -> Option<Job> {
        let job = self.slots.remove(&seq)?;
        self.bytes -= job.bytes();
        if let Some(peer) = job.peer()
            && let Entry::Occupied(mut e) = self.peers.entry(peer)
        {
            let p = e.get_mut();
            p.seqs.remove(&seq);
            if p.seqs.is_empty() {
                e.remove();
            }
        }
        Some(job)
    }

    /// Pops heap entries whose job has gone (dropped or cancelled).
    fn skip_gone(&mut self) {
        while let Some(Reverse((_, seq))) = self.by_due.peek() {
            if self.slots.contains_key(seq) {
                return;
            }
            self.by_due.pop();
        }
    }

    /// Forgets queue-order entries of jobs that have gone, from the front.
    fn trim_age(&mut self) {
        while let Some(seq) = self.by_age.front() {
            if self.slots.contains_key(seq) {
                break;
            }
            self.by_age.pop_front();
        }
        // Entries in the middle are skipped when they reach the front; keep
        // the deque from growing past the heap when many are cancelled.
        if self.by_age.len() > 2 * self.slots.len() + 1024 {
            let slots = &self.slots;
            self.by_age.retain(|s| slots.contains_key(s));
        }
        if self.by_due.len() > 2 * self.slots.len() + 1024 {
            let slots = &self.slots;
            self.by_due.retain(|Reverse((_, s))| slots.contains_key(s));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn send(peer: u64, text: &str) -> Job {
        Job::Send {
            target: Target::Peers(vec![PeerId(peer)]),
            data: Bytes::copy_from_slice(text.as_bytes()),
            meta: SendMeta::default(),
        }
    }

    fn texts(jobs: &[Job]) -> Vec<String> {
        jobs.iter()
            .map(|j| match j {
                Job::Send { data, .. } => String::from_utf8_lossy(data).into_owned(),
                Job::Finish(p) => format!("FIN {p}"),
            })
            .collect()
    }

    #[test]
    fn jobs_come_out_in_due_order_then_queue_order() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut s = Scheduler::default();
        s.push(ms(30), send(1, "c"));
        s.push(ms(10), send(1, "a"));
        s.push(ms(10), send(2, "b"));
        s.push(ms(20), send(1, "bb"));
        assert_eq!(s.next_due(), Some(ms(10)));
        assert!(s.pop_due(ms(5)).is_empty());
        assert_eq!(texts(&s.pop_due(ms(20))), ["a", "b", "bb"]);
        assert_eq!(s.len(), 1);
        assert_eq!(s.bytes(), 1);
        assert_eq!(texts(&s.pop_due(ms(100))), ["c"]);
        assert!(s.is_empty());
        assert_eq!(s.next_due(), None);
    }

    #[test]
    fn a_finish_follows_the_replies_queued_for_its_peer() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut s = Scheduler::default();
        s.push(ms(0), send(1, "now"));
        s.push(ms(50), send(1, "later"));
        s.push(ms(5), send(2, "other"));
        s.push_after_peer(ms(1), PeerId(1), Job::Finish(PeerId(1)));
        s.push_after_peer(ms(1), PeerId(3), Job::Finish(PeerId(3)));
        assert_eq!(texts(&s.pop_due(ms(10))), ["now", "FIN 3", "other"]);
        assert_eq!(texts(&s.pop_due(ms(50))), ["later", "FIN 1"]);
    }

    #[test]
    fn a_gone_peer_drops_its_replies_once_counted() {
        let t0 = Instant::now();
        let mut s = Scheduler::default();
        s.push(t0, send(1, "aaa"));
        s.push(t0, send(1, "bb"));
        s.push_after_peer(t0, PeerId(1), Job::Finish(PeerId(1)));
        s.push(t0, send(2, "x"));
        s.peer_gone(PeerId(1));
        assert_eq!(s.bytes(), 1);
        let drops = s.take_drops();
        assert_eq!(drops.items, [(DropReason::PeerGone, Some(PeerId(1)), 2, 5)]);
        assert!(s.take_drops().is_empty());
        assert_eq!(texts(&s.pop_due(t0)), ["x"]);
    }

    #[test]
    fn the_count_bound_drops_the_oldest() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(3, usize::MAX);
        for (i, text) in ["1", "2", "3", "4", "5"].iter().enumerate() {
            // Later jobs are due earlier: age, not due time, decides.
            s.push(t0 + Duration::from_secs(10 - i as u64), send(1, text));
        }
        assert_eq!(s.len(), 3);
        assert_eq!(
            s.take_drops().items,
            [(DropReason::TooMany, Some(PeerId(1)), 2, 2)]
        );
        assert_eq!(
            texts(&s.pop_due(t0 + Duration::from_secs(60))),
            ["5", "4", "3"]
        );
        assert_eq!(s.dropped_total(), 2);
    }

    #[test]
    fn the_byte_bound_drops_the_oldest_and_refuses_a_giant() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(100, 10);
        s.push(t0, send(1, "aaaa"));
        s.push(t0, send(2, "bbbb"));
        s.push(t0, send(1, "cccc"));
        assert_eq!(s.bytes(), 8);
        s.push(t0, send(3, "this is far too long"));
        assert_eq!(s.bytes(), 8);
        let drops = s.take_drops();
        assert_eq!(
            drops.items,
            [
                (DropReason::TooManyBytes, Some(PeerId(1)), 1, 4),
                (DropReason::TooManyBytes, Some(PeerId(3)), 1, 20)
            ]
        );
        assert_eq!(texts(&s.pop_due(t0)), ["bbbb", "cccc"]);
        s.push(t0, send(1, "12345678"));
        s.set_max_bytes(4);
        assert!(s.is_empty());
    }

    #[test]
    fn a_flood_of_delayed_replies_stays_bounded() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(1000, 64 * 1024);
        for i in 0..100_000u64 {
            s.push(t0 + Duration::from_secs(3600), send(i % 7, "0123456789"));
            if i % 1000 == 0 {
                s.peer_gone(PeerId(i % 7));
            }
        }
        assert!(s.len() <= 1000);
        assert!(s.bytes() <= 64 * 1024);
        assert!(s.by_due.len() <= 2 * s.len() + 1024 + 1);
        assert!(s.by_age.len() <= 2 * s.len() + 1024 + 1);
        let dropped: u64 = s.take_drops().items.iter().map(|i| i.2).sum();
        assert_eq!(dropped + s.len() as u64, 100_000);
    }
}
