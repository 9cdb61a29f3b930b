//! Small widgets the panels share.

use egui::{Ui, accesskit};

use crate::i18n::Lang;
use crate::messages::Msg;
use crate::teach::explain;

/// Most bytes a one-line field takes by default: addresses, ports, names
/// and patterns never need more, and a field lays out all of its text.
pub const FIELD_MAX: usize = 4096;

/// A label followed by a single-line text field named by it (so screen
/// readers and tests can find the field by its label). A paste (or a value
/// set through the accessibility interface) that would make it longer than
/// [`FIELD_MAX`] bytes is refused.
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
    take_big_input(ui, id, value, max, false);
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

/// How a large input reached a field.
enum Taken {
    /// Replaces the field's selection (a paste, or AccessKit's
    /// ReplaceSelectedText).
    AtSelection(String),
    /// Replaces the whole value (AccessKit's SetValue).
    Whole(String),
}

/// Takes input that would make `text` longer than `max` bytes, before the
/// field `id` sees it (a text field lays out all of its text in every
/// frame): a paste into the focused field, and the accessibility
/// interface's requests for it (AccessKit's SetValue, which needs no focus,
/// and ReplaceSelectedText into the focused field: what a screen reader or
/// a test robot sends over AT-SPI or UI Automation instead of keys). With
/// `keep`, the input still goes into `text`, for a view that shows large
/// text without laying it out; without it, it is refused. True when input
/// was taken.
pub fn take_big_input(
    ui: &mut Ui,
    id: egui::Id,
    text: &mut String,
    max: usize,
    keep: bool,
) -> bool {
    let focused = ui.memory(|m| m.has_focus(id));
    let target = id.accesskit_id();
    let mut len = text.len();
    let taken = ui.input_mut(|i| {
        let mut taken = Vec::new();
        let mut at = 0;
        while at < i.events.len() {
            let whole = match &i.events[at] {
                egui::Event::Paste(p) if focused && len + p.len() > max => Some(false),
                egui::Event::AccessKitActionRequest(r)
                    if r.target_node == target && r.target_tree == accesskit::TreeId::ROOT =>
                {
                    match (r.action, &r.data) {
                        (accesskit::Action::SetValue, Some(accesskit::ActionData::Value(v)))
                            if v.len() > max =>
                        {
                            Some(true)
                        }
                        (
                            accesskit::Action::ReplaceSelectedText,
                            Some(accesskit::ActionData::Value(v)),
                        ) if focused && len + v.len() > max => Some(false),
                        _ => None,
                    }
                }
                _ => None,
            };
            let Some(whole) = whole else {
                at += 1;
                continue;
            };
            let value = match i.events.remove(at) {
                egui::Event::Paste(p) => p,
                egui::Event::AccessKitActionRequest(accesskit::ActionRequest {
                    data: Some(accesskit::ActionData::Value(v)),
                    ..
                }) => v.into_string(),
                _ => continue,
            };
            if whole {
                len = value.len();
                taken.push(Taken::Whole(value));
            } else {
                len += value.len();
                taken.push(Taken::AtSelection(value));
            }
        }
        taken
    });
    if taken.is_empty() {
        return false;
    }
    if keep {
        for input in taken {
            match input {
                Taken::Whole(value) => *text = value,
                Taken::AtSelection(value) => {
                    let (from, to) = selection(ui, id, text);
                    text.replace_range(from..to, &value);
                    // Later input goes after this one.
                    let end = text[..from + value.len()].chars().count();
                    let mut state = egui::TextEdit::load_state(ui.ctx(), id).unwrap_or_default();
                    state
                        .cursor
                        .set_char_range(Some(egui::text::CCursorRange::one(
                            egui::text::CCursor::new(end),
                        )));
                    state.store(ui.ctx(), id);
                }
            }
        }
        ui.memory_mut(|m| m.surrender_focus(id));
    }
    true
}

/// Takes every AccessKit SetValue request for `id` into `text`, whatever
/// its size: for a field shown as a summary, whose text field is not drawn
/// (nothing else would take them).
pub fn take_set_value(ui: &mut Ui, id: egui::Id, text: &mut String) -> bool {
    let mut value = None;
    ui.input_mut(|i| {
        i.consume_accesskit_action_requests(id, |r| match (r.action, &r.data) {
            (accesskit::Action::SetValue, Some(accesskit::ActionData::Value(v))) => {
                value = Some(v.to_string());
                true
            }
            _ => false,
        });
    });
    match value {
        Some(v) => {
            *text = v;
            true
        }
        None => false,
    }
}

/// The byte range of field `id`'s selection in `text` (its end when the
/// field has no cursor yet).
fn selection(ui: &Ui, id: egui::Id, text: &str) -> (usize, usize) {
    egui::TextEdit::load_state(ui.ctx(), id)
        .and_then(|state| state.cursor.char_range())
        .map(|r| {
            let (a, b) = (r.primary.index.0, r.secondary.index.0);
            (byte_at(text, a.min(b)), byte_at(text, a.max(b)))
        })
        .unwrap_or((text.len(), text.len()))
}

/// The byte offset of character `chars` of `text` (its end if past it).
fn byte_at(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}
