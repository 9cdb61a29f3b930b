//! The headless command line over the same engine as the window.
//!
//! Scripts and tests depend on this contract: stdout carries one record per
//! received chunk (`[RX 127.0.0.1:53422] text`, control characters escaped
//! so a peer cannot drive the terminal), or only the received bytes with
//! `--raw`; stderr carries status and errors. Exit 2 means bad arguments
//! (including a bad rules or presets file, with its line and column), exit 1
//! a runtime failure (or a sequence that failed), exit 0 a normal end.

mod automation;
mod partner;
mod terminal;

use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Args, Parser, Subcommand};
use crossbeam_channel::Receiver;

use crate::automation::{Responder, SequenceRun};
use crate::codec::{
    Checksum, ChecksumKind, ChecksumRange, DisplayEncoding, InputMode, LineEnding, SendOptions,
    StreamDecoder, TextEncoding, build_payload, push_hex,
};
use crate::net::{
    CloseReason, Engine, Event, GroupOp, HostPort, Iface, Membership, Mode, MulticastConfig,
    MulticastOptions, NetError, PeerId, Periodic, PeriodicEnd, SendMeta, SessionConfig,
    SessionHandle, Target, parse_bind_addr, parse_host_port, parse_membership,
};
use crate::pcap::EventCapture;

/// NetAssist (网络调试助手): with no subcommand it opens the window.
#[derive(Debug, Parser)]
#[command(name = "netassist", version, about, long_about = None)]
pub struct Cli {
    /// Headless mode; without one the window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Window renderer: glow (OpenGL) or wgpu; the other is tried if it fails.
    /// Also settable with NETASSIST_RENDERER.
    #[arg(long, value_name = "glow|wgpu")]
    pub renderer: Option<String>,
}

/// The three headless modes.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Listen and serve any number of clients.
    TcpServer {
        /// Local address to listen on, e.g. 127.0.0.1:8888 or [::]:8888.
        #[arg(long, value_name = "ADDR:PORT", value_parser = parse_bind_addr)]
        bind: SocketAddr,
        /// Options every mode shares.
        #[command(flatten)]
        opts: Options,
    },
    /// Connect to a server.
    TcpClient {
        /// Server to connect to (host name or IP), e.g. 127.0.0.1:8888.
        #[arg(long, value_name = "HOST:PORT", value_parser = parse_host_port)]
        connect: HostPort,
        /// Local address and port to connect from.
        #[arg(long, value_name = "ADDR:PORT", value_parser = parse_bind_addr)]
        bind: Option<SocketAddr>,
        /// Options every mode shares.
        #[command(flatten)]
        opts: Options,
    },
    /// Bind a UDP socket; receive from anyone, send to --to or the last sender.
    Udp {
        /// Local address to bind, e.g. 0.0.0.0:7788.
        #[arg(long, value_name = "ADDR:PORT", value_parser = parse_bind_addr)]
        bind: SocketAddr,
        /// Where --send and stdin lines go (default: whoever sent last).
        #[arg(long, value_name = "HOST:PORT", value_parser = parse_host_port)]
        to: Option<HostPort>,
        /// Join a multicast group, on an interface given by name, IPv4
        /// address or index (repeatable), e.g. 239.1.2.3@eth0.
        #[arg(long, value_name = "GROUP[@IFACE]", value_parser = parse_membership)]
        join: Vec<Membership>,
        /// TTL (IPv6: hop limit) of multicast sends, 0 to 255.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=255))]
        ttl: Option<u32>,
        /// Whether our own multicast sends come back to this machine.
        #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
        multicast_loop: Option<bool>,
        /// The interface multicast sends leave by (name, IPv4 address or index).
        #[arg(long, value_name = "IFACE", value_parser = parse_iface)]
        multicast_if: Option<Iface>,
        /// Options every mode shares.
        #[command(flatten)]
        opts: Options,
    },
    /// Play the other side of a tutorial program (see --list).
    Partner(partner::PartnerArgs),
}

