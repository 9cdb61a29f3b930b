//! Sequences: ordered sends, each followed by a pause or a wait for a reply.

use egui::Ui;

use crate::automation::{
    AutomationFile, MatchKind, Repeat, RunState, Sequence, Step, StepSend, StepWait,
};
use crate::i18n::{T, fill};
use crate::ui::action::Action;
use crate::ui::view::TabView;
use crate::ui::widgets::labelled_field;

/// Draws the sequences page.
pub fn show(ui: &mut Ui, a: &mut AutomationFile, v: &TabView, actions: &mut Vec<Action>) {
    if let Some(st) = &v.log.automation.sequence {
        let text = match &st.state {
            RunState::Running | RunState::Ready => fill(
                v.t(T::SeqProgress),
                &[
                    &st.name,
                    &st.progress.step,
                    &st.progress.steps,
                    &st.progress.round,
                ],
            ),
            RunState::Finished => fill(v.t(T::SeqFinished), &[&st.name]),
            RunState::Stopped => fill(v.t(T::SeqStopped), &[&st.name]),
            RunState::Failed(why) => fill(v.t(T::SeqFailed), &[&st.name, why]),
        };
        ui.horizontal(|ui| {
            ui.strong(text);
            if st.state == RunState::Running && ui.button(v.t(T::StopSequence)).clicked() {
                actions.push(Action::StopSequence);
            }
        });
    }
    if ui.button(v.t(T::AddSequence)).clicked() {
        let n = a.sequences.len() + 1;
        a.sequences.push(Sequence {
            name: format!("sequence {n}"),
            ..Sequence::default()
        });
    }
    if a.sequences.is_empty() {
        ui.weak(v.t(T::NoSequences));
    }
    let presets: Vec<String> = a.presets.iter().map(|p| p.name.clone()).collect();
    let mut i = 0;
    while i < a.sequences.len() {
        let mut changed = false;
        egui::CollapsingHeader::new(a.sequences[i].name.clone())
            .id_salt(("sequence", i))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    if ui.button(v.t(T::RunSequence)).clicked() {
                        actions.push(Action::RunSequence(i));
                    }
                    changed = super::reorder(ui, v, &mut a.sequences, i);
                });
                if changed {
                    return;
                }
                let seq = &mut a.sequences[i];
                ui.horizontal(|ui| {
                    labelled_field(ui, v.t(T::SeqName), &mut seq.name, 160.0);
                    let mut rounds = match seq.repeat {
                        Repeat::Times(n) => n.to_string(),
                        Repeat::Forever => String::new(),
                    };
                    if labelled_field(ui, v.t(T::SeqRepeat), &mut rounds, 50.0).changed() {
                        seq.repeat = match rounds.trim().parse::<u32>() {
                            Ok(n) if n >= 1 => Repeat::Times(n),
                            _ if rounds.trim().is_empty() => Repeat::Forever,
                            _ => seq.repeat,
                        };
                    }
                });
                steps(ui, seq, &presets, v, i);
            });
        if !changed {
            i += 1;
        }
    }
}

fn steps(ui: &mut Ui, seq: &mut Sequence, presets: &[String], v: &TabView, si: usize) {
    let mut j = 0;
    while j < seq.steps.len() {
        let mut changed = false;
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("{}.", j + 1));
            let step = &mut seq.steps[j];
            let is_preset = matches!(step.send, StepSend::Preset(_));
            let preset_radio = ui.radio(is_preset, v.t(T::StepPreset));
            if preset_radio.clicked() && !is_preset {
                step.send = StepSend::Preset(presets.first().cloned().unwrap_or_default());
            }
            if ui.radio(!is_preset, v.t(T::StepLiteral)).clicked() && is_preset {
                step.send = StepSend::Literal {
                    text: String::new(),
                    send: Default::default(),
                };
            }
            match &mut step.send {
                StepSend::Preset(name) => {
                    // Named by the radio button beside it, for screen readers.
                    egui::ComboBox::from_id_salt(("step_preset", si, j))
                        .selected_text(name.clone())
                        .show_ui(ui, |ui| {
                            for p in presets {
                                ui.selectable_value(name, p.clone(), p);
                            }
                        })
                        .response
                        .labelled_by(preset_radio.id);
                }
                StepSend::Literal { text, .. } => {
                    labelled_field(ui, v.t(T::PresetText), text, 140.0);
                }
            }
            let waits_reply = matches!(step.wait, StepWait::Reply { .. });
            if ui.radio(!waits_reply, v.t(T::StepWaitMs)).clicked() && waits_reply {
                step.wait = StepWait::Pause { ms: 100 };
            }
            if ui.radio(waits_reply, v.t(T::StepWaitReply)).clicked() && !waits_reply {
                step.wait = StepWait::Reply {
                    when: MatchKind::Contains,
                    pattern: String::new(),
                    timeout_ms: 1000,
                };
            }
            match &mut step.wait {
                StepWait::Pause { ms } => {
                    let mut text = ms.to_string();
                    let r = ui.add(egui::TextEdit::singleline(&mut text).desired_width(50.0));
                    let r = r.on_hover_text(v.t(T::StepWaitMs));
                    if r.changed() {
                        *ms = text.trim().parse().unwrap_or(0);
                    }
                }
                StepWait::Reply {
                    when,
                    pattern,
                    timeout_ms,
                } => {
                    let l = ui.label(v.t(T::StepPattern));
                    egui::ComboBox::from_id_salt(("step_when", si, j))
                        .selected_text(when.name())
                        .show_ui(ui, |ui| {
                            for k in MatchKind::ALL {
                                ui.selectable_value(when, k, k.name());
                            }
                        })
                        .response
                        .labelled_by(l.id);
                    ui.add(egui::TextEdit::singleline(pattern).desired_width(100.0))
                        .labelled_by(l.id);
                    let mut text = timeout_ms.to_string();
                    if labelled_field(ui, v.t(T::StepTimeout), &mut text, 50.0).changed() {
                        *timeout_ms = text.trim().parse().unwrap_or(0);
                    }
                }
            }
            changed = super::reorder(ui, v, &mut seq.steps, j);
        });
        if !changed {
            j += 1;
        }
    }
    if ui.button(v.t(T::AddStep)).clicked() {
        seq.steps.push(Step {
            send: match presets.first() {
                Some(p) => StepSend::Preset(p.clone()),
                None => StepSend::Literal {
                    text: String::new(),
                    send: Default::default(),
                },
            },
            wait: StepWait::Pause { ms: 100 },
        });
    }
}
