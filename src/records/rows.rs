//! Display rows: how records split into fixed-height rows of the log view.
//!
//! A long record is split into several rows so it stays readable without a
//! row of unbounded height. The number of rows of a record depends only on
//! its bytes (never on decoding), so the index of a million records can be
//! kept up to date in O(1) per record and rebuilt in one quick pass when the
//! view changes; the text of a row is produced only when the row is visible.

use std::collections::VecDeque;
use std::ops::Range;
use std::time::Instant;

use crate::codec::{DisplayEncoding, StreamDecoder, TextEncoding, decode_lossy, push_hex};

use super::census::{is_control_byte, width_thirds};
use super::render::TextSpan;
use super::{Direction, Record, RecordStore, RowFilter};

/// How payloads are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum View {
    /// Decoded text.
    Text,
    /// Hex pairs.
    Hex,
    /// Hex pairs with the decoded text beside them.
    Both,
}

/// Everything that decides how a record splits into rows and what they say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowStyle {
    /// Text, hex, or both.
    pub view: View,
    /// Payload bytes per row (at least 1).
    pub bytes_per_row: usize,
    /// Text decoding.
    pub encoding: DisplayEncoding,
    /// Show ␍ ␊ ␉ (and `\xHH` for other control characters).
    pub show_control: bool,
}

impl RowStyle {
    /// How many rows `record` takes. The bytes NetAssist added to a send
    /// follow the typed bytes on their last row.
    pub fn rows_of(&self, record: &Record) -> u32 {
        let bytes = record.typed();
        if record.dir == Direction::Event || bytes.is_empty() {
            return 1;
        }
        let b = self.bytes_per_row.max(1);
        let rows = match self.view {
            View::Text => {
                let gbk = self.encoding == DisplayEncoding::Gbk;
                // The store's census tells most records' rows without
                // reading them (a flood is one long line, or short ones).
                match record.census().and_then(|c| c.text_rows(b, gbk)) {
                    Some(rows) => rows,
                    None => lines(bytes)
                        .map(|line| thirds(line, gbk).div_ceil(3 * b).max(1))
                        .sum(),
                }
            }
            View::Hex | View::Both => bytes.len().div_ceil(b),
        };
        u32::try_from(rows).unwrap_or(u32::MAX)
    }

    /// Same split as [`RowStyle::rows_of`]: the row count per byte line.
    fn line_rows(&self, bytes: &[u8]) -> Vec<usize> {
        let b = self.bytes_per_row.max(1);
        let gbk = self.encoding == DisplayEncoding::Gbk;
        lines(bytes)
            .map(|line| thirds(line, gbk).div_ceil(3 * b).max(1))
            .collect()
    }

    /// The payload text of every row of record `seq` (events excluded: the
    /// window words them itself). Exactly [`RowStyle::rows_of`] strings.
    ///
    /// The bytes NetAssist added to a send end the last row, as
    /// [`added_marker`] shows them.
    pub fn render(&self, store: &RecordStore, seq: u64) -> Vec<String> {
        let Some(record) = store.get(seq) else {
            return Vec::new();
        };
        if record.dir == Direction::Event || record.bytes.is_empty() {
            return vec![String::new()];
        }
        let mut rows = self.render_typed(store, record);
        if record.added > 0 {
            if rows.is_empty() {
                rows.push(String::new());
            }
            if let Some(last) = rows.last_mut() {
                last.push_str(&added_marker(record.added_bytes()));
            }
        }
        rows
    }

    /// Rows `rows` of record `seq` (clamped to the rows it has). A record of
    /// up to [`RENDER_WHOLE`] bytes is rendered whole; a larger one (a
    /// 10 MB send) only as far as those rows need: its lines are counted,
    /// and only the lines they show are decoded. Exactly the same text as
    /// [`RowStyle::render`] gives for those rows.
    pub fn render_range(&self, store: &RecordStore, seq: u64, rows: Range<u32>) -> Vec<String> {
        let Some(record) = store.get(seq) else {
            return Vec::new();
        };
        let typed = record.typed();
        if record.dir == Direction::Event || typed.len() <= RENDER_WHOLE {
            let (from, len) = (rows.start as usize, rows.len());
            return self
                .render(store, seq)
                .into_iter()
                .skip(from)
                .take(len)
                .collect();
        }
        let total = self.rows_of(record);
        let to = rows.end.min(total);
        let from = rows.start.min(to);
        let b = self.bytes_per_row.max(1);
        let mut out: Vec<String> = match self.view {
            View::Hex => typed
                .chunks(b)
                .skip(from as usize)
                .take((to - from) as usize)
                .map(|chunk| {
                    let mut s = String::with_capacity(chunk.len() * 3);
                    push_hex(chunk, &mut s);
                    s
                })
                .collect(),
            View::Both => self.both_range(store, record, from, to),
            View::Text => self.text_range(store, record, from, to),
        };
        if record.added > 0
            && to == total
            && let Some(last) = out.last_mut()
        {
            last.push_str(&added_marker(record.added_bytes()));
        }
        out
    }

