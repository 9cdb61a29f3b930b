//! A stand-in network for tests of the window alone: an engine made with
//! [`Engine::fake`](super::Engine::fake) opens at once on the address asked
//! for without touching a socket, takes every send as written, and lets the
//! test play the peers by injecting their events through [`FakeNet`].
//!
//! It runs in the same worker loop as the real modes, so commands, timed
//! sends and events go through exactly the same paths.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

use bytes::Bytes;

use super::driver::{Ctx, Driver, SendOutcome, WorkerCmd, WorkerShared};
use super::{CloseReason, Event, Mode, PeerId, SendMeta, SessionConfig, Target};

/// The port a fake session reports when port 0 (any) was asked for.
pub const FAKE_PORT: u16 = 40000;

/// What the test and the fake worker share.
#[derive(Default)]
pub(crate) struct FakeInner {
    injected: Mutex<VecDeque<Event>>,
    sent: Mutex<Vec<(Target, Bytes)>>,
    worker: Mutex<Option<Arc<WorkerShared>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The test's side of a fake engine.
#[derive(Clone, Default)]
pub struct FakeNet {
    pub(crate) inner: Arc<FakeInner>,
}

impl FakeNet {
    /// Makes the open fake session report `event`, as if a peer had done
    /// it (`Connected`, `Received`, `HalfClosed`, `PeerClosed`, ...).
    pub fn inject(&self, event: Event) {
        lock(&self.inner.injected).push_back(event);
        if let Some(w) = lock(&self.inner.worker).as_ref() {
            w.wake_worker();
        }
    }

    /// A peer of a fake TCP server connects from `addr`.
    pub fn connect(&self, peer: u64, addr: SocketAddr, local: SocketAddr) {
        self.inject(Event::Connected {
            peer: PeerId(peer),
            addr,
            local,
        });
    }

    /// Bytes arrive from `addr` (on connection `peer`, for TCP).
    pub fn receive(&self, peer: Option<u64>, addr: SocketAddr, data: &[u8]) {
        self.inject(Event::Received {
            peer: peer.map(PeerId),
            addr,
            time: SystemTime::now(),
            data: Bytes::copy_from_slice(data),
            message: None,
        });
    }

    /// Every send so far, in order: where to, and the exact bytes.
    pub fn sent(&self) -> Vec<(Target, Bytes)> {
        lock(&self.inner.sent).clone()
    }
}

/// The fake mode's driver.
pub(crate) struct FakeDriver {
    inner: Arc<FakeInner>,
    mode: Mode,
    /// Connected peers (TCP), in the order they came.
    peers: Vec<(PeerId, SocketAddr)>,
    /// Where a UDP or TCP-client send goes.
    remote: SocketAddr,
}

impl FakeDriver {
    /// Opens at once: `Opened` (and, for a client, `Connected`).
    pub(crate) fn open(ctx: &mut Ctx, config: SessionConfig, inner: Arc<FakeInner>) -> FakeDriver {
        *lock(&inner.worker) = Some(Arc::clone(&ctx.shared));
        let mode = config.mode();
        let any_port = |a: SocketAddr| {
            if a.port() == 0 {
                SocketAddr::new(a.ip(), FAKE_PORT)
            } else {
                a
            }
        };
        let loopback = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), FAKE_PORT);
        let (local, remote) = match &config {
            SessionConfig::TcpServer { bind, .. } => (any_port(*bind), loopback),
            SessionConfig::Relay(r) => (any_port(r.listen), loopback),
            SessionConfig::WsServer(w) => (any_port(w.bind), loopback),
            SessionConfig::WsClient(w) => {
                let hp = w.url.host_port();
                let ip = hp.ip().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
                (
                    w.bind.map_or(loopback, any_port),
                    SocketAddr::new(ip, hp.port),
                )
            }
            SessionConfig::TcpClient { remote, bind, .. } => {
                let ip = remote.ip().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
                (
                    bind.map_or(loopback, any_port),
                    SocketAddr::new(ip, remote.port),
                )
            }
            SessionConfig::Udp { bind, remote, .. } => {
                let to = remote
                    .as_ref()
                    .and_then(|r| r.ip().map(|ip| SocketAddr::new(ip, r.port)))
                    .unwrap_or(loopback);
                (any_port(*bind), to)
            }
            // A load run on the stand-in network opens and does nothing.
            SessionConfig::Load(_) => (loopback, loopback),
        };
        ctx.emit(Event::Opened { mode, local });
        let mut driver = FakeDriver {
            inner,
            mode,
            peers: Vec::new(),
            remote,
        };
        if mode.connects() {
            driver.peers.push((PeerId(1), remote));
            ctx.emit(Event::Connected {
                peer: PeerId(1),
                addr: remote,
                local,
            });
        }
        driver
    }
}

impl Driver for FakeDriver {
    fn on_ready(&mut self, _ctx: &mut Ctx, _event: &mio::event::Event) {}

    fn send(&mut self, ctx: &mut Ctx, target: &Target, data: Bytes, meta: SendMeta) -> SendOutcome {
        lock(&self.inner.sent).push((target.clone(), data.clone()));
        let to: Vec<(Option<PeerId>, SocketAddr)> = match (self.mode, target) {
            (Mode::Udp, Target::Addr(a)) => vec![(None, *a)],
            (Mode::Udp, _) => vec![(None, self.remote)],
            (_, Target::Peers(ids)) => self
                .peers
                .iter()
                .filter(|(p, _)| ids.contains(p))
                .map(|(p, a)| (Some(*p), *a))
                .collect(),
            (_, Target::Addr(a)) => vec![(None, *a)],
            _ => self.peers.iter().map(|(p, a)| (Some(*p), *a)).collect(),
        };
        if to.is_empty() {
            return SendOutcome::NoPeers;
        }
        for (peer, addr) in to {
            ctx.emit(Event::Sent {
                peer,
                addr,
                time: SystemTime::now(),
                data: data.clone(),
                meta,
            });
        }
        SendOutcome::Sent
    }

    fn on_command(&mut self, ctx: &mut Ctx, cmd: WorkerCmd) {
        if let WorkerCmd::Disconnect(peer) | WorkerCmd::Finish(peer) = cmd
            && let Some(i) = self.peers.iter().position(|(p, _)| *p == peer)
        {
            let (peer, addr) = self.peers.remove(i);
            ctx.emit(Event::PeerClosed {
                peer,
                addr,
                how: CloseReason::Local,
            });
        }
    }

    fn pump(&mut self, ctx: &mut Ctx) -> bool {
        let injected: Vec<Event> = lock(&self.inner.injected).drain(..).collect();
        for ev in injected {
            match &ev {
                Event::Connected { peer, addr, .. } => self.peers.push((*peer, *addr)),
                Event::PeerClosed { peer, .. } => self.peers.retain(|(p, _)| p != peer),
                _ => {}
            }
            ctx.emit(ev);
        }
        false
    }

    fn deadline(&self) -> Option<Instant> {
        None
    }

    fn on_timer(&mut self, _ctx: &mut Ctx, _now: Instant) {}

    fn finished(&self) -> bool {
        false
    }

    fn shutdown(&mut self, ctx: &mut Ctx) {
        for (peer, addr) in std::mem::take(&mut self.peers) {
            ctx.emit(Event::PeerClosed {
                peer,
                addr,
                how: CloseReason::Local,
            });
        }
        *lock(&self.inner.worker) = None;
    }
}
