//! TCP server mode: one listener and any number of clients in one poll loop.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use mio::net::TcpListener;
use mio::{Interest, Token};
use socket2::{Domain, Protocol, Socket, Type};

use super::addr::canonical;
use super::conn::{Conn, ConnSend, ReadBuf, ReadOutcome};
use super::driver::{Ctx, Driver, SendOutcome, WorkerCmd, no_multicast};
use super::tls::layer::TlsLayer;
use super::tls::setup::{self, ServerTls};
use super::ws::layer::WsLayer;
use super::ws::{MessageKind, WsServerConfig};
use super::{CloseReason, Event, Mode, NetError, PeerId, SendMeta, Target, TlsServerConfig};

const LISTENER: Token = Token(1);
const FIRST_CONN: usize = 2;
/// Reads per connection per turn, so one flooding client cannot starve others.
const READS_PER_TURN: usize = 16;
/// How long to wait before accepting again after the OS refused (e.g. out of files).
const ACCEPT_RETRY: Duration = Duration::from_millis(200);

/// The next client waiting on `listener`, until none waits. A failure
/// other than a client that gave up is reported, and accepting pauses for
/// [`ACCEPT_RETRY`] (`retry_at` says until when; while it is set, nothing
/// is accepted). Shared by the TCP server and the relay.
pub(crate) fn accept_next(
    listener: &mio::net::TcpListener,
    ctx: &mut Ctx,
    retry_at: &mut Option<Instant>,
) -> Option<(mio::net::TcpStream, SocketAddr)> {
    if retry_at.is_some() {
        return None;
    }
    loop {
        // Through mio's own `accept`, which re-arms the listener on
        // Windows when it sees `WouldBlock` (see `ReadBuf::read_stream`).
        match listener.accept() {
            Ok(accepted) => return Some(accepted),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
            // A client that gave up before it was accepted: gone, and no
            // fault of ours. Linux hands it over and the first read
            // reports the reset; the BSDs say ECONNABORTED; Windows says
            // WSAECONNRESET, and wine WSAENOTCONN.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::NotConnected
                ) => {}
            Err(e) => {
                ctx.error(NetError::io("cannot accept a client", &e));
                *retry_at = Some(Instant::now() + ACCEPT_RETRY);
                return None;
            }
        }
    }
}
const BACKLOG: i32 = 4096;

/// Creates a listening socket that can be reopened at once on the same port
/// (SO_REUSEADDR on Unix) and, for `[::]`, accepts IPv4 too where allowed.
pub(crate) fn listen(bind: SocketAddr) -> Result<std::net::TcpListener, NetError> {
    let err = |e: io::Error| NetError::bind(bind, &e);
    let socket =
        Socket::new(Domain::for_address(bind), Type::STREAM, Some(Protocol::TCP)).map_err(err)?;
    if bind.is_ipv6() {
        // Dual-stack where the OS supports it; ignore failure (IPv6-only hosts).
        let _ = socket.set_only_v6(false);
    }
    #[cfg(unix)]
    socket.set_reuse_address(true).map_err(err)?;
    socket.bind(&bind.into()).map_err(err)?;
    socket.listen(BACKLOG).map_err(err)?;
    socket.set_nonblocking(true).map_err(err)?;
    Ok(socket.into())
}

/// The server driver.
pub(crate) struct Server {
    listener: TcpListener,
    conns: HashMap<usize, Conn>,
    ready: VecDeque<usize>,
    next_id: u64,
    last_sender: Option<usize>,
    accept_retry_at: Option<Instant>,
    /// WebSocket: connections whose close frame of ours waits for an
    /// answer, by when it is overdue.
    closing: BTreeSet<(Instant, usize)>,
    buf: ReadBuf,
    /// TLS for every connection, if the session serves TLS.
    tls: Option<ServerTls>,
    /// WebSocket on every connection, if the session serves WebSocket.
    ws: Option<WsServe>,
    /// WebSocket: the kind of message a send goes as when it does not say.
    kind: MessageKind,
}

/// What a WebSocket server serves.
struct WsServe {
    path: Option<String>,
    max_message: usize,
}

fn token_of(id: PeerId) -> usize {
    id.0 as usize + FIRST_CONN
}

