//! One TCP connection: non-blocking reads of whole chunks, and a bounded
//! queue of bytes waiting to be written.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::SystemTime;

use bytes::Bytes;
use mio::net::TcpStream;

use super::worker::Ctx;
use super::{CloseReason, Event, NetError, PeerId};

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
    /// The connection is over.
    Closed(CloseReason),
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

    /// Receives one datagram.
    pub(crate) fn recv_from(
        &mut self,
        socket: &mio::net::UdpSocket,
    ) -> io::Result<(Bytes, std::net::SocketAddr)> {
        self.0.clear();
        let spare = self.0.spare_capacity_mut();
        // Through `try_io`, as in `read_stream`, so Windows re-arms readiness.
        let (n, from) = socket.try_io(|| socket2::SockRef::from(socket).recv_from(spare))?;
        // SAFETY: as in `read_stream`.
        unsafe { self.0.set_len(n) };
        let from = from
            .as_socket()
            .ok_or_else(|| io::Error::other("datagram from a non-IP address"))?;
        Ok((self.take(), from))
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
    /// True while the connection is in its driver's ready list.
    pub(crate) in_ready: bool,
    queue: VecDeque<Bytes>,
    head_written: usize,
    queued: usize,
}

impl Conn {
    pub(crate) fn new(id: PeerId, addr: SocketAddr, stream: TcpStream) -> Conn {
        Conn {
            id,
            addr,
            stream,
            in_ready: false,
            queue: VecDeque::new(),
            head_written: 0,
            queued: 0,
        }
    }

    /// Reads one chunk.
    pub(crate) fn read(&mut self, buf: &mut ReadBuf) -> ReadOutcome {
        loop {
            return match buf.read_stream(&self.stream) {
                Ok(Some(bytes)) => ReadOutcome::Data(bytes),
                Ok(None) => ReadOutcome::Closed(CloseReason::Fin),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => ReadOutcome::WouldBlock,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => ReadOutcome::Closed(close_reason(&e)),
            };
        }
    }

    /// Queues bytes and writes what the OS takes now. Queue-full is reported
    /// as an error event; a broken connection is returned as its reason.
    pub(crate) fn send(&mut self, ctx: &mut Ctx, data: Bytes) -> Result<(), CloseReason> {
        if data.is_empty() {
            return Ok(());
        }
        if self.queued + data.len() > MAX_QUEUE {
            ctx.error(NetError::SendQueueFull {
                addr: self.addr,
                dropped: data.len(),
            });
            return Ok(());
        }
        self.queued += data.len();
        ctx.shared.add_pending(data.len());
        self.queue.push_back(data);
        self.flush(ctx)
    }

    /// Writes queued bytes until the OS would block, reporting each finished send.
    pub(crate) fn flush(&mut self, ctx: &mut Ctx) -> Result<(), CloseReason> {
        while let Some(head) = self.queue.front() {
            // mio's own `write`: on Windows its `WouldBlock` re-arms the
            // writable event that resumes this flush (see `read_stream`).
            match self.stream.write(&head[self.head_written..]) {
                Ok(n) => {
                    self.head_written += n;
                    self.queued -= n;
                    ctx.shared.sub_pending(n);
                    if self.head_written == head.len() {
                        let data = head.clone();
                        self.queue.pop_front();
                        self.head_written = 0;
                        ctx.emit(Event::Sent {
                            peer: Some(self.id),
                            addr: self.addr,
                            time: SystemTime::now(),
                            data,
                        });
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(close_reason(&e)),
            }
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
