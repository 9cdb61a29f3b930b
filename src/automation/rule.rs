//! Auto-reply rules as plain, editable data ([`Rule`]) and their checked,
//! ready-to-run form ([`CompiledRule`]).
//!
//! A rule has a trigger (a received chunk that matches, any chunk, or a new
//! connection), what to send back (text with placeholders, hex, or the chunk
//! itself, as is or upper-cased), an optional delay, and an optional close
//! of the connection afterwards. A rule that does not compile reports which
//! field is wrong and stays disabled.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::matcher::{MatchError, MatchKind, Matcher};
use super::template::{Template, TemplateError};
use crate::codec::{HexError, TextEncoding, parse_hex};

/// The longest delay a rule may ask for: one hour.
pub const MAX_DELAY_MS: u64 = 3_600_000;

/// The most reply parts one rule may have.
pub const MAX_REPLY_PARTS: usize = 16;

/// What sets a rule off.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// A received chunk whose text contains the pattern.
    #[default]
    Contains,
    /// A received chunk whose text is exactly the pattern.
    Equals,
    /// A received chunk whose text the regex pattern finds a match in.
    Regex,
    /// A received chunk whose bytes hold the hex pattern (`??` = any byte).
    Hex,
    /// Every received chunk.
    Any,
    /// A connection: a client connecting to our TCP server, our TCP client
    /// connecting, or our UDP socket being bound (the reply then goes to the
    /// session's remote address).
    Connect,
}

impl Trigger {
    /// Every trigger, for pickers.
    pub const ALL: [Trigger; 6] = [
        Trigger::Contains,
        Trigger::Equals,
        Trigger::Regex,
        Trigger::Hex,
        Trigger::Any,
        Trigger::Connect,
    ];

    /// The name used in files (`when = "..."`).
    pub fn name(self) -> &'static str {
        match self {
            Trigger::Contains => "contains",
            Trigger::Equals => "equals",
            Trigger::Regex => "regex",
            Trigger::Hex => "hex",
            Trigger::Any => "any",
            Trigger::Connect => "connect",
        }
    }

    /// The matcher kind, for triggers that match a pattern.
    pub fn match_kind(self) -> Option<MatchKind> {
        match self {
            Trigger::Contains => Some(MatchKind::Contains),
            Trigger::Equals => Some(MatchKind::Equals),
            Trigger::Regex => Some(MatchKind::Regex),
            Trigger::Hex => Some(MatchKind::Hex),
            Trigger::Any | Trigger::Connect => None,
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Sending the received chunk back.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Echo {
    /// Exactly the bytes received.
    Same,
    /// The bytes received with ASCII letters upper-cased (as Python's
    /// `bytes.upper()`; every other byte unchanged).
    Upper,
}

/// Whether the first matching rule answers, or every matching rule.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerMode {
    /// Only the first enabled rule that matches a chunk.
    #[default]
    First,
    /// Every enabled rule that matches, in order.
    All,
}

/// In a relay, which way a rule rewrites (elsewhere it does not matter).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Way {
    /// Both ways.
    #[default]
    Both,
    /// Client to server.
    Up,
    /// Server to client.
    Down,
}

impl Way {
    /// Every way, for pickers.
    pub const ALL: [Way; 3] = [Way::Both, Way::Up, Way::Down];

    /// The name used in files (`direction = "..."`).
    pub fn name(self) -> &'static str {
        match self {
            Way::Both => "both",
            Way::Up => "up",
            Way::Down => "down",
        }
    }

    /// Whether a chunk going `flow` is this way.
    pub fn takes(self, flow: crate::net::Flow) -> bool {
        match self {
            Way::Both => true,
            Way::Up => flow == crate::net::Flow::Up,
            Way::Down => flow == crate::net::Flow::Down,
        }
    }
}

/// One auto-reply rule, as the user edits it and the file stores it. In a
/// relay, the same rule rewrites what it matches instead of answering (see
/// [`super::rewrite`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// A label for the user (may be empty).
    pub name: String,
    /// Disabled rules never fire.
    pub enabled: bool,
    /// What sets it off.
    pub when: Trigger,
    /// The pattern for `contains`, `equals`, `regex` and `hex`.
    pub pattern: String,
    /// What to send: one or more parts, each its own send. Text with
    /// placeholders, or hex when `reply_hex`.
    pub reply: Vec<String>,
    /// The reply parts are hex (no placeholders).
    pub reply_hex: bool,
    /// Send the received chunk back instead of `reply`.
    pub echo: Option<Echo>,
    /// Encoding of reply text; `None`: the session's send encoding.
    pub encoding: Option<TextEncoding>,
    /// Whether `\r \n \t \\ \0 \xHH` in reply text are read as escapes.
    pub escapes: bool,
    /// Wait this long before each reply part (and before the close).
    pub delay_ms: u64,
    /// Close the connection after replying (TCP; ignored for UDP).
    pub close: bool,
    /// In a relay: the way it rewrites.
    pub direction: Way,
}

