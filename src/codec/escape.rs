//! Backslash escapes in text to send: `\r \n \t \\ \0 \xHH`.
//!
//! `\xHH` yields a raw byte that need not be text in any encoding, so the
//! parser returns [`Piece`]s: text the caller encodes with the chosen
//! encoding, and raw bytes it inserts unchanged.

use thiserror::Error;

/// One part of escaped input, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A literal run of the input, to be encoded.
    Text(&'a str),
    /// The character a simple escape (`\r \n \t \\ \0`) stands for, to be
    /// encoded like text.
    Char(char),
    /// The byte a `\xHH` escape stands for, to be sent as-is.
    Byte(u8),
}

impl Piece<'_> {
    /// How many characters of the original input this piece came from, so
    /// errors found later (e.g. while encoding) can be mapped back to a
    /// position in what the user typed.
    pub fn source_chars(&self) -> usize {
        match self {
            Piece::Text(text) => text.chars().count(),
            Piece::Char(_) => 2,
            Piece::Byte(_) => 4,
        }
    }
}

/// A malformed escape in text to send. Positions are the 1-based character
/// index of the backslash that starts the broken escape.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EscapeError {
    /// A backslash followed by a letter that is not a known escape.
    #[error(
        "unknown escape \"\\{}\" at position {position} (use \\r \\n \\t \\\\ \\0 or \\xHH)",
        found.escape_debug()
    )]
    UnknownEscape {
        /// 1-based character index of the backslash.
        position: usize,
        /// The character after the backslash.
        found: char,
    },
    /// `\x` not followed by exactly two hex digits.
    #[error(
        "escape \"\\x{}\" at position {position} needs exactly two hex digits",
        found.escape_debug()
    )]
    BadHexEscape {
        /// 1-based character index of the backslash.
        position: usize,
        /// What followed `\x` (up to two characters, possibly none).
        found: String,
    },
    /// A backslash as the very last character.
    #[error("lone backslash at the end (position {position}); write \\\\ for a backslash")]
    TrailingBackslash {
        /// 1-based character index of the backslash.
        position: usize,
    },
}

/// Splits `text` into literal runs and escaped characters/bytes. Text without
/// backslashes comes back as a single [`Piece::Text`] (or nothing if empty).
pub fn parse_escapes(text: &str) -> Result<Vec<Piece<'_>>, EscapeError> {
    let mut pieces = Vec::new();
    let mut chars = text.char_indices();
    let mut run_start = 0usize;
    let mut position = 0usize;

    while let Some((at, ch)) = chars.next() {
        position += 1;
        if ch != '\\' {
            continue;
        }
        let backslash = position;
        if run_start < at {
            pieces.push(Piece::Text(&text[run_start..at]));
        }
        let Some((_, kind)) = chars.next() else {
            return Err(EscapeError::TrailingBackslash {
                position: backslash,
            });
        };
        position += 1;
        let piece = match kind {
            'r' => Piece::Char('\r'),
            'n' => Piece::Char('\n'),
            't' => Piece::Char('\t'),
            '\\' => Piece::Char('\\'),
            '0' => Piece::Char('\0'),
            'x' => {
                let mut lookahead = chars.clone();
                let first = lookahead.next().map(|(_, c)| c);
                let second = lookahead.next().map(|(_, c)| c);
                let nibble = |c: Option<char>| c.and_then(|c| c.to_digit(16));
                match (nibble(first), nibble(second)) {
                    (Some(high), Some(low)) => {
                        chars.next();
                        chars.next();
                        position += 2;
                        // Both nibbles are at most 15.
                        Piece::Byte((high << 4 | low) as u8)
                    }
                    _ => {
                        return Err(EscapeError::BadHexEscape {
                            position: backslash,
                            found: first.into_iter().chain(second).collect(),
                        });
                    }
                }
            }
            other => {
                return Err(EscapeError::UnknownEscape {
                    position: backslash,
                    found: other,
                });
            }
        };
        pieces.push(piece);
        run_start = chars.offset();
    }
    if run_start < text.len() {
        pieces.push(Piece::Text(&text[run_start..]));
    }
    Ok(pieces)
}

