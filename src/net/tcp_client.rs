//! TCP client mode: resolve (off the poll loop), connect without blocking,
//! then talk to the one server until the connection ends.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use crossbeam_channel::Receiver;
use mio::net::TcpStream;
use mio::{Interest, Token};
use socket2::{Domain, Protocol, Socket, Type};

use super::addr::canonical;
use super::conn::{Conn, ConnSend, ReadBuf, ReadOutcome};
use super::driver::{Ctx, Driver, SendOutcome, WorkerCmd, no_multicast};
use super::resolve::{LookupResult, literal, spawn_lookup};
use super::tls::layer::TlsLayer;
use super::tls::setup::{self, ClientTls};
use super::ws::layer::WsLayer;
use super::ws::{MessageKind, WsClientConfig};
use super::{
    CloseReason, Event, HostPort, Mode, NetError, PeerId, SendMeta, Target, TlsClientConfig,
};

const STREAM: Token = Token(1);
/// How long one address may take to answer before the next is tried.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a WebSocket client waits, once connected, for its upgrade to
/// be answered (over TLS: the handshake and the upgrade).
pub(crate) const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);
const READS_PER_TURN: usize = 16;
/// The one connection's id.
const PEER: PeerId = PeerId(1);

enum State {
    /// A lookup thread is looking the host up.
    Resolving(Receiver<LookupResult>),
    /// A non-blocking connect is under way.
    Connecting {
        stream: TcpStream,
        addr: SocketAddr,
        rest: VecDeque<SocketAddr>,
        deadline: Instant,
    },
    /// Connected.
    Up(Conn),
    /// Over (failed, or the connection ended).
    Done,
}

/// The client driver.
pub(crate) struct Client {
    remote: HostPort,
    bind: Option<SocketAddr>,
    state: State,
    last_error: Option<NetError>,
    buf: ReadBuf,
    /// TLS over the connection, if the session talks TLS.
    tls: Option<ClientTls>,
    /// WebSocket over the connection, if the session talks WebSocket.
    ws: Option<Box<WsClientConfig>>,
    /// A WebSocket client's upgrade must be answered by then.
    upgrade_by: Option<Instant>,
    /// WebSocket: the kind of message a send goes as when it does not say.
    kind: MessageKind,
}

impl Client {
    /// Starts resolving `remote`; connection progress arrives as events.
    /// With TLS, its files are loaded first: a bad one fails the start.
    pub(crate) fn start(
        ctx: &mut Ctx,
        remote: HostPort,
        bind: Option<SocketAddr>,
        tls: Option<TlsClientConfig>,
    ) -> Result<Client, NetError> {
        Client::start_as(ctx, remote, bind, tls, None)
    }

    /// A WebSocket client: the TCP client to the URL's host and port, its
    /// connection upgraded (over TLS for `wss://`).
    pub(crate) fn start_ws(ctx: &mut Ctx, mut config: WsClientConfig) -> Result<Client, NetError> {
        let remote = config.url.host_port();
        let (bind, tls, kind) = (config.bind, config.tls.take(), config.kind);
        let mut client = Client::start_as(ctx, remote, bind, tls, Some(Box::new(config)))?;
        client.kind = kind;
        Ok(client)
    }

    fn start_as(
        ctx: &mut Ctx,
        remote: HostPort,
        bind: Option<SocketAddr>,
        tls: Option<TlsClientConfig>,
        ws: Option<Box<WsClientConfig>>,
    ) -> Result<Client, NetError> {
        let tls = match tls {
            Some(cfg) => Some(setup::client(&cfg, &remote.host)?),
            None => None,
        };
        if let Some(err) = tls.as_ref().and_then(ClientTls::key_log_error) {
            ctx.error(err);
        }
        let mut client = Client {
            remote: remote.clone(),
            bind,
            state: State::Done,
            last_error: None,
            buf: ReadBuf::new(),
            tls,
            ws,
            upgrade_by: None,
            kind: MessageKind::Text,
        };
        match literal(&remote) {
            Some(addr) => client.connect_first(ctx, vec![addr])?,
            None => client.state = State::Resolving(spawn_lookup(ctx, remote)?),
        }
        Ok(client)
    }

