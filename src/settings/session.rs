//! One tab's settings: its mode, addresses, and how it shows and sends data.

use serde::{Deserialize, Serialize};

use crate::automation::{AutomationFile, Partner};
use crate::codec::summary::is_big;
use crate::codec::{DisplayEncoding, SendOptions};
use crate::net::SessionConfig;
use crate::net::ws::MessageKind;
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
    /// Sit between TCP clients and a server.
    Relay,
    /// Sit between UDP clients and a server.
    UdpRelay,
    /// Listen for WebSocket clients.
    WsServer,
    /// Connect to a WebSocket server by URL.
    WsClient,
    /// Many clients against one server, with figures.
    Load,
}

impl ModeChoice {
    /// Every choice, in the order the selector shows them.
    pub const ALL: [ModeChoice; 8] = [
        ModeChoice::TcpServer,
        ModeChoice::TcpClient,
        ModeChoice::Udp,
        ModeChoice::Relay,
        ModeChoice::UdpRelay,
        ModeChoice::WsServer,
        ModeChoice::WsClient,
        ModeChoice::Load,
    ];

    /// Whether it connects to a server (its local port is optional).
    pub fn is_client(self) -> bool {
        matches!(self, ModeChoice::TcpClient | ModeChoice::WsClient)
    }

    /// Whether it is one of the WebSocket modes.
    pub fn is_ws(self) -> bool {
        matches!(self, ModeChoice::WsServer | ModeChoice::WsClient)
    }

    /// Whether it is one of the relays.
    pub fn is_relay(self) -> bool {
        matches!(self, ModeChoice::Relay | ModeChoice::UdpRelay)
    }
}

/// Where a relay's faults apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FaultDirection {
    /// Client to server.
    Up,
    /// Server to client.
    Down,
    /// Both ways.
    #[default]
    Both,
}

/// How a relay ends a pair after some bytes, as chosen in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum EndChoice {
    /// FIN to both sides.
    #[default]
    Close,
    /// RST to both sides.
    Reset,
    /// Forward nothing more, keep both connections.
    Blackhole,
}

/// A relay tab's faults, as typed (text, so a bad entry can be shown and
/// fixed; empty means off).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RelaySettings {
    /// Where the faults apply.
    pub direction: FaultDirection,
    /// Slice into pieces of this many bytes.
    pub slice: String,
    /// Random piece sizes from 1 to `slice`.
    pub slice_random: bool,
    /// Pause between pieces, ms.
    pub slice_gap_ms: String,
    /// Latency, ms.
    pub delay_ms: String,
    /// Jitter, ms.
    pub jitter_ms: String,
    /// Bytes per second.
    pub rate: String,
    /// End the pair after this many bytes.
    pub end_after: String,
    /// How.
    pub end_how: EndChoice,
    /// UDP: percent dropped.
    pub drop: String,
    /// UDP: percent sent twice.
    pub duplicate: String,
    /// UDP: percent held back behind the next.
    pub reorder: String,
    /// UDP: seconds before an idle client address is forgotten.
    pub udp_idle_s: String,
    /// TCP: speak TLS to the clients (the TLS section's certificate).
    pub tls_listen: bool,
    /// TCP: speak TLS to the server (the TLS section's checks).
    pub tls_upstream: bool,
}

impl Default for RelaySettings {
    fn default() -> Self {
        RelaySettings {
            direction: FaultDirection::Both,
            slice: String::new(),
            slice_random: false,
            slice_gap_ms: String::new(),
            delay_ms: String::new(),
            jitter_ms: String::new(),
            rate: String::new(),
            end_after: String::new(),
            end_how: EndChoice::Close,
            drop: String::new(),
            duplicate: String::new(),
            reorder: String::new(),
            udp_idle_s: "60".to_string(),
            tls_listen: false,
            tls_upstream: false,
        }
    }
}

/// A WebSocket tab's settings, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WsSettings {
    /// Client: the URL (`ws://` or `wss://`).
    pub url: String,
    /// Server: the one path served (empty: any path).
    pub path: String,
    /// Client: extra request headers, one `Name: value` a line.
    pub headers: String,
    /// Client: subprotocols to ask for, comma-separated.
    pub protocols: String,
    /// The largest incoming message, in KiB.
    pub max_message_kib: String,
    /// Sends go as text or binary messages (hex input always as binary).
    pub kind: MessageKind,
    /// The close code the Close button sends.
    pub close_code: String,
    /// The close reason the Close button sends.
    pub close_reason: String,
    /// The payload of a ping.
    pub ping_payload: String,
}

