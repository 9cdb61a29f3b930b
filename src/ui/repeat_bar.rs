//! Repeating a send on the engine's clock (every N ms, N times or until
//! stopped) and sending a file: the row under the send box.

use egui::Ui;

use crate::files::Purpose;
use crate::i18n::{T, fill};
use crate::settings::SessionSettings;
use crate::ui::action::Action;
use crate::ui::view::TabView;
use crate::ui::widgets::{field_error, labelled_field};

/// Draws the row: loop send, then file send.
pub fn show(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, actions: &mut Vec<Action>) {
    ui.horizontal_wrapped(|ui| {
        loop_send(ui, s, v, actions);
        ui.separator();
        file_send(ui, v, actions);
    });
    field_error(ui, &v.errors.loop_ms, v.lang);
}

/// Every N ms, N times, Start/Stop and how far it has got.
fn loop_send(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, actions: &mut Vec<Action>) {
    let running = v.looping.is_some();
    ui.add_enabled_ui(!running, |ui| {
        labelled_field(ui, v.t(T::LoopEvery), &mut s.loop_ms, 60.0);
        labelled_field(ui, v.t(T::LoopTimes), &mut s.loop_count, 50.0)
            .on_hover_text(v.t(T::LoopTimesHint));
    });
    {
        if running {
            if ui.button(v.t(T::LoopStop)).clicked() {
                actions.push(Action::StopLoop);
            }
        } else if ui.button(v.t(T::LoopStart)).clicked() {
            actions.push(Action::StartLoop);
        }
        if let Some(p) = &v.looping {
            let text = match p.total {
                Some(n) => fill(v.t(T::LoopSentOf), &[&p.sent, &n]),
                None => fill(v.t(T::LoopSent), &[&p.sent]),
            };
            ui.label(text);
        }
    }
}

/// Send file…, or its progress and Cancel.
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
