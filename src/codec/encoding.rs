//! UTF-8 / GBK text encodings: encoding text to send, decoding received bytes
//! (whole buffers or a stream of reads), and the incomplete-tail arithmetic
//! that lets a character split across two reads show whole.
//!
//! "GBK" decoding uses encoding_rs's GBK decoder, which is really a GB18030
//! decoder (it also understands the four-byte sequences
//! `[81-FE] [30-39] [81-FE] [30-39]`), so everything here handles tails of up
//! to three bytes. Encoding to GBK stays plain GBK: characters outside it are
//! reported instead of being silently replaced.

use std::fmt;
use std::str::FromStr;

use encoding_rs::{CoderResult, Decoder, EncoderResult, Encoding, GBK, UTF_8};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A concrete text encoding: what text typed by the user is sent as, and what
/// received bytes are decoded with once a choice has been made.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextEncoding {
    /// UTF-8, the default.
    #[default]
    #[serde(alias = "utf-8")]
    Utf8,
    /// GBK (decoding accepts all of GB18030).
    Gbk,
}

impl TextEncoding {
    /// Every variant, for pickers.
    pub const ALL: [TextEncoding; 2] = [TextEncoding::Utf8, TextEncoding::Gbk];

    /// Short human name shown in the UI and in messages.
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Gbk => "GBK",
        }
    }

    /// The encoding_rs encoding behind this variant.
    fn encoding_rs(self) -> &'static Encoding {
        match self {
            TextEncoding::Utf8 => UTF_8,
            TextEncoding::Gbk => GBK,
        }
    }
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for TextEncoding {
    type Err = ParseEncodingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf8" | "utf-8" => Ok(TextEncoding::Utf8),
            "gbk" => Ok(TextEncoding::Gbk),
            _ => Err(ParseEncodingError {
                value: s.to_string(),
                expected: "utf8, utf-8, gbk",
            }),
        }
    }
}

/// How received bytes are shown: a fixed encoding, or `Auto` (valid UTF-8 is
/// shown as UTF-8, anything else as GBK), the usual need on Chinese systems
/// where peers speak either.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DisplayEncoding {
    /// Always UTF-8.
    #[serde(alias = "utf-8")]
    Utf8,
    /// Always GBK (GB18030).
    Gbk,
    /// UTF-8 when the bytes are valid UTF-8 (apart from an incomplete tail),
    /// otherwise GBK.
    #[default]
    Auto,
}

impl DisplayEncoding {
    /// Every variant, for pickers.
    pub const ALL: [DisplayEncoding; 3] = [
        DisplayEncoding::Utf8,
        DisplayEncoding::Gbk,
        DisplayEncoding::Auto,
    ];

    /// Short human name shown in the UI and in messages.
    pub fn label(self) -> &'static str {
        match self {
            DisplayEncoding::Utf8 => "UTF-8",
            DisplayEncoding::Gbk => "GBK",
            DisplayEncoding::Auto => "Auto",
        }
    }

    /// The fixed encoding, or `None` for `Auto`.
    pub fn concrete(self) -> Option<TextEncoding> {
        match self {
            DisplayEncoding::Utf8 => Some(TextEncoding::Utf8),
            DisplayEncoding::Gbk => Some(TextEncoding::Gbk),
            DisplayEncoding::Auto => None,
        }
    }
}

impl From<TextEncoding> for DisplayEncoding {
    fn from(enc: TextEncoding) -> Self {
        match enc {
            TextEncoding::Utf8 => DisplayEncoding::Utf8,
            TextEncoding::Gbk => DisplayEncoding::Gbk,
        }
    }
}

impl fmt::Display for DisplayEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for DisplayEncoding {
    type Err = ParseEncodingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf8" | "utf-8" => Ok(DisplayEncoding::Utf8),
            "gbk" => Ok(DisplayEncoding::Gbk),
            "auto" => Ok(DisplayEncoding::Auto),
            _ => Err(ParseEncodingError {
                value: s.to_string(),
                expected: "utf8, utf-8, gbk, auto",
            }),
        }
    }
}

