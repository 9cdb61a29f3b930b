//! File work the user asked for: dialogs, saving, recording, sending a file.

use crate::i18n::T;
use crate::ui::errors::Msg;
use crate::ui::jobs::{self, FileSend, JobMsg, Purpose, Recorder};
use crate::ui::settings::ModeChoice;

use super::{Model, NetAssistApp};

/// UDP file sends go out in datagrams of this size.
const UDP_FILE_CHUNK: usize = 1024;
/// TCP file sends are handed to the engine in chunks of this size.
const TCP_FILE_CHUNK: usize = 16 * 1024;

impl NetAssistApp {
    pub(super) fn on_job(&mut self, msg: JobMsg) {
        match msg {
            JobMsg::Picked {
                purpose,
                path,
                shown,
            } => {
                let path = match (path, shown) {
                    (Some(p), _) => p,
                    (None, true) => return,
                    (None, false) => match purpose {
                        Purpose::SendFile => {
                            let msg = Msg::with(T::NoDialog, &[&"-"]);
                            return self.model.set_status(msg, true);
                        }
                        Purpose::SaveLog => jobs::fallback_path("log", "txt"),
                        Purpose::SaveRaw => jobs::fallback_path("raw", "bin"),
                        Purpose::Record => jobs::fallback_path("recv", "bin"),
                    },
                };
                self.start_file_job(purpose, path, shown);
            }
            JobMsg::Saved(path) => {
                let msg = Msg::with(T::Saved, &[&path.display()]);
                self.model.set_status(msg, false);
            }
            JobMsg::Failed(e) => {
                self.model.set_status(Msg::with(T::FileError, &[&e]), true);
                self.model.recorder = None;
            }
            JobMsg::SendDone {
                name,
                sent,
                cancelled,
            } => {
                self.model.file_send = None;
                let msg = if cancelled {
                    Msg::key(T::FileCancelled)
                } else {
                    Msg::with(T::FileDone, &[&name, &sent])
                };
                self.model.set_status(msg, false);
            }
        }
    }

    pub(super) fn start_file_job(
        &mut self,
        purpose: Purpose,
        path: std::path::PathBuf,
        shown: bool,
    ) {
        let wake = self.waker();
        let tx = self.jobs_tx.clone();
        let fail = |m: &mut Model, e: &dyn std::fmt::Display| {
            m.set_status(Msg::with(T::FileError, &[e]), true);
        };
        match purpose {
            Purpose::SaveLog | Purpose::SaveRaw => {
                let opts = crate::records::TextExportOptions {
                    hex: self.model.settings.view == crate::records::View::Hex,
                    encoding: self.model.settings.encoding,
                    include_events: true,
                };
                if !shown {
                    let msg = Msg::with(T::NoDialog, &[&path.display()]);
                    self.model.set_status(msg, false);
                }
                let raw = purpose == Purpose::SaveRaw;
                jobs::save(self.log.store.clone(), path, raw, opts, tx, wake);
            }
            Purpose::Record => match Recorder::start(path, tx) {
                Ok(r) => {
                    let msg = Msg::with(T::Recording, &[&r.path().display()]);
                    self.model.set_status(msg, false);
                    self.model.recorder = Some(r);
                }
                Err(e) => fail(&mut self.model, &e),
            },
            Purpose::SendFile => {
                let (handle, target) = match self.send_target() {
                    Ok(ht) => ht,
                    Err(msg) => return self.model.set_status(msg, true),
                };
                let chunk = if self.model.settings.mode == ModeChoice::Udp {
                    UDP_FILE_CHUNK
                } else {
                    TCP_FILE_CHUNK
                };
                match FileSend::start(&path, handle, target, chunk, tx, wake) {
                    Ok(f) => self.model.file_send = Some(f),
                    Err(e) => fail(&mut self.model, &e),
                }
            }
        }
    }
}
