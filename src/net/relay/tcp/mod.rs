//! The TCP relay: one listener; each client accepted is a pair with a
//! connection of its own to the target. Each direction of a pair has a
//! bounded queue of chunks on their way (with the faults' timing on them);
//! while it is full the reading side is not read, so a slow reader holds
//! back the writer through TCP itself, and memory stays bounded.
//!
//! Reading waits for the upstream connection (the client's bytes wait in
//! the system meanwhile) and for room at the consumer, as every mode does.
//! Each chunk read is reported ([`Event::Relayed`]) and then written, as
//! the same bytes (no copy), to the other leg.
//!
//! Ends are passed on: a FIN becomes a shutdown of the other leg's writing
//! once what was read before it is written; a reset (or any other error)
//! resets the other leg. A pair ends when both directions have finished,
//! and reports [`Event::PeerClosed`] for the upstream leg, then for the
//! client's leg (the pair's last event); when the client's leg broke, its
//! own comes first (the first a pair reports is the reason shown).
//!
//! TLS on a leg ([`RelayConfig::tls_listen`], [`RelayConfig::tls_upstream`])
//! sits between the socket and the pair's queues: what is read is
//! decrypted before it is reported and queued, and what is queued is
//! encrypted as it is written, so events and faults see the plaintext.
//! The handshake's end is [`Event::TlsEstablished`] (with the client's or
//! the target's address); nothing is written to a leg before it, and a
//! FIN to a TLS leg follows its close_notify. A TLS failure breaks the
//! pair: the leg reports [`CloseReason::Tls`], its alert is followed by a
//! FIN, and the other leg is reset.
//!
//! How each pair's legs end, in [`Event::PeerClosed`]: both
//! [`CloseReason::Orderly`] after a FIN each way; a leg that reset (or
//! failed) with its reason, and the other leg, which the relay then
//! resets, [`CloseReason::Local`]; both `Local` when the relay ends the
//! pair (a disconnect, the session's close, an end fault). A pair whose
//! upstream could not be connected reports [`Event::UpstreamFailed`], then
//! its client's leg closes (a FIN; what the client sent is read and
//! dropped unreported, as it never went anywhere).
//!
//! Both legs have TCP_NODELAY, so a slice fault's pieces each go in a
//! segment of their own.
//!
//! [`WorkerCmd::Finish`] finishes both legs: each gets a FIN once its
//! queue is written, and what either side sends afterwards is reported
//! but goes nowhere (its other leg has been finished); the pair ends when
//! both sides have finished too. A send command writes to clients, as the
//! TCP server does, after what is queued to them.

mod dir;
mod leg;
mod pair;
mod write;

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Token};

use super::arena::Arena;
use super::sched::Timers;
use super::target::{Lookup, TargetAddrs};
use super::{Faults, Flow, RelayConfig, Rewriter};
use crate::net::addr::canonical;
use crate::net::conn::ReadBuf;
use crate::net::driver::{Ctx, Driver, SendOutcome, WorkerCmd, no_multicast};
use crate::net::tcp_server::{accept_next, listen};
use crate::net::tls::layer::TlsLayer;
use crate::net::tls::setup::{self, ClientTls, ServerTls};
use crate::net::{CloseReason, Event, Mode, NetError, PeerId, SendMeta, Target};
use dir::{Cx, Dir, Ids};
use leg::{Leg, Side, client_token, close_leg, close_stream};
use pair::{Ending, Pair, Upstream};

const LISTENER: Token = Token(1);
/// What is read (and reported) from a leg that is being closed, so that a
/// close is a FIN and not a reset for unread bytes.
const DRAIN_LIMIT: usize = 256 * 1024;

/// The TCP relay driver.
pub(crate) struct TcpRelay {
    listener: TcpListener,
    target: TargetAddrs,
    target_host: String,
    pairs: HashMap<u64, Pair>,
    /// Pairs with something to read.
    ready: VecDeque<u64>,
    /// Pairs waiting for the target's lookup.
    waiting: Vec<u64>,
    timers: Timers,
    next_id: u64,
    /// The pair whose client sent last.
    last_sender: Option<u64>,
    accept_retry_at: Option<Instant>,
    buf: Arena,
    /// Ciphertext is read here.
    cipher: ReadBuf,
    rng: fastrand::Rng,
    faults: Faults,
    rewrite: Option<Rewriter>,
    /// TLS towards the clients, if the relay speaks it.
    tls_listen: Option<ServerTls>,
    /// TLS towards the target, if the relay speaks it.
    tls_upstream: Option<ClientTls>,
}