impl Default for Rule {
    fn default() -> Self {
        Rule {
            name: String::new(),
            enabled: true,
            when: Trigger::Contains,
            pattern: String::new(),
            reply: Vec::new(),
            reply_hex: false,
            echo: None,
            encoding: None,
            escapes: true,
            delay_ms: 0,
            close: false,
            direction: Way::Both,
        }
    }
}

impl Rule {
    /// The built-in echo: every chunk goes back to its sender unchanged.
    pub fn echo() -> Rule {
        Rule {
            name: "echo".to_string(),
            when: Trigger::Any,
            echo: Some(Echo::Same),
            ..Rule::default()
        }
    }

    /// A text reply to chunks matched by `when`/`pattern`.
    pub fn reply_to(when: Trigger, pattern: &str, reply: &str) -> Rule {
        Rule {
            when,
            pattern: pattern.to_string(),
            reply: vec![reply.to_string()],
            ..Rule::default()
        }
    }

    /// Checks every field and builds the runnable form. Reply text without
    /// its own encoding uses `send_encoding`.
    pub fn compile(&self, send_encoding: TextEncoding) -> Result<CompiledRule, RuleError> {
        let err = |field, kind| RuleError { field, kind };
        let matcher = match self.when.match_kind() {
            Some(kind) => Some(
                Matcher::compile(kind, &self.pattern)
                    .map_err(|e| err(RuleField::Pattern, RuleErrorKind::Pattern(e)))?,
            ),
            None => None,
        };
        if self.delay_ms > MAX_DELAY_MS {
            return Err(err(
                RuleField::Delay,
                RuleErrorKind::DelayTooLong {
                    max_ms: MAX_DELAY_MS,
                },
            ));
        }
        if self.reply.len() > MAX_REPLY_PARTS {
            return Err(err(
                RuleField::Reply(MAX_REPLY_PARTS),
                RuleErrorKind::TooManyParts {
                    max: MAX_REPLY_PARTS,
                },
            ));
        }
        let reply = match self.echo {
            Some(_) if self.when == Trigger::Connect => {
                return Err(err(RuleField::Echo, RuleErrorKind::EchoOnConnect));
            }
            Some(_) if !self.reply.is_empty() => {
                return Err(err(RuleField::Echo, RuleErrorKind::EchoAndReply));
            }
            Some(echo) => Reply::Echo(echo),
            None if self.reply_hex => {
                let mut parts = Vec::with_capacity(self.reply.len());
                for (i, part) in self.reply.iter().enumerate() {
                    let bytes = parse_hex(part)
                        .map_err(|e| err(RuleField::Reply(i), RuleErrorKind::Hex(e)))?;
                    parts.push(Bytes::from(bytes));
                }
                Reply::Hex(parts)
            }
            None => {
                let encoding = self.encoding.unwrap_or(send_encoding);
                let mut parts = Vec::with_capacity(self.reply.len());
                for (i, part) in self.reply.iter().enumerate() {
                    let template = Template::parse(part, self.escapes, encoding)
                        .map_err(|e| err(RuleField::Reply(i), RuleErrorKind::Template(e)))?;
                    parts.push(template);
                }
                Reply::Text(parts)
            }
        };
        Ok(CompiledRule {
            matcher,
            when: self.when,
            reply,
            delay: Duration::from_millis(self.delay_ms),
            close: self.close,
        })
    }
}

/// A rule's field, for showing an error next to it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum RuleField {
    /// The pattern.
    Pattern,
    /// Reply part `n` (0-based).
    Reply(usize),
    /// The echo setting.
    Echo,
    /// The delay.
    Delay,
    /// The close after replying.
    Close,
    /// The trigger.
    When,
}

