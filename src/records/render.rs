//! On-demand text and hex rendering of records, stream-aware: the records of
//! one stream (same direction and peer) are one byte stream, so a character
//! split across two reads shows whole in the later record.
//!
//! Each record memoizes, per concrete encoding, the incomplete character it
//! inherits from earlier records (its carry-in). The first time a row is
//! drawn the store walks back along the stream only until it finds a known
//! memo or a record whose tail does not depend on what came before it (for
//! UTF-8 any record of three bytes or more), iteratively, then fills the memos
//! on the way forward.
//!
//! A send whose last bytes NetAssist added (line ending, checksum) ends the
//! text of its stream: its last character is finished there, and nothing
//! carries over into the next record, so a checksum byte never joins the
//! next message's first character.

use std::ops::Range;

use crate::codec::{
    DisplayEncoding, TextEncoding, decode_lossy, decode_lossy_joined,
    incomplete_tail_is_self_contained, incomplete_tail_len_joined,
    is_utf8_allowing_incomplete_tail_joined, push_hex,
};

use super::record::{Carry, Direction, Record};
use super::store::RecordStore;

/// The incomplete character `record` leaves to the next record of its
/// stream when it follows `head`: none after a send with added bytes.
fn carry_out(enc: TextEncoding, head: &[u8], record: &Record) -> Carry {
    if record.added > 0 {
        return Carry::EMPTY;
    }
    let tail = incomplete_tail_len_joined(enc, head, &record.bytes);
    Carry::tail_of(head, &record.bytes, tail)
}

/// The bytes a record's text is decoded from: `carry`, then the first
/// `own` bytes of the record, finished at the end. The record's last bytes
/// past `own` start a character that the next record of its stream shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TextSpan {
    /// The encoding the record is shown in (what `Auto` chose).
    pub(crate) encoding: TextEncoding,
    /// The first bytes of a character begun in earlier records of the
    /// stream that this record finishes (empty if none).
    pub(crate) carry: Vec<u8>,
    /// How many of the record's own bytes its text shows.
    pub(crate) own: usize,
}

impl TextSpan {
    /// The part of `bytes[range]` (the record's own bytes) whose text the
    /// record shows.
    pub(crate) fn clip<'b>(&self, bytes: &'b [u8], range: Range<usize>) -> &'b [u8] {
        let end = range.end.min(self.own).min(bytes.len());
        bytes.get(range.start.min(end)..end).unwrap_or(&[])
    }
}

impl RecordStore {
    /// The payload of record `seq` as text in `enc` (empty for events and
    /// unknown seqs). A character split across records of a stream shows in
    /// the later record; while the earlier record is still the newest of its
    /// stream its unfinished tail shows as U+FFFD, so the text of the newest
    /// record of a stream can change when the next read arrives.
    pub fn text(&self, seq: u64, enc: DisplayEncoding) -> String {
        let mut out = String::new();
        self.push_text(seq, enc, &mut out);
        out
    }

    /// [`text`](Self::text), appending to `out`; returns the concrete
    /// encoding used (what `Auto` chose), or `None` for events and unknown
    /// seqs.
    pub fn push_text(
        &self,
        seq: u64,
        enc: DisplayEncoding,
        out: &mut String,
    ) -> Option<TextEncoding> {
        let idx = self.index_of(seq)?;
        let record = self.records.get(idx)?;
        if record.dir == Direction::Event {
            return None;
        }
        let (chosen, carry, keep) = self.span(idx, record, enc);
        let head = carry.as_slice();
        match keep.checked_sub(head.len()) {
            Some(from_bytes) => decode_lossy_joined(chosen, head, &record.bytes[..from_bytes], out),
            None => decode_lossy(chosen, &head[..keep], out),
        }
        Some(chosen)
    }

    /// The concrete encoding record `seq` is shown in for `enc` (what `Auto`
    /// picks for it), or `None` for events and unknown seqs.
    pub fn chosen_encoding(&self, seq: u64, enc: DisplayEncoding) -> Option<TextEncoding> {
        let idx = self.index_of(seq)?;
        let record = self.records.get(idx)?;
        (record.dir != Direction::Event).then(|| self.choose(idx, enc).0)
    }