/// Writes `text` in the escaped form [`parse_escapes`] reads back: backslash
/// doubled, CR/LF/TAB/NUL as `\r \n \t \0`, other control characters as
/// `\xHH`. Used to keep one record per line in text exports while staying
/// pasteable into the send box.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_ascii_control() => {
                out.push_str("\\x");
                super::hex::push_hex(&[c as u8], &mut out);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_text_is_one_piece() {
        assert_eq!(
            parse_escapes("hello 你好").unwrap(),
            [Piece::Text("hello 你好")]
        );
        assert_eq!(parse_escapes("").unwrap(), []);
    }

    #[test]
    fn all_escapes() {
        let pieces = parse_escapes(r"a\r\n\t\\\0\x41\xff\xAbz").unwrap();
        assert_eq!(
            pieces,
            [
                Piece::Text("a"),
                Piece::Char('\r'),
                Piece::Char('\n'),
                Piece::Char('\t'),
                Piece::Char('\\'),
                Piece::Char('\0'),
                Piece::Byte(0x41),
                Piece::Byte(0xFF),
                Piece::Byte(0xAB),
                Piece::Text("z"),
            ]
        );
        // Exactly two digits: the third is literal text.
        assert_eq!(
            parse_escapes(r"\x414").unwrap(),
            [Piece::Byte(0x41), Piece::Text("4")]
        );
        assert_eq!(
            parse_escapes(r"你\n好").unwrap(),
            [Piece::Text("你"), Piece::Char('\n'), Piece::Text("好")]
        );
    }

    #[test]
    fn source_chars_add_up() {
        let input = r"你a\r\x41b";
        let pieces = parse_escapes(input).unwrap();
        let total: usize = pieces.iter().map(Piece::source_chars).sum();
        assert_eq!(total, input.chars().count());
    }

    #[test]
    fn unknown_escape() {
        let err = parse_escapes(r"ab\q").unwrap_err();
        assert_eq!(
            err,
            EscapeError::UnknownEscape {
                position: 3,
                found: 'q'
            }
        );
        assert!(err.to_string().contains("\"\\q\" at position 3"), "{err}");
        assert_eq!(
            parse_escapes(r"你\好").unwrap_err(),
            EscapeError::UnknownEscape {
                position: 2,
                found: '好'
            }
        );
    }

    #[test]
    fn bad_hex_escapes() {
        let err = parse_escapes(r"ab\x4").unwrap_err();
        assert_eq!(
            err,
            EscapeError::BadHexEscape {
                position: 3,
                found: "4".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "escape \"\\x4\" at position 3 needs exactly two hex digits"
        );
        assert_eq!(
            parse_escapes(r"\x").unwrap_err(),
            EscapeError::BadHexEscape {
                position: 1,
                found: String::new()
            }
        );
        assert_eq!(
            parse_escapes(r"a\xG1").unwrap_err(),
            EscapeError::BadHexEscape {
                position: 2,
                found: "G1".into()
            }
        );
        assert_eq!(
            parse_escapes(r"\x4 ").unwrap_err(),
            EscapeError::BadHexEscape {
                position: 1,
                found: "4 ".into()
            }
        );
    }

    #[test]
    fn trailing_backslash() {
        let err = parse_escapes("abc\\").unwrap_err();
        assert_eq!(err, EscapeError::TrailingBackslash { position: 4 });
        assert!(err.to_string().contains("position 4"));
        // An escaped backslash at the end is fine.
        assert_eq!(
            parse_escapes(r"a\\").unwrap(),
            [Piece::Text("a"), Piece::Char('\\')]
        );
    }

    #[test]
    fn escape_text_examples() {
        assert_eq!(escape_text("a\\b\r\n\t\0\x07你"), r"a\\b\r\n\t\0\x07你");
        assert_eq!(escape_text("\x7F"), r"\x7F");
    }

    /// Turns pieces back into the text they stand for (all `\xHH` bytes in
    /// these tests are ASCII, so they are characters too).
    fn flatten(pieces: &[Piece<'_>]) -> String {
        let mut out = String::new();
        for piece in pieces {
            match *piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Char(c) => out.push(c),
                Piece::Byte(b) => out.push(char::from(b)),
            }
        }
        out
    }

    proptest! {
        #[test]
        fn escape_text_round_trips(text in "[a-z\\\\\r\n\t\0\x01-\x1f\x7f你好 ]{0,40}") {
            let escaped = escape_text(&text);
            prop_assert!(!escaped.contains('\n') && !escaped.contains('\r'));
            let pieces = parse_escapes(&escaped).unwrap();
            prop_assert_eq!(flatten(&pieces), text);
        }
    }
}
