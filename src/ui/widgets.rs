//! Small widgets the panels share.

use egui::Ui;

use crate::i18n::Lang;
use crate::messages::Msg;
use crate::teach::explain;

/// Most bytes a one-line field takes by default: addresses, ports, names
/// and patterns never need more, and a field lays out all of its text.
pub const FIELD_MAX: usize = 4096;

/// A label followed by a single-line text field named by it (so screen
/// readers and tests can find the field by its label). A paste that would
/// make it longer than [`FIELD_MAX`] bytes is refused.
pub fn labelled_field(ui: &mut Ui, label: &str, value: &mut String, width: f32) -> egui::Response {
    labelled_field_max(ui, label, value, width, FIELD_MAX)
}

/// [`labelled_field`] that takes at most `max` bytes from a paste.
pub fn labelled_field_max(
    ui: &mut Ui,
    label: &str,
    value: &mut String,
    width: f32,
    max: usize,
) -> egui::Response {
    let l = ui.label(label);
    let id = ui.next_auto_id();
    take_big_paste(ui, id, value, max, false);
    ui.add(
        egui::TextEdit::singleline(value)
            .id(id)
            .desired_width(width),
    )
    .labelled_by(l.id)
}

/// A field message in the error colour, if any, in the current language;
/// one about the network or the encoding says below it why it happens and
/// what to do.
pub fn field_error(ui: &mut Ui, error: &Option<Msg>, lang: Lang) {
    if let Some(e) = error {
        ui.colored_label(ui.visuals().error_fg_color, e.render(lang));
        if let Some(ex) = explain::message(e) {
            ui.label(egui::RichText::new(ex.text(lang)).small().weak());
        }
    }
}

/// Takes a paste into the focused field `id` that would make `text` longer
/// than `max` bytes, before the field sees it (a text field lays out all of
/// its text in every frame). With `keep`, the paste still goes into `text`,
/// replacing the field's selection, for a view that shows large text
/// without laying it out; without it, the paste is refused. True when a
/// paste was taken.
pub fn take_big_paste(
    ui: &mut Ui,
    id: egui::Id,
    text: &mut String,
    max: usize,
    keep: bool,
) -> bool {
    if !ui.memory(|m| m.has_focus(id)) {
        return false;
    }
    let current = text.len();
    let pasted = ui.input_mut(|i| {
        let at = i
            .events
            .iter()
            .position(|e| matches!(e, egui::Event::Paste(p) if p.len() + current > max))?;
        match i.events.remove(at) {
            egui::Event::Paste(p) => Some(p),
            _ => None,
        }
    });
    let Some(pasted) = pasted else {
        return false;
    };
    if keep {
        let range = egui::TextEdit::load_state(ui.ctx(), id)
            .and_then(|state| state.cursor.char_range())
            .map(|r| {
                let (a, b) = (r.primary.index.0, r.secondary.index.0);
                (byte_at(text, a.min(b)), byte_at(text, a.max(b)))
            })
            .unwrap_or((text.len(), text.len()));
        text.replace_range(range.0..range.1, &pasted);
        ui.memory_mut(|m| m.surrender_focus(id));
    }
    true
}

/// The byte offset of character `chars` of `text` (its end if past it).
fn byte_at(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}
