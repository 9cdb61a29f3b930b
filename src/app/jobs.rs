//! File work a tab asked for: dialogs, saving, recording, sending a file.
//! The work runs on threads; their news comes back on the tab's channel.

use std::path::PathBuf;

use crate::files::{FileSend, JobMsg, Picked, Purpose, Recorder};
use crate::i18n::T;
use crate::messages::Msg;
use crate::net::Wake;
use crate::records::{TextExportOptions, View};
use crate::session::{SaveKind, save_log};
use crate::settings::ModeChoice;

use super::tab::Tab;

/// UDP file sends go out in datagrams of this size.
const UDP_FILE_CHUNK: usize = 1024;
/// TCP file sends are handed to the engine in chunks of this size.
const TCP_FILE_CHUNK: usize = 16 * 1024;

impl Tab {
    fn status(&self, msg: Msg, error: bool) {
        self.session.log().set_status(msg, error);
    }

    /// The file a dialog's answer names, or `None` when the user cancelled
    /// or no dialog could be shown (which the status bar then says).
    pub(crate) fn picked_file(
        &self,
        purpose: Purpose,
        path: Option<PathBuf>,
        shown: bool,
    ) -> Option<PathBuf> {
        match Picked::from_answer(purpose, path, shown) {
            Picked::File(p) => Some(p),
            Picked::Cancelled => None,
            Picked::NoDialog => {
                self.status(Msg::with(T::NoDialog, &[&"-"]), true);
                None
            }
        }
    }

    /// Handles news from one of this tab's jobs.
    pub(crate) fn on_job(&mut self, msg: JobMsg, wake: &Wake) {
        match msg {
            JobMsg::Picked {
                purpose,
                path,
                shown,
            } => {
                let Some(path) = self.picked_file(purpose, path, shown) else {
                    return;
                };
                self.start_file_job(purpose, path, shown, wake);
            }
            JobMsg::Saved(path) => self.status(Msg::with(T::Saved, &[&path.display()]), false),
            JobMsg::Failed(e) => {
                self.status(Msg::with(T::FileError, &[&e]), true);
                drop(self.session.log().stop_recording());
            }
            // The window handles these (they concern every tab).
            JobMsg::AutomationRead { .. } => {}
            JobMsg::SendDone {
                name,
                sent,
                cancelled,
            } => {
                self.file_send = None;
                let msg = if cancelled {
                    Msg::key(T::FileCancelled)
                } else {
                    Msg::with(T::FileDone, &[&name, &sent])
                };
                self.status(msg, false);
            }
        }
    }

    /// Starts the job a file was picked for.
    pub(crate) fn start_file_job(
        &mut self,
        purpose: Purpose,
        path: PathBuf,
        shown: bool,
        wake: &Wake,
    ) {
        let tx = self.jobs_tx.clone();
        match purpose {
            Purpose::SaveLog | Purpose::SaveRaw | Purpose::SavePcap => {
                let kind = match purpose {
                    Purpose::SaveRaw => SaveKind::RawRx,
                    Purpose::SavePcap => SaveKind::Pcapng,
                    _ => SaveKind::Text(TextExportOptions {
                        hex: self.settings.view == View::Hex,
                        encoding: self.settings.encoding,
                        include_events: true,
                    }),
                };
                if !shown {
                    self.status(Msg::with(T::NoDialog, &[&path.display()]), false);
                }
                let log = self.session.shared_log();
                let wake = wake.clone();
                let spawned = std::thread::Builder::new()
                    .name("netassist-save".to_string())
                    .spawn(move || {
                        let msg = match save_log(&log, &path, kind) {
                            Ok(()) => JobMsg::Saved(path),
                            Err(e) => JobMsg::Failed(format!("{}: {e}", path.display())),
                        };
                        let _ = tx.send(msg);
                        wake();
                    });
                if let Err(e) = spawned {
                    self.status(Msg::with(T::FileError, &[&e]), true);
                }
            }
            Purpose::ImportAutomation | Purpose::ExportAutomation => {}
            Purpose::SaveInput => {
                if !shown {
                    self.status(Msg::with(T::NoDialog, &[&path.display()]), false);
                }
                let (text, opts) = (self.settings.send_text.clone(), self.settings.send.clone());
                let wake = wake.clone();
                let spawned = std::thread::Builder::new()
                    .name("netassist-save-input".to_string())
                    .spawn(move || {
                        let msg = match crate::codec::build_payload(&text, &opts) {
                            Ok(payload) => match std::fs::write(&path, payload.bytes) {
                                Ok(()) => JobMsg::Saved(path),
                                Err(e) => JobMsg::Failed(format!("{}: {e}", path.display())),
                            },
                            Err(e) => JobMsg::Failed(e.to_string()),
                        };
                        let _ = tx.send(msg);
                        wake();
                    });
                if let Err(e) = spawned {
                    self.status(Msg::with(T::FileError, &[&e]), true);
                }
            }
            Purpose::Record => match Recorder::start(path, tx) {
                Ok(r) => {
                    let msg = Msg::with(T::Recording, &[&r.path().display()]);
                    let mut log = self.session.log();
                    log.set_status(msg, false);
                    log.start_recording(r);
                }
                Err(e) => self.status(Msg::with(T::FileError, &[&e]), true),
            },
            Purpose::SendFile => {
                let (handle, target) = match self.send_target() {
                    Ok(ht) => ht,
                    Err(msg) => return self.status(msg, true),
                };
                let chunk = if self.settings.mode == ModeChoice::Udp {
                    UDP_FILE_CHUNK
                } else {
                    TCP_FILE_CHUNK
                };
                let wake = wake.clone();
                match FileSend::start(&path, handle, target, chunk, tx, move || wake()) {
                    Ok(f) => self.file_send = Some(f),
                    Err(e) => self.status(Msg::with(T::FileError, &[&e]), true),
                }
            }
        }
    }
}
