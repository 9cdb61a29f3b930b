//! The two ways into the synthesiser: the engine's events as they come
//! (the command line's `--pcap FILE`) and the records a store holds (the
//! window's "save as pcapng"). Both are turned into the same [`Fact`]s.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::time::SystemTime;

use crate::net::{CloseReason, Event, Flow, Mode, PeerId};
use crate::records::{self, Direction, Note, Opener, Record, RecordStore};

use super::PcapError;
use super::capture::{Capture, CaptureSummary, Side};

/// How a TCP connection ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Ending {
    /// The peer finished sending (FIN); the connection still carries ours.
    PeerFinished,
    /// Both sides finished sending (a FIN each way): an orderly close.
    Orderly,
    /// The peer reset it.
    Reset,
    /// We closed it.
    Local,
    /// An error ended it; what went over the wire is not known.
    Error,
}

/// One thing the sockets did, in the order it happened.
#[derive(Debug)]
enum Fact<'a> {
    Opened {
        mode: Mode,
        local: SocketAddr,
    },
    Connected {
        local: SocketAddr,
        remote: SocketAddr,
        by: Opener,
    },
    Data {
        remote: SocketAddr,
        from: Side,
        bytes: &'a [u8],
    },
    Ended {
        remote: SocketAddr,
        how: Ending,
    },
    SessionClosed,
    /// A relay connected `client` to `server`, from `local`.
    ServerConnected {
        client: SocketAddr,
        server: SocketAddr,
        local: SocketAddr,
    },
    /// A relay read `bytes` of `client`'s pair `flow` (on the leg it
    /// came in by) and forwarded them (on the other leg): `legs` says
    /// which of the two this is (a rewritten chunk goes out changed).
    Relayed {
        client: SocketAddr,
        flow: Flow,
        bytes: &'a [u8],
        legs: Legs,
    },
    /// One end of `client`'s pair finished or reset; the relay passed it on.
    RelayEnded {
        client: SocketAddr,
        from: records::Side,
        reset: bool,
    },
}

/// Which legs of a relayed pair a chunk is written on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Legs {
    /// As read, on the leg it came in by.
    In,
    /// As forwarded, on the other leg.
    Out,
    /// Both: it went on as read.
    Both,
}

/// A relayed pair's upstream leg: the server, and our side towards it.
/// In the capture the leg is known by our side's address, the one
/// address that names it alone (every pair has the same server), so the
/// capture's "local" end of it is the server and its "remote" end ours.
#[derive(Copy, Clone, Debug)]
struct Upstream {
    server: SocketAddr,
    local: SocketAddr,
}

/// The most pairs whose upstream leg a capture remembers (the live ones;
/// a closed pair is forgotten).
const MAX_PAIRS: usize = 1 << 16;

/// A capture that knows the open session's mode.
struct SessionCapture<W: Write> {
    cap: Capture<W>,
    mode: Option<Mode>,
    /// A relay's pairs, by client: their upstream legs.
    pairs: HashMap<SocketAddr, Upstream>,
}

impl<W: Write> SessionCapture<W> {
    fn new(out: W) -> Result<Self, PcapError> {
        Ok(SessionCapture {
            cap: Capture::new(out)?,
            mode: None,
            pairs: HashMap::new(),
        })
    }

