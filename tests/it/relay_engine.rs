//! Loopback tests of the relay sessions (TCP and UDP), through the
//! engine's public API: std sockets play the clients and the target
//! server, the engine relays between them.
//!
//! Every wait has a deadline and waits for a condition (an event, bytes on
//! a socket), never for a fixed time; the few "nothing more comes" checks
//! give the relay a generous moment first. Ports are picked by the OS.

use std::io::{ErrorKind as IoKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use netassist::net::{
    CloseReason, Delay, EndAfter, EndHow, Engine, ErrorKind, Event, FaultEvent, Faults, Flow,
    HostPort, PeerId, RelayConfig, Resolver, SessionConfig, Slice, Target,
};

const WAIT: Duration = Duration::from_secs(20);

fn config(target: SocketAddr, udp: bool, faults: Faults) -> RelayConfig {
    RelayConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        target: HostPort::new("127.0.0.1", target.port()).unwrap(),
        udp,
        faults,
        udp_idle: Duration::from_secs(60),
        tls_listen: None,
        tls_upstream: None,
        rewrite: None,
    }
}

/// A listening target server on loopback (a deep backlog).
fn target_server() -> (TcpListener, SocketAddr) {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    s.listen(4096).unwrap();
    let listener: TcpListener = s.into();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// The target's side of the next pair.
fn accept(server: &TcpListener) -> TcpStream {
    let (s, _) = server.accept().unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s
}

fn connect(addr: SocketAddr) -> TcpStream {
    let c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(WAIT)).unwrap();
    c
}

fn read_exact(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    s.read_exact(&mut buf).unwrap();
    buf
}

fn read_to_fin(s: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    s.read_to_end(&mut rest)
        .expect("an orderly end of stream (FIN), not an error");
    rest
}

/// Reads until the connection is reset, giving what came before.
fn read_to_reset(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => panic!("a FIN after {got:?}, not a reset"),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == IoKind::ConnectionReset => return got,
            Err(e) => panic!("{e} after {got:?}, not a reset"),
        }
    }
}

/// Nothing arrives on `s` for a moment.
fn nothing_more(s: &mut TcpStream) {
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Err(e) if matches!(e.kind(), IoKind::WouldBlock | IoKind::TimedOut) => {}
        other => panic!("expected nothing, got {other:?}"),
    }
    s.set_read_timeout(Some(WAIT)).unwrap();
}

fn set_linger_zero(s: &TcpStream) {
    socket2::SockRef::from(s)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
}

/// Bytes of the `Relayed` events in `seen` going `flow`, in order.
fn relayed(seen: &[Event], flow: Flow) -> Vec<u8> {
    let mut out = Vec::new();
    for ev in seen {
        if let Event::Relayed { flow: f, data, .. } = ev
            && *f == flow
        {
            out.extend_from_slice(data);
        }
    }
    out
}

fn faults_fired(seen: &[Event]) -> Vec<(Flow, FaultEvent)> {
    seen.iter()
        .filter_map(|ev| match ev {
            Event::FaultFired { flow, fault, .. } => Some((*flow, fault.clone())),
            _ => None,
        })
        .collect()
}

/// A relay session and the events it has given so far.
struct Relay {
    engine: Engine,
    addr: SocketAddr,
    seen: Vec<Event>,
}

impl Relay {
    fn open(config: RelayConfig) -> Relay {
        let mut engine = Engine::new(Arc::new(|| {}));
        engine.open(SessionConfig::Relay(Box::new(config)));
        let mut relay = Relay {
            engine,
            addr: "0.0.0.0:0".parse().unwrap(),
            seen: Vec::new(),
        };
        relay.addr = relay.wait("Opened", |ev| match ev {
            Event::Opened { local, .. } => Some(*local),
            Event::Error(e) => panic!("open failed: {e}"),
            _ => None,
        });
        relay
    }

    fn tail(&self) -> String {
        let from = self.seen.len().saturating_sub(20);
        self.seen[from..]
            .iter()
            .map(|ev| {
                let mut s = format!("{ev:?}");
                s.truncate(160);
                s
            })
            .collect::<Vec<_>>()
            .join("\n  ")
    }

    /// Takes new events (keeping them) until `pick` gives a value.
    fn wait<T>(&mut self, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
        let end = Instant::now() + WAIT;
        while Instant::now() < end {
            if let Some(ev) = self.engine.events().recv_timeout(Duration::from_millis(20)) {
                let got = pick(&ev);
                self.seen.push(ev);
                if let Some(v) = got {
                    return v;
                }
            }
        }
        panic!(
            "timed out waiting for {what}; last events:\n  {}",
            self.tail()
        );
    }

