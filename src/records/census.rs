//! What a payload's text rows depend on, counted once as its bytes arrive.
//!
//! The log shows a record as text in rows of `b` bytes' width. How many
//! rows a record takes depends on its lines and, per line, on its length,
//! its bytes beyond ASCII and its control characters (see
//! [`thirds`](Line::thirds)). Counting that on the window's thread means
//! reading every byte of a flood a second time, long after it left the
//! cache. The store counts it instead when it takes the record in: a
//! [`Census`] lets the row index find a record's rows without reading its
//! bytes whenever the record is one line or its widest line fits one row.

use std::num::NonZeroU32;

/// Display columns a line of `len` bytes takes, in thirds of a column, from
/// its `high` bytes (≥ 0x80) and its `control` bytes: a control byte shows
/// as `\xHH` (4 columns); a character beyond ASCII is two columns wide,
/// which is 2/3 of a column per byte in UTF-8 (3 bytes) and one column per
/// byte in GBK (2 bytes).
pub(super) fn width_thirds(len: usize, high: usize, control: usize, gbk: bool) -> usize {
    let high = if gbk { 0 } else { high };
    3 * len - high + 9 * control
}

/// A control byte: shown as `\xHH` (below 0x20 except `\n`, and 0x7F).
pub(super) fn is_control_byte(b: u8) -> bool {
    (b < 0x20 && b != b'\n') || b == 0x7F
}

/// A line's counts: its bytes (with its `\n`), the bytes ≥ 0x80 in it, and
/// its control bytes (below 0x20 except `\n`, and 0x7F).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Line {
    len: u32,
    high: u32,
    control: u32,
}

impl Line {
    /// The line's width as GBK shows it (see [`width_thirds`]); UTF-8
    /// shows it at most as wide.
    fn gbk_thirds(self) -> usize {
        width_thirds(
            self.len as usize,
            self.high as usize,
            self.control as usize,
            true,
        )
    }

    fn join(self, next: Line) -> Line {
        Line {
            len: self.len + next.len,
            high: self.high + next.high,
            control: self.control + next.control,
        }
    }
}

/// What the rows of a record's typed bytes depend on, in twelve bytes
/// (a million records each carry one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Census {
    /// Lines, as `split_inclusive('\n')` cuts them.
    lines: NonZeroU32,
    /// Bytes ≥ 0x80 (0: the bytes are ASCII).
    high: u32,
    /// The widest line's thirds as GBK shows it (UTF-8 shows each line at
    /// most as wide).
    widest_gbk: u32,
}

/// The counts a [`Census`] is made from, kept whole for the newest record
/// so that a read merged into it can be counted alone and joined.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Lines, as `split_inclusive('\n')` cuts them (0 for no bytes).
    pub(crate) lines: u32,
    /// Bytes ≥ 0x80 (0: the bytes are ASCII).
    pub(crate) high: u32,
    /// The widest line's thirds as GBK shows it (UTF-8 shows each line at
    /// most as wide).
    widest_gbk: usize,
}

/// The first and the last line of a counted payload, which a payload
/// appended to it may continue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Edges {
    first: Line,
    /// Whether the first line ends with its `\n`.
    first_closed: bool,
    /// The last line when it has no `\n` yet (empty otherwise).
    open: Line,
}

/// Payloads longer than this are not counted (the counts are `u32`, and a
/// control byte weighs 12 thirds); the row index reads them instead.
const MAX_COUNTED: usize = (u32::MAX / 12) as usize;

impl Tally {
    /// Counts `bytes`; `None` for a payload too long to count.
    pub(crate) fn of(bytes: &[u8]) -> Option<(Tally, Edges)> {
        if bytes.len() > MAX_COUNTED {
            return None;
        }
        Some(count(bytes))
    }

    /// The census to keep with the record (`None` for no bytes).
    pub(crate) fn census(&self) -> Option<Census> {
        Some(Census {
            lines: NonZeroU32::new(self.lines)?,
            high: self.high,
            widest_gbk: u32::try_from(self.widest_gbk).ok()?,
        })
    }

