//! The escape parser (`\r \n \t \\ \0 \xHH`), `escape_text`, and text mode
//! of `build_payload` (escapes, UTF-8/GBK, line ending, checksum).
//!
//! Input: byte 0 picks the payload options (encoding, line ending,
//! checksum), the rest is the text typed (lossy UTF-8). Checked: the pieces
//! stand for exactly what a plain reference reading of the escapes gives;
//! their source lengths add up to the input; errors point at the backslash;
//! `escape_text` output parses back to the text and holds no line break;
//! the payload is the pieces encoded, then the line ending, then the
//! checksum of both.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netassist::codec::{
    Checksum, ChecksumKind, EncodeError, EscapeError, InputMode, LineEnding, PayloadError, Piece,
    SendOptions, TextEncoding, build_payload, encode, escape_text, parse_escapes,
};
use netassist_fuzz::{Input, text_of};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let options = input.byte();
    let text = text_of(input.rest());
    let chars: Vec<char> = text.chars().collect();

    let parsed = parse_escapes(&text);
    match &parsed {
        Ok(pieces) => {
            let total: usize = pieces.iter().map(Piece::source_chars).sum();
            assert_eq!(total, chars.len());
            assert_eq!(Some(flatten(pieces)), reference(&chars), "{text:?}");
        }
        Err(e) => {
            assert_eq!(reference(&chars), None, "{text:?}");
            let position = match e {
                EscapeError::UnknownEscape { position, .. }
                | EscapeError::BadHexEscape { position, .. }
                | EscapeError::TrailingBackslash { position } => *position,
            };
            assert_eq!(chars.get(position - 1), Some(&'\\'), "{e}");
            assert!(!e.to_string().contains('\n'));
        }
    }

    let escaped = escape_text(&text);
    assert!(!escaped.contains(['\n', '\r']));
    let back = parse_escapes(&escaped).expect("escape_text output parses");
    assert_eq!(flatten(&back), text.as_bytes());

    let encoding = TextEncoding::ALL[usize::from(options & 1)];
    let line_ending = LineEnding::ALL[usize::from(options >> 1) % 3];
    let checksum = match usize::from(options >> 3) % 7 {
        0 => None,
        k => Some(Checksum::whole(ChecksumKind::ALL[k - 1])),
    };
    let opts = SendOptions {
        mode: InputMode::Text,
        escapes: true,
        encoding,
        line_ending,
        checksum,
    };
    let payload = build_payload(&text, &opts);
    let pieces = match (parsed, &payload) {
        (Ok(pieces), _) => pieces,
        (Err(e), Err(PayloadError::Escape(same))) => {
            assert_eq!(&e, same);
            return;
        }
        (Err(e), other) => panic!("{e} but build_payload gave {other:?}"),
    };
    let expected = encode_pieces(&pieces, encoding);
    match (&payload, expected) {
        (Ok(payload), Ok(typed)) => {
            assert_eq!(payload.typed(), typed.as_slice());
            let mut added = line_ending.bytes().to_vec();
            if let Some(sum) = checksum {
                let covered = [typed.as_slice(), line_ending.bytes()].concat();
                added.extend(sum.kind.wire_bytes(&covered));
            }
            assert_eq!(payload.added(), added.as_slice());
        }
        (Err(PayloadError::Encode(EncodeError::Unmappable { ch, position, .. })), Err(first)) => {
            assert_eq!(*ch, first);
            assert_eq!(chars.get(position - 1), Some(ch));
        }
        (got, expected) => panic!("{text:?}: {got:?} but expected {expected:?}"),
    }
});

/// The bytes pieces stand for, with text in UTF-8.
fn flatten(pieces: &[Piece<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in pieces {
        match *piece {
            Piece::Text(t) => out.extend_from_slice(t.as_bytes()),
            Piece::Char(c) => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            Piece::Byte(b) => out.push(b),
        }
    }
    out
}

/// Pieces encoded the way the payload builder should: text and escaped
/// characters in `encoding`, `\xHH` bytes as they are. On failure, the
/// first character the encoding lacks.
fn encode_pieces(pieces: &[Piece<'_>], encoding: TextEncoding) -> Result<Vec<u8>, char> {
    let mut out = Vec::new();
    for piece in pieces {
        let text = match *piece {
            Piece::Text(t) => t.to_string(),
            Piece::Char(c) => c.to_string(),
            Piece::Byte(b) => {
                out.push(b);
                continue;
            }
        };
        match encode(&text, encoding) {
            Ok(bytes) => out.extend(bytes),
            Err(EncodeError::Unmappable { ch, .. }) => return Err(ch),
        }
    }
    Ok(out)
}

/// The escapes read plainly, one character at a time: the bytes the text
/// stands for (text in UTF-8), or `None` if an escape is malformed.
fn reference(chars: &[char]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '\\' {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            continue;
        }
        let kind = *chars.get(i)?;
        i += 1;
        match kind {
            'r' => out.push(b'\r'),
            'n' => out.push(b'\n'),
            't' => out.push(b'\t'),
            '\\' => out.push(b'\\'),
            '0' => out.push(0),
            'x' => {
                let high = chars.get(i)?.to_digit(16)?;
                let low = chars.get(i + 1)?.to_digit(16)?;
                i += 2;
                out.push(u8::try_from(high * 16 + low).ok()?);
            }
            _ => return None,
        }
    }
    Some(out)
}