    /// Takes events (keeping them) until `done` holds for all seen so far.
    fn until(&mut self, what: &str, done: impl Fn(&[Event]) -> bool) {
        let end = Instant::now() + WAIT;
        while !done(&self.seen) {
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}; last events:\n  {}",
                self.tail()
            );
            if let Some(ev) = self.engine.events().recv_timeout(Duration::from_millis(20)) {
                self.seen.push(ev);
            }
        }
    }

    /// Takes events without keeping them, each to `each`, until `done`
    /// (as a consumer that keeps up would), failing after `limit`.
    fn pump(&mut self, limit: Duration, done: impl Fn() -> bool, mut each: impl FnMut(&Event)) {
        let end = Instant::now() + limit;
        while !done() {
            assert!(Instant::now() < end, "timed out pumping events");
            if let Some(ev) = self.engine.events().recv_timeout(Duration::from_millis(10)) {
                each(&ev);
            }
        }
    }

    fn connected(&mut self) -> (PeerId, SocketAddr) {
        self.wait("Connected", |ev| match ev {
            Event::Connected { peer, addr, .. } => Some((*peer, *addr)),
            _ => None,
        })
    }

    fn upstream_connected(&mut self) -> (PeerId, SocketAddr, SocketAddr) {
        self.wait("UpstreamConnected", |ev| match ev {
            Event::UpstreamConnected { peer, addr, local } => Some((*peer, *addr, *local)),
            Event::UpstreamFailed { error, .. } => panic!("upstream failed: {error}"),
            _ => None,
        })
    }

    fn closed_leg(&mut self, leg: SocketAddr) -> CloseReason {
        self.wait("PeerClosed", |ev| match ev {
            Event::PeerClosed { addr, how, .. } if *addr == leg => Some(how.clone()),
            _ => None,
        })
    }

    /// A client connected through the relay, and the target's side of it.
    fn pair(&mut self, server: &TcpListener) -> (TcpStream, TcpStream, PeerId) {
        let client = connect(self.addr);
        let upstream = accept(server);
        let (peer, addr) = self.connected();
        assert_eq!(addr, client.local_addr().unwrap());
        let (up_peer, _, local) = self.upstream_connected();
        assert_eq!(up_peer, peer);
        assert_eq!(local, upstream.peer_addr().unwrap());
        (client, upstream, peer)
    }
}

// ---------------------------------------------------------------------------
// TCP
// ---------------------------------------------------------------------------

#[test]
fn bytes_go_both_ways_exactly_and_are_reported() {
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, Faults::default()));
    let mut client = connect(r.addr);
    let client_addr = client.local_addr().unwrap();
    let mut up = accept(&server);
    let (peer, addr) = r.connected();
    assert_eq!(addr, client_addr);
    let (_, up_addr, up_local) = r.upstream_connected();
    assert_eq!(up_addr, target);
    assert_eq!(up_local, up.peer_addr().unwrap());

    let hello: Vec<u8> = (0..=255u8).cycle().take(200_000).collect();
    client.write_all(&hello).unwrap();
    assert_eq!(read_exact(&mut up, hello.len()), hello);
    up.write_all(b"reply \x00\xff").unwrap();
    assert_eq!(read_exact(&mut client, 8), b"reply \x00\xff");
    // Once more each way: the pair goes on.
    client.write_all(b"again").unwrap();
    assert_eq!(read_exact(&mut up, 5), b"again");

    let want_up = hello.len() + 5;
    r.until("every byte reported", |seen| {
        relayed(seen, Flow::Up).len() >= want_up && relayed(seen, Flow::Down).len() >= 8
    });
    let mut all_up = hello.clone();
    all_up.extend_from_slice(b"again");
    assert_eq!(relayed(&r.seen, Flow::Up), all_up);
    assert_eq!(relayed(&r.seen, Flow::Down), b"reply \x00\xff");
    for ev in &r.seen {
        if let Event::Relayed {
            peer: p,
            client,
            data,
            ..
        } = ev
        {
            assert_eq!(*p, peer);
            assert_eq!(*client, client_addr);
            assert!(!data.is_empty() && data.len() <= 64 * 1024);
        }
    }
    assert!(faults_fired(&r.seen).is_empty());
}

