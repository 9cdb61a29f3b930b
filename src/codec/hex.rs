//! Hex rendering (`48 65 6C`) and tolerant hex parsing for the send box.
//!
//! Parsing rule: the input is split into tokens at separators (any Unicode
//! whitespace, `,` and the full-width comma `，` that Chinese input methods
//! produce). Each token may start with `0x`/`0X` and must then hold an even
//! number of hex digits, read as consecutive byte pairs: `48656C`, `0x48`,
//! `0X4865` are all fine, `1 2` is an error (token `1` has an odd count)
//! rather than being silently glued into `0x12`.

use std::mem::MaybeUninit;

use thiserror::Error;

/// The sixteen hex digits, upper case.
const DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// `"HL "` for every byte value (its two digits and the space that follows
/// them), as the low three bytes of a little-endian `u64`, so eight bytes'
/// worth can be shifted together into three machine words.
const SPACED: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = DIGITS[i >> 4] as u64 | (DIGITS[i & 0x0F] as u64) << 8 | (b' ' as u64) << 16;
        i += 1;
    }
    table
};

/// Renders bytes as upper-case hex pairs separated by single spaces, the form
/// the receive log and the hex send box use (`48 65 6C 6C 6F`).
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::new();
    push_hex(bytes, &mut out);
    out
}

/// Appends the [`to_hex`] form of `bytes` to `out` without intermediate
/// allocations, so callers can render many rows into one buffer.
///
/// The text is written straight into `out`'s reserved capacity, each byte as
/// `"HL "` (sixteen at a time with SSSE3 shuffles on x86-64 processors that
/// have them, otherwise eight at a time through a table), and the last
/// space is then left out.
pub fn push_hex(bytes: &[u8], out: &mut String) {
    push_hex_with(bytes, out, Way::Fastest);
}

/// Which code writes the bytes: tests check each against the plain
/// rendering, whatever the processor they run on would pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// The fastest the processor allows: on x86-64, thirty-two bytes at a
    /// time with AVX2 where it has AVX2 (and there are that many), else
    /// SSSE3 shuffles in AVX's encoding where it has AVX, else in SSE's;
    /// elsewhere [`Way::Portable`].
    Fastest,
    /// SSSE3 shuffles in AVX's encoding (sixteen bytes at a time) even
    /// where AVX2 could be used (when the processor has AVX).
    #[cfg(test)]
    Avx,
    /// SSSE3 shuffles in SSE's encoding even where AVX's could be used (when
    /// the processor has SSSE3).
    #[cfg(test)]
    Ssse3,
    /// Eight bytes at a time through [`SPACED`], on any processor.
    #[cfg(test)]
    Portable,
}

/// [`push_hex`], written the given [`Way`]: every byte as `"HL "` into
/// the reserved capacity, then all of it but the last space kept.
fn push_hex_with(bytes: &[u8], out: &mut String, way: Way) {
    if bytes.is_empty() {
        return;
    }
    // Checked, so that no count below can wrap (as `reserve` would, this
    // panics only for text longer than memory).
    let places = bytes.len().checked_mul(3).expect("hex text fits in memory");
    out.reserve(places);
    // SAFETY: everything written below goes into the spare capacity, and
    // only ASCII (hex digits and spaces) is written there, so the string is
    // valid UTF-8 at every point, whatever happens in between.
    let vec = unsafe { out.as_mut_vec() };
    let start = vec.len();
    push_spaced(bytes, &mut vec.spare_capacity_mut()[..places], way);
    // SAFETY: `push_spaced` wrote all `places` places after `start`, with
    // ASCII only; all but the last (a space) become part of the string.
    unsafe { vec.set_len(start + places - 1) };
}

