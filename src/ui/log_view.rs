//! The receive log: one row per record (long records split into several),
//! virtualised so a million records cost no more per frame than a hundred.
//! Only the visible rows are decoded and laid out.

use egui::{Color32, RichText, TextStyle, Ui};

use crate::app::{Action, LogData, Model};
use crate::codec::DisplayEncoding;
use crate::i18n::{Lang, T, fill};
use crate::records::{Direction, Note, Record, RecordStore, RowStyle, View};
use crate::ui::settings::Settings;

/// Width kept for the peer column (an IPv4 address and port).
const PEER_COLS: usize = 21;

/// Draws the log.
pub fn show(ui: &mut Ui, model: &Model, log: &LogData, actions: &mut Vec<Action>) {
    let s = &model.settings;
    if model.paused_at.is_some() {
        ui.colored_label(ui.visuals().warn_fg_color, model.t(T::Paused));
    }
    let font = TextStyle::Monospace.resolve(ui.style());
    let (char_w, row_h) = ui.fonts_mut(|f| {
        let w = f.glyph_width(&font, '0');
        let h = f
            .layout_no_wrap("0你␊".to_string(), font.clone(), Color32::WHITE)
            .size()
            .y;
        (w, h)
    });
    let wanted = style_for_width(s, ui.available_width() - 20.0, char_w);
    if wanted != log.style {
        actions.push(Action::Restyle(wanted));
    }
    let total = match model.paused_at {
        Some(end) => log.rows.rows_before(end),
        None => log.rows.rows(),
    };
    let rows = usize::try_from(total).unwrap_or(usize::MAX);
    egui::ScrollArea::both()
        .id_salt("log")
        .auto_shrink([false, false])
        .stick_to_bottom(s.auto_scroll && model.paused_at.is_none())
        .show_rows(ui, row_h, rows, |ui, range| {
            ui.spacing_mut().item_spacing.y = ui.spacing().item_spacing.y;
            let mut current: Option<(u64, Vec<String>)> = None;
            for row in range {
                let Some((seq, sub)) = log.rows.locate(row as u64) else {
                    break;
                };
                let Some(record) = log.store.get(seq) else {
                    break;
                };
                if current.as_ref().is_none_or(|(c, _)| *c != seq) {
                    current = Some((seq, log.style.render(&log.store, seq)));
                }
                let payload = current
                    .as_ref()
                    .and_then(|(_, rows)| rows.get(sub as usize))
                    .map(String::as_str)
                    .unwrap_or("");
                draw_row(ui, s, &log.store, record, sub, payload);
            }
        });
}

/// The style that fits `width` pixels of monospace text.
pub fn style_for_width(s: &Settings, width: f32, char_w: f32) -> RowStyle {
    let cols = (width / char_w.max(1.0)).max(0.0) as usize;
    let payload = cols.saturating_sub(meta_cols(s)).max(16);
    let bytes_per_row = match s.view {
        View::Text => (payload / 4 * 4).max(16),
        View::Hex => (payload / 3 / 4 * 4).max(4),
        View::Both => (payload.saturating_sub(4) / 4 / 4 * 4).max(4),
    };
    RowStyle {
        view: s.view,
        bytes_per_row,
        encoding: s.encoding,
        show_control: s.show_control,
    }
}

fn meta_cols(s: &Settings) -> usize {
    let mut n = 3; // direction and a space
    if s.timestamps {
        n += 13;
    }
    if s.show_peer {
        n += PEER_COLS + 1 + 8;
    }
    if shows_chosen_encoding(s) {
        n += ENCODING_COLS;
    }
    n
}

/// Width of the column that says which encoding Auto chose.
const ENCODING_COLS: usize = 6;

/// With Auto, each text row says which encoding was used, so GBK/UTF-8
/// confusion is visible at a glance.
fn shows_chosen_encoding(s: &Settings) -> bool {
    s.encoding == DisplayEncoding::Auto && s.view != View::Hex
}

/// The columns before the payload on a record's first row.
fn meta(s: &Settings, store: &RecordStore, record: &Record) -> String {
    let mut m = String::with_capacity(48);
    if s.timestamps {
        let t: chrono::DateTime<chrono::Local> = record.time.into();
        m.push_str(&t.format("%H:%M:%S%.3f ").to_string());
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
            m.push_str("         ");
        } else {
            m.push_str(&format!(" {:>6}B ", record.bytes.len()));
        }
    }
    if shows_chosen_encoding(s) {
        let chosen = match store.chosen_encoding(record.seq, s.encoding) {
            Some(enc) if !record.bytes.is_empty() => enc.label(),
            _ => "",
        };
        m.push_str(&format!("{chosen:<width$}", width = ENCODING_COLS));
    }
    m
}

/// An event record in words.
pub fn note_text(note: &Note, lang: Lang) -> String {
    let t = |k: T| k.get(lang);
    match note {
        Note::Opened { local, .. } => fill(t(T::EvOpened), &[local]),
        Note::Connected { .. } => t(T::EvConnected).to_string(),
        Note::ClosedByPeer => t(T::EvClosedByPeer).to_string(),
        Note::Reset => t(T::EvReset).to_string(),
        Note::Disconnected => t(T::EvDisconnected).to_string(),
        Note::Error { message } => fill(t(T::EvError), &[message]),
        Note::Failure(err) => fill(
            t(T::EvError),
            &[&crate::ui::errors::net_error_text(err, lang)],
        ),
        Note::Closed => t(T::EvClosed).to_string(),
    }
}

fn row_color(ui: &Ui, record: &Record) -> Color32 {
    let dark = ui.visuals().dark_mode;
    match (record.dir, record.note.as_deref()) {
        (Direction::Rx, _) => ui.visuals().text_color(),
        (Direction::Tx, _) if dark => Color32::from_rgb(0x6C, 0xB4, 0xEE),
        (Direction::Tx, _) => Color32::from_rgb(0x15, 0x65, 0xC0),
        (Direction::Event, Some(Note::Error { .. } | Note::Failure(_) | Note::Reset)) => {
            ui.visuals().error_fg_color
        }
        (Direction::Event, _) => ui.visuals().weak_text_color(),
    }
}

fn draw_row(
    ui: &mut Ui,
    s: &Settings,
    store: &RecordStore,
    record: &Record,
    sub: u32,
    payload: &str,
) {
    let head = meta(s, store, record);
    let line = if sub == 0 {
        match record.note.as_deref() {
            Some(note) => format!("{head}{}", note_text(note, s.lang)),
            None => format!("{head}{payload}"),
        }
    } else {
        format!("{}{payload}", " ".repeat(head.chars().count()))
    };
    let label = egui::Label::new(RichText::new(line).monospace().color(row_color(ui, record)))
        .wrap_mode(egui::TextWrapMode::Extend);
    let response = ui.add(label);
    response.context_menu(|ui| {
        let lang = s.lang;
        if ui.button(T::CopyText.get(lang)).clicked() {
            ui.ctx().copy_text(store.text(record.seq, s.encoding));
            ui.close();
        }
        if ui.button(T::CopyHex.get(lang)).clicked() {
            ui.ctx().copy_text(store.hex(record.seq));
            ui.close();
        }
    });
}
