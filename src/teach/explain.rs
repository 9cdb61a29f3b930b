//! Explanations: for every event the log shows and every error NetAssist
//! reports, a short plain-language "why this happens" and "what to do", in
//! 中文 and English (keys of the string table, so both languages are always
//! there).
//!
//! Every match here names each variant: a new [`Note`] or [`NetError`]
//! variant does not compile until it has its explanation.

use std::io;

use crate::codec::{EncodeError, PayloadError};
use crate::i18n::T;
use crate::messages::Msg;
use crate::net::tls::{TlsFailure, TlsFailureKind, TlsFileProblem};
use crate::net::ws::{RefusalHint, WsEvent};
use crate::net::{EndHow, FaultEvent, Mode, NetError};
use crate::records::{DropWhy, Note, Opener};

pub use super::explanation::Explanation;

use T::*;

/// The explanation of an event row.
pub fn note(note: &Note) -> Explanation {
    match note {
        Note::Opened { mode, .. } => match mode {
            Mode::TcpServer => Explanation::new(ExOpenedServerWhy, ExOpenedServerFix),
            Mode::TcpClient => Explanation::new(ExOpenedClientWhy, ExOpenedClientFix),
            Mode::Udp => Explanation::new(ExOpenedUdpWhy, ExOpenedUdpFix),
            Mode::Relay => Explanation::new(ExOpenedRelayWhy, ExOpenedRelayFix),
            Mode::UdpRelay => Explanation::new(ExOpenedUdpRelayWhy, ExOpenedUdpRelayFix),
            Mode::WsServer => Explanation::new(ExOpenedWsServerWhy, ExOpenedWsServerFix),
            Mode::WsClient => Explanation::new(ExOpenedWsClientWhy, ExOpenedWsClientFix),
            Mode::Load => Explanation::new(ExOpenedLoadWhy, ExOpenedLoadFix),
        },
        Note::Connected { by, .. } => match by {
            Opener::Peer => Explanation::new(ExAcceptedWhy, ExAcceptedFix),
            Opener::Us => Explanation::new(ExConnectedWhy, ExConnectedFix),
        },
        Note::PeerFinished => Explanation::new(ExPeerFinishedWhy, ExPeerFinishedFix),
        Note::ClosedByPeer => Explanation::new(ExClosedByPeerWhy, ExClosedByPeerFix),
        Note::Reset => Explanation::new(ExResetWhy, ExResetFix),
        Note::Disconnected => Explanation::new(ExDisconnectedWhy, ExDisconnectedFix),
        Note::WeFinished => Explanation::new(ExWeFinishedWhy, ExWeFinishedFix),
        Note::EncodingHint { .. } => Explanation::new(ExEncodingHintWhy, ExEncodingHintFix),
        Note::Joined(_) => Explanation::new(ExJoinedWhy, ExJoinedFix),
        Note::Left(_) => Explanation::new(ExLeftWhy, ExLeftFix),
        Note::RuleFailed { .. } => Explanation::new(ExRuleFailedWhy, ExRuleFailedFix),
        Note::RepliesDropped { why, .. } => match why {
            DropWhy::PeerGone => Explanation::new(ExDroppedPeerGoneWhy, ExDroppedPeerGoneFix),
            DropWhy::WeFinished => Explanation::new(ExDroppedWeFinishedWhy, ExDroppedWeFinishedFix),
            DropWhy::TooMany | DropWhy::TooManyBytes => {
                Explanation::new(ExDroppedBoundWhy, ExDroppedBoundFix)
            }
        },
        Note::Error { .. } => Explanation::new(ExConnErrorWhy, ExConnErrorFix),
        Note::Failure(err) => net_error(err),
        Note::ReceiveBuffer { .. } => Explanation::new(ExReceiveBufferWhy, ExReceiveBufferFix),
        Note::ServerConnected { .. } => {
            Explanation::new(ExServerConnectedWhy, ExServerConnectedFix)
        }
        Note::ServerUnreachable(err) => net_error(err),
        Note::RelayFinished(_) => Explanation::new(ExRelayFinWhy, ExRelayFinFix),
        Note::RelayReset(_) => Explanation::new(ExRelayResetWhy, ExRelayResetFix),
        Note::Fault { fault, .. } => match fault {
            FaultEvent::Sliced { .. } => Explanation::new(ExFaultSlicedWhy, ExFaultSlicedFix),
            FaultEvent::Ended { how, .. } => match how {
                EndHow::Close => Explanation::new(ExFaultClosedWhy, ExFaultClosedFix),
                EndHow::Reset => Explanation::new(ExFaultResetWhy, ExFaultResetFix),
                EndHow::Blackhole => Explanation::new(ExFaultBlackholeWhy, ExFaultBlackholeFix),
            },
            FaultEvent::Dropped { .. }
            | FaultEvent::Duplicated { .. }
            | FaultEvent::Reordered { .. } => {
                Explanation::new(ExFaultDatagramsWhy, ExFaultDatagramsFix)
            }
        },
        Note::Rewritten { .. } => Explanation::new(ExRewrittenWhy, ExRewrittenFix),
        Note::RewriteFailed { .. } => Explanation::new(ExRewriteFailedWhy, ExRewriteFailedFix),
        Note::Closed => Explanation::new(ExClosedWhy, ExClosedFix),
        Note::TlsServerReady { .. } => Explanation::new(ExTlsReadyWhy, ExTlsReadyFix),
        Note::TlsEstablished(_) => Explanation::new(ExTlsEstablishedWhy, ExTlsEstablishedFix),
        Note::TlsFailed(failure) | Note::ServerTlsFailed { failure, .. } => tls_failure(failure),
        Note::TlsHelloOnPlain => tls_hello_on_plain(),
        Note::Ws(event) => ws_event(event),
        Note::WsKnocking => Explanation::new(ExWsKnockingWhy, ExWsKnockingFix),
        Note::LoadStarted(_) => Explanation::new(ExLoadStartedWhy, ExLoadStartedFix),
        Note::LoadExchange { .. } => Explanation::new(ExLoadExchangeWhy, ExLoadExchangeFix),
        Note::LoadFailed { kind, .. } => super::load::fail_kind(*kind),
        Note::LoadFinished { .. } => Explanation::new(ExLoadFinishedWhy, ExLoadFinishedFix),
    }
}

