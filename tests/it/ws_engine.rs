//! The engine's WebSocket sessions against Python's `websockets`
//! (tests/peers/ws_peer.py) and each other: our pings and their round trip,
//! a close with a chosen code, exact message bytes of every size, and a
//! server that sends to the clients it is told to.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use netassist::net::ws::{
    DEFAULT_MAX_MESSAGE, MessageKind, WsClientConfig, WsEvent, WsServerConfig, WsUrl,
};
use netassist::net::{Engine, Event, PeerId, SendMeta, SessionConfig, Target};

use crate::peer_support::{peer, port_of};

const WAIT: Duration = Duration::from_secs(10);

fn engine() -> Engine {
    Engine::new(Arc::new(|| {}))
}

fn wait_for<T>(engine: &Engine, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    let end = Instant::now() + WAIT;
    while Instant::now() < end {
        if let Some(ev) = engine.events().recv_timeout(Duration::from_millis(50))
            && let Some(v) = pick(&ev)
        {
            return v;
        }
    }
    panic!("timed out waiting for {what}");
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
