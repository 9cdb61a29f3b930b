//! One entry of the receive log: a read, a send or an event.

use std::cell::Cell;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::census::Census;

use crate::codec::TextEncoding;
use crate::net::load::{ExchangeWhy, FailKind, LoadEnd, LoadPlan};
use crate::net::tls::{CertInfo, SelfSignedStore, TlsFailure, TlsInfo};
use crate::net::ws::{WsEvent, WsMessage};
use crate::net::{FaultEvent, Flow, Mode, NetError};

/// Which way the bytes of a record went.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Received from a peer.
    Rx,
    /// Sent to a peer.
    Tx,
    /// Not data: a connection event (see [`Note`]).
    Event,
    /// A relay forwarded it from the client to the server.
    Up,
    /// A relay forwarded it from the server to the client.
    Down,
}

impl Direction {
    /// The tag used in exports and the log: `RX`, `TX`, `C→S`, `S→C` or `--`.
    pub fn label(self) -> &'static str {
        match self {
            Direction::Rx => "RX",
            Direction::Tx => "TX",
            Direction::Event => "--",
            Direction::Up => Flow::Up.arrow(),
            Direction::Down => Flow::Down.arrow(),
        }
    }

    /// The direction of bytes a relay forwarded `flow`.
    pub fn of_flow(flow: Flow) -> Direction {
        match flow {
            Flow::Up => Direction::Up,
            Flow::Down => Direction::Down,
        }
    }

    /// True for bytes read from a socket: received, or forwarded by a relay
    /// (a stream of reads that framing, merging and Auto look at).
    pub fn is_read(self) -> bool {
        matches!(self, Direction::Rx | Direction::Up | Direction::Down)
    }

    /// True for bytes that may ask for an answer (a send; a relay's client
    /// to server), the first half of a round trip.
    pub fn asks(self) -> bool {
        matches!(self, Direction::Tx | Direction::Up)
    }

    /// True for bytes that may answer (a read; a relay's server to client),
    /// the second half of a round trip.
    pub fn answers(self) -> bool {
        matches!(self, Direction::Rx | Direction::Down)
    }
}

/// Which end of a relayed pair something came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The client that connected to the relay.
    Client,
    /// The target server the relay connected to.
    Server,
}

/// Which end of a TCP connection asked for it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Opener {
    /// We connected (TCP client mode).
    Us,
    /// The peer connected to our server.
    Peer,
}

impl Opener {
    /// Who opens the connections of a session in `mode` (UDP has none; it
    /// is given as [`Opener::Peer`]).
    pub fn for_mode(mode: Mode) -> Opener {
        match mode {
            Mode::TcpClient | Mode::WsClient | Mode::Load => Opener::Us,
            Mode::TcpServer | Mode::WsServer | Mode::Udp | Mode::Relay | Mode::UdpRelay => {
                Opener::Peer
            }
        }
    }
}