/// The explanation of a WebSocket event row.
pub fn ws_event(event: &WsEvent) -> Explanation {
    let e = Explanation::new;
    match event {
        WsEvent::Handshake(_) => e(ExWsHandshakeWhy, ExWsHandshakeFix),
        WsEvent::Refused(r) if r.by_us => e(ExWsWeRefusedWhy, ExWsWeRefusedFix),
        WsEvent::Refused(r) => match r.hint {
            RefusalHint::PlainHttp => e(ExWsRefusedHttpWhy, ExWsRefusedHttpFix),
            RefusalHint::WrongPath => e(ExWsRefusedPathWhy, ExWsRefusedPathFix),
            RefusalHint::BadUpgrade | RefusalHint::Other => {
                e(ExWsRefusedOtherWhy, ExWsRefusedOtherFix)
            }
        },
        WsEvent::Ping { .. } => e(ExWsPingWhy, ExWsPingFix),
        WsEvent::Pong { .. } => e(ExWsPongWhy, ExWsPongFix),
        WsEvent::Close { .. } => e(ExWsCloseWhy, ExWsCloseFix),
        WsEvent::Violation { code: 1007, .. } => e(ExWsViolation1007Why, ExWsViolation1007Fix),
        WsEvent::Violation { code: 1009, .. } => e(ExWsViolation1009Why, ExWsViolation1009Fix),
        WsEvent::Violation { .. } => e(ExWsViolationWhy, ExWsViolationFix),
        WsEvent::Dropped => e(ExWsDroppedWhy, ExWsDroppedFix),
        WsEvent::CloseUnanswered { .. } => e(ExWsCloseUnansweredWhy, ExWsCloseUnansweredFix),
    }
}

/// The explanation of a failed TLS connection: which side found what, and
/// the fix.
pub fn tls_failure(failure: &TlsFailure) -> Explanation {
    let e = Explanation::new;
    match (&failure.kind, failure.by_peer) {
        (TlsFailureKind::UnknownIssuer, false) => e(ExTlsUnknownIssuerWhy, ExTlsUnknownIssuerFix),
        (TlsFailureKind::UnknownIssuer, true) => {
            e(ExTlsUnknownIssuerPeerWhy, ExTlsUnknownIssuerPeerFix)
        }
        (TlsFailureKind::NameMismatch { .. }, _) => e(ExTlsNameWhy, ExTlsNameFix),
        (TlsFailureKind::Expired, _) => e(ExTlsExpiredWhy, ExTlsExpiredFix),
        (TlsFailureKind::NotYetValid, _) => e(ExTlsNotYetWhy, ExTlsNotYetFix),
        (TlsFailureKind::NoSharedVersion, _) => e(ExTlsVersionWhy, ExTlsVersionFix),
        (TlsFailureKind::NoSharedCipher, _) => e(ExTlsCipherWhy, ExTlsCipherFix),
        (TlsFailureKind::ClientCertRequired, false) => e(ExTlsClientCertWhy, ExTlsClientCertFix),
        (TlsFailureKind::ClientCertRequired, true) => {
            e(ExTlsClientCertPeerWhy, ExTlsClientCertPeerFix)
        }
        (TlsFailureKind::NotTls { .. }, _) => e(ExTlsNotTlsWhy, ExTlsNotTlsFix),
        (TlsFailureKind::ClosedDuringHandshake, _) => e(ExTlsClosedWhy, ExTlsClosedFix),
        (TlsFailureKind::PeerAlert { .. }, _) => e(ExTlsAlertWhy, ExTlsAlertFix),
        (TlsFailureKind::Other(_), _) => e(ExTlsOtherWhy, ExTlsOtherFix),
    }
}

