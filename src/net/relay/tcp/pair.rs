//! A client and its connection to the target: the two directions' queues
//! and faults, reading, taking chunks in, and how a pair ends.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use mio::Interest;
use mio::net::TcpStream;

use crate::net::addr::canonical;
use crate::net::conn::{MAX_QUEUE, close_reason};
use crate::net::driver::{Ctx, SendOutcome};
use crate::net::relay::faults::release_at;
use crate::net::relay::{EndHow, FaultEvent, Faults, Flow};
use crate::net::tcp_client::{CONNECT_TIMEOUT, connect_progress, start_connect};
use crate::net::tls::layer::TlsLayer;
use crate::net::tls::setup::ClientTls;
use crate::net::{CloseReason, Event, NetError, SendMeta};

use super::DRAIN_LIMIT;
use super::dir::DIR_QUEUE;
use super::dir::{Chunk, Cx, Dir, Ids};
use super::leg::{Leg, Side, local_failure, other, sides, upstream_token};
use super::write::flush;

/// Reads per direction of a pair per turn, so one busy pair cannot starve
/// the others.
const READS_PER_TURN: usize = 16;

/// The pair's connection to the target.
pub(super) enum Upstream {
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

/// How a pair ends.
pub(super) enum Ending {
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
pub(super) struct Pair {
    pub(super) id: u64,
    pub(super) ids: Ids,
    pub(super) client: Leg,
    pub(super) upstream: Upstream,
    pub(super) up: Dir,
    pub(super) down: Dir,
    /// In the driver's ready list.
    pub(super) in_ready: bool,
    /// The wake-up armed in the driver's timers.
    pub(super) armed: Option<Instant>,
    /// An end fault at work (close or reset).
    pub(super) ending: Option<EndHow>,
    /// The client sent something since the driver last looked.
    pub(super) client_sent: bool,
}

impl Pair {
    pub(super) fn dir(&mut self, flow: Flow) -> &mut Dir {
        match flow {
            Flow::Up => &mut self.up,
            Flow::Down => &mut self.down,
        }
    }

    pub(super) fn upstream_leg(&self) -> Option<&Leg> {
        match &self.upstream {
            Upstream::Up(leg) => Some(leg),
            _ => None,
        }
    }

    /// True when the reading side of `flow` may be read now (consumer
    /// room aside).
    pub(super) fn can_read(&self, flow: Flow) -> bool {
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
    pub(super) fn next_wake(&self) -> Option<Instant> {
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
    pub(super) fn over(&self) -> Option<Ending> {
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
    pub(super) fn connect(
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
    pub(super) fn next_address(&mut self, ctx: &mut Ctx, err: NetError) -> Result<(), Ending> {
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
    pub(super) fn check_connect(&mut self, cx: &mut Cx) -> Result<(), Ending> {
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
    pub(super) fn connected(
        &mut self,
        ctx: &mut Ctx,
        tls: Option<&ClientTls>,
    ) -> Result<(), Ending> {
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
    pub(super) fn on_event(
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
    pub(super) fn run(&mut self, cx: &mut Cx) -> Result<(), Ending> {
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
    pub(super) fn flush(&mut self, flow: Flow, cx: &mut Cx) -> Result<(), Ending> {
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
    pub(super) fn read(&mut self, flow: Flow, cx: &mut Cx) -> Result<(), Ending> {
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
    pub(super) fn read_tls(&mut self, flow: Flow, cx: &mut Cx) -> Result<bool, Ending> {
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
    pub(super) fn reader(&mut self, flow: Flow) -> Option<&mut Leg> {
        match (flow, &mut self.upstream) {
            (Flow::Up, _) => Some(&mut self.client),
            (Flow::Down, Upstream::Up(leg)) => Some(leg),
            (Flow::Down, _) => None,
        }
    }

    /// The reading side of `flow` sent its FIN: it is passed on once the
    /// queue is written (unless this direction is blackholed or closing).
    pub(super) fn finished_reading(
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
    pub(super) fn take(&mut self, flow: Flow, data: Bytes, cx: &mut Cx) -> Result<(), Ending> {
        let from = match (flow, &self.upstream) {
            (Flow::Down, Upstream::Up(leg)) => leg.addr,
            _ => self.ids.client,
        };
        let data = crate::net::relay::rewrite::relay_chunk(
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
    pub(super) fn end_fault(&mut self, flow: Flow, how: EndHow) {
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
    pub(super) fn finish(&mut self) {
        for dir in [&mut self.up, &mut self.down] {
            dir.closing = true;
            dir.finish = true;
        }
    }

    /// Queues bytes of a send command to the client.
    /// `Ok(Err(_))`: the send is refused; `Err(_)`: writing showed the
    /// pair is over.
    pub(super) fn inject(
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
    pub(super) fn drain(&mut self, cx: &mut Cx) {
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