/// What an event record reports. Pure data: the window translates it, the
/// `Display` impl gives plain English for exports and the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A socket was opened (listening, bound or connected) on `local`.
    Opened {
        /// The local address actually in use.
        local: SocketAddr,
        /// The mode of the session that opened it.
        mode: Mode,
    },
    /// A connection to the record's peer was established (or accepted).
    Connected {
        /// Our side's address of this connection.
        local: SocketAddr,
        /// Which end asked for the connection (sent the SYN).
        by: Opener,
    },
    /// The peer finished sending (FIN); the connection may still carry our sends.
    PeerFinished,
    /// The connection closed in order: both sides finished sending (FIN each way).
    ClosedByPeer,
    /// The connection was reset (RST).
    Reset,
    /// We closed the connection to the peer.
    Disconnected,
    /// We finished sending to the peer (our FIN goes once what is queued
    /// has been written); the connection still carries the peer's data.
    WeFinished,
    /// Auto shows this peer's text in one encoding while we send in the
    /// other (said once per peer, so a learner sees the mismatch).
    EncodingHint {
        /// The encoding Auto decodes the peer's bytes with.
        shown: TextEncoding,
        /// The session's send encoding.
        sent: TextEncoding,
    },
    /// Something failed; the message is the system's text.
    Error {
        /// Human-readable description of the failure.
        message: String,
    },
    /// An engine error, kept typed so a view can word it in its own language.
    Failure(Box<crate::net::NetError>),
    /// A UDP session joined a multicast group.
    Joined(crate::net::Membership),
    /// A UDP session left a multicast group.
    Left(crate::net::Membership),
    /// A rule matched, but its reply could not be made (a placeholder it
    /// names has no value, or the reply grew over the limit).
    RuleFailed {
        /// The rule's number in the list, from 1.
        rule: u32,
        /// The rule's name, if it has one.
        name: String,
        /// Why its reply could not be made.
        reason: String,
    },
    /// Replies waiting to be sent (a rule's, a sequence's) were dropped.
    RepliesDropped {
        /// How many.
        count: u64,
        /// The bytes they held.
        bytes: u64,
        /// Why.
        why: DropWhy,
    },
    /// A UDP socket's receive buffer: the room the system keeps for
    /// datagrams that arrived but are not read yet.
    ReceiveBuffer {
        /// The size NetAssist asked for, in bytes.
        asked: usize,
        /// The size the system granted, as it reports it.
        granted: usize,
    },
    /// The socket was closed.
    Closed,
    /// A TLS server is ready: the certificate it presents, and where a
    /// self-signed one is kept.
    TlsServerReady {
        /// The certificate.
        cert: Box<CertInfo>,
        /// Where the self-signed certificate is kept, when it is one.
        self_signed: Option<SelfSignedStore>,
    },
    /// A TLS handshake with the record's peer finished.
    TlsEstablished(Box<TlsInfo>),
    /// TLS failed with the record's peer; the connection ended.
    TlsFailed(Box<TlsFailure>),
    /// A plain TCP peer's first bytes look like a TLS ClientHello: the peer
    /// speaks TLS and this session does not.
    TlsHelloOnPlain,
    /// A relay connected the record's client to the target server.
    ServerConnected {
        /// The server's address.
        server: SocketAddr,
        /// Our side of the connection to it.
        local: SocketAddr,
    },
    /// A relay could not connect the record's client to the target server;
    /// the client's connection was closed.
    ServerUnreachable(Box<NetError>),
    /// One end of a relayed pair finished sending (FIN); the relay passed it
    /// on as a half-close to the other end, which can still answer.
    RelayFinished(Side),
    /// One end of a relayed pair reset its connection (RST); the relay reset
    /// the other end too.
    RelayReset(Side),
    /// TLS with the target server failed for the record's client (the
    /// relay's upstream leg); the pair ended.
    ServerTlsFailed {
        /// The server.
        server: SocketAddr,
        /// What went wrong.
        failure: Box<TlsFailure>,
    },
    /// A WebSocket connection's handshake, control frame or failure.
    Ws(Box<WsEvent>),
    /// A plain TCP server's client sent an HTTP request asking for a
    /// WebSocket: a WebSocket client is knocking.
    WsKnocking,
    /// A relay's fault acted on the record's pair.
    Fault {
        /// The direction it acted on.
        flow: Flow,
        /// What it did.
        fault: FaultEvent,
    },
    /// A relay's rules rewrote the chunk logged just before (as read); the
    /// record's bytes are what was forwarded instead.
    Rewritten {
        /// Which way the chunk went.
        flow: Flow,
        /// The rules that changed it, numbered from 1.
        rules: Vec<u32>,
        /// How many matches were replaced.
        matches: u32,
        /// The chunk's length as read.
        original: usize,
        /// The length forwarded.
        forwarded: usize,
        /// The forwarded bytes, short and readable: escaped text when they
        /// are UTF-8, else hex (cut at [`PREVIEW_CHARS`] characters).
        preview: String,
    },
    /// A load run started: what it will do.
    LoadStarted(Box<LoadPlan>),
    /// One exchange of a load run, kept in full: the rows after it are
    /// its send and its reply (the record's peer is the client's address).
    LoadExchange {
        /// The client's number, from 1.
        client: u32,
        /// Why it was kept.
        why: ExchangeWhy,
        /// The step, from 1.
        step: u32,
        /// The round, from 1.
        round: u64,
        /// From the send to the reply's first byte.
        latency: Duration,
    },
    /// A client of a load run failed (the record's peer is its address;
    /// what came back during the step, if anything, is the next row).
    LoadFailed {
        /// The client's number, from 1.
        client: u32,
        /// What kind of failure.
        kind: FailKind,
        /// The system's or the check's words.
        detail: String,
        /// The step it was at, from 1 (0: before its first).
        step: u32,
    },
    /// A load run ended.
    LoadFinished {
        /// How.
        end: LoadEnd,
        /// Clients that finished their rounds.
        done: u64,
        /// Clients that failed.
        failed: u64,
        /// Median and 99th percentile latency, microseconds.
        p50_us: u64,
        /// The 99th percentile.
        p99_us: u64,
    },
    /// A relay's rule matched a chunk but could not rewrite it; the chunk
    /// was forwarded as read.
    RewriteFailed {
        /// Which way the chunk went.
        flow: Flow,
        /// The rule's number in the list, from 1.
        rule: u32,
        /// The rule's name, if it has one.
        name: String,
        /// Why.
        reason: String,
    },
}

