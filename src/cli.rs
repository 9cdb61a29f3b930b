//! The headless command line over the same engine as the window.
//!
//! Scripts and tests depend on this contract: stdout carries one record per
//! received chunk (`[RX 127.0.0.1:53422] text`, control characters escaped
//! so a peer cannot drive the terminal), or only the received bytes with
//! `--raw`; stderr carries status and errors. Exit 2 means bad arguments
//! (including a bad rules or presets file, with its line and column), exit 1
//! a runtime failure (or a sequence that failed), exit 0 a normal end.

mod load;
pub mod loadtest;
mod out;
mod partner;
mod plan;
mod print;
mod relay;
mod run;
mod terminal;
mod tls;
mod ws;

use plan::{Display, Plan};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::codec::{ChecksumKind, ChecksumRange, DisplayEncoding, LineEnding, TextEncoding};
use crate::net::{HostPort, Iface, Membership, parse_bind_addr, parse_host_port, parse_membership};

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
        /// TLS.
        #[command(flatten)]
        tls: tls::TlsArgs,
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
        /// TLS.
        #[command(flatten)]
        tls: tls::TlsArgs,
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
    /// Sit between clients and a server: listen, connect each client to
    /// --to, forward both ways and print both directions (C->S, S->C);
    /// optionally break the link on purpose (the fault options).
    Relay {
        /// Local address clients connect to, e.g. 127.0.0.1:6001.
        #[arg(long, value_name = "ADDR:PORT", value_parser = parse_bind_addr)]
        listen: SocketAddr,
        /// The server each client is connected to, e.g. 127.0.0.1:6000.
        #[arg(long, value_name = "HOST:PORT", value_parser = parse_host_port)]
        to: HostPort,
        /// Relay UDP datagrams instead of TCP connections (one socket
        /// towards the server per client address).
        #[arg(long)]
        udp: bool,
        /// UDP: forget a client address after SECS seconds without traffic.
        #[arg(long, value_name = "SECS", value_parser = parse_secs, requires = "udp")]
        udp_idle: Option<Duration>,
        /// Faults and where they apply.
        #[command(flatten)]
        faults: relay::FaultArgs,
        /// TLS on either leg.
        #[command(flatten)]
        tls: tls::RelayTlsArgs,
        /// Options every mode shares.
        #[command(flatten)]
        opts: Options,
    },
    /// Listen for WebSocket clients (ws://, or wss:// with --tls); each
    /// message is one row, pings, pongs and closes are events on stderr.
    WsServer {
        /// Local address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long, value_name = "ADDR:PORT", value_parser = parse_bind_addr)]
        bind: SocketAddr,
        /// Serve this path only (others get HTTP 404); default: any path.
        #[arg(long, value_name = "/P")]
        path: Option<String>,
        /// TLS (wss://).
        #[command(flatten)]
        tls: tls::TlsArgs,
        /// Message options.
        #[command(flatten)]
        ws: ws::WsArgs,
        /// Options every mode shares.
        #[command(flatten)]
        opts: Options,
    },
    /// Connect to a WebSocket server by URL; a refused upgrade exits 1
    /// with the server's HTTP status.
    WsClient {
        /// URL, headers, subprotocols, TLS checks.
        #[command(flatten)]
        args: ws::WsClientArgs,
        /// Options every mode shares.
        #[command(flatten)]
        opts: Options,
    },
    /// Play the other side of a tutorial program (see --list).
    Partner(partner::PartnerArgs),
    /// Load test: many clients against one server (URL: tcp://HOST:PORT,
    /// tls://HOST:PORT, udp://HOST:PORT, ws:// or wss://), each following a script; a
    /// line of figures a second on stderr, latency percentiles at the end.
    Load(Box<loadtest::LoadArgs>),
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
    /// Print one JSON object per line on stdout for every row: received,
    /// sent and events (time, dir, peer, bytes, encoding, text or hex).
    #[arg(long, conflicts_with = "raw")]
    pub json: bool,
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
        Command::Load(args) => return loadtest::run(&args),
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
    match run::run(plan) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}