    fn apply(&mut self, time: SystemTime, fact: Fact<'_>) -> Result<(), PcapError> {
        match fact {
            Fact::Opened { mode, local } => {
                self.mode = Some(mode);
                self.cap.set_local(Some(local));
            }
            Fact::Connected { local, remote, by } => {
                if self.is_udp() {
                    // A UDP relay's new client: no packet says so.
                    return Ok(());
                }
                let opener = match by {
                    Opener::Us => Side::Local,
                    Opener::Peer => Side::Remote,
                };
                self.cap.tcp_connect(time, local, remote, opener)?;
            }
            Fact::Data {
                remote,
                from,
                bytes,
            } => {
                let cap = &mut self.cap;
                let udp = match self.mode {
                    Some(mode) => mode == Mode::Udp || mode == Mode::UdpRelay,
                    // No session seen: a peer with a connection is TCP.
                    None => !cap.is_tcp_peer(remote),
                };
                if udp {
                    cap.udp(time, remote, from, bytes)?;
                } else if !bytes.is_empty() {
                    cap.tcp_data(time, remote, from, bytes)?;
                }
            }
            Fact::Ended { remote, how } => {
                if self.is_udp() {
                    // A UDP relay's mapping expired: nothing on the wire.
                    self.pairs.remove(&remote);
                    return Ok(());
                }
                if how != Ending::PeerFinished
                    && let Some(up) = self.pairs.remove(&remote)
                {
                    self.upstream_ended(time, up, how)?;
                }
                self.ended(time, remote, how)?;
            }
            Fact::SessionClosed => {
                let cap = &mut self.cap;
                cap.tcp_close_all(time)?;
                cap.set_local(None);
                self.mode = None;
                self.pairs.clear();
            }
            Fact::ServerConnected {
                client,
                server,
                local,
            } => {
                if self.pairs.len() >= MAX_PAIRS {
                    self.pairs.clear();
                }
                let up = Upstream { server, local };
                self.pairs.insert(client, up);
                if !self.is_udp() {
                    // Our side opened it: the capture's remote end.
                    self.cap.tcp_connect(time, server, local, Side::Remote)?;
                }
            }
            Fact::Relayed {
                client,
                flow,
                bytes,
                legs,
            } => self.relayed(time, client, flow, bytes, legs)?,
            Fact::RelayEnded {
                client,
                from,
                reset,
            } => {
                if self.is_udp() {
                    return Ok(());
                }
                let up = self.pairs.get(&client).copied();
                let cap = &mut self.cap;
                // The end that sent it, then the relay passing it on.
                match (from, reset) {
                    (records::Side::Client, false) => {
                        cap.tcp_fin(time, client, Side::Remote)?;
                        if let Some(up) = up {
                            cap.tcp_fin(time, up.local, Side::Remote)?;
                        }
                    }
                    (records::Side::Server, false) => {
                        if let Some(up) = up {
                            cap.tcp_fin(time, up.local, Side::Local)?;
                        }
                        cap.tcp_fin(time, client, Side::Local)?;
                    }
                    (records::Side::Client, true) => {
                        cap.tcp_reset(time, client, Side::Remote)?;
                        if let Some(up) = up {
                            cap.tcp_reset(time, up.local, Side::Remote)?;
                        }
                    }
                    (records::Side::Server, true) => {
                        if let Some(up) = up {
                            cap.tcp_reset(time, up.local, Side::Local)?;
                        }
                        cap.tcp_reset(time, client, Side::Local)?;
                    }
                }
                if reset {
                    self.pairs.remove(&client);
                    self.cap.tcp_forget(client);
                    if let Some(up) = up {
                        self.cap.tcp_forget(up.local);
                    }
                }
            }
        }
        Ok(())
    }

    fn is_udp(&self) -> bool {
        self.mode == Some(Mode::UdpRelay)
    }

    /// Bytes a relay forwarded: on the leg they came in by, then on the leg
    /// they went out by (when it is known).
    fn relayed(
        &mut self,
        time: SystemTime,
        client: SocketAddr,
        flow: Flow,
        bytes: &[u8],
        legs: Legs,
    ) -> Result<(), PcapError> {
        let up = self.pairs.get(&client).copied();
        let udp = self.is_udp();
        let cap = &mut self.cap;
        let client_leg = |cap: &mut Capture<W>, from: Side| {
            if udp {
                cap.udp(time, client, from, bytes)
            } else if bytes.is_empty() {
                Ok(())
            } else {
                cap.tcp_data(time, client, from, bytes)
            }
        };
        let server_leg = |cap: &mut Capture<W>, from: Side| match up {
            None => Ok(()),
            Some(up) if udp => cap.udp_between(time, up.server, up.local, from, bytes),
            Some(_) if bytes.is_empty() => Ok(()),
            Some(up) => cap.tcp_data(time, up.local, from, bytes),
        };
        let first = legs != Legs::Out;
        let second = legs != Legs::In;
        match flow {
            Flow::Up => {
                if first {
                    client_leg(cap, Side::Remote)?;
                }
                if second {
                    server_leg(cap, Side::Remote)?;
                }
            }
            Flow::Down => {
                if first {
                    server_leg(cap, Side::Local)?;
                }
                if second {
                    client_leg(cap, Side::Local)?;
                }
            }
        }
        Ok(())
    }