#[test]
fn a_quarter_gigabyte_arrives_exact() {
    const TOTAL: usize = 256 << 20;
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, Faults::default()));
    let relay = r.addr;
    let started = Instant::now();
    let sender = thread::spawn(move || {
        let mut c = connect(relay);
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        let mut hash = ring::digest::Context::new(&ring::digest::SHA256);
        let mut block = vec![0u8; 256 * 1024];
        let mut sent = 0;
        while sent < TOTAL {
            rng.fill(&mut block);
            c.write_all(&block).unwrap();
            hash.update(&block);
            sent += block.len();
        }
        c.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_to_fin(&mut c), b"");
        hash.finish().as_ref().to_vec()
    });
    let receiver = thread::spawn(move || {
        let mut s = accept(&server);
        let mut hash = ring::digest::Context::new(&ring::digest::SHA256);
        let mut buf = vec![0u8; 256 * 1024];
        let mut got = 0;
        loop {
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
            got += n;
        }
        (got, hash.finish().as_ref().to_vec())
    });
    let up = std::cell::Cell::new(0);
    let mut down = 0;
    let mut closed = Vec::new();
    // Until both ends are done and every relayed byte has been reported
    // (a report may still wait in the queue when the receiver finishes).
    r.pump(
        Duration::from_secs(300),
        || sender.is_finished() && receiver.is_finished() && up.get() >= TOTAL,
        |ev| match ev {
            Event::Relayed { flow, data, .. } => match flow {
                Flow::Up => up.set(up.get() + data.len()),
                Flow::Down => down += data.len(),
            },
            Event::PeerClosed { how, .. } => closed.push(how.clone()),
            _ => {}
        },
    );
    let up = up.get();
    let sent_hash = sender.join().unwrap();
    let (got, got_hash) = receiver.join().unwrap();
    eprintln!(
        "{} MiB through the relay in {:?}",
        TOTAL >> 20,
        started.elapsed()
    );
    assert_eq!(got, TOTAL);
    assert_eq!(got_hash, sent_hash, "the bytes arrived exact");
    assert_eq!(up, TOTAL, "every byte reported once");
    assert_eq!(down, 0);
    r.until("both legs closed", |seen| {
        seen.iter()
            .filter(|ev| matches!(ev, Event::PeerClosed { .. }))
            .count()
            + closed.len()
            >= 2
    });
}

#[test]
fn slicing_writes_each_piece_alone() {
    let mut faults = Faults::default();
    faults.up.slice = Some(Slice {
        max: 1,
        random: false,
        gap: Duration::from_millis(20),
    });
    faults.down.slice = Some(Slice {
        max: 4,
        random: true,
        gap: Duration::from_millis(20),
    });
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, faults));
    let (mut client, mut up, _) = r.pair(&server);

    client.write_all(b"0123456789").unwrap();
    let mut sizes = Vec::new();
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while got.len() < 10 {
        let n = up.read(&mut buf).unwrap();
        assert!(n > 0, "EOF after {got:?}");
        sizes.push(n);
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, b"0123456789");
    assert!(sizes.iter().all(|n| *n == 1), "reads of {sizes:?}");

    let answer: Vec<u8> = (b'a'..=b'z').cycle().take(40).collect();
    up.write_all(&answer).unwrap();
    let mut sizes = Vec::new();
    let mut got = Vec::new();
    while got.len() < answer.len() {
        let n = client.read(&mut buf).unwrap();
        assert!(n > 0, "EOF after {got:?}");
        sizes.push(n);
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, answer);
    assert!(sizes.iter().all(|n| *n <= 4), "reads of {sizes:?}");
    assert!(sizes.len() >= 10);

    r.until("the slicing reported", |seen| {
        faults_fired(seen)
            .iter()
            .filter(|(_, f)| matches!(f, FaultEvent::Sliced { .. }))
            .count()
            >= 2
    });
    let fired = faults_fired(&r.seen);
    assert!(fired.contains(&(Flow::Up, FaultEvent::Sliced { pieces: 10, max: 1 })));
    assert!(fired.iter().any(|(flow, f)| *flow == Flow::Down
        && matches!(f, FaultEvent::Sliced { pieces, max: 4 } if *pieces >= 10)));
    // Reported as read: one chunk each way, whole.
    assert_eq!(relayed(&r.seen, Flow::Up), b"0123456789");
}

#[test]
fn delay_holds_chunks_back_and_keeps_their_order() {
    let mut faults = Faults::default();
    faults.up.delay = Some(Delay {
        latency: Duration::from_millis(150),
        jitter: Duration::from_millis(100),
    });
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, faults));
    let (mut client, mut up, _) = r.pair(&server);
    let mut sent = Vec::new();
    let start = Instant::now();
    for i in 0..20u8 {
        let chunk = [i; 7];
        client.write_all(&chunk).unwrap();
        sent.extend_from_slice(&chunk);
        thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(
        read_exact(&mut up, sent.len()),
        sent,
        "every byte, in order"
    );
    // No chunk goes before latency - jitter.
    assert!(start.elapsed() >= Duration::from_millis(50));
}

#[test]
fn rate_limits_bytes_per_second() {
    let mut faults = Faults::default();
    faults.down.rate = Some(20_000);
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, faults));
    let (mut client, mut up, _) = r.pair(&server);
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 253) as u8).collect();
    let start = Instant::now();
    up.write_all(&data).unwrap();
    assert_eq!(read_exact(&mut client, data.len()), data);
    // 10,000 bytes at 20,000 a second, less the first 20 ms's worth.
    assert!(
        start.elapsed() >= Duration::from_millis(450),
        "{:?}",
        start.elapsed()
    );
    // The other way is not limited, and the pair still works.
    client.write_all(b"ok").unwrap();
    assert_eq!(read_exact(&mut up, 2), b"ok");
}

#[test]
fn a_disconnect_closes_both_legs() {
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, Faults::default()));
    let (mut client, mut up, peer) = r.pair(&server);
    let client_addr = client.local_addr().unwrap();
    r.engine.handle().unwrap().disconnect(peer).unwrap();
    assert_eq!(read_to_fin(&mut client), b"");
    assert_eq!(read_to_fin(&mut up), b"");
    assert_eq!(r.closed_leg(target), CloseReason::Local);
    assert_eq!(r.closed_leg(client_addr), CloseReason::Local);
}