/// The explanation for a plain TCP session whose peer's first bytes look
/// like a TLS ClientHello
/// ([`looks_like_client_hello`](crate::net::tls::looks_like_client_hello)):
/// the peer speaks TLS; turn TLS on.
pub fn tls_hello_on_plain() -> Explanation {
    Explanation::new(ExTlsHelloWhy, ExTlsHelloFix)
}

/// The explanation of a certificate, key or CA file that cannot be used.
pub fn tls_file_problem(problem: &TlsFileProblem) -> Explanation {
    let e = Explanation::new;
    match problem {
        TlsFileProblem::Unreadable(_) => e(ExTlsFileReadWhy, ExTlsFileReadFix),
        TlsFileProblem::NotPem { .. } => e(ExTlsNotPemWhy, ExTlsNotPemFix),
        TlsFileProblem::TooLarge { .. }
        | TlsFileProblem::BadPem(_)
        | TlsFileProblem::BadCertificate { .. } => e(ExTlsBadCertWhy, ExTlsBadCertFix),
        TlsFileProblem::NoCertificate => e(ExTlsNoCertWhy, ExTlsNoCertFix),
        TlsFileProblem::NoPrivateKey => e(ExTlsNoKeyWhy, ExTlsNoKeyFix),
        TlsFileProblem::BadPrivateKey(_) => e(ExTlsBadKeyWhy, ExTlsBadKeyFix),
        TlsFileProblem::KeyMismatch => e(ExTlsKeyMismatchWhy, ExTlsKeyMismatchFix),
        TlsFileProblem::Unwritable(_) => e(ExTlsUnwritableWhy, ExTlsUnwritableFix),
    }
}

/// The explanation of the status bar's count of datagrams the system
/// dropped at a UDP socket because its receive buffer was full.
pub fn system_dropped() -> Explanation {
    Explanation::new(ExSystemDroppedWhy, ExSystemDroppedFix)
}

/// The explanation of an engine error.
pub fn net_error(err: &NetError) -> Explanation {
    let e = Explanation::new;
    match err {
        NetError::AddrInUse { .. } => e(ExAddrInUseWhy, ExAddrInUseFix),
        NetError::AddrNotAvailable { .. } => e(ExAddrNotAvailWhy, ExAddrNotAvailFix),
        NetError::PermissionDenied { .. } => e(ExPermissionWhy, ExPermissionFix),
        NetError::ConnectionRefused { .. } => e(ExRefusedWhy, ExRefusedFix),
        NetError::HostNotFound { .. } => e(ExHostNotFoundWhy, ExHostNotFoundFix),
        NetError::ConnectTimeout { .. } => e(ExTimeoutWhy, ExTimeoutFix),
        NetError::NoRemote => e(ExNoRemoteWhy, ExNoRemoteFix),
        NetError::NoClients => e(ExNoClientsWhy, ExNoClientsFix),
        NetError::UnknownPeer(_) => e(ExUnknownPeerWhy, ExUnknownPeerFix),
        NetError::SendQueueFull { .. } => e(ExQueueFullWhy, ExQueueFullFix),
        NetError::DatagramTooLarge { .. } => e(ExTooLargeWhy, ExTooLargeFix),
        NetError::BadTarget { .. } => e(ExBadTargetWhy, ExBadTargetFix),
        NetError::FamilyMismatch { .. } => e(ExFamilyWhy, ExFamilyFix),
        NetError::NotOpen => e(ExNotOpenWhy, ExNotOpenFix),
        NetError::SendingFinished { .. } => e(ExFinishedWhy, ExFinishedFix),
        NetError::BadInterval { .. } => e(ExIntervalWhy, ExIntervalFix),
        NetError::BadDelay { .. } => e(ExDelayWhy, ExDelayFix),
        NetError::ZeroCount => e(ExZeroCountWhy, ExZeroCountFix),
        NetError::NotMulticast { .. } => e(ExNotMulticastWhy, ExNotMulticastFix),
        NetError::NoSuchInterface { .. } => e(ExNoInterfaceWhy, ExNoInterfaceFix),
        NetError::GroupFamily { .. } => e(ExGroupFamilyWhy, ExGroupFamilyFix),
        NetError::Unsupported { .. } => e(ExUnsupportedWhy, ExUnsupportedFix),
        NetError::NotJoined { .. } => e(ExNotJoinedWhy, ExNotJoinedFix),
        NetError::TlsFile(file) => tls_file_problem(&file.problem),
        NetError::TlsName { .. } => e(ExTlsNameBadWhy, ExTlsNameBadFix),
        NetError::TlsNoRoots { .. } => e(ExTlsNoRootsWhy, ExTlsNoRootsFix),
        NetError::TlsSetup { .. } => e(ExTlsSetupWhy, ExTlsSetupFix),
        NetError::KeyLog { .. } => e(ExKeyLogWhy, ExKeyLogFix),
        NetError::WsNotOpen => e(ExWsNotOpenWhy, ExWsNotOpenFix),
        NetError::WsClosing => e(ExWsClosingWhy, ExWsClosingFix),
        NetError::WsControlTooLong { .. } => e(ExWsControlWhy, ExWsControlFix),
        NetError::NotWebSocket => e(ExNotWsWhy, ExNotWsFix),
        NetError::WsOther { .. } => e(ExWsOtherWhy, ExWsOtherFix),
        NetError::TooManyConnections { .. } => e(ExTooManyConnsWhy, ExTooManyConnsFix),
        NetError::TooFewPorts { .. } => e(ExTooFewPortsWhy, ExTooFewPortsFix),
        NetError::Io { kind, .. } => io_error(*kind),
    }
}

