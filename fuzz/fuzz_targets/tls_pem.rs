//! The PEM certificate and key loading of TLS sessions: any file a user
//! picks goes through these.
//!
//! Input: arbitrary bytes, given as a certificate file, a CA file and a key
//! file, and each certificate it yields read for its details. Checked:
//! nothing panics; a file with no `-----BEGIN ` line is "not PEM"; a chain
//! that parses is not empty; a key that parses is usable; reading a
//! certificate's details never fails (a broken one says so) and its
//! fingerprint is the SHA-256 of its bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netassist::net::tls::{
    CertInfo, Fingerprint, TlsFileProblem, parse_ca_certs, parse_cert_chain, parse_private_key,
};

fuzz_target!(|data: &[u8]| {
    let has_begin = data.windows(11).any(|w| w == b"-----BEGIN ");
    let chain = parse_cert_chain(data);
    match &chain {
        Ok(certs) => {
            assert!(!certs.is_empty());
            for cert in certs {
                let info = CertInfo::from_der(cert);
                assert_eq!(info.sha256, Fingerprint::of(cert));
            }
        }
        Err(TlsFileProblem::NotPem { .. }) => assert!(!has_begin),
        Err(_) => assert!(has_begin),
    }
    assert_eq!(parse_ca_certs(data), chain);
    match parse_private_key(data) {
        Ok(_) => assert!(has_begin),
        Err(TlsFileProblem::NotPem { .. }) => assert!(!has_begin),
        Err(_) => assert!(has_begin),
    }
    // The bytes as a DER certificate, as a peer could send them.
    let info = CertInfo::from_der(data);
    assert_eq!(info.sha256, Fingerprint::of(data));
});
