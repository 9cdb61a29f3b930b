//! Small widgets the panels share.

use egui::Ui;

use crate::i18n::Lang;
use crate::messages::Msg;
use crate::teach::explain;

/// A label followed by a single-line text field named by it (so screen
/// readers and tests can find the field by its label).
pub fn labelled_field(ui: &mut Ui, label: &str, value: &mut String, width: f32) -> egui::Response {
    let l = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).desired_width(width))
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
