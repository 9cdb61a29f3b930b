//! What a load session reports: its plan, periodic snapshots of its
//! figures, samples of exchanges and failures, and its summary. Pure data.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::LoadUrl;

/// Why a client failed. Each kind is explained in the window and the log
/// (`teach::explain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailKind {
    /// The target refused the connection (nothing listens; for UDP, the
    /// target's system answered "port unreachable").
    Refused,
    /// The connection (or its TLS handshake) did not complete in time.
    ConnectTimedOut,
    /// The server reset the connection (RST).
    Reset,
    /// The server closed the connection before the script ended.
    ClosedEarly,
    /// No reply came in time.
    ReplyTimedOut,
    /// A reply came, but not the one expected.
    Mismatch,
    /// TLS failed (certificate, version, a peer that does not speak TLS).
    Tls,
    /// This machine ran out of something: descriptors, ports, buffers.
    Resources,
    /// Anything else the system reported.
    Other,
}

impl FailKind {
    /// Every kind, in the order figures show them.
    pub const ALL: [FailKind; 9] = [
        FailKind::Refused,
        FailKind::ConnectTimedOut,
        FailKind::Reset,
        FailKind::ClosedEarly,
        FailKind::ReplyTimedOut,
        FailKind::Mismatch,
        FailKind::Tls,
        FailKind::Resources,
        FailKind::Other,
    ];

    /// The name in JSON and CSV.
    pub fn key(self) -> &'static str {
        match self {
            FailKind::Refused => "refused",
            FailKind::ConnectTimedOut => "connect_timed_out",
            FailKind::Reset => "reset",
            FailKind::ClosedEarly => "closed_early",
            FailKind::ReplyTimedOut => "reply_timed_out",
            FailKind::Mismatch => "reply_mismatch",
            FailKind::Tls => "tls",
            FailKind::Resources => "resources",
            FailKind::Other => "other",
        }
    }

    /// Its place in [`FailKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for FailKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailKind::Refused => "connection refused",
            FailKind::ConnectTimedOut => "connect timed out",
            FailKind::Reset => "reset by the server",
            FailKind::ClosedEarly => "closed early by the server",
            FailKind::ReplyTimedOut => "no reply in time",
            FailKind::Mismatch => "reply did not match",
            FailKind::Tls => "TLS failed",
            FailKind::Resources => "out of local resources",
            FailKind::Other => "other error",
        })
    }
}

/// What a load session is about to do, told once at its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPlan {
    /// The target as given.
    pub url: LoadUrl,
    /// The address connected to.
    pub target: SocketAddr,
    /// Clients.
    pub connections: u32,
    /// Connections started per second.
    pub rate: u32,
    /// Rounds per client (`None`: until the duration ends).
    pub rounds: Option<u32>,
    /// How long the run lasts, if it is timed.
    pub duration: Option<Duration>,
    /// The source addresses connections are spread over (empty: the
    /// system picks one).
    pub sources: Vec<IpAddr>,
    /// The open-file limit now in force (`None`: none known).
    pub fd_limit: Option<u64>,
    /// Steps in the script.
    pub steps: usize,
}

/// Totals since the start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadTotals {
    /// Connections started.
    pub started: u64,
    /// Connections that connected (and finished their TLS handshake).
    pub connected: u64,
    /// Connections open now.
    pub open: u64,
    /// The most connections open at once so far.
    pub peak_open: u64,
    /// When the last connection came up, in microseconds since the start
    /// (so `connected` over it is the connect rate reached).
    pub last_connect_us: u64,
    /// Clients that finished their rounds (or were still going when a
    /// timed run ended).
    pub done: u64,
    /// Clients that failed.
    pub failed: u64,
    /// Bytes written.
    pub sent_bytes: u64,
    /// Bytes read.
    pub received_bytes: u64,
    /// Sends written whole.
    pub sent_messages: u64,
    /// Replies: sends that got a first byte back.
    pub received_messages: u64,
}

/// Latency figures, in microseconds (all 0 when nothing was measured).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Latency {
    /// Replies timed.
    pub count: u64,
    /// The fastest.
    pub min_us: u64,
    /// The median.
    pub p50_us: u64,
    /// The 90th percentile.
    pub p90_us: u64,
    /// The 99th percentile.
    pub p99_us: u64,
    /// The 99.9th percentile.
    pub p999_us: u64,
    /// The slowest.
    pub max_us: u64,
    /// The mean, rounded.
    pub mean_us: u64,
}

