//! A flood into a session whose rule answers every chunk an hour later,
//! run with `cargo bench --bench replies`.
//!
//! Each chunk queues a reply that waits an hour: without a bound, memory
//! would grow with the flood. The session's scheduler holds at most a
//! share of the memory budget in waiting replies and drops the oldest
//! beyond it, counting them. Beside it, in the same run, the same flood
//! into a session without rules is the baseline.
//!
//! Goal: resident memory over idle stays within the budget plus 64 MiB,
//! and the dropped replies are counted (the status bar shows the count).

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;

use netassist::automation::{AnswerMode, ResponderSettings, Rule};
use netassist::net::SessionConfig;
use netassist::session::{Budget, LinkState, Session};
use support::rss_kib;

const MIB: u64 = 1 << 20;
const BUDGET: usize = 256 << 20;
const FLOOD: u64 = 2 << 30;

fn main() {
    let idle = rss_kib();
    println!("idle RSS {} MiB; budget {} MiB", idle >> 10, BUDGET >> 20);
    let plain = flood(false);
    let delayed = flood(true);
    println!(
        "no rules:          {:>6.0} MiB/s, peak RSS over idle {:>4} MiB",
        plain.rate / MIB as f64,
        plain.peak_kib.saturating_sub(idle) >> 10
    );
    println!(
        "delayed echo rule: {:>6.0} MiB/s ({:.2} x), peak RSS over idle {:>4} MiB, replies waiting {}, dropped {}",
        delayed.rate / MIB as f64,
        delayed.rate / plain.rate,
        delayed.peak_kib.saturating_sub(idle) >> 10,
        delayed.waiting,
        delayed.dropped
    );
    let limit = (BUDGET as u64 >> 10) + (64 << 10);
    let over = delayed.peak_kib.saturating_sub(idle);
    println!(
        "goal: RSS over idle <= budget + 64 MiB = {} MiB: {}",
        limit >> 10,
        if over <= limit { "met" } else { "NOT met" }
    );
    assert!(delayed.dropped > 0, "the flood must overflow the replies");
}

struct Outcome {
    rate: f64,
    peak_kib: u64,
    waiting: usize,
    dropped: u64,
}

/// Sends `FLOOD` bytes into a fresh server session; with `delayed`, a rule
/// echoes every chunk after an hour.
fn flood(delayed: bool) -> Outcome {
    let budget = Budget::new(BUDGET);
    let session = Session::new(&budget, Arc::new(|| {}));
    if delayed {
        let rule = Rule {
            delay_ms: 3_600_000,
            ..Rule::echo()
        };
        session.set_rules(
            vec![rule],
            ResponderSettings {
                answer: AnswerMode::First,
                ..ResponderSettings::default()
            },
        );
    }
    session.open(SessionConfig::tcp_server("127.0.0.1:0".parse().unwrap()));
    let addr = wait_open(&session);
    let start = Instant::now();
    let writer = std::thread::spawn(move || {
        let mut c = TcpStream::connect(addr).expect("connect");
        let block = vec![b'Z'; 64 * 1024];
        let mut sent = 0u64;
        while sent < FLOOD {
            c.write_all(&block).expect("write");
            sent += block.len() as u64;
        }
    });
    let mut peak = 0;
    loop {
        peak = peak.max(rss_kib());
        let received = session.log().counters().rx_bytes;
        if received >= FLOOD {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let rate = FLOOD as f64 / start.elapsed().as_secs_f64();
    writer.join().expect("writer");
    peak = peak.max(rss_kib());
    let status = session.log().automation().clone();
    Outcome {
        rate,
        peak_kib: peak,
        waiting: status.waiting,
        dropped: status.dropped,
    }
}

fn wait_open(session: &Session) -> SocketAddr {
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        if let LinkState::Open(_, local) = session.log().link() {
            return local;
        }
        assert!(Instant::now() < end, "the server did not open");
        std::thread::sleep(Duration::from_millis(5));
    }
}
