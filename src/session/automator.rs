//! What a session does on its own: the auto-reply rules, the built-in echo,
//! the sequence run and the close policy. Fed engine events and the time,
//! it queues sends and finishes in the session's one [`Scheduler`] and
//! carries them out when they are due. Pure but for the engine handle it
//! is given to send through: no clock of its own, no lock, no window.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use crate::automation::{
    Progress, RelayRewrite, Responder, ResponderSettings, Response, Rule, RuleError, RunState,
    SequenceFailure, SequenceOutput, SequenceRun,
};
use crate::net::ws::MessageKind;
use crate::net::{Event, Mode, NetError, PeerId, Rewriter, SendMeta, SessionHandle, Target};
use crate::records::{DropWhy, Entry, Note};

use super::scheduler::{DropReason, Job, Scheduler};

/// How long the end of a finished sequence waits for its last send to be
/// written before it is reported anyway.
const SEQUENCE_FLUSH_WAIT: Duration = Duration::from_secs(2);

/// Shortest time between two rows about replies dropped by the bounds.
const DROP_ROW_GAP: Duration = Duration::from_secs(1);

/// Most peers remembered as closed (to tell a reply that raced a close
/// from a real error); the set is emptied when it grows past this.
const MAX_REMEMBERED: usize = 65_536;

/// What the window shows of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleStatus {
    /// How often it has fired.
    pub hits: u64,
    /// Why it cannot run, if it cannot (it then stays disabled).
    pub error: Option<RuleError>,
}

/// What the window shows of the sequence run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceStatus {
    /// The sequence's name.
    pub name: String,
    /// Where it is.
    pub progress: Progress,
    /// Waiting for the link, running, finished, failed or stopped.
    pub state: RunState,
    /// Asked to run, waiting for the link to come up.
    pub waiting_for_link: bool,
}

/// What the window shows of the session's automation: the rules' hits,
/// the sequence run, and the replies waiting or dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutomationStatus {
    /// The auto-reply rules' hits and errors, in rule order.
    pub rules: Vec<RuleStatus>,
    /// The sequence run, once one was started.
    pub sequence: Option<SequenceStatus>,
    /// Replies waiting for their time.
    pub waiting: usize,
    /// Replies dropped since the session was made.
    pub dropped: u64,
}

/// News of the sequence run, for a front-end that reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SequenceNews {
    /// It started (the link was up).
    Started {
        /// The sequence's name.
        name: String,
    },
    /// A step's send went out.
    Sent {
        /// The sequence's name.
        name: String,
        /// Which step.
        at: Progress,
    },
    /// Every round is done and the last send has been written.
    Finished {
        /// The sequence's name.
        name: String,
        /// Rounds run.
        rounds: u64,
    },
    /// It stopped on a failure.
    Failed {
        /// The sequence's name.
        name: String,
        /// Why.
        failure: SequenceFailure,
    },
}

/// Something the automator did that the log or a front-end should see.
#[derive(Debug)]
pub(crate) enum Report {
    /// A row for the log.
    Entry(Entry),
    /// We finished sending on this connection (a rule's close, or the
    /// answer to a peer's FIN): the log marks it once.
    Finished(PeerId),
    /// A send or finish could not be handed to the engine.
    Error(NetError),
    /// Sequence news.
    Sequence(SequenceNews),
}

/// The rules, the echo, the sequence run and the scheduler they share.
pub(crate) struct Automator {
    mode: Option<Mode>,
    responder: Option<Responder>,
    /// A relay is open: the rules rewrite (here, with each rule's error)
    /// instead of answering.
    rewrite: Option<(Arc<RelayRewrite>, Vec<Option<RuleError>>)>,
    relay: bool,
    /// Every received chunk goes back to its sender.
    echo: bool,
    /// After a peer finishes sending, finish ours too, once the replies
    /// queued for it are out; otherwise the connection stays half-open.
    finish_on_peer_fin: bool,
    sequence: Option<SequenceRun>,
    /// The sequence was asked for before the link was up.
    sequence_waiting: bool,
    /// After a sequence finished: when to stop waiting for its last send.
    ending: Option<(Instant, u64)>,
    /// The sequence's last send, and whether the engine has written it.
    last_sent: Option<Bytes>,
    last_written: bool,
    scheduler: Scheduler,
    /// Connections that closed, and connections a job was handed for: an
    /// engine's "not connected" for one in both is a reply that raced the
    /// close, counted as dropped rather than shown as an error.
    closed: HashSet<PeerId>,
    touched: HashSet<PeerId>,
    /// Connections we finished sending on.
    finished: HashSet<PeerId>,
    /// Addresses of open connections, for drop rows.
    addrs: std::collections::HashMap<PeerId, SocketAddr>,
    /// Replies dropped after racing a close, or after we finished.
    raced: u64,
    /// Drops not yet shown as rows.
    drops: DropTally,
    /// When the last row about bound drops was given.
    last_drop_row: Option<Instant>,
}

