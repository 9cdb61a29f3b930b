//! The TLS options of `tcp-server` and `tcp-client`, and the TLS settings
//! they make, checked before any socket opens.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::net::tls::{
    ClientIdentity, ServerIdentity, ServerVerify, TlsClientConfig, TlsServerConfig, TlsVersions,
    check_client_files, check_server_files, default_cert_dir,
};

/// A TLS version to allow alone.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Version {
    /// TLS 1.2 only.
    #[value(name = "1.2")]
    Tls12,
    /// TLS 1.3 only.
    #[value(name = "1.3")]
    Tls13,
}

/// The TLS options.
#[derive(Debug, Args, Default)]
pub struct TlsArgs {
    /// Speak TLS on the connection (tcp-server: a self-signed certificate
    /// for localhost is made and kept unless --cert and --key are given).
    #[arg(long)]
    pub tls: bool,
    /// A PEM certificate chain (the server's; a client's own, with --key).
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"])]
    pub cert: Option<PathBuf>,
    /// The private key (PEM) of --cert.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "cert"])]
    pub key: Option<PathBuf>,
    /// tcp-server: ask each client for a certificate signed by a CA in FILE
    /// (mutual TLS).
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub client_ca: Option<PathBuf>,
    /// tcp-client: check the server's certificate against the CAs in FILE
    /// (or the server's own self-signed certificate) instead of the
    /// system's.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls",
        conflicts_with = "insecure"
    )]
    pub ca: Option<PathBuf>,
    /// tcp-client: accept any server certificate (insecure: for testing
    /// only).
    #[arg(long, requires = "tls")]
    pub insecure: bool,
    /// tcp-client: the name sent as SNI and checked (default: the host).
    #[arg(long, value_name = "NAME", requires = "tls")]
    pub sni: Option<String>,
    /// ALPN protocols, in order of preference, e.g. h2,http/1.1.
    #[arg(long, value_name = "LIST", requires = "tls", value_delimiter = ',')]
    pub alpn: Vec<String>,
    /// Allow only this TLS version.
    #[arg(long, value_enum, value_name = "1.2|1.3", requires = "tls")]
    pub tls_version: Option<Version>,
    /// Append the session keys to FILE (SSLKEYLOGFILE format) so Wireshark
    /// can decrypt a capture. The file holds secrets.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub keylog: Option<PathBuf>,
}

impl TlsArgs {
    fn versions(&self) -> TlsVersions {
        match self.tls_version {
            None => TlsVersions::Both,
            Some(Version::Tls12) => TlsVersions::Tls12Only,
            Some(Version::Tls13) => TlsVersions::Tls13Only,
        }
    }

    fn alpn(&self) -> Result<Vec<String>, String> {
        let alpn: Vec<String> = self.alpn.iter().map(|p| p.trim().to_string()).collect();
        match alpn.iter().find(|p| p.is_empty() || p.len() > 255) {
            Some(p) => Err(format!(
                "--alpn: '{p}' is not a protocol name (1 to 255 bytes)"
            )),
            None => Ok(alpn),
        }
    }

    /// A TLS server's settings (`None` without --tls), its files checked.
    pub fn server(&self) -> Result<Option<TlsServerConfig>, String> {
        if !self.tls {
            return Ok(None);
        }
        for (given, flag) in [
            (self.ca.is_some(), "--ca"),
            (self.insecure, "--insecure"),
            (self.sni.is_some(), "--sni"),
        ] {
            if given {
                return Err(format!(
                    "tcp-server: {flag} is for a TLS client (a server checks clients with --client-ca)"
                ));
            }
        }
        let identity = match (&self.cert, &self.key) {
            (Some(chain), Some(key)) => ServerIdentity::Pem {
                chain: chain.clone(),
                key: key.clone(),
            },
            _ => ServerIdentity::SelfSigned {
                dir: default_cert_dir().ok_or(
                    "--tls: no configuration folder to keep the self-signed certificate in \
                     (no home directory); give --cert and --key",
                )?,
            },
        };
        let config = TlsServerConfig {
            identity,
            client_ca: self.client_ca.clone(),
            versions: self.versions(),
            alpn: self.alpn()?,
            key_log: self.keylog.clone(),
        };
        check_server_files(&config).map_err(|e| e.to_string())?;
        Ok(Some(config))
    }

