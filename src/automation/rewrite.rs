//! Rules in a relay: instead of answering, a rule changes the bytes it
//! matches on their way through, in the way it names (`direction`).
//!
//! The rule's fields keep their meaning where they can:
//! - `contains` replaces each occurrence of the pattern's bytes (the
//!   pattern encoded like the rule's reply text), `equals` a chunk that is
//!   exactly them, `regex` each match of the regex on the bytes (non-ASCII
//!   characters in it match their UTF-8 bytes), `hex` each occurrence of the
//!   hex pattern (`??` any byte), and `any` the whole chunk;
//! - the reply is the replacement: its parts are joined; `{{1}}`..`{{9}}`
//!   are the regex groups, as the bytes they matched; `{{counter}}` counts
//!   the chunks the rule changed; `{{peer}}` is the sender of the chunk;
//! - `echo = "same"` keeps each match and `echo = "upper"` upper-cases it.
//!
//! A relay rule has no connect trigger, no delay and no close (the relay's
//! faults do those). Each chunk is rewritten as read: a pattern split
//! between two reads of a stream is not seen. With `answer = "first"` the
//! first rule that changes a chunk is the only one; with `all`, each rule
//! works on what the rules before it made.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use regex::bytes::{Captures, Regex, RegexBuilder};

use super::rule::{
    AnswerMode, Echo, Reply, Rule, RuleError, RuleErrorKind, RuleField, Trigger, Way,
};
use super::template::{MAX_REPLY_BYTES, RenderError, TemplateError, Values};
use crate::codec::{PayloadError, TextEncoding, encode};
use crate::net::{ChunkIn, Rewrite, Rewritten};

/// Compiled-size cap for a rewrite's regex.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// The most a rewrite may add to a chunk: it fails (and the chunk goes on
/// as read) rather than grow it by more.
pub const MAX_GROWTH: usize = MAX_REPLY_BYTES;

/// A relay's rules, compiled for rewriting.
#[derive(Debug)]
pub struct RelayRewrite {
    rules: Vec<RewriteRule>,
    answer: AnswerMode,
}

#[derive(Debug)]
struct RewriteRule {
    /// Its number in the list, from 1.
    number: u32,
    name: String,
    way: Way,
    find: Regex,
    with: Reply,
    hits: AtomicU64,
}

impl RelayRewrite {
    /// Compiles the enabled rules of `rules` for a relay; reply text
    /// without its own encoding uses `send_encoding`. Returns the rewrite
    /// and, for every rule in order, the error that keeps it from running.
    pub fn new(
        rules: &[Rule],
        answer: AnswerMode,
        send_encoding: TextEncoding,
    ) -> (RelayRewrite, Vec<Option<RuleError>>) {
        let mut compiled = Vec::new();
        let mut errors = Vec::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            match compile(rule, send_encoding) {
                Ok((find, reply)) => {
                    errors.push(None);
                    if rule.enabled {
                        compiled.push(RewriteRule {
                            number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                            name: rule.name.clone(),
                            way: rule.direction,
                            find,
                            with: reply,
                            hits: AtomicU64::new(0),
                        });
                    }
                }
                Err(e) => errors.push(Some(e)),
            }
        }
        let rewrite = RelayRewrite {
            rules: compiled,
            answer,
        };
        (rewrite, errors)
    }

    /// How many chunks each rule changed, by rule number (from 1); rules
    /// that are disabled or cannot run are left out.
    pub fn hits(&self) -> Vec<(u32, u64)> {
        self.rules
            .iter()
            .map(|r| (r.number, r.hits.load(Ordering::Relaxed)))
            .collect()
    }

    /// True when no rule can rewrite anything.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// Checks a rule for a relay and builds its regex and replacement.
fn compile(rule: &Rule, send_encoding: TextEncoding) -> Result<(Regex, Reply), RuleError> {
    let err = |field, kind| RuleError { field, kind };
    if rule.when == Trigger::Connect {
        return Err(err(RuleField::When, RuleErrorKind::ConnectInRelay));
    }
    if rule.delay_ms > 0 {
        return Err(err(RuleField::Delay, RuleErrorKind::DelayInRelay));
    }
    if rule.close {
        return Err(err(RuleField::Close, RuleErrorKind::CloseInRelay));
    }
    // The reply, the pattern's own checks and their errors, as for a rule
    // that answers.
    let checked = rule.compile(send_encoding)?;
    let encoding = rule.encoding.unwrap_or(send_encoding);
    let pattern = |kind| err(RuleField::Pattern, kind);
    let source = match rule.when {
        Trigger::Contains | Trigger::Equals => {
            let bytes = encode(&rule.pattern, encoding).map_err(|e| {
                pattern(RuleErrorKind::Template(TemplateError::Text(
                    PayloadError::Encode(e),
                )))
            })?;
            let literal = bytes_literal(&bytes);
            if rule.when == Trigger::Equals {
                format!(r"(?s-u)\A{literal}\z")
            } else {
                format!("(?s-u){literal}")
            }
        }
        Trigger::Regex => rule.pattern.clone(),
        Trigger::Hex => {
            let hex = super::HexPattern::parse(&rule.pattern)
                .map_err(|e| pattern(RuleErrorKind::Pattern(e.into())))?;
            let mut source = String::from("(?s-u)");
            for cell in hex.cells() {
                match cell {
                    Some(b) => source.push_str(&format!(r"\x{b:02X}")),
                    None => source.push('.'),
                }
            }
            source
        }
        Trigger::Any => r"(?s-u)\A.+\z".to_string(),
        Trigger::Connect => return Err(err(RuleField::When, RuleErrorKind::ConnectInRelay)),
    };
    let find = RegexBuilder::new(&source)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(64)
        .build()
        .map_err(|e| {
            pattern(RuleErrorKind::Pattern(super::MatchError::Regex(
                e.to_string().lines().last().unwrap_or_default().to_string(),
            )))
        })?;
    Ok((find, checked.reply))
}

