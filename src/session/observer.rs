//! How a front-end follows a running session: the rows as they are logged,
//! and the few signals a front-end acts on (a sequence's end, a timed
//! send's end, a capture that failed, datagrams the system dropped). The window needs none of it (it
//! reads the log); the command line prints every row it is given.

use std::time::Instant;

use crate::net::load::{LoadPlan, LoadSnapshot, LoadSummary};
use crate::net::{GroupOp, Membership, NetError, PeriodicEnd};
use crate::records::Entry;

use super::automator::SequenceNews;

/// Whether the session goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep running.
    Go,
    /// Stop the run (the front-end has what it waited for).
    Stop,
}

/// Something that happened that is not a row of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// News of the sequence run.
    Sequence(SequenceNews),
    /// A timed send ended.
    LoopEnded {
        /// Sends made.
        sent: u64,
        /// Why it ended.
        why: PeriodicEnd,
    },
    /// The live capture could not be written; it has stopped.
    CaptureFailed(String),
    /// A multicast group could not be joined or left (the session goes on).
    GroupFailed {
        /// The group and interface.
        membership: Membership,
        /// What was tried.
        op: GroupOp,
        /// Why it failed.
        error: NetError,
    },
    /// UDP: the system has dropped datagrams at the socket because its
    /// receive buffer was full; `total` since the socket opened (told when
    /// it grows; only where the system counts them).
    SystemDropped {
        /// Datagrams dropped so far.
        total: u64,
    },
    /// A load run started: what it will do.
    LoadStarted(Box<LoadPlan>),
    /// A load run's figures so far (every quarter second).
    LoadProgress(Box<LoadSnapshot>),
    /// A load run ended.
    LoadFinished(Box<LoadSummary>),
    /// The link has closed (the last row, `closed`, has been given).
    Closed {
        /// Whether it had opened.
        opened: bool,
        /// The error that ended it before it opened, if one did.
        failure: Option<NetError>,
    },
}

/// A front-end following a session. Every method has a default that
/// ignores what it is given.
pub trait Observer {
    /// Whether the rows are wanted (copies are made only then).
    fn wants_rows(&self) -> bool {
        false
    }

    /// A row, just logged, in the order the log holds them.
    fn row(&mut self, _entry: &Entry) -> Flow {
        Flow::Go
    }

    /// A signal.
    fn signal(&mut self, _signal: &Signal) -> Flow {
        Flow::Go
    }

    /// When [`Observer::tick`] must run at the latest.
    fn deadline(&self) -> Option<Instant> {
        None
    }

    /// Called after every turn of the session's loop; `pending_tx` is what
    /// the engine has not written yet.
    fn tick(&mut self, _now: Instant, _pending_tx: usize) -> Flow {
        Flow::Go
    }
}

/// An observer that wants nothing (the window's).
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl Observer for Quiet {}
