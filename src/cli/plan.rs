//! What a command-line run will do, checked before any socket is touched:
//! the session to open, what to send and how, how to show what arrives, and
//! when to stop. [`Plan::run`] carries it out.

use std::io::{self};
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;

use crate::automation::{Responder, SequenceRun};
use crate::codec::{Checksum, DisplayEncoding, InputMode, LineEnding, SendOptions, build_payload};
use crate::net::{MulticastConfig, MulticastOptions, SessionConfig};
use crate::pcap::EventCapture;

use super::{Command, automation};

/// Everything a run needs, checked before any socket is touched.
pub(super) struct Plan {
    pub(super) config: SessionConfig,
    pub(super) greeting: Option<Bytes>,
    /// `--every` / `--count`: the greeting goes out as a timed send.
    pub(super) repeat: Option<Repeat>,
    pub(super) send: SendOptions,
    pub(super) display: Display,
    pub(super) echo: bool,
    pub(super) exit_after: Option<u64>,
    pub(super) timeout: Option<Duration>,
    pub(super) responder: Option<Responder>,
    pub(super) sequence: Option<SequenceRun>,
    pub(super) pcap: Option<PcapFile>,
}

/// The `--pcap` file, created before any socket is opened.
pub(super) struct PcapFile {
    pub(super) path: PathBuf,
    pub(super) file: std::fs::File,
}

/// The capture being written during a run.
pub(super) struct PcapOut {
    pub(super) path: PathBuf,
    pub(super) capture: EventCapture<io::BufWriter<std::fs::File>>,
}

impl PcapOut {
    pub(super) fn start(pcap: &PcapFile) -> Result<PcapOut, String> {
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

pub(super) fn pcap_error(path: &std::path::Path, err: &dyn std::fmt::Display) -> String {
    format!("--pcap {}: {err}", path.display())
}

/// The timed send that `--every` and `--count` ask for.
#[derive(Clone, Copy)]
pub(super) struct Repeat {
    pub(super) every: Duration,
    pub(super) count: Option<u64>,
}

/// The interval of `--count` without `--every`.
pub(super) const COUNT_ONLY_EVERY: Duration = Duration::from_millis(1);

/// How received chunks are written to stdout.
#[derive(Clone, Copy)]
pub(super) enum Display {
    Text(DisplayEncoding),
    Hex,
    Raw,
}

impl Plan {
    pub(super) fn from_command(command: Command) -> Result<Plan, String> {
        let (config, opts) = match command {
            Command::TcpServer { bind, opts } => {
                (SessionConfig::TcpServer { bind, tls: None }, opts)
            }
            Command::TcpClient {
                connect,
                bind,
                opts,
            } => (
                SessionConfig::TcpClient {
                    remote: connect,
                    bind,
                    tls: None,
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

    /// Carries the plan out to its end.
    pub(super) fn run(self) -> Result<(), String> {
        super::run::run(self)
    }
}
