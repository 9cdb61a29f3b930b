//! TLS as a layer of the engine: a TCP server or client session opened with
//! a [`TlsServerConfig`] or [`TlsClientConfig`] runs rustls (with the ring
//! provider) over the same non-blocking mio sockets, so everything above
//! the engine sees the plaintext as plain TCP's [`Event`](super::Event)s.
//!
//! - [`config`]: what a session is opened with (pure data, no file is read).
//! - [`certs`]: reading PEM certificates and keys, the self-signed certificate.
//! - [`info`]: what a handshake or a certificate tells (events carry these).
//! - [`failure`]: why a handshake failed, typed; the "not TLS" detectors.
//! - `setup`: turning the configuration into rustls configurations, in the
//!   worker thread at open.
//! - `layer`: one connection's rustls state, ciphertext and sends.
//! - `keylog`: session keys in SSLKEYLOGFILE format.

pub mod certs;
pub mod config;
pub mod failure;
pub mod info;
mod keylog;
pub(crate) mod layer;
pub(crate) mod setup;

pub use certs::{
    SELF_SIGNED_CERT_FILE, SELF_SIGNED_KEY_FILE, TlsFileError, TlsFileProblem, parse_ca_certs,
    parse_cert_chain, parse_private_key,
};
pub use config::{
    ClientIdentity, ServerIdentity, ServerVerify, TlsClientConfig, TlsServerConfig, TlsVersions,
    default_cert_dir,
};
pub use failure::{TlsFailure, TlsFailureKind, looks_like_client_hello, looks_like_tls_record};
pub use info::{CertInfo, Fingerprint, SelfSignedStore, TlsInfo, TlsVersion};
pub use setup::{check_client_files, check_server_files};