    fn connect_first(&mut self, ctx: &mut Ctx, addrs: Vec<SocketAddr>) -> Result<(), NetError> {
        let mut rest: VecDeque<SocketAddr> = match self.bind {
            Some(local) => addrs
                .into_iter()
                .filter(|a| a.is_ipv4() == local.is_ipv4())
                .collect(),
            None => addrs.into(),
        };
        if rest.is_empty()
            && let Some(local) = self.bind
        {
            return Err(NetError::FamilyMismatch {
                local,
                remote: self.remote.to_string(),
            });
        }
        while let Some(addr) = rest.pop_front() {
            match self.try_connect(ctx, addr) {
                Ok(stream) => {
                    self.state = State::Connecting {
                        stream,
                        addr,
                        rest,
                        deadline: Instant::now() + CONNECT_TIMEOUT,
                    };
                    return Ok(());
                }
                Err(e @ (NetError::AddrInUse { .. } | NetError::AddrNotAvailable { .. })) => {
                    return Err(e);
                }
                Err(e) => self.last_error = Some(e),
            }
        }
        Err(self.last_error.take().unwrap_or(NetError::HostNotFound {
            host: self.remote.host.clone(),
            detail: "no addresses".to_string(),
        }))
    }

    fn try_connect(&mut self, ctx: &mut Ctx, addr: SocketAddr) -> Result<TcpStream, NetError> {
        let mut stream = start_connect(addr, self.bind)?;
        ctx.poll
            .registry()
            .register(&mut stream, STREAM, Interest::READABLE | Interest::WRITABLE)
            .map_err(|e| NetError::io("cannot watch the connection", &e))?;
        Ok(stream)
    }

    /// Moves on after one address failed: the next one, or give up.
    fn next_address(&mut self, ctx: &mut Ctx, err: NetError) {
        let rest = match std::mem::replace(&mut self.state, State::Done) {
            State::Connecting {
                mut stream, rest, ..
            } => {
                let _ = ctx.poll.registry().deregister(&mut stream);
                rest
            }
            _ => VecDeque::new(),
        };
        self.last_error = Some(err.clone());
        if rest.is_empty() {
            return ctx.error(err);
        }
        if let Err(e) = self.connect_first(ctx, rest.into()) {
            ctx.error(e);
        }
    }

    /// Checks a connecting socket after a readiness event.
    fn check_connect(&mut self, ctx: &mut Ctx) {
        let State::Connecting { stream, addr, .. } = &mut self.state else {
            return;
        };
        let addr = *addr;
        match connect_progress(stream, addr) {
            Ok(true) => self.connected(ctx),
            Ok(false) => {}
            Err(e) => self.next_address(ctx, e),
        }
    }

    fn connected(&mut self, ctx: &mut Ctx) {
        let State::Connecting { stream, addr, .. } =
            std::mem::replace(&mut self.state, State::Done)
        else {
            return;
        };
        let _ = stream.set_nodelay(true);
        let local = stream.local_addr().map(canonical).unwrap_or(addr);
        let addr = canonical(addr);
        let mode = if self.ws.is_some() {
            Mode::WsClient
        } else {
            Mode::TcpClient
        };
        ctx.emit(Event::Opened { mode, local });
        // A WebSocket client is connected once its upgrade is done.
        if self.ws.is_none() {
            ctx.emit(Event::Connected {
                peer: PEER,
                addr,
                local,
            });
        }
        let conn = Conn::registered(PEER, addr, stream, STREAM);
        let conn = match self.tls.as_ref().map(TlsLayer::client).transpose() {
            Ok(Some(layer)) => conn.with_tls(layer),
            Ok(None) => conn,
            Err(e) => {
                self.state = State::Up(conn);
                let failure = super::tls::TlsFailure::local(
                    super::tls::TlsFailureKind::Other(e.to_string()),
                    e.to_string(),
                );
                return self.end(ctx, CloseReason::Tls(failure));
            }
        };
        let conn = match &self.ws {
            Some(ws) => {
                self.upgrade_by = Some(Instant::now() + UPGRADE_TIMEOUT);
                conn.with_ws(ctx, WsLayer::client(ws, local))
            }
            None => conn,
        };
        self.state = State::Up(conn);
        // A TLS client speaks first: its ClientHello goes now (a WebSocket
        // client's request follows, or goes now over plain TCP).
        if let State::Up(conn) = &mut self.state
            && let Err(how) = conn.flush(ctx)
        {
            self.end(ctx, how);
        }
    }

