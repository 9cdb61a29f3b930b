//! One TCP connection: non-blocking reads of whole chunks, a bounded queue
//! of bytes waiting to be written, and both halves of closing: the peer
//! finishing its sending (FIN) and us finishing ours.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use mio::net::TcpStream;
use mio::{Interest, Token};

use super::driver::Ctx;
use super::read_pool::READ_CHUNK;
use super::tls::layer::TlsLayer;
use super::ws::layer::{Report, Step, WsLayer};
use super::ws::{MessageKind, WsEvent};
use super::{CloseReason, Event, NetError, PeerId, SendMeta};

/// Most bytes that may wait to be written to one peer before sends to it fail.
pub(crate) const MAX_QUEUE: usize = 16 * 1024 * 1024;

/// What one read gave.
pub(crate) enum ReadOutcome {
    /// Bytes arrived.
    Data(Bytes),
    /// TLS: records arrived with no plaintext in them (handshake, key
    /// updates); there may be more to read.
    Progress,
    /// Nothing more for now.
    WouldBlock,
    /// The peer finished sending (a zero-length read); the connection may
    /// still be open for our sends.
    PeerFinished,
    /// The connection is over.
    Closed(CloseReason),
}

/// What became of one send on a connection.
pub(crate) enum ConnSend {
    /// Queued, and written as far as the OS takes it now.
    Queued,
    /// Refused: the queue is full (the peer does not read).
    QueueFull(NetError),
    /// Refused: we have finished sending on this connection.
    Finished(NetError),
    /// Writing showed the connection is over.
    Broken(CloseReason),
    /// Refused by the WebSocket layer (not open yet, closing).
    Refused(NetError),
}

/// The read buffer. A read that fills most of it is handed over as is (no
/// copy, no zeroing) and the next buffer comes from the [read
/// pool](super::read_pool); a smaller one is copied out to a chunk of its
/// exact size and the buffer is kept for the next read.
pub(crate) struct ReadBuf(Vec<u8>);

impl ReadBuf {
    pub(crate) fn new() -> ReadBuf {
        ReadBuf(Vec::with_capacity(READ_CHUNK))
    }

    /// Reads once from a TCP stream and returns the bytes as an owned chunk
    /// (`None` at end of stream).
    ///
    /// Every read or write on a socket that mio owns must go through mio or
    /// through its `try_io`: on Windows, mio re-arms a socket's readiness only
    /// when one of its own calls sees `WouldBlock`. A raw socket2 call here
    /// would leave the socket silent after the first few reads there.
    pub(crate) fn read_stream(&mut self, src: &TcpStream) -> io::Result<Option<Bytes>> {
        self.0.clear();
        let spare = self.0.spare_capacity_mut();
        let n = src.try_io(|| socket2::SockRef::from(src).recv(spare))?;
        // SAFETY: `recv` initialised the first `n` bytes of the spare
        // capacity, and `n` is at most its length.
        unsafe { self.0.set_len(n) };
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(self.take()))
    }

    /// Reads once from a TCP stream into the buffer and gives the bytes
    /// read, borrowed (`None` at end of stream); for TLS, whose ciphertext
    /// is consumed at once. Through `try_io`, as [`ReadBuf::read_stream`].
    pub(crate) fn read_borrowed(&mut self, src: &TcpStream) -> io::Result<Option<&[u8]>> {
        self.0.clear();
        let spare = self.0.spare_capacity_mut();
        let n = src.try_io(|| socket2::SockRef::from(src).recv(spare))?;
        // SAFETY: as in `read_stream`.
        unsafe { self.0.set_len(n) };
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(&self.0))
    }

    fn take(&mut self) -> Bytes {
        if self.0.len() >= READ_CHUNK / 4 * 3 {
            let full = std::mem::replace(&mut self.0, super::read_pool::take());
            super::read_pool::freeze(full)
        } else {
            Bytes::copy_from_slice(&self.0)
        }
    }
}

/// Maps a socket error to how the connection ended.
pub(crate) fn close_reason(err: &io::Error) -> CloseReason {
    match err.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        // A socket the peer reset, seen by shutdown (Linux: ENOTCONN).
        | io::ErrorKind::NotConnected => CloseReason::Reset,
        _ => CloseReason::Error(err.to_string()),
    }
}