#[test]
fn a_half_close_passes_through_and_the_answer_comes_back() {
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, Faults::default()));
    let (mut client, mut up, peer) = r.pair(&server);
    let client_addr = client.local_addr().unwrap();

    client.write_all(b"request").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_fin(&mut up), b"request", "the server reads the FIN");
    // The server answers after the client finished.
    up.write_all(b"the answer").unwrap();
    up.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_fin(&mut client), b"the answer");

    assert_eq!(r.closed_leg(target), CloseReason::Orderly);
    assert_eq!(r.closed_leg(client_addr), CloseReason::Orderly);
    let half: Vec<SocketAddr> = r
        .seen
        .iter()
        .filter_map(|ev| match ev {
            Event::HalfClosed { peer: p, addr } if *p == peer => Some(*addr),
            _ => None,
        })
        .collect();
    assert_eq!(half, vec![client_addr, target]);
}

#[test]
fn a_reset_from_the_client_resets_the_server() {
    if crate::wine::skip_under_wine(
        "a_reset_from_the_client_resets_the_server",
        crate::wine::RST_LOOKS_LIKE_FIN,
    ) {
        return;
    }
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, Faults::default()));
    let (mut client, mut up, _) = r.pair(&server);
    let client_addr = client.local_addr().unwrap();
    client.write_all(b"x").unwrap();
    assert_eq!(read_exact(&mut up, 1), b"x");
    set_linger_zero(&client);
    drop(client);
    assert_eq!(read_to_reset(&mut up), b"");
    assert_eq!(r.closed_leg(client_addr), CloseReason::Reset);
}

#[test]
fn end_after_reset_resets_both_sides() {
    if crate::wine::skip_under_wine(
        "end_after_reset_resets_both_sides",
        crate::wine::RST_LOOKS_LIKE_FIN,
    ) {
        return;
    }
    let mut faults = Faults::default();
    faults.up.end_after = Some(EndAfter {
        bytes: 5,
        how: EndHow::Reset,
    });
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, faults));
    let (mut client, mut up, _) = r.pair(&server);
    client.write_all(b"0123456789").unwrap();
    assert_eq!(read_to_reset(&mut client), b"");
    let got = read_to_reset(&mut up);
    assert!(b"01234".starts_with(&got), "{got:?}");
    r.until("the end reported", |seen| {
        faults_fired(seen).contains(&(
            Flow::Up,
            FaultEvent::Ended {
                after: 5,
                how: EndHow::Reset,
            },
        ))
    });
}

#[test]
fn end_after_close_sends_a_fin_both_ways() {
    let mut faults = Faults::default();
    faults.down.end_after = Some(EndAfter {
        bytes: 4,
        how: EndHow::Close,
    });
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, faults));
    let (mut client, mut up, _) = r.pair(&server);
    let client_addr = client.local_addr().unwrap();
    up.write_all(b"abcdefgh").unwrap();
    assert_eq!(read_to_fin(&mut client), b"abcd");
    assert_eq!(read_to_fin(&mut up), b"");
    assert_eq!(r.closed_leg(target), CloseReason::Local);
    assert_eq!(r.closed_leg(client_addr), CloseReason::Local);
    assert!(faults_fired(&r.seen).contains(&(
        Flow::Down,
        FaultEvent::Ended {
            after: 4,
            how: EndHow::Close,
        },
    )));
    assert_eq!(
        relayed(&r.seen, Flow::Down),
        b"abcdefgh",
        "reported as read"
    );
}

#[test]
fn end_after_blackhole_swallows_one_way_and_keeps_the_pair() {
    let mut faults = Faults::default();
    faults.up.end_after = Some(EndAfter {
        bytes: 3,
        how: EndHow::Blackhole,
    });
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, faults));
    let (mut client, mut up, _) = r.pair(&server);
    client.write_all(b"abcdef").unwrap();
    assert_eq!(read_exact(&mut up, 3), b"abc");
    nothing_more(&mut up);
    // The other way still works, and so does the connection.
    up.write_all(b"pong").unwrap();
    assert_eq!(read_exact(&mut client, 4), b"pong");
    client.write_all(b"xyz").unwrap();
    r.until("all reported", |seen| {
        relayed(seen, Flow::Up) == b"abcdefxyz"
    });
    nothing_more(&mut up);
    assert_eq!(
        faults_fired(&r.seen),
        vec![(
            Flow::Up,
            FaultEvent::Ended {
                after: 3,
                how: EndHow::Blackhole,
            },
        )]
    );
    assert!(
        !r.seen
            .iter()
            .any(|ev| matches!(ev, Event::PeerClosed { .. }))
    );
}