    /// A WebSocket control frame (ping, close) on the connection.
    fn control(
        &mut self,
        ctx: &mut Ctx,
        send: impl FnOnce(&mut Conn, &mut Ctx) -> Result<ConnSend, NetError>,
    ) {
        if self.ws.is_none() {
            return ctx.error(NetError::NotWebSocket);
        }
        let State::Up(conn) = &mut self.state else {
            return ctx.error(NetError::NotOpen);
        };
        match send(conn, ctx) {
            Ok(ConnSend::Broken(how)) => self.end(ctx, how),
            Ok(_) => {}
            Err(err) => ctx.error(err),
        }
    }

    fn end(&mut self, ctx: &mut Ctx, how: CloseReason) {
        if let State::Up(conn) = std::mem::replace(&mut self.state, State::Done) {
            ctx.emit(Event::PeerClosed {
                peer: conn.id,
                addr: conn.addr,
                how,
            });
            conn.close(ctx);
        }
    }
}

/// Starts a non-blocking connect to `addr` (from `bind`, if given); the
/// stream is not registered yet. Errors are typed as the user reads them
/// (refused, timed out, unreachable, address in use).
pub(crate) fn start_connect(
    addr: SocketAddr,
    bind: Option<SocketAddr>,
) -> Result<TcpStream, NetError> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .map_err(|e| NetError::connect(addr, &e))?;
    if let Some(local) = bind {
        #[cfg(unix)]
        let _ = socket.set_reuse_address(true);
        socket
            .bind(&local.into())
            .map_err(|e| NetError::bind(local, &e))?;
    }
    socket
        .set_nonblocking(true)
        .map_err(|e| NetError::connect(addr, &e))?;
    // Raw socket2 calls are fine until mio owns the socket (below); from
    // then on every read and write goes through mio (see conn.rs).
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if in_progress(&e) => {}
        Err(e) => return Err(NetError::connect(addr, &e)),
    }
    Ok(TcpStream::from_std(socket.into()))
}

/// Where a non-blocking connect stands after a readiness event on it.
pub(crate) fn connect_progress(stream: &TcpStream, addr: SocketAddr) -> Result<bool, NetError> {
    match stream.take_error() {
        Ok(Some(e)) | Err(e) => return Err(NetError::connect(addr, &e)),
        Ok(None) => {}
    }
    match stream.peer_addr() {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
        Err(e) => Err(NetError::connect(addr, &e)),
    }
}

/// A non-blocking connect that has started but not finished.
pub(crate) fn in_progress(e: &io::Error) -> bool {
    // EINPROGRESS: 115 on Linux, 36 on macOS and the BSDs; Windows reports
    // WSAEWOULDBLOCK, which std maps to WouldBlock.
    const EINPROGRESS: i32 = if cfg!(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd"
    )) {
        36
    } else {
        115
    };
    e.kind() == io::ErrorKind::WouldBlock || (cfg!(unix) && e.raw_os_error() == Some(EINPROGRESS))
}

impl Driver for Client {
    fn on_ready(&mut self, ctx: &mut Ctx, event: &mio::event::Event) {
        match &mut self.state {
            State::Connecting { .. } => self.check_connect(ctx),
            State::Up(conn) => match conn.on_ready(ctx, event) {
                Ok(readable) => conn.in_ready |= readable,
                Err(how) => self.end(ctx, how),
            },
            State::Resolving(_) | State::Done => {}
        }
    }

    fn send(&mut self, ctx: &mut Ctx, target: &Target, data: Bytes, meta: SendMeta) -> SendOutcome {
        if matches!(target, Target::Host(_)) {
            return SendOutcome::Failed(NetError::BadTarget {
                mode: Mode::TcpClient.name(),
            });
        }
        let State::Up(conn) = &mut self.state else {
            return SendOutcome::Failed(NetError::NotOpen);
        };
        // WebSocket: a send that does not say goes as the session's kind.
        let meta = SendMeta {
            message: self.ws.as_ref().and(meta.message.or(Some(self.kind))),
            ..meta
        };
        match conn.send(ctx, data, meta) {
            ConnSend::Queued => SendOutcome::Sent,
            ConnSend::QueueFull(err) | ConnSend::Refused(err) => SendOutcome::Failed(err),
            ConnSend::Finished(err) => SendOutcome::Gone(err),
            ConnSend::Broken(how) => {
                self.end(ctx, how);
                SendOutcome::Closed
            }
        }
    }

