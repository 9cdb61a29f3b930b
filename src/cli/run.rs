//! One command-line run: engine events in, records on stdout and status on
//! stderr, stdin lines out, rules and sequences answered, until the run
//! ends.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::Receiver;

use crate::codec::{StreamDecoder, build_payload, push_hex};
use crate::net::{
    CloseReason, Engine, Event, GroupOp, Mode, NetError, PeerId, Periodic, PeriodicEnd, SendMeta,
    SessionHandle, Target,
};

use super::plan::{Display, PcapOut, Plan, pcap_error};
use super::{automation, terminal};

/// Carries `plan` out: opens the session and serves it to the end.
pub(super) fn run(mut plan: Plan) -> Result<(), String> {
    let mode = plan.config.mode();
    let pcap = plan.pcap.as_ref().map(PcapOut::start).transpose()?;
    let mut engine = Engine::new(Arc::new(|| {}));
    engine.open(plan.config.clone());
    let lines = spawn_stdin_reader();
    let auto = automation::Automator::new(mode, plan.responder.take(), plan.sequence.take());
    let mut run = Run {
        plan: &plan,
        mode,
        out: io::BufWriter::new(io::stdout().lock()),
        decoders: HashMap::new(),
        handle: engine.handle().ok(),
        received: 0,
        opened: false,
        failure: None,
        repeating: false,
        exit_when_written: false,
        peer_finished: HashSet::new(),
        auto,
        pcap,
    };
    let deadline = plan.timeout.map(|t| Instant::now() + t);
    loop {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            return run.finish(Ok(()));
        }
        let wake = [deadline, run.auto.next_deadline()]
            .into_iter()
            .flatten()
            .min();
        let wait = wake
            .map_or(Duration::MAX, |d| d.saturating_duration_since(now))
            .min(Duration::from_millis(20));
        if let Some(event) = engine.events().recv_timeout(wait) {
            let mut next = Some(event);
            while let Some(event) = next {
                if let Some(end) = run.on_event(event) {
                    return run.finish(end);
                }
                next = engine.events().try_recv();
            }
        }
        if run.all_written() {
            return run.finish(Ok(()));
        }
        if let Some(end) = run.run_jobs() {
            return run.finish(end);
        }
        run.flush()?;
        while let Ok(line) = lines.try_recv() {
            run.send_line(&line);
        }
    }
}

/// The state of one run.
pub(super) struct Run<'a, W: Write> {
    plan: &'a Plan,
    mode: Mode,
    out: W,
    decoders: HashMap<SocketAddr, StreamDecoder>,
    handle: Option<SessionHandle>,
    received: u64,
    opened: bool,
    failure: Option<NetError>,
    pcap: Option<PcapOut>,
    /// The timed send of `--every`/`--count` has been started.
    repeating: bool,
    /// The timed send is done: exit once its bytes are written.
    exit_when_written: bool,
    /// Peers that finished sending first (their orderly close is theirs).
    peer_finished: HashSet<PeerId>,
    auto: automation::Automator,
}

