//! The UDP relay: one listening socket; each client address that sends is
//! a mapping with an upstream socket of its own (an ephemeral port,
//! connected to the target), so the target sees one source port per
//! client and its answers find their way back. Datagrams keep their
//! boundaries both ways; each is reported ([`Event::Relayed`]) as read.
//!
//! A mapping is a "pair" in the events: [`Event::Connected`] when its
//! client first sends, then [`Event::UpstreamConnected`] (or
//! [`Event::UpstreamFailed`]: its datagrams are then reported and go
//! nowhere). A mapping with no traffic either way for the session's idle
//! time ends with [`Event::PeerClosed`] and [`CloseReason::Local`] (there
//! is no connection to end; the relay forgets it). At most
//! [`MAX_MAPPINGS`] live at once: a new client beyond that ends the
//! mapping idle the longest.
//!
//! Faults per direction: drop, duplicate and reorder (a datagram held back
//! behind the next, or sent alone after [`REORDER_HOLD`]), delay (the
//! order kept), rate (datagrams wait in a bounded queue; one that finds it
//! full is dropped and counted as dropped), and an end after some bytes
//! (close and reset stop both directions of the mapping, blackhole the
//! one: nothing more is forwarded, everything is still reported). Slicing
//! does not apply to datagrams.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use mio::net::UdpSocket;
use mio::{Interest, Token};
use socket2::{Domain, Protocol, Socket, Type};

use super::faults::{Bucket, EndCount, Tally, chance, release_at};
use super::sched::Timers;
use super::target::{Lookup, TargetAddrs};
use super::{EndHow, FaultEvent, FaultSet, Faults, Flow, RelayConfig, Rewriter};
use crate::net::addr::canonical;
use crate::net::conn::MAX_QUEUE;
use crate::net::datagrams::{self, Datagram, DatagramReader, RECV_BUFFER};
use crate::net::driver::{Ctx, Driver, SendOutcome, WorkerCmd, no_multicast};
use crate::net::{CloseReason, Event, Mode, NetError, PeerId, SendMeta, Target};

const LISTENER: Token = Token(1);
/// Most mappings at once.
pub(crate) const MAX_MAPPINGS: usize = 4096;
/// Most datagrams waiting in one direction of a mapping.
const DIR_DATAGRAMS: usize = 1024;
/// Most bytes waiting in one direction of a mapping.
const DIR_BYTES: usize = 1024 * 1024;
/// How long a datagram held back for reordering waits for the next one.
pub(crate) const REORDER_HOLD: Duration = Duration::from_millis(50);
/// Batches read per socket per turn.
const BATCHES_PER_TURN: usize = 8;
/// Largest UDP payload over IPv4.
const MAX_DATAGRAM: usize = 65_507;

fn upstream_token(id: u64) -> Token {
    Token(id as usize * 2 + 1)
}

/// A datagram on its way.
struct Dgram {
    data: Bytes,
    not_before: Option<Instant>,
    /// From a send command (reported as sent), not relayed.
    sent: Option<SendMeta>,
}

/// One direction of a mapping.
#[derive(Default)]
struct Dir {
    queue: VecDeque<Dgram>,
    bytes: usize,
    /// Bytes of send commands queued (counted as pending sends).
    injected: usize,
    /// Reorder: a datagram held back, and when it goes alone.
    held: Option<(Bytes, Instant)>,
    bucket: Option<Bucket>,
    last_release: Option<Instant>,
    end: EndCount,
    /// An end fault stopped this direction.
    stopped: bool,
    /// When the head of the queue may go, if it waits for a time.
    wait: Option<Instant>,
    /// The socket would not take more: wait for it to be writable.
    blocked: bool,
    dropped: Tally,
    duplicated: Tally,
    reordered: Tally,
}

impl Dir {
    fn new(faults: &FaultSet, now: Instant) -> Dir {
        let mut dir = Dir::default();
        dir.set_faults(faults, now);
        dir
    }

    fn set_faults(&mut self, faults: &FaultSet, now: Instant) {
        self.end = EndCount::default();
        self.stopped = false;
        self.bucket = faults.rate.map(|rate| Bucket::new(rate, now));
    }

