//! TLS ingest, run with `cargo bench --bench tls`: 1 GiB from one loopback
//! client into the engine's TCP server with TLS, against the same into a
//! plain TCP server session, in the same run. Events are taken and dropped
//! (the engine's share only). The TLS client is rustls with the same ring
//! provider, writing from its own thread, so both sides' crypto is in the
//! figure, as it is for a real TLS peer on the same machine.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use netassist::net::{Engine, Event, SessionConfig, TlsServerConfig};

const BYTES: usize = 1 << 30;
const ROUNDS: usize = 3;
const BLOCK: usize = 256 * 1024;

fn main() {
    let dir = std::env::temp_dir().join(format!("netassist-tls-bench-{}", std::process::id()));
    println!(
        "== TLS ingest, {} MiB per round, {ROUNDS} rounds (median), events taken and dropped",
        BYTES >> 20
    );
    let mut plain = Vec::new();
    let mut tls = Vec::new();
    let mut suite = String::new();
    for _ in 0..ROUNDS {
        plain.push(ingest(None, &dir).0);
        let (rate, s) = ingest(Some(&dir), &dir);
        tls.push(rate);
        suite = s;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (p, t) = (median(&mut plain), median(&mut tls));
    println!("plain TCP server session : {:8.1} MiB/s", p / 1048576.0);
    println!(
        "TLS server session       : {:8.1} MiB/s ({suite})",
        t / 1048576.0
    );
    println!("ratio TLS/plain          : {:8.2}", t / p);
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Opens a server session (TLS with a self-signed certificate kept in
/// `store`, or plain), sends `BYTES` into it and gives the rate and the
/// cipher suite agreed.
fn ingest(store: Option<&PathBuf>, dir: &std::path::Path) -> (f64, String) {
    let mut engine = Engine::new(Arc::new(|| {}));
    engine.open(SessionConfig::TcpServer {
        bind: "127.0.0.1:0".parse().unwrap(),
        tls: store.map(TlsServerConfig::self_signed),
    });
    let local = opened(&engine);
    let start = Instant::now();
    let writer = match store {
        Some(_) => tls_blast(local, dir.join(netassist::net::tls::SELF_SIGNED_CERT_FILE)),
        None => plain_blast(local),
    };
    let mut got = 0;
    let mut suite = String::new();
    while got < BYTES {
        match engine.events().recv_timeout(Duration::from_secs(10)) {
            Some(Event::Received { data, .. }) => got += data.len(),
            Some(Event::TlsEstablished { info, .. }) => {
                suite = format!("{}, {}", info.version, info.cipher_suite);
            }
            Some(Event::PeerClosed { how, .. }) => panic!("closed at {got} bytes: {how:?}"),
            Some(_) => {}
            None => panic!("ingest stalled at {got} bytes"),
        }
    }
    let rate = got as f64 / start.elapsed().as_secs_f64();
    // The sender's socket closes only now: a TLS client that closes with the
    // server's session tickets unread sends a reset, which would throw away
    // bytes not yet read.
    drop(writer.join().unwrap());
    (rate, suite)
}

fn opened(engine: &Engine) -> SocketAddr {
    loop {
        match engine.events().recv_timeout(Duration::from_secs(10)) {
            Some(Event::Opened { local, .. }) => return local,
            Some(Event::Error(e)) => panic!("cannot open: {e}"),
            Some(_) => {}
            None => panic!("the engine did not open"),
        }
    }
}

/// The sender's connection, kept open until the receiver has everything.
type Sender = std::thread::JoinHandle<Box<dyn Send>>;

fn plain_blast(addr: SocketAddr) -> Sender {
    std::thread::spawn(move || {
        let mut c = TcpStream::connect(addr).expect("connect");
        let block = vec![0x5Au8; BLOCK];
        let mut sent = 0;
        while sent < BYTES {
            let n = BLOCK.min(BYTES - sent);
            c.write_all(&block[..n]).expect("write");
            sent += n;
        }
        Box::new(c) as Box<dyn Send>
    })
}

/// A blocking rustls client that trusts the server's self-signed
/// certificate and writes `BYTES`.
fn tls_blast(addr: SocketAddr, ca: PathBuf) -> Sender {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    std::thread::spawn(move || {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(&ca).expect("the certificate") {
            roots.add(cert.expect("a certificate")).expect("a root");
        }
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = ServerName::try_from("localhost").expect("a name");
        let conn = rustls::ClientConnection::new(Arc::new(config), name).expect("a connection");
        let sock = TcpStream::connect(addr).expect("connect");
        let mut tls = rustls::StreamOwned::new(conn, sock);
        let block = vec![0x5Au8; BLOCK];
        let mut sent = 0;
        while sent < BYTES {
            let n = BLOCK.min(BYTES - sent);
            tls.write_all(&block[..n]).expect("write");
            sent += n;
        }
        tls.flush().expect("flush");
        Box::new(tls) as Box<dyn Send>
    })
}
