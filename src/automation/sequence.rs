//! Sequences: ordered steps, each a send (a preset by name or a literal)
//! followed by a wait (a fixed pause, or a reply that matches, up to a
//! timeout), run once, N times or forever.
//!
//! [`SequenceRun`] is a pure state machine: the caller feeds it the start,
//! received chunks, the passing of time and a stop, always with the current
//! [`Instant`], and carries out the sends it returns. Tests drive it with
//! made-up instants.

use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use thiserror::Error;

use super::matcher::{MatchError, MatchKind, Matcher};
use super::preset::Preset;
use crate::codec::{DisplayEncoding, PayloadError, SendOptions, StreamDecoder, build_payload};
use crate::net::{AddrError, HostPort};

/// The most steps in one sequence.
pub const MAX_STEPS: usize = 1000;

/// The longest pause or reply timeout: 24 hours.
pub const MAX_WAIT_MS: u64 = 86_400_000;

/// How much received data a reply wait keeps to match against (the newest
/// bytes since the step's send).
pub const REPLY_WINDOW: usize = 64 * 1024;

/// How often a sequence runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Repeat {
    /// This many rounds (at least 1).
    Times(u32),
    /// Until stopped or a step fails.
    Forever,
}

impl Default for Repeat {
    fn default() -> Self {
        Repeat::Times(1)
    }
}

/// What a step sends.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StepSend {
    /// The preset with this name.
    Preset(String),
    /// Text or hex given in the step itself.
    Literal {
        /// As in the send box.
        text: String,
        /// How it becomes bytes.
        send: SendOptions,
    },
}

/// What a step waits for after its send.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StepWait {
    /// A fixed pause (0 = go straight on).
    Pause {
        /// Milliseconds.
        ms: u64,
    },
    /// A received chunk that matches, within a timeout.
    Reply {
        /// How to match.
        when: MatchKind,
        /// The pattern.
        pattern: String,
        /// Milliseconds before the run fails.
        timeout_ms: u64,
    },
}

impl Default for StepWait {
    fn default() -> Self {
        StepWait::Pause { ms: 0 }
    }
}

/// One step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Step {
    /// What it sends.
    pub send: StepSend,
    /// What it waits for.
    pub wait: StepWait,
}

/// A named list of steps.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Sequence {
    /// Its name, unique in a file.
    pub name: String,
    /// How often it runs.
    pub repeat: Repeat,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// Why a sequence cannot run. Steps are numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SequenceError {
    /// No steps.
    #[error("the sequence has no steps")]
    Empty,
    /// Over [`MAX_STEPS`].
    #[error("the sequence has {len} steps; at most {max} are allowed")]
    TooManySteps {
        /// How many.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `repeat = 0`.
    #[error("a sequence runs at least once (repeat = 1 or more, or \"forever\")")]
    ZeroRounds,
    /// A step names a preset that does not exist.
    #[error("step {step}: there is no preset named \"{name}\"")]
    UnknownPreset {
        /// The step.
        step: usize,
        /// The name.
        name: String,
    },
    /// A step's bytes cannot be built.
    #[error("step {step}: {error}")]
    Payload {
        /// The step.
        step: usize,
        /// Why.
        error: PayloadError,
    },
    /// A step's preset has a bad target.
    #[error("step {step}: {error}")]
    Target {
        /// The step.
        step: usize,
        /// Why.
        error: AddrError,
    },
    /// A reply pattern does not compile.
    #[error("step {step}: {error}")]
    Pattern {
        /// The step.
        step: usize,
        /// Why.
        error: MatchError,
    },
    /// A wait over [`MAX_WAIT_MS`].
    #[error("step {step}: a wait may be at most {max_ms} ms")]
    WaitTooLong {
        /// The step.
        step: usize,
        /// The limit.
        max_ms: u64,
    },
    /// A sequence that repeats forever without waiting would flood.
    #[error("a sequence that repeats forever needs at least one step that waits")]
    BusyForever,
}

/// How far a run has got. Steps and rounds count from 1.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The current step.
    pub step: usize,
    /// How many steps.
    pub steps: usize,
    /// The current round.
    pub round: u64,
    /// How many rounds (`None`: forever).
    pub rounds: Option<u32>,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {} of {}, round {}",
            self.step, self.steps, self.round
        )?;
        if let Some(n) = self.rounds {
            write!(f, " of {n}")?;
        }
        Ok(())
    }
}