    /// A pair closed: its upstream leg closes the same way, the server
    /// being the capture's local end of it.
    fn upstream_ended(
        &mut self,
        time: SystemTime,
        up: Upstream,
        how: Ending,
    ) -> Result<(), PcapError> {
        let cap = &mut self.cap;
        match how {
            Ending::Reset => cap.tcp_reset(time, up.local, Side::Remote)?,
            Ending::Orderly | Ending::Local => {
                cap.tcp_fin(time, up.local, Side::Local)?;
                cap.tcp_fin(time, up.local, Side::Remote)?;
            }
            Ending::Error | Ending::PeerFinished => {}
        }
        cap.tcp_forget(up.local);
        Ok(())
    }

    fn ended(
        &mut self,
        time: SystemTime,
        remote: SocketAddr,
        how: Ending,
    ) -> Result<(), PcapError> {
        let cap = &mut self.cap;
        match how {
            Ending::PeerFinished => cap.tcp_fin(time, remote, Side::Remote)?,
            Ending::Orderly => {
                cap.tcp_fin(time, remote, Side::Remote)?;
                cap.tcp_fin(time, remote, Side::Local)?;
                cap.tcp_forget(remote);
            }
            Ending::Reset => cap.tcp_reset(time, remote, Side::Remote)?,
            Ending::Local => {
                cap.tcp_fin(time, remote, Side::Local)?;
                cap.tcp_forget(remote);
            }
            Ending::Error => cap.tcp_forget(remote),
        }
        Ok(())
    }
}

/// Writes a pcapng file from engine events as they arrive, holding only the
/// live connections: for `--pcap FILE` on long runs.
pub struct EventCapture<W: Write> {
    inner: SessionCapture<W>,
    /// A relay's live pairs: each one's client.
    clients: HashMap<PeerId, SocketAddr>,
}

impl<W: Write> EventCapture<W> {
    /// Starts the file (section and interface headers).
    pub fn new(out: W) -> Result<EventCapture<W>, PcapError> {
        Ok(EventCapture {
            inner: SessionCapture::new(out)?,
            clients: HashMap::new(),
        })
    }