/// An encoding name (from the command line or a settings file) that is not
/// one we know; the message lists the accepted names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown encoding \"{value}\" (expected one of: {expected})")]
pub struct ParseEncodingError {
    /// The name as given.
    pub value: String,
    /// The accepted names, comma separated.
    pub expected: &'static str,
}

/// Text that cannot be sent in the chosen encoding.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// A character the encoding has no bytes for.
    #[error(
        "{} cannot encode '{ch}' (U+{:04X}) at position {position}",
        .encoding.label(),
        u32::from(*.ch)
    )]
    Unmappable {
        /// The character.
        ch: char,
        /// Its 1-based character index in the text.
        position: usize,
        /// The encoding that lacks it.
        encoding: TextEncoding,
    },
}

/// Encodes text to send, refusing (rather than replacing) characters the
/// encoding cannot represent.
pub fn encode(text: &str, enc: TextEncoding) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode_into(text, enc, &mut out)?;
    Ok(out)
}

/// Like [`encode`], appending to `out` so a payload can be assembled from
/// several pieces. On error `out` may hold part of the text.
pub fn encode_into(text: &str, enc: TextEncoding, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if enc == TextEncoding::Utf8 {
        out.extend_from_slice(text.as_bytes());
        return Ok(());
    }
    let mut encoder = enc.encoding_rs().new_encoder();
    let mut read_total = 0;
    loop {
        let rest = &text[read_total..];
        let room = encoder
            .max_buffer_length_from_utf8_without_replacement(rest.len())
            .unwrap_or(rest.len());
        out.reserve(room.max(4));
        let (result, read) = encoder.encode_from_utf8_to_vec_without_replacement(rest, out, true);
        read_total += read;
        match result {
            EncoderResult::InputEmpty => return Ok(()),
            EncoderResult::OutputFull => {}
            EncoderResult::Unmappable(ch) => {
                // `read` includes the unmappable character itself.
                return Err(EncodeError::Unmappable {
                    ch,
                    position: text[..read_total].chars().count(),
                    encoding: enc,
                });
            }
        }
    }
}

/// Runs `decoder` over `src`, growing `out` as needed (encoding_rs never
/// grows the `String` itself).
fn decode_with(decoder: &mut Decoder, mut src: &[u8], out: &mut String, last: bool) {
    loop {
        let room = decoder
            .max_utf8_buffer_length(src.len())
            .unwrap_or(src.len());
        out.reserve(room.max(4));
        let (result, read, _) = decoder.decode_to_string(src, out, last);
        src = &src[read..];
        if result == CoderResult::InputEmpty {
            return;
        }
    }
}

/// Decodes a whole buffer, appending to `out`; malformed or incomplete
/// sequences become U+FFFD. A UTF-8 byte order mark is kept as U+FEFF (the log
/// shows exactly what arrived).
pub fn decode_lossy(enc: TextEncoding, bytes: &[u8], out: &mut String) {
    decode_lossy_joined(enc, &[], bytes, out);
}

/// [`decode_lossy`] of `head` followed by `rest`, without concatenating them;
/// used to prepend a few carried-over bytes to a record or read.
pub fn decode_lossy_joined(enc: TextEncoding, head: &[u8], rest: &[u8], out: &mut String) {
    if head.is_empty()
        && enc == TextEncoding::Utf8
        && let Ok(text) = std::str::from_utf8(rest)
    {
        out.push_str(text);
        return;
    }
    let mut decoder = enc.encoding_rs().new_decoder_without_bom_handling();
    decode_with(&mut decoder, head, out, false);
    decode_with(&mut decoder, rest, out, true);
}

/// Whether `bytes` is valid UTF-8 except that it may end in the first bytes of
/// a character that is not complete yet (the `Auto` rule).
pub fn is_utf8_allowing_incomplete_tail(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(err) => err.error_len().is_none(),
    }
}