#[test]
fn a_refused_upstream_closes_the_client_and_the_relay_goes_on() {
    // A port bound but not listening: connecting to it is refused.
    let hold = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    hold.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    let target = hold.local_addr().unwrap().as_socket().unwrap();
    let mut r = Relay::open(config(target, false, Faults::default()));
    for _ in 0..2 {
        let mut client = connect(r.addr);
        let client_addr = client.local_addr().unwrap();
        let (peer, _) = r.connected();
        let (failed, from, kind) = r.wait("UpstreamFailed", |ev| match ev {
            Event::UpstreamFailed {
                peer,
                client,
                error,
            } => Some((*peer, *client, error.kind())),
            Event::UpstreamConnected { .. } => panic!("connected to a closed port"),
            _ => None,
        });
        assert_eq!((failed, from), (peer, client_addr));
        assert_eq!(kind, ErrorKind::ConnectionRefused);
        assert_eq!(read_to_fin(&mut client), b"", "the client sees the end");
        assert_eq!(r.closed_leg(client_addr), CloseReason::Local);
    }
}

#[test]
fn a_slow_reader_holds_the_client_back() {
    const LIMIT: usize = 64 << 20;
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, Faults::default()));
    let relay = r.addr;
    let writer = thread::spawn(move || {
        let mut c = connect(relay);
        c.set_write_timeout(Some(Duration::from_secs(1))).unwrap();
        let block = vec![0x42u8; 64 * 1024];
        let mut written = 0;
        while written < LIMIT {
            match c.write(&block) {
                Ok(n) => written += n,
                Err(e) if matches!(e.kind(), IoKind::WouldBlock | IoKind::TimedOut) => break,
                Err(e) => panic!("write: {e}"),
            }
        }
        (c, written)
    });
    // The server takes the connection and never reads.
    let _up = accept(&server);
    let mut relayed_up = 0;
    r.pump(
        Duration::from_secs(120),
        || writer.is_finished(),
        |ev| {
            if let Event::Relayed { data, .. } = ev {
                relayed_up += data.len();
            }
        },
    );
    let (_client, written) = writer.join().unwrap();
    let before = relayed_up;
    r.pump(
        Duration::from_secs(10),
        {
            let end = Instant::now() + Duration::from_millis(500);
            move || Instant::now() >= end
        },
        |ev| {
            if let Event::Relayed { data, .. } = ev {
                relayed_up += data.len();
            }
        },
    );
    eprintln!(
        "the client wrote {} KiB before blocking; {} KiB relayed",
        written >> 10,
        relayed_up >> 10
    );
    assert!(written < LIMIT, "the client never blocked");
    // Socket buffers (the client's send, the relay's receive and send, the
    // server's receive) and the relay's queue hold what was written.
    assert!(written < 32 << 20, "{written} bytes went into the relay");
    assert_eq!(relayed_up, before, "reading stopped");
}

#[test]
fn a_thousand_pairs_each_get_their_own_answer() {
    if crate::wine::skip_under_wine(
        "a_thousand_pairs_each_get_their_own_answer",
        "wine's socket layer does not carry a thousand loopback pairs within the test's waits",
    ) {
        return;
    }
    const N: u32 = 1000;
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, Faults::default()));
    let relay = r.addr;
    // The target echoes four bytes on each connection, then waits for the end.
    let echo = thread::spawn(move || {
        let mut workers = Vec::new();
        for _ in 0..N {
            let mut s = accept(&server);
            workers.push(
                thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn(move || {
                        let mut n = [0u8; 4];
                        s.read_exact(&mut n).unwrap();
                        s.write_all(&n).unwrap();
                        let _ = read_to_fin(&mut s);
                    })
                    .unwrap(),
            );
        }
        for w in workers {
            w.join().unwrap();
        }
    });
    let clients = thread::spawn(move || {
        let mut all: Vec<TcpStream> = (0..N).map(|_| connect(relay)).collect();
        for (i, c) in all.iter_mut().enumerate() {
            c.write_all(&(i as u32).to_be_bytes()).unwrap();
        }
        for (i, c) in all.iter_mut().enumerate() {
            assert_eq!(read_exact(c, 4), (i as u32).to_be_bytes(), "client {i}");
        }
        for c in &all {
            c.shutdown(Shutdown::Write).unwrap();
        }
        for c in &mut all {
            assert_eq!(read_to_fin(c), b"");
        }
    });
    let mut up = 0;
    let mut closed = 0;
    r.pump(
        Duration::from_secs(120),
        || clients.is_finished() && echo.is_finished(),
        |ev| match ev {
            Event::UpstreamConnected { .. } => up += 1,
            Event::PeerClosed { .. } => closed += 1,
            Event::UpstreamFailed { error, .. } => panic!("upstream failed: {error}"),
            _ => {}
        },
    );
    clients.join().unwrap();
    echo.join().unwrap();
    assert_eq!(up, N);
    r.until("every pair closed", |seen| {
        closed
            + seen
                .iter()
                .filter(|ev| matches!(ev, Event::PeerClosed { .. }))
                .count()
            >= 2 * N as usize
    });
}

