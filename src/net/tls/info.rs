//! What a certificate and a finished handshake tell, as the events carry it.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A certificate's SHA-256 fingerprint (of its DER bytes), as browsers and
/// `openssl x509 -fingerprint -sha256` show it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The SHA-256 of `der`.
    pub fn of(der: &[u8]) -> Fingerprint {
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        Fingerprint(out)
    }
}

impl fmt::Display for Fingerprint {
    /// Upper-case hex pairs joined by colons: `AB:CD:…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// What one certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CertInfo {
    /// The subject, as `CN=…, O=…` (empty if the certificate has none).
    pub subject: String,
    /// The issuer, in the same form (the subject again when self-signed).
    pub issuer: String,
    /// Valid from.
    pub not_before: SystemTime,
    /// Valid until.
    pub not_after: SystemTime,
    /// SHA-256 of the certificate's DER bytes.
    pub sha256: Fingerprint,
    /// The names it is for (subject alternative names: DNS names and IP
    /// addresses).
    pub names: Vec<String>,
}

/// Seconds since 1970 (negative: before) as a time.
fn time_of(secs: i64) -> SystemTime {
    match u64::try_from(secs) {
        Ok(s) => UNIX_EPOCH + Duration::from_secs(s),
        Err(_) => UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()),
    }
}

impl CertInfo {
    /// Reads a DER certificate. A certificate that does not parse still has
    /// its fingerprint; its other fields say it could not be read.
    pub fn from_der(der: &[u8]) -> CertInfo {
        let sha256 = Fingerprint::of(der);
        match x509_parser::parse_x509_certificate(der) {
            Ok((_, cert)) => {
                let names = match cert.subject_alternative_name() {
                    Ok(Some(san)) => san
                        .value
                        .general_names
                        .iter()
                        .filter_map(general_name)
                        .collect(),
                    _ => Vec::new(),
                };
                CertInfo {
                    subject: cert.subject().to_string(),
                    issuer: cert.issuer().to_string(),
                    not_before: time_of(cert.validity().not_before.timestamp()),
                    not_after: time_of(cert.validity().not_after.timestamp()),
                    sha256,
                    names,
                }
            }
            Err(e) => CertInfo {
                subject: format!("(unreadable certificate: {e})"),
                issuer: String::new(),
                not_before: UNIX_EPOCH,
                not_after: UNIX_EPOCH,
                sha256,
                names: Vec::new(),
            },
        }
    }

    /// True while `now` is within the validity period.
    pub fn valid_at(&self, now: SystemTime) -> bool {
        self.not_before <= now && now <= self.not_after
    }
}

/// A DNS name or IP address of a subject alternative name.
fn general_name(name: &x509_parser::extensions::GeneralName<'_>) -> Option<String> {
    use x509_parser::extensions::GeneralName;
    match name {
        GeneralName::DNSName(dns) => Some((*dns).to_string()),
        GeneralName::IPAddress(bytes) => match bytes.len() {
            4 => {
                let b: [u8; 4] = (*bytes).try_into().ok()?;
                Some(std::net::Ipv4Addr::from(b).to_string())
            }
            16 => {
                let b: [u8; 16] = (*bytes).try_into().ok()?;
                Some(std::net::Ipv6Addr::from(b).to_string())
            }
            _ => None,
        },
        _ => None,
    }
}

/// A TLS protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsVersion::Tls12 => "TLS 1.2",
            TlsVersion::Tls13 => "TLS 1.3",
        })
    }
}

/// What a finished handshake agreed on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsInfo {
    /// The version.
    pub version: TlsVersion,
    /// The cipher suite, by its IANA name (`TLS13_AES_128_GCM_SHA256`).
    pub cipher_suite: String,
    /// The application protocol agreed by ALPN, if any.
    pub alpn: Option<String>,
    /// The server name: on a server, what the client sent as SNI; on a
    /// client, what we sent (none for an IP address).
    pub sni: Option<String>,
    /// The peer's certificate chain, leaf first. Empty for the clients of a
    /// server that asks for no client certificate.
    pub peer_chain: Vec<CertInfo>,
}

/// Where a server's self-signed certificate is kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SelfSignedStore {
    /// The certificate (PEM); give it to clients as their CA file.
    pub cert_file: PathBuf,
    /// Its private key (PEM).
    pub key_file: PathBuf,
    /// True when it was made at this open; false when an earlier one was reused.
    pub created: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_print_as_colon_separated_hex() {
        let f = Fingerprint::of(b"");
        assert_eq!(
            f.to_string(),
            "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55"
        );
    }

    #[test]
    fn garbage_is_not_a_certificate_but_still_has_a_fingerprint() {
        let info = CertInfo::from_der(b"\x30\x03\x02\x01");
        assert!(info.subject.starts_with("(unreadable"));
        assert_eq!(info.sha256, Fingerprint::of(b"\x30\x03\x02\x01"));
    }

    #[test]
    fn times_before_1970_do_not_panic() {
        assert!(time_of(-5) < UNIX_EPOCH);
        assert_eq!(time_of(0), UNIX_EPOCH);
    }
}