/// A connected TCP stream and its write queue.
pub(crate) struct Conn {
    pub(crate) id: PeerId,
    pub(crate) addr: SocketAddr,
    pub(crate) stream: TcpStream,
    token: Token,
    /// True while the connection is in its driver's ready list.
    pub(crate) in_ready: bool,
    queue: VecDeque<(Bytes, SendMeta)>,
    head_written: usize,
    queued: usize,
    /// The peer has finished sending (we read its FIN); reads have stopped.
    peer_done: bool,
    /// We were asked to finish sending: our FIN goes once the queue is written.
    finishing: bool,
    /// Our FIN has been sent (shutdown of our write side).
    we_done: bool,
    /// The TLS layer, on a TLS session's connections.
    tls: Option<Box<TlsLayer>>,
    /// TLS: the peer's close_notify came with data; it is reported next read.
    tls_peer_closed: bool,
    /// The WebSocket layer, on a WebSocket session's connections (over
    /// TLS for `wss://`).
    ws: Option<Box<WsLayer>>,
    /// Our side's address, for a WebSocket connection's wire events.
    ws_local: SocketAddr,
    /// WebSocket: messages sent before the upgrade finished; they go once
    /// it has (at most [`MAX_QUEUE`] bytes wait).
    ws_waiting: VecDeque<(Bytes, SendMeta)>,
    /// Bytes in `ws_waiting`.
    ws_waiting_bytes: usize,
}

impl Conn {
    /// Wraps a connected stream, registering it for reads and writes.
    pub(crate) fn new(
        ctx: &mut Ctx,
        id: PeerId,
        addr: SocketAddr,
        mut stream: TcpStream,
        token: Token,
    ) -> io::Result<Conn> {
        ctx.poll.registry().register(
            &mut stream,
            token,
            Interest::READABLE | Interest::WRITABLE,
        )?;
        Ok(Conn::registered(id, addr, stream, token))
    }

    /// Wraps a stream that is already registered under `token`.
    pub(crate) fn registered(
        id: PeerId,
        addr: SocketAddr,
        stream: TcpStream,
        token: Token,
    ) -> Conn {
        Conn {
            id,
            addr,
            stream,
            token,
            in_ready: true,
            queue: VecDeque::new(),
            head_written: 0,
            queued: 0,
            peer_done: false,
            finishing: false,
            we_done: false,
            tls: None,
            tls_peer_closed: false,
            ws: None,
            ws_local: addr,
            ws_waiting: VecDeque::new(),
            ws_waiting_bytes: 0,
        }
    }

    /// Runs TLS over this connection from now on. What the layer has to
    /// send first (a client's ClientHello) goes on the next flush.
    pub(crate) fn with_tls(mut self, layer: TlsLayer) -> Conn {
        self.tls = Some(Box::new(layer));
        self
    }

    /// Runs WebSocket over this connection from now on (over TLS, if it
    /// has TLS). A client's request is queued at once; it goes on the next
    /// flush (after the TLS handshake).
    pub(crate) fn with_ws(mut self, ctx: &Ctx, mut layer: WsLayer) -> Conn {
        let request = layer.take_request();
        self.ws = Some(Box::new(layer));
        if let Ok(local) = self.stream.local_addr() {
            self.ws_local = crate::net::addr::canonical(local);
        }
        if let Some(request) = request {
            self.queue_quiet(ctx, request);
        }
        self
    }

    /// True for a WebSocket connection.
    pub(crate) fn is_ws(&self) -> bool {
        self.ws.is_some()
    }

    /// True for a WebSocket connection whose upgrade is under way.
    pub(crate) fn ws_handshaking(&self) -> bool {
        self.ws.as_deref().is_some_and(WsLayer::handshaking)
    }

    /// WebSocket: when the peer's answer to our close frame is overdue,
    /// while it has not come.
    pub(crate) fn ws_close_due(&self) -> Option<Instant> {
        self.ws.as_deref().and_then(WsLayer::close_due)
    }

    /// WebSocket: tells that our close was not answered in time (the
    /// driver then ends the connection).
    pub(crate) fn ws_close_unanswered(&self, ctx: &mut Ctx) {
        ctx.emit(Event::Ws {
            peer: self.id,
            addr: self.addr,
            event: WsEvent::CloseUnanswered {
                waited: super::ws::CLOSE_TIMEOUT,
            },
        });
    }

    /// Queues bytes of the WebSocket layer's own (no `Sent` for them).
    fn queue_quiet(&mut self, ctx: &Ctx, data: Bytes) {
        if data.is_empty() {
            return;
        }
        ctx.shared.add_pending(data.len());
        if let Some(ws) = self.ws.as_deref_mut() {
            ws.reports.push_back(Report::Quiet);
        }
        self.queued += data.len();
        self.queue.push_back((data, SendMeta::default()));
    }