pub use crate::codec::{PREVIEW_CHARS, preview};

/// Rule numbers as `1, 3`.
pub fn rule_list(rules: &[u32]) -> String {
    let names: Vec<String> = rules.iter().map(u32::to_string).collect();
    names.join(", ")
}

/// A time as its UTC date and time, for certificates' validity.
pub fn utc_time(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%d %H:%M UTC")
        .to_string()
}

/// Why replies waiting to be sent were dropped.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum DropWhy {
    /// The connection they were for had closed.
    PeerGone,
    /// More replies were waiting than a session keeps; the oldest went.
    TooMany,
    /// The replies waiting held more bytes than a session sets aside for
    /// them; the oldest went.
    TooManyBytes,
    /// We had finished sending on the connection (a rule closed it).
    WeFinished,
}

/// A row about to be added to a log: what the window and the command line
/// both see of a record before the store numbers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// When it happened.
    pub time: SystemTime,
    /// Received, sent, or an event.
    pub dir: Direction,
    /// The remote address it concerns.
    pub peer: Option<SocketAddr>,
    /// The exact bytes (empty for an event).
    pub bytes: Bytes,
    /// How many bytes at the end of a send NetAssist added.
    pub added: u32,
    /// What an event reports.
    pub note: Option<Note>,
    /// WebSocket: the message's kind and frame count (the record is one
    /// whole message).
    pub message: Option<WsMessage>,
}

impl Entry {
    /// Bytes received from `peer`.
    pub fn rx(time: SystemTime, peer: SocketAddr, bytes: Bytes) -> Entry {
        Entry {
            time,
            dir: Direction::Rx,
            peer: Some(peer),
            bytes,
            added: 0,
            note: None,
            message: None,
        }
    }

    /// Bytes sent to `peer`, the last `added` of them added by NetAssist.
    pub fn tx(time: SystemTime, peer: SocketAddr, bytes: Bytes, added: u32) -> Entry {
        Entry {
            time,
            dir: Direction::Tx,
            peer: Some(peer),
            bytes,
            added,
            note: None,
            message: None,
        }
    }

