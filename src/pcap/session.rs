//! The two ways into the synthesiser: the engine's events as they come
//! (the command line's `--pcap FILE`) and the records a store holds (the
//! window's "save as pcapng"). Both are turned into the same [`Fact`]s.

use std::io::Write;
use std::net::SocketAddr;
use std::time::SystemTime;

use crate::net::{CloseReason, Event, Mode};
use crate::records::{Direction, Note, Opener, Record, RecordStore};

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
}

/// A capture that knows the open session's mode.
struct SessionCapture<W: Write> {
    cap: Capture<W>,
    mode: Option<Mode>,
}

impl<W: Write> SessionCapture<W> {
    fn new(out: W) -> Result<Self, PcapError> {
        Ok(SessionCapture {
            cap: Capture::new(out)?,
            mode: None,
        })
    }

    fn apply(&mut self, time: SystemTime, fact: Fact<'_>) -> Result<(), PcapError> {
        let cap = &mut self.cap;
        match fact {
            Fact::Opened { mode, local } => {
                self.mode = Some(mode);
                cap.set_local(Some(local));
            }
            Fact::Connected { local, remote, by } => {
                let opener = match by {
                    Opener::Us => Side::Local,
                    Opener::Peer => Side::Remote,
                };
                cap.tcp_connect(time, local, remote, opener)?;
            }
            Fact::Data {
                remote,
                from,
                bytes,
            } => {
                let udp = match self.mode {
                    Some(mode) => mode == Mode::Udp,
                    // No session seen: a peer with a connection is TCP.
                    None => !cap.is_tcp_peer(remote),
                };
                if udp {
                    cap.udp(time, remote, from, bytes)?;
                } else if !bytes.is_empty() {
                    cap.tcp_data(time, remote, from, bytes)?;
                }
            }
            Fact::Ended { remote, how } => match how {
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
            },
            Fact::SessionClosed => {
                cap.tcp_close_all(time)?;
                cap.set_local(None);
                self.mode = None;
            }
        }
        Ok(())
    }
}

/// Writes a pcapng file from engine events as they arrive, holding only the
/// live connections: for `--pcap FILE` on long runs.
pub struct EventCapture<W: Write> {
    inner: SessionCapture<W>,
}

impl<W: Write> EventCapture<W> {
    /// Starts the file (section and interface headers).
    pub fn new(out: W) -> Result<EventCapture<W>, PcapError> {
        Ok(EventCapture {
            inner: SessionCapture::new(out)?,
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
            Event::Connected { addr, local, .. } => {
                let mode = self.inner.mode.unwrap_or(Mode::TcpServer);
                let by = Opener::for_mode(mode);
                let (local, remote) = (*local, *addr);
                (now, Fact::Connected { local, remote, by })
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
            | Event::UpstreamConnected { .. }
            | Event::UpstreamFailed { .. }
            | Event::Relayed { .. }
            | Event::FaultFired { .. } => return Ok(()),
        };
        self.inner.apply(time, fact)
    }

    /// What has been written so far.
    pub fn summary(&self) -> CaptureSummary {
        self.inner.cap.summary()
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
        Ok(StoreCapture { cap })
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
            (Direction::Event, peer) => {
                if let Some(fact) = record.note.as_deref().and_then(|n| note_fact(n, peer)) {
                    cap.apply(time, fact)?;
                }
            }
            (Direction::Rx | Direction::Tx, None) => {}
        }
        Ok(())
    }

    /// Flushes the file.
    pub fn finish(self) -> Result<CaptureSummary, PcapError> {
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
        Note::Error { .. } | Note::TlsFailed(_) => ended(Ending::Error),
        Note::Closed => Some(Fact::SessionClosed),
        // Our FIN is not modelled (the orderly close that follows is), and
        // the encoding hint says nothing about the wire.
        Note::Failure(_)
        | Note::WeFinished
        | Note::EncodingHint { .. }
        | Note::Joined(_)
        | Note::Left(_)
        | Note::RuleFailed { .. }
        | Note::RepliesDropped { .. }
        | Note::TlsServerReady { .. }
        | Note::TlsEstablished(_)
        | Note::TlsHelloOnPlain
        | Note::ReceiveBuffer { .. } => None,
    }
}
