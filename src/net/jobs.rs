//! The worker's timed sends: each [`Periodic`] started on a session is a
//! job here, clocked by the timer thread and sent through the driver.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::driver::{Ctx, Driver, SendOutcome};
use super::periodic::{MAX_ERRORS_IN_ROW, PeriodicState};
use super::timer::Timer;
use super::{Event, NetError, Periodic, PeriodicEnd, PeriodicId};

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
