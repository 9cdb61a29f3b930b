//! The eframe application: drains engine events in `logic()`, draws the
//! panels in `ui()`, and applies what the user asked for after layout.
//!
//! The work is split by what it reacts to: `events` (the engine),
//! `sending` (opening the link and sending), `files` (file jobs); the
//! `model` is what the panels read and change.

mod events;
mod files;
mod model;
mod sending;

pub use model::*;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::Receiver;

use crate::i18n::{Lang, T};
use crate::net::Engine;
use crate::records::{RecordStore, RowIndex, RowStyle, StoreConfig};
use crate::ui::jobs::{self, JobMsg};
use crate::ui::settings::Settings;
use crate::ui::{interfaces, layout};

/// Longest time `logic()` spends draining events before drawing a frame.
const DRAIN_BUDGET: Duration = Duration::from_millis(8);
/// How often rates are recomputed while traffic flows.
const RATE_PERIOD: Duration = Duration::from_secs(1);

/// The record store and the rows derived from it.
pub struct LogData {
    /// Raw records.
    pub store: RecordStore,
    /// Row index for the current style.
    pub rows: RowIndex,
    /// The style the index was built for.
    pub style: RowStyle,
}

/// The NetAssist window.
pub struct NetAssistApp {
    /// What the panels show and change.
    pub model: Model,
    /// The log.
    pub log: LogData,
    engine: Engine,
    jobs_tx: crossbeam_channel::Sender<JobMsg>,
    jobs_rx: Receiver<JobMsg>,
    ctx: egui::Context,
    /// The language the window title was last set in.
    titled: Option<Lang>,
}

impl NetAssistApp {
    /// Creates the app with `settings`; the engine wakes `ctx` on new events.
    pub fn new(ctx: &egui::Context, settings: Settings) -> NetAssistApp {
        let wake_ctx = ctx.clone();
        let engine = Engine::new(Arc::new(move || wake_ctx.request_repaint()));
        let (jobs_tx, jobs_rx) = jobs::channel();
        let style = layout::initial_style(&settings);
        NetAssistApp {
            model: Model {
                settings,
                link: LinkState::Closed,
                clients: BTreeMap::new(),
                selected: BTreeSet::new(),
                stats: Stats::default(),
                errors: FieldErrors::default(),
                status: None,
                interfaces: interfaces::list(),
                looping: None,
                file_send: None,
                recorder: None,
                paused_at: None,
                last_sender: None,
            },
            log: LogData {
                store: RecordStore::new(StoreConfig::default()),
                rows: RowIndex::new(),
                style,
            },
            engine,
            jobs_tx,
            jobs_rx,
            ctx: ctx.clone(),
            titled: None,
        }
    }

    /// Creates the app for eframe, restoring saved settings.
    pub fn from_creation(cc: &eframe::CreationContext<'_>) -> NetAssistApp {
        crate::ui::fonts::install(&cc.egui_ctx);
        let settings = cc
            .storage
            .and_then(|s| eframe::get_value::<Settings>(s, eframe::APP_KEY))
            .unwrap_or_default();
        NetAssistApp::new(&cc.egui_ctx, settings)
    }

    /// Drains engine events within a time budget; true if more are waiting.
    pub fn drain_events(&mut self) -> bool {
        let start = Instant::now();
        let mut more = false;
        while let Some(event) = self.engine.events().try_recv() {
            self.on_event(event);
            if start.elapsed() > DRAIN_BUDGET {
                more = true;
                break;
            }
        }
        self.log.rows.sync(&self.log.store, &self.log.style);
        more
    }

    /// Runs timers: loop sending, rates, background jobs.
    fn tick(&mut self) {
        while let Ok(msg) = self.jobs_rx.try_recv() {
            self.on_job(msg);
        }
        let now = Instant::now();
        let mut next_wake: Option<Duration> = None;
        if let Some(lp) = &mut self.model.looping {
            if now >= lp.next {
                let (target, data) = (lp.target.clone(), lp.data.clone());
                lp.next = now + lp.every;
                if let Ok(h) = self.engine.handle() {
                    let _ = h.send(target, data);
                }
            }
            if let Some(lp) = &self.model.looping {
                next_wake = Some(lp.next.saturating_duration_since(now));
            }
        }
        if self.update_rates(now) {
            next_wake = Some(next_wake.map_or(RATE_PERIOD, |d| d.min(RATE_PERIOD)));
        }
        if self.model.file_send.is_some() {
            next_wake = Some(next_wake.map_or(Duration::from_millis(100), |d| {
                d.min(Duration::from_millis(100))
            }));
        }
        if let Some(d) = next_wake {
            self.ctx.request_repaint_after(d);
        }
    }

    /// Recomputes rates once a second; true while they may still change.
    fn update_rates(&mut self, now: Instant) -> bool {
        self.model.stats.update(now, RATE_PERIOD)
    }

    fn waker(&self) -> impl Fn() + Send + 'static {
        let ctx = self.ctx.clone();
        move || ctx.request_repaint()
    }

    /// Applies one user action.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::ToggleOpen => self.toggle_open(),
            Action::Send => self.send_box(),
            Action::Resend(i) => {
                if let Some(item) = self.model.settings.sent_history.get(i).cloned() {
                    self.send_bytes(Bytes::from(item.bytes), None);
                }
            }
            Action::UseRemote(r) => {
                if let Ok(hp) = crate::net::parse_host_port(&r) {
                    self.model.settings.remote_host = hp.host;
                    self.model.settings.remote_port = hp.port.to_string();
                }
            }
            Action::ClearLog => {
                self.log.store.clear();
                self.log.rows.rebuild(&self.log.store, &self.log.style);
                self.model.paused_at = self.model.paused_at.map(|_| self.log.store.end_seq());
            }
            Action::ResetCounters => self.model.stats = Stats::default(),
            Action::DisconnectSelected => {
                if let Ok(h) = self.engine.handle() {
                    for p in &self.model.selected {
                        let _ = h.disconnect(*p);
                    }
                }
            }
            Action::Pick(purpose) => jobs::pick(purpose, self.jobs_tx.clone(), self.waker()),
            Action::StopRecording => self.model.recorder = None,
            Action::CancelFile => {
                if let Some(f) = &self.model.file_send {
                    f.cancel();
                }
            }
            Action::StartLoop => self.start_loop(),
            Action::StopLoop => self.model.looping = None,
            Action::RefreshInterfaces => self.model.interfaces = interfaces::list(),
            Action::TogglePause => {
                self.model.paused_at = match self.model.paused_at {
                    Some(_) => None,
                    None => Some(self.log.store.end_seq()),
                };
            }
            Action::Restyle(style) => {
                self.log.style = style;
                self.log.rows.rebuild(&self.log.store, &style);
            }
        }
    }
}

impl eframe::App for NetAssistApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if self.drain_events() {
            ctx.request_repaint();
        }
        self.tick();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let lang = self.model.lang();
        if self.titled != Some(lang) {
            let title = T::AppTitle.get(lang).to_string();
            ui.ctx()
                .send_viewport_cmd(egui::ViewportCommand::Title(title));
            self.titled = Some(lang);
        }
        let actions = layout::show(ui, &mut self.model, &self.log);
        for action in actions {
            self.apply(action);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.model.settings);
    }
}
