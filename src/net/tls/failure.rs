//! Why a TLS connection failed, typed so a window or a script can explain
//! it; and two pure detectors of TLS on the wire.

use std::fmt;

use rustls::{AlertDescription, CertificateError, PeerIncompatible};

/// How many of the peer's first bytes a [`TlsFailureKind::NotTls`] keeps.
pub const FIRST_BYTES: usize = 64;

/// What went wrong, without the words.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TlsFailureKind {
    /// The certificate is self-signed or from a CA that is not trusted
    /// (our check of the peer's, or the peer's `unknown_ca` alert about ours).
    UnknownIssuer,
    /// The certificate is not for the name (or address) connected to.
    NameMismatch {
        /// The name or address it was checked against.
        expected: String,
        /// The names the certificate is for (may be empty when not known).
        presented: Vec<String>,
    },
    /// The certificate's validity period has ended (a peer's
    /// `certificate_expired` alert also means "not valid now", either way).
    Expired,
    /// The certificate's validity period has not started yet.
    NotYetValid,
    /// The two sides allow no TLS version in common.
    NoSharedVersion,
    /// The two sides accept no cipher suite (or key exchange or signature
    /// scheme) in common.
    NoSharedCipher,
    /// The server asked for a client certificate and the client gave none.
    ClientCertRequired,
    /// The peer's first bytes are not a TLS record: it speaks plain TCP or
    /// another protocol. Holds up to [`FIRST_BYTES`] of what it sent.
    NotTls {
        /// The first bytes the peer sent.
        first_bytes: Vec<u8>,
    },
    /// The peer closed the connection (FIN) before the handshake finished.
    ClosedDuringHandshake,
    /// The peer ended the handshake with a fatal alert that says nothing
    /// more precise.
    PeerAlert {
        /// The alert's name (`handshake_failure`, `bad_certificate`, …).
        alert: String,
    },
    /// Anything else, in rustls's words.
    Other(String),
}

/// A failed TLS connection: what went wrong, which side found it, and
/// rustls's own words.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsFailure {
    /// What went wrong.
    pub kind: TlsFailureKind,
    /// True when the peer found the problem and told us with an alert;
    /// false when our side found it.
    pub by_peer: bool,
    /// rustls's description (English), for the curious.
    pub detail: String,
}

impl TlsFailure {
    /// A failure our side found.
    pub fn local(kind: TlsFailureKind, detail: impl Into<String>) -> TlsFailure {
        TlsFailure {
            kind,
            by_peer: false,
            detail: detail.into(),
        }
    }

    /// Maps a rustls error. `first_bytes` are the first bytes the peer
    /// sent (up to [`FIRST_BYTES`]), to tell a peer that does not speak TLS.
    pub fn from_rustls(err: &rustls::Error, first_bytes: &[u8]) -> TlsFailure {
        use TlsFailureKind as K;
        let detail = err.to_string();
        let local = |kind| TlsFailure::local(kind, detail.clone());
        match err {
            rustls::Error::InvalidCertificate(cert) => local(certificate_kind(cert)),
            rustls::Error::NoCertificatesPresented => local(K::ClientCertRequired),
            rustls::Error::PeerIncompatible(why) => local(incompatible_kind(why)),
            rustls::Error::AlertReceived(alert) => TlsFailure {
                kind: alert_kind(*alert),
                by_peer: true,
                detail,
            },
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. }
                if !first_bytes.is_empty() && !looks_like_tls_record(first_bytes) =>
            {
                local(K::NotTls {
                    first_bytes: first_bytes[..first_bytes.len().min(FIRST_BYTES)].to_vec(),
                })
            }
            _ => local(K::Other(detail.clone())),
        }
    }
}

fn certificate_kind(err: &CertificateError) -> TlsFailureKind {
    use TlsFailureKind as K;
    match err {
        CertificateError::UnknownIssuer => K::UnknownIssuer,
        CertificateError::NotValidForName => K::NameMismatch {
            expected: String::new(),
            presented: Vec::new(),
        },
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => K::NameMismatch {
            expected: server_name_text(expected),
            presented: presented.iter().map(|p| bare_name(p)).collect(),
        },
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => K::Expired,
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            K::NotYetValid
        }
        other => K::Other(other.to_string()),
    }
}

/// A presented name as webpki words it (`DnsName("localhost")`,
/// `IpAddress(127.0.0.1)`) without its wrapper.
fn bare_name(presented: &str) -> String {
    match (presented.find('('), presented.rfind(')')) {
        (Some(open), Some(close)) if open < close => {
            presented[open + 1..close].trim_matches('"').to_string()
        }
        _ => presented.to_string(),
    }
}

