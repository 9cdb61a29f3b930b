//! Loopback tests of the engine in every mode, through its public API.
//!
//! Every wait has a deadline and waits for a condition (an event, bytes on
//! a socket), never for a fixed time. Ports are picked by the OS: a port
//! that must stay unused is held by a bound socket for the whole test.

use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use netassist::net::{
    CloseReason, Engine, ErrorKind, Event, HostPort, NetError, PeerId, Periodic, PeriodicEnd,
    Resolver, SendMeta, SessionConfig, SessionHandle, Target,
};
// Only the multicast tests use these, and they run in a Linux network namespace.
#[cfg(target_os = "linux")]
use netassist::net::{GroupOp, Iface, Membership, MulticastConfig, MulticastOptions};

#[cfg(target_os = "linux")]
use crate::netns;
use crate::wine;

use crate::engine_support::{engine, wait_within};

const WAIT: Duration = Duration::from_secs(10);

/// Takes events until `pick` returns Some, failing after [`WAIT`].
fn wait_for<T>(engine: &Engine, what: &str, pick: impl FnMut(&Event) -> Option<T>) -> T {
    wait_within(engine, WAIT, what, pick)
}

/// Every event up to and including the first that `stop` accepts.
fn events_until(engine: &Engine, what: &str, stop: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut seen = Vec::new();
    wait_for(engine, what, |ev| {
        seen.push(ev.clone());
        stop(ev).then_some(())
    });
    seen
}

fn opened(engine: &Engine) -> SocketAddr {
    wait_for(engine, "Opened", |ev| match ev {
        Event::Opened { local, .. } => Some(*local),
        Event::Error(e) => panic!("open failed: {e}"),
        _ => None,
    })
}

fn connected(engine: &Engine) -> (PeerId, SocketAddr) {
    wait_for(engine, "Connected", |ev| match ev {
        Event::Connected { peer, addr, .. } => Some((*peer, *addr)),
        _ => None,
    })
}

fn closed(engine: &Engine) {
    wait_for(engine, "Closed", |ev| {
        matches!(ev, Event::Closed).then_some(())
    });
}

/// How the connection `id` ended.
fn peer_closed(engine: &Engine, id: PeerId) -> CloseReason {
    wait_for(engine, "PeerClosed", |ev| match ev {
        Event::PeerClosed { peer, how, .. } if *peer == id => Some(how.clone()),
        _ => None,
    })
}

fn error_kind(engine: &Engine) -> ErrorKind {
    wait_for(engine, "an error", |ev| match ev {
        Event::Error(err) => Some(err.kind()),
        _ => None,
    })
}

/// Collects received bytes until `n` have arrived, checking the sender.
fn received(engine: &Engine, from: SocketAddr, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    wait_for(engine, "data", |ev| {
        if let Event::Received { addr, data, .. } = ev {
            assert_eq!(*addr, from, "data attributed to the wrong peer");
            got.extend_from_slice(data);
        }
        (got.len() >= n).then_some(())
    });
    got
}

fn read_exact(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = vec![0; n];
    stream.read_exact(&mut buf).unwrap();
    buf
}

/// Reads to the end of the stream: the peer must finish in order (FIN).
fn read_to_fin(stream: &mut TcpStream) -> Vec<u8> {
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .expect("an orderly end of stream (FIN), not an error");
    rest
}

fn recv_datagram(socket: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    socket.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = [0u8; 2048];
    let (n, from) = socket.recv_from(&mut buf).expect("a datagram");
    (buf[..n].to_vec(), from)
}

fn server(bind: &str) -> (Engine, SocketAddr) {
    let mut e = engine();
    e.open(SessionConfig::TcpServer {
        bind: bind.parse().unwrap(),
        tls: None,
    });
    let local = opened(&e);
    (e, local)
}

fn udp_session(e: &mut Engine, remote: Option<HostPort>) -> SocketAddr {
    e.open(SessionConfig::udp("127.0.0.1:0".parse().unwrap(), remote));
    opened(e)
}

/// A loopback port where nothing listens and nothing else can start to: a
/// TCP socket bound to it but not listening (a connect is refused).
fn refusing_port() -> (socket2::Socket, u16) {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    let port = s.local_addr().unwrap().as_socket().unwrap().port();
    (s, port)
}

// ---------------------------------------------------------------------------
// TCP server
// ---------------------------------------------------------------------------

#[test]
fn tcp_server_serves_many_and_targets_each() {
    let (mut e, local) = server("127.0.0.1:0");
    assert_ne!(local.port(), 0, "Opened reports the real port");
    let mut a = TcpStream::connect(local).unwrap();
    let (id_a, addr_a) = connected(&e);
    assert_eq!(addr_a, a.local_addr().unwrap());
    let mut b = TcpStream::connect(local).unwrap();
    let (id_b, addr_b) = connected(&e);
    assert_ne!(id_a, id_b);

    a.write_all("hello 你好".as_bytes()).unwrap();
    assert_eq!(received(&e, addr_a, 12), "hello 你好".as_bytes());
    b.write_all(b"\x00\xff\xfe").unwrap();
    assert_eq!(received(&e, addr_b, 3), b"\x00\xff\xfe");

    // To one chosen client only.
    e.handle()
        .unwrap()
        .send_with(
            Target::Peers(vec![id_b]),
            Bytes::from_static(b"only-b"),
            SendMeta::default(),
        )
        .unwrap();
    assert_eq!(read_exact(&mut b, 6), b"only-b");
    // To all.
    e.handle()
        .unwrap()
        .send(Target::All, Bytes::from_static(b"all"))
        .unwrap();
    assert_eq!(
        read_exact(&mut a, 3),
        b"all",
        "a got only what was sent to all"
    );
    assert_eq!(read_exact(&mut b, 3), b"all");
    // Sent events name each peer.
    let mut sent_to = Vec::new();
    wait_for(&e, "Sent x2", |ev| {
        if let Event::Sent { addr, data, .. } = ev
            && &data[..] == b"all"
        {
            sent_to.push(*addr);
        }
        (sent_to.len() == 2).then_some(())
    });
    sent_to.sort();
    let mut want = vec![addr_a, addr_b];
    want.sort();
    assert_eq!(sent_to, want);

    // Disconnect one: it sees an orderly end of stream, the other stays.
    e.handle().unwrap().disconnect(id_b).unwrap();
    assert_eq!(peer_closed(&e, id_b), CloseReason::Local);
    assert_eq!(read_to_fin(&mut b), b"");
    a.write_all(b"still here").unwrap();
    assert_eq!(received(&e, addr_a, 10), b"still here");
    e.close();
    assert!(!e.is_running());
}

