//! The send box: multi-line input, Send (or Ctrl+Enter), and history. A
//! large input (a pasted log or capture) is summarised instead of laid out,
//! so the window stays fast whatever is pasted; it still sends exactly.

use egui::Ui;

use crate::codec::summary::{BIG_INPUT, is_big, summarize};
use crate::codec::{InputMode, build_payload, to_hex};
use crate::files::Purpose;
use crate::i18n::{T, fill};
use crate::messages::Msg;
use crate::settings::SessionSettings;
use crate::ui::action::Action;
use crate::ui::view::{TabUi, TabView};
use crate::ui::widgets::{field_error, take_big_input, take_set_value};

/// Draws the send box.
pub fn show(
    ui: &mut Ui,
    s: &mut SessionSettings,
    v: &TabView,
    tab: &mut TabUi,
    actions: &mut Vec<Action>,
) {
    ui.add_space(4.0);
    presets_bar(ui, v, actions);
    let label = ui.label(v.t(T::SendBox));
    let id = ui.make_persistent_id("send_text");
    // A large paste, or a large value set through the accessibility
    // interface, is taken before the text field could lay it out.
    let summarised = is_big(&s.send_text) && !tab.big.edit_anyway;
    if take_big_input(ui, id, &mut s.send_text, BIG_INPUT, true)
        || (summarised && take_set_value(ui, id, &mut s.send_text))
    {
        tab.big.edit_anyway = false;
        // A new text of the same size must not keep the old summary.
        tab.big.summary = None;
    }
    ui.horizontal(|ui| {
        let width = (ui.available_width() - 110.0).max(100.0);
        if is_big(&s.send_text) && !tab.big.edit_anyway {
            let shown = ui.vertical(|ui| {
                ui.set_width(width);
                big_summary(ui, s, v, tab, actions)
            });
            summary_node(ui, id, label.id, shown.response.rect, shown.inner);
        } else {
            let edit = egui::TextEdit::multiline(&mut s.send_text)
                .id(id)
                .desired_rows(3)
                .desired_width(width)
                .font(egui::TextStyle::Monospace);
            let response = ui.add(edit).labelled_by(label.id);
            if response.has_focus()
                && ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter))
            {
                actions.push(Action::Send);
            }
        }
        ui.vertical(|ui| {
            let send = egui::Button::new(egui::RichText::new(v.t(T::SendBtn)).strong())
                .min_size(egui::vec2(90.0, 28.0));
            if ui.add(send).on_hover_text(v.t(T::SendHint)).clicked() {
                actions.push(Action::Send);
            }
            ui.menu_button(v.t(T::History), |ui| {
                if v.sent_history.is_empty() {
                    ui.label(v.t(T::HistoryEmpty));
                }
                for (i, item) in v.sent_history.iter().enumerate() {
                    let shown: String = item.label.chars().take(60).collect();
                    if ui.button(shown).clicked() {
                        actions.push(Action::Resend(i));
                        ui.close();
                    }
                }
            });
        });
    });
    if !is_big(&s.send_text) {
        preview(ui, s, v, tab);
    }
    field_error(ui, &v.errors.send, v.lang);
    crate::ui::ws_panel::send_bar(ui, s, v, actions);
    crate::ui::repeat_bar::show(ui, s, v, actions);
    ui.add_space(2.0);
}

/// Most bytes of the preview shown; the count says how many there are.
const PREVIEW_BYTES: usize = 48;

