//! Turning what the user typed into the bytes to send; the one function the
//! window and the command line share, so both accept exactly the same input.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::checksum::{Checksum, ChecksumError};
use super::encoding::{EncodeError, TextEncoding, encode_into};
use super::escape::{EscapeError, Piece, parse_escapes};
use super::hex::{HexError, parse_hex};
use super::newline::LineEnding;

/// How the send box is read.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputMode {
    /// Text, encoded with the chosen encoding.
    #[default]
    Text,
    /// Hex digits (see [`parse_hex`](super::hex::parse_hex)).
    Hex,
}

impl InputMode {
    /// Short human name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            InputMode::Text => "Text",
            InputMode::Hex => "Hex",
        }
    }
}

impl fmt::Display for InputMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// An input-mode name that is not `text` or `hex`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown input mode \"{value}\" (expected one of: text, hex)")]
pub struct ParseInputModeError {
    /// The name as given.
    pub value: String,
}

impl FromStr for InputMode {
    type Err = ParseInputModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(InputMode::Text),
            "hex" => Ok(InputMode::Hex),
            _ => Err(ParseInputModeError {
                value: s.to_string(),
            }),
        }
    }
}

/// Everything that decides how typed input becomes bytes; saved with the
/// window settings and mirrored by command-line flags.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct SendOptions {
    /// Text or hex.
    pub mode: InputMode,
    /// Whether `\r \n \t \\ \0 \xHH` are interpreted (text mode only).
    pub escapes: bool,
    /// Encoding of text (text mode only).
    pub encoding: TextEncoding,
    /// Appended after the message in both modes.
    pub line_ending: LineEnding,
    /// Appended last, covering its range of the message and line ending.
    pub checksum: Option<Checksum>,
}

/// The bytes to send, and how many of them at the end NetAssist added (line
/// ending, then checksum) rather than the user typed, so a log can mark them.
///
/// The order on the wire is: what was typed, the line ending, the checksum.
/// The checksum covers its range of everything before it, line ending
/// included.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payload {
    /// Everything that goes on the wire.
    pub bytes: Vec<u8>,
    /// How many trailing bytes of `bytes` were added (line ending plus
    /// checksum); the typed part is `bytes[..bytes.len() - added_tail]`.
    pub added_tail: usize,
}

impl Payload {
    /// The part the user typed.
    pub fn typed(&self) -> &[u8] {
        &self.bytes[..self.bytes.len() - self.added_tail]
    }

    /// The part NetAssist added (line ending and checksum).
    pub fn added(&self) -> &[u8] {
        &self.bytes[self.bytes.len() - self.added_tail..]
    }
}

