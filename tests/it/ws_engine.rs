//! The engine's WebSocket sessions against Python's `websockets`
//! (tests/peers/ws_peer.py) and each other: our pings and their round trip,
//! a close with a chosen code, exact message bytes of every size, and a
//! server that sends to the clients it is told to.

use std::time::{Duration, Instant};

use bytes::Bytes;
use netassist::net::ws::{
    DEFAULT_MAX_MESSAGE, MessageKind, WsClientConfig, WsEvent, WsServerConfig, WsUrl,
};
use netassist::net::{Engine, Event, PeerId, SendMeta, SessionConfig, Target};

use crate::peer_support::{peer, port_of};

use crate::engine_support::{engine, wait_within};

const WAIT: Duration = Duration::from_secs(10);

/// Takes events until `pick` returns Some, failing after [`WAIT`].
fn wait_for<T>(engine: &Engine, what: &str, pick: impl FnMut(&Event) -> Option<T>) -> T {
    wait_within(engine, WAIT, what, pick)
}

fn client(url: &str) -> Engine {
    let mut e = engine();
    e.open(SessionConfig::WsClient(Box::new(WsClientConfig {
        url: WsUrl::parse(url).unwrap(),
        headers: Vec::new(),
        protocols: vec!["chat".into()],
        tls: None,
        bind: None,
        max_message: DEFAULT_MAX_MESSAGE,
        kind: MessageKind::Text,
    })));
    e
}

fn connected(e: &Engine) -> PeerId {
    connected_at(e).0
}

/// The next connection's id, its remote address and ours.
fn connected_at(e: &Engine) -> (PeerId, std::net::SocketAddr, std::net::SocketAddr) {
    wait_for(e, "Connected", |ev| match ev {
        Event::Connected { peer, addr, local } => Some((*peer, *addr, *local)),
        Event::PeerClosed { how, .. } => panic!("closed: {how:?}"),
        _ => None,
    })
}

#[test]
fn our_ping_is_timed_and_our_close_code_reaches_python() {
    if crate::wine::skip_under_wine(
        "our_ping_is_timed_and_our_close_code_reaches_python",
        "the engine runs inside wine here, where the Linux python3 peer cannot be started",
    ) {
        return;
    }
    let p = peer(
        "ws_peer.py",
        &["server", "127.0.0.1", "0", "recv", "sleep:0.5", "wait"],
    );
    let port = port_of(
        &p.out_line("'PORT n'", |l| l.starts_with("PORT "))
            .replace(' ', ":"),
    );
    let e = client(&format!("ws://127.0.0.1:{port}/"));
    connected(&e);
    let h = e.handle().unwrap();
    h.ping(Target::Default, Bytes::from_static(b"rtt?"))
        .unwrap();
    let rtt = wait_for(&e, "the pong", |ev| match ev {
        Event::Ws {
            event: WsEvent::Pong { payload, rtt },
            ..
        } => {
            assert_eq!(&payload[..], b"rtt?");
            Some(*rtt)
        }
        _ => None,
    });
    assert!(rtt.is_some_and(|d| d < WAIT), "{rtt:?}");
    h.send(Target::Default, Bytes::from_static(b"x")).unwrap();
    h.ws_close(Target::Default, 4000, "my reason".into())
        .unwrap();
    let answered = wait_for(&e, "the answer to our close", |ev| match ev {
        Event::Ws {
            event:
                WsEvent::Close {
                    close,
                    by_peer: true,
                    reply: true,
                },
            ..
        } => Some(close.code),
        _ => None,
    });
    assert_eq!(answered, Some(4000));
    p.out_line("the close", |l| l == "CLOSED 4000 my reason");
}

#[test]
fn a_server_sends_exact_bytes_to_the_clients_it_is_told_to() {
    let mut srv = engine();
    srv.open(SessionConfig::WsServer(Box::new(WsServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        tls: None,
        path: Some("/a".into()),
        max_message: DEFAULT_MAX_MESSAGE,
        kind: MessageKind::Binary,
    })));
    let local = wait_for(&srv, "Opened", |ev| match ev {
        Event::Opened { local, .. } => Some(*local),
        _ => None,
    });
    let url = format!("ws://{local}/a");
    let (c1, c2) = (client(&url), client(&url));
    let a = connected_at(&srv);
    let b = connected_at(&srv);
    // The two clients connect at once: which is which, by address.
    let (_, _, c1_addr) = connected_at(&c1);
    connected(&c2);
    let (first, second) = if a.1 == c1_addr {
        (a.0, b.0)
    } else {
        (b.0, a.0)
    };
    let h = srv.handle().unwrap();
    // Every size up to past one read, each byte value: kept exactly.
    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    h.send(Target::Peers(vec![first]), Bytes::from(big.clone()))
        .unwrap();
    h.send_with(
        Target::All,
        Bytes::from("全部"),
        SendMeta {
            message: Some(MessageKind::Text),
            ..SendMeta::default()
        },
    )
    .unwrap();
    let got = |e: &Engine, n: usize| {
        let mut all = Vec::new();
        wait_for(e, "messages", |ev| {
            if let Event::Received {
                data,
                message: Some(m),
                ..
            } = ev
            {
                all.push((data.to_vec(), m.kind));
            }
            (all.len() >= n).then_some(())
        });
        all
    };
    let one = got(&c1, 2);
    assert_eq!(one[0], (big, MessageKind::Binary));
    assert_eq!(one[1], ("全部".as_bytes().to_vec(), MessageKind::Text));
    let two = got(&c2, 1);
    assert_eq!(two[0], ("全部".as_bytes().to_vec(), MessageKind::Text));
    assert_ne!(first, second);
}

