//! TLS 加密: a TCP tab's TLS switch, certificate files, checks, ALPN,
//! version and key log (set before opening).

use egui::Ui;

use crate::i18n::T;
use crate::session::LinkState;
use crate::settings::{ModeChoice, SessionSettings, TlsVersionChoice};
use crate::ui::view::TabView;
use crate::ui::widgets::{field_error, labelled_field};

/// Width of a file field.
const FILE: f32 = 220.0;

/// Draws a TCP server or client tab's TLS settings.
pub fn show(ui: &mut Ui, s: &mut SessionSettings, v: &TabView) {
    let server = s.mode == ModeChoice::TcpServer;
    let closed = v.log.link == LinkState::Closed;
    egui::CollapsingHeader::new(v.t(T::TlsHeader))
        .id_salt("tls")
        .default_open(s.tls.enabled)
        .show(ui, |ui| {
            ui.add_enabled_ui(closed, |ui| {
                let t = &mut s.tls;
                ui.checkbox(&mut t.enabled, v.t(T::TlsUse));
                if !t.enabled {
                    return;
                }
                let cert = if server {
                    T::TlsCertServer
                } else {
                    T::TlsCertClient
                };
                labelled_field(ui, v.t(cert), &mut t.cert, FILE);
                labelled_field(ui, v.t(T::TlsKey), &mut t.key, FILE);
                if server {
                    labelled_field(ui, v.t(T::TlsClientCa), &mut t.client_ca, FILE);
                } else {
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
