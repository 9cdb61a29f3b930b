//! The automation file: one TOML file holding presets, sequences and
//! auto-reply rules (any of the three may be left out, so a rules file is
//! just `[[rule]]` tables). README documents the format with an example.
//!
//! Every error names the line and column it is about. Reading a file never
//! changes what is loaded: [`parse`] returns a new value, and
//! [`AutomationFile::import`] only takes a file that parsed.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::path::Path;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use toml::Spanned;

use super::matcher::MatchKind;
use super::preset::{Hotkey, Preset};
use super::rule::{AnswerMode, Echo, Rule, RuleField, Trigger, Way};
use super::sequence::{Repeat, Sequence, SequenceError, SequenceRun, Step, StepSend, StepWait};
use crate::codec::{
    Checksum, ChecksumKind, ChecksumRange, DisplayEncoding, InputMode, LineEnding, SendOptions,
    TextEncoding, build_payload,
};
use crate::net::parse_host_port;

/// The largest file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// The most presets in one file.
pub const MAX_PRESETS: usize = 1000;
/// The most sequences in one file.
pub const MAX_SEQUENCES: usize = 200;
/// The most rules in one file.
pub const MAX_RULES: usize = 1000;

/// Presets, sequences and rules, as loaded or as to be saved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AutomationFile {
    /// Whether the first matching rule answers, or all.
    pub answer: AnswerMode,
    /// Presets, in order.
    pub presets: Vec<Preset>,
    /// Sequences, in order.
    pub sequences: Vec<Sequence>,
    /// Rules, in order.
    pub rules: Vec<Rule>,
}

/// A problem at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}, column {column}: {message}")]
pub struct FileError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Why a file could not be loaded.
#[derive(Debug, Error)]
pub enum LoadError {
    /// It could not be read.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// It is too big to be an automation file.
    #[error("{path}: the file has {size} bytes; at most {max} are allowed")]
    TooBig {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// It is not UTF-8.
    #[error("{path}: the file is not UTF-8 text")]
    NotText {
        /// The file.
        path: String,
    },
    /// Its content is wrong.
    #[error("{path}: {error}")]
    Content {
        /// The file.
        path: String,
        /// Where and what.
        error: FileError,
    },
}

/// A parsed file: the sections it has, and the rules that cannot run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// `answer`, if the file sets it.
    pub answer: Option<AnswerMode>,
    /// `[[preset]]` tables, if any.
    pub presets: Option<Vec<Preset>>,
    /// `[[sequence]]` tables, if any.
    pub sequences: Option<Vec<Sequence>>,
    /// `[[rule]]` tables, if any.
    pub rules: Option<Vec<Rule>>,
    /// Rules with a bad field: each stays in `rules` but cannot run (it is
    /// shown disabled with this error at its field).
    pub rule_problems: Vec<FileError>,
}

impl Parsed {
    /// The file as a whole, with defaults for what it leaves out.
    pub fn into_automation(self) -> AutomationFile {
        AutomationFile {
            answer: self.answer.unwrap_or_default(),
            presets: self.presets.unwrap_or_default(),
            sequences: self.sequences.unwrap_or_default(),
            rules: self.rules.unwrap_or_default(),
        }
    }
}

impl AutomationFile {
    /// Takes the sections a parsed file has, keeping the others: importing
    /// a rules-only file leaves presets and sequences alone.
    pub fn import(&mut self, parsed: Parsed) {
        if let Some(answer) = parsed.answer {
            self.answer = answer;
        }
        if let Some(presets) = parsed.presets {
            self.presets = presets;
        }
        if let Some(sequences) = parsed.sequences {
            self.sequences = sequences;
        }
        if let Some(rules) = parsed.rules {
            self.rules = rules;
        }
    }

