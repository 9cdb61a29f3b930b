//! Reply templates: text with `{{1}}`..`{{9}}` (regex groups), `{{counter}}`
//! (the rule's hits), `{{time}}` (HH:MM:SS.mmm) and `{{peer}}` (the sender's
//! address).
//!
//! A template is split once, when the rule is loaded: the literal parts have
//! their escapes (`\r \n \t \\ \0 \xHH`) applied and are encoded then, so a
//! bad escape or a character the encoding lacks is reported at load time
//! with its position. Values are filled in when a reply is made and are
//! never read as escapes or placeholders themselves.
//!
//! `{{` that is not followed by a name and `}}` is plain text; `{{name}}`
//! with a name that is not one of the above is an error, so a typo cannot
//! go out on the wire unnoticed.

use std::fmt;

use thiserror::Error;

use super::matcher::Groups;
use crate::codec::{
    EncodeError, EscapeError, InputMode, LineEnding, PayloadError, SendOptions, TextEncoding,
    build_payload, encode_into,
};

/// The longest template, in characters.
pub const MAX_TEMPLATE_CHARS: usize = 16 * 1024;

/// The most bytes one rendered reply may have (a template that repeats a
/// large group could otherwise multiply a chunk).
pub const MAX_REPLY_BYTES: usize = 1 << 20;

/// A value filled in when the reply is made.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Placeholder {
    /// A regex group, 1..=9.
    Group(u8),
    /// The rule's hit count, this hit included.
    Counter,
    /// The local time of the chunk, HH:MM:SS.mmm.
    Time,
    /// The sender's address, e.g. 127.0.0.1:50000.
    Peer,
}

impl Placeholder {
    fn from_name(name: &str) -> Option<Placeholder> {
        match name {
            "counter" => Some(Placeholder::Counter),
            "time" => Some(Placeholder::Time),
            "peer" => Some(Placeholder::Peer),
            n if n.len() == 1 => match n.as_bytes()[0] {
                // One digit 1-9.
                d @ b'1'..=b'9' => Some(Placeholder::Group(d - b'0')),
                _ => None,
            },
            _ => None,
        }
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Placeholder::Group(n) => write!(f, "{{{{{n}}}}}"),
            Placeholder::Counter => f.write_str("{{counter}}"),
            Placeholder::Time => f.write_str("{{time}}"),
            Placeholder::Peer => f.write_str("{{peer}}"),
        }
    }
}

/// Why a template cannot be used. Positions are 1-based character indexes
/// into the template as written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// `{{name}}` with a name that means nothing.
    #[error(
        "unknown placeholder {{{{{name}}}}} at position {position} (use {{{{1}}}}..{{{{9}}}}, {{{{counter}}}}, {{{{time}}}} or {{{{peer}}}})"
    )]
    UnknownPlaceholder {
        /// The name between the braces.
        name: String,
        /// Where the `{{` is.
        position: usize,
    },
    /// A bad escape, or a character the encoding cannot send.
    #[error(transparent)]
    Text(PayloadError),
    /// Over [`MAX_TEMPLATE_CHARS`].
    #[error("the reply has {len} characters; at most {max} are allowed")]
    TooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// Why a reply could not be made from a template.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RenderError {
    /// A received value has a character the reply's encoding lacks.
    #[error("{encoding} cannot encode '{ch}' (U+{code:04X}) from {placeholder}", code = u32::from(*ch))]
    Unmappable {
        /// The character.
        ch: char,
        /// The encoding.
        encoding: TextEncoding,
        /// Which value held it.
        placeholder: Placeholder,
    },
    /// The reply would be over [`MAX_REPLY_BYTES`].
    #[error("the reply would be over {max} bytes")]
    TooLong {
        /// The limit.
        max: usize,
    },
}

/// The values a reply is made with.
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    /// Regex groups (empty for other matchers).
    pub groups: &'a Groups,
    /// The rule's hits, this one included.
    pub counter: u64,
    /// HH:MM:SS.mmm.
    pub time: &'a str,
    /// The sender's address.
    pub peer: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(Vec<u8>),
    Slot(Placeholder),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
    encoding: TextEncoding,
}

