//! The load driver: every client of a run in one mio loop. Clients are
//! numbered from 0; client `i` has token `i + 1` and its slot in a vector,
//! so finding one is an index, and its timer is one entry of a heap of
//! wake-ups (connect timeouts, pauses, reply timeouts, the pace of rounds,
//! the linger after our FIN). Connects are started at the rate asked, a
//! few hundred a turn at most. Nothing here is per byte or per event of the
//! run as a whole but the counters; the figures go out as a snapshot every
//! [`SNAPSHOT_EVERY`](super::SNAPSHOT_EVERY).

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use crossbeam_channel::Receiver;
use mio::Token;

use super::client::{Conn, Fail, Read};
use super::report::{
    ExchangeWhy, FailKind, LoadEnd, LoadPlan, LoadSample, SAMPLE_BYTES, SampleKind,
};
use super::stats::Stats;
use super::{
    DEFAULT_RATE, LOOPBACK_PER_SOURCE, LoadConfig, LoadProto, LoadWait, REPLY_WINDOW,
    SNAPSHOT_EVERY, Sources, limits,
};
use crate::net::driver::{Ctx, Driver, SendOutcome, WorkerCmd, no_multicast};
use crate::net::read_pool::READ_CHUNK;
use crate::net::relay::sched::Timers;
use crate::net::resolve::{LookupResult, literal, spawn_lookup};
use crate::net::tls::layer::TlsLayer;
use crate::net::tls::setup::{self, ClientTls};
use crate::net::tls::{ServerVerify, TlsClientConfig};
use crate::net::ws::layer::WsLayer;
use crate::net::ws::{DEFAULT_MAX_MESSAGE, MessageKind, WsClientConfig, WsUrl};
use crate::net::{Event, Mode, NetError, SendMeta, Target};

/// Most connects started in one turn of the loop.
const CONNECTS_PER_TURN: u32 = 256;
/// Reads of one client per readiness event before it waits its turn.
const READS_PER_EVENT: usize = 4;
/// Clients served from the ready list per turn.
const READY_PER_TURN: usize = 1024;
/// How long a client that finished waits for the server's FIN after its own.
const LINGER: Duration = Duration::from_secs(2);

/// Where one client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Not started yet.
    Idle,
    /// Its TCP connect is under way.
    Connecting,
    /// Its TLS handshake is under way.
    Handshake,
    /// At a step: sending it, then waiting for its pause or reply.
    Step,
    /// Between rounds, waiting for the next one's time.
    Pace,
    /// Done with its rounds; kept open until a timed run ends.
    Holding,
    /// Done; our FIN is sent, the server's awaited.
    Closing,
    /// Over (done or failed); its socket is closed.
    Ended,
}

/// One client.
struct Client {
    conn: Option<Conn>,
    phase: Phase,
    /// The step (from 0) and round (from 0).
    step: u32,
    round: u64,
    /// When its first round began (rounds are paced from it).
    began: Option<Instant>,
    /// When the current step's send was issued.
    sent_at: Option<Instant>,
    /// Waiting for the first byte after a send (to time the reply).
    awaiting: bool,
    /// The current step's wait is over (its send may still be going out).
    waited: bool,
    /// When this client must next be looked at, and the time its timer
    /// is armed for.
    deadline: Option<Instant>,
    armed: Option<Instant>,
    /// What came since the current step's send, while it waits for a reply.
    seen: Vec<u8>,
    /// In the ready list (more may be waiting to be read).
    queued: bool,
}

impl Client {
    fn new() -> Client {
        Client {
            conn: None,
            phase: Phase::Idle,
            step: 0,
            round: 0,
            began: None,
            sent_at: None,
            awaiting: false,
            waited: false,
            deadline: None,
            armed: None,
            seen: Vec::new(),
            queued: false,
        }
    }
}