impl TcpRelay {
    /// Binds and listens, reporting `Opened` with the real address. With
    /// TLS on either leg, its files are loaded first (a bad one fails the
    /// open before anything is bound), and a TLS listener's
    /// `TlsServerReady` follows `Opened`.
    pub(crate) fn open(ctx: &mut Ctx, config: RelayConfig) -> Result<TcpRelay, NetError> {
        let tls_listen = match &config.tls_listen {
            Some(cfg) => Some(setup::server(cfg, config.listen)?),
            None => None,
        };
        let tls_upstream = match &config.tls_upstream {
            Some(cfg) => Some(setup::client(cfg, &config.target.host)?),
            None => None,
        };
        let mut listener = TcpListener::from_std(listen(config.listen)?);
        let local = listener
            .local_addr()
            .map_err(|e| NetError::bind(config.listen, &e))?;
        ctx.poll
            .registry()
            .register(&mut listener, LISTENER, Interest::READABLE)
            .map_err(|e| NetError::io("cannot watch the listener", &e))?;
        ctx.emit(Event::Opened {
            mode: Mode::Relay,
            local: canonical(local),
        });
        if let Some(tls) = &tls_listen {
            ctx.emit(Event::TlsServerReady {
                cert: Box::new(tls.cert.clone()),
                self_signed: tls.self_signed.clone(),
            });
            if let Some(err) = tls.key_log_error() {
                ctx.error(err);
            }
        }
        if let Some(err) = tls_upstream.as_ref().and_then(ClientTls::key_log_error) {
            ctx.error(err);
        }
        Ok(TcpRelay {
            listener,
            target_host: config.target.host.clone(),
            target: TargetAddrs::new(config.target),
            pairs: HashMap::new(),
            ready: VecDeque::new(),
            waiting: Vec::new(),
            timers: Timers::default(),
            next_id: 1,
            last_sender: None,
            accept_retry_at: None,
            buf: Arena::new(),
            cipher: ReadBuf::new(),
            rng: fastrand::Rng::new(),
            faults: config.faults,
            rewrite: config.rewrite,
            tls_listen,
            tls_upstream,
        })
    }

    fn accept_all(&mut self, ctx: &mut Ctx) {
        while let Some((stream, addr)) = accept_next(&self.listener, ctx, &mut self.accept_retry_at)
        {
            self.add(ctx, stream, addr);
        }
    }

    fn add(&mut self, ctx: &mut Ctx, mut stream: TcpStream, addr: SocketAddr) {
        let id = self.next_id;
        self.next_id += 1;
        let _ = stream.set_nodelay(true);
        let addr = canonical(addr);
        let local = stream.local_addr().map(canonical).unwrap_or(addr);
        let tls = match self.tls_listen.as_ref().map(TlsLayer::server).transpose() {
            Ok(layer) => layer.map(Box::new),
            Err(e) => {
                return ctx.error(NetError::TlsSetup {
                    message: e.to_string(),
                });
            }
        };
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(e) = ctx
            .poll
            .registry()
            .register(&mut stream, client_token(id), interest)
        {
            return ctx.error(NetError::io("cannot watch a new client", &e));
        }
        let peer = PeerId(id);
        ctx.emit(Event::Connected { peer, addr, local });
        let now = Instant::now();
        let pair = Pair {
            id,
            ids: Ids { peer, client: addr },
            client: Leg {
                stream,
                addr,
                readable: false,
                tls,
            },
            upstream: Upstream::Waiting,
            up: Dir::new(&self.faults.up, now),
            down: Dir::new(&self.faults.down, now),
            in_ready: false,
            armed: None,
            ending: None,
            client_sent: false,
        };
        self.pairs.insert(id, pair);
        match self.target.get(ctx) {
            Lookup::Known(addrs) => self.connect(ctx, id, Ok(addrs)),
            Lookup::Looking => self.waiting.push(id),
            Lookup::Failed(err) => self.connect(ctx, id, Err(err)),
        }
    }

