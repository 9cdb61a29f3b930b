//! The send box's hex parser (`parse_hex`) and hex rendering (`to_hex`).
//!
//! Input: the whole input is the text typed (lossy UTF-8) and, as bytes,
//! something to render. Checked: rendering then parsing gives the bytes
//! back; the parser agrees with a plain reference reading of the rule
//! (tokens between separators, an optional `0x`, an even number of digits);
//! every error points at what it names; hex mode of `build_payload` sends
//! exactly the parsed bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netassist::codec::{
    HexError, InputMode, LineEnding, SendOptions, build_payload, parse_hex, to_hex,
};
use netassist_fuzz::text_of;

fuzz_target!(|data: &[u8]| {
    let hex = to_hex(data);
    assert_eq!(hex.len(), (data.len() * 3).saturating_sub(1));
    assert_eq!(parse_hex(&hex).as_deref(), Ok(data));
    assert_eq!(parse_hex(&hex.to_lowercase()).as_deref(), Ok(data));
    assert_eq!(parse_hex(&hex.replace(' ', "")).as_deref(), Ok(data));

    let text = text_of(data);
    let parsed = parse_hex(&text);
    assert_eq!(parsed.as_ref().ok(), reference(&text).as_ref(), "{text:?}");
    let chars: Vec<char> = text.chars().collect();
    match &parsed {
        Ok(bytes) => {
            assert_eq!(parse_hex(&to_hex(bytes)).as_ref(), Ok(bytes));
        }
        Err(HexError::InvalidDigit { position, found }) => {
            assert_eq!(chars.get(position - 1), Some(found));
            assert!(!found.is_ascii_hexdigit());
        }
        Err(HexError::OddDigits { position, token }) => {
            let at: String = chars[position - 1..].iter().collect();
            assert!(at.starts_with(token.as_str()), "{at:?} {token:?}");
        }
        Err(HexError::MissingDigits { position }) => {
            assert_eq!(chars.get(position - 1), Some(&'0'));
            assert!(matches!(chars.get(*position), Some('x' | 'X')));
        }
    }
    // Messages are one line, whatever was typed.
    if let Err(e) = &parsed {
        assert!(!e.to_string().contains('\n'));
    }

    let opts = SendOptions {
        mode: InputMode::Hex,
        line_ending: LineEnding::CrLf,
        ..SendOptions::default()
    };
    match build_payload(&text, &opts) {
        Ok(payload) => {
            assert_eq!(Ok(payload.typed()), parsed.as_deref());
            assert_eq!(payload.added(), b"\r\n");
        }
        Err(e) => assert!(parsed.is_err(), "{e}"),
    }
});

/// The parsing rule read plainly: split at separators; each token may start
/// with `0x`/`0X` and then holds pairs of hex digits.
fn reference(text: &str) -> Option<Vec<u8>> {
    let separator = |c: char| c.is_whitespace() || c == ',' || c == '，';
    let mut out = Vec::new();
    for token in text.split(separator).filter(|t| !t.is_empty()) {
        let digits = token
            .strip_prefix("0x")
            .or_else(|| token.strip_prefix("0X"))
            .unwrap_or(token);
        if digits.is_empty() || digits.len() % 2 == 1 {
            return None;
        }
        for pair in digits.as_bytes().chunks(2) {
            let pair = std::str::from_utf8(pair).ok()?;
            if !pair.chars().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(pair, 16).ok()?);
        }
    }
    Some(out)
}