fn server_name_text(name: &rustls::pki_types::ServerName<'_>) -> String {
    use rustls::pki_types::ServerName;
    match name {
        ServerName::DnsName(dns) => dns.as_ref().to_string(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

fn incompatible_kind(why: &PeerIncompatible) -> TlsFailureKind {
    use TlsFailureKind as K;
    match why {
        PeerIncompatible::Tls12NotOffered
        | PeerIncompatible::Tls12NotOfferedOrEnabled
        | PeerIncompatible::SupportedVersionsExtensionRequired
        | PeerIncompatible::ServerDoesNotSupportTls12Or13
        | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig => K::NoSharedVersion,
        PeerIncompatible::NoCipherSuitesInCommon
        | PeerIncompatible::NoKxGroupsInCommon
        | PeerIncompatible::NoSignatureSchemesInCommon
        | PeerIncompatible::NoCertificateRequestSignatureSchemesInCommon => K::NoSharedCipher,
        other => K::Other(format!("{other:?}")),
    }
}

fn alert_kind(alert: AlertDescription) -> TlsFailureKind {
    use TlsFailureKind as K;
    match alert {
        AlertDescription::UnknownCA => K::UnknownIssuer,
        AlertDescription::CertificateExpired => K::Expired,
        AlertDescription::ProtocolVersion => K::NoSharedVersion,
        AlertDescription::InsufficientSecurity => K::NoSharedCipher,
        AlertDescription::CertificateRequired => K::ClientCertRequired,
        other => K::PeerAlert {
            alert: alert_name(other),
        },
    }
}

/// An alert's name as the TLS standards write it (`handshake_failure`).
fn alert_name(alert: AlertDescription) -> String {
    let camel = format!("{alert:?}");
    let mut out = String::with_capacity(camel.len() + 4);
    let mut prev_upper = true;
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            // "UnknownCA" → "unknown_ca": no underscore inside a run of capitals.
            if !prev_upper {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
        prev_upper = c.is_ascii_uppercase();
    }
    out
}

impl fmt::Display for TlsFailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsFailureKind::UnknownIssuer => {
                f.write_str("the certificate is self-signed or from a CA that is not trusted")
            }
            TlsFailureKind::NameMismatch {
                expected,
                presented,
            } => {
                write!(f, "the certificate is not for {expected}")?;
                if !presented.is_empty() {
                    write!(f, " (it is for {})", presented.join(", "))?;
                }
                Ok(())
            }
            TlsFailureKind::Expired => f.write_str("the certificate has expired"),
            TlsFailureKind::NotYetValid => f.write_str("the certificate is not valid yet"),
            TlsFailureKind::NoSharedVersion => f.write_str("no TLS version in common"),
            TlsFailureKind::NoSharedCipher => f.write_str("no cipher suite in common"),
            TlsFailureKind::ClientCertRequired => {
                f.write_str("a client certificate was asked for and not given")
            }
            TlsFailureKind::NotTls { first_bytes } => {
                f.write_str("the peer is not speaking TLS; it sent")?;
                for b in first_bytes {
                    write!(f, " {b:02X}")?;
                }
                Ok(())
            }
            TlsFailureKind::ClosedDuringHandshake => {
                f.write_str("the peer closed the connection during the handshake")
            }
            TlsFailureKind::PeerAlert { alert } => write!(f, "the peer sent the alert {alert}"),
            TlsFailureKind::Other(text) => f.write_str(text),
        }
    }
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = if self.by_peer { "the peer says: " } else { "" };
        write!(f, "TLS failed: {who}{}", self.kind)
    }
}

/// True if `first` (the first bytes a peer sent) can be the start of a TLS
/// record: a content type from 20 to 24, version 3.x (x up to 4) and a
/// length a record may have. Fewer than five bytes are judged on what is
/// there. An empty slice is not judged (true).
pub fn looks_like_tls_record(first: &[u8]) -> bool {
    if first.first().is_some_and(|t| !(20..=24).contains(t)) {
        return false;
    }
    if first.get(1).is_some_and(|&major| major != 3) {
        return false;
    }
    if first.get(2).is_some_and(|&minor| minor > 4) {
        return false;
    }
    if let (Some(&hi), Some(&lo)) = (first.get(3), first.get(4)) {
        // A ciphertext record is at most 2^14 + 2048 bytes.
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len == 0 || len > 16384 + 2048 {
            return false;
        }
    }
    true
}