    /// A TLS client's settings (`None` without --tls), its files checked.
    pub fn client(&self) -> Result<Option<TlsClientConfig>, String> {
        if !self.tls {
            return Ok(None);
        }
        if self.client_ca.is_some() {
            return Err(
                "tcp-client: --client-ca is for a TLS server (a client checks the server with --ca)"
                    .into(),
            );
        }
        let verify = match (&self.ca, self.insecure) {
            (Some(ca), _) => ServerVerify::CaFile(ca.clone()),
            (None, true) => ServerVerify::Insecure,
            (None, false) => ServerVerify::SystemRoots,
        };
        let client_cert = match (&self.cert, &self.key) {
            (Some(chain), Some(key)) => Some(ClientIdentity {
                chain: chain.clone(),
                key: key.clone(),
            }),
            _ => None,
        };
        let config = TlsClientConfig {
            verify,
            sni: self.sni.clone(),
            alpn: self.alpn()?,
            client_cert,
            versions: self.versions(),
            key_log: self.keylog.clone(),
        };
        check_client_files(&config).map_err(|e| e.to_string())?;
        Ok(Some(config))
    }
}

/// The TLS options of `relay`: TLS towards its clients, towards the
/// target, or both. The version, ALPN and key log apply to each leg that
/// speaks TLS.
#[derive(Debug, Args, Default)]
#[command(group = clap::ArgGroup::new("relay_tls").args(["tls_listen", "tls_upstream"]).multiple(true))]
pub struct RelayTlsArgs {
    /// Speak TLS to the relay's clients (a self-signed certificate for
    /// localhost is made and kept unless --cert and --key are given).
    #[arg(long)]
    pub tls_listen: bool,
    /// Speak TLS to the target (its certificate is checked against the
    /// host of --to, unless --insecure).
    #[arg(long)]
    pub tls_upstream: bool,
    /// With --tls-listen: the PEM certificate chain the relay presents.
    #[arg(long, value_name = "FILE", requires_all = ["tls_listen", "key"])]
    pub cert: Option<PathBuf>,
    /// The private key (PEM) of --cert.
    #[arg(long, value_name = "FILE", requires_all = ["tls_listen", "cert"])]
    pub key: Option<PathBuf>,
    /// With --tls-listen: ask each client for a certificate signed by a CA
    /// in FILE (mutual TLS).
    #[arg(long, value_name = "FILE", requires = "tls_listen")]
    pub client_ca: Option<PathBuf>,
    /// With --tls-upstream: check the target's certificate against the CAs
    /// in FILE instead of the system's.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_upstream",
        conflicts_with = "insecure"
    )]
    pub ca: Option<PathBuf>,
    /// With --tls-upstream: accept any certificate from the target
    /// (insecure: for testing only).
    #[arg(long, requires = "tls_upstream")]
    pub insecure: bool,
    /// With --tls-upstream: the name sent as SNI and checked (default: the
    /// host of --to).
    #[arg(long, value_name = "NAME", requires = "tls_upstream")]
    pub sni: Option<String>,
    /// ALPN protocols, in order of preference, e.g. h2,http/1.1.
    #[arg(
        long,
        value_name = "LIST",
        requires = "relay_tls",
        value_delimiter = ','
    )]
    pub alpn: Vec<String>,
    /// Allow only this TLS version.
    #[arg(long, value_enum, value_name = "1.2|1.3", requires = "relay_tls")]
    pub tls_version: Option<Version>,
    /// Append the session keys to FILE (SSLKEYLOGFILE format). The file
    /// holds secrets.
    #[arg(long, value_name = "FILE", requires = "relay_tls")]
    pub keylog: Option<PathBuf>,
}

