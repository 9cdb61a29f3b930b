//! The "Tutorial partner" menu: sets the current tab up as the other side
//! of one of the tutorial programs, and the note that says which partner
//! the tab plays and what to run against it.

use egui::Ui;

use crate::automation::{Partner, partner, partners};
use crate::i18n::{Lang, T, fill};
use crate::session::LinkState;
use crate::settings::SessionSettings;
use crate::ui::action::Action;
use crate::ui::view::TabView;

/// A partner's title in `lang`.
pub fn title(p: &Partner, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => p.title_zh,
        Lang::En => p.title_en,
    }
}

/// What to run against a partner, in `lang`.
pub fn about(p: &Partner, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => p.about_zh,
        Lang::En => p.about_en,
    }
}

/// The menu button with every partner; greyed while the tab is open.
pub fn menu(ui: &mut Ui, v: &TabView, actions: &mut Vec<Action>) {
    let closed = v.log.link == LinkState::Closed;
    ui.add_enabled_ui(closed, |ui| {
        ui.menu_button(v.t(T::PartnerMenu), |ui| {
            ui.label(egui::RichText::new(v.t(T::PartnerMenuHint)).weak());
            let mut tutorial = "";
            for p in partners() {
                if p.tutorial != tutorial {
                    ui.separator();
                    tutorial = p.tutorial;
                }
                let item = ui
                    .button(title(&p, v.lang))
                    .on_hover_text(about(&p, v.lang));
                if item.clicked() {
                    actions.push(Action::UsePartner(p.id));
                    ui.close();
                }
            }
        })
        .response
        .on_hover_text(v.t(T::PartnerMenuHint))
        .on_disabled_hover_text(v.t(T::PartnerCloseFirst));
    });
}

/// The tab's partner, what to run against it, and its rules.
pub fn note(ui: &mut Ui, s: &mut SessionSettings, v: &TabView, actions: &mut Vec<Action>) {
    let Some(p) = s.partner.as_deref().and_then(partner) else {
        return;
    };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.strong(fill(v.t(T::PartnerIs), &[&title(&p, v.lang)]));
        ui.label(about(&p, v.lang));
        ui.horizontal(|ui| {
            if !s.rules.rules.is_empty() && ui.small_button(v.t(T::PartnerShowRules)).clicked() {
                actions.push(Action::ShowRules);
            }
            if ui.small_button(v.t(T::PartnerDismiss)).clicked() {
                s.partner = None;
            }
        });
    });
}
