//! The receive log: one row per record (long records split into several),
//! virtualised so a million records cost no more per frame than a hundred.
//! Only the visible rows are decoded and laid out.

use std::time::{Duration, Instant};

use egui::{Color32, TextStyle, Ui};

use crate::codec::DisplayEncoding;
use crate::i18n::{Lang, T, fill};
use crate::net::{EndHow, FaultEvent};
use crate::records::{
    Direction, DropWhy, Note, Record, RecordStore, RoundTrips, RowIndex, RowStyle, Side, View,
    added_marker, short_duration,
};
use crate::session::SessionLog;
use crate::session::search::{Found, Query, find_ignore_ascii_case};
use crate::settings::SessionSettings;
use crate::teach::explain;
use crate::ui::explained::{ExplainLines, Line};
use crate::ui::view::{FindUi, ROW_CHUNK, RowKey, TabUi};

/// Width kept for the peer column (an IPv4 address and port).
const PEER_COLS: usize = 21;

/// Longest a frame spends indexing new records; a huge log is indexed over
/// several frames and the view shows what is indexed so far.
const INDEX_BUDGET: Duration = Duration::from_millis(8);

/// Width kept for the log's vertical scroll bar, in points.
const SCROLLBAR_ROOM: f32 = 20.0;

/// Brings the rows of the log up to date in the style `wanted`, within
/// `deadline`; true when they cover every record held.
///
/// A new width alone (bytes per row) is counted beside the rows drawn: the
/// log stays drawn in its old width until the new count has caught up, so a
/// resize never shows a log counted only in part (counting a million records
/// takes several frames). A new view, encoding or filter is shown at once,
/// its rows counted over the frames that follow as before.
fn sync_rows(
    tab: &mut TabUi,
    store: &RecordStore,
    wanted: RowStyle,
    deadline: Option<Instant>,
) -> bool {
    let filter = &tab.filter.filter;
    let width_only = RowStyle {
        bytes_per_row: tab.style.bytes_per_row,
        ..wanted
    } == tab.style;
    if !width_only {
        tab.restyled = None;
        tab.style = wanted;
        return tab.rows.sync_until(store, &tab.style, filter, deadline);
    }
    let shown = tab.rows.sync_until(store, &tab.style, filter, deadline);
    if wanted == tab.style || !shown {
        // Nothing to count beside, or no complete count to keep drawing.
        tab.restyled = None;
        if wanted == tab.style {
            return shown;
        }
        tab.style = wanted;
        return tab.rows.sync_until(store, &tab.style, filter, deadline);
    }
    let next = tab.restyled.get_or_insert_with(RowIndex::new);
    if next.sync_until(store, &wanted, filter, deadline) {
        tab.rows = std::mem::take(next);
        tab.restyled = None;
        tab.style = wanted;
        return true;
    }
    false
}

