//! Auto-reply rules and sequences on the command line: loads the files,
//! feeds engine events to a [`Responder`] and a [`SequenceRun`], and keeps
//! the delayed sends and closes they ask for until they are due.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use crate::automation::{
    Action, AnswerMode, Parsed, Responder, ResponderSettings, Rule, SequenceOutput, SequenceRun,
    load_strict,
};
use crate::codec::{DisplayEncoding, TextEncoding};
use crate::net::{Event, Mode, PeerId, Target};

/// How long the end of a finished sequence waits for its last send to be
/// written before the run ends anyway.
const FLUSH_WAIT: Duration = Duration::from_secs(2);

/// How long a close waits for earlier sends to be written.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Something the run loop should do now.
#[derive(Debug)]
pub(super) enum Job {
    /// Send bytes.
    Send(Target, Bytes),
    /// Close one TCP connection.
    Close(PeerId),
    /// Print a status line.
    Say(String),
    /// End the run.
    End(Result<(), String>),
}

/// A job waiting for its time.
#[derive(Debug)]
struct Due {
    at: Instant,
    job: Job,
    /// When a close gives up waiting for earlier sends to be written.
    give_up: Option<Instant>,
}

/// Loads `--rules FILE` strictly: any problem is an argument error naming
/// the file, line and column.
pub(super) fn load_rules(path: &Path) -> Result<(AnswerMode, Vec<Rule>), String> {
    let parsed: Parsed = load_strict(path).map_err(|e| format!("--rules {e}"))?;
    Ok((
        parsed.answer.unwrap_or_default(),
        parsed.rules.unwrap_or_default(),
    ))
}

