//! The session runtime: the one place that decides what a session does.
//!
//! It owns the engine, the log, the rules, the sequence, the scheduler of
//! delayed replies, the close policy, the greeting of the command line, the
//! encoding hint and the live pcapng capture. The window runs it on a
//! thread of its own ([`super::Session`]) and reads the log; the command
//! line runs it on its main thread with an [`Observer`] that prints every
//! row. Nothing here is clocked by a window's frames.
//!
//! One turn of the loop: wait for an engine event, a command or the next
//! due time; take a batch of events, run the rules and the capture on them
//! outside the log's lock, then apply the batch to the log under the lock
//! in one short hold; carry out the replies that are due.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use crossbeam_channel::Receiver;

use crate::automation::{ResponderSettings, Rule, SequenceRun};
use crate::codec::{DisplayEncoding, TextEncoding};
use crate::net::{
    Engine, Event, Mode, NetError, Next, PeerId, Periodic, SendMeta, SessionConfig, Target, Wake,
};
use crate::pcap::EventCapture;
use crate::records::{Entry, Framing, Note};
use crate::teach::encoding_hint::EncodingWatch;

use super::Shared;
use super::automator::{Automator, Report};
use super::budget::{Budget, Member};
use super::log::SessionLog;
use super::observer::{Flow, Observer, Signal};

/// Longest the thread gathers events for one batch.
const BATCH_TIME: Duration = Duration::from_millis(2);
/// Most events in one batch.
const BATCH_EVENTS: usize = 4096;
/// While gathering a batch, the clock is read once per this many events.
const CLOCK_EVERY: usize = 64;
/// Shortest gap between two wake-ups of the window.
const WAKE_GAP: Duration = Duration::from_millis(8);
/// How long the thread sleeps when nothing happens.
const IDLE: Duration = Duration::from_millis(500);
/// Longest the encoding hint looks at new records per batch.
const HINT_BUDGET: Duration = Duration::from_millis(1);
/// Longest the runtime frames records per hold of the lock.
const FRAME_SLICE: Duration = Duration::from_millis(4);
/// The share of the memory budget that replies waiting may hold.
const WAITING_SHARE: usize = 4;

/// What a front-end asks of the runtime.
#[derive(Debug)]
pub enum Command {
    /// Open the link (closing an open one first).
    Open(SessionConfig),
    /// Close the link.
    Close,
    /// Send bytes now.
    Send {
        /// Where.
        target: Target,
        /// The exact bytes.
        data: Bytes,
        /// Facts for the log.
        meta: SendMeta,
    },
    /// Finish our sending on a connection (FIN after what is queued).
    Finish(PeerId),
    /// Run these rules from now on.
    Rules(Vec<Rule>, ResponderSettings),
    /// Send every received chunk back to its sender.
    Echo(bool),
    /// After a peer's FIN, finish ours too once our replies are out.
    FinishOnPeerFin(bool),
    /// The encodings the log is shown in and sent with (for the hint).
    Encodings {
        /// How received bytes are shown.
        display: DisplayEncoding,
        /// How text is sent.
        send: TextEncoding,
    },
    /// Run a sequence (now if the link is up, else once it is).
    RunSequence(Box<SequenceRun>),
    /// Stop the sequence.
    StopSequence,
    /// What to send when the link comes up.
    Greeting(Option<Greeting>),
    /// Write the session as a pcapng capture as it happens.
    Capture(Option<Box<LiveCapture>>),
    /// Group received bytes into messages by this rule (none: stop).
    Framing(Option<Framing>),
}

/// What to send when the link comes up: a TCP server sends it to each
/// client as it connects, a TCP client to its server, UDP to its remote;
/// with `repeat`, it goes out as a timed send started once (a server's to
/// every client connected at each send).
#[derive(Debug, Clone)]
pub struct Greeting {
    /// The bytes.
    pub data: Bytes,
    /// Every this long, this many times (`None`: until the link closes).
    pub repeat: Option<(Duration, Option<u64>)>,
}

