//! Native file dialogs, each on its own thread so the window keeps drawing.

use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use crate::files::{JobMsg, Purpose, default_name};

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
