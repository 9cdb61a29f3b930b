//! The headless command line over the same engine as the window.
//!
//! Scripts and tests depend on this contract: stdout carries one record per
//! received chunk (`[RX 127.0.0.1:53422] text`), or only the received bytes
//! with `--raw`; stderr carries status and errors. Exit 2 means bad
//! arguments, exit 1 a runtime failure, exit 0 a normal end.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Args, Parser, Subcommand};
use crossbeam_channel::Receiver;

use crate::codec::{
    DisplayEncoding, InputMode, LineEnding, SendOptions, StreamDecoder, TextEncoding,
    build_payload, parse_hex, push_hex,
};
use crate::net::{
    CloseReason, Engine, Event, HostPort, Mode, NetError, PeerId, SessionConfig, SessionHandle,
    Target, parse_bind_addr, parse_host_port,
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
        /// Options every mode shares.
        #[command(flatten)]
        opts: Options,
    },
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
    /// Send TEXT once the link is up (tcp-server: to each client as it connects).
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
    /// Send every received chunk back to its sender.
    #[arg(long)]
    pub echo: bool,
    /// Exit 0 once N bytes have been received in all.
    #[arg(long, value_name = "N")]
    pub exit_after_bytes: Option<u64>,
    /// Exit 0 after SECS seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub timeout: Option<Duration>,
    /// Also save the session as a pcapng capture (Wireshark, tshark) in FILE.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
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
    let plan = match Plan::from_command(command) {
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
    send: SendOptions,
    display: Display,
    echo: bool,
    exit_after: Option<u64>,
    timeout: Option<Duration>,
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
            Command::Udp { bind, to, opts } => {
                if to.is_none() && (opts.send.is_some() || opts.send_hex.is_some()) {
                    return Err("udp --send needs --to HOST:PORT (where to send it)".into());
                }
                (SessionConfig::Udp { bind, remote: to }, opts)
            }
        };
        let send = SendOptions {
            mode: InputMode::Text,
            escapes: opts.escapes,
            encoding: opts.send_encoding,
            line_ending: opts.newline,
        };
        let greeting = match (&opts.send, &opts.send_hex) {
            (Some(text), _) => {
                let once = SendOptions {
                    line_ending: LineEnding::None,
                    ..send.clone()
                };
                let bytes = build_payload(text, &once).map_err(|e| format!("--send: {e}"))?;
                Some(Bytes::from(bytes))
            }
            (None, Some(hex)) => {
                let bytes = parse_hex(hex).map_err(|e| format!("--send-hex: {e}"))?;
                Some(Bytes::from(bytes))
            }
            (None, None) => None,
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
            send,
            display,
            echo: opts.echo,
            exit_after: opts.exit_after_bytes,
            timeout: opts.timeout,
            pcap,
        })
    }

    fn run(self) -> Result<(), String> {
        let mode = self.config.mode();
        let pcap = self.pcap.as_ref().map(PcapOut::start).transpose()?;
        let mut engine = Engine::new(Arc::new(|| {}));
        engine.open(self.config.clone());
        let lines = spawn_stdin_reader();
        let mut run = Run {
            plan: &self,
            mode,
            out: io::BufWriter::new(io::stdout().lock()),
            decoders: HashMap::new(),
            handle: engine.handle().ok(),
            received: 0,
            opened: false,
            failure: None,
            pcap,
        };
        let deadline = self.timeout.map(|t| Instant::now() + t);
        loop {
            let wait = match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return run.finish(Ok(()));
                    }
                    (d - now).min(Duration::from_millis(20))
                }
                None => Duration::from_millis(20),
            };
            if let Some(event) = engine.events().recv_timeout(wait) {
                let mut next = Some(event);
                while let Some(event) = next {
                    if let Some(end) = run.on_event(event) {
                        return run.finish(end);
                    }
                    next = engine.events().try_recv();
                }
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
}

impl<W: Write> Run<'_, W> {
    /// Handles one event; `Some` ends the run with that result.
    fn on_event(&mut self, event: Event) -> Option<Result<(), String>> {
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
            Event::Sent { .. } => {}
            Event::PeerClosed { addr, how, .. } => self.on_peer_closed(addr, &how),
            // Before the link is up an error ends the run and is printed
            // once at exit; afterwards it is reported and the run goes on.
            Event::Error(err) if !self.opened => self.failure = Some(err),
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
        if self.mode == Mode::Udp
            && let Some(greeting) = &self.plan.greeting
        {
            self.send(Target::Default, greeting.clone());
        }
    }

    fn on_connected(&mut self, peer: PeerId, addr: SocketAddr, local: SocketAddr) {
        match self.mode {
            Mode::TcpClient => eprintln!("connected to {addr} from {local}"),
            _ => eprintln!("client connected: {addr}"),
        }
        if let Some(greeting) = &self.plan.greeting {
            let target = match self.mode {
                Mode::TcpServer => Target::Peers(vec![peer]),
                _ => Target::Default,
            };
            self.send(target, greeting.clone());
        }
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

    fn on_peer_closed(&mut self, addr: SocketAddr, how: &CloseReason) {
        if let Some(mut dec) = self.decoders.remove(&addr) {
            let rest = dec.finish();
            if !rest.is_empty() {
                let _ = writeln!(self.out, "[RX {addr}] {rest}");
            }
        }
        let _ = self.out.flush();
        match how {
            CloseReason::Fin => eprintln!("closed by peer: {addr}"),
            CloseReason::Reset => eprintln!("reset by peer: {addr}"),
            CloseReason::Error(msg) => eprintln!("connection error: {addr}: {msg}"),
            CloseReason::Local => eprintln!("disconnected: {addr}"),
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
                let text = trim_line_end(&text);
                writeln!(self.out, "[RX {addr}] {text}")
            }
            Display::Text(enc) => {
                // TCP: one decoder per connection, dropped when it closes.
                let dec = self
                    .decoders
                    .entry(addr)
                    .or_insert_with(|| StreamDecoder::new(enc));
                let text = dec.decode(data);
                writeln!(self.out, "[RX {addr}] {}", trim_line_end(&text))
            }
        }
    }

    fn send(&mut self, target: Target, data: Bytes) {
        let handle = match &self.handle {
            Some(h) => h.clone(),
            None => return eprintln!("error: {}", NetError::NotOpen),
        };
        if let Err(e) = handle.send(target, data) {
            eprintln!("error: {e}");
        }
    }

    fn send_line(&mut self, line: &str) {
        match build_payload(line, &self.plan.send) {
            Ok(bytes) => self.send(Target::Default, Bytes::from(bytes)),
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
