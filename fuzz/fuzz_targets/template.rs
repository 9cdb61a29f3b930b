//! Reply templates: `{{1}}`..`{{9}}`, `{{counter}}`, `{{time}}`, `{{peer}}`
//! in text with escapes, encoded as UTF-8 or GBK.
//!
//! Input: byte 0 flags (escapes, GBK); byte 1 the length of the values
//! part, then the values (split at NUL bytes into the groups; lossy UTF-8);
//! byte 2 the hit counter; then the template text (lossy UTF-8).
//!
//! Checked against a plain reference expansion (find `{{name}}`, encode the
//! text between with the payload builder, encode each value): the template
//! parses exactly when the reference does, lists the same placeholders,
//! and renders to the same bytes, or fails exactly when a value cannot be
//! encoded; errors point at what they name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netassist::automation::template::Values;
use netassist::automation::{Groups, Placeholder, Template, TemplateError};
use netassist::codec::{
    EncodeError, EscapeError, InputMode, LineEnding, PayloadError, SendOptions, TextEncoding,
    build_payload, encode,
};
use netassist_fuzz::{Input, text_of};

const TIME: &str = "12:34:56.789";
const PEER: &str = "127.0.0.1:5000";

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let flags = input.byte();
    let escapes = flags & 1 != 0;
    let encoding = TextEncoding::ALL[usize::from(flags >> 1) & 1];
    let len = usize::from(input.byte());
    let mut groups = Groups::default();
    for (slot, value) in groups.0.iter_mut().zip(input.take(len).split(|&b| b == 0)) {
        *slot = text_of(value).into_owned();
    }
    let counter = u64::from(input.byte()) * 1_000_003;
    let text = text_of(input.rest());
    let chars: Vec<char> = text.chars().collect();
    let values = Values {
        groups: &groups,
        counter,
        time: TIME,
        peer: PEER,
    };

    let expected = reference(&text, escapes, encoding, &values);
    let template = match Template::parse(&text, escapes, encoding) {
        Ok(template) => template,
        Err(e) => {
            assert!(matches!(expected, Expected::BadTemplate), "{text:?}: {e}");
            let at = |position: usize| chars.get(position - 1).copied();
            match &e {
                TemplateError::UnknownPlaceholder { position, name } => {
                    let from: String = chars[position - 1..].iter().collect();
                    assert!(from.starts_with(&format!("{{{{{name}}}}}")), "{e}");
                }
                TemplateError::Text(PayloadError::Escape(
                    EscapeError::UnknownEscape { position, .. }
                    | EscapeError::BadHexEscape { position, .. }
                    | EscapeError::TrailingBackslash { position },
                )) => assert_eq!(at(*position), Some('\\'), "{e}"),
                TemplateError::Text(PayloadError::Encode(EncodeError::Unmappable {
                    ch,
                    position,
                    ..
                })) => assert_eq!(at(*position), Some(*ch), "{e}"),
                other => panic!("{text:?}: {other}"),
            }
            return;
        }
    };
    match expected {
        Expected::BadTemplate => panic!("{text:?} parsed"),
        Expected::BadValue(slots) => {
            assert_eq!(template.placeholders().collect::<Vec<_>>(), slots);
            assert!(template.render(&values).is_err(), "{text:?}");
        }
        Expected::Reply(slots, bytes) => {
            assert_eq!(template.placeholders().collect::<Vec<_>>(), slots);
            assert_eq!(template.render(&values).as_ref(), Ok(&bytes), "{text:?}");
        }
    }
});

/// What the reference expansion says.
enum Expected {
    /// The template cannot be used.
    BadTemplate,
    /// It can, with these placeholders, but a value cannot be encoded.
    BadValue(Vec<Placeholder>),
    /// Its placeholders and the reply.
    Reply(Vec<Placeholder>, Vec<u8>),
}

/// Expands `text` plainly: `{{` followed by letters, digits or `_` and then
/// `}}` is a placeholder; everything else is text for the payload builder.
fn reference(text: &str, escapes: bool, encoding: TextEncoding, values: &Values<'_>) -> Expected {
    let opts = SendOptions {
        mode: InputMode::Text,
        escapes,
        encoding,
        line_ending: LineEnding::None,
        checksum: None,
    };
    let mut slots = Vec::new();
    let mut out = Vec::new();
    let mut bad_value = false;
    let mut literal = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some((slot, after)) = placeholder(rest) {
            let Some(slot) = slot else {
                return Expected::BadTemplate;
            };
            match build_payload(&literal, &opts) {
                Ok(p) => out.extend(p.bytes),
                Err(_) => return Expected::BadTemplate,
            }
            literal.clear();
            let counter = values.counter.to_string();
            let value = match slot {
                Placeholder::Group(n) => values.groups.get(usize::from(n)),
                Placeholder::Counter => &counter,
                Placeholder::Time => values.time,
                Placeholder::Peer => values.peer,
            };
            match encode(value, encoding) {
                Ok(bytes) => out.extend(bytes),
                Err(_) => bad_value = true,
            }
            slots.push(slot);
            rest = after;
        } else {
            let mut it = rest.chars();
            literal.extend(it.next());
            rest = it.as_str();
        }
    }
    match build_payload(&literal, &opts) {
        Ok(p) => out.extend(p.bytes),
        Err(_) => return Expected::BadTemplate,
    }
    if bad_value {
        Expected::BadValue(slots)
    } else {
        Expected::Reply(slots, out)
    }
}

/// If `text` starts with `{{name}}`: the placeholder (`None` for an unknown
/// name) and the text after it.
fn placeholder(text: &str) -> Option<(Option<Placeholder>, &str)> {
    let inner = text.strip_prefix("{{")?;
    let end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let after = inner[end..].strip_prefix("}}")?;
    let slot = match &inner[..end] {
        "" => return None,
        "counter" => Some(Placeholder::Counter),
        "time" => Some(Placeholder::Time),
        "peer" => Some(Placeholder::Peer),
        name => match name.as_bytes() {
            [d @ b'1'..=b'9'] => Some(Placeholder::Group(d - b'0')),
            _ => None,
        },
    };
    Some((slot, after))
}