impl Default for WsSettings {
    fn default() -> Self {
        WsSettings {
            url: "ws://127.0.0.1:8888/".to_string(),
            path: String::new(),
            headers: String::new(),
            protocols: String::new(),
            max_message_kib: (crate::net::ws::DEFAULT_MAX_MESSAGE / 1024).to_string(),
            kind: MessageKind::Text,
            close_code: "1000".to_string(),
            close_reason: String::new(),
            ping_payload: String::new(),
        }
    }
}

/// Which TLS versions a tab allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TlsVersionChoice {
    /// TLS 1.2 and 1.3.
    #[default]
    Both,
    /// TLS 1.2 only.
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// A TCP tab's TLS, as typed (file names are read when the session opens).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsSettings {
    /// Speak TLS.
    pub enabled: bool,
    /// A server's certificate chain (empty: the self-signed one NetAssist
    /// makes and keeps); a client's own certificate, if a server asks.
    pub cert: String,
    /// The private key of `cert`.
    pub key: String,
    /// Server: ask clients for a certificate signed by a CA in this file.
    pub client_ca: String,
    /// Client: check the server against the CAs in this file (empty: the
    /// system's).
    pub ca: String,
    /// Client: accept any server certificate.
    pub insecure: bool,
    /// Client: the name sent and checked (empty: the host).
    pub sni: String,
    /// ALPN protocols, comma-separated.
    pub alpn: String,
    /// The versions allowed.
    pub version: TlsVersionChoice,
    /// Append the session keys to this file (SSLKEYLOGFILE format).
    pub keylog: String,
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
    /// Show the time since the previous row (Δt).
    pub show_delta: bool,
    /// Show round trips (RTT) on the rows that answer a send.
    pub show_rtt: bool,
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
    pub rules: AutomationFile,
    /// After a peer finishes sending (FIN), finish ours too once our
    /// replies are out; otherwise keep the connection half-open.
    pub finish_on_peer_fin: bool,
    /// The tutorial partner this tab was last set up as (its id), shown
    /// with what to run against it until dismissed.
    pub partner: Option<String>,
    /// How the log groups received bytes into messages (a view only).
    pub framing: super::FramingSettings,
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
    /// Relay: its faults.
    pub relay: RelaySettings,
    /// TCP: TLS.
    pub tls: TlsSettings,
    /// WebSocket: URL, path, headers, limits and what Send sends.
    pub ws: WsSettings,
    /// Load test: its run.
    pub load: super::LoadSettings,
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
            show_delta: false,
            show_rtt: false,
            auto_scroll: true,
            send: SendOptions::default(),
            loop_ms: "1000".to_string(),
            loop_count: String::new(),
            send_text: String::new(),
            to_selected: false,
            show_plot: false,
            rules: AutomationFile::default(),
            finish_on_peer_fin: true,
            partner: None,
            framing: super::FramingSettings::default(),
            multicast_groups: Vec::new(),
            multicast_join: String::new(),
            multicast_ttl: String::new(),
            multicast_loop: true,
            multicast_if: String::new(),
            relay: RelaySettings::default(),
            tls: TlsSettings::default(),
            ws: WsSettings::default(),
            load: super::LoadSettings::default(),
        }
    }
}

impl SessionSettings {
    /// Sets this tab up as tutorial partner `p`: its mode, port, remote,
    /// display and send encodings and its rules, all of which stay
    /// visible and editable. Servers and UDP listen on every address, as
    /// the tutorials' `''` does; clients connect to this machine.
    pub fn use_partner(&mut self, p: &Partner) {
        self.mode = match p.session_config() {
            SessionConfig::TcpServer { .. } => ModeChoice::TcpServer,
            SessionConfig::TcpClient { .. } => ModeChoice::TcpClient,
            SessionConfig::Udp { .. } => ModeChoice::Udp,
            SessionConfig::Relay(r) if r.udp => ModeChoice::UdpRelay,
            SessionConfig::Relay(_) => ModeChoice::Relay,
            SessionConfig::WsServer(_) => ModeChoice::WsServer,
            SessionConfig::WsClient(_) => ModeChoice::WsClient,
            // No partner is a load run.
            SessionConfig::Load(_) => ModeChoice::Load,
        };
        match p.session_config() {
            SessionConfig::TcpServer { bind, .. } => {
                self.local_ip = bind.ip().to_string();
                self.local_port = bind.port().to_string();
            }
            SessionConfig::TcpClient { remote, .. } => {
                self.client_local_port = String::new();
                self.remote_host = remote.host;
                self.remote_port = remote.port.to_string();
            }
            SessionConfig::Udp { bind, remote, .. } => {
                self.local_ip = bind.ip().to_string();
                self.local_port = bind.port().to_string();
                // No remote: replies go to whoever sent last.
                let (host, port) = remote.map_or((String::new(), String::new()), |r| {
                    (r.host, r.port.to_string())
                });
                self.remote_host = host;
                self.remote_port = port;
            }
            SessionConfig::Relay(r) => {
                self.local_ip = r.listen.ip().to_string();
                self.local_port = r.listen.port().to_string();
                self.remote_host = r.target.host;
                self.remote_port = r.target.port.to_string();
                // The partner's faults, in the fields that show them.
                let f = &r.faults.up;
                self.relay = RelaySettings {
                    direction: FaultDirection::Both,
                    slice: f.slice.map(|s| s.max.to_string()).unwrap_or_default(),
                    slice_random: f.slice.is_some_and(|s| s.random),
                    slice_gap_ms: f
                        .slice
                        .filter(|s| !s.gap.is_zero())
                        .map(|s| s.gap.as_millis().to_string())
                        .unwrap_or_default(),
                    ..RelaySettings::default()
                };
            }
            SessionConfig::WsServer(w) => {
                self.local_ip = w.bind.ip().to_string();
                self.local_port = w.bind.port().to_string();
                self.ws.path = w.path.unwrap_or_default();
            }
            SessionConfig::WsClient(w) => {
                self.client_local_port = String::new();
                self.ws.url = w.url.to_string();
            }
            SessionConfig::Load(_) => {}
        }
        self.encoding = p.display;
        self.send.encoding = p.send_encoding;
        self.rules = p.automation();
        self.partner = Some(p.id.to_string());
    }

