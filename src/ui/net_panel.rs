//! 网络设置: protocol, local address and port, remote, and Open/Close.

use egui::Ui;

use crate::i18n::{Lang, T, fill};
use crate::net::{Mode, PeerId};
use crate::session::{ClientInfo, LinkState};
use crate::settings::{ModeChoice, SessionSettings};
use crate::ui::action::Action;
use crate::ui::view::TabView;
use crate::ui::widgets::{field_error, labelled_field};

/// Draws the network settings.
pub fn show(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, actions: &mut Vec<Action>) {
    ui.heading(v.t(T::NetSettings));
    crate::ui::partner_menu::note(ui, s, v, actions);
    let closed = v.log.link == LinkState::Closed;
    ui.add_enabled_ui(closed, |ui| protocol(ui, s, v.lang));
    if s.mode == ModeChoice::Load {
        crate::ui::load::settings::show(ui, s, v);
    } else {
        ui.add_enabled_ui(closed, |ui| {
            local(ui, s, v, actions);
            if !matches!(
                s.mode,
                ModeChoice::TcpServer | ModeChoice::WsServer | ModeChoice::WsClient
            ) {
                remote(ui, s, v, actions);
            }
        });
        crate::ui::ws_panel::settings(ui, s, v);
    }
    ui.add_space(4.0);
    let label = open_label(s, v);
    let button =
        egui::Button::new(egui::RichText::new(label).strong()).min_size(egui::vec2(120.0, 28.0));
    if ui.add(button).clicked() {
        actions.push(Action::ToggleOpen);
    }
    if let Some((peer, conn)) = &v.log.connection {
        ui.horizontal_wrapped(|ui| {
            finish_button(ui, v, *peer, conn, actions);
            if conn.peer_finished {
                ui.weak(v.t(T::ClientPeerFinished));
            }
            if conn.we_finished {
                ui.weak(v.t(T::ClientWeFinished));
            }
        });
    }
    if let LinkState::Open(mode, local) = v.log.link
        && mode != Mode::Load
    {
        let key = match mode {
            Mode::TcpServer | Mode::WsServer => T::ListeningOn,
            Mode::TcpClient | Mode::WsClient => T::ConnectedFrom,
            Mode::Udp => T::BoundTo,
            Mode::Relay | Mode::UdpRelay => T::RelayingOn,
            // Said by the figures above the log.
            Mode::Load => T::LoadMode,
        };
        ui.label(fill(v.t(key), &[&local]));
    }
    if s.mode == ModeChoice::Udp {
        multicast(ui, s, v, actions);
    }
    if s.mode.is_relay() {
        crate::ui::faults_panel::show(ui, s, v, actions);
    }
    if matches!(
        s.mode,
        ModeChoice::TcpServer
            | ModeChoice::TcpClient
            | ModeChoice::Relay
            | ModeChoice::WsServer
            | ModeChoice::WsClient
    ) {
        crate::ui::tls_panel::show(ui, s, v);
    }
}

/// UDP: groups to join (now, or at open), the groups joined, and the
/// multicast options.
fn multicast(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, actions: &mut Vec<Action>) {
    let closed = v.log.link == LinkState::Closed;
    egui::CollapsingHeader::new(v.t(T::Multicast))
        .id_salt("multicast")
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let field = labelled_field(ui, v.t(T::JoinGroup), &mut s.multicast_join, 150.0);
                let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui.button(v.t(T::JoinBtn)).clicked() || enter {
                    actions.push(Action::JoinGroup);
                }
            });
            if closed {
                ui.label(v.t(T::GroupsAtOpen));
                if s.multicast_groups.is_empty() {
                    ui.weak(v.t(T::NoGroups));
                }
                let mut remove = None;
                for (i, g) in s.multicast_groups.iter().enumerate() {
                    ui.horizontal(|ui| {
                        ui.monospace(g);
                        if ui.small_button(v.t(T::Delete)).clicked() {
                            remove = Some(i);
                        }
                    });
                }
                if let Some(i) = remove {
                    s.multicast_groups.remove(i);
                }
            } else {
                ui.label(v.t(T::GroupsJoined));
                if v.log.groups.is_empty() {
                    ui.weak(v.t(T::NoGroups));
                }
                for m in &v.log.groups {
                    ui.horizontal(|ui| {
                        ui.monospace(m.to_string());
                        if ui.small_button(v.t(T::LeaveBtn)).clicked() {
                            actions.push(Action::LeaveGroup(m.clone()));
                        }
                    });
                }
            }
            ui.add_enabled_ui(closed, |ui| {
                labelled_field(ui, v.t(T::MulticastTtl), &mut s.multicast_ttl, 60.0);
                ui.checkbox(&mut s.multicast_loop, v.t(T::MulticastLoop));
                labelled_field(ui, v.t(T::MulticastIf), &mut s.multicast_if, 120.0);
            });
        });
    field_error(ui, &v.errors.multicast, v.lang);
}