impl Default for Automator {
    fn default() -> Self {
        Automator {
            mode: None,
            responder: None,
            rewrite: None,
            relay: false,
            echo: false,
            finish_on_peer_fin: true,
            sequence: None,
            sequence_waiting: false,
            ending: None,
            last_sent: None,
            last_written: false,
            scheduler: Scheduler::default(),
            closed: HashSet::new(),
            touched: HashSet::new(),
            finished: HashSet::new(),
            addrs: std::collections::HashMap::new(),
            raced: 0,
            drops: DropTally::default(),
            last_drop_row: None,
        }
    }
}

impl Automator {
    /// Replaces the rules (none: no auto-replies).
    pub(crate) fn set_rules(&mut self, rules: Vec<Rule>, settings: ResponderSettings) {
        self.responder = (!rules.is_empty()).then(|| Responder::new(rules, settings));
    }

    /// Whether the link opened is a relay; for one, the rewrite its rules
    /// make (none when no rule can rewrite).
    pub(crate) fn set_relay(&mut self, relay: bool) -> Option<Rewriter> {
        self.relay = relay;
        if relay { self.relay_rewrite() } else { None }
    }

    /// A relay is open.
    pub(crate) fn is_relay(&self) -> bool {
        self.relay
    }

    /// The rewrite the rules make for a relay (none when no rule can
    /// rewrite); the status shows its hits from now on.
    pub(crate) fn relay_rewrite(&mut self) -> Option<Rewriter> {
        // The rules and their settings, as the responder keeps them.
        let Some(responder) = &self.responder else {
            self.rewrite = None;
            return None;
        };
        let settings = responder.settings();
        let rules: Vec<Rule> = responder.rules().iter().map(|s| s.rule().clone()).collect();
        let (rewrite, errors) = RelayRewrite::new(&rules, settings.answer, settings.send_encoding);
        let rewrite = Arc::new(rewrite);
        let usable = !rewrite.is_empty();
        self.rewrite = Some((Arc::clone(&rewrite), errors));
        usable.then(|| Rewriter(rewrite))
    }

    /// Turns the built-in echo on or off.
    pub(crate) fn set_echo(&mut self, on: bool) {
        self.echo = on;
    }

    /// Sets the close policy after a peer's FIN.
    pub(crate) fn set_finish_on_peer_fin(&mut self, on: bool) {
        self.finish_on_peer_fin = on;
    }

    /// Bounds the bytes of replies waiting.
    pub(crate) fn set_max_waiting_bytes(&mut self, bytes: usize) {
        self.scheduler.set_max_bytes(bytes);
    }

    /// Bytes of replies waiting (they count toward the memory budget).
    pub(crate) fn waiting_bytes(&self) -> usize {
        self.scheduler.bytes()
    }

    /// Each rule's hits and error, the sequence, the waiting replies.
    pub(crate) fn status(&self) -> AutomationStatus {
        AutomationStatus {
            rules: self.rule_status(),
            sequence: self.sequence_status(),
            waiting: self.scheduler.len(),
            dropped: self.scheduler.dropped_total() + self.raced,
        }
    }

    fn rule_status(&self) -> Vec<RuleStatus> {
        if let Some((rewrite, errors)) = self.rewrite.as_ref().filter(|_| self.relay) {
            let hits: std::collections::HashMap<u32, u64> = rewrite.hits().into_iter().collect();
            return errors
                .iter()
                .enumerate()
                .map(|(i, error)| RuleStatus {
                    hits: u32::try_from(i + 1)
                        .ok()
                        .and_then(|n| hits.get(&n).copied())
                        .unwrap_or(0),
                    error: error.clone(),
                })
                .collect();
        }
        self.responder.as_ref().map_or_else(Vec::new, |r| {
            r.rules()
                .iter()
                .map(|s| RuleStatus {
                    hits: s.hits(),
                    error: s.error().cloned(),
                })
                .collect()
        })
    }

