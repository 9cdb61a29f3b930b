//! The receive settings' message framing choice: off, a delimiter, a fixed
//! length, a length prefix or an idle gap, with the fields each needs and
//! the message when they do not make a rule.

use egui::Ui;

use crate::i18n::T;
use crate::settings::{FramingKind, SessionSettings};
use crate::ui::view::TabView;
use crate::ui::widgets::{field_error, labelled_field};

/// Draws the framing choice and its fields.
pub fn show(ui: &mut Ui, s: &mut SessionSettings, v: &TabView) {
    let f = &mut s.framing;
    ui.horizontal(|ui| {
        let l = ui
            .label(v.t(T::FramingLabel))
            .on_hover_text(v.t(T::FramingLabelHint));
        egui::ComboBox::from_id_salt("framing")
            .selected_text(v.t(f.kind.name()))
            .width(170.0)
            .show_ui(ui, |ui| {
                for k in FramingKind::ALL {
                    ui.selectable_value(&mut f.kind, k, v.t(k.name()));
                }
            })
            .response
            .labelled_by(l.id);
    });
    match f.kind {
        FramingKind::Off | FramingKind::Lf | FramingKind::CrLf => {}
        FramingKind::Delimiter => {
            labelled_field(
                ui,
                v.t(T::FramingDelimiterField),
                &mut f.delimiter_hex,
                150.0,
            );
        }
        FramingKind::Fixed => {
            labelled_field(ui, v.t(T::FramingLengthField), &mut f.fixed_len, 80.0);
        }
        FramingKind::Prefix => {
            ui.horizontal_wrapped(|ui| {
                ui.label(v.t(T::FramingPrefixBytes));
                for n in [1u8, 2, 4] {
                    ui.radio_value(&mut f.prefix_bytes, n, n.to_string());
                }
            });
            ui.horizontal_wrapped(|ui| {
                ui.radio_value(&mut f.big_endian, true, v.t(T::FramingBig));
                ui.radio_value(&mut f.big_endian, false, v.t(T::FramingLittle));
            });
            ui.checkbox(&mut f.counts_header, v.t(T::FramingCountsHeader));
        }
        FramingKind::Gap => {
            labelled_field(ui, v.t(T::FramingGapField), &mut f.gap_ms, 80.0);
        }
    }
    if let Err(msg) = f.framing() {
        field_error(ui, &Some(msg), v.lang);
    }
}
