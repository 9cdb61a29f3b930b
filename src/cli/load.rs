//! Reading the automation files a command-line run names: `--rules FILE`
//! and `--presets FILE --sequence NAME`. Any problem is an argument error
//! that names the file, line and column; what the rules and the sequence
//! then do is the session runtime's business.

use std::path::Path;

use crate::automation::{AnswerMode, Parsed, Rule, SequenceRun, load_strict};
use crate::codec::{DisplayEncoding, TextEncoding};

/// Loads `--rules FILE` strictly.
pub(super) fn load_rules(path: &Path) -> Result<(AnswerMode, Vec<Rule>), String> {
    let parsed: Parsed = load_strict(path).map_err(|e| format!("--rules {e}"))?;
    Ok((
        parsed.answer.unwrap_or_default(),
        parsed.rules.unwrap_or_default(),
    ))
}

/// A relay's rules rewrite: the first one that cannot (a connect rule, a
/// delay, a close) is an error naming it.
pub(super) fn check_relay_rules(
    path: &Path,
    rules: &[Rule],
    send_encoding: TextEncoding,
) -> Result<(), String> {
    let (_, errors) =
        crate::automation::RelayRewrite::new(rules, AnswerMode::default(), send_encoding);
    match errors
        .iter()
        .enumerate()
        .find_map(|(i, e)| e.as_ref().map(|e| (i + 1, e)))
    {
        Some((n, e)) => Err(format!("--rules {}: rule {n}: {e}", path.display())),
        None => Ok(()),
    }
}

/// Loads `--presets FILE` and builds the bytes of `--preset NAME` from it.
pub(super) fn load_preset(path: &Path, name: &str) -> Result<Vec<u8>, String> {
    let parsed = load_strict(path).map_err(|e| format!("--presets {e}"))?;
    let file = parsed.into_automation();
    let Some(preset) = file.preset(name) else {
        let names: Vec<&str> = file.presets.iter().map(|p| p.name.as_str()).collect();
        return Err(format!(
            "--preset: {} has no preset named \"{name}\" (it has: {})",
            path.display(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ));
    };
    preset
        .build()
        .map(|p| p.bytes)
        .map_err(|e| format!("--preset {name}: {e}"))
}

/// Loads `--presets FILE` and prepares `--sequence NAME` from it.
pub(super) fn load_sequence(
    path: &Path,
    name: &str,
    display: DisplayEncoding,
) -> Result<SequenceRun, String> {
    let parsed = load_strict(path).map_err(|e| format!("--presets {e}"))?;
    let file = parsed.into_automation();
    let Some(sequence) = file.sequence(name) else {
        let names: Vec<&str> = file.sequences.iter().map(|s| s.name.as_str()).collect();
        return Err(format!(
            "--sequence: {} has no sequence named \"{name}\" (it has: {})",
            path.display(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ));
    };
    SequenceRun::new(sequence, &file.presets, display)
        .map_err(|e| format!("--sequence {name}: {e}"))
}
