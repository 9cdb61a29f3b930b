//! 发送设置: text or hex, escapes, line ending, encoding, checksum.

use egui::Ui;

use crate::codec::checksum::{Checksum, ChecksumKind, ChecksumRange};
use crate::codec::{InputMode, LineEnding, TextEncoding};
use crate::i18n::T;
use crate::settings::SessionSettings;
use crate::ui::view::{TabUi, TabView};
use crate::ui::widgets::labelled_field;

/// Draws the send settings.
pub fn show(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, tab: &mut TabUi) {
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
    ui.separator();
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
    checksum(ui, s, v, tab);
}

/// The checksum appended to each send, and the bytes it covers.
fn checksum(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, tab: &mut TabUi) {
    let send = &mut s.send;
    ui.horizontal(|ui| {
        let l = ui.label(v.t(T::ChecksumLabel));
        let shown = send
            .checksum
            .map_or(v.t(T::ChecksumNone), |c| c.kind.label());
        egui::ComboBox::from_id_salt("checksum")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                if ui
                    .selectable_label(send.checksum.is_none(), v.t(T::ChecksumNone))
                    .clicked()
                {
                    send.checksum = None;
                }
                for kind in ChecksumKind::ALL {
                    let on = send.checksum.is_some_and(|c| c.kind == kind);
                    if ui.selectable_label(on, kind.label()).clicked() {
                        let range = send.checksum.map(|c| c.range).unwrap_or_default();
                        send.checksum = Some(Checksum { kind, range });
                    }
                }
            })
            .response
            .labelled_by(l.id);
    });
    let Some(c) = &mut send.checksum else {
        return;
    };
    let (text, ok) = tab
        .checksum_range
        .get_or_insert_with(|| (c.range.to_string(), true));
    let field = labelled_field(ui, v.t(T::ChecksumRangeLabel), text, 80.0);
    if field.changed() {
        match text.parse::<ChecksumRange>() {
            Ok(range) => {
                c.range = range;
                *ok = true;
            }
            Err(_) => *ok = false,
        }
    }
    if !*ok {
        ui.colored_label(ui.visuals().error_fg_color, v.t(T::ErrChecksumRange));
    }
}