/// Waits until the commands sent before have been carried out: a send to
/// the client after them arrives.
fn switched(handle: &netassist::net::SessionHandle, client: &mut TcpStream) {
    handle.send(Target::All, Bytes::from_static(b"!")).unwrap();
    assert_eq!(read_exact(client, 1), b"!");
}

/// Names for the relay's target: `target.test` is a refusing port, then
/// the server; anything else is not found. Lookups are counted.
struct Names {
    refused: SocketAddr,
    server: SocketAddr,
    lookups: AtomicUsize,
}

impl Resolver for Names {
    fn lookup(&self, host: &str, _port: u16) -> std::io::Result<Vec<SocketAddr>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        match host {
            "target.test" => Ok(vec![self.refused, self.server]),
            _ => Err(std::io::Error::other("no such name")),
        }
    }
}

#[test]
fn a_target_name_is_looked_up_once_and_each_address_tried() {
    let hold = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    hold.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    let (server, target) = target_server();
    let names = Arc::new(Names {
        refused: hold.local_addr().unwrap().as_socket().unwrap(),
        server: target,
        lookups: AtomicUsize::new(0),
    });
    let mut engine = Engine::new(Arc::new(|| {})).with_resolver(names.clone());
    let mut cfg = config(target, false, Faults::default());
    cfg.target = HostPort::new("target.test", target.port()).unwrap();
    engine.open(SessionConfig::Relay(Box::new(cfg)));
    let mut r = Relay {
        engine,
        addr: "0.0.0.0:0".parse().unwrap(),
        seen: Vec::new(),
    };
    r.addr = r.wait("Opened", |ev| match ev {
        Event::Opened { local, .. } => Some(*local),
        _ => None,
    });
    let mut clients: Vec<TcpStream> = (0..3).map(|_| connect(r.addr)).collect();
    let mut ups: Vec<TcpStream> = (0..3).map(|_| accept(&server)).collect();
    r.until("three upstreams", |seen| {
        seen.iter()
            .filter(|ev| matches!(ev, Event::UpstreamConnected { addr, .. } if *addr == target))
            .count()
            == 3
    });
    assert_eq!(
        names.lookups.load(Ordering::SeqCst),
        1,
        "one lookup for all"
    );
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(&[i as u8]).unwrap();
    }
    let mut got: Vec<u8> = ups.iter_mut().map(|u| read_exact(u, 1)[0]).collect();
    got.sort_unstable();
    assert_eq!(got, [0, 1, 2]);

    // A name that is not found: the client's pair fails with it.
    let mut engine = Engine::new(Arc::new(|| {})).with_resolver(names.clone());
    let mut cfg = config(target, false, Faults::default());
    cfg.target = HostPort::new("nowhere.test", target.port()).unwrap();
    engine.open(SessionConfig::Relay(Box::new(cfg)));
    let mut r = Relay {
        engine,
        addr: "0.0.0.0:0".parse().unwrap(),
        seen: Vec::new(),
    };
    r.addr = r.wait("Opened", |ev| match ev {
        Event::Opened { local, .. } => Some(*local),
        _ => None,
    });
    let mut client = connect(r.addr);
    let kind = r.wait("UpstreamFailed", |ev| match ev {
        Event::UpstreamFailed { error, .. } => Some(error.kind()),
        _ => None,
    });
    assert_eq!(kind, ErrorKind::HostNotFound);
    assert_eq!(read_to_fin(&mut client), b"");
}

#[test]
fn faults_switched_while_running_change_what_happens() {
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, Faults::default()));
    let (mut client, mut up, _) = r.pair(&server);
    let handle = r.engine.handle().unwrap();
    client.write_all(b"abc").unwrap();
    assert_eq!(read_exact(&mut up, 3), b"abc");

    let mut faults = Faults::default();
    faults.up.end_after = Some(EndAfter {
        bytes: 0,
        how: EndHow::Blackhole,
    });
    handle.set_faults(faults).unwrap();
    // Commands are carried out in order: once this send has arrived, the
    // switch has been made.
    switched(&handle, &mut client);
    client.write_all(b"def").unwrap();
    r.until("def reported", |seen| relayed(seen, Flow::Up) == b"abcdef");
    nothing_more(&mut up);

    handle.set_faults(Faults::default()).unwrap();
    switched(&handle, &mut client);
    client.write_all(b"ghi").unwrap();
    assert_eq!(read_exact(&mut up, 3), b"ghi");
}

#[test]
fn the_send_box_writes_to_clients() {
    let (server, target) = target_server();
    let mut r = Relay::open(config(target, false, Faults::default()));
    let (mut client, mut up, peer) = r.pair(&server);
    let client_addr = client.local_addr().unwrap();
    let handle = r.engine.handle().unwrap();
    up.write_all(b"from the server ").unwrap();
    assert_eq!(read_exact(&mut client, 16), b"from the server ");
    handle
        .send(Target::Peers(vec![peer]), Bytes::from_static(b"typed"))
        .unwrap();
    assert_eq!(read_exact(&mut client, 5), b"typed");
    let (addr, data) = r.wait("Sent", |ev| match ev {
        Event::Sent { addr, data, .. } => Some((*addr, data.clone())),
        _ => None,
    });
    assert_eq!((addr, &data[..]), (client_addr, &b"typed"[..]));
    // Finishing the pair: both sides get a FIN.
    handle.finish(peer).unwrap();
    assert_eq!(read_to_fin(&mut client), b"");
    assert_eq!(read_to_fin(&mut up), b"");
    drop(client);
    drop(up);
    assert_eq!(r.closed_leg(client_addr), CloseReason::Orderly);
}

