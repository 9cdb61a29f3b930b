//! The arithmetic of the faults, apart from any socket: piece sizes, hold
//! times, the rate's token bucket, where an end cuts a chunk, chances, and
//! counts reported at most every so often. Time and randomness come in as
//! arguments, so the tests give their own.

use std::time::{Duration, Instant};

use super::{Delay, EndAfter, Slice};

/// The longest a fault ever holds anything back: a day (longer is taken as
/// a day, so no time sum can overflow).
pub(crate) const MAX_HOLD: Duration = Duration::from_secs(24 * 60 * 60);

/// How often a count of dropped, duplicated or reordered datagrams is told
/// at most, per direction of a pair.
pub(crate) const REPORT_EVERY: Duration = Duration::from_millis(100);

/// `at + d`, with `d` taken as at most [`MAX_HOLD`].
pub(crate) fn later(at: Instant, d: Duration) -> Instant {
    let d = d.min(MAX_HOLD);
    at.checked_add(d).unwrap_or(at)
}

/// The size of the next piece of a sliced chunk that has `left` bytes left
/// (`left` > 0): `max`, or from 1 to `max` at random, and never more than
/// is left.
pub(crate) fn piece_len(slice: &Slice, left: usize, rng: &mut fastrand::Rng) -> usize {
    let max = slice.max.max(1);
    let size = if slice.random && max > 1 {
        rng.usize(1..=max)
    } else {
        max
    };
    size.min(left).max(1)
}

/// When a chunk read at `now` may go out: `latency` plus or minus up to
/// `jitter` (never less than nothing), and never before the chunk before
/// it (`after`), so a stream is never reordered.
pub(crate) fn release_at(
    now: Instant,
    delay: &Delay,
    after: Option<Instant>,
    rng: &mut fastrand::Rng,
) -> Instant {
    let latency = delay.latency.min(MAX_HOLD).as_nanos() as u64;
    let jitter = delay.jitter.min(MAX_HOLD).as_nanos() as u64;
    let hold = if jitter == 0 {
        latency
    } else {
        // latency - jitter ..= latency + jitter, cut at zero.
        let draw = rng.u64(0..=2 * jitter);
        (latency + draw).saturating_sub(jitter)
    };
    let at = later(now, Duration::from_nanos(hold));
    match after {
        Some(prev) if prev > at => prev,
        _ => at,
    }
}

/// True with a chance of `percent` in 100 (0: never; 100 or more: always).
pub(crate) fn chance(percent: u8, rng: &mut fastrand::Rng) -> bool {
    match percent {
        0 => false,
        p if p >= 100 => true,
        p => rng.u8(0..100) < p,
    }
}

/// A token bucket for a rate in bytes per second. It holds at most what
/// 20 ms of the rate allow (at least one byte), so the flow is smooth.
/// The count may go below zero: a datagram larger than what is left goes
/// whole, and the next waits until the debt is paid.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    rate: u64,
    burst: i64,
    tokens: i64,
    /// The time up to which tokens have been credited.
    last: Instant,
}

const NANOS: u128 = 1_000_000_000;

impl Bucket {
    /// A full bucket for `rate` bytes per second (0 is taken as 1).
    pub(crate) fn new(rate: u64, now: Instant) -> Bucket {
        let rate = rate.max(1);
        let burst = i64::try_from((rate / 50).max(1)).unwrap_or(i64::MAX);
        Bucket {
            rate,
            burst,
            tokens: burst,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_nanos();
        let credit = elapsed.saturating_mul(u128::from(self.rate)) / NANOS;
        if credit == 0 {
            return;
        }
        let room = (self.burst - self.tokens) as u128;
        if credit >= room {
            self.tokens = self.burst;
            self.last = now;
        } else {
            // `credit` < `room`, which fits an i64.
            self.tokens += credit as i64;
            // The time those tokens took; at most `elapsed`.
            let took = credit * NANOS / u128::from(self.rate);
            self.last += Duration::from_nanos(took as u64);
        }
    }

    /// Bytes that may go now.
    pub(crate) fn available(&mut self, now: Instant) -> u64 {
        self.refill(now);
        self.tokens.max(0) as u64
    }

    /// Counts `n` bytes as gone (the count may go below zero).
    pub(crate) fn spend(&mut self, n: usize) {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.tokens = self.tokens.saturating_sub(n);
    }

    /// When at least one byte may go again.
    pub(crate) fn ready_at(&self) -> Instant {
        if self.tokens > 0 {
            return self.last;
        }
        let need = (1 - i128::from(self.tokens)) as u128;
        let nanos = (need * NANOS).div_ceil(u128::from(self.rate));
        later(
            self.last,
            Duration::from_nanos(nanos.min(u64::MAX as u128) as u64),
        )
    }
}

/// Bytes forwarded in one direction since its end fault was set.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct EndCount {
    /// Bytes let through so far.
    pub(crate) forwarded: u64,
    /// The end has come.
    pub(crate) fired: bool,
}

