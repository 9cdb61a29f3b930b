//! What the window remembers between runs: mode, addresses, options,
//! language and history (the window size is kept by eframe itself).

use serde::{Deserialize, Serialize};

use crate::codec::{DisplayEncoding, SendOptions};
use crate::i18n::Lang;
use crate::net::Mode;
use crate::records::View;

/// Most remembered remotes and sent items.
pub const HISTORY_LEN: usize = 20;

/// The protocol choice, stored by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ModeChoice {
    /// Listen for clients.
    TcpServer,
    /// Connect to a server.
    TcpClient,
    /// Datagrams.
    Udp,
}

impl ModeChoice {
    /// Every choice, in the order the selector shows them.
    pub const ALL: [ModeChoice; 3] = [
        ModeChoice::TcpServer,
        ModeChoice::TcpClient,
        ModeChoice::Udp,
    ];

    /// The engine's mode.
    pub fn mode(self) -> Mode {
        match self {
            ModeChoice::TcpServer => Mode::TcpServer,
            ModeChoice::TcpClient => Mode::TcpClient,
            ModeChoice::Udp => Mode::Udp,
        }
    }
}

/// One item of the send history: what was typed and the bytes it became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentItem {
    /// A short label (the text as typed, or the hex).
    pub label: String,
    /// The exact bytes that were sent.
    pub bytes: Vec<u8>,
}

/// Every setting the window keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// UI language.
    pub lang: Lang,
    /// Protocol.
    pub mode: ModeChoice,
    /// Local IP address to bind.
    pub local_ip: String,
    /// Local port (text, so a bad entry can be shown and fixed).
    pub local_port: String,
    /// Remote host (TCP client, UDP).
    pub remote_host: String,
    /// Remote port (TCP client, UDP).
    pub remote_port: String,
    /// Recently used remotes, newest first.
    pub remote_history: Vec<String>,
    /// Text, hex or both.
    pub view: View,
    /// Display encoding.
    pub encoding: DisplayEncoding,
    /// Show each record's time.
    pub timestamps: bool,
    /// Show each record's peer and byte count.
    pub show_peer: bool,
    /// Show ␍ ␊ ␉ and `\xHH`.
    pub show_control: bool,
    /// Follow new data.
    pub auto_scroll: bool,
    /// How typed text becomes bytes.
    pub send: SendOptions,
    /// Loop-send interval in ms (text, validated on start).
    pub loop_ms: String,
    /// The send box's contents.
    pub send_text: String,
    /// Recently sent items, newest first.
    pub sent_history: Vec<SentItem>,
    /// TCP server: send to the selected clients only.
    pub to_selected: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lang: Lang::system(),
            mode: ModeChoice::TcpServer,
            local_ip: "127.0.0.1".to_string(),
            local_port: "8888".to_string(),
            remote_host: "127.0.0.1".to_string(),
            remote_port: "8888".to_string(),
            remote_history: Vec::new(),
            view: View::Text,
            encoding: DisplayEncoding::Auto,
            timestamps: true,
            show_peer: true,
            show_control: false,
            auto_scroll: true,
            send: SendOptions::default(),
            loop_ms: "1000".to_string(),
            send_text: String::new(),
            sent_history: Vec::new(),
            to_selected: false,
        }
    }
}

impl Settings {
    /// Defaults in a given language (tests and first runs).
    pub fn with_lang(lang: Lang) -> Settings {
        Settings {
            lang,
            ..Settings::default()
        }
    }

    /// Remembers a remote, newest first, without duplicates.
    pub fn remember_remote(&mut self, remote: String) {
        self.remote_history.retain(|r| *r != remote);
        self.remote_history.insert(0, remote);
        self.remote_history.truncate(HISTORY_LEN);
    }

    /// Remembers a sent item, newest first, without duplicates.
    pub fn remember_sent(&mut self, item: SentItem) {
        self.sent_history.retain(|s| s.bytes != item.bytes);
        self.sent_history.insert(0, item);
        self.sent_history.truncate(HISTORY_LEN);
    }
}
