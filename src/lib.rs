//! NetAssist (网络调试助手): a network debugging assistant.
//!
//! The crate is split so that everything below the window can be tested and
//! reused without a display:
//! - [`net`]: the engine that owns the sockets (no egui types);
//! - [`codec`]: hex, escapes, text encodings and checksums (pure functions);
//! - [`automation`]: presets, sequences, auto-reply rules and tutorial
//!   partners (a pure model both front ends drive);
//! - [`records`]: the bounded record store behind the receive log;
//! - [`pcap`]: a session saved as a pcapng capture, packets rebuilt from the log;
//! - [`teach`]: teaching aids such as "Copy as Python";
//! - [`session`]: one session (a tab): its engine, the thread that ingests
//!   its events, and its log, under one memory budget;
//! - [`settings`], [`messages`], [`files`]: what is remembered, what the user
//!   is told, and file work off the UI thread;
//! - [`cli`]: the headless command line over the same engine;
//! - [`app`] and [`ui`] (feature `gui`): the egui window, panels that read a
//!   view of a session and return actions;
//! - [`i18n`]: every visible string in 中文 and English.

#![warn(missing_docs)]

#[cfg(feature = "gui")]
pub mod app;
pub mod automation;
pub mod cli;
pub mod codec;
pub mod files;
pub mod i18n;
pub mod messages;
pub mod net;
pub mod pcap;
pub mod platform;
pub mod records;
pub mod session;
pub mod settings;
pub mod teach;
#[cfg(feature = "gui")]
pub mod ui;
