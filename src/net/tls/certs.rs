//! Certificates and keys from PEM files, checked with typed errors that name
//! the file; and the self-signed server certificate, made once and reused.

use std::fs;
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use super::info::{CertInfo, SelfSignedStore};

/// The self-signed certificate's file in its directory.
pub const SELF_SIGNED_CERT_FILE: &str = "server-cert.pem";
/// The self-signed certificate's private key in its directory.
pub const SELF_SIGNED_KEY_FILE: &str = "server-key.pem";

/// The largest certificate, key or CA file read (a system CA bundle is
/// a few hundred KiB).
const MAX_FILE: u64 = 4 * 1024 * 1024;

/// How long a new self-signed certificate is valid.
const SELF_SIGNED_DAYS: i64 = 825;
/// A stored self-signed certificate this close to its end is made again.
const RENEW_BEFORE: Duration = Duration::from_secs(24 * 3600);
/// A stored certificate keeps the names it had plus the new ones, up to this many.
const MAX_NAMES: usize = 16;

/// What is wrong with a certificate, key or CA file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TlsFileProblem {
    /// The file could not be read (missing, no permission, a directory).
    #[error("cannot be read: {0}")]
    Unreadable(String),
    /// The file is larger than any certificate or key file should be.
    #[error("is too large ({len} bytes) for a certificate or key file")]
    TooLarge {
        /// Its size.
        len: u64,
    },
    /// The file has no PEM block (`-----BEGIN …-----`) at all.
    #[error("is not PEM (no -----BEGIN ...----- line){}", if *.looks_der { "; it looks like binary DER: convert it with openssl x509 -inform der -outform pem" } else { "" })]
    NotPem {
        /// True when it starts like binary DER.
        looks_der: bool,
    },
    /// A PEM block is broken (bad base64, no END line).
    #[error("has a broken PEM block: {0}")]
    BadPem(String),
    /// The file has PEM blocks but no `CERTIFICATE` block.
    #[error("holds no certificate (no -----BEGIN CERTIFICATE----- block)")]
    NoCertificate,
    /// A `CERTIFICATE` block that is not a valid X.509 certificate.
    #[error("certificate #{index} in it is not a valid X.509 certificate: {detail}")]
    BadCertificate {
        /// Its position in the file, from 1.
        index: usize,
        /// What the parser said.
        detail: String,
    },
    /// The file has no private key block.
    #[error("holds no private key (no -----BEGIN PRIVATE KEY----- block)")]
    NoPrivateKey,
    /// A private key of a kind or form that cannot be used.
    #[error("holds a private key that cannot be used: {0}")]
    BadPrivateKey(String),
    /// The private key is not the key of the certificate.
    #[error("holds a private key that does not match the certificate")]
    KeyMismatch,
    /// The file could not be written (the self-signed certificate's store).
    #[error("cannot be written: {0}")]
    Unwritable(String),
}

/// A certificate, key or CA file that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{} {problem}", .path.display())]
pub struct TlsFileError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: TlsFileProblem,
}

fn file_error(path: &Path, problem: TlsFileProblem) -> TlsFileError {
    TlsFileError {
        path: path.to_path_buf(),
        problem,
    }
}

