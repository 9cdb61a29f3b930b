//! Relay sessions: listen, connect each client that arrives to a target
//! server (one upstream connection per client over TCP, one upstream socket
//! per client address over UDP), forward both ways, and break the link on
//! purpose when asked (faults, per direction, switchable while running).
//!
//! What the relay reports, beside the events every TCP session has:
//! - [`Event::Connected`](super::Event::Connected) for each client accepted
//!   (its `peer` names the pair from then on);
//! - [`Event::UpstreamConnected`](super::Event::UpstreamConnected) once the
//!   pair's connection to the target is up, or
//!   [`Event::UpstreamFailed`](super::Event::UpstreamFailed) (the client's
//!   side is then closed);
//! - [`Event::Relayed`](super::Event::Relayed) for each chunk one side sent,
//!   as it was read (before any fault);
//! - [`Event::Rewritten`](super::Event::Rewritten) right after it when the
//!   rewrite rules changed the chunk, or
//!   [`Event::RewriteFailed`](super::Event::RewriteFailed) when one could
//!   not;
//! - [`Event::FaultFired`](super::Event::FaultFired) when a fault acts;
//! - [`Event::HalfClosed`](super::Event::HalfClosed) and
//!   [`Event::PeerClosed`](super::Event::PeerClosed) for each leg: their
//!   `addr` is the client's address for the client's leg and the target's
//!   for the upstream leg. A FIN is passed on as a half-close of the other
//!   leg, a reset as a reset.

use std::net::SocketAddr;
use std::time::Duration;

use super::{HostPort, TlsClientConfig, TlsServerConfig};

pub use rewrite::{ChunkIn, Rewrite, Rewriter, Rewritten};

mod arena;
mod faults;
mod rewrite;
pub(super) mod sched;
mod target;
mod tcp;
mod udp;

/// Which way bytes go through a relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flow {
    /// From the client to the server.
    Up,
    /// From the server to the client.
    Down,
}

impl Flow {
    /// `C→S` or `S→C`.
    pub fn arrow(self) -> &'static str {
        match self {
            Flow::Up => "C→S",
            Flow::Down => "S→C",
        }
    }
}

/// How long an idle UDP mapping lives, unless the user says otherwise.
pub const DEFAULT_UDP_IDLE: Duration = Duration::from_secs(60);

/// Everything a relay session is opened with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayConfig {
    /// Where clients connect (or send, over UDP).
    pub listen: SocketAddr,
    /// The server each client is connected to.
    pub target: HostPort,
    /// Datagrams instead of a byte stream.
    pub udp: bool,
    /// Faults to apply from the start.
    pub faults: Faults,
    /// UDP: a mapping with no traffic for this long is forgotten.
    pub udp_idle: Duration,
    /// TCP: speak TLS to the clients (the relay presents a certificate,
    /// self-signed unless one is given, as the TCP server does).
    pub tls_listen: Option<TlsServerConfig>,
    /// TCP: speak TLS to the target (its certificate checked against the
    /// target's host as typed, as the TCP client does).
    pub tls_upstream: Option<TlsClientConfig>,
    /// Rules that rewrite chunks before they are forwarded (and before the
    /// faults act on them).
    pub rewrite: Option<Rewriter>,
}

/// Faults for each direction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Client to server.
    pub up: FaultSet,
    /// Server to client.
    pub down: FaultSet,
}

impl Faults {
    /// `set` applied one way (`Some(flow)`) or both ways (`None`); the
    /// other way gets none.
    pub fn applied(set: FaultSet, to: Option<Flow>) -> Faults {
        match to {
            Some(Flow::Up) => Faults {
                up: set,
                down: FaultSet::default(),
            },
            Some(Flow::Down) => Faults {
                up: FaultSet::default(),
                down: set,
            },
            None => Faults {
                up: set.clone(),
                down: set,
            },
        }
    }

    /// The faults of one direction.
    pub fn of(&self, flow: Flow) -> &FaultSet {
        match flow {
            Flow::Up => &self.up,
            Flow::Down => &self.down,
        }
    }
}

/// The faults of one direction; the default is none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultSet {
    /// Forward in pieces.
    pub slice: Option<Slice>,
    /// Hold each chunk back.
    pub delay: Option<Delay>,
    /// Forward at most this many bytes per second.
    pub rate: Option<u64>,
    /// After this many bytes in this direction, end the pair or stop.
    pub end_after: Option<EndAfter>,
    /// UDP: drop this percentage of datagrams (0 to 100).
    pub drop_percent: u8,
    /// UDP: send this percentage of datagrams twice.
    pub duplicate_percent: u8,
    /// UDP: hold back this percentage of datagrams behind the next one.
    pub reorder_percent: u8,
}

impl FaultSet {
    /// True when nothing is changed on the way.
    pub fn is_empty(&self) -> bool {
        *self == FaultSet::default()
    }
}

/// Forwarding in pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// Pieces of this many bytes (at least 1), or at most this many.
    pub max: usize,
    /// Random sizes from 1 to `max` instead of all `max`.
    pub random: bool,
    /// A pause between pieces.
    pub gap: Duration,
}

/// Latency added to each chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delay {
    /// How long each chunk is held.
    pub latency: Duration,
    /// Up to this much more or less, at random (never below zero).
    pub jitter: Duration,
}

/// Ending a pair after some bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndAfter {
    /// Bytes forwarded in this direction first.
    pub bytes: u64,
    /// Then this.
    pub how: EndHow,
}

/// How a pair is ended on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndHow {
    /// Both sides get a FIN (an orderly close).
    Close,
    /// Both sides get a reset (RST: SO_LINGER 0).
    Reset,
    /// Nothing more is forwarded, and both connections stay open.
    Blackhole,
}

/// What a fault did, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultEvent {
    /// A chunk went out in this many pieces of at most `max` bytes.
    Sliced {
        /// How many pieces.
        pieces: u32,
        /// The largest piece asked for.
        max: usize,
    },
    /// The pair was closed, reset or blackholed after this many bytes.
    Ended {
        /// Bytes forwarded before.
        after: u64,
        /// What was done.
        how: EndHow,
    },
    /// UDP: datagrams dropped since the last such event.
    Dropped {
        /// How many.
        count: u64,
    },
    /// UDP: datagrams sent twice since the last such event.
    Duplicated {
        /// How many.
        count: u64,
    },
    /// UDP: datagrams held back behind the next since the last such event.
    Reordered {
        /// How many.
        count: u64,
    },
}

/// Where a relay's client leg ends, for the log: the client's address.
pub type ClientAddr = SocketAddr;

/// Opens a relay session's driver: binds `config.listen` and starts
/// forwarding.
pub(crate) fn open(
    ctx: &mut super::driver::Ctx,
    config: RelayConfig,
) -> Result<Box<dyn super::driver::Driver>, super::NetError> {
    if config.udp {
        udp::UdpRelay::open(ctx, config).map(|d| Box::new(d) as Box<dyn super::driver::Driver>)
    } else {
        tcp::TcpRelay::open(ctx, config).map(|d| Box::new(d) as Box<dyn super::driver::Driver>)
    }
}