/// [`is_utf8_allowing_incomplete_tail`] of `head` followed by `rest`. Cheap
/// when `head` is a few carried-over bytes starting a UTF-8 character.
pub fn is_utf8_allowing_incomplete_tail_joined(head: &[u8], rest: &[u8]) -> bool {
    let Some(&lead) = head.first() else {
        return is_utf8_allowing_incomplete_tail(rest);
    };
    let width = utf8_width(lead);
    if width > head.len() {
        // `head` is (at most) the start of one character: complete it from
        // `rest`, then the remainder of `rest` starts on a character boundary.
        let need = width - head.len();
        let mut first = [0u8; 4];
        first[..head.len()].copy_from_slice(head);
        if rest.len() < need {
            let n = head.len() + rest.len();
            first[head.len()..n].copy_from_slice(rest);
            return is_utf8_allowing_incomplete_tail(&first[..n]);
        }
        first[head.len()..width].copy_from_slice(&rest[..need]);
        return std::str::from_utf8(&first[..width]).is_ok()
            && is_utf8_allowing_incomplete_tail(&rest[need..]);
    }
    let mut joined = Vec::with_capacity(head.len() + rest.len());
    joined.extend_from_slice(head);
    joined.extend_from_slice(rest);
    is_utf8_allowing_incomplete_tail(&joined)
}

/// Length of the UTF-8 sequence a lead byte announces; 1 for ASCII and for
/// bytes that cannot start a sequence.
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
    }
}

/// How many trailing bytes of `bytes` are the start of a character that is
/// not complete yet (0..=3): exactly the bytes encoding_rs's streaming decoder
/// would still be holding after being fed `bytes`. Decoding everything before
/// them as a finished buffer gives the same text as the streaming decoder.
pub fn incomplete_tail_len(enc: TextEncoding, bytes: &[u8]) -> usize {
    incomplete_tail_len_joined(enc, &[], bytes)
}

/// [`incomplete_tail_len`] of `head` followed by `rest`, without concatenating.
pub fn incomplete_tail_len_joined(enc: TextEncoding, head: &[u8], rest: &[u8]) -> usize {
    let joined = head.iter().chain(rest).copied();
    match enc {
        TextEncoding::Utf8 => {
            let mut last = [0u8; 3];
            let mut n = 0;
            for byte in joined.rev().take(3) {
                last[2 - n] = byte;
                n += 1;
            }
            utf8_tail_len(&last[3 - n..])
        }
        TextEncoding::Gbk => {
            let total = head.len() + rest.len();
            let run = joined
                .clone()
                .rev()
                .position(|b| !gbk_ambiguous(b))
                .unwrap_or(total);
            joined.skip(total - run).fold(0, gbk_step)
        }
    }
}

/// Whether the incomplete tail of `bytes` is the same whatever precedes it,
/// i.e. `incomplete_tail_len_joined(enc, head, bytes)` equals
/// `incomplete_tail_len(enc, bytes)` for every `head`. Lets the record store
/// stop walking back through earlier records early.
pub fn incomplete_tail_is_self_contained(enc: TextEncoding, bytes: &[u8]) -> bool {
    match enc {
        // Only the last three bytes matter.
        TextEncoding::Utf8 => bytes.len() >= 3,
        // The decoder is neutral after any unambiguous byte.
        TextEncoding::Gbk => bytes.iter().any(|&b| !gbk_ambiguous(b)),
    }
}

/// Incomplete tail of UTF-8 given (at most) its last three bytes: the last
/// byte that is not a continuation byte decides.
fn utf8_tail_len(last: &[u8]) -> usize {
    let n = last.len();
    for i in 1..=n {
        let byte = last[n - i];
        if byte & 0xC0 == 0x80 {
            continue;
        }
        let incomplete = utf8_width(byte) > i
            && matches!(std::str::from_utf8(&last[n - i..]), Err(e) if e.error_len().is_none());
        return if incomplete { i } else { 0 };
    }
    0
}

/// Bytes whose meaning in GB18030 depends on what precedes them: lead bytes
/// (0x81..=0xFE) and the digits of four-byte sequences. After any other byte
/// the decoder is always back in its neutral state.
fn gbk_ambiguous(byte: u8) -> bool {
    matches!(byte, 0x30..=0x39 | 0x81..=0xFE)
}

