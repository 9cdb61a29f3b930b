//! NetAssist's integration tests, in one test binary: each file here is a
//! module, so the crate and egui are linked once for all of them (a binary
//! per file linked them once per file). Select tests by module as before by
//! file: `cargo test --test it engine::`, `./test.sh --test it -- peers::`.
//!
//! The tests share one process and run two at a time (or as many as the
//! machine has cores), any two side by side. So no test changes what the
//! whole process shares (environment variables, the working directory,
//! resource limits) or measures it (its memory, its threads, its open
//! files): such a test starts a child process (`netassist`, or this binary
//! for one test, as `netns.rs` does) with what it needs (`Command::env`)
//! and measures that child. Ports are picked by the OS, never fixed.
//!
//! A new test file goes here as `NAME.rs` with a line `mod NAME;` below
//! (`#[cfg(feature = "gui")]` when it drives the window), and reaches the
//! shared helpers as `crate::support` and so on.

// Helpers shared by the test modules.
mod engine_support;
#[cfg(target_os = "linux")]
mod netns;
mod pe;
mod peer_support;
#[cfg(feature = "gui")]
mod support;
mod wine;

// The engine, the command line and the files (built with and without the
// window; `engine` is also cross-built for Windows and run under wine).
mod automation;
mod cli_errors;
mod engine;
mod load;
mod packaging;
mod pcap;
mod peers;
mod relay;
mod relay_engine;
mod tls;
mod tls_cli;
mod ws_cli;
mod ws_engine;

// The window, driven with egui_kittest.
#[cfg(feature = "gui")]
mod automation_ui;
#[cfg(feature = "gui")]
mod behaviour;
#[cfg(feature = "gui")]
mod big_input;
#[cfg(feature = "gui")]
mod fake_ui;
#[cfg(feature = "gui")]
mod font_coverage;
#[cfg(feature = "gui")]
mod framing_ui;
#[cfg(feature = "gui")]
mod load_ui;
// In a private network namespace: Linux only.
#[cfg(all(feature = "gui", target_os = "linux"))]
mod multicast_ui;
#[cfg(feature = "gui")]
mod partners_ui;
#[cfg(feature = "gui")]
mod python_ui;
#[cfg(feature = "gui")]
mod relay_ui;
#[cfg(feature = "gui")]
mod tabs;
#[cfg(feature = "gui")]
mod teach_ui;
#[cfg(feature = "gui")]
mod tls_ui;
#[cfg(feature = "gui")]
mod udp_intake;
#[cfg(feature = "gui")]
mod ui;
#[cfg(feature = "gui")]
mod ws_ui;