/// Draws the log of `log` (locked by the caller for this call only).
pub fn show(ui: &mut Ui, s: &SessionSettings, lang: Lang, tab: &mut TabUi, log: &SessionLog) {
    let store = log.store();
    let deadline = Some(Instant::now() + INDEX_BUDGET);
    let font = TextStyle::Monospace.resolve(ui.style());
    let (char_w, row_h) = ui.fonts_mut(|f| {
        let w = f.glyph_width(&font, '0');
        let h = f
            .layout_no_wrap("0你␊".to_string(), font.clone(), Color32::WHITE)
            .size()
            .y;
        (w, h)
    });
    // The width is known before any row is laid out: the style follows it
    // in this frame.
    let wanted = style_for_width(s, ui.available_width() - SCROLLBAR_ROOM, char_w);
    let caught_up = sync_rows(tab, store, wanted, deadline);
    let timed = !s.show_rtt || tab.round_trips.sync_until(store, deadline);
    if !caught_up || !timed {
        ui.ctx().request_repaint();
    }
    if tab.paused_at.is_some() {
        ui.colored_label(ui.visuals().warn_fg_color, T::Paused.get(lang));
    }
    let total = match tab.paused_at {
        Some(end) => tab.rows.rows_before(end),
        None => tab.rows.rows(),
    };
    let cols = ((ui.available_width() - SCROLLBAR_ROOM) / char_w.max(1.0)).max(0.0) as usize;
    let explained = ExplainLines::new(&tab.expanded, store, &tab.rows, tab.paused_at, cols, lang);
    let rows = usize::try_from(total + explained.extra()).unwrap_or(usize::MAX);
    let jump_to = if std::mem::take(&mut tab.find.jump) {
        tab.find
            .current
            .and_then(|seq| tab.rows.row_of(seq))
            .map(|row| explained.display_row(row))
    } else {
        None
    };
    let mut area = egui::ScrollArea::both()
        .id_salt("log")
        .auto_shrink([false, false])
        .stick_to_bottom(s.auto_scroll && tab.paused_at.is_none() && jump_to.is_none());
    if let Some(row) = jump_to {
        let spaced = row_h + ui.spacing().item_spacing.y;
        let above = (ui.available_height() / 2.0).max(0.0);
        area = area.vertical_scroll_offset((row as f32 * spaced - above).max(0.0));
    }
    let marks = Marks::new(&tab.find);
    let mut only_peer = None;
    let mut toggled = None;
    let style = tab.style;
    let index = &tab.rows;
    let trips = &tab.round_trips;
    let cache = &mut tab.rendered;
    let expanded = &tab.expanded;
    area.show_rows(ui, row_h, rows, |ui, range| {
        let mut current: Option<(BlockId, Rows)> = None;
        for row in range {
            let index_row = match explained.line(row as u64) {
                Line::Record(r) => r,
                Line::Explain(text) => {
                    if draw_explain_line(ui, text) {
                        toggled = index.locate(explained_owner(&explained, row as u64));
                    }
                    continue;
                }
            };
            let Some((seq, sub)) = index.locate(index_row) else {
                break;
            };
            let Some(record) = store.get(seq) else {
                break;
            };
            let chunk = sub / ROW_CHUNK;
            if current.as_ref().is_none_or(|(c, _)| *c != (seq, chunk)) {
                let key = RowKey {
                    seq,
                    len: record.bytes.len(),
                    head: store.is_newest_of_stream(seq),
                    style,
                    chunk,
                };
                let rows = chunk * ROW_CHUNK..(chunk + 1) * ROW_CHUNK;
                let made = cache.get(key, || style.render_range(store, seq, rows));
                current = Some(((seq, chunk), made));
            }
            let payload = current
                .as_ref()
                .and_then(|(_, rows)| rows.get((sub % ROW_CHUNK) as usize))
                .map(String::as_str)
                .unwrap_or("");
            let row = Row {
                record,
                sub,
                payload,
                expanded: expanded.contains(seq),
            };
            match draw_row(ui, s, lang, (store, trips), &row, &marks) {
                Some(RowClick::OnlyPeer(peer)) => only_peer = Some(peer),
                Some(RowClick::Explain) => toggled = Some((seq, 0)),
                None => {}
            }
        }
    });
    drop(marks);
    if only_peer.is_some() {
        tab.filter.filter.peer = only_peer;
    }
    if let Some((seq, _)) = toggled {
        tab.expanded.toggle(seq);
    }
}

/// The record row whose explanation holds display row `row`.
fn explained_owner(lines: &ExplainLines, row: u64) -> u64 {
    let mut r = row;
    while r > 0 {
        r -= 1;
        if let Line::Record(index_row) = lines.line(r) {
            return index_row;
        }
    }
    0
}

/// Draws one line of an explanation; true when it was clicked (which
/// folds the explanation).
fn draw_explain_line(ui: &mut Ui, text: &str) -> bool {
    let color = ui.visuals().weak_text_color();
    let label = egui::Label::new(egui::RichText::new(text).monospace().italics().color(color))
        .wrap_mode(egui::TextWrapMode::Extend)
        .selectable(false)
        .sense(egui::Sense::click());
    ui.add(label).clicked()
}

/// What the find bar marks in the rows: the records with a match, the
/// current one, and the needle as it appears in text and in hex.
struct Marks<'a> {
    found: Option<std::sync::MutexGuard<'a, Found>>,
    current: Option<u64>,
    needles: Vec<String>,
}

impl Marks<'_> {
    fn new(find: &FindUi) -> Marks<'_> {
        let needles = match &find.running {
            Some((Query::Text(t), _)) => vec![t.clone()],
            Some((Query::Bytes(b), _)) => vec![crate::codec::to_hex(b)],
            None => Vec::new(),
        };
        // Held while the rows are drawn; the search thread adds to it only
        // between slices of its own work.
        let found = find.search.as_ref().map(|s| s.found());
        Marks {
            found,
            current: find.current,
            needles,
        }
    }

    fn is_match(&self, seq: u64) -> bool {
        self.found.as_ref().is_some_and(|f| f.seqs.contains(&seq)) || self.current == Some(seq)
    }
}

