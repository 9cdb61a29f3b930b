//! What a mode's driver works with inside the worker: the commands that
//! reach it, the context it reports through, the state it shares with the
//! handles, and the [`Driver`] trait each mode implements. The worker
//! (`worker.rs`) runs a driver; a driver never needs the worker itself.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use crossbeam_channel::Sender;
use mio::{Poll, Token, Waker};

use super::multicast::MulticastOptions;
use super::periodic::PeriodicState;
use super::queue::EventSink;
use super::ws::MessageKind;
use super::{
    Event, Faults, GroupOp, Membership, Mode, NetError, PeerId, Periodic, PeriodicId, Resolver,
    SendMeta, Target,
};

/// The token of the waker that commands use to interrupt `poll`.
pub(crate) const WAKER: Token = Token(0);

/// Commands that reach a running worker (open and close are handled outside).
#[derive(Debug)]
pub(crate) enum WorkerCmd {
    Send {
        target: Target,
        data: Bytes,
        meta: SendMeta,
    },
    Disconnect(PeerId),
    Finish(PeerId),
    StartPeriodic {
        id: PeriodicId,
        periodic: Periodic,
        state: Arc<PeriodicState>,
        first: Instant,
    },
    StopPeriodic(PeriodicId),
    /// From the timer thread: one send of a timed send is due.
    Tick(PeriodicId),
    Join(Membership),
    Leave(Membership),
    SetMulticast(MulticastOptions),
    RefreshNames,
    /// A relay's faults from now on (for data read after the switch).
    SetFaults(Faults),
    /// A relay's rewrite rules from now on (none: forward as read).
    SetRewrite(Option<super::Rewriter>),
    /// WebSocket: a ping with this payload.
    Ping {
        target: Target,
        payload: Bytes,
    },
    /// WebSocket: a close frame with this code and reason.
    WsClose {
        target: Target,
        code: u16,
        reason: String,
    },
    /// WebSocket: the kind of message a send without one goes as.
    SetMessageKind(MessageKind),
}

/// State shared between a worker and the handles that command it.
pub(crate) struct WorkerShared {
    pub(crate) stop: AtomicBool,
    pub(crate) alive: AtomicBool,
    pub(crate) pending_tx: AtomicUsize,
    next_periodic: AtomicU64,
    periodics: Mutex<HashMap<PeriodicId, Arc<PeriodicState>>>,
    waker: Waker,
}

impl WorkerShared {
    /// The state of a worker that has just started, woken through `waker`.
    pub(crate) fn new(waker: Waker) -> WorkerShared {
        WorkerShared {
            stop: AtomicBool::new(false),
            alive: AtomicBool::new(true),
            pending_tx: AtomicUsize::new(0),
            next_periodic: AtomicU64::new(0),
            periodics: Mutex::new(HashMap::new()),
            waker,
        }
    }

    /// Interrupts the worker's poll so it looks at commands and the stop flag.
    pub(crate) fn wake_worker(&self) {
        let _ = self.waker.wake();
    }

    pub(crate) fn add_pending(&self, n: usize) {
        self.pending_tx.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn sub_pending(&self, n: usize) {
        self.pending_tx.fetch_sub(n, Ordering::Relaxed);
    }

    fn periodics(&self) -> MutexGuard<'_, HashMap<PeriodicId, Arc<PeriodicState>>> {
        // The map holds no invariant a panic could break.
        self.periodics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new timed send and gives its id.
    pub(crate) fn new_periodic(&self, state: Arc<PeriodicState>) -> PeriodicId {
        let id = PeriodicId(self.next_periodic.fetch_add(1, Ordering::Relaxed) + 1);
        self.periodics().insert(id, state);
        id
    }

    /// The shared state of a running timed send.
    pub(crate) fn periodic(&self, id: PeriodicId) -> Option<Arc<PeriodicState>> {
        self.periodics().get(&id).cloned()
    }

    /// Forgets a timed send that has ended.
    pub(crate) fn forget_periodic(&self, id: PeriodicId) {
        self.periodics().remove(&id);
    }
}

/// What a mode's driver gets to work with.
pub(crate) struct Ctx {
    pub(crate) poll: Poll,
    pub(crate) sink: EventSink,
    pub(crate) shared: Arc<WorkerShared>,
    /// The worker's own command channel (the timer thread sends ticks on it).
    pub(crate) cmd_tx: Sender<WorkerCmd>,
    pub(crate) resolver: Arc<dyn Resolver>,
}

impl Ctx {
    /// Queues an event for the consumer: the events of one loop turn go
    /// in one batch, and the consumer is woken once for it.
    pub(crate) fn emit(&mut self, event: Event) {
        self.sink.emit(event);
    }

