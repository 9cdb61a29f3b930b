//! WebSocket (RFC 6455) as a layer of a TCP connection, over plain TCP or
//! the TLS layer: the HTTP upgrade ([`handshake`]), then tungstenite's
//! `WebSocket` over an in-memory pipe fed with what the connection read
//! ([`layer`]). Every read and write on the socket stays in the
//! connection's own code (mio, `try_io`); this layer only turns bytes into
//! messages and messages into bytes.

pub(crate) mod handshake;
pub(crate) mod layer;
mod tap;
mod url;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;

use super::tls::{TlsClientConfig, TlsServerConfig};

pub use handshake::looks_like_upgrade;
pub use url::{WsUrl, WsUrlError};

/// The default limit on one incoming message (16 MiB).
pub const DEFAULT_MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// How long we wait for the peer's close frame after sending ours before
/// ending the connection ourselves.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest limit a session may set (1 GiB).
pub const MAX_MAX_MESSAGE: usize = 1024 * 1024 * 1024;

/// Whether a message is text (UTF-8) or binary.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum MessageKind {
    /// A text message: its bytes are UTF-8.
    #[default]
    Text,
    /// A binary message: any bytes.
    Binary,
}

impl MessageKind {
    /// `text` or `binary`, for the command line and exports.
    pub fn name(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Binary => "binary",
        }
    }
}

/// What a received or sent record of a WebSocket session is: one whole
/// message, its kind and how many frames it came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WsMessage {
    /// Text or binary.
    pub kind: MessageKind,
    /// How many frames carried it (more than one: it was fragmented);
    /// [`u16::MAX`] stands for that many or more.
    pub frames: u16,
}

/// Opening a WebSocket server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsServerConfig {
    /// Local address and port; port 0 picks a free one.
    pub bind: SocketAddr,
    /// Serve `wss://` (TLS) on every connection.
    pub tls: Option<TlsServerConfig>,
    /// The one path served (`/chat`); `None` serves any path. A request for
    /// another path is refused with HTTP 404.
    pub path: Option<String>,
    /// The largest incoming message; a larger one closes with 1009.
    pub max_message: usize,
    /// The kind of message a send goes as when it does not say.
    pub kind: MessageKind,
}

/// Opening a WebSocket client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsClientConfig {
    /// `ws://` or `wss://` URL.
    pub url: WsUrl,
    /// Extra request headers (name, value).
    pub headers: Vec<(String, String)>,
    /// Subprotocols to ask for (`Sec-WebSocket-Protocol`).
    pub protocols: Vec<String>,
    /// TLS settings for `wss://` (`None` for `ws://`).
    pub tls: Option<TlsClientConfig>,
    /// Optional local address and port to bind before connecting.
    pub bind: Option<SocketAddr>,
    /// The largest incoming message; a larger one closes with 1009.
    pub max_message: usize,
    /// The kind of message a send goes as when it does not say.
    pub kind: MessageKind,
}

/// A close code and its reason, as a close frame carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The status code (1000 normal, 1001 going away, …); `None` for a
    /// close frame without a body.
    pub code: Option<u16>,
    /// The reason text (may be empty).
    pub reason: String,
}

/// The HTTP upgrade, as it was asked for and answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// The request line (`GET /chat HTTP/1.1`).
    pub request_line: String,
    /// The `Host` header.
    pub host: Option<String>,
    /// The `Origin` header (browsers send it).
    pub origin: Option<String>,
    /// Subprotocols asked for.
    pub protocols: Vec<String>,
    /// Extensions asked for (none is agreed: NetAssist sends frames as they are).
    pub extensions: Vec<String>,
    /// The response's status line (`HTTP/1.1 101 Switching Protocols`).
    pub status_line: String,
    /// The subprotocol agreed, if any.
    pub protocol: Option<String>,
}

/// Why an HTTP upgrade was refused, as far as can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalHint {
    /// The answer was not for a WebSocket at all: a plain HTTP server
    /// (or the request had no `Upgrade: websocket`).
    PlainHttp,
    /// The path is not served (404).
    WrongPath,
    /// The server answered 101 but got the handshake wrong (accept key,
    /// headers, a subprotocol not asked for).
    BadUpgrade,
    /// Another status.
    Other,
}

/// A refused upgrade: the HTTP status and the first lines of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status code (0 when the answer was not HTTP).
    pub status: u16,
    /// The status line as received or sent.
    pub status_line: String,
    /// The first lines of the body (at most a few hundred bytes).
    pub body: String,
    /// What it most likely means.
    pub hint: RefusalHint,
    /// Details (what was wrong with a 101, what the request lacked).
    pub detail: String,
    /// True when we refused (a server), false when the server refused us.
    pub by_us: bool,
}

/// Something a WebSocket connection did that is not a data message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsEvent {
    /// The upgrade succeeded: the connection now carries WebSocket frames.
    Handshake(Box<Handshake>),
    /// The upgrade was refused (by us, a server, or by the server we asked).
    Refused(Box<Refusal>),
    /// A ping: its payload; `by_us` when we sent it (a peer's ping is
    /// answered with a pong at once).
    Ping {
        /// The ping's payload (at most 125 bytes).
        payload: Bytes,
        /// True when we sent it.
        by_us: bool,
    },
    /// A pong; for the answer to our ping, the round-trip time.
    Pong {
        /// The pong's payload.
        payload: Bytes,
        /// Time since our ping with the same payload.
        rtt: Option<Duration>,
    },
    /// A close frame: sent by us or by the peer; `reply` when it answers
    /// the other side's close.
    Close {
        /// Code and reason.
        close: CloseInfo,
        /// True when the peer sent it.
        by_peer: bool,
        /// True when it answers a close from the other side.
        reply: bool,
    },
    /// The peer broke the protocol (invalid UTF-8 in a text message, a
    /// message over the limit, a bad frame): we closed with `code`.
    Violation {
        /// The close code we sent (1002, 1007, 1009).
        code: u16,
        /// What was wrong.
        detail: String,
    },
    /// The connection ended without a close frame (1006).
    Dropped,
    /// Our close frame was not answered within `waited`: we ended the
    /// connection (RFC 6455 lets the side that closed do so).
    CloseUnanswered {
        /// How long we waited for the peer's close frame.
        waited: Duration,
    },
}

/// The standard close codes NetAssist explains.
pub const EXPLAINED_CODES: [u16; 9] = [1000, 1001, 1002, 1003, 1006, 1007, 1008, 1009, 1011];

/// The registered name of a close code (`Normal closure` for 1000).
pub fn close_code_name(code: u16) -> &'static str {
    match code {
        1000 => "normal closure",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1005 => "no status received",
        1006 => "abnormal closure",
        1007 => "invalid payload data",
        1008 => "policy violation",
        1009 => "message too big",
        1010 => "mandatory extension",
        1011 => "internal error",
        1012 => "service restart",
        1013 => "try again later",
        1015 => "TLS handshake",
        3000..=3999 => "registered",
        4000..=4999 => "private",
        _ => "unknown",
    }
}