    /// Takes in one event. Reads and sends carry their own time; other
    /// events are stamped now.
    pub fn on_event(&mut self, event: &Event) -> Result<(), PcapError> {
        let now = SystemTime::now();
        let (time, fact) = match event {
            Event::Opened { mode, local } => (
                now,
                Fact::Opened {
                    mode: *mode,
                    local: *local,
                },
            ),
            Event::Connected { peer, addr, local } if self.relaying() => {
                if self.clients.len() >= MAX_PAIRS {
                    self.clients.clear();
                }
                self.clients.insert(*peer, *addr);
                let (local, remote) = (*local, *addr);
                let by = Opener::Peer;
                (now, Fact::Connected { local, remote, by })
            }
            Event::UpstreamConnected { peer, addr, local } => {
                let Some(&client) = self.clients.get(peer) else {
                    return Ok(());
                };
                let (server, local) = (*addr, *local);
                (
                    now,
                    Fact::ServerConnected {
                        client,
                        server,
                        local,
                    },
                )
            }
            Event::UpstreamFailed { peer, client, .. } => {
                self.clients.remove(peer);
                let (remote, how) = (*client, Ending::Local);
                (now, Fact::Ended { remote, how })
            }
            Event::Relayed {
                client,
                flow,
                time,
                data,
                rewritten,
                ..
            } => (
                *time,
                Fact::Relayed {
                    client: *client,
                    flow: *flow,
                    bytes: data,
                    legs: if *rewritten { Legs::In } else { Legs::Both },
                },
            ),
            Event::Rewritten {
                client,
                flow,
                time,
                data,
                ..
            } => (
                *time,
                Fact::Relayed {
                    client: *client,
                    flow: *flow,
                    bytes: data,
                    legs: Legs::Out,
                },
            ),
            Event::HalfClosed { peer, addr } if self.relaying() => {
                let Some(&client) = self.clients.get(peer) else {
                    return Ok(());
                };
                let from = side_of(client, *addr);
                let reset = false;
                (
                    now,
                    Fact::RelayEnded {
                        client,
                        from,
                        reset,
                    },
                )
            }
            Event::PeerClosed { peer, addr, how } if self.relaying() => {
                let Some(client) = self.clients.remove(peer) else {
                    return Ok(());
                };
                let fact = match how {
                    CloseReason::Reset => Fact::RelayEnded {
                        client,
                        from: side_of(client, *addr),
                        reset: true,
                    },
                    CloseReason::Orderly => Fact::Ended {
                        remote: client,
                        how: Ending::Orderly,
                    },
                    CloseReason::Local => Fact::Ended {
                        remote: client,
                        how: Ending::Local,
                    },
                    CloseReason::Error(_) | CloseReason::Tls(_) => Fact::Ended {
                        remote: client,
                        how: Ending::Error,
                    },
                };
                (now, fact)
            }
            // A WebSocket connection's handshake went in with its first
            // bytes on the wire (it is reported connected after its upgrade).
            Event::Connected { addr, .. } if self.ws() && self.inner.cap.is_tcp_peer(*addr) => {
                return Ok(());
            }
            Event::Connected { addr, local, .. } => {
                let mode = self.inner.mode.unwrap_or(Mode::TcpServer);
                let by = Opener::for_mode(mode);
                let (local, remote) = (*local, *addr);
                (now, Fact::Connected { local, remote, by })
            }
            // A WebSocket connection is captured as it was on the wire
            // (the upgrade and the frames), not as its messages.
            Event::Received { .. } | Event::Sent { .. } if self.ws() => return Ok(()),
            Event::WsWire {
                addr,
                local,
                incoming,
                time,
                data,
                ..
            } => {
                if !self.inner.cap.is_tcp_peer(*addr) {
                    let mode = self.inner.mode.unwrap_or(Mode::WsServer);
                    let by = Opener::for_mode(mode);
                    let (local, remote) = (*local, *addr);
                    self.inner
                        .apply(*time, Fact::Connected { local, remote, by })?;
                }
                let from = if *incoming { Side::Remote } else { Side::Local };
                (*time, data_fact(*addr, from, data))
            }
            Event::Received {
                addr, time, data, ..
            } => (*time, data_fact(*addr, Side::Remote, data)),
            Event::Sent {
                addr, time, data, ..
            } => (*time, data_fact(*addr, Side::Local, data)),
            Event::HalfClosed { addr, .. } => (
                now,
                Fact::Ended {
                    remote: *addr,
                    how: Ending::PeerFinished,
                },
            ),
            Event::PeerClosed { addr, how, .. } => {
                let how = match how {
                    CloseReason::Orderly => Ending::Orderly,
                    CloseReason::Reset => Ending::Reset,
                    CloseReason::Local => Ending::Local,
                    CloseReason::Error(_) | CloseReason::Tls(_) => Ending::Error,
                };
                let remote = *addr;
                (now, Fact::Ended { remote, how })
            }
            Event::Closed => (now, Fact::SessionClosed),
            // Nothing of these reaches the wire as a TCP or UDP packet.
            Event::Error(_)
            | Event::Resolved { .. }
            | Event::PeriodicEnded { .. }
            | Event::GroupJoined { .. }
            | Event::GroupLeft { .. }
            | Event::GroupFailed { .. }
            | Event::TlsServerReady { .. }
            | Event::TlsEstablished { .. }
            | Event::ReceiveBuffer { .. }
            | Event::SystemDropped { .. }
            | Event::FaultFired { .. }
            | Event::RewriteFailed { .. }
            // WebSocket control frames and failures are rows of the log;
            // the frames themselves come as wire bytes (`Event::WsWire`).
            | Event::Ws { .. }
            | Event::LoadStarted(_)
            | Event::LoadProgress(_)
            | Event::LoadSample(_)
            | Event::LoadFinished(_) => return Ok(()),
        };
        self.inner.apply(time, fact)
    }