impl Server {
    /// Binds and listens, reporting `Opened` with the real address. With
    /// TLS, its files are loaded first (a bad one fails the open before
    /// anything is bound), and `TlsServerReady` follows `Opened`.
    pub(crate) fn open(
        ctx: &mut Ctx,
        bind: SocketAddr,
        tls: Option<TlsServerConfig>,
    ) -> Result<Server, NetError> {
        Server::open_as(ctx, bind, tls, None)
    }

    /// A WebSocket server: the TCP server with the WebSocket layer on each
    /// connection (over TLS for `wss://`).
    pub(crate) fn open_ws(ctx: &mut Ctx, config: WsServerConfig) -> Result<Server, NetError> {
        let serve = WsServe {
            path: config.path,
            max_message: config.max_message,
        };
        let mut server = Server::open_as(ctx, config.bind, config.tls, Some(serve))?;
        server.kind = config.kind;
        Ok(server)
    }

    fn open_as(
        ctx: &mut Ctx,
        bind: SocketAddr,
        tls: Option<TlsServerConfig>,
        ws: Option<WsServe>,
    ) -> Result<Server, NetError> {
        let tls = match tls {
            Some(cfg) => Some(setup::server(&cfg, bind)?),
            None => None,
        };
        let std_listener = listen(bind)?;
        let mut listener = TcpListener::from_std(std_listener);
        let local = listener
            .local_addr()
            .map_err(|e| NetError::bind(bind, &e))?;
        ctx.poll
            .registry()
            .register(&mut listener, LISTENER, Interest::READABLE)
            .map_err(|e| NetError::io("cannot watch the listener", &e))?;
        let mode = if ws.is_some() {
            Mode::WsServer
        } else {
            Mode::TcpServer
        };
        ctx.emit(Event::Opened {
            mode,
            local: canonical(local),
        });
        if let Some(tls) = &tls {
            ctx.emit(Event::TlsServerReady {
                cert: Box::new(tls.cert.clone()),
                self_signed: tls.self_signed.clone(),
            });
            if let Some(err) = tls.key_log_error() {
                ctx.error(err);
            }
        }
        Ok(Server {
            listener,
            conns: HashMap::new(),
            ready: VecDeque::new(),
            next_id: 1,
            last_sender: None,
            accept_retry_at: None,
            closing: BTreeSet::new(),
            buf: ReadBuf::new(),
            tls,
            ws,
            kind: MessageKind::Text,
        })
    }

    fn accept_all(&mut self, ctx: &mut Ctx) {
        while let Some((stream, addr)) = accept_next(&self.listener, ctx, &mut self.accept_retry_at)
        {
            self.add(ctx, stream, addr);
        }
    }

    fn add(&mut self, ctx: &mut Ctx, stream: mio::net::TcpStream, addr: SocketAddr) {
        let id = PeerId(self.next_id);
        self.next_id += 1;
        let token = token_of(id);
        let _ = stream.set_nodelay(true);
        let local = stream.local_addr().map(canonical).unwrap_or(addr);
        let addr = canonical(addr);
        let layer = match self.tls.as_ref().map(TlsLayer::server).transpose() {
            Ok(layer) => layer,
            Err(e) => {
                return ctx.error(NetError::TlsSetup {
                    message: e.to_string(),
                });
            }
        };
        let conn = match Conn::new(ctx, id, addr, stream, Token(token)) {
            Ok(conn) => conn,
            Err(e) => return ctx.error(NetError::io("cannot watch a new client", &e)),
        };
        let conn = match layer {
            Some(layer) => conn.with_tls(layer),
            None => conn,
        };
        let conn = match &self.ws {
            // A WebSocket client is connected once its upgrade is done.
            Some(ws) => conn.with_ws(
                ctx,
                WsLayer::server(ws.path.clone(), Vec::new(), ws.max_message, local),
            ),
            None => {
                ctx.emit(Event::Connected {
                    peer: id,
                    addr,
                    local,
                });
                conn
            }
        };
        self.ready.push_back(token);
        self.conns.insert(token, conn);
    }

    fn drop_conn(&mut self, ctx: &mut Ctx, token: usize, how: CloseReason) {
        if let Some(conn) = self.conns.remove(&token) {
            ctx.emit(Event::PeerClosed {
                peer: conn.id,
                addr: conn.addr,
                how,
            });
            conn.close(ctx);
        }
        if self.last_sender == Some(token) {
            self.last_sender = None;
        }
    }

