//! 发送设置: text or hex, escapes, line ending, encoding, loop and file send.

use egui::Ui;

use crate::codec::checksum::{Checksum, ChecksumKind, ChecksumRange};
use crate::codec::{InputMode, LineEnding, TextEncoding};
use crate::files::Purpose;
use crate::i18n::{T, fill};
use crate::settings::SessionSettings;
use crate::ui::action::Action;
use crate::ui::view::{TabUi, TabView};
use crate::ui::widgets::{field_error, labelled_field};

/// Draws the send settings.
pub fn show(
    ui: &mut Ui,
    s: &mut SessionSettings,
    v: &TabView,
    tab: &mut TabUi,
    actions: &mut Vec<Action>,
) {
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
    ui.separator();
    loop_send(ui, s, v, actions);
    file_send(ui, v, actions);
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

fn loop_send(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, actions: &mut Vec<Action>) {
    let running = v.looping.is_some();
    ui.add_enabled_ui(!running, |ui| {
        ui.horizontal_wrapped(|ui| {
            labelled_field(ui, v.t(T::LoopEvery), &mut s.loop_ms, 60.0);
            labelled_field(ui, v.t(T::LoopTimes), &mut s.loop_count, 50.0)
                .on_hover_text(v.t(T::LoopTimesHint));
        });
    });
    field_error(ui, &v.errors.loop_ms, v.lang);
    ui.horizontal(|ui| {
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
    });
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
