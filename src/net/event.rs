//! What the engine reports: [`Event`]s, in the order things happened.

use std::net::SocketAddr;
use std::time::SystemTime;

use bytes::Bytes;

use super::load::{LoadPlan, LoadSample, LoadSnapshot, LoadSummary};
use super::tls::{CertInfo, SelfSignedStore, TlsFailure, TlsInfo};
use super::ws::{WsEvent, WsMessage};
use super::{
    FaultEvent, Flow, HostPort, Membership, Mode, NetError, PeerId, PeriodicEnd, PeriodicId,
    SendMeta,
};

/// How a TCP connection ended. Together with [`Event::HalfClosed`] ("the peer
/// finished sending") these tell every ending of a connection apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// Both sides finished sending (a FIN each way): an orderly close. If the
    /// peer finished first, an [`Event::HalfClosed`] came before this.
    Orderly,
    /// The peer reset the connection (RST): it closed abortively, or it had
    /// closed fully and our data reached a socket that no longer exists.
    Reset,
    /// Another error ended the connection.
    Error(String),
    /// TLS failed: the handshake (a certificate not trusted, no version in
    /// common, a peer that does not speak TLS, …) or a broken record later.
    /// Our side sent the peer an alert where TLS has one, then closed. For a
    /// TCP client this is how a failed handshake shows: its connection ends
    /// with this reason, and the session closes.
    Tls(TlsFailure),
    /// We closed it (a disconnect command or closing the session).
    Local,
}

/// Joining or leaving a multicast group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupOp {
    /// Joining (IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP).
    Join,
    /// Leaving (IP_DROP_MEMBERSHIP / IPV6_LEAVE_GROUP).
    Leave,
}