    /// Text rows `from..to` of a large record: only the lines they fall in
    /// are decoded. A line starts after a `\n`, which is never part of a
    /// UTF-8 or GBK character, so each line decodes on its own (the first
    /// with the bytes its stream carries in).
    fn text_range(&self, store: &RecordStore, record: &Record, from: u32, to: u32) -> Vec<String> {
        let b = self.bytes_per_row.max(1);
        let gbk = self.encoding == DisplayEncoding::Gbk;
        let typed = record.typed();
        let span = self.typed_span(store, record);
        let mut out = Vec::with_capacity((to - from) as usize);
        let (mut row, mut offset) = (0u32, 0usize);
        for line in lines(typed) {
            let k = u32::try_from(thirds(line, gbk).div_ceil(3 * b).max(1)).unwrap_or(u32::MAX);
            let start = offset;
            offset += line.len();
            if row.saturating_add(k) <= from {
                row = row.saturating_add(k);
                continue;
            }
            if row >= to {
                break;
            }
            let own = span.clip(typed, start..offset);
            let carried = start == 0 && !span.carry.is_empty();
            if !carried && own.len() == line.len() && plain_ascii(line) {
                // Printable ASCII reads the same in every encoding: cut the
                // rows that are asked for out of the bytes, decoding nothing.
                for r in from.max(row)..to.min(row.saturating_add(k)) {
                    let (a, b) = ascii_piece(line.len(), k as usize, (r - row) as usize);
                    let piece = std::str::from_utf8(&line[a..b]).unwrap_or_default();
                    out.push(self.visible(piece));
                }
                row = row.saturating_add(k);
                continue;
            }
            let mut decoder = StreamDecoder::new(span.encoding.into());
            let mut text = String::new();
            if start == 0 {
                decoder.decode_into(&span.carry, &mut text);
            }
            decoder.decode_into(own, &mut text);
            if offset == typed.len() {
                text.push_str(&decoder.finish());
            }
            for (i, piece) in split_weighted(&text, k as usize).into_iter().enumerate() {
                let r = row + i as u32;
                if (from..to).contains(&r) {
                    out.push(self.visible(piece));
                }
            }
            row = row.saturating_add(k);
        }
        out
    }

    /// Hex-and-text rows `from..to` of a large record: the decoder starts at
    /// the beginning of the line the first row is in.
    fn both_range(&self, store: &RecordStore, record: &Record, from: u32, to: u32) -> Vec<String> {
        let b = self.bytes_per_row.max(1);
        let typed = record.typed();
        let start = (from as usize * b).min(typed.len());
        let end = (to as usize * b).min(typed.len());
        let span = self.typed_span(store, record);
        let line_start = memchr::memrchr(b'\n', &typed[..start]).map_or(0, |i| i + 1);
        let mut decoder = StreamDecoder::new(span.encoding.into());
        let mut text = String::new();
        if line_start == 0 {
            decoder.decode_into(&span.carry, &mut text);
        }
        decoder.decode_into(span.clip(typed, line_start..start), &mut text);
        if start > 0 {
            // Those characters belong to rows before `from`.
            text.clear();
        }
        self.both_rows(typed, start..end, &span, decoder, text)
    }

    /// Hex-and-text rows of the typed bytes `range` (whole rows), with
    /// `decoder` where the stream stands at its start and `text` what it
    /// gave there for the first row. Each row shows the characters whose
    /// last byte is in it (a character split across rows shows on the row
    /// it ends in); the last row of the record finishes the text.
    fn both_rows(
        &self,
        typed: &[u8],
        range: Range<usize>,
        span: &TextSpan,
        mut decoder: StreamDecoder,
        mut text: String,
    ) -> Vec<String> {
        let b = self.bytes_per_row.max(1);
        let last_of_record = range.end == typed.len();
        let n = range.len().div_ceil(b);
        typed[range.clone()]
            .chunks(b)
            .enumerate()
            .map(|(i, chunk)| {
                let at = range.start + i * b;
                decoder.decode_into(span.clip(typed, at..at + chunk.len()), &mut text);
                if i + 1 == n && last_of_record {
                    text.push_str(&decoder.finish());
                }
                let row = self.both_row(chunk, &text);
                text.clear();
                row
            })
            .collect()
    }

    /// One hex-and-text row: the chunk's hex, padded, then its text.
    fn both_row(&self, chunk: &[u8], text: &str) -> String {
        let b = self.bytes_per_row.max(1);
        let mut s = String::with_capacity(b * 3 + 4 + text.len());
        push_hex(chunk, &mut s);
        let pad = (b * 3).saturating_sub(s.len());
        s.extend(std::iter::repeat_n(' ', pad + 2));
        s.push_str("| ");
        s.push_str(&self.visible(text));
        s
    }