    /// Starts a pair's connect once the target's addresses are known.
    fn connect(&mut self, ctx: &mut Ctx, id: u64, addrs: Result<Vec<SocketAddr>, NetError>) {
        let Some(pair) = self.pairs.get_mut(&id) else {
            return;
        };
        let result = match addrs {
            Ok(addrs) => pair.connect(ctx, addrs.into(), None),
            Err(err) => Err(Ending::NoUpstream(Some(err))),
        };
        self.settle(ctx, id, result);
    }

    /// Connects the pairs that waited for a lookup that has ended.
    fn on_lookup(&mut self, ctx: &mut Ctx) {
        if !self.target.looking() {
            return;
        }
        let Some(result) = self.target.finished() else {
            return;
        };
        for id in std::mem::take(&mut self.waiting) {
            self.connect(ctx, id, result.clone());
        }
    }

    /// Runs `work` on pair `id` with what it needs, then settles it.
    fn with_pair(
        &mut self,
        ctx: &mut Ctx,
        id: u64,
        work: impl FnOnce(&mut Pair, &mut Cx) -> Result<(), Ending>,
    ) {
        let Some(pair) = self.pairs.get_mut(&id) else {
            return;
        };
        let mut cx = Cx {
            ctx,
            buf: &mut self.buf,
            rng: &mut self.rng,
            faults: &self.faults,
            rewrite: self.rewrite.as_ref(),
            now: Instant::now(),
            cipher: &mut self.cipher,
            upstream_tls: self.tls_upstream.as_ref(),
        };
        let result = work(pair, &mut cx);
        self.settle(ctx, id, result);
    }

    /// After work on a pair: its end, or its next wake-up and reads.
    fn settle(&mut self, ctx: &mut Ctx, id: u64, result: Result<(), Ending>) {
        let ending = match result {
            Err(ending) => Some(ending),
            Ok(()) => self.pairs.get(&id).and_then(Pair::over),
        };
        if let Some(ending) = ending {
            return self.end_pair(ctx, id, ending);
        }
        let Some(pair) = self.pairs.get_mut(&id) else {
            return;
        };
        if std::mem::take(&mut pair.client_sent) {
            self.last_sender = Some(id);
        }
        let next = pair.next_wake();
        self.timers.arm(&mut pair.armed, id, next);
        if self.timers.crowded(self.pairs.len()) {
            let live = self
                .pairs
                .iter()
                .filter_map(|(id, p)| p.armed.map(|at| (at, *id)));
            self.timers.rebuild(live);
        }
        let Some(pair) = self.pairs.get_mut(&id) else {
            return;
        };
        if !pair.in_ready && (pair.can_read(Flow::Up) || pair.can_read(Flow::Down)) {
            pair.in_ready = true;
            self.ready.push_back(id);
        }
    }

