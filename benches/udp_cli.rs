//! The command line's UDP intake under a burst, run with `cargo bench --bench udp_cli`.
//!
//! A sender thread sends 300,000 unpaced 8-byte datagrams (each carries
//! its number) to the release binary, `netassist udp --bind 127.0.0.1:0
//! --hex` with stdout to a file; in the same run, the same burst goes to a
//! plain Rust receiver (a blocking `recv_from` loop on a std socket with
//! the same receive buffer). Each is run several times, interleaved.
//! Prints what each kept of what was sent, their ratio, and the datagrams
//! the kernel dropped at the socket (`/proc/net/udp`). Every line the
//! binary printed is checked: one datagram each, numbers rising.
//!
//! `cargo bench --bench udp_cli -- 3` runs three rounds.
//!
//! Goal: the command line keeps at least 0.97 × what the plain receiver keeps.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/udp.rs"]
mod udp;

use udp::{BURST, Kept, QUIET, SIZE, cpu_ns, proc_drops, range, raw_receiver, send_burst};

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let dir = std::env::temp_dir().join(format!("netassist-udp-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    println!(
        "== {BURST} unpaced {SIZE}-byte datagrams into `netassist udp --bind 127.0.0.1:0 --hex > FILE`, \
         beside a plain receiver; {rounds} rounds"
    );
    let mut raw = Vec::new();
    let mut cli = Vec::new();
    let mut cpu = Vec::new();
    for round in 1..=rounds {
        let r = raw_receiver(BURST);
        let (c, told) = command_line(BURST, &dir.join(format!("rx-{round}.txt")));
        println!(
            "round {round}: plain kept {:>7}/{} ({:.3}; system dropped {}; {:.2} µs CPU each; \
             the sender {:.2} µs each)",
            r.kept,
            r.sent,
            r.share(),
            shown(r.proc_drops),
            r.cpu_us_each(),
            r.sender_us_each(),
        );
        println!(
            "         netassist kept {:>7}/{} ({:.3}; system dropped {}; {:.2} µs CPU each; \
             the sender {:.2} µs each); ratio {:.3}",
            c.kept,
            c.sent,
            c.share(),
            shown(c.proc_drops),
            c.cpu_us_each(),
            c.sender_us_each(),
            c.share() / r.share()
        );
        println!("         stderr: {told}");
        raw.push(r.share());
        cli.push(c.share() / r.share());
        cpu.push(c.cpu_us_each() / r.cpu_us_each().max(1e-9));
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (lo, hi, mid) = range(&raw);
    println!("plain receiver kept:   {lo:.3} to {hi:.3} of sent (median {mid:.3})");
    let (lo, hi, mid) = range(&cli);
    println!("command line / plain:  {lo:.3} to {hi:.3} (median {mid:.3}; goal 0.97)");
    let (lo, hi, mid) = range(&cpu);
    println!("CPU per datagram, command line / plain: {lo:.2} to {hi:.2} (median {mid:.2})");
}

fn shown(n: Option<u64>) -> String {
    n.map_or_else(|| "?".to_string(), |n| n.to_string())
}

/// One burst into the release binary: what it kept, and what its stderr
/// said after "bound to …" (the buffer granted, drops counted).
fn command_line(n: u64, out: &std::path::Path) -> (Kept, String) {
    let file = std::fs::File::create(out).expect("the output file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_netassist"))
        .args(["udp", "--bind", "127.0.0.1:0", "--hex"])
        .stdin(Stdio::piped())
        .stdout(file)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netassist");
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    err.read_line(&mut line).expect("stderr");
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("bound to ")
        .and_then(|a| a.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let first = line.trim().to_string();
    let rest = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for l in err.lines().map_while(Result::ok) {
            lines.push(l);
        }
        lines
    });
    let pid = child.id().to_string();
    let cpu = cpu_ns(&pid, "");
    let sender = send_burst(addr, n);
    let start = Instant::now();
    let mut last = (0u64, Instant::now());
    loop {
        std::thread::sleep(Duration::from_millis(20));
        let len = std::fs::metadata(out).map_or(0, |m| m.len());
        if len != last.0 {
            last = (len, Instant::now());
        } else if sender.is_finished() && last.1.elapsed() >= QUIET {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(300), "stalled");
    }
    let cpu_ns = cpu_ns(&pid, "") - cpu;
    let (sent, sender_cpu_ns) = sender.join().expect("sender");
    let drops = proc_drops(addr);
    let _ = child.kill();
    let _ = child.wait();
    let said = rest.join().unwrap_or_default();
    let text = std::fs::read_to_string(out).expect("the output");
    let mut kept = 0u64;
    let mut prev: Option<u64> = None;
    for l in text.lines() {
        let hex = l
            .split_once("] ")
            .map(|(_, h)| h)
            .unwrap_or_else(|| panic!("not a datagram line: {l:?}"));
        let bytes: Vec<u8> = hex
            .split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).expect("hex"))
            .collect();
        let seq = udp::number(&bytes).expect("every line is one 8-byte datagram");
        assert!(prev.is_none_or(|p| seq > p), "datagrams out of order");
        prev = Some(seq);
        kept += 1;
    }
    let told = std::iter::once(first)
        .chain(said)
        .collect::<Vec<_>>()
        .join(" | ");
    (
        Kept {
            sent,
            kept,
            proc_drops: drops,
            rcvbuf: 0,
            cpu_ns,
            sender_cpu_ns,
        },
        told,
    )
}