/// The driver.
pub(super) struct Load {
    config: LoadConfig,
    /// Rounds per client (`None`: until the run's end).
    rounds: Option<u64>,
    rate: u32,
    target: Option<SocketAddr>,
    resolving: Option<Receiver<LookupResult>>,
    tls: Option<ClientTls>,
    /// `ws://` and `wss://`: what each client's upgrade asks for.
    ws: Option<WsClientConfig>,
    sources: Vec<IpAddr>,
    clients: Vec<Client>,
    /// The next client to start.
    next: u32,
    start: Instant,
    end_at: Option<Instant>,
    timers: Timers,
    ready: VecDeque<u32>,
    stats: Stats,
    next_snapshot: Instant,
    /// Clients neither done nor failed.
    live: u64,
    /// Set when the run ends.
    end: Option<LoadEnd>,
    /// The run never started (its target could not be found).
    dead: bool,
    buf: Vec<u8>,
    scratch: Vec<u8>,
}

/// Opens a load session: checks the limits, sets TLS up, and looks the
/// target up (its figures start once it is known).
pub(crate) fn open(ctx: &mut Ctx, config: LoadConfig) -> Result<Box<dyn Driver>, NetError> {
    let tls = match config.url.proto {
        LoadProto::Tls | LoadProto::Wss => {
            let cfg = config
                .tls
                .clone()
                .unwrap_or_else(|| TlsClientConfig::new(ServerVerify::SystemRoots));
            Some(setup::client(&cfg, &config.url.host.host)?)
        }
        _ => None,
    };
    if let Some(err) = tls.as_ref().and_then(ClientTls::key_log_error) {
        ctx.error(err);
    }
    let shape = config.shape;
    let rounds =
        shape
            .rounds
            .or(config.script.rounds)
            .map(u64::from)
            .or(if shape.duration.is_some() {
                None
            } else {
                Some(1)
            });
    let now = Instant::now();
    let mut load = Load {
        rounds,
        rate: shape.rate.unwrap_or(DEFAULT_RATE).max(1),
        target: None,
        resolving: None,
        tls,
        ws: ws_config(&config),
        sources: Vec::new(),
        clients: Vec::new(),
        next: 0,
        start: now,
        end_at: None,
        timers: Timers::default(),
        ready: VecDeque::new(),
        stats: Stats::new(now),
        next_snapshot: now,
        live: u64::from(shape.connections),
        end: None,
        dead: false,
        buf: Vec::with_capacity(READ_CHUNK),
        scratch: Vec::new(),
        config,
    };
    match literal(&load.config.url.host) {
        Some(addr) => load.begin(ctx, addr)?,
        None => load.resolving = Some(spawn_lookup(ctx, load.config.url.host.clone())?),
    }
    Ok(Box::new(load))
}

/// What a WebSocket target's upgrade asks for (no headers or
/// subprotocols of its own; messages up to the default limit).
fn ws_config(config: &LoadConfig) -> Option<WsClientConfig> {
    let url = &config.url;
    url.proto.ws().then(|| WsClientConfig {
        url: WsUrl {
            secure: url.proto.tls(),
            host: url.host.host.clone(),
            port: url.host.port,
            path: url.path.clone(),
        },
        headers: Vec::new(),
        protocols: Vec::new(),
        tls: config.tls.clone(),
        bind: None,
        max_message: DEFAULT_MAX_MESSAGE,
        kind: MessageKind::Text,
    })
}

fn token(i: u32) -> Token {
    Token(i as usize + 1)
}

