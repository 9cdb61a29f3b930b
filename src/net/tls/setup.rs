//! Turning a session's TLS settings into rustls configurations. Runs in the
//! worker thread at open: every file is read here, and a bad one fails the
//! open with a typed error naming it.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme, SupportedProtocolVersion};

use super::certs::{self, TlsFileError, TlsFileProblem};
use super::config::{ServerIdentity, ServerVerify, TlsClientConfig, TlsServerConfig, TlsVersions};
use super::info::{CertInfo, SelfSignedStore};
use super::keylog::FileKeyLog;
use crate::net::NetError;

/// A TLS server's configuration, ready for its connections.
pub(crate) struct ServerTls {
    pub(crate) config: Arc<rustls::ServerConfig>,
    pub(crate) key_log: Option<Arc<FileKeyLog>>,
    /// The certificate it presents.
    pub(crate) cert: CertInfo,
    /// Where the self-signed certificate is kept, if it is one.
    pub(crate) self_signed: Option<SelfSignedStore>,
}

/// A TLS client's configuration and the name it checks the server against.
pub(crate) struct ClientTls {
    pub(crate) config: Arc<rustls::ClientConfig>,
    pub(crate) name: ServerName<'static>,
    pub(crate) key_log: Option<Arc<FileKeyLog>>,
}

impl ClientTls {
    /// The key log's first failure (to open it), once.
    pub(crate) fn key_log_error(&self) -> Option<NetError> {
        key_log_error(self.key_log.as_deref())
    }

    /// The SNI sent: a DNS name; none for an IP address.
    pub(crate) fn sni(&self) -> Option<String> {
        match &self.name {
            ServerName::DnsName(dns) => Some(dns.as_ref().to_string()),
            _ => None,
        }
    }
}

impl ServerTls {
    /// The key log's first failure (to open it), once.
    pub(crate) fn key_log_error(&self) -> Option<NetError> {
        key_log_error(self.key_log.as_deref())
    }
}

fn key_log_error(log: Option<&FileKeyLog>) -> Option<NetError> {
    let log = log?;
    log.take_error().map(|message| NetError::KeyLog {
        path: log.path().to_path_buf(),
        message,
    })
}

fn versions(v: TlsVersions) -> &'static [&'static SupportedProtocolVersion] {
    static BOTH: [&SupportedProtocolVersion; 2] =
        [&rustls::version::TLS13, &rustls::version::TLS12];
    static V12: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    static V13: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    match v {
        TlsVersions::Both => &BOTH,
        TlsVersions::Tls12Only => &V12,
        TlsVersions::Tls13Only => &V13,
    }
}

fn setup_error(e: impl std::fmt::Display) -> NetError {
    NetError::TlsSetup {
        message: e.to_string(),
    }
}

fn key_log(path: Option<&std::path::Path>) -> Option<Arc<FileKeyLog>> {
    path.map(|p| Arc::new(FileKeyLog::open(p)))
}

/// A root store of the CA certificates in a file.
fn root_store(path: &std::path::Path) -> Result<RootCertStore, NetError> {
    let cas = certs::load_cert_chain(path)?;
    let mut roots = RootCertStore::empty();
    for (i, ca) in cas.into_iter().enumerate() {
        roots.add(ca).map_err(|e| {
            NetError::TlsFile(TlsFileError {
                path: path.to_path_buf(),
                problem: TlsFileProblem::BadCertificate {
                    index: i + 1,
                    detail: e.to_string(),
                },
            })
        })?;
    }
    Ok(roots)
}

/// The server's rustls configuration for a session listening on `bind`.
pub(crate) fn server(cfg: &TlsServerConfig, bind: SocketAddr) -> Result<ServerTls, NetError> {
    let provider = certs::provider();
    let (chain, key, self_signed) = match &cfg.identity {
        ServerIdentity::SelfSigned { dir } => {
            let names = certs::self_signed_names(bind.ip());
            let (chain, key, store) = certs::self_signed(dir, &names)?;
            (chain, key, Some(store))
        }
        ServerIdentity::Pem { chain, key } => {
            let (chain, key) = certs::load_identity(chain, key)?;
            (chain, key, None)
        }
    };
    let cert = CertInfo::from_der(&chain[0]);
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(versions(cfg.versions))
        .map_err(setup_error)?;
    let builder = match &cfg.client_ca {
        Some(path) => {
            let roots = root_store(path)?;
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                    .build()
                    .map_err(setup_error)?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key).map_err(setup_error)?;
    config.alpn_protocols = cfg.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    let key_log = key_log(cfg.key_log.as_deref());
    if let Some(log) = &key_log {
        config.key_log = Arc::clone(log) as Arc<dyn rustls::KeyLog>;
    }
    Ok(ServerTls {
        config: Arc::new(config),
        key_log,
        cert,
        self_signed,
    })
}

/// The client's rustls configuration for connecting to `host` (as typed).
pub(crate) fn client(cfg: &TlsClientConfig, host: &str) -> Result<ClientTls, NetError> {
    let provider = certs::provider();
    let wanted = cfg.sni.as_deref().unwrap_or(host);
    let bare = wanted.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(bare.to_string()).map_err(|_| NetError::TlsName {
        name: wanted.to_string(),
    })?;
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(versions(cfg.versions))
        .map_err(setup_error)?;
    let builder = match &cfg.verify {
        ServerVerify::SystemRoots => {
            let found = rustls_native_certs::load_native_certs();
            let mut roots = RootCertStore::empty();
            let (_, _) = roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                let detail = found
                    .errors
                    .first()
                    .map_or_else(|| "none found".to_string(), |e| e.to_string());
                return Err(NetError::TlsNoRoots { detail });
            }
            builder.with_root_certificates(roots)
        }
        ServerVerify::CaFile(path) => builder.with_root_certificates(root_store(path)?),
        ServerVerify::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider))),
    };
    let mut config = match &cfg.client_cert {
        Some(identity) => {
            let (chain, key) = certs::load_identity(&identity.chain, &identity.key)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(setup_error)?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = cfg.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    let key_log = key_log(cfg.key_log.as_deref());
    if let Some(log) = &key_log {
        config.key_log = Arc::clone(log) as Arc<dyn rustls::KeyLog>;
    }
    Ok(ClientTls {
        config: Arc::new(config),
        name,
        key_log,
    })
}

/// "Ignore certificate errors": any certificate is taken as it is, but the
/// handshake's signatures are still checked with the certificate's key (so
/// the peer holds the key of the certificate it shows).
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Loads every certificate, key and CA file `server` names, without
/// opening anything, so a front end can refuse a bad file before any
/// socket opens (the self-signed certificate is made at open instead).
pub fn check_server_files(server: &TlsServerConfig) -> Result<(), NetError> {
    if let ServerIdentity::Pem { chain, key } = &server.identity {
        certs::load_identity(chain, key)?;
    }
    if let Some(ca) = &server.client_ca {
        root_store(ca)?;
    }
    Ok(())
}

/// The same for a client: its CA file and its own certificate and key.
pub fn check_client_files(client: &TlsClientConfig) -> Result<(), NetError> {
    if let ServerVerify::CaFile(ca) = &client.verify {
        root_store(ca)?;
    }
    if let Some(identity) = &client.client_cert {
        certs::load_identity(&identity.chain, &identity.key)?;
    }
    Ok(())
}
