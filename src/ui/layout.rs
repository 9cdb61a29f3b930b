//! Lays out the window: settings on the left, the log in the middle, the
//! send box below it, the client list on the right in TCP Server mode, and
//! the status bar at the bottom. Panels only collect actions; the app
//! applies them after layout.

use egui::Ui;

use crate::app::{Action, LogData, Model};
use crate::i18n::{Lang, T};
use crate::records::RowStyle;
use crate::ui::settings::{ModeChoice, Settings};
use crate::ui::{clients, log_view, net_panel, rx_panel, send_box, status_bar, tx_panel};

/// Width of the settings panel.
const LEFT_WIDTH: f32 = 250.0;

/// The row style before the first frame has measured the log's width.
pub fn initial_style(s: &Settings) -> RowStyle {
    RowStyle {
        view: s.view,
        bytes_per_row: 64,
        encoding: s.encoding,
        show_control: s.show_control,
    }
}

/// Draws every panel and returns what the user asked for.
pub fn show(ui: &mut Ui, model: &mut Model, log: &LogData) -> Vec<Action> {
    let mut actions = Vec::new();
    egui::Panel::top("top_bar").show(ui, |ui| top_bar(ui, model));
    egui::Panel::bottom("status_bar").show(ui, |ui| status_bar::show(ui, model, log, &mut actions));
    egui::Panel::left("settings")
        .resizable(true)
        .default_size(LEFT_WIDTH)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                net_panel::show(ui, model, &mut actions);
                ui.separator();
                rx_panel::show(ui, model, &mut actions);
                ui.separator();
                tx_panel::show(ui, model, &mut actions);
            });
        });
    if model.settings.mode == ModeChoice::TcpServer {
        egui::Panel::right("clients")
            .resizable(true)
            .default_size(250.0)
            .show(ui, |ui| clients::show(ui, model, &mut actions));
    }
    egui::Panel::bottom("send_box")
        .resizable(true)
        .show(ui, |ui| send_box::show(ui, model, &mut actions));
    egui::CentralPanel::default().show(ui, |ui| log_view::show(ui, model, log, &mut actions));
    actions
}

fn top_bar(ui: &mut Ui, model: &mut Model) {
    ui.horizontal(|ui| {
        ui.strong(model.t(T::AppTitle));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            for lang in [Lang::En, Lang::Zh] {
                ui.selectable_value(&mut model.settings.lang, lang, lang.native_name());
            }
            ui.label(model.t(T::Language));
        });
    });
}

/// A label followed by a single-line text field named by it (so screen
/// readers and tests can find the field by its label).
pub fn labelled_field(ui: &mut Ui, label: &str, value: &mut String, width: f32) -> egui::Response {
    let l = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).desired_width(width))
        .labelled_by(l.id)
}

/// A field message in the error colour, if any, in the current language.
pub fn field_error(ui: &mut Ui, error: &Option<crate::ui::errors::Msg>, lang: Lang) {
    if let Some(e) = error {
        ui.colored_label(ui.visuals().error_fg_color, e.render(lang));
    }
}
