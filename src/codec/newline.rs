//! The line ending appended to every message sent (many line-based peers
//! only act on a message once its line ending arrives).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What to append after each message sent.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineEnding {
    /// Nothing: send exactly what was typed.
    #[default]
    None,
    /// `\n` (Unix style).
    Lf,
    /// `\r\n` (Windows / most text protocols).
    CrLf,
}

impl LineEnding {
    /// Every variant, for pickers.
    pub const ALL: [LineEnding; 3] = [LineEnding::None, LineEnding::Lf, LineEnding::CrLf];

    /// The bytes appended to a message.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            LineEnding::None => b"",
            LineEnding::Lf => b"\n",
            LineEnding::CrLf => b"\r\n",
        }
    }

    /// Short human name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            LineEnding::None => "None",
            LineEnding::Lf => "LF",
            LineEnding::CrLf => "CRLF",
        }
    }
}

impl fmt::Display for LineEnding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A line-ending name that is not `none`, `lf` or `crlf`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown line ending \"{value}\" (expected one of: none, lf, crlf)")]
pub struct ParseLineEndingError {
    /// The name as given.
    pub value: String,
}

impl FromStr for LineEnding {
    type Err = ParseLineEndingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(LineEnding::None),
            "lf" => Ok(LineEnding::Lf),
            "crlf" => Ok(LineEnding::CrLf),
            _ => Err(ParseLineEndingError {
                value: s.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_names() {
        assert_eq!(LineEnding::None.bytes(), b"");
        assert_eq!(LineEnding::Lf.bytes(), b"\n");
        assert_eq!(LineEnding::CrLf.bytes(), b"\r\n");
        assert_eq!("CRLF".parse::<LineEnding>(), Ok(LineEnding::CrLf));
        assert_eq!("lf".parse::<LineEnding>(), Ok(LineEnding::Lf));
        assert_eq!("None".parse::<LineEnding>(), Ok(LineEnding::None));
        let err = "cr".parse::<LineEnding>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown line ending \"cr\" (expected one of: none, lf, crlf)"
        );
        for ending in LineEnding::ALL {
            assert_eq!(ending.label().parse::<LineEnding>(), Ok(ending));
        }
    }
}
