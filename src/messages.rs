//! Messages for the user: engine and input errors with the likely fix, and
//! status texts. They are kept as data ([`Msg`]) and worded when drawn, so
//! switching the language rewords the messages already on screen.

use crate::codec::checksum::ChecksumError;
use crate::codec::{EncodeError, EscapeError, HexError, PayloadError};
use crate::i18n::{Lang, T, fill};
use crate::net::NetError;
use crate::net::tls::{TlsFailure, TlsFailureKind, TlsFileProblem};
use crate::records::{Note, utc_time};

/// What to tell the user about an engine error.
pub fn net_error_text(err: &NetError, lang: Lang) -> String {
    let t = |k: T| k.get(lang);
    match err {
        NetError::AddrInUse { addr } => fill(t(T::NetAddrInUse), &[addr]),
        NetError::AddrNotAvailable { addr } => fill(t(T::NetAddrNotAvail), &[addr]),
        NetError::PermissionDenied { addr } => fill(t(T::NetPermission), &[addr]),
        NetError::ConnectionRefused { addr } => fill(t(T::NetRefused), &[addr]),
        NetError::HostNotFound { host, .. } => fill(t(T::NetHostNotFound), &[host]),
        NetError::ConnectTimeout { addr } => fill(t(T::NetTimeout), &[addr]),
        NetError::NoRemote => t(T::NetNoRemote).to_string(),
        NetError::NoClients => t(T::ErrNoClients).to_string(),
        NetError::SendQueueFull { addr, dropped } => fill(t(T::NetQueueFull), &[addr, dropped]),
        NetError::DatagramTooLarge { len } => fill(t(T::NetTooLarge), &[len]),
        NetError::FamilyMismatch { local, remote } => fill(t(T::NetFamily), &[local, remote]),
        NetError::NotOpen => t(T::ErrNotOpen).to_string(),
        NetError::SendingFinished { addr } => fill(t(T::NetSendingFinished), &[addr]),
        NetError::TlsFile(e) => fill(
            t(T::NetTlsFile),
            &[&e.path.display(), &tls_file_problem_text(&e.problem, lang)],
        ),
        NetError::TlsName { name } => fill(t(T::NetTlsName), &[name]),
        NetError::TlsNoRoots { detail } => fill(t(T::NetTlsNoRoots), &[detail]),
        NetError::TlsSetup { message } => fill(t(T::NetTlsSetup), &[message]),
        NetError::KeyLog { path, message } => fill(t(T::NetKeyLog), &[&path.display(), message]),
        NetError::TooManyConnections { asked, room, limit } => {
            fill(t(T::NetTooManyConns), &[asked, room, limit])
        }
        NetError::TooFewPorts {
            per_source,
            ports,
            target,
        } => fill(t(T::NetTooFewPorts), &[target, per_source, ports]),
        other => fill(t(T::NetOther), &[other]),
    }
}

/// What is wrong with a certificate, key or CA file, in `lang`.
pub fn tls_file_problem_text(problem: &TlsFileProblem, lang: Lang) -> String {
    let t = |k: T| k.get(lang);
    match problem {
        TlsFileProblem::Unreadable(why) => fill(t(T::TlsProbUnreadable), &[why]),
        TlsFileProblem::TooLarge { len } => fill(t(T::TlsProbTooLarge), &[len]),
        TlsFileProblem::NotPem { looks_der: false } => t(T::TlsProbNotPem).to_string(),
        TlsFileProblem::NotPem { looks_der: true } => t(T::TlsProbNotPemDer).to_string(),
        TlsFileProblem::BadPem(why) => fill(t(T::TlsProbBadPem), &[why]),
        TlsFileProblem::NoCertificate => t(T::TlsProbNoCert).to_string(),
        TlsFileProblem::BadCertificate { index, detail } => {
            fill(t(T::TlsProbBadCert), &[index, detail])
        }
        TlsFileProblem::NoPrivateKey => t(T::TlsProbNoKey).to_string(),
        TlsFileProblem::BadPrivateKey(why) => fill(t(T::TlsProbBadKey), &[why]),
        TlsFileProblem::KeyMismatch => t(T::TlsProbKeyMismatch).to_string(),
        TlsFileProblem::Unwritable(why) => fill(t(T::TlsProbUnwritable), &[why]),
    }
}

/// Why TLS failed, in `lang` ("the peer says: …" when the peer found it).
pub fn tls_failure_text(failure: &TlsFailure, lang: Lang) -> String {
    let t = |k: T| k.get(lang);
    let what = match &failure.kind {
        TlsFailureKind::UnknownIssuer => t(T::TlsKindUnknownIssuer).to_string(),
        TlsFailureKind::NameMismatch {
            expected,
            presented,
        } => fill(t(T::TlsKindName), &[expected, &presented.join(", ")]),
        TlsFailureKind::Expired => t(T::TlsKindExpired).to_string(),
        TlsFailureKind::NotYetValid => t(T::TlsKindNotYetValid).to_string(),
        TlsFailureKind::NoSharedVersion => t(T::TlsKindVersion).to_string(),
        TlsFailureKind::NoSharedCipher => t(T::TlsKindCipher).to_string(),
        TlsFailureKind::ClientCertRequired => t(T::TlsKindClientCert).to_string(),
        TlsFailureKind::NotTls { first_bytes } => fill(
            t(T::TlsKindNotTls),
            &[&crate::codec::hex::to_hex(first_bytes)],
        ),
        TlsFailureKind::ClosedDuringHandshake => t(T::TlsKindClosed).to_string(),
        TlsFailureKind::PeerAlert { alert } => fill(t(T::TlsKindAlert), &[alert]),
        TlsFailureKind::Other(text) => fill(t(T::TlsKindOther), &[text]),
    };
    let what = if failure.by_peer {
        fill(t(T::EvTlsByPeer), &[&what])
    } else {
        what
    };
    fill(t(T::EvTlsFailed), &[&what])
}

