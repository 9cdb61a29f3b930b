//! How a received chunk is recognised, shared by auto-reply rules and by a
//! sequence step that waits for a reply: text contains, text equals, a regex
//! on the text, or a hex pattern with `??` wildcards on the raw bytes.
//!
//! Text matchers see the chunk decoded in the session's display encoding;
//! the hex matcher sees the bytes exactly as received.

use std::fmt;
use std::str::FromStr;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::hex_pattern::{HexPattern, HexPatternError};

/// The longest pattern, in characters.
pub const MAX_PATTERN_CHARS: usize = 4096;

/// Compiled-size cap for a regex, so a pattern cannot take unbounded memory
/// or time to build.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// How a chunk is matched.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// The text contains the pattern.
    #[default]
    Contains,
    /// The text is exactly the pattern.
    Equals,
    /// The regex finds a match in the text; its groups fill `{{1}}`..`{{9}}`.
    Regex,
    /// The hex pattern occurs anywhere in the bytes.
    Hex,
}

impl MatchKind {
    /// Every kind, for pickers.
    pub const ALL: [MatchKind; 4] = [
        MatchKind::Contains,
        MatchKind::Equals,
        MatchKind::Regex,
        MatchKind::Hex,
    ];

    /// The name used in files.
    pub fn name(self) -> &'static str {
        match self {
            MatchKind::Contains => "contains",
            MatchKind::Equals => "equals",
            MatchKind::Regex => "regex",
            MatchKind::Hex => "hex",
        }
    }
}

impl fmt::Display for MatchKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for MatchKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        MatchKind::ALL
            .into_iter()
            .find(|k| k.name() == wanted)
            .ok_or_else(|| {
                format!(
                    "unknown match kind \"{s}\" (expected one of: contains, equals, regex, hex)"
                )
            })
    }
}

/// Why a pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MatchError {
    /// An empty text pattern would match everything (contains) or nothing
    /// (equals).
    #[error("the pattern is empty")]
    Empty,
    /// Over [`MAX_PATTERN_CHARS`].
    #[error("the pattern has {len} characters; at most {max} are allowed")]
    TooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The regex does not compile (or would be too big).
    #[error("invalid regex: {0}")]
    Regex(String),
    /// The hex pattern does not parse.
    #[error(transparent)]
    Hex(#[from] HexPatternError),
}

/// A compiled matcher.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Text contains.
    Contains(String),
    /// Text equals.
    Equals(String),
    /// Regex on the text.
    Regex(Regex),
    /// Hex pattern on the bytes.
    Hex(HexPattern),
}

/// What a match found: the regex groups `1..=9` (empty when a group did not
/// take part, or for other matchers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups(pub [String; 9]);

impl Groups {
    /// Group `n` (1..=9), empty if absent.
    pub fn get(&self, n: usize) -> &str {
        n.checked_sub(1)
            .and_then(|i| self.0.get(i))
            .map_or("", String::as_str)
    }
}

impl Matcher {
    /// Compiles a pattern of the given kind.
    pub fn compile(kind: MatchKind, pattern: &str) -> Result<Matcher, MatchError> {
        let len = pattern.chars().count();
        if len > MAX_PATTERN_CHARS {
            return Err(MatchError::TooLong {
                len,
                max: MAX_PATTERN_CHARS,
            });
        }
        match kind {
            MatchKind::Hex => Ok(Matcher::Hex(HexPattern::parse(pattern)?)),
            _ if pattern.is_empty() => Err(MatchError::Empty),
            MatchKind::Contains => Ok(Matcher::Contains(pattern.to_string())),
            MatchKind::Equals => Ok(Matcher::Equals(pattern.to_string())),
            MatchKind::Regex => RegexBuilder::new(pattern)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_SIZE_LIMIT)
                .nest_limit(64)
                .build()
                .map(Matcher::Regex)
                .map_err(|e| MatchError::Regex(one_line(&e.to_string()))),
        }
    }

    /// True if this matcher reads the decoded text (false: raw bytes).
    pub fn needs_text(&self) -> bool {
        !matches!(self, Matcher::Hex(_))
    }

    /// Matches one chunk: `bytes` as received, `text` the same decoded (only
    /// read by text matchers; pass "" when [`Matcher::needs_text`] is false).
    pub fn find(&self, bytes: &[u8], text: &str) -> Option<Groups> {
        match self {
            Matcher::Contains(p) => text.contains(p.as_str()).then(Groups::default),
            Matcher::Equals(p) => (text == p).then(Groups::default),
            Matcher::Hex(p) => p.is_match(bytes).then(Groups::default),
            Matcher::Regex(re) => re.captures(text).map(|caps| {
                let mut groups = Groups::default();
                for (slot, group) in groups.0.iter_mut().zip(caps.iter().skip(1)) {
                    if let Some(m) = group {
                        *slot = m.as_str().to_string();
                    }
                }
                groups
            }),
        }
    }
}