    /// What has been written so far.
    pub fn summary(&self) -> CaptureSummary {
        self.inner.cap.summary()
    }

    fn relaying(&self) -> bool {
        matches!(self.inner.mode, Some(Mode::Relay | Mode::UdpRelay))
    }

    fn ws(&self) -> bool {
        self.inner.mode.is_some_and(Mode::is_ws)
    }

    /// Hands what was written so far to the underlying writer.
    pub fn flush(&mut self) -> Result<(), PcapError> {
        self.inner.cap.flush()
    }

    /// Flushes the file and returns the writer.
    pub fn finish(self) -> Result<(W, CaptureSummary), PcapError> {
        self.inner.cap.finish()
    }
}

/// Which end of `client`'s pair `addr` is.
fn side_of(client: SocketAddr, addr: SocketAddr) -> records::Side {
    if addr == client {
        records::Side::Client
    } else {
        records::Side::Server
    }
}

fn data_fact(remote: SocketAddr, from: Side, bytes: &[u8]) -> Fact<'_> {
    Fact::Data {
        remote,
        from,
        bytes,
    }
}

impl RecordStore {
    /// Writes the records held as a pcapng file: each read and send as the
    /// packets that carried it, with Ethernet, IPv4/IPv6 and TCP/UDP
    /// headers rebuilt from the real addresses and ports, connects as
    /// SYN/SYN-ACK/ACK and closes as FIN or RST, at the records' own times.
    /// Connections whose start was dropped from the store begin mid-stream.
    pub fn save_pcapng<W: Write>(&self, out: W) -> Result<CaptureSummary, PcapError> {
        let mut cap = StoreCapture::new(out, self)?;
        cap.write_from(self, self.first_seq(), usize::MAX)?;
        cap.finish()
    }
}

/// A pcapng file written from a store in slices, so a saver can let go of
/// the store between slices: [`StoreCapture::new`] with the store as it is
/// at the start, then [`StoreCapture::write_from`] until done.
pub struct StoreCapture<W: Write> {
    cap: SessionCapture<W>,
    /// The last read of the relayed record just written, not yet written
    /// as forwarded: the record after it may say it was rewritten.
    held: Option<HeldRead>,
}

/// A relayed read waiting to be written as forwarded.
struct HeldRead {
    time: SystemTime,
    client: SocketAddr,
    flow: Flow,
    bytes: bytes::Bytes,
}

impl<W: Write> StoreCapture<W> {
    /// Starts the file with what the store knows from before its oldest
    /// record (the open session and its live connections).
    pub fn new(out: W, store: &RecordStore) -> Result<StoreCapture<W>, PcapError> {
        let mut cap = SessionCapture::new(out)?;
        if let Some((mode, local)) = store.earlier.session {
            cap.apply(SystemTime::UNIX_EPOCH, Fact::Opened { mode, local })?;
        }
        let mut live: Vec<_> = store.earlier.conns.iter().collect();
        live.sort_by_key(|(peer, _)| **peer);
        for (peer, conn) in live {
            cap.cap.tcp_known(conn.local, *peer);
        }
        Ok(StoreCapture { cap, held: None })
    }

