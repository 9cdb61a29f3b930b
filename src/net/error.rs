//! Errors the engine reports, typed so a window or a script can match on them.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use super::PeerId;
use super::tls::TlsFileError;

/// Everything that can go wrong in a session, in words a learner can act on.
///
/// Messages are plain English for the command line; the window words each
/// variant in the user's language itself (`messages::net_error_text`).
/// [`NetError::kind`] names a variant without its data, for scripts and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// Another socket already listens on (or is bound to) this address.
    #[error("address {addr} is already in use: another program is bound to it")]
    AddrInUse {
        /// The address that could not be bound.
        addr: SocketAddr,
    },
    /// The local address is not one of this machine's addresses.
    #[error("address {addr} is not an address of this machine")]
    AddrNotAvailable {
        /// The address that could not be bound.
        addr: SocketAddr,
    },
    /// The operating system refused the bind (usually a port below 1024).
    #[error("permission denied for {addr} (ports below 1024 need administrator rights)")]
    PermissionDenied {
        /// The address that could not be bound.
        addr: SocketAddr,
    },
    /// Nothing listens at the remote address.
    #[error("connection refused by {addr}: nothing is listening there")]
    ConnectionRefused {
        /// The remote address that refused.
        addr: SocketAddr,
    },
    /// A host name could not be resolved to any address.
    #[error("host not found: {host} ({detail})")]
    HostNotFound {
        /// The name as the user typed it.
        host: String,
        /// What the resolver said.
        detail: String,
    },
    /// The remote host did not answer in time.
    #[error("connecting to {addr} timed out")]
    ConnectTimeout {
        /// The remote address that did not answer.
        addr: SocketAddr,
    },
    /// A UDP send had no destination: no remote set and nobody has sent yet.
    #[error("no remote address to send to: set one, or wait until someone sends first")]
    NoRemote,
    /// A TCP server send while no client is connected.
    #[error("no client is connected: nothing was sent")]
    NoClients,
    /// The chosen client has gone.
    #[error("client #{0} is not connected")]
    UnknownPeer(PeerId),
    /// A peer that does not read has filled its send queue.
    #[error("{addr} is not reading: {dropped} bytes were not sent")]
    SendQueueFull {
        /// The peer that is not reading.
        addr: SocketAddr,
        /// Bytes dropped from this send.
        dropped: usize,
    },
    /// A datagram larger than UDP allows.
    #[error("a UDP datagram can hold at most 65507 bytes; this one has {len}")]
    DatagramTooLarge {
        /// The size that was asked for.
        len: usize,
    },
    /// The target does not make sense in this mode (e.g. "all clients" in UDP).
    #[error("this target cannot be used in {mode} mode")]
    BadTarget {
        /// The mode's name.
        mode: &'static str,
    },
    /// Local and remote addresses are of different families (IPv4 vs IPv6).
    #[error("local address {local} and remote {remote} are not the same IP version")]
    FamilyMismatch {
        /// The local bind address.
        local: SocketAddr,
        /// The remote host as typed.
        remote: String,
    },
    /// A command arrived while no session is open.
    #[error("not open: open a session first")]
    NotOpen,
    /// We have finished sending on this connection (our FIN is sent or
    /// queued), so nothing more can be sent on it.
    #[error(
        "sending to {addr} has been finished (FIN): nothing more can be sent on this connection"
    )]
    SendingFinished {
        /// The peer of the connection.
        addr: SocketAddr,
    },
    /// A timed send's interval is outside 1 ms to 24 h.
    #[error("the interval must be from 1 ms to 24 h; {} ms is not", .every.as_millis())]
    BadInterval {
        /// The interval asked for.
        every: Duration,
    },
    /// A timed send's first delay is over 24 h.
    #[error("the delay before the first send must be at most 24 h; {} ms is too long", .delay.as_millis())]
    BadDelay {
        /// The delay asked for.
        delay: Duration,
    },
    /// A timed send with a count of 0.
    #[error("a count of 0 sends nothing: give 1 or more, or no count to repeat until stopped")]
    ZeroCount,
    /// A group to join is not a multicast address.
    #[error(
        "{group} is not a multicast address (IPv4 224.0.0.0 to 239.255.255.255, IPv6 ff00::/8)"
    )]
    NotMulticast {
        /// The address given as a group.
        group: IpAddr,
    },
    /// No network interface has this name, address or index.
    #[error("no network interface '{iface}' on this machine")]
    NoSuchInterface {
        /// The interface as given.
        iface: String,
    },
    /// An IPv6 group on an IPv4 socket.
    #[error(
        "group {group} is IPv6 but the socket is bound to IPv4 address {local}: bind to [::] to join IPv6 groups"
    )]
    GroupFamily {
        /// The group.
        group: IpAddr,
        /// The socket's local address.
        local: SocketAddr,
    },
    /// A command that this mode does not have (e.g. joining a group over TCP).
    #[error("{what} is not available in {mode} mode")]
    Unsupported {
        /// What was asked for.
        what: &'static str,
        /// The mode's name.
        mode: &'static str,
    },
    /// Leaving a group that was not joined.
    #[error("group {group} was not joined on that interface")]
    NotJoined {
        /// The group.
        group: IpAddr,
    },
    /// A certificate, key or CA file of a TLS session cannot be used; the
    /// session does not open.
    #[error("{0}")]
    TlsFile(TlsFileError),
    /// The server name for SNI and the certificate check is neither a DNS
    /// name nor an IP address.
    #[error(
        "'{name}' cannot be checked against a certificate: it is not a DNS name or an IP address"
    )]
    TlsName {
        /// The name as given.
        name: String,
    },
    /// The system has no trusted root certificates to check servers with.
    #[error("no trusted root certificates were found on this system ({detail}): give a CA file")]
    TlsNoRoots {
        /// What loading them said.
        detail: String,
    },
    /// The TLS settings could not be put together (rustls's words).
    #[error("the TLS settings cannot be used: {message}")]
    TlsSetup {
        /// What rustls said.
        message: String,
    },
    /// The key log file could not be opened or written; the session goes
    /// on without it (reported once).
    #[error("cannot write the TLS key log file {}: {message}", .path.display())]
    KeyLog {
        /// The file.
        path: PathBuf,
        /// The OS error text.
        message: String,
    },
    /// A WebSocket send, ping or close before the upgrade finished.
    #[error("the WebSocket is not open yet: the upgrade has not finished")]
    WsNotOpen,
    /// A WebSocket send after a close frame went or came: the connection
    /// is closing.
    #[error("the WebSocket is closing: no more messages can be sent on it")]
    WsClosing,
    /// A ping payload or close reason over the 125 bytes a control frame holds.
    #[error("a WebSocket control frame holds at most 125 bytes (this one would be {len})")]
    WsControlTooLong {
        /// The payload's length.
        len: usize,
    },
    /// A WebSocket command in a mode that has none (ping over plain TCP).
    #[error("this is not a WebSocket session")]
    NotWebSocket,
    /// The WebSocket library refused a send (its words).
    #[error("WebSocket error: {message}")]
    WsOther {
        /// What it said.
        message: String,
    },
    /// A load run asked for more connections than this process may hold
    /// open files (every connection is one).
    #[error(
        "{asked} connections do not fit: this process may open {room} more files (its limit is {limit}; `ulimit -Hn` is the most it can be raised to): ask for fewer, or raise the hard limit"
    )]
    TooManyConnections {
        /// Connections asked for.
        asked: u32,
        /// Files this process may still open, less a reserve.
        room: u64,
        /// The open-file limit in force.
        limit: u64,
    },
    /// A load run asked for more connections from one source address to
    /// one target than the system has ephemeral ports.
    #[error(
        "{per_source} connections from one source address to {target} need as many local ports, but the system lends only {ports} ephemeral ports: spread them over more source addresses, or ask for fewer"
    )]
    TooFewPorts {
        /// Connections per source address.
        per_source: u64,
        /// Ephemeral ports in the system's range.
        ports: u64,
        /// The target.
        target: SocketAddr,
    },
    /// Any other operating-system error, with what was being done.
    #[error("{context}: {message}")]
    Io {
        /// What the engine was doing.
        context: String,
        /// The OS error kind, for matching.
        kind: io::ErrorKind,
        /// The OS error text.
        message: String,
    },
}