/// A record's seq and a block of its rows.
type BlockId = (u64, u32);
/// Rendered rows, shared with the cache.
type Rows = std::sync::Arc<Vec<String>>;

/// One display row of a record.
struct Row<'a> {
    record: &'a Record,
    sub: u32,
    payload: &'a str,
    /// Its explanation is shown below it.
    expanded: bool,
}

/// What a click on a row asked for.
enum RowClick {
    /// Show only this peer's rows.
    OnlyPeer(std::net::SocketAddr),
    /// Show or hide the row's explanation.
    Explain,
}

/// The style that fits `width` pixels of monospace text.
pub fn style_for_width(s: &SessionSettings, width: f32, char_w: f32) -> RowStyle {
    let cols = (width / char_w.max(1.0)).max(0.0) as usize;
    let payload = cols.saturating_sub(meta_cols(s)).max(16);
    let bytes_per_row = match s.view {
        View::Text => (payload / 4 * 4).max(16),
        View::Hex => (payload / 3 / 4 * 4).max(4),
        View::Both => both_bytes_per_row(cols.saturating_sub(meta_cols(s))),
    };
    RowStyle {
        view: s.view,
        bytes_per_row,
        encoding: s.encoding,
        show_control: s.show_control,
    }
}

/// Bytes per "Text + hex" row, as a hex editor chooses them: 16 when a
/// whole 16-byte row fits in `payload` columns (after the columns before
/// it), else 8, or 4 when not even 8 fit.
pub fn both_bytes_per_row(payload: usize) -> usize {
    [16, 8]
        .into_iter()
        .find(|&b| both_cols(b) <= payload)
        .unwrap_or(4)
}

/// Columns of a "Text + hex" row of `b` bytes after the columns before it:
/// the hex pairs (padded to `b` pairs), `  | `, and a column per byte of
/// text (an ASCII character; a wider character takes more than one byte).
pub fn both_cols(b: usize) -> usize {
    b * 3 + 4 + b
}

/// Columns before the payload on a record's first row (the rows that
/// continue it keep them blank).
pub fn meta_cols(s: &SessionSettings) -> usize {
    let mut n = 3; // direction and a space
    if s.timestamps {
        n += 13;
    }
    if s.show_delta {
        n += DELTA_COLS + 1;
    }
    if s.show_rtt {
        n += RTT_COLS + 1;
    }
    if s.show_peer {
        n += PEER_COLS + 1 + 8;
    }
    if shows_chosen_encoding(s) {
        n += ENCODING_COLS;
    }
    if s.mode.is_ws() {
        n += WS_COLS;
    }
    n
}

/// Width of a WebSocket tab's column: the message's kind and, when it
/// came in several frames, how many (`binary 3 frames`).
const WS_COLS: usize = 16;

/// A WebSocket message's kind and frames, for its row.
fn ws_column(record: &Record, lang: Lang) -> String {
    let Some(m) = record.message else {
        return String::new();
    };
    let kind = match m.kind {
        crate::net::ws::MessageKind::Text => T::WsText.get(lang),
        crate::net::ws::MessageKind::Binary => T::WsBinary.get(lang),
    };
    if m.frames > 1 {
        format!("{kind} {}", fill(T::WsFrames.get(lang), &[&m.frames]))
    } else {
        kind.to_string()
    }
}

/// Width of the Δt column (`+999.999ms`).
const DELTA_COLS: usize = 10;

/// Width of the RTT column (`RTT 999.999ms`).
const RTT_COLS: usize = 13;

/// Width of the column that says which encoding Auto chose.
const ENCODING_COLS: usize = 6;

/// With Auto, each text row says which encoding was used, so GBK/UTF-8
/// confusion is visible at a glance.
fn shows_chosen_encoding(s: &SessionSettings) -> bool {
    s.encoding == DisplayEncoding::Auto && s.view != View::Hex
}

