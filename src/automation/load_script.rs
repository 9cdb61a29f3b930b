//! Sequences as load-test scripts: every client of a load run sends a
//! sequence's steps and waits for its replies as the sequence does, with
//! the same matchers (text decoded in the display encoding, or hex on the
//! bytes). The engine asks a [`ReplyMatcher`] whether what came is the
//! reply; it knows nothing of patterns.

use std::sync::Arc;

use crate::codec::{DisplayEncoding, StreamDecoder};
use crate::net::load::{Expect, ReplyCheck};

use super::matcher::{MatchKind, Matcher};

/// A step's reply check: a compiled matcher and how text is decoded.
#[derive(Debug)]
pub struct ReplyMatcher {
    matcher: Matcher,
    display: DisplayEncoding,
    label: String,
}

impl ReplyMatcher {
    /// A check by `matcher` (a `when` pattern), text decoded as `display`.
    pub fn expect(
        matcher: Matcher,
        when: MatchKind,
        pattern: &str,
        display: DisplayEncoding,
    ) -> Expect {
        Expect(Arc::new(ReplyMatcher {
            matcher,
            display,
            label: format!("{when} \"{pattern}\""),
        }))
    }
}

impl ReplyCheck for ReplyMatcher {
    fn matches(&self, seen: &[u8]) -> bool {
        let text = if self.matcher.needs_text() {
            StreamDecoder::new(self.display).decode(seen)
        } else {
            String::new()
        };
        self.matcher.find(seen, &text).is_some()
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::automation::{Sequence, SequenceRun, parse_strict};
    use crate::net::load::LoadWait;

    #[test]
    fn a_sequence_becomes_a_script_with_the_same_waits() {
        let file = parse_strict(
            r#"
[[sequence]]
name = "chat"
[[sequence.step]]
send = { text = "" }
wait_for = "contains"
pattern = "name?"
timeout_ms = 500
[[sequence.step]]
send = { text = "Alice" }
wait_for = "regex"
pattern = "Hello \\w+!"
timeout_ms = 1000
[[sequence.step]]
send = { text = "exit" }
wait_ms = 0
"#,
        )
        .unwrap()
        .into_automation();
        let seq: &Sequence = file.sequence("chat").unwrap();
        let run = SequenceRun::new(seq, &file.presets, DisplayEncoding::Utf8).unwrap();
        let script = run.load_script();
        assert_eq!(script.steps.len(), 3);
        assert!(script.steps[0].send.is_empty());
        assert_eq!(&script.steps[1].send[..], b"Alice");
        assert_eq!(script.rounds, Some(1));
        match &script.steps[1].wait {
            LoadWait::Reply { expect, timeout } => {
                assert_eq!(*timeout, Duration::from_millis(1000));
                assert!(expect.0.matches(b"Hello Alice!\n"));
                assert!(!expect.0.matches(b"Goodbye"));
                assert!(expect.0.describe().contains("regex"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(script.steps[2].wait, LoadWait::Pause(Duration::ZERO));
    }

    #[test]
    fn text_is_decoded_in_the_display_encoding() {
        let m = Matcher::compile(MatchKind::Contains, "你好").unwrap();
        let gbk =
            ReplyMatcher::expect(m.clone(), MatchKind::Contains, "你好", DisplayEncoding::Gbk);
        assert!(gbk.0.matches(&[0xC4, 0xE3, 0xBA, 0xC3]));
        let utf8 = ReplyMatcher::expect(m, MatchKind::Contains, "你好", DisplayEncoding::Utf8);
        assert!(utf8.0.matches("你好".as_bytes()));
    }
}