/// The kind of a [`NetError`], so a UI can choose its own translated text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// See [`NetError::AddrInUse`].
    AddrInUse,
    /// See [`NetError::AddrNotAvailable`].
    AddrNotAvailable,
    /// See [`NetError::PermissionDenied`].
    PermissionDenied,
    /// See [`NetError::ConnectionRefused`].
    ConnectionRefused,
    /// See [`NetError::HostNotFound`].
    HostNotFound,
    /// See [`NetError::ConnectTimeout`].
    ConnectTimeout,
    /// See [`NetError::NoRemote`].
    NoRemote,
    /// See [`NetError::NoClients`].
    NoClients,
    /// See [`NetError::UnknownPeer`].
    UnknownPeer,
    /// See [`NetError::SendQueueFull`].
    SendQueueFull,
    /// See [`NetError::DatagramTooLarge`].
    DatagramTooLarge,
    /// See [`NetError::BadTarget`].
    BadTarget,
    /// See [`NetError::FamilyMismatch`].
    FamilyMismatch,
    /// See [`NetError::NotOpen`].
    NotOpen,
    /// See [`NetError::SendingFinished`].
    SendingFinished,
    /// See [`NetError::BadInterval`].
    BadInterval,
    /// See [`NetError::BadDelay`].
    BadDelay,
    /// See [`NetError::ZeroCount`].
    ZeroCount,
    /// See [`NetError::NotMulticast`].
    NotMulticast,
    /// See [`NetError::NoSuchInterface`].
    NoSuchInterface,
    /// See [`NetError::GroupFamily`].
    GroupFamily,
    /// See [`NetError::Unsupported`].
    Unsupported,
    /// See [`NetError::NotJoined`].
    NotJoined,
    /// See [`NetError::TlsFile`].
    TlsFile,
    /// See [`NetError::TlsName`].
    TlsName,
    /// See [`NetError::TlsNoRoots`].
    TlsNoRoots,
    /// See [`NetError::TlsSetup`].
    TlsSetup,
    /// See [`NetError::KeyLog`].
    KeyLog,
    /// See [`NetError::WsNotOpen`].
    WsNotOpen,
    /// See [`NetError::WsClosing`].
    WsClosing,
    /// See [`NetError::WsControlTooLong`].
    WsControlTooLong,
    /// See [`NetError::NotWebSocket`].
    NotWebSocket,
    /// See [`NetError::WsOther`].
    WsOther,
    /// See [`NetError::TooManyConnections`].
    TooManyConnections,
    /// See [`NetError::TooFewPorts`].
    TooFewPorts,
    /// See [`NetError::Io`].
    Io,
}

