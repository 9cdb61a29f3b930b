//! The command line's TLS ingest, run with `cargo bench --bench cli_tls`.
//!
//! One loopback client sends 1 GiB to `netassist tcp-server --raw` (the
//! release binary, stdout to /dev/null), once over plain TCP and once over
//! TLS (`--tls`, with the self-signed certificate it makes, kept in a
//! configuration folder of the bench's own), five rounds each, interleaved;
//! the medians are compared. The sender is the same Python program both
//! ways (`socket.sendall` of 256 KiB blocks; with TLS, wrapped by the `ssl`
//! module trusting that certificate), so the ratio is the server's. A size
//! in MiB may follow: `cargo bench --bench cli_tls -- 256`.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const ROUNDS: usize = 5;

/// The sender: `python3 - HOST PORT TOTAL [CAFILE]`.
const SENDER: &str = r#"
import socket, ssl, sys
host, port, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sock = socket.create_connection((host, port))
if len(sys.argv) > 4:
    ctx = ssl.create_default_context(cafile=sys.argv[4])
    sock = ctx.wrap_socket(sock, server_hostname="localhost")
block = b"Z" * (256 * 1024)
sent = 0
while sent < total:
    n = min(len(block), total - sent)
    sock.sendall(block[:n])
    sent += n
try:
    sock.recv(1)
except OSError:
    pass
"#;

fn main() {
    let mib: u64 = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .find_map(|a| a.parse().ok())
        .unwrap_or(1024);
    let total = mib << 20;
    let dir = std::env::temp_dir().join(format!("netassist-cli-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cert = dir
        .join("netassist")
        .join(netassist::net::tls::SELF_SIGNED_CERT_FILE);
    let bin = env!("CARGO_BIN_EXE_netassist");
    let (mut plain, mut tls) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        plain.push(netassist(bin, &dir, total, &[], None));
        tls.push(netassist(bin, &dir, total, &["--tls"], Some(&cert)));
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

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

/// Starts the Python sender towards `addr` (over TLS when `ca` is given).
fn sender(addr: SocketAddr, total: u64, ca: Option<&Path>) -> Child {
    let mut cmd = Command::new("python3");
    cmd.arg("-c")
        .arg(SENDER)
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .arg(total.to_string());
    if let Some(ca) = ca {
        cmd.arg(ca);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("python3")
}

/// The release binary as a server with `flags`, until it has received
/// `total` bytes; bytes per second.
fn netassist(bin: &str, config: &Path, total: u64, flags: &[&str], ca: Option<&Path>) -> f64 {
    let mut child = Command::new(bin)
        .env("XDG_CONFIG_HOME", config)
        .args([
            "tcp-server",
            "--bind",
            "127.0.0.1:0",
            "--raw",
            "--exit-after-bytes",
        ])
        .arg(total.to_string())
        .args(flags)
        .stdin(Stdio::null())
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
    let mut writer = sender(addr, total, ca);
    let status = child.wait().expect("netassist ends");
    let rate = total as f64 / start.elapsed().as_secs_f64();
    assert!(status.success(), "netassist failed: {status}");
    let _ = writer.kill();
    let _ = writer.wait();
    let _ = drain.join();
    rate
}
