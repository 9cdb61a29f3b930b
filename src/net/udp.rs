//! UDP mode: one socket that receives from anyone and sends to a chosen
//! remote, the configured default, or whoever sent last; multicast groups
//! joined and left on it. Host names are looked up off the poll loop and
//! remembered per host; sends to a host being looked up wait for it.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use mio::net::UdpSocket;
use mio::{Interest, Token};
use socket2::{Domain, Protocol, SockRef, Socket, Type};

use super::addr::canonical;
use super::conn::MAX_QUEUE;
use super::datagrams::{self, Datagram, DatagramReader, RECV_BUFFER};
use super::driver::{Ctx, Driver, SendOutcome, WorkerCmd, not_relay};
use super::multicast::{self, MulticastConfig};
use super::resolve::{Cached, Finished, HostCache};
use super::{Event, GroupOp, HostPort, Membership, Mode, NetError, SendMeta, Target};

const SOCKET: Token = Token(1);
/// Largest UDP payload over IPv4.
const MAX_DATAGRAM: usize = 65_507;
/// Batches read per turn before looking at commands again.
const BATCHES_PER_TURN: usize = 8;

/// A datagram waiting for the socket to take it.
struct Outgoing {
    to: SocketAddr,
    data: Bytes,
    meta: SendMeta,
}

/// The UDP driver.
pub(crate) struct Udp {
    socket: UdpSocket,
    local: SocketAddr,
    /// The default destination as configured, and where it is now.
    remote: Option<HostPort>,
    remote_addr: Option<SocketAddr>,
    /// False until the default destination is known and `Opened` is out.
    opened: bool,
    /// The default destination could not be found: the session ends.
    failed: bool,
    /// Groups to join once open.
    join_at_open: Vec<Membership>,
    groups: Vec<Membership>,
    last_sender: Option<SocketAddr>,
    queue: VecDeque<Outgoing>,
    /// Bytes queued or waiting for a lookup.
    queued: usize,
    names: HostCache<(Bytes, SendMeta)>,
    readable: bool,
    reader: DatagramReader,
    /// The datagrams of the batch being handed on.
    batch: Vec<Datagram>,
    /// The receive buffer granted, told once open.
    recv_buffer: Option<usize>,
    /// The system's drop count as last told.
    drops_told: Option<u64>,
}

impl Udp {
    /// Binds (with SO_BROADCAST), applies the multicast options and, once the
    /// default destination is known, reports `Opened` and joins the groups.
    pub(crate) fn open(
        ctx: &mut Ctx,
        bind: SocketAddr,
        remote: Option<HostPort>,
        multicast: MulticastConfig,
    ) -> Result<Udp, NetError> {
        let err = |e: io::Error| NetError::bind(bind, &e);
        let socket = Socket::new(Domain::for_address(bind), Type::DGRAM, Some(Protocol::UDP))
            .map_err(err)?;
        if bind.is_ipv6() {
            let _ = socket.set_only_v6(false);
        }
        socket.set_broadcast(true).map_err(err)?;
        let recv_buffer = datagrams::grow_recv_buffer(&socket, RECV_BUFFER);
        datagrams::count_drops(&socket);
        socket.bind(&bind.into()).map_err(err)?;
        socket.set_nonblocking(true).map_err(err)?;
        let mut socket = UdpSocket::from_std(socket.into());
        let local = socket.local_addr().map_err(err)?;
        if let Err(e) = multicast::apply(SockRef::from(&socket), local, &multicast.options) {
            ctx.error(e);
        }
        ctx.poll
            .registry()
            .register(&mut socket, SOCKET, Interest::READABLE | Interest::WRITABLE)
            .map_err(|e| NetError::io("cannot watch the socket", &e))?;
        let mut udp = Udp {
            socket,
            local,
            remote: remote.clone(),
            remote_addr: None,
            opened: false,
            failed: false,
            join_at_open: multicast.groups,
            groups: Vec::new(),
            last_sender: None,
            queue: VecDeque::new(),
            queued: 0,
            names: HostCache::new(),
            readable: true,
            reader: DatagramReader::new(),
            batch: Vec::with_capacity(datagrams::BATCH),
            recv_buffer,
            drops_told: None,
        };
        match remote {
            None => udp.become_open(ctx),
            Some(host) => match udp.names.get(ctx, &host) {
                Cached::Known(addrs) => {
                    let to = pick_family(addrs, local, &host)?;
                    udp.remote_addr = Some(to);
                    udp.become_open(ctx);
                }
                Cached::Failed(e) => return Err(e),
                Cached::Looking => {}
            },
        }
        Ok(udp)
    }