/// True if `first` (the first bytes a plain TCP peer sent) looks like a TLS
/// ClientHello: a handshake record (`16 03 0x`) of a plausible length whose
/// first message, when present, is a ClientHello. A plain session that
/// receives this is talking to a TLS client: TLS should be turned on.
pub fn looks_like_client_hello(first: &[u8]) -> bool {
    if first.len() < 5 || first[0] != 0x16 || first[1] != 0x03 || first[2] > 0x04 {
        return false;
    }
    let len = usize::from(u16::from_be_bytes([first[3], first[4]]));
    // The smallest ClientHello body is over 40 bytes; a record is at most 2^14.
    if !(40..=16384).contains(&len) {
        return false;
    }
    first.get(5).is_none_or(|&msg| msg == 0x01)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO: &[u8] = &[
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];

    #[test]
    fn a_client_hello_is_told_apart_from_text_and_other_records() {
        assert!(looks_like_client_hello(HELLO));
        assert!(looks_like_client_hello(&HELLO[..5]));
        assert!(!looks_like_client_hello(&HELLO[..4]), "too short to judge");
        assert!(!looks_like_client_hello(b"GET / HTTP/1.1\r\n"));
        assert!(!looks_like_client_hello("你好，世界".as_bytes()));
        // A ServerHello (handshake type 2) is not a ClientHello.
        assert!(!looks_like_client_hello(&[
            0x16, 0x03, 0x03, 0x00, 0x5a, 0x02
        ]));
        // An alert record, or a length no ClientHello has.
        assert!(!looks_like_client_hello(&[0x15, 0x03, 0x03, 0x00, 0x02]));
        assert!(!looks_like_client_hello(&[
            0x16, 0x03, 0x01, 0x00, 0x01, 0x01
        ]));
        assert!(!looks_like_client_hello(&[
            0x16, 0x03, 0x01, 0xff, 0xff, 0x01
        ]));
        assert!(!looks_like_client_hello(&[
            0x16, 0x03, 0x09, 0x02, 0x00, 0x01
        ]));
        assert!(!looks_like_client_hello(&[]));
    }

    #[test]
    fn plain_bytes_are_not_a_tls_record() {
        assert!(looks_like_tls_record(HELLO));
        assert!(looks_like_tls_record(&[
            0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28
        ]));
        assert!(
            looks_like_tls_record(&[0x17, 0x03, 0x03]),
            "judged on what is there"
        );
        assert!(looks_like_tls_record(&[]));
        assert!(!looks_like_tls_record(b"Welcome!\n"));
        assert!(!looks_like_tls_record(b"\x16Hello"), "not version 3.x");
        assert!(!looks_like_tls_record(&[0x17, 0x03, 0x07]));
        assert!(
            !looks_like_tls_record(&[0x17, 0x03, 0x03, 0x00, 0x00]),
            "empty"
        );
        assert!(
            !looks_like_tls_record(&[0x17, 0x03, 0x03, 0xff, 0xff]),
            "too long"
        );
        assert!(!looks_like_tls_record("你好".as_bytes()));
    }

    #[test]
    fn rustls_errors_map_to_their_kind_and_side() {
        use rustls::Error;
        let k = |e: Error| TlsFailure::from_rustls(&e, HELLO);
        let f = k(Error::InvalidCertificate(CertificateError::UnknownIssuer));
        assert_eq!((f.kind, f.by_peer), (TlsFailureKind::UnknownIssuer, false));
        let f = k(Error::AlertReceived(AlertDescription::UnknownCA));
        assert_eq!((f.kind, f.by_peer), (TlsFailureKind::UnknownIssuer, true));
        assert_eq!(
            k(Error::PeerIncompatible(
                PeerIncompatible::Tls12NotOfferedOrEnabled
            ))
            .kind,
            TlsFailureKind::NoSharedVersion
        );
        assert_eq!(
            k(Error::AlertReceived(AlertDescription::ProtocolVersion)).kind,
            TlsFailureKind::NoSharedVersion
        );
        assert_eq!(
            k(Error::PeerIncompatible(
                PeerIncompatible::NoCipherSuitesInCommon
            ))
            .kind,
            TlsFailureKind::NoSharedCipher
        );
        assert_eq!(
            k(Error::NoCertificatesPresented).kind,
            TlsFailureKind::ClientCertRequired
        );
        assert_eq!(
            k(Error::AlertReceived(AlertDescription::CertificateRequired)).kind,
            TlsFailureKind::ClientCertRequired
        );
        assert_eq!(
            k(Error::InvalidCertificate(CertificateError::Expired)).kind,
            TlsFailureKind::Expired
        );
        assert_eq!(
            k(Error::InvalidCertificate(CertificateError::NotValidYet)).kind,
            TlsFailureKind::NotYetValid
        );
        assert_eq!(
            k(Error::AlertReceived(AlertDescription::HandshakeFailure)).kind,
            TlsFailureKind::PeerAlert {
                alert: "handshake_failure".into()
            }
        );
        assert_eq!(alert_name(AlertDescription::UnknownCA), "unknown_ca");
        assert_eq!(bare_name("DnsName(\"localhost\")"), "localhost");
        assert_eq!(bare_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(bare_name("plain"), "plain");
        assert_eq!(
            alert_name(AlertDescription::BadCertificate),
            "bad_certificate"
        );
    }

    #[test]
    fn a_bad_message_from_a_plain_peer_is_not_tls_with_its_bytes() {
        let err = rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        let long = [b'A'; 100];
        let f = TlsFailure::from_rustls(&err, &long);
        assert_eq!(
            f.kind,
            TlsFailureKind::NotTls {
                first_bytes: vec![b'A'; FIRST_BYTES]
            }
        );
        // The same error after TLS-looking bytes is something else.
        let f = TlsFailure::from_rustls(&err, HELLO);
        assert!(matches!(f.kind, TlsFailureKind::Other(_)));
    }
}
