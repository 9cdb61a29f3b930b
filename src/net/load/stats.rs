//! A load run's figures, kept in the engine: counters, two latency
//! histograms (the whole run, the current second), one row per second, and
//! the samples worth keeping. Every call is O(1) but the once-a-second roll
//! and the snapshot, which read the histograms (a fixed cost, whatever the
//! number of connections). Time is passed in, so tests use a made-up clock.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::report::{
    FailKind, Latency, LoadEnd, LoadSample, LoadSecond, LoadSnapshot, LoadSummary, LoadTotals,
};

/// Exchanges kept in full from the start of a run.
pub(super) const FIRST_SAMPLES: usize = 5;
/// The slowest exchanges kept in full.
pub(super) const SLOWEST_SAMPLES: usize = 5;
/// Failures kept in full, per kind.
pub(super) const FAILURE_SAMPLES_PER_KIND: u64 = 20;
/// Latency is recorded in microseconds up to an hour, to three significant
/// digits (0.1 % error); a longer wait counts as an hour.
const MAX_US: u64 = 3_600_000_000;
/// Seconds of per-second rows the engine holds before a snapshot takes them
/// (a stalled consumer cannot grow it without bound).
const MAX_PENDING_SECONDS: usize = 3600;

fn histogram() -> Histogram<u64> {
    // Fixed, valid bounds and precision: this cannot fail.
    #[allow(clippy::expect_used)]
    Histogram::new_with_bounds(1, MAX_US, 3).expect("valid histogram bounds")
}

/// The figures of a histogram.
pub(super) fn latency_of(h: &Histogram<u64>) -> Latency {
    if h.is_empty() {
        return Latency::default();
    }
    Latency {
        count: h.len(),
        min_us: h.min(),
        p50_us: h.value_at_quantile(0.5),
        p90_us: h.value_at_quantile(0.9),
        p99_us: h.value_at_quantile(0.99),
        p999_us: h.value_at_quantile(0.999),
        max_us: h.max(),
        mean_us: h.mean().round() as u64,
    }
}

/// The run's figures.
pub(super) struct Stats {
    start: Instant,
    totals: LoadTotals,
    failures: [u64; 9],
    all: Histogram<u64>,
    this_second: Histogram<u64>,
    /// The second being counted (latency aside).
    second: LoadSecond,
    /// When it ends.
    second_ends: Instant,
    /// Seconds ended and not yet taken by a snapshot.
    pending: Vec<LoadSecond>,
    /// First exchanges still to keep.
    first_left: usize,
    /// The slowest exchanges so far, slowest first.
    slowest: Vec<(Duration, LoadSample)>,
    unsampled_failures: u64,
}

impl Stats {
    pub(super) fn new(start: Instant) -> Stats {
        Stats {
            start,
            totals: LoadTotals::default(),
            failures: [0; 9],
            all: histogram(),
            this_second: histogram(),
            second: LoadSecond::default(),
            second_ends: start + Duration::from_secs(1),
            pending: Vec::new(),
            first_left: FIRST_SAMPLES,
            slowest: Vec::new(),
            unsampled_failures: 0,
        }
    }

    pub(super) fn totals(&self) -> &LoadTotals {
        &self.totals
    }

    /// A connection was started.
    pub(super) fn started(&mut self) {
        self.totals.started += 1;
    }

    /// A connection came up (TCP connected and any TLS handshake done).
    pub(super) fn connected(&mut self, now: Instant) {
        let since = now.saturating_duration_since(self.start);
        self.totals.last_connect_us = u64::try_from(since.as_micros()).unwrap_or(u64::MAX);
        self.totals.connected += 1;
        self.totals.open += 1;
        self.totals.peak_open = self.totals.peak_open.max(self.totals.open);
        self.second.connects += 1;
    }

    /// An open connection closed.
    pub(super) fn closed(&mut self) {
        self.totals.open = self.totals.open.saturating_sub(1);
    }

    /// A client finished its rounds.
    pub(super) fn done(&mut self) {
        self.totals.done += 1;
        self.second.done += 1;
    }

