//! 发送设置: text or hex, escapes, line ending, encoding, loop and file send.

use egui::Ui;

use crate::codec::{InputMode, LineEnding, TextEncoding};
use crate::files::Purpose;
use crate::i18n::{T, fill};
use crate::settings::SessionSettings;
use crate::ui::action::Action;
use crate::ui::view::TabView;
use crate::ui::widgets::{field_error, labelled_field};

/// Draws the send settings.
pub fn show(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, actions: &mut Vec<Action>) {
    let t = |k: T| v.t(k);
    ui.heading(t(T::TxSettings));
    let send = &mut s.send;
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
    loop_send(ui, s, v, actions);
    file_send(ui, v, actions);
}

fn loop_send(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        ui.add_enabled_ui(!v.looping, |ui| {
            labelled_field(ui, v.t(T::LoopEvery), &mut s.loop_ms, 60.0);
        });
        if v.looping {
            if ui.button(v.t(T::LoopStop)).clicked() {
                actions.push(Action::StopLoop);
            }
        } else if ui.button(v.t(T::LoopStart)).clicked() {
            actions.push(Action::StartLoop);
        }
    });
    field_error(ui, &v.errors.loop_ms, v.lang);
}

fn file_send(ui: &mut Ui, v: &TabView, actions: &mut Vec<Action>) {
    match &v.file_send {
        Some(job) => {
            let text = fill(v.t(T::FileProgress), &[&job.name, &job.sent, &job.total]);
            let fraction = if job.total == 0 {
                1.0
            } else {
                (job.sent as f64 / job.total as f64) as f32
            };
            ui.add(egui::ProgressBar::new(fraction).text(text));
            if ui.button(v.t(T::Cancel)).clicked() {
                actions.push(Action::CancelFile);
            }
        }
        None => {
            if ui.button(v.t(T::SendFile)).clicked() {
                actions.push(Action::Pick(Purpose::SendFile));
            }
        }
    }
}
