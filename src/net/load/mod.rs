//! Load sessions: many clients against one server, each following the same
//! script, with the figures a learner asks for (how many connect, how many
//! fail and why, bytes and messages a second, how long each reply takes).
//!
//! A load run is a session like the others: one worker thread and its mio
//! loop hold every connection (no thread per connection). The driver keeps
//! its counters and latency histograms (HdrHistogram) itself and reports
//! them as [`Event::LoadProgress`](super::Event::LoadProgress) every
//! [`SNAPSHOT_EVERY`], plus a bounded number of samples
//! ([`Event::LoadSample`](super::Event::LoadSample): the first exchanges
//! and every failure up to a limit, in full) and, at the end,
//! [`Event::LoadFinished`](super::Event::LoadFinished) with the slowest
//! exchanges. It never reports each read or send of each connection.
//!
//! Latency is the time from a send to the first byte read after it on the
//! same connection (for TLS: the first byte of plaintext).

mod client;
mod driver;
mod limits;
mod report;
mod stats;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::{AddrError, HostPort, TlsClientConfig, parse_host_port};

pub(crate) use driver::open;
pub use limits::{LOOPBACK_PER_SOURCE, fd_limit, loopback_sources};
pub use report::{
    ExchangeWhy, FailKind, Latency, LoadEnd, LoadPlan, LoadSample, LoadSecond, LoadSnapshot,
    LoadSummary, LoadTotals, SampleKind,
};

/// How often a running load session reports its figures.
pub const SNAPSHOT_EVERY: Duration = Duration::from_millis(250);

/// The most connections one load session may ask for.
pub const MAX_CONNECTIONS: u32 = 1_000_000;

/// How long a connection may take to connect (and, over TLS, to finish
/// its handshake) before it counts as timed out, unless told otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections started per second unless told otherwise.
pub const DEFAULT_RATE: u32 = 1000;

/// What a load session speaks to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoadProto {
    /// TCP connections (`tcp://`).
    Tcp,
    /// TLS over TCP (`tls://`).
    Tls,
    /// One UDP socket per client, connected to the target (`udp://`).
    Udp,
    /// WebSocket (`ws://`): each send is a message, each message received
    /// is what a reply is looked for in.
    Ws,
    /// WebSocket over TLS (`wss://`).
    Wss,
}

impl LoadProto {
    /// The URL scheme.
    pub fn scheme(self) -> &'static str {
        match self {
            LoadProto::Tcp => "tcp",
            LoadProto::Tls => "tls",
            LoadProto::Udp => "udp",
            LoadProto::Ws => "ws",
            LoadProto::Wss => "wss",
        }
    }

    /// Whether the connection speaks TLS.
    pub fn tls(self) -> bool {
        matches!(self, LoadProto::Tls | LoadProto::Wss)
    }

    /// Whether the connection speaks WebSocket.
    pub fn ws(self) -> bool {
        matches!(self, LoadProto::Ws | LoadProto::Wss)
    }
}

/// Where a load session connects: `tcp://HOST:PORT`, `tls://HOST:PORT` or
/// `udp://HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LoadUrl {
    /// The protocol.
    pub proto: LoadProto,
    /// The host (name or IP literal) and port.
    pub host: HostPort,
    /// WebSocket: the path (and query) asked for, from `/`.
    pub path: String,
}

impl fmt::Display for LoadUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.proto.scheme(), self.host)?;
        if self.proto.ws() && self.path != "/" {
            f.write_str(&self.path)?;
        }
        Ok(())
    }
}