    fn sequence_status(&self) -> Option<SequenceStatus> {
        self.sequence.as_ref().map(|r| SequenceStatus {
            name: r.name().to_string(),
            progress: r.progress(),
            state: r.state().clone(),
            waiting_for_link: self.sequence_waiting,
        })
    }

    /// Starts a sequence run: now if the link is up, else once it is.
    pub(crate) fn run_sequence(
        &mut self,
        run: SequenceRun,
        link_up: bool,
        now: Instant,
    ) -> Vec<Report> {
        self.sequence = Some(run);
        self.ending = None;
        self.last_sent = None;
        self.sequence_waiting = !link_up;
        if link_up {
            self.start_sequence(now)
        } else {
            Vec::new()
        }
    }

    fn start_sequence(&mut self, now: Instant) -> Vec<Report> {
        self.sequence_waiting = false;
        let Some(run) = &mut self.sequence else {
            return Vec::new();
        };
        let name = run.name().to_string();
        let out = run.start(now);
        let mut reports = vec![Report::Sequence(SequenceNews::Started { name })];
        self.sequence_outputs(out, now, &mut reports);
        reports
    }

    /// Stops the sequence run.
    pub(crate) fn stop_sequence(&mut self) {
        self.sequence_waiting = false;
        self.ending = None;
        if let Some(run) = &mut self.sequence {
            run.stop();
        }
    }

    /// Takes in one engine event (before the log does).
    pub(crate) fn on_event(&mut self, event: &Event, now: Instant) -> Vec<Report> {
        let mut reports = Vec::new();
        // A rule answers a WebSocket message in kind: text with text,
        // binary with binary.
        let kind = match event {
            Event::Received {
                message: Some(m), ..
            } => Some(m.kind),
            _ => None,
        };
        if let Some(responder) = self.responder.as_mut().filter(|_| !self.relay) {
            for response in responder.on_event(event, SystemTime::now()) {
                self.on_response(response, now, kind, &mut reports);
            }
        }
        match event {
            Event::Opened { mode, .. } => {
                self.mode = Some(*mode);
                if *mode == Mode::Udp && self.sequence_waiting {
                    reports.extend(self.start_sequence(now));
                }
            }
            Event::Connected { peer, addr, .. } => {
                self.addrs.insert(*peer, *addr);
                self.closed.remove(peer);
                if self.sequence_waiting {
                    reports.extend(self.start_sequence(now));
                }
            }
            Event::Received {
                peer,
                addr,
                data,
                message,
                ..
            } => {
                if self.echo {
                    let target = match peer {
                        Some(p) => Target::Peers(vec![*p]),
                        None => Target::Addr(*addr),
                    };
                    // A WebSocket message echoes as the kind it came as.
                    let meta = SendMeta {
                        message: message.map(|m| m.kind),
                        ..SendMeta::default()
                    };
                    self.push(now, target, data.clone(), meta);
                }
                if let Some(run) = &mut self.sequence {
                    let out = run.on_received(data, now);
                    self.sequence_outputs(out, now, &mut reports);
                }
            }
            Event::Sent { data, .. } if self.last_sent.as_ref() == Some(data) => {
                self.last_written = true;
            }
            // A relay passes each FIN on itself, to the other end of the
            // pair: finishing ours too would cut the answer short.
            Event::HalfClosed { peer, .. }
                if self.finish_on_peer_fin
                    && !matches!(self.mode, Some(Mode::Relay | Mode::UdpRelay)) =>
            {
                // After the replies already waiting for this peer.
                self.scheduler
                    .push_after_peer(now, *peer, Job::Finish(*peer));
            }
            Event::PeerClosed { peer, .. } => {
                self.scheduler.peer_gone(*peer);
                self.finished.remove(peer);
                if self.closed.len() >= MAX_REMEMBERED {
                    self.closed.clear();
                    self.touched.clear();
                }
                self.closed.insert(*peer);
                reports.extend(self.drop_rows(now));
                self.addrs.remove(peer);
            }
            Event::Closed => {
                self.scheduler.clear();
                self.closed.clear();
                self.touched.clear();
                self.finished.clear();
                self.addrs.clear();
                self.stop_sequence();
                self.mode = None;
            }
            _ => {}
        }
        reports
    }

