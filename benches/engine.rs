//! Engine benchmarks, run with `cargo bench --bench engine`.
//!
//! 1. TCP ingest: bytes/s from one loopback client through the engine and
//!    the record store, beside a plain read-and-discard sink in the same run.
//! 2. 10,000 concurrent clients, each sending one message, against the
//!    engine's event loop and against a thread-per-client server: wall time,
//!    peak memory, and a check that every message reached the right peer.
//!
//! Each measured server runs in a child process of its own so peak memory
//! (VmHWM) belongs to that server alone, and clients run in another child so
//! neither side hits the per-process file limit.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use netassist::net::{Engine, Event, SessionConfig};
use netassist::records::{RecordStore, StoreConfig};

#[path = "support/tcp.rs"]
mod tcp;
use tcp::{blast, plain_sink};

const INGEST_BYTES: usize = 512 << 20;
const ROUNDS: usize = 9;
const CLIENTS: usize = 10_000;

fn main() {
    raise_fd_limit();
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("child-clients") => {
            return child_clients(&args[2], args[3].parse().unwrap_or(CLIENTS));
        }
        Some("child-server") => return child_server(&args[2], args[3].parse().unwrap_or(CLIENTS)),
        _ => {}
    }
    let filter = args.iter().skip(1).find(|a| !a.starts_with('-')).cloned();
    let want = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    if want("ingest") {
        ingest();
    }
    if want("clients") {
        many_clients();
    }
}

fn raise_fd_limit() {
    #[cfg(unix)]
    {
        let _ = rlimit::increase_nofile_limit(u64::MAX);
    }
}

/// An engine listening on a free loopback port.
fn open_server() -> (Engine, SocketAddr) {
    let mut engine = Engine::new(Arc::new(|| {}));
    engine.open(SessionConfig::TcpServer {
        bind: "127.0.0.1:0".parse().unwrap(),
        tls: None,
    });
    loop {
        match engine.events().recv_timeout(Duration::from_secs(5)) {
            Some(Event::Opened { local, .. }) => return (engine, local),
            Some(Event::Error(e)) => panic!("cannot listen: {e}"),
            Some(_) => {}
            None => panic!("the engine did not open"),
        }
    }
}

/// The engine's TCP server plus the record store, as the window uses them
/// (`keep` false: events are taken but not kept, to show the store's share).
fn engine_ingest(keep: bool) -> f64 {
    let (engine, local) = open_server();
    let mut store = RecordStore::new(StoreConfig::default());
    let start = Instant::now();
    let writer = blast(local, INGEST_BYTES as u64);
    let mut got = 0;
    while got < INGEST_BYTES {
        match engine.events().recv_timeout(Duration::from_secs(10)) {
            Some(Event::Received {
                addr, time, data, ..
            }) => {
                got += data.len();
                if keep {
                    store.push_rx(time, addr, data);
                }
            }
            Some(_) => {}
            None => panic!("ingest stalled at {got} bytes"),
        }
    }
    let rate = got as f64 / start.elapsed().as_secs_f64();
    writer.join().unwrap();
    assert!(store.payload_bytes() <= StoreConfig::default().max_payload_bytes);
    rate
}