/// Why a load target's URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadUrlError {
    /// No `scheme://` in front.
    #[error(
        "'{text}' has no scheme: write tcp://HOST:PORT, tls://HOST:PORT, udp://HOST:PORT, ws://HOST:PORT/PATH or wss://HOST:PORT/PATH"
    )]
    NoScheme {
        /// What was typed.
        text: String,
    },
    /// Another scheme.
    #[error("unknown scheme '{scheme}://': use tcp://, tls://, udp://, ws:// or wss://")]
    UnknownScheme {
        /// What was typed before `://`.
        scheme: String,
    },
    /// The host or port is wrong.
    #[error("{0}")]
    Addr(#[from] AddrError),
    /// A WebSocket URL that does not parse.
    #[error("{0}")]
    Ws(#[from] crate::net::ws::WsUrlError),
}

/// Parses `tcp://HOST:PORT`, `tls://HOST:PORT` or `udp://HOST:PORT` (a
/// trailing `/` is allowed), or a WebSocket URL, `ws://HOST[:PORT]/PATH`
/// or `wss://…` (port 80 or 443 unless given).
pub fn parse_load_url(text: &str) -> Result<LoadUrl, LoadUrlError> {
    let text = text.trim();
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(LoadUrlError::NoScheme {
            text: text.to_string(),
        });
    };
    let scheme = scheme.to_ascii_lowercase();
    let proto = match scheme.as_str() {
        "tcp" => LoadProto::Tcp,
        "tls" => LoadProto::Tls,
        "udp" => LoadProto::Udp,
        "ws" | "wss" => {
            let url = crate::net::ws::WsUrl::parse(text)?;
            let proto = if url.secure {
                LoadProto::Wss
            } else {
                LoadProto::Ws
            };
            let host = parse_host_port(&url.host_port().to_string())?;
            return Ok(LoadUrl {
                proto,
                host,
                path: url.path,
            });
        }
        _ => return Err(LoadUrlError::UnknownScheme { scheme }),
    };
    let host = parse_host_port(rest.strip_suffix('/').unwrap_or(rest))?;
    Ok(LoadUrl {
        proto,
        host,
        path: "/".to_string(),
    })
}

/// Something that tells whether the bytes received since a send are the
/// reply a step waits for. The automation layer implements it (text
/// contains/equals/regex, hex patterns); the engine only asks.
pub trait ReplyCheck: Send + Sync + fmt::Debug {
    /// True when `seen` (what came since the step's send, at most
    /// [`REPLY_WINDOW`] bytes, the newest kept) holds the reply.
    fn matches(&self, seen: &[u8]) -> bool;
    /// What it looks for, for messages (`contains "Hello"`).
    fn describe(&self) -> String;
}

/// A shared [`ReplyCheck`]. Two are equal when they are the same one.
#[derive(Clone)]
pub struct Expect(pub Arc<dyn ReplyCheck>);

impl Expect {
    /// A check that the reply contains these bytes.
    pub fn contains(bytes: impl Into<Bytes>) -> Expect {
        Expect(Arc::new(Contains(bytes.into())))
    }
}

impl fmt::Debug for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq for Expect {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Expect {}

/// The reply contains these exact bytes.
#[derive(Debug)]
struct Contains(Bytes);

impl ReplyCheck for Contains {
    fn matches(&self, seen: &[u8]) -> bool {
        self.0.is_empty() || memchr::memmem::find(seen, &self.0).is_some()
    }

    fn describe(&self) -> String {
        format!(
            "contains {}",
            crate::codec::preview(&self.0, crate::codec::PREVIEW_CHARS)
        )
    }
}

/// How much received data a reply wait keeps to match against.
pub const REPLY_WINDOW: usize = 64 * 1024;

/// What a step waits for after its send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadWait {
    /// A pause (0: go straight on). The next step's send is due this long
    /// after this step's send.
    Pause(Duration),
    /// A reply that passes the check, within the timeout.
    Reply {
        /// What the reply must hold.
        expect: Expect,
        /// How long to wait for it.
        timeout: Duration,
    },
}

/// One step of a client's script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadStep {
    /// What to send (empty: send nothing, only wait).
    pub send: Bytes,
    /// What to wait for.
    pub wait: LoadWait,
    /// How the step is named in messages (`"Alice"`, `preset "poll"`).
    pub label: String,
}

/// The script every client follows, step by step, round after round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadScript {
    /// The steps (at least one).
    pub steps: Vec<LoadStep>,
    /// Rounds are paced: round k starts no sooner than k × this after the
    /// first (no drift), and never before the previous round has ended.
    pub every: Option<Duration>,
    /// Rounds the script itself asks for (a sequence's `repeat`; `None`:
    /// no opinion). [`LoadShape::rounds`] takes precedence; with neither, a
    /// run with a duration repeats the script until it ends, and one
    /// without runs it once.
    pub rounds: Option<u32>,
}