    /// A client failed; true if it should be kept as a sample.
    pub(super) fn failed(&mut self, kind: FailKind) -> bool {
        self.totals.failed += 1;
        self.second.failed += 1;
        let n = &mut self.failures[kind.index()];
        *n += 1;
        let keep = *n <= FAILURE_SAMPLES_PER_KIND;
        if !keep {
            self.unsampled_failures += 1;
        }
        keep
    }

    /// Bytes written.
    pub(super) fn wrote(&mut self, n: usize) {
        self.totals.sent_bytes += n as u64;
        self.second.sent_bytes += n as u64;
    }

    /// A send was written whole.
    pub(super) fn sent_message(&mut self) {
        self.totals.sent_messages += 1;
        self.second.sent_messages += 1;
    }

    /// Bytes read.
    pub(super) fn read(&mut self, n: usize) {
        self.totals.received_bytes += n as u64;
        self.second.received_bytes += n as u64;
    }

    /// A reply's first byte came, `latency` after its send.
    pub(super) fn reply(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros())
            .unwrap_or(MAX_US)
            .clamp(1, MAX_US);
        self.all.saturating_record(us);
        self.this_second.saturating_record(us);
        self.totals.received_messages += 1;
        self.second.received_messages += 1;
    }

    /// Whether an exchange that took `latency` is worth keeping: one of
    /// the first, or slower than the slowest kept but one.
    pub(super) fn wants_exchange(&self, latency: Duration) -> bool {
        self.first_left > 0 || self.slow_enough(latency)
    }

    fn slow_enough(&self, latency: Duration) -> bool {
        self.slowest.len() < SLOWEST_SAMPLES
            || self.slowest.last().is_some_and(|(l, _)| latency > *l)
    }

    /// Takes a first exchange, if one is still wanted (`true`: report it).
    pub(super) fn take_first(&mut self) -> bool {
        if self.first_left == 0 {
            return false;
        }
        self.first_left -= 1;
        true
    }

    /// Offers an exchange for the slowest kept.
    pub(super) fn offer_slowest(&mut self, latency: Duration, sample: LoadSample) {
        if !self.slow_enough(latency) {
            return;
        }
        let at = self.slowest.partition_point(|(l, _)| *l >= latency);
        self.slowest.insert(at, (latency, sample));
        self.slowest.truncate(SLOWEST_SAMPLES);
    }

    /// Ends every second that has ended by `now`.
    pub(super) fn roll(&mut self, now: Instant) {
        while now >= self.second_ends {
            let mut row = std::mem::take(&mut self.second);
            row.t = u32::try_from(
                self.second_ends
                    .saturating_duration_since(self.start)
                    .as_secs()
                    .saturating_sub(1),
            )
            .unwrap_or(u32::MAX);
            row.open = self.totals.open;
            row.latency = latency_of(&self.this_second);
            self.this_second.reset();
            if self.pending.len() == MAX_PENDING_SECONDS {
                self.pending.remove(0);
            }
            self.pending.push(row);
            self.second_ends += Duration::from_secs(1);
        }
    }

    /// The figures now, with the seconds ended since the last snapshot.
    pub(super) fn snapshot(&mut self, now: Instant) -> LoadSnapshot {
        self.roll(now);
        LoadSnapshot {
            elapsed: now.saturating_duration_since(self.start),
            totals: self.totals,
            failures: self.failures,
            latency: latency_of(&self.all),
            seconds: std::mem::take(&mut self.pending),
        }
    }

    /// The run's end: the last figures (the second under way counts as a
    /// last, partial row when anything happened in it) and the slowest.
    pub(super) fn summary(&mut self, end: LoadEnd, now: Instant) -> LoadSummary {
        self.roll(now);
        let partial = self.second;
        if partial != LoadSecond::default() || !self.this_second.is_empty() {
            let mut row = partial;
            row.t = u32::try_from(
                self.second_ends
                    .saturating_duration_since(self.start)
                    .as_secs()
                    .saturating_sub(1),
            )
            .unwrap_or(u32::MAX);
            row.open = self.totals.open;
            row.latency = latency_of(&self.this_second);
            self.pending.push(row);
            self.second = LoadSecond::default();
            self.this_second.reset();
        }
        LoadSummary {
            end,
            last: self.snapshot(now),
            slowest: self.slowest.drain(..).map(|(_, s)| s).collect(),
            unsampled_failures: self.unsampled_failures,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::SystemTime;

    use bytes::Bytes;

    use super::super::report::{ExchangeWhy, SampleKind};
    use super::*;

    fn sample(ms: u64) -> LoadSample {
        LoadSample {
            client: 1,
            local: None,
            remote: SocketAddr::from(([127, 0, 0, 1], 1)),
            time: SystemTime::UNIX_EPOCH,
            kind: SampleKind::Exchange {
                why: ExchangeWhy::Slowest,
                step: 1,
                round: 1,
                sent: Bytes::new(),
                reply: Bytes::new(),
                latency: Duration::from_millis(ms),
            },
        }
    }

    #[test]
    fn seconds_roll_and_percentiles_come_from_the_histogram() {
        let t0 = Instant::now();
        let mut s = Stats::new(t0);
        for ms in 1..=100u64 {
            s.reply(Duration::from_millis(ms));
        }
        s.wrote(10);
        s.read(20);
        s.connected(t0);
        let snap = s.snapshot(t0 + Duration::from_millis(500));
        assert!(snap.seconds.is_empty(), "no second has ended");
        assert_eq!(snap.latency.count, 100);
        let p50 = snap.latency.p50_us;
        assert!((49_000..=51_000).contains(&p50), "{p50}");
        assert!(snap.latency.p99_us >= 98_000, "{:?}", snap.latency);
        assert!(snap.latency.max_us >= 99_900, "{:?}", snap.latency);
        let snap = s.snapshot(t0 + Duration::from_millis(2_100));
        assert_eq!(snap.seconds.len(), 2);
        assert_eq!(snap.seconds[0].t, 0);
        assert_eq!(snap.seconds[0].received_messages, 100);
        assert_eq!(snap.seconds[0].sent_bytes, 10);
        assert_eq!(snap.seconds[0].connects, 1);
        assert_eq!(snap.seconds[0].open, 1);
        assert_eq!(snap.seconds[1].t, 1);
        assert_eq!(snap.seconds[1].received_messages, 0);
        assert_eq!(snap.seconds[1].latency.count, 0);
    }

    #[test]
    fn failures_are_sampled_per_kind_up_to_a_bound() {
        let mut s = Stats::new(Instant::now());
        let kept = (0..100).filter(|_| s.failed(FailKind::Refused)).count();
        assert_eq!(kept as u64, FAILURE_SAMPLES_PER_KIND);
        assert!(s.failed(FailKind::Reset));
        let sum = s.summary(LoadEnd::Completed, Instant::now());
        assert_eq!(sum.last.failed(FailKind::Refused), 100);
        assert_eq!(sum.last.failed(FailKind::Reset), 1);
        assert_eq!(sum.last.totals.failed, 101);
        assert_eq!(sum.unsampled_failures, 80);
    }

    #[test]
    fn the_slowest_are_kept_slowest_first() {
        let mut s = Stats::new(Instant::now());
        for ms in [5, 1, 9, 3, 7, 2, 8, 6] {
            let l = Duration::from_millis(ms);
            assert!(s.wants_exchange(l) || ms < 5);
            s.take_first();
            s.offer_slowest(l, sample(ms));
        }
        let sum = s.summary(LoadEnd::Stopped, Instant::now());
        let got: Vec<u128> = sum
            .slowest
            .iter()
            .map(|x| match &x.kind {
                SampleKind::Exchange { latency, .. } => latency.as_millis(),
                SampleKind::Failure { .. } => 0,
            })
            .collect();
        assert_eq!(got, vec![9, 8, 7, 6, 5]);
    }
}