/// Writes each byte of `bytes` as `"HL "` into `dst`, which holds exactly
/// three places per byte, and writes every one of them (each way cuts
/// `bytes` into blocks of k bytes and `dst` into blocks of 3k places, which
/// pair up exactly; a last short block is done another way, or again as a
/// whole block that overlaps the one before).
fn push_spaced(bytes: &[u8], dst: &mut [MaybeUninit<u8>], way: Way) {
    assert_eq!(dst.len(), 3 * bytes.len(), "three places per byte");
    #[cfg(target_arch = "x86_64")]
    if bytes.len() >= simd::BLOCK {
        use std::arch::is_x86_feature_detected as has;
        if way == Way::Fastest && bytes.len() >= 2 * simd::BLOCK && has!("avx2") {
            // SAFETY: the processor has AVX2 (checked just above).
            unsafe { simd::push_spaced_avx2(bytes, dst) };
            return;
        }
        #[cfg(test)]
        let avx = matches!(way, Way::Fastest | Way::Avx);
        #[cfg(not(test))]
        let avx = way == Way::Fastest;
        // The same code in AVX's encoding where the processor has AVX: on the
        // development machine the SSE encoding cost some 50 ns more a call
        // (processors can wait when code switches between the two).
        if avx && has!("avx") {
            // SAFETY: the processor has AVX (checked just above).
            unsafe { simd::push_spaced_avx(bytes, dst) };
            return;
        }
        #[cfg(test)]
        let fastest = matches!(way, Way::Fastest | Way::Ssse3);
        #[cfg(not(test))]
        let fastest = way == Way::Fastest;
        if fastest && has!("ssse3") {
            // SAFETY: the processor has SSSE3 (checked just above).
            unsafe { simd::push_spaced(bytes, dst) };
            return;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = way; // no faster way written for other processors
    push_spaced_portable(bytes, dst);
}

/// [`push_spaced`] without processor-specific instructions: eight bytes are
/// looked up in [`SPACED`] and shifted into three 64-bit words; bytes left
/// over are done again with the last eight as one block, over places already
/// written with the same text (under eight bytes: one by one).
fn push_spaced_portable(bytes: &[u8], dst: &mut [MaybeUninit<u8>]) {
    fn block(block: &[u8; 8], place: &mut [MaybeUninit<u8>; 24]) {
        let e = |i: usize| SPACED[usize::from(block[i])];
        // Byte i's three characters start at bit 24 * i of the 192.
        let words = [
            e(0) | e(1) << 24 | e(2) << 48,
            e(2) >> 16 | e(3) << 8 | e(4) << 32 | e(5) << 56,
            e(5) >> 8 | e(6) << 16 | e(7) << 40,
        ];
        let (thirds, _) = place.as_chunks_mut::<8>();
        for (word, to) in words.iter().zip(thirds) {
            to.write_copy_of_slice(&word.to_le_bytes());
        }
    }
    let (blocks, rest) = bytes.as_chunks::<8>();
    let (places, _) = dst.as_chunks_mut::<24>();
    for (bytes, place) in blocks.iter().zip(places) {
        block(bytes, place);
    }
    if rest.is_empty() {
        return;
    }
    if let (Some(last), Some(place)) = (bytes.last_chunk::<8>(), dst.last_chunk_mut::<24>()) {
        block(last, place);
    } else {
        for (&byte, place) in bytes.iter().zip(dst.chunks_exact_mut(3)) {
            place.write_copy_of_slice(&SPACED[usize::from(byte)].to_le_bytes()[..3]);
        }
    }
}

/// Sixteen bytes at a time with SSSE3's byte shuffle (`pshufb`).
#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_loadu_si128, _mm_or_si128, _mm_set1_epi8, _mm_shuffle_epi8,
        _mm_srli_epi16, _mm_storeu_si128,
    };
    use std::mem::MaybeUninit;

    use super::DIGITS;

    /// Bytes rendered per step; the fewest these functions take.
    pub(super) const BLOCK: usize = 16;

    /// For each third of the 48 places that 16 bytes take, three shuffle
    /// masks: at place `16 * third + q`, the index of the input byte whose
    /// high digit (mask 0) or low digit (mask 1) goes there, or `0x80` (the
    /// shuffle then gives 0); mask 2 is `b' '` where the space goes and 0
    /// elsewhere.
    const MASKS: [[__m128i; 3]; 3] = {
        let mut masks = [[[0u8; 16]; 3]; 3];
        let mut place = 0;
        while place < 48 {
            let (third, q, byte) = (place / 16, place % 16, (place / 3) as u8);
            masks[third][0][q] = if place % 3 == 0 { byte } else { 0x80 };
            masks[third][1][q] = if place % 3 == 1 { byte } else { 0x80 };
            masks[third][2][q] = if place % 3 == 2 { b' ' } else { 0 };
            place += 1;
        }
        // SAFETY: the same 144 bytes either way, and any 16 bytes are a
        // valid `__m128i`.
        unsafe { std::mem::transmute::<[[[u8; 16]; 3]; 3], [[__m128i; 3]; 3]>(masks) }
    };

    /// The sixteen hex digits as a vector, for `pshufb` to look up.
    // SAFETY: any 16 bytes are a valid `__m128i`.
    const DIGIT_VECTOR: __m128i = unsafe { std::mem::transmute::<[u8; 16], __m128i>(*DIGITS) };

    /// Defines `$name`, which writes each byte of `bytes` (at least 16) as
    /// `"HL "` into `dst`, three places per byte: blocks of 16 bytes into
    /// blocks of 48 places, then, if bytes are left over, the last 16 bytes
    /// again as one block, over places already written with the same text.
    /// Compiled for `$feature`: the same instructions either way, in SSE's
    /// encoding for `"ssse3"` and in AVX's for `"avx"`.
    macro_rules! push_spaced {
        ($name:ident, $feature:literal) => {
            #[doc = concat!("The `\"HL \"` blocks, compiled for ", $feature, ".")]
            #[target_feature(enable = $feature)]
            pub(super) fn $name(bytes: &[u8], dst: &mut [MaybeUninit<u8>]) {
                assert!(bytes.len() >= BLOCK && dst.len() == 3 * bytes.len());
                let low_nibble = _mm_set1_epi8(0x0F);
                let block = |block: &[u8; BLOCK], place: &mut [MaybeUninit<u8>; 3 * BLOCK]| {
                    // SAFETY: `block` is 16 readable bytes; an unaligned load.
                    let input = unsafe { _mm_loadu_si128(block.as_ptr().cast()) };
                    let high = _mm_and_si128(_mm_srli_epi16(input, 4), low_nibble);
                    let low = _mm_and_si128(input, low_nibble);
                    // Each byte's two digits, then each digit moved to its places.
                    let high_digits = _mm_shuffle_epi8(DIGIT_VECTOR, high);
                    let low_digits = _mm_shuffle_epi8(DIGIT_VECTOR, low);
                    let (thirds, _) = place.as_chunks_mut::<16>();
                    for ([high_at, low_at, spaces], to) in MASKS.iter().zip(thirds) {
                        let text = _mm_or_si128(
                            _mm_or_si128(
                                _mm_shuffle_epi8(high_digits, *high_at),
                                _mm_shuffle_epi8(low_digits, *low_at),
                            ),
                            *spaces,
                        );
                        // SAFETY: `to` is 16 writable places; an unaligned
                        // store of ASCII only (digits and spaces).
                        unsafe { _mm_storeu_si128(to.as_mut_ptr().cast(), text) };
                    }
                };
                let (blocks, rest) = bytes.as_chunks::<BLOCK>();
                let (places, _) = dst.as_chunks_mut::<{ 3 * BLOCK }>();
                for (bytes, place) in blocks.iter().zip(places) {
                    block(bytes, place);
                }
                if !rest.is_empty()
                    && let (Some(last), Some(place)) = (
                        bytes.last_chunk::<BLOCK>(),
                        dst.last_chunk_mut::<{ 3 * BLOCK }>(),
                    )
                {
                    block(last, place);
                }
            }
        };
    }
    push_spaced!(push_spaced, "ssse3");
    push_spaced!(push_spaced_avx, "avx");

    /// The `"HL "` blocks thirty-two bytes at a time (at least 32): each
    /// 128-bit lane renders its sixteen bytes as [`push_spaced`] does, with
    /// the same masks, into its own 48 places.
    #[target_feature(enable = "avx2")]
    pub(super) fn push_spaced_avx2(bytes: &[u8], dst: &mut [MaybeUninit<u8>]) {
        use std::arch::x86_64::{
            __m256i, _mm256_and_si256, _mm256_broadcastsi128_si256, _mm256_castsi256_si128,
            _mm256_extracti128_si256, _mm256_loadu_si256, _mm256_or_si256, _mm256_set1_epi8,
            _mm256_shuffle_epi8, _mm256_srli_epi16,
        };
        const WIDE: usize = 2 * BLOCK;
        assert!(bytes.len() >= WIDE && dst.len() == 3 * bytes.len());
        let low_nibble = _mm256_set1_epi8(0x0F);
        let digits = _mm256_broadcastsi128_si256(DIGIT_VECTOR);
        let masks: [[__m256i; 3]; 3] = MASKS.map(|m| m.map(|v| _mm256_broadcastsi128_si256(v)));
        let block = |block: &[u8; WIDE], place: &mut [MaybeUninit<u8>; 3 * WIDE]| {
            // SAFETY: `block` is 32 readable bytes; an unaligned load.
            let input = unsafe { _mm256_loadu_si256(block.as_ptr().cast()) };
            let high = _mm256_and_si256(_mm256_srli_epi16(input, 4), low_nibble);
            let low = _mm256_and_si256(input, low_nibble);
            let high_digits = _mm256_shuffle_epi8(digits, high);
            let low_digits = _mm256_shuffle_epi8(digits, low);
            let (sixteens, _) = place.as_chunks_mut::<16>();
            for (third, [high_at, low_at, spaces]) in masks.iter().enumerate() {
                let text = _mm256_or_si256(
                    _mm256_or_si256(
                        _mm256_shuffle_epi8(high_digits, *high_at),
                        _mm256_shuffle_epi8(low_digits, *low_at),
                    ),
                    *spaces,
                );
                // The first sixteen bytes' text, then the next sixteen's.
                let (first, second) = (
                    _mm256_castsi256_si128(text),
                    _mm256_extracti128_si256::<1>(text),
                );
                // SAFETY: each is 16 writable places; unaligned stores of
                // ASCII only (digits and spaces).
                unsafe {
                    _mm_storeu_si128(sixteens[third].as_mut_ptr().cast(), first);
                    _mm_storeu_si128(sixteens[3 + third].as_mut_ptr().cast(), second);
                }
            }
        };
        let (blocks, rest) = bytes.as_chunks::<WIDE>();
        let (places, _) = dst.as_chunks_mut::<{ 3 * WIDE }>();
        for (bytes, place) in blocks.iter().zip(places) {
            block(bytes, place);
        }
        if !rest.is_empty()
            && let (Some(last), Some(place)) = (
                bytes.last_chunk::<WIDE>(),
                dst.last_chunk_mut::<{ 3 * WIDE }>(),
            )
        {
            block(last, place);
        }
    }
}