/// Options every mode shares.
#[derive(Debug, Args)]
pub struct Options {
    /// Decode received bytes for display: utf8, gbk or auto.
    #[arg(long, default_value = "auto", value_name = "utf8|gbk|auto")]
    pub encoding: DisplayEncoding,
    /// Show received bytes as hex: E4 BD A0.
    #[arg(long, conflicts_with = "raw")]
    pub hex: bool,
    /// Write exactly the received bytes to stdout, nothing else.
    #[arg(long)]
    pub raw: bool,
    /// Send TEXT once the link is up (tcp-server: to each client as it
    /// connects; with --every or --count: to every client connected then).
    #[arg(long, value_name = "TEXT", conflicts_with = "send_hex")]
    pub send: Option<String>,
    /// The same, given as hex.
    #[arg(long, value_name = "HEX")]
    pub send_hex: Option<String>,
    /// How TEXT and stdin lines are encoded: utf8 or gbk.
    #[arg(long, default_value = "utf8", value_name = "utf8|gbk")]
    pub send_encoding: TextEncoding,
    /// Interpret \r \n \t \\ \0 \xHH in TEXT and stdin lines.
    #[arg(long)]
    pub escapes: bool,
    /// Appended to each stdin line: none, lf or crlf.
    #[arg(long, default_value = "lf", value_name = "none|lf|crlf")]
    pub newline: LineEnding,
    /// Repeat the --send/--send-hex payload every MS milliseconds (1 to
    /// 86400000), on the engine's clock; tcp-server: from the first client on.
    #[arg(long, value_name = "MS", allow_hyphen_values = true,
          value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub every: Option<u64>,
    /// Send the payload N times (1 ms apart without --every), then exit 0
    /// once the last send is written (unless --timeout or --exit-after-bytes).
    #[arg(long, value_name = "N", allow_hyphen_values = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Send every received chunk back to its sender.
    #[arg(long)]
    pub echo: bool,
    /// Exit 0 once N bytes have been received in all.
    #[arg(long, value_name = "N")]
    pub exit_after_bytes: Option<u64>,
    /// Exit 0 after SECS seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub timeout: Option<Duration>,
    /// Append a checksum to every send (--send, --send-hex, stdin lines):
    /// sum8, xor8, lrc, crc16-modbus, crc16-ccitt or crc32.
    #[arg(long, value_name = "KIND")]
    pub checksum: Option<ChecksumKind>,
    /// The bytes the checksum covers, as a Python slice: 0: is all, 1:-2
    /// skips the first byte and the last two.
    #[arg(long, value_name = "FROM:TO", requires = "checksum")]
    pub checksum_range: Option<ChecksumRange>,
    /// Auto-reply rules from this file (the format the window imports).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Presets and sequences from this file, for --sequence.
    #[arg(long, value_name = "FILE", requires = "sequence")]
    pub presets: Option<PathBuf>,
    /// Run this sequence from the --presets file once the link is up; the
    /// run ends when it finishes (exit 0) or fails (exit 1).
    #[arg(long, value_name = "NAME", requires = "presets")]
    pub sequence: Option<String>,
    /// Also save the session as a pcapng capture (Wireshark, tshark) in FILE.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
}

fn parse_on_off(text: &str) -> Result<bool, String> {
    match text.trim() {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("'{other}' is not on or off")),
    }
}

fn parse_iface(text: &str) -> Result<Iface, String> {
    match Iface::parse(text) {
        Iface::Any => Err("an interface name, IPv4 address or index is needed".to_string()),
        iface => Ok(iface),
    }
}

fn parse_secs(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("'{text}' is not a number of seconds")),
    }
}

/// Parses the process arguments. Help and version print and exit 0; any
/// other problem prints one line and exits 2.
pub fn parse_args() -> Cli {
    match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            use clap::error::ErrorKind;
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) {
                let _ = err.print();
                std::process::exit(0);
            }
            eprintln!("{}", one_line(&err.render().to_string()));
            std::process::exit(2);
        }
    }
}

/// Folds clap's message (which may name the argument on a second line) into
/// one line, leaving out the usage and help hints.
fn one_line(text: &str) -> String {
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty() && !l.starts_with("Usage:"))
        .collect();
    if parts.is_empty() {
        "error: invalid arguments".to_string()
    } else {
        parts.join(" ")
    }
}

