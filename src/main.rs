//! The `netassist` binary: the window, or a headless subcommand.
// Debug builds too: the build CI runs under wine is then the kind users get.
#![cfg_attr(windows, windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    netassist::platform::raise_fd_limit();
    if std::env::args_os().nth(1).is_some() {
        // netassist.exe has no console of its own: print into
        // the terminal that started us.
        netassist::platform::attach_parent_console();
    }
    let cli = netassist::cli::parse_args();
    match cli.command {
        Some(command) => netassist::cli::run(command),
        None => window(cli.renderer.as_deref()),
    }
}

#[cfg(feature = "gui")]
fn window(renderer: Option<&str>) -> ExitCode {
    match netassist::app::window::choose_renderer(renderer) {
        Ok(renderer) => netassist::app::window::run(renderer),
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

#[cfg(not(feature = "gui"))]
fn window(_renderer: Option<&str>) -> ExitCode {
    eprintln!(
        "error: this netassist was built without the window (feature `gui`); use a subcommand, see --help"
    );
    ExitCode::from(2)
}
