//! The messages view of the log: received bytes grouped into messages by
//! the framing rule the user picked, one row per message, saying how many
//! reads each came from. Raw reads stay the truth: the store is untouched,
//! and saving writes the reads as they came.
//!
//! The session's runtime does the framing on its own thread: switching the
//! rule frames everything held again, a slice at a time, so a million
//! records never freeze the window, and new data is framed as it arrives.
//! This view only draws what has been framed.

use std::borrow::Cow;

use egui::{Color32, TextStyle, Ui};

use crate::codec::{DisplayEncoding, TextEncoding, decode_lossy, is_utf8_allowing_incomplete_tail};
use crate::i18n::{Lang, T, fill};
use crate::records::{Cut, Framer, Message, Pending, RecordStore, RowStyle, View};
use crate::session::SessionLog;
use crate::settings::SessionSettings;

/// Most bytes of a message a row shows; the row says how many more.
const SHOWN_BYTES: usize = 1024;

/// Width kept for the peer column (an IPv4 address and port).
const PEER_COLS: usize = 21;

/// One row: a finished message, or one still arriving.
enum Item<'a> {
    Done(&'a Message),
    Arriving(&'a Pending),
}

/// Draws the messages of `log` (locked by the caller for this call only),
/// framed by the session as records arrive.
pub fn show(ui: &mut Ui, s: &SessionSettings, lang: Lang, style: &RowStyle, log: &SessionLog) {
    let store = log.store();
    let Some(framer) = log.framer() else {
        // The session has not taken the rule yet (it wakes the window when
        // it has): nothing is framed so far.
        if !store.is_empty() {
            let total = store.end_seq() - store.first_seq();
            ui.colored_label(
                ui.visuals().warn_fg_color,
                fill(T::FramingWorking.get(lang), &[&0, &total]),
            );
        }
        return;
    };
    let caught_up = framer
        .framed_to()
        .is_some_and(|at| at + 1 >= store.end_seq());
    if !caught_up && !store.is_empty() {
        let first = store.first_seq();
        let at = framer.framed_to().unwrap_or(first).saturating_sub(first);
        let total = store.end_seq() - first;
        ui.colored_label(
            ui.visuals().warn_fg_color,
            fill(T::FramingWorking.get(lang), &[&at, &total]),
        );
    }
    ui.weak(T::FramingRxOnly.get(lang));
    if framer.first_split().is_some() {
        ui.colored_label(ui.visuals().warn_fg_color, T::FramingHint.get(lang));
    }
    let pending = framer.pending();
    let rows = framer.len() + pending.len();
    if rows == 0 {
        ui.weak(T::FramingNone.get(lang));
    }
    let font = TextStyle::Monospace.resolve(ui.style());
    let row_h = ui.fonts_mut(|f| {
        f.layout_no_wrap("0你␊".to_string(), font.clone(), Color32::WHITE)
            .size()
            .y
    });
    egui::ScrollArea::both()
        .id_salt("messages")
        .auto_shrink([false, false])
        .stick_to_bottom(s.auto_scroll)
        .show_rows(ui, row_h, rows, |ui, range| {
            for i in range {
                let item = match i.checked_sub(framer.len()) {
                    None => match framer.get(framer.first_index() + i as u64) {
                        Some(m) => Item::Done(m),
                        None => continue,
                    },
                    Some(k) => match pending.get(k) {
                        Some(p) => Item::Arriving(p),
                        None => continue,
                    },
                };
                draw(ui, s, lang, style, store, framer, &item);
            }
        });
}

/// Draws one message row.
fn draw(
    ui: &mut Ui,
    s: &SessionSettings,
    lang: Lang,
    style: &RowStyle,
    store: &RecordStore,
    framer: &Framer,
    item: &Item<'_>,
) {
    let t = |k: T| k.get(lang);
    let (dir, peer, len, reads, start_seq, bytes, tag) = match item {
        Item::Done(m) => (
            m.dir(),
            m.peer(),
            m.len(),
            m.reads(),
            m.start_seq(),
            framer.bytes_up_to(store, m, SHOWN_BYTES),
            cut_tag(m.cut(), lang),
        ),
        Item::Arriving(p) => (
            p.dir,
            p.peer,
            p.len,
            p.reads,
            p.start_seq,
            framer.pending_bytes(store, p, SHOWN_BYTES),
            Some(t(T::FramingIncomplete).to_string()),
        ),
    };
    let mut head = String::with_capacity(64);
    if s.timestamps
        && let Some(record) = store.get(start_seq)
    {
        let time: chrono::DateTime<chrono::Local> = record.time.into();
        head.push_str(&time.format("%H:%M:%S%.3f ").to_string());
    }
    head.push_str(dir.label());
    head.push(' ');
    if s.show_peer {
        head.push_str(&format!("{:<PEER_COLS$} {len:>6}B ", peer.to_string()));
    }
    let reads_text = if reads == 1 {
        t(T::FramingOneRead).to_string()
    } else {
        fill(t(T::FramingReads), &[&reads])
    };
    let plain = egui::TextFormat {
        font_id: TextStyle::Monospace.resolve(ui.style()),
        color: ui.visuals().text_color(),
        ..Default::default()
    };
    let marked = egui::TextFormat {
        color: ui.visuals().warn_fg_color,
        ..plain.clone()
    };
    let mut job = egui::text::LayoutJob::default();
    job.append(&head, 0.0, plain.clone());
    let split = reads > 1;
    job.append(&format!("[{reads_text}"), 0.0, plain.clone());
    if split {
        job.append(&format!(", {}", t(T::FramingSplit)), 0.0, marked.clone());
    }
    job.append("] ", 0.0, plain.clone());
    if let Some(tag) = &tag {
        job.append(&format!("[{tag}] "), 0.0, marked.clone());
    }
    let shown = bytes.unwrap_or(Cow::Borrowed(&[]));
    job.append(&payload(style, &shown), 0.0, plain.clone());
    if len > shown.len() {
        job.append(&format!(" …(+{}B)", len - shown.len()), 0.0, marked);
    }
    let label = egui::Label::new(job).wrap_mode(egui::TextWrapMode::Extend);
    let mut response = ui.add(label);
    if split {
        response = response.on_hover_text(t(T::FramingSplitHint));
    }
    if matches!(item, Item::Arriving(_)) {
        response = response.on_hover_text(t(T::FramingIncompleteHint));
    }
    if let Item::Done(m) = item {
        response.context_menu(|ui| {
            let whole = framer.bytes(store, m);
            if ui.button(t(T::CopyText)).clicked() {
                let enc = concrete(style.encoding, whole.as_deref().unwrap_or(&[]));
                let mut text = String::new();
                decode_lossy(enc, whole.as_deref().unwrap_or(&[]), &mut text);
                ui.ctx().copy_text(text);
                ui.close();
            }
            if ui.button(t(T::CopyHex)).clicked() {
                ui.ctx()
                    .copy_text(crate::codec::to_hex(whole.as_deref().unwrap_or(&[])));
                ui.close();
            }
        });
    }
}

/// Why a message ended early, if it did.
fn cut_tag(cut: Cut, lang: Lang) -> Option<String> {
    let t = |k: T| k.get(lang);
    match cut {
        Cut::Complete => None,
        Cut::Unfinished => Some(t(T::FramingUnfinished).to_string()),
        Cut::OverLimit => Some(t(T::FramingOverLimit).to_string()),
        Cut::DeclaredTooLong { declared } => Some(fill(t(T::FramingTooLong), &[&declared])),
        Cut::DeclaredTooShort { declared } => Some(fill(t(T::FramingTooShort), &[&declared])),
    }
}

/// The encoding a message is shown in: Auto picks UTF-8 when the bytes
/// are UTF-8, else GBK.
fn concrete(enc: DisplayEncoding, bytes: &[u8]) -> TextEncoding {
    enc.concrete()
        .unwrap_or(if is_utf8_allowing_incomplete_tail(bytes) {
            TextEncoding::Utf8
        } else {
            TextEncoding::Gbk
        })
}

/// A message's bytes as the view shows them: text, hex, or both.
fn payload(style: &RowStyle, bytes: &[u8]) -> String {
    let text = || {
        let mut text = String::new();
        decode_lossy(concrete(style.encoding, bytes), bytes, &mut text);
        // One row per message: line breaks show as ␍ ␊.
        RowStyle {
            show_control: true,
            ..*style
        }
        .visible(&text)
    };
    match style.view {
        View::Text => text(),
        View::Hex => crate::codec::to_hex(bytes),
        View::Both => format!("{}  | {}", crate::codec::to_hex(bytes), text()),
    }
}
