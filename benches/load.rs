//! Load tests at scale, run with `cargo bench --bench load` (release).
//!
//! The server is `netassist tcp-server` (the release binary, a separate
//! process: one process could not hold both ends of 19,000 connections in
//! 20,000 open files), echoing, its output discarded.
//!
//! 1. Connect rate: `netassist load` opening N connections as fast as it
//!    may (`--rate 1000000`, connect only, each held; its rate is the
//!    connections over the time the last one took to come up), beside a
//!    plain Rust connector (blocking `TcpStream::connect` in a loop,
//!    holding each) and a plain Python one, in the same rounds; medians
//!    and ratios.
//! 2. Held: 19,000 connections (or `-- held N`) opened at 5,000 a second,
//!    each sending `ping` once a second and checking the echo, for 12 s;
//!    the load process's and the server's peak RSS, the latency
//!    percentiles and the failures.
//!
//! `cargo bench --bench load -- rate 10000` or `-- held 19000` runs one part.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let part = args.first().map(String::as_str);
    let n: Option<u32> = args.get(1).and_then(|a| a.parse().ok());
    let bin = env!("CARGO_BIN_EXE_netassist");
    println!(
        "open-file limit {:?}, ephemeral ports {}",
        netassist::net::load::fd_limit(),
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .unwrap_or_default()
            .trim()
    );
    if part.is_none_or(|p| p == "rate") {
        connect_rate(bin, n.unwrap_or(10_000));
    }
    if part.is_none_or(|p| p == "held") {
        held(bin, n.unwrap_or(19_000));
    }
}

/// `netassist tcp-server --bind 127.0.0.1:0 --echo --raw`, output
/// discarded; its address.
fn server(bin: &str) -> (Child, SocketAddr) {
    let mut child = Command::new(bin)
        .args(["tcp-server", "--bind", "127.0.0.1:0", "--echo", "--raw"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netassist tcp-server");
    let err = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("listening on ") {
                let _ = tx.send(addr.trim().parse::<SocketAddr>().expect("address"));
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the server listens");
    (child, addr)
}

/// A child's peak resident memory in KiB, read while it runs.
fn peak_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Runs `netassist load ARGS --json`; its summary and its peak RSS (KiB).
fn load(bin: &str, args: &[&str]) -> (serde_json::Value, u64) {
    let mut child = Command::new(bin)
        .arg("load")
        .args(args)
        .arg("--json")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start netassist load");
    let pid = child.id();
    let watcher = std::thread::spawn(move || {
        let mut peak = 0;
        while let Some(kib) = peak_kib(pid) {
            peak = peak.max(kib);
            std::thread::sleep(Duration::from_millis(50));
        }
        peak
    });
    let out = std::mem::take(&mut child.stdout).expect("stdout");
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).expect("read");
    let _ = child.wait();
    let peak = watcher.join().unwrap_or(0);
    let v = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    (v, peak)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

/// Plain Rust: blocking connects in a loop, each held until the end.
fn plain_rust(addr: SocketAddr, n: u32) -> f64 {
    let start = Instant::now();
    let mut held = Vec::with_capacity(n as usize);
    for _ in 0..n {
        match TcpStream::connect(addr) {
            Ok(s) => held.push(s),
            Err(e) => panic!("plain connect failed after {}: {e}", held.len()),
        }
    }
    let rate = f64::from(n) / start.elapsed().as_secs_f64();
    drop(held);
    rate
}

/// Plain Python: the same loop in python3.
fn plain_python(addr: SocketAddr, n: u32) -> Option<f64> {
    let code = format!(
        "import socket,time\nt=time.perf_counter()\nh=[socket.create_connection(('{}',{})) for _ in range({n})]\nprint({n}/(time.perf_counter()-t))",
        addr.ip(),
        addr.port()
    );
    let out = Command::new("python3").args(["-c", &code]).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn settle() {
    // Let the server take the closes in before the next connector.
    std::thread::sleep(Duration::from_millis(1500));
}

fn connect_rate(bin: &str, n: u32) {
    let (mut srv, addr) = server(bin);
    let url = format!("tcp://{addr}");
    let count = n.to_string();
    let (mut rust, mut python, mut ours) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        rust.push(plain_rust(addr, n));
        settle();
        if let Some(r) = plain_python(addr, n) {
            python.push(r);
        }
        settle();
        // Held, as the plain connectors hold theirs, for a few seconds.
        let (v, _) = load(
            bin,
            &[
                &url,
                "--connections",
                &count,
                "--rate",
                "1000000",
                "--duration",
                "3",
            ],
        );
        assert_eq!(v["failed"], 0, "{v}");
        let secs = v["connected_within_s"].as_f64().unwrap_or(f64::NAN);
        ours.push(v["connected"].as_f64().unwrap_or(0.0) / secs);
        settle();
    }
    let _ = srv.kill();
    let _ = srv.wait();
    let (r, o) = (median(&rust), median(&ours));
    println!("connect rate, {n} connections to netassist tcp-server, median of {ROUNDS}:");
    println!("  plain Rust connector   {r:>8.0} /s");
    if !python.is_empty() {
        let p = median(&python);
        println!("  plain Python connector {p:>8.0} /s");
        println!(
            "  netassist load         {o:>8.0} /s  ({:.2} x Rust, {:.2} x Python)",
            o / r,
            o / p
        );
    } else {
        println!(
            "  netassist load         {o:>8.0} /s  ({:.2} x Rust)",
            o / r
        );
    }
    let rounds: Vec<String> = ours.iter().map(|x| format!("{x:.0}")).collect();
    println!("  netassist rounds: {}", rounds.join(" "));
}

fn held(bin: &str, n: u32) {
    let (mut srv, addr) = server(bin);
    let url = format!("tcp://{addr}");
    let count = n.to_string();
    let srv_pid = srv.id();
    let srv_watch = std::thread::spawn(move || {
        let mut peak = 0;
        while let Some(kib) = peak_kib(srv_pid) {
            peak = peak.max(kib);
            std::thread::sleep(Duration::from_millis(100));
        }
        peak
    });
    let (v, peak) = load(
        bin,
        &[
            &url,
            "--connections",
            &count,
            "--rate",
            "5000",
            "--duration",
            "12",
            "--send",
            "ping",
            "--every",
            "1000",
            "--expect",
            "ping",
        ],
    );
    let _ = srv.kill();
    let _ = srv.wait();
    let srv_peak = srv_watch.join().unwrap_or(0);
    let l = &v["latency_ms"];
    println!("held: {n} connections at 5000/s, ping every second for 12 s");
    println!(
        "  peak open {}, connected {}, failed {} {}",
        v["peak_open"], v["connected"], v["failed"], v["failures"]
    );
    println!(
        "  messages sent {}, received {}; latency ms p50 {} p90 {} p99 {} p99.9 {} max {}",
        v["messages"]["sent"],
        v["messages"]["received"],
        l["p50"],
        l["p90"],
        l["p99"],
        l["p999"],
        l["max"]
    );
    println!(
        "  sources {}; peak RSS: netassist load {:.1} MiB, netassist tcp-server {:.1} MiB",
        v["sources"],
        peak as f64 / 1024.0,
        srv_peak as f64 / 1024.0
    );
}