impl<W: Write> Run<'_, W> {
    /// Carries out the rules' and the sequence's jobs that are due; `Some`
    /// ends the run with that result.
    fn run_jobs(&mut self) -> Option<Result<(), String>> {
        let pending = self
            .handle
            .as_ref()
            .map_or(0, SessionHandle::pending_tx_bytes);
        for job in self.auto.poll(Instant::now(), pending) {
            match job {
                automation::Job::Send(target, data) => self.send(target, data),
                automation::Job::Close(peer) => {
                    if let Some(handle) = &self.handle
                        && let Err(e) = handle.disconnect(peer)
                    {
                        eprintln!("error: {e}");
                    }
                }
                automation::Job::Say(line) => eprintln!("{line}"),
                automation::Job::End(end) => return Some(end),
            }
        }
        None
    }

    /// Handles one event; `Some` ends the run with that result.
    fn on_event(&mut self, event: Event) -> Option<Result<(), String>> {
        self.auto.on_event(&event, Instant::now());
        if let Some(p) = &mut self.pcap
            && let Err(e) = p.capture.on_event(&event)
        {
            return Some(Err(pcap_error(&p.path, &e)));
        }
        match event {
            Event::Opened { local, .. } => self.on_opened(local),
            Event::Connected { peer, addr, local } => self.on_connected(peer, addr, local),
            Event::Received {
                peer, addr, data, ..
            } => return self.on_received(peer, addr, &data),
            Event::Sent { .. } | Event::Resolved { .. } => {}
            Event::TlsServerReady { cert, self_signed } => {
                eprintln!(
                    "{}",
                    crate::records::Note::TlsServerReady { cert, self_signed }
                );
            }
            Event::TlsEstablished { addr, info, .. } => {
                eprintln!("{addr}: {}", crate::records::Note::TlsEstablished(info));
            }
            Event::HalfClosed { peer, addr } => self.on_half_closed(peer, addr),
            Event::PeerClosed { peer, addr, how } => self.on_peer_closed(peer, addr, &how),
            Event::PeriodicEnded { sent, why, .. } => return self.on_periodic_ended(sent, why),
            Event::GroupJoined { membership } => eprintln!("joined {membership}"),
            Event::GroupLeft { membership } => eprintln!("left {membership}"),
            Event::GroupFailed {
                membership,
                op,
                error,
            } => {
                let verb = match op {
                    GroupOp::Join => "join",
                    GroupOp::Leave => "leave",
                };
                return Some(Err(format!("cannot {verb} {membership}: {error}")));
            }
            // Before the link is up an error ends the run and is printed
            // once at exit; afterwards it is reported and the run goes on.
            Event::Error(err) if !self.opened => self.failure = Some(err),
            // A rule closed a connection the peer had just closed itself.
            Event::Error(NetError::UnknownPeer(peer)) if self.auto.closed_by_rule(peer) => {}
            Event::Error(err) => eprintln!("error: {err}"),
            Event::Closed => {
                return Some(match (self.failure.take(), self.mode) {
                    (Some(err), _) => Err(err.to_string()),
                    (None, Mode::TcpClient) if self.opened => Ok(()),
                    (None, _) => Err("the session ended unexpectedly".to_string()),
                });
            }
        }
        None
    }

    fn on_opened(&mut self, local: SocketAddr) {
        self.opened = true;
        match self.mode {
            Mode::TcpServer => eprintln!("listening on {local}"),
            Mode::Udp => eprintln!("bound to {local}"),
            Mode::TcpClient => {}
        }
        if self.mode == Mode::Udp {
            self.greet(Target::Default);
        }
    }

    /// Sends the `--send` payload: once, or as the timed send of
    /// `--every`/`--count` (started once; a server sends to every client).
    fn greet(&mut self, once_to: Target) {
        let Some(greeting) = self.plan.greeting.clone() else {
            return;
        };
        let Some(repeat) = self.plan.repeat else {
            return self.send(once_to, greeting);
        };
        if self.repeating {
            return;
        }
        self.repeating = true;
        let target = match self.mode {
            Mode::TcpServer => Target::All,
            _ => Target::Default,
        };
        let periodic = Periodic {
            count: repeat.count,
            ..Periodic::repeat(target, greeting, repeat.every)
        };
        let started = match &self.handle {
            Some(h) => h.start_periodic(periodic),
            None => Err(NetError::NotOpen),
        };
        if let Err(e) = started {
            eprintln!("error: {e}");
        }
    }

    /// True once a finished `--count` run has written everything.
    fn all_written(&self) -> bool {
        self.exit_when_written
            && self
                .handle
                .as_ref()
                .is_none_or(|h| h.pending_tx_bytes() == 0)
    }

    fn on_periodic_ended(&mut self, sent: u64, why: PeriodicEnd) -> Option<Result<(), String>> {
        match why {
            PeriodicEnd::Done => {
                let other_end = self.plan.timeout.is_some() || self.plan.exit_after.is_some();
                self.exit_when_written =
                    !other_end && self.plan.repeat.is_some_and(|r| r.count.is_some());
                None
            }
            PeriodicEnd::Stopped => None,
            PeriodicEnd::Failed(err) => Some(Err(format!(
                "the timed send stopped after {sent} sends: {err}"
            ))),
            PeriodicEnd::ConnectionClosed => {
                eprintln!("the timed send stopped after {sent} sends: the connection closed");
                None
            }
        }
    }

    fn on_connected(&mut self, peer: PeerId, addr: SocketAddr, local: SocketAddr) {
        match self.mode {
            Mode::TcpClient => eprintln!("connected to {addr} from {local}"),
            _ => eprintln!("client connected: {addr}"),
        }
        let target = match self.mode {
            Mode::TcpServer => Target::Peers(vec![peer]),
            _ => Target::Default,
        };
        self.greet(target);
    }

    fn on_received(
        &mut self,
        peer: Option<PeerId>,
        addr: SocketAddr,
        data: &Bytes,
    ) -> Option<Result<(), String>> {
        if let Err(e) = self.write_record(addr, data) {
            return Some(stdout_gone(e));
        }
        if self.plan.echo {
            let target = match (self.mode, peer) {
                (Mode::TcpServer, Some(p)) => Target::Peers(vec![p]),
                (Mode::Udp, _) => Target::Addr(addr),
                _ => Target::Default,
            };
            self.send(target, data.clone());
        }
        self.received += data.len() as u64;
        match self.plan.exit_after {
            Some(n) if self.received >= n => Some(Ok(())),
            _ => None,
        }
    }

    /// Shows what is left in a closing connection's decoder.
    fn flush_decoder(&mut self, addr: SocketAddr) {
        if let Some(mut dec) = self.decoders.remove(&addr) {
            let rest = dec.finish();
            if !rest.is_empty() {
                let _ = writeln!(self.out, "[RX {addr}] {}", terminal::safe_text(&rest));
            }
        }
        let _ = self.out.flush();
    }

    /// The peer finished sending. Our policy: finish our side too, once what
    /// is queued for it (an echo, say) has been written; the connection then
    /// closes in order. The peer still gets everything we had for it.
    fn on_half_closed(&mut self, peer: PeerId, addr: SocketAddr) {
        self.flush_decoder(addr);
        eprintln!("peer finished sending: {addr}");
        self.peer_finished.insert(peer);
        if let Some(h) = &self.handle
            && let Err(e) = h.finish(peer)
        {
            eprintln!("error: {e}");
        }
    }

    fn on_peer_closed(&mut self, peer: PeerId, addr: SocketAddr, how: &CloseReason) {
        self.flush_decoder(addr);
        let peer_first = self.peer_finished.remove(&peer);
        match how {
            CloseReason::Orderly if peer_first => eprintln!("closed by peer: {addr}"),
            CloseReason::Orderly => eprintln!("connection closed: {addr}"),
            CloseReason::Reset => eprintln!("reset by peer: {addr}"),
            CloseReason::Error(msg) => eprintln!("connection error: {addr}: {msg}"),
            CloseReason::Local => eprintln!("closed by us: {addr}"),
            CloseReason::Tls(failure) => eprintln!("{failure}: {addr}"),
        }
    }

    fn write_record(&mut self, addr: SocketAddr, data: &[u8]) -> io::Result<()> {
        match self.plan.display {
            Display::Raw => self.out.write_all(data),
            Display::Hex => {
                let mut line = format!("[RX {addr}] ");
                push_hex(data, &mut line);
                writeln!(self.out, "{line}")
            }
            Display::Text(enc) if self.mode == Mode::Udp => {
                // A datagram is a whole message: decode it on its own, so
                // no state is kept per sender (senders are unbounded).
                let mut dec = StreamDecoder::new(enc);
                let mut text = dec.decode(data);
                text.push_str(&dec.finish());
                let text = terminal::safe_text(trim_line_end(&text));
                writeln!(self.out, "[RX {addr}] {text}")
            }
            Display::Text(enc) => {
                // TCP: one decoder per connection, dropped when it closes.
                let dec = self
                    .decoders
                    .entry(addr)
                    .or_insert_with(|| StreamDecoder::new(enc));
                let text = dec.decode(data);
                let text = terminal::safe_text(trim_line_end(&text));
                writeln!(self.out, "[RX {addr}] {text}")
            }
        }
    }

    fn send(&mut self, target: Target, data: Bytes) {
        self.send_with(target, data, SendMeta::default());
    }

    fn send_with(&mut self, target: Target, data: Bytes, meta: SendMeta) {
        let handle = match &self.handle {
            Some(h) => h.clone(),
            None => return eprintln!("error: {}", NetError::NotOpen),
        };
        if let Err(e) = handle.send_with(target, data, meta) {
            eprintln!("error: {e}");
        }
    }

    fn send_line(&mut self, line: &str) {
        match build_payload(line, &self.plan.send) {
            Ok(payload) => {
                // The line ending and checksum are ours, not typed.
                let meta = SendMeta {
                    added_tail: u32::try_from(payload.added_tail).unwrap_or(0),
                };
                self.send_with(Target::Default, Bytes::from(payload.bytes), meta);
            }
            Err(e) => eprintln!("error: line not sent: {e}"),
        }
    }

    fn flush(&mut self) -> Result<(), String> {
        if let Some(p) = &mut self.pcap {
            p.capture.flush().map_err(|e| pcap_error(&p.path, &e))?;
        }
        self.out.flush().or_else(stdout_gone)
    }

    fn finish(mut self, end: Result<(), String>) -> Result<(), String> {
        let _ = self.out.flush();
        if let Some(mut p) = self.pcap.take() {
            // The engine closes what is still open as the run ends.
            let closed = p.capture.on_event(&Event::Closed);
            if let Err(e) = closed.and_then(|()| p.capture.finish().map(drop)) {
                return end.and(Err(pcap_error(&p.path, &e)));
            }
        }
        end
    }
}

/// The text without one trailing line break (the record line adds its own).
fn trim_line_end(text: &str) -> &str {
    text.strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text)
}

/// A closed stdout (e.g. piped into `head`) ends the run quietly.
fn stdout_gone(err: io::Error) -> Result<(), String> {
    if err.kind() == io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(format!("cannot write to stdout: {err}"))
    }
}

/// Reads stdin lines on their own thread (stdin cannot be polled portably).
/// End of stdin simply ends the thread; it closes nothing.
pub(super) fn spawn_stdin_reader() -> Receiver<String> {
    let (tx, rx) = crossbeam_channel::bounded(64);
    let _ = std::thread::Builder::new()
        .name("netassist-stdin".to_string())
        .spawn(move || {
            let stdin = io::stdin();
            let mut lock = stdin.lock();
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match lock.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf);
                        if tx.send(trim_line_end(&line).to_string()).is_err() {
                            return;
                        }
                    }
                }
            }
        });
    rx
}