#[test]
fn tcp_server_reports_reset_and_keeps_going() {
    if wine::skip_under_wine(
        "tcp_server_reports_reset_and_keeps_going",
        wine::RST_LOOKS_LIKE_FIN,
    ) {
        return;
    }
    let (e, local) = server("127.0.0.1:0");
    let s = socket2::Socket::from(TcpStream::connect(local).unwrap());
    let (id, _) = connected(&e);
    s.set_linger(Some(Duration::ZERO)).unwrap();
    drop(s);
    assert_eq!(peer_closed(&e, id), CloseReason::Reset);
    assert!(e.is_running());
}

#[test]
fn send_with_no_clients_is_an_error_event() {
    let (e, _) = server("127.0.0.1:0");
    e.handle()
        .unwrap()
        .send(Target::All, Bytes::from_static(b"x"))
        .unwrap();
    assert_eq!(error_kind(&e), ErrorKind::NoClients);
}

#[test]
fn server_reopens_on_the_same_port_at_once() {
    let (mut e, local) = server("127.0.0.1:0");
    // The server closes first, so its side of the connection sits in TIME_WAIT.
    let mut c = TcpStream::connect(local).unwrap();
    let (id, _) = connected(&e);
    c.write_all(b"x").unwrap();
    e.handle().unwrap().disconnect(id).unwrap();
    let mut sink = Vec::new();
    c.set_read_timeout(Some(WAIT)).unwrap();
    let _ = c.read_to_end(&mut sink);
    e.close();
    e.open(SessionConfig::TcpServer {
        bind: local,
        tls: None,
    });
    assert_eq!(opened(&e), local);
}

#[test]
fn address_in_use_is_reported_and_session_closes() {
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = holder.local_addr().unwrap();
    let mut e = engine();
    e.open(SessionConfig::TcpServer {
        bind: addr,
        tls: None,
    });
    assert_eq!(error_kind(&e), ErrorKind::AddrInUse);
    closed(&e);
}

// ---------------------------------------------------------------------------
// Half-close and the four endings of a connection
// ---------------------------------------------------------------------------

/// The tutorial-style client that sends "ping", shuts down its write side
/// and waits for the answer: the connection must stay open for our reply.
#[test]
fn peer_finishing_keeps_the_connection_open_for_our_reply() {
    let (e, local) = server("127.0.0.1:0");
    let mut c = TcpStream::connect(local).unwrap();
    let (id, addr) = connected(&e);
    c.write_all(b"ping").unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    let seen = events_until(
        &e,
        "HalfClosed",
        |ev| matches!(ev, Event::HalfClosed { peer, .. } if *peer == id),
    );
    let got: Vec<u8> = seen
        .iter()
        .filter_map(|ev| match ev {
            Event::Received { data, .. } => Some(data.to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(got, b"ping", "every byte before the FIN was read");
    assert!(
        seen.iter()
            .all(|ev| !matches!(ev, Event::PeerClosed { .. })),
        "the connection must not end at the peer's FIN: {seen:?}"
    );
    let h = e.handle().unwrap();
    h.send(Target::Peers(vec![id]), Bytes::from_static(b"pong"))
        .unwrap();
    assert_eq!(read_exact(&mut c, 4), b"pong");
    // Now we finish too: an orderly close, seen by the peer as end of stream.
    h.finish(id).unwrap();
    assert_eq!(read_to_fin(&mut c), b"");
    let how = wait_for(&e, "PeerClosed", |ev| match ev {
        Event::PeerClosed { peer, addr: a, how } if *peer == id => {
            assert_eq!(*a, addr);
            Some(how.clone())
        }
        Event::HalfClosed { .. } => panic!("a second HalfClosed"),
        _ => None,
    });
    assert_eq!(how, CloseReason::Orderly);
    assert!(e.is_running(), "a client's close never ends the server");
}

#[test]
fn we_finish_first_and_still_receive_until_the_peer_finishes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut e = engine();
    e.open(SessionConfig::TcpClient {
        remote: HostPort::new("127.0.0.1", listener.local_addr().unwrap().port()).unwrap(),
        bind: None,
        tls: None,
    });
    let (mut s, _) = listener.accept().unwrap();
    let (id, addr) = connected(&e);
    let h = e.handle().unwrap();
    h.send(Target::Default, Bytes::from_static(b"last words"))
        .unwrap();
    h.finish(id).unwrap();
    // Everything queued went out before our FIN.
    assert_eq!(read_to_fin(&mut s), b"last words");
    h.send(Target::Default, Bytes::from_static(b"too late"))
        .unwrap();
    assert_eq!(error_kind(&e), ErrorKind::SendingFinished);
    // The server may still talk to us until it finishes too.
    s.write_all(b"reply after your FIN").unwrap();
    assert_eq!(received(&e, addr, 20), b"reply after your FIN");
    drop(s);
    let seen = events_until(&e, "Closed", |ev| matches!(ev, Event::Closed));
    let endings: Vec<&Event> = seen
        .iter()
        .filter(|ev| matches!(ev, Event::PeerClosed { .. } | Event::HalfClosed { .. }))
        .collect();
    assert!(
        matches!(
            endings.as_slice(),
            [Event::PeerClosed {
                how: CloseReason::Orderly,
                ..
            }]
        ),
        "one orderly close and no half-close (we finished first): {seen:?}"
    );
}

#[test]
fn reset_after_the_peer_finished_is_reported_without_a_send() {
    if wine::skip_under_wine(
        "reset_after_the_peer_finished_is_reported_without_a_send",
        wine::RST_LOOKS_LIKE_FIN,
    ) {
        return;
    }
    let (e, local) = server("127.0.0.1:0");
    let c = TcpStream::connect(local).unwrap();
    let (id, _) = connected(&e);
    c.shutdown(Shutdown::Write).unwrap();
    wait_for(&e, "HalfClosed", |ev| {
        matches!(ev, Event::HalfClosed { peer, .. } if *peer == id).then_some(())
    });
    let s = socket2::Socket::from(c);
    s.set_linger(Some(Duration::ZERO)).unwrap();
    drop(s);
    assert_eq!(peer_closed(&e, id), CloseReason::Reset);
}

/// A peer that closed fully (not just its write side) looks the same as a
/// half-close until we send: its system answers our data with a reset.
#[test]
fn a_send_to_a_peer_that_closed_fully_ends_in_reset() {
    if wine::skip_under_wine(
        "a_send_to_a_peer_that_closed_fully_ends_in_reset",
        wine::RST_LOOKS_LIKE_FIN,
    ) {
        return;
    }
    let (e, local) = server("127.0.0.1:0");
    let c = TcpStream::connect(local).unwrap();
    let (id, _) = connected(&e);
    drop(c);
    wait_for(&e, "HalfClosed", |ev| {
        matches!(ev, Event::HalfClosed { peer, .. } if *peer == id).then_some(())
    });
    let h = e.handle().unwrap();
    h.send(Target::Peers(vec![id]), Bytes::from_static(b"anyone?"))
        .unwrap();
    assert_eq!(peer_closed(&e, id), CloseReason::Reset);
    h.send(Target::Peers(vec![id]), Bytes::from_static(b"x"))
        .unwrap();
    assert_eq!(error_kind(&e), ErrorKind::UnknownPeer);
}

// ---------------------------------------------------------------------------
// TCP client
// ---------------------------------------------------------------------------

#[test]
fn tcp_client_talks_and_ends_in_order_when_server_closes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut e = engine();
    e.open(SessionConfig::TcpClient {
        remote: HostPort::new("localhost", port).unwrap(),
        bind: None,
        tls: None,
    });
    let (mut s, _) = listener.accept().unwrap();
    let local = opened(&e);
    let (id, addr) = connected(&e);
    assert_eq!(addr.port(), port);
    assert_eq!(s.peer_addr().unwrap(), local);
    let h = e.handle().unwrap();
    h.send(Target::Default, Bytes::from("谢谢".as_bytes()))
        .unwrap();
    assert_eq!(read_exact(&mut s, 6), "谢谢".as_bytes());
    s.write_all(b"thank you !").unwrap();
    assert_eq!(received(&e, addr, 11), b"thank you !");
    // The server finishes: we hear it, and may still send.
    s.shutdown(Shutdown::Write).unwrap();
    wait_for(&e, "HalfClosed", |ev| {
        matches!(ev, Event::HalfClosed { .. }).then_some(())
    });
    assert!(e.is_running());
    h.send(Target::Default, Bytes::from_static(b"bye")).unwrap();
    h.finish(id).unwrap();
    assert_eq!(read_to_fin(&mut s), b"bye");
    assert_eq!(peer_closed(&e, id), CloseReason::Orderly);
    closed(&e);
    assert!(!e.is_running());
}

#[test]
fn tcp_client_with_fixed_local_port() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // A port is free only until someone takes it: on the rare loss of that
    // race, try another.
    for _ in 0..10 {
        let local_want = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap();
        let mut e = engine();
        e.open(SessionConfig::TcpClient {
            remote: HostPort::new("127.0.0.1", port).unwrap(),
            bind: Some(local_want),
            tls: None,
        });
        let outcome = wait_for(&e, "Opened or AddrInUse", |ev| match ev {
            Event::Opened { local, .. } => Some(Ok(*local)),
            Event::Error(err) if err.kind() == ErrorKind::AddrInUse => Some(Err(())),
            Event::Error(err) => panic!("{err}"),
            _ => None,
        });
        if let Ok(local) = outcome {
            let (s, _) = listener.accept().unwrap();
            assert_eq!(s.peer_addr().unwrap(), local_want);
            assert_eq!(local, local_want);
            return;
        }
    }
    panic!("no free local port in 10 tries");
}

