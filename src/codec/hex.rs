//! Hex rendering (`48 65 6C`) and tolerant hex parsing for the send box.
//!
//! Parsing rule: the input is split into tokens at separators (any Unicode
//! whitespace, `,` and the full-width comma `，` that Chinese input methods
//! produce). Each token may start with `0x`/`0X` and must then hold an even
//! number of hex digits, read as consecutive byte pairs: `48656C`, `0x48`,
//! `0X4865` are all fine, `1 2` is an error (token `1` has an odd count)
//! rather than being silently glued into `0x12`.

use thiserror::Error;

/// `" 00 01 … FF"` laid out as three characters per byte, so rendering a byte
/// is one slice copy instead of a `format!` call.
const TABLE_BYTES: [u8; 768] = {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut table = [0u8; 768];
    let mut i = 0;
    while i < 256 {
        table[3 * i] = b' ';
        table[3 * i + 1] = DIGITS[i >> 4];
        table[3 * i + 2] = DIGITS[i & 0x0F];
        i += 1;
    }
    table
};

/// The same table as a `&str`; validated at compile time (it is ASCII).
const TABLE: &str = match std::str::from_utf8(&TABLE_BYTES) {
    Ok(text) => text,
    Err(_) => panic!("hex table is ASCII"),
};

/// Renders bytes as upper-case hex pairs separated by single spaces, the form
/// the receive log and the hex send box use (`48 65 6C 6C 6F`).
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::new();
    push_hex(bytes, &mut out);
    out
}

/// Appends the [`to_hex`] form of `bytes` to `out` without intermediate
/// allocations, so callers can render many rows into one buffer.
pub fn push_hex(bytes: &[u8], out: &mut String) {
    let Some((&first, rest)) = bytes.split_first() else {
        return;
    };
    out.reserve(bytes.len() * 3 - 1);
    let at = 3 * usize::from(first);
    out.push_str(&TABLE[at + 1..at + 3]);
    for &byte in rest {
        let at = 3 * usize::from(byte);
        out.push_str(&TABLE[at..at + 3]);
    }
}

/// Why hex text typed by the user could not be turned into bytes. Positions
/// are 1-based character indexes into the whole input (newlines count as one
/// character), so the message can point at the culprit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HexError {
    /// A character that is neither a hex digit nor a separator.
    #[error("invalid hex digit '{}' at position {position}", found.escape_debug())]
    InvalidDigit {
        /// 1-based character index of the offending character.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// A token whose digit count is odd, so its last digit has no partner.
    #[error("odd number of hex digits in \"{token}\" at position {position}")]
    OddDigits {
        /// 1-based character index where the token starts.
        position: usize,
        /// The token as typed, including any `0x` prefix.
        token: String,
    },
    /// A `0x` prefix followed by a separator or the end of the input.
    #[error("\"0x\" without hex digits at position {position}")]
    MissingDigits {
        /// 1-based character index of the `0` of the prefix.
        position: usize,
    },
}

/// Whether `ch` separates hex tokens.
fn is_separator(ch: char) -> bool {
    ch.is_whitespace() || ch == ',' || ch == '，'
}