    /// Parses `text` and imports it; on any error nothing changes. Returns
    /// the rules that cannot run (see [`Parsed::rule_problems`]).
    pub fn import_text(&mut self, text: &str) -> Result<Vec<FileError>, FileError> {
        let mut parsed = parse(text)?;
        let problems = std::mem::take(&mut parsed.rule_problems);
        self.import(parsed);
        Ok(problems)
    }

    /// The preset with this name.
    pub fn preset(&self, name: &str) -> Option<&Preset> {
        self.presets.iter().find(|p| p.name == name)
    }

    /// The sequence with this name.
    pub fn sequence(&self, name: &str) -> Option<&Sequence> {
        self.sequences.iter().find(|s| s.name == name)
    }

    /// The file text that [`parse`] reads back to the same value.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        let file = FileSer {
            answer: (self.answer != AnswerMode::default()).then_some(self.answer),
            preset: self.presets.iter().map(PresetSer::from).collect(),
            sequence: self.sequences.iter().map(SequenceSer::from).collect(),
            rule: self.rules.iter().map(RuleSer::from).collect(),
        };
        let body = toml::to_string_pretty(&file)?;
        Ok(format!(
            "# NetAssist automation file: presets, sequences and auto-reply rules.\n\n{body}"
        ))
    }
}

/// Parses file text. Structure errors (syntax, unknown keys, wrong types,
/// bad presets or sequences) fail the whole file; a rule with a bad pattern
/// or reply is kept, disabled, and reported in [`Parsed::rule_problems`].
pub fn parse(text: &str) -> Result<Parsed, FileError> {
    let at = |span: Range<usize>, message: String| locate(text, span.start, message);
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(at(
            0..0,
            format!(
                "the file has {} bytes; at most {MAX_FILE_BYTES} are allowed",
                text.len()
            ),
        ));
    }
    let file: FileDe = toml::from_str(text).map_err(|e| {
        let start = e.span().map_or(0, |s| s.start);
        locate(text, start, e.message().trim().to_string())
    })?;
    let count = |what: &str, len: usize, max: usize| {
        (len > max).then(|| {
            at(
                0..0,
                format!("the file has {len} {what}; at most {max} are allowed"),
            )
        })
    };
    if let Some(e) = count("presets", file.preset.len(), MAX_PRESETS)
        .or_else(|| count("sequences", file.sequence.len(), MAX_SEQUENCES))
        .or_else(|| count("rules", file.rule.len(), MAX_RULES))
    {
        return Err(e);
    }

    let mut presets = Vec::with_capacity(file.preset.len());
    let mut names = HashSet::new();
    let mut hotkeys = HashSet::new();
    for table in &file.preset {
        let de = table.get_ref();
        let name = de
            .name
            .as_ref()
            .ok_or_else(|| at(table.span(), "a preset needs a name".to_string()))?;
        if name.get_ref().trim().is_empty() {
            return Err(at(name.span(), "a preset needs a name".to_string()));
        }
        if !names.insert(name.get_ref().clone()) {
            return Err(at(
                name.span(),
                format!("there is already a preset named \"{}\"", name.get_ref()),
            ));
        }
        let preset = de.to_preset(text, table.span())?;
        if let (Some(key), Some(span)) = (preset.hotkey, &de.hotkey)
            && !hotkeys.insert(key)
        {
            return Err(at(
                span.span(),
                format!("hotkey {key} is used by two presets"),
            ));
        }
        presets.push(preset);
    }

    let mut sequences = Vec::with_capacity(file.sequence.len());
    let mut seq_names = HashSet::new();
    for table in &file.sequence {
        let de = table.get_ref();
        if de.name.get_ref().trim().is_empty() {
            return Err(at(de.name.span(), "a sequence needs a name".to_string()));
        }
        if !seq_names.insert(de.name.get_ref().clone()) {
            return Err(at(
                de.name.span(),
                format!(
                    "there is already a sequence named \"{}\"",
                    de.name.get_ref()
                ),
            ));
        }
        let mut steps = Vec::with_capacity(de.step.len());
        for step in &de.step {
            steps.push(step.get_ref().to_step(text, step.span())?);
        }
        let sequence = Sequence {
            name: de.name.get_ref().clone(),
            repeat: de.repeat.map_or(Repeat::Times(1), |r| r.0),
            steps,
        };
        if let Err(e) = SequenceRun::new(&sequence, &presets, DisplayEncoding::Auto) {
            let span = sequence_error_step(&e)
                .and_then(|n| de.step.get(n - 1))
                .map_or(table.span(), Spanned::span);
            return Err(at(span, format!("sequence \"{}\": {e}", de.name.get_ref())));
        }
        sequences.push(sequence);
    }

    let mut rules = Vec::with_capacity(file.rule.len());
    let mut rule_problems = Vec::new();
    for (i, table) in file.rule.iter().enumerate() {
        let de = table.get_ref();
        let rule = de.to_rule();
        if let Err(e) = rule.compile(rule.encoding.unwrap_or_default()) {
            let span = match e.field {
                RuleField::Pattern => de.pattern.as_ref().map(Spanned::span),
                RuleField::Reply(_) => de.reply.as_ref().map(Spanned::span),
                RuleField::Echo | RuleField::Delay | RuleField::Close | RuleField::When => None,
            }
            .unwrap_or(table.span());
            rule_problems.push(at(span, format!("rule {}: {e}", i + 1)));
        }
        rules.push(rule);
    }

    Ok(Parsed {
        answer: file.answer,
        presets: (!file.preset.is_empty()).then_some(presets),
        sequences: (!file.sequence.is_empty()).then_some(sequences),
        rules: (!file.rule.is_empty()).then_some(rules),
        rule_problems,
    })
}