#[test]
fn tcp_client_refused() {
    let (_holder, port) = refusing_port();
    let mut e = engine();
    e.open(SessionConfig::TcpClient {
        remote: HostPort::new("127.0.0.1", port).unwrap(),
        bind: None,
        tls: None,
    });
    let kind = wait_for(&e, "error", |ev| match ev {
        Event::Error(err) => Some(err.kind()),
        Event::Opened { .. } => panic!("must not open"),
        _ => None,
    });
    assert_eq!(kind, ErrorKind::ConnectionRefused);
    closed(&e);
}

// ---------------------------------------------------------------------------
// UDP
// ---------------------------------------------------------------------------

#[test]
fn udp_both_directions_and_reply_to_last_sender() {
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer_addr = peer.local_addr().unwrap();
    let mut e = engine();
    let local = udp_session(
        &mut e,
        Some(HostPort::new("127.0.0.1", peer_addr.port()).unwrap()),
    );
    let h = e.handle().unwrap();
    h.send(Target::Default, Bytes::from_static(b"to default"))
        .unwrap();
    assert_eq!(recv_datagram(&peer), (b"to default".to_vec(), local));

    let other = UdpSocket::bind("127.0.0.1:0").unwrap();
    other.send_to("你好".as_bytes(), local).unwrap();
    assert_eq!(
        received(&e, other.local_addr().unwrap(), 6),
        "你好".as_bytes()
    );
    h.send(Target::LastSender, Bytes::from_static(b"reply"))
        .unwrap();
    assert_eq!(recv_datagram(&other).0, b"reply");
    h.send(Target::Addr(peer_addr), Bytes::from_static(b"chosen"))
        .unwrap();
    assert_eq!(recv_datagram(&peer).0, b"chosen");
    // A datagram of nothing is a datagram too.
    h.send(Target::Addr(peer_addr), Bytes::new()).unwrap();
    assert_eq!(recv_datagram(&peer).0, b"");
}

#[test]
fn udp_without_remote_needs_a_sender_first() {
    let mut e = engine();
    udp_session(&mut e, None);
    e.handle()
        .unwrap()
        .send(Target::Default, Bytes::from_static(b"x"))
        .unwrap();
    assert_eq!(error_kind(&e), ErrorKind::NoRemote);
}

#[test]
fn ipv6_in_every_mode() {
    if TcpListener::bind("[::1]:0").is_err() {
        panic!("this machine has no IPv6 loopback; the engine's IPv6 paths cannot be tested");
    }
    let (e, local) = server("[::1]:0");
    let mut c = TcpStream::connect(local).unwrap();
    let (_, addr) = connected(&e);
    assert!(addr.is_ipv6());
    c.write_all(b"v6").unwrap();
    assert_eq!(received(&e, addr, 2), b"v6");

    let listener = TcpListener::bind("[::1]:0").unwrap();
    let mut cl = engine();
    cl.open(SessionConfig::TcpClient {
        remote: HostPort::new("::1", listener.local_addr().unwrap().port()).unwrap(),
        bind: None,
        tls: None,
    });
    let _ = listener.accept().unwrap();
    assert!(opened(&cl).is_ipv6());

    let mut u = engine();
    u.open(SessionConfig::udp("[::1]:0".parse().unwrap(), None));
    let ulocal = opened(&u);
    let peer = UdpSocket::bind("[::1]:0").unwrap();
    peer.send_to(b"v6 udp", ulocal).unwrap();
    assert_eq!(received(&u, peer.local_addr().unwrap(), 6), b"v6 udp");
}

#[test]
fn dual_stack_server_shows_ipv4_clients_as_ipv4() {
    let (e, local) = server("[::]:0");
    let mut c = TcpStream::connect(("127.0.0.1", local.port())).unwrap();
    let (_, addr) = connected(&e);
    assert_eq!(addr, c.local_addr().unwrap(), "shown as plain IPv4");
    c.write_all(b"4in6").unwrap();
    assert_eq!(received(&e, addr, 4), b"4in6");
}