    /// The connections a send goes to, or why it goes nowhere.
    fn targets(&self, target: &Target) -> Result<Vec<usize>, SendOutcome> {
        let open = |t: &usize| self.conns.get(t).is_some_and(|c| !c.finishing());
        let gone = |err| Err(SendOutcome::Gone(err));
        let mut tokens: Vec<usize> = match target {
            Target::Default | Target::All => {
                let all: Vec<usize> = self.conns.keys().copied().filter(open).collect();
                if all.is_empty() {
                    return Err(SendOutcome::NoPeers);
                }
                all
            }
            Target::Peers(ids) => {
                // Clients that have just left are skipped; their close is
                // in the log already. Only a send to nobody is an error.
                let present: Vec<usize> = ids
                    .iter()
                    .map(|id| token_of(*id))
                    .filter(|t| self.conns.contains_key(t))
                    .collect();
                match ids.first() {
                    Some(first) if present.is_empty() => {
                        return gone(NetError::UnknownPeer(*first));
                    }
                    None => return Err(SendOutcome::NoPeers),
                    Some(_) => present,
                }
            }
            Target::Addr(addr) => {
                let found: Vec<usize> = self
                    .conns
                    .iter()
                    .filter(|(_, c)| c.addr == canonical(*addr))
                    .map(|(t, _)| *t)
                    .collect();
                if found.is_empty() {
                    return gone(NetError::NoClients);
                }
                found
            }
            Target::LastSender => match self.last_sender {
                Some(t) => vec![t],
                None => return gone(NetError::NoClients),
            },
            Target::Host(_) => {
                return Err(SendOutcome::Failed(NetError::BadTarget {
                    mode: if self.ws.is_some() {
                        Mode::WsServer.name()
                    } else {
                        Mode::TcpServer.name()
                    },
                }));
            }
        };
        tokens.sort_unstable();
        tokens.dedup();
        Ok(tokens)
    }

    /// A WebSocket control frame (ping, close) to the connections `target` names.
    fn control(
        &mut self,
        ctx: &mut Ctx,
        target: &Target,
        mut send: impl FnMut(&mut Conn, &mut Ctx) -> Result<ConnSend, NetError>,
    ) {
        if self.ws.is_none() {
            return ctx.error(NetError::NotWebSocket);
        }
        let tokens = match self.targets(target) {
            Ok(t) => t,
            Err(outcome) => return outcome.report(ctx),
        };
        for token in tokens {
            let Some(conn) = self.conns.get_mut(&token) else {
                continue;
            };
            match send(conn, ctx) {
                Ok(ConnSend::Broken(how)) => self.drop_conn(ctx, token, how),
                Ok(_) => {}
                Err(err) => ctx.error(err),
            }
        }
    }

    /// Reads up to a few chunks from one ready connection.
    fn read_some(&mut self, ctx: &mut Ctx, token: usize) {
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        // Up to the budget of a turn, and no further than the limit on
        // bytes waiting for the consumer.
        for _ in 0..READS_PER_TURN {
            if !ctx.sink.has_room() {
                break;
            }
            match conn.read(ctx, &mut self.buf) {
                ReadOutcome::Data(data) => {
                    self.last_sender = Some(token);
                    ctx.emit(Event::Received {
                        peer: Some(conn.id),
                        addr: conn.addr,
                        time: SystemTime::now(),
                        data,
                        message: None,
                    });
                }
                ReadOutcome::Progress => {
                    if conn.is_ws() {
                        self.last_sender = Some(token);
                    }
                }
                ReadOutcome::WouldBlock => {
                    conn.in_ready = false;
                    return;
                }
                ReadOutcome::PeerFinished => {
                    ctx.emit(Event::HalfClosed {
                        peer: conn.id,
                        addr: conn.addr,
                    });
                    return;
                }
                ReadOutcome::Closed(how) => {
                    self.drop_conn(ctx, token, how);
                    return;
                }
            }
        }
        // Budget used up: come back after the others.
        self.ready.push_back(token);
    }
}

impl Driver for Server {
    fn on_ready(&mut self, ctx: &mut Ctx, event: &mio::event::Event) {
        let token = event.token().0;
        if event.token() == LISTENER {
            self.accept_all(ctx);
            return;
        }
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        match conn.on_ready(ctx, event) {
            Ok(true) if !conn.in_ready => {
                conn.in_ready = true;
                self.ready.push_back(token);
            }
            Ok(_) => {}
            Err(how) => self.drop_conn(ctx, token, how),
        }
    }