    /// True for an engine error that only says a reply raced a close (it
    /// is counted among the dropped replies instead of shown).
    pub(crate) fn raced_error(&mut self, event: &Event) -> bool {
        let Event::Error(NetError::UnknownPeer(peer)) = event else {
            return false;
        };
        let raced = self.touched.contains(peer) && self.closed.contains(peer);
        if raced {
            self.raced += 1;
            self.drops
                .add(DropWhy::PeerGone, self.addrs.get(peer).copied(), 0);
        }
        raced
    }

    fn on_response(
        &mut self,
        response: Response,
        now: Instant,
        kind: Option<MessageKind>,
        reports: &mut Vec<Report>,
    ) {
        match response {
            Response::Send {
                target,
                data,
                delay,
                ..
            } => {
                let meta = SendMeta {
                    message: kind,
                    ..SendMeta::default()
                };
                self.push(now + delay, target, data, meta);
            }
            Response::Close { peer, delay, .. } => {
                self.scheduler.push(now + delay, Job::Finish(peer));
            }
            Response::Failed { rule, error } => {
                let name = self
                    .responder
                    .as_ref()
                    .and_then(|r| r.rules().get(rule))
                    .map(|s| s.rule().name.clone())
                    .unwrap_or_default();
                let note = Note::RuleFailed {
                    rule: u32::try_from(rule + 1).unwrap_or(u32::MAX),
                    name,
                    reason: error.to_string(),
                };
                reports.push(Report::Entry(Entry::event(SystemTime::now(), None, note)));
            }
        }
    }

    fn push(&mut self, due: Instant, target: Target, data: Bytes, meta: SendMeta) {
        self.scheduler.push(due, Job::Send { target, data, meta });
    }

    fn sequence_outputs(
        &mut self,
        out: Vec<SequenceOutput>,
        now: Instant,
        reports: &mut Vec<Report>,
    ) {
        let name = self
            .sequence
            .as_ref()
            .map(|s| s.name().to_string())
            .unwrap_or_default();
        for o in out {
            match o {
                SequenceOutput::Send {
                    at,
                    data,
                    added_tail,
                    target,
                } => {
                    // A preset's own target applies to UDP only.
                    let target = match (self.mode, target) {
                        (Some(Mode::Udp), Some(to)) => Target::Host(to),
                        _ => Target::Default,
                    };
                    let meta = SendMeta {
                        added_tail: u32::try_from(added_tail).unwrap_or(0),
                        message: None,
                    };
                    self.last_sent = Some(data.clone());
                    self.last_written = false;
                    self.push(now, target, data, meta);
                    reports.push(Report::Sequence(SequenceNews::Sent {
                        name: name.clone(),
                        at,
                    }));
                }
                SequenceOutput::Finished { rounds } => {
                    self.ending = Some((now + SEQUENCE_FLUSH_WAIT, rounds));
                }
                SequenceOutput::Failed(failure) => {
                    reports.push(Report::Sequence(SequenceNews::Failed {
                        name: name.clone(),
                        failure,
                    }));
                }
            }
        }
    }

    /// When something is next due (a job, the sequence's wait or its end,
    /// rows about dropped replies), as seen at `now`.
    pub(crate) fn next_due(&mut self, now: Instant) -> Option<Instant> {
        let job = self.scheduler.next_due();
        let seq = self.sequence.as_ref().and_then(SequenceRun::next_deadline);
        // While a finished sequence waits for its last send, look again soon.
        let ending = self
            .ending
            .map(|(t, _)| t.min(now + Duration::from_millis(5)));
        [job, seq, ending, self.drops_due(now)]
            .into_iter()
            .flatten()
            .min()
    }

