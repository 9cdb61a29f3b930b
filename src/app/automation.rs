//! Presets, sequences and auto-reply rules in the window: sending a preset,
//! saving the send box as one, running a sequence in a tab, keeping each
//! tab's session in step with its rules, and importing and exporting the
//! automation file.

use std::path::PathBuf;

use bytes::Bytes;

use crate::automation::{AutomationFile, Preset, ResponderSettings, SequenceRun};
use crate::files::{JobMsg, Purpose};
use crate::i18n::T;
use crate::messages::Msg;
use crate::net::{SendMeta, Target};

use super::NetAssistApp;
use super::tab::Tab;

impl NetAssistApp {
    /// Sends preset `i` from the current tab (a UDP preset may name its own
    /// target).
    pub(crate) fn send_preset(&mut self, i: usize) {
        let Some(preset) = self.settings.automation.presets.get(i).cloned() else {
            return;
        };
        let tab = &mut self.tabs[self.active];
        tab.errors.send = None;
        let payload = match preset.build() {
            Ok(p) => p,
            Err(e) => return tab.errors.send = Some(Msg::Payload(e)),
        };
        let meta = SendMeta {
            added_tail: u32::try_from(payload.added_tail).unwrap_or(0),
            message: None,
        };
        let (handle, target) = match tab.send_target() {
            Ok(ht) => ht,
            Err(msg) => return tab.errors.send = Some(msg),
        };
        let target = match preset.target() {
            Ok(Some(hp)) if matches!(target, Target::Host(_) | Target::Addr(_)) => Target::Host(hp),
            _ => target,
        };
        if let Err(e) = handle.send_with(target, Bytes::from(payload.bytes), meta) {
            tab.errors.send = Some(Msg::Net(e));
        }
    }

    /// Saves the current send box as a new preset.
    pub(crate) fn add_preset(&mut self) {
        let s = &self.tabs[self.active].settings;
        if s.send_text.is_empty() {
            self.tabs[self.active].errors.send = Some(Msg::key(T::ErrEmpty));
            return;
        }
        let presets = &mut self.settings.automation.presets;
        let mut n = presets.len() + 1;
        while presets.iter().any(|p| p.name == format!("preset {n}")) {
            n += 1;
        }
        presets.push(Preset {
            name: format!("preset {n}"),
            text: s.send_text.clone(),
            send: s.send.clone(),
            target: None,
            hotkey: None,
        });
        self.automation_ui.open = true;
        self.automation_ui.page = crate::ui::automation::Page::Presets;
        self.automation_ui.expand = Some(self.settings.automation.presets.len() - 1);
    }

    /// Runs sequence `i` in the current tab.
    pub(crate) fn run_sequence(&mut self, i: usize) {
        let a = &self.settings.automation;
        let Some(seq) = a.sequences.get(i) else {
            return;
        };
        let tab = &self.tabs[self.active];
        match SequenceRun::new(seq, &a.presets, tab.settings.encoding) {
            Ok(run) => tab.session.run_sequence(run),
            Err(e) => tab
                .session
                .log()
                .set_status(Msg::with(T::SeqError, &[&e]), true),
        }
    }

    /// News about the automation file from tab `i`'s jobs.
    pub(crate) fn on_automation_job(&mut self, i: usize, msg: JobMsg) {
        let wake = self.wake.clone();
        match msg {
            JobMsg::Picked {
                purpose: purpose @ (Purpose::ImportAutomation | Purpose::ExportAutomation),
                path,
                shown,
            } => {
                let Some(path) = self.tabs[i].picked_file(purpose, path, shown) else {
                    return;
                };
                let tx = self.tabs[i].jobs_tx.clone();
                if purpose == Purpose::ImportAutomation {
                    spawn_job("netassist-import", move || {
                        let parsed = crate::automation::file::read_text(&path)
                            .map_err(|e| e.to_string())
                            .and_then(|text| {
                                crate::automation::parse(&text).map_err(|e| e.to_string())
                            });
                        let _ = tx.send(JobMsg::AutomationRead { path, parsed });
                        wake();
                    });
                } else {
                    let file = self.export(i);
                    spawn_job("netassist-export", move || {
                        let msg = match file
                            .to_toml()
                            .map_err(|e| e.to_string())
                            .and_then(|t| std::fs::write(&path, t).map_err(|e| e.to_string()))
                        {
                            Ok(()) => JobMsg::Saved(path),
                            Err(e) => JobMsg::Failed(e),
                        };
                        let _ = tx.send(msg);
                        wake();
                    });
                }
            }
            JobMsg::AutomationRead { path, parsed } => {
                self.import(i, path, parsed);
                self.tabs[i].sync_session();
            }
            other => self.tabs[i].on_job(other, &wake),
        }
    }

