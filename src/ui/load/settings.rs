//! A load tab's settings in the left panel: the target, how many clients
//! and how fast, how long, and each client's script (a payload, or one of
//! the automation file's sequences); for `tls://`, the certificate checks.

use egui::Ui;

use crate::i18n::T;
use crate::session::LinkState;
use crate::settings::{LoadScriptChoice, SessionSettings};
use crate::ui::view::TabView;
use crate::ui::widgets::{field_error, labelled_field};

/// Width of a field.
const WIDE: f32 = 220.0;
/// Width of a number field.
const NARROW: f32 = 100.0;

/// Draws the fields (greyed while a run goes on).
pub fn show(ui: &mut Ui, s: &mut SessionSettings, v: &TabView) {
    let closed = v.log.link == LinkState::Closed;
    ui.add_enabled_ui(closed, |ui| {
        let l = &mut s.load;
        labelled_field(ui, v.t(T::LoadUrl), &mut l.url, WIDE).on_hover_text(v.t(T::LoadUrlHint));
        labelled_field(ui, v.t(T::LoadConnections), &mut l.connections, NARROW);
        labelled_field(ui, v.t(T::LoadRate), &mut l.rate, NARROW);
        labelled_field(ui, v.t(T::LoadDuration), &mut l.duration_s, NARROW);
        labelled_field(ui, v.t(T::LoadRounds), &mut l.rounds, NARROW);
        let label = ui.label(v.t(T::LoadScript));
        ui.horizontal_wrapped(|ui| {
            for (choice, key) in [
                (LoadScriptChoice::Payload, T::LoadScriptPayload),
                (LoadScriptChoice::Preset, T::LoadScriptPreset),
                (LoadScriptChoice::Sequence, T::LoadScriptSequence),
            ] {
                ui.radio_value(&mut l.script, choice, v.t(key))
                    .labelled_by(label.id);
            }
        });
        match l.script {
            LoadScriptChoice::Payload | LoadScriptChoice::Preset => {
                if l.script == LoadScriptChoice::Preset {
                    let label = ui.label(v.t(T::LoadPreset));
                    if v.presets.is_empty() {
                        ui.weak(v.t(T::LoadNoPresets));
                    }
                    egui::ComboBox::from_id_salt("load_preset")
                        .selected_text(l.preset.clone())
                        .width(WIDE)
                        .show_ui(ui, |ui| {
                            for p in v.presets {
                                ui.selectable_value(&mut l.preset, p.name.clone(), &p.name);
                            }
                        })
                        .response
                        .labelled_by(label.id);
                } else {
                    labelled_field(ui, v.t(T::LoadSend), &mut l.send, WIDE);
                }
                labelled_field(ui, v.t(T::LoadEvery), &mut l.every_ms, NARROW);
                labelled_field(ui, v.t(T::LoadExpect), &mut l.expect, WIDE);
                labelled_field(
                    ui,
                    v.t(T::LoadReplyTimeout),
                    &mut l.reply_timeout_ms,
                    NARROW,
                );
            }
            LoadScriptChoice::Sequence => {
                let label = ui.label(v.t(T::LoadSequence));
                if v.sequences.is_empty() {
                    ui.weak(v.t(T::LoadNoSequences));
                }
                egui::ComboBox::from_id_salt("load_sequence")
                    .selected_text(l.sequence.clone())
                    .width(WIDE)
                    .show_ui(ui, |ui| {
                        for name in v.sequences {
                            ui.selectable_value(&mut l.sequence, name.clone(), name);
                        }
                    })
                    .response
                    .labelled_by(label.id);
            }
        }
        labelled_field(ui, v.t(T::LoadMaxFailures), &mut l.max_failures, NARROW);
        if l.url.trim().to_ascii_lowercase().starts_with("tls://") {
            let t = &mut s.tls;
            ui.add_enabled_ui(!t.insecure, |ui| {
                labelled_field(ui, v.t(T::TlsCa), &mut t.ca, WIDE);
            });
            ui.checkbox(&mut t.insecure, v.t(T::TlsInsecure));
            labelled_field(ui, v.t(T::TlsSni), &mut t.sni, WIDE);
        }
    });
    field_error(ui, &v.errors.load, v.lang);
}
