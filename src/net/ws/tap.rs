//! Counts the frames of each incoming data message, reading only frame
//! headers from the same bytes tungstenite is given: tungstenite hands
//! over whole messages, and the log shows how many frames each came in.

use std::collections::VecDeque;
use std::io::Cursor;

use tungstenite::protocol::frame::FrameHeader;
use tungstenite::protocol::frame::coding::{Data, OpCode};

/// The frame counter.
#[derive(Debug, Default)]
pub(crate) struct FrameTap {
    /// Bytes of a header not complete yet (at most 14).
    head: Vec<u8>,
    /// Payload bytes of the current frame still to skip.
    skip: u64,
    /// Frames of the data message under way.
    frames: u16,
    /// Frame counts of messages complete, oldest first.
    done: VecDeque<u16>,
    /// A header did not parse: tungstenite fails the connection too.
    broken: bool,
}

/// At most this many counts wait; a peer sending only tiny messages that
/// are never taken cannot grow the queue (tungstenite takes them in step).
const MAX_WAITING: usize = 1 << 16;

impl FrameTap {
    /// Follows `bytes`, the next bytes of the stream.
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() && !self.broken {
            if self.skip > 0 {
                let n = usize::try_from(self.skip)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                self.skip -= n as u64;
                bytes = &bytes[n..];
                continue;
            }
            let want = 14usize.saturating_sub(self.head.len()).min(bytes.len());
            let before = self.head.len();
            self.head.extend_from_slice(&bytes[..want]);
            let mut cursor = Cursor::new(&self.head[..]);
            match FrameHeader::parse(&mut cursor) {
                Ok(Some((header, len))) => {
                    let used = cursor.position() as usize;
                    // Of what was appended, only the header's part is used.
                    bytes = &bytes[used.saturating_sub(before)..];
                    self.head.clear();
                    self.skip = len;
                    self.on_header(header.opcode, header.is_final);
                }
                Ok(None) => {
                    bytes = &bytes[want..];
                }
                Err(_) => self.broken = true,
            }
        }
    }

    fn on_header(&mut self, opcode: OpCode, fin: bool) {
        let OpCode::Data(data) = opcode else {
            return;
        };
        match data {
            Data::Continue => self.frames = self.frames.saturating_add(1),
            _ => self.frames = 1,
        }
        if fin {
            if self.done.len() < MAX_WAITING {
                self.done.push_back(self.frames);
            }
            self.frames = 0;
        }
    }

    /// The frame count of the oldest complete message (1 if unknown).
    pub(crate) fn take(&mut self) -> u16 {
        self.done.pop_front().unwrap_or(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_fragments_across_split_reads() {
        // Text "He" (not final), ping, continuation "llo" (final), binary [1].
        let stream: Vec<u8> = [
            &[0x01, 0x02, b'H', b'e'][..],
            &[0x89, 0x00],
            &[0x80, 0x03, b'l', b'l', b'o'],
            &[0x82, 0x01, 0x01],
        ]
        .concat();
        for split in 0..stream.len() {
            let mut tap = FrameTap::default();
            tap.feed(&stream[..split]);
            tap.feed(&stream[split..]);
            assert_eq!((tap.take(), tap.take()), (2, 1), "split at {split}");
        }
    }

    #[test]
    fn long_lengths_are_skipped() {
        let mut tap = FrameTap::default();
        let mut frame = vec![0x82, 126, 0x01, 0x00];
        frame.extend(std::iter::repeat_n(7u8, 256));
        tap.feed(&frame);
        tap.feed(&[0x82, 0x00]);
        assert_eq!((tap.take(), tap.take()), (1, 1));
    }
}