impl Load {
    /// The target is known: check the limits, say what will happen, start.
    fn begin(&mut self, ctx: &mut Ctx, target: SocketAddr) -> Result<(), NetError> {
        let n = self.config.shape.connections;
        self.sources = match &self.config.sources {
            Sources::Auto => limits::loopback_sources(target.ip(), n, LOOPBACK_PER_SOURCE),
            Sources::PerSource(per) => limits::loopback_sources(target.ip(), n, *per),
            Sources::List(list) => list.clone(),
        };
        let fd_limit = limits::check(n, target, &self.sources)?;
        let mut clients = Vec::new();
        clients.try_reserve_exact(n as usize).map_err(|_| {
            let e = std::io::Error::from(std::io::ErrorKind::OutOfMemory);
            NetError::io("cannot hold the clients", &e)
        })?;
        clients.resize_with(n as usize, Client::new);
        self.clients = clients;
        self.target = Some(target);
        let now = Instant::now();
        self.start = now;
        self.stats = Stats::new(now);
        self.next_snapshot = now + SNAPSHOT_EVERY;
        self.end_at = self.config.shape.duration.map(|d| now + d);
        let local = match self.sources.first() {
            Some(ip) => SocketAddr::new(*ip, 0),
            None if target.is_ipv4() => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            None => SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), 0),
        };
        ctx.emit(Event::Opened {
            mode: Mode::Load,
            local,
        });
        ctx.emit(Event::LoadStarted(Box::new(LoadPlan {
            url: self.config.url.clone(),
            target,
            connections: n,
            rate: self.rate,
            rounds: self.rounds.map(|r| u32::try_from(r).unwrap_or(u32::MAX)),
            duration: self.config.shape.duration,
            sources: self.sources.clone(),
            fd_limit,
            steps: self.config.script.steps.len(),
        })));
        if n == 0 {
            self.end = Some(LoadEnd::Completed);
        }
        Ok(())
    }

    /// When client `next` is due to start.
    fn connect_due(&self) -> Option<Instant> {
        if self.target.is_none() || self.next >= self.config.shape.connections {
            return None;
        }
        let nanos = u64::from(self.next) * 1_000_000_000 / u64::from(self.rate);
        Some(self.start + Duration::from_nanos(nanos))
    }

    /// Starts the connects that are due; true if more are due now.
    fn start_due(&mut self, ctx: &mut Ctx, now: Instant) -> bool {
        let mut started = 0;
        while self.end.is_none() && self.connect_due().is_some_and(|d| d <= now) {
            if started == CONNECTS_PER_TURN {
                return true;
            }
            let i = self.next;
            self.next += 1;
            started += 1;
            self.start_client(ctx, i, now);
        }
        false
    }

    fn start_client(&mut self, ctx: &mut Ctx, i: u32, now: Instant) {
        let Some(target) = self.target else {
            return;
        };
        self.stats.started();
        let source =
            (!self.sources.is_empty()).then(|| self.sources[i as usize % self.sources.len()]);
        let udp = self.config.url.proto == LoadProto::Udp;
        match Conn::start(ctx.poll.registry(), token(i), target, source, udp) {
            Ok(conn) => {
                let c = &mut self.clients[i as usize];
                c.conn = Some(conn);
                if udp {
                    self.up(ctx, i, now);
                } else {
                    c.phase = Phase::Connecting;
                    self.set_deadline(i, Some(now + self.config.connect_timeout));
                }
            }
            Err(f) => self.fail(ctx, i, f),
        }
    }

    fn set_deadline(&mut self, i: u32, at: Option<Instant>) {
        let c = &mut self.clients[i as usize];
        c.deadline = at;
        self.timers.arm(&mut c.armed, u64::from(i), at);
    }

    /// A connect finished (for TLS and WebSocket: the TCP part).
    fn connected(&mut self, ctx: &mut Ctx, i: u32, now: Instant) {
        if self.tls.is_none() && self.ws.is_none() {
            return self.up(ctx, i, now);
        }
        let tls = match self.tls.as_ref().map(TlsLayer::client) {
            Some(Ok(layer)) => Some(layer),
            Some(Err(e)) => return self.fail(ctx, i, (FailKind::Tls, e.to_string())),
            None => None,
        };
        let c = &mut self.clients[i as usize];
        let Some(conn) = c.conn.as_mut() else {
            return;
        };
        c.phase = Phase::Handshake;
        if let Some(layer) = tls {
            conn.start_tls(layer);
        }
        if let Some(ws) = &self.ws {
            let local = conn
                .local()
                .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
            conn.start_ws(WsLayer::client(ws, local));
        }
        // The ClientHello, or the upgrade request (after the handshake).
        if let Err(f) = conn.flush() {
            self.fail(ctx, i, f);
        }
    }

    /// The client is up: its script starts.
    fn up(&mut self, ctx: &mut Ctx, i: u32, now: Instant) {
        self.stats.connected(now);
        let c = &mut self.clients[i as usize];
        c.began = Some(now);
        c.round = 0;
        self.begin_step(ctx, i, 0, now);
    }

    /// Sends step `step` of the current round and starts its wait.
    fn begin_step(&mut self, ctx: &mut Ctx, i: u32, step: u32, now: Instant) {
        let Some(s) = self.config.script.steps.get(step as usize) else {
            return;
        };
        let (send, wait) = (s.send.clone(), s.wait.clone());
        let c = &mut self.clients[i as usize];
        c.phase = Phase::Step;
        c.step = step;
        c.waited = false;
        c.seen.clear();
        if c.seen.capacity() > SAMPLE_BYTES {
            c.seen = Vec::new();
        }
        let deadline = match wait {
            LoadWait::Pause(d) => now + d,
            LoadWait::Reply { timeout, .. } => now + timeout,
        };
        if !send.is_empty() {
            c.sent_at = Some(now);
            c.awaiting = true;
            let Some(conn) = c.conn.as_mut() else {
                return;
            };
            match conn.send(send) {
                Ok(n) => self.stats.wrote(n),
                Err(f) => return self.fail(ctx, i, f),
            }
        }
        self.set_deadline(i, Some(deadline));
        self.after_write(ctx, i, now);
    }

    /// After bytes went out: a send written whole counts, and a step whose
    /// wait is over moves on.
    fn after_write(&mut self, ctx: &mut Ctx, i: u32, now: Instant) {
        let c = &self.clients[i as usize];
        if c.phase != Phase::Step || c.conn.as_ref().is_none_or(Conn::sending) {
            return;
        }
        let zero_pause = matches!(
            self.config.script.steps.get(c.step as usize).map(|s| &s.wait),
            Some(LoadWait::Pause(d)) if d.is_zero()
        );
        if c.waited || zero_pause {
            self.step_done(ctx, i, now);
        }
    }

    /// The current step is over: the next one, the next round, or done.
    fn step_done(&mut self, ctx: &mut Ctx, i: u32, now: Instant) {
        let steps = self.config.script.steps.len() as u32;
        let c = &mut self.clients[i as usize];
        if !self.config.script.steps[c.step as usize].send.is_empty() {
            self.stats.sent_message();
        }
        let c = &mut self.clients[i as usize];
        if c.step + 1 < steps {
            let next = c.step + 1;
            return self.begin_step(ctx, i, next, now);
        }
        c.round += 1;
        if self.rounds.is_some_and(|r| c.round >= r) {
            return self.client_done(ctx, i, now);
        }
        let due = match (self.config.script.every, c.began) {
            (Some(every), Some(began)) => {
                let k = u32::try_from(c.round).unwrap_or(u32::MAX);
                began + every.saturating_mul(k)
            }
            _ => now,
        };
        if due <= now {
            return self.begin_step(ctx, i, 0, now);
        }
        c.phase = Phase::Pace;
        self.set_deadline(i, Some(due));
    }

    /// The client finished its rounds.
    fn client_done(&mut self, ctx: &mut Ctx, i: u32, now: Instant) {
        self.stats.done();
        self.live = self.live.saturating_sub(1);
        let udp = self.config.url.proto == LoadProto::Udp;
        let c = &mut self.clients[i as usize];
        c.seen = Vec::new();
        if self.end_at.is_some() {
            c.phase = Phase::Holding;
            self.set_deadline(i, None);
        } else if udp {
            self.close(ctx, i);
        } else {
            c.phase = Phase::Closing;
            if let Some(conn) = c.conn.as_mut() {
                conn.finish();
            }
            self.set_deadline(i, Some(now + LINGER));
        }
        self.check_end();
    }

    /// Closes a client's socket; it is over.
    fn close(&mut self, ctx: &mut Ctx, i: u32) {
        let c = &mut self.clients[i as usize];
        let was_up = !matches!(c.phase, Phase::Idle | Phase::Connecting | Phase::Handshake);
        c.phase = Phase::Ended;
        c.seen = Vec::new();
        c.deadline = None;
        if let Some(conn) = c.conn.take() {
            conn.close(ctx.poll.registry());
            if was_up {
                self.stats.closed();
            }
        }
    }

    /// The client failed: counted by kind, sampled (within bounds), closed.
    fn fail(&mut self, ctx: &mut Ctx, i: u32, (kind, detail): Fail) {
        let c = &self.clients[i as usize];
        if matches!(c.phase, Phase::Ended) {
            return;
        }
        if matches!(c.phase, Phase::Holding | Phase::Closing) {
            // It was done already; its ending is no failure.
            return self.close(ctx, i);
        }
        let received = Bytes::copy_from_slice(&c.seen[..c.seen.len().min(SAMPLE_BYTES)]);
        let step = if matches!(c.phase, Phase::Step | Phase::Pace) {
            c.step + 1
        } else {
            0
        };
        // Asked of the system only for a sample.
        let local = c.conn.as_ref().and_then(Conn::local);
        self.live = self.live.saturating_sub(1);
        if self.stats.failed(kind)
            && let Some(remote) = self.target
        {
            ctx.emit(Event::LoadSample(Box::new(LoadSample {
                client: i + 1,
                local,
                remote,
                time: SystemTime::now(),
                kind: SampleKind::Failure {
                    kind,
                    detail,
                    step,
                    received,
                },
            })));
        }
        self.close(ctx, i);
        if let Some(max) = self.config.shape.max_failures
            && self.stats.totals().failed > max
            && self.end.is_none()
        {
            self.end = Some(LoadEnd::TooManyFailures { max });
        }
        self.check_end();
    }

    /// Every client started has finished or failed: a run by rounds is
    /// over; a timed one is too when no connection is left to hold.
    fn check_end(&mut self) {
        if self.end.is_none()
            && self.live == 0
            && self.next >= self.config.shape.connections
            && (self.end_at.is_none() || self.stats.totals().open == 0)
        {
            self.end = Some(LoadEnd::Completed);
        }
    }

    /// Bytes came for client `i` (in `self.buf`).
    fn received(&mut self, ctx: &mut Ctx, i: u32, now: Instant) {
        let n = self.buf.len();
        self.stats.read(n);
        let c = &mut self.clients[i as usize];
        if c.awaiting {
            c.awaiting = false;
            if let Some(at) = c.sent_at {
                let latency = now.saturating_duration_since(at);
                self.stats.reply(latency);
                self.sample_exchange(ctx, i, latency);
            }
        }
        let c = &mut self.clients[i as usize];
        if c.phase != Phase::Step || c.waited {
            return;
        }
        let Some(LoadWait::Reply { expect, .. }) = self
            .config
            .script
            .steps
            .get(c.step as usize)
            .map(|s| &s.wait)
        else {
            return;
        };
        c.seen.extend_from_slice(&self.buf);
        if c.seen.len() > REPLY_WINDOW {
            let cut = c.seen.len() - REPLY_WINDOW;
            c.seen.drain(..cut);
        }
        if expect.0.matches(&c.seen) {
            c.waited = true;
            self.after_write(ctx, i, now);
        }
    }

    /// Keeps an exchange as a sample if it is one of the first or slowest.
    fn sample_exchange(&mut self, ctx: &mut Ctx, i: u32, latency: Duration) {
        if !self.stats.wants_exchange(latency) {
            return;
        }
        let Some(remote) = self.target else {
            return;
        };
        let c = &self.clients[i as usize];
        let step = &self.config.script.steps[c.step as usize];
        let local = c.conn.as_ref().and_then(Conn::local);
        let make = |why| LoadSample {
            client: i + 1,
            local,
            remote,
            time: SystemTime::now(),
            kind: SampleKind::Exchange {
                why,
                step: c.step + 1,
                round: c.round + 1,
                sent: step.send.clone(),
                reply: Bytes::copy_from_slice(&self.buf[..self.buf.len().min(SAMPLE_BYTES)]),
                latency,
            },
        };
        let first = make(ExchangeWhy::First);
        let slow = make(ExchangeWhy::Slowest);
        if self.stats.take_first() {
            ctx.emit(Event::LoadSample(Box::new(first)));
        }
        self.stats.offer_slowest(latency, slow);
    }

    /// The server finished sending.
    fn eof(&mut self, ctx: &mut Ctx, i: u32, now: Instant) {
        let last_round = self
            .rounds
            .is_some_and(|r| self.clients[i as usize].round + 1 >= r);
        let steps = self.config.script.steps.len() as u32;
        let c = &self.clients[i as usize];
        match c.phase {
            Phase::Holding | Phase::Closing => self.close(ctx, i),
            Phase::Handshake => {
                let f = if self.tls.is_some() && self.ws.is_none() {
                    (
                        FailKind::Tls,
                        "the server closed during the TLS handshake".into(),
                    )
                } else if self.tls.is_some() {
                    (
                        FailKind::ClosedEarly,
                        "the server closed during the TLS handshake or the WebSocket upgrade"
                            .into(),
                    )
                } else {
                    (
                        FailKind::ClosedEarly,
                        "the server closed before answering the WebSocket upgrade".into(),
                    )
                };
                self.fail(ctx, i, f);
            }
            Phase::Step => {
                let wait = &self.config.script.steps[c.step as usize].wait;
                let sending = c.conn.as_ref().is_some_and(Conn::sending);
                let last = last_round && c.step + 1 == steps;
                match wait {
                    // The last step's pause: the script has said all it had.
                    LoadWait::Pause(_) if last && !sending => {
                        self.clients[i as usize].waited = true;
                        self.step_done(ctx, i, now);
                        self.close(ctx, i);
                    }
                    LoadWait::Reply { expect, .. } if !c.seen.is_empty() => {
                        let detail = format!(
                            "the server closed after a reply that does not match ({}): {}",
                            expect.0.describe(),
                            crate::codec::preview(&c.seen, 120)
                        );
                        self.fail(ctx, i, (FailKind::Mismatch, detail));
                    }
                    _ => {
                        let detail = format!(
                            "the server closed the connection at step {} of round {}",
                            c.step + 1,
                            c.round + 1
                        );
                        self.fail(ctx, i, (FailKind::ClosedEarly, detail));
                    }
                }
            }
            Phase::Pace => {
                let detail = format!("the server closed the connection after round {}", c.round);
                self.fail(ctx, i, (FailKind::ClosedEarly, detail));
            }
            Phase::Idle | Phase::Connecting | Phase::Ended => {}
        }
    }

    /// Reads what client `i` has, at most `max` times; true if more may wait.
    fn read_some(&mut self, ctx: &mut Ctx, i: u32, max: usize, now: Instant) -> bool {
        for _ in 0..max {
            let c = &mut self.clients[i as usize];
            if matches!(c.phase, Phase::Idle | Phase::Connecting | Phase::Ended) {
                return false;
            }
            let Some(conn) = c.conn.as_mut() else {
                return false;
            };
            let handshaking = conn.handshaking();
            let read = conn.read(&mut self.buf, &mut self.scratch);
            if handshaking && !conn.handshaking() && !matches!(read, Read::Failed(_) | Read::Eof) {
                // The handshake finished with this read.
                self.up(ctx, i, now);
            }
            match read {
                Read::Data => self.received(ctx, i, now),
                Read::Progress => {}
                Read::WouldBlock => return false,
                Read::Eof => {
                    self.eof(ctx, i, now);
                    return false;
                }
                Read::Failed(f) => {
                    self.fail(ctx, i, f);
                    return false;
                }
            }
        }
        true
    }

    /// A client's timer.
    fn due(&mut self, ctx: &mut Ctx, i: u32, now: Instant) {
        let c = &self.clients[i as usize];
        match c.phase {
            Phase::Connecting | Phase::Handshake => {
                let what = if c.phase == Phase::Handshake && self.ws.is_some() {
                    "the handshake and the WebSocket upgrade"
                } else if c.phase == Phase::Handshake {
                    "the TLS handshake"
                } else {
                    "connecting"
                };
                let detail = format!(
                    "{what} took over {} ms",
                    self.config.connect_timeout.as_millis()
                );
                self.fail(ctx, i, (FailKind::ConnectTimedOut, detail));
            }
            Phase::Step if !c.waited => match &self.config.script.steps[c.step as usize].wait {
                LoadWait::Pause(_) => {
                    self.clients[i as usize].waited = true;
                    self.after_write(ctx, i, now);
                }
                LoadWait::Reply { expect, timeout } => {
                    let want = expect.0.describe();
                    let ms = timeout.as_millis();
                    let f = if c.seen.is_empty() {
                        let detail = format!(
                            "step {}: no reply within {ms} ms (waiting for one that {want})",
                            c.step + 1
                        );
                        (FailKind::ReplyTimedOut, detail)
                    } else {
                        let detail = format!(
                            "step {}: no reply that {want} within {ms} ms; got {}",
                            c.step + 1,
                            crate::codec::preview(&c.seen, 120)
                        );
                        (FailKind::Mismatch, detail)
                    };
                    self.fail(ctx, i, f);
                }
            },
            Phase::Pace => self.begin_step(ctx, i, 0, now),
            Phase::Closing => self.close(ctx, i),
            _ => {}
        }
    }

    fn run_timers(&mut self, ctx: &mut Ctx, now: Instant) {
        for (at, id) in self.timers.due(now) {
            let i = id as u32;
            let Some(c) = self.clients.get_mut(i as usize) else {
                continue;
            };
            if c.armed != Some(at) {
                continue;
            }
            c.armed = None;
            match c.deadline {
                Some(d) if d <= now => {
                    c.deadline = None;
                    self.due(ctx, i, now);
                }
                Some(d) => self.timers.arm(&mut c.armed, id, Some(d)),
                None => {}
            }
        }
        if self.timers.crowded(self.clients.len()) {
            let live = self
                .clients
                .iter()
                .enumerate()
                .filter_map(|(i, c)| c.armed.map(|a| (a, i as u64)));
            self.timers.rebuild(live);
        }
    }

    /// A timed run ended: clients still at their script count as done.
    fn conclude(&mut self) {
        for c in &mut self.clients {
            if matches!(c.phase, Phase::Step | Phase::Pace) {
                c.phase = Phase::Holding;
                self.stats.done();
            }
        }
    }
}

