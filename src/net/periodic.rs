//! Timed sends: the same bytes to the same target every `every`, `count`
//! times or until stopped. The session's timer thread ([`super::timer`])
//! says when; the worker sends, counts and decides when a run ends.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::timer::Timer;
use super::worker::{Ctx, Driver, SendOutcome};
use super::{Event, NetError, SendMeta, Target};

/// The shortest interval between timed sends.
pub const MIN_INTERVAL: Duration = Duration::from_millis(1);
/// The longest interval between timed sends, and the longest first delay.
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);
/// Failed sends in a row after which a timed send stops.
const MAX_ERRORS_IN_ROW: u32 = 3;

/// Identifies one timed send within a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeriodicId(pub u64);

impl std::fmt::Display for PeriodicId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A timed send: `data` to `target` at `first_after`, then every `every`.
///
/// Send k (from 0) is due at `start + first_after + k * every`, where
/// `start` is when [`SessionHandle::start_periodic`] was called, so the rate
/// never drifts. A one-shot delayed send is `count: Some(1), first_after:
/// delay`; its `every` is not used.
///
/// A TCP server sending to [`Target::All`] or [`Target::Default`] sends to
/// the clients connected at each tick; a tick with no client sends nothing
/// and is not counted (a one-shot fails with [`NetError::NoClients`]).
///
/// [`SessionHandle::start_periodic`]: super::SessionHandle::start_periodic
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periodic {
    /// Where each send goes.
    pub target: Target,
    /// The exact bytes of each send.
    pub data: Bytes,
    /// Carried to each send's [`Event::Sent`].
    pub meta: SendMeta,
    /// Time between sends: 1 ms to 24 h.
    pub every: Duration,
    /// How many sends; `None` repeats until stopped.
    pub count: Option<u64>,
    /// Delay before the first send: 0 to 24 h.
    pub first_after: Duration,
}

impl Periodic {
    /// Sends `data` to `target` now and then every `every` until stopped.
    pub fn repeat(target: Target, data: Bytes, every: Duration) -> Periodic {
        Periodic {
            target,
            data,
            meta: SendMeta::default(),
            every,
            count: None,
            first_after: Duration::ZERO,
        }
    }

    /// Sends `data` to `target` once, after `delay`.
    #[cfg(any(test, feature = "test-support"))]
    pub fn once_after(target: Target, data: Bytes, delay: Duration) -> Periodic {
        Periodic {
            target,
            data,
            meta: SendMeta::default(),
            every: MAX_INTERVAL,
            count: Some(1),
            first_after: delay,
        }
    }

    /// True for a single delayed send.
    fn one_shot(&self) -> bool {
        self.count == Some(1)
    }

    /// Checks the interval, first delay and count.
    pub fn validate(&self) -> Result<(), NetError> {
        if self.count == Some(0) {
            return Err(NetError::ZeroCount);
        }
        if !self.one_shot() && !(MIN_INTERVAL..=MAX_INTERVAL).contains(&self.every) {
            return Err(NetError::BadInterval { every: self.every });
        }
        if self.first_after > MAX_INTERVAL {
            return Err(NetError::BadDelay {
                delay: self.first_after,
            });
        }
        Ok(())
    }
}

/// How far a timed send has got, readable at any time without events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodicProgress {
    /// Sends made so far.
    pub sent: u64,
    /// The count asked for (`None`: until stopped).
    pub total: Option<u64>,
    /// False once a stop has been asked for.
    pub running: bool,
}

/// Why a timed send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodicEnd {
    /// Every send of the count was made.
    Done,
    /// Stopped by [`SessionHandle::stop_periodic`](super::SessionHandle::stop_periodic).
    Stopped,
    /// Sends failed several times in a row (or a one-shot failed); the last
    /// error says why.
    Failed(NetError),
    /// The connection it sent on, or the whole session, has closed.
    ConnectionClosed,
}

/// What a handle and the worker share about one timed send.
#[derive(Debug)]
pub(crate) struct PeriodicState {
    sent: AtomicU64,
    total: Option<u64>,
    stop: AtomicBool,
}

impl PeriodicState {
    pub(crate) fn new(total: Option<u64>) -> PeriodicState {
        PeriodicState {
            sent: AtomicU64::new(0),
            total,
            stop: AtomicBool::new(false),
        }
    }

    pub(crate) fn progress(&self) -> PeriodicProgress {
        PeriodicProgress {
            sent: self.sent.load(Ordering::Acquire),
            total: self.total,
            running: !self.stop.load(Ordering::Acquire),
        }
    }

    /// Marks a stop: from now on the worker sends nothing more for it.
    pub(crate) fn request_stop(&self) {
        self.stop.store(true, Ordering::Release);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }
}

/// A timed send as the worker runs it.
struct Job {
    periodic: Periodic,
    state: Arc<PeriodicState>,
    errors_in_row: u32,
    /// The last error reported, so one that repeats is reported once.
    reported: Option<NetError>,
}

/// The worker's timed sends and the timer thread that clocks them (started
/// with the first one, ended with the session).
#[derive(Default)]
pub(crate) struct Jobs {
    timer: Option<Timer>,
    jobs: HashMap<PeriodicId, Job>,
}