// ---------------------------------------------------------------------------
// Back-pressure and hostile peers
// ---------------------------------------------------------------------------

#[test]
fn flood_is_held_back_and_every_byte_kept() {
    const LIMIT: usize = 256 * 1024;
    const TOTAL: usize = 32 * 1024 * 1024;
    let mut e = Engine::with_limit(Arc::new(|| {}), LIMIT);
    e.open(SessionConfig::TcpServer {
        bind: "127.0.0.1:0".parse().unwrap(),
        tls: None,
    });
    let local = opened(&e);
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let written = Arc::clone(&written);
        std::thread::spawn(move || {
            let mut c = TcpStream::connect(local).unwrap();
            let block: Vec<u8> = (0..65_536u32).map(|i| (i % 251) as u8).collect();
            while written.load(Ordering::SeqCst) < TOTAL {
                c.write_all(&block).unwrap();
                written.fetch_add(block.len(), Ordering::SeqCst);
            }
        })
    };
    connected(&e);
    // Nobody takes events: the engine reads up to its limit…
    let end = Instant::now() + WAIT;
    while e.events().inflight_bytes() < LIMIT {
        assert!(
            Instant::now() < end,
            "the engine never read up to its limit"
        );
        std::thread::yield_now();
    }
    // …and then stops: for a while, what it holds stays bounded and the
    // writer, held back by TCP, cannot finish.
    let watch_until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < watch_until {
        let held = e.events().inflight_bytes();
        assert!(
            held <= LIMIT + 8 * 65_536,
            "{held} bytes queued with a {LIMIT} limit"
        );
        std::thread::yield_now();
    }
    assert!(
        written.load(Ordering::SeqCst) < TOTAL,
        "the writer finished: the engine went on reading past its limit"
    );
    let mut got = 0usize;
    let mut i = 0usize;
    wait_for(&e, "all bytes", |ev| {
        if let Event::Received { data, .. } = ev {
            for &b in data.iter() {
                assert_eq!(b, ((i % 65_536) % 251) as u8, "byte {i} changed");
                i += 1;
            }
            got += data.len();
        }
        (got >= TOTAL).then_some(())
    });
    writer.join().unwrap();
    assert_eq!(got, TOTAL);
}

/// Forty clients end in the three ways a client can: close (FIN), abort
/// (RST), or shut down its write side (FIN, then a full close). The engine
/// tells each one's ending by its own address and keeps serving.
#[test]
fn chaos_from_peers_never_ends_the_session() {
    if wine::skip_under_wine(
        "chaos_from_peers_never_ends_the_session",
        wine::RST_LOOKS_LIKE_FIN,
    ) {
        return;
    }
    let (e, local) = server("127.0.0.1:0");
    let threads: Vec<_> = (0..40)
        .map(|i| {
            std::thread::spawn(move || {
                let mut c = TcpStream::connect(local).unwrap();
                let me = c.local_addr().unwrap();
                let junk: Vec<u8> = (0..(i * 997 % 5000)).map(|j| (j * 31 + i) as u8).collect();
                c.write_all(&junk).unwrap();
                let reset = match i % 3 {
                    0 => {
                        drop(c);
                        false
                    }
                    1 => {
                        let s = socket2::Socket::from(c);
                        s.set_linger(Some(Duration::ZERO)).unwrap();
                        true
                    }
                    _ => {
                        c.shutdown(Shutdown::Write).unwrap();
                        false
                    }
                };
                (me, reset)
            })
        })
        .collect();
    let expected: std::collections::HashMap<SocketAddr, bool> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(expected.len(), 40);
    let mut endings: std::collections::HashMap<SocketAddr, bool> = Default::default();
    wait_for(&e, "40 endings", |ev| {
        match ev {
            Event::HalfClosed { addr, .. } => assert!(endings.insert(*addr, false).is_none()),
            Event::PeerClosed {
                addr,
                how: CloseReason::Reset,
                ..
            } => assert!(endings.insert(*addr, true).is_none()),
            Event::PeerClosed { addr, how, .. } => panic!("{addr} ended with {how:?}"),
            _ => {}
        }
        (endings.len() == 40).then_some(())
    });
    assert_eq!(endings, expected, "each client's ending (true: reset)");
    assert!(e.is_running());
    let mut c = TcpStream::connect(local).unwrap();
    let (_, addr) = connected(&e);
    c.write_all(b"still serving").unwrap();
    assert_eq!(received(&e, addr, 13), b"still serving");
}

/// Clients that reset straight after connecting, often before the server has
/// accepted them. Linux hands such a client over (its first read reports the
/// reset); Windows' accept says WSAECONNRESET for it, and wine's says
/// WSAENOTCONN. Either way it is the client's doing: no error is shown and
/// accepting goes straight on.
#[test]
fn clients_that_reset_before_accept_are_no_error() {
    let (e, local) = server("127.0.0.1:0");
    for _ in 0..20 {
        let s = socket2::Socket::from(TcpStream::connect(local).unwrap());
        s.set_linger(Some(Duration::ZERO)).unwrap();
    }
    // Clients are accepted in the order they connected, so by the time this
    // one's bytes arrive, every earlier client has been accepted or dropped.
    let mut last = TcpStream::connect(local).unwrap();
    let last_addr = last.local_addr().unwrap();
    last.write_all(b"after").unwrap();
    let mut errors = Vec::new();
    wait_for(&e, "the last client's bytes", |ev| match ev {
        Event::Error(err) => {
            errors.push(err.to_string());
            None
        }
        Event::Received { addr, .. } => (*addr == last_addr).then_some(()),
        _ => None,
    });
    assert!(errors.is_empty(), "shown as errors: {errors:?}");
}

#[test]
fn dropping_the_engine_closes_the_port() {
    let (e, local) = server("127.0.0.1:0");
    drop(e);
    // The port is free again at once.
    let mut again = engine();
    again.open(SessionConfig::TcpServer {
        bind: local,
        tls: None,
    });
    assert_eq!(opened(&again), local);
}

// ---------------------------------------------------------------------------
// Timed sends
// ---------------------------------------------------------------------------

/// A UDP session whose default remote is a fresh loopback sink.
fn udp_to_sink() -> (Engine, SessionHandle, UdpSocket) {
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sink.local_addr().unwrap().port();
    let mut e = engine();
    udp_session(&mut e, Some(HostPort::new("127.0.0.1", port).unwrap()));
    let h = e.handle().unwrap();
    (e, h, sink)
}

fn periodic_ended(e: &Engine, id: netassist::net::PeriodicId) -> (u64, PeriodicEnd) {
    wait_for(e, "PeriodicEnded", |ev| match ev {
        Event::PeriodicEnded { id: i, sent, why } if *i == id => Some((*sent, why.clone())),
        _ => None,
    })
}