/// Why a run stopped early.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SequenceFailure {
    /// No matching reply came in time.
    #[error("{at} ({label}): no reply matching {when} \"{pattern}\" within {timeout_ms} ms")]
    Timeout {
        /// Where the run was.
        at: Progress,
        /// The step, described.
        label: String,
        /// How it matched.
        when: MatchKind,
        /// The pattern.
        pattern: String,
        /// The timeout.
        timeout_ms: u64,
    },
}

/// What the caller should do or know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SequenceOutput {
    /// Send these bytes now.
    Send {
        /// Where the run is (this step).
        at: Progress,
        /// The bytes.
        data: Bytes,
        /// How many trailing bytes were added (line ending, checksum).
        added_tail: usize,
        /// The preset's target, if it has one.
        target: Option<HostPort>,
    },
    /// Every round is done.
    Finished {
        /// Rounds run.
        rounds: u64,
    },
    /// The run stopped on a failure.
    Failed(SequenceFailure),
}

/// Where a run is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    /// Not started.
    Ready,
    /// Sending and waiting.
    Running,
    /// Every round done.
    Finished,
    /// Stopped on a failure.
    Failed(SequenceFailure),
    /// Stopped by the user.
    Stopped,
}

#[derive(Debug, Clone)]
struct ReadyStep {
    data: Bytes,
    added_tail: usize,
    target: Option<HostPort>,
    wait: ReadyWait,
    label: String,
}

#[derive(Debug, Clone)]
enum ReadyWait {
    Pause(Duration),
    Reply {
        matcher: Matcher,
        when: MatchKind,
        pattern: String,
        timeout: Duration,
    },
}

#[derive(Debug, Clone)]
enum Phase {
    Idle,
    Pause { until: Instant },
    Reply { deadline: Instant, seen: Vec<u8> },
}

/// One run of a sequence.
#[derive(Debug, Clone)]
pub struct SequenceRun {
    name: String,
    steps: Vec<ReadyStep>,
    repeat: Repeat,
    display: DisplayEncoding,
    state: RunState,
    phase: Phase,
    index: usize,
    round: u64,
}

impl SequenceRun {
    /// Checks the sequence and builds every step's bytes up front, so a run
    /// never stops on a bad step half-way. `presets` are looked up by name;
    /// `display` decodes replies for text matchers.
    pub fn new(
        sequence: &Sequence,
        presets: &[Preset],
        display: DisplayEncoding,
    ) -> Result<SequenceRun, SequenceError> {
        validate_shape(sequence)?;
        let mut steps = Vec::with_capacity(sequence.steps.len());
        for (i, step) in sequence.steps.iter().enumerate() {
            steps.push(ready_step(i + 1, step, presets)?);
        }
        Ok(SequenceRun {
            name: sequence.name.clone(),
            steps,
            repeat: sequence.repeat,
            display,
            state: RunState::Ready,
            phase: Phase::Idle,
            index: 0,
            round: 1,
        })
    }

    /// The sequence's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the run is.
    pub fn state(&self) -> &RunState {
        &self.state
    }

    /// True while running.
    pub fn is_running(&self) -> bool {
        self.state == RunState::Running
    }

    /// The sequence as the script of a load test's clients: each step's
    /// bytes and wait, and its rounds (`None` for forever).
    pub fn load_script(&self) -> crate::net::load::LoadScript {
        use crate::net::load::{LoadScript, LoadStep, LoadWait};
        let steps = self
            .steps
            .iter()
            .map(|s| LoadStep {
                send: s.data.clone(),
                wait: match &s.wait {
                    ReadyWait::Pause(d) => LoadWait::Pause(*d),
                    ReadyWait::Reply {
                        matcher,
                        when,
                        pattern,
                        timeout,
                    } => LoadWait::Reply {
                        expect: super::load_script::ReplyMatcher::expect(
                            matcher.clone(),
                            *when,
                            pattern,
                            self.display,
                        ),
                        timeout: *timeout,
                    },
                },
                label: s.label.clone(),
            })
            .collect();
        LoadScript {
            steps,
            every: None,
            rounds: match self.repeat {
                Repeat::Times(n) => Some(n),
                Repeat::Forever => None,
            },
        }
    }