/// `\xHH` for each byte: a literal for a `(?-u)` regex.
fn bytes_literal(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4);
    for b in bytes {
        out.push_str(&format!(r"\x{b:02X}"));
    }
    out
}

impl RewriteRule {
    /// Rewrites `data`; `None` when nothing matched.
    fn apply(&self, data: &[u8], peer: &str, time: &str) -> Result<Option<(Vec<u8>, u32)>, String> {
        let limit = data.len().saturating_add(MAX_GROWTH);
        let mut out: Vec<u8> = Vec::new();
        let mut last = 0;
        let mut matches = 0u32;
        let counter = self.hits.load(Ordering::Relaxed) + 1;
        for caps in self.find.captures_iter(data) {
            let Some(whole) = caps.get(0) else {
                continue;
            };
            if matches == 0 {
                out.reserve(data.len());
            }
            matches = matches.saturating_add(1);
            out.extend_from_slice(&data[last..whole.start()]);
            self.replacement(&caps, peer, time, counter, &mut out, limit)
                .map_err(|e| e.to_string())?;
            last = whole.end();
        }
        if matches == 0 {
            return Ok(None);
        }
        if out.len() + (data.len() - last) > limit {
            return Err(RenderError::TooLong { max: limit }.to_string());
        }
        out.extend_from_slice(&data[last..]);
        Ok(Some((out, matches)))
    }

    /// Appends what one match becomes.
    fn replacement(
        &self,
        caps: &Captures<'_>,
        peer: &str,
        time: &str,
        counter: u64,
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), RenderError> {
        let whole = caps.get(0).map_or(&[][..], |m| m.as_bytes());
        let too_long = RenderError::TooLong { max: limit };
        match &self.with {
            Reply::Echo(echo) => {
                if out.len() + whole.len() > limit {
                    return Err(too_long);
                }
                match echo {
                    Echo::Same => out.extend_from_slice(whole),
                    Echo::Upper => out.extend(whole.iter().map(u8::to_ascii_uppercase)),
                }
            }
            Reply::Hex(parts) => {
                for part in parts {
                    if out.len() + part.len() > limit {
                        return Err(too_long);
                    }
                    out.extend_from_slice(part);
                }
            }
            Reply::Text(parts) => {
                let groups: Vec<Option<&[u8]>> =
                    (1..=9).map(|i| caps.get(i).map(|m| m.as_bytes())).collect();
                let empty = super::Groups::default();
                let values = Values {
                    groups: &empty,
                    counter,
                    time,
                    peer,
                };
                for part in parts {
                    part.render_bytes(&groups, &values, out, limit)?;
                }
            }
        }
        Ok(())
    }
}

impl Rewrite for RelayRewrite {
    fn rewrite(&self, chunk: ChunkIn<'_>) -> Rewritten {
        let mut current: Option<Vec<u8>> = None;
        let mut by = Vec::new();
        let mut matches = 0u32;
        let mut peer = None;
        let mut time = None;
        for rule in self.rules.iter().filter(|r| r.way.takes(chunk.flow)) {
            let data = current.as_deref().unwrap_or(chunk.data);
            // Cheap test first: most chunks match no rule.
            if !rule.find.is_match(data) {
                continue;
            }
            let peer = peer.get_or_insert_with(|| chunk.from.to_string());
            let time = time.get_or_insert_with(|| super::responder::clock_text(chunk.time));
            match rule.apply(data, peer, time) {
                Ok(Some((new, n))) => {
                    rule.hits.fetch_add(1, Ordering::Relaxed);
                    current = Some(new);
                    by.push(rule.number);
                    matches = matches.saturating_add(n);
                    if self.answer == AnswerMode::First {
                        break;
                    }
                }
                Ok(None) => {}
                Err(reason) => {
                    return Rewritten::Failed {
                        rule: rule.number,
                        name: rule.name.clone(),
                        reason,
                    };
                }
            }
        }
        match current {
            Some(data) => Rewritten::Changed {
                data: Bytes::from(data),
                rules: by,
                matches,
            },
            None => Rewritten::Unchanged,
        }
    }
}

#[cfg(test)]
mod tests;