/// Any other system error, by its kind: the common ones a learner meets
/// (unreachable, timeout, reset, refused) get their own words.
pub fn io_error(kind: io::ErrorKind) -> Explanation {
    let e = Explanation::new;
    match kind {
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            e(ExUnreachableWhy, ExUnreachableFix)
        }
        io::ErrorKind::TimedOut => e(ExTimeoutWhy, ExTimeoutFix),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            e(ExResetWhy, ExResetFix)
        }
        io::ErrorKind::ConnectionRefused => e(ExRefusedWhy, ExRefusedFix),
        io::ErrorKind::AddrInUse => e(ExAddrInUseWhy, ExAddrInUseFix),
        io::ErrorKind::AddrNotAvailable => e(ExAddrNotAvailWhy, ExAddrNotAvailFix),
        _ => e(ExIoWhy, ExIoFix),
    }
}

/// The explanation of text the send encoding cannot carry.
pub fn encode_error(err: &EncodeError) -> Explanation {
    match err {
        EncodeError::Unmappable { .. } => Explanation::new(ExUnmappableWhy, ExUnmappableFix),
    }
}

/// The explanation of typed input that cannot be sent, where it is about
/// the network rather than a typing slip (a character the encoding lacks).
pub fn payload_error(err: &PayloadError) -> Option<Explanation> {
    match err {
        PayloadError::Encode(e) => Some(encode_error(e)),
        PayloadError::Hex(_) | PayloadError::Escape(_) | PayloadError::Checksum(_) => None,
    }
}