    /// The current step and round.
    pub fn progress(&self) -> Progress {
        Progress {
            step: self.index + 1,
            steps: self.steps.len(),
            round: self.round,
            rounds: match self.repeat {
                Repeat::Times(n) => Some(n),
                Repeat::Forever => None,
            },
        }
    }

    /// When [`SequenceRun::tick`] next has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        match (&self.state, &self.phase) {
            (RunState::Running, Phase::Pause { until }) => Some(*until),
            (RunState::Running, Phase::Reply { deadline, .. }) => Some(*deadline),
            _ => None,
        }
    }

    /// Starts (or restarts) from step 1, round 1, sending step 1 now.
    pub fn start(&mut self, now: Instant) -> Vec<SequenceOutput> {
        self.state = RunState::Running;
        self.index = 0;
        self.round = 1;
        let mut out = Vec::new();
        self.send_current(now, &mut out);
        self.run_due(now, &mut out);
        out
    }

    /// Stops the run; nothing more is sent.
    pub fn stop(&mut self) {
        if self.state == RunState::Running {
            self.state = RunState::Stopped;
        }
        self.phase = Phase::Idle;
    }

    /// Lets time pass: ends pauses and reply waits whose time has come.
    pub fn tick(&mut self, now: Instant) -> Vec<SequenceOutput> {
        let mut out = Vec::new();
        self.run_due(now, &mut out);
        out
    }

    /// A received chunk: moves on if the current step waits for a reply
    /// that it completes.
    pub fn on_received(&mut self, data: &[u8], now: Instant) -> Vec<SequenceOutput> {
        let mut out = Vec::new();
        if self.state != RunState::Running {
            return out;
        }
        let display = self.display;
        let matched = match (&mut self.phase, &self.steps[self.index].wait) {
            (Phase::Reply { seen, .. }, ReadyWait::Reply { matcher, .. }) => {
                seen.extend_from_slice(data);
                if seen.len() > REPLY_WINDOW {
                    seen.drain(..seen.len() - REPLY_WINDOW);
                }
                let text = if matcher.needs_text() {
                    StreamDecoder::new(display).decode(seen)
                } else {
                    String::new()
                };
                matcher.find(seen, &text).is_some()
            }
            _ => false,
        };
        if matched {
            self.advance(now, &mut out);
            self.run_due(now, &mut out);
        }
        out
    }

    /// Sends the current step and starts its wait, timed from `at`.
    fn send_current(&mut self, at: Instant, out: &mut Vec<SequenceOutput>) {
        let progress = self.progress();
        let step = &self.steps[self.index];
        out.push(SequenceOutput::Send {
            at: progress,
            data: step.data.clone(),
            added_tail: step.added_tail,
            target: step.target.clone(),
        });
        self.phase = match &step.wait {
            ReadyWait::Pause(d) => Phase::Pause { until: at + *d },
            ReadyWait::Reply { timeout, .. } => Phase::Reply {
                deadline: at + *timeout,
                seen: Vec::new(),
            },
        };
    }

    /// Moves to the next step (or round), sending it at `at`.
    fn advance(&mut self, at: Instant, out: &mut Vec<SequenceOutput>) {
        self.index += 1;
        if self.index == self.steps.len() {
            if let Repeat::Times(n) = self.repeat
                && self.round >= u64::from(n)
            {
                self.index -= 1;
                self.state = RunState::Finished;
                self.phase = Phase::Idle;
                out.push(SequenceOutput::Finished { rounds: self.round });
                return;
            }
            self.index = 0;
            self.round += 1;
        }
        self.send_current(at, out);
    }

    /// Handles every pause and timeout due by `now`, at most one round's
    /// worth per call (a run of zero pauses then continues on the next
    /// tick, as [`SequenceRun::next_deadline`] is already due).
    fn run_due(&mut self, now: Instant, out: &mut Vec<SequenceOutput>) {
        for _ in 0..self.steps.len() {
            if self.state != RunState::Running {
                return;
            }
            match &self.phase {
                // Pauses are timed from when they were due, not from when
                // the tick came, so a late tick does not make the run drift.
                Phase::Pause { until } if *until <= now => {
                    let at = *until;
                    self.advance(at, out);
                }
                Phase::Reply { deadline, .. } if *deadline <= now => {
                    let progress = self.progress();
                    let step = &self.steps[self.index];
                    if let ReadyWait::Reply {
                        when,
                        pattern,
                        timeout,
                        ..
                    } = &step.wait
                    {
                        let failure = SequenceFailure::Timeout {
                            at: progress,
                            label: step.label.clone(),
                            when: *when,
                            pattern: pattern.clone(),
                            timeout_ms: timeout.as_millis() as u64,
                        };
                        self.state = RunState::Failed(failure.clone());
                        out.push(SequenceOutput::Failed(failure));
                    }
                    self.phase = Phase::Idle;
                    return;
                }
                _ => return,
            }
        }
    }
}

