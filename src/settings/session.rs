//! One tab's settings: its mode, addresses, and how it shows and sends data.

use serde::{Deserialize, Serialize};

use crate::automation::Automation;
use crate::codec::summary::is_big;
use crate::codec::{DisplayEncoding, SendOptions};
use crate::records::View;

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
}

/// Every setting of one tab (one session).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionSettings {
    /// A name the user gave the tab; `None` shows mode and port.
    pub name: Option<String>,
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
    /// How many loop sends; empty repeats until stopped.
    pub loop_count: String,
    /// The send box's contents (not saved when larger than
    /// [`BIG_INPUT`](crate::codec::summary::BIG_INPUT): it is kept for this
    /// run only).
    #[serde(serialize_with = "small_text")]
    pub send_text: String,
    /// TCP server: send to the selected clients only.
    pub to_selected: bool,
    /// Show the throughput plot.
    pub show_plot: bool,
    /// This tab's auto-reply rules (and whether the first or every
    /// matching rule answers).
    #[serde(with = "super::automation_text")]
    pub rules: Automation,
    /// After a peer finishes sending (FIN), finish ours too once our
    /// replies are out; otherwise keep the connection half-open.
    pub finish_on_peer_fin: bool,
    /// UDP: multicast groups to join at open, as `GROUP[@IFACE]`.
    pub multicast_groups: Vec<String>,
    /// UDP: the group being typed.
    pub multicast_join: String,
    /// UDP: TTL (hop limit) of multicast sends; empty keeps the system's.
    pub multicast_ttl: String,
    /// UDP: our own multicast sends come back to this machine.
    pub multicast_loop: bool,
    /// UDP: the interface multicast sends leave by; empty lets the system
    /// choose.
    pub multicast_if: String,
}

/// Writes the send box's text only when it is small enough for the
/// settings file.
fn small_text<S: serde::Serializer>(text: &str, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(if is_big(text) { "" } else { text })
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            name: None,
            mode: ModeChoice::TcpServer,
            local_ip: "127.0.0.1".to_string(),
            local_port: "8888".to_string(),
            client_local_port: String::new(),
            remote_host: "127.0.0.1".to_string(),
            remote_port: "8888".to_string(),
            view: View::Text,
            encoding: DisplayEncoding::Auto,
            timestamps: true,
            show_peer: true,
            show_control: false,
            auto_scroll: true,
            send: SendOptions::default(),
            loop_ms: "1000".to_string(),
            loop_count: String::new(),
            send_text: String::new(),
            to_selected: false,
            show_plot: false,
            rules: Automation::default(),
            finish_on_peer_fin: true,
            multicast_groups: Vec::new(),
            multicast_join: String::new(),
            multicast_ttl: String::new(),
            multicast_loop: true,
            multicast_if: String::new(),
        }
    }
}

impl SessionSettings {
    /// The port this tab is about: the local port of a server or UDP
    /// socket, the remote port of a client.
    pub fn port_shown(&self) -> &str {
        match self.mode {
            ModeChoice::TcpClient => self.remote_port.trim(),
            _ => self.local_port.trim(),
        }
    }

    /// A copy for a new tab: the same settings without the name or the send
    /// box's text. A server or UDP tab moves to the next port after this
    /// one that `is_free` accepts (another client of the same server keeps
    /// the remote port).
    pub fn for_new_tab(&self, is_free: impl Fn(u16) -> bool) -> SessionSettings {
        let mut next = SessionSettings {
            name: None,
            send_text: String::new(),
            ..self.clone()
        };
        if self.mode != ModeChoice::TcpClient
            && let Ok(port) = self.local_port.trim().parse::<u16>()
            && port > 0
            && let Some(free) = (port.saturating_add(1)..=u16::MAX)
                .take(1000)
                .find(|p| is_free(*p))
        {
            next.local_port = free.to_string();
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_tab_takes_the_next_port() {
        let s = SessionSettings {
            name: Some("mine".into()),
            send_text: "hello".into(),
            ..SessionSettings::default()
        };
        let n = s.for_new_tab(|_| true);
        assert_eq!(n.local_port, "8889");
        assert_eq!(n.name, None);
        assert_eq!(n.send_text, "");
        // Ports in use are skipped.
        assert_eq!(s.for_new_tab(|p| p > 8890).local_port, "8891");
        let c = SessionSettings {
            mode: ModeChoice::TcpClient,
            remote_port: "7788".into(),
            ..SessionSettings::default()
        };
        assert_eq!(c.for_new_tab(|_| true).remote_port, "7788");
        assert_eq!(c.for_new_tab(|_| true).port_shown(), "7788");
        let odd = SessionSettings {
            local_port: "x".into(),
            ..SessionSettings::default()
        };
        assert_eq!(odd.for_new_tab(|_| true).local_port, "x");
    }
}
