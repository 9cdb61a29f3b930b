//! The send box: multi-line input, Send (or Ctrl+Enter), and history.

use egui::Ui;

use crate::i18n::T;
use crate::settings::SessionSettings;
use crate::ui::action::Action;
use crate::ui::view::TabView;
use crate::ui::widgets::field_error;

/// Draws the send box.
pub fn show(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, actions: &mut Vec<Action>) {
    ui.add_space(4.0);
    let label = ui.label(v.t(T::SendBox));
    ui.horizontal(|ui| {
        let width = (ui.available_width() - 110.0).max(100.0);
        let edit = egui::TextEdit::multiline(&mut s.send_text)
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
    field_error(ui, &v.errors.send, v.lang);
    ui.add_space(2.0);
}
