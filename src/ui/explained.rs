//! Explained event rows in the log: an event or error row the user clicked
//! shows its explanation ("why this happens / what to do") on the lines
//! below it. The log stays virtualised: the explanation lines are extra
//! display rows, placed by a short list of the expanded records, so a
//! million rows with a few expanded cost the same per frame as without.

use crate::i18n::Lang;
use crate::records::{RecordStore, RowIndex};
use crate::teach::explain;

/// Most rows expanded at once; expanding another folds the oldest.
pub const MAX_EXPANDED: usize = 32;

/// Columns the explanation lines are indented by.
const INDENT: usize = 4;

/// The records whose explanations are shown, oldest expansion first.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Expanded {
    seqs: Vec<u64>,
}

impl Expanded {
    /// Shows or hides the explanation under record `seq`.
    pub fn toggle(&mut self, seq: u64) {
        if let Some(i) = self.seqs.iter().position(|&s| s == seq) {
            self.seqs.remove(i);
            return;
        }
        self.seqs.push(seq);
        if self.seqs.len() > MAX_EXPANDED {
            self.seqs.remove(0);
        }
    }

    /// Whether record `seq` shows its explanation.
    pub fn contains(&self, seq: u64) -> bool {
        self.seqs.contains(&seq)
    }
}

/// The explanation lines of the expanded rows in view, by where they go.
#[derive(Debug, Default)]
pub struct ExplainLines {
    /// (display row index of the record's row, among the record rows;
    /// its lines), in row order.
    at: Vec<(u64, Vec<String>)>,
}

/// What one display row of the log shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// A row of the record index.
    Record(u64),
    /// A line of the explanation of the record above.
    Explain(&'a str),
}

impl ExplainLines {
    /// The lines of every expanded event record that takes a row of
    /// `rows` before `end` (the paused view's end, if any), wrapped to
    /// `cols` columns, in `lang`.
    pub fn new(
        expanded: &Expanded,
        store: &RecordStore,
        rows: &RowIndex,
        end: Option<u64>,
        cols: usize,
        lang: Lang,
    ) -> ExplainLines {
        let mut at: Vec<(u64, Vec<String>)> = expanded
            .seqs
            .iter()
            .filter(|&&seq| end.is_none_or(|e| seq < e))
            .filter_map(|&seq| {
                let note = store.get(seq)?.note.as_deref()?;
                let row = rows.row_of(seq)?;
                // A record hidden by the filter takes no row.
                if rows.rows_before(seq + 1) == row {
                    return None;
                }
                let ex = explain::note(note);
                let width = cols.saturating_sub(INDENT).max(20);
                let mut lines = Vec::new();
                // A handshake row also shows the peer's whole chain.
                let chain = crate::messages::tls_chain_lines(note, lang);
                for text in [ex.why_line(lang), ex.fix_line(lang)]
                    .into_iter()
                    .chain(chain)
                {
                    for piece in wrap(&text, width) {
                        lines.push(format!("{:INDENT$}{piece}", ""));
                    }
                }
                Some((row, lines))
            })
            .collect();
        at.sort_by_key(|(row, _)| *row);
        ExplainLines { at }
    }

    /// Extra display rows.
    pub fn extra(&self) -> u64 {
        self.at.iter().map(|(_, l)| l.len() as u64).sum()
    }

    /// What display row `row` shows.
    pub fn line(&self, row: u64) -> Line<'_> {
        let mut shift = 0u64;
        for (at, lines) in &self.at {
            if row <= at + shift {
                break;
            }
            let k = row - at - shift - 1;
            if let Some(line) = usize::try_from(k).ok().and_then(|k| lines.get(k)) {
                return Line::Explain(line);
            }
            shift += lines.len() as u64;
        }
        Line::Record(row - shift)
    }

    /// The display row of record row `row`.
    pub fn display_row(&self, row: u64) -> u64 {
        row + self
            .at
            .iter()
            .filter(|(at, _)| *at < row)
            .map(|(_, l)| l.len() as u64)
            .sum::<u64>()
    }
}

