//! Relay throughput, run with `cargo bench --bench relay`: 1 GiB from one
//! loopback client through a relay to a server that reads and discards,
//! through the engine's TCP relay (its events taken and dropped, as a
//! consumer that keeps up would) and through socat
//! (`socat TCP-LISTEN:PORT,reuseaddr TCP:127.0.0.1:TARGET`, its default
//! 8 KiB buffer; and once more with `-b 65536`, the engine's read size),
//! rounds alternating in the same run. The figure is from the client's
//! connect to the server's end of stream. `cargo bench --bench relay 256`
//! moves 256 MiB a round instead; `engine` leaves socat out (for profiling).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use netassist::net::{Engine, Faults, HostPort, RelayConfig, SessionConfig};

const ROUNDS: usize = 5;
const BLOCK: usize = 256 * 1024;

fn main() {
    let mib: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1024);
    let bytes = mib << 20;
    let only_engine = std::env::args().any(|a| a == "engine");
    let socat = !only_engine && Command::new("socat").arg("-V").output().is_ok();
    println!(
        "== TCP relay, {mib} MiB per round, {ROUNDS} rounds (median), alternating{}",
        if socat { "" } else { " (socat not found)" }
    );
    let mut engine = Vec::new();
    let mut plain = Vec::new();
    let mut big = Vec::new();
    for round in 0..ROUNDS {
        let e = through_engine(bytes);
        engine.push(e);
        let mut line = format!("round {round}: engine {:7.1}", e / 1048576.0);
        if socat {
            let s = through_socat(bytes, None);
            let b = through_socat(bytes, Some(65536));
            plain.push(s);
            big.push(b);
            line += &format!(
                "   socat {:7.1}   socat -b 65536 {:7.1}",
                s / 1048576.0,
                b / 1048576.0
            );
        }
        println!("{line} MiB/s");
    }
    let e = median(&mut engine);
    println!("engine relay        : {:8.1} MiB/s", e / 1048576.0);
    if socat {
        let (s, b) = (median(&mut plain), median(&mut big));
        println!(
            "socat               : {:8.1} MiB/s   engine/socat = {:.2}",
            s / 1048576.0,
            e / s
        );
        println!(
            "socat -b 65536      : {:8.1} MiB/s   engine/socat = {:.2}",
            b / 1048576.0,
            e / b
        );
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A server that reads and discards until the end of stream; it gives the
/// count and when the end came.
fn sink() -> (SocketAddr, thread::JoinHandle<(usize, Instant)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let mut buf = vec![0u8; BLOCK];
        let mut got = 0;
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) => panic!("server read: {e}"),
            }
        }
        (got, Instant::now())
    });
    (addr, handle)
}

/// Connects (trying again while the relay is not listening yet) and sends
/// `bytes`, then finishes; gives when the connect succeeded.
fn source(relay: SocketAddr, bytes: usize) -> thread::JoinHandle<Instant> {
    thread::spawn(move || {
        let end = Instant::now() + Duration::from_secs(10);
        let mut c = loop {
            match TcpStream::connect(relay) {
                Ok(c) => break c,
                Err(e) if Instant::now() < end => {
                    let _ = e;
                    thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!("connect: {e}"),
            }
        };
        let start = Instant::now();
        let block = vec![0x5au8; BLOCK];
        let mut sent = 0;
        while sent < bytes {
            let n = BLOCK.min(bytes - sent);
            c.write_all(&block[..n]).expect("client write");
            sent += n;
        }
        c.shutdown(std::net::Shutdown::Write).expect("shutdown");
        // Wait for the relay's end, as a client that reads the answer does.
        let mut rest = Vec::new();
        let _ = c.read_to_end(&mut rest);
        start
    })
}

fn rate(bytes: usize, start: Instant, end: Instant, got: usize) -> f64 {
    assert_eq!(got, bytes, "every byte arrived");
    bytes as f64 / end.duration_since(start).as_secs_f64()
}

fn through_engine(bytes: usize) -> f64 {
    let (target, server) = sink();
    let mut engine = Engine::new(Arc::new(|| {}));
    engine.open(SessionConfig::Relay(Box::new(RelayConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        target: HostPort::new("127.0.0.1", target.port()).expect("target"),
        udp: false,
        faults: Faults::default(),
        udp_idle: Duration::from_secs(60),
        tls_listen: None,
        tls_upstream: None,
        rewrite: None,
    })));
    let relay = loop {
        match engine.events().recv_timeout(Duration::from_secs(5)) {
            Some(netassist::net::Event::Opened { local, .. }) => break local,
            Some(netassist::net::Event::Error(e)) => panic!("relay: {e}"),
            Some(_) => {}
            None => panic!("the relay did not open"),
        }
    };
    let client = source(relay, bytes);
    // The consumer: take every event and drop it.
    while !server.is_finished() {
        let _ = engine.events().recv_timeout(Duration::from_millis(5));
    }
    let (got, end) = server.join().expect("server");
    let start = client.join().expect("client");
    engine.close();
    rate(bytes, start, end, got)
}

/// A free loopback port (bound, then let go).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn through_socat(bytes: usize, buffer: Option<usize>) -> f64 {
    let (target, server) = sink();
    let port = free_port();
    let mut cmd = Command::new("socat");
    if let Some(b) = buffer {
        cmd.args(["-b", &b.to_string()]);
    }
    cmd.arg(format!("TCP-LISTEN:{port},reuseaddr,bind=127.0.0.1"))
        .arg(format!("TCP:127.0.0.1:{}", target.port()))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child: Child = cmd.spawn().expect("socat");
    let client = source(SocketAddr::from(([127, 0, 0, 1], port)), bytes);
    let (got, end) = server.join().expect("server");
    let start = client.join().expect("client");
    let _ = child.wait();
    rate(bytes, start, end, got)
}