    fn become_open(&mut self, ctx: &mut Ctx) {
        self.opened = true;
        ctx.emit(Event::Opened {
            mode: Mode::Udp,
            local: canonical(self.local),
        });
        if let Some(granted) = self.recv_buffer {
            ctx.emit(Event::ReceiveBuffer {
                asked: RECV_BUFFER,
                granted,
            });
        }
        for m in std::mem::take(&mut self.join_at_open) {
            self.join(ctx, m);
        }
    }

    fn join(&mut self, ctx: &mut Ctx, membership: Membership) {
        match multicast::change(SockRef::from(&self.socket), self.local, &membership, true) {
            Ok(()) => {
                if !self.groups.contains(&membership) {
                    self.groups.push(membership.clone());
                }
                ctx.emit(Event::GroupJoined { membership });
            }
            Err(error) => ctx.emit(Event::GroupFailed {
                membership,
                op: GroupOp::Join,
                error,
            }),
        }
    }

    fn leave(&mut self, ctx: &mut Ctx, membership: Membership) {
        let result = match self.groups.iter().position(|g| *g == membership) {
            None => Err(NetError::NotJoined {
                group: membership.group,
            }),
            Some(i) => {
                multicast::change(SockRef::from(&self.socket), self.local, &membership, false).map(
                    |()| {
                        self.groups.remove(i);
                    },
                )
            }
        };
        match result {
            Ok(()) => ctx.emit(Event::GroupLeft { membership }),
            Err(error) => ctx.emit(Event::GroupFailed {
                membership,
                op: GroupOp::Leave,
                error,
            }),
        }
    }

    /// Sends to a host by name: at once if it is known, else after its lookup.
    fn send_to_host(
        &mut self,
        ctx: &mut Ctx,
        host: &HostPort,
        data: Bytes,
        meta: SendMeta,
    ) -> SendOutcome {
        match self.names.get(ctx, host) {
            Cached::Known(addrs) => match pick_family(addrs, self.local, host) {
                Ok(to) => self.enqueue(ctx, to, data, meta),
                Err(e) => SendOutcome::Failed(e),
            },
            Cached::Failed(e) => SendOutcome::Failed(e),
            Cached::Looking => {
                if self.queued + data.len() > MAX_QUEUE {
                    return SendOutcome::Failed(NetError::SendQueueFull {
                        addr: SocketAddr::new(self.local.ip(), host.port),
                        dropped: data.len(),
                    });
                }
                self.queued += data.len();
                ctx.shared.add_pending(data.len());
                self.names.park(host, (data, meta));
                SendOutcome::Pending
            }
        }
    }

