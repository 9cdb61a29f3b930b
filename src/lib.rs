//! NetAssist (网络调试助手): a network debugging assistant.
//!
//! The crate is split so that everything below the window can be tested and
//! reused without a display:
//! - [`net`]: the engine that owns the sockets (no egui types);
//! - [`codec`]: hex, escapes and text encodings (pure functions);
//! - [`records`]: the bounded record store behind the receive log;
//! - [`pcap`]: a session saved as a pcapng capture, packets rebuilt from the log;
//! - [`teach`]: teaching aids such as "Copy as Python";
//! - [`cli`]: the headless command line over the same engine;
//! - [`app`], [`ui`] and [`i18n`]: the egui window, a thin view over the engine.

#![warn(missing_docs)]

pub mod app;
pub mod cli;
pub mod codec;
pub mod i18n;
pub mod net;
pub mod pcap;
pub mod platform;
pub mod records;
pub mod teach;
pub mod ui;