impl Jobs {
    /// Starts clocking a timed send whose first send is due at `first`.
    pub(crate) fn start(
        &mut self,
        ctx: &mut Ctx,
        id: PeriodicId,
        periodic: Periodic,
        state: Arc<PeriodicState>,
        first: Instant,
    ) {
        if state.stopped() {
            return self.finish(ctx, id, &state, PeriodicEnd::Stopped);
        }
        if self.timer.is_none() {
            match Timer::spawn(ctx.cmd_tx.clone(), Arc::clone(&ctx.shared)) {
                Ok(timer) => self.timer = Some(timer),
                Err(e) => {
                    let err = NetError::io("cannot start the send timer", &e);
                    return self.finish(ctx, id, &state, PeriodicEnd::Failed(err));
                }
            }
        }
        let every = if periodic.one_shot() {
            Duration::ZERO
        } else {
            periodic.every
        };
        if let Some(timer) = &self.timer {
            timer.add(id, first, every);
        }
        self.jobs.insert(
            id,
            Job {
                periodic,
                state,
                errors_in_row: 0,
                reported: None,
            },
        );
    }

    /// One send of `id` is due.
    pub(crate) fn tick(&mut self, ctx: &mut Ctx, driver: &mut dyn Driver, id: PeriodicId) {
        let Some(job) = self.jobs.get_mut(&id) else {
            return; // ended; the timer had already handed this tick over
        };
        if job.state.stopped() {
            return self.end(ctx, id, PeriodicEnd::Stopped);
        }
        let p = &job.periodic;
        let outcome = driver.send(ctx, &p.target, p.data.clone(), p.meta);
        let end = match outcome {
            SendOutcome::Sent | SendOutcome::Pending => {
                job.errors_in_row = 0;
                let sent = job.state.sent.fetch_add(1, Ordering::AcqRel) + 1;
                p.count
                    .is_some_and(|n| sent >= n)
                    .then_some(PeriodicEnd::Done)
            }
            SendOutcome::NoPeers if p.one_shot() => Some(PeriodicEnd::Failed(NetError::NoClients)),
            SendOutcome::NoPeers => None,
            SendOutcome::Gone(_) | SendOutcome::Closed => Some(PeriodicEnd::ConnectionClosed),
            SendOutcome::Failed(err) => {
                job.errors_in_row += 1;
                if job.reported.as_ref() != Some(&err) {
                    ctx.error(err.clone());
                    job.reported = Some(err.clone());
                }
                (job.errors_in_row >= MAX_ERRORS_IN_ROW || p.one_shot())
                    .then_some(PeriodicEnd::Failed(err))
            }
        };
        if let Some(why) = end {
            self.end(ctx, id, why);
        }
    }

    /// Ends `id` because it was asked to stop.
    pub(crate) fn stop(&mut self, ctx: &mut Ctx, id: PeriodicId) {
        if self.jobs.contains_key(&id) {
            self.end(ctx, id, PeriodicEnd::Stopped);
        }
    }

    /// Ends every timed send (the session is closing) and the timer thread.
    pub(crate) fn end_all(&mut self, ctx: &mut Ctx) {
        let mut ids: Vec<PeriodicId> = self.jobs.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            self.end(ctx, id, PeriodicEnd::ConnectionClosed);
        }
        self.timer = None;
    }

    fn end(&mut self, ctx: &mut Ctx, id: PeriodicId, why: PeriodicEnd) {
        if let Some(job) = self.jobs.remove(&id) {
            if let Some(timer) = &self.timer {
                timer.remove(id);
            }
            self.finish(ctx, id, &job.state, why);
        }
    }

    fn finish(&mut self, ctx: &mut Ctx, id: PeriodicId, state: &PeriodicState, why: PeriodicEnd) {
        ctx.shared.forget_periodic(id);
        ctx.emit(Event::PeriodicEnded {
            id,
            sent: state.sent.load(Ordering::Acquire),
            why,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(every_ms: u64, count: Option<u64>, first_ms: u64) -> Periodic {
        Periodic {
            target: Target::Default,
            data: Bytes::from_static(b"x"),
            meta: SendMeta::default(),
            every: Duration::from_millis(every_ms),
            count,
            first_after: Duration::from_millis(first_ms),
        }
    }

    #[test]
    fn limits_are_checked() {
        assert_eq!(p(1, None, 0).validate(), Ok(()));
        assert_eq!(p(86_400_000, Some(5), 86_400_000).validate(), Ok(()));
        assert!(matches!(
            p(0, None, 0).validate(),
            Err(NetError::BadInterval { .. })
        ));
        assert!(matches!(
            p(86_400_001, None, 0).validate(),
            Err(NetError::BadInterval { .. })
        ));
        assert!(matches!(
            p(5, None, 86_400_001).validate(),
            Err(NetError::BadDelay { .. })
        ));
        assert_eq!(p(5, Some(0), 0).validate(), Err(NetError::ZeroCount));
        // A one-shot's interval is never used, so any value will do.
        assert_eq!(p(0, Some(1), 250).validate(), Ok(()));
        let once = Periodic::once_after(Target::LastSender, Bytes::new(), Duration::from_secs(2));
        assert_eq!(once.validate(), Ok(()));
        assert_eq!(once.count, Some(1));
    }
}
