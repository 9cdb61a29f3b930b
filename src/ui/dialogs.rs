//! Modal dialogs: confirming that an open tab should close, and settings.

use egui::Ui;

use crate::i18n::{Lang, T, fill};
use crate::settings::BUDGET_RANGE_MIB;
use crate::ui::action::Action;

/// A dialog on top of the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    /// "Close this tab?" for the tab at this index, named as shown.
    ConfirmClose(usize, String),
    /// The settings dialog, with the budget field's text and its message.
    Settings {
        /// The memory budget in MiB as typed.
        budget: String,
        /// True when the typed budget is not accepted.
        bad: bool,
    },
}

/// Draws `dialog`; returns false when it should close.
pub fn show(ui: &mut Ui, lang: Lang, dialog: &mut Dialog, actions: &mut Vec<Action>) -> bool {
    let t = |k: T| k.get(lang);
    let mut open = true;
    let modal =
        egui::Modal::new(egui::Id::unique("netassist-dialog")).show(ui.ctx(), |ui| match dialog {
            Dialog::ConfirmClose(i, name) => {
                ui.heading(t(T::ConfirmCloseTitle));
                ui.label(fill(t(T::ConfirmCloseText), &[name]));
                ui.horizontal(|ui| {
                    if ui.button(t(T::ConfirmCloseYes)).clicked() {
                        actions.push(Action::CloseTabNow(*i));
                        open = false;
                    }
                    if ui.button(t(T::Cancel)).clicked() {
                        open = false;
                    }
                });
            }
            Dialog::Settings { budget, bad } => {
                ui.heading(t(T::SettingsTitle));
                let l = ui.label(t(T::BudgetLabel));
                ui.add(egui::TextEdit::singleline(budget).desired_width(100.0))
                    .labelled_by(l.id);
                ui.weak(t(T::BudgetHint));
                if *bad {
                    let (lo, hi) = (BUDGET_RANGE_MIB.start(), BUDGET_RANGE_MIB.end());
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        fill(t(T::ErrBudget), &[lo, hi]),
                    );
                }
                ui.horizontal(|ui| {
                    if ui.button(t(T::Apply)).clicked() {
                        match budget.trim().parse::<usize>() {
                            Ok(mib) if BUDGET_RANGE_MIB.contains(&mib) => {
                                actions.push(Action::SetBudget(mib));
                                open = false;
                            }
                            _ => *bad = true,
                        }
                    }
                    if ui.button(t(T::Cancel)).clicked() {
                        open = false;
                    }
                });
            }
        });
    if modal.should_close() {
        open = false;
    }
    open
}
