//! Presets (quick commands): a named send with its own options, an optional
//! target and an optional hotkey.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::codec::{Payload, PayloadError, SendOptions, build_payload};
use crate::net::{AddrError, HostPort, parse_host_port};

/// A key that fires a preset: Ctrl+1..Ctrl+9 or F1..F12.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hotkey {
    /// Ctrl and a digit, 1..=9.
    Ctrl(u8),
    /// A function key, 1..=12.
    F(u8),
}

impl Hotkey {
    /// Every assignable key, in menu order.
    pub fn all() -> impl Iterator<Item = Hotkey> {
        (1..=9).map(Hotkey::Ctrl).chain((1..=12).map(Hotkey::F))
    }
}

impl fmt::Display for Hotkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hotkey::Ctrl(n) => write!(f, "Ctrl+{n}"),
            Hotkey::F(n) => write!(f, "F{n}"),
        }
    }
}

/// A hotkey name that is not Ctrl+1..Ctrl+9 or F1..F12.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown hotkey \"{value}\" (use Ctrl+1 to Ctrl+9 or F1 to F12)")]
pub struct ParseHotkeyError {
    /// The name as given.
    pub value: String,
}

impl FromStr for Hotkey {
    type Err = ParseHotkeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace(' ', "");
        Hotkey::all()
            .find(|k| k.to_string().to_ascii_lowercase() == wanted)
            .ok_or_else(|| ParseHotkeyError {
                value: s.to_string(),
            })
    }
}

/// A named send.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Preset {
    /// Its name, unique in a file; sequences refer to it.
    pub name: String,
    /// Text or hex, as in the send box.
    pub text: String,
    /// How `text` becomes bytes (mode, escapes, encoding, line ending,
    /// checksum).
    pub send: SendOptions,
    /// Where it goes, for UDP (`host:port`); `None`: the session's default.
    pub target: Option<String>,
    /// The key that fires it.
    pub hotkey: Option<Hotkey>,
}

impl Preset {
    /// The bytes it sends, and how many at the end were added.
    pub fn build(&self) -> Result<Payload, PayloadError> {
        build_payload(&self.text, &self.send)
    }

    /// Its target, checked; `None` when it has none.
    pub fn target(&self) -> Result<Option<HostPort>, AddrError> {
        self.target.as_deref().map(parse_host_port).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Checksum, ChecksumKind, InputMode};

    #[test]
    fn hotkeys_parse_and_print() {
        assert_eq!(Hotkey::all().count(), 21);
        for key in Hotkey::all() {
            assert_eq!(key.to_string().parse::<Hotkey>(), Ok(key));
        }
        assert_eq!("ctrl + 3".parse::<Hotkey>(), Ok(Hotkey::Ctrl(3)));
        assert_eq!("f12".parse::<Hotkey>(), Ok(Hotkey::F(12)));
        for bad in ["Ctrl+0", "Ctrl+10", "F0", "F13", "Alt+1", ""] {
            assert!(bad.parse::<Hotkey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_preset_builds_its_frame() {
        let p = Preset {
            name: "read".into(),
            text: "01 03 00 00 00 01".into(),
            send: SendOptions {
                mode: InputMode::Hex,
                checksum: Some(Checksum::whole(ChecksumKind::Crc16Modbus)),
                ..SendOptions::default()
            },
            target: Some("127.0.0.1:502".into()),
            hotkey: Some(Hotkey::F(1)),
        };
        let payload = p.build().unwrap();
        assert_eq!(payload.bytes, [1, 3, 0, 0, 0, 1, 0x84, 0x0A]);
        assert_eq!(payload.added_tail, 2);
        assert_eq!(p.target().unwrap().unwrap().port, 502);
        let bad = Preset {
            target: Some("nowhere".into()),
            ..p
        };
        assert!(bad.target().is_err());
    }
}