    /// Ends a pair: reports and closes its legs.
    fn end_pair(&mut self, ctx: &mut Ctx, id: u64, ending: Ending) {
        let Some(mut pair) = self.pairs.remove(&id) else {
            return;
        };
        if self.last_sender == Some(id) {
            self.last_sender = None;
        }
        self.waiting.retain(|w| *w != id);
        ctx.shared
            .sub_pending(pair.up.injected + pair.down.injected);
        let peer = pair.ids.peer;
        // A leg that failed in TLS has had its alert: it gets a FIN after
        // it, not a reset that could overtake it.
        // The leg that broke reports first: its reason is the pair's.
        let client_first = matches!(
            ending,
            Ending::Broke {
                side: Side::Client,
                ..
            }
        );
        let tls_broke = match &ending {
            Ending::Broke {
                side,
                how: CloseReason::Tls(_),
            } => Some(*side),
            _ => None,
        };
        let (client_how, upstream_how, abort) = match ending {
            Ending::NoUpstream(err) => {
                let error = err.unwrap_or_else(|| NetError::HostNotFound {
                    host: self.target_host.clone(),
                    detail: "no addresses".to_string(),
                });
                ctx.emit(Event::UpstreamFailed {
                    peer,
                    client: pair.ids.client,
                    error,
                });
                // What the client sent was never read: read it away so
                // the close is a FIN, not a reset.
                let mut left = DRAIN_LIMIT;
                while left > 0 {
                    match self.buf.read_stream(&pair.client.stream) {
                        Ok(Some(data)) => left = left.saturating_sub(data.len()),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        _ => break,
                    }
                }
                (CloseReason::Local, CloseReason::Local, false)
            }
            Ending::Orderly => (CloseReason::Orderly, CloseReason::Orderly, false),
            Ending::Local { abort } => (CloseReason::Local, CloseReason::Local, abort),
            Ending::Broke {
                side: Side::Client,
                how,
            } => (how, CloseReason::Local, true),
            Ending::Broke {
                side: Side::Upstream,
                how,
            } => (CloseReason::Local, how, true),
        };
        if !abort {
            let mut cx = Cx {
                ctx,
                buf: &mut self.buf,
                rng: &mut self.rng,
                faults: &self.faults,
                rewrite: None,
                now: Instant::now(),
                cipher: &mut self.cipher,
                upstream_tls: self.tls_upstream.as_ref(),
            };
            pair.drain(&mut cx);
        }
        let mut client_end = Some(Event::PeerClosed {
            peer,
            addr: pair.ids.client,
            how: client_how,
        });
        if client_first && let Some(end) = client_end.take() {
            ctx.emit(end);
        }
        match std::mem::replace(&mut pair.upstream, Upstream::Waiting) {
            Upstream::Up(leg) => {
                ctx.emit(Event::PeerClosed {
                    peer,
                    addr: leg.addr,
                    how: upstream_how,
                });
                close_leg(ctx, leg, abort && tls_broke != Some(Side::Upstream));
            }
            Upstream::Connecting { stream, .. } => close_stream(ctx, stream, true),
            Upstream::Waiting => {}
        }
        if let Some(end) = client_end {
            ctx.emit(end);
        }
        close_leg(ctx, pair.client, abort && tls_broke != Some(Side::Client));
    }

    /// The pairs a send goes to, or why it goes nowhere.
    fn targets(&self, target: &Target) -> Result<Vec<u64>, SendOutcome> {
        let open = |id: &u64| {
            self.pairs
                .get(id)
                .is_some_and(|p| !p.down.finish && !p.down.shut)
        };
        let mut ids: Vec<u64> = match target {
            Target::Default | Target::All => {
                let all: Vec<u64> = self.pairs.keys().copied().filter(open).collect();
                if all.is_empty() {
                    return Err(SendOutcome::NoPeers);
                }
                all
            }
            Target::Peers(peers) => {
                let present: Vec<u64> = peers
                    .iter()
                    .map(|p| p.0)
                    .filter(|id| self.pairs.contains_key(id))
                    .collect();
                match peers.first() {
                    Some(first) if present.is_empty() => {
                        return Err(SendOutcome::Gone(NetError::UnknownPeer(*first)));
                    }
                    None => return Err(SendOutcome::NoPeers),
                    Some(_) => present,
                }
            }
            Target::Addr(addr) => {
                let addr = canonical(*addr);
                let found: Vec<u64> = self
                    .pairs
                    .iter()
                    .filter(|(_, p)| p.ids.client == addr)
                    .map(|(id, _)| *id)
                    .collect();
                if found.is_empty() {
                    return Err(SendOutcome::Gone(NetError::NoClients));
                }
                found
            }
            Target::LastSender => match self.last_sender {
                Some(id) => vec![id],
                None => return Err(SendOutcome::Gone(NetError::NoClients)),
            },
            Target::Host(_) => {
                return Err(SendOutcome::Failed(NetError::BadTarget {
                    mode: Mode::Relay.name(),
                }));
            }
        };
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }
}

impl Driver for TcpRelay {
    fn on_ready(&mut self, ctx: &mut Ctx, event: &mio::event::Event) {
        let token = event.token();
        if token == LISTENER {
            self.accept_all(ctx);
            return;
        }
        let id = (token.0 / 2) as u64;
        let side = if token.0.is_multiple_of(2) {
            Side::Client
        } else {
            Side::Upstream
        };
        self.with_pair(ctx, id, |pair, cx| pair.on_event(side, event, cx));
    }