/// A pcapng capture written as the session goes.
pub struct LiveCapture {
    /// The file's name, for messages.
    pub name: String,
    /// The capture.
    pub capture: EventCapture<std::io::BufWriter<std::fs::File>>,
}

impl std::fmt::Debug for LiveCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveCapture")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A session's runtime. Make it with [`Runtime::new`], then run it with
/// [`Runtime::run`] on the thread that should own it.
pub struct Runtime {
    engine: Engine,
    member: Arc<Member>,
    shared: Arc<Shared>,
    budget: Arc<Budget>,
    wake: Throttle,
    auto: Automator,
    greeting: Option<Greeting>,
    /// The timed greeting has been started on this link.
    greeted: bool,
    capture: Option<Box<LiveCapture>>,
    hint: EncodingWatch,
    display: DisplayEncoding,
    send_encoding: TextEncoding,
    /// The mode of the link opened last.
    mode: Option<Mode>,
    /// A plain TCP link (no TLS): a TLS handshake arriving on it is told.
    plain_tcp: bool,
    /// Connections whose first bytes have been looked at for a TLS
    /// handshake.
    first_seen: std::collections::HashSet<PeerId>,
    /// The link opened (since the last open).
    opened: bool,
    /// The error that ended the link before it opened.
    failure: Option<NetError>,
    /// Framing has not caught up with the records held.
    framing_behind: bool,
    /// When an idle-gap framing must look at silent peers again.
    framing_due: Option<Instant>,
    /// Rows logged but not yet given to the observer.
    seen: Vec<Entry>,
    signals: Vec<Signal>,
}

impl Runtime {
    /// A runtime over `engine` whose log is `member`, counted against
    /// `budget`; `wake` is called (throttled) when the log changes.
    pub(crate) fn new(
        engine: Engine,
        member: Arc<Member>,
        shared: Arc<Shared>,
        budget: Arc<Budget>,
        wake: Wake,
    ) -> Runtime {
        Runtime {
            engine,
            member,
            shared,
            budget,
            wake: Throttle::new(wake),
            auto: Automator::default(),
            greeting: None,
            greeted: false,
            capture: None,
            hint: EncodingWatch::new(),
            display: DisplayEncoding::Auto,
            send_encoding: TextEncoding::Utf8,
            mode: None,
            plain_tcp: false,
            first_seen: std::collections::HashSet::new(),
            opened: false,
            failure: None,
            framing_behind: false,
            framing_due: None,
            seen: Vec::new(),
            signals: Vec::new(),
        }
    }

