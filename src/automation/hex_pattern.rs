//! Byte patterns written in hex with `??` wildcards, such as `01 03 ?? ??`,
//! found anywhere in a received chunk.
//!
//! A pattern is compiled to a byte regex, so a search takes time linear in
//! the chunk whatever the pattern.

use std::fmt;

use regex::bytes::{Regex, RegexBuilder};
use thiserror::Error;

/// The longest pattern, in bytes.
pub const MAX_HEX_PATTERN: usize = 1024;

/// Why a hex pattern was rejected. Positions are 1-based character indexes
/// into the pattern as written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HexPatternError {
    /// Nothing but separators.
    #[error("the hex pattern is empty")]
    Empty,
    /// A character that is not a hex digit, `?` or a separator.
    #[error("invalid hex digit '{found}' at position {position} (use 0-9, A-F or ?? for any byte)")]
    InvalidDigit {
        /// Where it is.
        position: usize,
        /// The character.
        found: char,
    },
    /// A token with an odd number of digits.
    #[error(
        "\"{token}\" at position {position} has an odd number of digits (write each byte as two, e.g. 0A)"
    )]
    OddDigits {
        /// Where the token starts.
        position: usize,
        /// The token.
        token: String,
    },
    /// `?` paired with a hex digit: a wildcard covers a whole byte.
    #[error("\"{pair}\" at position {position}: a wildcard is a whole byte, written ??")]
    HalfWildcard {
        /// Where the pair starts.
        position: usize,
        /// The two characters.
        pair: String,
    },
    /// More than [`MAX_HEX_PATTERN`] bytes.
    #[error("the hex pattern has {len} bytes; at most {max} are allowed")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// A compiled hex pattern.
#[derive(Debug, Clone)]
pub struct HexPattern {
    cells: Vec<Option<u8>>,
    regex: Regex,
}

impl PartialEq for HexPattern {
    fn eq(&self, other: &Self) -> bool {
        self.cells == other.cells
    }
}

impl Eq for HexPattern {}

impl HexPattern {
    /// Parses `01 03 ?? 0A` (also `0103??0A`, `0x01,0x03`): byte pairs, `??`
    /// for any byte, separated by spaces, tabs, line breaks or commas.
    pub fn parse(text: &str) -> Result<HexPattern, HexPatternError> {
        let mut cells = Vec::new();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if is_separator(chars[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && !is_separator(chars[i]) {
                i += 1;
            }
            let mut token = &chars[start..i];
            let mut offset = start;
            if token.len() > 2 && token[0] == '0' && matches!(token[1], 'x' | 'X') {
                token = &token[2..];
                offset += 2;
            }
            if let Some(pos) = token
                .iter()
                .position(|c| !c.is_ascii_hexdigit() && *c != '?')
            {
                return Err(HexPatternError::InvalidDigit {
                    position: offset + pos + 1,
                    found: token[pos],
                });
            }
            if !token.len().is_multiple_of(2) {
                return Err(HexPatternError::OddDigits {
                    position: start + 1,
                    token: chars[start..i].iter().collect(),
                });
            }
            for (n, pair) in token.chunks(2).enumerate() {
                let cell = match (pair[0], pair[1]) {
                    ('?', '?') => None,
                    (a, b) => match (a.to_digit(16), b.to_digit(16)) {
                        // Two nibbles make at most 255.
                        (Some(h), Some(l)) => Some((h << 4 | l) as u8),
                        _ => {
                            return Err(HexPatternError::HalfWildcard {
                                position: offset + 2 * n + 1,
                                pair: pair.iter().collect(),
                            });
                        }
                    },
                };
                cells.push(cell);
                if cells.len() > MAX_HEX_PATTERN {
                    return Err(HexPatternError::TooLong {
                        len: count_cells(text),
                        max: MAX_HEX_PATTERN,
                    });
                }
            }
        }
        if cells.is_empty() {
            return Err(HexPatternError::Empty);
        }
        HexPattern::from_cells(cells)
    }

    fn from_cells(cells: Vec<Option<u8>>) -> Result<HexPattern, HexPatternError> {
        use std::fmt::Write;
        // `s`: `.` matches any byte; `-u`: `\xHH` is one byte, not a char.
        let mut source = String::from("(?s-u)");
        for cell in &cells {
            match cell {
                Some(b) => {
                    let _ = write!(source, "\\x{b:02X}");
                }
                None => source.push('.'),
            }
        }
        let regex = RegexBuilder::new(&source)
            .unicode(false)
            .size_limit(1 << 22)
            .build();
        // At most MAX_HEX_PATTERN literal bytes or dots compile well within
        // the size limit (see `longest_pattern_compiles`); a failure could
        // only mean the pattern is too big.
        match regex {
            Ok(regex) => Ok(HexPattern { cells, regex }),
            Err(_) => Err(HexPatternError::TooLong {
                len: cells.len(),
                max: MAX_HEX_PATTERN,
            }),
        }
    }

    /// The bytes, `None` for a wildcard.
    pub fn cells(&self) -> &[Option<u8>] {
        &self.cells
    }

    /// The pattern's length in bytes.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Never true: a pattern has at least one byte.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Where the pattern first occurs in `data`.
    pub fn find(&self, data: &[u8]) -> Option<usize> {
        self.regex.find(data).map(|m| m.start())
    }

    /// True if the pattern occurs anywhere in `data`.
    pub fn is_match(&self, data: &[u8]) -> bool {
        self.regex.is_match(data)
    }
}

impl fmt::Display for HexPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, cell) in self.cells.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match cell {
                Some(b) => write!(f, "{b:02X}")?,
                None => f.write_str("??")?,
            }
        }
        Ok(())
    }
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || c == ','
}

