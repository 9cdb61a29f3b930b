//! TCP Server mode: the connected clients, who a send goes to, and
//! disconnecting them.

use egui::Ui;

use crate::app::{Action, Model};
use crate::i18n::{T, fill};

/// Draws the client list.
pub fn show(ui: &mut Ui, model: &mut Model, actions: &mut Vec<Action>) {
    let lang = model.lang();
    let t = |k: T| k.get(lang);
    ui.heading(t(T::Clients));
    ui.label(fill(t(T::ClientCount), &[&model.clients.len()]));
    ui.horizontal(|ui| {
        ui.label(t(T::SendTo));
        ui.radio_value(&mut model.settings.to_selected, false, t(T::AllClients));
        ui.radio_value(&mut model.settings.to_selected, true, t(T::SelectedClients));
    });
    let any = !model.selected.is_empty();
    if ui
        .add_enabled(any, egui::Button::new(t(T::DisconnectSelected)))
        .clicked()
    {
        actions.push(Action::DisconnectSelected);
    }
    ui.separator();
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
    let ids: Vec<_> = model.clients.keys().copied().collect();
    egui::ScrollArea::vertical()
        .id_salt("client_list")
        .show_rows(ui, row_height, ids.len(), |ui, range| {
            for id in &ids[range] {
                let Some(c) = model.clients.get(id) else {
                    continue;
                };
                let mut ticked = model.selected.contains(id);
                ui.horizontal(|ui| {
                    if ui.checkbox(&mut ticked, c.addr.to_string()).changed() {
                        if ticked {
                            model.selected.insert(*id);
                        } else {
                            model.selected.remove(id);
                        }
                    }
                    let since: chrono::DateTime<chrono::Local> = c.since.into();
                    ui.monospace(format!("{} {} / {}", since.format("%H:%M:%S"), c.rx, c.tx));
                });
            }
        });
}