impl RelayTlsArgs {
    /// The TLS settings of the listening side and of the upstream side
    /// (each `None` when that leg is plain), their files checked.
    pub fn configs(&self) -> Result<(Option<TlsServerConfig>, Option<TlsClientConfig>), String> {
        let shared = || TlsArgs {
            alpn: self.alpn.clone(),
            tls_version: self.tls_version,
            keylog: self.keylog.clone(),
            ..TlsArgs::default()
        };
        let listen = TlsArgs {
            tls: self.tls_listen,
            cert: self.cert.clone(),
            key: self.key.clone(),
            client_ca: self.client_ca.clone(),
            ..shared()
        };
        let upstream = TlsArgs {
            tls: self.tls_upstream,
            ca: self.ca.clone(),
            insecure: self.insecure,
            sni: self.sni.clone(),
            ..shared()
        };
        Ok((listen.server()?, upstream.client()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        tls: TlsArgs,
    }

    fn args(list: &[&str]) -> Result<TlsArgs, String> {
        T::try_parse_from(std::iter::once("t").chain(list.iter().copied()))
            .map(|t| t.tls)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn without_tls_nothing_is_made() {
        let a = args(&[]).unwrap();
        assert_eq!(a.server(), Ok(None));
        assert_eq!(a.client(), Ok(None));
        assert!(args(&["--insecure"]).is_err(), "--insecure needs --tls");
    }

    #[test]
    fn a_client_takes_its_checks_and_versions() {
        let a = args(&[
            "--tls",
            "--insecure",
            "--sni",
            "example.test",
            "--alpn",
            "h2,http/1.1",
            "--tls-version",
            "1.3",
        ])
        .unwrap();
        let c = a.client().unwrap().unwrap();
        assert_eq!(c.verify, ServerVerify::Insecure);
        assert_eq!(c.sni.as_deref(), Some("example.test"));
        assert_eq!(c.alpn, ["h2", "http/1.1"]);
        assert_eq!(c.versions, TlsVersions::Tls13Only);
        assert!(args(&["--tls", "--insecure", "--ca", "x.pem"]).is_err());
    }

    #[test]
    fn options_of_the_other_side_are_refused() {
        let a = args(&["--tls", "--insecure"]).unwrap();
        assert!(
            a.server()
                .unwrap_err()
                .contains("--insecure is for a TLS client")
        );
        let a = args(&["--tls", "--client-ca", "ca.pem"]).unwrap();
        assert!(
            a.client()
                .unwrap_err()
                .contains("--client-ca is for a TLS server")
        );
    }

    #[derive(Parser)]
    struct R {
        #[command(flatten)]
        tls: RelayTlsArgs,
    }

    fn relay_args(list: &[&str]) -> Result<RelayTlsArgs, String> {
        R::try_parse_from(std::iter::once("r").chain(list.iter().copied()))
            .map(|r| r.tls)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_relay_takes_tls_on_either_leg_or_both() {
        let a = relay_args(&[]).unwrap();
        assert_eq!(a.configs(), Ok((None, None)));
        let a = relay_args(&["--tls-upstream", "--insecure", "--alpn", "h2"]).unwrap();
        let (listen, upstream) = a.configs().unwrap();
        assert!(listen.is_none());
        let upstream = upstream.unwrap();
        assert_eq!(upstream.verify, ServerVerify::Insecure);
        assert_eq!(upstream.alpn, ["h2"]);
        let a = relay_args(&[
            "--tls-listen",
            "--tls-upstream",
            "--tls-version",
            "1.2",
            "--sni",
            "example.test",
        ])
        .unwrap();
        let (listen, upstream) = a.configs().unwrap();
        assert_eq!(listen.unwrap().versions, TlsVersions::Tls12Only);
        let upstream = upstream.unwrap();
        assert_eq!(upstream.versions, TlsVersions::Tls12Only);
        assert_eq!(upstream.sni.as_deref(), Some("example.test"));
        // Each side's options need their side.
        assert!(relay_args(&["--insecure"]).is_err());
        assert!(relay_args(&["--tls-upstream", "--client-ca", "ca.pem"]).is_err());
        assert!(relay_args(&["--tls-upstream", "--cert", "c.pem", "--key", "k.pem"]).is_err());
        assert!(relay_args(&["--keylog", "keys.txt"]).is_err());
    }

    #[test]
    fn a_missing_file_is_named() {
        let a = args(&["--tls", "--ca", "/nonexistent/ca.pem"]).unwrap();
        let err = a.client().unwrap_err();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");
    }
}