    fn send(&mut self, ctx: &mut Ctx, target: &Target, data: Bytes, meta: SendMeta) -> SendOutcome {
        let ids = match self.targets(target) {
            Ok(ids) => ids,
            Err(outcome) => return outcome,
        };
        let mut sent = 0;
        let mut broken = false;
        let mut full: Option<NetError> = None;
        let mut gone: Option<NetError> = None;
        for id in ids {
            let mut outcome = Ok(());
            self.with_pair(ctx, id, |pair, cx| {
                match pair.inject(cx, data.clone(), meta) {
                    Ok(refused) => {
                        outcome = refused;
                        Ok(())
                    }
                    Err(ending) => {
                        outcome = Err(SendOutcome::Closed);
                        Err(ending)
                    }
                }
            });
            match outcome {
                Ok(()) => sent += 1,
                Err(SendOutcome::Failed(err)) => match full {
                    Some(_) => ctx.error(err),
                    None => full = Some(err),
                },
                Err(SendOutcome::Gone(err)) => gone = Some(err),
                Err(_) => broken = true,
            }
        }
        SendOutcome::of_many(target, sent, full, gone, broken)
    }

    fn on_command(&mut self, ctx: &mut Ctx, cmd: WorkerCmd) {
        match cmd {
            WorkerCmd::Disconnect(peer) => {
                if self.pairs.contains_key(&peer.0) {
                    self.end_pair(ctx, peer.0, Ending::Local { abort: false });
                } else {
                    ctx.error(NetError::UnknownPeer(peer));
                }
            }
            WorkerCmd::Finish(peer) => {
                if !self.pairs.contains_key(&peer.0) {
                    return ctx.error(NetError::UnknownPeer(peer));
                }
                self.with_pair(ctx, peer.0, |pair, cx| {
                    pair.finish();
                    pair.flush(Flow::Up, cx)?;
                    pair.flush(Flow::Down, cx)
                });
            }
            WorkerCmd::SetFaults(faults) => {
                let now = Instant::now();
                for pair in self.pairs.values_mut() {
                    pair.up.set_faults(&faults.up, now);
                    pair.down.set_faults(&faults.down, now);
                }
                self.faults = faults;
                // Lifted blackholes and rates may free what waits.
                let mut ids: Vec<u64> = self.pairs.keys().copied().collect();
                ids.sort_unstable();
                for id in ids {
                    self.with_pair(ctx, id, Pair::run);
                }
            }
            WorkerCmd::SetRewrite(rewrite) => self.rewrite = rewrite,
            WorkerCmd::RefreshNames => self.target.forget(),
            other => no_multicast(ctx, other, Mode::Relay),
        }
    }

    fn pump(&mut self, ctx: &mut Ctx) -> bool {
        self.on_lookup(ctx);
        let mut turns = self.ready.len();
        while turns > 0 && ctx.sink.has_room() {
            turns -= 1;
            let Some(id) = self.ready.pop_front() else {
                break;
            };
            let Some(pair) = self.pairs.get_mut(&id) else {
                continue;
            };
            pair.in_ready = false;
            self.with_pair(ctx, id, Pair::run);
        }
        !self.ready.is_empty()
    }

    fn deadline(&self) -> Option<Instant> {
        match (self.accept_retry_at, self.timers.next()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx, now: Instant) {
        if self.accept_retry_at.is_some_and(|t| t <= now) {
            self.accept_retry_at = None;
            self.accept_all(ctx);
        }
        for (at, id) in self.timers.due(now) {
            let Some(pair) = self.pairs.get_mut(&id) else {
                continue;
            };
            if pair.armed != Some(at) {
                continue;
            }
            pair.armed = None;
            self.with_pair(ctx, id, Pair::run);
        }
    }

    fn finished(&self) -> bool {
        false
    }

    fn shutdown(&mut self, ctx: &mut Ctx) {
        let _ = ctx.poll.registry().deregister(&mut self.listener);
        let mut ids: Vec<u64> = self.pairs.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            self.end_pair(ctx, id, Ending::Local { abort: false });
        }
    }
}