impl Template {
    /// Parses `text`; with `escapes`, literal parts have their escapes
    /// applied. Literal parts and values are encoded with `encoding`.
    pub fn parse(
        text: &str,
        escapes: bool,
        encoding: TextEncoding,
    ) -> Result<Template, TemplateError> {
        let len = text.chars().count();
        if len > MAX_TEMPLATE_CHARS {
            return Err(TemplateError::TooLong {
                len,
                max: MAX_TEMPLATE_CHARS,
            });
        }
        let literal_opts = SendOptions {
            mode: InputMode::Text,
            escapes,
            encoding,
            line_ending: LineEnding::None,
            checksum: None,
        };
        let mut parts = Vec::new();
        let mut literal_start = 0usize; // byte offset
        let mut literal_chars = 0usize; // its character index
        let mut rest_at = 0usize;
        while let Some(found) = text[rest_at..].find("{{") {
            let open = rest_at + found;
            let name_start = open + 2;
            let name_len = text[name_start..]
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .count();
            let name = &text[name_start..name_start + name_len];
            if name_len == 0 || !text[name_start + name_len..].starts_with("}}") {
                // Not a placeholder: the braces are text.
                rest_at = open + 1;
                continue;
            }
            let position = literal_chars + text[literal_start..open].chars().count() + 1;
            let Some(slot) = Placeholder::from_name(name) else {
                return Err(TemplateError::UnknownPlaceholder {
                    name: name.to_string(),
                    position,
                });
            };
            push_literal(
                &mut parts,
                &text[literal_start..open],
                literal_chars,
                &literal_opts,
            )?;
            parts.push(Part::Slot(slot));
            rest_at = name_start + name_len + 2;
            // Everything up to here is ASCII braces and name, or counted.
            literal_chars = position - 1 + 2 + name_len + 2;
            literal_start = rest_at;
        }
        push_literal(
            &mut parts,
            &text[literal_start..],
            literal_chars,
            &literal_opts,
        )?;
        Ok(Template { parts, encoding })
    }

    /// The placeholders used, in order.
    pub fn placeholders(&self) -> impl Iterator<Item = Placeholder> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Slot(s) => Some(*s),
            Part::Literal(_) => None,
        })
    }

    /// Makes the reply bytes.
    pub fn render(&self, values: &Values<'_>) -> Result<Vec<u8>, RenderError> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Literal(bytes) => out.extend_from_slice(bytes),
                Part::Slot(slot) => {
                    let counter;
                    let value = match slot {
                        Placeholder::Group(n) => values.groups.get(usize::from(*n)),
                        Placeholder::Counter => {
                            counter = values.counter.to_string();
                            &counter
                        }
                        Placeholder::Time => values.time,
                        Placeholder::Peer => values.peer,
                    };
                    if out.len() + value.len() > MAX_REPLY_BYTES {
                        return Err(RenderError::TooLong {
                            max: MAX_REPLY_BYTES,
                        });
                    }
                    encode_into(value, self.encoding, &mut out).map_err(|e| match e {
                        EncodeError::Unmappable { ch, encoding, .. } => RenderError::Unmappable {
                            ch,
                            encoding,
                            placeholder: *slot,
                        },
                    })?;
                }
            }
            if out.len() > MAX_REPLY_BYTES {
                return Err(RenderError::TooLong {
                    max: MAX_REPLY_BYTES,
                });
            }
        }
        Ok(out)
    }
}