// ---------------------------------------------------------------------------
// UDP
// ---------------------------------------------------------------------------

fn udp_socket() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s
}

fn recv(s: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = vec![0u8; 65_536];
    let (n, from) = s.recv_from(&mut buf).expect("a datagram");
    buf.truncate(n);
    (buf, from)
}

#[test]
fn udp_keeps_boundaries_both_ways() {
    let server = udp_socket();
    let target = server.local_addr().unwrap();
    let mut r = Relay::open(config(target, true, Faults::default()));
    let client = udp_socket();
    let sizes = [1usize, 2, 100, 1472, 9000, 60_000];
    let grams: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(i, n)| (0..*n).map(|j| (i * 31 + j) as u8).collect())
        .collect();
    for g in &grams {
        client.send_to(g, r.addr).unwrap();
    }
    let mut from = None;
    for g in &grams {
        let (got, src) = recv(&server);
        assert_eq!(&got, g);
        from = Some(src);
    }
    let from = from.unwrap();
    for g in grams.iter().rev() {
        server.send_to(g, from).unwrap();
    }
    for g in grams.iter().rev() {
        let (got, src) = recv(&client);
        assert_eq!(&got, g);
        assert_eq!(src, r.addr);
    }
    let (_, up_addr, local) = r.upstream_connected();
    assert_eq!((up_addr, local), (target, from));
    let total: usize = sizes.iter().sum();
    r.until("all reported", |seen| {
        relayed(seen, Flow::Up).len() == total && relayed(seen, Flow::Down).len() == total
    });
    let ups: Vec<usize> = r
        .seen
        .iter()
        .filter_map(|ev| match ev {
            Event::Relayed {
                flow: Flow::Up,
                data,
                ..
            } => Some(data.len()),
            _ => None,
        })
        .collect();
    assert_eq!(ups, sizes, "one event per datagram");
}

#[test]
fn udp_clients_get_mappings_of_their_own() {
    let server = udp_socket();
    let target = server.local_addr().unwrap();
    let mut r = Relay::open(config(target, true, Faults::default()));
    let clients: Vec<UdpSocket> = (0..3).map(|_| udp_socket()).collect();
    let mut sources = Vec::new();
    for (i, c) in clients.iter().enumerate() {
        c.send_to(&[i as u8; 3], r.addr).unwrap();
        let (got, src) = recv(&server);
        assert_eq!(got, [i as u8; 3]);
        sources.push(src);
        // A second datagram from the same client takes the same mapping.
        c.send_to(&[i as u8; 2], r.addr).unwrap();
        let (_, again) = recv(&server);
        assert_eq!(again, src);
    }
    sources.sort();
    sources.dedup();
    assert_eq!(sources.len(), 3, "one source port per client");
    // Answers go back to the right client.
    for (i, src) in r_sources(&r, &server, &clients).into_iter().enumerate() {
        server.send_to(&[0xa0 + i as u8], src).unwrap();
        let (got, _) = recv(&clients[i]);
        assert_eq!(got, [0xa0 + i as u8]);
    }
    r.until("three pairs", |seen| {
        seen.iter()
            .filter(|ev| matches!(ev, Event::UpstreamConnected { .. }))
            .count()
            == 3
    });
}

/// The upstream source port of each client, in the clients' order (each
/// client sends once more and the server sees where it comes from).
fn r_sources(r: &Relay, server: &UdpSocket, clients: &[UdpSocket]) -> Vec<SocketAddr> {
    clients
        .iter()
        .map(|c| {
            c.send_to(b"?", r.addr).unwrap();
            recv(server).1
        })
        .collect()
}

#[test]
fn udp_drop_100_drops_everything_and_counts_it() {
    let server = udp_socket();
    let target = server.local_addr().unwrap();
    let mut faults = Faults::default();
    faults.up.drop_percent = 100;
    let mut r = Relay::open(config(target, true, faults));
    let client = udp_socket();
    for i in 0..20u8 {
        client.send_to(&[i], r.addr).unwrap();
    }
    r.until("20 dropped", |seen| {
        let dropped: u64 = faults_fired(seen)
            .iter()
            .map(|(_, f)| match f {
                FaultEvent::Dropped { count } => *count,
                _ => 0,
            })
            .sum();
        dropped == 20
    });
    assert_eq!(relayed(&r.seen, Flow::Up).len(), 20, "reported as read");
    server
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert!(server.recv_from(&mut buf).is_err(), "nothing got through");
}

