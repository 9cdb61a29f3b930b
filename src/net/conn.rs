//! One TCP connection: non-blocking reads of whole chunks, a bounded queue
//! of bytes waiting to be written, and both halves of closing: the peer
//! finishing its sending (FIN) and us finishing ours.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::SystemTime;

use bytes::Bytes;
use mio::net::TcpStream;
use mio::{Interest, Token};

use super::worker::Ctx;
use super::{CloseReason, Event, NetError, PeerId, SendMeta};

/// Size of one read.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// Most bytes that may wait to be written to one peer before sends to it fail.
pub(crate) const MAX_QUEUE: usize = 16 * 1024 * 1024;

/// What one read gave.
pub(crate) enum ReadOutcome {
    /// Bytes arrived.
    Data(Bytes),
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
}

/// The read buffer. A read that fills most of it is handed over as is (no
/// copy, no zeroing); a smaller one is copied out to a chunk of its exact
/// size and the buffer is kept for the next read.
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

    fn take(&mut self) -> Bytes {
        if self.0.len() >= READ_CHUNK / 4 * 3 {
            let full = std::mem::replace(&mut self.0, Vec::with_capacity(READ_CHUNK));
            Bytes::from(full)
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
        | io::ErrorKind::BrokenPipe => CloseReason::Reset,
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
        }
    }

    /// True once we have been asked to finish sending (no more sends).
    pub(crate) fn finishing(&self) -> bool {
        self.finishing
    }

    /// Reads one chunk.
    pub(crate) fn read(&mut self, ctx: &Ctx, buf: &mut ReadBuf) -> ReadOutcome {
        if self.peer_done {
            return ReadOutcome::WouldBlock;
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
    pub(crate) fn send(&mut self, ctx: &mut Ctx, data: Bytes, meta: SendMeta) -> ConnSend {
        if self.finishing {
            return ConnSend::Finished(NetError::SendingFinished { addr: self.addr });
        }
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
                        ctx.emit(Event::Sent {
                            peer: Some(self.id),
                            addr: self.addr,
                            time: SystemTime::now(),
                            data,
                            meta,
                        });
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

    /// Closes the socket and forgets what was not written.
    pub(crate) fn close(mut self, ctx: &mut Ctx) {
        let _ = ctx.poll.registry().deregister(&mut self.stream);
        let _ = self.stream.shutdown(Shutdown::Both);
        ctx.shared.sub_pending(self.queued);
    }
}