    /// Writes at most `max` records from seq `from` on (records dropped
    /// meanwhile are skipped) and returns the seq to continue from.
    pub fn write_from(
        &mut self,
        store: &RecordStore,
        from: u64,
        max: usize,
    ) -> Result<u64, PcapError> {
        let start = from.max(store.first_seq());
        let mut next = start;
        for record in store.iter_from(start).take(max) {
            next = record.seq + 1;
            self.write_record(record)?;
        }
        Ok(next)
    }

    /// Writes one record (a copy taken from the store lets a saver write
    /// without holding the store).
    pub fn write_record(&mut self, record: &Record) -> Result<(), PcapError> {
        let time = record.time;
        if let Some(held) = self.held.take() {
            let rewritten = match (record.dir, record.note.as_deref(), record.peer) {
                (Direction::Event, Some(Note::Rewritten { flow, .. }), Some(client)) => {
                    *flow == held.flow && client == held.client
                }
                _ => false,
            };
            // A rewrite's row holds what went out instead.
            let out = if rewritten {
                &record.bytes
            } else {
                &held.bytes
            };
            let fact = Fact::Relayed {
                client: held.client,
                flow: held.flow,
                bytes: out,
                legs: Legs::Out,
            };
            self.cap.apply(held.time, fact)?;
            if rewritten {
                return Ok(());
            }
        }
        let cap = &mut self.cap;
        match (record.dir, record.peer) {
            (Direction::Rx, Some(remote)) => {
                for read in record.read_slices() {
                    cap.apply(time, data_fact(remote, Side::Remote, read))?;
                }
            }
            (Direction::Tx, Some(remote)) => {
                cap.apply(time, data_fact(remote, Side::Local, &record.bytes))?;
            }
            (dir @ (Direction::Up | Direction::Down), Some(client)) => {
                let flow = if dir == Direction::Up {
                    Flow::Up
                } else {
                    Flow::Down
                };
                let mut slices = record.read_slices().peekable();
                while let Some(bytes) = slices.next() {
                    let last = slices.peek().is_none();
                    let legs = if last { Legs::In } else { Legs::Both };
                    let fact = Fact::Relayed {
                        client,
                        flow,
                        bytes,
                        legs,
                    };
                    cap.apply(time, fact)?;
                    if last {
                        let start = record.bytes.len() - bytes.len();
                        self.held = Some(HeldRead {
                            time,
                            client,
                            flow,
                            bytes: record.bytes.slice(start..),
                        });
                    }
                }
            }
            (Direction::Event, peer) => {
                if let Some(fact) = record.note.as_deref().and_then(|n| note_fact(n, peer)) {
                    cap.apply(time, fact)?;
                }
            }
            (Direction::Rx | Direction::Tx | Direction::Up | Direction::Down, None) => {}
        }
        Ok(())
    }

    /// Flushes the file.
    pub fn finish(mut self) -> Result<CaptureSummary, PcapError> {
        if let Some(held) = self.held.take() {
            let fact = Fact::Relayed {
                client: held.client,
                flow: held.flow,
                bytes: &held.bytes,
                legs: Legs::Out,
            };
            self.cap.apply(held.time, fact)?;
        }
        let (_, summary) = self.cap.cap.finish()?;
        Ok(summary)
    }
}