/// The explanation of a message the window shows, if it has one.
pub fn message(msg: &Msg) -> Option<Explanation> {
    match msg {
        Msg::Net(err) | Msg::TextAndNet(_, _, err) => Some(net_error(err)),
        Msg::Payload(err) => payload_error(err),
        Msg::Text(..) => None,
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use super::*;
    use crate::codec::TextEncoding;
    use crate::i18n::Lang;
    use crate::net::PeerId;
    use crate::net::tls::{CertInfo, TlsFileError, TlsInfo, TlsVersion};

    fn addr() -> SocketAddr {
        "127.0.0.1:8080".parse().unwrap()
    }

    /// One of each error. `variant` below names every variant without a
    /// wildcard, so a new one fails to compile until it is listed here.
    fn every_error() -> Vec<NetError> {
        let ip = "239.1.1.1".parse().unwrap();
        vec![
            NetError::AddrInUse { addr: addr() },
            NetError::AddrNotAvailable { addr: addr() },
            NetError::PermissionDenied { addr: addr() },
            NetError::ConnectionRefused { addr: addr() },
            NetError::HostNotFound {
                host: "nowhere".into(),
                detail: "no such name".into(),
            },
            NetError::ConnectTimeout { addr: addr() },
            NetError::NoRemote,
            NetError::NoClients,
            NetError::UnknownPeer(PeerId(3)),
            NetError::SendQueueFull {
                addr: addr(),
                dropped: 10,
            },
            NetError::DatagramTooLarge { len: 70_000 },
            NetError::BadTarget { mode: "UDP" },
            NetError::FamilyMismatch {
                local: addr(),
                remote: "::1".into(),
            },
            NetError::NotOpen,
            NetError::SendingFinished { addr: addr() },
            NetError::BadInterval {
                every: Duration::ZERO,
            },
            NetError::BadDelay {
                delay: Duration::from_secs(100_000),
            },
            NetError::ZeroCount,
            NetError::NotMulticast { group: ip },
            NetError::NoSuchInterface {
                iface: "eth9".into(),
            },
            NetError::GroupFamily {
                group: "ff02::1".parse().unwrap(),
                local: addr(),
            },
            NetError::Unsupported {
                what: "joining a group",
                mode: "TCP server",
            },
            NetError::NotJoined { group: ip },
            NetError::Io {
                context: "reading".into(),
                kind: io::ErrorKind::Other,
                message: "boom".into(),
            },
            NetError::TlsFile(TlsFileError {
                path: "cert.pem".into(),
                problem: TlsFileProblem::NoCertificate,
            }),
            NetError::TlsName { name: "a b".into() },
            NetError::TlsNoRoots {
                detail: "none found".into(),
            },
            NetError::TlsSetup {
                message: "bad".into(),
            },
            NetError::KeyLog {
                path: "keys.log".into(),
                message: "denied".into(),
            },
            NetError::WsNotOpen,
            NetError::WsClosing,
            NetError::WsControlTooLong { len: 200 },
            NetError::NotWebSocket,
            NetError::WsOther {
                message: "x".into(),
            },
            NetError::TooManyConnections {
                asked: 30_000,
                room: 19_900,
                limit: 20_000,
            },
            NetError::TooFewPorts {
                per_source: 30_000,
                ports: 28_232,
                target: addr(),
            },
        ]
    }

    /// One of each file problem.
    fn every_file_problem() -> Vec<TlsFileProblem> {
        vec![
            TlsFileProblem::Unreadable("missing".into()),
            TlsFileProblem::TooLarge { len: 1 << 30 },
            TlsFileProblem::NotPem { looks_der: false },
            TlsFileProblem::NotPem { looks_der: true },
            TlsFileProblem::BadPem("base64".into()),
            TlsFileProblem::NoCertificate,
            TlsFileProblem::BadCertificate {
                index: 1,
                detail: "bad".into(),
            },
            TlsFileProblem::NoPrivateKey,
            TlsFileProblem::BadPrivateKey("dsa".into()),
            TlsFileProblem::KeyMismatch,
            TlsFileProblem::Unwritable("read-only".into()),
        ]
    }

    /// One of each failure kind, found by either side.
    fn every_failure() -> Vec<TlsFailure> {
        let kinds = vec![
            TlsFailureKind::UnknownIssuer,
            TlsFailureKind::NameMismatch {
                expected: "127.0.0.1".into(),
                presented: vec!["localhost".into()],
            },
            TlsFailureKind::Expired,
            TlsFailureKind::NotYetValid,
            TlsFailureKind::NoSharedVersion,
            TlsFailureKind::NoSharedCipher,
            TlsFailureKind::ClientCertRequired,
            TlsFailureKind::NotTls {
                first_bytes: b"Welcome!".to_vec(),
            },
            TlsFailureKind::ClosedDuringHandshake,
            TlsFailureKind::PeerAlert {
                alert: "handshake_failure".into(),
            },
            TlsFailureKind::Other("boom".into()),
        ];
        let mut all = Vec::new();
        for kind in kinds {
            for by_peer in [false, true] {
                all.push(TlsFailure {
                    kind: kind.clone(),
                    by_peer,
                    detail: String::new(),
                });
            }
        }
        all
    }

    fn variant(e: &NetError) -> usize {
        match e {
            NetError::AddrInUse { .. } => 0,
            NetError::AddrNotAvailable { .. } => 1,
            NetError::PermissionDenied { .. } => 2,
            NetError::ConnectionRefused { .. } => 3,
            NetError::HostNotFound { .. } => 4,
            NetError::ConnectTimeout { .. } => 5,
            NetError::NoRemote => 6,
            NetError::NoClients => 7,
            NetError::UnknownPeer(_) => 8,
            NetError::SendQueueFull { .. } => 9,
            NetError::DatagramTooLarge { .. } => 10,
            NetError::BadTarget { .. } => 11,
            NetError::FamilyMismatch { .. } => 12,
            NetError::NotOpen => 13,
            NetError::SendingFinished { .. } => 14,
            NetError::BadInterval { .. } => 15,
            NetError::BadDelay { .. } => 16,
            NetError::ZeroCount => 17,
            NetError::NotMulticast { .. } => 18,
            NetError::NoSuchInterface { .. } => 19,
            NetError::GroupFamily { .. } => 20,
            NetError::Unsupported { .. } => 21,
            NetError::NotJoined { .. } => 22,
            NetError::Io { .. } => 23,
            NetError::TlsFile(_) => 24,
            NetError::TlsName { .. } => 25,
            NetError::TlsNoRoots { .. } => 26,
            NetError::TlsSetup { .. } => 27,
            NetError::KeyLog { .. } => 28,
            NetError::WsNotOpen => 29,
            NetError::WsClosing => 30,
            NetError::WsControlTooLong { .. } => 31,
            NetError::NotWebSocket => 32,
            NetError::WsOther { .. } => 33,
            NetError::TooManyConnections { .. } => 34,
            NetError::TooFewPorts { .. } => 35,
        }
    }

    /// One of each event (and each mode and opener where the words differ).
    fn every_note() -> Vec<Note> {
        let mut notes: Vec<Note> = [
            Mode::TcpServer,
            Mode::TcpClient,
            Mode::Udp,
            Mode::Relay,
            Mode::UdpRelay,
            Mode::WsServer,
            Mode::WsClient,
        ]
        .into_iter()
        .map(|mode| Note::Opened {
            local: addr(),
            mode,
        })
        .collect();
        for by in [Opener::Peer, Opener::Us] {
            notes.push(Note::Connected { local: addr(), by });
        }
        notes.extend([
            Note::PeerFinished,
            Note::ClosedByPeer,
            Note::Reset,
            Note::Disconnected,
            Note::WeFinished,
            Note::EncodingHint {
                shown: TextEncoding::Gbk,
                sent: TextEncoding::Utf8,
            },
            Note::Error {
                message: "broken pipe".into(),
            },
            Note::Joined(crate::net::parse_membership("239.1.2.3@1").unwrap()),
            Note::Left(crate::net::parse_membership("239.1.2.3@1").unwrap()),
            Note::RuleFailed {
                rule: 2,
                name: "greet".into(),
                reason: "{{3}} has no value".into(),
            },
            Note::ReceiveBuffer {
                asked: 4 << 20,
                granted: 8 << 20,
            },
            Note::ServerConnected {
                server: "127.0.0.1:6000".parse().unwrap(),
                local: "127.0.0.1:50000".parse().unwrap(),
            },
            Note::ServerUnreachable(Box::new(NetError::ConnectionRefused { addr: addr() })),
            Note::RelayFinished(crate::records::Side::Client),
            Note::RelayFinished(crate::records::Side::Server),
            Note::RelayReset(crate::records::Side::Client),
            Note::RelayReset(crate::records::Side::Server),
            Note::Closed,
        ]);
        for why in [
            DropWhy::PeerGone,
            DropWhy::TooMany,
            DropWhy::TooManyBytes,
            DropWhy::WeFinished,
        ] {
            notes.push(Note::RepliesDropped {
                count: 3,
                bytes: 12,
                why,
            });
        }
        notes.extend(
            every_error()
                .into_iter()
                .map(|e| Note::Failure(Box::new(e))),
        );
        let hows = [EndHow::Close, EndHow::Reset, EndHow::Blackhole];
        let faults = [
            FaultEvent::Sliced { pieces: 7, max: 1 },
            FaultEvent::Dropped { count: 3 },
            FaultEvent::Duplicated { count: 3 },
            FaultEvent::Reordered { count: 3 },
        ]
        .into_iter()
        .chain(hows.map(|how| FaultEvent::Ended { after: 1024, how }));
        notes.extend(faults.map(|fault| Note::Fault {
            flow: crate::net::Flow::Up,
            fault,
        }));
        let cert = CertInfo::from_der(b"not a certificate");
        notes.push(Note::TlsServerReady {
            cert: Box::new(cert.clone()),
            self_signed: None,
        });
        notes.push(Note::TlsEstablished(Box::new(TlsInfo {
            version: TlsVersion::Tls13,
            cipher_suite: "TLS13_AES_128_GCM_SHA256".into(),
            alpn: Some("h2".into()),
            sni: Some("localhost".into()),
            peer_chain: vec![cert],
        })));
        notes.extend(
            every_failure()
                .into_iter()
                .map(|f| Note::TlsFailed(Box::new(f))),
        );
        notes.push(Note::TlsHelloOnPlain);
        notes.push(Note::Rewritten {
            flow: crate::net::Flow::Down,
            rules: vec![1, 3],
            matches: 2,
            original: 12,
            forwarded: 14,
            preview: "\"HELLO\"".into(),
        });
        notes.push(Note::ServerTlsFailed {
            server: "127.0.0.1:8443".parse().expect("addr"),
            failure: Box::new(TlsFailure::local(TlsFailureKind::UnknownIssuer, "")),
        });
        notes.push(Note::RewriteFailed {
            flow: crate::net::Flow::Up,
            rule: 2,
            name: "name".into(),
            reason: "the reply would be over 1048576 bytes".into(),
        });
        notes.push(Note::WsKnocking);
        notes.extend(every_ws_event().into_iter().map(|e| Note::Ws(Box::new(e))));
        notes.push(Note::Opened {
            local: addr(),
            mode: Mode::Load,
        });
        notes.push(Note::LoadStarted(Box::new(crate::net::load::LoadPlan {
            url: crate::net::parse_load_url("tcp://127.0.0.1:6000").unwrap(),
            target: addr(),
            connections: 10,
            rate: 100,
            rounds: Some(1),
            duration: None,
            sources: vec![],
            fd_limit: Some(1024),
            steps: 2,
        })));
        notes.push(Note::LoadExchange {
            client: 1,
            why: crate::net::load::ExchangeWhy::First,
            step: 1,
            round: 1,
            latency: std::time::Duration::from_millis(2),
        });
        for kind in crate::net::load::FailKind::ALL {
            notes.push(Note::LoadFailed {
                client: 2,
                kind,
                detail: "boom".into(),
                step: 1,
            });
        }
        notes.push(Note::LoadFinished {
            end: crate::net::load::LoadEnd::Completed,
            done: 9,
            failed: 1,
            p50_us: 1000,
            p99_us: 2000,
        });
        notes
    }

    /// One of each WebSocket event, refusal hint and explained close code.
    fn every_ws_event() -> Vec<WsEvent> {
        use crate::net::ws::{CloseInfo, Handshake, Refusal};
        let handshake = Handshake {
            request_line: "GET / HTTP/1.1".into(),
            host: Some("h".into()),
            origin: None,
            protocols: Vec::new(),
            extensions: Vec::new(),
            status_line: "HTTP/1.1 101 Switching Protocols".into(),
            protocol: None,
        };
        let mut all = vec![
            WsEvent::Handshake(Box::new(handshake)),
            WsEvent::Ping {
                payload: bytes::Bytes::from_static(b"p"),
                by_us: true,
            },
            WsEvent::Pong {
                payload: bytes::Bytes::new(),
                rtt: None,
            },
            WsEvent::Dropped,
            WsEvent::CloseUnanswered {
                waited: Duration::from_secs(5),
            },
        ];
        for hint in [
            RefusalHint::PlainHttp,
            RefusalHint::WrongPath,
            RefusalHint::BadUpgrade,
            RefusalHint::Other,
        ] {
            for by_us in [false, true] {
                all.push(WsEvent::Refused(Box::new(Refusal {
                    status: 404,
                    status_line: "HTTP/1.1 404 Not Found".into(),
                    body: String::new(),
                    hint,
                    detail: String::new(),
                    by_us,
                })));
            }
        }
        for code in crate::net::ws::EXPLAINED_CODES {
            all.push(WsEvent::Close {
                close: CloseInfo {
                    code: Some(code),
                    reason: String::new(),
                },
                by_peer: true,
                reply: false,
            });
            all.push(WsEvent::Violation {
                code,
                detail: String::new(),
            });
        }
        all
    }

    #[test]
    fn each_explained_close_code_has_words_in_both_languages() {
        for code in crate::net::ws::EXPLAINED_CODES {
            let zh = crate::records::close_code_text(Some(code), Lang::Zh);
            let en = crate::records::close_code_text(Some(code), Lang::En);
            assert!(has_chinese(&zh), "{code}: {zh}");
            assert!(!has_chinese(&en) && en.len() > 6, "{code}: {en}");
        }
    }

    fn note_variant(n: &Note) -> usize {
        match n {
            Note::Opened { .. } => 0,
            Note::Connected { .. } => 1,
            Note::PeerFinished => 2,
            Note::ClosedByPeer => 3,
            Note::Reset => 4,
            Note::Disconnected => 5,
            Note::WeFinished => 6,
            Note::EncodingHint { .. } => 7,
            Note::Error { .. } => 8,
            Note::Failure(_) => 9,
            Note::Closed => 10,
            Note::RuleFailed { .. } => 11,
            Note::RepliesDropped { .. } => 12,
            Note::Joined(_) => 13,
            Note::Left(_) => 14,
            Note::TlsServerReady { .. } => 15,
            Note::TlsEstablished(_) => 16,
            Note::TlsFailed(_) => 17,
            Note::TlsHelloOnPlain => 18,
            Note::ReceiveBuffer { .. } => 19,
            Note::ServerConnected { .. } => 20,
            Note::ServerUnreachable(_) => 21,
            Note::RelayFinished(_) => 22,
            Note::RelayReset(_) => 23,
            Note::Fault { .. } => 24,
            Note::Rewritten { .. } => 25,
            Note::RewriteFailed { .. } => 26,
            Note::Ws(_) => 27,
            Note::WsKnocking => 28,
            Note::ServerTlsFailed { .. } => 29,
            Note::LoadStarted(_) => 30,
            Note::LoadExchange { .. } => 31,
            Note::LoadFailed { .. } => 32,
            Note::LoadFinished { .. } => 33,
        }
    }

    fn has_chinese(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    fn check(what: &str, ex: Explanation) {
        for key in [ex.why, ex.fix] {
            let (zh, en) = (key.get(Lang::Zh), key.get(Lang::En));
            assert!(zh.len() > 10 && en.len() > 10, "{what}: {key:?} too short");
            assert!(has_chinese(zh), "{what}: {key:?} has no Chinese");
            assert!(!has_chinese(en), "{what}: {key:?} English has Chinese");
            assert!(!zh.contains("{}") && !en.contains("{}"), "{what}: {key:?}");
        }
        assert_ne!(ex.why, ex.fix, "{what}");
    }

    #[test]
    fn every_error_and_event_is_explained_in_both_languages() {
        let errors = every_error();
        let mut seen: Vec<usize> = errors.iter().map(variant).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, (0..36).collect::<Vec<_>>(), "one of each error");
        for e in &errors {
            check(&format!("{e:?}"), net_error(e));
        }
        let notes = every_note();
        let mut seen: Vec<usize> = notes.iter().map(note_variant).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, (0..34).collect::<Vec<_>>(), "one of each event");
        for n in &notes {
            check(&format!("{n:?}"), note(n));
        }
        for p in every_file_problem() {
            check(&format!("{p:?}"), tls_file_problem(&p));
        }
        let unmappable = EncodeError::Unmappable {
            ch: '😀',
            position: 1,
            encoding: TextEncoding::Gbk,
        };
        check("unmappable", encode_error(&unmappable));
        check("system dropped", system_dropped());
    }

    #[test]
    fn the_tutorial_troubles_say_what_a_learner_needs() {
        let en = |k: T| k.get(Lang::En);
        let zh = |k: T| k.get(Lang::Zh);
        let in_use = net_error(&NetError::AddrInUse { addr: addr() });
        assert!(en(in_use.why).contains("TIME_WAIT") && zh(in_use.why).contains("TIME_WAIT"));
        assert!(en(in_use.fix).contains("SO_REUSEADDR") && zh(in_use.fix).contains("SO_REUSEADDR"));
        let low = net_error(&NetError::PermissionDenied { addr: addr() });
        assert!(en(low.why).contains("1024") && zh(low.why).contains("1024"));
        let fin = note(&Note::PeerFinished);
        assert!(en(fin.why).contains("b''") && zh(fin.why).contains("b''"));
        let refused = net_error(&NetError::ConnectionRefused { addr: addr() });
        assert!(en(refused.why).contains("listens"));
        let reset = note(&Note::Reset);
        assert!(en(reset.why).contains("unread"));
        let unreachable = |kind| NetError::Io {
            context: "connecting".into(),
            kind,
            message: "no route to host".into(),
        };
        for kind in [
            io::ErrorKind::HostUnreachable,
            io::ErrorKind::NetworkUnreachable,
        ] {
            assert_eq!(net_error(&unreachable(kind)).why, ExUnreachableWhy);
        }
        assert_eq!(
            net_error(&unreachable(io::ErrorKind::TimedOut)),
            net_error(&NetError::ConnectTimeout { addr: addr() })
        );
        assert_eq!(
            net_error(&unreachable(io::ErrorKind::ConnectionReset)),
            note(&Note::Reset)
        );
        let gbk = Msg::Payload(PayloadError::Encode(EncodeError::Unmappable {
            ch: '😀',
            position: 3,
            encoding: TextEncoding::Gbk,
        }));
        let ex = message(&gbk).unwrap();
        assert!(en(ex.fix).contains("UTF-8"));
        assert_eq!(message(&Msg::key(T::ErrEmpty)), None);
        let text = ex.text(Lang::En);
        assert!(text.starts_with("Why: ") && text.contains("\nWhat to do: "));
    }

    #[test]
    fn tls_failures_say_the_fix_a_learner_needs() {
        let en = |k: T| k.get(Lang::En);
        let failure = |kind, by_peer| TlsFailure {
            kind,
            by_peer,
            detail: String::new(),
        };
        let unknown = tls_failure(&failure(TlsFailureKind::UnknownIssuer, false));
        assert!(en(unknown.why).contains("self-signed"));
        assert!(
            en(unknown.fix).contains("CA file")
                && en(unknown.fix).contains("Ignore certificate errors")
        );
        let name = tls_failure(&failure(
            TlsFailureKind::NameMismatch {
                expected: "127.0.0.1".into(),
                presented: vec![],
            },
            false,
        ));
        assert!(en(name.fix).contains("SNI"));
        let version = tls_failure(&failure(TlsFailureKind::NoSharedVersion, true));
        assert!(en(version.fix).contains("same TLS version"));
        let cert = tls_failure(&failure(TlsFailureKind::ClientCertRequired, true));
        assert!(en(cert.fix).contains("client certificate and key"));
        // Which side found it changes the words where it matters.
        assert_ne!(
            tls_failure(&failure(TlsFailureKind::UnknownIssuer, true)),
            unknown
        );
        assert!(en(tls_hello_on_plain().fix).contains("Turn TLS on"));
        let not_tls = note(&Note::TlsFailed(Box::new(failure(
            TlsFailureKind::NotTls {
                first_bytes: b"hi".to_vec(),
            },
            false,
        ))));
        assert!(en(not_tls.fix).contains("Turn TLS off"));
    }
}
