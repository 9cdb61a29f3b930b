//! The TCP relay: one listener; each client accepted is a pair with a
//! connection of its own to the target. Each direction of a pair has a
//! bounded queue of chunks on their way (with the faults' timing on them);
//! while it is full the reading side is not read, so a slow reader holds
//! back the writer through TCP itself, and memory stays bounded.
//!
//! Reading waits for the upstream connection (the client's bytes wait in
//! the system meanwhile) and for room at the consumer, as every mode does.
//! Each chunk read is reported ([`Event::Relayed`]) and then written, as
//! the same bytes (no copy), to the other leg.
//!
//! Ends are passed on: a FIN becomes a shutdown of the other leg's writing
//! once what was read before it is written; a reset (or any other error)
//! resets the other leg. A pair ends when both directions have finished,
//! and reports [`Event::PeerClosed`] for the upstream leg, then for the
//! client's leg (the pair's last event); when the client's leg broke, its
//! own comes first (the first a pair reports is the reason shown).
//!
//! TLS on a leg ([`RelayConfig::tls_listen`], [`RelayConfig::tls_upstream`])
//! sits between the socket and the pair's queues: what is read is
//! decrypted before it is reported and queued, and what is queued is
//! encrypted as it is written, so events and faults see the plaintext.
//! The handshake's end is [`Event::TlsEstablished`] (with the client's or
//! the target's address); nothing is written to a leg before it, and a
//! FIN to a TLS leg follows its close_notify. A TLS failure breaks the
//! pair: the leg reports [`CloseReason::Tls`], its alert is followed by a
//! FIN, and the other leg is reset.
//!
//! How each pair's legs end, in [`Event::PeerClosed`]: both
//! [`CloseReason::Orderly`] after a FIN each way; a leg that reset (or
//! failed) with its reason, and the other leg, which the relay then
//! resets, [`CloseReason::Local`]; both `Local` when the relay ends the
//! pair (a disconnect, the session's close, an end fault). A pair whose
//! upstream could not be connected reports [`Event::UpstreamFailed`], then
//! its client's leg closes (a FIN; what the client sent is read and
//! dropped unreported, as it never went anywhere).
//!
//! Both legs have TCP_NODELAY, so a slice fault's pieces each go in a
//! segment of their own.
//!
//! [`WorkerCmd::Finish`] finishes both legs: each gets a FIN once its
//! queue is written, and what either side sends afterwards is reported
//! but goes nowhere (its other leg has been finished); the pair ends when
//! both sides have finished too. A send command writes to clients, as the
//! TCP server does, after what is queued to them.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Token};

use super::arena::Arena;
use super::faults::{Bucket, EndCount, later, piece_len, release_at};
use super::sched::Timers;
use super::target::{Lookup, TargetAddrs};
use super::{EndHow, FaultEvent, FaultSet, Faults, Flow, RelayConfig, Rewriter, Slice};
use crate::net::addr::canonical;
use crate::net::conn::{MAX_QUEUE, ReadBuf, close_reason};
use crate::net::driver::{Ctx, Driver, SendOutcome, WorkerCmd, no_multicast};
use crate::net::tcp_client::{CONNECT_TIMEOUT, connect_progress, start_connect};
use crate::net::tcp_server::{accept_next, listen};
use crate::net::tls::layer::TlsLayer;
use crate::net::tls::setup::{self, ClientTls, ServerTls};
use crate::net::tls::{TlsFailure, TlsFailureKind};
use crate::net::{CloseReason, Event, Mode, NetError, PeerId, SendMeta, Target};

const LISTENER: Token = Token(1);
/// Reads per direction of a pair per turn, so one busy pair cannot starve
/// the others.
const READS_PER_TURN: usize = 16;
/// Relayed bytes one direction of a pair holds while its writer cannot
/// keep up; reading that direction stops at this (a read adds at most one
/// chunk more).
pub(crate) const DIR_QUEUE: usize = 512 * 1024;
/// Write calls per direction per turn (slicing makes many small ones).
const WRITES_PER_TURN: usize = 1024;
/// What is read (and reported) from a leg that is being closed, so that a
/// close is a FIN and not a reset for unread bytes.
const DRAIN_LIMIT: usize = 256 * 1024;

/// One of a pair's two connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// To the client.
    Client,
    /// To the target.
    Upstream,
}

/// The side that reads for a flow, and the one that writes.
fn sides(flow: Flow) -> (Side, Side) {
    match flow {
        Flow::Up => (Side::Client, Side::Upstream),
        Flow::Down => (Side::Upstream, Side::Client),
    }
}

fn client_token(id: u64) -> Token {
    Token(id as usize * 2)
}

fn upstream_token(id: u64) -> Token {
    Token(id as usize * 2 + 1)
}

/// A connected leg.
struct Leg {
    stream: TcpStream,
    /// The remote end (client or target), as reported.
    addr: SocketAddr,
    /// Readiness seen and not yet read to `WouldBlock`.
    readable: bool,
    /// The TLS layer, when this leg speaks TLS.
    tls: Option<Box<TlsLayer>>,
}

impl Leg {
    fn plain(stream: TcpStream, addr: SocketAddr, readable: bool) -> Leg {
        Leg {
            stream,
            addr,
            readable,
            tls: None,
        }
    }