    /// Carries out what is due by `now` through `handle`.
    pub(crate) fn run_due(&mut self, now: Instant, handle: Option<&SessionHandle>) -> Vec<Report> {
        let mut reports = Vec::new();
        if let Some(run) = &mut self.sequence {
            let out = run.tick(now);
            self.sequence_outputs(out, now, &mut reports);
        }
        let due = self.scheduler.pop_due(now);
        if let Some(handle) = handle {
            for job in due {
                if let (Job::Send { data, .. }, Some(peer)) = (&job, job.peer())
                    && self.finished.contains(&peer)
                {
                    // We finished sending there: nothing more can go out.
                    let addr = self.addrs.get(&peer).copied();
                    self.drops.add(DropWhy::WeFinished, addr, data.len());
                    self.raced += 1;
                    continue;
                }
                if let Some(peer) = job.peer() {
                    if self.touched.len() >= MAX_REMEMBERED {
                        self.touched.clear();
                    }
                    self.touched.insert(peer);
                }
                let result = match job {
                    Job::Send { target, data, meta } => handle.send_with(target, data, meta),
                    Job::Finish(peer) => {
                        self.finished.insert(peer);
                        handle.finish(peer).map(|()| {
                            reports.push(Report::Finished(peer));
                        })
                    }
                };
                if let Err(e) = result {
                    reports.push(Report::Error(e));
                }
            }
        }
        if let Some((until, rounds)) = self.ending
            && (self.last_written || self.last_sent.is_none() || now >= until)
        {
            self.ending = None;
            let name = self
                .sequence
                .as_ref()
                .map(|s| s.name().to_string())
                .unwrap_or_default();
            reports.push(Report::Sequence(SequenceNews::Finished { name, rounds }));
        }
        reports.extend(self.drop_rows(now));
        reports
    }

    /// Rows for replies dropped since the last row: at once for a closed
    /// connection, at most one a second for the bounds (a flood would
    /// otherwise bring a row per batch).
    fn drop_rows(&mut self, now: Instant) -> Vec<Report> {
        for (why, peer, count, bytes) in self.scheduler.take_drops().items {
            let why = match why {
                DropReason::PeerGone => DropWhy::PeerGone,
                DropReason::TooMany => DropWhy::TooMany,
                DropReason::TooManyBytes => DropWhy::TooManyBytes,
            };
            let addr = peer.and_then(|p| self.addrs.get(&p).copied());
            self.drops.add_many(why, addr, count, bytes);
        }
        let bounds_due = self
            .last_drop_row
            .is_none_or(|t| now.duration_since(t) >= DROP_ROW_GAP);
        let mut rows = Vec::new();
        self.drops.items.retain(|&(why, addr, count, bytes)| {
            let now_ok = matches!(why, DropWhy::PeerGone | DropWhy::WeFinished) || bounds_due;
            if now_ok {
                rows.push(Report::Entry(Entry::event(
                    SystemTime::now(),
                    addr,
                    Note::RepliesDropped { count, bytes, why },
                )));
            }
            !now_ok
        });
        if bounds_due && !rows.is_empty() {
            self.last_drop_row = Some(now);
        }
        rows
    }

    /// When held-back drop rows are due.
    fn drops_due(&self, now: Instant) -> Option<Instant> {
        if self.drops.items.is_empty() && !self.scheduler.has_drops() {
            return None;
        }
        Some(self.last_drop_row.map_or(now, |t| t + DROP_ROW_GAP))
    }
}

/// Drops not yet shown, by reason and address.
#[derive(Debug, Default)]
struct DropTally {
    items: Vec<(DropWhy, Option<SocketAddr>, u64, u64)>,
}

impl DropTally {
    fn add(&mut self, why: DropWhy, addr: Option<SocketAddr>, bytes: usize) {
        self.add_many(why, addr, 1, bytes as u64);
    }

    fn add_many(&mut self, why: DropWhy, addr: Option<SocketAddr>, count: u64, bytes: u64) {
        // Bound drops are told for the whole session, not per address.
        let addr = match why {
            DropWhy::PeerGone | DropWhy::WeFinished => addr,
            DropWhy::TooMany | DropWhy::TooManyBytes => None,
        };
        match self.items.iter_mut().find(|i| i.0 == why && i.1 == addr) {
            Some(i) => {
                i.2 += count;
                i.3 += bytes;
            }
            None => self.items.push((why, addr, count, bytes)),
        }
    }
}
