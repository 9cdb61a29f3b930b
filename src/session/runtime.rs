//! The session's own thread: it owns the engine, carries out open and close,
//! and ingests the engine's events into the log in short batches.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::net::{Engine, Event, Next, SessionConfig, Wake};

use super::Shared;
use super::budget::{Budget, Member};
use super::log::SessionLog;

/// Longest the thread holds the log's lock for one batch of events.
const BATCH_TIME: Duration = Duration::from_millis(2);
/// Most events in one batch.
const BATCH_EVENTS: usize = 4096;
/// Shortest gap between two wake-ups of the window.
const WAKE_GAP: Duration = Duration::from_millis(8);
/// How long the thread sleeps when nothing happens.
const IDLE: Duration = Duration::from_millis(500);

/// Commands from the session's owner.
#[derive(Debug)]
pub(super) enum Cmd {
    Open(SessionConfig),
    Close,
}

/// Starts the thread. If it cannot start, the session stays closed and
/// every command reports that.
pub(super) fn spawn(
    member: Arc<Member>,
    shared: Arc<Shared>,
    budget: Arc<Budget>,
    wake: Wake,
) -> (Sender<Cmd>, Option<JoinHandle<()>>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let thread = std::thread::Builder::new()
        .name("netassist-session".to_string())
        .spawn(move || {
            let mut rt = Runtime {
                engine: Engine::new(Arc::new(|| {})),
                member,
                shared,
                budget,
                wake: Throttle::new(wake),
            };
            rt.run(&rx);
        })
        .ok();
    (tx, thread)
}

struct Runtime {
    engine: Engine,
    member: Arc<Member>,
    shared: Arc<Shared>,
    budget: Arc<Budget>,
    wake: Throttle,
}

impl Runtime {
    fn run(&mut self, cmds: &Receiver<Cmd>) {
        loop {
            let wait = self.wake.pending_for().unwrap_or(IDLE);
            match self.engine.events().recv_or(cmds, wait) {
                Next::Event(ev) => self.ingest(ev),
                Next::Other(Some(Cmd::Open(config))) => {
                    self.engine.open(config);
                    *self.shared.handle_slot() = self.engine.handle().ok();
                }
                Next::Other(Some(Cmd::Close)) => self.close(),
                Next::Other(None) => {
                    self.close();
                    return;
                }
                Next::Timeout => {}
            }
            self.wake.flush();
        }
    }

    /// Closes the link and ingests its last events (the worker has ended,
    /// so they are all queued).
    fn close(&mut self) {
        self.engine.close();
        *self.shared.handle_slot() = None;
        while let Some(ev) = self.engine.events().try_recv() {
            self.ingest(ev);
        }
    }

    /// Ingests `first` and whatever else is waiting, within one batch.
    fn ingest(&mut self, first: Event) {
        let start = Instant::now();
        {
            let mut log = self.member.lock();
            let mut n = 1;
            apply(&mut log, first, start);
            while n < BATCH_EVENTS && start.elapsed() < BATCH_TIME {
                let Some(ev) = self.engine.events().try_recv() else {
                    break;
                };
                apply(&mut log, ev, start);
                n += 1;
            }
            self.member.update_cost(&log);
        }
        self.budget.enforce(&self.member);
        self.wake.changed();
    }
}

fn apply(log: &mut SessionLog, ev: Event, now: Instant) {
    log.apply(ev, now);
}

/// Wakes the window when the log changed, at most once per [`WAKE_GAP`].
struct Throttle {
    wake: Wake,
    last: Option<Instant>,
    pending: bool,
}

impl Throttle {
    fn new(wake: Wake) -> Throttle {
        Throttle {
            wake,
            last: None,
            pending: false,
        }
    }

    fn changed(&mut self) {
        self.pending = true;
        self.flush();
    }

    /// Wakes now if a change is pending and the gap has passed.
    fn flush(&mut self) {
        if !self.pending {
            return;
        }
        let now = Instant::now();
        if self.last.is_none_or(|l| now.duration_since(l) >= WAKE_GAP) {
            (self.wake)();
            self.last = Some(now);
            self.pending = false;
        }
    }

    /// How long until a pending wake-up is due.
    fn pending_for(&self) -> Option<Duration> {
        if !self.pending {
            return None;
        }
        let due = self.last.map_or(Instant::now(), |l| l + WAKE_GAP);
        Some(due.saturating_duration_since(Instant::now()))
    }
}
