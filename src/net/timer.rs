//! The timer thread of a session: it keeps every timed send's schedule and
//! hands each due send to the worker, which does the sending.
//!
//! A poll loop cannot keep time finely: epoll and kqueue take whole
//! milliseconds, rounded up, so a send due in 0.4 ms would wait a full 1 ms
//! more. This thread waits on its channel (for new schedules) until shortly
//! before the next deadline, sleeps the rest (a precise sleep on every
//! system), and wakes the worker through its waker, which is as quick as a
//! command. Waiting in the worker itself, with a rounded-down poll and a
//! short sleep, was measured too: it saved about 50 µs at the median
//! (one thread hop) but would hold up every socket of the session during
//! each sleep, so the timer has a thread of its own. Deadlines are `first + k * every`,
//! kept by adding `every` to the previous deadline (exact integer time, no
//! drift); a late wake-up sends every tick that fell due, so counts and the
//! total duration stay exact.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError};

use super::PeriodicId;
use super::driver::{WorkerCmd, WorkerShared};

/// After a stall longer than this (a suspended machine), a schedule starts
/// again from now instead of sending every tick it missed at once.
const MAX_BEHIND: Duration = Duration::from_secs(1);

enum TimerMsg {
    Add {
        id: PeriodicId,
        first: Instant,
        every: Duration,
    },
    Remove(PeriodicId),
}

/// The handle the worker keeps; dropping it ends and joins the thread.
pub(crate) struct Timer {
    tx: Option<Sender<TimerMsg>>,
    thread: Option<JoinHandle<()>>,
}

impl Timer {
    /// Starts the thread; due ticks go to `out` as [`WorkerCmd::Tick`].
    pub(crate) fn spawn(out: Sender<WorkerCmd>, shared: Arc<WorkerShared>) -> io::Result<Timer> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let thread = std::thread::Builder::new()
            .name("netassist-timer".to_string())
            .spawn(move || run(&rx, &out, &shared))?;
        Ok(Timer {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Schedules ticks at `first`, `first + every`, … until removed.
    pub(crate) fn add(&self, id: PeriodicId, first: Instant, every: Duration) {
        self.send(TimerMsg::Add { id, first, every });
    }

    /// Stops scheduling `id` (ticks already handed over are ignored by the worker).
    pub(crate) fn remove(&self, id: PeriodicId) {
        self.send(TimerMsg::Remove(id));
    }

    fn send(&self, msg: TimerMsg) {
        if let Some(tx) = &self.tx {
            // The thread only ends when this handle drops the sender.
            let _ = tx.send(msg);
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The last part of each wait is a plain sleep, which is precise on every
/// system (a channel wait on Windows goes by its coarse scheduler tick);
/// a message that arrives meanwhile waits at most this long.
const PRECISE: Duration = if cfg!(windows) {
    Duration::from_millis(20)
} else {
    Duration::from_millis(2)
};

struct Schedule {
    next: Instant,
    every: Duration,
}

fn apply(schedules: &mut HashMap<PeriodicId, Schedule>, msg: TimerMsg) {
    match msg {
        TimerMsg::Add { id, first, every } => {
            schedules.insert(id, Schedule { next: first, every });
        }
        TimerMsg::Remove(id) => {
            schedules.remove(&id);
        }
    }
}

fn run(rx: &Receiver<TimerMsg>, out: &Sender<WorkerCmd>, shared: &WorkerShared) {
    let mut schedules: HashMap<PeriodicId, Schedule> = HashMap::new();
    loop {
        loop {
            match rx.try_recv() {
                Ok(msg) => apply(&mut schedules, msg),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        let Some(due) = schedules.values().map(|s| s.next).min() else {
            match rx.recv() {
                Ok(msg) => apply(&mut schedules, msg),
                Err(_) => return,
            }
            continue;
        };
        let now = Instant::now();
        if due > now + PRECISE {
            match rx.recv_deadline(due - PRECISE) {
                Ok(msg) => apply(&mut schedules, msg),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            continue;
        }
        if due > now {
            std::thread::sleep(due - now);
        }
        let now = Instant::now();
        let mut fired = false;
        schedules.retain(|&id, s| {
            if s.next > now {
                return true;
            }
            if now.duration_since(s.next) > MAX_BEHIND {
                s.next = now;
            }
            while s.next <= now {
                if out.send(WorkerCmd::Tick(id)).is_err() {
                    return false;
                }
                fired = true;
                if s.every.is_zero() {
                    return false;
                }
                match s.next.checked_add(s.every) {
                    Some(next) => s.next = next,
                    None => return false,
                }
            }
            true
        });
        if fired {
            shared.wake_worker();
        }
    }
}
