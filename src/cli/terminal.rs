//! Received text made safe for a terminal: a peer must not be able to clear
//! the screen, retitle the window or move the cursor.
//!
//! C0 controls other than tab and line feed (a CR is kept only right before
//! a LF), ESC and DEL are shown as `\xHH`; C1 controls (U+0080..U+009F, which
//! some terminals obey like ESC sequences) as `\u{HH}`. Everything else,
//! including U+FFFD for bytes that do not decode, is shown as it is.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character a terminal would obey escaped.
pub(crate) fn safe_text(text: &str) -> Cow<'_, str> {
    let is_safe = |i: usize, c: char| match c {
        '\t' | '\n' => true,
        '\r' => text[i + 1..].starts_with('\n'),
        c => !c.is_control(),
    };
    if text.char_indices().all(|(i, c)| is_safe(i, c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, c) in text.char_indices() {
        if is_safe(i, c) {
            out.push(c);
        } else if u32::from(c) < 0x80 {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_text_is_kept() {
        assert!(matches!(safe_text("你好 hello\tok\r\n"), Cow::Borrowed(_)));
        assert_eq!(safe_text("\x1b[2J"), "\\x1b[2J");
        assert_eq!(safe_text("a\rb\r"), "a\\x0db\\x0d");
        assert_eq!(safe_text("\0\x07\x7f"), "\\x00\\x07\\x7f");
        assert_eq!(safe_text("\u{9b}31m\u{85}"), "\\u{9b}31m\\u{85}");
        assert_eq!(safe_text("bad \u{FFFD} byte"), "bad \u{FFFD} byte");
    }

    #[test]
    fn nothing_a_terminal_obeys_is_left() {
        let every: String = (0u32..0x200).filter_map(char::from_u32).collect();
        let safe = safe_text(&every);
        assert!(
            safe.chars()
                .all(|c| c == '\t' || c == '\n' || !c.is_control()),
            "{safe:?}"
        );
    }
}
