//! One TCP connection: non-blocking reads of whole chunks, and a bounded
//! queue of bytes waiting to be written.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
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

/// A reusable read buffer; large reads are handed over without a copy.
pub(crate) struct ReadBuf(Vec<u8>);

impl ReadBuf {
    pub(crate) fn new() -> ReadBuf {
        ReadBuf(vec![0; READ_CHUNK])
    }

    /// Reads once from `src` and returns the bytes as an owned chunk.
    pub(crate) fn read_from(&mut self, src: &mut impl Read) -> io::Result<Option<Bytes>> {
        let n = src.read(&mut self.0)?;
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(self.take(n)))
    }

    /// The first `n` bytes as an owned chunk; big chunks move, small ones copy.
    pub(crate) fn take(&mut self, n: usize) -> Bytes {
        if n >= READ_CHUNK / 2 {
            let mut full = std::mem::replace(&mut self.0, vec![0; READ_CHUNK]);
            full.truncate(n);
            Bytes::from(full)
        } else {
            Bytes::copy_from_slice(&self.0[..n])
        }
    }

    /// The whole buffer, for `recv_from`.
    pub(crate) fn space(&mut self) -> &mut [u8] {
        &mut self.0
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
            return match buf.read_from(&mut self.stream) {
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
