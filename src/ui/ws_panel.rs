//! WebSocket: a client's URL, headers and subprotocols, a server's path,
//! the message limit (in the network settings), and next to Send: text or
//! binary, a ping, and a close with a chosen code and reason.

use egui::Ui;

use crate::i18n::T;
use crate::net::ws::MessageKind;
use crate::session::LinkState;
use crate::settings::{ModeChoice, SessionSettings};
use crate::ui::action::Action;
use crate::ui::view::TabView;
use crate::ui::widgets::{field_error, labelled_field};

/// Width of a field.
const FIELD: f32 = 240.0;

/// The WebSocket settings of the network panel (set before opening).
pub fn settings(ui: &mut Ui, s: &mut SessionSettings, v: &TabView) {
    let closed = v.log.link == LinkState::Closed;
    ui.add_enabled_ui(closed, |ui| {
        let w = &mut s.ws;
        match s.mode {
            ModeChoice::WsClient => {
                labelled_field(ui, v.t(T::WsUrl), &mut w.url, FIELD);
                let l = ui.label(v.t(T::WsHeaders));
                ui.add(
                    egui::TextEdit::multiline(&mut w.headers)
                        .desired_rows(2)
                        .desired_width(FIELD),
                )
                .labelled_by(l.id);
                labelled_field(ui, v.t(T::WsProtocols), &mut w.protocols, FIELD);
            }
            ModeChoice::WsServer => {
                labelled_field(ui, v.t(T::WsPath), &mut w.path, FIELD);
            }
            _ => return,
        }
        labelled_field(ui, v.t(T::WsMaxMessage), &mut w.max_message_kib, 120.0);
    });
    field_error(ui, &v.errors.ws, v.lang);
}

/// Next to Send: the kind of message, a ping and a close.
pub fn send_bar(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, actions: &mut Vec<Action>) {
    if !s.mode.is_ws() {
        return;
    }
    let w = &mut s.ws;
    ui.horizontal_wrapped(|ui| {
        let before = w.kind;
        ui.radio_value(&mut w.kind, MessageKind::Text, v.t(T::WsKindText))
            .on_hover_text(v.t(T::WsKindHint));
        ui.radio_value(&mut w.kind, MessageKind::Binary, v.t(T::WsKindBinary))
            .on_hover_text(v.t(T::WsKindHint));
        if w.kind != before {
            actions.push(Action::WsKind(w.kind));
        }
        ui.separator();
        labelled_field(ui, v.t(T::WsPingPayload), &mut w.ping_payload, 90.0);
        if ui.button(v.t(T::WsPing)).clicked() {
            actions.push(Action::WsPing);
        }
    });
    ui.horizontal_wrapped(|ui| {
        labelled_field(ui, v.t(T::WsCloseCode), &mut w.close_code, 50.0);
        labelled_field(ui, v.t(T::WsCloseReason), &mut w.close_reason, 120.0);
        if ui.button(v.t(T::WsCloseBtn)).clicked() {
            actions.push(Action::WsClose);
        }
    });
}