/// Why typed input could not be turned into bytes; the message names the
/// position and the culprit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PayloadError {
    /// Bad hex in hex mode.
    #[error(transparent)]
    Hex(#[from] HexError),
    /// A broken escape in text mode.
    #[error(transparent)]
    Escape(#[from] EscapeError),
    /// A character the encoding cannot represent.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The checksum range does not fit the message.
    #[error(transparent)]
    Checksum(#[from] ChecksumError),
}

/// Builds the bytes to send from the send box contents. Hex mode ignores
/// `escapes` and `encoding`; the line ending and then the checksum are
/// appended in both modes (see [`Payload`] for the order). Empty input gives
/// just what is appended.
pub fn build_payload(input: &str, opts: &SendOptions) -> Result<Payload, PayloadError> {
    let mut out = match opts.mode {
        InputMode::Hex => parse_hex(input)?,
        InputMode::Text if opts.escapes => encode_pieces(&parse_escapes(input)?, opts.encoding)?,
        InputMode::Text => {
            let mut out = Vec::with_capacity(input.len() + 2);
            encode_into(input, opts.encoding, &mut out)?;
            out
        }
    };
    let typed = out.len();
    out.extend_from_slice(opts.line_ending.bytes());
    if let Some(checksum) = &opts.checksum {
        checksum.append_to(&mut out)?;
    }
    Ok(Payload {
        added_tail: out.len() - typed,
        bytes: out,
    })
}

/// Encodes escape pieces; an unmappable character's position is reported in
/// terms of the original input, not of the piece.
fn encode_pieces(pieces: &[Piece<'_>], enc: TextEncoding) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    for (index, piece) in pieces.iter().enumerate() {
        let result = match *piece {
            Piece::Text(text) => encode_into(text, enc, &mut out),
            Piece::Char(ch) => encode_into(ch.encode_utf8(&mut [0; 4]), enc, &mut out),
            Piece::Byte(byte) => {
                out.push(byte);
                Ok(())
            }
        };
        if let Err(EncodeError::Unmappable {
            ch,
            position,
            encoding,
        }) = result
        {
            let before: usize = pieces[..index].iter().map(Piece::source_chars).sum();
            return Err(EncodeError::Unmappable {
                ch,
                position: before + position,
                encoding,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(mode: InputMode, escapes: bool, encoding: TextEncoding, le: LineEnding) -> SendOptions {
        SendOptions {
            mode,
            escapes,
            encoding,
            line_ending: le,
            checksum: None,
        }
    }

    #[test]
    fn defaults() {
        let d = SendOptions::default();
        assert_eq!(d.mode, InputMode::Text);
        assert!(!d.escapes);
        assert_eq!(d.encoding, TextEncoding::Utf8);
        assert_eq!(d.line_ending, LineEnding::None);
        assert_eq!(build_payload("hi", &d).unwrap().bytes, b"hi");
        assert_eq!(build_payload("", &d).unwrap().bytes, b"");
    }

    #[test]
    fn text_without_escapes_is_literal() {
        let o = opts(InputMode::Text, false, TextEncoding::Utf8, LineEnding::CrLf);
        assert_eq!(build_payload(r"a\n", &o).unwrap().bytes, b"a\\n\r\n");
    }

    #[test]
    fn text_with_escapes_and_gbk() {
        let o = opts(InputMode::Text, true, TextEncoding::Gbk, LineEnding::Lf);
        assert_eq!(
            build_payload(r"你\x00\xFF\r好", &o).unwrap().bytes,
            [0xC4, 0xE3, 0x00, 0xFF, b'\r', 0xBA, 0xC3, b'\n']
        );
    }

    #[test]
    fn hex_ignores_escapes_and_encoding() {
        let o = opts(InputMode::Hex, true, TextEncoding::Gbk, LineEnding::CrLf);
        assert_eq!(build_payload("0x41 42", &o).unwrap().bytes, b"AB\r\n");
        assert_eq!(build_payload("", &o).unwrap().bytes, b"\r\n");
    }

    #[test]
    fn errors_carry_positions() {
        let hex = opts(InputMode::Hex, false, TextEncoding::Utf8, LineEnding::None);
        let err = build_payload("41 4G", &hex).unwrap_err();
        assert_eq!(err.to_string(), "invalid hex digit 'G' at position 5");

        let esc = opts(InputMode::Text, true, TextEncoding::Utf8, LineEnding::None);
        let err = build_payload(r"ab\q", &esc).unwrap_err();
        assert!(matches!(
            err,
            PayloadError::Escape(EscapeError::UnknownEscape { position: 3, .. })
        ));

        let gbk = opts(InputMode::Text, false, TextEncoding::Gbk, LineEnding::None);
        let err = build_payload("ab😀", &gbk).unwrap_err();
        assert_eq!(
            err.to_string(),
            "GBK cannot encode '😀' (U+1F600) at position 3"
        );

        // With escapes, the position still refers to what was typed.
        let gbk_esc = opts(InputMode::Text, true, TextEncoding::Gbk, LineEnding::None);
        let err = build_payload(r"\x41\n你😀", &gbk_esc).unwrap_err();
        assert_eq!(
            err,
            PayloadError::Encode(EncodeError::Unmappable {
                ch: '😀',
                position: 8,
                encoding: TextEncoding::Gbk
            })
        );
    }

    #[test]
    fn checksum_comes_last_and_is_marked_as_added() {
        use crate::codec::checksum::{ChecksumKind, ChecksumRange};
        let mut o = opts(InputMode::Hex, false, TextEncoding::Utf8, LineEnding::None);
        o.checksum = Some(Checksum::whole(ChecksumKind::Crc16Modbus));
        let p = build_payload("01 03 00 00 00 01", &o).unwrap();
        assert_eq!(p.bytes, [0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0A]);
        assert_eq!(p.added_tail, 2);
        assert_eq!(p.typed(), [0x01, 0x03, 0x00, 0x00, 0x00, 0x01]);
        assert_eq!(p.added(), [0x84, 0x0A]);

        // Typed, then line ending, then the checksum over both.
        let mut o = opts(InputMode::Text, false, TextEncoding::Utf8, LineEnding::CrLf);
        o.checksum = Some(Checksum::whole(ChecksumKind::Sum8));
        let p = build_payload("123456789", &o).unwrap();
        let sum = crate::codec::sum8(b"123456789\r\n");
        assert_eq!(p.bytes, [b"123456789\r\n".as_slice(), &[sum]].concat());
        assert_eq!(p.added(), [b'\r', b'\n', sum]);

        // A range that leaves out the line ending.
        o.checksum = Some(Checksum {
            kind: ChecksumKind::Sum8,
            range: "0:-2".parse::<ChecksumRange>().unwrap(),
        });
        assert_eq!(build_payload("123456789", &o).unwrap().added(), b"\r\n\xDD");

        // A range that does not fit is an error, nothing is built.
        o.checksum = Some(Checksum {
            kind: ChecksumKind::Sum8,
            range: "5:".parse::<ChecksumRange>().unwrap(),
        });
        let err = build_payload("ab", &o).unwrap_err();
        assert_eq!(
            err.to_string(),
            "checksum range 5: does not fit a 4-byte frame"
        );
        // Without a checksum or line ending nothing is marked as added.
        let plain = opts(InputMode::Text, false, TextEncoding::Utf8, LineEnding::None);
        assert_eq!(build_payload("ab", &plain).unwrap().added_tail, 0);
    }

    #[test]
    fn mode_names() {
        assert_eq!("HEX".parse::<InputMode>(), Ok(InputMode::Hex));
        assert_eq!("text".parse::<InputMode>(), Ok(InputMode::Text));
        assert!(
            "bin"
                .parse::<InputMode>()
                .unwrap_err()
                .to_string()
                .contains("\"bin\"")
        );
    }
}