    /// What an export writes: the shared presets and sequences, and tab
    /// `i`'s rules.
    fn export(&self, i: usize) -> AutomationFile {
        let rules = &self.tabs[i].settings.rules;
        AutomationFile {
            answer: rules.answer,
            presets: self.settings.automation.presets.clone(),
            sequences: self.settings.automation.sequences.clone(),
            rules: rules.rules.clone(),
        }
    }

    /// Takes in a read file: presets and sequences for every tab, rules for
    /// tab `i`; a bad file changes nothing.
    fn import(
        &mut self,
        i: usize,
        path: PathBuf,
        parsed: Result<crate::automation::Parsed, String>,
    ) {
        let log_status =
            |tab: &Tab, msg: Msg, error: bool| tab.session.log().set_status(msg, error);
        let mut parsed = match parsed {
            Ok(p) => p,
            Err(e) => return log_status(&self.tabs[i], Msg::with(T::ImportError, &[&e]), true),
        };
        let problems = std::mem::take(&mut parsed.rule_problems).len();
        let shared = &mut self.settings.automation;
        if let Some(p) = parsed.presets.take() {
            shared.presets = p;
        }
        if let Some(s) = parsed.sequences.take() {
            shared.sequences = s;
        }
        let tab = &mut self.tabs[i];
        if let Some(r) = parsed.rules.take() {
            tab.settings.rules.rules = r;
        }
        if let Some(a) = parsed.answer {
            tab.settings.rules.answer = a;
        }
        let name = path.display();
        let msg = if problems > 0 {
            Msg::with(T::ImportRuleProblems, &[&name, &problems])
        } else {
            Msg::with(T::Imported, &[&name])
        };
        log_status(tab, msg, problems > 0);
    }
}

impl Tab {
    /// Hands the session what it runs with (rules, close policy,
    /// encodings) when any of it changed since the last time. The window
    /// calls it after every frame with input or actions; code that changes
    /// [`Tab::settings`] directly calls it itself.
    pub fn sync_session(&mut self) {
        let s = &self.settings;
        let settings = ResponderSettings {
            answer: s.rules.answer,
            display: s.encoding,
            send_encoding: s.send.encoding,
        };
        let changed = self
            .rules_sent
            .as_ref()
            .is_none_or(|(rules, sent)| *rules != s.rules.rules || *sent != settings);
        if changed {
            self.session.set_rules(s.rules.rules.clone(), settings);
            self.rules_sent = Some((s.rules.rules.clone(), settings));
        }
        if self.fin_policy_sent != Some(s.finish_on_peer_fin) {
            self.session.finish_on_peer_fin(s.finish_on_peer_fin);
            self.fin_policy_sent = Some(s.finish_on_peer_fin);
        }
        let encodings = (s.encoding, s.send.encoding);
        if self.encodings_sent != Some(encodings) {
            self.session.set_encodings(encodings.0, encodings.1);
            self.encodings_sent = Some(encodings);
        }
        // The messages view is on while a valid rule is chosen.
        let framing = s.framing.framing().ok().flatten();
        if self.framing_sent.as_ref() != Some(&framing) {
            self.session
                .command(crate::session::Command::Framing(framing.clone()));
            self.framing_sent = Some(framing);
        }
    }
}

/// Runs a short file job on a thread of its own.
fn spawn_job(name: &str, job: impl FnOnce() + Send + 'static) {
    if let Err(e) = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(job)
    {
        eprintln!("cannot start {name}: {e}");
    }
}