fn validate_shape(sequence: &Sequence) -> Result<(), SequenceError> {
    if sequence.steps.is_empty() {
        return Err(SequenceError::Empty);
    }
    if sequence.steps.len() > MAX_STEPS {
        return Err(SequenceError::TooManySteps {
            len: sequence.steps.len(),
            max: MAX_STEPS,
        });
    }
    match sequence.repeat {
        Repeat::Times(0) => Err(SequenceError::ZeroRounds),
        Repeat::Forever
            if sequence
                .steps
                .iter()
                .all(|s| s.wait == StepWait::Pause { ms: 0 }) =>
        {
            Err(SequenceError::BusyForever)
        }
        _ => Ok(()),
    }
}

fn ready_step(n: usize, step: &Step, presets: &[Preset]) -> Result<ReadyStep, SequenceError> {
    let (payload, target, label) = match &step.send {
        StepSend::Preset(name) => {
            let preset = presets.iter().find(|p| &p.name == name).ok_or_else(|| {
                SequenceError::UnknownPreset {
                    step: n,
                    name: name.clone(),
                }
            })?;
            let target = preset
                .target()
                .map_err(|error| SequenceError::Target { step: n, error })?;
            (preset.build(), target, format!("preset \"{name}\""))
        }
        StepSend::Literal { text, send } => (
            build_payload(text, send),
            None,
            format!("\"{}\"", short(text)),
        ),
    };
    let payload = payload.map_err(|error| SequenceError::Payload { step: n, error })?;
    let too_long = |ms: u64| {
        (ms > MAX_WAIT_MS).then_some(SequenceError::WaitTooLong {
            step: n,
            max_ms: MAX_WAIT_MS,
        })
    };
    let wait = match &step.wait {
        StepWait::Pause { ms } => {
            if let Some(e) = too_long(*ms) {
                return Err(e);
            }
            ReadyWait::Pause(Duration::from_millis(*ms))
        }
        StepWait::Reply {
            when,
            pattern,
            timeout_ms,
        } => {
            if let Some(e) = too_long(*timeout_ms) {
                return Err(e);
            }
            ReadyWait::Reply {
                matcher: Matcher::compile(*when, pattern)
                    .map_err(|error| SequenceError::Pattern { step: n, error })?,
                when: *when,
                pattern: pattern.clone(),
                timeout: Duration::from_millis(*timeout_ms),
            }
        }
    };
    Ok(ReadyStep {
        data: Bytes::from(payload.bytes),
        added_tail: payload.added_tail,
        target,
        wait,
        label,
    })
}