    /// Writes a datagram now if nothing is waiting, else queues it.
    fn enqueue(
        &mut self,
        ctx: &mut Ctx,
        to: SocketAddr,
        data: Bytes,
        meta: SendMeta,
    ) -> SendOutcome {
        if self.queue.is_empty() {
            match self.socket.send_to(&data, for_socket(to, self.local)) {
                Ok(_) => {
                    ctx.emit(Event::Sent {
                        peer: None,
                        addr: to,
                        time: SystemTime::now(),
                        data,
                        meta,
                    });
                    return SendOutcome::Sent;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return SendOutcome::Failed(send_error(to, &e)),
            }
        }
        if self.queued + data.len() > MAX_QUEUE {
            return SendOutcome::Failed(NetError::SendQueueFull {
                addr: to,
                dropped: data.len(),
            });
        }
        self.queued += data.len();
        ctx.shared.add_pending(data.len());
        self.queue.push_back(Outgoing { to, data, meta });
        self.flush(ctx);
        SendOutcome::Sent
    }

    /// Writes queued datagrams until the socket would block. A datagram the
    /// OS refuses is reported and dropped (never reported as sent).
    fn flush(&mut self, ctx: &mut Ctx) {
        while let Some(out) = self.queue.front() {
            // mio's own `send_to`, so Windows re-arms the writable event
            // that resumes this flush (see `ReadBuf::read_stream`).
            let result = self
                .socket
                .send_to(&out.data, for_socket(out.to, self.local));
            match result {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                _ => {}
            }
            let Some(out) = self.queue.pop_front() else {
                return;
            };
            self.queued -= out.data.len();
            ctx.shared.sub_pending(out.data.len());
            match result {
                Ok(_) => ctx.emit(Event::Sent {
                    peer: None,
                    addr: out.to,
                    time: SystemTime::now(),
                    data: out.data,
                    meta: out.meta,
                }),
                Err(e) => ctx.error(send_error(out.to, &e)),
            }
        }
    }

    /// Handles lookups that have finished: the default destination, and
    /// sends that waited for a host.
    fn on_lookups(&mut self, ctx: &mut Ctx) {
        for Finished {
            host,
            result,
            parked,
        } in self.names.finished()
        {
            let parked_bytes: usize = parked.iter().map(|(d, _)| d.len()).sum();
            self.queued -= parked_bytes;
            ctx.shared.sub_pending(parked_bytes);
            let to = result.and_then(|addrs| pick_family(&addrs, self.local, &host));
            let is_default = self.remote.as_ref() == Some(&host);
            match to {
                Ok(to) => {
                    ctx.emit(Event::Resolved {
                        host: host.clone(),
                        addr: to,
                    });
                    if is_default {
                        self.remote_addr = Some(to);
                        if !self.opened {
                            self.become_open(ctx);
                        }
                    }
                    for (data, meta) in parked {
                        if let SendOutcome::Failed(e) = self.enqueue(ctx, to, data, meta) {
                            ctx.error(e);
                        }
                    }
                }
                Err(e) => {
                    if is_default && !self.opened {
                        self.failed = true;
                    }
                    ctx.error(e);
                }
            }
        }
    }
}

impl Udp {
    /// Reports the datagrams of a batch read (they go to the consumer
    /// together, with the worker's other events of this turn), and the
    /// system's drop count when it grew.
    fn hand_on(&mut self, ctx: &mut Ctx) {
        let time = SystemTime::now();
        for Datagram { from, data } in self.batch.drain(..) {
            let from = canonical(from);
            self.last_sender = Some(from);
            ctx.emit(Event::Received {
                message: None,
                peer: None,
                addr: from,
                time,
                data,
            });
        }
        let dropped = self.reader.dropped();
        if dropped.is_some() && dropped != self.drops_told {
            self.drops_told = dropped;
            ctx.emit(Event::SystemDropped {
                total: dropped.unwrap_or(0),
            });
        }
    }
}

fn send_error(to: SocketAddr, e: &io::Error) -> NetError {
    NetError::io(format!("cannot send to {to}"), e)
}

/// Chooses a resolved address of the same IP version as the local socket
/// (an IPv6 socket bound to `::` can also reach IPv4).
fn pick_family(
    addrs: &[SocketAddr],
    local: SocketAddr,
    typed: &HostPort,
) -> Result<SocketAddr, NetError> {
    addrs
        .iter()
        .find(|a| a.is_ipv4() == local.is_ipv4())
        .or_else(|| {
            addrs
                .iter()
                .find(|a| local.is_ipv6() && local.ip().is_unspecified() && a.is_ipv4())
        })
        .copied()
        .ok_or_else(|| NetError::FamilyMismatch {
            local,
            remote: typed.to_string(),
        })
}

/// An IPv6 socket sends to IPv4 peers through IPv4-mapped addresses.
fn for_socket(to: SocketAddr, local: SocketAddr) -> SocketAddr {
    match (to, local) {
        (SocketAddr::V4(v4), SocketAddr::V6(_)) => {
            SocketAddr::new(v4.ip().to_ipv6_mapped().into(), v4.port())
        }
        _ => to,
    }
}

impl Driver for Udp {
    fn on_ready(&mut self, ctx: &mut Ctx, event: &mio::event::Event) {
        if event.is_writable() {
            self.flush(ctx);
        }
        if event.is_readable() || event.is_error() {
            self.readable = true;
        }
    }