/// The exact bytes Send will put on the wire, in hex, with what NetAssist
/// adds (line ending, checksum) apart from what was typed.
fn preview(ui: &mut Ui, s: &SessionSettings, v: &TabView, tab: &mut TabUi) {
    if s.send_text.is_empty() {
        return;
    }
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        s.send_text.hash(&mut h);
        s.send.hash(&mut h);
        h.finish()
    };
    if tab.preview.as_ref().is_none_or(|(k, _)| *k != key) {
        tab.preview = Some((key, build_payload(&s.send_text, &s.send)));
    }
    let Some((_, Ok(payload))) = &tab.preview else {
        return;
    };
    let typed = payload.typed();
    let added = payload.added();
    ui.horizontal_wrapped(|ui| {
        ui.weak(v.t(T::Preview));
        let shown = &typed[..typed.len().min(PREVIEW_BYTES)];
        let mut hex = to_hex(shown);
        if typed.len() > shown.len() {
            hex.push_str(" …");
        }
        if !hex.is_empty() {
            ui.monospace(hex);
        }
        if !added.is_empty() {
            let text = format!("«+{}»", to_hex(added));
            ui.label(egui::RichText::new(text).monospace().italics());
        }
        ui.weak(fill(v.t(T::PreviewBytes), &[&payload.bytes.len()]));
    });
}

/// One button per preset (with its hotkey), and the automation window.
fn presets_bar(ui: &mut Ui, v: &TabView, actions: &mut Vec<Action>) {
    ui.horizontal_wrapped(|ui| {
        for (i, p) in v.presets.iter().enumerate() {
            let text = match p.hotkey {
                Some(k) => format!("{} ({k})", p.name),
                None => p.name.clone(),
            };
            if ui.button(text).clicked() {
                actions.push(Action::SendPreset(i));
            }
        }
        if ui.button(v.t(T::AddPreset)).clicked() {
            actions.push(Action::AddPreset);
        }
        if ui.button(v.t(T::AutomationBtn)).clicked() {
            actions.push(Action::ToggleAutomation);
        }
    });
}

/// The send box as the accessibility interface sees it while it shows a
/// summary: a text field with the send box's name whose value is the
/// summary line (never the whole text), which takes a new value (SetValue).
fn summary_node(ui: &mut Ui, id: egui::Id, label: egui::Id, rect: egui::Rect, summary: String) {
    let response = ui.interact(rect, id, egui::Sense::focusable_noninteractive());
    response.widget_info(|| {
        let mut info = egui::WidgetInfo::new(egui::accesskit::Role::MultilineTextInput);
        info.current_text_value = Some(summary.clone());
        info
    });
    ui.ctx().accesskit_node_builder(id, |node| {
        node.add_action(egui::accesskit::Action::SetValue);
    });
    response.labelled_by(label);
}

/// The summary of a large input, with what can be done with it; returns
/// its first line (size and lines).
fn big_summary(
    ui: &mut Ui,
    s: &mut SessionSettings,
    v: &TabView,
    tab: &mut TabUi,
    actions: &mut Vec<Action>,
) -> String {
    let key = (s.send_text.len(), s.send.clone());
    if tab.big.summary.as_ref().is_none_or(|(k, _)| *k != key) {
        tab.big.summary = Some((key, summarize(&s.send_text, &s.send)));
    }
    let Some((_, sum)) = &tab.big.summary else {
        return String::new();
    };
    let headline = fill(v.t(T::BigInput), &[&sum.text_bytes, &sum.lines]);
    ui.strong(&headline);
    match &sum.payload {
        Ok(n) => {
            let how = match s.send.mode {
                InputMode::Hex => v.t(T::AsHex).to_string(),
                InputMode::Text => s.send.encoding.label().to_string(),
            };
            ui.label(fill(v.t(T::BigWillSend), &[n, &how]));
        }
        Err(e) => {
            let msg = Msg::Payload(e.clone()).render(v.lang);
            ui.colored_label(ui.visuals().error_fg_color, msg);
        }
    }
    ui.label(v.t(T::BigFirstLines));
    for line in &sum.head {
        ui.monospace(line);
    }
    ui.horizontal(|ui| {
        if ui.button(v.t(T::EditAnyway)).clicked() {
            tab.big.edit_anyway = true;
        }
        if ui.button(v.t(T::SaveInput)).clicked() {
            actions.push(Action::Pick(Purpose::SaveInput));
        }
        if ui.button(v.t(T::ClearInput)).clicked() {
            s.send_text.clear();
            tab.big.summary = None;
        }
    });
    headline
}