/// Like [`parse`], but a rule that cannot run is an error too (for the
/// command line, where nobody could fix it at its field).
pub fn parse_strict(text: &str) -> Result<Parsed, FileError> {
    let mut parsed = parse(text)?;
    if parsed.rule_problems.is_empty() {
        Ok(parsed)
    } else {
        Err(parsed.rule_problems.swap_remove(0))
    }
}

/// Reads a file's text, refusing files over [`MAX_FILE_BYTES`].
pub fn read_text(path: &Path) -> Result<String, LoadError> {
    use std::io::Read;
    let shown = path.display().to_string();
    let io = |error| LoadError::Io {
        path: shown.clone(),
        error,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    // Read one byte past the limit to tell a file at the limit from one over.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let size = std::fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
        return Err(LoadError::TooBig {
            path: shown,
            size,
            max: MAX_FILE_BYTES,
        });
    }
    String::from_utf8(bytes).map_err(|_| LoadError::NotText { path: shown })
}

/// Reads and parses a file strictly (see [`parse_strict`]).
pub fn load_strict(path: &Path) -> Result<Parsed, LoadError> {
    let text = read_text(path)?;
    parse_strict(&text).map_err(|error| LoadError::Content {
        path: path.display().to_string(),
        error,
    })
}

/// The step a sequence error is about (1-based), if any.
fn sequence_error_step(e: &SequenceError) -> Option<usize> {
    match e {
        SequenceError::UnknownPreset { step, .. }
        | SequenceError::Payload { step, .. }
        | SequenceError::Target { step, .. }
        | SequenceError::Pattern { step, .. }
        | SequenceError::WaitTooLong { step, .. } => Some(*step),
        SequenceError::Empty
        | SequenceError::TooManySteps { .. }
        | SequenceError::ZeroRounds
        | SequenceError::BusyForever => None,
    }
}

/// Line and column (1-based, columns in characters) of byte `offset`.
fn locate(text: &str, offset: usize, message: String) -> FileError {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    FileError {
        line,
        column: before[line_start..].chars().count() + 1,
        message,
    }
}

// ---------------------------------------------------------------------------
// The file as read
// ---------------------------------------------------------------------------

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDe {
    answer: Option<AnswerMode>,
    #[serde(default)]
    preset: Vec<Spanned<PresetDe>>,
    #[serde(default)]
    sequence: Vec<Spanned<SequenceDe>>,
    #[serde(default)]
    rule: Vec<Spanned<RuleDe>>,
}