    /// Queues a datagram if there is room; a full queue drops it.
    fn enqueue(&mut self, data: Bytes, not_before: Option<Instant>) {
        if self.queue.len() >= DIR_DATAGRAMS || self.bytes + data.len() > DIR_BYTES {
            self.dropped.add(1);
            return;
        }
        self.bytes += data.len();
        self.queue.push_back(Dgram {
            data,
            not_before,
            sent: None,
        });
    }

    fn next_wake(&self) -> Option<Instant> {
        [
            self.wait,
            self.held.as_ref().map(|(_, at)| *at),
            self.dropped.next_at(),
            self.duplicated.next_at(),
            self.reordered.next_at(),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

/// What identifies a mapping in events.
#[derive(Clone, Copy)]
struct Ids {
    peer: PeerId,
    client: SocketAddr,
}

/// What a mapping's work needs from the driver.
struct Cx<'a> {
    ctx: &'a mut Ctx,
    rng: &'a mut fastrand::Rng,
    faults: &'a Faults,
    rewrite: Option<&'a Rewriter>,
    listener: &'a UdpSocket,
    now: Instant,
}

/// One client address and its upstream socket.
struct Mapping {
    id: u64,
    ids: Ids,
    /// The client's address as the socket gives it (for sending back).
    client_raw: SocketAddr,
    upstream: Option<UdpSocket>,
    /// The target's address the upstream socket is connected to.
    server: Option<SocketAddr>,
    readable: bool,
    last_active: Instant,
    up: Dir,
    down: Dir,
    in_ready: bool,
    /// Waiting for the listener to be writable.
    in_blocked: bool,
    armed: Option<Instant>,
}

impl Mapping {
    fn dir(&mut self, flow: Flow) -> &mut Dir {
        match flow {
            Flow::Up => &mut self.up,
            Flow::Down => &mut self.down,
        }
    }

    fn next_wake(&self, idle: Duration) -> Option<Instant> {
        let expiry = super::faults::later(self.last_active, idle);
        [self.up.next_wake(), self.down.next_wake(), Some(expiry)]
            .into_iter()
            .flatten()
            .min()
    }

    /// One datagram read in `flow`: reported, put through the faults,
    /// queued, and sent as far as it may go now.
    fn take(&mut self, flow: Flow, data: Bytes, cx: &mut Cx) {
        self.last_active = cx.now;
        let from = match (flow, self.server) {
            (Flow::Down, Some(server)) => server,
            _ => self.ids.client,
        };
        let data = super::rewrite::relay_chunk(
            cx.ctx,
            cx.rewrite,
            (self.ids.peer, self.ids.client),
            flow,
            from,
            data,
        );
        if flow == Flow::Up && self.upstream.is_none() {
            return;
        }
        let all: &Faults = cx.faults;
        let faults = all.of(flow);
        let dir = self.dir(flow);
        if dir.stopped {
            return;
        }
        if let Some(end) = &faults.end_after {
            let (pass, fire) = dir.end.admit(end, data.len());
            if fire {
                let after = dir.end.forwarded;
                cx.ctx.emit(Event::FaultFired {
                    peer: self.ids.peer,
                    flow,
                    client: self.ids.client,
                    fault: FaultEvent::Ended {
                        after,
                        how: end.how,
                    },
                });
                match end.how {
                    EndHow::Blackhole => self.dir(flow).stopped = true,
                    EndHow::Close | EndHow::Reset => {
                        self.up.stopped = true;
                        self.down.stopped = true;
                    }
                }
            }
            if !pass {
                return self.flush(flow, cx);
            }
        }
        let dir = self.dir(flow);
        if chance(faults.drop_percent, cx.rng) {
            dir.dropped.add(1);
            return self.flush(flow, cx);
        }
        let twice = chance(faults.duplicate_percent, cx.rng);
        let not_before = faults
            .delay
            .as_ref()
            .map(|delay| release_at(cx.now, delay, dir.last_release, cx.rng));
        if not_before.is_some() {
            dir.last_release = not_before;
        }
        if dir.held.is_none() && chance(faults.reorder_percent, cx.rng) {
            dir.reordered.add(1);
            if twice {
                dir.duplicated.add(1);
                dir.enqueue(data.clone(), not_before);
            }
            dir.held = Some((data, cx.now + REORDER_HOLD));
            return self.flush(flow, cx);
        }
        if twice {
            dir.duplicated.add(1);
            dir.enqueue(data.clone(), not_before);
        }
        dir.enqueue(data, not_before);
        if let Some((held, _)) = dir.held.take() {
            dir.enqueue(held, not_before);
        }
        self.flush(flow, cx);
    }

    /// Sends what may go now in `flow`, and tells the counts that are due.
    fn flush(&mut self, flow: Flow, cx: &mut Cx) {
        let ids = self.ids;
        let client_raw = self.client_raw;
        let (dir, upstream) = match flow {
            Flow::Up => (&mut self.up, self.upstream.as_ref()),
            Flow::Down => (&mut self.down, None),
        };
        if let Some((_, at)) = &dir.held
            && *at <= cx.now
            && let Some((held, _)) = dir.held.take()
        {
            let last = dir.last_release;
            dir.enqueue(held, last);
        }
        dir.wait = None;
        dir.blocked = false;
        let mut refused_once = false;
        while let Some(head) = dir.queue.front() {
            if let Some(at) = head.not_before
                && at > cx.now
            {
                dir.wait = Some(at);
                break;
            }
            if let Some(bucket) = &mut dir.bucket
                && bucket.available(cx.now) == 0
            {
                dir.wait = Some(bucket.ready_at());
                break;
            }
            // mio's own sends, so Windows re-arms the writable event.
            let result = match (flow, upstream) {
                (Flow::Up, Some(socket)) => socket.send(&head.data),
                (Flow::Up, None) => Ok(0),
                (Flow::Down, _) => cx.listener.send_to(&head.data, client_raw),
            };
            match result {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    dir.blocked = true;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // The target's port was closed for an earlier datagram
                // (ICMP); the error is told once: send again.
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused && !refused_once => {
                    refused_once = true;
                    continue;
                }
                _ => {}
            }
            let Some(out) = dir.queue.pop_front() else {
                break;
            };
            dir.bytes -= out.data.len();
            if out.sent.is_some() {
                dir.injected -= out.data.len();
                cx.ctx.shared.sub_pending(out.data.len());
            }
            match result {
                Ok(_) => {
                    if let Some(bucket) = &mut dir.bucket {
                        bucket.spend(out.data.len());
                    }
                    if let Some(meta) = out.sent {
                        cx.ctx.emit(Event::Sent {
                            peer: Some(ids.peer),
                            addr: ids.client,
                            time: SystemTime::now(),
                            data: out.data,
                            meta,
                        });
                    }
                }
                Err(e) => match out.sent {
                    Some(_) => cx
                        .ctx
                        .error(NetError::io(format!("cannot send to {}", ids.client), &e)),
                    None => dir.dropped.add(1),
                },
            }
        }
        for (tally, fault) in [
            (&mut dir.dropped, FaultEvent::Dropped { count: 0 }),
            (&mut dir.duplicated, FaultEvent::Duplicated { count: 0 }),
            (&mut dir.reordered, FaultEvent::Reordered { count: 0 }),
        ] {
            let Some(count) = tally.due(cx.now) else {
                continue;
            };
            let fault = match fault {
                FaultEvent::Dropped { .. } => FaultEvent::Dropped { count },
                FaultEvent::Duplicated { .. } => FaultEvent::Duplicated { count },
                _ => FaultEvent::Reordered { count },
            };
            cx.ctx.emit(Event::FaultFired {
                peer: ids.peer,
                flow,
                client: ids.client,
                fault,
            });
        }
    }

    fn run(&mut self, cx: &mut Cx) {
        self.flush(Flow::Up, cx);
        self.flush(Flow::Down, cx);
    }

    /// Queues a datagram of a send command to the client.
    fn inject(&mut self, cx: &mut Cx, data: Bytes, meta: SendMeta) -> Result<(), NetError> {
        let dir = &mut self.down;
        if dir.injected + data.len() > MAX_QUEUE {
            return Err(NetError::SendQueueFull {
                addr: self.ids.client,
                dropped: data.len(),
            });
        }
        dir.injected += data.len();
        dir.bytes += data.len();
        cx.ctx.shared.add_pending(data.len());
        dir.queue.push_back(Dgram {
            data,
            not_before: None,
            sent: Some(meta),
        });
        self.flush(Flow::Down, cx);
        Ok(())
    }
}

/// Opens an upstream socket connected to the first of `addrs` that takes it.
fn open_upstream(addrs: &[SocketAddr]) -> Result<(UdpSocket, SocketAddr), NetError> {
    let mut last = None;
    for &addr in addrs {
        let attempt = || -> io::Result<UdpSocket> {
            let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
            let any: SocketAddr = if addr.is_ipv4() {
                (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
            } else {
                (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
            };
            socket.bind(&any.into())?;
            socket.connect(&addr.into())?;
            socket.set_nonblocking(true)?;
            Ok(UdpSocket::from_std(socket.into()))
        };
        match attempt() {
            Ok(socket) => return Ok((socket, addr)),
            Err(e) => last = Some(NetError::connect(addr, &e)),
        }
    }
    Err(last.unwrap_or_else(|| {
        NetError::io(
            "cannot reach the target",
            &io::Error::from(io::ErrorKind::NotFound),
        )
    }))
}

/// The UDP relay driver.
pub(crate) struct UdpRelay {
    socket: UdpSocket,
    local: SocketAddr,
    target: TargetAddrs,
    idle: Duration,
    mappings: HashMap<u64, Mapping>,
    by_client: HashMap<SocketAddr, u64>,
    /// Mappings whose upstream socket has something to read.
    ready: VecDeque<u64>,
    /// Mappings waiting for the listener to be writable.
    blocked: Vec<u64>,
    readable: bool,
    timers: Timers,
    next_id: u64,
    last_sender: Option<u64>,
    rng: fastrand::Rng,
    faults: Faults,
    rewrite: Option<Rewriter>,
    reader: DatagramReader,
    /// One reader for every upstream socket (read one after another).
    up_reader: DatagramReader,
    batch: Vec<Datagram>,
    drops_told: Option<u64>,
}

impl UdpRelay {
    /// Binds the listening socket (a large receive buffer, the system's
    /// drop count), reporting `Opened` and the buffer granted.
    pub(crate) fn open(ctx: &mut Ctx, config: RelayConfig) -> Result<UdpRelay, NetError> {
        let bind = config.listen;
        let err = |e: io::Error| NetError::bind(bind, &e);
        let socket = Socket::new(Domain::for_address(bind), Type::DGRAM, Some(Protocol::UDP))
            .map_err(err)?;
        if bind.is_ipv6() {
            let _ = socket.set_only_v6(false);
        }
        let recv_buffer = datagrams::grow_recv_buffer(&socket, RECV_BUFFER);
        datagrams::count_drops(&socket);
        socket.bind(&bind.into()).map_err(err)?;
        socket.set_nonblocking(true).map_err(err)?;
        let mut socket = UdpSocket::from_std(socket.into());
        let local = socket.local_addr().map_err(err)?;
        ctx.poll
            .registry()
            .register(
                &mut socket,
                LISTENER,
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| NetError::io("cannot watch the socket", &e))?;
        ctx.emit(Event::Opened {
            mode: Mode::UdpRelay,
            local: canonical(local),
        });
        if let Some(granted) = recv_buffer {
            ctx.emit(Event::ReceiveBuffer {
                asked: RECV_BUFFER,
                granted,
            });
        }
        Ok(UdpRelay {
            socket,
            local,
            target: TargetAddrs::new(config.target),
            idle: config.udp_idle,
            mappings: HashMap::new(),
            by_client: HashMap::new(),
            ready: VecDeque::new(),
            blocked: Vec::new(),
            readable: true,
            timers: Timers::default(),
            next_id: 1,
            last_sender: None,
            rng: fastrand::Rng::new(),
            faults: config.faults,
            rewrite: config.rewrite,
            reader: DatagramReader::new(),
            up_reader: DatagramReader::new(),
            batch: Vec::with_capacity(datagrams::BATCH),
            drops_told: None,
        })
    }

    /// A mapping for a client seen for the first time.
    fn create(
        &mut self,
        ctx: &mut Ctx,
        from: SocketAddr,
        addrs: &Result<Vec<SocketAddr>, NetError>,
    ) -> u64 {
        if self.mappings.len() >= MAX_MAPPINGS
            && let Some(oldest) = self
                .mappings
                .values()
                .min_by_key(|m| (m.last_active, m.id))
                .map(|m| m.id)
        {
            self.end(ctx, oldest);
        }
        let id = self.next_id;
        self.next_id += 1;
        let peer = PeerId(id);
        let client = canonical(from);
        ctx.emit(Event::Connected {
            peer,
            addr: client,
            local: canonical(self.local),
        });
        let opened = addrs.clone().and_then(|addrs| {
            let (mut socket, to) = open_upstream(&addrs)?;
            ctx.poll
                .registry()
                .register(
                    &mut socket,
                    upstream_token(id),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .map_err(|e| NetError::io("cannot watch the upstream socket", &e))?;
            Ok((socket, to))
        });
        let upstream = match opened {
            Ok((socket, to)) => {
                let addr = canonical(to);
                let local = socket.local_addr().map(canonical).unwrap_or(addr);
                ctx.emit(Event::UpstreamConnected { peer, addr, local });
                Some((socket, addr))
            }
            Err(error) => {
                ctx.emit(Event::UpstreamFailed {
                    peer,
                    client,
                    error,
                });
                None
            }
        };
        let now = Instant::now();
        self.mappings.insert(
            id,
            Mapping {
                id,
                ids: Ids { peer, client },
                client_raw: from,
                server: upstream.as_ref().map(|u| u.1),
                upstream: upstream.map(|u| u.0),
                readable: true,
                last_active: now,
                up: Dir::new(&self.faults.up, now),
                down: Dir::new(&self.faults.down, now),
                in_ready: false,
                in_blocked: false,
                armed: None,
            },
        );
        self.by_client.insert(from, id);
        id
    }

    /// Forgets a mapping, reporting its end.
    fn end(&mut self, ctx: &mut Ctx, id: u64) {
        let Some(mut m) = self.mappings.remove(&id) else {
            return;
        };
        self.by_client.remove(&m.client_raw);
        if self.last_sender == Some(id) {
            self.last_sender = None;
        }
        ctx.shared.sub_pending(m.up.injected + m.down.injected);
        if let Some(socket) = &mut m.upstream {
            let _ = ctx.poll.registry().deregister(socket);
        }
        ctx.emit(Event::PeerClosed {
            peer: m.ids.peer,
            addr: m.ids.client,
            how: CloseReason::Local,
        });
    }

    /// Runs `work` on mapping `id`, then settles it: its expiry, its next
    /// wake-up, and whether it waits for the listener or has reads.
    fn with_mapping(&mut self, ctx: &mut Ctx, id: u64, work: impl FnOnce(&mut Mapping, &mut Cx)) {
        let Some(m) = self.mappings.get_mut(&id) else {
            return;
        };
        let now = Instant::now();
        let mut cx = Cx {
            ctx,
            rng: &mut self.rng,
            faults: &self.faults,
            rewrite: self.rewrite.as_ref(),
            listener: &self.socket,
            now,
        };
        work(m, &mut cx);
        if super::faults::later(m.last_active, self.idle) <= now
            && m.up.queue.is_empty()
            && m.down.queue.is_empty()
        {
            return self.end(ctx, id);
        }
        let next = m.next_wake(self.idle);
        self.timers.arm(&mut m.armed, id, next);
        if self.timers.crowded(self.mappings.len()) {
            let live = self
                .mappings
                .iter()
                .filter_map(|(id, m)| m.armed.map(|at| (at, *id)));
            self.timers.rebuild(live);
        }
        let Some(m) = self.mappings.get_mut(&id) else {
            return;
        };
        if m.down.blocked && !m.in_blocked {
            m.in_blocked = true;
            self.blocked.push(id);
        }
        if m.readable && m.upstream.is_some() && !m.in_ready {
            m.in_ready = true;
            self.ready.push_back(id);
        }
    }

    /// Reads a few batches from one mapping's upstream socket.
    fn read_upstream(&mut self, ctx: &mut Ctx, id: u64) {
        for _ in 0..BATCHES_PER_TURN {
            if !ctx.sink.has_room() {
                return;
            }
            let Some(m) = self.mappings.get_mut(&id) else {
                return;
            };
            let Some(socket) = &m.upstream else {
                return;
            };
            let mut batch = std::mem::take(&mut self.batch);
            match self.up_reader.read(socket, &mut batch) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    m.readable = false;
                    self.batch = batch;
                    return;
                }
                // ICMP from the target (its port closed): read on.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted
                            | io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => {
                    m.readable = false;
                    self.batch = batch;
                    return ctx.error(NetError::io("cannot receive from the target", &e));
                }
            }
            self.with_mapping(ctx, id, |m, cx| {
                for Datagram { data, .. } in batch.drain(..) {
                    m.take(Flow::Down, data, cx);
                }
            });
            self.batch = batch;
        }
    }

    /// Reads a few batches from the listener, each datagram to its mapping.
    fn read_listener(&mut self, ctx: &mut Ctx) {
        for _ in 0..BATCHES_PER_TURN {
            if !self.readable || !ctx.sink.has_room() {
                return;
            }
            let addrs = match self.target.get(ctx) {
                Lookup::Known(addrs) => Ok(addrs),
                Lookup::Failed(err) => Err(err),
                // Datagrams wait in the system until the target is known.
                Lookup::Looking => return,
            };
            let mut batch = std::mem::take(&mut self.batch);
            match self.reader.read(&self.socket, &mut batch) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.readable = false,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted
                            | io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => {
                    ctx.error(NetError::io("cannot receive", &e));
                    self.readable = false;
                }
            }
            for Datagram { from, data } in batch.drain(..) {
                let id = match self.by_client.get(&from) {
                    Some(id) => *id,
                    None => self.create(ctx, from, &addrs),
                };
                self.last_sender = Some(id);
                self.with_mapping(ctx, id, |m, cx| m.take(Flow::Up, data, cx));
            }
            self.batch = batch;
            let dropped = self.reader.dropped();
            if dropped.is_some() && dropped != self.drops_told {
                self.drops_told = dropped;
                ctx.emit(Event::SystemDropped {
                    total: dropped.unwrap_or(0),
                });
            }
        }
    }

    /// The mappings a send goes to, or why it goes nowhere.
    fn targets(&self, target: &Target) -> Result<Vec<u64>, SendOutcome> {
        let mut ids: Vec<u64> = match target {
            Target::Default | Target::All => self.mappings.keys().copied().collect(),
            Target::Peers(peers) => {
                let present: Vec<u64> = peers
                    .iter()
                    .map(|p| p.0)
                    .filter(|id| self.mappings.contains_key(id))
                    .collect();
                match peers.first() {
                    Some(first) if present.is_empty() => {
                        return Err(SendOutcome::Gone(NetError::UnknownPeer(*first)));
                    }
                    _ => present,
                }
            }
            Target::Addr(addr) => {
                let addr = canonical(*addr);
                self.mappings
                    .values()
                    .filter(|m| m.ids.client == addr)
                    .map(|m| m.id)
                    .collect()
            }
            Target::LastSender => self.last_sender.into_iter().collect(),
            Target::Host(_) => {
                return Err(SendOutcome::Failed(NetError::BadTarget {
                    mode: Mode::UdpRelay.name(),
                }));
            }
        };
        if ids.is_empty() {
            return Err(SendOutcome::NoPeers);
        }
        ids.sort_unstable();
        Ok(ids)
    }
}

impl Driver for UdpRelay {
    fn on_ready(&mut self, ctx: &mut Ctx, event: &mio::event::Event) {
        if event.token() == LISTENER {
            if event.is_readable() || event.is_error() {
                self.readable = true;
            }
            if event.is_writable() {
                for id in std::mem::take(&mut self.blocked) {
                    if let Some(m) = self.mappings.get_mut(&id) {
                        m.in_blocked = false;
                    }
                    self.with_mapping(ctx, id, |m, cx| m.flush(Flow::Down, cx));
                }
            }
            return;
        }
        let id = (event.token().0 / 2) as u64;
        let readable = event.is_readable() || event.is_error();
        let writable = event.is_writable();
        self.with_mapping(ctx, id, |m, cx| {
            if readable {
                m.readable = true;
            }
            if writable {
                m.flush(Flow::Up, cx);
            }
        });
    }

    fn send(&mut self, ctx: &mut Ctx, target: &Target, data: Bytes, meta: SendMeta) -> SendOutcome {
        if data.len() > MAX_DATAGRAM {
            return SendOutcome::Failed(NetError::DatagramTooLarge { len: data.len() });
        }
        let ids = match self.targets(target) {
            Ok(ids) => ids,
            Err(outcome) => return outcome,
        };
        let mut failed = None;
        for id in ids {
            self.with_mapping(ctx, id, |m, cx| {
                if let Err(e) = m.inject(cx, data.clone(), meta) {
                    failed = Some(e);
                }
            });
        }
        match failed {
            Some(err) => SendOutcome::Failed(err),
            None => SendOutcome::Sent,
        }
    }

    fn on_command(&mut self, ctx: &mut Ctx, cmd: WorkerCmd) {
        match cmd {
            WorkerCmd::Disconnect(peer) => {
                if self.mappings.contains_key(&peer.0) {
                    self.end(ctx, peer.0);
                } else {
                    ctx.error(NetError::UnknownPeer(peer));
                }
            }
            WorkerCmd::Finish(_) => ctx.error(NetError::Unsupported {
                what: "finishing a connection",
                mode: Mode::UdpRelay.name(),
            }),
            WorkerCmd::SetFaults(faults) => {
                let now = Instant::now();
                for m in self.mappings.values_mut() {
                    m.up.set_faults(&faults.up, now);
                    m.down.set_faults(&faults.down, now);
                }
                self.faults = faults;
                let mut ids: Vec<u64> = self.mappings.keys().copied().collect();
                ids.sort_unstable();
                for id in ids {
                    self.with_mapping(ctx, id, Mapping::run);
                }
            }
            WorkerCmd::SetRewrite(rewrite) => self.rewrite = rewrite,
            WorkerCmd::RefreshNames => self.target.forget(),
            other => no_multicast(ctx, other, Mode::UdpRelay),
        }
    }

    fn pump(&mut self, ctx: &mut Ctx) -> bool {
        if self.target.looking() {
            let _ = self.target.finished();
        }
        let mut turns = self.ready.len();
        while turns > 0 && ctx.sink.has_room() {
            turns -= 1;
            let Some(id) = self.ready.pop_front() else {
                break;
            };
            let Some(m) = self.mappings.get_mut(&id) else {
                continue;
            };
            m.in_ready = false;
            self.read_upstream(ctx, id);
            if let Some(m) = self.mappings.get_mut(&id)
                && m.readable
                && !m.in_ready
            {
                m.in_ready = true;
                self.ready.push_back(id);
            }
        }
        self.read_listener(ctx);
        !self.ready.is_empty() || (self.readable && !self.target.looking())
    }

    fn deadline(&self) -> Option<Instant> {
        self.timers.next()
    }

    fn on_timer(&mut self, ctx: &mut Ctx, now: Instant) {
        for (at, id) in self.timers.due(now) {
            let Some(m) = self.mappings.get_mut(&id) else {
                continue;
            };
            if m.armed != Some(at) {
                continue;
            }
            m.armed = None;
            self.with_mapping(ctx, id, Mapping::run);
        }
    }

    fn finished(&self) -> bool {
        false
    }

    fn shutdown(&mut self, ctx: &mut Ctx) {
        let _ = ctx.poll.registry().deregister(&mut self.socket);
        let mut ids: Vec<u64> = self.mappings.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            self.end(ctx, id);
        }
    }
}