impl EndCount {
    /// How much of a chunk of `len` bytes goes through, and whether the
    /// end comes with it (once `end.bytes` have gone; with 0, at the first
    /// chunk). After the end, nothing goes through.
    pub(crate) fn cut(&mut self, end: &EndAfter, len: usize) -> (usize, bool) {
        if self.fired {
            return (0, false);
        }
        let left = end.bytes.saturating_sub(self.forwarded);
        let pass = usize::try_from(left).map_or(len, |left| left.min(len));
        self.forwarded += pass as u64;
        self.fired = self.forwarded >= end.bytes;
        (pass, self.fired)
    }
}

impl EndCount {
    /// Whether a whole datagram of `len` bytes goes through, and whether
    /// the end comes with it: a datagram that would go past `end.bytes`
    /// does not go, and the end comes instead (datagrams are never cut).
    pub(crate) fn admit(&mut self, end: &EndAfter, len: usize) -> (bool, bool) {
        if self.fired {
            return (false, false);
        }
        let len = len as u64;
        if self.forwarded.saturating_add(len) > end.bytes {
            self.fired = true;
            return (false, true);
        }
        self.forwarded += len;
        self.fired = self.forwarded >= end.bytes;
        (true, self.fired)
    }
}

/// A count told at most every [`REPORT_EVERY`]: what happened since the
/// last report goes in the next.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tally {
    count: u64,
    told: Option<Instant>,
}

impl Tally {
    /// Counts `n` more.
    pub(crate) fn add(&mut self, n: u64) {
        self.count = self.count.saturating_add(n);
    }

