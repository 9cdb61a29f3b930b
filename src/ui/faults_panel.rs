//! 故障注入: a relay tab's faults, where they apply, and Apply while the
//! relay runs.

use egui::Ui;

use crate::i18n::T;
use crate::session::LinkState;
use crate::settings::{EndChoice, FaultDirection, ModeChoice, SessionSettings};
use crate::ui::action::Action;
use crate::ui::view::TabView;
use crate::ui::widgets::{field_error, labelled_field};

/// Width of a number field.
const NUMBER: f32 = 80.0;

/// Draws the faults of a relay tab.
pub fn show(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, actions: &mut Vec<Action>) {
    let udp = s.mode == ModeChoice::UdpRelay;
    egui::CollapsingHeader::new(v.t(T::Faults))
        .id_salt("faults")
        .default_open(true)
        .show(ui, |ui| {
            ui.weak(v.t(T::FaultsHint));
            let r = &mut s.relay;
            let label = ui.label(v.t(T::FaultsApplyTo));
            ui.horizontal_wrapped(|ui| {
                for (d, key) in [
                    (FaultDirection::Up, T::FaultsUp),
                    (FaultDirection::Down, T::FaultsDown),
                    (FaultDirection::Both, T::FaultsBoth),
                ] {
                    ui.radio_value(&mut r.direction, d, v.t(key))
                        .labelled_by(label.id);
                }
            });
            if !udp {
                ui.horizontal_wrapped(|ui| {
                    labelled_field(ui, v.t(T::FaultSlice), &mut r.slice, NUMBER);
                    ui.checkbox(&mut r.slice_random, v.t(T::FaultSliceRandom));
                });
                labelled_field(ui, v.t(T::FaultSliceGap), &mut r.slice_gap_ms, NUMBER);
            }
            // One a line: side by side, a label wraps in the narrow panel.
            labelled_field(ui, v.t(T::FaultDelay), &mut r.delay_ms, NUMBER);
            labelled_field(ui, v.t(T::FaultJitter), &mut r.jitter_ms, NUMBER);
            labelled_field(ui, v.t(T::FaultRate), &mut r.rate, NUMBER);
            ui.horizontal_wrapped(|ui| {
                labelled_field(ui, v.t(T::FaultEndAfter), &mut r.end_after, NUMBER);
                let hows: &[(EndChoice, T)] = if udp {
                    &[(EndChoice::Blackhole, T::FaultEndBlackhole)]
                } else {
                    &[
                        (EndChoice::Close, T::FaultEndClose),
                        (EndChoice::Reset, T::FaultEndReset),
                        (EndChoice::Blackhole, T::FaultEndBlackhole),
                    ]
                };
                if udp {
                    r.end_how = EndChoice::Blackhole;
                }
                let how_name = |h: EndChoice| {
                    hows.iter()
                        .find(|(c, _)| *c == h)
                        .map_or("", |(_, k)| v.t(*k))
                };
                let how_label = ui.label(v.t(T::FaultEndHow));
                egui::ComboBox::from_id_salt("end_how")
                    .selected_text(how_name(r.end_how))
                    .show_ui(ui, |ui| {
                        for (h, key) in hows {
                            ui.selectable_value(&mut r.end_how, *h, v.t(*key));
                        }
                    })
                    .response
                    .labelled_by(how_label.id);
            });
            if udp {
                ui.horizontal_wrapped(|ui| {
                    labelled_field(ui, v.t(T::FaultDrop), &mut r.drop, 50.0);
                    labelled_field(ui, v.t(T::FaultDuplicate), &mut r.duplicate, 50.0);
                    labelled_field(ui, v.t(T::FaultReorder), &mut r.reorder, 50.0);
                });
                let closed = v.log.link == LinkState::Closed;
                ui.add_enabled_ui(closed, |ui| {
                    labelled_field(ui, v.t(T::UdpIdle), &mut r.udp_idle_s, NUMBER);
                });
            }
            let open = matches!(v.log.link, LinkState::Open(..));
            if ui
                .add_enabled(open, egui::Button::new(v.t(T::FaultsApply)))
                .clicked()
            {
                actions.push(Action::ApplyFaults);
            }
            field_error(ui, &v.errors.faults, v.lang);
        });
}