/// Why hex text typed by the user could not be turned into bytes. Positions
/// are 1-based character indexes into the whole input (newlines count as one
/// character), so the message can point at the culprit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HexError {
    /// A character that is neither a hex digit nor a separator.
    #[error("invalid hex digit '{}' at position {position}", found.escape_debug())]
    InvalidDigit {
        /// 1-based character index of the offending character.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// A token whose digit count is odd, so its last digit has no partner.
    #[error("odd number of hex digits in \"{token}\" at position {position}")]
    OddDigits {
        /// 1-based character index where the token starts.
        position: usize,
        /// The token as typed, including any `0x` prefix.
        token: String,
    },
    /// A `0x` prefix followed by a separator or the end of the input.
    #[error("\"0x\" without hex digits at position {position}")]
    MissingDigits {
        /// 1-based character index of the `0` of the prefix.
        position: usize,
    },
}

/// Whether `ch` separates hex tokens.
fn is_separator(ch: char) -> bool {
    ch.is_whitespace() || ch == ',' || ch == '，'
}

/// Parses hex typed by a user into bytes; see the module docs for the exact
/// rule. Empty input (or only separators) gives an empty `Vec`; whether that is
/// sendable is the caller's decision.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut chars = text.char_indices().peekable();
    // 1-based index of the character most recently taken from `chars`.
    let mut position = 0usize;

    while let Some((start_byte, ch)) = chars.next() {
        position += 1;
        if is_separator(ch) {
            continue;
        }
        let token_position = position;
        let mut has_prefix = false;
        let mut high: Option<u8> = None;
        let mut digits = 0usize;

        // `0x` / `0X` prefix at the start of a token.
        let mut current = Some(ch);
        if ch == '0' && matches!(chars.peek(), Some((_, 'x' | 'X'))) {
            chars.next();
            position += 1;
            has_prefix = true;
            current = None;
        }

        let mut end_byte = text.len();
        loop {
            let ch = match current.take() {
                Some(ch) => ch,
                None => match chars.peek() {
                    Some(&(at, next)) if is_separator(next) => {
                        end_byte = at;
                        break;
                    }
                    Some(&(_, next)) => {
                        chars.next();
                        position += 1;
                        next
                    }
                    None => break,
                },
            };
            let Some(value) = ch.to_digit(16) else {
                return Err(HexError::InvalidDigit {
                    position,
                    found: ch,
                });
            };
            // `to_digit(16)` is at most 15, so this never truncates.
            let nibble = value as u8;
            digits += 1;
            match high.take() {
                Some(hi) => out.push(hi << 4 | nibble),
                None => high = Some(nibble),
            }
        }

        if has_prefix && digits == 0 {
            return Err(HexError::MissingDigits {
                position: token_position,
            });
        }
        if high.is_some() {
            return Err(HexError::OddDigits {
                position: token_position,
                token: text[start_byte..end_byte].to_string(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rendering as it was before it wrote into reserved capacity: three
    /// characters a byte through `push_str`. The reference the faster ways
    /// must match byte for byte.
    fn push_hex_reference(bytes: &[u8], out: &mut String) {
        const TABLE_BYTES: [u8; 768] = {
            let mut table = [0u8; 768];
            let mut i = 0;
            while i < 256 {
                table[3 * i] = b' ';
                table[3 * i + 1] = DIGITS[i >> 4];
                table[3 * i + 2] = DIGITS[i & 0x0F];
                i += 1;
            }
            table
        };
        const TABLE: &str = match std::str::from_utf8(&TABLE_BYTES) {
            Ok(text) => text,
            Err(_) => panic!("hex table is ASCII"),
        };
        let Some((&first, rest)) = bytes.split_first() else {
            return;
        };
        out.reserve(bytes.len() * 3 - 1);
        let at = 3 * usize::from(first);
        out.push_str(&TABLE[at + 1..at + 3]);
        for &byte in rest {
            let at = 3 * usize::from(byte);
            out.push_str(&TABLE[at..at + 3]);
        }
    }

    /// Renders `bytes` after `prefix` the reference way, then through
    /// `push_hex` and each [`Way`] (each SIMD way where the processor has
    /// it: on x86-64 with AVX2, all four ways differ).
    fn every_way(prefix: &str, bytes: &[u8]) -> (String, [(&'static str, String); 5]) {
        let mut expected = prefix.to_string();
        push_hex_reference(bytes, &mut expected);
        let render = |way: Option<Way>| {
            let mut out = prefix.to_string();
            match way {
                Some(way) => push_hex_with(bytes, &mut out, way),
                None => push_hex(bytes, &mut out),
            }
            out
        };
        let got = [
            ("push_hex", render(None)),
            ("fastest", render(Some(Way::Fastest))),
            ("avx", render(Some(Way::Avx))),
            ("ssse3", render(Some(Way::Ssse3))),
            ("portable", render(Some(Way::Portable))),
        ];
        (expected, got)
    }

    #[test]
    fn every_way_matches_the_reference_at_every_length_and_offset() {
        let all: Vec<u8> = (0..=255u8).rev().chain(0..=255).collect();
        for prefix in ["", "x: ", "温度 ", "a\0"] {
            for len in 0..=80 {
                for offset in [0, 1, 7, 15, 200] {
                    let bytes = &all[offset..offset + len];
                    let (expected, got) = every_way(prefix, bytes);
                    for (way, got) in got {
                        assert_eq!(
                            got, expected,
                            "{way}: {len} bytes from {offset} after {prefix:?}"
                        );
                    }
                }
            }
        }
        // Every byte value through each way's blocks.
        let (expected, got) = every_way("", &all);
        for (way, got) in got {
            assert_eq!(got, expected, "{way}");
        }
        assert_eq!(to_hex(&all), expected);
    }

    #[test]
    fn renders_upper_case_with_single_spaces() {
        assert_eq!(to_hex(b"Hello"), "48 65 6C 6C 6F");
        assert_eq!(to_hex(&[0x00, 0xAB, 0xFF]), "00 AB FF");
        assert_eq!(to_hex(&[0x0F]), "0F");
        assert_eq!(to_hex(&[]), "");
    }

    #[test]
    fn push_hex_appends() {
        let mut out = String::from("x: ");
        push_hex(&[1, 2], &mut out);
        push_hex(&[], &mut out);
        assert_eq!(out, "x: 01 02");
    }

    #[test]
    fn parses_tolerant_forms() {
        assert_eq!(parse_hex("48 65 6C").unwrap(), b"He\x6C");
        assert_eq!(parse_hex("0x48,0x65").unwrap(), b"He");
        assert_eq!(parse_hex("0X48, 0x65").unwrap(), b"He");
        assert_eq!(parse_hex("48656c").unwrap(), b"Hel");
        assert_eq!(parse_hex("48\n65\r\n\t6c\n").unwrap(), b"Hel");
        assert_eq!(parse_hex("0x4865 6C6C").unwrap(), b"Hell");
        assert_eq!(parse_hex("48，65\u{3000}6C").unwrap(), b"Hel");
        assert_eq!(parse_hex("ab,,cd").unwrap(), vec![0xAB, 0xCD]);
    }

    #[test]
    fn empty_input_is_empty() {
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
        assert_eq!(parse_hex("  \n, ").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn invalid_digit_names_position_and_char() {
        let err = parse_hex("48 65 G1").unwrap_err();
        assert_eq!(
            err,
            HexError::InvalidDigit {
                position: 7,
                found: 'G'
            }
        );
        assert_eq!(err.to_string(), "invalid hex digit 'G' at position 7");
        // Position counts characters, not bytes.
        assert_eq!(
            parse_hex("你 41").unwrap_err(),
            HexError::InvalidDigit {
                position: 1,
                found: '你'
            }
        );
        assert_eq!(
            parse_hex("0x4z").unwrap_err(),
            HexError::InvalidDigit {
                position: 4,
                found: 'z'
            }
        );
        // An `x` that is not part of a leading `0x` is just a bad digit.
        assert_eq!(
            parse_hex("480x65").unwrap_err(),
            HexError::InvalidDigit {
                position: 4,
                found: 'x'
            }
        );
        assert_eq!(
            parse_hex("41\n4;").unwrap_err(),
            HexError::InvalidDigit {
                position: 5,
                found: ';'
            }
        );
    }

    #[test]
    fn odd_token_names_token_and_start() {
        let err = parse_hex("48 ABC 65").unwrap_err();
        assert_eq!(
            err,
            HexError::OddDigits {
                position: 4,
                token: "ABC".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "odd number of hex digits in \"ABC\" at position 4"
        );
        assert_eq!(
            parse_hex("1 2").unwrap_err(),
            HexError::OddDigits {
                position: 1,
                token: "1".into()
            }
        );
        assert_eq!(
            parse_hex("41,0x4").unwrap_err(),
            HexError::OddDigits {
                position: 4,
                token: "0x4".into()
            }
        );
        assert_eq!(
            parse_hex("41 0").unwrap_err(),
            HexError::OddDigits {
                position: 4,
                token: "0".into()
            }
        );
    }

    #[test]
    fn bare_prefix_is_an_error() {
        let err = parse_hex("41 0x, 42").unwrap_err();
        assert_eq!(err, HexError::MissingDigits { position: 4 });
        assert_eq!(err.to_string(), "\"0x\" without hex digits at position 4");
        assert_eq!(
            parse_hex("0X").unwrap_err(),
            HexError::MissingDigits { position: 1 }
        );
    }

    proptest! {
        #[test]
        fn round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let text = to_hex(&bytes);
            prop_assert_eq!(parse_hex(&text).unwrap(), bytes.clone());
            prop_assert_eq!(parse_hex(&text.to_lowercase()).unwrap(), bytes.clone());
            prop_assert_eq!(parse_hex(&text.replace(' ', "")).unwrap(), bytes);
        }

        #[test]
        fn every_way_matches_the_reference(
            prefix in any::<String>(),
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
        ) {
            let (expected, got) = every_way(&prefix, &bytes);
            for (way, got) in got {
                prop_assert_eq!(&got, &expected, "{}", way);
            }
            prop_assert_eq!(to_hex(&bytes), expected[prefix.len()..].to_string());
        }

        #[test]
        fn rendering_matches_format(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let expected: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
            prop_assert_eq!(to_hex(&bytes), expected.join(" "));
        }
    }
}