    /// The count to tell now, if there is one and the last report is old
    /// enough; it starts again from zero.
    pub(crate) fn due(&mut self, now: Instant) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        if self.told.is_some_and(|t| now < t + REPORT_EVERY) {
            return None;
        }
        self.told = Some(now);
        Some(std::mem::take(&mut self.count))
    }

    /// When the count waiting may be told, if one is waiting.
    pub(crate) fn next_at(&self) -> Option<Instant> {
        if self.count == 0 {
            return None;
        }
        Some(self.told.map_or_else(Instant::now, |t| t + REPORT_EVERY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::EndHow;

    fn rng() -> fastrand::Rng {
        fastrand::Rng::with_seed(7)
    }

    #[test]
    fn pieces_are_max_or_random_within_bounds() {
        let mut r = rng();
        let fixed = Slice {
            max: 3,
            random: false,
            gap: Duration::ZERO,
        };
        assert_eq!(piece_len(&fixed, 10, &mut r), 3);
        assert_eq!(piece_len(&fixed, 2, &mut r), 2);
        let zero = Slice { max: 0, ..fixed };
        assert_eq!(piece_len(&zero, 10, &mut r), 1, "max 0 is taken as 1");
        let random = Slice {
            max: 5,
            random: true,
            gap: Duration::ZERO,
        };
        let mut seen = [false; 6];
        for _ in 0..1000 {
            let n = piece_len(&random, 100, &mut r);
            assert!((1..=5).contains(&n), "{n}");
            seen[n] = true;
        }
        assert!(seen[1..].iter().all(|s| *s), "every size comes up");
        // Pieces of a chunk add up to it exactly.
        let mut left = 1234;
        let mut total = 0;
        while left > 0 {
            let n = piece_len(&random, left, &mut r);
            total += n;
            left -= n;
        }
        assert_eq!(total, 1234);
    }

    #[test]
    fn delay_holds_within_jitter_never_below_zero_never_reordered() {
        let mut r = rng();
        let now = Instant::now();
        let plain = Delay {
            latency: Duration::from_millis(50),
            jitter: Duration::ZERO,
        };
        assert_eq!(
            release_at(now, &plain, None, &mut r),
            now + Duration::from_millis(50)
        );
        let wide = Delay {
            latency: Duration::from_millis(10),
            jitter: Duration::from_millis(30),
        };
        // Alone, a chunk may go at once when the jitter is over the latency.
        let lowest = (0..200)
            .map(|_| release_at(now, &wide, None, &mut r) - now)
            .min();
        assert_eq!(lowest, Some(Duration::ZERO));
        let mut prev = None;
        for i in 0..2000u64 {
            let at = now + Duration::from_micros(i * 10);
            let out = release_at(at, &wide, prev, &mut r);
            assert!(out >= at, "never before it was read");
            assert!(out <= at + Duration::from_millis(40));
            if let Some(p) = prev {
                assert!(out >= p, "never before the chunk before it");
            }
            prev = Some(out);
        }
        // Absurd values are cut to a day, not an overflow.
        let huge = Delay {
            latency: Duration::MAX,
            jitter: Duration::MAX,
        };
        let out = release_at(now, &huge, None, &mut r);
        assert!(out <= now + MAX_HOLD * 2);
    }

    #[test]
    fn chances_at_the_edges_and_between() {
        let mut r = rng();
        assert!((0..1000).all(|_| !chance(0, &mut r)));
        assert!((0..1000).all(|_| chance(100, &mut r)));
        assert!((0..1000).all(|_| chance(255, &mut r)));
        let hits = (0..10_000).filter(|_| chance(30, &mut r)).count();
        assert!((2500..3500).contains(&hits), "{hits}");
    }

    #[test]
    fn the_bucket_keeps_the_rate() {
        let start = Instant::now();
        let mut b = Bucket::new(1000, start);
        // 20 ms worth at the start.
        assert_eq!(b.available(start), 20);
        b.spend(20);
        assert_eq!(b.available(start), 0);
        assert_eq!(b.ready_at(), start + Duration::from_millis(1));
        // Over a simulated second, writing whatever is allowed each 1 ms
        // step, about 1000 bytes go (plus the first burst).
        let mut sent = 20u64;
        for ms in 1..=1000u64 {
            let now = start + Duration::from_millis(ms);
            let n = b.available(now);
            b.spend(n as usize);
            sent += n;
        }
        assert_eq!(sent, 1020);
        // Waking when it says the next byte may go, as the relay does: a
        // slow rate loses nothing to rounding.
        let mut b = Bucket::new(3, start);
        let mut sent = 0;
        let mut now = start;
        while now < start + Duration::from_secs(10) {
            let n = b.available(now);
            b.spend(n as usize);
            sent += n;
            now = b.ready_at().max(now + Duration::from_micros(1));
        }
        assert!((30..=31).contains(&sent), "{sent}: three a second");
    }

    #[test]
    fn the_bucket_goes_into_debt_and_waits_for_it() {
        let start = Instant::now();
        let mut b = Bucket::new(1000, start);
        assert!(b.available(start) > 0);
        b.spend(1000);
        assert_eq!(b.available(start), 0);
        // 980 owed, plus one byte to have something: 981 ms.
        assert_eq!(b.ready_at(), start + Duration::from_millis(981));
        assert_eq!(b.available(start + Duration::from_millis(980)), 0);
        assert_eq!(b.available(start + Duration::from_millis(981)), 1);
    }

    #[test]
    fn an_end_cuts_the_chunk_that_reaches_it() {
        let end = EndAfter {
            bytes: 10,
            how: EndHow::Close,
        };
        let mut c = EndCount::default();
        assert_eq!(c.cut(&end, 4), (4, false));
        assert_eq!(c.cut(&end, 4), (4, false));
        assert_eq!(c.cut(&end, 4), (2, true));
        assert_eq!(c.forwarded, 10);
        assert_eq!(c.cut(&end, 4), (0, false), "after the end, nothing");
        let mut c = EndCount::default();
        assert_eq!(c.cut(&end, 10), (10, true), "exactly at the end");
        let zero = EndAfter { bytes: 0, ..end };
        let mut c = EndCount::default();
        assert_eq!(c.cut(&zero, 5), (0, true), "0: at the first chunk");
    }

    #[test]
    fn an_end_admits_whole_datagrams() {
        let end = EndAfter {
            bytes: 100,
            how: EndHow::Blackhole,
        };
        let mut c = EndCount::default();
        assert_eq!(c.admit(&end, 60), (true, false));
        assert_eq!(c.admit(&end, 60), (false, true), "it would go past");
        assert_eq!(c.forwarded, 60);
        assert_eq!(c.admit(&end, 1), (false, false));
        let mut c = EndCount::default();
        assert_eq!(c.admit(&end, 100), (true, true), "exactly at the end");
    }

    #[test]
    fn a_tally_is_told_at_most_every_100_ms() {
        let start = Instant::now();
        let mut t = Tally::default();
        assert_eq!(t.due(start), None);
        assert_eq!(t.next_at(), None);
        t.add(1);
        assert_eq!(t.due(start), Some(1));
        t.add(2);
        t.add(3);
        assert_eq!(t.due(start + Duration::from_millis(50)), None);
        assert_eq!(t.next_at(), Some(start + REPORT_EVERY));
        assert_eq!(t.due(start + REPORT_EVERY), Some(5));
        assert_eq!(t.due(start + REPORT_EVERY * 3), None, "nothing new");
        t.add(1);
        assert_eq!(t.due(start + REPORT_EVERY * 3), Some(1));
    }
}