/// The regex crate's messages span several lines (the pattern, a caret, the
/// reason); a field shows one.
fn one_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.iter().position(|l| l.starts_with("error:")) {
        Some(i) => lines[i].trim_start_matches("error:").trim().to_string(),
        None => lines.join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_matches_what_it_should() {
        let m = |k, p: &str| Matcher::compile(k, p).unwrap();
        assert!(
            m(MatchKind::Contains, "OK")
                .find(b"", "AT OK\r\n")
                .is_some()
        );
        assert!(m(MatchKind::Contains, "OK").find(b"", "ok").is_none());
        assert!(m(MatchKind::Equals, "exit").find(b"", "exit").is_some());
        assert!(m(MatchKind::Equals, "exit").find(b"", "exit\n").is_none());
        assert!(m(MatchKind::Hex, "?? 03").find(b"\x01\x03", "").is_some());
        let groups = m(MatchKind::Regex, r"^name:(\w+)(?:,(\d+))?")
            .find(b"", "name:张三 end")
            .unwrap();
        assert_eq!(groups.get(1), "张三");
        assert_eq!(groups.get(2), "");
        assert_eq!(groups.get(9), "");
        assert_eq!(groups.get(0), "");
        assert_eq!(groups.get(10), "");
    }

    #[test]
    fn bad_patterns_are_errors() {
        let e = |k, p: &str| Matcher::compile(k, p).unwrap_err();
        assert_eq!(e(MatchKind::Contains, ""), MatchError::Empty);
        assert_eq!(e(MatchKind::Equals, ""), MatchError::Empty);
        let regex = e(MatchKind::Regex, "a(b").to_string();
        assert!(regex.starts_with("invalid regex: "), "{regex}");
        assert!(!regex.contains('\n'), "{regex}");
        assert_eq!(
            e(MatchKind::Hex, "0G"),
            MatchError::Hex(HexPatternError::InvalidDigit {
                position: 2,
                found: 'G'
            })
        );
        let long = "a".repeat(MAX_PATTERN_CHARS + 1);
        assert!(matches!(
            e(MatchKind::Contains, &long),
            MatchError::TooLong { .. }
        ));
    }

    #[test]
    fn a_huge_regex_is_refused_not_built() {
        // Short to write, enormous once compiled.
        let err = Matcher::compile(MatchKind::Regex, r"\w{1000}\w{1000}\w{1000}").unwrap_err();
        assert!(matches!(err, MatchError::Regex(_)), "{err}");
        let nested = format!("{}a{}", "(".repeat(200), ")".repeat(200));
        assert!(Matcher::compile(MatchKind::Regex, &nested).is_err());
    }

    #[test]
    fn kind_names() {
        for k in MatchKind::ALL {
            assert_eq!(k.name().parse::<MatchKind>(), Ok(k));
        }
        assert!(
            "like"
                .parse::<MatchKind>()
                .unwrap_err()
                .contains("\"like\"")
        );
    }
}
