//! Send automation without a window or sockets: presets (quick commands),
//! sequences, auto-reply rules (which rewrite instead in a relay), their
//! TOML file, and the tutorial partners.
//!
//! Everything here is a pure model: the window and the command line drive
//! it with engine events and the time, and carry out what it returns
//! ([`Response`]s from a [`Responder`], [`SequenceOutput`]s from a
//! [`SequenceRun`]). Every input that comes from a file or a peer is
//! bounded: file size, counts, pattern and template lengths, regex size and
//! reply size all have limits with clear errors.

pub mod file;
pub mod hex_pattern;
pub mod load_script;
pub mod matcher;
pub mod partners;
pub mod preset;
pub mod responder;
pub mod rewrite;
pub mod rule;
pub mod sequence;
pub mod template;

pub use file::{AutomationFile, FileError, LoadError, Parsed, load_strict, parse, parse_strict};
pub use hex_pattern::{HexPattern, HexPatternError};
pub use matcher::{Groups, MatchError, MatchKind, Matcher};
pub use partners::{Partner, PartnerRole, partner, partners};
pub use preset::{Hotkey, ParseHotkeyError, Preset};
pub use responder::{Responder, ResponderSettings, Response, RuleState};
pub use rewrite::RelayRewrite;
pub use rule::{AnswerMode, Echo, Rule, RuleError, RuleErrorKind, RuleField, Trigger, Way};
pub use sequence::{
    Progress, Repeat, RunState, Sequence, SequenceError, SequenceFailure, SequenceOutput,
    SequenceRun, Step, StepSend, StepWait,
};
pub use template::{Placeholder, RenderError, Template, TemplateError};