/// Reads a whole file of at most [`MAX_FILE`] bytes.
fn read_file(path: &Path) -> Result<Vec<u8>, TlsFileError> {
    let unreadable =
        |e: std::io::Error| file_error(path, TlsFileProblem::Unreadable(e.to_string()));
    let file = fs::File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    if meta.is_dir() {
        return Err(file_error(
            path,
            TlsFileProblem::Unreadable("it is a directory".into()),
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(file_error(
            path,
            TlsFileProblem::TooLarge {
                len: meta.len().max(MAX_FILE + 1),
            },
        ));
    }
    Ok(bytes)
}

/// `NotPem` unless the bytes have a PEM BEGIN line.
fn require_pem(bytes: &[u8]) -> Result<(), TlsFileProblem> {
    if memchr::memmem::find(bytes, b"-----BEGIN ").is_some() {
        return Ok(());
    }
    Err(TlsFileProblem::NotPem {
        looks_der: bytes.first() == Some(&0x30),
    })
}

fn pem_problem(err: rustls::pki_types::pem::Error) -> TlsFileProblem {
    TlsFileProblem::BadPem(err.to_string())
}

/// The certificates of PEM text, in order, each checked to be X.509.
/// Never panics on any input: everything wrong is a [`TlsFileProblem`].
pub fn parse_cert_chain(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsFileProblem> {
    require_pem(bytes)?;
    let mut chain = Vec::new();
    for (i, cert) in CertificateDer::pem_slice_iter(bytes).enumerate() {
        let cert = cert.map_err(pem_problem)?;
        if let Err(e) = x509_parser::parse_x509_certificate(&cert) {
            return Err(TlsFileProblem::BadCertificate {
                index: i + 1,
                detail: e.to_string(),
            });
        }
        chain.push(cert);
    }
    if chain.is_empty() {
        return Err(TlsFileProblem::NoCertificate);
    }
    Ok(chain)
}

/// CA certificates from PEM text (a bundle of one or more). The same
/// checks as [`parse_cert_chain`].
pub fn parse_ca_certs(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsFileProblem> {
    parse_cert_chain(bytes)
}

/// The first private key of PEM text (PKCS#8, PKCS#1 or SEC1), checked to
/// be a key the ring provider can sign with. Never panics on any input.
pub fn parse_private_key(bytes: &[u8]) -> Result<PrivateKeyDer<'static>, TlsFileProblem> {
    require_pem(bytes)?;
    let key = match PrivateKeyDer::from_pem_slice(bytes) {
        Ok(key) => key,
        Err(rustls::pki_types::pem::Error::NoItemsFound) => {
            return Err(TlsFileProblem::NoPrivateKey);
        }
        Err(e) => return Err(pem_problem(e)),
    };
    provider()
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|e| TlsFileProblem::BadPrivateKey(e.to_string()))?;
    Ok(key)
}

/// The crypto provider every TLS session uses: ring (no C toolchain or
/// CMake needed, unlike aws-lc; it has no post-quantum key exchange, which
/// is why rustls marks its constructor deprecated).
#[allow(deprecated)]
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate chain and its key, loaded from their files and checked to
/// belong together.
pub(crate) fn load_identity(
    chain_path: &Path,
    key_path: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsFileError> {
    let chain = load_cert_chain(chain_path)?;
    let key = parse_private_key(&read_file(key_path)?).map_err(|p| file_error(key_path, p))?;
    check_key_matches(&chain, &key).map_err(|p| file_error(key_path, p))?;
    Ok((chain, key))
}

/// `KeyMismatch` unless `key` is the private key of the chain's leaf.
fn check_key_matches(
    chain: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
) -> Result<(), TlsFileProblem> {
    let signing = provider()
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|e| TlsFileProblem::BadPrivateKey(e.to_string()))?;
    match CertifiedKey::new(chain.to_vec(), signing).keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(()),
        Err(rustls::Error::InconsistentKeys(_)) => Err(TlsFileProblem::KeyMismatch),
        Err(e) => Err(TlsFileProblem::BadPrivateKey(e.to_string())),
    }
}

/// The certificates of a PEM file.
pub(crate) fn load_cert_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsFileError> {
    parse_cert_chain(&read_file(path)?).map_err(|p| file_error(path, p))
}

/// The names a self-signed certificate for `bind` is made for: `localhost`,
/// the loopback addresses, and the listen address when it is a real one.
pub(crate) fn self_signed_names(bind: IpAddr) -> Vec<String> {
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if !bind.is_unspecified() {
        let ip = match bind {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(bind, IpAddr::V4),
            v4 => v4,
        };
        let text = ip.to_string();
        if !names.contains(&text) {
            names.push(text);
        }
    }
    names
}

/// The self-signed certificate kept in `dir` for `names`: the one stored
/// there if it is valid now (and for a day more) for every name, else a new
/// one for those names and the stored one's, written over it.
pub(crate) fn self_signed(
    dir: &Path,
    names: &[String],
) -> Result<
    (
        Vec<CertificateDer<'static>>,
        PrivateKeyDer<'static>,
        SelfSignedStore,
    ),
    TlsFileError,
> {
    let cert_file = dir.join(SELF_SIGNED_CERT_FILE);
    let key_file = dir.join(SELF_SIGNED_KEY_FILE);
    let mut keep_names: Vec<String> = Vec::new();
    // A stored certificate is reused if it still fits; one that is
    // unusable or outdated is made again below.
    if (cert_file.exists() || key_file.exists())
        && let Ok((chain, key)) = load_identity(&cert_file, &key_file)
    {
        let info = CertInfo::from_der(&chain[0]);
        let now = SystemTime::now();
        let covers = names.iter().all(|n| info.names.contains(n));
        if covers && info.valid_at(now) && info.valid_at(now + RENEW_BEFORE) {
            let store = SelfSignedStore {
                cert_file,
                key_file,
                created: false,
            };
            return Ok((chain, key, store));
        }
        keep_names = info.names;
    }
    let mut all: Vec<String> = names.to_vec();
    for n in keep_names {
        if all.len() < MAX_NAMES && !all.contains(&n) {
            all.push(n);
        }
    }
    let (cert_pem, key_pem) = make_self_signed(&all).map_err(|e| {
        file_error(
            &cert_file,
            TlsFileProblem::Unwritable(format!("cannot make it: {e}")),
        )
    })?;
    let unwritable = |path: &Path, e: std::io::Error| {
        file_error(path, TlsFileProblem::Unwritable(e.to_string()))
    };
    fs::create_dir_all(dir).map_err(|e| unwritable(dir, e))?;
    write_private(&key_file, key_pem.as_bytes()).map_err(|e| unwritable(&key_file, e))?;
    fs::write(&cert_file, cert_pem.as_bytes()).map_err(|e| unwritable(&cert_file, e))?;
    let (chain, key) = load_identity(&cert_file, &key_file)?;
    let store = SelfSignedStore {
        cert_file,
        key_file,
        created: true,
    };
    Ok((chain, key, store))
}

/// A new self-signed certificate (ECDSA P-256) for `names`, valid from
/// yesterday for [`SELF_SIGNED_DAYS`]: its PEM and its key's PEM.
fn make_self_signed(names: &[String]) -> Result<(String, String), rcgen::Error> {
    use chrono::Datelike;
    let mut params = rcgen::CertificateParams::new(names.to_vec())?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "NetAssist self-signed");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "NetAssist");
    let ymd = |d: chrono::DateTime<chrono::Utc>| {
        // Months and days always fit a u8.
        rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
    };
    let now = chrono::Utc::now();
    params.not_before = ymd(now - chrono::Duration::days(1));
    params.not_after = ymd(now + chrono::Duration::days(SELF_SIGNED_DAYS));
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Writes a private key readable by its owner only (on Unix).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        file.write_all(bytes)
    }
    #[cfg(not(unix))]
    {
        fs::write(path, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (String, String) {
        make_self_signed(&["localhost".to_string()]).unwrap()
    }

    #[test]
    fn pem_errors_say_what_is_wrong() {
        let (cert, key) = pair();
        assert!(matches!(
            parse_cert_chain(b"hello"),
            Err(TlsFileProblem::NotPem { looks_der: false })
        ));
        assert!(matches!(
            parse_cert_chain(b"\x30\x82\x01\x00"),
            Err(TlsFileProblem::NotPem { looks_der: true })
        ));
        assert_eq!(
            parse_cert_chain(key.as_bytes()),
            Err(TlsFileProblem::NoCertificate)
        );
        assert_eq!(
            parse_private_key(cert.as_bytes()).err(),
            Some(TlsFileProblem::NoPrivateKey)
        );
        let broken = cert.replace("-----END CERTIFICATE-----", "");
        assert!(matches!(
            parse_cert_chain(broken.as_bytes()),
            Err(TlsFileProblem::BadPem(_))
        ));
        let not_x509 = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            parse_cert_chain(not_x509.as_bytes()),
            Err(TlsFileProblem::BadCertificate { index: 1, .. })
        ));
        let not_a_key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            parse_private_key(not_a_key.as_bytes()),
            Err(TlsFileProblem::BadPrivateKey(_))
        ));
        assert_eq!(parse_cert_chain(cert.as_bytes()).unwrap().len(), 1);
        assert!(parse_private_key(key.as_bytes()).is_ok());
    }

    #[test]
    fn a_key_of_another_certificate_does_not_match() {
        let (cert, _) = pair();
        let (_, other_key) = pair();
        let chain = parse_cert_chain(cert.as_bytes()).unwrap();
        let key = parse_private_key(other_key.as_bytes()).unwrap();
        assert_eq!(
            check_key_matches(&chain, &key),
            Err(TlsFileProblem::KeyMismatch)
        );
    }

    #[test]
    fn names_cover_localhost_and_a_real_listen_address() {
        let any = self_signed_names("0.0.0.0".parse().unwrap());
        assert_eq!(any, ["localhost", "127.0.0.1", "::1"]);
        let lan = self_signed_names("192.168.1.5".parse().unwrap());
        assert!(lan.contains(&"192.168.1.5".to_string()));
        let mapped = self_signed_names("::ffff:10.0.0.1".parse().unwrap());
        assert!(mapped.contains(&"10.0.0.1".to_string()));
    }
}