    /// An event, about `peer` if it concerns one.
    pub fn event(time: SystemTime, peer: Option<SocketAddr>, note: Note) -> Entry {
        Entry {
            time,
            dir: Direction::Event,
            peer,
            bytes: Bytes::new(),
            added: 0,
            note: Some(note),
            message: None,
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Opened { local, .. } => write!(f, "opened on {local}"),
            Note::Connected { .. } => f.write_str("connected"),
            Note::PeerFinished => f.write_str("peer finished sending"),
            Note::ClosedByPeer => f.write_str("closed by peer"),
            Note::Reset => f.write_str("connection reset"),
            Note::Disconnected => f.write_str("disconnected"),
            Note::WeFinished => f.write_str("we finished sending"),
            Note::EncodingHint { shown, sent } => write!(
                f,
                "the peer sends {}, but we send {}",
                shown.label(),
                sent.label()
            ),
            Note::Error { message } => write!(f, "error: {message}"),
            Note::Failure(err) => write!(f, "error: {err}"),
            Note::Joined(m) => write!(f, "joined {m}"),
            Note::Left(m) => write!(f, "left {m}"),
            Note::RuleFailed { rule, name, reason } if name.is_empty() => {
                write!(f, "rule {rule} could not reply: {reason}")
            }
            Note::RuleFailed { rule, name, reason } => {
                write!(f, "rule {rule} ({name}) could not reply: {reason}")
            }
            Note::RepliesDropped { count, bytes, why } => {
                let why = match why {
                    DropWhy::PeerGone => "the connection had closed",
                    DropWhy::TooMany => "too many replies were waiting",
                    DropWhy::TooManyBytes => "the replies waiting held too many bytes",
                    DropWhy::WeFinished => "we had finished sending on this connection",
                };
                write!(f, "{count} replies ({bytes} bytes) not sent: {why}")
            }
            Note::ReceiveBuffer { asked, granted } => {
                write!(f, "receive buffer {granted} bytes (asked for {asked})")
            }
            Note::Closed => f.write_str("closed"),
            Note::ServerConnected { server, local } => {
                write!(f, "connected to the server {server} from {local}")
            }
            Note::ServerUnreachable(err) => write!(
                f,
                "could not connect to the server: {err}; the client's connection was closed"
            ),
            Note::RelayFinished(Side::Client) => f.write_str(
                "the client finished sending (FIN); passed on to the server as a half-close",
            ),
            Note::RelayFinished(Side::Server) => f.write_str(
                "the server finished sending (FIN); passed on to the client as a half-close",
            ),
            Note::RelayReset(Side::Client) => {
                f.write_str("the client reset the connection (RST); the server's was reset too")
            }
            Note::RelayReset(Side::Server) => {
                f.write_str("the server reset the connection (RST); the client's was reset too")
            }
            Note::Fault { flow, fault } => write!(f, "{}: {}", flow.arrow(), FaultText(fault)),
            Note::Rewritten {
                flow,
                rules,
                matches,
                original,
                forwarded,
                preview,
            } => write!(
                f,
                "{}: rewritten by rule {} ({matches} replaced, {original} → {forwarded} bytes): {preview}",
                flow.arrow(),
                rule_list(rules),
            ),
            Note::RewriteFailed {
                flow,
                rule,
                name,
                reason,
            } => {
                let named = if name.is_empty() {
                    String::new()
                } else {
                    format!(" ({name})")
                };
                write!(
                    f,
                    "{}: rule {rule}{named} could not rewrite: {reason}; forwarded as read",
                    flow.arrow()
                )
            }
            Note::TlsServerReady { cert, self_signed } => {
                write!(
                    f,
                    "TLS ready: certificate {}, valid until {}, SHA-256 {}",
                    cert.subject,
                    utc_time(cert.not_after),
                    cert.sha256
                )?;
                match self_signed {
                    Some(s) if s.created => {
                        write!(
                            f,
                            "; new self-signed certificate kept in {}",
                            s.cert_file.display()
                        )
                    }
                    Some(s) => write!(
                        f,
                        "; self-signed certificate kept in {}",
                        s.cert_file.display()
                    ),
                    None => Ok(()),
                }
            }
            Note::TlsEstablished(info) => {
                write!(
                    f,
                    "TLS handshake done: {}, {}",
                    info.version, info.cipher_suite
                )?;
                if let Some(alpn) = &info.alpn {
                    write!(f, ", ALPN {alpn}")?;
                }
                if let Some(sni) = &info.sni {
                    write!(f, ", SNI {sni}")?;
                }
                if let Some(leaf) = info.peer_chain.first() {
                    write!(
                        f,
                        ", peer certificate {} (issuer {}, valid until {}, SHA-256 {})",
                        leaf.subject,
                        leaf.issuer,
                        utc_time(leaf.not_after),
                        leaf.sha256
                    )?;
                }
                Ok(())
            }
            Note::TlsFailed(failure) => write!(f, "{failure}"),
            Note::ServerTlsFailed { server, failure } => {
                write!(f, "TLS with the server {server} failed: {failure}")
            }
            Note::Ws(event) => write!(f, "{}", super::ws_text::WsText(event)),
            Note::WsKnocking => f.write_str(
                "this is an HTTP request to upgrade to WebSocket: a WebSocket client is knocking on a plain TCP server",
            ),
            Note::TlsHelloOnPlain => f.write_str(
                "this looks like a TLS handshake (ClientHello): the peer speaks TLS, turn TLS on",
            ),
            Note::LoadStarted(plan) => write!(f, "{}", LoadPlanText(plan)),
            Note::LoadExchange {
                client,
                why,
                step,
                round,
                latency,
            } => {
                let why = match why {
                    ExchangeWhy::First => "one of the first exchanges",
                    ExchangeWhy::Slowest => "one of the slowest exchanges",
                };
                write!(
                    f,
                    "client {client}, step {step}, round {round}: reply after {} ({why})",
                    ms(*latency)
                )
            }
            Note::LoadFailed {
                client,
                kind,
                detail,
                step,
            } => {
                write!(f, "client {client} failed: {kind}")?;
                if *step > 0 {
                    write!(f, " at step {step}")?;
                }
                write!(f, " ({detail})")
            }
            Note::LoadFinished {
                end,
                done,
                failed,
                p50_us,
                p99_us,
            } => write!(
                f,
                "load run over ({end}): {done} done, {failed} failed, latency p50 {} p99 {}",
                ms(Duration::from_micros(*p50_us)),
                ms(Duration::from_micros(*p99_us))
            ),
        }
    }
}