    /// The port this tab is about: the local port of a server or UDP
    /// socket, the remote port of a client.
    pub fn port_shown(&self) -> &str {
        match self.mode {
            ModeChoice::TcpClient => self.remote_port.trim(),
            ModeChoice::WsClient => self.ws.url.trim(),
            ModeChoice::Load => {
                let url = self.load.url.trim().trim_end_matches('/');
                url.rsplit_once(':').map_or("", |(_, port)| port)
            }
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
            partner: None,
            ..self.clone()
        };
        if !self.mode.is_client()
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
    use crate::automation::partner;
    use crate::codec::TextEncoding;

    #[test]
    fn a_partner_sets_everything_it_needs_and_the_fields_open_it() {
        for p in crate::automation::partners() {
            let mut s = SessionSettings {
                remote_host: "10.0.0.9".into(),
                remote_port: "1".into(),
                ..SessionSettings::default()
            };
            s.use_partner(&p);
            let mode = match s.mode {
                ModeChoice::TcpServer => crate::net::Mode::TcpServer,
                ModeChoice::TcpClient => crate::net::Mode::TcpClient,
                ModeChoice::Udp => crate::net::Mode::Udp,
                ModeChoice::Relay => crate::net::Mode::Relay,
                ModeChoice::UdpRelay => crate::net::Mode::UdpRelay,
                ModeChoice::WsServer => crate::net::Mode::WsServer,
                ModeChoice::WsClient => crate::net::Mode::WsClient,
                ModeChoice::Load => crate::net::Mode::Load,
            };
            assert_eq!(mode, p.mode(), "{}", p.id);
            assert_eq!(s.encoding, p.display, "{}", p.id);
            assert_eq!(s.send.encoding, p.send_encoding, "{}", p.id);
            assert_eq!(s.rules, p.automation(), "{}", p.id);
            assert_eq!(s.partner.as_deref(), Some(p.id));
            // The fields describe the partner's session (the tab's own
            // multicast options aside).
            let ends = |c: SessionConfig| match c {
                SessionConfig::TcpServer { bind, .. } => (Some(bind), None),
                SessionConfig::TcpClient { remote, bind, .. } => (bind, Some(remote)),
                SessionConfig::Udp { bind, remote, .. } => (Some(bind), remote),
                SessionConfig::Relay(r) => (Some(r.listen), Some(r.target.clone())),
                SessionConfig::WsServer(w) => (Some(w.bind), None),
                SessionConfig::WsClient(w) => (w.bind, Some(w.url.host_port())),
                SessionConfig::Load(l) => (None, Some(l.url.host.clone())),
            };
            let tab = crate::settings::session_config(&s).expect("the fields open");
            assert_eq!(ends(tab), ends(p.session_config()), "{}", p.id);
        }
        let mut s = SessionSettings::default();
        s.use_partner(&partner("001-thank-you-server").unwrap());
        assert_eq!(
            (s.local_ip.as_str(), s.local_port.as_str()),
            ("0.0.0.0", "7788")
        );
        assert_eq!(s.send.encoding, TextEncoding::Gbk);
        s.use_partner(&partner("002-hello-client").unwrap());
        assert_eq!(s.port_shown(), "8080");
        assert_eq!(s.client_local_port, "");
        s.use_partner(&partner("002-upper-echo-udp").unwrap());
        assert_eq!((s.remote_host.as_str(), s.remote_port.as_str()), ("", ""));
    }

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