/// A preset, or the literal send of a sequence step (no name, target or
/// hotkey there).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresetDe {
    name: Option<Spanned<String>>,
    text: Option<Spanned<String>>,
    #[serde(default)]
    mode: InputMode,
    #[serde(default)]
    escapes: bool,
    #[serde(default)]
    encoding: TextEncoding,
    #[serde(default)]
    newline: LineEnding,
    checksum: Option<ChecksumKind>,
    checksum_range: Option<Spanned<String>>,
    target: Option<Spanned<String>>,
    hotkey: Option<Spanned<String>>,
}

impl PresetDe {
    fn text(&self) -> &str {
        self.text.as_ref().map_or("", |t| t.get_ref().as_str())
    }

    fn send_options(&self, text: &str) -> Result<SendOptions, FileError> {
        let range = match &self.checksum_range {
            Some(r) => {
                let range = r
                    .get_ref()
                    .parse::<ChecksumRange>()
                    .map_err(|e| locate(text, r.span().start, e.to_string()))?;
                if self.checksum.is_none() {
                    return Err(locate(
                        text,
                        r.span().start,
                        "checksum_range needs a checksum".to_string(),
                    ));
                }
                range
            }
            None => ChecksumRange::ALL,
        };
        let send = SendOptions {
            mode: self.mode,
            escapes: self.escapes,
            encoding: self.encoding,
            line_ending: self.newline,
            checksum: self.checksum.map(|kind| Checksum { kind, range }),
        };
        if let Err(e) = build_payload(self.text(), &send) {
            let at = self.text.as_ref().map_or(0, |t| t.span().start);
            return Err(locate(text, at, e.to_string()));
        }
        Ok(send)
    }

