//! The `netassist` binary: the window, or a headless subcommand.
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    netassist::platform::raise_fd_limit();
    if std::env::args_os().nth(1).is_some() {
        // A release build on Windows has no console of its own: print into
        // the terminal that started us.
        netassist::platform::attach_parent_console();
    }
    let cli = netassist::cli::parse_args();
    match cli.command {
        Some(command) => netassist::cli::run(command),
        None => match netassist::ui::window::choose_renderer(cli.renderer.as_deref()) {
            Ok(renderer) => netassist::ui::window::run(renderer),
            Err(msg) => {
                eprintln!("error: {msg}");
                ExitCode::from(2)
            }
        },
    }
}
