//! The timed sender's accuracy, run with `cargo bench --bench sender`.
//!
//! Two workloads, 10,000 sends 1 ms apart and 1,000 sends 10 ms apart, each
//! sent to a loopback sink that timestamps every arrival:
//!
//! - the engine's timed send ([`Periodic`]) over UDP and over TCP;
//! - in the same run, two plain threads sending on a std UDP socket: one
//!   that sleeps until each deadline (`start + k * every`), the best a
//!   simple dedicated thread does, and one that sleeps `every` after each
//!   send (accumulated sleeps, as a frame- or timer-driven loop does).
//!
//! For each: sends received, total time (first deadline to last arrival)
//! against the ideal `(n - 1) * every`, and the p50/p99/max lateness of each
//! arrival after its deadline (which includes the loopback and the sink's
//! wake-up, so it is an upper bound on the sender's own lateness).
//! `cargo bench --bench sender -- quick` runs a tenth of each count.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use netassist::net::{
    Engine, Event, HostPort, Periodic, PeriodicEnd, SessionConfig, SessionHandle, Target,
};

/// How long the sink waits for a send that is overdue before giving up.
const OVERDUE: Duration = Duration::from_secs(2);

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let scale = if quick { 10 } else { 1 };
    println!("timed sends to a loopback sink (lateness = arrival - deadline)");
    println!(
        "{:<42} {:>13} {:>11} {:>10} {:>10} {:>10}",
        "sender", "received", "total/ideal", "p50", "p99", "max"
    );
    for (count, every_ms) in [(10_000 / scale, 1u64), (1_000 / scale, 10)] {
        let every = Duration::from_millis(every_ms);
        let label = |who: &str| format!("{who}, {count} x {every_ms} ms");
        report(&label("engine UDP"), count, every, engine_udp(count, every));
        report(&label("engine TCP"), count, every, engine_tcp(count, every));
        report(
            &label("thread, sleep to deadline"),
            count,
            every,
            plain(count, every, true),
        );
        report(
            &label("thread, sleep after send"),
            count,
            every,
            plain(count, every, false),
        );
    }
}

/// When the first send was due, and when each send arrived.
struct Arrivals {
    start: Instant,
    at: Vec<Instant>,
}

fn report(name: &str, count: usize, every: Duration, a: Arrivals) {
    let mut late: Vec<Duration> =
        a.at.iter()
            .zip(0u32..)
            .map(|(at, k)| at.saturating_duration_since(a.start + every * k))
            .collect();
    late.sort_unstable();
    let pick = |q: f64| {
        late.get(((late.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    let ideal = every * (count as u32 - 1);
    let total = a.at.last().map(|l| *l - a.start).unwrap_or_default();
    let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
    println!(
        "{name:<42} {:>6}/{:<6} {:>11.4} {:>10} {:>10} {:>10}",
        a.at.len(),
        count,
        total.as_secs_f64() / ideal.as_secs_f64(),
        ms(pick(0.5)),
        ms(pick(0.99)),
        ms(pick(1.0)),
    );
}

/// A UDP sink on loopback that timestamps `count` datagrams.
fn udp_sink(count: usize, every: Duration) -> (SocketAddr, JoinHandle<Vec<Instant>>) {
    let sink = UdpSocket::bind("127.0.0.1:0").expect("bind the sink");
    let addr = sink.local_addr().expect("sink address");
    let deadline = every * count as u32 + OVERDUE;
    let thread = std::thread::spawn(move || {
        let _ = sink.set_read_timeout(Some(deadline));
        let mut at = Vec::with_capacity(count);
        let mut buf = [0u8; 64];
        while at.len() < count && sink.recv_from(&mut buf).is_ok() {
            at.push(Instant::now());
        }
        at
    });
    (addr, thread)
}

/// Starts `n` sends of one byte through an open engine session and waits
/// for it to say they are done; returns when the first one was due.
fn run_periodic(engine: &Engine, h: &SessionHandle, count: usize, every: Duration) -> Instant {
    let start = Instant::now();
    let id = h
        .start_periodic(Periodic {
            count: Some(count as u64),
            ..Periodic::repeat(Target::Default, Bytes::from_static(b"t"), every)
        })
        .expect("start the timed send");
    let end = start + every * count as u32 + OVERDUE;
    while Instant::now() < end {
        if let Some(Event::PeriodicEnded { id: i, sent, why }) =
            engine.events().recv_timeout(Duration::from_millis(100))
            && i == id
        {
            assert_eq!((sent, why), (count as u64, PeriodicEnd::Done));
            break;
        }
    }
    start
}

fn opened(engine: &Engine) {
    loop {
        match engine.events().recv_timeout(OVERDUE) {
            Some(Event::Opened { .. }) => return,
            Some(Event::Error(e)) => panic!("{e}"),
            Some(_) => {}
            None => panic!("the session did not open"),
        }
    }
}

fn engine_udp(count: usize, every: Duration) -> Arrivals {
    let (to, sink) = udp_sink(count, every);
    let mut engine = Engine::new(Arc::new(|| {}));
    engine.open(SessionConfig::udp(
        "127.0.0.1:0".parse().expect("address"),
        Some(HostPort::new("127.0.0.1", to.port()).expect("remote")),
    ));
    opened(&engine);
    let h = engine.handle().expect("open session");
    let start = run_periodic(&engine, &h, count, every);
    Arrivals {
        start,
        at: sink.join().expect("sink"),
    }
}

fn engine_tcp(count: usize, every: Duration) -> Arrivals {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the sink");
    let port = listener.local_addr().expect("sink address").port();
    let sink = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let _ = s.set_nodelay(true);
        let mut at = Vec::with_capacity(count);
        let mut buf = [0u8; 4096];
        // One byte per send: a read that brings several marks each of them.
        while at.len() < count {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let now = Instant::now();
                    at.extend(std::iter::repeat_n(now, n));
                }
            }
        }
        at
    });
    let mut engine = Engine::new(Arc::new(|| {}));
    engine.open(SessionConfig::TcpClient {
        remote: HostPort::new("127.0.0.1", port).expect("remote"),
        bind: None,
        tls: None,
    });
    opened(&engine);
    let h = engine.handle().expect("open session");
    let start = run_periodic(&engine, &h, count, every);
    let at = sink.join().expect("sink");
    drop(engine);
    Arrivals { start, at }
}

/// A plain thread sending on a std socket: sleeping until each deadline, or
/// sleeping `every` after each send.
fn plain(count: usize, every: Duration, to_deadline: bool) -> Arrivals {
    let (to, sink) = udp_sink(count, every);
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let start = Instant::now();
    for k in 0..count as u32 {
        if to_deadline {
            let due = start + every * k;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        } else if k > 0 {
            std::thread::sleep(every);
        }
        let _ = socket.send_to(b"t", to);
    }
    Arrivals {
        start,
        at: sink.join().expect("sink"),
    }
}