    fn to_preset(&self, text: &str, span: Range<usize>) -> Result<Preset, FileError> {
        let send = self.send_options(text)?;
        let target = match &self.target {
            Some(t) => {
                parse_host_port(t.get_ref())
                    .map_err(|e| locate(text, t.span().start, format!("target: {e}")))?;
                Some(t.get_ref().clone())
            }
            None => None,
        };
        let hotkey = match &self.hotkey {
            Some(k) => Some(
                k.get_ref()
                    .parse::<Hotkey>()
                    .map_err(|e| locate(text, k.span().start, e.to_string()))?,
            ),
            None => None,
        };
        Ok(Preset {
            name: self
                .name
                .as_ref()
                .map(|n| n.get_ref().clone())
                .ok_or_else(|| locate(text, span.start, "a preset needs a name".into()))?,
            text: self.text().to_string(),
            send,
            target,
            hotkey,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SequenceDe {
    name: Spanned<String>,
    repeat: Option<RepeatDe>,
    #[serde(default)]
    step: Vec<Spanned<StepDe>>,
}

/// `repeat = 3` or `repeat = "forever"`.
#[derive(Clone, Copy)]
struct RepeatDe(Repeat);

impl<'de> Deserialize<'de> for RepeatDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RepeatDe;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of rounds or \"forever\"")
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<RepeatDe, E> {
                u32::try_from(n)
                    .map(|n| RepeatDe(Repeat::Times(n)))
                    .map_err(|_| E::custom(format!("repeat = {n} is out of range")))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RepeatDe, E> {
                if s.eq_ignore_ascii_case("forever") {
                    Ok(RepeatDe(Repeat::Forever))
                } else {
                    Err(E::custom(format!(
                        "repeat = \"{s}\": use a number of rounds or \"forever\""
                    )))
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepDe {
    preset: Option<String>,
    send: Option<Spanned<PresetDe>>,
    wait_ms: Option<u64>,
    wait_for: Option<MatchKind>,
    pattern: Option<String>,
    timeout_ms: Option<u64>,
}

impl StepDe {
    fn to_step(&self, text: &str, span: Range<usize>) -> Result<Step, FileError> {
        let err = |message: &str| locate(text, span.start, message.to_string());
        let send = match (&self.preset, &self.send) {
            (Some(name), None) => StepSend::Preset(name.clone()),
            (None, Some(literal)) => {
                let de = literal.get_ref();
                if de.name.is_some() || de.target.is_some() || de.hotkey.is_some() {
                    return Err(locate(
                        text,
                        literal.span().start,
                        "a step's send has no name, target or hotkey (make it a preset)"
                            .to_string(),
                    ));
                }
                StepSend::Literal {
                    text: de.text().to_string(),
                    send: de.send_options(text)?,
                }
            }
            _ => {
                return Err(err(
                    "a step has either preset = \"NAME\" or send = { text = \"...\" }",
                ));
            }
        };
        let wait = match (self.wait_ms, self.wait_for, &self.pattern, self.timeout_ms) {
            (ms, None, None, None) => StepWait::Pause {
                ms: ms.unwrap_or(0),
            },
            (None, Some(when), Some(pattern), Some(timeout_ms)) => StepWait::Reply {
                when,
                pattern: pattern.clone(),
                timeout_ms,
            },
            (Some(_), Some(_), _, _) => {
                return Err(err(
                    "a step waits either wait_ms or for a reply (wait_for), not both",
                ));
            }
            _ => {
                return Err(err(
                    "waiting for a reply needs wait_for, pattern and timeout_ms",
                ));
            }
        };
        Ok(Step { send, wait })
    }
}

/// `reply = "text"` or `reply = ["part 1", "part 2"]`.
#[derive(Deserialize)]
#[serde(untagged)]
enum ReplyDe {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDe {
    #[serde(default)]
    name: String,
    #[serde(default = "yes")]
    enabled: bool,
    when: Trigger,
    pattern: Option<Spanned<String>>,
    reply: Option<Spanned<ReplyDe>>,
    #[serde(default)]
    reply_hex: bool,
    echo: Option<Echo>,
    encoding: Option<TextEncoding>,
    #[serde(default = "yes")]
    escapes: bool,
    #[serde(default)]
    delay_ms: u64,
    #[serde(default)]
    close: bool,
    #[serde(default)]
    direction: Way,
}

impl RuleDe {
    fn to_rule(&self) -> Rule {
        Rule {
            name: self.name.clone(),
            enabled: self.enabled,
            when: self.when,
            pattern: self
                .pattern
                .as_ref()
                .map(|p| p.get_ref().clone())
                .unwrap_or_default(),
            reply: match self.reply.as_ref().map(Spanned::get_ref) {
                None => Vec::new(),
                Some(ReplyDe::One(s)) => vec![s.clone()],
                Some(ReplyDe::Many(v)) => v.clone(),
            },
            reply_hex: self.reply_hex,
            echo: self.echo,
            encoding: self.encoding,
            escapes: self.escapes,
            delay_ms: self.delay_ms,
            close: self.close,
            direction: self.direction,
        }
    }
}

// ---------------------------------------------------------------------------
// The file as written
// ---------------------------------------------------------------------------

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

#[derive(Serialize)]
struct FileSer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<AnswerMode>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    preset: Vec<PresetSer<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sequence: Vec<SequenceSer<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rule: Vec<RuleSer<'a>>,
}

#[derive(Serialize)]
struct PresetSer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    text: &'a str,
    #[serde(skip_serializing_if = "is_default")]
    mode: InputMode,
    #[serde(skip_serializing_if = "is_false")]
    escapes: bool,
    #[serde(skip_serializing_if = "is_default")]
    encoding: TextEncoding,
    #[serde(skip_serializing_if = "is_default")]
    newline: LineEnding,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum: Option<ChecksumKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum_range: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hotkey: Option<String>,
}

impl<'a> PresetSer<'a> {
    fn literal(text: &'a str, send: &SendOptions) -> PresetSer<'a> {
        PresetSer {
            name: None,
            text,
            mode: send.mode,
            escapes: send.escapes,
            encoding: send.encoding,
            newline: send.line_ending,
            checksum: send.checksum.map(|c| c.kind),
            checksum_range: send
                .checksum
                .filter(|c| c.range != ChecksumRange::ALL)
                .map(|c| c.range.to_string()),
            target: None,
            hotkey: None,
        }
    }
}

impl<'a> From<&'a Preset> for PresetSer<'a> {
    fn from(p: &'a Preset) -> Self {
        PresetSer {
            name: Some(&p.name),
            target: p.target.as_deref(),
            hotkey: p.hotkey.map(|k| k.to_string()),
            ..PresetSer::literal(&p.text, &p.send)
        }
    }
}

#[derive(Serialize)]
struct SequenceSer<'a> {
    name: &'a str,
    repeat: toml::Value,
    step: Vec<StepSer<'a>>,
}

impl<'a> From<&'a Sequence> for SequenceSer<'a> {
    fn from(s: &'a Sequence) -> Self {
        SequenceSer {
            name: &s.name,
            repeat: match s.repeat {
                Repeat::Times(n) => toml::Value::Integer(i64::from(n)),
                Repeat::Forever => toml::Value::String("forever".into()),
            },
            step: s.steps.iter().map(StepSer::from).collect(),
        }
    }
}

#[derive(Serialize)]
struct StepSer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    preset: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wait_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wait_for: Option<MatchKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pattern: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    send: Option<PresetSer<'a>>,
}

impl<'a> From<&'a Step> for StepSer<'a> {
    fn from(s: &'a Step) -> Self {
        let (preset, send) = match &s.send {
            StepSend::Preset(name) => (Some(name.as_str()), None),
            StepSend::Literal { text, send } => (None, Some(PresetSer::literal(text, send))),
        };
        let mut step = StepSer {
            preset,
            send,
            wait_ms: None,
            wait_for: None,
            pattern: None,
            timeout_ms: None,
        };
        match &s.wait {
            StepWait::Pause { ms } => step.wait_ms = Some(*ms),
            StepWait::Reply {
                when,
                pattern,
                timeout_ms,
            } => {
                step.wait_for = Some(*when);
                step.pattern = Some(pattern);
                step.timeout_ms = Some(*timeout_ms);
            }
        }
        step
    }
}

#[derive(Serialize)]
struct RuleSer<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "is_true")]
    enabled: bool,
    when: Trigger,
    #[serde(skip_serializing_if = "str::is_empty")]
    pattern: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<toml::Value>,
    #[serde(skip_serializing_if = "is_false")]
    reply_hex: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    echo: Option<Echo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<TextEncoding>,
    #[serde(skip_serializing_if = "is_true")]
    escapes: bool,
    #[serde(skip_serializing_if = "is_zero")]
    delay_ms: u64,
    #[serde(skip_serializing_if = "is_false")]
    close: bool,
    #[serde(skip_serializing_if = "is_both")]
    direction: Way,
}

fn is_both(way: &Way) -> bool {
    *way == Way::Both
}

impl<'a> From<&'a Rule> for RuleSer<'a> {
    fn from(r: &'a Rule) -> Self {
        RuleSer {
            name: &r.name,
            enabled: r.enabled,
            when: r.when,
            pattern: &r.pattern,
            reply: match r.reply.as_slice() {
                [] => None,
                [one] => Some(toml::Value::String(one.clone())),
                many => Some(toml::Value::Array(
                    many.iter().cloned().map(toml::Value::String).collect(),
                )),
            },
            reply_hex: r.reply_hex,
            echo: r.echo,
            encoding: r.encoding,
            escapes: r.escapes,
            delay_ms: r.delay_ms,
            close: r.close,
            direction: r.direction,
        }
    }
}

#[cfg(test)]
mod tests;
