//! Bytes per second, received and sent, over the last minute: a small ring
//! of per-second buckets that the session's ingest thread fills and the
//! window's plot reads.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How many seconds the ring covers.
pub const WINDOW_SECS: u64 = 60;

/// One second's traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bucket {
    /// Seconds since the ring's origin.
    pub second: u64,
    /// Bytes received in that second.
    pub rx: u64,
    /// Bytes sent in that second.
    pub tx: u64,
}

/// Per-second RX/TX byte counts for the last [`WINDOW_SECS`] seconds.
#[derive(Debug, Clone)]
pub struct Throughput {
    origin: Instant,
    buckets: VecDeque<Bucket>,
}

impl Throughput {
    /// An empty ring whose seconds count from `origin`.
    pub fn new(origin: Instant) -> Throughput {
        Throughput {
            origin,
            buckets: VecDeque::with_capacity(WINDOW_SECS as usize + 1),
        }
    }

    fn second_of(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.origin).as_secs()
    }

    /// Adds traffic seen at `at`.
    pub fn add(&mut self, at: Instant, rx: u64, tx: u64) {
        let second = self.second_of(at);
        match self.buckets.back_mut() {
            Some(b) if b.second == second => {
                b.rx += rx;
                b.tx += tx;
            }
            // A late sample (a clock read before the newest bucket's) joins
            // the newest bucket instead of reordering the ring.
            Some(b) if b.second > second => {
                b.rx += rx;
                b.tx += tx;
            }
            _ => self.buckets.push_back(Bucket { second, rx, tx }),
        }
        self.prune(second);
    }

    fn prune(&mut self, now_second: u64) {
        while self
            .buckets
            .front()
            .is_some_and(|b| b.second + WINDOW_SECS <= now_second)
        {
            self.buckets.pop_front();
        }
    }

    /// The last [`WINDOW_SECS`] complete and current seconds up to `now`,
    /// oldest first, with zeros for quiet seconds: `(seconds before now,
    /// rx, tx)`, where the current second is 0.
    pub fn series(&self, now: Instant) -> Vec<(i64, u64, u64)> {
        let now_s = self.second_of(now);
        let mut out = Vec::with_capacity(WINDOW_SECS as usize);
        let mut it = self.buckets.iter().peekable();
        for back in (0..WINDOW_SECS).rev() {
            // Seconds before the origin had no traffic.
            let (rx, tx) = match now_s.checked_sub(back) {
                Some(s) => {
                    while it.peek().is_some_and(|b| b.second < s) {
                        it.next();
                    }
                    match it.peek() {
                        Some(b) if b.second == s => (b.rx, b.tx),
                        _ => (0, 0),
                    }
                }
                None => (0, 0),
            };
            out.push((-(back as i64), rx, tx));
        }
        out
    }

    /// Bytes per second in the last complete second before `now`.
    pub fn rate(&self, now: Instant) -> (u64, u64) {
        let last = self.second_of(now).checked_sub(1);
        self.buckets
            .iter()
            .rev()
            .find(|b| Some(b.second) == last)
            .map_or((0, 0), |b| (b.rx, b.tx))
    }

    /// True while any traffic lies in the window ending at `now`: the plot
    /// and the rates still change, so the window should look again.
    pub fn is_active(&self, now: Instant) -> bool {
        let now_s = self.second_of(now);
        self.buckets
            .iter()
            .any(|b| b.second + WINDOW_SECS > now_s && (b.rx > 0 || b.tx > 0))
    }

    /// When the next second starts after `now`: the moment the plot moves.
    pub fn next_tick(&self, now: Instant) -> Duration {
        let since = now.saturating_duration_since(self.origin);
        Duration::from_secs(since.as_secs() + 1).saturating_sub(since)
    }

    /// Forgets all traffic.
    pub fn clear(&mut self) {
        self.buckets.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    #[test]
    fn traffic_lands_in_its_second() {
        let t0 = Instant::now();
        let mut t = Throughput::new(t0);
        t.add(at(t0, 100), 10, 0);
        t.add(at(t0, 900), 5, 7);
        t.add(at(t0, 1_000), 1, 0);
        t.add(at(t0, 3_500), 0, 4);
        let s = t.series(at(t0, 3_600));
        assert_eq!(s.len(), WINDOW_SECS as usize);
        let tail: Vec<_> = s[s.len() - 4..].to_vec();
        assert_eq!(tail, [(-3, 15, 7), (-2, 1, 0), (-1, 0, 0), (0, 0, 4)]);
        assert_eq!(t.rate(at(t0, 2_100)), (1, 0));
        assert_eq!(t.rate(at(t0, 3_600)), (0, 0));
        assert_eq!(t.rate(at(t0, 1_500)), (15, 7));
    }

    #[test]
    fn old_seconds_leave_the_window() {
        let t0 = Instant::now();
        let mut t = Throughput::new(t0);
        for s in 0..200u64 {
            t.add(at(t0, s * 1000), s, 0);
        }
        assert!(t.buckets.len() <= WINDOW_SECS as usize);
        let series = t.series(at(t0, 199_000));
        assert_eq!(series.first(), Some(&(-59, 140, 0)));
        assert_eq!(series.last(), Some(&(0, 199, 0)));
    }

    #[test]
    fn quiet_for_a_minute_is_inactive() {
        let t0 = Instant::now();
        let mut t = Throughput::new(t0);
        assert!(!t.is_active(t0));
        t.add(at(t0, 500), 1, 0);
        assert!(t.is_active(at(t0, 59_999)));
        assert!(!t.is_active(at(t0, 60_000)));
        assert_eq!(t.next_tick(at(t0, 1_250)), Duration::from_millis(750));
        t.clear();
        assert_eq!(t.rate(at(t0, 1_000)), (0, 0));
    }

    #[test]
    fn a_late_sample_joins_the_newest_second() {
        let t0 = Instant::now();
        let mut t = Throughput::new(t0);
        t.add(at(t0, 2_000), 1, 0);
        t.add(at(t0, 1_000), 2, 0);
        assert_eq!(t.series(at(t0, 2_000)).last(), Some(&(0, 3, 0)));
    }
}
