//! Native file dialogs, each on its own thread so the window keeps drawing.

use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use crate::files::{JobMsg, Purpose, default_name, fallback_path};

/// A dialog that returns faster than this was not shown to anyone (no
/// dialog service on this desktop), so a default path is used instead.
const NO_DIALOG: Duration = Duration::from_millis(300);

/// Opens a native file dialog on its own thread; the answer arrives on `tx`.
pub fn pick(purpose: Purpose, tx: Sender<JobMsg>, wake: impl Fn() + Send + 'static) {
    let spawned = std::thread::Builder::new()
        .name("netassist-dialog".to_string())
        .spawn(move || {
            let start = Instant::now();
            let dialog = rfd::FileDialog::new();
            let path = match purpose {
                Purpose::SendFile => dialog.pick_file(),
                Purpose::SaveLog => dialog.set_file_name(default_name("log", "txt")).save_file(),
                Purpose::SaveRaw => dialog.set_file_name(default_name("raw", "bin")).save_file(),
                Purpose::SavePcap => dialog
                    .add_filter("pcapng", &["pcapng"])
                    .set_file_name(default_name("capture", "pcapng"))
                    .save_file(),
                Purpose::Record => dialog
                    .set_file_name(default_name("recv", "bin"))
                    .save_file(),
                Purpose::SaveInput => dialog
                    .set_file_name(default_name("send", "bin"))
                    .save_file(),
                Purpose::ImportAutomation => dialog.add_filter("TOML", &["toml"]).pick_file(),
                Purpose::ExportAutomation => dialog
                    .add_filter("TOML", &["toml"])
                    .set_file_name(default_name("automation", "toml"))
                    .save_file(),
            };
            let shown = path.is_some() || start.elapsed() >= NO_DIALOG;
            let _ = tx.send(JobMsg::Picked {
                purpose,
                path,
                shown,
            });
            wake();
        });
    if let Err(e) = spawned {
        eprintln!("cannot open a file dialog: {e}");
    }
}

/// Asks where to save `text` (suggesting `file_name`) and writes it, on a
/// thread of its own; the outcome arrives on `tx`. With no dialog service
/// the file goes to the home folder, and the message says where.
pub fn save_text(
    file_name: &'static str,
    text: String,
    tx: Sender<JobMsg>,
    wake: impl Fn() + Send + 'static,
) {
    let spawned = std::thread::Builder::new()
        .name("netassist-save-text".to_string())
        .spawn(move || {
            let start = Instant::now();
            let (stem, ext) = file_name.rsplit_once('.').unwrap_or((file_name, "txt"));
            let picked = rfd::FileDialog::new()
                .add_filter(ext, &[ext])
                .set_file_name(file_name)
                .save_file();
            let shown = picked.is_some() || start.elapsed() >= NO_DIALOG;
            let msg = match (picked, shown) {
                (Some(path), _) => write_text(path, &text),
                (None, true) => return,
                // "Saved <path>" says where it went.
                (None, false) => write_text(fallback_path(stem, ext), &text),
            };
            let _ = tx.send(msg);
            wake();
        });
    if let Err(e) = spawned {
        eprintln!("cannot open a file dialog: {e}");
    }
}

/// Writes `text` to `path`: the message for the tab.
fn write_text(path: std::path::PathBuf, text: &str) -> JobMsg {
    match std::fs::write(&path, text) {
        Ok(()) => JobMsg::Saved(path),
        Err(e) => JobMsg::Failed(format!("{}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_written_exactly_or_the_failure_says_where() {
        let dir = std::env::temp_dir().join(format!("netassist-save-text-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tcp_client.py");
        let code = "# 你好\nimport socket\n";
        assert!(matches!(write_text(path.clone(), code), JobMsg::Saved(p) if p == path));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), code);
        let missing = dir.join("no-such-dir").join("x.py");
        let JobMsg::Failed(why) = write_text(missing, code) else {
            panic!("a missing folder cannot be written");
        };
        assert!(why.contains("no-such-dir"), "{why}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