    /// Carries out what the WebSocket layer asked for.
    fn ws_steps(&mut self, ctx: &mut Ctx, steps: Vec<Step>) -> Result<(), CloseReason> {
        let mut end = None;
        let mut opened = false;
        for step in steps {
            match step {
                Step::Connected(local) => {
                    opened = true;
                    ctx.emit(Event::Connected {
                        peer: self.id,
                        addr: self.addr,
                        local,
                    });
                }
                Step::Emit(event) => ctx.emit(Event::Ws {
                    peer: self.id,
                    addr: self.addr,
                    event,
                }),
                Step::Message(data, message) => ctx.emit(Event::Received {
                    peer: Some(self.id),
                    addr: self.addr,
                    time: SystemTime::now(),
                    data,
                    message: Some(message),
                }),
                Step::Write(bytes) => {
                    // A peer that floods pings but does not read gets no
                    // more pongs than the queue holds.
                    if self.queued <= MAX_QUEUE {
                        self.queue_quiet(ctx, bytes);
                    }
                }
                Step::Finish => self.finishing = true,
                Step::End(how) => end = Some(how),
            }
        }
        if let Some(how) = end {
            // What was queued (a refusal's answer) goes first, if it can.
            let _ = self.flush(ctx);
            return Err(how);
        }
        if opened {
            // Sends that came while the upgrade ran go now, in order.
            self.ws_waiting_bytes = 0;
            for (data, meta) in std::mem::take(&mut self.ws_waiting) {
                match self.send(ctx, data, meta) {
                    ConnSend::Broken(how) => return Err(how),
                    ConnSend::QueueFull(err) | ConnSend::Refused(err) => ctx.error(err),
                    ConnSend::Queued | ConnSend::Finished(_) => {}
                }
            }
        }
        self.flush(ctx)
    }

    /// A WebSocket ping (a session command): its payload goes in a ping frame.
    pub(crate) fn ws_ping(&mut self, ctx: &mut Ctx, payload: Bytes) -> Result<ConnSend, NetError> {
        let ws = self.ws.as_deref_mut().ok_or(NetError::NotWebSocket)?;
        let bytes = ws.ping(payload.clone())?;
        self.ws_control(
            ctx,
            bytes,
            WsEvent::Ping {
                payload,
                by_us: true,
            },
        )
    }

    /// A WebSocket close frame of ours with `code` and `reason`.
    pub(crate) fn ws_close(
        &mut self,
        ctx: &mut Ctx,
        code: u16,
        reason: &str,
    ) -> Result<ConnSend, NetError> {
        let ws = self.ws.as_deref_mut().ok_or(NetError::NotWebSocket)?;
        let bytes = ws.close(code, reason)?;
        let event = WsEvent::Close {
            close: super::ws::CloseInfo {
                code: Some(code),
                reason: reason.to_string(),
            },
            by_peer: false,
            reply: false,
        };
        self.ws_control(ctx, bytes, event)
    }

    fn ws_control(
        &mut self,
        ctx: &mut Ctx,
        bytes: Bytes,
        event: WsEvent,
    ) -> Result<ConnSend, NetError> {
        if self.finishing {
            return Err(NetError::SendingFinished { addr: self.addr });
        }
        ctx.emit(Event::Ws {
            peer: self.id,
            addr: self.addr,
            event,
        });
        self.queue_quiet(ctx, bytes);
        Ok(match self.flush(ctx) {
            Ok(()) => ConnSend::Queued,
            Err(how) => ConnSend::Broken(how),
        })
    }

    /// Maps a written item to the `Sent` it reports: a WebSocket message
    /// reports its payload, the layer's own bytes nothing.
    fn sent_report(
        ctx: &mut Ctx,
        (peer, addr, local): (PeerId, SocketAddr, SocketAddr),
        ws: &mut Option<Box<WsLayer>>,
        data: Bytes,
        meta: SendMeta,
    ) -> Option<(Bytes, SendMeta)> {
        let Some(ws) = ws.as_deref_mut() else {
            return Some((data, meta));
        };
        ctx.emit(Event::WsWire {
            peer,
            addr,
            local,
            incoming: false,
            time: SystemTime::now(),
            data,
        });
        match ws.reports.pop_front() {
            Some(Report::Message(payload)) => Some((payload, meta)),
            Some(Report::Quiet) | None => None,
        }
    }