    /// The census of `a` followed by `b`, from theirs. The two payloads
    /// together must not be longer than a census counts (a merged record
    /// never is).
    pub(crate) fn join(a: (Tally, Edges), b: (Tally, Edges)) -> (Tally, Edges) {
        let ((ca, ea), (cb, eb)) = (a, b);
        if cb.lines == 0 {
            return a;
        }
        if ca.lines == 0 {
            return b;
        }
        let mut census = Tally {
            lines: ca.lines + cb.lines,
            high: ca.high + cb.high,
            widest_gbk: ca.widest_gbk.max(cb.widest_gbk),
        };
        if ea.open.len == 0 {
            // `a` ends with a line feed: `b`'s lines follow as they are.
            let edges = Edges {
                first: ea.first,
                first_closed: ea.first_closed,
                open: eb.open,
            };
            return (census, edges);
        }
        // `b`'s first line continues `a`'s open last line.
        let joined = ea.open.join(eb.first);
        census.lines -= 1;
        census.widest_gbk = census.widest_gbk.max(joined.gbk_thirds());
        let (first, first_closed) = if ca.lines == 1 {
            (joined, eb.first_closed)
        } else {
            (ea.first, ea.first_closed)
        };
        let b_is_one_open_line = cb.lines == 1 && !eb.first_closed;
        let open = if b_is_one_open_line { joined } else { eb.open };
        let edges = Edges {
            first,
            first_closed,
            open,
        };
        (census, edges)
    }
}

impl Census {
    /// Whether every byte is ASCII.
    pub fn is_ascii(&self) -> bool {
        self.high == 0
    }

    /// The rows the counted bytes take as text `bytes_per_row` wide (GBK
    /// when `gbk`), when the census alone tells: the bytes are one line, or
    /// their widest line fits one row. The same number the lines' own
    /// count gives; `None` when only reading the lines tells.
    pub(crate) fn text_rows(&self, bytes_per_row: usize, gbk: bool) -> Option<usize> {
        let row = 3 * bytes_per_row.max(1) as u64;
        let gbk_widest = u64::from(self.widest_gbk);
        if self.lines.get() == 1 {
            // One line: UTF-8 shows each byte beyond ASCII a third narrower.
            let widest = if gbk {
                gbk_widest
            } else {
                gbk_widest - u64::from(self.high)
            };
            return usize::try_from(widest.div_ceil(row).max(1)).ok();
        }
        (gbk_widest <= row).then_some(self.lines.get() as usize)
    }
}

/// Bit `i` of each mask is byte `i` of a block of up to 64 bytes.
#[derive(Clone, Copy)]
struct Masks {
    feed: u64,
    high: u64,
    control: u64,
}

fn masks_plain(block: &[u8]) -> Masks {
    let mut m = Masks {
        feed: 0,
        high: 0,
        control: 0,
    };
    for (i, &b) in block.iter().enumerate() {
        let bit = 1u64 << i;
        if b == b'\n' {
            m.feed |= bit;
        }
        if b >= 0x80 {
            m.high |= bit;
        }
        if is_control_byte(b) {
            m.control |= bit;
        }
    }
    m
}

/// The bits `from..to` of a mask (`to` at most 64).
fn bits(from: u32, to: u32) -> u64 {
    let below_to = if to >= 64 { u64::MAX } else { (1u64 << to) - 1 };
    let below_from = if from >= 64 {
        u64::MAX
    } else {
        (1u64 << from) - 1
    };
    below_to & !below_from
}

