//! Lays out the window: the title bar and tab strip on top, the current
//! tab's settings on the left, its log in the middle with the send box
//! below, the client list on the right in TCP Server mode, and the status
//! bar at the bottom. Panels only collect actions; the window applies them
//! after layout.

use egui::Ui;

use crate::automation::AutomationFile;
use crate::i18n::{Lang, T};
use crate::records::RowStyle;
use crate::session::Session;
use crate::settings::{ModeChoice, SessionSettings};
use crate::ui::action::Action;
use crate::ui::automation::{self, AutomationUi};
use crate::ui::dialogs::{self, Dialog};
use crate::ui::python_window::{self, PythonUi};
use crate::ui::tabs::{self, TabTitle};
use crate::ui::view::{TabUi, TabView};
use crate::ui::{
    clients, find_bar, log_view, message_view, net_panel, partner_menu, plot, rx_panel, send_box,
    status_bar, tx_panel,
};

/// Width of the settings panel.
const LEFT_WIDTH: f32 = 250.0;

/// The row style before the first frame has measured the log's width.
pub fn initial_style(s: &SessionSettings) -> RowStyle {
    RowStyle {
        view: s.view,
        bytes_per_row: 64,
        encoding: s.encoding,
        show_control: s.show_control,
    }
}

/// What the window shows around the current tab.
pub struct Chrome<'a> {
    /// The UI language (the switch changes it).
    pub lang: &'a mut Lang,
    /// Every tab's title.
    pub titles: &'a [TabTitle],
    /// The tab shown.
    pub active: usize,
    /// The tab being renamed and its new name.
    pub renaming: &'a mut Option<(usize, String)>,
    /// The dialog on top, if any.
    pub dialog: &'a mut Option<Dialog>,
    /// The automation window.
    pub automation: &'a mut AutomationUi,
    /// Presets and sequences, shared by every tab.
    pub shared: &'a mut AutomationFile,
    /// The Copy as Python window.
    pub python: &'a mut PythonUi,
}

/// The tab shown: its settings, its state, its drawing state and its
/// session (whose log the log view locks while it draws).
pub struct Current<'a> {
    /// Its settings, which the panels edit.
    pub settings: &'a mut SessionSettings,
    /// Its state.
    pub view: &'a TabView<'a>,
    /// Its drawing state.
    pub ui: &'a mut TabUi,
    /// Its session.
    pub session: &'a Session,
}

/// Draws every panel and returns what the user asked for.
pub fn show(ui: &mut Ui, chrome: Chrome<'_>, tab: Current<'_>) -> Vec<Action> {
    let mut actions = Vec::new();
    let v = tab.view;
    let s = tab.settings;
    let lang = v.lang;
    egui::Panel::top("top_bar").show(ui, |ui| {
        top_bar(ui, chrome.lang, chrome.dialog, v, &mut actions);
        tabs::show(
            ui,
            lang,
            chrome.titles,
            chrome.active,
            chrome.renaming,
            &mut actions,
        );
    });
    egui::Panel::bottom("status_bar").show(ui, |ui| status_bar::show(ui, v, &mut actions));
    egui::Panel::left("settings")
        .resizable(true)
        .default_size(LEFT_WIDTH)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                net_panel::show(ui, s, v, &mut actions);
                ui.separator();
                rx_panel::show(ui, s, v, tab.ui, v.log.end_seq, &mut actions);
                ui.separator();
                tx_panel::show(ui, s, v, tab.ui);
            });
        });
    let load = s.mode == ModeChoice::Load;
    if matches!(s.mode, ModeChoice::TcpServer | ModeChoice::WsServer) || s.mode.is_relay() {
        egui::Panel::right("clients")
            .resizable(true)
            .default_size(250.0)
            .show(ui, |ui| clients::show(ui, s, v, tab.ui, &mut actions));
    }
    if !load {
        egui::Panel::bottom("send_box")
            .resizable(true)
            .show(ui, |ui| send_box::show(ui, s, v, tab.ui, &mut actions));
    }
    egui::CentralPanel::default().show(ui, |ui| {
        if load && let Some(run) = &v.log.load {
            crate::ui::load::figures::show(ui, v, run, &mut actions);
            crate::ui::load::plots::show(ui, v, &run.recent);
            ui.separator();
        }
        find_bar::show(ui, s, v, tab.ui, &mut actions);
        if let Some(series) = &v.log.plot {
            plot::show(ui, lang, series);
        }
        ui.separator();
        let log = tab.session.log();
        match s.framing.framing() {
            Ok(Some(_)) => {
                let style = initial_style(s);
                message_view::show(ui, s, lang, &style, &log);
            }
            _ => log_view::show(ui, s, lang, tab.ui, &log),
        }
    });
    automation::show(ui, chrome.automation, chrome.shared, s, v, &mut actions);
    python_window::show(ui, chrome.python, s, v, &mut actions);
    if let Some(dialog) = chrome.dialog.as_mut()
        && !dialogs::show(ui, lang, dialog, &mut actions)
    {
        *chrome.dialog = None;
    }
    actions
}

fn top_bar(
    ui: &mut Ui,
    lang: &mut Lang,
    dialog: &mut Option<Dialog>,
    v: &TabView,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        ui.strong(T::AppTitle.get(*lang));
        ui.separator();
        partner_menu::menu(ui, v, actions);
        if ui
            .button(v.t(T::CopyPython))
            .on_hover_text(v.t(T::CopyPythonHint))
            .clicked()
        {
            actions.push(Action::TogglePython);
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button(T::SettingsBtn.get(*lang)).clicked() {
                *dialog = Some(Dialog::Settings {
                    budget: v.budget_mib.to_string(),
                    bad: false,
                });
            }
            ui.separator();
            for l in [Lang::En, Lang::Zh] {
                ui.selectable_value(lang, l, l.native_name());
            }
            ui.label(T::Language.get(*lang));
        });
    });
}
