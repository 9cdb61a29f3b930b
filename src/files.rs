//! File work off the UI thread: saving the log, recording what arrives, and
//! sending a file. Each job reports back over one channel and wakes whoever
//! waits for it when it has news.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender};

use crate::net::{SessionHandle, Target};

/// Pauses a file send while this many bytes wait to be written.
const SEND_HIGH_WATER: usize = 1024 * 1024;

/// What a file dialog was opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Save the log as text.
    SaveLog,
    /// Save the raw received bytes.
    SaveRaw,
    /// Save the session as a pcapng capture.
    SavePcap,
    /// Record everything received from now on.
    Record,
    /// Pick a file to send.
    SendFile,
    /// Save the bytes the send box would send.
    SaveInput,
    /// Import an automation file (presets, sequences, rules).
    ImportAutomation,
    /// Export the automation file.
    ExportAutomation,
}

impl Purpose {
    /// Where the file goes when no dialog could be shown, or `None` when
    /// only a file the user chose will do (one to send, one to import).
    pub fn fallback_path(self) -> Option<PathBuf> {
        let (what, ext) = match self {
            Purpose::SendFile | Purpose::ImportAutomation => return None,
            Purpose::SaveLog => ("log", "txt"),
            Purpose::SaveRaw => ("raw", "bin"),
            Purpose::SavePcap => ("capture", "pcapng"),
            Purpose::Record => ("recv", "bin"),
            Purpose::SaveInput => ("send", "bin"),
            Purpose::ExportAutomation => ("automation", "toml"),
        };
        Some(fallback_path(what, ext))
    }
}

/// What a file dialog's answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picked {
    /// Go on with this file.
    File(PathBuf),
    /// The user cancelled: do nothing.
    Cancelled,
    /// No dialog could be shown and this job needs a file the user chose.
    NoDialog,
}

impl Picked {
    /// Reads a dialog's answer for `purpose`: the chosen file, else (when no
    /// dialog could be shown) the purpose's fallback file.
    pub fn from_answer(purpose: Purpose, path: Option<PathBuf>, shown: bool) -> Picked {
        match (path, shown) {
            (Some(p), _) => Picked::File(p),
            (None, true) => Picked::Cancelled,
            (None, false) => purpose
                .fallback_path()
                .map_or(Picked::NoDialog, Picked::File),
        }
    }
}

/// News from a background job.
#[derive(Debug)]
pub enum JobMsg {
    /// A dialog closed; `None` if cancelled. `shown` is false when no dialog
    /// could be shown at all.
    Picked {
        /// Why the dialog was opened.
        purpose: Purpose,
        /// The chosen path.
        path: Option<PathBuf>,
        /// False when the dialog returned at once (no dialog service).
        shown: bool,
    },
    /// A save finished.
    Saved(PathBuf),
    /// A file job failed.
    Failed(String),
    /// An automation file was read and parsed (or not: the message says
    /// why, with line and column).
    AutomationRead {
        /// The file.
        path: PathBuf,
        /// What it holds.
        parsed: Result<crate::automation::Parsed, String>,
    },
    /// A file send finished (or was cancelled).
    SendDone {
        /// The file's name.
        name: String,
        /// Bytes sent.
        sent: u64,
        /// True if cancelled.
        cancelled: bool,
    },
}

/// A file name with the current time, e.g. `netassist-log-20261121-101500.txt`.
pub fn default_name(what: &str, ext: &str) -> String {
    let now = chrono::Local::now().format("%Y%m%d-%H%M%S");
    format!("netassist-{what}-{now}.{ext}")
}

/// Where files go when no dialog can be shown: the home folder.
pub fn fallback_path(what: &str, ext: &str) -> PathBuf {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(default_name(what, ext))
}

/// Most chunks waiting for the recording file; past this (a disk far slower
/// than the network) chunks are counted as not written instead of piling up
/// in memory.
const RECORD_QUEUE: usize = 1024;

/// Appends every received chunk to a file as it arrives.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    tx: Sender<Bytes>,
    dropped: AtomicU64,
}