    /// TLS: writes the ciphertext waiting until none is left (`Ok(true)`)
    /// or the system would block (`Ok(false)`). A send command's bytes
    /// are reported as sent once the ciphertext that ends them is written.
    fn write_cipher(&mut self, ctx: &mut Ctx, peer: PeerId) -> Result<bool, CloseReason> {
        let Some(tls) = self.tls.as_deref_mut() else {
            return Ok(true);
        };
        while tls.has_output() {
            // mio's own `write` (see `Arena::read_stream`).
            match self.stream.write(&tls.out[tls.out_written..]) {
                Ok(n) => {
                    let addr = self.addr;
                    tls.wrote(n, |_, done| {
                        if let Some((data, meta)) = done {
                            ctx.emit(Event::Sent {
                                peer: Some(peer),
                                addr,
                                time: SystemTime::now(),
                                data,
                                meta,
                            });
                        }
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(close_reason(&e)),
            }
        }
        Ok(true)
    }

    /// TLS: writes what the layer has ready once, whatever comes of it
    /// (an alert before a close).
    fn write_cipher_once(&mut self) {
        if let Some(tls) = self.tls.as_deref_mut()
            && tls.has_output()
        {
            let _ = self.stream.write(&tls.out[tls.out_written..]);
        }
    }
}

/// A TLS failure that is not the peer's doing (the layer could not be
/// made).
fn local_failure(e: &rustls::Error) -> CloseReason {
    let text = e.to_string();
    CloseReason::Tls(TlsFailure::local(TlsFailureKind::Other(text.clone()), text))
}

/// The pair's connection to the target.
enum Upstream {
    /// Waiting for the target's addresses.
    Waiting,
    /// A connect under way.
    Connecting {
        stream: TcpStream,
        addr: SocketAddr,
        rest: VecDeque<SocketAddr>,
        deadline: Instant,
    },
    /// Connected.
    Up(Leg),
}

/// Bytes on their way to one leg.
struct Chunk {
    data: Bytes,
    /// Bytes written so far.
    at: usize,
    /// Delay: not before this.
    not_before: Option<Instant>,
    /// Slicing in force when it was read.
    slice: Option<Slice>,
    /// Bytes left of the piece being written.
    piece_left: usize,
    /// Pieces begun.
    pieces: u32,
    /// From a send command (reported as sent once written), not relayed.
    sent: Option<SendMeta>,
}

/// One direction of a pair.
#[derive(Default)]
struct Dir {
    queue: VecDeque<Chunk>,
    /// Relayed bytes queued (counted against [`DIR_QUEUE`]).
    relayed: usize,
    /// Bytes of send commands queued (counted as pending sends).
    injected: usize,
    /// Slicing's gap: no write before this.
    gate: Option<Instant>,
    /// When the head of the queue may go, if it waits for a time.
    wait: Option<Instant>,
    bucket: Option<Bucket>,
    /// Delay: when the last chunk goes (none goes before it).
    last_release: Option<Instant>,
    end: EndCount,
    /// The reading side has finished (FIN read).
    eof: bool,
    /// The writing side gets a FIN once the queue is written.
    finish: bool,
    /// The writing side has been shut (FIN sent).
    shut: bool,
    /// An end fault blackholed this direction: reads go nowhere.
    blackhole: bool,
    /// The pair is being finished or closed: reads go nowhere.
    closing: bool,
    /// A reset fault waits for this queue to be written.
    reset_when_drained: bool,
}

impl Dir {
    fn new(faults: &FaultSet, now: Instant) -> Dir {
        let mut dir = Dir::default();
        dir.set_faults(faults, now);
        dir
    }

    /// New faults: counts start again, a blackhole is lifted.
    fn set_faults(&mut self, faults: &FaultSet, now: Instant) {
        self.end = EndCount::default();
        self.blackhole = false;
        self.bucket = faults.rate.map(|rate| Bucket::new(rate, now));
    }

    /// Nothing more will be read or written this way.
    fn over(&self) -> bool {
        self.eof && (self.shut || (self.blackhole && !self.finish))
    }
}

/// What identifies a pair in events.
#[derive(Clone, Copy)]
struct Ids {
    peer: PeerId,
    client: SocketAddr,
}

/// What a pair's work needs from the driver.
struct Cx<'a> {
    ctx: &'a mut Ctx,
    buf: &'a mut Arena,
    rng: &'a mut fastrand::Rng,
    faults: &'a Faults,
    /// The rewrite rules, if any.
    rewrite: Option<&'a Rewriter>,
    now: Instant,
    /// Ciphertext is read here (it is consumed at once).
    cipher: &'a mut ReadBuf,
    /// TLS towards the target, if the relay speaks it.
    upstream_tls: Option<&'a ClientTls>,
}

/// How a pair ends.
enum Ending {
    /// Both directions finished: a FIN each way.
    Orderly,
    /// We end it (a command, the session's close, a fault); `abort`
    /// resets both legs.
    Local { abort: bool },
    /// One leg broke (a reset or another error); the other is reset.
    Broke { side: Side, how: CloseReason },
    /// The target could not be reached (`None`: it has no address).
    NoUpstream(Option<NetError>),
}

/// A client and its connection to the target.
struct Pair {
    id: u64,
    ids: Ids,
    client: Leg,
    upstream: Upstream,
    up: Dir,
    down: Dir,
    /// In the driver's ready list.
    in_ready: bool,
    /// The wake-up armed in the driver's timers.
    armed: Option<Instant>,
    /// An end fault at work (close or reset).
    ending: Option<EndHow>,
    /// The client sent something since the driver last looked.
    client_sent: bool,
}

impl Pair {
    fn dir(&mut self, flow: Flow) -> &mut Dir {
        match flow {
            Flow::Up => &mut self.up,
            Flow::Down => &mut self.down,
        }
    }

    fn upstream_leg(&self) -> Option<&Leg> {
        match &self.upstream {
            Upstream::Up(leg) => Some(leg),
            _ => None,
        }
    }

    /// True when the reading side of `flow` may be read now (consumer
    /// room aside).
    fn can_read(&self, flow: Flow) -> bool {
        let Some(upstream) = self.upstream_leg() else {
            return false;
        };
        let (reader, dir) = match flow {
            Flow::Up => (&self.client, &self.up),
            Flow::Down => (upstream, &self.down),
        };
        reader.readable && !dir.eof && dir.relayed < DIR_QUEUE && self.ending != Some(EndHow::Reset)
    }

    /// The next time this pair has something to do.
    fn next_wake(&self) -> Option<Instant> {
        let connect = match &self.upstream {
            Upstream::Connecting { deadline, .. } => Some(*deadline),
            _ => None,
        };
        [self.up.wait, self.down.wait, connect]
            .into_iter()
            .flatten()
            .min()
    }

    /// How the pair ends now, if it does.
    fn over(&self) -> Option<Ending> {
        self.upstream_leg()?;
        match self.ending {
            Some(EndHow::Reset) => {
                let drained = |d: &Dir| d.reset_when_drained && d.queue.is_empty();
                if drained(&self.up) || drained(&self.down) {
                    return Some(Ending::Local { abort: true });
                }
            }
            Some(EndHow::Close) if self.up.shut && self.down.shut => {
                return Some(Ending::Local { abort: false });
            }
            _ => {}
        }
        (self.up.over() && self.down.over()).then_some(Ending::Orderly)
    }

    /// Starts connecting to the first of `rest` that takes a connect.
    fn connect(
        &mut self,
        ctx: &mut Ctx,
        mut rest: VecDeque<SocketAddr>,
        mut last: Option<NetError>,
    ) -> Result<(), Ending> {
        while let Some(addr) = rest.pop_front() {
            let mut stream = match start_connect(addr, None) {
                Ok(stream) => stream,
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            let token = upstream_token(self.id);
            let interest = Interest::READABLE | Interest::WRITABLE;
            if let Err(e) = ctx.poll.registry().register(&mut stream, token, interest) {
                last = Some(NetError::io("cannot watch the upstream connection", &e));
                continue;
            }
            self.upstream = Upstream::Connecting {
                stream,
                addr,
                rest,
                deadline: Instant::now() + CONNECT_TIMEOUT,
            };
            return Ok(());
        }
        Err(Ending::NoUpstream(last))
    }

    /// The address being tried failed: the next one, or the end.
    fn next_address(&mut self, ctx: &mut Ctx, err: NetError) -> Result<(), Ending> {
        let Upstream::Connecting {
            mut stream, rest, ..
        } = std::mem::replace(&mut self.upstream, Upstream::Waiting)
        else {
            return Ok(());
        };
        let _ = ctx.poll.registry().deregister(&mut stream);
        self.connect(ctx, rest, Some(err))
    }

    /// A readiness event on the connecting upstream socket.
    fn check_connect(&mut self, cx: &mut Cx) -> Result<(), Ending> {
        let Upstream::Connecting { stream, addr, .. } = &self.upstream else {
            return Ok(());
        };
        match connect_progress(stream, *addr) {
            Ok(false) => Ok(()),
            Ok(true) => self.connected(cx.ctx, cx.upstream_tls),
            Err(e) => self.next_address(cx.ctx, e),
        }
    }

    /// The upstream connection is up; with TLS its ClientHello is queued
    /// (it goes with the next flush).
    fn connected(&mut self, ctx: &mut Ctx, tls: Option<&ClientTls>) -> Result<(), Ending> {
        let Upstream::Connecting { stream, addr, .. } =
            std::mem::replace(&mut self.upstream, Upstream::Waiting)
        else {
            return Ok(());
        };
        let _ = stream.set_nodelay(true);
        let addr = canonical(addr);
        let local = stream.local_addr().map(canonical).unwrap_or(addr);
        ctx.emit(Event::UpstreamConnected {
            peer: self.ids.peer,
            addr,
            local,
        });
        let mut leg = Leg::plain(stream, addr, true);
        let layer = tls.map(TlsLayer::client).transpose();
        let failed = match layer {
            Ok(layer) => {
                leg.tls = layer.map(Box::new);
                None
            }
            Err(e) => Some(local_failure(&e)),
        };
        self.upstream = Upstream::Up(leg);
        // Whatever the client sent meanwhile waits to be read.
        self.client.readable = true;
        match failed {
            Some(how) => Err(Ending::Broke {
                side: Side::Upstream,
                how,
            }),
            None => Ok(()),
        }
    }

    /// A readiness event on one leg.
    fn on_event(
        &mut self,
        side: Side,
        event: &mio::event::Event,
        cx: &mut Cx,
    ) -> Result<(), Ending> {
        if side == Side::Upstream && matches!(self.upstream, Upstream::Connecting { .. }) {
            return self.check_connect(cx);
        }
        let read_over = match side {
            Side::Client => self.up.eof,
            Side::Upstream => self.down.eof,
        };
        let leg = match side {
            Side::Client => &mut self.client,
            Side::Upstream => match &mut self.upstream {
                Upstream::Up(leg) => leg,
                _ => return Ok(()),
            },
        };
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            leg.readable = true;
        }
        // A reset shows here when nothing reads the leg any more.
        if event.is_error() || (read_over && event.is_write_closed()) {
            match leg.stream.take_error() {
                Ok(Some(e)) | Err(e) => {
                    return Err(Ending::Broke {
                        side,
                        how: close_reason(&e),
                    });
                }
                Ok(None) => {}
            }
        }
        if event.is_writable() {
            let flow = match side {
                Side::Client => Flow::Down,
                Side::Upstream => Flow::Up,
            };
            self.flush(flow, cx)?;
        }
        Ok(())
    }

    /// Everything due: a connect timeout, writes, reads.
    fn run(&mut self, cx: &mut Cx) -> Result<(), Ending> {
        if let Upstream::Connecting { addr, deadline, .. } = &self.upstream
            && *deadline <= cx.now
        {
            let addr = *addr;
            self.next_address(cx.ctx, NetError::ConnectTimeout { addr })?;
        }
        self.flush(Flow::Up, cx)?;
        self.flush(Flow::Down, cx)?;
        self.read(Flow::Up, cx)?;
        self.read(Flow::Down, cx)
    }

    /// Writes what may go now in `flow`.
    fn flush(&mut self, flow: Flow, cx: &mut Cx) -> Result<(), Ending> {
        let ids = self.ids;
        let (writer, dir) = match flow {
            Flow::Up => match &mut self.upstream {
                Upstream::Up(leg) => (leg, &mut self.up),
                _ => return Ok(()),
            },
            Flow::Down => (&mut self.client, &mut self.down),
        };
        flush(writer, dir, flow, ids, cx).map_err(|how| Ending::Broke {
            side: sides(flow).1,
            how,
        })
    }

    /// Reads a few chunks in `flow` and passes them on.
    fn read(&mut self, flow: Flow, cx: &mut Cx) -> Result<(), Ending> {
        for _ in 0..READS_PER_TURN {
            if !self.can_read(flow) || !cx.ctx.sink.has_room() {
                return Ok(());
            }
            let reader = match (flow, &mut self.upstream) {
                (Flow::Up, _) => &mut self.client,
                (Flow::Down, Upstream::Up(leg)) => leg,
                (Flow::Down, _) => return Ok(()),
            };
            if reader.tls.is_some() {
                if !self.read_tls(flow, cx)? {
                    return Ok(());
                }
                continue;
            }
            let got = loop {
                match cx.buf.read_stream(&reader.stream) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other,
                }
            };
            match got {
                Ok(Some(data)) => self.take(flow, data, cx)?,
                Ok(None) => {
                    reader.readable = false;
                    let addr = reader.addr;
                    return self.finished_reading(flow, addr, cx);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    reader.readable = false;
                    return Ok(());
                }
                Err(e) => {
                    return Err(Ending::Broke {
                        side: sides(flow).0,
                        how: close_reason(&e),
                    });
                }
            }
        }
        Ok(())
    }

    /// Reads one batch of ciphertext from the TLS leg that reads for
    /// `flow`: the handshake's end is reported, what the layer answers is
    /// written, and the plaintext goes on as a plain leg's bytes would.
    /// `Ok(false)` when there is nothing more to read now.
    fn read_tls(&mut self, flow: Flow, cx: &mut Cx) -> Result<bool, Ending> {
        let side = sides(flow).0;
        let peer = self.ids.peer;
        let reader = match (flow, &mut self.upstream) {
            (Flow::Up, _) => &mut self.client,
            (Flow::Down, Upstream::Up(leg)) => leg,
            (Flow::Down, _) => return Ok(false),
        };
        let addr = reader.addr;
        let Some(tls) = reader.tls.as_deref_mut() else {
            return Ok(false);
        };
        let input = loop {
            match cx.cipher.read_borrowed(&reader.stream) {
                Ok(Some(cipher)) => break tls.input(cipher),
                Ok(None) => {
                    reader.readable = false;
                    if let Some(failure) = tls.eof_failure() {
                        return Err(Ending::Broke {
                            side,
                            how: CloseReason::Tls(failure),
                        });
                    }
                    self.finished_reading(flow, addr, cx)?;
                    return Ok(false);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    reader.readable = false;
                    return Ok(false);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(Ending::Broke {
                        side,
                        how: close_reason(&e),
                    });
                }
            }
        };
        let input = match input {
            Ok(input) => input,
            Err(failure) => {
                // The alert rustls made goes out before the close (no
                // close_notify after a fatal alert).
                tls.close_notify_sent = true;
                reader.write_cipher_once();
                return Err(Ending::Broke {
                    side,
                    how: CloseReason::Tls(failure),
                });
            }
        };
        if let Some(err) = tls.key_log_error() {
            cx.ctx.error(err);
        }
        if let Some(info) = tls.newly_established() {
            cx.ctx.emit(Event::TlsEstablished {
                peer,
                addr,
                info: Box::new(info),
            });
        }
        // Handshake answers, and what waited for the handshake.
        self.flush(other(flow), cx)?;
        if !input.plain.is_empty() {
            self.take(flow, Bytes::from(input.plain), cx)?;
        }
        if input.peer_closed {
            if let Some(reader) = self.reader(flow) {
                reader.readable = false;
            }
            self.finished_reading(flow, addr, cx)?;
            return Ok(false);
        }
        Ok(true)
    }

    /// The leg that reads for `flow`, once it is connected.
    fn reader(&mut self, flow: Flow) -> Option<&mut Leg> {
        match (flow, &mut self.upstream) {
            (Flow::Up, _) => Some(&mut self.client),
            (Flow::Down, Upstream::Up(leg)) => Some(leg),
            (Flow::Down, _) => None,
        }
    }

    /// The reading side of `flow` sent its FIN: it is passed on once the
    /// queue is written (unless this direction is blackholed or closing).
    fn finished_reading(
        &mut self,
        flow: Flow,
        addr: SocketAddr,
        cx: &mut Cx,
    ) -> Result<(), Ending> {
        cx.ctx.emit(Event::HalfClosed {
            peer: self.ids.peer,
            addr,
        });
        let dir = self.dir(flow);
        dir.eof = true;
        if !dir.blackhole && !dir.closing {
            dir.finish = true;
        }
        self.flush(flow, cx)
    }

    /// One chunk read in `flow`: reported, put through the faults, queued
    /// and written as far as it may go now.
    fn take(&mut self, flow: Flow, data: Bytes, cx: &mut Cx) -> Result<(), Ending> {
        let from = match (flow, &self.upstream) {
            (Flow::Down, Upstream::Up(leg)) => leg.addr,
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
        if flow == Flow::Up {
            self.client_sent = true;
        }
        let all: &Faults = cx.faults;
        let faults = all.of(flow);
        let dir = self.dir(flow);
        if dir.blackhole || dir.closing {
            return Ok(());
        }
        let mut data = data;
        let mut fired = None;
        if let Some(end) = &faults.end_after {
            let (pass, fire) = dir.end.cut(end, data.len());
            data.truncate(pass);
            if fire {
                fired = Some(end.how);
            }
        }
        if !data.is_empty() {
            let not_before = faults
                .delay
                .as_ref()
                .map(|delay| release_at(cx.now, delay, dir.last_release, cx.rng));
            if not_before.is_some() {
                dir.last_release = not_before;
            }
            dir.relayed += data.len();
            dir.queue.push_back(Chunk {
                data,
                at: 0,
                not_before,
                slice: faults.slice,
                piece_left: 0,
                pieces: 0,
                sent: None,
            });
        }
        if let Some(how) = fired {
            let after = dir.end.forwarded;
            cx.ctx.emit(Event::FaultFired {
                peer: self.ids.peer,
                flow,
                client: self.ids.client,
                fault: FaultEvent::Ended { after, how },
            });
            self.end_fault(flow, how);
            // The other way may have a FIN to send now.
            self.flush(other(flow), cx)?;
        }
        self.flush(flow, cx)
    }

    /// An end fault fired in `flow`.
    fn end_fault(&mut self, flow: Flow, how: EndHow) {
        match how {
            EndHow::Blackhole => self.dir(flow).blackhole = true,
            EndHow::Close => {
                self.ending = Some(EndHow::Close);
                for dir in [&mut self.up, &mut self.down] {
                    dir.closing = true;
                    dir.finish = true;
                }
            }
            EndHow::Reset => {
                self.ending = Some(EndHow::Reset);
                self.up.closing = true;
                self.down.closing = true;
                self.dir(flow).reset_when_drained = true;
            }
        }
    }

    /// Finishes both legs (a FIN each once its queue is written).
    fn finish(&mut self) {
        for dir in [&mut self.up, &mut self.down] {
            dir.closing = true;
            dir.finish = true;
        }
    }

    /// Queues bytes of a send command to the client.
    /// `Ok(Err(_))`: the send is refused; `Err(_)`: writing showed the
    /// pair is over.
    fn inject(
        &mut self,
        cx: &mut Cx,
        data: Bytes,
        meta: SendMeta,
    ) -> Result<Result<(), SendOutcome>, Ending> {
        let addr = self.ids.client;
        let dir = &mut self.down;
        if dir.finish || dir.shut {
            return Ok(Err(SendOutcome::Gone(NetError::SendingFinished { addr })));
        }
        if data.is_empty() {
            return Ok(Ok(()));
        }
        if dir.injected + data.len() > MAX_QUEUE {
            return Ok(Err(SendOutcome::Failed(NetError::SendQueueFull {
                addr,
                dropped: data.len(),
            })));
        }
        dir.injected += data.len();
        cx.ctx.shared.add_pending(data.len());
        dir.queue.push_back(Chunk {
            data,
            at: 0,
            not_before: None,
            slice: None,
            piece_left: 0,
            pieces: 0,
            sent: Some(meta),
        });
        self.flush(Flow::Down, cx)?;
        Ok(Ok(()))
    }

    /// Reads what is waiting on a leg about to be closed, reporting it, so
    /// the close sends a FIN rather than a reset for unread bytes.
    fn drain(&mut self, cx: &mut Cx) {
        if self.upstream_leg().is_none() {
            return;
        }
        for flow in [Flow::Up, Flow::Down] {
            let mut left = DRAIN_LIMIT;
            while left > 0 && cx.ctx.sink.has_room() {
                let ids = self.ids;
                let Some(reader) = self.reader(flow) else {
                    break;
                };
                if let Some(tls) = reader.tls.as_deref_mut() {
                    // Through the TLS layer: only plaintext is reported.
                    let got = match cx.cipher.read_borrowed(&reader.stream) {
                        Ok(Some(cipher)) => {
                            left = left.saturating_sub(cipher.len());
                            tls.input(cipher)
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        _ => break,
                    };
                    let Ok(input) = got else {
                        break;
                    };
                    if !input.plain.is_empty() {
                        cx.ctx.emit(Event::Relayed {
                            peer: ids.peer,
                            flow,
                            client: ids.client,
                            time: SystemTime::now(),
                            data: Bytes::from(input.plain),
                            rewritten: false,
                        });
                    }
                    if input.peer_closed {
                        break;
                    }
                    continue;
                }
                match cx.buf.read_stream(&reader.stream) {
                    Ok(Some(data)) => {
                        left = left.saturating_sub(data.len());
                        cx.ctx.emit(Event::Relayed {
                            peer: self.ids.peer,
                            flow,
                            client: self.ids.client,
                            time: SystemTime::now(),
                            data,
                            rewritten: false,
                        });
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    _ => break,
                }
            }
        }
    }
}

fn other(flow: Flow) -> Flow {
    match flow {
        Flow::Up => Flow::Down,
        Flow::Down => Flow::Up,
    }
}

/// Writes the queue of `dir` to `writer` until it is empty, the system
/// would block, or a fault's time says wait (`dir.wait`); then the FIN,
/// if one is due. `Err` when writing shows the connection is over.
///
/// On a TLS leg the faults act on the plaintext: each piece is encrypted
/// (as records of its own) when the ciphertext before it has been written,
/// and written at once, so at most one piece's ciphertext waits beside the
/// plaintext queue. Nothing is encrypted before the handshake's end; a FIN
/// is preceded by close_notify.
fn flush(
    writer: &mut Leg,
    dir: &mut Dir,
    flow: Flow,
    ids: Ids,
    cx: &mut Cx,
) -> Result<(), CloseReason> {
    dir.wait = None;
    if writer.tls.is_some() && dir.shut {
        // Nothing goes after our FIN (the layer's answers are dropped).
        return Ok(());
    }
    let mut writes = 0;
    loop {
        if let Some(tls) = writer.tls.as_deref() {
            if tls.has_output() && !writer.write_cipher(cx.ctx, ids.peer)? {
                return Ok(());
            }
            if writer.tls.as_deref().is_some_and(TlsLayer::handshaking) {
                return Ok(());
            }
        }
        let Some(head) = dir.queue.front_mut() else {
            break;
        };
        if writes == WRITES_PER_TURN {
            // More next turn, after the others.
            dir.wait = Some(cx.now);
            return Ok(());
        }
        if let Some(at) = head.not_before
            && at > cx.now
        {
            dir.wait = Some(at);
            return Ok(());
        }
        if let Some(gate) = dir.gate {
            if gate > cx.now {
                dir.wait = Some(gate);
                return Ok(());
            }
            dir.gate = None;
        }
        let left = head.data.len() - head.at;
        let mut len = left;
        if let Some(slice) = head.slice {
            if head.piece_left == 0 {
                head.piece_left = piece_len(&slice, left, cx.rng);
                head.pieces += 1;
            }
            len = head.piece_left;
        }
        if let Some(bucket) = &mut dir.bucket {
            let allowed = bucket.available(cx.now);
            if allowed == 0 {
                dir.wait = Some(bucket.ready_at());
                return Ok(());
            }
            len = len.min(usize::try_from(allowed).unwrap_or(usize::MAX));
        }
        writes += 1;
        let piece = &head.data[head.at..head.at + len];
        let n = match writer.tls.as_deref_mut() {
            Some(tls) => match tls.encrypt(piece) {
                // rustls takes nothing now: again next turn.
                0 => {
                    dir.wait = Some(cx.now);
                    return Ok(());
                }
                n => n.min(len),
            },
            // mio's own `write` (see `Arena::read_stream`).
            None => match writer.stream.write(piece) {
                Ok(n) => n.min(len),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(close_reason(&e)),
            },
        };
        head.at += n;
        if let Some(bucket) = &mut dir.bucket {
            bucket.spend(n);
        }
        if head.sent.is_some() {
            dir.injected -= n;
            cx.ctx.shared.sub_pending(n);
        } else {
            dir.relayed -= n;
        }
        if let Some(slice) = head.slice {
            head.piece_left -= n;
            if head.piece_left == 0 && !slice.gap.is_zero() {
                dir.gate = Some(later(cx.now, slice.gap));
            }
        }
        if head.at < head.data.len() {
            continue;
        }
        let Some(done) = dir.queue.pop_front() else {
            break;
        };
        if let (Some(meta), Some(tls)) = (done.sent, writer.tls.as_deref_mut()) {
            // Reported once its ciphertext is written.
            tls.mark(0, Some((done.data.clone(), meta)));
        } else if let Some(meta) = done.sent {
            cx.ctx.emit(Event::Sent {
                peer: Some(ids.peer),
                addr: writer.addr,
                time: SystemTime::now(),
                data: done.data,
                meta,
            });
        }
        if let Some(slice) = done.slice
            && done.pieces > 1
        {
            cx.ctx.emit(Event::FaultFired {
                peer: ids.peer,
                flow,
                client: ids.client,
                fault: FaultEvent::Sliced {
                    pieces: done.pieces,
                    max: slice.max,
                },
            });
        }
    }
    if dir.queue.is_empty() && dir.finish && !dir.shut {
        if let Some(tls) = writer.tls.as_deref_mut() {
            tls.close_notify();
            if !writer.write_cipher(cx.ctx, ids.peer)? {
                return Ok(());
            }
        }
        writer
            .stream
            .shutdown(Shutdown::Write)
            .map_err(|e| close_reason(&e))?;
        dir.shut = true;
    }
    Ok(())
}

/// The TCP relay driver.
pub(crate) struct TcpRelay {
    listener: TcpListener,
    target: TargetAddrs,
    target_host: String,
    pairs: HashMap<u64, Pair>,
    /// Pairs with something to read.
    ready: VecDeque<u64>,
    /// Pairs waiting for the target's lookup.
    waiting: Vec<u64>,
    timers: Timers,
    next_id: u64,
    /// The pair whose client sent last.
    last_sender: Option<u64>,
    accept_retry_at: Option<Instant>,
    buf: Arena,
    /// Ciphertext is read here.
    cipher: ReadBuf,
    rng: fastrand::Rng,
    faults: Faults,
    rewrite: Option<Rewriter>,
    /// TLS towards the clients, if the relay speaks it.
    tls_listen: Option<ServerTls>,
    /// TLS towards the target, if the relay speaks it.
    tls_upstream: Option<ClientTls>,
}

impl TcpRelay {
    /// Binds and listens, reporting `Opened` with the real address. With
    /// TLS on either leg, its files are loaded first (a bad one fails the
    /// open before anything is bound), and a TLS listener's
    /// `TlsServerReady` follows `Opened`.
    pub(crate) fn open(ctx: &mut Ctx, config: RelayConfig) -> Result<TcpRelay, NetError> {
        let tls_listen = match &config.tls_listen {
            Some(cfg) => Some(setup::server(cfg, config.listen)?),
            None => None,
        };
        let tls_upstream = match &config.tls_upstream {
            Some(cfg) => Some(setup::client(cfg, &config.target.host)?),
            None => None,
        };
        let mut listener = TcpListener::from_std(listen(config.listen)?);
        let local = listener
            .local_addr()
            .map_err(|e| NetError::bind(config.listen, &e))?;
        ctx.poll
            .registry()
            .register(&mut listener, LISTENER, Interest::READABLE)
            .map_err(|e| NetError::io("cannot watch the listener", &e))?;
        ctx.emit(Event::Opened {
            mode: Mode::Relay,
            local: canonical(local),
        });
        if let Some(tls) = &tls_listen {
            ctx.emit(Event::TlsServerReady {
                cert: Box::new(tls.cert.clone()),
                self_signed: tls.self_signed.clone(),
            });
            if let Some(err) = tls.key_log_error() {
                ctx.error(err);
            }
        }
        if let Some(err) = tls_upstream.as_ref().and_then(ClientTls::key_log_error) {
            ctx.error(err);
        }
        Ok(TcpRelay {
            listener,
            target_host: config.target.host.clone(),
            target: TargetAddrs::new(config.target),
            pairs: HashMap::new(),
            ready: VecDeque::new(),
            waiting: Vec::new(),
            timers: Timers::default(),
            next_id: 1,
            last_sender: None,
            accept_retry_at: None,
            buf: Arena::new(),
            cipher: ReadBuf::new(),
            rng: fastrand::Rng::new(),
            faults: config.faults,
            rewrite: config.rewrite,
            tls_listen,
            tls_upstream,
        })
    }

    fn accept_all(&mut self, ctx: &mut Ctx) {
        while let Some((stream, addr)) = accept_next(&self.listener, ctx, &mut self.accept_retry_at)
        {
            self.add(ctx, stream, addr);
        }
    }

    fn add(&mut self, ctx: &mut Ctx, mut stream: TcpStream, addr: SocketAddr) {
        let id = self.next_id;
        self.next_id += 1;
        let _ = stream.set_nodelay(true);
        let addr = canonical(addr);
        let local = stream.local_addr().map(canonical).unwrap_or(addr);
        let tls = match self.tls_listen.as_ref().map(TlsLayer::server).transpose() {
            Ok(layer) => layer.map(Box::new),
            Err(e) => {
                return ctx.error(NetError::TlsSetup {
                    message: e.to_string(),
                });
            }
        };
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(e) = ctx
            .poll
            .registry()
            .register(&mut stream, client_token(id), interest)
        {
            return ctx.error(NetError::io("cannot watch a new client", &e));
        }
        let peer = PeerId(id);
        ctx.emit(Event::Connected { peer, addr, local });
        let now = Instant::now();
        let pair = Pair {
            id,
            ids: Ids { peer, client: addr },
            client: Leg {
                stream,
                addr,
                readable: false,
                tls,
            },
            upstream: Upstream::Waiting,
            up: Dir::new(&self.faults.up, now),
            down: Dir::new(&self.faults.down, now),
            in_ready: false,
            armed: None,
            ending: None,
            client_sent: false,
        };
        self.pairs.insert(id, pair);
        match self.target.get(ctx) {
            Lookup::Known(addrs) => self.connect(ctx, id, Ok(addrs)),
            Lookup::Looking => self.waiting.push(id),
            Lookup::Failed(err) => self.connect(ctx, id, Err(err)),
        }
    }

    /// Starts a pair's connect once the target's addresses are known.
    fn connect(&mut self, ctx: &mut Ctx, id: u64, addrs: Result<Vec<SocketAddr>, NetError>) {
        let Some(pair) = self.pairs.get_mut(&id) else {
            return;
        };
        let result = match addrs {
            Ok(addrs) => pair.connect(ctx, addrs.into(), None),
            Err(err) => Err(Ending::NoUpstream(Some(err))),
        };
        self.settle(ctx, id, result);
    }

    /// Connects the pairs that waited for a lookup that has ended.
    fn on_lookup(&mut self, ctx: &mut Ctx) {
        if !self.target.looking() {
            return;
        }
        let Some(result) = self.target.finished() else {
            return;
        };
        for id in std::mem::take(&mut self.waiting) {
            self.connect(ctx, id, result.clone());
        }
    }

    /// Runs `work` on pair `id` with what it needs, then settles it.
    fn with_pair(
        &mut self,
        ctx: &mut Ctx,
        id: u64,
        work: impl FnOnce(&mut Pair, &mut Cx) -> Result<(), Ending>,
    ) {
        let Some(pair) = self.pairs.get_mut(&id) else {
            return;
        };
        let mut cx = Cx {
            ctx,
            buf: &mut self.buf,
            rng: &mut self.rng,
            faults: &self.faults,
            rewrite: self.rewrite.as_ref(),
            now: Instant::now(),
            cipher: &mut self.cipher,
            upstream_tls: self.tls_upstream.as_ref(),
        };
        let result = work(pair, &mut cx);
        self.settle(ctx, id, result);
    }

    /// After work on a pair: its end, or its next wake-up and reads.
    fn settle(&mut self, ctx: &mut Ctx, id: u64, result: Result<(), Ending>) {
        let ending = match result {
            Err(ending) => Some(ending),
            Ok(()) => self.pairs.get(&id).and_then(Pair::over),
        };
        if let Some(ending) = ending {
            return self.end_pair(ctx, id, ending);
        }
        let Some(pair) = self.pairs.get_mut(&id) else {
            return;
        };
        if std::mem::take(&mut pair.client_sent) {
            self.last_sender = Some(id);
        }
        let next = pair.next_wake();
        self.timers.arm(&mut pair.armed, id, next);
        if self.timers.crowded(self.pairs.len()) {
            let live = self
                .pairs
                .iter()
                .filter_map(|(id, p)| p.armed.map(|at| (at, *id)));
            self.timers.rebuild(live);
        }
        let Some(pair) = self.pairs.get_mut(&id) else {
            return;
        };
        if !pair.in_ready && (pair.can_read(Flow::Up) || pair.can_read(Flow::Down)) {
            pair.in_ready = true;
            self.ready.push_back(id);
        }
    }

    /// Ends a pair: reports and closes its legs.
    fn end_pair(&mut self, ctx: &mut Ctx, id: u64, ending: Ending) {
        let Some(mut pair) = self.pairs.remove(&id) else {
            return;
        };
        if self.last_sender == Some(id) {
            self.last_sender = None;
        }
        self.waiting.retain(|w| *w != id);
        ctx.shared
            .sub_pending(pair.up.injected + pair.down.injected);
        let peer = pair.ids.peer;
        // A leg that failed in TLS has had its alert: it gets a FIN after
        // it, not a reset that could overtake it.
        // The leg that broke reports first: its reason is the pair's.
        let client_first = matches!(
            ending,
            Ending::Broke {
                side: Side::Client,
                ..
            }
        );
        let tls_broke = match &ending {
            Ending::Broke {
                side,
                how: CloseReason::Tls(_),
            } => Some(*side),
            _ => None,
        };
        let (client_how, upstream_how, abort) = match ending {
            Ending::NoUpstream(err) => {
                let error = err.unwrap_or_else(|| NetError::HostNotFound {
                    host: self.target_host.clone(),
                    detail: "no addresses".to_string(),
                });
                ctx.emit(Event::UpstreamFailed {
                    peer,
                    client: pair.ids.client,
                    error,
                });
                // What the client sent was never read: read it away so
                // the close is a FIN, not a reset.
                let mut left = DRAIN_LIMIT;
                while left > 0 {
                    match self.buf.read_stream(&pair.client.stream) {
                        Ok(Some(data)) => left = left.saturating_sub(data.len()),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        _ => break,
                    }
                }
                (CloseReason::Local, CloseReason::Local, false)
            }
            Ending::Orderly => (CloseReason::Orderly, CloseReason::Orderly, false),
            Ending::Local { abort } => (CloseReason::Local, CloseReason::Local, abort),
            Ending::Broke {
                side: Side::Client,
                how,
            } => (how, CloseReason::Local, true),
            Ending::Broke {
                side: Side::Upstream,
                how,
            } => (CloseReason::Local, how, true),
        };
        if !abort {
            let mut cx = Cx {
                ctx,
                buf: &mut self.buf,
                rng: &mut self.rng,
                faults: &self.faults,
                rewrite: None,
                now: Instant::now(),
                cipher: &mut self.cipher,
                upstream_tls: self.tls_upstream.as_ref(),
            };
            pair.drain(&mut cx);
        }
        let mut client_end = Some(Event::PeerClosed {
            peer,
            addr: pair.ids.client,
            how: client_how,
        });
        if client_first && let Some(end) = client_end.take() {
            ctx.emit(end);
        }
        match std::mem::replace(&mut pair.upstream, Upstream::Waiting) {
            Upstream::Up(leg) => {
                ctx.emit(Event::PeerClosed {
                    peer,
                    addr: leg.addr,
                    how: upstream_how,
                });
                close_leg(ctx, leg, abort && tls_broke != Some(Side::Upstream));
            }
            Upstream::Connecting { stream, .. } => close_stream(ctx, stream, true),
            Upstream::Waiting => {}
        }
        if let Some(end) = client_end {
            ctx.emit(end);
        }
        close_leg(ctx, pair.client, abort && tls_broke != Some(Side::Client));
    }

    /// The pairs a send goes to, or why it goes nowhere.
    fn targets(&self, target: &Target) -> Result<Vec<u64>, SendOutcome> {
        let open = |id: &u64| {
            self.pairs
                .get(id)
                .is_some_and(|p| !p.down.finish && !p.down.shut)
        };
        let mut ids: Vec<u64> = match target {
            Target::Default | Target::All => {
                let all: Vec<u64> = self.pairs.keys().copied().filter(open).collect();
                if all.is_empty() {
                    return Err(SendOutcome::NoPeers);
                }
                all
            }
            Target::Peers(peers) => {
                let present: Vec<u64> = peers
                    .iter()
                    .map(|p| p.0)
                    .filter(|id| self.pairs.contains_key(id))
                    .collect();
                match peers.first() {
                    Some(first) if present.is_empty() => {
                        return Err(SendOutcome::Gone(NetError::UnknownPeer(*first)));
                    }
                    None => return Err(SendOutcome::NoPeers),
                    Some(_) => present,
                }
            }
            Target::Addr(addr) => {
                let addr = canonical(*addr);
                let found: Vec<u64> = self
                    .pairs
                    .iter()
                    .filter(|(_, p)| p.ids.client == addr)
                    .map(|(id, _)| *id)
                    .collect();
                if found.is_empty() {
                    return Err(SendOutcome::Gone(NetError::NoClients));
                }
                found
            }
            Target::LastSender => match self.last_sender {
                Some(id) => vec![id],
                None => return Err(SendOutcome::Gone(NetError::NoClients)),
            },
            Target::Host(_) => {
                return Err(SendOutcome::Failed(NetError::BadTarget {
                    mode: Mode::Relay.name(),
                }));
            }
        };
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }
}

/// Closes a connected leg as [`close_stream`] does; a TLS leg closed
/// without a reset gets close_notify first if it has not had one (best
/// effort: the end is told, not cut).
fn close_leg(ctx: &mut Ctx, mut leg: Leg, abort: bool) {
    if !abort
        && let Some(tls) = leg.tls.as_deref_mut()
        && !tls.handshaking()
        && !tls.close_notify_sent
    {
        tls.close_notify();
        leg.write_cipher_once();
    }
    close_stream(ctx, leg.stream, abort);
}

/// Closes a leg: deregistered, then closed (a FIN), or reset when
/// `abort` (SO_LINGER 0).
fn close_stream(ctx: &mut Ctx, mut stream: TcpStream, abort: bool) {
    let _ = ctx.poll.registry().deregister(&mut stream);
    if abort {
        let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    }
    drop(stream);
}

impl Driver for TcpRelay {
    fn on_ready(&mut self, ctx: &mut Ctx, event: &mio::event::Event) {
        let token = event.token();
        if token == LISTENER {
            self.accept_all(ctx);
            return;
        }
        let id = (token.0 / 2) as u64;
        let side = if token.0.is_multiple_of(2) {
            Side::Client
        } else {
            Side::Upstream
        };
        self.with_pair(ctx, id, |pair, cx| pair.on_event(side, event, cx));
    }

    fn send(&mut self, ctx: &mut Ctx, target: &Target, data: Bytes, meta: SendMeta) -> SendOutcome {
        let ids = match self.targets(target) {
            Ok(ids) => ids,
            Err(outcome) => return outcome,
        };
        let mut sent = 0;
        let mut broken = false;
        let mut full: Option<NetError> = None;
        let mut gone: Option<NetError> = None;
        for id in ids {
            let mut outcome = Ok(());
            self.with_pair(ctx, id, |pair, cx| {
                match pair.inject(cx, data.clone(), meta) {
                    Ok(refused) => {
                        outcome = refused;
                        Ok(())
                    }
                    Err(ending) => {
                        outcome = Err(SendOutcome::Closed);
                        Err(ending)
                    }
                }
            });
            match outcome {
                Ok(()) => sent += 1,
                Err(SendOutcome::Failed(err)) => match full {
                    Some(_) => ctx.error(err),
                    None => full = Some(err),
                },
                Err(SendOutcome::Gone(err)) => gone = Some(err),
                Err(_) => broken = true,
            }
        }
        let everyone = matches!(target, Target::Default | Target::All);
        match (full, gone) {
            (Some(err), _) => SendOutcome::Failed(err),
            _ if sent > 0 => SendOutcome::Sent,
            _ if everyone => SendOutcome::NoPeers,
            (None, Some(err)) => SendOutcome::Gone(err),
            (None, None) if broken => SendOutcome::Closed,
            (None, None) => SendOutcome::NoPeers,
        }
    }

    fn on_command(&mut self, ctx: &mut Ctx, cmd: WorkerCmd) {
        match cmd {
            WorkerCmd::Disconnect(peer) => {
                if self.pairs.contains_key(&peer.0) {
                    self.end_pair(ctx, peer.0, Ending::Local { abort: false });
                } else {
                    ctx.error(NetError::UnknownPeer(peer));
                }
            }
            WorkerCmd::Finish(peer) => {
                if !self.pairs.contains_key(&peer.0) {
                    return ctx.error(NetError::UnknownPeer(peer));
                }
                self.with_pair(ctx, peer.0, |pair, cx| {
                    pair.finish();
                    pair.flush(Flow::Up, cx)?;
                    pair.flush(Flow::Down, cx)
                });
            }
            WorkerCmd::SetFaults(faults) => {
                let now = Instant::now();
                for pair in self.pairs.values_mut() {
                    pair.up.set_faults(&faults.up, now);
                    pair.down.set_faults(&faults.down, now);
                }
                self.faults = faults;
                // Lifted blackholes and rates may free what waits.
                let mut ids: Vec<u64> = self.pairs.keys().copied().collect();
                ids.sort_unstable();
                for id in ids {
                    self.with_pair(ctx, id, Pair::run);
                }
            }
            WorkerCmd::SetRewrite(rewrite) => self.rewrite = rewrite,
            WorkerCmd::RefreshNames => self.target.forget(),
            other => no_multicast(ctx, other, Mode::Relay),
        }
    }

    fn pump(&mut self, ctx: &mut Ctx) -> bool {
        self.on_lookup(ctx);
        let mut turns = self.ready.len();
        while turns > 0 && ctx.sink.has_room() {
            turns -= 1;
            let Some(id) = self.ready.pop_front() else {
                break;
            };
            let Some(pair) = self.pairs.get_mut(&id) else {
                continue;
            };
            pair.in_ready = false;
            self.with_pair(ctx, id, Pair::run);
        }
        !self.ready.is_empty()
    }

    fn deadline(&self) -> Option<Instant> {
        match (self.accept_retry_at, self.timers.next()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx, now: Instant) {
        if self.accept_retry_at.is_some_and(|t| t <= now) {
            self.accept_retry_at = None;
            self.accept_all(ctx);
        }
        for (at, id) in self.timers.due(now) {
            let Some(pair) = self.pairs.get_mut(&id) else {
                continue;
            };
            if pair.armed != Some(at) {
                continue;
            }
            pair.armed = None;
            self.with_pair(ctx, id, Pair::run);
        }
    }

    fn finished(&self) -> bool {
        false
    }

    fn shutdown(&mut self, ctx: &mut Ctx) {
        let _ = ctx.poll.registry().deregister(&mut self.listener);
        let mut ids: Vec<u64> = self.pairs.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            self.end_pair(ctx, id, Ending::Local { abort: false });
        }
    }
}
