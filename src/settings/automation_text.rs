//! Presets, sequences and rules are kept in the settings as the same TOML
//! text the window imports and exports, so there is one format to read,
//! document and test. A text that no longer parses is dropped, not fatal.

use serde::{Deserialize, Deserializer, Serializer};

use crate::automation::{AutomationFile, parse};
use crate::codec::summary::BIG_INPUT;

/// Writes `a` as automation-file text; presets whose text is too large for
/// the settings file are kept for this run only.
pub fn serialize<S: Serializer>(a: &AutomationFile, ser: S) -> Result<S::Ok, S::Error> {
    let mut small = a.clone();
    small.presets.retain(|p| p.text.len() <= BIG_INPUT);
    let text = small.to_toml().map_err(serde::ser::Error::custom)?;
    ser.serialize_str(&text)
}

/// Reads automation-file text; text that does not parse gives nothing.
pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<AutomationFile, D::Error> {
    let text = String::deserialize(de)?;
    Ok(parse(&text)
        .map(crate::automation::Parsed::into_automation)
        .unwrap_or_default())
}