    fn render_typed(&self, store: &RecordStore, record: &Record) -> Vec<String> {
        let bytes = record.typed();
        if bytes.is_empty() {
            return self.carried_only(store, record);
        }
        match self.view {
            View::Text => {
                let span = self.typed_span(store, record);
                let mut decoder = StreamDecoder::new(span.encoding.into());
                let mut text = String::new();
                decoder.decode_into(&span.carry, &mut text);
                decoder.decode_into(span.clip(bytes, 0..bytes.len()), &mut text);
                text.push_str(&decoder.finish());
                let counts = self.line_rows(bytes);
                let mut lines = text.split_inclusive('\n');
                let mut rows = Vec::with_capacity(counts.iter().sum());
                for k in counts {
                    let line = lines.next().unwrap_or("");
                    for piece in split_weighted(line, k) {
                        rows.push(self.visible(piece));
                    }
                }
                // Text past the last byte line (never expected) joins the last row.
                for extra in lines {
                    if let Some(last) = rows.last_mut() {
                        last.push_str(&self.visible(extra));
                    }
                }
                rows
            }
            View::Hex => bytes
                .chunks(self.bytes_per_row.max(1))
                .map(|chunk| {
                    let mut s = String::with_capacity(chunk.len() * 3);
                    push_hex(chunk, &mut s);
                    s
                })
                .collect(),
            View::Both => self.render_both(store, record),
        }
    }

    /// The row of a send that is only added bytes: the text views show the
    /// unfinished character its stream carried in (finished here, as every
    /// send with added bytes ends its stream's text), or nothing.
    fn carried_only(&self, store: &RecordStore, record: &Record) -> Vec<String> {
        let span = self.typed_span(store, record);
        if span.carry.is_empty() {
            return Vec::new();
        }
        let mut text = String::new();
        decode_lossy(span.encoding, &span.carry, &mut text);
        match self.view {
            View::Text => vec![self.visible(&text)],
            View::Both => vec![self.both_row(&[], &text)],
            View::Hex => Vec::new(),
        }
    }

    /// Hex rows with, beside each, the characters whose last byte is in that
    /// row (a character split across rows shows on the row it ends in).
    fn render_both(&self, store: &RecordStore, record: &Record) -> Vec<String> {
        let typed = record.typed();
        let span = self.typed_span(store, record);
        let mut decoder = StreamDecoder::new(span.encoding.into());
        let text = decoder.decode(&span.carry);
        self.both_rows(typed, 0..typed.len(), &span, decoder, text)
    }

    /// What `record`'s typed bytes show as text: its [`TextSpan`], not
    /// counting the bytes NetAssist added (they are shown apart).
    fn typed_span(&self, store: &RecordStore, record: &Record) -> TextSpan {
        let typed = record.typed().len();
        let mut span = store
            .text_span(record.seq, self.encoding)
            .unwrap_or(TextSpan {
                encoding: TextEncoding::Utf8,
                carry: Vec::new(),
                own: typed,
            });
        span.own = span.own.min(typed);
        span
    }

    /// Makes control characters visible (or drops line breaks, which the
    /// row split already shows).
    pub fn visible(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '\r' if self.show_control => out.push('␍'),
                '\n' if self.show_control => out.push('␊'),
                '\t' if self.show_control => out.push('␉'),
                '\r' | '\n' => {}
                '\t' => out.push_str("    "),
                c if c.is_control() && (c as u32) < 0xA0 => {
                    out.push_str(&format!("\\x{:02X}", c as u32));
                }
                c => out.push(c),
            }
        }
        out
    }
}

/// Records of up to this many bytes are rendered whole; larger ones only in
/// the rows a view asks for ([`RowStyle::render_range`]).
pub const RENDER_WHOLE: usize = 4 * 1024;

/// How the bytes NetAssist added to a send (line ending, checksum) end its
/// last row: `  «+0D 0A»`. A view can colour this suffix apart.
pub fn added_marker(added: &[u8]) -> String {
    let mut s = String::with_capacity(added.len() * 3 + 6);
    s.push_str("  «+");
    push_hex(added, &mut s);
    s.push('»');
    s
}

/// Display columns a line of bytes takes, in thirds of a column (see
/// [`width_thirds`]), counted from the bytes.
///
/// The window counts the rows of records the store could not count (see
/// [`Census`](super::Census)), so this is written to vectorise.
fn thirds(line: &[u8], gbk: bool) -> usize {
    let (mut high, mut control) = (0usize, 0usize);
    // Byte-wide counters over slices short enough not to overflow: the
    // compiler then counts 16 or 32 bytes per instruction.
    for chunk in line.chunks(255) {
        let (mut h, mut c) = (0u8, 0u8);
        for &b in chunk {
            h += u8::from(b >= 0x80);
            c += u8::from(is_control_byte(b));
        }
        high += usize::from(h);
        control += usize::from(c);
    }
    width_thirds(line.len(), high, control, gbk)
}

/// The lines of `bytes`, each with its `\n` (as `split_inclusive`), found
/// with memchr.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> + '_ {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let (line, tail) = rest.split_at(end);
        rest = tail;
        Some(line)
    })
}

/// True when every byte is printable ASCII or a line feed (such text has
/// width 1 a byte, and decodes to itself in UTF-8 and GBK). Written to
/// vectorise: it looks at every byte.
fn plain_ascii(bytes: &[u8]) -> bool {
    bytes.iter().fold(0u8, |bad, &b| {
        bad | u8::from(!(0x20..0x7F).contains(&b) && b != b'\n')
    }) == 0
}

/// The byte range of piece `j` of `k` when [`split_weighted`] cuts `len`
/// bytes of plain ASCII.
fn ascii_piece(len: usize, k: usize, j: usize) -> (usize, usize) {
    let total = len.max(1);
    let cut = |j: usize| (j * total).div_ceil(k).min(len);
    let start = if j == 0 { 0 } else { cut(j) };
    let end = if j + 1 >= k { len } else { cut(j + 1) };
    (start, end.max(start))
}