/// Splits `text` into lines of at most `cols` display columns (a CJK
/// character takes two), breaking at a space where one is near.
pub fn wrap(text: &str, cols: usize) -> Vec<String> {
    let width = |c: char| if c.is_ascii() { 1 } else { 2 };
    let cols = cols.max(4);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for c in text.chars() {
        if used + width(c) > cols {
            // Break at the last space if it is in the second half.
            let cut = line
                .rfind(' ')
                .filter(|&i| line[..i].chars().map(width).sum::<usize>() > cols / 2);
            match cut {
                Some(i) => {
                    let rest = line[i + 1..].to_string();
                    line.truncate(i);
                    lines.push(std::mem::take(&mut line));
                    line = rest;
                }
                None => lines.push(std::mem::take(&mut line)),
            }
            used = line.chars().map(width).sum();
        }
        if !(line.is_empty() && c == ' ' && !lines.is_empty()) {
            line.push(c);
            used += width(c);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use bytes::Bytes;

    use super::*;
    use crate::codec::DisplayEncoding;
    use crate::records::{Note, RowStyle, View};

    #[test]
    fn wrap_keeps_every_character_within_the_width() {
        let text = "The peer called shutdown(SHUT_WR) or close() and sent a FIN: our read returned 0 bytes";
        for cols in [10, 23, 40, 200] {
            let lines = wrap(text, cols);
            assert!(lines.iter().all(|l| l.len() <= cols), "{cols}: {lines:?}");
            let joined: String = lines.join(" ");
            assert_eq!(joined.replace(' ', ""), text.replace(' ', ""));
        }
        let zh = "对方调用了 shutdown(SHUT_WR) 或 close()，发来 FIN：我方读到 0 字节";
        for line in wrap(zh, 12) {
            let w: usize = line.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
            assert!(w <= 12, "{line}");
        }
        assert_eq!(wrap("", 10), [""]);
    }

    #[test]
    fn explanation_lines_sit_under_their_rows() {
        let mut store = RecordStore::default();
        let peer = "127.0.0.1:9".parse().ok();
        let t = SystemTime::now();
        let rx = |s: &mut RecordStore| {
            s.push_rx(t, "127.0.0.1:9".parse().unwrap(), Bytes::from_static(b"x"))
        };
        rx(&mut store); // row 0
        let reset = store.push_event(t, peer, Note::Reset); // row 1
        rx(&mut store); // row 2
        let fin = store.push_event(t, peer, Note::PeerFinished); // row 3
        let style = RowStyle {
            view: View::Text,
            bytes_per_row: 16,
            encoding: DisplayEncoding::Utf8,
            show_control: false,
        };
        let mut rows = RowIndex::new();
        rows.sync(&store, &style);
        let mut expanded = Expanded::default();
        expanded.toggle(fin);
        expanded.toggle(reset);
        expanded.toggle(0); // a data row: no explanation
        let lines = ExplainLines::new(&expanded, &store, &rows, None, 400, Lang::En);
        assert_eq!(lines.extra(), 4);
        let shown: Vec<Line> = (0..8).map(|r| lines.line(r)).collect();
        assert_eq!(shown[0], Line::Record(0));
        assert_eq!(shown[1], Line::Record(1));
        assert!(matches!(shown[2], Line::Explain(l) if l.contains("Why: The peer sent an RST")));
        assert!(matches!(shown[3], Line::Explain(l) if l.contains("What to do: ")));
        assert_eq!(shown[4], Line::Record(2));
        assert_eq!(shown[5], Line::Record(3));
        assert!(matches!(shown[6], Line::Explain(l) if l.contains("b''")));
        assert_eq!(lines.display_row(3), 5);
        assert_eq!(lines.display_row(1), 1);
        // Paused before the FIN: its lines are not in view.
        let paused = ExplainLines::new(&expanded, &store, &rows, Some(fin), 400, Lang::En);
        assert_eq!(paused.extra(), 2);
        // Folding it again.
        expanded.toggle(reset);
        assert!(!expanded.contains(reset));
        let mut many = Expanded::default();
        for seq in 0..100 {
            many.toggle(seq);
        }
        assert!(!many.contains(0) && many.contains(99));
    }

    #[test]
    fn a_tls_handshake_row_shows_the_whole_chain() {
        use crate::net::tls::{CertInfo, TlsInfo, TlsVersion};
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let cert = CertInfo::from_der(made.cert.der());
        let info = TlsInfo {
            version: TlsVersion::Tls13,
            cipher_suite: "TLS13_AES_256_GCM_SHA384".into(),
            alpn: None,
            sni: None,
            peer_chain: vec![cert.clone(), cert],
        };
        let mut store = RecordStore::default();
        let peer = "127.0.0.1:9".parse().ok();
        let seq = store.push_event(
            SystemTime::now(),
            peer,
            Note::TlsEstablished(Box::new(info)),
        );
        let style = RowStyle {
            view: View::Text,
            bytes_per_row: 16,
            encoding: DisplayEncoding::Utf8,
            show_control: false,
        };
        let mut rows = RowIndex::new();
        rows.sync(&store, &style);
        let mut expanded = Expanded::default();
        expanded.toggle(seq);
        let lines = ExplainLines::new(&expanded, &store, &rows, None, 400, Lang::En);
        let shown: Vec<String> = (1..=lines.extra())
            .filter_map(|r| match lines.line(r) {
                Line::Explain(l) => Some(l.to_string()),
                Line::Record(_) => None,
            })
            .collect();
        for n in ["Chain certificate 1: ", "Chain certificate 2: "] {
            assert!(
                shown
                    .iter()
                    .any(|l| l.contains(n) && l.contains("localhost")),
                "{n} in {shown:?}"
            );
        }
    }
}