impl Driver for Load {
    fn on_ready(&mut self, ctx: &mut Ctx, event: &mio::event::Event) {
        let i = (event.token().0 - 1) as u32;
        let now = Instant::now();
        let Some(c) = self.clients.get(i as usize) else {
            return;
        };
        if c.phase == Phase::Connecting {
            let Some(target) = self.target else {
                return;
            };
            match c.conn.as_ref().map(|conn| conn.connect_progress(target)) {
                Some(Ok(true)) => self.connected(ctx, i, now),
                Some(Ok(false)) | None => return,
                Some(Err(f)) => return self.fail(ctx, i, f),
            }
        }
        if event.is_writable() {
            let c = &mut self.clients[i as usize];
            if let Some(conn) = c.conn.as_mut() {
                match conn.flush() {
                    Ok(n) => {
                        self.stats.wrote(n);
                        self.after_write(ctx, i, now);
                    }
                    Err(f) => return self.fail(ctx, i, f),
                }
            }
        }
        if (event.is_readable() || event.is_read_closed() || event.is_error())
            && self.read_some(ctx, i, READS_PER_EVENT, now)
        {
            let c = &mut self.clients[i as usize];
            if !c.queued {
                c.queued = true;
                self.ready.push_back(i);
            }
        }
    }

    fn send(
        &mut self,
        _ctx: &mut Ctx,
        _target: &Target,
        _data: Bytes,
        _meta: SendMeta,
    ) -> SendOutcome {
        SendOutcome::Failed(NetError::Unsupported {
            what: "sending by hand",
            mode: Mode::Load.name(),
        })
    }

