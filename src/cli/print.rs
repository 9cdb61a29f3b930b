//! The command line as a front-end of the session runtime: it is given
//! every row the log gets and prints it (received data on stdout as text,
//! hex, raw bytes or JSON; events on stderr), and it decides when the run
//! ends (a timeout, enough bytes, a finished sequence or timed send, the
//! link closing).

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use crate::codec::{DisplayEncoding, StreamDecoder, push_hex};
use crate::net::ws::{MessageKind, WsEvent, WsMessage};
use crate::net::{GroupOp, Mode, PeriodicEnd};
use crate::records::{Direction, Entry, Note, Opener};
use crate::session::{Flow, Observer, SequenceNews, Signal};

use super::plan::Display;

/// The size of the output's buffer ([`super::run`] makes it).
pub(super) const OUT_BUFFER: usize = 256 * 1024;

/// Hex rows and raw chunks are written in batches of at least this many
/// bytes: a write that large goes past the output's buffer instead of into
/// it, so the bytes are not copied there first.
const HEX_BATCH: usize = OUT_BUFFER;
use super::terminal;

/// Prints a run's rows and knows when the run is over.
pub(super) struct Printer<W: Write> {
    mode: Mode,
    display: Display,
    json: bool,
    out: W,
    /// One decoder per TCP peer (and direction, for JSON), dropped when
    /// its connection ends.
    decoders: HashMap<(SocketAddr, Direction), StreamDecoder>,
    received: u64,
    exit_after: Option<u64>,
    deadline: Option<Instant>,
    /// A `--count` run ends once its sends are written.
    ends_when_sent: bool,
    /// The timed send is done: end once the engine has written it.
    exit_when_written: bool,
    /// Peers that finished sending first (their orderly close is theirs).
    peer_finished: HashSet<SocketAddr>,
    opened: bool,
    /// A TCP client's handshake failed: the run ends with this error.
    tls_failed: Option<String>,
    /// How the run ended, once it has.
    result: Option<Result<(), String>>,
    /// `[RX peer] ` for the peer of the last row printed.
    rx_prefix: Option<(SocketAddr, Direction, String)>,
    /// Hex rows not yet written (kept for its capacity).
    line: String,
    /// `--raw` chunks not yet written, and their length in all: they go
    /// out together in one vectored write past the output's buffer.
    raw: Vec<bytes::Bytes>,
    raw_len: usize,
    /// The system's drop count: as last told, when, and a newer one to tell.
    drops_told: u64,
    drops_told_at: Option<Instant>,
    drops_new: Option<u64>,
    /// When the printer was made (before any time it is given).
    started: Instant,
}

/// Shortest gap between two lines about datagrams the system dropped.
const DROPS_GAP: Duration = Duration::from_secs(1);

impl<W: Write> Printer<W> {
    pub(super) fn new(
        mode: Mode,
        display: Display,
        json: bool,
        out: W,
        exit_after: Option<u64>,
        deadline: Option<Instant>,
        ends_when_sent: bool,
    ) -> Printer<W> {
        Printer {
            mode,
            display,
            json,
            out,
            decoders: HashMap::new(),
            received: 0,
            exit_after,
            deadline,
            ends_when_sent,
            exit_when_written: false,
            peer_finished: HashSet::new(),
            opened: false,
            tls_failed: None,
            result: None,
            rx_prefix: None,
            line: String::new(),
            raw: Vec::new(),
            raw_len: 0,
            drops_told: 0,
            drops_told_at: None,
            drops_new: None,
            started: Instant::now(),
        }
    }

    /// How the run ended (`Ok` if it has not ended by itself).
    pub(super) fn finish(mut self) -> Result<(), String> {
        if self.drops_new.is_some() {
            let _ = self.tell_drops(Instant::now());
        }
        let _ = self.flush_out();
        self.result.take().unwrap_or(Ok(()))
    }

    /// Ends the run with `result` (the first end counts).
    fn end(&mut self, result: Result<(), String>) -> Flow {
        self.result.get_or_insert(result);
        Flow::Stop
    }

    /// A write to stdout failed: a closed pipe (`| head`) ends the run
    /// quietly, anything else is an error.
    fn stdout_failed(&mut self, err: &io::Error) -> Flow {
        if err.kind() == io::ErrorKind::BrokenPipe {
            self.end(Ok(()))
        } else {
            self.end(Err(format!("cannot write to stdout: {err}")))
        }
    }