impl LoadScript {
    /// One payload a round, every `every` (`None`: as soon as the previous
    /// round ended). With `expect`, each reply must pass the check within
    /// `timeout`; without, the round only sends (the first byte that
    /// comes back still times the reply).
    pub fn payload(
        payload: Bytes,
        every: Option<Duration>,
        expect: Option<Expect>,
        timeout: Duration,
    ) -> LoadScript {
        let label = crate::codec::preview(&payload, 40);
        let wait = match expect {
            Some(expect) => LoadWait::Reply { expect, timeout },
            None => LoadWait::Pause(Duration::ZERO),
        };
        LoadScript {
            steps: vec![LoadStep {
                send: payload,
                wait,
                label,
            }],
            every,
            rounds: None,
        }
    }
}

/// How long a load session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LoadShape {
    /// How many clients.
    pub connections: u32,
    /// Connections started per second (`None`: [`DEFAULT_RATE`]).
    pub rate: Option<u32>,
    /// The run ends after this long; clients that finished their rounds
    /// stay connected until then.
    pub duration: Option<Duration>,
    /// Rounds of the script each client runs (`None`: the script's own,
    /// else until the duration ends, else one).
    pub rounds: Option<u32>,
    /// The run stops once more connections than this have failed.
    pub max_failures: Option<u64>,
}

/// Where the clients' connections come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Sources {
    /// The system picks (one address). To a loopback IPv4 target on Linux,
    /// connections are spread over 127.0.0.2, 127.0.0.3, …, at most
    /// `per_source` each, when there are more than that.
    #[default]
    Auto,
    /// Like `Auto` with this many connections per source address.
    PerSource(u32),
    /// These source addresses, in turn.
    List(Vec<IpAddr>),
}

/// Everything a load session is opened with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadConfig {
    /// The target.
    pub url: LoadUrl,
    /// How many, how fast, how long.
    pub shape: LoadShape,
    /// What each client does.
    pub script: LoadScript,
    /// TLS settings for `tls://` (`None`: the system's roots, the host as
    /// typed).
    pub tls: Option<TlsClientConfig>,
    /// Source addresses.
    pub sources: Sources,
    /// How long a connect (and TLS handshake) may take.
    pub connect_timeout: Duration,
}

impl LoadConfig {
    /// A run of `connections` clients against `url` following `script`,
    /// with the defaults for everything else.
    pub fn new(url: LoadUrl, connections: u32, script: LoadScript) -> LoadConfig {
        LoadConfig {
            url,
            shape: LoadShape {
                connections,
                rate: None,
                duration: None,
                rounds: None,
                max_failures: None,
            },
            script,
            tls: None,
            sources: Sources::Auto,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_websocket_is_refused_for_now() {
        let url = parse_load_url("tcp://127.0.0.1:6000").unwrap();
        assert_eq!(url.proto, LoadProto::Tcp);
        assert_eq!(url.host.port, 6000);
        assert_eq!(url.to_string(), "tcp://127.0.0.1:6000");
        assert_eq!(
            parse_load_url("TLS://localhost:443/").unwrap().proto,
            LoadProto::Tls
        );
        assert_eq!(
            parse_load_url("udp://[::1]:7").unwrap().to_string(),
            "udp://[::1]:7"
        );
        let ws = parse_load_url("ws://127.0.0.1:8765/chat?room=1").unwrap();
        assert_eq!((ws.proto, ws.host.port), (LoadProto::Ws, 8765));
        assert_eq!(ws.path, "/chat?room=1");
        assert_eq!(ws.to_string(), "ws://127.0.0.1:8765/chat?room=1");
        let wss = parse_load_url("wss://localhost").unwrap();
        assert_eq!((wss.proto, wss.host.port), (LoadProto::Wss, 443));
        assert_eq!(wss.to_string(), "wss://localhost:443");
        assert!(matches!(parse_load_url("ws://"), Err(LoadUrlError::Ws(_))));
        assert!(matches!(
            parse_load_url("http://h:1"),
            Err(LoadUrlError::UnknownScheme { .. })
        ));
        assert!(matches!(
            parse_load_url("127.0.0.1:1"),
            Err(LoadUrlError::NoScheme { .. })
        ));
        assert!(matches!(
            parse_load_url("tcp://127.0.0.1:0"),
            Err(LoadUrlError::Addr(_))
        ));
    }

    #[test]
    fn contains_matches_anywhere() {
        let e = Expect::contains(&b"Hello"[..]);
        assert!(e.0.matches(b"xx Hello yy"));
        assert!(!e.0.matches(b"Hell"));
        assert_eq!(e, e.clone());
        assert_ne!(e, Expect::contains(&b"Hello"[..]));
    }
}
