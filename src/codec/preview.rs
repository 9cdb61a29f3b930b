//! Bytes short and readable for one line: escaped text when they are
//! UTF-8, else hex.

/// The most characters a row shows of bytes it previews.
pub const PREVIEW_CHARS: usize = 200;

/// `bytes` short and readable for a row: escaped text in quotes when they
/// are UTF-8, else hex; cut at `max` characters with `…`.
pub fn preview(bytes: &[u8], max: usize) -> String {
    let mut out = match std::str::from_utf8(bytes) {
        Ok(text) => format!("\"{}\"", super::escape_text(text)),
        Err(_) => super::to_hex(&bytes[..bytes.len().min(max)]),
    };
    if out.chars().count() > max {
        out = out.chars().take(max).collect();
        out.push('…');
    }
    out
}