/// "Finish sending (FIN)" for the client's connection (greyed once we
/// finished).
fn finish_button(
    ui: &mut Ui,
    v: &TabView,
    peer: PeerId,
    conn: &ClientInfo,
    actions: &mut Vec<Action>,
) {
    let button = egui::Button::new(v.t(T::FinishSending)).small();
    if ui
        .add_enabled(!conn.we_finished, button)
        .on_hover_text(v.t(T::FinishHint))
        .on_disabled_hover_text(v.t(T::ClientWeFinished))
        .clicked()
    {
        actions.push(Action::Finish(peer));
    }
}

/// The protocol's name in `lang`.
pub fn mode_name(m: ModeChoice, lang: Lang) -> &'static str {
    match m {
        ModeChoice::TcpServer => T::TcpServer.get(lang),
        ModeChoice::TcpClient => T::TcpClient.get(lang),
        ModeChoice::Udp => T::Udp.get(lang),
        ModeChoice::Relay => T::RelayMode.get(lang),
        ModeChoice::UdpRelay => T::UdpRelayMode.get(lang),
        ModeChoice::WsServer => T::WsServerMode.get(lang),
        ModeChoice::WsClient => T::WsClientMode.get(lang),
        ModeChoice::Load => T::LoadMode.get(lang),
    }
}

fn protocol(ui: &mut Ui, s: &mut SessionSettings, lang: Lang) {
    let label = ui.label(T::Protocol.get(lang));
    egui::ComboBox::from_id_salt("protocol")
        .selected_text(mode_name(s.mode, lang))
        .show_ui(ui, |ui| {
            for m in ModeChoice::ALL {
                ui.selectable_value(&mut s.mode, m, mode_name(m, lang));
            }
        })
        .response
        .labelled_by(label.id);
}

fn local(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, actions: &mut Vec<Action>) {
    let label = ui.label(v.t(T::LocalAddr));
    ui.horizontal(|ui| {
        egui::ComboBox::from_id_salt("local_ip")
            .selected_text(s.local_ip.clone())
            .width(150.0)
            .show_ui(ui, |ui| {
                for ip in v.interfaces {
                    ui.selectable_value(&mut s.local_ip, ip.clone(), ip);
                }
            })
            .response
            .labelled_by(label.id);
        // Only Hack (the monospace font) has ↻; no loaded font has 🔄 or ⟳.
        let refresh = egui::Button::new(egui::RichText::new("↻").monospace());
        if ui
            .add(refresh)
            .on_hover_text(v.t(T::RefreshAddrs))
            .clicked()
        {
            actions.push(Action::RefreshInterfaces);
        }
    });
    field_error(ui, &v.errors.local_ip, v.lang);
    // A client usually lets the system pick its port; a server or UDP
    // socket needs one. Each keeps its own, so switching modes never makes
    // a client bind the port its server is about to use.
    let (key, port) = match s.mode {
        ModeChoice::TcpClient | ModeChoice::WsClient => (T::LocalPortAny, &mut s.client_local_port),
        ModeChoice::Relay | ModeChoice::UdpRelay => (T::ListenPort, &mut s.local_port),
        _ => (T::LocalPort, &mut s.local_port),
    };
    labelled_field(ui, v.t(key), port, 150.0);
    field_error(ui, &v.errors.local_port, v.lang);
}

fn remote(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, actions: &mut Vec<Action>) {
    let (host_key, port_key) = if s.mode.is_relay() {
        (T::TargetHost, T::TargetPort)
    } else {
        (T::RemoteHost, T::RemotePort)
    };
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            labelled_field(ui, v.t(host_key), &mut s.remote_host, 150.0);
        });
        ui.vertical(|ui| {
            ui.label("");
            // ▾ is in Hack (monospace) only; the proportional fonts lack it.
            ui.menu_button(egui::RichText::new("▾").monospace(), |ui| {
                if v.remote_history.is_empty() {
                    ui.label(v.t(T::HistoryEmpty));
                }
                for r in v.remote_history {
                    if ui.button(r).clicked() {
                        actions.push(Action::UseRemote(r.clone()));
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text(v.t(T::RecentRemotes));
        });
    });
    labelled_field(ui, v.t(port_key), &mut s.remote_port, 150.0);
    field_error(ui, &v.errors.remote, v.lang);
}

fn open_label(s: &SessionSettings, v: &TabView) -> &'static str {
    if s.mode == ModeChoice::Load {
        return match v.log.link {
            LinkState::Closed => v.t(T::LoadStart),
            _ => v.t(T::LoadStop),
        };
    }
    let client = s.mode.is_client();
    let key = match (v.log.link, client) {
        (LinkState::Closed, false) => T::Open,
        (LinkState::Closed, true) => T::Connect,
        (LinkState::Opening(_), false) => T::Opening,
        (LinkState::Opening(_), true) => T::Connecting,
        (LinkState::Open(..), false) => T::CloseBtn,
        (LinkState::Open(..), true) => T::Disconnect,
    };
    v.t(key)
}
