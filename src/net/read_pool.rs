//! Whole-chunk read buffers, kept for reuse and made ready ahead of a flood.
//!
//! Every byte received is kept, so a flood's reads land in fresh memory,
//! and the first touch of each page of it costs the reading thread a page
//! fault inside the kernel's copy: filling a 256 MiB log takes some 65,000
//! of them, a third of the engine thread's time in a 1 GiB burst. Here a
//! chunk's buffer comes back when the last record holding it is dropped,
//! and when none is waiting, a helper thread touches the pages of fresh
//! buffers on another core while the engine goes on reading.

use std::mem::MaybeUninit;
use std::sync::OnceLock;

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender, bounded};

/// Size of one read of a TCP stream.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// Buffers kept ready at most (4 MiB of 64 KiB buffers).
const KEPT: usize = 64;
/// Pages are touched this far apart (the smallest page size there is).
const PAGE: usize = 4096;

struct Pool {
    give: Sender<Vec<u8>>,
    take: Receiver<Vec<u8>>,
    /// Asks the helper for fresh buffers.
    want: Sender<()>,
}

static POOL: OnceLock<Option<Pool>> = OnceLock::new();

/// The pool, its helper started on first use (`None` if the thread could
/// not be started: buffers are then allocated as they are needed).
fn pool() -> Option<&'static Pool> {
    POOL.get_or_init(|| {
        let (give, take) = bounded(KEPT);
        let (want, wanted) = bounded::<()>(1);
        let filler = give.clone();
        std::thread::Builder::new()
            .name("netassist-buffers".to_string())
            .spawn(move || {
                while wanted.recv().is_ok() {
                    // Until the pool is full (no buffer made for a full pool
                    // to refuse): the engine asks again when it finds it
                    // empty.
                    while !filler.is_full() && filler.try_send(touched()).is_ok() {}
                }
            })
            .ok()?;
        Some(Pool { give, take, want })
    })
    .as_ref()
}

/// A fresh empty buffer of [`READ_CHUNK`] bytes whose pages are already
/// in memory.
fn touched() -> Vec<u8> {
    let mut buf = Vec::with_capacity(READ_CHUNK);
    for page in buf.spare_capacity_mut().iter_mut().step_by(PAGE) {
        *page = MaybeUninit::new(0);
    }
    std::hint::black_box(buf)
}

/// An empty buffer with room for [`READ_CHUNK`] bytes: a kept one when
/// there is one; else a fresh one, and the helper is asked to make more.
pub(crate) fn take() -> Vec<u8> {
    let Some(pool) = pool() else {
        return Vec::with_capacity(READ_CHUNK);
    };
    match pool.take.try_recv() {
        Ok(buf) => buf,
        Err(_) => {
            let _ = pool.want.try_send(());
            Vec::with_capacity(READ_CHUNK)
        }
    }
}

/// The bytes read into `buf`, whose buffer comes back to the pool when
/// the last holder of the bytes drops them.
pub(crate) fn freeze(buf: Vec<u8>) -> Bytes {
    Bytes::from_owner(Kept(buf))
}

/// A chunk's buffer on its way back to the pool.
struct Kept(Vec<u8>);

impl AsRef<[u8]> for Kept {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.0);
        if buf.capacity() != READ_CHUNK {
            return;
        }
        if let Some(pool) = POOL.get().and_then(Option::as_ref) {
            buf.clear();
            // A full pool: the buffer is freed.
            let _ = pool.give.try_send(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_keeps_its_bytes_and_its_buffer_comes_back() {
        let mut buf = take();
        assert!(buf.capacity() >= READ_CHUNK);
        buf.extend_from_slice(b"every byte kept");
        let addr = buf.as_ptr();
        let bytes = freeze(buf);
        let copy = bytes.clone();
        assert_eq!(&copy[..], b"every byte kept");
        drop(bytes);
        assert_eq!(&copy[4..8], b"y by");
        drop(copy);
        // The pool is shared with other tests: look for this buffer in it.
        let pool = pool().expect("the helper starts");
        let back: Vec<Vec<u8>> = pool.take.try_iter().collect();
        assert!(back.iter().any(|b| b.as_ptr() == addr && b.is_empty()));
    }
}