/// Splits `text` into exactly `k` pieces of about equal display width,
/// cutting only between characters.
///
/// A character of width `w` that starts at width `acc` (the widths before
/// it summed) goes into piece `acc * k / total`. The window splits the
/// rows it shows during a flood with this, so plain ASCII (every width 1)
/// is cut by arithmetic alone, and other text in one pass without a
/// division per character.
pub fn split_weighted(text: &str, k: usize) -> Vec<&str> {
    if k <= 1 {
        return vec![text];
    }
    let bytes = text.as_bytes();
    let mut pieces = Vec::with_capacity(k);
    if plain_ascii(bytes) {
        // Width 1 each: piece `j` starts at the first `i` with
        // `i * k / total >= j`, that is at `ceil(j * total / k)`.
        for j in 0..k {
            let (a, b) = ascii_piece(bytes.len(), k, j);
            pieces.push(&text[a..b]);
        }
        return pieces;
    }
    let weight = |c: char| match c {
        // Shown as `\xHH`.
        _ if c.is_ascii_control() && c != '\n' => 4,
        _ if c.is_ascii() => 1,
        _ => 2,
    };
    let total: usize = text.chars().map(weight).sum::<usize>().max(1);
    let mut start = 0;
    let mut acc = 0;
    // The width at which the next piece starts, times `k`: a character
    // opens piece `pieces.len() + 1` once `acc * k` reaches it.
    let mut next = total;
    for (i, c) in text.char_indices() {
        let at = acc * k;
        while at >= next && pieces.len() < k - 1 {
            pieces.push(&text[start..i]);
            start = i;
            next += total;
        }
        acc += weight(c);
    }
    pieces.push(&text[start..]);
    while pieces.len() < k {
        pieces.push("");
    }
    pieces
}

/// The first row of every record held, kept in step with the store.
#[derive(Debug, Default, Clone)]
pub struct RowIndex {
    starts: VecDeque<u64>,
    first_seq: u64,
    total: u64,
    /// The style and filter the rows were counted with.
    built: Option<(RowStyle, RowFilter)>,
    /// The size of the newest record when it was counted (a merged read
    /// makes it grow, and it must be counted again).
    newest_len: usize,
}

impl RowIndex {
    /// An empty index.
    pub fn new() -> RowIndex {
        RowIndex::default()
    }

    /// Rebuilds the index for every record in `store`.
    pub fn rebuild(&mut self, store: &RecordStore, style: &RowStyle) {
        let filter = RowFilter::default();
        self.reset(store, style, &filter);
        self.sync(store, style);
    }

    fn reset(&mut self, store: &RecordStore, style: &RowStyle, filter: &RowFilter) {
        self.starts.clear();
        self.total = 0;
        self.first_seq = store.first_seq();
        self.built = Some((*style, filter.clone()));
        self.newest_len = 0;
    }

    /// Brings the index up to date after records were added (or the newest
    /// one grew) and old ones dropped, or the style changed.
    pub fn sync(&mut self, store: &RecordStore, style: &RowStyle) {
        self.sync_until(store, style, &RowFilter::default(), None);
    }

