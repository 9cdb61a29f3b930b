//! TCP Server mode: the connected clients, who a send goes to, and
//! disconnecting them.

use egui::Ui;

use crate::i18n::{T, fill};
use crate::settings::SessionSettings;
use crate::ui::action::Action;
use crate::ui::view::{TabUi, TabView};

/// Draws the client list.
pub fn show(
    ui: &mut Ui,
    s: &mut SessionSettings,
    v: &TabView,
    tab: &mut TabUi,
    actions: &mut Vec<Action>,
) {
    let t = |k: T| v.t(k);
    ui.heading(t(T::Clients));
    ui.label(match v.clients.len() {
        1 => t(T::OneClient).to_string(),
        n => fill(t(T::ClientCount), &[&n]),
    });
    ui.horizontal(|ui| {
        ui.label(t(T::SendTo));
        ui.radio_value(&mut s.to_selected, false, t(T::AllClients));
        ui.radio_value(&mut s.to_selected, true, t(T::SelectedClients));
    });
    // Clients that left are no longer selectable.
    tab.selected
        .retain(|p| v.clients.iter().any(|(id, _)| id == p));
    let any = !tab.selected.is_empty();
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(any, egui::Button::new(t(T::DisconnectSelected)))
            .clicked()
        {
            actions.push(Action::DisconnectSelected);
        }
        let finish = ui
            .add_enabled(any, egui::Button::new(t(T::FinishSelected)))
            .on_hover_text(t(T::FinishHint));
        if finish.clicked() {
            for (id, c) in v.clients {
                if tab.selected.contains(id) && !c.we_finished {
                    actions.push(Action::Finish(*id));
                }
            }
        }
    });
    ui.separator();
    crate::ui::widgets::labelled_field(ui, t(T::ClientFilter), &mut tab.client_filter.text, 150.0)
        .on_hover_text(t(T::ClientFilterHint));
    // Taken out while the rows are drawn (they change the selection).
    let mut filter = std::mem::take(&mut tab.client_filter);
    let rows = filter.rows(v.clients);
    if rows.len() != v.clients.len() {
        ui.weak(fill(t(T::ClientShown), &[&rows.len(), &v.clients.len()]));
    }
    ui.horizontal(|ui| {
        ui.strong(t(T::ColAddr));
        ui.add_space(80.0);
        ui.strong(format!(
            "{} / {} / {}",
            t(T::ColSince),
            t(T::ColRx),
            t(T::ColTx)
        ));
    });
    let row_height = ui.spacing().interact_size.y;
    egui::ScrollArea::vertical()
        .id_salt("client_list")
        .show_rows(ui, row_height, rows.len(), |ui, range| {
            for (id, c) in rows[range].iter().filter_map(|&i| v.clients.get(i)) {
                let mut ticked = tab.selected.contains(id);
                ui.horizontal(|ui| {
                    if ui.checkbox(&mut ticked, c.addr.to_string()).changed() {
                        if ticked {
                            tab.selected.insert(*id);
                        } else {
                            tab.selected.remove(id);
                        }
                    }
                    let since: chrono::DateTime<chrono::Local> = c.since.into();
                    ui.monospace(format!("{} {} / {}", since.format("%H:%M:%S"), c.rx, c.tx));
                    let only = ui
                        .small_button(t(T::OnlyBtn))
                        .on_hover_text(t(T::OnlyThisPeer));
                    if only.clicked() {
                        tab.filter.filter.peer = Some(c.addr);
                    }
                    if c.peer_finished {
                        ui.weak(t(T::ClientPeerFin))
                            .on_hover_text(t(T::ClientPeerFinished));
                    }
                    if c.we_finished {
                        ui.weak(t(T::ClientWeFin))
                            .on_hover_text(t(T::ClientWeFinished));
                    }
                });
            }
        });
    tab.client_filter = filter;
}