    /// True once we have been asked to finish sending (no more sends).
    pub(crate) fn finishing(&self) -> bool {
        self.finishing
    }

    /// Reads one chunk. On a WebSocket connection, the chunk goes through
    /// the layer, which reports messages and events itself.
    pub(crate) fn read(&mut self, ctx: &mut Ctx, buf: &mut ReadBuf) -> ReadOutcome {
        let outcome = self.read_stream(ctx, buf);
        let Some(ws) = self.ws.as_deref_mut() else {
            return outcome;
        };
        let steps = match &outcome {
            ReadOutcome::Data(data) => {
                ctx.emit(Event::WsWire {
                    peer: self.id,
                    addr: self.addr,
                    local: self.ws_local,
                    incoming: true,
                    time: SystemTime::now(),
                    data: data.clone(),
                });
                ws.input(data)
            }
            ReadOutcome::PeerFinished | ReadOutcome::Closed(_) => ws.eof(),
            ReadOutcome::Progress | ReadOutcome::WouldBlock => return outcome,
        };
        let done = self.ws_steps(ctx, steps);
        match (outcome, done) {
            (ReadOutcome::Data(_), Ok(())) => ReadOutcome::Progress,
            (ReadOutcome::Data(_), Err(how)) => ReadOutcome::Closed(how),
            // A refused client's own reason says more than the FIN.
            (
                ReadOutcome::PeerFinished | ReadOutcome::Closed(_),
                Err(how @ CloseReason::Error(_)),
            ) => ReadOutcome::Closed(how),
            (outcome, _) => outcome,
        }
    }

    /// Reads one chunk of the byte stream (plaintext, over TLS).
    fn read_stream(&mut self, ctx: &mut Ctx, buf: &mut ReadBuf) -> ReadOutcome {
        if self.peer_done {
            return ReadOutcome::WouldBlock;
        }
        if self.tls.is_some() {
            return self.read_tls(ctx, buf);
        }
        loop {
            return match buf.read_stream(&self.stream) {
                Ok(Some(bytes)) => ReadOutcome::Data(bytes),
                Ok(None) => self.peer_finished(ctx),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => ReadOutcome::WouldBlock,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => ReadOutcome::Closed(close_reason(&e)),
            };
        }
    }

