//! The eframe application: the tabs, each with its session; it builds each
//! frame's view of the current tab, draws the panels, and applies what the
//! user asked for after layout. Sessions ingest their own events on their own
//! threads, so nothing here is on the data path.

mod actions;
mod automation;
mod dialogs;
mod jobs;
mod sending;
mod tab;
pub mod window;
mod ws;

pub use tab::Tab;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::i18n::{Lang, T};
use crate::net::{Engine, Wake};
use crate::session::{Budget, Session};
use crate::settings::{AppSettings, SessionSettings};
use crate::ui::automation::AutomationUi;
use crate::ui::dialogs::Dialog;
use crate::ui::layout::{self, Chrome, Current};
use crate::ui::python_window::PythonUi;
use crate::ui::view::{FileProgress, TabView};

/// The NetAssist window.
pub struct NetAssistApp {
    /// What is remembered between runs (the tabs' settings live in
    /// [`NetAssistApp::tabs`] and are copied back when saving).
    pub settings: AppSettings,
    /// Every tab, in order (at least one).
    pub tabs: Vec<Tab>,
    /// The tab shown.
    pub active: usize,
    budget: Arc<Budget>,
    interfaces: Vec<String>,
    wake: Wake,
    /// The language the window title was last set in.
    titled: Option<Lang>,
    renaming: Option<(usize, String)>,
    dialog: Option<Dialog>,
    automation_ui: AutomationUi,
    python_ui: PythonUi,
    /// Makes each new tab's engine (real, or fake in UI tests).
    engines: EngineFactory,
}

/// Makes the engine of each new tab.
pub type EngineFactory = Box<dyn FnMut() -> Engine>;

impl NetAssistApp {
    /// Creates the app with `settings`; sessions wake `ctx` when their logs
    /// change. Every tab starts closed.
    pub fn new(ctx: &egui::Context, settings: AppSettings) -> NetAssistApp {
        // Sessions wait on their engines' queues themselves: the engines
        // need no wake-up of their own.
        let engines: EngineFactory = Box::new(|| Engine::new(Arc::new(|| {})));
        NetAssistApp::from_state(ctx, settings, engines)
    }

    /// Creates the app with `settings`, each tab's engine made by `engines`:
    /// [`Engine::fake`] lets a test drive the window without sockets.
    pub fn from_state(
        ctx: &egui::Context,
        mut settings: AppSettings,
        mut engines: EngineFactory,
    ) -> NetAssistApp {
        let wake_ctx = ctx.clone();
        let wake: Wake = Arc::new(move || wake_ctx.request_repaint());
        let budget = Budget::new(settings.budget_bytes());
        let mut tab_settings = std::mem::take(&mut settings.tabs);
        if tab_settings.is_empty() {
            tab_settings.push(SessionSettings::default());
        }
        let tabs: Vec<Tab> = tab_settings
            .into_iter()
            .map(|s| {
                Tab::new(
                    Session::with_engine(&budget, Arc::clone(&wake), engines()),
                    s,
                )
            })
            .collect();
        let active = settings.active.min(tabs.len() - 1);
        NetAssistApp {
            settings,
            tabs,
            active,
            budget,
            interfaces: crate::net::interfaces::list(),
            wake,
            titled: None,
            renaming: None,
            dialog: None,
            automation_ui: AutomationUi::default(),
            python_ui: PythonUi::default(),
            engines,
        }
    }

    /// A new tab with `settings` over a fresh session.
    pub(crate) fn make_tab(&mut self, settings: SessionSettings) -> Tab {
        let engine = (self.engines)();
        Tab::new(
            Session::with_engine(&self.budget, Arc::clone(&self.wake), engine),
            settings,
        )
    }

    /// Creates the app for eframe, restoring saved settings.
    pub fn from_creation(cc: &eframe::CreationContext<'_>) -> NetAssistApp {
        crate::ui::fonts::install(&cc.egui_ctx);
        let settings = cc
            .storage
            .and_then(|s| eframe::get_value::<AppSettings>(s, eframe::APP_KEY))
            .unwrap_or_default();
        NetAssistApp::new(&cc.egui_ctx, settings)
    }

    /// The tab shown.
    pub fn tab(&self) -> &Tab {
        &self.tabs[self.active]
    }

    /// The tab shown, to change.
    pub fn tab_mut(&mut self) -> &mut Tab {
        &mut self.tabs[self.active]
    }

    /// The UI language.
    pub fn lang(&self) -> Lang {
        self.settings.lang
    }

    /// The memory budget shared by every tab's log.
    pub fn budget(&self) -> &Arc<Budget> {
        &self.budget
    }

    /// Answers a file dialog for the current tab as if the user had chosen
    /// `path` for `purpose` (what a dialog does; tests and drops use it).
    #[cfg(feature = "test-support")]
    pub fn file_chosen(&mut self, purpose: crate::files::Purpose, path: std::path::PathBuf) {
        let _ = self.tab().jobs_tx.send(crate::files::JobMsg::Picked {
            purpose,
            path: Some(path),
            shown: true,
        });
        (self.wake)();
    }

    /// Everything to remember, with every tab's settings.
    pub fn settings_to_save(&self) -> AppSettings {
        let mut s = self.settings.clone();
        s.tabs = self.tabs.iter().map(|t| t.settings.clone()).collect();
        s.active = self.active;
        s
    }

