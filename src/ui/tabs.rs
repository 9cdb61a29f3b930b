//! The tab strip: one tab per session, with its mode and port, a dot while
//! it has unread traffic, a close button, rename by double-click, and `+`.

use egui::Ui;

use crate::i18n::{Lang, T};
use crate::ui::action::Action;

/// One tab as the strip shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabTitle {
    /// The name, or mode and port (`TCP Server :8888`).
    pub text: String,
    /// Traffic arrived since the tab was last shown.
    pub unread: bool,
}

/// Draws the strip. `renaming` holds the tab being renamed and its new name.
pub fn show(
    ui: &mut Ui,
    lang: Lang,
    tabs: &[TabTitle],
    active: usize,
    renaming: &mut Option<(usize, String)>,
    actions: &mut Vec<Action>,
) {
    ui.horizontal_wrapped(|ui| {
        for (i, tab) in tabs.iter().enumerate() {
            if let Some((r, name)) = renaming.as_mut()
                && *r == i
            {
                rename_field(ui, lang, i, name, actions);
                let renamed = actions.iter().any(|a| matches!(a, Action::RenameTab(..)));
                if renamed || ui.input(|inp| inp.key_pressed(egui::Key::Escape)) {
                    *renaming = None;
                }
                continue;
            }
            let mut text = tab.text.clone();
            if tab.unread {
                text.push_str(" ●");
            }
            let label = ui
                .selectable_label(i == active, text)
                .on_hover_text(T::RenameHint.get(lang));
            if label.double_clicked() {
                *renaming = Some((i, tab.text.clone()));
            } else if label.clicked() {
                actions.push(Action::SelectTab(i));
            }
            let close = ui.small_button("×").on_hover_text(T::CloseTab.get(lang));
            if close.clicked() {
                actions.push(Action::CloseTab(i));
            }
            ui.separator();
        }
        if ui.button("+").on_hover_text(T::NewTab.get(lang)).clicked() {
            actions.push(Action::NewTab);
        }
    });
}

fn rename_field(ui: &mut Ui, lang: Lang, i: usize, name: &mut String, actions: &mut Vec<Action>) {
    let l = ui.label(T::TabName.get(lang));
    let edit = ui
        .add(egui::TextEdit::singleline(name).desired_width(140.0))
        .labelled_by(l.id);
    if !edit.has_focus() && !edit.lost_focus() {
        edit.request_focus();
    }
    if edit.lost_focus() && !ui.input(|inp| inp.key_pressed(egui::Key::Escape)) {
        actions.push(Action::RenameTab(i, name.trim().to_string()));
    }
}