/// Loads `--presets FILE` and prepares `--sequence NAME` from it.
pub(super) fn load_sequence(
    path: &Path,
    name: &str,
    display: DisplayEncoding,
) -> Result<SequenceRun, String> {
    let parsed = load_strict(path).map_err(|e| format!("--presets {e}"))?;
    let automation = parsed.into_automation();
    let Some(sequence) = automation.sequence(name) else {
        let names: Vec<&str> = automation
            .sequences
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        return Err(format!(
            "--sequence: {} has no sequence named \"{name}\" (it has: {})",
            path.display(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ));
    };
    SequenceRun::new(sequence, &automation.presets, display)
        .map_err(|e| format!("--sequence {name}: {e}"))
}

/// Builds a responder for the rules with the session's encodings.
pub(super) fn responder(
    answer: AnswerMode,
    rules: Vec<Rule>,
    display: DisplayEncoding,
    send_encoding: TextEncoding,
) -> Responder {
    Responder::new(
        rules,
        ResponderSettings {
            answer,
            display,
            send_encoding,
        },
    )
}

/// Rules, a sequence, and the jobs they have scheduled.
pub(super) struct Automator {
    mode: Mode,
    responder: Option<Responder>,
    sequence: Option<SequenceRun>,
    started: bool,
    /// Jobs in the order they were asked for; each runs once due.
    queue: Vec<Due>,
    /// After a sequence finished: when to stop waiting for its last send
    /// to be written.
    ending: Option<Instant>,
    /// The sequence's last send, and whether the engine has written it.
    last_sent: Option<Bytes>,
    last_written: bool,
    /// Connections a rule closed: if the peer was quicker, the engine's
    /// "not connected" for them is no error.
    closed: HashSet<PeerId>,
}

impl Automator {
    pub(super) fn new(
        mode: Mode,
        responder: Option<Responder>,
        sequence: Option<SequenceRun>,
    ) -> Automator {
        Automator {
            mode,
            responder,
            sequence,
            started: false,
            queue: Vec::new(),
            ending: None,
            last_sent: None,
            last_written: false,
            closed: HashSet::new(),
        }
    }

    /// Feeds one engine event.
    pub(super) fn on_event(&mut self, event: &Event, now: Instant) {
        if let Event::Closed = event {
            self.closed.clear();
        }
        if let Some(responder) = &mut self.responder {
            for action in responder.on_event(event, SystemTime::now()) {
                self.schedule(action, now);
            }
        }
        if let Event::Sent { data, .. } = event
            && self.last_sent.as_ref() == Some(data)
        {
            self.last_written = true;
        }
        let Some(run) = &mut self.sequence else {
            return;
        };
        let up = match event {
            Event::Connected { .. } => self.mode != Mode::Udp,
            Event::Opened {
                mode: Mode::Udp, ..
            } => true,
            _ => false,
        };
        let out = if up && !self.started {
            self.started = true;
            eprintln!("sequence {}: started", run.name());
            run.start(now)
        } else if let Event::Received { data, .. } = event {
            run.on_received(data, now)
        } else {
            Vec::new()
        };
        self.take(out, now);
    }

    fn schedule(&mut self, action: Action, now: Instant) {
        let rules = self.responder.as_ref().map(|r| r.rules());
        let name = |rule: usize| {
            rules
                .and_then(|r| r.get(rule))
                .map(|s| s.rule().name.as_str())
                .filter(|n| !n.is_empty())
                .map_or_else(
                    || format!("rule {}", rule + 1),
                    |n| format!("rule {} ({n})", rule + 1),
                )
        };
        let due = match action {
            Action::Send {
                target,
                data,
                delay,
                ..
            } => Due {
                at: now + delay,
                job: Job::Send(target, data),
                give_up: None,
            },
            Action::Close { peer, delay, .. } => Due {
                at: now + delay,
                job: Job::Close(peer),
                give_up: Some(now + delay + CLOSE_WAIT),
            },
            Action::Failed { rule, error } => Due {
                at: now,
                job: Job::Say(format!("error: {}: reply not sent: {error}", name(rule))),
                give_up: None,
            },
        };
        self.queue.push(due);
    }

    fn take(&mut self, out: Vec<SequenceOutput>, now: Instant) {
        let name = self
            .sequence
            .as_ref()
            .map(|s| s.name().to_string())
            .unwrap_or_default();
        for o in out {
            let job = match o {
                SequenceOutput::Send {
                    at, data, target, ..
                } => {
                    eprintln!("sequence {name}: {at}");
                    self.last_sent = Some(data.clone());
                    self.last_written = false;
                    // A preset's own target applies to UDP only.
                    let target = match (self.mode, target) {
                        (Mode::Udp, Some(to)) => Target::Host(to),
                        _ => Target::Default,
                    };
                    Job::Send(target, data)
                }
                SequenceOutput::Finished { rounds } => {
                    eprintln!("sequence {name}: finished after {rounds} round(s)");
                    self.ending = Some(now + FLUSH_WAIT);
                    continue;
                }
                SequenceOutput::Failed(failure) => {
                    Job::End(Err(format!("sequence {name} failed at {failure}")))
                }
            };
            self.queue.push(Due {
                at: now,
                job,
                give_up: None,
            });
        }
    }

    /// Lets time pass; returns the jobs now due, in order. `pending_tx` is
    /// how many bytes the engine has not written yet (a close waits for it).
    pub(super) fn poll(&mut self, now: Instant, pending_tx: usize) -> Vec<Job> {
        if let Some(run) = &mut self.sequence {
            let out = run.tick(now);
            self.take(out, now);
        }
        let mut jobs = Vec::new();
        let mut i = 0;
        while i < self.queue.len() {
            let due = &mut self.queue[i];
            if due.at > now {
                i += 1;
                continue;
            }
            // A close waits (a little at a time) until earlier sends are
            // written, so the peer gets the reply before the FIN.
            if matches!(due.job, Job::Close(_))
                && pending_tx > 0
                && due.give_up.is_some_and(|t| now < t)
            {
                due.at = now + Duration::from_millis(5);
                i += 1;
                continue;
            }
            let job = self.queue.remove(i).job;
            if let Job::Close(peer) = job {
                self.closed.insert(peer);
            }
            jobs.push(job);
        }
        if let Some(until) = self.ending
            && self.queue.is_empty()
            && (self.last_written || self.last_sent.is_none() || now >= until)
        {
            self.ending = None;
            jobs.push(Job::End(Ok(())));
        }
        jobs
    }

    /// True if a rule closed this connection (it may have gone already).
    pub(super) fn closed_by_rule(&self, peer: PeerId) -> bool {
        self.closed.contains(&peer)
    }

    /// When [`Automator::poll`] next has something to do.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let queued = self.queue.iter().map(|d| d.at).min();
        let sequence = self.sequence.as_ref().and_then(SequenceRun::next_deadline);
        let ending = self.ending;
        [queued, sequence, ending].into_iter().flatten().min()
    }
}
