//! The worker thread shared by every mode: a mio poll loop that takes
//! commands, reads what is ready while the consumer has room, runs timed
//! sends, and reports.

use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use mio::{Events, Poll, Waker};

use super::driver::{Ctx, Driver, WAKER, WorkerCmd, WorkerShared};
use super::jobs::Jobs;
use super::queue::EventSink;
use super::{Event, NetError, PeriodicEnd, Resolver, SessionConfig, tcp_client, tcp_server, udp};

/// How long to sleep while the consumer is behind (reading is paused).
const BACKOFF: Duration = Duration::from_millis(2);

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
    let shared = Arc::new(WorkerShared::new(waker));
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
        SessionConfig::WsServer(ws) => {
            tcp_server::Server::open_ws(ctx, *ws).map(|d| Box::new(d) as Box<dyn Driver>)
        }
        SessionConfig::WsClient(ws) => {
            tcp_client::Client::start_ws(ctx, *ws).map(|d| Box::new(d) as Box<dyn Driver>)
        }
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