impl NetError {
    /// The kind of this error, for matching without the payload.
    pub fn kind(&self) -> ErrorKind {
        match self {
            NetError::AddrInUse { .. } => ErrorKind::AddrInUse,
            NetError::AddrNotAvailable { .. } => ErrorKind::AddrNotAvailable,
            NetError::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            NetError::ConnectionRefused { .. } => ErrorKind::ConnectionRefused,
            NetError::HostNotFound { .. } => ErrorKind::HostNotFound,
            NetError::ConnectTimeout { .. } => ErrorKind::ConnectTimeout,
            NetError::NoRemote => ErrorKind::NoRemote,
            NetError::NoClients => ErrorKind::NoClients,
            NetError::UnknownPeer(_) => ErrorKind::UnknownPeer,
            NetError::SendQueueFull { .. } => ErrorKind::SendQueueFull,
            NetError::DatagramTooLarge { .. } => ErrorKind::DatagramTooLarge,
            NetError::BadTarget { .. } => ErrorKind::BadTarget,
            NetError::FamilyMismatch { .. } => ErrorKind::FamilyMismatch,
            NetError::NotOpen => ErrorKind::NotOpen,
            NetError::SendingFinished { .. } => ErrorKind::SendingFinished,
            NetError::BadInterval { .. } => ErrorKind::BadInterval,
            NetError::BadDelay { .. } => ErrorKind::BadDelay,
            NetError::ZeroCount => ErrorKind::ZeroCount,
            NetError::NotMulticast { .. } => ErrorKind::NotMulticast,
            NetError::NoSuchInterface { .. } => ErrorKind::NoSuchInterface,
            NetError::GroupFamily { .. } => ErrorKind::GroupFamily,
            NetError::Unsupported { .. } => ErrorKind::Unsupported,
            NetError::NotJoined { .. } => ErrorKind::NotJoined,
            NetError::TooManyConnections { .. } => ErrorKind::TooManyConnections,
            NetError::TooFewPorts { .. } => ErrorKind::TooFewPorts,
            NetError::TlsFile(_) => ErrorKind::TlsFile,
            NetError::TlsName { .. } => ErrorKind::TlsName,
            NetError::TlsNoRoots { .. } => ErrorKind::TlsNoRoots,
            NetError::TlsSetup { .. } => ErrorKind::TlsSetup,
            NetError::KeyLog { .. } => ErrorKind::KeyLog,
            NetError::WsNotOpen => ErrorKind::WsNotOpen,
            NetError::WsClosing => ErrorKind::WsClosing,
            NetError::WsControlTooLong { .. } => ErrorKind::WsControlTooLong,
            NetError::NotWebSocket => ErrorKind::NotWebSocket,
            NetError::WsOther { .. } => ErrorKind::WsOther,
            NetError::Io { .. } => ErrorKind::Io,
        }
    }

    /// Maps an OS error from binding `addr` to the most helpful variant.
    pub(crate) fn bind(addr: SocketAddr, err: &io::Error) -> NetError {
        match err.kind() {
            io::ErrorKind::AddrInUse => NetError::AddrInUse { addr },
            io::ErrorKind::AddrNotAvailable => NetError::AddrNotAvailable { addr },
            io::ErrorKind::PermissionDenied => NetError::PermissionDenied { addr },
            _ => NetError::io(format!("cannot bind {addr}"), err),
        }
    }

    /// Maps an OS error from connecting to `addr`.
    pub(crate) fn connect(addr: SocketAddr, err: &io::Error) -> NetError {
        match err.kind() {
            io::ErrorKind::ConnectionRefused => NetError::ConnectionRefused { addr },
            io::ErrorKind::TimedOut => NetError::ConnectTimeout { addr },
            io::ErrorKind::AddrInUse | io::ErrorKind::AddrNotAvailable => {
                NetError::io(format!("cannot connect to {addr}"), err)
            }
            _ => NetError::io(format!("cannot connect to {addr}"), err),
        }
    }

    /// Wraps any other OS error with a description of what was being done.
    pub(crate) fn io(context: impl Into<String>, err: &io::Error) -> NetError {
        NetError::Io {
            context: context.into(),
            kind: err.kind(),
            message: err.to_string(),
        }
    }
}

impl From<TlsFileError> for NetError {
    fn from(err: TlsFileError) -> NetError {
        NetError::TlsFile(err)
    }
}