    /// Like [`sync`](Self::sync), with a filter (a hidden record takes no
    /// rows), and stopping at `deadline`, so a huge log is indexed over
    /// several frames; true when the index covers every record held. Until
    /// then the index covers the oldest records, and [`rows`](Self::rows)
    /// counts theirs.
    pub fn sync_until(
        &mut self,
        store: &RecordStore,
        style: &RowStyle,
        filter: &RowFilter,
        deadline: Option<Instant>,
    ) -> bool {
        let same = self
            .built
            .as_ref()
            .is_some_and(|(s, f)| s == style && f == filter);
        if !same || store.first_seq() > self.end_seq() || store.first_seq() < self.first_seq {
            self.reset(store, style, filter);
        }
        while self.first_seq < store.first_seq() {
            self.starts.pop_front();
            self.first_seq += 1;
        }
        // The newest record may have grown (merged reads): recount it.
        let newest = self.end_seq().checked_sub(1).and_then(|s| store.get(s));
        if newest.is_some_and(|r| r.bytes.len() != self.newest_len)
            && let Some(last) = self.starts.pop_back()
        {
            self.total = last;
        }
        let mut seq = self.end_seq();
        let plain = filter.is_empty();
        // Work since the clock was last read: records, and bytes counted.
        let (mut records, mut bytes) = (0u32, 0usize);
        while let Some(record) = store.get(seq) {
            self.starts.push_back(self.total);
            if plain || filter.shows(store, record, style.encoding) {
                self.total += u64::from(style.rows_of(record));
            }
            seq += 1;
            records += 1;
            bytes += record.bytes.len();
            self.newest_len = record.bytes.len();
            // Reading the clock every 256 records or 1 MiB keeps its cost
            // small and the deadline close.
            if records >= 256 || bytes >= 1 << 20 {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return store.get(seq).is_none();
                }
                (records, bytes) = (0, 0);
            }
        }
        true
    }

    /// One past the newest record the index covers.
    pub fn end_seq(&self) -> u64 {
        self.first_seq + self.starts.len() as u64
    }

    /// Rows of every record held.
    pub fn rows(&self) -> u64 {
        self.total - self.starts.front().copied().unwrap_or(self.total)
    }

    /// The first row of record `seq`, if the index covers it.
    pub fn row_of(&self, seq: u64) -> Option<u64> {
        let base = self.starts.front().copied()?;
        let i = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        self.starts.get(i).map(|s| s - base)
    }

    /// Rows of the records before `seq` (for a paused view's end).
    pub fn rows_before(&self, seq: u64) -> u64 {
        let base = self.starts.front().copied().unwrap_or(self.total);
        let i = seq.saturating_sub(self.first_seq) as usize;
        self.starts.get(i).copied().unwrap_or(self.total) - base
    }

    /// The record and its sub-row shown at `row` (0 = oldest row held).
    pub fn locate(&self, row: u64) -> Option<(u64, u32)> {
        let base = self.starts.front().copied()?;
        let abs = base + row;
        if abs >= self.total {
            return None;
        }
        let i = self.starts.partition_point(|&s| s <= abs) - 1;
        let sub = u32::try_from(abs - self.starts[i]).unwrap_or(u32::MAX);
        Some((self.first_seq + i as u64, sub))
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::{Duration, SystemTime};

    use bytes::Bytes;

    use super::super::StoreConfig;
    use super::*;

    fn peer() -> SocketAddr {
        "127.0.0.1:9".parse().unwrap()
    }

    fn style(view: View, b: usize) -> RowStyle {
        RowStyle {
            view,
            bytes_per_row: b,
            encoding: DisplayEncoding::Utf8,
            show_control: false,
        }
    }

    #[test]
    fn counted_widths_match_the_byte_rules() {
        // Control bytes are \xHH (4 columns), UTF-8 bytes above 0x7F 2/3 of a
        // column, GBK ones a whole column, everything else one.
        let line = b"a\x01\x7f\xe4\xbd\xa0\n";
        assert_eq!(thirds(line, false), 3 + 12 + 12 + 2 * 3 + 3);
        assert_eq!(thirds(line, true), 3 + 12 + 12 + 3 * 3 + 3);
        let split: Vec<&[u8]> = lines(b"ab\ncd\n\nx").collect();
        assert_eq!(split, [&b"ab\n"[..], b"cd\n", b"\n", b"x"]);
        assert_eq!(lines(b"").count(), 0);
        let same: Vec<&[u8]> = b"ab\ncd\n\nx".split_inclusive(|&c| c == b'\n').collect();
        assert_eq!(split, same);
    }

    /// The split as it was first written (a division per character).
    fn split_weighted_reference(text: &str, k: usize) -> Vec<&str> {
        if k <= 1 {
            return vec![text];
        }
        let weight = |c: char| match c {
            _ if c.is_ascii_control() && c != '\n' => 4,
            _ if c.is_ascii() => 1,
            _ => 2,
        };
        let total: usize = text.chars().map(weight).sum::<usize>().max(1);
        let mut pieces = Vec::with_capacity(k);
        let mut start = 0;
        let mut acc = 0;
        for (i, c) in text.char_indices() {
            let piece = acc * k / total;
            while pieces.len() < piece {
                pieces.push(&text[start..i]);
                start = i;
            }
            acc += weight(c);
        }
        pieces.push(&text[start..]);
        while pieces.len() < k {
            pieces.push("");
        }
        pieces
    }

    proptest::proptest! {
        /// The quick split cuts exactly where the reference does.
        #[test]
        fn split_weighted_cuts_where_the_reference_does(
            text in "(\\PC|[ -~]|\n|\t|\r|\x01|你好){0,300}",
            k in 1usize..40,
        ) {
            proptest::prop_assert_eq!(split_weighted(&text, k), split_weighted_reference(&text, k));
        }

        /// Plain ASCII too (its path is arithmetic).
        #[test]
        fn ascii_split_cuts_where_the_reference_does(
            text in "[ -~\n]{0,500}",
            k in 1usize..200,
        ) {
            proptest::prop_assert_eq!(split_weighted(&text, k), split_weighted_reference(&text, k));
        }
    }

    /// Bytes with line feeds, control bytes and bytes beyond ASCII, as
    /// one or more reads.
    fn reads() -> impl proptest::strategy::Strategy<Value = Vec<Vec<u8>>> {
        use proptest::prelude::*;
        let byte = prop_oneof![
            8 => Just(b'a'),
            2 => Just(b'\n'),
            1 => Just(b'\r'),
            1 => Just(0x7Fu8),
            2 => 0x80u8..=0xFF,
            1 => any::<u8>(),
        ];
        prop::collection::vec(prop::collection::vec(byte, 1..200), 1..5)
    }

    proptest::proptest! {
        #[test]
        fn rows_from_the_census_are_the_rows_the_lines_give(
            reads in reads(),
            b in 1usize..40,
            gbk in proptest::bool::ANY,
        ) {
            // The same reads, merged into one record, into a store that
            // counts and one that does not.
            let config = |count_rows| StoreConfig {
                merge_window: Some(Duration::from_secs(60)),
                count_rows,
                ..StoreConfig::default()
            };
            let (mut counted, mut read) = (RecordStore::new(config(true)), RecordStore::new(config(false)));
            let now = SystemTime::now();
            for chunk in &reads {
                counted.push_rx(now, peer(), Bytes::from(chunk.clone()));
                read.push_rx(now, peer(), Bytes::from(chunk.clone()));
            }
            let st = RowStyle {
                encoding: if gbk { DisplayEncoding::Gbk } else { DisplayEncoding::Utf8 },
                ..style(View::Text, b)
            };
            let seq = counted.first_seq();
            let (with, without) = (counted.get(seq).unwrap(), read.get(seq).unwrap());
            proptest::prop_assert!(with.census().is_some());
            proptest::prop_assert!(without.census().is_none());
            proptest::prop_assert_eq!(st.rows_of(with), st.rows_of(without));
        }
    }

    #[test]
    fn split_weighted_gives_k_pieces_covering_all() {
        for text in ["", "a", "hello 你好 world", "你好世界你好世界"] {
            for k in 1..8 {
                let pieces = split_weighted(text, k);
                assert_eq!(pieces.len(), k);
                assert_eq!(pieces.concat(), text);
            }
        }
    }

    #[test]
    fn rows_follow_lines_and_width() {
        let mut store = RecordStore::new(StoreConfig::default());
        let seq = store.push_rx(SystemTime::now(), peer(), Bytes::from("ab\ncdefgh\n\nxy"));
        let st = style(View::Text, 4);
        let rec = store.get(seq).unwrap();
        // "ab\n" 1, "cdefgh\n" 2, "\n" 1, "xy" 1
        assert_eq!(st.rows_of(rec), 5);
        let rows = st.render(&store, seq);
        assert_eq!(rows, vec!["ab", "cdef", "gh", "", "xy"]);
        let hex = style(View::Hex, 4).render(&store, seq);
        assert_eq!(hex.len(), 4);
        assert_eq!(hex[0], "61 62 0A 63");
        let shown = RowStyle {
            show_control: true,
            ..st
        };
        assert_eq!(shown.render(&store, seq)[0], "ab␊");
    }

    #[test]
    fn index_locates_rows_and_follows_drops() {
        let mut store = RecordStore::new(StoreConfig {
            max_records: 3,
            ..StoreConfig::default()
        });
        let st = style(View::Hex, 2);
        let mut index = RowIndex::new();
        for len in [1usize, 3, 5, 2] {
            store.push_rx(SystemTime::now(), peer(), Bytes::from(vec![b'x'; len]));
            index.sync(&store, &st);
        }
        // Held: lens 3, 5, 2 -> rows 2, 3, 1.
        assert_eq!(index.rows(), 6);
        let first = store.first_seq();
        assert_eq!(index.locate(0), Some((first, 0)));
        assert_eq!(index.locate(2), Some((first + 1, 0)));
        assert_eq!(index.locate(4), Some((first + 1, 2)));
        assert_eq!(index.locate(5), Some((first + 2, 0)));
        assert_eq!(index.locate(6), None);
        assert_eq!(index.rows_before(first + 2), 5);
        let mut fresh = RowIndex::new();
        fresh.rebuild(&store, &st);
        assert_eq!(fresh.rows(), index.rows());
    }

    #[test]
    fn sync_with_a_deadline_catches_up_over_several_calls() {
        let mut store = RecordStore::new(StoreConfig::default());
        for i in 0..2000u32 {
            store.push_rx(SystemTime::now(), peer(), Bytes::from(i.to_string()));
        }
        let st = style(View::Hex, 4);
        let mut index = RowIndex::new();
        // A deadline in the past still counts the first batch of records.
        let past = Some(Instant::now());
        let all = RowFilter::default();
        assert!(!index.sync_until(&store, &st, &all, past));
        assert_eq!(index.end_seq(), 256);
        assert_eq!(index.rows(), 256);
        let mut calls = 1;
        while !index.sync_until(&store, &st, &all, past) {
            calls += 1;
        }
        assert!(calls >= 7, "{calls}");
        assert_eq!(index.rows(), 2000);
        // A new style starts over.
        let wide = style(View::Hex, 1);
        assert!(index.sync_until(&store, &wide, &all, None));
        assert_eq!(index.rows(), 10 + 90 * 2 + 900 * 3 + 1000 * 4);
        // A filter hides records: they take no rows, and rows map past them.
        let three = RowFilter {
            pattern: Some(crate::records::compile_pattern("^1..$").unwrap()),
            ..RowFilter::default()
        };
        assert!(index.sync_until(&store, &wide, &three, None));
        assert_eq!(index.rows(), 100 * 3);
        assert_eq!(index.locate(0), Some((100, 0)));
        assert_eq!(index.locate(3), Some((101, 0)));
        assert_eq!(index.locate(299), Some((199, 2)));
        assert_eq!(index.locate(300), None);
    }

    #[test]
    fn text_beside_hex_matches_each_rows_bytes() {
        let mut store = RecordStore::new(StoreConfig::default());
        let seq = store.push_rx(SystemTime::now(), peer(), Bytes::from("abcdefghijkl"));
        let rows = style(View::Both, 8).render(&store, seq);
        assert!(rows[0].ends_with("| abcdefgh"), "{rows:?}");
        assert!(rows[1].starts_with("69 6A 6B 6C "), "{rows:?}");
        assert!(rows[1].ends_with("| ijkl"), "{rows:?}");
        // A character split across rows shows on the row it ends in.
        let seq = store.push_rx(SystemTime::now(), peer(), Bytes::from("你好"));
        let rows = style(View::Both, 4).render(&store, seq);
        assert!(
            rows[0].starts_with("E4 BD A0 E5") && rows[0].ends_with("| 你"),
            "{rows:?}"
        );
        assert!(rows[1].ends_with("| 好"), "{rows:?}");

        // At each width the window chooses (4, 8, 16 bytes), in UTF-8 and
        // GBK, with characters of one to four bytes across row ends and
        // control bytes: each row's hex is its bytes, and the text beside it
        // the characters whose last byte is in it.
        let text = "a你好🙂bc\t1234567890€é\x01 世界 end\r\n第二行 x";
        for (encoding, bytes) in [
            (DisplayEncoding::Utf8, text.as_bytes().to_vec()),
            (
                DisplayEncoding::Gbk,
                encoding_rs::GBK
                    .encode(&text.replace('🙂', ""))
                    .0
                    .into_owned(),
            ),
        ] {
            let decoded = match encoding {
                DisplayEncoding::Gbk => text.replace('🙂', ""),
                _ => text.to_string(),
            };
            // Where each character ends, in bytes.
            let mut ends = Vec::new();
            let mut at = 0;
            for c in decoded.chars() {
                at += match encoding {
                    DisplayEncoding::Gbk => encoding_rs::GBK.encode(&c.to_string()).0.len(),
                    _ => c.len_utf8(),
                };
                ends.push((at, c));
            }
            assert_eq!(at, bytes.len());
            let seq = store.push_rx(SystemTime::now(), peer(), Bytes::from(bytes.clone()));
            // A record that ends its stream's text: nothing carries on.
            store.push_tx(SystemTime::now(), peer(), Bytes::from_static(b"."));
            for b in [4, 8, 16] {
                let st = RowStyle {
                    encoding,
                    ..style(View::Both, b)
                };
                let rows = st.render(&store, seq);
                assert_eq!(rows.len(), bytes.len().div_ceil(b), "{encoding:?} b={b}");
                assert_eq!(rows.len() as u32, st.rows_of(store.get(seq).unwrap()));
                for (i, (row, chunk)) in rows.iter().zip(bytes.chunks(b)).enumerate() {
                    let (hex, beside) = row.split_once("| ").unwrap();
                    assert_eq!(hex.len(), b * 3 + 2, "padded: {row:?}");
                    assert_eq!(hex.trim_end(), crate::codec::to_hex(chunk), "{row:?}");
                    let want: String = ends
                        .iter()
                        .filter(|(end, _)| (end - 1) / b == i)
                        .map(|(_, c)| *c)
                        .collect();
                    assert_eq!(beside, st.visible(&want), "{encoding:?} b={b} row {i}");
                }
            }
        }
    }

    #[test]
    fn added_bytes_end_the_last_row_in_every_view() {
        let mut store = RecordStore::new(StoreConfig::default());
        let seq = store.push_tx_added(
            SystemTime::now(),
            peer(),
            Bytes::from(&b"01234567\r\n\x84\x0A"[..]),
            4,
        );
        let record = store.get(seq).unwrap();
        assert_eq!(record.typed(), b"01234567");
        assert_eq!(record.added_bytes(), b"\r\n\x84\x0A");
        for view in [View::Text, View::Hex, View::Both] {
            let st = style(view, 4);
            let rows = st.render(&store, seq);
            assert_eq!(rows.len() as u32, st.rows_of(record), "{view:?}");
            let last = rows.last().unwrap();
            assert!(last.ends_with("  «+0D 0A 84 0A»"), "{view:?}: {rows:?}");
            assert!(!rows[0].contains("0D"), "{view:?}: {rows:?}");
        }
        assert_eq!(
            style(View::Text, 16).render(&store, seq),
            ["01234567  «+0D 0A 84 0A»"]
        );
        // Only added bytes: one row with the marker.
        let seq = store.push_tx_added(SystemTime::now(), peer(), Bytes::from_static(b"\r\n"), 2);
        assert_eq!(style(View::Text, 16).render(&store, seq), ["  «+0D 0A»"]);
    }

    #[test]
    fn a_send_with_added_bytes_finishes_its_last_character() {
        let mut store = RecordStore::new(StoreConfig::default());
        let ni = "你".as_bytes();
        // Typed text ending mid-character, then a checksum: nothing later
        // continues that character, so it shows unfinished in every view.
        let send = [b"ab", &ni[..2], &[0x30]].concat();
        let a = store.push_tx_added(SystemTime::now(), peer(), Bytes::from(send), 1);
        store.push_tx(SystemTime::now(), peer(), Bytes::from_static(b"x"));
        assert_eq!(
            style(View::Text, 16).render(&store, a),
            ["ab\u{FFFD}  «+30»"]
        );
        let both = style(View::Both, 16).render(&store, a);
        assert!(both[0].ends_with("| ab\u{FFFD}  «+30»"), "{both:?}");
        // A send of added bytes only shows the character its stream left
        // unfinished before it, instead of losing it.
        let b = store.push_tx(SystemTime::now(), peer(), Bytes::copy_from_slice(&ni[..2]));
        let c = store.push_tx_added(SystemTime::now(), peer(), Bytes::from_static(b"\r\n"), 2);
        assert_eq!(style(View::Text, 16).render(&store, b), [""]);
        assert_eq!(
            style(View::Text, 16).render(&store, c),
            ["\u{FFFD}  «+0D 0A»"]
        );
        let both = style(View::Both, 16).render(&store, c);
        assert!(both[0].ends_with("| \u{FFFD}  «+0D 0A»"), "{both:?}");
        assert_eq!(style(View::Hex, 16).render(&store, c), ["  «+0D 0A»"]);
    }

    #[test]
    fn rows_show_the_bytes_auto_leaves_to_no_other_record() {
        // Found by fuzzing (rows target): with Auto, a record shown as GBK
        // that ends in 81 30 (the start of a four-byte character), then a
        // record shown as UTF-8, which continues no character from it. Its
        // text shows those bytes; its hex-and-text rows, and the rows of a
        // record over RENDER_WHOLE, left them out.
        let unit = b"\r\0\0\xC3\n\x81\x30";
        for repeat in [1, RENDER_WHOLE / unit.len() + 1] {
            let mut store = RecordStore::new(StoreConfig::default());
            let bytes = unit.repeat(repeat);
            let a = store.push_rx(SystemTime::now(), peer(), Bytes::from(bytes));
            store.push_rx(SystemTime::now(), peer(), Bytes::from_static(b"x"));
            let auto = DisplayEncoding::Auto;
            assert_eq!(store.chosen_encoding(a, auto), Some(TextEncoding::Gbk));
            let text = store.text(a, auto);
            assert!(text.ends_with("\n\u{FFFD}"));
            for view in [View::Text, View::Both] {
                let st = RowStyle {
                    encoding: auto,
                    ..style(view, 16)
                };
                let rows = st.render(&store, a);
                let n = rows.len() as u32;
                assert_eq!(st.render_range(&store, a, 0..n), rows, "{view:?} {repeat}");
                let shown: String = match view {
                    View::Text => rows.concat(),
                    _ => rows
                        .iter()
                        .filter_map(|r| r.split_once("| "))
                        .map(|(_, t)| t)
                        .collect(),
                };
                assert!(shown == st.visible(&text), "{view:?} {repeat}");
            }
        }
    }

    #[test]
    fn a_large_record_renders_any_rows_as_the_whole_render_does() {
        let mut store = RecordStore::new(StoreConfig::default());
        // Over RENDER_WHOLE, with UTF-8 and GBK lines, a long line, control
        // bytes, and a character split from the record before.
        let mut big = Vec::new();
        let mut i = 0;
        while big.len() <= RENDER_WHOLE + 5000 {
            big.extend_from_slice(format!("{i:05} 数据 data\x01\t\r\n").as_bytes());
            if i % 97 == 0 {
                big.extend_from_slice(&vec![b'z'; 700]);
                big.push(b'\n');
            }
            i += 1;
        }
        let utf8 = "好".as_bytes();
        store.push_rx(
            SystemTime::now(),
            peer(),
            Bytes::copy_from_slice(&utf8[..1]),
        );
        let mut second = utf8[1..].to_vec();
        second.extend_from_slice(&big);
        second.extend_from_slice(&utf8[..2]);
        let seq = store.push_rx(SystemTime::now(), peer(), Bytes::from(second));
        let tx = store.push_tx_added(SystemTime::now(), peer(), Bytes::from(big.clone()), 2);
        // One long line of plain ASCII (a flood of one byte), then a short one.
        let mut flood = vec![b'Z'; RENDER_WHOLE * 3 + 17];
        flood.extend_from_slice(b"\nend");
        let plain = store.push_tx(SystemTime::now(), peer(), Bytes::from(flood));
        for view in [View::Text, View::Both, View::Hex] {
            for b in [7, 8, 16, 64] {
                for show_control in [false, true] {
                    let st = RowStyle {
                        show_control,
                        ..style(view, b)
                    };
                    for s in [seq, tx, plain] {
                        let whole = st.render(&store, s);
                        let n = whole.len() as u32;
                        assert_eq!(n, st.rows_of(store.get(s).unwrap()));
                        for range in [0..5, 3..40, n / 2..n / 2 + 30, n - 10..n + 5, 0..n] {
                            let got = st.render_range(&store, s, range.clone());
                            let end = (range.end as usize).min(whole.len());
                            let start = (range.start as usize).min(end);
                            assert_eq!(got, whole[start..end], "{view:?} b={b} {range:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn gbk_text_rows() {
        let mut store = RecordStore::new(StoreConfig::default());
        let (gbk, _, _) = encoding_rs::GBK.encode("你好世界");
        let seq = store.push_rx(SystemTime::now(), peer(), Bytes::from(gbk.into_owned()));
        let st = RowStyle {
            encoding: DisplayEncoding::Gbk,
            ..style(View::Text, 4)
        };
        assert_eq!(st.render(&store, seq), vec!["你好", "世界"]);
    }
}