    fn send(&mut self, ctx: &mut Ctx, target: &Target, data: Bytes, meta: SendMeta) -> SendOutcome {
        if data.len() > MAX_DATAGRAM {
            return SendOutcome::Failed(NetError::DatagramTooLarge { len: data.len() });
        }
        let to = match target {
            Target::Default => match (self.remote_addr, self.remote.clone()) {
                (Some(to), _) => to,
                (None, Some(host)) => return self.send_to_host(ctx, &host, data, meta),
                (None, None) => match self.last_sender {
                    Some(to) => to,
                    None => return SendOutcome::Failed(NetError::NoRemote),
                },
            },
            Target::Addr(addr) => *addr,
            Target::Host(host) => return self.send_to_host(ctx, host, data, meta),
            Target::LastSender => match self.last_sender {
                Some(to) => to,
                None => return SendOutcome::Failed(NetError::NoRemote),
            },
            Target::All | Target::Peers(_) => {
                return SendOutcome::Failed(NetError::BadTarget {
                    mode: Mode::Udp.name(),
                });
            }
        };
        self.enqueue(ctx, to, data, meta)
    }

    fn on_command(&mut self, ctx: &mut Ctx, cmd: WorkerCmd) {
        match cmd {
            WorkerCmd::Join(m) => self.join(ctx, m),
            WorkerCmd::Leave(m) => self.leave(ctx, m),
            WorkerCmd::SetMulticast(opts) => {
                if let Err(e) = multicast::apply(SockRef::from(&self.socket), self.local, &opts) {
                    ctx.error(e);
                }
            }
            WorkerCmd::RefreshNames => {
                let default = self.remote.as_ref().filter(|h| h.ip().is_none());
                if let Err(e) = self.names.refresh(ctx, default) {
                    ctx.error(e);
                }
            }
            WorkerCmd::Disconnect(_) => ctx.error(NetError::BadTarget {
                mode: Mode::Udp.name(),
            }),
            WorkerCmd::Finish(_) => ctx.error(NetError::Unsupported {
                what: "finishing a connection",
                mode: Mode::Udp.name(),
            }),
            WorkerCmd::SetFaults(_) => not_relay(ctx, Mode::Udp, "faults"),
            WorkerCmd::SetRewrite(_) => not_relay(ctx, Mode::Udp, "rewrite rules"),
            WorkerCmd::Ping { .. } | WorkerCmd::WsClose { .. } => ctx.error(NetError::NotWebSocket),
            WorkerCmd::SetMessageKind(_) => {}
            WorkerCmd::Send { .. }
            | WorkerCmd::StartPeriodic { .. }
            | WorkerCmd::StopPeriodic(_)
            | WorkerCmd::Tick(_) => {}
        }
    }

    fn pump(&mut self, ctx: &mut Ctx) -> bool {
        if self.names.looking() {
            self.on_lookups(ctx);
        }
        if !self.opened {
            return false;
        }
        let mut batches = 0;
        while self.readable && batches < BATCHES_PER_TURN && ctx.sink.has_room() {
            batches += 1;
            match self.reader.read(&self.socket, &mut self.batch) {
                Ok(_) => self.hand_on(ctx),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.readable = false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // ICMP "port unreachable" from an earlier send (Windows reports
                // it on the next receive): not a reason to stop listening.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused
                    ) => {}
                Err(e) => {
                    ctx.error(NetError::io("cannot receive", &e));
                    self.readable = false;
                }
            }
        }
        self.readable
    }

    fn deadline(&self) -> Option<Instant> {
        None
    }

    fn on_timer(&mut self, _ctx: &mut Ctx, _now: Instant) {}

    fn finished(&self) -> bool {
        self.failed
    }

    fn shutdown(&mut self, ctx: &mut Ctx) {
        let _ = ctx.poll.registry().deregister(&mut self.socket);
        let _ = self.names.drain_parked();
        ctx.shared.sub_pending(self.queued);
        self.queued = 0;
    }
}