#[test]
fn periodic_sends_the_exact_count_never_early() {
    const N: u32 = 20;
    let every = Duration::from_millis(5);
    let first_after = Duration::from_millis(20);
    let (e, h, sink) = udp_to_sink();
    let meta = SendMeta {
        added_tail: 2,
        message: None,
    };
    let start = Instant::now();
    let id = h
        .start_periodic(Periodic {
            target: Target::Default,
            data: Bytes::from_static(b"tick\r\n"),
            meta,
            every,
            count: Some(u64::from(N)),
            first_after,
        })
        .unwrap();
    let mut arrivals = Vec::new();
    for k in 0..N {
        let (data, _) = recv_datagram(&sink);
        arrivals.push(start.elapsed());
        assert_eq!(data, b"tick\r\n");
        if k == 4 {
            // The fifth send has arrived; the worker counts it just after.
            let p = h.periodic_progress(id).expect("running");
            assert!(
                p.sent >= 4 && p.total == Some(u64::from(N)) && p.running,
                "{p:?}"
            );
        }
    }
    for (k, at) in (0u32..).zip(&arrivals) {
        let due = first_after + every * k;
        assert!(
            *at >= due,
            "send {k} arrived at {at:?}, before it was due at {due:?}"
        );
    }
    // Tolerant: a busy machine may be late, but the schedule does not drift
    // by whole intervals per send.
    let ideal = first_after + every * (N - 1);
    let last = arrivals[arrivals.len() - 1];
    assert!(
        last < ideal + Duration::from_secs(2),
        "last send at {last:?}, ideal {ideal:?}"
    );

    let seen = events_until(&e, "PeriodicEnded", |ev| {
        matches!(ev, Event::PeriodicEnded { .. })
    });
    let sent: Vec<SendMeta> = seen
        .iter()
        .filter_map(|ev| match ev {
            Event::Sent { meta, .. } => Some(*meta),
            _ => None,
        })
        .collect();
    assert_eq!(
        sent,
        vec![meta; N as usize],
        "one Sent per send, with its meta"
    );
    assert!(matches!(
        seen.last(),
        Some(Event::PeriodicEnded { id: i, sent: 20, why: PeriodicEnd::Done }) if *i == id
    ));
    assert_eq!(h.periodic_progress(id), None, "progress ends with the run");
    // Nothing more was sent: a marker sent now is the next datagram.
    h.send(Target::Default, Bytes::from_static(b"marker"))
        .unwrap();
    assert_eq!(recv_datagram(&sink).0, b"marker");
}