    fn display_encoding(&self) -> DisplayEncoding {
        match self.display {
            Display::Text(enc) => enc,
            Display::Hex | Display::Raw => DisplayEncoding::Auto,
        }
    }

    /// Decodes one chunk: a datagram on its own, a TCP chunk as the next
    /// piece of its stream. Gives the text and the encoding used.
    fn decode(
        &mut self,
        peer: SocketAddr,
        dir: Direction,
        data: &[u8],
        message: Option<WsMessage>,
    ) -> (String, &'static str) {
        let enc = self.display_encoding();
        if let Some(m) = message {
            // A WebSocket message is whole: decoded alone, text as UTF-8.
            let enc = match m.kind {
                MessageKind::Text => DisplayEncoding::Utf8,
                MessageKind::Binary => enc,
            };
            let mut dec = StreamDecoder::new(enc);
            let mut text = dec.decode(data);
            text.push_str(&dec.finish());
            return (text, dec.last_used().label());
        }
        if self.mode == Mode::Udp {
            // A datagram is a whole message: no state is kept per sender
            // (senders are unbounded).
            let mut dec = StreamDecoder::new(enc);
            let mut text = dec.decode(data);
            text.push_str(&dec.finish());
            return (text, dec.last_used().label());
        }
        let dec = self
            .decoders
            .entry((peer, dir))
            .or_insert_with(|| StreamDecoder::new(enc));
        let text = dec.decode(data);
        (text, dec.last_used().label())
    }

    /// A connection with `addr` (if any) is over: what is left in its
    /// decoders is shown and its half-close forgotten; true when the peer
    /// had finished sending first.
    fn peer_gone(&mut self, addr: Option<SocketAddr>) -> io::Result<bool> {
        let Some(a) = addr else {
            return Ok(false);
        };
        self.flush_decoders(a)?;
        Ok(self.peer_finished.remove(&a))
    }

    /// Shows what is left in a closing connection's decoders.
    fn flush_decoders(&mut self, peer: SocketAddr) -> io::Result<()> {
        for dir in [Direction::Rx, Direction::Tx, Direction::Up, Direction::Down] {
            let Some(mut dec) = self.decoders.remove(&(peer, dir)) else {
                continue;
            };
            let rest = dec.finish();
            if rest.is_empty() || (dir == Direction::Tx && !self.json) {
                continue;
            }
            if self.json {
                let entry = Entry {
                    time: SystemTime::now(),
                    dir,
                    peer: Some(peer),
                    bytes: bytes::Bytes::new(),
                    added: 0,
                    note: None,
                    message: None,
                };
                self.json_line(&entry, Some((rest, dec.last_used().label())))?;
            } else if !matches!(self.display, Display::Raw) {
                let tag = tag(dir);
                writeln!(self.out, "[{tag} {peer}] {}", terminal::safe_text(&rest))?;
            }
        }
        self.flush_out()
    }