fn ingest() {
    println!(
        "== TCP ingest, {} MiB per round, {ROUNDS} rounds (median)",
        INGEST_BYTES >> 20
    );
    let mut plain = Vec::new();
    let mut eng = Vec::new();
    let mut bare = Vec::new();
    for _ in 0..ROUNDS {
        plain.push(plain_sink(INGEST_BYTES as u64));
        eng.push(engine_ingest(true));
        bare.push(engine_ingest(false));
    }
    let (p, e, b) = (median(&mut plain), median(&mut eng), median(&mut bare));
    println!("plain read-and-discard sink : {:8.1} MiB/s", p / 1048576.0);
    println!("engine + record store       : {:8.1} MiB/s", e / 1048576.0);
    println!("engine, events not kept     : {:8.1} MiB/s", b / 1048576.0);
    println!("ratio engine+store/plain    : {:8.2}", e / p);
    println!("ratio engine alone/plain    : {:8.2}", b / p);
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn many_clients() {
    println!("== {CLIENTS} concurrent clients, one message each");
    for kind in ["engine", "threads"] {
        let exe = std::env::current_exe().unwrap();
        let mut server = Command::new(&exe)
            .args(["child-server", kind, &CLIENTS.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn server");
        let mut out = BufReader::new(server.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("ADDR ")
            .expect("server address")
            .to_string();
        let clients = Command::new(&exe)
            .args(["child-clients", &addr, &CLIENTS.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn clients");
        let mut report = String::new();
        out.read_to_string(&mut report).unwrap();
        let clients = clients.wait_with_output().unwrap();
        let _ = server.wait();
        let map: HashMap<u16, usize> = String::from_utf8_lossy(&clients.stdout)
            .lines()
            .filter_map(|l| {
                let (port, i) = l.split_once(' ')?;
                Some((port.parse().ok()?, i.parse().ok()?))
            })
            .collect();
        let mut ok = 0;
        let mut summary = String::new();
        for l in report.lines() {
            if let Some((port, msg)) = l.strip_prefix("MSG ").and_then(|r| r.split_once(' ')) {
                let port: u16 = port.parse().unwrap_or(0);
                if map.get(&port).is_some_and(|i| msg == format!("client-{i}")) {
                    ok += 1;
                }
            } else {
                summary.push_str(l);
                summary.push('\n');
            }
        }
        print!("{kind:8}: {summary}");
        println!("{kind:8}: {ok}/{CLIENTS} messages received and attributed to the right peer");
    }
}

/// Child: opens `n` connections to `addr`, each sends `client-i`, then keeps
/// them all open until the server has everything; prints `port i` lines.
fn child_clients(addr: &str, n: usize) {
    let addr: SocketAddr = addr.parse().unwrap();
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        let mut c = loop {
            match TcpStream::connect(addr) {
                Ok(c) => break c,
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        c.write_all(format!("client-{i}\n").as_bytes()).unwrap();
        conns.push((c.local_addr().unwrap().port(), i, c));
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (port, i, _) in &conns {
        writeln!(out, "{port} {i}").unwrap();
    }
    out.flush().unwrap();
    // Wait for the server to close each connection (it does when done).
    for (_, _, c) in &mut conns {
        let mut b = [0u8; 1];
        let _ = c.set_read_timeout(Some(Duration::from_secs(60)));
        let _ = c.read(&mut b);
    }
}

/// Child: one server of the given kind; prints `ADDR`, then `MSG port text`
/// lines, then its wall time and peak memory.
fn child_server(kind: &str, n: usize) {
    let (addr, rx) = match kind {
        "engine" => engine_server(),
        _ => thread_server(),
    };
    println!("ADDR {addr}");
    let mut got: Vec<(u16, String)> = Vec::with_capacity(n);
    let mut start = None;
    while got.len() < n {
        let Ok((port, msg)) = rx.recv_timeout(Duration::from_secs(60)) else {
            break;
        };
        start.get_or_insert_with(Instant::now);
        got.push((port, msg));
    }
    let wall = start.map(|s| s.elapsed()).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    for (port, msg) in &got {
        writeln!(out, "MSG {port} {msg}").unwrap();
    }
    writeln!(
        out,
        "wall {:.2} s from first to last message, peak memory {} MiB, {} threads",
        wall.as_secs_f64(),
        peak_rss_kib() / 1024,
        threads()
    )
    .unwrap();
    out.flush().unwrap();
    std::process::exit(0);
}

type Msgs = crossbeam_channel::Receiver<(u16, String)>;

fn engine_server() -> (SocketAddr, Msgs) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let (engine, local) = open_server();
    std::thread::spawn(move || {
        let mut store = RecordStore::new(StoreConfig::default());
        let mut peers: HashMap<SocketAddr, Vec<u8>> = HashMap::new();
        loop {
            match engine.events().recv_timeout(Duration::from_secs(60)) {
                Some(Event::Received { addr, data, .. }) => {
                    store.push_rx(SystemTime::now(), addr, data.clone());
                    let buf = peers.entry(addr).or_default();
                    buf.extend_from_slice(&data);
                    if buf.ends_with(b"\n") {
                        let msg = String::from_utf8_lossy(buf).trim_end().to_string();
                        let _ = tx.send((addr.port(), msg));
                    }
                }
                Some(_) => {}
                None => return,
            }
        }
    });
    (local, rx)
}

/// The alternative design: one blocking thread per client.
fn thread_server() -> (SocketAddr, Msgs) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let local = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let tx = tx.clone();
            let spawned = std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || {
                    let port = s.peer_addr().map(|a| a.port()).unwrap_or(0);
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.ends_with(b"\n") {
                        match s.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let msg = String::from_utf8_lossy(&buf).trim_end().to_string();
                    let _ = tx.send((port, msg));
                    let _ = s.read(&mut chunk);
                });
            if spawned.is_err() {
                eprintln!("thread-per-client: cannot spawn more threads");
            }
        }
    });
    (local, rx)
}

fn proc_status(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn peak_rss_kib() -> u64 {
    proc_status("VmHWM:")
}

fn threads() -> u64 {
    proc_status("Threads:")
}
