//! Auto-replies and sequences inside a session's own thread: the rules see
//! every event as it is ingested, a sequence sees every received chunk, and
//! their sends (delayed ones too) go out on this thread's clock, never on
//! the window's frames.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use crate::automation::{
    Action, Progress, Responder, ResponderSettings, Rule, RuleError, RunState, SequenceOutput,
    SequenceRun,
};
use crate::net::{Event, NetError, PeerId, SendMeta, SessionHandle, Target};

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
    /// Running, finished, failed or stopped.
    pub state: RunState,
}

/// A send or a close waiting for its time.
#[derive(Debug, Clone)]
enum Job {
    Send {
        target: Target,
        data: Bytes,
        meta: SendMeta,
    },
    Close(PeerId),
    /// Finish our side (FIN) once the replies queued before it are out.
    Finish(PeerId),
}

/// The rules, the sequence run and the jobs they have asked for.
#[derive(Default)]
pub(crate) struct Automation {
    responder: Option<Responder>,
    sequence: Option<SequenceRun>,
    /// Due time, order of arrival, the job.
    jobs: Vec<(Instant, u64, Job)>,
    order: u64,
    /// Peers that finished sending, whose FIN waits for our replies.
    finishing: HashSet<PeerId>,
    /// Rule replies that could not be made, for the log.
    failed: Vec<String>,
}

/// What happened that the log should show.
pub(crate) enum Report {
    /// A failure worth a status message.
    Error(NetError),
    /// A rule's reply could not be made.
    RuleFailed(String),
    /// We finished sending on this connection (a rule's close, or the
    /// answer to a peer's FIN).
    Finished(PeerId),
}

impl Automation {
    /// Replaces the rules (none: no auto-replies).
    pub(crate) fn set_rules(&mut self, rules: Vec<Rule>, settings: ResponderSettings) {
        self.responder = (!rules.is_empty()).then(|| Responder::new(rules, settings));
    }

    /// Each rule's hits and error.
    pub(crate) fn rule_status(&self) -> Vec<RuleStatus> {
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

    /// Starts a sequence run now.
    pub(crate) fn run_sequence(&mut self, mut run: SequenceRun, now: Instant) {
        let out = run.start(now);
        self.sequence = Some(run);
        self.sequence_outputs(out, now);
    }

    /// Stops the sequence run.
    pub(crate) fn stop_sequence(&mut self) {
        if let Some(run) = &mut self.sequence {
            run.stop();
        }
    }

    /// The sequence run's state, if one was started.
    pub(crate) fn sequence_status(&self) -> Option<SequenceStatus> {
        self.sequence.as_ref().map(|r| SequenceStatus {
            name: r.name().to_string(),
            progress: r.progress(),
            state: r.state().clone(),
        })
    }

    /// Takes in one engine event; `finish_on_peer_fin`: finish our side
    /// after a peer finishes (once our replies to it are out).
    pub(crate) fn on_event(&mut self, event: &Event, now: Instant, finish_on_peer_fin: bool) {
        if let Some(responder) = &mut self.responder {
            for action in responder.on_event(event, SystemTime::now()) {
                self.on_action(action, now);
            }
        }
        match event {
            Event::Received { data, .. } => {
                if let Some(run) = &mut self.sequence {
                    let out = run.on_received(data, now);
                    self.sequence_outputs(out, now);
                }
            }
            Event::HalfClosed { peer, .. } if finish_on_peer_fin => {
                // After the replies already waiting for this peer.
                let last = self
                    .jobs
                    .iter()
                    .filter(|(_, _, j)| job_peer(j) == Some(*peer))
                    .map(|(t, _, _)| *t)
                    .max()
                    .unwrap_or(now);
                self.push(last, Job::Finish(*peer));
                self.finishing.insert(*peer);
            }
            Event::PeerClosed { peer, .. } => {
                self.jobs.retain(|(_, _, j)| job_peer(j) != Some(*peer));
                self.finishing.remove(peer);
            }
            Event::Closed => {
                self.jobs.clear();
                self.finishing.clear();
                self.stop_sequence();
            }
            _ => {}
        }
    }

    fn on_action(&mut self, action: Action, now: Instant) {
        match action {
            Action::Send {
                target,
                data,
                delay,
                ..
            } => self.push(
                now + delay,
                Job::Send {
                    target,
                    data,
                    meta: SendMeta::default(),
                },
            ),
            Action::Close { peer, delay, .. } => self.push(now + delay, Job::Close(peer)),
            Action::Failed { rule, error } => {
                self.failed.push(format!("rule {}: {error}", rule + 1));
            }
        }
    }

    fn sequence_outputs(&mut self, out: Vec<SequenceOutput>, now: Instant) {
        for o in out {
            if let SequenceOutput::Send {
                data,
                added_tail,
                target,
                ..
            } = o
            {
                let target = target.map_or(Target::Default, Target::Host);
                let meta = SendMeta {
                    added_tail: u32::try_from(added_tail).unwrap_or(0),
                };
                self.push(now, Job::Send { target, data, meta });
            }
        }
    }

    fn push(&mut self, at: Instant, job: Job) {
        self.order += 1;
        self.jobs.push((at, self.order, job));
    }

    /// When something is next due (a job or the sequence's wait).
    pub(crate) fn next_due(&self) -> Option<Instant> {
        let job = self.jobs.iter().map(|(t, _, _)| *t).min();
        let seq = self.sequence.as_ref().and_then(SequenceRun::next_deadline);
        job.into_iter().chain(seq).min()
    }

    /// Carries out what is due by `now` through `handle`; returns what the
    /// log should show.
    pub(crate) fn run_due(&mut self, now: Instant, handle: Option<&SessionHandle>) -> Vec<Report> {
        if let Some(run) = &mut self.sequence {
            let out = run.tick(now);
            self.sequence_outputs(out, now);
        }
        let mut reports: Vec<Report> = std::mem::take(&mut self.failed)
            .into_iter()
            .map(Report::RuleFailed)
            .collect();
        let mut due: Vec<(Instant, u64, Job)> = Vec::new();
        let mut i = 0;
        while i < self.jobs.len() {
            if self.jobs[i].0 <= now {
                due.push(self.jobs.swap_remove(i));
            } else {
                i += 1;
            }
        }
        due.sort_by_key(|(t, n, _)| (*t, *n));
        let Some(handle) = handle else {
            return reports;
        };
        for (_, _, job) in due {
            let (result, finished) = match job {
                Job::Send { target, data, meta } => (handle.send_with(target, data, meta), None),
                Job::Close(peer) => (handle.finish(peer), Some(peer)),
                Job::Finish(peer) => {
                    self.finishing.remove(&peer);
                    (handle.finish(peer), Some(peer))
                }
            };
            match (result, finished) {
                (Err(e), _) => reports.push(Report::Error(e)),
                (Ok(()), Some(peer)) => reports.push(Report::Finished(peer)),
                (Ok(()), None) => {}
            }
        }
        reports
    }
}

/// The connection a job is about, if any.
fn job_peer(job: &Job) -> Option<PeerId> {
    match job {
        Job::Send {
            target: Target::Peers(p),
            ..
        } if p.len() == 1 => p.first().copied(),
        Job::Close(p) | Job::Finish(p) => Some(*p),
        _ => None,
    }
}

/// How long the thread may sleep before `due`.
pub(crate) fn until(due: Option<Instant>, now: Instant) -> Option<Duration> {
    due.map(|d| d.saturating_duration_since(now))
}
