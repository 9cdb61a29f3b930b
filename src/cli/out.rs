//! The output of a command-line run: a buffer for small rows that large
//! writes go past. `std::io::BufWriter` copies every write smaller than its
//! whole buffer into it; a flood of 64 KiB chunks (`--raw`) or of hex rows
//! would then be copied once more on its way out.

use std::io::{self, IoSlice, Write};

/// Writes of at least this many bytes go straight to the output (after
/// what is buffered).
const DIRECT: usize = 16 * 1024;

/// A buffered writer whose large writes are not copied.
pub(super) struct Out<W: Write> {
    inner: W,
    buf: Vec<u8>,
    capacity: usize,
}

impl<W: Write> Out<W> {
    /// Buffers up to `capacity` bytes of small writes for `inner`.
    pub(super) fn new(capacity: usize, inner: W) -> Out<W> {
        Out {
            inner,
            buf: Vec::with_capacity(capacity),
            capacity,
        }
    }

    fn write_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl<W: Write> Write for Out<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.len() >= DIRECT {
            self.write_buf()?;
            return self.inner.write(data);
        }
        if self.buf.len() + data.len() > self.capacity {
            self.write_buf()?;
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let total: usize = bufs.iter().map(|b| b.len()).fold(0, usize::saturating_add);
        if total >= DIRECT {
            self.write_buf()?;
            return self.inner.write_vectored(bufs);
        }
        if self.buf.len() + total > self.capacity {
            self.write_buf()?;
        }
        for b in bufs {
            self.buf.extend_from_slice(b);
        }
        Ok(total)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_buf()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for Out<W> {
    fn drop(&mut self) {
        let _ = self.write_buf();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_writes_keep_their_order() {
        let mut out = Out::new(64, Vec::new());
        out.write_all(b"ab").unwrap();
        let big = vec![b'x'; DIRECT];
        out.write_all(&big).unwrap();
        out.write_all(b"cd").unwrap();
        let parts = [IoSlice::new(b"e"), IoSlice::new(&big)];
        let mut parts = parts;
        let mut left = &mut parts[..];
        while !left.is_empty() {
            let n = out.write_vectored(left).unwrap();
            IoSlice::advance_slices(&mut left, n);
        }
        out.flush().unwrap();
        let mut want = b"ab".to_vec();
        want.extend_from_slice(&big);
        want.extend_from_slice(b"cde");
        want.extend_from_slice(&big);
        assert_eq!(out.inner, want);
        // A buffer that fills is written out before the next write.
        let mut out = Out::new(4, Vec::new());
        out.write_all(b"abc").unwrap();
        out.write_all(b"de").unwrap();
        assert_eq!(out.inner, b"abc");
        out.flush().unwrap();
        assert_eq!(out.inner, b"abcde");
    }
}
