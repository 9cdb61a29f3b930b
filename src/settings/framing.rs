//! The receive settings' message framing choice, as the user types it, and
//! the [`Framing`] rule it describes (or the message for the field).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::codec::{PayloadError, parse_hex};
use crate::i18n::T;
use crate::messages::Msg;
use crate::records::{
    DEFAULT_MAX_MESSAGE, Endian, Framing, LengthPrefix, MAX_DELIMITER, PrefixWidth,
};

/// Longest idle gap the field accepts, in ms.
pub const MAX_GAP_MS: u64 = 60_000;

/// How the log groups received bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FramingKind {
    /// One row per read (the raw view).
    #[default]
    Off,
    /// Messages end with `\n`.
    Lf,
    /// Messages end with `\r\n`.
    CrLf,
    /// Messages end with bytes given as hex.
    Delimiter,
    /// Every message has the same length.
    Fixed,
    /// Each message starts with its length.
    Prefix,
    /// A message ends when the peer is silent for a while.
    Gap,
}

impl FramingKind {
    /// Every choice, in the order the selector shows them.
    pub const ALL: [FramingKind; 7] = [
        FramingKind::Off,
        FramingKind::Lf,
        FramingKind::CrLf,
        FramingKind::Delimiter,
        FramingKind::Fixed,
        FramingKind::Prefix,
        FramingKind::Gap,
    ];

    /// The choice's name.
    pub fn name(self) -> T {
        match self {
            FramingKind::Off => T::FramingOff,
            FramingKind::Lf => T::FramingLf,
            FramingKind::CrLf => T::FramingCrLf,
            FramingKind::Delimiter => T::FramingHex,
            FramingKind::Fixed => T::FramingFixed,
            FramingKind::Prefix => T::FramingPrefix,
            FramingKind::Gap => T::FramingGap,
        }
    }
}

/// The framing fields of one tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FramingSettings {
    /// Which rule.
    pub kind: FramingKind,
    /// The custom delimiter, as hex.
    pub delimiter_hex: String,
    /// The fixed length, in bytes.
    pub fixed_len: String,
    /// Bytes of the length prefix: 1, 2 or 4.
    pub prefix_bytes: u8,
    /// The prefix is big-endian (network order).
    pub big_endian: bool,
    /// The length counts the prefix itself.
    pub counts_header: bool,
    /// The idle gap, in ms.
    pub gap_ms: String,
}

impl Default for FramingSettings {
    fn default() -> Self {
        FramingSettings {
            kind: FramingKind::Off,
            delimiter_hex: "0D 0A".to_string(),
            fixed_len: "8".to_string(),
            prefix_bytes: 2,
            big_endian: true,
            counts_header: false,
            gap_ms: "50".to_string(),
        }
    }
}

impl FramingSettings {
    /// The rule the fields describe (`None`: off), or the message for them.
    pub fn framing(&self) -> Result<Option<Framing>, Msg> {
        let framing = match self.kind {
            FramingKind::Off => return Ok(None),
            FramingKind::Lf => Framing::Delimiter(b"\n".to_vec()),
            FramingKind::CrLf => Framing::Delimiter(b"\r\n".to_vec()),
            FramingKind::Delimiter => {
                let bytes = parse_hex(&self.delimiter_hex)
                    .map_err(|e| Msg::Payload(PayloadError::Hex(e)))?;
                if bytes.is_empty() || bytes.len() > MAX_DELIMITER {
                    return Err(Msg::with(T::ErrFramingDelimiter, &[&MAX_DELIMITER]));
                }
                Framing::Delimiter(bytes)
            }
            FramingKind::Fixed => match self.fixed_len.trim().parse::<usize>() {
                Ok(n) if (1..=DEFAULT_MAX_MESSAGE).contains(&n) => Framing::FixedLength(n),
                _ => return Err(Msg::with(T::ErrFramingLength, &[&DEFAULT_MAX_MESSAGE])),
            },
            FramingKind::Prefix => Framing::LengthPrefix(LengthPrefix {
                width: match self.prefix_bytes {
                    1 => PrefixWidth::One,
                    4 => PrefixWidth::Four,
                    _ => PrefixWidth::Two,
                },
                endian: if self.big_endian {
                    Endian::Big
                } else {
                    Endian::Little
                },
                counts_header: self.counts_header,
            }),
            FramingKind::Gap => match self.gap_ms.trim().parse::<u64>() {
                Ok(ms) if (1..=MAX_GAP_MS).contains(&ms) => {
                    Framing::IdleGap(Duration::from_millis(ms))
                }
                _ => return Err(Msg::with(T::ErrFramingGap, &[&MAX_GAP_MS])),
            },
        };
        Ok(Some(framing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(kind: FramingKind) -> FramingSettings {
        FramingSettings {
            kind,
            ..FramingSettings::default()
        }
    }

    #[test]
    fn each_choice_is_its_rule_or_a_message() {
        assert_eq!(with(FramingKind::Off).framing(), Ok(None));
        assert_eq!(
            with(FramingKind::CrLf).framing(),
            Ok(Some(Framing::Delimiter(b"\r\n".to_vec())))
        );
        let custom = FramingSettings {
            delimiter_hex: "AA 55".into(),
            ..with(FramingKind::Delimiter)
        };
        assert_eq!(
            custom.framing(),
            Ok(Some(Framing::Delimiter(vec![0xAA, 0x55])))
        );
        let bad = FramingSettings {
            delimiter_hex: "AX".into(),
            ..custom.clone()
        };
        assert!(matches!(bad.framing(), Err(Msg::Payload(_))));
        let empty = FramingSettings {
            delimiter_hex: " ".into(),
            ..custom
        };
        assert_eq!(
            empty.framing(),
            Err(Msg::with(T::ErrFramingDelimiter, &[&MAX_DELIMITER]))
        );
        let zero = FramingSettings {
            fixed_len: "0".into(),
            ..with(FramingKind::Fixed)
        };
        assert!(zero.framing().is_err());
        assert_eq!(
            with(FramingKind::Fixed).framing(),
            Ok(Some(Framing::FixedLength(8)))
        );
        let le4 = FramingSettings {
            prefix_bytes: 4,
            big_endian: false,
            counts_header: true,
            ..with(FramingKind::Prefix)
        };
        assert_eq!(
            le4.framing(),
            Ok(Some(Framing::LengthPrefix(LengthPrefix {
                width: PrefixWidth::Four,
                endian: Endian::Little,
                counts_header: true
            })))
        );
        let long = FramingSettings {
            gap_ms: "600000".into(),
            ..with(FramingKind::Gap)
        };
        assert!(long.framing().is_err());
        assert_eq!(
            with(FramingKind::Gap).framing(),
            Ok(Some(Framing::IdleGap(Duration::from_millis(50))))
        );
    }
}
