//! TLS 加密: a TCP tab's TLS switch, certificate files, checks, ALPN,
//! version and key log (set before opening). A TCP relay has two switches:
//! TLS towards its clients and towards its server.

use egui::Ui;

use crate::i18n::T;
use crate::session::LinkState;
use crate::settings::{ModeChoice, SessionSettings, TlsVersionChoice};
use crate::ui::view::TabView;
use crate::ui::widgets::{field_error, labelled_field};

/// Width of a file field.
const FILE: f32 = 220.0;

/// Draws a TCP server, client or relay tab's TLS settings.
pub fn show(ui: &mut Ui, s: &mut SessionSettings, v: &TabView) {
    let relay = s.mode == ModeChoice::Relay;
    let closed = v.log.link == LinkState::Closed;
    let on = if relay {
        s.relay.tls_listen || s.relay.tls_upstream
    } else {
        s.tls.enabled
    };
    egui::CollapsingHeader::new(v.t(T::TlsHeader))
        .id_salt("tls")
        .default_open(on)
        .show(ui, |ui| {
            ui.add_enabled_ui(closed, |ui| {
                // Which sides speak TLS: a server's or client's one switch,
                // a relay's two.
                let (server, client) = if relay {
                    ui.checkbox(&mut s.relay.tls_listen, v.t(T::TlsRelayListen));
                    ui.checkbox(&mut s.relay.tls_upstream, v.t(T::TlsRelayUpstream));
                    (s.relay.tls_listen, s.relay.tls_upstream)
                } else if s.mode == ModeChoice::WsClient {
                    // A wss:// URL speaks TLS; these are its checks.
                    (false, true)
                } else {
                    ui.checkbox(&mut s.tls.enabled, v.t(T::TlsUse));
                    let on = s.tls.enabled;
                    (
                        on && matches!(s.mode, ModeChoice::TcpServer | ModeChoice::WsServer),
                        on && s.mode == ModeChoice::TcpClient,
                    )
                };
                if !server && !client {
                    return;
                }
                let t = &mut s.tls;
                if server {
                    labelled_field(ui, v.t(T::TlsCertServer), &mut t.cert, FILE);
                    labelled_field(ui, v.t(T::TlsKey), &mut t.key, FILE);
                    labelled_field(ui, v.t(T::TlsClientCa), &mut t.client_ca, FILE);
                }
                if client {
                    if !relay {
                        labelled_field(ui, v.t(T::TlsCertClient), &mut t.cert, FILE);
                        labelled_field(ui, v.t(T::TlsKey), &mut t.key, FILE);
                    }
                    ui.add_enabled_ui(!t.insecure, |ui| {
                        labelled_field(ui, v.t(T::TlsCa), &mut t.ca, FILE);
                    });
                    ui.checkbox(&mut t.insecure, v.t(T::TlsInsecure));
                    labelled_field(ui, v.t(T::TlsSni), &mut t.sni, FILE);
                }
                labelled_field(ui, v.t(T::TlsAlpn), &mut t.alpn, FILE);
                let label = ui.label(v.t(T::TlsVersion));
                ui.horizontal_wrapped(|ui| {
                    for (choice, key) in [
                        (TlsVersionChoice::Both, T::TlsVersionBoth),
                        (TlsVersionChoice::Tls12, T::TlsVersion12),
                        (TlsVersionChoice::Tls13, T::TlsVersion13),
                    ] {
                        ui.radio_value(&mut t.version, choice, v.t(key))
                            .labelled_by(label.id);
                    }
                });
                labelled_field(ui, v.t(T::TlsKeylog), &mut t.keylog, FILE);
                if !t.keylog.trim().is_empty() {
                    ui.colored_label(ui.visuals().warn_fg_color, v.t(T::TlsKeylogWarn));
                }
            });
            field_error(ui, &v.errors.tls, v.lang);
        });
}
