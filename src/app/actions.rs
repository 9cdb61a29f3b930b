//! Applying what the panels asked for: tab management and each tab's
//! commands.

use std::sync::Arc;

use bytes::Bytes;

use crate::messages::Msg;
use crate::net::SendMeta;

use crate::ui::action::Action;
use crate::ui::dialogs::Dialog;

use super::{NetAssistApp, Tab};

impl NetAssistApp {
    /// Applies one user action.
    pub fn apply(&mut self, action: Action) {
        let active = self.active;
        match action {
            Action::NewTab => self.new_tab(),
            Action::CloseTab(i) => match self.tabs.get(i) {
                Some(t) if t.is_open() => {
                    let name = t.title(self.settings.lang);
                    self.dialog = Some(Dialog::ConfirmClose(i, name));
                }
                Some(_) => self.close_tab(i),
                None => {}
            },
            Action::CloseTabNow(i) => self.close_tab(i),
            Action::SelectTab(i) => {
                if i < self.tabs.len() {
                    self.active = i;
                }
            }
            Action::CycleTab(step) => {
                let n = self.tabs.len() as i64;
                self.active = (self.active as i64 + i64::from(step)).rem_euclid(n) as usize;
            }
            Action::RenameTab(i, name) => {
                if let Some(t) = self.tabs.get_mut(i) {
                    t.settings.name = (!name.is_empty()).then_some(name);
                }
            }
            Action::SetBudget(mib) => {
                self.settings.budget_mib = mib;
                self.budget.set_limit(self.settings.budget_bytes());
                self.budget.enforce_all();
            }
            Action::RefreshInterfaces => self.interfaces = crate::net::interfaces::list(),
            Action::SendPreset(i) => self.send_preset(i),
            Action::AddPreset => self.add_preset(),
            Action::ToggleAutomation => self.automation_ui.open = !self.automation_ui.open,
            Action::TogglePython => self.python_ui.open = !self.python_ui.open,
            Action::SavePython { file_name, code } => {
                let tx = self.tabs[active].jobs_tx.clone();
                let wake = Arc::clone(&self.wake);
                super::dialogs::save_text(file_name, code, tx, move || wake());
            }
            Action::SaveLoadCsv => {
                let csv = {
                    let log = self.tabs[active].session.log();
                    log.load()
                        .map(|l| crate::session::load_report::seconds_csv(&l.seconds))
                };
                if let Some(csv) = csv {
                    let tx = self.tabs[active].jobs_tx.clone();
                    let wake = Arc::clone(&self.wake);
                    super::dialogs::save_text("load-seconds.csv", csv, tx, move || wake());
                }
            }
            Action::ShowRules => {
                self.automation_ui.open = true;
                self.automation_ui.page = crate::ui::automation::Page::Rules;
            }
            Action::RunSequence(i) => self.run_sequence(i),
            Action::StopSequence => self.tabs[active].session.stop_sequence(),
            Action::Pick(purpose) => {
                let tx = self.tabs[active].jobs_tx.clone();
                let wake = Arc::clone(&self.wake);
                super::dialogs::pick(purpose, tx, move || wake());
            }
            other => {
                let tab = &mut self.tabs[active];
                tab.apply(other, &mut self.settings);
            }
        }
    }

    /// Opens a tab after the current one, with its settings on the next
    /// free port.
    fn new_tab(&mut self) {
        let used: Vec<String> = self
            .tabs
            .iter()
            .map(|t| t.settings.local_port.trim().to_string())
            .collect();
        let ip = self.tab().settings.local_ip.trim().to_string();
        let settings = self
            .tab()
            .settings
            .for_new_tab(|port| !used.contains(&port.to_string()) && port_is_free(&ip, port));
        let tab = self.make_tab(settings);
        self.active += 1;
        self.tabs.insert(self.active, tab);
    }

    /// Closes a tab (its session closes as it is dropped); the last tab is
    /// replaced by a fresh one.
    fn close_tab(&mut self, i: usize) {
        if i >= self.tabs.len() {
            return;
        }
        let closed = self.tabs.remove(i);
        if self.tabs.is_empty() {
            let settings = closed.settings.for_new_tab(|_| false);
            let tab = self.make_tab(settings);
            self.tabs.push(tab);
        }
        if self.active > i || self.active >= self.tabs.len() {
            self.active = self.active.saturating_sub(1);
        }
        self.renaming = None;
    }
}

