//! The worker thread shared by every mode: a mio poll loop that takes
//! commands, reads what is ready while the consumer has room, and reports.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender};
use mio::{Events, Poll, Token, Waker};

use super::events::EventSink;
use super::{Event, NetError, PeerId, SessionConfig, Target, tcp_client, tcp_server, udp};

/// The token of the waker that commands use to interrupt `poll`.
pub(crate) const WAKER: Token = Token(0);

/// How long to sleep while the consumer is behind (reading is paused).
const BACKOFF: Duration = Duration::from_millis(2);

/// Commands that reach a running worker (open and close are handled outside).
#[derive(Debug)]
pub(crate) enum WorkerCmd {
    Send { target: Target, data: Bytes },
    Disconnect(PeerId),
}

/// State shared between a worker and the handles that command it.
pub(crate) struct WorkerShared {
    pub(crate) stop: AtomicBool,
    pub(crate) alive: AtomicBool,
    pub(crate) pending_tx: AtomicUsize,
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
}

/// What a mode's driver gets to work with.
pub(crate) struct Ctx {
    pub(crate) poll: Poll,
    pub(crate) sink: EventSink,
    pub(crate) shared: Arc<WorkerShared>,
    emitted: bool,
}

impl Ctx {
    /// Queues an event for the consumer (it is woken once per loop turn).
    pub(crate) fn emit(&mut self, event: Event) {
        self.sink.emit(event);
        self.emitted = true;
    }

    /// Reports an error event.
    pub(crate) fn error(&mut self, err: NetError) {
        self.emit(Event::Error(err));
    }
}

/// One mode's behaviour inside the common loop.
pub(crate) trait Driver {
    /// A readiness event for one of the driver's tokens.
    fn on_ready(&mut self, ctx: &mut Ctx, event: &mio::event::Event);
    /// A command from the handle.
    fn on_command(&mut self, ctx: &mut Ctx, cmd: WorkerCmd);
    /// Reads what is ready while the consumer has room; true if more is ready.
    fn pump(&mut self, ctx: &mut Ctx) -> bool;
    /// The next time `on_timer` must run, if any.
    fn deadline(&self) -> Option<Instant>;
    /// Runs due timers (connect timeouts, accept retries).
    fn on_timer(&mut self, ctx: &mut Ctx, now: Instant);
    /// True when the session has ended by itself (a TCP client whose server closed).
    fn finished(&self) -> bool;
    /// Closes every socket, reporting what it closed.
    fn shutdown(&mut self, ctx: &mut Ctx);
}

/// Starts a worker thread for `config`. Setting up the poll happens here so
/// commands can wake it from the first moment; everything that touches the
/// network happens in the thread.
pub(crate) fn spawn(
    config: SessionConfig,
    sink: EventSink,
) -> io::Result<(Sender<WorkerCmd>, Arc<WorkerShared>, JoinHandle<()>)> {
    let poll = Poll::new()?;
    let waker = Waker::new(poll.registry(), WAKER)?;
    let shared = Arc::new(WorkerShared {
        stop: AtomicBool::new(false),
        alive: AtomicBool::new(true),
        pending_tx: AtomicUsize::new(0),
        waker,
    });
    let (tx, rx) = crossbeam_channel::unbounded();
    let ctx = Ctx {
        poll,
        sink,
        shared: Arc::clone(&shared),
        emitted: false,
    };
    let name = format!("netassist-{}", config.mode().name().replace(' ', "-"));
    let thread = std::thread::Builder::new()
        .name(name)
        .spawn(move || run(config, ctx, rx))?;
    Ok((tx, shared, thread))
}

fn run(config: SessionConfig, mut ctx: Ctx, rx: Receiver<WorkerCmd>) {
    let driver: Result<Box<dyn Driver>, NetError> = match config {
        SessionConfig::TcpServer { bind } => {
            tcp_server::Server::open(&mut ctx, bind).map(|d| Box::new(d) as Box<dyn Driver>)
        }
        SessionConfig::TcpClient { remote, bind } => {
            tcp_client::Client::start(&mut ctx, remote, bind)
                .map(|d| Box::new(d) as Box<dyn Driver>)
        }
        SessionConfig::Udp { bind, remote } => {
            udp::Udp::open(&mut ctx, bind, remote).map(|d| Box::new(d) as Box<dyn Driver>)
        }
    };
    match driver {
        Ok(mut driver) => {
            run_loop(driver.as_mut(), &mut ctx, &rx);
            driver.shutdown(&mut ctx);
        }
        Err(err) => ctx.error(err),
    }
    ctx.shared.alive.store(false, Ordering::Release);
    ctx.sink.emit(Event::Closed);
    ctx.sink.wake();
}

fn run_loop(driver: &mut dyn Driver, ctx: &mut Ctx, rx: &Receiver<WorkerCmd>) {
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
            driver.on_command(ctx, cmd);
        }
        let now = Instant::now();
        if driver.deadline().is_some_and(|d| d <= now) {
            driver.on_timer(ctx, now);
        }
        more_ready = driver.pump(ctx);
        if ctx.emitted {
            ctx.emitted = false;
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
