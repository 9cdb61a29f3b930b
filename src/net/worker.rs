//! The worker thread shared by every mode: a mio poll loop that takes
//! commands, reads what is ready while the consumer has room, runs timed
//! sends, and reports.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender};
use mio::{Events, Poll, Token, Waker};

use super::multicast::MulticastOptions;
use super::periodic::{Jobs, PeriodicState};
use super::queue::EventSink;
use super::{
    Event, Faults, GroupOp, Membership, Mode, NetError, PeerId, Periodic, PeriodicEnd, PeriodicId,
    Resolver, SendMeta, SessionConfig, Target, tcp_client, tcp_server, udp,
};

/// The token of the waker that commands use to interrupt `poll`.
pub(crate) const WAKER: Token = Token(0);

/// How long to sleep while the consumer is behind (reading is paused).
const BACKOFF: Duration = Duration::from_millis(2);

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
    /// Reports what went wrong with a one-off send.
    fn report(self, ctx: &mut Ctx) {
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

/// What [`spawn`] gives back.
pub(crate) struct Spawned {
    pub(crate) tx: Sender<WorkerCmd>,
    pub(crate) shared: Arc<WorkerShared>,
    pub(crate) thread: JoinHandle<()>,
}

/// Starts a worker thread for `config`. Setting up the poll happens here so
/// commands can wake it from the first moment; everything that touches the
/// network happens in the thread.
pub(crate) fn spawn(
    config: SessionConfig,
    sink: EventSink,
    resolver: Arc<dyn Resolver>,
    fake: Fake,
) -> io::Result<Spawned> {
    let poll = Poll::new()?;
    let waker = Waker::new(poll.registry(), WAKER)?;
    let shared = Arc::new(WorkerShared {
        stop: AtomicBool::new(false),
        alive: AtomicBool::new(true),
        pending_tx: AtomicUsize::new(0),
        next_periodic: AtomicU64::new(0),
        periodics: Mutex::new(HashMap::new()),
        waker,
    });
    let (tx, rx) = crossbeam_channel::unbounded();
    let ctx = Ctx {
        poll,
        sink,
        shared: Arc::clone(&shared),
        cmd_tx: tx.clone(),
        resolver,
    };
    let name = format!("netassist-{}", config.mode().name().replace(' ', "-"));
    let thread = std::thread::Builder::new()
        .name(name)
        .spawn(move || run(config, ctx, rx, fake))?;
    Ok(Spawned { tx, shared, thread })
}

/// The stand-in network a session runs on instead of sockets, in builds
/// for tests of the window alone; the release binary has no such thing.
#[cfg(feature = "test-support")]
pub(crate) type Fake = Option<Arc<super::fake::FakeInner>>;
/// No stand-in network in this build.
#[cfg(not(feature = "test-support"))]
pub(crate) type Fake = Option<std::convert::Infallible>;

fn run(config: SessionConfig, mut ctx: Ctx, rx: Receiver<WorkerCmd>, fake: Fake) {
    let driver: Result<Box<dyn Driver>, NetError> = match fake {
        #[cfg(feature = "test-support")]
        Some(inner) => Ok(Box::new(super::fake::FakeDriver::open(
            &mut ctx, config, inner,
        ))),
        #[cfg(not(feature = "test-support"))]
        Some(never) => match never {},
        None => open_driver(&mut ctx, config),
    };
    let mut jobs = Jobs::default();
    match driver {
        Ok(mut driver) => {
            run_loop(driver.as_mut(), &mut jobs, &mut ctx, &rx);
            jobs.end_all(&mut ctx);
            driver.shutdown(&mut ctx);
        }
        Err(err) => ctx.error(err),
    }
    ctx.shared.alive.store(false, Ordering::Release);
    // Timed sends that were asked for but never started end here too.
    while let Ok(cmd) = rx.try_recv() {
        if let WorkerCmd::StartPeriodic { id, state, .. } = cmd {
            ctx.shared.forget_periodic(id);
            ctx.emit(Event::PeriodicEnded {
                id,
                sent: state.progress().sent,
                why: PeriodicEnd::ConnectionClosed,
            });
        }
    }
    ctx.sink.emit(Event::Closed);
    ctx.sink.flush();
    ctx.sink.wake();
}

/// Opens the driver of a real mode.
fn open_driver(ctx: &mut Ctx, config: SessionConfig) -> Result<Box<dyn Driver>, NetError> {
    match config {
        SessionConfig::TcpServer { bind, tls } => {
            tcp_server::Server::open(ctx, bind, tls).map(|d| Box::new(d) as Box<dyn Driver>)
        }
        SessionConfig::TcpClient { remote, bind, tls } => {
            tcp_client::Client::start(ctx, remote, bind, tls)
                .map(|d| Box::new(d) as Box<dyn Driver>)
        }
        SessionConfig::Udp {
            bind,
            remote,
            multicast,
        } => udp::Udp::open(ctx, bind, remote, multicast).map(|d| Box::new(d) as Box<dyn Driver>),
        SessionConfig::Relay(relay) => super::relay::open(ctx, *relay),
        SessionConfig::Load(load) => super::load::open(ctx, *load),
    }
}

fn run_loop(driver: &mut dyn Driver, jobs: &mut Jobs, ctx: &mut Ctx, rx: &Receiver<WorkerCmd>) {
    let mut events = Events::with_capacity(1024);
    let mut more_ready = true;
    loop {
        if ctx.shared.stop.load(Ordering::Acquire) || driver.finished() {
            return;
        }
        let timeout = poll_timeout(driver, ctx, more_ready);
        if let Err(err) = ctx.poll.poll(&mut events, timeout)
            && err.kind() != io::ErrorKind::Interrupted
        {
            ctx.error(NetError::io("poll failed", &err));
            return;
        }
        for event in events.iter() {
            if event.token() != WAKER {
                driver.on_ready(ctx, event);
            }
        }
        while let Ok(cmd) = rx.try_recv() {
            match cmd {
                WorkerCmd::Send { target, data, meta } => {
                    driver.send(ctx, &target, data, meta).report(ctx);
                }
                WorkerCmd::StartPeriodic {
                    id,
                    periodic,
                    state,
                    first,
                } => jobs.start(ctx, id, periodic, state, first),
                WorkerCmd::StopPeriodic(id) => jobs.stop(ctx, id),
                WorkerCmd::Tick(id) => jobs.tick(ctx, driver, id),
                other => driver.on_command(ctx, other),
            }
        }
        let now = Instant::now();
        if driver.deadline().is_some_and(|d| d <= now) {
            driver.on_timer(ctx, now);
        }
        more_ready = driver.pump(ctx);
        if ctx.sink.flush() {
            ctx.sink.wake();
        }
    }
}

fn poll_timeout(driver: &dyn Driver, ctx: &Ctx, more_ready: bool) -> Option<Duration> {
    let timer = driver
        .deadline()
        .map(|d| d.saturating_duration_since(Instant::now()));
    let ready = if more_ready {
        // Data is waiting in sockets: go straight on, or back off briefly
        // while the consumer catches up.
        Some(if ctx.sink.has_room() {
            Duration::ZERO
        } else {
            BACKOFF
        })
    } else {
        None
    };
    match (timer, ready) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