    /// What the text of record `seq` is decoded from, for views that decode
    /// it piece by piece (`None` for events and unknown seqs).
    pub(crate) fn text_span(&self, seq: u64, enc: DisplayEncoding) -> Option<TextSpan> {
        let idx = self.index_of(seq)?;
        let record = self.records.get(idx)?;
        if record.dir == Direction::Event {
            return None;
        }
        let (encoding, carry, keep) = self.span(idx, record, enc);
        let head = carry.as_slice();
        Some(TextSpan {
            encoding,
            carry: head[..keep.min(head.len())].to_vec(),
            own: keep.saturating_sub(head.len()),
        })
    }

    /// True if record `seq` is the newest of its stream, so nothing later
    /// continues its last character.
    pub fn is_newest_of_stream(&self, seq: u64) -> bool {
        self.get(seq).is_none_or(|r| self.is_stream_head(r))
    }

    /// The payload of record `seq` as upper-case hex pairs (empty for events
    /// and unknown seqs).
    pub fn hex(&self, seq: u64) -> String {
        let mut out = String::new();
        if let Some(record) = self.get(seq) {
            push_hex(&record.bytes, &mut out);
        }
        out
    }

    /// The encoding `record` (at `idx`) is shown in, its carry-in, and how many
    /// bytes of the carry-in followed by its payload its text shows: all
    /// but the start of a character the next record of its stream shows.
    fn span(
        &self,
        idx: usize,
        record: &Record,
        enc: DisplayEncoding,
    ) -> (TextEncoding, Carry, usize) {
        let (chosen, carry) = self.choose(idx, enc);
        let head = carry.as_slice();
        let bytes = &record.bytes[..];
        let tail = if self.is_stream_head(record) || record.added > 0 {
            0
        } else {
            match (enc.concrete(), self.next_index(idx)) {
                // With `Auto` the next record may choose the other encoding:
                // leave out exactly what it shows, so no byte is lost.
                (None, Some(next)) => self.choose(next, enc).1.as_slice().len(),
                _ => incomplete_tail_len_joined(chosen, head, bytes),
            }
        };
        let keep = (head.len() + bytes.len()).saturating_sub(tail);
        (chosen, carry, keep)
    }

    /// The encoding a record is shown in and its carry-in in that encoding.
    /// `Auto`: UTF-8 if the UTF-8 carry-in followed by the payload (of a
    /// send, the typed part) is valid UTF-8 apart from an incomplete tail,
    /// otherwise GBK.
    fn choose(&self, idx: usize, enc: DisplayEncoding) -> (TextEncoding, Carry) {
        // A WebSocket text message is UTF-8 by definition.
        if self
            .records
            .get(idx)
            .and_then(|r| r.message)
            .is_some_and(|m| m.kind == crate::net::ws::MessageKind::Text)
        {
            return (TextEncoding::Utf8, Carry::EMPTY);
        }
        if let Some(fixed) = enc.concrete() {
            return (fixed, self.carry_in(idx, fixed));
        }
        let utf8 = self.carry_in(idx, TextEncoding::Utf8);
        let Some(record) = self.records.get(idx) else {
            return (TextEncoding::Utf8, utf8);
        };
        // Validating a large record is not free: the choice is kept.
        let is_utf8 = match record.auto.get() {
            1 => true,
            2 => false,
            _ => {
                // A send is judged by what was typed: a checksum is no text.
                let ok = is_utf8_allowing_incomplete_tail_joined(utf8.as_slice(), record.typed());
                record.auto.set(if ok { 1 } else { 2 });
                ok
            }
        };
        if is_utf8 {
            (TextEncoding::Utf8, utf8)
        } else {
            (TextEncoding::Gbk, self.carry_in(idx, TextEncoding::Gbk))
        }
    }

    /// Index of the previous record of the same stream, if still held.
    fn prev_index(&self, idx: usize) -> Option<usize> {
        let link = self.records.get(idx)?.link;
        if link == 0 {
            return None;
        }
        idx.checked_sub(usize::try_from(link).ok()?)
    }

    /// Index of the next record of the same stream, if any.
    fn next_index(&self, idx: usize) -> Option<usize> {
        let next = self.records.get(idx)?.next;
        if next == 0 {
            return None;
        }
        let at = idx.checked_add(usize::try_from(next).ok()?)?;
        (at < self.records.len()).then_some(at)
    }