/// A duration in milliseconds, to three decimals below 10 ms.
pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.3} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// A load run's plan in plain English.
struct LoadPlanText<'a>(&'a LoadPlan);

impl fmt::Display for LoadPlanText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.0;
        write!(
            f,
            "load test of {} ({}): {} connections, {} a second",
            p.url, p.target, p.connections, p.rate
        )?;
        match (p.rounds, p.duration) {
            (Some(r), Some(d)) => write!(f, ", {r} round(s) each, for {} s", d.as_secs_f64())?,
            (Some(r), None) => write!(f, ", {r} round(s) each")?,
            (None, Some(d)) => write!(f, ", for {} s", d.as_secs_f64())?,
            (None, None) => f.write_str(", until stopped")?,
        }
        match p.sources.as_slice() {
            [] => {}
            [one] => write!(f, "; from {one}")?,
            [first, .., last] => write!(
                f,
                "; spread over {} source addresses ({first} to {last})",
                p.sources.len()
            )?,
        }
        if let Some(limit) = p.fd_limit {
            write!(f, "; open-file limit {limit}")?;
        }
        Ok(())
    }
}

/// The incomplete character a record inherits from earlier records of its
/// stream, for one encoding: up to three bytes, or "not computed yet".
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Carry {
    len: u8,
    bytes: [u8; 3],
}