    /// Reads one chunk of ciphertext and gives the plaintext in it. The
    /// handshake's end is reported here, before the first plaintext.
    fn read_tls(&mut self, ctx: &mut Ctx, buf: &mut ReadBuf) -> ReadOutcome {
        if self.tls_peer_closed {
            return self.peer_finished(ctx);
        }
        let Some(tls) = self.tls.as_deref_mut() else {
            return ReadOutcome::WouldBlock;
        };
        let input = loop {
            match buf.read_borrowed(&self.stream) {
                Ok(Some(cipher)) => break tls.input(cipher),
                Ok(None) => {
                    return match tls.eof_failure() {
                        Some(failure) => ReadOutcome::Closed(CloseReason::Tls(failure)),
                        None => self.peer_finished(ctx),
                    };
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return ReadOutcome::WouldBlock,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return ReadOutcome::Closed(close_reason(&e)),
            }
        };
        let input = match input {
            Ok(input) => input,
            Err(failure) => {
                // Best effort: the alert rustls queued, then the close
                // (no close_notify after a fatal alert).
                tls.close_notify_sent = true;
                self.write_tls_once();
                return ReadOutcome::Closed(CloseReason::Tls(failure));
            }
        };
        if let Some(err) = tls.key_log_error() {
            ctx.error(err);
        }
        if let Some(info) = tls.newly_established() {
            ctx.emit(Event::TlsEstablished {
                peer: self.id,
                addr: self.addr,
                info: Box::new(info),
            });
        }
        // Handshake answers, and sends queued while it ran.
        if let Err(how) = self.flush(ctx) {
            return ReadOutcome::Closed(how);
        }
        match (input.plain.is_empty(), input.peer_closed) {
            (false, closed) => {
                self.tls_peer_closed = closed;
                ReadOutcome::Data(Bytes::from(input.plain))
            }
            (true, true) => self.peer_finished(ctx),
            (true, false) => ReadOutcome::Progress,
        }
    }

    /// Writes what the TLS layer has ready once, ignoring the outcome (an
    /// alert before a close).
    fn write_tls_once(&mut self) {
        if let Some(tls) = self.tls.as_deref_mut()
            && tls.has_output()
        {
            let _ = self.stream.write(&tls.out[tls.out_written..]);
        }
    }

    /// The peer's FIN: if ours has gone too the connection is over;
    /// otherwise stop reading and keep the connection for our sends.
    fn peer_finished(&mut self, ctx: &Ctx) -> ReadOutcome {
        self.peer_done = true;
        self.in_ready = false;
        if self.we_done {
            return ReadOutcome::Closed(CloseReason::Orderly);
        }
        // Writable only from now on: nothing more can be read, and errors
        // (a reset) are reported whatever the interest.
        if let Err(e) =
            ctx.poll
                .registry()
                .reregister(&mut self.stream, self.token, Interest::WRITABLE)
        {
            return ReadOutcome::Closed(CloseReason::Error(e.to_string()));
        }
        ReadOutcome::PeerFinished
    }

    /// Handles a readiness event: a reset after the peer finished (reads,
    /// which would report it, have stopped), and queued writes. `Ok(true)`
    /// when there may be something to read; `Err` when the connection is over.
    pub(crate) fn on_ready(
        &mut self,
        ctx: &mut Ctx,
        event: &mio::event::Event,
    ) -> Result<bool, CloseReason> {
        if self.peer_done && (event.is_error() || event.is_write_closed()) {
            match self.stream.take_error() {
                Ok(Some(e)) | Err(e) => return Err(close_reason(&e)),
                Ok(None) => {}
            }
        }
        if event.is_writable() {
            self.flush(ctx)?;
        }
        Ok(!self.peer_done && (event.is_readable() || event.is_read_closed() || event.is_error()))
    }

    /// Queues bytes and writes what the OS takes now.
    pub(crate) fn send(&mut self, ctx: &mut Ctx, data: Bytes, mut meta: SendMeta) -> ConnSend {
        if self.finishing {
            return ConnSend::Finished(NetError::SendingFinished { addr: self.addr });
        }
        let (data, report) = match self.ws.as_deref_mut() {
            Some(ws) if ws.handshaking() => {
                // Held until the upgrade is done (a refused one drops them).
                if self.ws_waiting_bytes + data.len() > MAX_QUEUE {
                    return ConnSend::QueueFull(NetError::SendQueueFull {
                        addr: self.addr,
                        dropped: data.len(),
                    });
                }
                self.ws_waiting_bytes += data.len();
                self.ws_waiting.push_back((data, meta));
                return ConnSend::Queued;
            }
            Some(ws) => {
                let kind = meta.message.unwrap_or(MessageKind::Text);
                match ws.message(&data, kind) {
                    Ok((frame, kind)) => {
                        meta.message = Some(kind);
                        (frame, Some(data))
                    }
                    Err(err) => return ConnSend::Refused(err),
                }
            }
            None => (data, None),
        };
        if data.is_empty() {
            return ConnSend::Queued;
        }
        if self.queued + data.len() > MAX_QUEUE {
            return ConnSend::QueueFull(NetError::SendQueueFull {
                addr: self.addr,
                dropped: data.len(),
            });
        }
        self.queued += data.len();
        ctx.shared.add_pending(data.len());
        if let (Some(ws), Some(payload)) = (self.ws.as_deref_mut(), report) {
            ws.reports.push_back(Report::Message(payload));
        }
        self.queue.push_back((data, meta));
        match self.flush(ctx) {
            Ok(()) => ConnSend::Queued,
            Err(how) => ConnSend::Broken(how),
        }
    }

    /// Finishes our sending: our FIN goes as soon as the queue is written.
    pub(crate) fn finish(&mut self, ctx: &mut Ctx) -> Result<(), CloseReason> {
        self.finishing = true;
        self.flush(ctx)
    }

    /// Writes queued bytes until the OS would block, reporting each finished
    /// send, then sends our FIN if we are finishing. `Err` means the
    /// connection is over (including an orderly end once both sides finished).
    pub(crate) fn flush(&mut self, ctx: &mut Ctx) -> Result<(), CloseReason> {
        if self.tls.is_some() {
            return self.flush_tls(ctx);
        }
        while let Some((head, meta)) = self.queue.front() {
            // mio's own `write`: on Windows its `WouldBlock` re-arms the
            // writable event that resumes this flush (see `read_stream`).
            match self.stream.write(&head[self.head_written..]) {
                Ok(n) => {
                    self.head_written += n;
                    self.queued -= n;
                    ctx.shared.sub_pending(n);
                    if self.head_written == head.len() {
                        let (data, meta) = (head.clone(), *meta);
                        self.queue.pop_front();
                        self.head_written = 0;
                        if let Some((data, meta)) = Conn::sent_report(
                            ctx,
                            (self.id, self.addr, self.ws_local),
                            &mut self.ws,
                            data,
                            meta,
                        ) {
                            ctx.emit(Event::Sent {
                                peer: Some(self.id),
                                addr: self.addr,
                                time: SystemTime::now(),
                                data,
                                meta,
                            });
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(close_reason(&e)),
            }
        }
        if self.finishing && !self.we_done {
            self.stream
                .shutdown(Shutdown::Write)
                .map_err(|e| close_reason(&e))?;
            self.we_done = true;
        }
        if self.we_done && self.peer_done {
            return Err(CloseReason::Orderly);
        }
        Ok(())
    }

    /// TLS: writes ciphertext until the OS would block, encrypting queued
    /// sends a chunk at a time once the handshake is done; each send is
    /// reported when the ciphertext that ends it has been written. Finishing
    /// sends close_notify after the queue, then our FIN.
    fn flush_tls(&mut self, ctx: &mut Ctx) -> Result<(), CloseReason> {
        let Some(tls) = self.tls.as_deref_mut() else {
            return Ok(());
        };
        loop {
            if tls.has_output() {
                // mio's own `write` (see the plain flush).
                match self.stream.write(&tls.out[tls.out_written..]) {
                    Ok(n) => {
                        let (id, addr, local) = (self.id, self.addr, self.ws_local);
                        let queued = &mut self.queued;
                        let ws = &mut self.ws;
                        tls.wrote(n, |plain, done| {
                            *queued -= plain;
                            ctx.shared.sub_pending(plain);
                            let done = done.and_then(|(d, m)| {
                                Conn::sent_report(ctx, (id, addr, local), ws, d, m)
                            });
                            if let Some((data, meta)) = done {
                                ctx.emit(Event::Sent {
                                    peer: Some(id),
                                    addr,
                                    time: SystemTime::now(),
                                    data,
                                    meta,
                                });
                            }
                        });
                        continue;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(close_reason(&e)),
                }
            }
            tls.drain();
            if tls.has_output() {
                continue;
            }
            if tls.handshaking() {
                return Ok(());
            }
            if let Some((head, meta)) = self.queue.front() {
                let n = tls.encrypt(&head[self.head_written..]);
                if n == 0 {
                    // rustls takes nothing now; what it made goes first.
                    return Ok(());
                }
                self.head_written += n;
                let done = if self.head_written == head.len() {
                    let done = (head.clone(), *meta);
                    self.queue.pop_front();
                    self.head_written = 0;
                    Some(done)
                } else {
                    None
                };
                tls.mark(n, done);
                continue;
            }
            if self.finishing && !tls.close_notify_sent {
                tls.close_notify();
                continue;
            }
            break;
        }
        if self.finishing && !self.we_done {
            self.stream
                .shutdown(Shutdown::Write)
                .map_err(|e| close_reason(&e))?;
            self.we_done = true;
        }
        if self.we_done && self.peer_done {
            return Err(CloseReason::Orderly);
        }
        Ok(())
    }

    /// Closes the socket and forgets what was not written.
    pub(crate) fn close(mut self, ctx: &mut Ctx) {
        // Best effort: a WebSocket peer hears 1001 going away, not a cut.
        if self.queue.is_empty()
            && let Some(frame) = self.ws.as_deref_mut().and_then(WsLayer::going_away)
        {
            match self.tls.as_deref_mut() {
                // Encrypted now, written with the close_notify below.
                Some(tls) if !tls.handshaking() && !tls.close_notify_sent => {
                    tls.encrypt(&frame);
                }
                Some(_) => {}
                None => {
                    let _ = self.stream.write(&frame);
                }
            }
        }
        if let Some(tls) = self.tls.as_deref_mut()
            && !tls.handshaking()
            && !tls.close_notify_sent
        {
            // Best effort: tell the peer the stream ends here, not cut.
            tls.close_notify();
            self.write_tls_once();
        }
        let _ = ctx.poll.registry().deregister(&mut self.stream);
        let _ = self.stream.shutdown(Shutdown::Both);
        ctx.shared.sub_pending(self.queued);
    }
}
