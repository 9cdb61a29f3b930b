//! The command line's TLS ingest, run with `cargo bench --bench cli_tls`.
//!
//! One loopback client sends 1 GiB to `netassist tcp-server --raw` (the
//! release binary, stdout to /dev/null), once over plain TCP and once over
//! TLS (`--tls --cert --key`, a certificate made here with rcgen; the
//! client is a blocking rustls client with the same ring provider, TLS 1.3),
//! five rounds each, interleaved; the medians are compared. A size in MiB
//! may follow: `cargo bench --bench cli_tls -- 256`.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

const ROUNDS: usize = 5;
const BLOCK: usize = 256 * 1024;

fn main() {
    let mib: u64 = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .find_map(|a| a.parse().ok())
        .unwrap_or(1024);
    let total = mib << 20;
    let dir = std::env::temp_dir().join(format!("netassist-cli-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (cert, key) = certificate(&dir);
    let bin = env!("CARGO_BIN_EXE_netassist");
    let (mut plain, mut tls) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        plain.push(netassist(bin, total, &[], None));
        let flags = ["--tls", "--cert", s(&cert), "--key", s(&key)];
        tls.push(netassist(bin, total, &flags, Some(&cert)));
    }
    let (p, t) = (median(&plain), median(&tls));
    let rounds: Vec<String> = tls
        .iter()
        .zip(&plain)
        .map(|(t, p)| format!("{:.2}", t / p))
        .collect();
    println!("{mib} MiB over loopback into tcp-server --raw, median of {ROUNDS}");
    println!("plain TCP {:>6.0} MiB/s", p / (1 << 20) as f64);
    println!(
        "TLS       {:>6.0} MiB/s  {:.2} x plain (rounds: {})",
        t / (1 << 20) as f64,
        t / p,
        rounds.join(" ")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

/// A self-signed certificate for `localhost` and its key, as PEM files.
fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("a certificate");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, made.cert.pem()).expect("write the certificate");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("write the key");
    (cert, key)
}

/// Writes `total` bytes to `addr`, over TLS when `ca` is given (trusting
/// it, for `localhost`); keeps the connection until joined.
fn blast(addr: SocketAddr, total: u64, ca: Option<PathBuf>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let sock = TcpStream::connect(addr).expect("connect");
        let block = vec![b'Z'; BLOCK];
        let mut out: Box<dyn Write> = match ca {
            None => Box::new(sock),
            Some(ca) => {
                use rustls::pki_types::pem::PemObject;
                use rustls::pki_types::{CertificateDer, ServerName};
                let mut roots = rustls::RootCertStore::empty();
                for c in CertificateDer::pem_file_iter(&ca).expect("the certificate") {
                    roots.add(c.expect("a certificate")).expect("a root");
                }
                #[allow(deprecated)]
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .expect("versions")
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                let name = ServerName::try_from("localhost").expect("a name");
                let conn =
                    rustls::ClientConnection::new(Arc::new(config), name).expect("a connection");
                Box::new(rustls::StreamOwned::new(conn, sock))
            }
        };
        let mut sent = 0u64;
        while sent < total {
            let n = (BLOCK as u64).min(total - sent) as usize;
            if out.write_all(&block[..n]).is_err() {
                return;
            }
            sent += n as u64;
        }
        let _ = out.flush();
    })
}

/// The release binary as a server with `flags`, until it has received
/// `total` bytes; bytes per second.
fn netassist(bin: &str, total: u64, flags: &[&str], ca: Option<&Path>) -> f64 {
    let mut child = Command::new(bin)
        .args([
            "tcp-server",
            "--bind",
            "127.0.0.1:0",
            "--raw",
            "--exit-after-bytes",
        ])
        .arg(total.to_string())
        .args(flags)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netassist");
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let addr: SocketAddr = loop {
        let mut line = String::new();
        if err.read_line(&mut line).expect("stderr") == 0 {
            panic!("netassist ended before listening");
        }
        if let Some(a) = line.trim().strip_prefix("listening on ") {
            break a.parse().expect("an address");
        }
    };
    // The rest of stderr (the handshake) is read away so it never blocks.
    let drain = std::thread::spawn(move || {
        let mut rest = String::new();
        while err.read_line(&mut rest).is_ok_and(|n| n > 0) {
            rest.clear();
        }
    });
    let start = Instant::now();
    let writer = blast(addr, total, ca.map(Path::to_path_buf));
    let status = child.wait().expect("netassist ends");
    let rate = total as f64 / start.elapsed().as_secs_f64();
    assert!(status.success(), "netassist failed: {status}");
    let _ = writer.join();
    let _ = drain.join();
    rate
}
