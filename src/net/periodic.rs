//! Timed sends: the same bytes to the same target every `every`, `count`
//! times or until stopped. The session's timer thread ([`super::timer`])
//! says when; the worker's jobs ([`super::jobs`]) send, count and decide
//! when a run ends.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;

use super::{NetError, SendMeta, Target};

/// The shortest interval between timed sends.
pub const MIN_INTERVAL: Duration = Duration::from_millis(1);
/// The longest interval between timed sends, and the longest first delay.
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);
/// Failed sends in a row after which a timed send stops.
pub(crate) const MAX_ERRORS_IN_ROW: u32 = 3;

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
    pub(crate) fn one_shot(&self) -> bool {
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
    pub(crate) sent: AtomicU64,
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

    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
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
