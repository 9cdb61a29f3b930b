//! The status bar: link state, counters, rates, dropped bytes, messages.

use egui::Ui;

use crate::app::{Action, LinkState, LogData, Model};
use crate::i18n::{T, fill};

/// Draws the status bar.
pub fn show(ui: &mut Ui, model: &Model, log: &LogData, actions: &mut Vec<Action>) {
    let t = |k: T| model.t(k);
    ui.horizontal(|ui| {
        let state = match model.link {
            LinkState::Closed => t(T::StateClosed),
            LinkState::Opening(_) => t(T::Opening),
            LinkState::Open(..) => t(T::StateOpen),
        };
        ui.strong(state);
        ui.separator();
        let s = &model.stats;
        counter(ui, model, T::Rx, s.rx_bytes, s.rx_packets, s.rx_rate);
        ui.separator();
        counter(ui, model, T::Tx, s.tx_bytes, s.tx_packets, s.tx_rate);
        if ui.small_button(t(T::ResetCounters)).clicked() {
            actions.push(Action::ResetCounters);
        }
        let dropped = log.store.dropped_bytes();
        if dropped > 0 {
            ui.separator();
            let cap = log.store.config().max_payload_bytes >> 20;
            ui.colored_label(
                ui.visuals().warn_fg_color,
                fill(t(T::Dropped), &[&dropped, &cap]),
            );
        }
        if let Some(status) = &model.status {
            ui.separator();
            let color = if status.error {
                ui.visuals().error_fg_color
            } else {
                ui.visuals().text_color()
            };
            ui.colored_label(color, status.msg.render(model.lang()));
        }
    });
}

/// One direction's counters: `RX 120 bytes / 3 packets (40 B/s)`.
fn counter(ui: &mut Ui, model: &Model, dir: T, bytes: u64, packets: u64, rate: f64) {
    let t = |k: T| model.t(k);
    ui.monospace(format!(
        "{} {bytes} {} / {packets} {} ({}/s)",
        t(dir),
        t(T::Bytes),
        t(T::Packets),
        human(rate)
    ));
}

/// Bytes per second in B, KiB, MiB.
fn human(rate: f64) -> String {
    if rate >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", rate / 1048576.0)
    } else if rate >= 1024.0 {
        format!("{:.1} KiB", rate / 1024.0)
    } else {
        format!("{rate:.0} B")
    }
}
