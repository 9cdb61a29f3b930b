//! What a session is opened with, and where and how a send goes.

use std::net::SocketAddr;

use super::tls::{TlsClientConfig, TlsServerConfig};
use super::ws::{MessageKind, WsClientConfig, WsServerConfig};
use super::{HostPort, LoadConfig, Mode, MulticastConfig, PeerId, RelayConfig};

/// Everything needed to open a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionConfig {
    /// Listen on `bind` (`[::]` is dual-stack where the OS allows).
    TcpServer {
        /// Local address and port; port 0 picks a free one.
        bind: SocketAddr,
        /// Serve TLS on every connection (`None`: plain TCP).
        tls: Option<TlsServerConfig>,
    },
    /// Connect to `remote`, optionally from a fixed local address/port.
    TcpClient {
        /// Remote host (name or IP literal) and port.
        remote: HostPort,
        /// Optional local address and port to bind before connecting.
        bind: Option<SocketAddr>,
        /// Talk TLS to the server (`None`: plain TCP).
        tls: Option<TlsClientConfig>,
    },
    /// Bind a UDP socket; `remote` is the default destination.
    Udp {
        /// Local address and port; port 0 picks a free one.
        bind: SocketAddr,
        /// Default destination for [`Target::Default`]. A host name is
        /// looked up off the poll loop; the session reports
        /// [`Event::Opened`](super::Event::Opened) once it is known.
        remote: Option<HostPort>,
        /// Groups to join at open, TTL and loopback.
        multicast: MulticastConfig,
    },
    /// Listen, connect each client to a target, forward both ways.
    Relay(Box<RelayConfig>),
    /// Listen for WebSocket clients (`ws://` or, with TLS, `wss://`).
    WsServer(Box<WsServerConfig>),
    /// Connect to a WebSocket server by URL.
    WsClient(Box<WsClientConfig>),
    /// Many clients against one server, each following a script.
    Load(Box<LoadConfig>),
}

impl SessionConfig {
    /// The mode this configuration opens.
    pub fn mode(&self) -> Mode {
        match self {
            SessionConfig::TcpServer { .. } => Mode::TcpServer,
            SessionConfig::TcpClient { .. } => Mode::TcpClient,
            SessionConfig::Udp { .. } => Mode::Udp,
            SessionConfig::Relay(r) if r.udp => Mode::UdpRelay,
            SessionConfig::Relay(_) => Mode::Relay,
            SessionConfig::WsServer(_) => Mode::WsServer,
            SessionConfig::WsClient(_) => Mode::WsClient,
            SessionConfig::Load(_) => Mode::Load,
        }
    }

    /// A plain TCP server on `bind`.
    pub fn tcp_server(bind: SocketAddr) -> SessionConfig {
        SessionConfig::TcpServer { bind, tls: None }
    }

    /// A plain TCP client to `remote`.
    pub fn tcp_client(remote: HostPort, bind: Option<SocketAddr>) -> SessionConfig {
        SessionConfig::TcpClient {
            remote,
            bind,
            tls: None,
        }
    }

    /// A UDP configuration with no multicast settings.
    pub fn udp(bind: SocketAddr, remote: Option<HostPort>) -> SessionConfig {
        SessionConfig::Udp {
            bind,
            remote,
            multicast: MulticastConfig::default(),
        }
    }
}

/// Where a send goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// TCP server: every client. TCP client: the server. UDP: the configured
    /// remote, else the last sender.
    Default,
    /// TCP server: every client (same as `Default`).
    All,
    /// TCP server: only these clients.
    Peers(Vec<PeerId>),
    /// UDP: this address. TCP server: the client with this address.
    Addr(SocketAddr),
    /// UDP: this host name or address. A name is looked up once off the
    /// poll loop and remembered until
    /// [`SessionHandle::refresh_names`](super::SessionHandle::refresh_names).
    Host(HostPort),
    /// UDP: reply to whoever sent last. TCP server: the client that sent last.
    LastSender,
}

/// Facts about a send that travel with it to its
/// [`Event::Sent`](super::Event::Sent), so the log can show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct SendMeta {
    /// How many bytes at the end of the data NetAssist added (a line ending,
    /// a checksum) rather than the user typing them.
    pub added_tail: u32,
    /// WebSocket: the kind of message to send (`None`: the session's
    /// default). In a `Sent` event: the kind that went (text that is not
    /// UTF-8 goes as binary).
    pub message: Option<MessageKind>,
}
