//! Session keys in the SSLKEYLOGFILE format (`LABEL CLIENT_RANDOM SECRET`,
//! hex), appended to a file so Wireshark can decrypt a capture.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A key log file shared by every connection of a session. The first
/// failure to open or write it is kept for the worker to report once;
/// after a failure nothing more is written.
#[derive(Debug)]
pub(crate) struct FileKeyLog {
    path: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug)]
enum State {
    Open(File),
    /// Failed; the message waits to be reported (taken once).
    Failed(Option<String>),
}

impl FileKeyLog {
    /// Opens `path` for appending (made if missing).
    pub(crate) fn open(path: &Path) -> FileKeyLog {
        let state = match OpenOptions::new().create(true).append(true).open(path) {
            Ok(file) => State::Open(file),
            Err(e) => State::Failed(Some(e.to_string())),
        };
        FileKeyLog {
            path: path.to_path_buf(),
            state: Mutex::new(state),
        }
    }

    /// The file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The first failure, once.
    pub(crate) fn take_error(&self) -> Option<String> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *state {
            State::Failed(msg) => msg.take(),
            State::Open(_) => None,
        }
    }
}

impl rustls::KeyLog for FileKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let mut line =
            String::with_capacity(label.len() + 2 * (client_random.len() + secret.len()) + 3);
        line.push_str(label);
        line.push(' ');
        for b in client_random {
            let _ = write!(line, "{b:02x}");
        }
        line.push(' ');
        for b in secret {
            let _ = write!(line, "{b:02x}");
        }
        line.push('\n');
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let State::Open(file) = &mut *state
            && let Err(e) = file.write_all(line.as_bytes())
        {
            *state = State::Failed(Some(e.to_string()));
        }
    }

    fn will_log(&self, _label: &str) -> bool {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        matches!(*state, State::Open(_))
    }
}