impl Recorder {
    /// Creates the file and starts its writer thread.
    pub fn start(path: PathBuf, jobs: Sender<JobMsg>) -> std::io::Result<Recorder> {
        let file = File::create(&path)?;
        let (tx, rx) = crossbeam_channel::bounded::<Bytes>(RECORD_QUEUE);
        let shown = path.display().to_string();
        std::thread::Builder::new()
            .name("netassist-record".to_string())
            .spawn(move || {
                let mut w = BufWriter::new(file);
                for chunk in rx {
                    if let Err(e) = w.write_all(&chunk) {
                        let _ = jobs.send(JobMsg::Failed(format!("{shown}: {e}")));
                        return;
                    }
                }
                // The last bytes are written here: a failure (a full disk)
                // is told, not lost.
                if let Err(e) = w.flush().and_then(|()| w.get_ref().sync_all()) {
                    let _ = jobs.send(JobMsg::Failed(format!("{shown}: {e}")));
                }
            })?;
        Ok(Recorder {
            path,
            tx,
            dropped: AtomicU64::new(0),
        })
    }

    /// Queues bytes for the file; never blocks.
    pub fn write(&self, data: &Bytes) {
        if self.tx.try_send(data.clone()).is_err() {
            self.dropped.fetch_add(data.len() as u64, Ordering::Relaxed);
        }
    }

    /// Bytes that could not be queued because the file fell behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A file being sent, with progress and a cancel switch.
pub struct FileSend {
    /// The file's name, for messages.
    pub name: String,
    /// Its size in bytes.
    pub total: u64,
    /// Bytes handed to the engine so far.
    pub sent: Arc<AtomicU64>,
    cancel: Arc<AtomicBool>,
}

impl FileSend {
    /// Starts sending `path` in chunks of `chunk` bytes, pacing on the
    /// engine's queue so memory stays small.
    pub fn start(
        path: &Path,
        handle: SessionHandle,
        target: Target,
        chunk: usize,
        jobs: Sender<JobMsg>,
        wake: impl Fn() + Send + 'static,
    ) -> std::io::Result<FileSend> {
        let mut file = File::open(path)?;
        let total = file.metadata()?.len();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sent = Arc::new(AtomicU64::new(0));
        let cancel = Arc::new(AtomicBool::new(false));
        let (sent2, cancel2, name2) = (Arc::clone(&sent), Arc::clone(&cancel), name.clone());
        std::thread::Builder::new()
            .name("netassist-sendfile".to_string())
            .spawn(move || {
                let mut buf = vec![0u8; chunk.max(1)];
                let msg = loop {
                    if cancel2.load(Ordering::Relaxed) {
                        break done(&name2, &sent2, true);
                    }
                    if handle.pending_tx_bytes() > SEND_HIGH_WATER {
                        std::thread::sleep(Duration::from_millis(2));
                        continue;
                    }
                    match file.read(&mut buf) {
                        Ok(0) => break done(&name2, &sent2, false),
                        Ok(n) => {
                            let data = Bytes::copy_from_slice(&buf[..n]);
                            if let Err(e) = handle.send(target.clone(), data) {
                                break JobMsg::Failed(e.to_string());
                            }
                            sent2.fetch_add(n as u64, Ordering::Relaxed);
                        }
                        Err(e) => break JobMsg::Failed(e.to_string()),
                    }
                };
                let _ = jobs.send(msg);
                wake();
            })?;
        Ok(FileSend {
            name,
            total,
            sent,
            cancel,
        })
    }

    /// Asks the sender to stop after the current chunk.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Fraction done, 0 to 1.
    pub fn progress(&self) -> f32 {
        if self.total == 0 {
            return 1.0;
        }
        (self.sent.load(Ordering::Relaxed) as f64 / self.total as f64) as f32
    }
}

fn done(name: &str, sent: &AtomicU64, cancelled: bool) -> JobMsg {
    JobMsg::SendDone {
        name: name.to_string(),
        sent: sent.load(Ordering::Relaxed),
        cancelled,
    }
}

/// The channel jobs report on.
pub fn channel() -> (Sender<JobMsg>, Receiver<JobMsg>) {
    crossbeam_channel::unbounded()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recorder's last bytes wait in its buffer until the recording
    /// stops: a failure to write them then (a full disk) is told.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_failed_final_flush_is_reported() {
        let (tx, rx) = channel();
        let rec = Recorder::start(PathBuf::from("/dev/full"), tx).expect("open /dev/full");
        rec.write(&Bytes::from_static(b"the last bytes"));
        drop(rec);
        let msg = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("a message about the failure");
        match msg {
            JobMsg::Failed(text) => assert!(text.contains("/dev/full"), "{text}"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