/// Whether a TCP listener could bind `port` on `ip` now (a quick local
/// check, no network traffic).
fn port_is_free(ip: &str, port: u16) -> bool {
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    match ip.parse::<std::net::IpAddr>() {
        Ok(ip) => std::net::TcpListener::bind((ip, port)).is_ok(),
        Err(_) => true,
    }
}

impl Tab {
    /// Applies an action that concerns this tab only.
    pub(crate) fn apply(&mut self, action: Action, app: &mut crate::settings::AppSettings) {
        match action {
            Action::ToggleOpen => self.toggle_open(app),
            Action::Send => self.send_box(app),
            Action::Resend(i) => {
                if let Some(item) = app.sent_history.get(i).cloned() {
                    self.send_bytes(Bytes::from(item.bytes), SendMeta::default());
                }
            }
            Action::UseRemote(r) => {
                if let Ok(hp) = crate::net::parse_host_port(&r) {
                    self.settings.remote_host = hp.host;
                    self.settings.remote_port = hp.port.to_string();
                }
            }
            Action::ClearLog => {
                let mut log = self.session.log();
                log.clear();
                self.session.store_changed(&log);
                self.ui.paused_at = self.ui.paused_at.map(|_| log.store().end_seq());
            }
            Action::ResetCounters => self.session.log().reset_counters(),
            Action::DisconnectSelected => {
                if let Ok(h) = self.session.handle() {
                    for p in &self.ui.selected {
                        let _ = h.disconnect(*p);
                    }
                }
            }
            Action::Finish(peer) => {
                if let Err(e) = self.session.finish(peer) {
                    self.session.log().set_status(Msg::Net(e), true);
                }
            }
            Action::StopRecording => drop(self.session.log().stop_recording()),
            Action::UsePartner(id) => {
                if self.is_open() {
                    let msg = Msg::key(crate::i18n::T::PartnerCloseFirst);
                    self.session.log().set_status(msg, true);
                } else if let Some(p) = crate::automation::partner(id) {
                    self.settings.use_partner(&p);
                    self.errors = Default::default();
                }
            }
            Action::CancelFile => {
                if let Some(f) = &self.file_send {
                    f.cancel();
                }
            }
            Action::StartLoop => self.start_loop(),
            Action::JoinGroup => self.join_group(),
            Action::WsKind(kind) => self.ws_kind(kind),
            Action::WsPing => self.ws_ping(),
            Action::WsClose => self.ws_close(),
            Action::ApplyFaults => self.apply_faults(),
            Action::LeaveGroup(m) => {
                if let Ok(h) = self.session.handle()
                    && let Err(e) = h.leave(m)
                {
                    self.errors.multicast = Some(crate::messages::Msg::Net(e));
                }
            }
            Action::StopLoop => self.stop_loop(),
            Action::FindChanged => {
                let find = &mut self.ui.find;
                find.search = None;
                find.running = None;
                find.current = None;
                find.error = None;
            }
            Action::FindNext | Action::FindPrev => {
                let find = &mut self.ui.find;
                if let Some(search) = &find.search {
                    let found = search.found();
                    let next = if action == Action::FindNext {
                        found.next_after(find.current)
                    } else {
                        found.prev_before(find.current)
                    };
                    drop(found);
                    if next.is_some() {
                        find.current = next;
                        find.jump = true;
                    }
                }
            }
            // Window-wide actions are applied by the app.
            Action::NewTab
            | Action::CloseTab(_)
            | Action::CloseTabNow(_)
            | Action::SelectTab(_)
            | Action::CycleTab(_)
            | Action::RenameTab(..)
            | Action::SetBudget(_)
            | Action::RefreshInterfaces
            | Action::SendPreset(_)
            | Action::AddPreset
            | Action::ToggleAutomation
            | Action::RunSequence(_)
            | Action::StopSequence
            | Action::ShowRules
            | Action::TogglePython
            | Action::SavePython { .. }
            | Action::SaveLoadCsv
            | Action::Pick(_) => {}
        }
    }
}
