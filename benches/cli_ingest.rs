//! The command line's ingest, run with `cargo bench --bench cli_ingest`.
//!
//! One loopback client sends 1 GiB to `netassist tcp-server` (the release
//! binary, stdout to /dev/null) with `--raw`, `--hex` and plain text, and,
//! in the same run, to a plain Rust read-and-discard sink (the baseline).
//! Each is run five times, interleaved; the medians are compared.
//!
//! `cargo bench --bench cli_ingest -- raw` runs one kind only; a size in
//! MiB may follow (`-- raw 256`). With `NETASSIST_OTHER=/path/to/netassist`
//! set, that binary (another build, say the last release) runs each kind
//! too, in the same rounds.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Instant;

#[path = "support/tcp.rs"]
mod tcp;
use tcp::{blast, plain_sink};

const ROUNDS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let only = args.first().cloned();
    let mib: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1024);
    let total = mib << 20;
    let all: [(&str, &[&str]); 3] = [("raw", &["--raw"]), ("hex", &["--hex"]), ("text", &[])];
    let kinds: Vec<(&str, &[&str])> = all
        .into_iter()
        .filter(|(name, _)| only.as_deref().is_none_or(|o| o == *name))
        .collect();
    let ours_bin = env!("CARGO_BIN_EXE_netassist").to_string();
    let other = std::env::var("NETASSIST_OTHER").ok();
    let bins: Vec<(&str, String)> = std::iter::once(("this build", ours_bin))
        .chain(other.map(|o| ("NETASSIST_OTHER", o)))
        .collect();
    let mut sink = Vec::new();
    let mut ours: Vec<Vec<f64>> = vec![Vec::new(); kinds.len() * bins.len()];
    for _ in 0..ROUNDS {
        sink.push(plain_sink(total));
        for (b, (_, bin)) in bins.iter().enumerate() {
            for (i, (_, flags)) in kinds.iter().enumerate() {
                ours[b * kinds.len() + i].push(netassist(bin, total, flags));
            }
        }
    }
    let sink_mid = median(&mut sink);
    println!(
        "{mib} MiB over loopback, median of {ROUNDS}; plain sink {:.0} MiB/s",
        sink_mid / (1 << 20) as f64
    );
    for (b, (which, _)) in bins.iter().enumerate() {
        for (i, (name, _)) in kinds.iter().enumerate() {
            let runs = &mut ours[b * kinds.len() + i];
            let mid = median(runs);
            let ratios: Vec<String> = runs
                .iter()
                .zip(&sink)
                .map(|(o, s)| format!("{:.2}", o / s))
                .collect();
            println!(
                "{which:<15} tcp-server --{name:<4} {:>6.0} MiB/s  {:.2} x the sink (rounds: {})",
                mid / (1 << 20) as f64,
                mid / sink_mid,
                ratios.join(" ")
            );
        }
    }
}

fn median(v: &mut [f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

/// The release binary as a server with `flags`, stdout to /dev/null, until
/// it has received `total` bytes; bytes per second.
fn netassist(bin: &str, total: u64, flags: &[&str]) -> f64 {
    let mut child = Command::new(bin)
        .args(["tcp-server", "--bind", "127.0.0.1:0", "--exit-after-bytes"])
        .arg(total.to_string())
        .args(flags)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netassist");
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let start = Instant::now();
    let writer = blast(addr, total);
    let status = child.wait().expect("netassist ends");
    let rate = total as f64 / start.elapsed().as_secs_f64();
    assert!(status.success(), "netassist failed: {status}");
    let _ = writer.join();
    rate
}