/// The columns before the payload on a record's first row.
fn meta(
    s: &SessionSettings,
    lang: Lang,
    (store, trips): (&RecordStore, &RoundTrips),
    record: &Record,
) -> String {
    let mut m = String::with_capacity(48);
    if s.timestamps {
        let t: chrono::DateTime<chrono::Local> = record.time.into();
        m.push_str(&t.format("%H:%M:%S%.3f ").to_string());
    }
    if s.show_delta {
        let since = record
            .seq
            .checked_sub(1)
            .and_then(|p| store.get(p))
            .and_then(|p| record.time.duration_since(p.time).ok())
            .map(|d| format!("+{}", short_duration(d)))
            .unwrap_or_default();
        m.push_str(&format!("{since:>DELTA_COLS$} "));
    }
    if s.show_rtt {
        let rtt = record
            .dir
            .answers()
            .then(|| trips.rtt(record.seq))
            .flatten()
            .map(|d| fill(T::RttTag.get(lang), &[&short_duration(d)]))
            .unwrap_or_default();
        m.push_str(&format!("{rtt:<RTT_COLS$} "));
    }
    m.push_str(record.dir.label());
    m.push(' ');
    if s.show_peer {
        let peer = record.peer.map(|p| p.to_string()).unwrap_or_default();
        let mut peer: String = peer.chars().take(PEER_COLS).collect();
        while peer.chars().count() < PEER_COLS {
            peer.push(' ');
        }
        m.push_str(&peer);
        if record.dir == Direction::Event {
            m.push(' ');
        } else {
            m.push_str(&format!(" {:>6}B ", record.bytes.len()));
        }
    }
    if record.dir == Direction::Event {
        // An event's words start here: the byte count, encoding and
        // message columns are a data row's, and a narrow log would cut
        // the words off.
        return m;
    }
    if shows_chosen_encoding(s) {
        let chosen = match store.chosen_encoding(record.seq, s.encoding) {
            Some(enc) if !record.bytes.is_empty() => enc.label(),
            _ => "",
        };
        m.push_str(&format!("{chosen:<width$}", width = ENCODING_COLS));
    }
    if s.mode.is_ws() {
        let ws = ws_column(record, lang);
        // CJK characters take two columns each.
        let used: usize = ws.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
        m.push_str(&ws);
        m.push_str(&" ".repeat(WS_COLS.saturating_sub(used)));
    }
    m
}

/// An event record in words.
pub fn note_text(note: &Note, lang: Lang) -> String {
    let t = |k: T| k.get(lang);
    match note {
        Note::Ws(event) => crate::records::ws_event_text(event, lang),
        Note::WsKnocking => t(T::EvWsKnocking).to_string(),
        Note::Opened { local, .. } => fill(t(T::EvOpened), &[local]),
        Note::Connected { .. } => t(T::EvConnected).to_string(),
        Note::PeerFinished => t(T::EvPeerFinished).to_string(),
        Note::ClosedByPeer => t(T::EvClosedByPeer).to_string(),
        Note::Reset => t(T::EvReset).to_string(),
        Note::Disconnected => t(T::EvDisconnected).to_string(),
        Note::WeFinished => t(T::EvWeFinished).to_string(),
        Note::EncodingHint { shown, sent } => fill(
            t(T::EvEncodingHint),
            &[&shown.label(), &sent.label(), &shown.label()],
        ),
        Note::Error { message } => fill(t(T::EvError), &[message]),
        Note::Failure(err) => fill(
            t(T::EvError),
            &[&crate::messages::net_error_text(err, lang)],
        ),
        Note::Joined(m) => fill(t(T::EvJoined), &[m]),
        Note::Left(m) => fill(t(T::EvLeft), &[m]),
        Note::RuleFailed { rule, name, reason } => {
            let rule = if name.is_empty() {
                rule.to_string()
            } else {
                format!("{rule} ({name})")
            };
            fill(t(T::EvRuleFailed), &[&rule, reason])
        }
        Note::RepliesDropped { count, bytes, why } => {
            let key = match why {
                DropWhy::PeerGone => T::EvDroppedPeerGone,
                DropWhy::TooMany => T::EvDroppedTooMany,
                DropWhy::TooManyBytes => T::EvDroppedTooManyBytes,
                DropWhy::WeFinished => T::EvDroppedWeFinished,
            };
            fill(t(key), &[count, bytes])
        }
        Note::ReceiveBuffer { asked, granted } => fill(t(T::EvReceiveBuffer), &[granted, asked]),
        Note::Closed => t(T::EvClosed).to_string(),
        Note::TlsServerReady { .. }
        | Note::TlsEstablished(_)
        | Note::TlsFailed(_)
        | Note::ServerTlsFailed { .. }
        | Note::TlsHelloOnPlain => crate::messages::tls_note_text(note, lang),
        Note::ServerConnected { server, local } => fill(t(T::EvServerConnected), &[server, local]),
        Note::ServerUnreachable(err) => fill(
            t(T::EvServerUnreachable),
            &[&crate::messages::net_error_text(err, lang)],
        ),
        Note::RelayFinished(Side::Client) => t(T::EvRelayFinClient).to_string(),
        Note::RelayFinished(Side::Server) => t(T::EvRelayFinServer).to_string(),
        Note::RelayReset(Side::Client) => t(T::EvRelayResetClient).to_string(),
        Note::RelayReset(Side::Server) => t(T::EvRelayResetServer).to_string(),
        Note::Rewritten {
            flow,
            rules,
            matches,
            original,
            forwarded,
            preview,
        } => fill(
            t(T::EvRewritten),
            &[
                &flow.arrow(),
                &crate::records::rule_list(rules),
                matches,
                original,
                forwarded,
                preview,
            ],
        ),
        Note::RewriteFailed {
            flow,
            rule,
            name,
            reason,
        } => {
            let rule = if name.is_empty() {
                rule.to_string()
            } else {
                format!("{rule} ({name})")
            };
            fill(t(T::EvRewriteFailed), &[&flow.arrow(), &rule, reason])
        }
        Note::LoadStarted(_)
        | Note::LoadExchange { .. }
        | Note::LoadFailed { .. }
        | Note::LoadFinished { .. } => crate::ui::load::note_text(note, lang),
        Note::Fault { flow, fault } => {
            let arrow = flow.arrow();
            match fault {
                FaultEvent::Sliced { pieces, max } => {
                    fill(t(T::EvFaultSliced), &[&arrow, pieces, max])
                }
                FaultEvent::Ended { after, how } => {
                    let key = match how {
                        EndHow::Close => T::EvFaultClosed,
                        EndHow::Reset => T::EvFaultReset,
                        EndHow::Blackhole => T::EvFaultBlackhole,
                    };
                    fill(t(key), &[&arrow, after])
                }
                FaultEvent::Dropped { count } => fill(t(T::EvFaultDropped), &[&arrow, count]),
                FaultEvent::Duplicated { count } => fill(t(T::EvFaultDuplicated), &[&arrow, count]),
                FaultEvent::Reordered { count } => fill(t(T::EvFaultReordered), &[&arrow, count]),
            }
        }
    }
}