#[test]
fn udp_duplicates_and_reorders() {
    let server = udp_socket();
    let target = server.local_addr().unwrap();
    let mut faults = Faults::default();
    faults.up.duplicate_percent = 100;
    faults.down.reorder_percent = 100;
    let mut r = Relay::open(config(target, true, faults));
    let client = udp_socket();
    client.send_to(b"once", r.addr).unwrap();
    assert_eq!(recv(&server).0, b"once");
    let (again, from) = recv(&server);
    assert_eq!(again, b"once", "sent twice");
    // Each datagram held back goes after the next; the last one alone
    // after a short wait.
    for d in [b"1", b"2", b"3", b"4", b"5"] {
        server.send_to(d, from).unwrap();
        thread::sleep(Duration::from_millis(5));
    }
    let got: Vec<Vec<u8>> = (0..5).map(|_| recv(&client).0).collect();
    assert_eq!(got, [b"2", b"1", b"4", b"3", b"5"]);
    r.until("counts reported", |seen| {
        let fired = faults_fired(seen);
        let count = |want: fn(&FaultEvent) -> Option<u64>| -> u64 {
            fired.iter().filter_map(|(_, f)| want(f)).sum()
        };
        count(|f| match f {
            FaultEvent::Duplicated { count } => Some(*count),
            _ => None,
        }) == 1
            && count(|f| match f {
                FaultEvent::Reordered { count } => Some(*count),
                _ => None,
            }) == 3
    });
}

#[test]
fn an_idle_udp_mapping_expires() {
    let server = udp_socket();
    let target = server.local_addr().unwrap();
    let mut cfg = config(target, true, Faults::default());
    cfg.udp_idle = Duration::from_millis(200);
    let mut r = Relay::open(cfg);
    let client = udp_socket();
    client.send_to(b"one", r.addr).unwrap();
    let (_, first) = recv(&server);
    let (peer, _) = r.connected();
    let how = r.wait("PeerClosed", |ev| match ev {
        Event::PeerClosed { peer: p, how, .. } if *p == peer => Some(how.clone()),
        _ => None,
    });
    assert_eq!(how, CloseReason::Local);
    client.send_to(b"two", r.addr).unwrap();
    let (got, second) = recv(&server);
    assert_eq!(got, b"two");
    assert_ne!(first, second, "a new mapping, a new upstream socket");
    let (again, _) = r.connected();
    assert_ne!(again, peer);
}

/// A rewrite switched on while a UDP relay runs: each datagram is changed
/// whole, boundaries kept, and both forms reported.
#[test]
fn udp_rewrite_switched_on_changes_each_datagram_whole() {
    use netassist::automation::{AnswerMode, RelayRewrite, Rule, Trigger, Way};
    use netassist::codec::TextEncoding;
    use netassist::net::Rewriter;

    let server = udp_socket();
    let target = server.local_addr().unwrap();
    let mut r = Relay::open(config(target, true, Faults::default()));
    let client = udp_socket();
    client.send_to(b"abc", r.addr).unwrap();
    let (first, upstream) = recv(&server);
    assert_eq!(first, b"abc");

    let mut rule = Rule::reply_to(Trigger::Contains, "b", "XX");
    rule.direction = Way::Up;
    let (rewrite, errors) = RelayRewrite::new(&[rule], AnswerMode::First, TextEncoding::Utf8);
    assert!(errors.iter().all(Option::is_none));
    let handle = r.engine.handle().unwrap();
    handle
        .set_rewrite(Some(Rewriter(Arc::new(rewrite))))
        .unwrap();
    // Commands are carried out in order: once this send to the client has
    // arrived, the rewrite is in place.
    handle.send(Target::All, Bytes::from_static(b"!")).unwrap();
    assert_eq!(recv(&client).0, b"!");
    client.send_to(b"abcb", r.addr).unwrap();
    client.send_to(b"zzz", r.addr).unwrap();
    assert_eq!(recv(&server).0, b"aXXcXX");
    assert_eq!(recv(&server).0, b"zzz");
    // The answer goes back as it was (the rule is one way).
    server.send_to(b"b", upstream).unwrap();
    assert_eq!(recv(&client).0, b"b");
    r.until("the rewrite reported", |seen| {
        seen.iter().any(|ev| matches!(ev, Event::Rewritten { .. }))
    });
    let rewritten: Vec<_> = r
        .seen
        .iter()
        .filter_map(|ev| match ev {
            Event::Rewritten {
                data,
                rules,
                matches,
                original_len,
                ..
            } => Some((data.clone(), rules.clone(), *matches, *original_len)),
            _ => None,
        })
        .collect();
    assert_eq!(rewritten, [(Bytes::from_static(b"aXXcXX"), vec![1], 2, 4)]);
    // The read is reported as read, and marked.
    assert!(r.seen.iter().any(|ev| matches!(
        ev,
        Event::Relayed { data, rewritten: true, .. } if data.as_ref() == b"abcb"
    )));
}
