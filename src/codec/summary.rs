//! A short description of a large input, for a send box that must not lay
//! out megabytes of text: its size, its line count, its first lines, and the
//! bytes it will become.

use super::payload::{PayloadError, SendOptions, build_payload};

/// Inputs larger than this (in bytes of UTF-8) are summarised instead of
/// being edited in place, and are not saved with the settings.
pub const BIG_INPUT: usize = 256 * 1024;

/// How many of the first lines a summary shows.
const HEAD_LINES: usize = 5;
/// Longest first line shown, in characters.
const HEAD_CHARS: usize = 120;

/// What a large input holds and will send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Size of the text, in bytes of UTF-8.
    pub text_bytes: usize,
    /// Number of lines.
    pub lines: usize,
    /// The first few lines, each cut to a readable length.
    pub head: Vec<String>,
    /// The bytes it will send, or why it cannot be sent.
    pub payload: Result<usize, PayloadError>,
}

/// Summarises `text` as it would be sent with `opts`.
pub fn summarize(text: &str, opts: &SendOptions) -> Summary {
    let lines = if text.is_empty() {
        0
    } else {
        memchr::memchr_iter(b'\n', text.as_bytes()).count() + usize::from(!text.ends_with('\n'))
    };
    let head = text
        .lines()
        .take(HEAD_LINES)
        .map(|l| {
            let mut cut: String = l.chars().take(HEAD_CHARS).collect();
            if cut.len() < l.len() {
                cut.push('…');
            }
            cut
        })
        .collect();
    Summary {
        text_bytes: text.len(),
        lines,
        head,
        payload: build_payload(text, opts).map(|p| p.bytes.len()),
    }
}

/// Whether `text` is too large to edit in place.
pub fn is_big(text: &str) -> bool {
    text.len() > BIG_INPUT
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{InputMode, LineEnding, TextEncoding};

    #[test]
    fn a_summary_counts_without_laying_out() {
        let text = "第一行 first\nsecond\n".repeat(3) + "last";
        let s = summarize(&text, &SendOptions::default());
        assert_eq!(s.lines, 7);
        assert_eq!(s.head[0], "第一行 first");
        assert_eq!(s.head.len(), 5);
        assert_eq!(s.payload, Ok(text.len()));
        let gbk = SendOptions {
            encoding: TextEncoding::Gbk,
            line_ending: LineEnding::CrLf,
            ..SendOptions::default()
        };
        let s = summarize("第一行", &gbk);
        assert_eq!(s.payload, Ok(6 + 2));
        let hex = SendOptions {
            mode: InputMode::Hex,
            ..SendOptions::default()
        };
        assert!(summarize("01 0G", &hex).payload.is_err());
        assert_eq!(summarize("", &hex).lines, 0);
        let long = "x".repeat(500);
        assert_eq!(
            summarize(&long, &hex).head[0].chars().count(),
            HEAD_CHARS + 1
        );
        assert!(is_big(&"a".repeat(BIG_INPUT + 1)));
        assert!(!is_big(&"a".repeat(BIG_INPUT)));
    }
}