impl Carry {
    /// Marks a memo that has not been computed.
    pub(crate) const UNKNOWN: Carry = Carry {
        len: u8::MAX,
        bytes: [0; 3],
    };

    /// No inherited bytes.
    pub(crate) const EMPTY: Carry = Carry {
        len: 0,
        bytes: [0; 3],
    };

    /// Whether this memo holds a computed value.
    pub(crate) fn is_known(self) -> bool {
        self.len != u8::MAX
    }

    /// The carried bytes (empty for an unknown memo).
    pub(crate) fn as_slice(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The last `n` (at most 3) bytes of `head` followed by `rest`.
    pub(crate) fn tail_of(head: &[u8], rest: &[u8], n: usize) -> Carry {
        let mut carry = Carry::EMPTY;
        let n = n.min(3);
        for (slot, byte) in carry.bytes[..n]
            .iter_mut()
            .rev()
            .zip(head.iter().chain(rest).rev())
        {
            *slot = *byte;
        }
        // `n` is at most 3.
        carry.len = n as u8;
        carry
    }
}

/// One read, one send or one event. Payloads are kept raw; text and hex are
/// rendered on demand by the store, only for the rows on screen.
#[derive(Clone, Debug)]
pub struct Record {
    /// Sequence number: unique, increasing by one per record, never reused.
    pub seq: u64,
    /// When the (first) read, the send or the event happened.
    pub time: SystemTime,
    /// Received, sent or event.
    pub dir: Direction,
    /// The remote end, where there is one.
    pub peer: Option<SocketAddr>,
    /// The raw payload (empty for events).
    pub bytes: Bytes,
    /// Offsets in `bytes` where each read after the first started, when
    /// several reads were merged into this record; empty means one read.
    pub reads: Vec<u32>,
    /// What happened, for event records.
    pub note: Option<Box<Note>>,
    /// How many trailing bytes of a send NetAssist added (line ending,
    /// checksum), shown apart from what was typed; 0 for everything else.
    pub added: u32,
    /// Distance in seqs back to the previous record of the same stream
    /// (same direction and peer); 0 = none.
    pub(crate) link: u32,
    /// Distance in seqs forward to the next record of the same stream;
    /// 0 = none yet.
    pub(crate) next: u32,
    /// Memoized carry-in per concrete encoding, indexed by [`carry_slot`].
    pub(crate) carry: [Cell<Carry>; 2],
    /// Memoized choice of Auto: 0 not made yet, 1 UTF-8, 2 GBK. It depends
    /// on the bytes, so a record that grows (merged reads) forgets it.
    pub(crate) auto: Cell<u8>,
    /// What the rows of the typed bytes depend on, counted by the store
    /// as it takes the record in (`None` for events, and for a payload too
    /// long to count).
    pub(crate) census: Option<Census>,
    /// WebSocket: one whole message, its kind and frame count. Such a
    /// record is never merged and shows alone (no character carried over
    /// from the record before); text messages always show as UTF-8.
    pub message: Option<WsMessage>,
}

impl Record {
    /// A record with no stream link and nothing memoized yet.
    pub(crate) fn new(
        seq: u64,
        time: SystemTime,
        dir: Direction,
        peer: Option<SocketAddr>,
        bytes: Bytes,
        note: Option<Note>,
    ) -> Self {
        Record {
            seq,
            time,
            dir,
            peer,
            bytes,
            reads: Vec::new(),
            note: note.map(Box::new),
            link: 0,
            next: 0,
            added: 0,
            carry: [Cell::new(Carry::UNKNOWN), Cell::new(Carry::UNKNOWN)],
            auto: Cell::new(0),
            census: None,
            message: None,
        }
    }

    /// What the rows of the typed bytes depend on, when the store counted
    /// it (see [`Census`]).
    pub fn census(&self) -> Option<&Census> {
        self.census.as_ref()
    }