impl Template {
    /// Appends the bytes made with `values` to `out`, where regex group
    /// `n` is `groups[n - 1]` as matched (its bytes go in as they are,
    /// never decoded and encoded again). Fails rather than let `out` grow
    /// over `limit` bytes.
    pub fn render_bytes(
        &self,
        groups: &[Option<&[u8]>],
        values: &Values<'_>,
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), RenderError> {
        let too_long = RenderError::TooLong { max: limit };
        for part in &self.parts {
            match part {
                Part::Literal(bytes) => {
                    if out.len() + bytes.len() > limit {
                        return Err(too_long);
                    }
                    out.extend_from_slice(bytes);
                }
                Part::Slot(Placeholder::Group(n)) => {
                    let group = usize::from(*n)
                        .checked_sub(1)
                        .and_then(|i| groups.get(i).copied().flatten())
                        .unwrap_or_default();
                    if out.len() + group.len() > limit {
                        return Err(too_long);
                    }
                    out.extend_from_slice(group);
                }
                Part::Slot(slot) => {
                    let counter;
                    let value = match slot {
                        Placeholder::Counter => {
                            counter = values.counter.to_string();
                            &counter
                        }
                        Placeholder::Time => values.time,
                        Placeholder::Peer | Placeholder::Group(_) => values.peer,
                    };
                    if out.len() + value.len() > limit {
                        return Err(too_long);
                    }
                    encode_into(value, self.encoding, out).map_err(|e| match e {
                        EncodeError::Unmappable { ch, encoding, .. } => RenderError::Unmappable {
                            ch,
                            encoding,
                            placeholder: *slot,
                        },
                    })?;
                }
            }
        }
        Ok(())
    }
}

/// Encodes one literal part; error positions are moved to the template's.
fn push_literal(
    parts: &mut Vec<Part>,
    literal: &str,
    chars_before: usize,
    opts: &SendOptions,
) -> Result<(), TemplateError> {
    if literal.is_empty() {
        return Ok(());
    }
    match build_payload(literal, opts) {
        Ok(payload) => {
            parts.push(Part::Literal(payload.bytes));
            Ok(())
        }
        Err(err) => Err(TemplateError::Text(shift(err, chars_before))),
    }
}

