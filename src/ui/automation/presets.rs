//! Presets: named sends with a hotkey each.

use egui::Ui;

use crate::automation::{AutomationFile, Hotkey};
use crate::codec::summary::{BIG_INPUT, is_big};
use crate::codec::{InputMode, LineEnding, TextEncoding};
use crate::i18n::{T, fill};
use crate::ui::action::Action;
use crate::ui::view::TabView;
use crate::ui::widgets::{labelled_field, take_big_input};

/// Draws the presets page.
pub fn show(
    ui: &mut Ui,
    a: &mut AutomationFile,
    v: &TabView,
    expand: Option<usize>,
    actions: &mut Vec<Action>,
) {
    if ui.button(v.t(T::AddPreset)).clicked() {
        actions.push(Action::AddPreset);
    }
    if a.presets.is_empty() {
        ui.weak(v.t(T::NoPresets));
    }
    let mut i = 0;
    while i < a.presets.len() {
        let title = match a.presets[i].hotkey {
            Some(k) => format!("{} ({k})", a.presets[i].name),
            None => a.presets[i].name.clone(),
        };
        let mut changed = false;
        egui::CollapsingHeader::new(title)
            .id_salt(("preset", i))
            .open((expand == Some(i)).then_some(true))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    if ui.button(v.t(T::SendPreset)).clicked() {
                        actions.push(Action::SendPreset(i));
                    }
                    changed = super::reorder(ui, v, &mut a.presets, i);
                });
                if changed {
                    return;
                }
                let taken: Vec<Hotkey> = a
                    .presets
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .filter_map(|(_, p)| p.hotkey)
                    .collect();
                let p = &mut a.presets[i];
                ui.horizontal(|ui| {
                    labelled_field(ui, v.t(T::PresetName), &mut p.name, 160.0);
                    let l = ui.label(v.t(T::Hotkey));
                    let shown = p
                        .hotkey
                        .map_or(v.t(T::HotkeyNone).to_string(), |k| k.to_string());
                    egui::ComboBox::from_id_salt(("hotkey", i))
                        .selected_text(shown)
                        .height(600.0)
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut p.hotkey, None, v.t(T::HotkeyNone));
                            for k in Hotkey::all().filter(|k| !taken.contains(k)) {
                                ui.selectable_value(&mut p.hotkey, Some(k), k.to_string());
                            }
                        })
                        .response
                        .labelled_by(l.id);
                });
                let id = ui.make_persistent_id(("preset_text", i));
                take_big_input(ui, id, &mut p.text, BIG_INPUT, true);
                if is_big(&p.text) {
                    // Not laid out (a large paste): its size, and a way out.
                    ui.horizontal(|ui| {
                        ui.label(fill(
                            v.t(T::BigInput),
                            &[&p.text.len(), &p.text.lines().count()],
                        ));
                        if ui.button(v.t(T::ClearInput)).clicked() {
                            p.text.clear();
                        }
                    });
                } else {
                    let l = ui.label(v.t(T::PresetText));
                    ui.add(
                        egui::TextEdit::multiline(&mut p.text)
                            .id(id)
                            .desired_rows(2)
                            .desired_width(f32::INFINITY)
                            .font(egui::TextStyle::Monospace),
                    )
                    .labelled_by(l.id);
                }
                ui.horizontal_wrapped(|ui| {
                    ui.radio_value(&mut p.send.mode, InputMode::Text, v.t(T::TxText));
                    ui.radio_value(&mut p.send.mode, InputMode::Hex, v.t(T::TxHex));
                    ui.checkbox(&mut p.send.escapes, v.t(T::Escapes));
                });
                ui.horizontal_wrapped(|ui| {
                    let l = ui.label(v.t(T::TxEncoding));
                    egui::ComboBox::from_id_salt(("preset_enc", i))
                        .selected_text(p.send.encoding.label())
                        .show_ui(ui, |ui| {
                            for e in [TextEncoding::Utf8, TextEncoding::Gbk] {
                                ui.selectable_value(&mut p.send.encoding, e, e.label());
                            }
                        })
                        .response
                        .labelled_by(l.id);
                    let l = ui.label(v.t(T::Append));
                    let name = |e: LineEnding| match e {
                        LineEnding::None => v.t(T::AppendNone),
                        other => other.label(),
                    };
                    egui::ComboBox::from_id_salt(("preset_nl", i))
                        .selected_text(name(p.send.line_ending))
                        .show_ui(ui, |ui| {
                            for e in [LineEnding::None, LineEnding::Lf, LineEnding::CrLf] {
                                ui.selectable_value(&mut p.send.line_ending, e, name(e));
                            }
                        })
                        .response
                        .labelled_by(l.id);
                });
                let mut target = p.target.clone().unwrap_or_default();
                if labelled_field(ui, v.t(T::TargetUdp), &mut target, 160.0).changed() {
                    p.target = (!target.trim().is_empty()).then(|| target.trim().to_string());
                }
            });
        if !changed {
            i += 1;
        }
    }
}