/// The first 24 characters of `text`, with an ellipsis if cut.
fn short(text: &str) -> String {
    let mut out: String = text.chars().take(24).collect();
    if text.chars().nth(24).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::InputMode;

    fn literal(text: &str, wait: StepWait) -> Step {
        Step {
            send: StepSend::Literal {
                text: text.to_string(),
                send: SendOptions::default(),
            },
            wait,
        }
    }

    fn pause(ms: u64) -> StepWait {
        StepWait::Pause { ms }
    }

    fn reply(pattern: &str, timeout_ms: u64) -> StepWait {
        StepWait::Reply {
            when: MatchKind::Contains,
            pattern: pattern.to_string(),
            timeout_ms,
        }
    }

    fn run(steps: Vec<Step>, repeat: Repeat) -> SequenceRun {
        let seq = Sequence {
            name: "t".into(),
            repeat,
            steps,
        };
        SequenceRun::new(&seq, &[], DisplayEncoding::Auto).unwrap()
    }

    /// The bytes sent, in order.
    fn sends(out: &[SequenceOutput]) -> Vec<String> {
        out.iter()
            .filter_map(|o| match o {
                SequenceOutput::Send { data, .. } => {
                    Some(String::from_utf8_lossy(data).into_owned())
                }
                _ => None,
            })
            .collect()
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn pauses_are_kept_without_drift() {
        let mut r = run(
            vec![literal("a", pause(100)), literal("b", pause(50))],
            Repeat::Times(2),
        );
        let t0 = Instant::now();
        assert_eq!(sends(&r.start(t0)), ["a"]);
        assert_eq!(r.next_deadline(), Some(t0 + ms(100)));
        assert!(r.tick(t0 + ms(99)).is_empty());
        // A late tick sends b, and the next pause still counts from 100 ms.
        assert_eq!(sends(&r.tick(t0 + ms(120))), ["b"]);
        assert_eq!(r.next_deadline(), Some(t0 + ms(150)));
        assert_eq!(
            r.progress(),
            Progress {
                step: 2,
                steps: 2,
                round: 1,
                rounds: Some(2)
            }
        );
        let out = r.tick(t0 + ms(150));
        assert_eq!(sends(&out), ["a"]);
        assert_eq!(r.progress().round, 2);
        assert_eq!(r.progress().to_string(), "step 1 of 2, round 2 of 2");
        assert_eq!(sends(&r.tick(t0 + ms(250))), ["b"]);
        let out = r.tick(t0 + ms(300));
        assert_eq!(out, vec![SequenceOutput::Finished { rounds: 2 }]);
        assert_eq!(r.state(), &RunState::Finished);
        assert_eq!(r.next_deadline(), None);
        assert!(r.tick(t0 + ms(10_000)).is_empty());
    }

    #[test]
    fn a_very_late_tick_catches_up_one_round_at_a_time() {
        let mut r = run(vec![literal("a", pause(10))], Repeat::Times(5));
        let t0 = Instant::now();
        r.start(t0);
        // 1 s late: the run catches up, but never more than one round per call.
        let out = r.tick(t0 + ms(1000));
        assert_eq!(sends(&out), ["a"]);
        let mut total = 1 + 1;
        while r.is_running() {
            total += sends(&r.tick(t0 + ms(1000))).len();
        }
        assert_eq!(total, 5);
    }

    #[test]
    fn waits_for_a_matching_reply() {
        let mut r = run(
            vec![literal("AT", reply("OK", 1000)), literal("AT+X", pause(0))],
            Repeat::Times(1),
        );
        let t0 = Instant::now();
        assert_eq!(sends(&r.start(t0)), ["AT"]);
        assert!(r.on_received(b"ERR", t0 + ms(10)).is_empty());
        // The reply may come in pieces.
        assert!(r.on_received(b"O", t0 + ms(20)).is_empty());
        let out = r.on_received(b"K\r\n", t0 + ms(30));
        assert_eq!(sends(&out), ["AT+X"]);
        assert_eq!(out.last(), Some(&SequenceOutput::Finished { rounds: 1 }));
    }

    #[test]
    fn a_timeout_fails_naming_the_step() {
        let mut r = run(
            vec![literal("hi", pause(5)), literal("AT", reply("OK", 200))],
            Repeat::Forever,
        );
        let t0 = Instant::now();
        r.start(t0);
        r.tick(t0 + ms(5));
        assert!(r.tick(t0 + ms(204)).is_empty());
        let out = r.tick(t0 + ms(205));
        let [SequenceOutput::Failed(failure)] = out.as_slice() else {
            panic!("{out:?}");
        };
        assert_eq!(
            failure.to_string(),
            "step 2 of 2, round 1 (\"AT\"): no reply matching contains \"OK\" within 200 ms"
        );
        assert!(matches!(r.state(), RunState::Failed(_)));
        assert!(r.on_received(b"OK", t0 + ms(300)).is_empty());
    }

    #[test]
    fn stop_ends_the_run() {
        let mut r = run(vec![literal("a", pause(10))], Repeat::Forever);
        let t0 = Instant::now();
        r.start(t0);
        r.stop();
        assert_eq!(r.state(), &RunState::Stopped);
        assert!(r.tick(t0 + ms(1000)).is_empty());
        assert_eq!(r.next_deadline(), None);
        // It can be started again.
        assert_eq!(sends(&r.start(t0 + ms(2000))), ["a"]);
    }

    #[test]
    fn forever_keeps_going_and_counts_rounds() {
        let mut r = run(vec![literal("p", pause(1))], Repeat::Forever);
        let t0 = Instant::now();
        r.start(t0);
        for i in 1..=1000 {
            assert_eq!(sends(&r.tick(t0 + ms(i))), ["p"]);
        }
        assert_eq!(r.progress().round, 1001);
        assert_eq!(r.progress().rounds, None);
    }

    #[test]
    fn zero_pauses_run_through_a_round() {
        let mut r = run(
            vec![
                literal("a", pause(0)),
                literal("b", pause(0)),
                literal("c", pause(0)),
            ],
            Repeat::Times(1),
        );
        let out = r.start(Instant::now());
        assert_eq!(sends(&out), ["a", "b", "c"]);
        assert_eq!(out.last(), Some(&SequenceOutput::Finished { rounds: 1 }));
    }

    #[test]
    fn presets_are_looked_up_and_bad_steps_refused() {
        let preset = Preset {
            name: "read".into(),
            text: "01 03".into(),
            send: SendOptions {
                mode: InputMode::Hex,
                ..SendOptions::default()
            },
            target: Some("127.0.0.1:9".into()),
            hotkey: None,
        };
        let seq = |steps| Sequence {
            name: "s".into(),
            repeat: Repeat::Times(1),
            steps,
        };
        let by_name = |name: &str| Step {
            send: StepSend::Preset(name.into()),
            wait: pause(0),
        };
        let mut r = SequenceRun::new(
            &seq(vec![by_name("read")]),
            std::slice::from_ref(&preset),
            DisplayEncoding::Auto,
        )
        .unwrap();
        let out = r.start(Instant::now());
        let SequenceOutput::Send { data, target, .. } = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(data.as_ref(), [1, 3]);
        assert_eq!(target.as_ref().map(|t| t.port), Some(9));

        let err = |s: &Sequence| {
            SequenceRun::new(s, std::slice::from_ref(&preset), DisplayEncoding::Auto)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(&seq(vec![by_name("read"), by_name("write")])),
            "step 2: there is no preset named \"write\""
        );
        assert_eq!(err(&seq(vec![])), "the sequence has no steps");
        let mut forever = seq(vec![by_name("read")]);
        forever.repeat = Repeat::Forever;
        assert_eq!(
            err(&forever),
            "a sequence that repeats forever needs at least one step that waits"
        );
        let mut zero = seq(vec![by_name("read")]);
        zero.repeat = Repeat::Times(0);
        assert!(err(&zero).contains("at least once"));
        let bad_regex = StepWait::Reply {
            when: MatchKind::Regex,
            pattern: "(".into(),
            timeout_ms: 10,
        };
        assert!(err(&seq(vec![literal("x", bad_regex)])).starts_with("step 1: invalid regex"));
        assert!(err(&seq(vec![literal("x", pause(MAX_WAIT_MS + 1))])).contains("at most"));
        let bad_hex = Step {
            send: StepSend::Literal {
                text: "0G".into(),
                send: SendOptions {
                    mode: InputMode::Hex,
                    ..SendOptions::default()
                },
            },
            wait: pause(0),
        };
        assert!(err(&seq(vec![bad_hex])).starts_with("step 1: invalid hex digit"));
    }

    #[test]
    fn reply_window_is_bounded() {
        let mut r = run(vec![literal("x", reply("END", 1000))], Repeat::Times(1));
        let t0 = Instant::now();
        r.start(t0);
        let junk = vec![b'.'; 4096];
        for _ in 0..100 {
            assert!(r.on_received(&junk, t0).is_empty());
        }
        if let Phase::Reply { seen, .. } = &r.phase {
            assert_eq!(seen.len(), REPLY_WINDOW);
        } else {
            panic!("not waiting");
        }
        let out = r.on_received(b"END", t0);
        assert_eq!(out, vec![SequenceOutput::Finished { rounds: 1 }]);
    }
}
