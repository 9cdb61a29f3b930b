//! The `netassist` binary: the window, or a headless subcommand.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = netassist::cli::parse_args();
    match cli.command {
        Some(command) => netassist::cli::run(command),
        None => {
            eprintln!("the window is not available in this build");
            ExitCode::from(1)
        }
    }
}