    fn on_command(&mut self, ctx: &mut Ctx, cmd: WorkerCmd) {
        match cmd {
            WorkerCmd::Disconnect(_) | WorkerCmd::Finish(_) | WorkerCmd::RefreshNames => {}
            other => no_multicast(ctx, other, Mode::Load),
        }
    }

    fn pump(&mut self, ctx: &mut Ctx) -> bool {
        if let Some(rx) = &self.resolving {
            match rx.try_recv() {
                Ok(Ok(addrs)) => {
                    self.resolving = None;
                    if let Err(e) = self.begin(ctx, addrs[0]) {
                        ctx.error(e);
                        self.dead = true;
                    }
                }
                Ok(Err(e)) => {
                    self.resolving = None;
                    ctx.error(e);
                    self.dead = true;
                }
                Err(_) => {}
            }
            return false;
        }
        let now = Instant::now();
        let mut more = self.start_due(ctx, now);
        for _ in 0..READY_PER_TURN {
            let Some(i) = self.ready.pop_front() else {
                break;
            };
            self.clients[i as usize].queued = false;
            if self.read_some(ctx, i, READS_PER_EVENT, now) {
                self.clients[i as usize].queued = true;
                self.ready.push_back(i);
            }
        }
        more |= !self.ready.is_empty();
        if now >= self.next_snapshot && self.target.is_some() {
            self.next_snapshot = now + SNAPSHOT_EVERY;
            ctx.emit(Event::LoadProgress(Box::new(self.stats.snapshot(now))));
        }
        more
    }

