//! 发送设置: text or hex, escapes, line ending, encoding, loop and file send.

use egui::Ui;

use crate::app::{Action, Model};
use crate::codec::{InputMode, LineEnding, TextEncoding};
use crate::i18n::{T, fill};
use crate::ui::jobs::Purpose;
use crate::ui::layout::{field_error, labelled_field};

/// Draws the send settings.
pub fn show(ui: &mut Ui, model: &mut Model, actions: &mut Vec<Action>) {
    let lang = model.lang();
    let t = |k: T| k.get(lang);
    ui.heading(t(T::TxSettings));
    let send = &mut model.settings.send;
    ui.horizontal(|ui| {
        ui.radio_value(&mut send.mode, InputMode::Text, t(T::TxText));
        ui.radio_value(&mut send.mode, InputMode::Hex, t(T::TxHex));
    });
    let text_mode = send.mode == InputMode::Text;
    ui.add_enabled(
        text_mode,
        egui::Checkbox::new(&mut send.escapes, t(T::Escapes)),
    );
    ui.horizontal(|ui| {
        let l = ui.label(t(T::Append));
        let name = |e: LineEnding| match e {
            LineEnding::None => t(T::AppendNone),
            other => other.label(),
        };
        egui::ComboBox::from_id_salt("append")
            .selected_text(name(send.line_ending))
            .show_ui(ui, |ui| {
                for e in [LineEnding::None, LineEnding::Lf, LineEnding::CrLf] {
                    ui.selectable_value(&mut send.line_ending, e, name(e));
                }
            })
            .response
            .labelled_by(l.id);
    });
    ui.add_enabled_ui(text_mode, |ui| {
        ui.horizontal(|ui| {
            let l = ui.label(t(T::TxEncoding));
            egui::ComboBox::from_id_salt("tx_encoding")
                .selected_text(send.encoding.label())
                .show_ui(ui, |ui| {
                    for e in [TextEncoding::Utf8, TextEncoding::Gbk] {
                        ui.selectable_value(&mut send.encoding, e, e.label());
                    }
                })
                .response
                .labelled_by(l.id);
        });
    });
    ui.separator();
    loop_send(ui, model, actions);
    file_send(ui, model, actions);
}

fn loop_send(ui: &mut Ui, model: &mut Model, actions: &mut Vec<Action>) {
    let lang = model.lang();
    ui.horizontal(|ui| {
        ui.add_enabled_ui(model.looping.is_none(), |ui| {
            labelled_field(
                ui,
                T::LoopEvery.get(lang),
                &mut model.settings.loop_ms,
                60.0,
            );
        });
        if model.looping.is_some() {
            if ui.button(T::LoopStop.get(lang)).clicked() {
                actions.push(Action::StopLoop);
            }
        } else if ui.button(T::LoopStart.get(lang)).clicked() {
            actions.push(Action::StartLoop);
        }
    });
    field_error(ui, &model.errors.loop_ms, model.lang());
}

fn file_send(ui: &mut Ui, model: &mut Model, actions: &mut Vec<Action>) {
    let lang = model.lang();
    match &model.file_send {
        Some(job) => {
            let sent = job.sent.load(std::sync::atomic::Ordering::Relaxed);
            let text = fill(T::FileProgress.get(lang), &[&job.name, &sent, &job.total]);
            ui.add(egui::ProgressBar::new(job.progress()).text(text));
            if ui.button(T::CancelFile.get(lang)).clicked() {
                actions.push(Action::CancelFile);
            }
        }
        None => {
            if ui.button(T::SendFile.get(lang)).clicked() {
                actions.push(Action::Pick(Purpose::SendFile));
            }
        }
    }
}