/// Parses hex typed by a user into bytes; see the module docs for the exact
/// rule. Empty input (or only separators) gives an empty `Vec`; whether that is
/// sendable is the caller's decision.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut chars = text.char_indices().peekable();
    // 1-based index of the character most recently taken from `chars`.
    let mut position = 0usize;

    while let Some((start_byte, ch)) = chars.next() {
        position += 1;
        if is_separator(ch) {
            continue;
        }
        let token_position = position;
        let mut has_prefix = false;
        let mut high: Option<u8> = None;
        let mut digits = 0usize;

        // `0x` / `0X` prefix at the start of a token.
        let mut current = Some(ch);
        if ch == '0' && matches!(chars.peek(), Some((_, 'x' | 'X'))) {
            chars.next();
            position += 1;
            has_prefix = true;
            current = None;
        }

        let mut end_byte = text.len();
        loop {
            let ch = match current.take() {
                Some(ch) => ch,
                None => match chars.peek() {
                    Some(&(at, next)) if is_separator(next) => {
                        end_byte = at;
                        break;
                    }
                    Some(&(_, next)) => {
                        chars.next();
                        position += 1;
                        next
                    }
                    None => break,
                },
            };
            let Some(value) = ch.to_digit(16) else {
                return Err(HexError::InvalidDigit {
                    position,
                    found: ch,
                });
            };
            // `to_digit(16)` is at most 15, so this never truncates.
            let nibble = value as u8;
            digits += 1;
            match high.take() {
                Some(hi) => out.push(hi << 4 | nibble),
                None => high = Some(nibble),
            }
        }

        if has_prefix && digits == 0 {
            return Err(HexError::MissingDigits {
                position: token_position,
            });
        }
        if high.is_some() {
            return Err(HexError::OddDigits {
                position: token_position,
                token: text[start_byte..end_byte].to_string(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn renders_upper_case_with_single_spaces() {
        assert_eq!(to_hex(b"Hello"), "48 65 6C 6C 6F");
        assert_eq!(to_hex(&[0x00, 0xAB, 0xFF]), "00 AB FF");
        assert_eq!(to_hex(&[0x0F]), "0F");
        assert_eq!(to_hex(&[]), "");
    }

    #[test]
    fn push_hex_appends() {
        let mut out = String::from("x: ");
        push_hex(&[1, 2], &mut out);
        push_hex(&[], &mut out);
        assert_eq!(out, "x: 01 02");
    }

    #[test]
    fn parses_tolerant_forms() {
        assert_eq!(parse_hex("48 65 6C").unwrap(), b"He\x6C");
        assert_eq!(parse_hex("0x48,0x65").unwrap(), b"He");
        assert_eq!(parse_hex("0X48, 0x65").unwrap(), b"He");
        assert_eq!(parse_hex("48656c").unwrap(), b"Hel");
        assert_eq!(parse_hex("48\n65\r\n\t6c\n").unwrap(), b"Hel");
        assert_eq!(parse_hex("0x4865 6C6C").unwrap(), b"Hell");
        assert_eq!(parse_hex("48，65\u{3000}6C").unwrap(), b"Hel");
        assert_eq!(parse_hex("ab,,cd").unwrap(), vec![0xAB, 0xCD]);
    }

    #[test]
    fn empty_input_is_empty() {
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
        assert_eq!(parse_hex("  \n, ").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn invalid_digit_names_position_and_char() {
        let err = parse_hex("48 65 G1").unwrap_err();
        assert_eq!(
            err,
            HexError::InvalidDigit {
                position: 7,
                found: 'G'
            }
        );
        assert_eq!(err.to_string(), "invalid hex digit 'G' at position 7");
        // Position counts characters, not bytes.
        assert_eq!(
            parse_hex("你 41").unwrap_err(),
            HexError::InvalidDigit {
                position: 1,
                found: '你'
            }
        );
        assert_eq!(
            parse_hex("0x4z").unwrap_err(),
            HexError::InvalidDigit {
                position: 4,
                found: 'z'
            }
        );
        // An `x` that is not part of a leading `0x` is just a bad digit.
        assert_eq!(
            parse_hex("480x65").unwrap_err(),
            HexError::InvalidDigit {
                position: 4,
                found: 'x'
            }
        );
        assert_eq!(
            parse_hex("41\n4;").unwrap_err(),
            HexError::InvalidDigit {
                position: 5,
                found: ';'
            }
        );
    }

    #[test]
    fn odd_token_names_token_and_start() {
        let err = parse_hex("48 ABC 65").unwrap_err();
        assert_eq!(
            err,
            HexError::OddDigits {
                position: 4,
                token: "ABC".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "odd number of hex digits in \"ABC\" at position 4"
        );
        assert_eq!(
            parse_hex("1 2").unwrap_err(),
            HexError::OddDigits {
                position: 1,
                token: "1".into()
            }
        );
        assert_eq!(
            parse_hex("41,0x4").unwrap_err(),
            HexError::OddDigits {
                position: 4,
                token: "0x4".into()
            }
        );
        assert_eq!(
            parse_hex("41 0").unwrap_err(),
            HexError::OddDigits {
                position: 4,
                token: "0".into()
            }
        );
    }

    #[test]
    fn bare_prefix_is_an_error() {
        let err = parse_hex("41 0x, 42").unwrap_err();
        assert_eq!(err, HexError::MissingDigits { position: 4 });
        assert_eq!(err.to_string(), "\"0x\" without hex digits at position 4");
        assert_eq!(
            parse_hex("0X").unwrap_err(),
            HexError::MissingDigits { position: 1 }
        );
    }

    proptest! {
        #[test]
        fn round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let text = to_hex(&bytes);
            prop_assert_eq!(parse_hex(&text).unwrap(), bytes.clone());
            prop_assert_eq!(parse_hex(&text.to_lowercase()).unwrap(), bytes.clone());
            prop_assert_eq!(parse_hex(&text.replace(' ', "")).unwrap(), bytes);
        }

        #[test]
        fn rendering_matches_format(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let expected: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
            prop_assert_eq!(to_hex(&bytes), expected.join(" "));
        }
    }
}
