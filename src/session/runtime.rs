//! The session's own thread: it owns the engine, carries out open and close,
//! ingests the engine's events into the log in short batches, and runs the
//! session's rules and sequence on its own clock.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::automation::{ResponderSettings, Rule, SequenceRun};
use crate::i18n::T;
use crate::messages::Msg;
use crate::net::{Engine, Event, Next, SessionConfig, Wake};

use super::Shared;
use super::automation::{Automation, Report};
use super::budget::{Budget, Member};

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
    Rules(Vec<Rule>, ResponderSettings),
    RunSequence(Box<SequenceRun>),
    StopSequence,
    FinishOnPeerFin(bool),
}

/// Starts the thread. If it cannot start, the session stays closed and
/// every command reports that.
pub(super) fn spawn(
    engine: Engine,
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
                engine,
                member,
                shared,
                budget,
                wake: Throttle::new(wake),
                auto: Automation::default(),
                finish_on_peer_fin: true,
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
    auto: Automation,
    /// After a peer finishes sending, finish ours too (once our replies
    /// are out), as most servers and clients expect; otherwise the
    /// connection stays half-open for the user's sends.
    finish_on_peer_fin: bool,
}

impl Runtime {
    fn run(&mut self, cmds: &Receiver<Cmd>) {
        loop {
            let now = Instant::now();
            let wait = [
                self.wake.pending_for(),
                super::automation::until(self.auto.next_due(), now),
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(IDLE);
            match self.engine.events().recv_or(cmds, wait) {
                Next::Event(ev) => self.ingest(ev),
                Next::Other(Some(cmd)) => self.command(cmd),
                Next::Other(None) => {
                    self.close();
                    return;
                }
                Next::Timeout => {}
            }
            self.run_due();
            self.wake.flush();
        }
    }

    fn command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Open(config) => {
                self.engine.open(config);
                *self.shared.handle_slot() = self.engine.handle().ok();
            }
            Cmd::Close => self.close(),
            Cmd::Rules(rules, settings) => {
                self.auto.set_rules(rules, settings);
                self.publish();
            }
            Cmd::RunSequence(run) => {
                self.auto.run_sequence(*run, Instant::now());
                self.publish();
            }
            Cmd::StopSequence => {
                self.auto.stop_sequence();
                self.publish();
            }
            Cmd::FinishOnPeerFin(on) => self.finish_on_peer_fin = on,
        }
    }

    /// Copies the rules' hits and the sequence's progress into the log.
    fn publish(&mut self) {
        let rules = self.auto.rule_status();
        let sequence = self.auto.sequence_status();
        let mut log = self.member.lock();
        log.rules = rules;
        log.sequence = sequence;
        drop(log);
        self.wake.changed();
    }

    /// Carries out the rules' and the sequence's sends that are due.
    fn run_due(&mut self) {
        let due = self.auto.next_due().is_some_and(|d| d <= Instant::now());
        if !due {
            return;
        }
        let handle = self.engine.handle().ok();
        let reports = self.auto.run_due(Instant::now(), handle.as_ref());
        let mut log = self.member.lock();
        for report in reports {
            match report {
                Report::Error(e) => log.error(e),
                Report::RuleFailed(why) => log.set_status(Msg::with(T::RuleFailed, &[&why]), true),
                Report::Finished(peer) => log.we_finished(peer),
            }
        }
        log.rules = self.auto.rule_status();
        log.sequence = self.auto.sequence_status();
        drop(log);
        self.wake.changed();
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
            let mut next = Some(first);
            let mut n = 0;
            while let Some(ev) = next {
                self.auto.on_event(&ev, start, self.finish_on_peer_fin);
                log.apply(ev, start);
                n += 1;
                if n >= BATCH_EVENTS || start.elapsed() >= BATCH_TIME {
                    break;
                }
                next = self.engine.events().try_recv();
            }
            log.rules = self.auto.rule_status();
            log.sequence = self.auto.sequence_status();
            self.member.update_cost(&log);
            // Hand the lock to the window if it waits, so a flood never
            // keeps it from drawing.
            parking_lot::MutexGuard::unlock_fair(log);
        }
        self.budget.enforce(&self.member);
        self.wake.changed();
    }
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