    fn send(&mut self, ctx: &mut Ctx, target: &Target, data: Bytes, meta: SendMeta) -> SendOutcome {
        let tokens = match self.targets(target) {
            Ok(t) => t,
            Err(outcome) => return outcome,
        };
        let mut sent = 0;
        let mut broken = false;
        let mut full: Option<NetError> = None;
        let mut gone: Option<NetError> = None;
        // WebSocket: a send that does not say goes as the session's kind.
        let meta = SendMeta {
            message: self.ws.as_ref().and(meta.message.or(Some(self.kind))),
            ..meta
        };
        for token in tokens {
            let Some(conn) = self.conns.get_mut(&token) else {
                continue;
            };
            match conn.send(ctx, data.clone(), meta) {
                ConnSend::Queued => sent += 1,
                ConnSend::QueueFull(err) => match full {
                    // One error per send; further stuck clients are reported too.
                    Some(_) => ctx.error(err),
                    None => full = Some(err),
                },
                ConnSend::Finished(err) | ConnSend::Refused(err) => gone = Some(err),
                ConnSend::Broken(how) => {
                    broken = true;
                    self.drop_conn(ctx, token, how);
                }
            }
        }
        SendOutcome::of_many(target, sent, full, gone, broken)
    }

    fn on_command(&mut self, ctx: &mut Ctx, cmd: WorkerCmd) {
        match cmd {
            WorkerCmd::Disconnect(id) => {
                let token = token_of(id);
                if self.conns.contains_key(&token) {
                    self.drop_conn(ctx, token, CloseReason::Local);
                } else {
                    ctx.error(NetError::UnknownPeer(id));
                }
            }
            WorkerCmd::Finish(id) => {
                let token = token_of(id);
                let result = match self.conns.get_mut(&token) {
                    Some(conn) => conn.finish(ctx),
                    None => return ctx.error(NetError::UnknownPeer(id)),
                };
                if let Err(how) = result {
                    self.drop_conn(ctx, token, how);
                }
            }
            // No names are looked up in this mode.
            WorkerCmd::RefreshNames => {}
            WorkerCmd::SetMessageKind(kind) => self.kind = kind,
            WorkerCmd::Ping { target, payload } => {
                self.control(ctx, &target, |conn, ctx| conn.ws_ping(ctx, payload.clone()));
            }
            WorkerCmd::WsClose {
                target,
                code,
                reason,
            } => {
                self.control(ctx, &target, |conn, ctx| conn.ws_close(ctx, code, &reason));
                // Each close that went now waits for its answer (the
                // ones already waiting are in the set as they were).
                let waiting = self
                    .conns
                    .iter()
                    .filter_map(|(&token, conn)| Some((conn.ws_close_due()?, token)));
                self.closing.extend(waiting);
            }
            other => no_multicast(ctx, other, Mode::TcpServer),
        }
    }

    fn pump(&mut self, ctx: &mut Ctx) -> bool {
        // One pass over the connections that were ready at the start.
        let mut turns = self.ready.len();
        while turns > 0 && ctx.sink.has_room() {
            turns -= 1;
            let Some(token) = self.ready.pop_front() else {
                break;
            };
            self.read_some(ctx, token);
        }
        !self.ready.is_empty()
    }

    fn deadline(&self) -> Option<Instant> {
        let closing = self.closing.first().map(|&(due, _)| due);
        [self.accept_retry_at, closing].into_iter().flatten().min()
    }

    fn on_timer(&mut self, ctx: &mut Ctx, now: Instant) {
        if self.accept_retry_at.is_some_and(|t| t <= now) {
            self.accept_retry_at = None;
            self.accept_all(ctx);
        }
        while let Some(&(due, token)) = self.closing.first()
            && due <= now
        {
            self.closing.pop_first();
            // Gone already, or answered since: nothing to do.
            let Some(conn) = self.conns.get(&token) else {
                continue;
            };
            if conn.ws_close_due().is_some_and(|d| d <= now) {
                conn.ws_close_unanswered(ctx);
                self.drop_conn(ctx, token, CloseReason::Local);
            }
        }
    }

    fn finished(&self) -> bool {
        false
    }

    fn shutdown(&mut self, ctx: &mut Ctx) {
        let _ = ctx.poll.registry().deregister(&mut self.listener);
        let mut tokens: Vec<usize> = self.conns.keys().copied().collect();
        tokens.sort_unstable();
        for token in tokens {
            self.drop_conn(ctx, token, CloseReason::Local);
        }
    }
}
