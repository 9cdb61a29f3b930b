//! 网络设置: protocol, local address and port, remote, and Open/Close.

use egui::Ui;

use crate::app::{Action, LinkState, Model};
use crate::i18n::{T, fill};
use crate::net::Mode;
use crate::ui::layout::{field_error, labelled_field};
use crate::ui::settings::ModeChoice;

/// Draws the network settings.
pub fn show(ui: &mut Ui, model: &mut Model, actions: &mut Vec<Action>) {
    ui.heading(model.t(T::NetSettings));
    let closed = model.link == LinkState::Closed;
    ui.add_enabled_ui(closed, |ui| {
        protocol(ui, model);
        local(ui, model, actions);
        if model.settings.mode != ModeChoice::TcpServer {
            remote(ui, model, actions);
        }
    });
    ui.add_space(4.0);
    let label = open_label(model);
    let button =
        egui::Button::new(egui::RichText::new(label).strong()).min_size(egui::vec2(120.0, 28.0));
    if ui.add(button).clicked() {
        actions.push(Action::ToggleOpen);
    }
    if let LinkState::Open(mode, local) = model.link {
        let key = match mode {
            Mode::TcpServer => T::ListeningOn,
            Mode::TcpClient => T::ConnectedFrom,
            Mode::Udp => T::BoundTo,
        };
        ui.label(fill(model.t(key), &[&local]));
    }
}

fn protocol(ui: &mut Ui, model: &mut Model) {
    let lang = model.lang();
    let name = |m: ModeChoice| match m {
        ModeChoice::TcpServer => T::TcpServer.get(lang),
        ModeChoice::TcpClient => T::TcpClient.get(lang),
        ModeChoice::Udp => T::Udp.get(lang),
    };
    let label = ui.label(model.t(T::Protocol));
    egui::ComboBox::from_id_salt("protocol")
        .selected_text(name(model.settings.mode))
        .show_ui(ui, |ui| {
            for m in ModeChoice::ALL {
                ui.selectable_value(&mut model.settings.mode, m, name(m));
            }
        })
        .response
        .labelled_by(label.id);
}

fn local(ui: &mut Ui, model: &mut Model, actions: &mut Vec<Action>) {
    let label = ui.label(model.t(T::LocalAddr));
    ui.horizontal(|ui| {
        let s = &mut model.settings;
        egui::ComboBox::from_id_salt("local_ip")
            .selected_text(s.local_ip.clone())
            .width(150.0)
            .show_ui(ui, |ui| {
                for ip in &model.interfaces {
                    ui.selectable_value(&mut s.local_ip, ip.clone(), ip);
                }
            })
            .response
            .labelled_by(label.id);
        // Only Hack (the monospace font) has ↻; no loaded font has 🔄 or ⟳.
        let refresh = egui::Button::new(egui::RichText::new("↻").monospace());
        if ui
            .add(refresh)
            .on_hover_text(T::RefreshAddrs.get(s.lang))
            .clicked()
        {
            actions.push(Action::RefreshInterfaces);
        }
    });
    field_error(ui, &model.errors.local_ip, model.lang());
    let lang = model.lang();
    // A client usually lets the system pick its port; a server or UDP
    // socket needs one. Each keeps its own, so switching modes never makes
    // a client bind the port its server is about to use.
    let s = &mut model.settings;
    let (key, port) = match s.mode {
        ModeChoice::TcpClient => (T::LocalPortAny, &mut s.client_local_port),
        _ => (T::LocalPort, &mut s.local_port),
    };
    labelled_field(ui, key.get(lang), port, 150.0);
    field_error(ui, &model.errors.local_port, model.lang());
}

fn remote(ui: &mut Ui, model: &mut Model, actions: &mut Vec<Action>) {
    let lang = model.lang();
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            labelled_field(
                ui,
                T::RemoteHost.get(lang),
                &mut model.settings.remote_host,
                150.0,
            );
        });
        ui.vertical(|ui| {
            ui.label("");
            // ▾ is in Hack (monospace) only; the proportional fonts lack it.
            ui.menu_button(egui::RichText::new("▾").monospace(), |ui| {
                if model.settings.remote_history.is_empty() {
                    ui.label(T::HistoryEmpty.get(lang));
                }
                for r in &model.settings.remote_history {
                    if ui.button(r).clicked() {
                        actions.push(Action::UseRemote(r.clone()));
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text(T::RecentRemotes.get(lang));
        });
    });
    labelled_field(
        ui,
        T::RemotePort.get(lang),
        &mut model.settings.remote_port,
        150.0,
    );
    field_error(ui, &model.errors.remote, model.lang());
}

fn open_label(model: &Model) -> &'static str {
    let client = model.settings.mode == ModeChoice::TcpClient;
    let key = match (model.link, client) {
        (LinkState::Closed, false) => T::Open,
        (LinkState::Closed, true) => T::Connect,
        (LinkState::Opening(_), false) => T::Opening,
        (LinkState::Opening(_), true) => T::Connecting,
        (LinkState::Open(..), false) => T::CloseBtn,
        (LinkState::Open(..), true) => T::Disconnect,
    };
    model.t(key)
}