impl fmt::Display for RuleField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleField::Pattern => f.write_str("pattern"),
            RuleField::Reply(n) => write!(f, "reply part {}", n + 1),
            RuleField::Echo => f.write_str("echo"),
            RuleField::Delay => f.write_str("delay_ms"),
            RuleField::Close => f.write_str("close"),
            RuleField::When => f.write_str("when"),
        }
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleErrorKind {
    /// A bad pattern.
    #[error(transparent)]
    Pattern(MatchError),
    /// A bad text reply.
    #[error(transparent)]
    Template(TemplateError),
    /// A bad hex reply.
    #[error(transparent)]
    Hex(HexError),
    /// An echo has nothing to send on a connect.
    #[error("a connect rule has no received chunk to echo")]
    EchoOnConnect,
    /// Both an echo and a reply.
    #[error("a rule either echoes or replies, not both")]
    EchoAndReply,
    /// Delay over the limit.
    #[error("the delay may be at most {max_ms} ms")]
    DelayTooLong {
        /// The limit.
        max_ms: u64,
    },
    /// A relay rule rewrites bytes on their way: a connection carries
    /// none to rewrite.
    #[error("in a relay a rule rewrites data, and a connect has none")]
    ConnectInRelay,
    /// A relay rule rewrites bytes on their way: it cannot hold them back.
    #[error(
        "in a relay a rule rewrites data on its way and cannot delay it (use the relay's delay fault)"
    )]
    DelayInRelay,
    /// A relay rule rewrites bytes on their way: it does not close.
    #[error("in a relay a rule rewrites data and cannot close (use the relay's close-after fault)")]
    CloseInRelay,
    /// Too many reply parts.
    #[error("a rule may have at most {max} reply parts")]
    TooManyParts {
        /// The limit.
        max: usize,
    },
}

/// A rule that cannot run, and the field to blame.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {kind}")]
pub struct RuleError {
    /// Which field.
    pub field: RuleField,
    /// What is wrong.
    pub kind: RuleErrorKind,
}

/// What a compiled rule sends.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Text parts, each a template.
    Text(Vec<Template>),
    /// Fixed byte parts.
    Hex(Vec<Bytes>),
    /// The received chunk.
    Echo(Echo),
}

/// A checked rule, ready to run.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// The matcher, for pattern triggers.
    pub matcher: Option<Matcher>,
    /// The trigger.
    pub when: Trigger,
    /// What to send.
    pub reply: Reply,
    /// Delay before each part and before the close.
    pub delay: Duration,
    /// Close the connection afterwards.
    pub close: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::EscapeError;
    use crate::codec::PayloadError;

    #[test]
    fn bad_fields_are_named() {
        let compile = |r: Rule| r.compile(TextEncoding::Utf8).unwrap_err();
        let e = compile(Rule::reply_to(Trigger::Regex, "(", "x"));
        assert_eq!(e.field, RuleField::Pattern);
        assert!(e.to_string().starts_with("pattern: invalid regex"), "{e}");

        let e = compile(Rule::reply_to(Trigger::Hex, "0x0G", "x"));
        assert_eq!(e.field, RuleField::Pattern);

        let mut r = Rule::reply_to(Trigger::Any, "", "ok");
        r.reply.push(r"bad\q".into());
        let e = compile(r);
        assert_eq!(e.field, RuleField::Reply(1));
        assert_eq!(
            e.kind,
            RuleErrorKind::Template(TemplateError::Text(PayloadError::Escape(
                EscapeError::UnknownEscape {
                    position: 4,
                    found: 'q'
                }
            )))
        );

        let mut r = Rule::reply_to(Trigger::Any, "", "01 0");
        r.reply_hex = true;
        assert_eq!(compile(r).field, RuleField::Reply(0));

        let mut r = Rule::echo();
        r.when = Trigger::Connect;
        assert_eq!(compile(r).kind, RuleErrorKind::EchoOnConnect);

        let mut r = Rule::echo();
        r.reply.push("x".into());
        assert_eq!(compile(r).kind, RuleErrorKind::EchoAndReply);

        let mut r = Rule::echo();
        r.delay_ms = MAX_DELAY_MS + 1;
        assert_eq!(compile(r).field, RuleField::Delay);

        let mut r = Rule::reply_to(Trigger::Any, "", "x");
        r.reply = vec!["x".into(); MAX_REPLY_PARTS + 1];
        assert!(matches!(
            compile(r).kind,
            RuleErrorKind::TooManyParts { .. }
        ));
    }

    #[test]
    fn any_and_connect_need_no_pattern() {
        assert!(Rule::echo().compile(TextEncoding::Utf8).is_ok());
        let r = Rule::reply_to(Trigger::Connect, "", "Welcome!\n");
        assert!(r.compile(TextEncoding::Utf8).unwrap().matcher.is_none());
        // Text triggers do.
        assert!(
            Rule::reply_to(Trigger::Contains, "", "x")
                .compile(TextEncoding::Utf8)
                .is_err()
        );
    }

    #[test]
    fn reply_encoding_falls_back_to_the_session() {
        let r = Rule::reply_to(Trigger::Any, "", "😀");
        assert!(r.compile(TextEncoding::Utf8).is_ok());
        assert!(r.compile(TextEncoding::Gbk).is_err());
        let mut utf8 = r.clone();
        utf8.encoding = Some(TextEncoding::Utf8);
        assert!(utf8.compile(TextEncoding::Gbk).is_ok());
    }
}