/// A TLS event row in `lang` (other notes: their plain English).
pub fn tls_note_text(note: &Note, lang: Lang) -> String {
    let t = |k: T| k.get(lang);
    match note {
        Note::TlsServerReady { cert, self_signed } => {
            let mut text = fill(
                t(T::EvTlsServerReady),
                &[&cert.subject, &utc_time(cert.not_after), &cert.sha256],
            );
            if let Some(store) = self_signed {
                let key = if store.created {
                    T::EvTlsSelfSignedNew
                } else {
                    T::EvTlsSelfSignedKept
                };
                text.push_str("; ");
                text.push_str(&fill(t(key), &[&store.cert_file.display()]));
            }
            text
        }
        Note::TlsEstablished(info) => {
            let mut text = fill(t(T::EvTlsEstablished), &[&info.version, &info.cipher_suite]);
            if let Some(alpn) = &info.alpn {
                text.push_str(", ");
                text.push_str(&fill(t(T::EvTlsAlpn), &[alpn]));
            }
            if let Some(sni) = &info.sni {
                text.push_str(", ");
                text.push_str(&fill(t(T::EvTlsSni), &[sni]));
            }
            text.push_str("; ");
            match info.peer_chain.first() {
                Some(leaf) => text.push_str(&fill(
                    t(T::EvTlsPeerCert),
                    &[
                        &leaf.subject,
                        &leaf.issuer,
                        &utc_time(leaf.not_after),
                        &leaf.sha256,
                    ],
                )),
                None => text.push_str(t(T::EvTlsNoPeerCert)),
            }
            text
        }
        Note::TlsFailed(failure) => tls_failure_text(failure, lang),
        Note::ServerTlsFailed { server, failure } => fill(
            t(T::EvServerTlsFailed),
            &[server, &tls_failure_text(failure, lang)],
        ),
        Note::TlsHelloOnPlain => t(T::EvTlsHelloOnPlain).to_string(),
        other => other.to_string(),
    }
}

/// The peer's whole certificate chain of a TLS handshake row, a line a
/// certificate (leaf first), for the row's expanded view.
pub fn tls_chain_lines(note: &Note, lang: Lang) -> Vec<String> {
    let Note::TlsEstablished(info) = note else {
        return Vec::new();
    };
    info.peer_chain
        .iter()
        .enumerate()
        .map(|(i, c)| {
            fill(
                T::TlsChainCert.get(lang),
                &[
                    &(i + 1),
                    &c.subject,
                    &c.issuer,
                    &utc_time(c.not_before),
                    &utc_time(c.not_after),
                    &c.sha256,
                    &c.names.join(", "),
                ],
            )
        })
        .collect()
}

/// What to show next to the send box when typed input cannot be sent.
pub fn payload_error_text(err: &PayloadError, lang: Lang) -> String {
    let t = |k: T| k.get(lang);
    match err {
        PayloadError::Hex(HexError::InvalidDigit { position, found }) => {
            fill(t(T::ErrHex), &[position, found])
        }
        PayloadError::Hex(HexError::OddDigits { position, token }) => {
            fill(t(T::ErrHexOdd), &[position, token])
        }
        PayloadError::Hex(HexError::MissingDigits { position }) => {
            fill(t(T::ErrHexMissing), &[position])
        }
        PayloadError::Escape(EscapeError::UnknownEscape { position, found }) => {
            fill(t(T::ErrEscUnknown), &[position, found])
        }
        PayloadError::Escape(EscapeError::BadHexEscape { position, found }) => {
            fill(t(T::ErrEscHex), &[position, found])
        }
        PayloadError::Escape(EscapeError::TrailingBackslash { position }) => {
            fill(t(T::ErrEscTrailing), &[position])
        }
        PayloadError::Encode(EncodeError::Unmappable { ch, position, .. }) => {
            fill(t(T::ErrGbk), &[position, ch])
        }
        // The range no longer fits what is sent (it was checked at the
        // checksum's own field, and the text changed since).
        PayloadError::Checksum(ChecksumError::OutOfRange { range, len }) => {
            fill(t(T::ErrChecksumFit), &[range, len])
        }
    }
}

/// A message kept as data, worded in whatever language is current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// A table string and its arguments.
    Text(T, Vec<String>),
    /// An engine error.
    Net(NetError),
    /// Typed input that could not become bytes.
    Payload(PayloadError),
    /// A table string whose last argument is an engine error, worded in
    /// the same language.
    TextAndNet(T, Vec<String>, NetError),
}

impl Msg {
    /// A table string without arguments.
    pub fn key(key: T) -> Msg {
        Msg::Text(key, Vec::new())
    }

    /// A table string with arguments.
    pub fn with(key: T, args: &[&dyn std::fmt::Display]) -> Msg {
        Msg::Text(key, args.iter().map(|a| a.to_string()).collect())
    }

    /// The message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Msg::Text(key, args) => {
                let args: Vec<&dyn std::fmt::Display> =
                    args.iter().map(|a| a as &dyn std::fmt::Display).collect();
                fill(key.get(lang), &args)
            }
            Msg::Net(err) => net_error_text(err, lang),
            Msg::TextAndNet(key, args, err) => {
                let why = net_error_text(err, lang);
                let mut all: Vec<&dyn std::fmt::Display> =
                    args.iter().map(|a| a as &dyn std::fmt::Display).collect();
                all.push(&why);
                fill(key.get(lang), &all)
            }
            Msg::Payload(err) => payload_error_text(err, lang),
        }
    }
}
