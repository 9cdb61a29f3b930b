//! The egui window's building blocks: one small module per panel, plus the
//! pieces they share (settings, error texts, background file jobs).

pub mod clients;
pub mod errors;
pub mod fonts;
pub mod interfaces;
pub mod jobs;
pub mod layout;
pub mod log_view;
pub mod net_panel;
pub mod rx_panel;
pub mod send_box;
pub mod settings;
pub mod status_bar;
pub mod tx_panel;
pub mod window;
