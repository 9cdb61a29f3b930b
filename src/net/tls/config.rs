//! What a TLS session is opened with. Pure data: no file is read here; the
//! files named are loaded by the session's worker thread at open, and a bad
//! one fails the open with a typed error
//! ([`NetError::TlsFile`](crate::net::NetError::TlsFile)).

use std::path::PathBuf;

/// Which TLS versions a side allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TlsVersions {
    /// TLS 1.2 and TLS 1.3 (the default).
    #[default]
    Both,
    /// TLS 1.2 only.
    Tls12Only,
    /// TLS 1.3 only.
    Tls13Only,
}

/// Where a TLS server's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServerIdentity {
    /// A self-signed certificate for `localhost` and the listen address,
    /// kept in `dir` ([`SELF_SIGNED_CERT_FILE`](super::SELF_SIGNED_CERT_FILE)
    /// and [`SELF_SIGNED_KEY_FILE`](super::SELF_SIGNED_KEY_FILE)). It is made
    /// at the first open and reused while it is valid for those names.
    /// [`default_cert_dir`] gives the usual place.
    SelfSigned {
        /// The directory that keeps it (made if missing).
        dir: PathBuf,
    },
    /// A certificate chain and its private key, from PEM files.
    Pem {
        /// The chain, leaf first (`CERTIFICATE` blocks).
        chain: PathBuf,
        /// The private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
}

/// A TLS server session's settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsServerConfig {
    /// Its certificate.
    pub identity: ServerIdentity,
    /// Mutual TLS: ask every client for a certificate and accept only those
    /// signed by a CA in this PEM file. `None`: no client certificate asked.
    pub client_ca: Option<PathBuf>,
    /// The versions allowed.
    pub versions: TlsVersions,
    /// ALPN protocols offered, in order of preference (empty: no ALPN).
    pub alpn: Vec<String>,
    /// Append the session keys to this file in SSLKEYLOGFILE format, so
    /// Wireshark can decrypt a capture.
    pub key_log: Option<PathBuf>,
}

impl TlsServerConfig {
    /// A server with a self-signed certificate kept in `dir`, both versions,
    /// no client certificates, no ALPN, no key log.
    pub fn self_signed(dir: impl Into<PathBuf>) -> TlsServerConfig {
        TlsServerConfig {
            identity: ServerIdentity::SelfSigned { dir: dir.into() },
            client_ca: None,
            versions: TlsVersions::Both,
            alpn: Vec::new(),
            key_log: None,
        }
    }

    /// A server with a certificate chain and key from PEM files.
    pub fn pem(chain: impl Into<PathBuf>, key: impl Into<PathBuf>) -> TlsServerConfig {
        TlsServerConfig {
            identity: ServerIdentity::Pem {
                chain: chain.into(),
                key: key.into(),
            },
            ..TlsServerConfig::self_signed(PathBuf::new())
        }
    }
}

/// How a TLS client checks the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServerVerify {
    /// Against the operating system's trusted roots.
    SystemRoots,
    /// Against the CA certificates in this PEM file (or the server's own
    /// self-signed certificate).
    CaFile(PathBuf),
    /// Not at all: any certificate is accepted (insecure; for testing
    /// against servers whose certificate cannot be checked). The handshake
    /// signatures are still verified.
    Insecure,
}

/// A client certificate and its key, for servers that ask for one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientIdentity {
    /// The chain, leaf first (`CERTIFICATE` blocks).
    pub chain: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

/// A TLS client session's settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsClientConfig {
    /// How the server's certificate is checked.
    pub verify: ServerVerify,
    /// The name sent as SNI and checked against the certificate. `None`:
    /// the host as typed; an IP address is sent no SNI and is checked
    /// against the certificate's IP addresses.
    pub sni: Option<String>,
    /// ALPN protocols offered, in order of preference (empty: no ALPN).
    pub alpn: Vec<String>,
    /// A certificate to give servers that ask for one.
    pub client_cert: Option<ClientIdentity>,
    /// The versions allowed.
    pub versions: TlsVersions,
    /// Append the session keys to this file in SSLKEYLOGFILE format.
    pub key_log: Option<PathBuf>,
}

impl TlsClientConfig {
    /// A client that checks the server against `verify`, with the host as
    /// SNI, both versions, no ALPN, no client certificate, no key log.
    pub fn new(verify: ServerVerify) -> TlsClientConfig {
        TlsClientConfig {
            verify,
            sni: None,
            alpn: Vec::new(),
            client_cert: None,
            versions: TlsVersions::Both,
            key_log: None,
        }
    }
}

/// Where the self-signed server certificate is kept by default: a
/// `netassist` folder in the platform's configuration directory
/// (`~/.config/netassist` on Linux, `%APPDATA%\netassist` on Windows,
/// `~/Library/Application Support/netassist` on macOS). `None` when the
/// platform has no such directory (no home directory).
pub fn default_cert_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("netassist"))
}