#[test]
fn stopping_a_periodic_send_takes_effect_at_once() {
    let (e, h, sink) = udp_to_sink();
    let id = h
        .start_periodic(Periodic::repeat(
            Target::Default,
            Bytes::from_static(b"x"),
            Duration::from_millis(2),
        ))
        .unwrap();
    for _ in 0..5 {
        assert_eq!(recv_datagram(&sink).0, b"x");
    }
    assert!(h.stop_periodic(id));
    // At most the one send under way when the stop came may still go out.
    let at_stop = h.periodic_progress(id).map(|p| {
        assert!(!p.running, "running after stop: {p:?}");
        p.sent
    });
    let (sent, why) = periodic_ended(&e, id);
    assert_eq!(why, PeriodicEnd::Stopped);
    if let Some(at_stop) = at_stop {
        assert!(sent <= at_stop + 1, "{sent} sends, {at_stop} when stopped");
    }
    assert!(!h.stop_periodic(id), "already ended");
    // The engine's count is the truth: exactly that many reached the sink
    // before a marker sent after the end.
    h.send(Target::Default, Bytes::from_static(b"marker"))
        .unwrap();
    let mut total = 5;
    loop {
        match recv_datagram(&sink).0.as_slice() {
            b"marker" => break,
            b"x" => total += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(total, sent);
}

#[test]
fn three_failed_sends_in_a_row_stop_it_with_one_error_reported() {
    let mut e = engine();
    udp_session(&mut e, None);
    let h = e.handle().unwrap();
    // Nobody has sent yet, so there is no last sender to reply to.
    let id = h
        .start_periodic(Periodic::repeat(
            Target::LastSender,
            Bytes::from_static(b"x"),
            Duration::from_millis(1),
        ))
        .unwrap();
    let seen = events_until(&e, "PeriodicEnded", |ev| {
        matches!(ev, Event::PeriodicEnded { .. })
    });
    let errors: Vec<&NetError> = seen
        .iter()
        .filter_map(|ev| match ev {
            Event::Error(err) => Some(err),
            _ => None,
        })
        .collect();
    assert_eq!(errors, vec![&NetError::NoRemote], "reported once");
    assert!(matches!(
        seen.last(),
        Some(Event::PeriodicEnded { id: i, sent: 0, why: PeriodicEnd::Failed(NetError::NoRemote) })
            if *i == id
    ));
}

#[test]
fn a_closed_connection_stops_its_periodic_send() {
    let (e, local) = server("127.0.0.1:0");
    let mut c = TcpStream::connect(local).unwrap();
    let (id, _) = connected(&e);
    let h = e.handle().unwrap();
    let pid = h
        .start_periodic(Periodic::repeat(
            Target::Peers(vec![id]),
            Bytes::from_static(b"beat"),
            Duration::from_millis(2),
        ))
        .unwrap();
    assert_eq!(read_exact(&mut c, 8), b"beatbeat");
    let s = socket2::Socket::from(c);
    s.set_linger(Some(Duration::ZERO)).unwrap();
    drop(s);
    let (_, why) = periodic_ended(&e, pid);
    assert_eq!(why, PeriodicEnd::ConnectionClosed);
}

#[test]
fn a_server_sends_to_the_clients_there_at_each_tick() {
    let (e, local) = server("127.0.0.1:0");
    let h = e.handle().unwrap();
    let id = h
        .start_periodic(Periodic {
            count: Some(3),
            ..Periodic::repeat(
                Target::All,
                Bytes::from_static(b"hi"),
                Duration::from_millis(5),
            )
        })
        .unwrap();
    // Ticks with nobody connected send nothing and are not failures; this
    // pause only lets several of them pass.
    std::thread::sleep(Duration::from_millis(40));
    let p = h
        .periodic_progress(id)
        .expect("still running with no client");
    assert_eq!((p.sent, p.running), (0, true));
    let mut c = TcpStream::connect(local).unwrap();
    assert_eq!(read_exact(&mut c, 6), b"hihihi");
    let seen = events_until(&e, "PeriodicEnded", |ev| {
        matches!(ev, Event::PeriodicEnded { .. })
    });
    assert!(
        seen.iter().all(|ev| !matches!(ev, Event::Error(_))),
        "{seen:?}"
    );
    assert!(matches!(
        seen.last(),
        Some(Event::PeriodicEnded {
            sent: 3,
            why: PeriodicEnd::Done,
            ..
        })
    ));
}

#[test]
fn a_one_shot_send_waits_for_its_delay() {
    let (e, h, sink) = udp_to_sink();
    let delay = Duration::from_millis(60);
    let start = Instant::now();
    let id = h
        .start_periodic(Periodic::once_after(
            Target::Default,
            Bytes::from_static(b"later"),
            delay,
        ))
        .unwrap();
    assert_eq!(recv_datagram(&sink).0, b"later");
    assert!(start.elapsed() >= delay, "sent after {:?}", start.elapsed());
    assert_eq!(periodic_ended(&e, id), (1, PeriodicEnd::Done));
}

#[test]
fn bad_schedules_are_refused() {
    let (mut e, h, _sink) = udp_to_sink();
    let base = Periodic::repeat(
        Target::Default,
        Bytes::from_static(b"x"),
        Duration::from_millis(10),
    );
    let try_start = |p: Periodic| h.start_periodic(p).map(|_| ()).map_err(|e| e.kind());
    assert_eq!(
        try_start(Periodic {
            every: Duration::ZERO,
            ..base.clone()
        }),
        Err(ErrorKind::BadInterval)
    );
    assert_eq!(
        try_start(Periodic {
            every: Duration::from_secs(86_401),
            ..base.clone()
        }),
        Err(ErrorKind::BadInterval)
    );
    assert_eq!(
        try_start(Periodic {
            count: Some(0),
            ..base.clone()
        }),
        Err(ErrorKind::ZeroCount)
    );
    assert_eq!(
        try_start(Periodic {
            first_after: Duration::from_secs(86_401),
            ..base.clone()
        }),
        Err(ErrorKind::BadDelay)
    );
    e.close();
    assert_eq!(try_start(base), Err(ErrorKind::NotOpen));
}

#[test]
fn closing_the_session_ends_its_periodic_sends() {
    let (mut e, h, _sink) = udp_to_sink();
    let id = h
        .start_periodic(Periodic::repeat(
            Target::Default,
            Bytes::from_static(b"x"),
            Duration::from_millis(50),
        ))
        .unwrap();
    e.close();
    let seen = events_until(&e, "Closed", |ev| matches!(ev, Event::Closed));
    assert!(
        seen.iter().any(|ev| matches!(
            ev,
            Event::PeriodicEnded { id: i, why: PeriodicEnd::ConnectionClosed, .. } if *i == id
        )),
        "{seen:?}"
    );
    assert_eq!(h.periodic_progress(id), None);
}

// ---------------------------------------------------------------------------
// Name lookup, off the poll loop
// ---------------------------------------------------------------------------

/// A resolver that answers `ip` for every name, counting its calls, and
/// blocks each call until it is opened (a resolver that never returns, as
/// long as it stays shut).
struct GateResolver {
    ip: IpAddr,
    state: Mutex<(bool, usize)>,
    cond: Condvar,
}

impl GateResolver {
    fn new(open: bool) -> Arc<GateResolver> {
        Arc::new(GateResolver {
            ip: "127.0.0.1".parse().unwrap(),
            state: Mutex::new((open, 0)),
            cond: Condvar::new(),
        })
    }

    fn calls(&self) -> usize {
        self.state.lock().unwrap().1
    }

    fn wait_calls(&self, n: usize) {
        let end = Instant::now() + WAIT;
        let mut g = self.state.lock().unwrap();
        while g.1 < n {
            let now = Instant::now();
            assert!(now < end, "the resolver was called {} times, not {n}", g.1);
            g = self.cond.wait_timeout(g, end - now).unwrap().0;
        }
    }

    fn open(&self) {
        self.state.lock().unwrap().0 = true;
        self.cond.notify_all();
    }
}

impl Resolver for GateResolver {
    fn lookup(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        let mut g = self.state.lock().unwrap();
        g.1 += 1;
        self.cond.notify_all();
        while !g.0 {
            g = self.cond.wait(g).unwrap();
        }
        if host.ends_with(".invalid") {
            return Err(std::io::Error::other("no such host"));
        }
        Ok(vec![SocketAddr::new(self.ip, port)])
    }
}

#[test]
fn a_lookup_that_never_returns_does_not_hold_up_close() {
    let configs = [
        SessionConfig::udp(
            "127.0.0.1:0".parse().unwrap(),
            Some(HostPort::new("stuck.test", 9).unwrap()),
        ),
        SessionConfig::TcpClient {
            remote: HostPort::new("stuck.test", 9).unwrap(),
            bind: None,
            tls: None,
        },
    ];
    for config in configs {
        let gate = GateResolver::new(false);
        let mut e = engine().with_resolver(gate.clone());
        e.open(config.clone());
        gate.wait_calls(1);
        // Close on another thread (as the window's thread would) and wait for
        // it with a deadline: it must come back while the lookup is stuck.
        let (tx, rx) = crossbeam_channel::bounded(1);
        let closer = std::thread::spawn(move || {
            e.close();
            let _ = tx.send(e);
        });
        let e = rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("close waited for the stuck lookup: {config:?}"));
        closer.join().unwrap();
        assert!(!e.is_running());
        let seen = events_until(&e, "Closed", |ev| matches!(ev, Event::Closed));
        assert!(
            seen.iter().all(|ev| !matches!(ev, Event::Opened { .. })),
            "{seen:?}"
        );
        gate.open();
    }
}

#[test]
fn a_stuck_lookup_holds_up_only_the_sends_to_that_host() {
    let gate = GateResolver::new(false);
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sink.local_addr().unwrap().port();
    let mut e = engine().with_resolver(gate.clone());
    udp_session(&mut e, None);
    let h = e.handle().unwrap();
    let slow = HostPort::new("slow.test", port).unwrap();
    for word in ["a", "b", "c"] {
        h.send(Target::Host(slow.clone()), Bytes::from(word))
            .unwrap();
    }
    gate.wait_calls(1);
    h.send(
        Target::Addr(sink.local_addr().unwrap()),
        Bytes::from_static(b"direct"),
    )
    .unwrap();
    assert_eq!(recv_datagram(&sink).0, b"direct");
    assert!(
        h.pending_tx_bytes() >= 3,
        "the three sends wait for the lookup"
    );
    gate.open();
    for word in ["a", "b", "c"] {
        assert_eq!(recv_datagram(&sink).0, word.as_bytes(), "in the order sent");
    }
    let addr = wait_for(&e, "Resolved", |ev| match ev {
        Event::Resolved { host, addr } if *host == slow => Some(*addr),
        _ => None,
    });
    assert_eq!(addr, sink.local_addr().unwrap());
    assert_eq!(gate.calls(), 1, "one lookup for all three sends");
}

#[test]
fn names_are_looked_up_once_until_a_refresh() {
    let gate = GateResolver::new(true);
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sink.local_addr().unwrap().port();
    let peer = HostPort::new("peer.test", port).unwrap();
    let mut e = engine().with_resolver(gate.clone());
    udp_session(&mut e, Some(peer.clone()));
    assert_eq!(gate.calls(), 1, "the default remote is known before Opened");
    let h = e.handle().unwrap();
    for _ in 0..3 {
        h.send(Target::Default, Bytes::from_static(b"d")).unwrap();
        h.send(Target::Host(peer.clone()), Bytes::from_static(b"h"))
            .unwrap();
    }
    for _ in 0..6 {
        recv_datagram(&sink);
    }
    assert_eq!(gate.calls(), 1);
    h.refresh_names().unwrap();
    gate.wait_calls(2);
    wait_for(&e, "Resolved after refresh", |ev| {
        matches!(ev, Event::Resolved { host, .. } if *host == peer).then_some(())
    });
    h.send(Target::Default, Bytes::from_static(b"again"))
        .unwrap();
    assert_eq!(recv_datagram(&sink).0, b"again");
    assert_eq!(gate.calls(), 2);
}

#[test]
fn a_failed_lookup_is_an_error_and_the_session_goes_on() {
    let gate = GateResolver::new(true);
    // At open, an unknown default remote ends the session…
    let mut e = engine().with_resolver(gate.clone());
    e.open(SessionConfig::udp(
        "127.0.0.1:0".parse().unwrap(),
        Some(HostPort::new("nosuch.invalid", 9).unwrap()),
    ));
    assert_eq!(error_kind(&e), ErrorKind::HostNotFound);
    closed(&e);
    // …later, an unknown host is only an error.
    udp_session(&mut e, None);
    let h = e.handle().unwrap();
    h.send(
        Target::Host(HostPort::new("nosuch.invalid", 9).unwrap()),
        Bytes::from_static(b"x"),
    )
    .unwrap();
    assert_eq!(error_kind(&e), ErrorKind::HostNotFound);
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    h.send(
        Target::Addr(sink.local_addr().unwrap()),
        Bytes::from_static(b"ok"),
    )
    .unwrap();
    assert_eq!(recv_datagram(&sink).0, b"ok");
}

// ---------------------------------------------------------------------------
// Multicast and broadcast, each in a private network namespace
// ---------------------------------------------------------------------------

#[cfg(target_os = "linux")]
mod multicast {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::netns::{self, ADDR_V4, BROADCAST_V4, IFACE};

    fn membership(group: &str, iface: Iface) -> Membership {
        Membership {
            group: group.parse().unwrap(),
            iface,
        }
    }

    fn group_event(e: &Engine) -> Event {
        wait_for(e, "a group event", |ev| {
            matches!(
                ev,
                Event::GroupJoined { .. } | Event::GroupLeft { .. } | Event::GroupFailed { .. }
            )
            .then(|| ev.clone())
        })
    }

    fn joined(e: &Engine, m: &Membership) {
        match group_event(e) {
            Event::GroupJoined { membership } => assert_eq!(&membership, m),
            other => panic!("expected to join {m}: {other:?}"),
        }
    }

    fn failed(e: &Engine, op: GroupOp) -> ErrorKind {
        match group_event(e) {
            Event::GroupFailed { op: o, error, .. } => {
                assert_eq!(o, op);
                error.kind()
            }
            other => panic!("expected a failure: {other:?}"),
        }
    }

    /// A UDP session with multicast settings; gives its local address.
    fn udp_with(
        e: &mut Engine,
        bind: SocketAddr,
        remote: Option<HostPort>,
        groups: Vec<Membership>,
        options: MulticastOptions,
    ) -> SocketAddr {
        e.open(SessionConfig::Udp {
            bind,
            remote,
            multicast: MulticastConfig { groups, options },
        });
        opened(e)
    }

    /// A plain IPv4 UDP socket on `na0` that sends multicast out of it.
    fn v4_sender() -> socket2::Socket {
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
        s.bind(&SocketAddr::new(ADDR_V4.into(), 0).into()).unwrap();
        s.set_multicast_if_v4(&ADDR_V4).unwrap();
        s
    }

    fn send(s: &socket2::Socket, data: &[u8], to: SocketAddr) {
        s.send_to(data, &to.into()).unwrap();
    }

    /// Received payloads until (and without) `marker`.
    fn until_marker(e: &Engine, marker: &[u8]) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        wait_for(e, "the marker", |ev| match ev {
            Event::Received { data, .. } if &data[..] == marker => Some(()),
            Event::Received { data, .. } => {
                got.push(data.to_vec());
                None
            }
            _ => None,
        });
        got
    }

    #[test]
    fn multicast_ipv4_in_a_private_network_namespace() {
        netns::run_inner(module_path!(), "inner_multicast_ipv4");
    }

    #[test]
    #[ignore = "runs only inside the namespace its outer test makes"]
    fn inner_multicast_ipv4() {
        netns::enter();
        let index = netns::iface_index();
        let by_name = membership("239.1.2.3", Iface::Name(IFACE.into()));
        let mut rx = engine();
        let port = udp_with(
            &mut rx,
            "0.0.0.0:0".parse().unwrap(),
            None,
            vec![by_name.clone()],
            MulticastOptions::default(),
        )
        .port();
        joined(&rx, &by_name);
        let tx = v4_sender();
        let group = |g: &str| SocketAddr::new(g.parse().unwrap(), port);
        send(&tx, b"to the group", group("239.1.2.3"));
        let from = SocketAddr::new(
            ADDR_V4.into(),
            tx.local_addr().unwrap().as_socket().unwrap().port(),
        );
        assert_eq!(received(&rx, from, 12), b"to the group");

        // Joined at run time, by index and by address.
        let h = rx.handle().unwrap();
        let by_index = membership("239.4.5.6", Iface::Index(index));
        let by_addr = membership("239.7.8.9", Iface::Addr(ADDR_V4.into()));
        for m in [&by_index, &by_addr] {
            h.join(m.clone()).unwrap();
            joined(&rx, m);
            send(
                &tx,
                m.group.to_string().as_bytes(),
                SocketAddr::new(m.group, port),
            );
            assert_eq!(
                received(&rx, from, m.group.to_string().len()),
                m.group.to_string().as_bytes()
            );
        }

        // After leaving, that group's datagrams no longer arrive (a marker
        // sent after them, by the same path, shows they would have by now).
        h.leave(by_name.clone()).unwrap();
        match group_event(&rx) {
            Event::GroupLeft { membership } => assert_eq!(membership, by_name),
            other => panic!("{other:?}"),
        }
        send(&tx, b"after leave", group("239.1.2.3"));
        send(&tx, b"marker", group("239.4.5.6"));
        assert_eq!(until_marker(&rx, b"marker"), Vec::<Vec<u8>>::new());

        // Mistakes are reported, and the session goes on.
        h.leave(by_name.clone()).unwrap();
        assert_eq!(failed(&rx, GroupOp::Leave), ErrorKind::NotJoined);
        h.join(membership("10.1.2.3", Iface::Any)).unwrap();
        assert_eq!(failed(&rx, GroupOp::Join), ErrorKind::NotMulticast);
        h.join(membership("239.1.1.1", Iface::Name("nosuch0".into())))
            .unwrap();
        assert_eq!(failed(&rx, GroupOp::Join), ErrorKind::NoSuchInterface);
        h.join(membership("ff12::1", Iface::Any)).unwrap();
        assert_eq!(failed(&rx, GroupOp::Join), ErrorKind::GroupFamily);
        send(&tx, b"still here", group("239.7.8.9"));
        assert_eq!(received(&rx, from, 10), b"still here");
    }

    #[test]
    fn multicast_ttl_and_loopback_in_a_private_network_namespace() {
        netns::run_inner(module_path!(), "inner_multicast_ttl_and_loopback");
    }

    #[test]
    #[ignore = "runs only inside the namespace its outer test makes"]
    fn inner_multicast_ttl_and_loopback() {
        netns::enter();
        let raw = netns::RawUdp::open();
        let group = Ipv4Addr::new(239, 9, 9, 9);
        let member = UdpSocket::bind("0.0.0.0:0").unwrap();
        socket2::SockRef::from(&member)
            .join_multicast_v4(&group, &ADDR_V4)
            .unwrap();
        let port = member.local_addr().unwrap().port();
        let mut e = engine();
        udp_with(
            &mut e,
            SocketAddr::new(ADDR_V4.into(), 0),
            Some(HostPort::new(&group.to_string(), port).unwrap()),
            Vec::new(),
            MulticastOptions {
                ttl: Some(7),
                loopback: Some(true),
                iface: Some(Iface::Name(IFACE.into())),
            },
        );
        let h = e.handle().unwrap();
        h.send(Target::Default, Bytes::from_static(b"ttl 7"))
            .unwrap();
        assert_eq!(recv_datagram(&member).0, b"ttl 7");
        assert_eq!(raw.ttl_to_port(port), 7);

        h.set_multicast(MulticastOptions {
            ttl: Some(3),
            ..MulticastOptions::default()
        })
        .unwrap();
        h.send(Target::Default, Bytes::from_static(b"ttl 3"))
            .unwrap();
        assert_eq!(recv_datagram(&member).0, b"ttl 3");
        assert_eq!(raw.ttl_to_port(port), 3);

        // Loopback off: this machine's members no longer get our sends.
        let looped = |on: bool| MulticastOptions {
            loopback: Some(on),
            ..MulticastOptions::default()
        };
        h.set_multicast(looped(false)).unwrap();
        h.send(Target::Default, Bytes::from_static(b"not looped"))
            .unwrap();
        h.set_multicast(looped(true)).unwrap();
        h.send(Target::Default, Bytes::from_static(b"looped"))
            .unwrap();
        assert_eq!(recv_datagram(&member).0, b"looped");
        let seen = events_until(
            &e,
            "Sent looped",
            |ev| matches!(ev, Event::Sent { data, .. } if &data[..] == b"looped"),
        );
        assert!(
            seen.iter().all(|ev| !matches!(ev, Event::Error(_))),
            "{seen:?}"
        );
    }

    #[test]
    fn multicast_ipv6_in_a_private_network_namespace() {
        netns::run_inner(module_path!(), "inner_multicast_ipv6");
    }

    #[test]
    #[ignore = "runs only inside the namespace its outer test makes"]
    fn inner_multicast_ipv6() {
        netns::enter();
        let index = netns::iface_index();
        let m = membership("ff12::4e41", Iface::Name(IFACE.into()));
        let mut rx = engine();
        let port = udp_with(
            &mut rx,
            "[::]:0".parse().unwrap(),
            None,
            vec![m.clone()],
            MulticastOptions::default(),
        )
        .port();
        joined(&rx, &m);
        let to = SocketAddr::new(m.group, port);

        let tx = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::DGRAM, None).unwrap();
        let src: Ipv6Addr = "fd77::1".parse().unwrap();
        tx.bind(&SocketAddr::new(src.into(), 0).into()).unwrap();
        tx.set_multicast_if_v6(index).unwrap();
        tx.send_to(b"v6 group", &to.into()).unwrap();
        let from = tx.local_addr().unwrap().as_socket().unwrap();
        assert_eq!(received(&rx, from, 8), b"v6 group");

        // The engine as the sender, choosing the interface and hop limit.
        let mut sender = engine();
        let sender_addr = udp_with(
            &mut sender,
            SocketAddr::new(src.into(), 0),
            None,
            Vec::new(),
            MulticastOptions {
                ttl: Some(5),
                loopback: Some(true),
                iface: Some(Iface::Index(index)),
            },
        );
        sender
            .handle()
            .unwrap()
            .send(Target::Addr(to), Bytes::from_static(b"from the engine"))
            .unwrap();
        assert_eq!(received(&rx, sender_addr, 15), b"from the engine");

        // An IPv4-only socket cannot join an IPv6 group.
        let mut v4 = engine();
        udp_session(&mut v4, None);
        v4.handle().unwrap().join(m.clone()).unwrap();
        assert_eq!(failed(&v4, GroupOp::Join), ErrorKind::GroupFamily);
    }

    #[test]
    fn broadcast_in_a_private_network_namespace() {
        netns::run_inner(module_path!(), "inner_broadcast");
    }

    #[test]
    #[ignore = "runs only inside the namespace its outer test makes"]
    fn inner_broadcast() {
        netns::enter();
        let listener = UdpSocket::bind("0.0.0.0:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut e = engine();
        e.open(SessionConfig::udp("0.0.0.0:0".parse().unwrap(), None));
        let local = opened(&e);
        let h = e.handle().unwrap();
        // SO_BROADCAST is set: both broadcast forms go out.
        for to in [BROADCAST_V4, Ipv4Addr::BROADCAST] {
            let dest = SocketAddr::new(to.into(), port);
            h.send(Target::Addr(dest), Bytes::from(to.to_string()))
                .unwrap();
            assert_eq!(recv_datagram(&listener).0, to.to_string().as_bytes());
            wait_for(&e, "Sent", |ev| {
                matches!(ev, Event::Sent { addr, .. } if *addr == dest).then_some(())
            });
        }
        // And a broadcast to the engine's port is received.
        let b = UdpSocket::bind(SocketAddr::new(ADDR_V4.into(), 0)).unwrap();
        b.set_broadcast(true).unwrap();
        b.send_to(b"to everyone", (BROADCAST_V4, local.port()))
            .unwrap();
        assert_eq!(received(&e, b.local_addr().unwrap(), 11), b"to everyone");
    }
}
