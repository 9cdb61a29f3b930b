//! Hex patterns with `??` wildcards (`01 03 ?? ??`), used by rules and by
//! sequence steps that wait for a reply.
//!
//! Input: byte 0 the length of the pattern text, then the pattern text
//! (lossy UTF-8), then the bytes to search. Checked: a pattern that parses
//! prints as text that parses to the same pattern; `find` and `is_match`
//! agree with a plain search over the bytes; errors point at what they name;
//! the matcher a rule compiles from the same text agrees.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netassist::automation::hex_pattern::MAX_HEX_PATTERN;
use netassist::automation::{HexPattern, HexPatternError, MatchKind, Matcher};
use netassist_fuzz::{Input, text_of};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let len = usize::from(input.byte());
    let text = text_of(input.take(len));
    let haystack = input.rest();
    let chars: Vec<char> = text.chars().collect();

    let pattern = match HexPattern::parse(&text) {
        Ok(pattern) => pattern,
        Err(e) => {
            let at = |position: usize| chars.get(position - 1).copied();
            match &e {
                HexPatternError::Empty => assert!(
                    chars
                        .iter()
                        .all(|c| c.is_whitespace() || *c == ',' || *c == '，')
                ),
                HexPatternError::InvalidDigit { position, found } => {
                    assert_eq!(at(*position), Some(*found));
                    assert!(!found.is_ascii_hexdigit() && *found != '?');
                }
                HexPatternError::OddDigits { position, token } => {
                    let from: String = chars[position - 1..].iter().collect();
                    assert!(from.starts_with(token.as_str()), "{e}");
                }
                HexPatternError::HalfWildcard { position, pair } => {
                    let from: String = chars[position - 1..].iter().collect();
                    assert!(from.starts_with(pair.as_str()) && pair.contains('?'), "{e}");
                }
                HexPatternError::TooLong { len, max } => {
                    assert!(len > max && *max == MAX_HEX_PATTERN, "{e}");
                }
            }
            assert!(Matcher::compile(MatchKind::Hex, &text).is_err());
            return;
        }
    };
    assert!(!pattern.is_empty() && pattern.len() <= MAX_HEX_PATTERN);
    let printed = pattern.to_string();
    assert_eq!(
        HexPattern::parse(&printed).as_ref(),
        Ok(&pattern),
        "{printed}"
    );

    let cells = pattern.cells();
    let fits = |w: &[u8]| cells.iter().zip(w).all(|(c, b)| c.is_none_or(|c| c == *b));
    let expected = haystack.windows(cells.len()).position(fits);
    assert_eq!(pattern.find(haystack), expected, "{printed}");
    assert_eq!(pattern.is_match(haystack), expected.is_some());

    if let Ok(matcher) = Matcher::compile(MatchKind::Hex, &text) {
        assert_eq!(matcher.find(haystack, "").is_some(), expected.is_some());
    }
});
