//! The window's panels, one small module each. A panel reads a view of the
//! current tab ([`view::TabView`]), edits that tab's settings in place, and
//! returns [`action::Action`]s for the window to apply; no panel touches a
//! session or the application itself.

pub mod action;
pub mod automation;
pub mod clients;
pub mod dialogs;
pub mod explained;
pub mod faults_panel;
pub mod find_bar;
pub mod fonts;
pub mod framing_panel;
pub mod layout;
pub mod load;
pub mod log_view;
pub mod message_view;
pub mod net_panel;
pub mod partner_menu;
pub mod plot;
pub mod python_window;
pub mod repeat_bar;
pub mod rx_panel;
pub mod send_box;
pub mod status_bar;
pub mod tabs;
pub mod tls_panel;
pub mod tx_panel;
pub mod view;
pub mod widgets;
pub mod ws_panel;