    fn on_command(&mut self, ctx: &mut Ctx, cmd: WorkerCmd) {
        match cmd {
            WorkerCmd::Disconnect(_) => self.end(ctx, CloseReason::Local),
            WorkerCmd::Finish(id) => {
                let State::Up(conn) = &mut self.state else {
                    return ctx.error(NetError::NotOpen);
                };
                if id != conn.id {
                    return ctx.error(NetError::UnknownPeer(id));
                }
                if let Err(how) = conn.finish(ctx) {
                    self.end(ctx, how);
                }
            }
            // The one name was looked up to connect; a new connection looks again.
            WorkerCmd::RefreshNames => {}
            WorkerCmd::SetMessageKind(kind) => self.kind = kind,
            WorkerCmd::Ping { payload, .. } => {
                self.control(ctx, |conn, ctx| conn.ws_ping(ctx, payload))
            }
            WorkerCmd::WsClose { code, reason, .. } => {
                self.control(ctx, |conn, ctx| conn.ws_close(ctx, code, &reason))
            }
            other => no_multicast(ctx, other, Mode::TcpClient),
        }
    }

    fn pump(&mut self, ctx: &mut Ctx) -> bool {
        if let State::Resolving(rx) = &self.state {
            match rx.try_recv() {
                Ok(Ok(addrs)) => {
                    if let Err(e) = self.connect_first(ctx, addrs) {
                        self.state = State::Done;
                        ctx.error(e);
                    }
                }
                Ok(Err(e)) => {
                    self.state = State::Done;
                    ctx.error(e);
                }
                Err(_) => {}
            }
            return false;
        }
        let State::Up(conn) = &mut self.state else {
            return false;
        };
        let mut reads = 0;
        while conn.in_ready && reads < READS_PER_TURN && ctx.sink.has_room() {
            reads += 1;
            match conn.read(ctx, &mut self.buf) {
                ReadOutcome::Data(data) => ctx.emit(Event::Received {
                    peer: Some(conn.id),
                    addr: conn.addr,
                    time: SystemTime::now(),
                    data,
                    message: None,
                }),
                ReadOutcome::Progress => {}
                ReadOutcome::WouldBlock => conn.in_ready = false,
                ReadOutcome::PeerFinished => {
                    ctx.emit(Event::HalfClosed {
                        peer: conn.id,
                        addr: conn.addr,
                    });
                    return false;
                }
                ReadOutcome::Closed(how) => {
                    self.end(ctx, how);
                    return false;
                }
            }
        }
        conn.in_ready
    }

    fn deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Connecting { deadline, .. } => Some(*deadline),
            State::Up(conn) if conn.ws_handshaking() => self.upgrade_by,
            State::Up(conn) => conn.ws_close_due(),
            _ => None,
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx, now: Instant) {
        if let State::Up(conn) = &self.state
            && conn.ws_close_due().is_some_and(|due| due <= now)
        {
            conn.ws_close_unanswered(ctx);
            return self.end(ctx, CloseReason::Local);
        }
        if let State::Up(conn) = &self.state
            && conn.ws_handshaking()
            && self.upgrade_by.is_some_and(|by| by <= now)
        {
            self.upgrade_by = None;
            let message = format!(
                "the server did not answer the WebSocket upgrade within {} s",
                UPGRADE_TIMEOUT.as_secs()
            );
            // Told as a refused upgrade (the client's run fails), then
            // the connection ends.
            let refusal = super::ws::Refusal {
                status: 0,
                status_line: String::new(),
                body: String::new(),
                hint: super::ws::RefusalHint::Other,
                detail: message.clone(),
                by_us: false,
            };
            ctx.emit(Event::Ws {
                peer: conn.id,
                addr: conn.addr,
                event: super::ws::WsEvent::Refused(Box::new(refusal)),
            });
            return self.end(ctx, CloseReason::Error(message));
        }
        if let State::Connecting { addr, deadline, .. } = &self.state
            && *deadline <= now
        {
            let addr = *addr;
            self.next_address(ctx, NetError::ConnectTimeout { addr });
        }
    }

    fn finished(&self) -> bool {
        matches!(self.state, State::Done)
    }

    fn shutdown(&mut self, ctx: &mut Ctx) {
        match std::mem::replace(&mut self.state, State::Done) {
            up @ State::Up(_) => {
                self.state = up;
                self.end(ctx, CloseReason::Local);
            }
            State::Connecting { mut stream, .. } => {
                let _ = ctx.poll.registry().deregister(&mut stream);
            }
            State::Resolving(_) | State::Done => {}
        }
    }
}