/// One step of the GB18030 decoder state (number of bytes held) for an
/// ambiguous byte, mirroring the WHATWG algorithm encoding_rs implements.
fn gbk_step(held: usize, byte: u8) -> usize {
    let lead = matches!(byte, 0x81..=0xFE);
    let digit = byte.is_ascii_digit();
    match held {
        0 if lead => 1,
        1 if digit => 2,
        2 if lead => 3,
        // Anything else completes a character or ends an error; a byte that
        // is re-read after an error is then always consumed as a trail.
        _ => 0,
    }
}

/// Decodes a stream of reads from one peer: a character split across reads is
/// held back (at most 3 bytes) and shown whole once the rest arrives.
#[derive(Debug, Clone)]
pub struct StreamDecoder {
    encoding: DisplayEncoding,
    pending: [u8; 3],
    pending_len: u8,
    /// The encoding the pending bytes were judged with (matters for `Auto`).
    last_used: TextEncoding,
}

impl StreamDecoder {
    /// A decoder for one stream, with nothing pending.
    pub fn new(encoding: DisplayEncoding) -> Self {
        StreamDecoder {
            encoding,
            pending: [0; 3],
            pending_len: 0,
            last_used: encoding.concrete().unwrap_or(TextEncoding::Utf8),
        }
    }

    /// The display encoding this decoder was made for.
    pub fn encoding(&self) -> DisplayEncoding {
        self.encoding
    }

    /// The encoding the last chunk was decoded with (what `Auto` chose).
    pub fn last_used(&self) -> TextEncoding {
        self.last_used
    }

    /// Bytes of an incomplete character held back for the next chunk.
    pub fn pending(&self) -> &[u8] {
        &self.pending[..usize::from(self.pending_len)]
    }

    /// Decodes the next chunk, returning all text that is complete so far.
    pub fn decode(&mut self, chunk: &[u8]) -> String {
        let mut out = String::new();
        self.decode_into(chunk, &mut out);
        out
    }

    /// [`StreamDecoder::decode`], appending to `out`.
    pub fn decode_into(&mut self, chunk: &[u8], out: &mut String) {
        let held = self.pending;
        let head = &held[..usize::from(self.pending_len)];
        let enc = match self.encoding.concrete() {
            Some(enc) => enc,
            None if is_utf8_allowing_incomplete_tail_joined(head, chunk) => TextEncoding::Utf8,
            None => TextEncoding::Gbk,
        };
        let tail = incomplete_tail_len_joined(enc, head, chunk);
        let keep = head.len() + chunk.len() - tail;
        if keep <= head.len() {
            decode_lossy(enc, &head[..keep], out);
        } else {
            decode_lossy_joined(enc, head, &chunk[..keep - head.len()], out);
        }
        // The new pending bytes are the last `tail` bytes of head ++ chunk.
        let mut pending = [0u8; 3];
        for (slot, byte) in pending[..tail]
            .iter_mut()
            .rev()
            .zip(head.iter().chain(chunk).rev())
        {
            *slot = *byte;
        }
        self.pending = pending;
        // `tail` is at most 3.
        self.pending_len = tail as u8;
        self.last_used = enc;
    }

    /// Ends the stream: pending bytes (an unfinished character) come out as
    /// U+FFFD, and the decoder is ready for a new stream.
    pub fn finish(&mut self) -> String {
        let mut out = String::new();
        decode_lossy(self.last_used, self.pending(), &mut out);
        self.pending_len = 0;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};

    const MIXED: &str = "hello 你好, 世界! abc 哈哈哈 ok";

    #[test]
    fn encodes_gbk_chinese() {
        assert_eq!(
            encode("你好", TextEncoding::Gbk).unwrap(),
            [0xC4, 0xE3, 0xBA, 0xC3]
        );
        assert_eq!(
            encode("a你", TextEncoding::Gbk).unwrap(),
            [0x61, 0xC4, 0xE3]
        );
        assert_eq!(
            encode("你好", TextEncoding::Utf8).unwrap(),
            "你好".as_bytes()
        );
    }

