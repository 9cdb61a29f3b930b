//! The network engine: owns every socket, runs one worker thread per open
//! session, takes [`Command`]s in and gives [`Event`]s out.
//!
//! No egui type appears here: the window and the command line are both thin
//! views over this module. A worker never blocks on the event channel; instead
//! it counts the received bytes that are still in flight to the consumer and
//! stops reading its sockets while that count is over a limit, so a peer that
//! floods is held back by TCP itself and memory stays bounded.

mod addr;
mod conn;
mod error;
mod events;
pub mod interfaces;
mod tcp_client;
mod tcp_server;
mod udp;
mod worker;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::SystemTime;

use bytes::Bytes;
use crossbeam_channel::Sender;

pub use addr::{AddrError, HostPort, parse_bind_addr, parse_host_port, parse_port};
pub use error::{ErrorKind, NetError};
pub use events::{EventQueue, Next};

use events::EventSink;
use worker::{WorkerCmd, WorkerShared};

/// A callback the engine calls after it has queued events, so a window can
/// repaint without polling. It must be cheap and must not block.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// Identifies one TCP connection within a session (unique for the session's life).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub u64);

impl std::fmt::Display for PeerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Which of the three roles a session plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Listen and serve any number of clients.
    TcpServer,
    /// Connect to one server.
    TcpClient,
    /// Bind a datagram socket; send to and receive from anyone.
    Udp,
}

impl Mode {
    /// A short English name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Mode::TcpServer => "TCP server",
            Mode::TcpClient => "TCP client",
            Mode::Udp => "UDP",
        }
    }
}

/// Everything needed to open a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionConfig {
    /// Listen on `bind` (`[::]` is dual-stack where the OS allows).
    TcpServer {
        /// Local address and port; port 0 picks a free one.
        bind: SocketAddr,
    },
    /// Connect to `remote`, optionally from a fixed local address/port.
    TcpClient {
        /// Remote host (name or IP literal) and port.
        remote: HostPort,
        /// Optional local address and port to bind before connecting.
        bind: Option<SocketAddr>,
    },
    /// Bind a UDP socket; `remote` is the default destination.
    Udp {
        /// Local address and port; port 0 picks a free one.
        bind: SocketAddr,
        /// Default destination for [`Target::Default`].
        remote: Option<HostPort>,
    },
}

impl SessionConfig {
    /// The mode this configuration opens.
    pub fn mode(&self) -> Mode {
        match self {
            SessionConfig::TcpServer { .. } => Mode::TcpServer,
            SessionConfig::TcpClient { .. } => Mode::TcpClient,
            SessionConfig::Udp { .. } => Mode::Udp,
        }
    }
}

/// Where a send goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// TCP server: every client. TCP client: the server. UDP: the configured
    /// remote, else the last sender.
    Default,
    /// TCP server: every client (same as `Default`).
    All,
    /// TCP server: only these clients.
    Peers(Vec<PeerId>),
    /// UDP: this address. TCP server: the client with this address.
    Addr(SocketAddr),
    /// UDP: this host name or address, resolved by the worker.
    Host(HostPort),
    /// UDP: reply to whoever sent last. TCP server: the client that sent last.
    LastSender,
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer closed in order (FIN; a zero-length read).
    Fin,
    /// The peer reset the connection (RST).
    Reset,
    /// Another error ended the connection.
    Error(String),
    /// We closed it (a disconnect command or closing the session).
    Local,
}

/// Commands into the engine.
#[derive(Debug, Clone)]
pub enum Command {
    /// Open a session (closing any session that is open).
    Open(SessionConfig),
    /// Send bytes.
    Send {
        /// Where to.
        target: Target,
        /// The exact bytes.
        data: Bytes,
    },
    /// TCP server: drop one client.
    Disconnect(PeerId),
    /// Close the session and join its threads.
    Close,
}

/// Events out of the engine, in the order they happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// The session is up: listening, bound, or (TCP client) connected.
    Opened {
        /// The mode opened.
        mode: Mode,
        /// The real local address (port 0 resolved).
        local: SocketAddr,
    },
    /// A TCP connection is established (a client of our server, or our
    /// client's connection to its server).
    Connected {
        /// The connection's id.
        peer: PeerId,
        /// The remote address.
        addr: SocketAddr,
        /// Our side's address.
        local: SocketAddr,
    },
    /// Bytes from one read (TCP) or one datagram (UDP), exactly as received.
    Received {
        /// The TCP connection, if any.
        peer: Option<PeerId>,
        /// Who sent them.
        addr: SocketAddr,
        /// When they were read.
        time: SystemTime,
        /// The exact bytes of this read.
        data: Bytes,
    },
    /// Bytes handed to the operating system for one peer.
    Sent {
        /// The TCP connection, if any.
        peer: Option<PeerId>,
        /// The destination.
        addr: SocketAddr,
        /// When the last byte was written.
        time: SystemTime,
        /// The exact bytes.
        data: Bytes,
    },
    /// A TCP connection ended.
    PeerClosed {
        /// The connection's id.
        peer: PeerId,
        /// The remote address.
        addr: SocketAddr,
        /// How it ended.
        how: CloseReason,
    },
    /// Something failed; the session may still be open (see [`Event::Closed`]).
    Error(NetError),
    /// The session has ended; no more events will come from it.
    Closed,
}