/// The colour of the bytes NetAssist added to a send.
fn added_color(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(0xD8, 0x9C, 0xF6)
    } else {
        Color32::from_rgb(0x8E, 0x24, 0xAA)
    }
}

fn row_color(ui: &Ui, record: &Record) -> Color32 {
    let dark = ui.visuals().dark_mode;
    match (record.dir, record.note.as_deref()) {
        (Direction::Rx | Direction::Up, _) => ui.visuals().text_color(),
        (Direction::Down, _) if dark => Color32::from_rgb(0x7F, 0xD0, 0x8C),
        (Direction::Down, _) => Color32::from_rgb(0x1B, 0x7A, 0x35),
        (Direction::Tx, _) if dark => Color32::from_rgb(0x6C, 0xB4, 0xEE),
        (Direction::Tx, _) => Color32::from_rgb(0x15, 0x65, 0xC0),
        (
            Direction::Event,
            Some(
                Note::Error { .. }
                | Note::Failure(_)
                | Note::Reset
                | Note::RelayReset(_)
                | Note::LoadFailed { .. }
                | Note::ServerUnreachable(_),
            ),
        ) => ui.visuals().error_fg_color,
        (Direction::Event, _) => ui.visuals().weak_text_color(),
    }
}

/// Draws one row; returns what a click on it asked for.
fn draw_row(
    ui: &mut Ui,
    s: &SessionSettings,
    lang: Lang,
    (store, trips): (&RecordStore, &RoundTrips),
    row: &Row<'_>,
    marks: &Marks<'_>,
) -> Option<RowClick> {
    let record = row.record;
    let head = meta(s, lang, (store, trips), record);
    let (head, payload) = if row.sub == 0 {
        match record.note.as_deref() {
            Some(note) => (head, note_text(note, lang)),
            None => (head, row.payload.to_string()),
        }
    } else {
        (" ".repeat(head.chars().count()), row.payload.to_string())
    };
    let color = row_color(ui, record);
    let font = TextStyle::Monospace.resolve(ui.style());
    let matched = marks.is_match(record.seq);
    let background = match (matched, marks.current == Some(record.seq)) {
        (_, true) => ui.visuals().selection.bg_fill,
        (true, false) => ui.visuals().faint_bg_color,
        _ => Color32::TRANSPARENT,
    };
    let plain = egui::TextFormat {
        font_id: font.clone(),
        color,
        background,
        ..Default::default()
    };
    let mut job = egui::text::LayoutJob::default();
    job.append(&head, 0.0, plain.clone());
    let hit = egui::TextFormat {
        background: ui.visuals().warn_fg_color.gamma_multiply(0.45),
        ..plain.clone()
    };
    // What NetAssist added to a send (line ending, checksum) ends the last
    // row as «+0D 0A», in its own colour, apart from what was typed.
    let marker = (record.added > 0).then(|| added_marker(record.added_bytes()));
    let (typed, added) = match &marker {
        Some(m) if payload.ends_with(m.as_str()) => payload.split_at(payload.len() - m.len()),
        _ => (payload.as_str(), ""),
    };
    append_marked(&mut job, typed, &marks.needles, matched, &plain, &hit);
    if !added.is_empty() {
        let tail = egui::TextFormat {
            color: added_color(ui),
            italics: true,
            ..plain.clone()
        };
        job.append(added, 0.0, tail);
    }
    let note = record.note.as_deref().filter(|_| row.sub == 0);
    let mut label = egui::Label::new(job).wrap_mode(egui::TextWrapMode::Extend);
    if note.is_some() {
        // An event row explains itself on hover, and below it when clicked.
        label = label.selectable(false).sense(egui::Sense::click());
    }
    let mut response = ui.add(label);
    let mut only = None;
    if let Some(note) = note {
        if response.clicked() {
            only = Some(RowClick::Explain);
        }
        if !row.expanded {
            let ex = explain::note(note);
            response =
                response.on_hover_text(format!("{}\n{}", ex.text(lang), T::ExClick.get(lang)));
        }
    }
    response.context_menu(|ui| {
        if ui.button(T::CopyText.get(lang)).clicked() {
            ui.ctx().copy_text(store.text(record.seq, s.encoding));
            ui.close();
        }
        if ui.button(T::CopyHex.get(lang)).clicked() {
            ui.ctx().copy_text(store.hex(record.seq));
            ui.close();
        }
        if let Some(peer) = record.peer
            && ui.button(T::OnlyThisPeer.get(lang)).clicked()
        {
            only = Some(RowClick::OnlyPeer(peer));
            ui.close();
        }
    });
    only
}

