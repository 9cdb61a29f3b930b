//! The send box: multi-line input, Send (or Ctrl+Enter), and history.

use egui::Ui;

use crate::app::{Action, Model};
use crate::i18n::T;
use crate::ui::layout::field_error;

/// Draws the send box.
pub fn show(ui: &mut Ui, model: &mut Model, actions: &mut Vec<Action>) {
    let lang = model.lang();
    let t = |k: T| k.get(lang);
    ui.add_space(4.0);
    let label = ui.label(t(T::SendBox));
    ui.horizontal(|ui| {
        let width = (ui.available_width() - 110.0).max(100.0);
        let edit = egui::TextEdit::multiline(&mut model.settings.send_text)
            .id_salt("send_text")
            .desired_rows(3)
            .desired_width(width)
            .font(egui::TextStyle::Monospace);
        let response = ui.add(edit).labelled_by(label.id);
        if response.has_focus()
            && ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter))
        {
            actions.push(Action::Send);
        }
        ui.vertical(|ui| {
            let send = egui::Button::new(egui::RichText::new(t(T::SendBtn)).strong())
                .min_size(egui::vec2(90.0, 28.0));
            if ui.add(send).on_hover_text(t(T::SendHint)).clicked() {
                actions.push(Action::Send);
            }
            ui.menu_button(t(T::History), |ui| {
                if model.settings.sent_history.is_empty() {
                    ui.label(t(T::HistoryEmpty));
                }
                for (i, item) in model.settings.sent_history.iter().enumerate() {
                    let shown: String = item.label.chars().take(60).collect();
                    if ui.button(shown).clicked() {
                        actions.push(Action::Resend(i));
                        ui.close();
                    }
                }
            });
        });
    });
    field_error(ui, &model.errors.send, model.lang());
    ui.add_space(2.0);
}