    /// The carry-in of record `idx` in `enc`, memoized.
    fn carry_in(&self, idx: usize, enc: TextEncoding) -> Carry {
        // Records whose carry-in needs their predecessor's carry-in first,
        // newest first.
        let mut waiting: Vec<usize> = Vec::new();
        let mut cur = idx;
        let mut carry = loop {
            let Some(record) = self.records.get(cur) else {
                break Carry::EMPTY;
            };
            let memo = record.carry_cell(enc).get();
            if memo.is_known() {
                break memo;
            }
            let prev = self
                .prev_index(cur)
                .and_then(|p| Some((p, self.records.get(p)?)));
            match prev {
                Some((p, prev))
                    if prev.added == 0 && !incomplete_tail_is_self_contained(enc, &prev.bytes) =>
                {
                    waiting.push(cur);
                    cur = p;
                }
                _ => {
                    let value = prev.map_or(Carry::EMPTY, |(_, prev)| carry_out(enc, &[], prev));
                    record.carry_cell(enc).set(value);
                    break value;
                }
            }
        };
        // `carry` is the carry-in of `cur`; each waiting record follows it.
        while let Some(next) = waiting.pop() {
            let Some(prev) = self.records.get(cur) else {
                break;
            };
            carry = carry_out(enc, carry.as_slice(), prev);
            if let Some(record) = self.records.get(next) {
                record.carry_cell(enc).set(carry);
            }
            cur = next;
        }
        carry
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::{Duration, SystemTime};

    use bytes::Bytes;
    use proptest::prelude::*;

    use super::*;
    use crate::codec::encode;
    use crate::records::{Note, StoreConfig};

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, 1], port))
    }

    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH
    }

    fn rx(store: &mut RecordStore, port: u16, bytes: &[u8]) -> u64 {
        store.push_rx(t0(), peer(port), Bytes::copy_from_slice(bytes))
    }

    fn gbk(text: &str) -> Vec<u8> {
        encode(text, TextEncoding::Gbk).unwrap()
    }

    #[test]
    fn split_utf8_character_shows_whole_in_later_record() {
        let bytes = "a你好".as_bytes(); // 61 E4 BD A0 E5 A5 BD
        let mut s = RecordStore::default();
        let first = rx(&mut s, 1, &bytes[..2]);
        // Newest of its stream: the unfinished character shows as U+FFFD.
        assert_eq!(s.text(first, DisplayEncoding::Utf8), "a\u{FFFD}");
        let second = rx(&mut s, 1, &bytes[2..5]);
        assert_eq!(s.text(first, DisplayEncoding::Utf8), "a");
        assert_eq!(s.text(second, DisplayEncoding::Utf8), "你\u{FFFD}");
        let third = rx(&mut s, 1, &bytes[5..]);
        assert_eq!(s.text(second, DisplayEncoding::Utf8), "你");
        assert_eq!(s.text(third, DisplayEncoding::Utf8), "好");
        for seq in [first, second, third] {
            assert_eq!(
                s.text(seq, DisplayEncoding::Auto),
                s.text(seq, DisplayEncoding::Utf8)
            );
            assert_eq!(
                s.chosen_encoding(seq, DisplayEncoding::Auto),
                Some(TextEncoding::Utf8)
            );
        }
        assert_eq!(s.hex(first), "61 E4");
    }

    #[test]
    fn split_gbk_character_shows_whole_in_later_record() {
        let bytes = gbk("你好ab"); // C4 E3 BA C3 61 62
        let mut s = RecordStore::default();
        let a = rx(&mut s, 1, &bytes[..1]);
        let b = rx(&mut s, 1, &bytes[1..3]);
        let c = rx(&mut s, 1, &bytes[3..]);
        for enc in [DisplayEncoding::Gbk, DisplayEncoding::Auto] {
            assert_eq!(s.text(a, enc), "");
            assert_eq!(s.text(b, enc), "你");
            assert_eq!(s.text(c, enc), "好ab");
        }
        assert_eq!(
            s.chosen_encoding(c, DisplayEncoding::Auto),
            Some(TextEncoding::Gbk)
        );
    }

    #[test]
    fn interleaved_peers_are_separate_streams() {
        let utf8 = "你好".as_bytes();
        let mut s = RecordStore::default();
        let a1 = rx(&mut s, 1, &utf8[..2]);
        let b1 = rx(&mut s, 2, &utf8[..1]);
        let t1 = s.push_tx(t0(), peer(1), Bytes::from_static(b"ok"));
        let e1 = s.push_event(
            t0(),
            Some(peer(1)),
            Note::Connected {
                local: peer(9),
                by: crate::records::Opener::Peer,
            },
        );
        let a2 = rx(&mut s, 1, &utf8[2..4]);
        let b2 = rx(&mut s, 2, &utf8[1..]);
        let a3 = rx(&mut s, 1, &utf8[4..]);
        let enc = DisplayEncoding::Utf8;
        assert_eq!(s.text(a1, enc), "");
        assert_eq!(s.text(b1, enc), "");
        assert_eq!(s.text(t1, enc), "ok");
        assert_eq!(s.text(e1, enc), "");
        assert_eq!(s.text(a2, enc), "你");
        assert_eq!(s.text(b2, enc), "你好");
        assert_eq!(s.text(a3, enc), "好");
    }

    #[test]
    fn dropped_predecessor_starts_clean() {
        let bytes = "你".as_bytes();
        let mut s = RecordStore::new(StoreConfig {
            max_records: 1,
            ..StoreConfig::default()
        });
        rx(&mut s, 1, &bytes[..1]);
        let second = rx(&mut s, 1, &bytes[1..]);
        assert_eq!(s.first_seq(), second);
        assert_eq!(s.text(second, DisplayEncoding::Utf8), "\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn invalid_bytes_show_replacement_and_rest_is_right() {
        let mut s = RecordStore::default();
        let mut first = b"ok ".to_vec();
        first.push(0xFF);
        first.extend_from_slice(&"你".as_bytes()[..1]);
        let a = rx(&mut s, 1, &first);
        let b = rx(&mut s, 1, &"你".as_bytes()[1..]);
        assert_eq!(s.text(a, DisplayEncoding::Utf8), "ok \u{FFFD}");
        assert_eq!(s.text(b, DisplayEncoding::Utf8), "你");
    }

    #[test]
    fn auto_leaves_out_only_what_the_next_record_shows() {
        // "ab" + E4 B0 is valid UTF-8 with an incomplete tail, but is really
        // GBK; the next record is plainly GBK. The bytes must not vanish.
        let mut s = RecordStore::default();
        let a = rx(&mut s, 1, &[b'a', b'b', 0xE4, 0xB0]);
        let b = rx(&mut s, 1, &gbk("你"));
        assert_eq!(
            s.chosen_encoding(a, DisplayEncoding::Auto),
            Some(TextEncoding::Utf8)
        );
        assert_eq!(
            s.chosen_encoding(b, DisplayEncoding::Auto),
            Some(TextEncoding::Gbk)
        );
        assert_eq!(s.text(a, DisplayEncoding::Auto), "ab\u{FFFD}");
        assert_eq!(s.text(b, DisplayEncoding::Auto), "你");
    }

    #[test]
    fn long_chains_render_without_recursion() {
        // 200k one-byte records of GBK lead bytes: every record's tail
        // depends on all the earlier ones.
        let mut s = RecordStore::default();
        let bytes = gbk("你好");
        for i in 0..200_000usize {
            let b = bytes[i % 4];
            s.push_rx(t0(), peer(1), Bytes::copy_from_slice(&[b]));
        }
        let last = s.end_seq() - 1;
        assert_eq!(s.text(last, DisplayEncoding::Gbk), "好");
        assert_eq!(s.text(last - 2, DisplayEncoding::Gbk), "你");
        assert_eq!(s.text(last - 1, DisplayEncoding::Gbk), "");
    }

    #[test]
    fn merged_records_render_as_one() {
        let mut s = RecordStore::new(StoreConfig {
            merge_window: Some(Duration::from_millis(5)),
            ..StoreConfig::default()
        });
        let bytes = "你好".as_bytes();
        let seq = s.push_rx(t0(), peer(1), Bytes::copy_from_slice(&bytes[..2]));
        s.push_rx(t0(), peer(1), Bytes::copy_from_slice(&bytes[2..]));
        assert_eq!(s.text(seq, DisplayEncoding::Utf8), "你好");
        assert_eq!(s.get(seq).map(|r| r.reads.clone()), Some(vec![2]));
    }

    #[test]
    fn added_bytes_end_the_text_of_their_stream() {
        // Found by fuzzing (rows target): a send of GBK text whose checksum
        // 81 30 is the start of a four-byte GB18030 sequence, then a send of
        // "x". The checksum once joined the next send's text as "\u{FFFD}0x".
        let tx = |s: &mut RecordStore, bytes: &[u8], added: u32| {
            s.push_tx_added(t0(), peer(1), Bytes::copy_from_slice(bytes), added)
        };
        let mut s = RecordStore::default();
        let a = tx(&mut s, &[0xC4, 0xE3, 0xBA, 0xC3, b'\n', 0x81, 0x30], 2);
        let b = tx(&mut s, b"x", 0);
        assert_eq!(s.text(a, DisplayEncoding::Gbk), "你好\n\u{FFFD}");
        assert_eq!(s.text(b, DisplayEncoding::Gbk), "x");
        // Auto judges a send by what was typed: a checksum byte that is no
        // UTF-8 does not make UTF-8 text show as GBK.
        let c = tx(&mut s, &["你".as_bytes(), &[0x81]].concat(), 1);
        assert_eq!(
            s.chosen_encoding(c, DisplayEncoding::Auto),
            Some(TextEncoding::Utf8)
        );
    }

    /// Pushes `bytes` of two streams as records at the given cut points,
    /// alternating streams by `which`, and returns the concatenated text of
    /// each stream.
    fn render_streams(
        streams: [&[u8]; 2],
        cuts: &[usize],
        which: &[bool],
        enc: DisplayEncoding,
    ) -> [String; 2] {
        let mut s = RecordStore::default();
        let mut pos = [0usize; 2];
        let mut seqs: [Vec<u64>; 2] = [Vec::new(), Vec::new()];
        for (i, &cut) in cuts.iter().enumerate() {
            let k = usize::from(which.get(i).copied().unwrap_or(false));
            let data = streams[k];
            let end = (pos[k] + cut % 5).min(data.len());
            let port = 1 + k as u16;
            seqs[k].push(s.push_rx(t0(), peer(port), Bytes::copy_from_slice(&data[pos[k]..end])));
            pos[k] = end;
        }
        for k in 0..2 {
            let data = streams[k];
            seqs[k].push(s.push_rx(
                t0(),
                peer(1 + k as u16),
                Bytes::copy_from_slice(&data[pos[k]..]),
            ));
        }
        // Render newest first so memos are filled by long walks too.
        let mut out = [String::new(), String::new()];
        for k in 0..2 {
            let mut parts: Vec<String> = seqs[k].iter().rev().map(|&q| s.text(q, enc)).collect();
            parts.reverse();
            out[k] = parts.concat();
        }
        out
    }

    fn mixed_char() -> impl Strategy<Value = char> {
        prop_oneof![
            proptest::char::range(' ', '~'),
            proptest::char::range('\u{4E00}', '\u{9FA5}'),
            proptest::char::range('\u{1F600}', '\u{1F64F}'),
        ]
    }

    fn gb18030(text: &str) -> Vec<u8> {
        let mut encoder = encoding_rs::GB18030.new_encoder();
        let mut out = Vec::with_capacity(text.len() * 4 + 4);
        let _ = encoder.encode_from_utf8_to_vec_without_replacement(text, &mut out, true);
        out
    }

    proptest! {
        #[test]
        fn streams_render_to_their_text(
            a in proptest::collection::vec(mixed_char(), 0..20),
            b in proptest::collection::vec(mixed_char(), 0..20),
            cuts in proptest::collection::vec(any::<usize>(), 0..30),
            which in proptest::collection::vec(any::<bool>(), 0..30),
        ) {
            let a: String = a.into_iter().collect();
            let b: String = b.into_iter().collect();
            for enc in [DisplayEncoding::Utf8, DisplayEncoding::Auto] {
                let got = render_streams([a.as_bytes(), b.as_bytes()], &cuts, &which, enc);
                prop_assert_eq!(&got[0], &a);
                prop_assert_eq!(&got[1], &b);
            }
            let (ga, gb) = (gb18030(&a), gb18030(&b));
            let got = render_streams([&ga, &gb], &cuts, &which, DisplayEncoding::Gbk);
            prop_assert_eq!(&got[0], &a);
            prop_assert_eq!(&got[1], &b);
        }
    }
}
