//! Reading a stream into one large buffer that each chunk is cut from:
//! no copy and no allocation per read (one per [`ARENA`] bytes), and the
//! chunk handed on is the very buffer the system wrote into, reported
//! and written to the other leg as it is.
//!
//! A chunk keeps its arena alive until it is dropped. What keeps chunks
//! (the event log) keeps a run of recent ones and lets the oldest go, so
//! at most about one arena more than the chunks themselves stays held.

use std::io;

use bytes::{Bytes, BytesMut};
use mio::net::TcpStream;

use crate::net::read_pool::READ_CHUNK;

/// Bytes per arena: eight reads of [`READ_CHUNK`].
const ARENA: usize = 8 * READ_CHUNK;

/// The arena being filled.
pub(crate) struct Arena {
    buf: BytesMut,
}

impl Arena {
    /// An arena is allocated at the first read.
    pub(crate) fn new() -> Arena {
        Arena {
            buf: BytesMut::new(),
        }
    }

    /// Reads once (at most [`READ_CHUNK`] bytes) and gives the bytes read
    /// (`None` at the end of the stream). Through mio's `try_io`, as every
    /// read on a socket mio owns (see `ReadBuf::read_stream`).
    pub(crate) fn read_stream(&mut self, src: &TcpStream) -> io::Result<Option<Bytes>> {
        if self.buf.capacity() < READ_CHUNK {
            self.buf = BytesMut::with_capacity(ARENA);
        }
        let spare = &mut self.buf.spare_capacity_mut()[..READ_CHUNK];
        let n = src.try_io(|| socket2::SockRef::from(src).recv(spare))?;
        // SAFETY: `recv` initialised the first `n` bytes of the spare
        // capacity, and `n` is at most its length.
        unsafe { self.buf.set_len(n) };
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(self.buf.split().freeze()))
    }
}