    /// Reports an error event.
    pub(crate) fn error(&mut self, err: NetError) {
        self.emit(Event::Error(err));
    }
}

/// What became of one send.
#[derive(Debug)]
pub(crate) enum SendOutcome {
    /// Queued for (or written to) every destination.
    Sent,
    /// Waiting for a name lookup; it goes out, or is reported, when that ends.
    Pending,
    /// Nobody to send to now (a TCP server with no client).
    NoPeers,
    /// The connection the target named has gone, or we finished sending on it.
    Gone(NetError),
    /// Writing showed the connection is over; its `PeerClosed` says how.
    Closed,
    /// Refused: no destination, too large, queue full, bad target.
    Failed(NetError),
}

impl SendOutcome {
    /// The outcome of one send to several connections (a server's, a
    /// relay's clients): `sent` took it, the first that had no room says
    /// `full`, the first gone says `gone`, and `broken` when one broke.
    pub(crate) fn of_many(
        target: &Target,
        sent: usize,
        full: Option<NetError>,
        gone: Option<NetError>,
        broken: bool,
    ) -> SendOutcome {
        let everyone = matches!(target, Target::Default | Target::All);
        match (full, gone) {
            (Some(err), _) => SendOutcome::Failed(err),
            _ if sent > 0 => SendOutcome::Sent,
            _ if everyone => SendOutcome::NoPeers,
            (None, Some(err)) => SendOutcome::Gone(err),
            (None, None) if broken => SendOutcome::Closed,
            (None, None) => SendOutcome::NoPeers,
        }
    }

    /// Reports what went wrong with a one-off send.
    pub(crate) fn report(self, ctx: &mut Ctx) {
        match self {
            SendOutcome::Sent | SendOutcome::Pending | SendOutcome::Closed => {}
            SendOutcome::NoPeers => ctx.error(NetError::NoClients),
            SendOutcome::Gone(err) | SendOutcome::Failed(err) => ctx.error(err),
        }
    }
}

/// Answers a multicast command in a TCP mode, which has none.
pub(crate) fn no_multicast(ctx: &mut Ctx, cmd: WorkerCmd, mode: Mode) {
    let error = NetError::Unsupported {
        what: "multicast",
        mode: mode.name(),
    };
    match cmd {
        WorkerCmd::Join(membership) => ctx.emit(Event::GroupFailed {
            membership,
            op: GroupOp::Join,
            error,
        }),
        WorkerCmd::Leave(membership) => ctx.emit(Event::GroupFailed {
            membership,
            op: GroupOp::Leave,
            error,
        }),
        WorkerCmd::SetMulticast(_) => ctx.error(error),
        WorkerCmd::SetFaults(_) => not_relay(ctx, mode, "faults"),
        WorkerCmd::SetRewrite(_) => not_relay(ctx, mode, "rewrite rules"),
        WorkerCmd::Ping { .. } | WorkerCmd::WsClose { .. } => ctx.error(NetError::NotWebSocket),
        _ => {}
    }
}

/// Answers a change of faults or rewrite rules in a mode that relays
/// nothing.
pub(crate) fn not_relay(ctx: &mut Ctx, mode: Mode, what: &'static str) {
    ctx.error(NetError::Unsupported {
        what,
        mode: mode.name(),
    });
}

/// One mode's behaviour inside the common loop.
pub(crate) trait Driver {
    /// A readiness event for one of the driver's tokens.
    fn on_ready(&mut self, ctx: &mut Ctx, event: &mio::event::Event);
    /// Sends (or queues) `data` to `target`.
    fn send(&mut self, ctx: &mut Ctx, target: &Target, data: Bytes, meta: SendMeta) -> SendOutcome;
    /// A command only some modes understand (disconnect, finish, groups, names).
    fn on_command(&mut self, ctx: &mut Ctx, cmd: WorkerCmd);
    /// Reads what is ready while the consumer has room; true if more is ready.
    fn pump(&mut self, ctx: &mut Ctx) -> bool;
    /// The next time `on_timer` must run, if any.
    fn deadline(&self) -> Option<Instant>;
    /// Runs due timers (connect timeouts, accept retries).
    fn on_timer(&mut self, ctx: &mut Ctx, now: Instant);
    /// True when the session has ended by itself (a TCP client whose connection ended).
    fn finished(&self) -> bool;
    /// Closes every socket, reporting what it closed.
    fn shutdown(&mut self, ctx: &mut Ctx);
}