    /// Runs what is due without drawing: job news, loop sends, and the next
    /// time the window must look again.
    fn tick(&mut self, ctx: &egui::Context) {
        let now = Instant::now();
        let mut next: Option<Duration> = None;
        let mut soonest = |d: Duration| next = Some(next.map_or(d, |n: Duration| n.min(d)));
        for i in 0..self.tabs.len() {
            while let Ok(msg) = self.tabs[i].jobs_rx.try_recv() {
                self.on_automation_job(i, msg);
            }
        }
        for tab in &mut self.tabs {
            if tab.file_send.is_some() || tab.looping.is_some() {
                soonest(Duration::from_millis(100));
            }
        }
        if let Some(d) = self.tab().next_tick(now) {
            soonest(d);
        }
        if let Some(d) = next {
            ctx.request_repaint_after(d);
        }
    }

    /// Draws the whole window for one frame and applies what was asked.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.shortcuts(ui.ctx());
        let lang = self.settings.lang;
        let active = self.active;
        let titles: Vec<_> = self
            .tabs
            .iter_mut()
            .enumerate()
            .map(|(i, t)| t.strip_title(lang, i == active))
            .collect();
        let presets = self.settings.automation.presets.clone();
        let sequences: Vec<String> = self
            .settings
            .automation
            .sequences
            .iter()
            .map(|s| s.name.clone())
            .collect();
        let tab = &mut self.tabs[active];
        tab.refresh_clients();
        tab.keep_search_current(&self.wake);
        let log = tab
            .session
            .log()
            .view(Instant::now(), tab.settings.show_plot);
        let looping = tab.loop_progress();
        let file_send = tab.file_send.as_ref().map(|f| FileProgress {
            name: f.name.clone(),
            sent: f.sent.load(std::sync::atomic::Ordering::Relaxed),
            total: f.total,
        });
        let view = TabView {
            lang,
            log,
            clients: &tab.clients,
            budget_mib: self.settings.budget_mib,
            interfaces: &self.interfaces,
            remote_history: &self.settings.remote_history,
            sent_history: &self.settings.sent_history,
            looping,
            file_send,
            errors: &tab.errors,
            presets: &presets,
            sequences: &sequences,
        };
        let mut lang_choice = lang;
        let actions = layout::show(
            ui,
            Chrome {
                lang: &mut lang_choice,
                titles: &titles,
                active,
                renaming: &mut self.renaming,
                dialog: &mut self.dialog,
                automation: &mut self.automation_ui,
                shared: &mut self.settings.automation,
                python: &mut self.python_ui,
            },
            Current {
                settings: &mut tab.settings,
                view: &view,
                ui: &mut tab.ui,
                session: &tab.session,
            },
        );
        self.settings.lang = lang_choice;
        // Settings change only through the user's input and the actions it
        // makes: the session hears of a change in the same frame.
        let touched = !actions.is_empty() || ui.input(|i| !i.events.is_empty());
        for action in actions {
            self.apply(action);
        }
        if touched {
            self.tabs[self.active].sync_session();
        }
    }

    /// Keyboard shortcuts for the tabs and for find.
    fn shortcuts(&mut self, ctx: &egui::Context) {
        use crate::ui::action::Action;
        use egui::{Key, Modifiers};
        let ctrl = Modifiers::COMMAND;
        let ctrl_shift = Modifiers::COMMAND | Modifiers::SHIFT;
        let mut actions = Vec::new();
        let hotkeys: Vec<(usize, crate::automation::Hotkey)> = self
            .settings
            .automation
            .presets
            .iter()
            .enumerate()
            .filter_map(|(n, p)| p.hotkey.map(|k| (n, k)))
            .collect();
        ctx.input_mut(|i| {
            // Preset hotkeys first: a preset on F3 takes it from find.
            for (n, key) in &hotkeys {
                let pressed = match key {
                    crate::automation::Hotkey::Ctrl(d) => {
                        digit_key(*d).is_some_and(|k| i.consume_key(ctrl, k))
                    }
                    crate::automation::Hotkey::F(f) => {
                        function_key(*f).is_some_and(|k| i.consume_key(Modifiers::NONE, k))
                    }
                };
                if pressed {
                    actions.push(Action::SendPreset(*n));
                }
            }
            if i.consume_key(ctrl, Key::F) {
                self.tabs[self.active].ui.find.focus = true;
            }
            if i.consume_key(Modifiers::SHIFT, Key::F3) {
                actions.push(Action::FindPrev);
            }
            if i.consume_key(Modifiers::NONE, Key::F3) {
                actions.push(Action::FindNext);
            }
            if i.consume_key(ctrl, Key::T) {
                actions.push(Action::NewTab);
            }
            if i.consume_key(ctrl, Key::W) {
                actions.push(Action::CloseTab(self.active));
            }
            if i.consume_key(ctrl_shift, Key::Tab) || i.consume_key(ctrl, Key::PageUp) {
                actions.push(Action::CycleTab(-1));
            }
            if i.consume_key(ctrl, Key::Tab) || i.consume_key(ctrl, Key::PageDown) {
                actions.push(Action::CycleTab(1));
            }
        });
        for a in actions {
            self.apply(a);
        }
    }
}

/// The key for digit `d` (1 to 9).
fn digit_key(d: u8) -> Option<egui::Key> {
    use egui::Key::*;
    [Num1, Num2, Num3, Num4, Num5, Num6, Num7, Num8, Num9]
        .get(usize::from(d).checked_sub(1)?)
        .copied()
}

/// The key for function key `f` (1 to 12).
fn function_key(f: u8) -> Option<egui::Key> {
    use egui::Key::*;
    [F1, F2, F3, F4, F5, F6, F7, F8, F9, F10, F11, F12]
        .get(usize::from(f).checked_sub(1)?)
        .copied()
}

impl eframe::App for NetAssistApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.tick(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let lang = self.settings.lang;
        if self.titled != Some(lang) {
            let title = T::AppTitle.get(lang).to_string();
            ui.ctx()
                .send_viewport_cmd(egui::ViewportCommand::Title(title));
            self.titled = Some(lang);
        }
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings_to_save());
    }
}