/// A cheap, cloneable handle for sending commands to the open session from
/// any thread (a file sender, a stdin reader).
#[derive(Clone)]
pub struct SessionHandle {
    tx: Sender<WorkerCmd>,
    shared: Arc<WorkerShared>,
}

impl SessionHandle {
    /// Queues bytes for sending. Fails only if the session has ended.
    pub fn send(&self, target: Target, data: Bytes) -> Result<(), NetError> {
        self.command(WorkerCmd::Send { target, data })
    }

    /// Drops one TCP client.
    pub fn disconnect(&self, peer: PeerId) -> Result<(), NetError> {
        self.command(WorkerCmd::Disconnect(peer))
    }

    /// Bytes accepted for sending but not yet written to the OS; a file
    /// sender waits while this is high.
    pub fn pending_tx_bytes(&self) -> usize {
        self.shared.pending_tx.load(Ordering::Relaxed)
    }

    /// True until the worker has finished.
    pub fn is_alive(&self) -> bool {
        self.shared.alive.load(Ordering::Acquire)
    }

    fn command(&self, cmd: WorkerCmd) -> Result<(), NetError> {
        if !self.is_alive() {
            return Err(NetError::NotOpen);
        }
        self.tx.send(cmd).map_err(|_| NetError::NotOpen)?;
        self.shared.wake_worker();
        Ok(())
    }
}

/// One running worker thread and the handle to talk to it.
struct Session {
    handle: SessionHandle,
    thread: Option<JoinHandle<()>>,
}

impl Session {
    fn close(&mut self) {
        self.handle.shared.stop.store(true, Ordering::Release);
        self.handle.shared.wake_worker();
        if let Some(thread) = self.thread.take() {
            // The worker never blocks on the event channel, so this returns
            // as soon as it has closed its sockets.
            let _ = thread.join();
        }
    }
}

/// The engine: one event queue that outlives sessions, and at most one open
/// session at a time. Dropping it closes the session.
pub struct Engine {
    sink: EventSink,
    events: EventQueue,
    session: Option<Session>,
}

impl Engine {
    /// Creates an engine whose events go to one queue; `wake` is called after
    /// new events are queued.
    pub fn new(wake: Wake) -> Engine {
        Engine::with_limit(wake, events::DEFAULT_INFLIGHT_LIMIT)
    }

    /// Like [`Engine::new`] with a custom cap on received bytes waiting in the
    /// event queue (the back-pressure threshold).
    pub fn with_limit(wake: Wake, inflight_limit: usize) -> Engine {
        let (sink, events) = events::channel(wake, inflight_limit);
        Engine {
            sink,
            events,
            session: None,
        }
    }

    /// The queue of events from every session this engine has run.
    pub fn events(&self) -> &EventQueue {
        &self.events
    }

    /// Carries out one command. `Open` and `Close` never block on the network:
    /// binding, resolving and connecting happen in the worker, which reports
    /// the outcome as events.
    pub fn execute(&mut self, cmd: Command) -> Result<(), NetError> {
        match cmd {
            Command::Open(config) => {
                self.open(config);
                Ok(())
            }
            Command::Send { target, data } => self.handle()?.send(target, data),
            Command::Disconnect(peer) => self.handle()?.disconnect(peer),
            Command::Close => {
                self.close();
                Ok(())
            }
        }
    }

    /// Opens a session, closing any open one first.
    pub fn open(&mut self, config: SessionConfig) {
        self.close();
        match worker::spawn(config, self.sink.clone()) {
            Ok((tx, shared, thread)) => {
                self.session = Some(Session {
                    handle: SessionHandle { tx, shared },
                    thread: Some(thread),
                });
            }
            Err(err) => {
                self.sink
                    .emit(Event::Error(NetError::io("cannot start a session", &err)));
                self.sink.emit(Event::Closed);
                self.sink.wake();
            }
        }
    }

    /// Closes the open session, if any, and joins its thread.
    pub fn close(&mut self) {
        if let Some(mut session) = self.session.take() {
            session.close();
        }
    }

    /// A handle to the open session for other threads.
    pub fn handle(&self) -> Result<SessionHandle, NetError> {
        match &self.session {
            Some(s) if s.handle.is_alive() => Ok(s.handle.clone()),
            _ => Err(NetError::NotOpen),
        }
    }

    /// True while a session's worker is running (it may still be connecting).
    pub fn is_running(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.handle.is_alive())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.close();
    }
}