/// Runs one headless subcommand to its end and returns the exit code.
pub fn run(command: Command) -> ExitCode {
    let plan = match command {
        Command::Partner(args) => match partner::plan(args) {
            Ok(Some(plan)) => Ok(plan),
            Ok(None) => return ExitCode::SUCCESS,
            Err(msg) => Err(msg),
        },
        command => Plan::from_command(command),
    };
    let plan = match plan {
        Ok(plan) => plan,
        Err(msg) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    match plan.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}

/// Everything a run needs, checked before any socket is touched.
struct Plan {
    config: SessionConfig,
    greeting: Option<Bytes>,
    /// `--every` / `--count`: the greeting goes out as a timed send.
    repeat: Option<Repeat>,
    send: SendOptions,
    display: Display,
    echo: bool,
    exit_after: Option<u64>,
    timeout: Option<Duration>,
    responder: Option<Responder>,
    sequence: Option<SequenceRun>,
    pcap: Option<PcapFile>,
}

/// The `--pcap` file, created before any socket is opened.
struct PcapFile {
    path: PathBuf,
    file: std::fs::File,
}

/// The capture being written during a run.
struct PcapOut {
    path: PathBuf,
    capture: EventCapture<io::BufWriter<std::fs::File>>,
}

impl PcapOut {
    fn start(pcap: &PcapFile) -> Result<PcapOut, String> {
        let file = pcap
            .file
            .try_clone()
            .map_err(|e| pcap_error(&pcap.path, &e))?;
        let capture =
            EventCapture::new(io::BufWriter::new(file)).map_err(|e| pcap_error(&pcap.path, &e))?;
        Ok(PcapOut {
            path: pcap.path.clone(),
            capture,
        })
    }
}

fn pcap_error(path: &std::path::Path, err: &dyn std::fmt::Display) -> String {
    format!("--pcap {}: {err}", path.display())
}

/// The timed send that `--every` and `--count` ask for.
#[derive(Clone, Copy)]
struct Repeat {
    every: Duration,
    count: Option<u64>,
}

/// The interval of `--count` without `--every`.
const COUNT_ONLY_EVERY: Duration = Duration::from_millis(1);

/// How received chunks are written to stdout.
#[derive(Clone, Copy)]
enum Display {
    Text(DisplayEncoding),
    Hex,
    Raw,
}

impl Plan {
    fn from_command(command: Command) -> Result<Plan, String> {
        let (config, opts) = match command {
            Command::TcpServer { bind, opts } => (SessionConfig::TcpServer { bind }, opts),
            Command::TcpClient {
                connect,
                bind,
                opts,
            } => (
                SessionConfig::TcpClient {
                    remote: connect,
                    bind,
                },
                opts,
            ),
            Command::Udp {
                bind,
                to,
                join,
                ttl,
                multicast_loop,
                multicast_if,
                opts,
            } => {
                if to.is_none() && (opts.send.is_some() || opts.send_hex.is_some()) {
                    return Err("udp --send needs --to HOST:PORT (where to send it)".into());
                }
                let multicast = MulticastConfig {
                    groups: join,
                    options: MulticastOptions {
                        ttl,
                        loopback: multicast_loop,
                        iface: multicast_if,
                    },
                };
                (
                    SessionConfig::Udp {
                        bind,
                        remote: to,
                        multicast,
                    },
                    opts,
                )
            }
            Command::Partner(_) => return Err("a partner is planned by its own command".into()),
        };
        let repeat = match (opts.every, opts.count) {
            (None, None) => None,
            _ if opts.send.is_none() && opts.send_hex.is_none() => {
                return Err("--every and --count repeat the payload of --send or --send-hex: give one of them".into());
            }
            (every, count) => Some(Repeat {
                every: every.map_or(COUNT_ONLY_EVERY, Duration::from_millis),
                count,
            }),
        };
        let send = SendOptions {
            mode: InputMode::Text,
            escapes: opts.escapes,
            encoding: opts.send_encoding,
            line_ending: opts.newline,
            checksum: opts.checksum.map(|kind| Checksum {
                kind,
                range: opts.checksum_range.unwrap_or_default(),
            }),
        };
        let greeting = match (&opts.send, &opts.send_hex) {
            (Some(text), _) => {
                let once = SendOptions {
                    line_ending: LineEnding::None,
                    ..send.clone()
                };
                let bytes = build_payload(text, &once).map_err(|e| format!("--send: {e}"))?;
                Some(Bytes::from(bytes.bytes))
            }
            (None, Some(hex)) => {
                let once = SendOptions {
                    mode: InputMode::Hex,
                    line_ending: LineEnding::None,
                    ..send.clone()
                };
                let bytes = build_payload(hex, &once).map_err(|e| format!("--send-hex: {e}"))?;
                Some(Bytes::from(bytes.bytes))
            }
            (None, None) => None,
        };
        let responder = match &opts.rules {
            Some(path) => {
                let (answer, rules) = automation::load_rules(path)?;
                Some(automation::responder(
                    answer,
                    rules,
                    opts.encoding,
                    opts.send_encoding,
                ))
            }
            None => None,
        };
        let sequence = match (&opts.presets, &opts.sequence) {
            (Some(path), Some(name)) => Some(automation::load_sequence(path, name, opts.encoding)?),
            _ => None,
        };
        let pcap = match opts.pcap {
            Some(path) => {
                let file = std::fs::File::create(&path)
                    .map_err(|e| format!("--pcap {}: cannot create it: {e}", path.display()))?;
                Some(PcapFile { path, file })
            }
            None => None,
        };
        let display = if opts.raw {
            Display::Raw
        } else if opts.hex {
            Display::Hex
        } else {
            Display::Text(opts.encoding)
        };
        Ok(Plan {
            config,
            greeting,
            repeat,
            send,
            display,
            echo: opts.echo,
            exit_after: opts.exit_after_bytes,
            timeout: opts.timeout,
            responder,
            sequence,
            pcap,
        })
    }

    fn run(mut self) -> Result<(), String> {
        let mode = self.config.mode();
        let pcap = self.pcap.as_ref().map(PcapOut::start).transpose()?;
        let mut engine = Engine::new(Arc::new(|| {}));
        engine.open(self.config.clone());
        let lines = spawn_stdin_reader();
        let auto = automation::Automator::new(mode, self.responder.take(), self.sequence.take());
        let mut run = Run {
            plan: &self,
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
        let deadline = self.timeout.map(|t| Instant::now() + t);
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
}

/// The state of one run.
struct Run<'a, W: Write> {
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
fn spawn_stdin_reader() -> Receiver<String> {
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
