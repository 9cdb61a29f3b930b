//! TCP server mode: one listener and any number of clients in one poll loop.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use mio::net::TcpListener;
use mio::{Interest, Token};
use socket2::{Domain, Protocol, Socket, Type};

use super::addr::canonical;
use super::conn::{Conn, ReadBuf, ReadOutcome};
use super::worker::{Ctx, Driver, WorkerCmd};
use super::{CloseReason, Event, Mode, NetError, PeerId, Target};

const LISTENER: Token = Token(1);
const FIRST_CONN: usize = 2;
/// Reads per connection per turn, so one flooding client cannot starve others.
const READS_PER_TURN: usize = 4;
/// How long to wait before accepting again after the OS refused (e.g. out of files).
const ACCEPT_RETRY: Duration = Duration::from_millis(200);
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
    buf: ReadBuf,
}

impl Server {
    /// Binds and listens, reporting `Opened` with the real address.
    pub(crate) fn open(ctx: &mut Ctx, bind: SocketAddr) -> Result<Server, NetError> {
        let std_listener = listen(bind)?;
        let mut listener = TcpListener::from_std(std_listener);
        let local = listener
            .local_addr()
            .map_err(|e| NetError::bind(bind, &e))?;
        ctx.poll
            .registry()
            .register(&mut listener, LISTENER, Interest::READABLE)
            .map_err(|e| NetError::io("cannot watch the listener", &e))?;
        ctx.emit(Event::Opened {
            mode: Mode::TcpServer,
            local: canonical(local),
        });
        Ok(Server {
            listener,
            conns: HashMap::new(),
            ready: VecDeque::new(),
            next_id: 1,
            last_sender: None,
            accept_retry_at: None,
            buf: ReadBuf::new(),
        })
    }

    fn accept_all(&mut self, ctx: &mut Ctx) {
        if self.accept_retry_at.is_some() {
            return;
        }
        loop {
            // Through mio's own `accept`, which re-arms the listener on
            // Windows when it sees `WouldBlock` (see `ReadBuf::read_stream`).
            match self.listener.accept() {
                Ok((stream, addr)) => self.add(ctx, stream, addr),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
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
                    self.accept_retry_at = Some(Instant::now() + ACCEPT_RETRY);
                    return;
                }
            }
        }
    }

    fn add(&mut self, ctx: &mut Ctx, mut stream: mio::net::TcpStream, addr: SocketAddr) {
        let id = self.next_id;
        self.next_id += 1;
        let token = id as usize + FIRST_CONN;
        let _ = stream.set_nodelay(true);
        if let Err(e) = ctx.poll.registry().register(
            &mut stream,
            Token(token),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            ctx.error(NetError::io("cannot watch a new client", &e));
            return;
        }
        let local = stream.local_addr().map(canonical).unwrap_or(addr);
        let addr = canonical(addr);
        ctx.emit(Event::Connected {
            peer: PeerId(id),
            addr,
            local,
        });
        let mut conn = Conn::new(PeerId(id), addr, stream);
        conn.in_ready = true;
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

    fn targets(&self, target: &Target) -> Result<Vec<usize>, NetError> {
        let tokens: Vec<usize> = match target {
            Target::Default | Target::All => {
                let mut all: Vec<usize> = self.conns.keys().copied().collect();
                all.sort_unstable();
                all
            }
            Target::Peers(ids) => {
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    let token = id.0 as usize + FIRST_CONN;
                    if !self.conns.contains_key(&token) {
                        return Err(NetError::UnknownPeer(*id));
                    }
                    out.push(token);
                }
                out
            }
            Target::Addr(addr) => self
                .conns
                .iter()
                .filter(|(_, c)| c.addr == canonical(*addr))
                .map(|(t, _)| *t)
                .collect(),
            Target::LastSender => self.last_sender.into_iter().collect(),
            Target::Host(_) => {
                return Err(NetError::BadTarget {
                    mode: Mode::TcpServer.name(),
                });
            }
        };
        if tokens.is_empty() {
            return Err(NetError::NoClients);
        }
        Ok(tokens)
    }

    fn send(&mut self, ctx: &mut Ctx, target: &Target, data: Bytes) {
        let tokens = match self.targets(target) {
            Ok(t) => t,
            Err(e) => return ctx.error(e),
        };
        for token in tokens {
            let result = match self.conns.get_mut(&token) {
                Some(conn) => conn.send(ctx, data.clone()),
                None => continue,
            };
            if let Err(how) = result {
                self.drop_conn(ctx, token, how);
            }
        }
    }

    /// Reads up to a few chunks from one ready connection.
    fn read_some(&mut self, ctx: &mut Ctx, token: usize) {
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        for _ in 0..READS_PER_TURN {
            match conn.read(&mut self.buf) {
                ReadOutcome::Data(data) => {
                    self.last_sender = Some(token);
                    ctx.emit(Event::Received {
                        peer: Some(conn.id),
                        addr: conn.addr,
                        time: SystemTime::now(),
                        data,
                    });
                }
                ReadOutcome::WouldBlock => {
                    conn.in_ready = false;
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
        if event.is_writable() {
            let result = match self.conns.get_mut(&token) {
                Some(conn) => conn.flush(ctx),
                None => return,
            };
            if let Err(how) = result {
                self.drop_conn(ctx, token, how);
                return;
            }
        }
        if (event.is_readable() || event.is_read_closed() || event.is_error())
            && let Some(conn) = self.conns.get_mut(&token)
            && !conn.in_ready
        {
            conn.in_ready = true;
            self.ready.push_back(token);
        }
    }

    fn on_command(&mut self, ctx: &mut Ctx, cmd: WorkerCmd) {
        match cmd {
            WorkerCmd::Send { target, data } => self.send(ctx, &target, data),
            WorkerCmd::Disconnect(id) => {
                let token = id.0 as usize + FIRST_CONN;
                if self.conns.contains_key(&token) {
                    self.drop_conn(ctx, token, CloseReason::Local);
                } else {
                    ctx.error(NetError::UnknownPeer(id));
                }
            }
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
        self.accept_retry_at
    }

    fn on_timer(&mut self, ctx: &mut Ctx, now: Instant) {
        if self.accept_retry_at.is_some_and(|t| t <= now) {
            self.accept_retry_at = None;
            self.accept_all(ctx);
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
