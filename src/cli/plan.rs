//! What a command-line run will do, checked before any socket is touched:
//! the session to open, what to send and how, how to show what arrives, and
//! when to stop. [`Plan::run`] carries it out.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;

use crate::automation::{AnswerMode, ResponderSettings, Rule, SequenceRun};
use crate::codec::{Checksum, DisplayEncoding, InputMode, LineEnding, SendOptions, build_payload};
use crate::net::relay::DEFAULT_UDP_IDLE;
use crate::net::{MulticastConfig, MulticastOptions, RelayConfig, SessionConfig};
use crate::session::Greeting;

use super::{Command, load};

/// Everything a run needs, checked before any socket is touched.
pub(super) struct Plan {
    pub(super) config: SessionConfig,
    /// `--send`/`--send-hex`, once or as a timed send.
    pub(super) greeting: Option<Greeting>,
    pub(super) send: SendOptions,
    pub(super) display: Display,
    /// One JSON object per line on stdout for each row.
    pub(super) json: bool,
    pub(super) echo: bool,
    pub(super) exit_after: Option<u64>,
    pub(super) timeout: Option<Duration>,
    pub(super) rules: Option<(Vec<Rule>, ResponderSettings)>,
    pub(super) sequence: Option<SequenceRun>,
    pub(super) pcap: Option<PcapFile>,
}

/// The `--pcap` file, created before any socket is opened.
pub(super) struct PcapFile {
    pub(super) path: PathBuf,
    pub(super) file: std::fs::File,
}

/// The interval of `--count` without `--every`.
pub(super) const COUNT_ONLY_EVERY: Duration = Duration::from_millis(1);

/// How received chunks are written to stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Display {
    Text(DisplayEncoding),
    Hex,
    Raw,
}

/// The rules and the settings they run with.
pub(super) fn rules_with(
    answer: AnswerMode,
    rules: Vec<Rule>,
    display: DisplayEncoding,
    send_encoding: crate::codec::TextEncoding,
) -> (Vec<Rule>, ResponderSettings) {
    (
        rules,
        ResponderSettings {
            answer,
            display,
            send_encoding,
        },
    )
}

impl Plan {
    pub(super) fn from_command(command: Command) -> Result<Plan, String> {
        let (config, opts) = match command {
            Command::TcpServer { bind, tls, opts } => (
                SessionConfig::TcpServer {
                    bind,
                    tls: tls.server()?,
                },
                opts,
            ),
            Command::TcpClient {
                connect,
                bind,
                tls,
                opts,
            } => (
                SessionConfig::TcpClient {
                    remote: connect,
                    bind,
                    tls: tls.client()?,
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
            Command::Relay {
                listen,
                to,
                udp,
                udp_idle,
                faults,
                tls,
                opts,
            } => {
                if opts.echo {
                    return Err("relay: --echo does not apply (a relay forwards what it reads; it answers nothing)".into());
                }
                if opts.presets.is_some() || opts.sequence.is_some() {
                    return Err("relay: --presets and --sequence do not apply to a relay".into());
                }
                let faults = faults.to_faults(udp)?;
                if udp && (tls.tls_listen || tls.tls_upstream) {
                    return Err("relay: TLS runs over TCP, not with --udp".into());
                }
                let (tls_listen, tls_upstream) = tls.configs()?;
                (
                    SessionConfig::Relay(Box::new(RelayConfig {
                        listen,
                        target: to,
                        udp,
                        faults,
                        udp_idle: udp_idle.unwrap_or(DEFAULT_UDP_IDLE),
                        tls_listen,
                        tls_upstream,
                        rewrite: None,
                    })),
                    opts,
                )
            }
            Command::WsServer {
                bind,
                path,
                tls,
                ws,
                opts,
            } => (super::ws::server(bind, path, &tls, &ws)?, opts),
            Command::WsClient { args, opts } => (super::ws::client(args)?, opts),
            Command::Partner(_) => return Err("a partner is planned by its own command".into()),
            Command::Load(_) => return Err("a load test is planned by its own command".into()),
        };
        let repeat = match (opts.every, opts.count) {
            (None, None) => None,
            _ if opts.send.is_none() && opts.send_hex.is_none() => {
                return Err("--every and --count repeat the payload of --send or --send-hex: give one of them".into());
            }
            (every, count) => Some((every.map_or(COUNT_ONLY_EVERY, Duration::from_millis), count)),
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
        let data = match (&opts.send, &opts.send_hex) {
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
        let greeting = data.map(|data| Greeting { data, repeat });
        let rules = match &opts.rules {
            Some(path) => {
                let (answer, rules) = load::load_rules(path)?;
                if matches!(config, SessionConfig::Relay(_)) {
                    load::check_relay_rules(path, &rules, opts.send_encoding)?;
                }
                Some(rules_with(answer, rules, opts.encoding, opts.send_encoding))
            }
            None => None,
        };
        let sequence = match (&opts.presets, &opts.sequence) {
            (Some(path), Some(name)) => Some(load::load_sequence(path, name, opts.encoding)?),
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
            send,
            display,
            json: opts.json,
            echo: opts.echo,
            exit_after: opts.exit_after_bytes,
            timeout: opts.timeout,
            rules,
            sequence,
            pcap,
        })
    }

    /// Whether the run ends once a `--count` timed send is written (no
    /// other end was asked for).
    pub(super) fn ends_when_sent(&self) -> bool {
        let counted = self
            .greeting
            .as_ref()
            .and_then(|g| g.repeat)
            .is_some_and(|(_, count)| count.is_some());
        counted && self.timeout.is_none() && self.exit_after.is_none()
    }
}