/// A peer that speaks just enough HTTP to upgrade and then reads without
/// ever answering a frame: what a program stuck elsewhere looks like.
mod silent {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::mpsc::Sender;

    /// Reads the head of an HTTP message (up to its blank line).
    pub fn head(s: &mut TcpStream) -> String {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(
                s.read(&mut byte).expect("read the head"),
                1,
                "EOF in the head"
            );
            head.push(byte[0]);
        }
        String::from_utf8(head).expect("an ASCII head")
    }

    /// Answers a client's upgrade request read from `s`.
    pub fn accept(s: &mut TcpStream) {
        let request = head(s);
        let key = request
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("sec-websocket-key")
                    .then(|| value.trim().to_string())
            })
            .expect("a Sec-WebSocket-Key");
        let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
        write!(
            s,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        )
        .expect("answer the upgrade");
    }

    /// Reads everything until the other side ends the connection, and
    /// sends what came (the frames) when it has.
    pub fn drain(mut s: TcpStream, got: Sender<Vec<u8>>) {
        let mut all = Vec::new();
        let _ = s.read_to_end(&mut all);
        let _ = got.send(all);
    }
}

/// Waits for our close's answer to be given up on, and for the end of the
/// connection that follows; returns how long that took from `since`.
fn close_given_up(e: &Engine, since: Instant) -> Duration {
    let waited = wait_for(e, "CloseUnanswered", |ev| match ev {
        Event::Ws {
            event: WsEvent::CloseUnanswered { waited },
            ..
        } => Some(*waited),
        Event::PeerClosed { how, .. } => panic!("closed before giving up: {how:?}"),
        _ => None,
    });
    assert_eq!(waited, netassist::net::ws::CLOSE_TIMEOUT);
    wait_for(e, "PeerClosed", |ev| match ev {
        Event::PeerClosed { how, .. } => {
            assert_eq!(*how, netassist::net::CloseReason::Local);
            Some(())
        }
        _ => None,
    });
    since.elapsed()
}

#[test]
fn a_client_ends_a_connection_whose_server_never_answers_its_close() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (got_tx, got) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        silent::accept(&mut s);
        silent::drain(s, got_tx);
    });
    let e = client(&format!("ws://127.0.0.1:{port}/"));
    connected(&e);
    let closed_at = Instant::now();
    e.handle()
        .unwrap()
        .ws_close(Target::Default, 1000, "bye".into())
        .unwrap();
    let took = close_given_up(&e, closed_at);
    assert!(took >= netassist::net::ws::CLOSE_TIMEOUT, "{took:?}");
    // The server saw our close frame (masked, from a client), then the end.
    let frames = got.recv_timeout(WAIT).expect("the server's reads");
    assert_eq!(frames.first(), Some(&0x88), "a close frame: {frames:02X?}");
}

#[test]
fn a_server_ends_a_connection_whose_client_never_answers_its_close() {
    let mut srv = engine();
    srv.open(SessionConfig::WsServer(Box::new(WsServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        tls: None,
        path: None,
        max_message: DEFAULT_MAX_MESSAGE,
        kind: MessageKind::Text,
    })));
    let local = wait_for(&srv, "Opened", |ev| match ev {
        Event::Opened { local, .. } => Some(*local),
        _ => None,
    });
    let mut s = std::net::TcpStream::connect(local).unwrap();
    use std::io::Write;
    s.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    let answer = silent::head(&mut s);
    assert!(answer.starts_with("HTTP/1.1 101"), "{answer}");
    let (got_tx, got) = std::sync::mpsc::channel();
    std::thread::spawn(move || silent::drain(s, got_tx));
    let peer = connected(&srv);
    let closed_at = Instant::now();
    srv.handle()
        .unwrap()
        .ws_close(Target::Peers(vec![peer]), 1001, "going".into())
        .unwrap();
    let took = close_given_up(&srv, closed_at);
    assert!(took >= netassist::net::ws::CLOSE_TIMEOUT, "{took:?}");
    // The client read our close frame (unmasked: 0x88, then the length),
    // then the end of the connection.
    let frames = got.recv_timeout(WAIT).expect("the client's reads");
    assert_eq!(frames.get(..2), Some(&[0x88, 7][..]), "{frames:02X?}");
    assert_eq!(&frames[2..4], &1001u16.to_be_bytes());
    assert_eq!(&frames[4..], b"going");
}
