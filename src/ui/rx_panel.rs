//! 接收设置: how the log shows data, and saving or recording it.

use egui::Ui;

use crate::codec::DisplayEncoding;
use crate::files::Purpose;
use crate::i18n::{Lang, T};
use crate::records::View;
use crate::settings::SessionSettings;
use crate::ui::action::Action;
use crate::ui::view::{TabUi, TabView};

/// Draws the receive settings.
pub fn show(
    ui: &mut Ui,
    s: &mut SessionSettings,
    v: &TabView,
    tab: &mut TabUi,
    end_seq: u64,
    actions: &mut Vec<Action>,
) {
    let t = |k: T| v.t(k);
    ui.heading(t(T::RxSettings));
    ui.horizontal_wrapped(|ui| {
        ui.radio_value(&mut s.view, View::Text, t(T::ViewText));
        ui.radio_value(&mut s.view, View::Hex, t(T::ViewHex));
        ui.radio_value(&mut s.view, View::Both, t(T::ViewBoth));
    });
    encoding_combo(ui, "rx_encoding", t(T::RxEncoding), &mut s.encoding, v.lang);
    crate::ui::framing_panel::show(ui, s, v);
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut s.timestamps, t(T::ShowTime));
        ui.checkbox(&mut s.show_peer, t(T::ShowPeer));
        ui.checkbox(&mut s.show_control, t(T::ShowControl));
        ui.checkbox(&mut s.show_delta, t(T::ShowDelta))
            .on_hover_text(t(T::DeltaHint));
        ui.checkbox(&mut s.show_rtt, t(T::ShowRtt))
            .on_hover_text(t(T::RttHint));
        ui.checkbox(&mut s.auto_scroll, t(T::AutoScroll));
        let mut paused = tab.paused_at.is_some();
        if ui.checkbox(&mut paused, t(T::Pause)).changed() {
            tab.paused_at = paused.then_some(end_seq);
        }
    });
    ui.horizontal_wrapped(|ui| {
        if ui.button(t(T::ClearLog)).clicked() {
            actions.push(Action::ClearLog);
        }
        if ui.button(t(T::SaveLog)).clicked() {
            actions.push(Action::Pick(Purpose::SaveLog));
        }
        if ui.button(t(T::SaveRaw)).clicked() {
            actions.push(Action::Pick(Purpose::SaveRaw));
        }
        if ui.button(t(T::SavePcap)).clicked() {
            actions.push(Action::Pick(Purpose::SavePcap));
        }
        if v.log.recording {
            if ui.button(t(T::StopRecording)).clicked() {
                actions.push(Action::StopRecording);
            }
        } else if ui.button(t(T::RecordToFile)).clicked() {
            actions.push(Action::Pick(Purpose::Record));
        }
    });
}

/// A labelled dropdown of UTF-8 / GBK / Auto.
fn encoding_combo(ui: &mut Ui, id: &str, label: &str, value: &mut DisplayEncoding, lang: Lang) {
    let name = |e: DisplayEncoding| match e {
        DisplayEncoding::Auto => T::EncAuto.get(lang),
        other => other.label(),
    };
    ui.horizontal(|ui| {
        let l = ui.label(label);
        egui::ComboBox::from_id_salt(id)
            .selected_text(name(*value))
            .show_ui(ui, |ui| {
                for e in [
                    DisplayEncoding::Utf8,
                    DisplayEncoding::Gbk,
                    DisplayEncoding::Auto,
                ] {
                    ui.selectable_value(value, e, name(e));
                }
            })
            .response
            .labelled_by(l.id);
    });
}
