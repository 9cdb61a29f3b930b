//! What the UDP intake benchmarks share: an unpaced burst of small
//! numbered datagrams from a sender thread, the baseline receiver (a
//! blocking `recv` loop on a std socket), and checks of what was kept.

#![allow(dead_code)]

use std::net::{SocketAddr, UdpSocket};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use socket2::SockRef;

/// Datagrams in one burst.
pub const BURST: u64 = 300_000;
/// Bytes in each: the datagram's number, little-endian.
pub const SIZE: usize = 8;
/// The receive buffer every receiver asks for.
pub const RCVBUF: usize = 4 << 20;
/// A receiver that has heard nothing for this long after the sender
/// finished has everything it will get.
pub const QUIET: Duration = Duration::from_millis(400);

/// Sends `n` datagrams numbered 0..n to `to`, as fast as the system takes
/// them; gives how many `send_to` accepted, and the sender's CPU time in
/// nanoseconds.
pub fn send_burst(to: SocketAddr, n: u64) -> JoinHandle<(u64, u64)> {
    std::thread::spawn(move || {
        let s = UdpSocket::bind("127.0.0.1:0").expect("bind the sender");
        let cpu = this_thread_cpu_ns();
        let mut sent = 0;
        for i in 0..n {
            if s.send_to(&i.to_le_bytes(), to).is_ok() {
                sent += 1;
            }
        }
        (sent, this_thread_cpu_ns() - cpu)
    })
}

/// What one receiver kept of a burst.
#[derive(Debug, Clone, Copy)]
pub struct Kept {
    /// Datagrams the sender's `send_to` accepted.
    pub sent: u64,
    /// Datagrams the receiver kept.
    pub kept: u64,
    /// Datagrams the kernel dropped at the receiving socket, as
    /// `/proc/net/udp` counts them (Linux), for every receiver alike.
    pub proc_drops: Option<u64>,
    /// The receive buffer the system granted (as `SO_RCVBUF` reads back).
    pub rcvbuf: usize,
    /// CPU time the receiving side used for the burst, in nanoseconds.
    pub cpu_ns: u64,
    /// CPU time the sender used for it, in nanoseconds.
    pub sender_cpu_ns: u64,
}

impl Kept {
    /// Kept over sent.
    pub fn share(&self) -> f64 {
        self.kept as f64 / self.sent.max(1) as f64
    }

    /// The receiving side's CPU time per datagram kept, in microseconds.
    pub fn cpu_us_each(&self) -> f64 {
        self.cpu_ns as f64 / 1e3 / self.kept.max(1) as f64
    }

    /// The sender's CPU time per datagram sent, in microseconds.
    pub fn sender_us_each(&self) -> f64 {
        self.sender_cpu_ns as f64 / 1e3 / self.sent.max(1) as f64
    }
}

/// The baseline: a blocking `recv_from` loop on a std socket with the same
/// receive buffer, counting datagrams until the burst is over.
/// `NETASSIST_BENCH_RCVBUF=BYTES` makes it ask for another size (212992 is
/// Linux's usual default), to see what the buffer alone does.
pub fn raw_receiver(n: u64) -> Kept {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind the receiver");
    let want = std::env::var("NETASSIST_BENCH_RCVBUF")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(RCVBUF);
    let _ = SockRef::from(&sock).set_recv_buffer_size(want);
    let rcvbuf = SockRef::from(&sock).recv_buffer_size().unwrap_or(0);
    let addr = sock.local_addr().expect("local address");
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let cpu = this_thread_cpu_ns();
    let sender = send_burst(addr, n);
    let mut buf = [0u8; 2048];
    let mut kept = 0u64;
    let mut last = 0u64;
    let mut in_order = true;
    let mut quiet_since: Option<Instant> = None;
    loop {
        match sock.recv_from(&mut buf) {
            Ok((len, _)) => {
                quiet_since = None;
                let seq = number(&buf[..len]);
                in_order &= kept == 0 || seq.is_some_and(|s| s > last);
                last = seq.unwrap_or(last);
                kept += 1;
            }
            Err(_) => {
                if sender.is_finished() {
                    let since = *quiet_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= QUIET {
                        break;
                    }
                }
            }
        }
    }
    let cpu_ns = this_thread_cpu_ns() - cpu;
    assert!(in_order, "the raw receiver saw datagrams out of order");
    let (sent, sender_cpu_ns) = sender.join().expect("sender");
    Kept {
        sent,
        kept,
        proc_drops: proc_drops(addr),
        rcvbuf,
        cpu_ns,
        sender_cpu_ns,
    }
}

/// The number a datagram of the burst carries.
pub fn number(datagram: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(datagram.try_into().ok()?))
}

/// Datagrams dropped at the socket bound to `addr`, from `/proc/net/udp`
/// (the `drops` column); `None` where there is no such file or line.
pub fn proc_drops(addr: SocketAddr) -> Option<u64> {
    let file = if addr.is_ipv4() {
        "/proc/net/udp"
    } else {
        "/proc/net/udp6"
    };
    let text = std::fs::read_to_string(file).ok()?;
    let port = format!(":{:04X}", addr.port());
    text.lines().skip(1).find_map(|line| {
        let mut cols = line.split_whitespace();
        let local = cols.nth(1)?;
        if !local.ends_with(&port) {
            return None;
        }
        line.split_whitespace().last()?.parse().ok()
    })
}

/// Lowest, highest and median of `v`.
pub fn range(v: &[f64]) -> (f64, f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    (s[0], s[s.len() - 1], s[s.len() / 2])
}

/// CPU time in nanoseconds that the threads of process `pid` (`"self"` or
/// a number) whose names start with `prefix` have used so far, from
/// `/proc/PID/task/*/schedstat` (Linux; 0 elsewhere).
pub fn cpu_ns(pid: &str, prefix: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|c| c.trim_end().starts_with(prefix))
        })
        .filter_map(|t| schedstat(&t.path().join("schedstat")))
        .sum()
}

/// CPU time in nanoseconds this thread has used so far (Linux; 0 elsewhere).
pub fn this_thread_cpu_ns() -> u64 {
    schedstat(std::path::Path::new("/proc/thread-self/schedstat")).unwrap_or(0)
}

fn schedstat(path: &std::path::Path) -> Option<u64> {
    std::fs::read_to_string(path)
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
