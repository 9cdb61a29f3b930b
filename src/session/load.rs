//! What a session keeps of a load run: its plan, its latest figures, one
//! row per second (bounded), its end; and the rows its samples become in
//! the log. The figures come from the engine's snapshots; nothing here
//! sees the run's connections one by one.

use std::collections::VecDeque;
use std::time::SystemTime;

use crate::net::load::{LoadPlan, LoadSample, LoadSecond, LoadSnapshot, LoadSummary, SampleKind};
use crate::records::{Entry, Note};

/// Most per-second rows kept: a day. Older ones go first (and are counted).
pub const MAX_SECONDS: usize = 86_400;

/// Per-second rows a view copies (the plots' window): ten minutes.
pub const VIEW_SECONDS: usize = 600;

/// A load run as the session knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadState {
    /// What it does.
    pub plan: LoadPlan,
    /// Its latest figures (their `seconds` moved to [`LoadState::seconds`]).
    pub latest: LoadSnapshot,
    /// One row per second, oldest first.
    pub seconds: VecDeque<LoadSecond>,
    /// Rows dropped to stay within [`MAX_SECONDS`].
    pub seconds_dropped: u64,
    /// Its end, once it has ended.
    pub summary: Option<LoadSummary>,
}

impl LoadState {
    /// A run that has just started.
    pub fn new(plan: LoadPlan) -> LoadState {
        LoadState {
            plan,
            latest: LoadSnapshot::default(),
            seconds: VecDeque::new(),
            seconds_dropped: 0,
            summary: None,
        }
    }

    /// Takes in a snapshot.
    pub fn progress(&mut self, mut snapshot: LoadSnapshot) {
        for row in snapshot.seconds.drain(..) {
            if self.seconds.len() == MAX_SECONDS {
                self.seconds.pop_front();
                self.seconds_dropped += 1;
            }
            self.seconds.push_back(row);
        }
        self.latest = snapshot;
    }

    /// Takes in the run's end.
    pub fn finished(&mut self, mut summary: LoadSummary) {
        self.progress(std::mem::take(&mut summary.last));
        summary.last = self.latest.clone();
        self.summary = Some(summary);
    }

    /// True while the run goes on.
    pub fn running(&self) -> bool {
        self.summary.is_none()
    }

    /// A copy for one frame: everything but the older seconds.
    pub fn view(&self) -> LoadView {
        let skip = self.seconds.len().saturating_sub(VIEW_SECONDS);
        LoadView {
            plan: self.plan.clone(),
            latest: self.latest.clone(),
            recent: self.seconds.iter().skip(skip).copied().collect(),
            summary: self.summary.clone(),
        }
    }
}

/// What a window's frame shows of a load run.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadView {
    /// What it does.
    pub plan: LoadPlan,
    /// Its latest figures.
    pub latest: LoadSnapshot,
    /// The last [`VIEW_SECONDS`] per-second rows.
    pub recent: Vec<LoadSecond>,
    /// Its end, once it has ended.
    pub summary: Option<LoadSummary>,
}

/// The rows a sample becomes: an event row saying what it is, then the
/// bytes sent and received (the peer of each row is the client's own
/// address, so the rows of one client go together).
pub fn sample_rows(sample: LoadSample) -> Vec<Entry> {
    let peer = sample.local.unwrap_or(sample.remote);
    let time = sample.time;
    match sample.kind {
        SampleKind::Exchange {
            why,
            step,
            round,
            sent,
            reply,
            latency,
        } => {
            let note = Note::LoadExchange {
                client: sample.client,
                why,
                step,
                round,
                latency,
            };
            let mut rows = vec![Entry::event(time, Some(peer), note)];
            if !sent.is_empty() {
                rows.push(Entry::tx(time, peer, sent, 0));
            }
            if !reply.is_empty() {
                rows.push(Entry::rx(time, peer, reply));
            }
            rows
        }
        SampleKind::Failure {
            kind,
            detail,
            step,
            received,
        } => {
            let note = Note::LoadFailed {
                client: sample.client,
                kind,
                detail,
                step,
            };
            let mut rows = vec![Entry::event(time, Some(peer), note)];
            if !received.is_empty() {
                rows.push(Entry::rx(time, peer, received));
            }
            rows
        }
    }
}

/// The row that ends a run.
pub fn finished_row(summary: &LoadSummary) -> Entry {
    let s = &summary.last;
    Entry::event(
        SystemTime::now(),
        None,
        Note::LoadFinished {
            end: summary.end,
            done: s.totals.done,
            failed: s.totals.failed,
            p50_us: s.latency.p50_us,
            p99_us: s.latency.p99_us,
        },
    )
}