/// Appends `text`, with each occurrence of a needle (ignoring ASCII case)
/// in the `hit` format when the row's record is a match.
fn append_marked(
    job: &mut egui::text::LayoutJob,
    text: &str,
    needles: &[String],
    matched: bool,
    plain: &egui::TextFormat,
    hit: &egui::TextFormat,
) {
    let mut at = 0;
    if matched {
        while let Some((start, len)) = needles
            .iter()
            .filter_map(|n| find_ignore_ascii_case(text, n, at).map(|i| (i, n.len())))
            .min()
        {
            job.append(&text[at..start], 0.0, plain.clone());
            job.append(&text[start..start + len], 0.0, hit.clone());
            at = start + len;
        }
    }
    job.append(&text[at..], 0.0, plain.clone());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_hex_rows_take_16_or_8_bytes_as_the_width_allows() {
        // The default columns (time, direction, peer and size, the encoding
        // Auto chose) take 52; a 16-byte row 68 more, an 8-byte row 36.
        let mut s = SessionSettings {
            view: View::Both,
            ..SessionSettings::default()
        };
        assert_eq!(meta_cols(&s), 52);
        assert_eq!((both_cols(16), both_cols(8)), (68, 36));
        let at = |s: &SessionSettings, cols: usize| style_for_width(s, cols as f32, 1.0);
        for (cols, b) in [
            (0, 4),
            (87, 4),
            (88, 8),
            (100, 8),
            (119, 8),
            (120, 16),
            (400, 16),
        ] {
            assert_eq!(at(&s, cols).bytes_per_row, b, "{cols} columns");
        }
        // More columns before the payload need a wider log.
        s.show_delta = true;
        s.show_rtt = true;
        assert_eq!(at(&s, 120).bytes_per_row, 8);
        assert_eq!(at(&s, 145).bytes_per_row, 16);
        // The text and hex views keep their own widths.
        s.view = View::Hex;
        assert_eq!(at(&s, 200).bytes_per_row, 40);
    }
}