/// Events out of the engine, in the order they happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// The session is up: listening, bound, or (TCP client) connected.
    Opened {
        /// The mode opened.
        mode: Mode,
        /// The real local address (port 0 resolved).
        local: SocketAddr,
    },
    /// A TCP connection is established (a client of our server, or our
    /// client's connection to its server).
    Connected {
        /// The connection's id.
        peer: PeerId,
        /// The remote address.
        addr: SocketAddr,
        /// Our side's address.
        local: SocketAddr,
    },
    /// A TLS server is ready to serve (after [`Event::Opened`]): the
    /// certificate it presents.
    TlsServerReady {
        /// The certificate (fingerprint, subject, validity).
        cert: Box<CertInfo>,
        /// Where the self-signed certificate is kept, when it is one.
        self_signed: Option<SelfSignedStore>,
    },
    /// A TLS handshake finished on a connection (after its
    /// [`Event::Connected`], before its first [`Event::Received`]): what
    /// was agreed and the peer's certificates. A failed one ends the
    /// connection with [`CloseReason::Tls`] instead.
    TlsEstablished {
        /// The connection's id.
        peer: PeerId,
        /// The remote address.
        addr: SocketAddr,
        /// Version, cipher suite, ALPN, SNI and the peer's chain.
        info: Box<TlsInfo>,
    },
    /// Bytes from one read (TCP) or one datagram (UDP), exactly as received.
    /// Over TLS: the plaintext of one read's records.
    Received {
        /// The TCP connection, if any.
        peer: Option<PeerId>,
        /// Who sent them.
        addr: SocketAddr,
        /// When they were read.
        time: SystemTime,
        /// The exact bytes of this read (WebSocket: of one whole message).
        data: Bytes,
        /// WebSocket: the message's kind and frame count (`None` for TCP
        /// and UDP reads).
        message: Option<WsMessage>,
    },
    /// Bytes handed to the operating system for one peer. Over TLS: the
    /// plaintext, once the ciphertext that ends it has been handed over.
    Sent {
        /// The TCP connection, if any.
        peer: Option<PeerId>,
        /// The destination.
        addr: SocketAddr,
        /// When the last byte was written.
        time: SystemTime,
        /// The exact bytes.
        data: Bytes,
        /// What the sender said about these bytes.
        meta: SendMeta,
    },
    /// The peer finished sending (it shut down its write side: FIN, a
    /// zero-length read; over TLS also its close_notify). The connection stays open for our sends until we
    /// finish or close too, or a send shows the peer has gone (RST).
    HalfClosed {
        /// The connection's id.
        peer: PeerId,
        /// The remote address.
        addr: SocketAddr,
    },
    /// A TCP connection ended.
    PeerClosed {
        /// The connection's id.
        peer: PeerId,
        /// The remote address.
        addr: SocketAddr,
        /// How it ended.
        how: CloseReason,
    },
    /// A timed send ended; its progress is gone from
    /// [`SessionHandle::periodic_progress`](super::SessionHandle::periodic_progress).
    PeriodicEnded {
        /// Which one.
        id: PeriodicId,
        /// How many sends it made.
        sent: u64,
        /// Why it ended.
        why: PeriodicEnd,
    },
    /// A UDP session joined a multicast group.
    GroupJoined {
        /// The group and interface.
        membership: Membership,
    },
    /// A UDP session left a multicast group.
    GroupLeft {
        /// The group and interface.
        membership: Membership,
    },
    /// Joining or leaving a multicast group failed; the session goes on.
    GroupFailed {
        /// The group and interface.
        membership: Membership,
        /// What was tried.
        op: GroupOp,
        /// Why it failed.
        error: NetError,
    },
    /// A host name was looked up for sending (UDP), at open, on first use
    /// or after a refresh.
    Resolved {
        /// The name and port as given.
        host: HostPort,
        /// The address sends to it now go to.
        addr: SocketAddr,
    },
    /// A UDP socket's receive buffer, told once it is open: the room the
    /// system keeps for datagrams that arrived but are not read yet.
    ReceiveBuffer {
        /// The size NetAssist asked for.
        asked: usize,
        /// The size the system granted, as it reports it (Linux reports
        /// twice what it keeps for data and caps the request at
        /// `net.core.rmem_max`).
        granted: usize,
    },
    /// The system dropped datagrams at a UDP socket because its receive
    /// buffer was full (Linux counts them; elsewhere this never comes).
    SystemDropped {
        /// Datagrams dropped since the socket opened.
        total: u64,
    },
    /// A relay connected a client to its target (the pair's upstream leg).
    UpstreamConnected {
        /// The pair (the client's connection).
        peer: PeerId,
        /// The target's address.
        addr: SocketAddr,
        /// Our side of the upstream connection.
        local: SocketAddr,
    },
    /// A relay could not connect a client to its target; the client's
    /// side is closed.
    UpstreamFailed {
        /// The pair.
        peer: PeerId,
        /// The client.
        client: SocketAddr,
        /// Why (refused, timed out, unreachable, not found).
        error: NetError,
    },
    /// Bytes one side of a relay sent, exactly as read (before faults).
    Relayed {
        /// The pair.
        peer: PeerId,
        /// Which way they go.
        flow: Flow,
        /// The pair's client.
        client: SocketAddr,
        /// When they were read.
        time: SystemTime,
        /// The exact bytes.
        data: Bytes,
        /// The rewrite rules changed them: an [`Event::Rewritten`] with
        /// the bytes forwarded instead follows at once.
        rewritten: bool,
    },
    /// The rewrite rules changed a chunk a relay read (reported by the
    /// [`Event::Relayed`] just before): these bytes are forwarded instead.
    Rewritten {
        /// The pair.
        peer: PeerId,
        /// Which way they go.
        flow: Flow,
        /// The pair's client.
        client: SocketAddr,
        /// When the chunk was read.
        time: SystemTime,
        /// The bytes forwarded.
        data: Bytes,
        /// The rules that changed it, numbered from 1.
        rules: Vec<u32>,
        /// How many matches were replaced.
        matches: u32,
        /// How long the chunk was as read.
        original_len: usize,
    },
    /// A rewrite rule matched a relayed chunk but could not make its
    /// replacement; the chunk was forwarded as read.
    RewriteFailed {
        /// The pair.
        peer: PeerId,
        /// Which way the chunk went.
        flow: Flow,
        /// The pair's client.
        client: SocketAddr,
        /// The rule's number, from 1.
        rule: u32,
        /// The rule's name.
        name: String,
        /// Why.
        reason: String,
    },
    /// A relay's fault acted on a pair.
    FaultFired {
        /// The pair.
        peer: PeerId,
        /// The direction it acted on.
        flow: Flow,
        /// The pair's client.
        client: SocketAddr,
        /// What it did.
        fault: FaultEvent,
    },
    /// A WebSocket connection's handshake, control frame or failure.
    Ws {
        /// The connection's id.
        peer: PeerId,
        /// The remote address.
        addr: SocketAddr,
        /// What happened.
        event: WsEvent,
    },
    /// The bytes a WebSocket connection carried, as they were on the wire
    /// (the upgrade and the frames; plaintext under TLS), for a capture:
    /// the messages themselves come as [`Event::Received`] and
    /// [`Event::Sent`].
    WsWire {
        /// The connection's id.
        peer: PeerId,
        /// The remote address.
        addr: SocketAddr,
        /// Our side's address of the connection.
        local: SocketAddr,
        /// True for bytes read, false for bytes written.
        incoming: bool,
        /// When.
        time: SystemTime,
        /// The bytes.
        data: Bytes,
    },
    /// A load run starts (after [`Event::Opened`]): what it will do.
    LoadStarted(Box<LoadPlan>),
    /// A load run's figures so far, every
    /// [`SNAPSHOT_EVERY`](super::load::SNAPSHOT_EVERY).
    LoadProgress(Box<LoadSnapshot>),
    /// One exchange or failure of a load run, kept in full (the first
    /// exchanges and, up to a bound per kind, every failure).
    LoadSample(Box<LoadSample>),
    /// A load run has ended: its last figures and slowest exchanges.
    LoadFinished(Box<LoadSummary>),
    /// Something failed; the session may still be open (see [`Event::Closed`]).
    Error(NetError),
    /// The session has ended; no more events will come from it.
    Closed,
}