    /// The bytes as typed: a send without what NetAssist added to it.
    pub fn typed(&self) -> &[u8] {
        let n = self.bytes.len().saturating_sub(self.added as usize);
        &self.bytes[..n]
    }

    /// The bytes NetAssist added to a send (line ending, checksum).
    pub fn added_bytes(&self) -> &[u8] {
        &self.bytes[self.typed().len()..]
    }

    /// The memo cell for `enc`.
    pub(crate) fn carry_cell(&self, enc: TextEncoding) -> &Cell<Carry> {
        &self.carry[carry_slot(enc)]
    }

    /// The byte ranges of each read merged into this record, in order.
    pub fn read_slices(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let bounds = std::iter::once(0)
            .chain(self.reads.iter().map(|&off| off as usize))
            .chain(std::iter::once(self.bytes.len()));
        let ends = bounds.clone().skip(1);
        bounds
            .zip(ends)
            .map(|(start, end)| self.bytes.get(start..end).unwrap_or(&[]))
    }
}

/// Index of the memo slot for an encoding.
fn carry_slot(enc: TextEncoding) -> usize {
    match enc {
        TextEncoding::Utf8 => 0,
        TextEncoding::Gbk => 1,
    }
}

/// A fault's effect in plain English.
struct FaultText<'a>(&'a FaultEvent);

impl fmt::Display for FaultText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = |n: u64| if n == 1 { "byte" } else { "bytes" };
        match self.0 {
            FaultEvent::Sliced { pieces, max } => write!(
                f,
                "sliced into {pieces} pieces of at most {max} {}",
                bytes(*max as u64)
            ),
            FaultEvent::Ended { after, how } => {
                let how = match how {
                    crate::net::EndHow::Close => "closed (FIN to both sides)",
                    crate::net::EndHow::Reset => "reset (RST to both sides)",
                    crate::net::EndHow::Blackhole => "blackholed (nothing more forwarded)",
                };
                write!(f, "{how} after {after} {}, as asked", bytes(*after))
            }
            FaultEvent::Dropped { count } => write!(f, "dropped {count} datagrams, as asked"),
            FaultEvent::Duplicated { count } => {
                write!(f, "sent {count} datagrams twice, as asked")
            }
            FaultEvent::Reordered { count } => {
                write!(f, "held {count} datagrams back behind the next, as asked")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carry_tail_of_spans_both_parts() {
        assert_eq!(Carry::tail_of(&[1, 2], &[3], 3).as_slice(), [1, 2, 3]);
        assert_eq!(Carry::tail_of(&[1, 2], &[3, 4, 5], 2).as_slice(), [4, 5]);
        assert_eq!(Carry::tail_of(&[], &[], 0).as_slice(), [] as [u8; 0]);
        assert!(!Carry::UNKNOWN.is_known());
        assert!(Carry::EMPTY.is_known());
    }

    #[test]
    fn notes_in_plain_english() {
        let local: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let opened = Note::Opened {
            local,
            mode: Mode::TcpServer,
        };
        assert_eq!(opened.to_string(), "opened on 0.0.0.0:8080");
        assert_eq!(Note::ClosedByPeer.to_string(), "closed by peer");
        assert_eq!(
            Note::Error {
                message: "refused".into()
            }
            .to_string(),
            "error: refused"
        );
        assert_eq!(Direction::Event.label(), "--");
    }

    #[test]
    fn read_slices_follow_offsets() {
        let mut r = Record::new(
            0,
            SystemTime::UNIX_EPOCH,
            Direction::Rx,
            None,
            Bytes::from_static(b"abcdef"),
            None,
        );
        assert_eq!(r.read_slices().collect::<Vec<_>>(), [b"abcdef"]);
        r.reads = vec![2, 5];
        let parts: Vec<&[u8]> = r.read_slices().collect();
        assert_eq!(parts, [&b"ab"[..], b"cde", b"f"]);
    }
}