/// One second of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadSecond {
    /// Seconds since the start (the second that ended at `t + 1`).
    pub t: u32,
    /// Connections open at its end.
    pub open: u64,
    /// Connections that connected during it.
    pub connects: u64,
    /// Clients done during it.
    pub done: u64,
    /// Clients failed during it.
    pub failed: u64,
    /// Bytes written during it.
    pub sent_bytes: u64,
    /// Bytes read during it.
    pub received_bytes: u64,
    /// Sends written during it.
    pub sent_messages: u64,
    /// Replies during it.
    pub received_messages: u64,
    /// Its replies' latency.
    pub latency: Latency,
}

/// The figures of a run so far, reported every
/// [`SNAPSHOT_EVERY`](super::SNAPSHOT_EVERY).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadSnapshot {
    /// Time since the start.
    pub elapsed: Duration,
    /// Totals.
    pub totals: LoadTotals,
    /// Failures by kind, in [`FailKind::ALL`] order.
    pub failures: [u64; 9],
    /// Latency of every reply so far.
    pub latency: Latency,
    /// The seconds that ended since the previous snapshot.
    pub seconds: Vec<LoadSecond>,
}

impl LoadSnapshot {
    /// The failures of one kind.
    pub fn failed(&self, kind: FailKind) -> u64 {
        self.failures[kind.index()]
    }
}

/// Why a sample was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExchangeWhy {
    /// One of the first exchanges of the run.
    First,
    /// One of the slowest.
    Slowest,
}

/// What a sample shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleKind {
    /// A send and its reply.
    Exchange {
        /// Why it was kept.
        why: ExchangeWhy,
        /// The step (from 1) and round (from 1).
        step: u32,
        /// The round.
        round: u64,
        /// The bytes sent.
        sent: Bytes,
        /// The reply as read (at most [`SAMPLE_BYTES`]).
        reply: Bytes,
        /// From the send to the reply's first byte.
        latency: Duration,
    },
    /// A client that failed.
    Failure {
        /// What kind of failure.
        kind: FailKind,
        /// The system's or the check's words.
        detail: String,
        /// The step (from 1) it was at; 0 before its first.
        step: u32,
        /// What came back during that step (at most [`SAMPLE_BYTES`]).
        received: Bytes,
    },
}

/// The most bytes of a reply a sample keeps.
pub const SAMPLE_BYTES: usize = 4096;

/// One client's exchange or failure, kept in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadSample {
    /// The client's number, from 1.
    pub client: u32,
    /// Its local address, once it had one.
    pub local: Option<SocketAddr>,
    /// The target.
    pub remote: SocketAddr,
    /// When.
    pub time: SystemTime,
    /// What.
    pub kind: SampleKind,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoadEnd {
    /// Every client finished or failed.
    Completed,
    /// The duration ended.
    DurationReached,
    /// It was stopped.
    Stopped,
    /// More connections failed than allowed.
    TooManyFailures {
        /// The limit.
        max: u64,
    },
}

impl fmt::Display for LoadEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadEnd::Completed => f.write_str("every client finished or failed"),
            LoadEnd::DurationReached => f.write_str("the duration ended"),
            LoadEnd::Stopped => f.write_str("stopped"),
            LoadEnd::TooManyFailures { max } => {
                write!(f, "more than {max} connections failed")
            }
        }
    }
}

impl LoadEnd {
    /// The name in JSON.
    pub fn key(self) -> &'static str {
        match self {
            LoadEnd::Completed => "completed",
            LoadEnd::DurationReached => "duration",
            LoadEnd::Stopped => "stopped",
            LoadEnd::TooManyFailures { .. } => "max_failures",
        }
    }
}

/// A run's end: its last figures and its slowest exchanges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadSummary {
    /// How it ended.
    pub end: LoadEnd,
    /// The last figures (its `seconds` are those not yet reported).
    pub last: LoadSnapshot,
    /// The slowest exchanges, slowest first.
    pub slowest: Vec<LoadSample>,
    /// Failures beyond those kept as samples.
    pub unsampled_failures: u64,
}