    /// Writes the raw chunks gathered, in as few calls as the output takes.
    fn write_raw(&mut self) -> io::Result<()> {
        let mut slices: Vec<io::IoSlice<'_>> =
            self.raw.iter().map(|b| io::IoSlice::new(b)).collect();
        let mut left = &mut slices[..];
        while !left.is_empty() {
            match self.out.write_vectored(left) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => io::IoSlice::advance_slices(&mut left, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.raw.clear();
        self.raw_len = 0;
        Ok(())
    }

    /// Writes the rows gathered, then flushes the output.
    fn flush_out(&mut self) -> io::Result<()> {
        if !self.raw.is_empty() {
            self.write_raw()?;
        }
        if !self.line.is_empty() {
            self.out.write_all(self.line.as_bytes())?;
            self.line.clear();
        }
        self.out.flush()
    }

    fn data_row(&mut self, entry: &Entry) -> io::Result<()> {
        let Some(peer) = entry.peer else {
            return Ok(());
        };
        if self.json {
            let text = match self.display {
                Display::Hex => None,
                _ => Some(self.decode(peer, entry.dir, &entry.bytes, entry.message)),
            };
            return self.json_line(entry, text);
        }
        if !entry.dir.is_read() {
            return Ok(());
        }
        let dir = entry.dir;
        match self.display {
            Display::Raw => {
                self.raw_len += entry.bytes.len();
                self.raw.push(entry.bytes.clone());
                if self.raw_len >= HEX_BATCH {
                    self.write_raw()?;
                }
                Ok(())
            }
            Display::Hex => {
                // A burst of datagrams from one peer: its address is
                // formatted once.
                if self
                    .rx_prefix
                    .as_ref()
                    .is_none_or(|(p, d, _)| *p != peer || *d != dir)
                {
                    self.rx_prefix = Some((peer, dir, format!("[{} {peer}] ", tag(dir))));
                }
                if entry.message.is_some() {
                    let tag = format!("[{} {peer}{}] ", tag(dir), message_tag(entry.message));
                    self.rx_prefix = Some((peer, dir, tag));
                }
                let prefix = self.rx_prefix.as_ref().map_or("", |(_, _, p)| p.as_str());
                // Rows gather here and go out in writes of at least the
                // output buffer's size, which pass it by: the hex text is
                // written once, where it is made, and never copied.
                self.line.push_str(prefix);
                push_hex(&entry.bytes, &mut self.line);
                self.line.push('\n');
                if self.line.len() >= HEX_BATCH {
                    self.out.write_all(self.line.as_bytes())?;
                    self.line.clear();
                }
                Ok(())
            }
            Display::Text(_) => {
                let (text, _) = self.decode(peer, dir, &entry.bytes, entry.message);
                let text = terminal::safe_text(trim_line_end(&text));
                writeln!(
                    self.out,
                    "[{} {peer}{}] {text}",
                    tag(dir),
                    message_tag(entry.message)
                )
            }
        }
    }

    /// One JSON object for a row; `text` is the decoded text and the
    /// encoding used (hex is given instead when it is `None`).
    fn json_line(&mut self, entry: &Entry, text: Option<(String, &'static str)>) -> io::Result<()> {
        let time = chrono::DateTime::<chrono::Local>::from(entry.time)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
        let dir = match entry.dir {
            Direction::Rx => "rx",
            Direction::Tx => "tx",
            Direction::Event => "event",
            Direction::Up => "up",
            Direction::Down => "down",
        };
        let peer = entry.peer.map(|p| p.to_string());
        let mut row = JsonRow {
            time: &time,
            dir,
            peer: peer.as_deref(),
            event: None,
            bytes: None,
            encoding: None,
            text: None,
            hex: None,
            added: (entry.added > 0).then_some(entry.added),
            message: entry.message.map(|m| m.kind.name()),
            frames: entry.message.map(|m| m.frames),
        };
        let event;
        let hex;
        if let Some(note) = &entry.note {
            event = note.to_string();
            row.event = Some(&event);
        } else {
            row.bytes = Some(entry.bytes.len());
            match &text {
                Some((text, encoding)) => {
                    row.encoding = Some(encoding);
                    row.text = Some(text);
                }
                None => {
                    let mut h = String::new();
                    push_hex(&entry.bytes, &mut h);
                    hex = h;
                    row.hex = Some(&hex);
                }
            }
        }
        serde_json::to_writer(&mut self.out, &row).map_err(io::Error::other)?;
        self.out.write_all(b"\n")
    }

    /// An event row's line on stderr, as scripts have always read them.
    fn event_line(&mut self, entry: &Entry, note: &Note) -> io::Result<()> {
        let addr = entry.peer;
        let shown = addr.map(|a| a.to_string()).unwrap_or_default();
        match note {
            Note::Opened { local, .. } => {
                self.opened = true;
                match self.mode {
                    Mode::TcpServer => eprintln!("listening on {local}"),
                    Mode::WsServer => eprintln!("WebSocket server listening on {local}"),
                    Mode::WsClient => {}
                    Mode::Udp => eprintln!("bound to {local}"),
                    Mode::Relay => eprintln!("relaying: listening on {local}"),
                    Mode::UdpRelay => eprintln!("relaying: bound to {local}"),
                    Mode::TcpClient | Mode::Load => {}
                }
            }
            Note::Connected { local, by } => match by {
                Opener::Us => eprintln!("connected to {shown} from {local}"),
                Opener::Peer => eprintln!("client connected: {shown}"),
            },
            Note::PeerFinished => {
                if let Some(a) = addr {
                    self.flush_decoders(a)?;
                    self.peer_finished.insert(a);
                }
                eprintln!("peer finished sending: {shown}");
            }
            Note::ClosedByPeer | Note::Reset | Note::Disconnected | Note::Error { .. } => {
                let peer_first = self.peer_gone(addr)?;
                match note {
                    Note::ClosedByPeer if peer_first => eprintln!("closed by peer: {shown}"),
                    Note::ClosedByPeer => eprintln!("connection closed: {shown}"),
                    Note::Reset => eprintln!("reset by peer: {shown}"),
                    Note::Disconnected => eprintln!("closed by us: {shown}"),
                    Note::Error { message } => eprintln!("connection error: {shown}: {message}"),
                    _ => {}
                }
            }
            // Before the link is up an error ends the run and is printed
            // once at exit.
            Note::Failure(_) if !self.opened => {}
            Note::Failure(err) => eprintln!("error: {err}"),
            Note::EncodingHint { shown: enc, sent } => eprintln!(
                "hint: {shown} sends {}, but we send {}: use --send-encoding {}",
                enc.label(),
                sent.label(),
                enc.label().to_ascii_lowercase().replace('-', "")
            ),
            Note::Joined(m) => eprintln!("joined {m}"),
            Note::Left(m) => eprintln!("left {m}"),
            Note::RuleFailed { rule, name, reason } => {
                let which = if name.is_empty() {
                    format!("rule {rule}")
                } else {
                    format!("rule {rule} ({name})")
                };
                eprintln!("error: {which}: reply not sent: {reason}");
            }
            Note::RepliesDropped { .. } if addr.is_some() => eprintln!("{shown}: {note}"),
            Note::RepliesDropped { .. } => eprintln!("{note}"),
            Note::TlsServerReady { .. } => eprintln!("{note}"),
            Note::TlsEstablished(_) => eprintln!("{shown}: {note}"),
            Note::TlsHelloOnPlain | Note::WsKnocking => eprintln!("hint: {shown}: {note}"),
            Note::Ws(event) => {
                eprintln!("{shown}: {note}");
                let failed = matches!(
                    event.as_ref(),
                    WsEvent::Refused(_)
                        | WsEvent::Violation { .. }
                        | WsEvent::Dropped
                        | WsEvent::CloseUnanswered { .. }
                );
                if failed {
                    let fix = what_to_do(note);
                    eprintln!("  what to do: {fix}");
                    if let WsEvent::Refused(r) = event.as_ref()
                        && !r.by_us
                    {
                        self.tls_failed = Some(format!("{note}; what to do: {fix}"));
                    }
                }
            }
            Note::TlsFailed(_) => {
                self.peer_gone(addr)?;
                let fix = what_to_do(note);
                eprintln!("TLS failed with {shown}: {note}");
                eprintln!("  what to do: {fix}");
                if self.mode == Mode::TcpClient {
                    self.tls_failed = Some(format!("TLS failed: {note}; what to do: {fix}"));
                }
            }
            Note::ServerTlsFailed { .. } => {
                self.peer_gone(addr)?;
                eprintln!("client {shown}: {note}");
                eprintln!("  what to do: {}", what_to_do(note));
            }
            Note::ReceiveBuffer { asked, granted } => {
                eprintln!("receive buffer: {granted} bytes (asked for {asked})");
            }
            Note::ServerConnected { server, local } => {
                eprintln!("client {shown} connected to the server {server} from {local}");
            }
            Note::ServerUnreachable(_) => {
                eprintln!("client {shown}: {note}");
                eprintln!("  what to do: {}", what_to_do(note));
            }
            Note::RelayFinished(_)
            | Note::Fault { .. }
            | Note::Rewritten { .. }
            | Note::RewriteFailed { .. } => eprintln!("{shown}: {note}"),
            Note::RelayReset(_) => {
                if let Some(a) = addr {
                    self.flush_decoders(a)?;
                }
                eprintln!("{shown}: {note}");
            }
            Note::LoadStarted(_)
            | Note::LoadExchange { .. }
            | Note::LoadFailed { .. }
            | Note::LoadFinished { .. } => eprintln!("{note}"),
            Note::WeFinished | Note::Closed => {}
        }
        Ok(())
    }

    /// The system's drop count grew to `total`: told at once, unless the
    /// last time was under [`DROPS_GAP`] ago (then at the next tick due).
    fn dropped(&mut self, total: u64, now: Instant) -> io::Result<()> {
        if total <= self.drops_told {
            return Ok(());
        }
        self.drops_new = Some(total);
        if self.drops_due().is_none_or(|due| now >= due) {
            self.tell_drops(now)?;
        }
        Ok(())
    }

    /// When the drop count waiting may be told (the first one at once).
    fn drops_due(&self) -> Option<Instant> {
        self.drops_new?;
        Some(self.drops_told_at.map_or(self.started, |t| t + DROPS_GAP))
    }

    /// Tells the drop count waiting: a line on stderr and, with `--json`,
    /// an object on stdout.
    fn tell_drops(&mut self, now: Instant) -> io::Result<()> {
        let Some(total) = self.drops_new.take() else {
            return Ok(());
        };
        self.drops_told = total;
        self.drops_told_at = Some(now);
        let what = format!("lost by the system: {total} datagrams (the receive buffer was full)");
        eprintln!("{what}");
        if self.json {
            let time = chrono::DateTime::<chrono::Local>::from(SystemTime::now())
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
            let obj = serde_json::json!({
                "time": time,
                "dir": "event",
                "peer": null,
                "event": what,
                "system_dropped": total,
            });
            serde_json::to_writer(&mut self.out, &obj).map_err(io::Error::other)?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }
}

impl<W: Write> Observer for Printer<W> {
    fn wants_rows(&self) -> bool {
        true
    }

    fn row(&mut self, entry: &Entry) -> Flow {
        let written = match &entry.note {
            Some(note) => self.event_line(entry, note).and_then(|()| {
                if self.json {
                    self.json_line(entry, None)
                } else {
                    Ok(())
                }
            }),
            None => self.data_row(entry),
        };
        if let Err(e) = written {
            return self.stdout_failed(&e);
        }
        if entry.dir.is_read() {
            self.received += entry.bytes.len() as u64;
            if self.exit_after.is_some_and(|n| self.received >= n) {
                return self.end(Ok(()));
            }
        }
        Flow::Go
    }

    fn signal(&mut self, signal: &Signal) -> Flow {
        match signal {
            Signal::Sequence(news) => match news {
                SequenceNews::Started { name } => eprintln!("sequence {name}: started"),
                SequenceNews::Sent { name, at } => eprintln!("sequence {name}: {at}"),
                SequenceNews::Finished { name, rounds } => {
                    eprintln!("sequence {name}: finished after {rounds} round(s)");
                    return self.end(Ok(()));
                }
                SequenceNews::Failed { name, failure } => {
                    return self.end(Err(format!("sequence {name} failed at {failure}")));
                }
            },
            Signal::LoopEnded { sent, why } => match why {
                PeriodicEnd::Done => self.exit_when_written = self.ends_when_sent,
                PeriodicEnd::Stopped => {}
                PeriodicEnd::Failed(err) => {
                    return self.end(Err(format!(
                        "the timed send stopped after {sent} sends: {err}"
                    )));
                }
                PeriodicEnd::ConnectionClosed => {
                    eprintln!("the timed send stopped after {sent} sends: the connection closed");
                }
            },
            Signal::CaptureFailed(msg) => return self.end(Err(format!("--pcap {msg}"))),
            // A load run is printed by its own observer (cli/loadtest.rs).
            Signal::LoadStarted(_) | Signal::LoadProgress(_) | Signal::LoadFinished(_) => {}
            Signal::SystemDropped { total } => {
                if let Err(e) = self.dropped(*total, Instant::now()) {
                    return self.stdout_failed(&e);
                }
            }
            Signal::GroupFailed {
                membership,
                op,
                error,
            } => {
                let verb = match op {
                    GroupOp::Join => "join",
                    GroupOp::Leave => "leave",
                };
                return self.end(Err(format!("cannot {verb} {membership}: {error}")));
            }
            Signal::Closed { opened, failure } => {
                let result = match (failure, self.mode) {
                    (Some(err), _) => Err(err.to_string()),
                    (None, _) if self.tls_failed.is_some() => {
                        Err(self.tls_failed.take().unwrap_or_default())
                    }
                    (None, Mode::TcpClient | Mode::WsClient) if *opened => Ok(()),
                    (None, _) => Err("the session ended unexpectedly".to_string()),
                };
                return self.end(result);
            }
        }
        Flow::Go
    }

    fn deadline(&self) -> Option<Instant> {
        match (self.deadline, self.drops_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn tick(&mut self, now: Instant, pending_tx: usize) -> Flow {
        if self.drops_due().is_some_and(|due| now >= due)
            && let Err(e) = self.tell_drops(now)
        {
            return self.stdout_failed(&e);
        }
        if let Err(e) = self.flush_out() {
            return self.stdout_failed(&e);
        }
        if self.deadline.is_some_and(|d| now >= d) {
            return self.end(Ok(()));
        }
        if self.exit_when_written && pending_tx == 0 {
            return self.end(Ok(()));
        }
        Flow::Go
    }
}

/// One row as `--json` prints it, fields in this order; absent fields
/// are left out.
#[derive(serde::Serialize)]
struct JsonRow<'a> {
    time: &'a str,
    dir: &'a str,
    peer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hex: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    added: Option<u32>,
    /// WebSocket: `text` or `binary`.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    /// WebSocket: how many frames the message came in.
    #[serde(skip_serializing_if = "Option::is_none")]
    frames: Option<u16>,
}

/// A WebSocket message's kind, and its frames when more than one, for the
/// row's tag (` text`, ` binary, 3 frames`).
fn message_tag(message: Option<WsMessage>) -> String {
    match message {
        None => String::new(),
        Some(m) if m.frames > 1 => format!(" {}, {} frames", m.kind.name(), m.frames),
        Some(m) => format!(" {}", m.kind.name()),
    }
}

/// The text without one trailing line break (the record line adds its own).
pub(super) fn trim_line_end(text: &str) -> &str {
    text.strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text)
}

/// A data row's tag on stdout: `RX`, or a relay's `C->S` and `S->C`
/// (plain ASCII, for every terminal and for scripts).
fn tag(dir: Direction) -> &'static str {
    match dir {
        Direction::Up => "C->S",
        Direction::Down => "S->C",
        Direction::Tx => "TX",
        _ => "RX",
    }
}

/// What to do about `note`, as its explained row says it in the window.
fn what_to_do(note: &Note) -> &'static str {
    crate::teach::explain::note(note)
        .fix
        .get(crate::i18n::Lang::En)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_printer() -> Printer<Vec<u8>> {
        Printer::new(Mode::Udp, Display::Hex, true, Vec::new(), None, None, false)
    }

    /// The `system_dropped` counts printed so far.
    fn told(p: &Printer<Vec<u8>>) -> Vec<u64> {
        String::from_utf8_lossy(&p.out)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["system_dropped"].as_u64())
            .collect()
    }

    #[test]
    fn drops_are_told_when_they_grow_at_most_once_a_second() {
        let mut p = json_printer();
        let start = Instant::now();
        assert_eq!(p.signal(&Signal::SystemDropped { total: 5 }), Flow::Go);
        assert_eq!(told(&p), [5], "the first at once");
        p.signal(&Signal::SystemDropped { total: 9 });
        p.signal(&Signal::SystemDropped { total: 12 });
        assert_eq!(told(&p), [5], "not twice within a second");
        let due = p.deadline().expect("a tick is asked for");
        assert!(due >= start + DROPS_GAP, "{:?}", due - start);
        p.tick(due - Duration::from_millis(1), 0);
        assert_eq!(told(&p), [5]);
        p.tick(due, 0);
        assert_eq!(told(&p), [5, 12], "the newest count, once due");
        assert_eq!(p.deadline(), None, "nothing left to tell");
        p.signal(&Signal::SystemDropped { total: 12 });
        p.tick(due + DROPS_GAP, 0);
        assert_eq!(told(&p), [5, 12], "no growth, no line");
        p.signal(&Signal::SystemDropped { total: 13 });
        assert!(p.deadline().is_some(), "waits for its second");
    }
}