/// The fact an event record tells, if it tells one about the wire.
fn note_fact(note: &Note, peer: Option<SocketAddr>) -> Option<Fact<'static>> {
    let ended = |how| peer.map(|remote| Fact::Ended { remote, how });
    match note {
        Note::Opened { local, mode } => Some(Fact::Opened {
            mode: *mode,
            local: *local,
        }),
        Note::Connected { local, by } => peer.map(|remote| Fact::Connected {
            local: *local,
            remote,
            by: *by,
        }),
        Note::PeerFinished => ended(Ending::PeerFinished),
        Note::ClosedByPeer => ended(Ending::Orderly),
        Note::Reset => ended(Ending::Reset),
        Note::Disconnected => ended(Ending::Local),
        Note::Error { .. } | Note::TlsFailed(_) | Note::ServerTlsFailed { .. } => {
            ended(Ending::Error)
        }
        Note::Closed => Some(Fact::SessionClosed),
        Note::ServerConnected { server, local } => peer.map(|client| Fact::ServerConnected {
            client,
            server: *server,
            local: *local,
        }),
        Note::ServerUnreachable(_) => ended(Ending::Local),
        Note::RelayFinished(from) => peer.map(|client| Fact::RelayEnded {
            client,
            from: *from,
            reset: false,
        }),
        Note::RelayReset(from) => peer.map(|client| Fact::RelayEnded {
            client,
            from: *from,
            reset: true,
        }),
        // Our FIN is not modelled (the orderly close that follows is), and
        // the encoding hint says nothing about the wire.
        // A load run's rows are samples: its thousands of connections are
        // not in the log.
        Note::Failure(_)
        | Note::LoadStarted(_)
        | Note::LoadExchange { .. }
        | Note::LoadFailed { .. }
        | Note::LoadFinished { .. }
        | Note::WeFinished
        | Note::EncodingHint { .. }
        | Note::Joined(_)
        | Note::Left(_)
        | Note::RuleFailed { .. }
        | Note::RepliesDropped { .. }
        | Note::TlsServerReady { .. }
        | Note::TlsEstablished(_)
        | Note::TlsHelloOnPlain
        | Note::Ws(_)
        | Note::WsKnocking
        | Note::ReceiveBuffer { .. }
        | Note::Fault { .. }
        | Note::Rewritten { .. }
        | Note::RewriteFailed { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use bytes::Bytes;

    use crate::net::{Flow, Mode};
    use crate::records::{Direction, Entry, Note, RecordStore, StoreConfig};

    fn count(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len()).filter(|w| *w == needle).count()
    }

    /// A relay's log saved as pcapng: a chunk that was rewritten is on its
    /// own leg as read and on the other as forwarded; one that was not is
    /// on both as read.
    #[test]
    fn a_saved_relay_log_puts_rewritten_bytes_on_the_server_leg() {
        let client = "127.0.0.1:50000".parse().expect("addr");
        let server = "127.0.0.1:6000".parse().expect("addr");
        let local = "127.0.0.1:6001".parse().expect("addr");
        let up_local = "127.0.0.1:50001".parse().expect("addr");
        let now = SystemTime::now();
        let mut store = RecordStore::new(StoreConfig::default());
        store.push_entry(Entry::event(
            now,
            None,
            Note::Opened {
                local,
                mode: Mode::Relay,
            },
        ));
        store.push_entry(Entry::event(
            now,
            Some(client),
            Note::ServerConnected {
                server,
                local: up_local,
            },
        ));
        let up = |bytes: &'static [u8]| Entry {
            time: now,
            dir: Direction::Up,
            peer: Some(client),
            bytes: Bytes::from_static(bytes),
            added: 0,
            note: None,
            message: None,
        };
        store.push_entry(up(b"<Alice>"));
        let rewritten = Note::Rewritten {
            flow: Flow::Up,
            rules: vec![1],
            matches: 1,
            original: 7,
            forwarded: 5,
            preview: "\"<Bob>\"".into(),
        };
        store.push_entry(Entry {
            bytes: Bytes::from_static(b"<Bob>"),
            ..Entry::event(now, Some(client), rewritten)
        });
        store.push_entry(up(b"<plain>"));
        let mut out = Vec::new();
        store.save_pcapng(&mut out).expect("pcapng");
        assert_eq!(count(&out, b"<Alice>"), 1, "as read, on the client's leg");
        assert_eq!(
            count(&out, b"<Bob>"),
            1,
            "as forwarded, on the server's leg"
        );
        assert_eq!(count(&out, b"<plain>"), 2, "unchanged, on both legs");
    }
}
