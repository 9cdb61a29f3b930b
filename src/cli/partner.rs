//! `netassist partner`: list the tutorial partners, print one's rules file,
//! or run one (on the tutorial's port, or where --bind/--connect/--to say).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use super::plan::rules_with;
use super::{Display, Plan, parse_secs};
use crate::automation::{Partner, partner, partners};
use crate::codec::{DisplayEncoding, InputMode, LineEnding, SendOptions, TextEncoding};
use crate::net::{HostPort, SessionConfig, parse_bind_addr, parse_host_port};

/// Arguments of `netassist partner`.
#[derive(Debug, Args)]
pub struct PartnerArgs {
    /// The partner to run, e.g. 004-name-server (see --list).
    #[arg(value_name = "ID", required_unless_present = "list")]
    pub id: Option<String>,
    /// List every partner and exit.
    #[arg(long)]
    pub list: bool,
    /// Print the partner's rules file (for --rules or the window) and exit.
    #[arg(long)]
    pub print: bool,
    /// Servers and UDP: listen or bind here instead of the tutorial's port.
    #[arg(long, value_name = "ADDR:PORT", value_parser = parse_bind_addr)]
    pub bind: Option<SocketAddr>,
    /// Clients: connect here instead of 127.0.0.1 and the tutorial's port.
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_host_port)]
    pub connect: Option<HostPort>,
    /// UDP partners that send first: send here instead.
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_host_port)]
    pub to: Option<HostPort>,
    /// Decode received bytes with this instead of the partner's encoding.
    #[arg(long, value_name = "utf8|gbk|auto")]
    pub encoding: Option<DisplayEncoding>,
    /// Encode replies and stdin lines with this instead.
    #[arg(long, value_name = "utf8|gbk")]
    pub send_encoding: Option<TextEncoding>,
    /// Show received bytes as hex.
    #[arg(long, conflicts_with = "raw")]
    pub hex: bool,
    /// Write exactly the received bytes to stdout, nothing else.
    #[arg(long)]
    pub raw: bool,
    /// Print one JSON object per line for every row.
    #[arg(long, conflicts_with = "raw")]
    pub json: bool,
    /// Exit 0 once N bytes have been received in all.
    #[arg(long, value_name = "N")]
    pub exit_after_bytes: Option<u64>,
    /// Exit 0 after SECS seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub timeout: Option<Duration>,
}

/// Lists, prints (both `Ok(None)`: nothing to run) or plans a partner run.
pub(super) fn plan(args: PartnerArgs) -> Result<Option<Plan>, String> {
    if args.list {
        for p in partners() {
            println!("{:<24} {} / {}", p.id, p.title_en, p.title_zh);
        }
        return Ok(None);
    }
    let id = args.id.as_deref().unwrap_or_default();
    let p = partner(id)
        .ok_or_else(|| format!("unknown partner \"{id}\" (netassist partner --list shows them)"))?;
    if args.print {
        return match p.to_toml() {
            Ok(text) => {
                print!("{text}");
                Ok(None)
            }
            Err(e) => Err(format!("cannot write the rules of {}: {e}", p.id)),
        };
    }
    let config = session(&p, &args)?;
    let display = args.encoding.unwrap_or(p.display);
    let send_encoding = args.send_encoding.unwrap_or(p.send_encoding);
    eprintln!("partner {}: {}", p.id, p.title_en);
    Ok(Some(Plan {
        config,
        greeting: None,
        pcap: None,
        send: SendOptions {
            mode: InputMode::Text,
            escapes: false,
            encoding: send_encoding,
            line_ending: LineEnding::Lf,
            checksum: None,
        },
        display: if args.raw {
            Display::Raw
        } else if args.hex {
            Display::Hex
        } else {
            Display::Text(display)
        },
        json: args.json,
        echo: false,
        exit_after: args.exit_after_bytes,
        timeout: args.timeout,
        rules: Some(rules_with(
            p.answer,
            p.rules.clone(),
            display,
            send_encoding,
        )),
        sequence: None,
    }))
}

/// The partner's session with the addresses the arguments override.
fn session(p: &Partner, args: &PartnerArgs) -> Result<SessionConfig, String> {
    let wrong = |flag: &str, use_instead: &str| {
        Err(format!(
            "partner {} is a {}: {flag} does not apply (use {use_instead})",
            p.id,
            p.mode().name(),
        ))
    };
    match p.session_config() {
        SessionConfig::TcpServer { bind, tls } => {
            if args.connect.is_some() {
                return wrong("--connect", "--bind");
            }
            if args.to.is_some() {
                return wrong("--to", "--bind");
            }
            Ok(SessionConfig::TcpServer {
                bind: args.bind.unwrap_or(bind),
                tls,
            })
        }
        SessionConfig::TcpClient { remote, bind, tls } => {
            if args.bind.is_some() {
                return wrong("--bind", "--connect");
            }
            if args.to.is_some() {
                return wrong("--to", "--connect");
            }
            Ok(SessionConfig::TcpClient {
                remote: args.connect.clone().unwrap_or(remote),
                bind,
                tls,
            })
        }
        SessionConfig::Udp {
            bind,
            remote,
            multicast,
        } => {
            if args.connect.is_some() {
                return wrong("--connect", "--bind or --to");
            }
            Ok(SessionConfig::Udp {
                bind: args.bind.unwrap_or(bind),
                remote: args.to.clone().or(remote),
                multicast,
            })
        }
        SessionConfig::Relay(mut r) => {
            if args.connect.is_some() {
                return wrong("--connect", "--bind or --to");
            }
            if let Some(bind) = args.bind {
                r.listen = bind;
            }
            if let Some(to) = &args.to {
                r.target = to.clone();
            }
            Ok(SessionConfig::Relay(r))
        }
        SessionConfig::WsServer(mut w) => {
            if args.connect.is_some() {
                return wrong("--connect", "--bind");
            }
            if args.to.is_some() {
                return wrong("--to", "--bind");
            }
            if let Some(bind) = args.bind {
                w.bind = bind;
            }
            Ok(SessionConfig::WsServer(w))
        }
        SessionConfig::WsClient(w) => {
            if args.bind.is_some() || args.connect.is_some() || args.to.is_some() {
                return wrong("--bind, --connect and --to", "the partner's own URL");
            }
            Ok(SessionConfig::WsClient(w))
        }
        // No partner is a load run.
        load @ SessionConfig::Load(_) => Ok(load),
    }
}
