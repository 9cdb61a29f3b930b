//! UDP mode: one socket that receives from anyone and sends to a chosen
//! remote, the configured default, or whoever sent last.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use mio::net::UdpSocket;
use mio::{Interest, Token};
use socket2::{Domain, Protocol, Socket, Type};

use super::addr::{canonical, resolve};
use super::conn::{MAX_QUEUE, ReadBuf};
use super::worker::{Ctx, Driver, WorkerCmd};
use super::{Event, HostPort, Mode, NetError, Target};

const SOCKET: Token = Token(1);
/// Largest UDP payload over IPv4.
const MAX_DATAGRAM: usize = 65_507;
/// Datagrams read per turn before looking at commands again.
const READS_PER_TURN: usize = 64;

/// The UDP driver.
pub(crate) struct Udp {
    socket: UdpSocket,
    local: SocketAddr,
    remote: Option<SocketAddr>,
    last_sender: Option<SocketAddr>,
    queue: VecDeque<(SocketAddr, Bytes)>,
    queued: usize,
    readable: bool,
    buf: ReadBuf,
}

impl Udp {
    /// Binds (with SO_BROADCAST) and reports `Opened`.
    pub(crate) fn open(
        ctx: &mut Ctx,
        bind: SocketAddr,
        remote: Option<HostPort>,
    ) -> Result<Udp, NetError> {
        let err = |e: io::Error| NetError::bind(bind, &e);
        let socket = Socket::new(Domain::for_address(bind), Type::DGRAM, Some(Protocol::UDP))
            .map_err(err)?;
        if bind.is_ipv6() {
            let _ = socket.set_only_v6(false);
        }
        socket.set_broadcast(true).map_err(err)?;
        socket.bind(&bind.into()).map_err(err)?;
        socket.set_nonblocking(true).map_err(err)?;
        let mut socket = UdpSocket::from_std(socket.into());
        let local = socket.local_addr().map_err(err)?;
        let remote = match remote {
            Some(r) => Some(pick_family(&resolve(&r)?, local, &r)?),
            None => None,
        };
        ctx.poll
            .registry()
            .register(&mut socket, SOCKET, Interest::READABLE | Interest::WRITABLE)
            .map_err(|e| NetError::io("cannot watch the socket", &e))?;
        ctx.emit(Event::Opened {
            mode: Mode::Udp,
            local: canonical(local),
        });
        Ok(Udp {
            socket,
            local,
            remote,
            last_sender: None,
            queue: VecDeque::new(),
            queued: 0,
            readable: true,
            buf: ReadBuf::new(),
        })
    }

    fn destination(&self, target: Target) -> Result<SocketAddr, NetError> {
        match target {
            Target::Default => self.remote.or(self.last_sender).ok_or(NetError::NoRemote),
            Target::Addr(addr) => Ok(addr),
            Target::Host(hp) => pick_family(&resolve(&hp)?, self.local, &hp),
            Target::LastSender => self.last_sender.ok_or(NetError::NoRemote),
            Target::All | Target::Peers(_) => Err(NetError::BadTarget {
                mode: Mode::Udp.name(),
            }),
        }
    }

    fn send(&mut self, ctx: &mut Ctx, target: Target, data: Bytes) {
        if data.len() > MAX_DATAGRAM {
            return ctx.error(NetError::DatagramTooLarge { len: data.len() });
        }
        let to = match self.destination(target) {
            Ok(to) => to,
            Err(e) => return ctx.error(e),
        };
        if self.queued + data.len() > MAX_QUEUE {
            return ctx.error(NetError::SendQueueFull {
                addr: to,
                dropped: data.len(),
            });
        }
        self.queued += data.len();
        ctx.shared.add_pending(data.len());
        self.queue.push_back((to, data));
        self.flush(ctx);
    }

    fn flush(&mut self, ctx: &mut Ctx) {
        while let Some((to, data)) = self.queue.front() {
            let dest = for_socket(*to, self.local);
            // mio's own `send_to`, so Windows re-arms the writable event
            // that resumes this flush (see `ReadBuf::read_stream`).
            match self.socket.send_to(data, dest) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => ctx.error(NetError::io(format!("cannot send to {to}"), &e)),
            }
            if let Some((to, data)) = self.queue.pop_front() {
                self.queued -= data.len();
                ctx.shared.sub_pending(data.len());
                ctx.emit(Event::Sent {
                    peer: None,
                    addr: to,
                    time: SystemTime::now(),
                    data,
                });
            }
        }
    }
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

    fn on_command(&mut self, ctx: &mut Ctx, cmd: WorkerCmd) {
        match cmd {
            WorkerCmd::Send { target, data } => self.send(ctx, target, data),
            WorkerCmd::Disconnect(_) => ctx.error(NetError::BadTarget {
                mode: Mode::Udp.name(),
            }),
        }
    }

    fn pump(&mut self, ctx: &mut Ctx) -> bool {
        let mut reads = 0;
        while self.readable && reads < READS_PER_TURN && ctx.sink.has_room() {
            reads += 1;
            match self.buf.recv_from(&self.socket) {
                Ok((data, from)) => {
                    let from = canonical(from);
                    self.last_sender = Some(from);
                    ctx.emit(Event::Received {
                        peer: None,
                        addr: from,
                        time: SystemTime::now(),
                        data,
                    });
                }
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
        false
    }

    fn shutdown(&mut self, ctx: &mut Ctx) {
        let _ = ctx.poll.registry().deregister(&mut self.socket);
        ctx.shared.sub_pending(self.queued);
    }
}
