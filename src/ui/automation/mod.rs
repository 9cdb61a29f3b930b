//! The automation window: presets (quick commands with hotkeys), sequences
//! and this tab's auto-reply rules, with import and export of the file
//! that holds them.

mod presets;
mod rules;
mod sequences;

use egui::Ui;

use crate::automation::AutomationFile;
use crate::files::Purpose;
use crate::i18n::T;
use crate::settings::SessionSettings;
use crate::ui::action::Action;
use crate::ui::view::TabView;

/// Which part of the window is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Page {
    /// Presets.
    #[default]
    Presets,
    /// Sequences.
    Sequences,
    /// Auto-reply rules.
    Rules,
}

/// The window's state.
#[derive(Debug, Default)]
pub struct AutomationUi {
    /// Shown.
    pub open: bool,
    /// The page shown.
    pub page: Page,
    /// Open this item of the page in the next frame (one just added).
    pub expand: Option<usize>,
}

/// Draws the window when it is open. `shared` holds the presets and
/// sequences of every tab; the rules are the current tab's.
pub fn show(
    ui: &mut Ui,
    state: &mut AutomationUi,
    shared: &mut AutomationFile,
    s: &mut SessionSettings,
    v: &TabView,
    actions: &mut Vec<Action>,
) {
    if !state.open {
        return;
    }
    let mut open = true;
    egui::Window::new(v.t(T::AutomationTitle))
        .id(egui::Id::unique("automation-window"))
        .open(&mut open)
        .default_size([640.0, 480.0])
        .vscroll(true)
        .show(ui.ctx(), |ui| {
            ui.horizontal(|ui| {
                ui.selectable_value(&mut state.page, Page::Presets, v.t(T::TabPresets));
                ui.selectable_value(&mut state.page, Page::Sequences, v.t(T::TabSequences));
                ui.selectable_value(&mut state.page, Page::Rules, v.t(T::TabRules));
                ui.separator();
                if ui.button(v.t(T::ImportFile)).clicked() {
                    actions.push(Action::Pick(Purpose::ImportAutomation));
                }
                if ui.button(v.t(T::ExportFile)).clicked() {
                    actions.push(Action::Pick(Purpose::ExportAutomation));
                }
            });
            ui.separator();
            match state.page {
                Page::Presets => presets::show(ui, shared, v, state.expand.take(), actions),
                Page::Sequences => sequences::show(ui, shared, v, actions),
                Page::Rules => rules::show(ui, s, v),
            }
        });
    if !open {
        state.open = false;
    }
}

/// Up, down and delete buttons for item `i` of `list`; returns true when
/// the list changed.
fn reorder<X>(ui: &mut Ui, v: &TabView, list: &mut Vec<X>, i: usize) -> bool {
    let mut changed = false;
    if ui
        .add_enabled(i > 0, egui::Button::new("↑").small())
        .on_hover_text(v.t(T::MoveUp))
        .clicked()
    {
        list.swap(i, i - 1);
        changed = true;
    }
    if ui
        .add_enabled(i + 1 < list.len(), egui::Button::new("↓").small())
        .on_hover_text(v.t(T::MoveDown))
        .clicked()
    {
        list.swap(i, i + 1);
        changed = true;
    }
    if ui.small_button(v.t(T::Delete)).clicked() {
        list.remove(i);
        changed = true;
    }
    changed
}