/// The same error with its position moved `by` characters on.
fn shift(err: PayloadError, by: usize) -> PayloadError {
    match err {
        PayloadError::Escape(e) => PayloadError::Escape(match e {
            EscapeError::UnknownEscape { position, found } => EscapeError::UnknownEscape {
                position: position + by,
                found,
            },
            EscapeError::BadHexEscape { position, found } => EscapeError::BadHexEscape {
                position: position + by,
                found,
            },
            EscapeError::TrailingBackslash { position } => EscapeError::TrailingBackslash {
                position: position + by,
            },
        }),
        PayloadError::Encode(EncodeError::Unmappable {
            ch,
            position,
            encoding,
        }) => PayloadError::Encode(EncodeError::Unmappable {
            ch,
            position: position + by,
            encoding,
        }),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn groups(values: &[&str]) -> Groups {
        let mut g = Groups::default();
        for (slot, v) in g.0.iter_mut().zip(values) {
            *slot = v.to_string();
        }
        g
    }

    fn render(text: &str, g: &Groups, counter: u64) -> Vec<u8> {
        Template::parse(text, true, TextEncoding::Utf8)
            .unwrap()
            .render(&Values {
                groups: g,
                counter,
                time: "12:34:56.789",
                peer: "127.0.0.1:5000",
            })
            .unwrap()
    }

    #[test]
    fn fills_every_placeholder() {
        let g = groups(&["Bob", "7"]);
        assert_eq!(
            render(
                r"Hello {{1}}! #{{counter}} {{2}}{{3}} at {{time}} to {{peer}}\r\n",
                &g,
                3
            ),
            b"Hello Bob! #3 7 at 12:34:56.789 to 127.0.0.1:5000\r\n"
        );
        assert_eq!(render("{{9}}", &g, 1), b"");
    }

    #[test]
    fn braces_that_are_not_placeholders_are_text() {
        let g = Groups::default();
        assert_eq!(render("{{", &g, 1), b"{{");
        assert_eq!(render("{{ 1 }}", &g, 1), b"{{ 1 }}");
        assert_eq!(render("{{{1}}}", &g, 1), b"{}");
        assert_eq!(render("{x}}", &g, 1), b"{x}}");
        assert_eq!(render("a{{-}}b", &g, 1), b"a{{-}}b");
    }

    #[test]
    fn unknown_names_and_bad_text_name_their_position() {
        let e = |t: &str, enc| Template::parse(t, true, enc).unwrap_err().to_string();
        assert_eq!(
            e("你好 {{coutner}}", TextEncoding::Utf8),
            "unknown placeholder {{coutner}} at position 4 (use {{1}}..{{9}}, {{counter}}, {{time}} or {{peer}})"
        );
        assert!(e("{{0}}", TextEncoding::Utf8).contains("{{0}}"));
        assert!(e("{{10}}", TextEncoding::Utf8).contains("{{10}}"));
        // Escape positions count from the start of the whole template.
        assert_eq!(
            Template::parse(r"{{1}}ab\q", true, TextEncoding::Utf8).unwrap_err(),
            TemplateError::Text(PayloadError::Escape(EscapeError::UnknownEscape {
                position: 8,
                found: 'q'
            }))
        );
        assert_eq!(
            Template::parse("好{{peer}}😀", false, TextEncoding::Gbk).unwrap_err(),
            TemplateError::Text(PayloadError::Encode(EncodeError::Unmappable {
                ch: '😀',
                position: 10,
                encoding: TextEncoding::Gbk
            }))
        );
        // Without escapes a backslash is text.
        let t = Template::parse(r"a\q", false, TextEncoding::Utf8).unwrap();
        assert_eq!(
            t.render(&Values {
                groups: &Groups::default(),
                counter: 0,
                time: "",
                peer: ""
            })
            .unwrap(),
            br"a\q"
        );
    }

    #[test]
    fn gbk_values_and_values_the_encoding_lacks() {
        let t = Template::parse("你好{{1}}", false, TextEncoding::Gbk).unwrap();
        let values = |g| Values {
            groups: g,
            counter: 1,
            time: "",
            peer: "",
        };
        let world = groups(&["世界"]);
        let smile = groups(&["😀"]);
        assert_eq!(
            t.render(&values(&world)).unwrap(),
            [0xC4, 0xE3, 0xBA, 0xC3, 0xCA, 0xC0, 0xBD, 0xE7]
        );
        assert_eq!(
            t.render(&values(&smile)).unwrap_err(),
            RenderError::Unmappable {
                ch: '😀',
                encoding: TextEncoding::Gbk,
                placeholder: Placeholder::Group(1)
            }
        );
    }

    #[test]
    fn sizes_are_bounded() {
        let long = "a".repeat(MAX_TEMPLATE_CHARS + 1);
        assert!(matches!(
            Template::parse(&long, false, TextEncoding::Utf8),
            Err(TemplateError::TooLong { .. })
        ));
        // Many copies of a big group stop at the reply limit.
        let t = Template::parse(&"{{1}}".repeat(100), false, TextEncoding::Utf8).unwrap();
        let big = "x".repeat(64 * 1024);
        let g = groups(&[&big]);
        let err = t
            .render(&Values {
                groups: &g,
                counter: 1,
                time: "",
                peer: "",
            })
            .unwrap_err();
        assert_eq!(
            err,
            RenderError::TooLong {
                max: MAX_REPLY_BYTES
            }
        );
    }

    proptest! {
        /// Text without braces or backslashes renders to itself.
        #[test]
        fn plain_text_is_itself(text in "[^{\\\\]{0,40}") {
            prop_assert_eq!(render(&text, &Groups::default(), 1), text.as_bytes());
        }

        /// Values go in verbatim, never read as escapes or placeholders.
        #[test]
        fn values_are_verbatim(
            a in "[a-z{}\\\\0-9]{0,12}",
            b in ".{0,12}",
            left in "[^{\\\\]{0,8}",
            right in "[^{\\\\]{0,8}",
            counter in any::<u64>(),
        ) {
            let g = groups(&[&a, &b]);
            let text = format!("{left}{{{{1}}}}{{{{counter}}}}{{{{2}}}}{right}");
            let expected = format!("{left}{a}{counter}{b}{right}");
            prop_assert_eq!(render(&text, &g, counter), expected.as_bytes());
        }

        /// Any text parses or gives an error, never a panic; a parsed
        /// template renders without error for plain values.
        #[test]
        fn never_panics(text in ".{0,60}", escapes in any::<bool>()) {
            if let Ok(t) = Template::parse(&text, escapes, TextEncoding::Utf8) {
                let g = groups(&["x"]);
                let values = Values { groups: &g, counter: 1, time: "t", peer: "p" };
                prop_assert!(t.render(&values).is_ok());
            }
        }
    }
}
