//! Helpers shared by the fuzz targets.
//!
//! Every target reads its input the same simple way, so seed files can be
//! written by hand: a few header bytes (options, cut points) from the front,
//! then the payload, which is the rest. Reading past the end gives zeros.

use netassist::codec::{
    DisplayEncoding, StreamDecoder, TextEncoding, decode_lossy, decode_lossy_joined,
    incomplete_tail_is_self_contained, incomplete_tail_len, incomplete_tail_len_joined,
    is_utf8_allowing_incomplete_tail, is_utf8_allowing_incomplete_tail_joined,
};

/// A fuzz input, read from the front.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Starts reading `data`.
    pub fn new(data: &'a [u8]) -> Input<'a> {
        Input { data }
    }

    /// The next byte (0 once the input is used up).
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next two bytes, little-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// The next byte, folded into `0..n` (`n` at least 1).
    pub fn pick(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n.max(1)
    }

    /// Cut points: a count byte (0 to 15 cuts), then two bytes per cut.
    /// Fold them onto a payload with [`split`].
    pub fn cuts(&mut self) -> Vec<u16> {
        let n = self.byte() % 16;
        (0..n).map(|_| self.u16()).collect()
    }

    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Everything not read yet.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}

/// Cuts `data` at the points `cuts` (each folded into `0..=data.len()`),
/// in order: the pieces concatenate back to `data`; some may be empty.
pub fn split<'b>(data: &'b [u8], cuts: &[u16]) -> Vec<&'b [u8]> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|&c| usize::from(c) % (data.len() + 1))
        .collect();
    points.sort_unstable();
    let mut pieces = Vec::with_capacity(points.len() + 1);
    let mut start = 0;
    for end in points.into_iter().chain(Some(data.len())) {
        pieces.push(&data[start..end]);
        start = end;
    }
    pieces
}

/// The text of a fuzz payload: the bytes as UTF-8 when they are, otherwise
/// a lossy decoding, so text targets never skip an input.
pub fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Feeds `data` (split at `cuts`) through a [`StreamDecoder`] for `enc`
/// and checks it against encoding_rs's own streaming decoder read by read,
/// against decoding the whole input at once, and the tail helpers against
/// their definitions. Then does the same with `Auto`, which must show valid
/// UTF-8 exactly however it is split.
pub fn check_stream(enc: TextEncoding, data: &[u8], cuts: &[u16]) {
    let pieces = split(data, cuts);
    let mut ours = StreamDecoder::new(enc.into());
    let mut reference = encoding_rs_decoder(enc);
    let mut streamed = String::new();
    let mut seen = 0;
    for piece in &pieces {
        let got = ours.decode(piece);
        let mut expected = String::new();
        decode_with(&mut reference, piece, &mut expected, false);
        assert_eq!(got, expected, "read {piece:02X?} of {data:02X?}");
        seen += piece.len();
        assert_eq!(
            ours.pending().len(),
            incomplete_tail_len(enc, &data[..seen])
        );
        streamed.push_str(&got);
    }
    let mut expected = String::new();
    decode_with(&mut reference, &[], &mut expected, true);
    let end = ours.finish();
    assert_eq!(end, expected);
    assert!(ours.pending().is_empty());
    streamed.push_str(&end);

    let mut whole = String::new();
    decode_lossy(enc, data, &mut whole);
    assert_eq!(streamed, whole, "{data:02X?} split at {cuts:?}");
    // The finished decoder starts a new stream.
    let mut again = ours.decode(data);
    again.push_str(&ours.finish());
    assert_eq!(again, whole);

    // The `_joined` helpers equal their plain forms on the concatenation.
    let (head, rest) = data.split_at(pieces.first().map_or(0, |p| p.len()));
    let mut joined = String::new();
    decode_lossy_joined(enc, head, rest, &mut joined);
    assert_eq!(joined, whole);
    assert_eq!(
        incomplete_tail_len_joined(enc, head, rest),
        incomplete_tail_len(enc, data)
    );
    assert_eq!(
        is_utf8_allowing_incomplete_tail_joined(head, rest),
        is_utf8_allowing_incomplete_tail(data)
    );
    if incomplete_tail_is_self_contained(enc, rest) {
        assert_eq!(
            incomplete_tail_len_joined(enc, head, rest),
            incomplete_tail_len(enc, rest)
        );
    }

    let mut auto = StreamDecoder::new(DisplayEncoding::Auto);
    let mut shown = String::new();
    for piece in &pieces {
        auto.decode_into(piece, &mut shown);
        assert!(auto.pending().len() <= 3);
    }
    shown.push_str(&auto.finish());
    // Every character shown stands for at least one byte received.
    assert!(shown.chars().count() <= data.len());
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(shown, text);
    }
}

/// A fresh encoding_rs decoder for `enc`, as the stream decoder uses it.
fn encoding_rs_decoder(enc: TextEncoding) -> encoding_rs::Decoder {
    match enc {
        TextEncoding::Utf8 => encoding_rs::UTF_8.new_decoder_without_bom_handling(),
        TextEncoding::Gbk => encoding_rs::GBK.new_decoder_without_bom_handling(),
    }
}

/// Runs encoding_rs's decoder over `src`, growing `out` as it needs.
fn decode_with(decoder: &mut encoding_rs::Decoder, mut src: &[u8], out: &mut String, last: bool) {
    loop {
        let room = decoder
            .max_utf8_buffer_length(src.len())
            .unwrap_or(src.len());
        out.reserve(room.max(4));
        let (result, read, _) = decoder.decode_to_string(src, out, last);
        src = &src[read..];
        if result == encoding_rs::CoderResult::InputEmpty {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_the_input() {
        let data = b"abcdef";
        let pieces = split(data, &[4, 1, 100]);
        assert_eq!(pieces.concat(), data);
        assert_eq!(pieces[0], b"a");
        assert_eq!(pieces.len(), 4);
    }

    #[test]
    fn reading_past_the_end_gives_zeros() {
        let mut input = Input::new(&[2, 1, 0]);
        assert_eq!(input.cuts(), [1, 0]);
        assert_eq!(input.byte(), 0);
        assert!(input.rest().is_empty());
    }
}