    fn deadline(&self) -> Option<Instant> {
        self.target?;
        [
            self.timers.next(),
            self.connect_due(),
            Some(self.next_snapshot),
            self.end_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn on_timer(&mut self, ctx: &mut Ctx, now: Instant) {
        self.run_timers(ctx, now);
        if self.end_at.is_some_and(|e| e <= now) && self.end.is_none() {
            self.end = Some(LoadEnd::DurationReached);
        }
    }

    fn finished(&self) -> bool {
        self.dead || self.end.is_some()
    }

    fn shutdown(&mut self, ctx: &mut Ctx) {
        if self.dead || self.target.is_none() {
            return;
        }
        let end = self.end.unwrap_or(LoadEnd::Stopped);
        if end == LoadEnd::DurationReached {
            self.conclude();
        }
        for i in 0..self.clients.len() as u32 {
            self.close(ctx, i);
        }
        let summary = self.stats.summary(end, Instant::now());
        ctx.emit(Event::LoadFinished(Box::new(summary)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_small_enough_for_a_hundred_thousand() {
        // 100,000 clients stay within a few tens of MiB of slots.
        let size = std::mem::size_of::<Client>();
        assert!(size <= 256, "{size} bytes a client");
        eprintln!("a client's slot: {size} bytes");
    }
}
