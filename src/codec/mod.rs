//! Text and byte codecs: hex, escapes, UTF-8/GBK encodings, line endings,
//! checksums, and [`build_payload`], which turns what the user typed into the
//! bytes to send.
//!
//! Everything here is a pure function (no I/O, no UI) so the window, the
//! command line and the record store agree byte for byte.

pub mod checksum;
pub mod encoding;
pub mod escape;
pub mod hex;
pub mod newline;
pub mod payload;
mod preview;
pub mod summary;

pub use checksum::{
    Checksum, ChecksumError, ChecksumKind, ChecksumRange, ParseChecksumError, ParseRangeError,
    RangeEnd, crc16_ccitt_false, crc16_modbus, crc32, lrc, sum8, xor8,
};
pub use encoding::{
    DisplayEncoding, EncodeError, ParseEncodingError, StreamDecoder, TextEncoding, decode_lossy,
    decode_lossy_joined, encode, encode_into, incomplete_tail_is_self_contained,
    incomplete_tail_len, incomplete_tail_len_joined, is_utf8_allowing_incomplete_tail,
    is_utf8_allowing_incomplete_tail_joined,
};
pub use escape::{EscapeError, Piece, escape_text, parse_escapes};
pub use hex::{HexError, parse_hex, push_hex, to_hex};
pub use newline::{LineEnding, ParseLineEndingError};
pub use payload::{
    InputMode, ParseInputModeError, Payload, PayloadError, SendOptions, build_payload,
};
pub use preview::{PREVIEW_CHARS, preview};