    /// Runs until `cmds` is closed (then closes the link) or the observer
    /// stops the run.
    pub fn run(&mut self, cmds: &Receiver<Command>, observer: &mut dyn Observer) {
        loop {
            let now = Instant::now();
            let framing = self.framing_behind.then_some(Duration::ZERO);
            let wait = [
                framing,
                self.framing_due.map(|d| d.saturating_duration_since(now)),
                self.wake.pending_for(),
                self.auto
                    .next_due(now)
                    .map(|d| d.saturating_duration_since(now)),
                observer
                    .deadline()
                    .map(|d| d.saturating_duration_since(now)),
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(IDLE);
            let flow = match self.engine.events().recv_or(cmds, wait) {
                Next::Event(ev) => self.ingest(ev, observer),
                Next::Other(Some(cmd)) => self.command(cmd, observer),
                Next::Other(None) => {
                    self.close(observer);
                    return;
                }
                Next::Timeout => Flow::Go,
            };
            if flow == Flow::Stop || self.run_due(observer) == Flow::Stop {
                return;
            }
            self.keep_framing();
            let pending = self.pending_tx();
            if observer.tick(Instant::now(), pending) == Flow::Stop {
                return;
            }
            self.flush_capture(observer);
            self.wake.flush();
        }
    }

    fn pending_tx(&self) -> usize {
        self.engine.handle().map_or(0, |h| h.pending_tx_bytes())
    }

    /// Carries out one command.
    pub fn command(&mut self, cmd: Command, observer: &mut dyn Observer) -> Flow {
        match cmd {
            Command::Open(mut config) => {
                let relay = matches!(config, SessionConfig::Relay(_));
                let rewrite = self.auto.set_relay(relay);
                if let SessionConfig::Relay(relay) = &mut config {
                    relay.rewrite = rewrite;
                }
                self.opened = false;
                self.failure = None;
                self.greeted = false;
                self.mode = Some(config.mode());
                self.plain_tcp = matches!(
                    config,
                    SessionConfig::TcpServer { tls: None, .. }
                        | SessionConfig::TcpClient { tls: None, .. }
                );
                self.first_seen.clear();
                self.member.lock().opening(config.mode());
                self.engine.open(config);
                *self.shared.handle_slot() = self.engine.handle().ok();
            }
            Command::Close => {
                self.engine.close();
                *self.shared.handle_slot() = None;
                return self.drain(observer);
            }
            Command::Send { target, data, meta } => {
                let sent = match self.engine.handle() {
                    Ok(h) => h.send_with(target, data, meta),
                    Err(e) => Err(e),
                };
                if let Err(e) = sent {
                    let member = Arc::clone(&self.member);
                    let mut log = member.lock();
                    let entry = log.error(e);
                    self.push(&mut log, entry, observer.wants_rows());
                }
            }
            Command::Finish(peer) => {
                let finished = self.engine.handle().and_then(|h| h.finish(peer));
                let member = Arc::clone(&self.member);
                let mut log = member.lock();
                let entry = match finished {
                    Ok(()) => log.we_finished(peer),
                    Err(e) => Some(log.error(e)),
                };
                if let Some(entry) = entry {
                    self.push(&mut log, entry, observer.wants_rows());
                }
            }
            Command::Rules(rules, settings) => {
                self.auto.set_rules(rules, settings);
                if self.auto.is_relay() {
                    // An open relay rewrites with them from now on.
                    let rewrite = self.auto.relay_rewrite();
                    if let Ok(h) = self.engine.handle()
                        && let Err(e) = h.set_rewrite(rewrite)
                    {
                        let member = Arc::clone(&self.member);
                        let mut log = member.lock();
                        let entry = log.error(e);
                        self.push(&mut log, entry, observer.wants_rows());
                    }
                }
            }
            Command::Echo(on) => self.auto.set_echo(on),
            Command::FinishOnPeerFin(on) => self.auto.set_finish_on_peer_fin(on),
            Command::Encodings { display, send } => {
                if (display, send) != (self.display, self.send_encoding) {
                    // Peers are judged afresh against the new encodings.
                    self.hint = EncodingWatch::new();
                    self.hint.skip_to(self.member.lock().store().end_seq());
                }
                self.display = display;
                self.send_encoding = send;
            }
            Command::RunSequence(run) => {
                let up = self.link_up();
                let reports = self.auto.run_sequence(*run, up, Instant::now());
                return self.apply_reports(reports, observer);
            }
            Command::StopSequence => self.auto.stop_sequence(),
            Command::Greeting(greeting) => self.greeting = greeting,
            Command::Capture(capture) => self.capture = capture,
            Command::Framing(framing) => {
                self.member.lock().set_framing(framing);
                self.framing_behind = true;
                self.framing_due = None;
            }
        }
        self.publish();
        self.flush_rows(observer)
    }

    /// Whether there is someone to send to: a UDP socket is open, a
    /// client's connection is up, a server has a client.
    fn link_up(&self) -> bool {
        let log = self.member.lock();
        match log.link() {
            super::LinkState::Open(m, _) if m.connects() => log.connection().is_some(),
            super::LinkState::Open(m, _) if m.serves() => !log.clients().is_empty(),
            super::LinkState::Open(Mode::Udp, _) => true,
            _ => false,
        }
    }

    /// Copies the automation's state into the log.
    fn publish(&mut self) {
        let status = self.auto.status();
        let member = Arc::clone(&self.member);
        let mut log = member.lock();
        log.set_automation(status);
        drop(log);
        self.wake.changed();
    }

    /// Closes the link and ingests its last events (the worker has ended,
    /// so they are all queued).
    fn close(&mut self, observer: &mut dyn Observer) {
        self.engine.close();
        *self.shared.handle_slot() = None;
        let _ = self.drain(observer);
        let _ = self.finish_capture();
    }

    /// Ingests everything queued.
    fn drain(&mut self, observer: &mut dyn Observer) -> Flow {
        while let Some(ev) = self.engine.events().try_recv() {
            if self.ingest(ev, observer) == Flow::Stop {
                return Flow::Stop;
            }
        }
        Flow::Go
    }

    /// Carries out the replies, finishes and sequence steps that are due.
    fn run_due(&mut self, observer: &mut dyn Observer) -> Flow {
        let now = Instant::now();
        if self.auto.next_due(now).is_none_or(|d| d > now) {
            return Flow::Go;
        }
        let handle = self.engine.handle().ok();
        let reports = self.auto.run_due(now, handle.as_ref());
        self.apply_reports(reports, observer)
    }

    /// Logs what the automator reports and passes its news on.
    fn apply_reports(&mut self, reports: Vec<Report>, observer: &mut dyn Observer) -> Flow {
        let rows = observer.wants_rows();
        {
            let member = Arc::clone(&self.member);
            let mut log = member.lock();
            for report in reports {
                self.report(&mut log, report, rows);
            }
            log.set_automation(self.auto.status());
            self.member.update_cost(&log, self.auto.waiting_bytes());
        }
        self.wake.changed();
        self.flush_rows(observer)
    }

    fn report(&mut self, log: &mut SessionLog, report: Report, rows: bool) {
        let entry = match report {
            Report::Entry(e) => Some(e),
            Report::Finished(peer) => log.we_finished(peer),
            Report::Error(e) => Some(log.error(e)),
            Report::Sequence(news) => {
                self.signals.push(Signal::Sequence(news));
                None
            }
        };
        if let Some(entry) = entry {
            self.push(log, entry, rows);
        }
    }

    /// Adds a row to the log, keeping a copy for the observer if it wants one.
    fn push(&mut self, log: &mut SessionLog, entry: Entry, rows: bool) {
        if rows {
            self.seen.push(entry.clone());
        }
        log.push(entry);
    }

    /// Gives the observer the rows and signals gathered (outside the lock).
    fn flush_rows(&mut self, observer: &mut dyn Observer) -> Flow {
        let mut flow = Flow::Go;
        for entry in self.seen.drain(..) {
            if observer.row(&entry) == Flow::Stop {
                flow = Flow::Stop;
            }
        }
        for signal in self.signals.drain(..) {
            if observer.signal(&signal) == Flow::Stop {
                flow = Flow::Stop;
            }
        }
        flow
    }

    /// Sends the greeting for a link that just came up (`peer`: the new
    /// connection, if the mode has connections).
    fn greet(&mut self, mode: Mode, peer: Option<PeerId>) -> Option<NetError> {
        let greeting = self.greeting.as_ref()?;
        let handle = match self.engine.handle() {
            Ok(h) => h,
            Err(e) => return Some(e),
        };
        match greeting.repeat {
            None => {
                let target = match (mode, peer) {
                    (m, Some(p)) if m.serves() => Target::Peers(vec![p]),
                    _ => Target::Default,
                };
                handle.send(target, greeting.data.clone()).err()
            }
            Some(_) if self.greeted => None,
            Some((every, count)) => {
                self.greeted = true;
                let target = if mode.serves() {
                    Target::All
                } else {
                    Target::Default
                };
                let periodic = Periodic {
                    count,
                    ..Periodic::repeat(target, greeting.data.clone(), every)
                };
                handle.start_periodic(periodic).err()
            }
        }
    }

    /// Ingests `first` and whatever else is waiting, within one batch.
    fn ingest(&mut self, first: Event, observer: &mut dyn Observer) -> Flow {
        let start = Instant::now();
        let mut batch = vec![first];
        // The engine hands its events over in batches (a burst of
        // datagrams comes a batch at a time), so this takes whole batches
        // of it; the clock is read once per `CLOCK_EVERY` events.
        while batch.len() < BATCH_EVENTS
            && (batch.len() % CLOCK_EVERY != 0 || start.elapsed() < BATCH_TIME)
        {
            match self.engine.events().try_recv() {
                Some(ev) => batch.push(ev),
                None => break,
            }
        }
        // Outside the lock: the rules, the sequence, the greeting and the
        // capture see each event.
        let mut work: Vec<(Option<Event>, Vec<Report>)> = Vec::with_capacity(batch.len());
        for ev in batch {
            let mut reports = self.auto.on_event(&ev, start);
            self.capture_event(&ev);
            match &ev {
                Event::Opened { mode, .. } => {
                    self.opened = true;
                    if *mode == Mode::Udp
                        && let Some(e) = self.greet(*mode, None)
                    {
                        reports.push(Report::Error(e));
                    }
                }
                Event::Connected { peer, .. } => {
                    if let Some(mode) = self.mode
                        && let Some(e) = self.greet(mode, Some(*peer))
                    {
                        reports.push(Report::Error(e));
                    }
                }
                Event::GroupFailed {
                    membership,
                    op,
                    error,
                } => {
                    self.signals.push(Signal::GroupFailed {
                        membership: membership.clone(),
                        op: *op,
                        error: error.clone(),
                    });
                }
                Event::PeriodicEnded { sent, why, .. } => {
                    self.signals.push(Signal::LoopEnded {
                        sent: *sent,
                        why: why.clone(),
                    });
                }
                Event::SystemDropped { total } => {
                    self.signals.push(Signal::SystemDropped { total: *total });
                }
                Event::LoadStarted(plan) => {
                    self.signals.push(Signal::LoadStarted(plan.clone()));
                }
                Event::LoadProgress(snapshot) => {
                    self.signals.push(Signal::LoadProgress(snapshot.clone()));
                }
                Event::LoadFinished(summary) => {
                    self.signals.push(Signal::LoadFinished(summary.clone()));
                }
                Event::Error(err) if !self.opened && self.failure.is_none() => {
                    self.failure = Some(err.clone());
                }
                Event::Received {
                    peer: Some(peer),
                    addr,
                    data,
                    message: None,
                    ..
                } if self.mode == Some(Mode::TcpServer)
                    && self.plain_tcp
                    && crate::net::ws::looks_like_upgrade(data)
                    && self.first_seen.insert(*peer) =>
                {
                    let row = Entry::event(SystemTime::now(), Some(*addr), Note::WsKnocking);
                    reports.push(Report::Entry(row));
                }
                Event::Received {
                    peer: Some(peer),
                    addr,
                    data,
                    ..
                } if self.plain_tcp
                    && self.first_seen.insert(*peer)
                    && crate::net::tls::looks_like_client_hello(data) =>
                {
                    let note = Note::TlsHelloOnPlain;
                    let row = Entry::event(SystemTime::now(), Some(*addr), note);
                    reports.push(Report::Entry(row));
                }

                Event::PeerClosed { peer, .. } => {
                    self.first_seen.remove(peer);
                }
                Event::Closed => {
                    self.signals.push(Signal::Closed {
                        opened: self.opened,
                        failure: self.failure.take(),
                    });
                    self.opened = false;
                }
                _ => {}
            }
            let ev = (!self.auto.raced_error(&ev)).then_some(ev);
            work.push((ev, reports));
        }
        let rows = observer.wants_rows();
        {
            let member = Arc::clone(&self.member);
            let mut log = member.lock();
            for (ev, reports) in work {
                match ev {
                    Some(Event::LoadSample(sample)) => {
                        for entry in super::load::sample_rows(*sample) {
                            self.push(&mut log, entry, rows);
                        }
                    }
                    // The slowest exchanges, in full, before the end's row.
                    Some(Event::LoadFinished(summary)) => {
                        for sample in summary.slowest.iter().cloned() {
                            for entry in super::load::sample_rows(sample) {
                                self.push(&mut log, entry, rows);
                            }
                        }
                        if let Some(entry) = log.apply(Event::LoadFinished(summary), start) {
                            self.push(&mut log, entry, rows);
                        }
                    }
                    Some(ev) => {
                        if let Some(entry) = log.apply(ev, start) {
                            self.push(&mut log, entry, rows);
                        }
                    }
                    None => {}
                }
                for report in reports {
                    self.report(&mut log, report, rows);
                }
            }
            self.hints(&mut log, rows);
            self.framing_behind = !log.frame(Instant::now() + FRAME_SLICE);
            self.framing_due = log.settle_framing(Instant::now());
            log.set_automation(self.auto.status());
            self.member.update_cost(&log, self.auto.waiting_bytes());
            // Hand the lock to the window if it waits, so a flood never
            // keeps it from drawing.
            parking_lot::MutexGuard::unlock_fair(log);
        }
        self.budget.enforce(&self.member);
        self.auto
            .set_max_waiting_bytes(self.budget.limit() / WAITING_SHARE);
        self.wake.changed();
        self.flush_rows(observer)
    }

    /// Frames what is left to frame, a slice per turn, and ends idle-gap
    /// messages whose peers fell silent.
    fn keep_framing(&mut self) {
        let now = Instant::now();
        let due = self.framing_due.is_some_and(|d| d <= now);
        if !self.framing_behind && !due {
            return;
        }
        {
            let mut log = self.member.lock();
            if self.framing_behind {
                self.framing_behind = !log.frame(now + FRAME_SLICE);
            }
            self.framing_due = log.settle_framing(now);
        }
        self.wake.changed();
    }

    /// The encoding hint: each peer whose text Auto shows in the other
    /// encoding than we send is told once.
    fn hints(&mut self, log: &mut SessionLog, rows: bool) {
        let found = self.hint.scan(
            log.store(),
            self.display,
            self.send_encoding,
            Some(Instant::now() + HINT_BUDGET),
        );
        for m in found {
            let note = Note::EncodingHint {
                shown: m.shown,
                sent: self.send_encoding,
            };
            self.push(
                log,
                Entry::event(SystemTime::now(), Some(m.peer), note),
                rows,
            );
        }
    }

    fn capture_event(&mut self, ev: &Event) {
        let Some(c) = &mut self.capture else {
            return;
        };
        if let Err(e) = c.capture.on_event(ev) {
            let msg = format!("{}: {e}", c.name);
            self.capture = None;
            self.signals.push(Signal::CaptureFailed(msg));
        }
    }

    fn flush_capture(&mut self, observer: &mut dyn Observer) {
        let Some(c) = &mut self.capture else {
            return;
        };
        if let Err(e) = c.capture.flush() {
            let msg = format!("{}: {e}", c.name);
            self.capture = None;
            self.signals.push(Signal::CaptureFailed(msg));
            let _ = self.flush_rows(observer);
        }
    }

    /// Finishes the live capture (the engine closes what is still open as
    /// the run ends); the error, if writing it failed.
    pub fn finish_capture(&mut self) -> Option<String> {
        let c = self.capture.take()?;
        let LiveCapture { name, mut capture } = *c;
        let closed = capture.on_event(&Event::Closed);
        match closed.and_then(|()| capture.finish().map(drop)) {
            Ok(()) => None,
            Err(e) => Some(format!("{name}: {e}")),
        }
    }
}

/// Wakes the window when the log changed, at most once per [`WAKE_GAP`].
struct Throttle {
    wake: Wake,
    last: Option<Instant>,
    pending: bool,
}

impl Throttle {
    fn new(wake: Wake) -> Throttle {
        Throttle {
            wake,
            last: None,
            pending: false,
        }
    }

    fn changed(&mut self) {
        self.pending = true;
        self.flush();
    }

    /// Wakes now if a change is pending and the gap has passed.
    fn flush(&mut self) {
        if !self.pending {
            return;
        }
        let now = Instant::now();
        if self.last.is_none_or(|l| now.duration_since(l) >= WAKE_GAP) {
            (self.wake)();
            self.last = Some(now);
            self.pending = false;
        }
    }

    /// How long until a pending wake-up is due.
    fn pending_for(&self) -> Option<Duration> {
        if !self.pending {
            return None;
        }
        let due = self.last.map_or(Instant::now(), |l| l + WAKE_GAP);
        Some(due.saturating_duration_since(Instant::now()))
    }
}