    #[test]
    fn unmappable_names_character_and_position() {
        let err = encode("你好😀x", TextEncoding::Gbk).unwrap_err();
        assert_eq!(
            err,
            EncodeError::Unmappable {
                ch: '😀',
                position: 3,
                encoding: TextEncoding::Gbk
            }
        );
        assert_eq!(
            err.to_string(),
            "GBK cannot encode '😀' (U+1F600) at position 3"
        );
        let err = encode("😀", TextEncoding::Gbk).unwrap_err();
        assert!(matches!(err, EncodeError::Unmappable { position: 1, .. }));
    }

    #[test]
    fn parses_names() {
        for name in ["utf8", "UTF-8", " Utf8 ", "utf-8"] {
            assert_eq!(name.parse::<TextEncoding>(), Ok(TextEncoding::Utf8));
            assert_eq!(name.parse::<DisplayEncoding>(), Ok(DisplayEncoding::Utf8));
        }
        assert_eq!("GBK".parse::<TextEncoding>(), Ok(TextEncoding::Gbk));
        assert_eq!("Auto".parse::<DisplayEncoding>(), Ok(DisplayEncoding::Auto));
        let err = "auto".parse::<TextEncoding>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown encoding \"auto\" (expected one of: utf8, utf-8, gbk)"
        );
        let err = "latin1".parse::<DisplayEncoding>().unwrap_err();
        assert!(err.to_string().contains("\"latin1\""));
        assert!(err.to_string().contains("auto"));
        assert_eq!(TextEncoding::Gbk.label(), "GBK");
        assert_eq!(DisplayEncoding::Auto.label(), "Auto");
        assert_eq!(DisplayEncoding::Utf8.to_string(), "UTF-8");
    }

    #[test]
    fn serde_names_match_from_str() {
        let de: StrDeserializer<'_, DeError> = "gbk".into_deserializer();
        assert_eq!(TextEncoding::deserialize(de), Ok(TextEncoding::Gbk));
        let de: StrDeserializer<'_, DeError> = "utf-8".into_deserializer();
        assert_eq!(DisplayEncoding::deserialize(de), Ok(DisplayEncoding::Utf8));
        let de: StrDeserializer<'_, DeError> = "auto".into_deserializer();
        assert_eq!(DisplayEncoding::deserialize(de), Ok(DisplayEncoding::Auto));
        let de: StrDeserializer<'_, DeError> = "latin1".into_deserializer();
        assert!(TextEncoding::deserialize(de).is_err());
    }

    #[test]
    fn decode_lossy_replaces_invalid() {
        let mut out = String::new();
        decode_lossy(TextEncoding::Utf8, b"a\xFFb", &mut out);
        assert_eq!(out, "a\u{FFFD}b");
        out.clear();
        decode_lossy(TextEncoding::Gbk, &[0xC4, 0xE3, 0xFF, 0x41], &mut out);
        assert_eq!(out, "你\u{FFFD}A");
        out.clear();
        // Incomplete tail at the end of a whole buffer.
        decode_lossy(TextEncoding::Gbk, &[0x41, 0xC4], &mut out);
        assert_eq!(out, "A\u{FFFD}");
        out.clear();
        decode_lossy_joined(TextEncoding::Utf8, &[0xE4, 0xBD], &[0xA0, b'!'], &mut out);
        assert_eq!(out, "你!");
    }

    #[test]
    fn tail_lengths() {
        use TextEncoding::{Gbk, Utf8};
        let ni = "你".as_bytes(); // E4 BD A0
        assert_eq!(incomplete_tail_len(Utf8, b""), 0);
        assert_eq!(incomplete_tail_len(Utf8, b"abc"), 0);
        assert_eq!(incomplete_tail_len(Utf8, &ni[..1]), 1);
        assert_eq!(incomplete_tail_len(Utf8, &ni[..2]), 2);
        assert_eq!(incomplete_tail_len(Utf8, ni), 0);
        assert_eq!(incomplete_tail_len(Utf8, &[0xF0, 0x9F, 0x98]), 3);
        // E0 80 can never become a character: nothing is held.
        assert_eq!(incomplete_tail_len(Utf8, &[0xE0, 0x80]), 0);
        assert_eq!(incomplete_tail_len(Utf8, &[0xFF]), 0);
        assert_eq!(incomplete_tail_len_joined(Utf8, &[0xE4], &[0xBD]), 2);

        assert_eq!(incomplete_tail_len(Gbk, &[0xC4]), 1);
        assert_eq!(incomplete_tail_len(Gbk, &[0xC4, 0xE3]), 0);
        assert_eq!(incomplete_tail_len(Gbk, &[0xC4, 0xE3, 0xBA]), 1);
        assert_eq!(incomplete_tail_len(Gbk, &[0x81, 0x30]), 2);
        assert_eq!(incomplete_tail_len(Gbk, &[0x81, 0x30, 0x81]), 3);
        assert_eq!(incomplete_tail_len(Gbk, &[0x81, 0x30, 0x81, 0x30]), 0);
        assert_eq!(incomplete_tail_len(Gbk, b"12"), 0);
        assert_eq!(incomplete_tail_len_joined(Gbk, &[0x81], &[0x30, 0x81]), 3);
    }

    /// Decodes `pieces` through one [`StreamDecoder`], including `finish`.
    fn stream(enc: DisplayEncoding, pieces: &[&[u8]]) -> String {
        let mut decoder = StreamDecoder::new(enc);
        let mut out = String::new();
        for piece in pieces {
            decoder.decode_into(piece, &mut out);
            assert!(decoder.pending().len() <= 3);
        }
        out.push_str(&decoder.finish());
        assert!(decoder.pending().is_empty());
        out
    }

    /// Asserts that splitting `bytes` at every position (and at the given
    /// pairs) decodes to `expected`.
    fn assert_all_splits(enc: DisplayEncoding, bytes: &[u8], expected: &str) {
        assert_eq!(stream(enc, &[bytes]), expected);
        for i in 0..=bytes.len() {
            let got = stream(enc, &[&bytes[..i], &bytes[i..]]);
            assert_eq!(got, expected, "split at {i} of {bytes:02X?}");
        }
    }

    fn gb18030(text: &str) -> Vec<u8> {
        let mut encoder = encoding_rs::GB18030.new_encoder();
        let mut out = Vec::with_capacity(text.len() * 4 + 4);
        let (result, _) = encoder.encode_from_utf8_to_vec_without_replacement(text, &mut out, true);
        assert_eq!(result, EncoderResult::InputEmpty);
        out
    }

    #[test]
    fn mixed_text_splits_everywhere() {
        let utf8 = MIXED.as_bytes();
        assert_all_splits(DisplayEncoding::Utf8, utf8, MIXED);
        assert_all_splits(DisplayEncoding::Auto, utf8, MIXED);
        let gbk = encode(MIXED, TextEncoding::Gbk).unwrap();
        assert_all_splits(DisplayEncoding::Gbk, &gbk, MIXED);
        assert_all_splits(DisplayEncoding::Auto, &gbk, MIXED);
        // Four-byte GB18030 sequences (emoji, CJK extension A).
        let text = "a😀b㐀中";
        let bytes = gb18030(text);
        assert_eq!(bytes.len(), 12);
        assert_eq!(bytes[1..5], [0x94, 0x39, 0xFC, 0x36]);
        assert_all_splits(DisplayEncoding::Gbk, &bytes, text);
    }

    #[test]
    fn pending_bytes_are_held() {
        let mut decoder = StreamDecoder::new(DisplayEncoding::Gbk);
        assert_eq!(decoder.decode(&[0x41, 0xC4]), "A");
        assert_eq!(decoder.pending(), [0xC4]);
        assert_eq!(decoder.decode(&[0xE3]), "你");
        assert!(decoder.pending().is_empty());
        assert_eq!(decoder.decode(&[0xBA]), "");
        assert_eq!(decoder.finish(), "\u{FFFD}");

        let mut decoder = StreamDecoder::new(DisplayEncoding::Auto);
        assert_eq!(decoder.decode(&[b'x', 0xE4, 0xBD]), "x");
        assert_eq!(decoder.pending(), [0xE4, 0xBD]);
        assert_eq!(decoder.decode(&[0xA0]), "你");
        // A GBK lead byte that looked like UTF-8 is re-judged with its trail.
        assert_eq!(decoder.decode(&[b'a', 0xC4]), "a");
        assert_eq!(decoder.decode(&[0xE3, b'!']), "你!");
    }

    #[test]
    fn invalid_bytes_show_replacement() {
        let mut bytes = b"ab ".to_vec();
        bytes.push(0xFF);
        bytes.extend_from_slice("你好".as_bytes());
        assert_all_splits(DisplayEncoding::Utf8, &bytes, "ab \u{FFFD}你好");

        let mut bytes = encode("ab 你", TextEncoding::Gbk).unwrap();
        bytes.push(0xFF);
        bytes.extend(encode("好c", TextEncoding::Gbk).unwrap());
        assert_all_splits(DisplayEncoding::Gbk, &bytes, "ab 你\u{FFFD}好c");
    }

    /// Characters for UTF-8 stream tests: ASCII, Latin, CJK, emoji.
    fn utf8_char() -> impl Strategy<Value = char> {
        prop_oneof![
            proptest::char::range(' ', '~'),
            proptest::char::range('\u{A1}', '\u{17F}'),
            proptest::char::range('\u{4E00}', '\u{9FA5}'),
            proptest::char::range('\u{1F600}', '\u{1F64F}'),
        ]
    }

    /// Characters for GBK stream tests: ASCII, GBK hanzi and full-width forms
    /// (two bytes), CJK extension A and emoji (four-byte GB18030).
    fn gbk_char() -> impl Strategy<Value = char> {
        prop_oneof![
            proptest::char::range(' ', '~'),
            proptest::char::range('\u{4E00}', '\u{9FA5}'),
            proptest::char::range('\u{FF01}', '\u{FF5E}'),
            proptest::char::range('\u{3400}', '\u{4DB5}'),
            proptest::char::range('\u{1F600}', '\u{1F64F}'),
        ]
    }

    fn three_way(bytes: &[u8], a: usize, b: usize) -> [&[u8]; 3] {
        let (a, b) = (a % (bytes.len() + 1), b % (bytes.len() + 1));
        let (a, b) = (a.min(b), a.max(b));
        [&bytes[..a], &bytes[a..b], &bytes[b..]]
    }

    /// Bytes biased towards the ones that matter to GB18030 and UTF-8 state.
    fn tricky_byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            Just(0x20u8),
            Just(0x41),
            Just(0x7F),
            Just(0x80),
            Just(0xFF),
            0x30u8..=0x39,
            0x81u8..=0xFE,
            0x80u8..=0xBF,
            0xC2u8..=0xF4,
        ]
    }

    proptest! {
        #[test]
        fn utf8_streams_split_anywhere(
            chars in proptest::collection::vec(utf8_char(), 0..30),
            a in any::<usize>(),
            b in any::<usize>(),
        ) {
            let text: String = chars.into_iter().collect();
            let bytes = text.as_bytes();
            for enc in [DisplayEncoding::Utf8, DisplayEncoding::Auto] {
                for i in 0..=bytes.len() {
                    prop_assert_eq!(stream(enc, &[&bytes[..i], &bytes[i..]]), text.clone());
                }
                prop_assert_eq!(stream(enc, &three_way(bytes, a, b)), text.clone());
            }
        }

        #[test]
        fn gbk_streams_split_anywhere(
            chars in proptest::collection::vec(gbk_char(), 0..30),
            a in any::<usize>(),
            b in any::<usize>(),
        ) {
            let text: String = chars.into_iter().collect();
            let bytes = gb18030(&text);
            let mut whole = String::new();
            decode_lossy(TextEncoding::Gbk, &bytes, &mut whole);
            prop_assert_eq!(&whole, &text);
            for i in 0..=bytes.len() {
                let got = stream(DisplayEncoding::Gbk, &[&bytes[..i], &bytes[i..]]);
                prop_assert_eq!(got, text.clone());
            }
            prop_assert_eq!(stream(DisplayEncoding::Gbk, &three_way(&bytes, a, b)), text);
        }

        #[test]
        fn invalid_byte_is_one_replacement(
            before in proptest::collection::vec(gbk_char(), 0..12),
            after in proptest::collection::vec(gbk_char(), 0..12),
            a in any::<usize>(),
            b in any::<usize>(),
        ) {
            let before: String = before.into_iter().collect();
            let after: String = after.into_iter().collect();
            let expected = format!("{before}\u{FFFD}{after}");
            let utf8 = [before.as_bytes(), &[0xFF], after.as_bytes()].concat();
            let gbk = [gb18030(&before), vec![0xFF], gb18030(&after)].concat();
            for i in 0..=utf8.len() {
                prop_assert_eq!(stream(DisplayEncoding::Utf8, &[&utf8[..i], &utf8[i..]]), expected.clone());
            }
            for i in 0..=gbk.len() {
                prop_assert_eq!(stream(DisplayEncoding::Gbk, &[&gbk[..i], &gbk[i..]]), expected.clone());
            }
            prop_assert_eq!(stream(DisplayEncoding::Utf8, &three_way(&utf8, a, b)), expected.clone());
            prop_assert_eq!(stream(DisplayEncoding::Gbk, &three_way(&gbk, a, b)), expected);
        }

        /// For arbitrary bytes our chunked decoding must equal encoding_rs's
        /// own streaming decoder chunk by chunk: same text after each chunk
        /// (so the held-back tail is exactly what encoding_rs holds) and the
        /// same text at the end.
        #[test]
        fn matches_encoding_rs_streaming(
            bytes in proptest::collection::vec(tricky_byte(), 0..40),
            cuts in proptest::collection::vec(any::<usize>(), 0..4),
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
            cuts.push(bytes.len());
            cuts.sort_unstable();
            for enc in TextEncoding::ALL {
                let mut reference = enc.encoding_rs().new_decoder_without_bom_handling();
                let mut ours = StreamDecoder::new(enc.into());
                let mut start = 0;
                for &cut in &cuts {
                    let chunk = &bytes[start..cut];
                    let mut expected = String::new();
                    decode_with(&mut reference, chunk, &mut expected, false);
                    prop_assert_eq!(ours.decode(chunk), expected);
                    prop_assert_eq!(
                        ours.pending().len(),
                        incomplete_tail_len(enc, &bytes[..cut])
                    );
                    start = cut;
                }
                let mut expected = String::new();
                decode_with(&mut reference, &[], &mut expected, true);
                prop_assert_eq!(ours.finish(), expected);
            }
        }

        #[test]
        fn self_contained_tails_ignore_the_head(
            head in proptest::collection::vec(tricky_byte(), 0..6),
            rest in proptest::collection::vec(tricky_byte(), 0..8),
        ) {
            for enc in TextEncoding::ALL {
                if incomplete_tail_is_self_contained(enc, &rest) {
                    prop_assert_eq!(
                        incomplete_tail_len_joined(enc, &head, &rest),
                        incomplete_tail_len(enc, &rest)
                    );
                }
            }
        }

        #[test]
        fn joined_helpers_match_concatenation(
            head in proptest::collection::vec(tricky_byte(), 0..4),
            rest in proptest::collection::vec(tricky_byte(), 0..12),
        ) {
            let joined = [head.as_slice(), &rest].concat();
            prop_assert_eq!(
                is_utf8_allowing_incomplete_tail_joined(&head, &rest),
                is_utf8_allowing_incomplete_tail(&joined)
            );
            for enc in TextEncoding::ALL {
                prop_assert_eq!(
                    incomplete_tail_len_joined(enc, &head, &rest),
                    incomplete_tail_len(enc, &joined)
                );
                let (mut a, mut b) = (String::new(), String::new());
                decode_lossy_joined(enc, &head, &rest, &mut a);
                decode_lossy(enc, &joined, &mut b);
                prop_assert_eq!(a, b);
            }
        }
    }
}