/// The walk over the blocks, with the masks of each whole block of 64 made
/// by `masks`. Inlined into each caller, so the AVX2 caller's popcounts
/// compile to instructions.
#[inline(always)]
fn walk(bytes: &[u8], masks: impl Fn(&[u8]) -> Masks) -> (Tally, Edges) {
    let mut census = Tally::default();
    let mut first: Option<(Line, bool)> = None;
    let mut line = Line::default();
    let mut end_line = |line: Line, closed: bool, census: &mut Tally| {
        census.lines += 1;
        census.high += line.high;
        census.widest_gbk = census.widest_gbk.max(line.gbk_thirds());
        if first.is_none() {
            first = Some((line, closed));
        }
    };
    let mut step = |m: Masks, n: u32, census: &mut Tally| {
        if m.feed == 0 {
            // Most blocks of a flood: the line goes on.
            line.len += n;
            line.high += m.high.count_ones();
            line.control += m.control.count_ones();
            return;
        }
        let mut feeds = m.feed;
        let mut from = 0;
        while feeds != 0 {
            let at = feeds.trailing_zeros();
            let part = bits(from, at + 1);
            line.len += at + 1 - from;
            line.high += (m.high & part).count_ones();
            line.control += (m.control & part).count_ones();
            end_line(line, true, census);
            line = Line::default();
            from = at + 1;
            feeds &= feeds - 1;
        }
        let rest = bits(from, n);
        line.len += n - from;
        line.high += (m.high & rest).count_ones();
        line.control += (m.control & rest).count_ones();
    };
    let mut blocks = bytes.chunks_exact(64);
    for block in &mut blocks {
        step(masks(block), 64, &mut census);
    }
    let tail = blocks.remainder();
    step(masks_plain(tail), tail.len() as u32, &mut census);
    let open = line;
    if open.len > 0 {
        end_line(open, false, &mut census);
    }
    let (first, first_closed) = first.unwrap_or_default();
    let edges = Edges {
        first,
        first_closed,
        open,
    };
    (census, edges)
}