/// Roughly how many bytes a too-long pattern has, for the message.
fn count_cells(text: &str) -> usize {
    text.chars().filter(|c| !is_separator(*c)).count() / 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive_find(cells: &[Option<u8>], data: &[u8]) -> Option<usize> {
        if cells.len() > data.len() {
            return None;
        }
        (0..=data.len() - cells.len()).find(|&at| {
            cells
                .iter()
                .zip(&data[at..])
                .all(|(c, b)| c.is_none_or(|c| c == *b))
        })
    }

    #[test]
    fn parses_the_usual_spellings() {
        let p = HexPattern::parse("01 03 ?? 0a").unwrap();
        assert_eq!(p.cells(), [Some(1), Some(3), None, Some(10)]);
        assert_eq!(p.to_string(), "01 03 ?? 0A");
        assert_eq!(HexPattern::parse("0103??0A").unwrap(), p);
        assert_eq!(HexPattern::parse("0x01,0x03, ??\n0A").unwrap(), p);
    }

    #[test]
    fn finds_anywhere_and_wildcards_match_any_byte() {
        let p = HexPattern::parse("03 ?? 0A").unwrap();
        assert_eq!(p.find(&[0x01, 0x03, 0xFF, 0x0A, 0x00]), Some(1));
        assert_eq!(p.find(&[0x03, 0x0A, 0x0A]), Some(0));
        assert!(
            p.is_match(&[0x03, b'\n', 0x0A]),
            "wildcard matches a newline"
        );
        assert!(!p.is_match(&[0x03, 0x0A]));
        assert!(!p.is_match(&[]));
        // Bytes over 0x7F are single bytes, not characters.
        let high = HexPattern::parse("E4 ?? A0").unwrap();
        assert!(high.is_match("你".as_bytes()));
    }

    #[test]
    fn errors_name_the_position() {
        let e = |t: &str| HexPattern::parse(t).unwrap_err().to_string();
        assert_eq!(e(""), "the hex pattern is empty");
        assert_eq!(e(" , "), "the hex pattern is empty");
        assert_eq!(
            e("01 0G"),
            "invalid hex digit 'G' at position 5 (use 0-9, A-F or ?? for any byte)"
        );
        assert_eq!(
            e("01 030"),
            "\"030\" at position 4 has an odd number of digits (write each byte as two, e.g. 0A)"
        );
        assert_eq!(
            e("01 0?"),
            "\"0?\" at position 4: a wildcard is a whole byte, written ??"
        );
        assert_eq!(
            e("0x0?"),
            "\"0?\" at position 3: a wildcard is a whole byte, written ??"
        );
    }

    #[test]
    fn longest_pattern_compiles_and_longer_is_refused() {
        let longest = vec!["??"; MAX_HEX_PATTERN].join(" ");
        assert_eq!(HexPattern::parse(&longest).unwrap().len(), MAX_HEX_PATTERN);
        let longest = vec!["A5"; MAX_HEX_PATTERN].join("");
        assert_eq!(HexPattern::parse(&longest).unwrap().len(), MAX_HEX_PATTERN);
        let too_long = vec!["00"; MAX_HEX_PATTERN + 1].join(" ");
        assert_eq!(
            HexPattern::parse(&too_long).unwrap_err(),
            HexPatternError::TooLong {
                len: MAX_HEX_PATTERN + 1,
                max: MAX_HEX_PATTERN
            }
        );
    }

    proptest! {
        /// The regex search agrees with a plain sliding-window search.
        #[test]
        fn agrees_with_a_naive_search(
            cells in proptest::collection::vec(proptest::option::weighted(0.7, 0u8..4), 1..6),
            data in proptest::collection::vec(0u8..4, 0..64),
        ) {
            let text: Vec<String> = cells
                .iter()
                .map(|c| c.map_or("??".to_string(), |b| format!("{b:02x}")))
                .collect();
            let p = HexPattern::parse(&text.join(" ")).unwrap();
            prop_assert_eq!(p.cells(), cells.as_slice());
            prop_assert_eq!(p.find(&data), naive_find(&cells, &data));
        }

        /// A pattern cut out of the data (some bytes made wildcards) is found
        /// at or before where it was cut.
        #[test]
        fn a_cut_out_pattern_is_found(
            data in proptest::collection::vec(any::<u8>(), 1..64),
            start in 0usize..64,
            len in 1usize..16,
            holes in proptest::collection::vec(any::<bool>(), 16),
        ) {
            let start = start % data.len();
            let end = (start + len).min(data.len());
            let cells: Vec<Option<u8>> = data[start..end]
                .iter()
                .zip(&holes)
                .map(|(b, hole)| (!hole).then_some(*b))
                .collect();
            let p = HexPattern::parse(&HexPattern::from_cells(cells).unwrap().to_string()).unwrap();
            let found = p.find(&data);
            prop_assert!(found.is_some_and(|at| at <= start));
        }

        /// Any text either parses or gives an error; never a panic.
        #[test]
        fn never_panics(text in "[0-9a-fA-FxX?, g-z]{0,40}") {
            let _ = HexPattern::parse(&text);
        }
    }
}
