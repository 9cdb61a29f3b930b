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
    /// Local port of a server or UDP socket (text, so a bad entry can be
    /// shown and fixed).
    pub local_port: String,
    /// Local port of a TCP client; empty lets the system choose.
    pub client_local_port: String,
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
            client_local_port: String::new(),
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::codec::{InputMode, LineEnding, TextEncoding};

    /// An in-memory stand-in for eframe's settings file.
    #[derive(Default)]
    struct Memory(HashMap<String, String>);

    impl eframe::Storage for Memory {
        fn get_string(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
        fn set_string(&mut self, key: &str, value: String) {
            self.0.insert(key.to_string(), value);
        }
        fn remove_string(&mut self, key: &str) {
            self.0.remove(key);
        }
        fn flush(&mut self) {}
    }

    #[test]
    fn every_setting_survives_a_restart() {
        let mut s = Settings::with_lang(Lang::Zh);
        s.mode = ModeChoice::Udp;
        s.local_ip = "::".into();
        s.local_port = "7788".into();
        s.client_local_port = "50000".into();
        s.remote_host = "localhost".into();
        s.remote_port = "8080".into();
        s.remember_remote("127.0.0.1:9000".into());
        s.view = View::Both;
        s.encoding = DisplayEncoding::Gbk;
        s.timestamps = false;
        s.show_peer = false;
        s.show_control = true;
        s.auto_scroll = false;
        s.send = SendOptions {
            mode: InputMode::Hex,
            escapes: true,
            encoding: TextEncoding::Gbk,
            line_ending: LineEnding::CrLf,
            checksum: None,
        };
        s.loop_ms = "250".into();
        s.send_text = "你好\\r\\n".into();
        s.remember_sent(SentItem {
            label: "hi".into(),
            bytes: vec![0, 0xFF, b'h'],
        });
        s.to_selected = true;
        let mut storage = Memory::default();
        eframe::set_value(&mut storage, eframe::APP_KEY, &s);
        let back: Option<Settings> = eframe::get_value(&storage, eframe::APP_KEY);
        assert_eq!(back, Some(s));
    }

    #[test]
    fn histories_are_bounded_and_newest_first() {
        let mut s = Settings::with_lang(Lang::En);
        for i in 0..30 {
            s.remember_remote(format!("h:{i}"));
        }
        s.remember_remote("h:25".into());
        assert_eq!(s.remote_history.len(), HISTORY_LEN);
        assert_eq!(s.remote_history[0], "h:25");
        assert_eq!(s.remote_history.iter().filter(|r| *r == "h:25").count(), 1);
    }
}