fn count(bytes: &[u8]) -> (Tally, Edges) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if bytes.len() >= 64 && has!("avx2") && has!("popcnt") {
            // SAFETY: the processor has AVX2 and POPCNT (checked above).
            return unsafe { simd::count_avx2(bytes) };
        }
    }
    walk(bytes, masks_plain)
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::{
        __m256i, _mm256_and_si256, _mm256_andnot_si256, _mm256_cmpeq_epi8, _mm256_cmpgt_epi8,
        _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8,
    };

    use super::{Edges, Masks, Tally, walk};

    #[target_feature(enable = "avx2,popcnt")]
    pub(super) fn count_avx2(bytes: &[u8]) -> (Tally, Edges) {
        walk(bytes, |block| {
            // SAFETY: the block has 64 bytes; these load 32 from 0 and 32,
            // unaligned.
            let (lo, hi) = unsafe {
                (
                    _mm256_loadu_si256(block.as_ptr().cast()),
                    _mm256_loadu_si256(block[32..].as_ptr().cast()),
                )
            };
            // Most blocks of text are printable ASCII through and through
            // (0x20 to 0x7E: above 0x1F signed, and not 0x7F).
            let del = _mm256_set1_epi8(0x7F);
            let printable = |v: __m256i| {
                _mm256_andnot_si256(
                    _mm256_cmpeq_epi8(v, del),
                    _mm256_cmpgt_epi8(v, _mm256_set1_epi8(0x1F)),
                )
            };
            let both = _mm256_and_si256(printable(lo), printable(hi));
            if _mm256_movemask_epi8(both) == -1 {
                return Masks {
                    feed: 0,
                    high: 0,
                    control: 0,
                };
            }
            let half = |v: __m256i| {
                let feed =
                    _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\n' as i8)));
                let high = _mm256_movemask_epi8(v);
                // Signed: bytes ≥ 0x80 are below 0x20 too, and taken out.
                let below = _mm256_movemask_epi8(_mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), v));
                let del = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, del));
                let (feed, high, below, del) = (feed as u32, high as u32, below as u32, del as u32);
                (feed, high, (below & !high & !feed) | del)
            };
            let (f0, h0, c0) = half(lo);
            let (f1, h1, c1) = half(hi);
            Masks {
                feed: u64::from(f0) | u64::from(f1) << 32,
                high: u64::from(h0) | u64::from(h1) << 32,
                control: u64::from(c0) | u64::from(c1) << 32,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The census as the lines say it, one by one.
    fn reference(bytes: &[u8]) -> (Tally, Edges) {
        let line_of = |l: &[u8]| Line {
            len: l.len() as u32,
            high: l.iter().filter(|&&b| b >= 0x80).count() as u32,
            control: l
                .iter()
                .filter(|&&b| (b < 0x20 && b != b'\n') || b == 0x7F)
                .count() as u32,
        };
        let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
        let census = Tally {
            lines: lines.len() as u32,
            high: bytes.iter().filter(|&&b| b >= 0x80).count() as u32,
            widest_gbk: lines
                .iter()
                .map(|l| line_of(l).gbk_thirds())
                .max()
                .unwrap_or(0),
        };
        let first = lines.first().map(|l| line_of(l)).unwrap_or_default();
        let first_closed = lines.first().is_some_and(|l| l.ends_with(b"\n"));
        let open = match lines.last() {
            Some(l) if !l.ends_with(b"\n") => line_of(l),
            _ => Line::default(),
        };
        let edges = Edges {
            first,
            first_closed,
            open,
        };
        (census, edges)
    }

    /// Bytes rich in line feeds, control bytes and bytes beyond ASCII.
    fn payload() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                Just(b'\n'),
                Just(b'\r'),
                Just(0x7Fu8),
                Just(b'a'),
                0x80u8..=0xFF,
                any::<u8>(),
            ],
            0..300,
        )
    }

    /// Long printable runs with now and then any byte: whole blocks of 64
    /// that take the printable shortcut, and blocks that do not.
    fn mostly_printable() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![40 => Just(b'x'), 10 => 0x20u8..0x7F, 1 => any::<u8>()],
            0..2000,
        )
    }

    proptest! {
        #[test]
        fn printable_runs_count_alike(bytes in mostly_printable()) {
            prop_assert_eq!(count(&bytes), reference(&bytes));
        }

        #[test]
        fn counting_agrees_with_the_lines_one_by_one(bytes in payload()) {
            prop_assert_eq!(count(&bytes), reference(&bytes));
            prop_assert_eq!(walk(&bytes, masks_plain), reference(&bytes));
        }

        #[test]
        fn joining_two_censuses_counts_the_bytes_joined(a in payload(), b in payload()) {
            let joined = Tally::join(count(&a), count(&b));
            let whole = [a.as_slice(), b.as_slice()].concat();
            prop_assert_eq!(joined, reference(&whole));
        }
    }

    #[test]
    fn every_length_and_offset_of_a_long_payload_counts_alike() {
        let bytes: Vec<u8> = (0..700u32)
            .map(|i| match i % 37 {
                0 => b'\n',
                5 => 0x7F,
                9 => 0xE4,
                11 => 0x01,
                _ => b'x',
            })
            .collect();
        for start in 0..70 {
            for end in (start..bytes.len()).step_by(13) {
                assert_eq!(count(&bytes[start..end]), reference(&bytes[start..end]));
            }
        }
    }

    #[test]
    fn one_line_or_narrow_lines_give_rows_without_reading_them() {
        let census = |b: &[u8]| count(b).0.census().expect("counted");
        assert_eq!(census(&[b'Z'; 1000]).text_rows(64, false), Some(16));
        assert_eq!(
            census(b"temp=23.5\r\nhum=40\r\n").text_rows(64, false),
            Some(2)
        );
        // A line wider than a row: the lines must be read.
        let wide = census(b"short\nthis line is longer than eight\n");
        assert_eq!(wide.text_rows(8, false), None);
        // UTF-8 shows 中 (3 bytes) as 2 cells, GBK its 3 bytes as 3.
        let han = census("中中中中".as_bytes());
        assert_eq!(han.text_rows(8, false), Some(1));
        assert_eq!(han.text_rows(8, true), Some(2));
        assert!(census(b"abc").is_ascii());
        assert!(!han.is_ascii());
        assert_eq!(count(b"").0.census(), None);
    }
}
