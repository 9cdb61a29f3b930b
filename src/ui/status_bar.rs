//! The status bar: link state, counters, rates, dropped bytes, datagrams
//! the system dropped, messages.

use egui::Ui;

use crate::i18n::{T, fill};
use crate::net::Mode;
use crate::session::LinkState;
use crate::ui::action::Action;
use crate::ui::view::TabView;

/// Draws the status bar.
pub fn show(ui: &mut Ui, v: &TabView, actions: &mut Vec<Action>) {
    let t = |k: T| v.t(k);
    ui.horizontal(|ui| {
        let state = match v.log.link {
            LinkState::Closed => t(T::StateClosed),
            LinkState::Opening(_) => t(T::Opening),
            LinkState::Open(..) => t(T::StateOpen),
        };
        ui.strong(state);
        ui.separator();
        let c = &v.log.counters;
        // A relay counts client to server first, server to client second.
        let relay = matches!(
            v.log.link,
            LinkState::Open(Mode::Relay | Mode::UdpRelay, _)
                | LinkState::Opening(Mode::Relay | Mode::UdpRelay)
        );
        let (rx, tx) = if relay {
            (t(T::FaultsUp), t(T::FaultsDown))
        } else {
            (t(T::Rx), t(T::Tx))
        };
        counter(ui, v, rx, c.rx_bytes, c.rx_packets, v.log.rates.0);
        ui.separator();
        counter(ui, v, tx, c.tx_bytes, c.tx_packets, v.log.rates.1);
        if ui.small_button(t(T::ResetCounters)).clicked() {
            actions.push(Action::ResetCounters);
        }
        if let Some(p) = &v.looping {
            ui.separator();
            let text = match p.total {
                Some(n) => fill(t(T::LoopSentOf), &[&p.sent, &n]),
                None => fill(t(T::LoopSent), &[&p.sent]),
            };
            ui.label(text);
        }
        if v.log.dropped_bytes > 0 {
            ui.separator();
            ui.colored_label(
                ui.visuals().warn_fg_color,
                fill(t(T::Dropped), &[&v.log.dropped_bytes, &v.budget_mib]),
            );
        }
        if v.log.system_dropped > 0 {
            ui.separator();
            ui.colored_label(
                ui.visuals().warn_fg_color,
                fill(t(T::SystemDropped), &[&v.log.system_dropped]),
            )
            .on_hover_text(crate::teach::explain::system_dropped().text(v.lang));
        }
        if v.log.automation.dropped > 0 {
            ui.separator();
            ui.colored_label(
                ui.visuals().warn_fg_color,
                fill(t(T::RepliesDroppedCount), &[&v.log.automation.dropped]),
            );
        }
        if let Some(status) = &v.log.status {
            ui.separator();
            let color = if status.error {
                ui.visuals().error_fg_color
            } else {
                ui.visuals().text_color()
            };
            let label = ui.colored_label(color, status.msg.render(v.lang));
            if let Some(ex) = crate::teach::explain::message(&status.msg) {
                label.on_hover_text(ex.text(v.lang));
            }
        }
    });
}

/// One direction's counters: `RX 120 bytes / 3 packets (40 B/s)`.
fn counter(ui: &mut Ui, v: &TabView, dir: &str, bytes: u64, packets: u64, rate: u64) {
    let t = |k: T| v.t(k);
    ui.monospace(format!(
        "{} {bytes} {} / {packets} {} ({}/s)",
        dir,
        t(T::Bytes),
        t(T::Packets),
        human(rate as f64)
    ));
}

/// Bytes per second in B, KiB, MiB.
pub fn human(rate: f64) -> String {
    if rate >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", rate / 1048576.0)
    } else if rate >= 1024.0 {
        format!("{:.1} KiB", rate / 1024.0)
    } else {
        format!("{rate:.0} B")
    }
}
