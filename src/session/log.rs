//! What one session knows, kept behind a short-held lock: the record store
//! and everything derived from the engine's events (link state, clients,
//! counters, throughput, the last message). The session's ingest thread
//! writes it; the window reads it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use crate::files::Recorder;
use crate::i18n::T;
use crate::messages::Msg;
use crate::net::{CloseReason, Event, Membership, Mode, NetError, PeerId, PeriodicEnd};
use crate::records::{Note, Opener, RecordStore, StoreConfig};

use super::automation::{RuleStatus, SequenceStatus};
use super::throughput::Throughput;

/// Most records one session's store keeps, whatever the memory budget.
pub const MAX_RECORDS: usize = 4_000_000;

/// Where the link is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Nothing open.
    Closed,
    /// Binding, resolving or connecting.
    Opening(Mode),
    /// Up, with the real local address.
    Open(Mode, SocketAddr),
}

impl LinkState {
    /// The mode of an opening or open link.
    pub fn mode(self) -> Option<Mode> {
        match self {
            LinkState::Closed => None,
            LinkState::Opening(m) | LinkState::Open(m, _) => Some(m),
        }
    }
}

/// One connected client of the TCP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// Its address.
    pub addr: SocketAddr,
    /// When it connected.
    pub since: SystemTime,
    /// Bytes received from it.
    pub rx: u64,
    /// Bytes sent to it.
    pub tx: u64,
    /// It finished sending (FIN): it sends nothing more.
    pub peer_finished: bool,
    /// We finished sending to it (FIN): we send nothing more.
    pub we_finished: bool,
}

impl ClientInfo {
    fn new(addr: SocketAddr, since: SystemTime) -> ClientInfo {
        ClientInfo {
            addr,
            since,
            rx: 0,
            tx: 0,
            peer_finished: false,
            we_finished: false,
        }
    }
}

/// Traffic counters for the status bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Reads / datagrams received.
    pub rx_packets: u64,
    /// Sends completed.
    pub tx_packets: u64,
}

/// A status-bar message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The message, worded when drawn.
    pub msg: Msg,
    /// Shown in the error colour.
    pub error: bool,
}

/// Everything a session has logged and counted.
#[derive(Debug)]
pub struct SessionLog {
    /// The records.
    pub store: RecordStore,
    /// Where the link is.
    pub link: LinkState,
    /// Connected clients (TCP server).
    pub clients: BTreeMap<PeerId, ClientInfo>,
    /// Bumped whenever `clients` changes, so a view can skip copying it.
    pub clients_version: u64,
    /// TCP client: the connection to the server, while it is up.
    pub connection: Option<(PeerId, ClientInfo)>,
    /// Counters since the last reset.
    pub counters: Counters,
    /// Per-second traffic over the last minute.
    pub throughput: Throughput,
    /// The last message for the status bar.
    pub status: Option<Status>,
    /// The last UDP sender, for replies.
    pub last_sender: Option<SocketAddr>,
    /// Received records so far (a view compares it to mark unread traffic).
    pub rx_records: u64,
    /// Recording received bytes to a file, when on.
    pub recorder: Option<Recorder>,
    /// The auto-reply rules' hits and errors, in rule order.
    pub rules: Vec<RuleStatus>,
    /// The sequence run, once one was started.
    pub sequence: Option<SequenceStatus>,
    /// UDP: the multicast groups joined now.
    pub groups: Vec<Membership>,
}

impl Default for SessionLog {
    fn default() -> Self {
        SessionLog::new()
    }
}

impl SessionLog {
    /// An empty log whose store is bounded only by [`MAX_RECORDS`] (a
    /// shared [`Budget`](super::Budget) bounds the bytes).
    pub fn new() -> SessionLog {
        SessionLog {
            store: RecordStore::new(StoreConfig {
                max_payload_bytes: usize::MAX,
                max_records: MAX_RECORDS,
                merge_window: None,
            }),
            link: LinkState::Closed,
            clients: BTreeMap::new(),
            clients_version: 0,
            connection: None,
            counters: Counters::default(),
            throughput: Throughput::new(Instant::now()),
            status: None,
            last_sender: None,
            rx_records: 0,
            recorder: None,
            rules: Vec::new(),
            sequence: None,
            groups: Vec::new(),
        }
    }

    /// Sets the status-bar message.
    pub fn set_status(&mut self, msg: Msg, error: bool) {
        self.status = Some(Status { msg, error });
    }

    /// Zeroes the counters and the throughput history.
    pub fn reset_counters(&mut self) {
        self.counters = Counters::default();
        self.throughput.clear();
    }

    /// The link is being opened: forget the last session's peers.
    pub fn opening(&mut self, mode: Mode) {
        self.link = LinkState::Opening(mode);
        self.status = None;
        self.last_sender = None;
        self.connection = None;
        self.set_clients(BTreeMap::new());
    }

    /// The connection `peer`: a client of the server, or the client's own.
    fn conn_mut(&mut self, peer: PeerId) -> Option<&mut ClientInfo> {
        match &mut self.connection {
            Some((id, info)) if *id == peer => Some(info),
            _ => self.clients.get_mut(&peer),
        }
    }

    /// We asked to finish sending to `peer` (our FIN follows what is
    /// queued): marks the connection and logs it, once.
    pub fn we_finished(&mut self, peer: PeerId) {
        let Some(info) = self.conn_mut(peer).filter(|c| !c.we_finished) else {
            return;
        };
        info.we_finished = true;
        let addr = info.addr;
        self.clients_version += 1;
        self.store
            .push_event(SystemTime::now(), Some(addr), Note::WeFinished);
    }

    fn set_clients(&mut self, clients: BTreeMap<PeerId, ClientInfo>) {
        self.clients = clients;
        self.clients_version += 1;
    }

    /// Records one engine event.
    pub fn apply(&mut self, event: Event, now: Instant) {
        let wall = SystemTime::now();
        match event {
            Event::Opened { mode, local } => {
                self.link = LinkState::Open(mode, local);
                self.store
                    .push_event(wall, None, Note::Opened { local, mode });
                self.status = None;
            }
            Event::Connected { peer, addr, local } => {
                let by = self.link.mode().map_or(Opener::Peer, Opener::for_mode);
                match self.link.mode() {
                    Some(Mode::TcpServer) => {
                        self.clients.insert(peer, ClientInfo::new(addr, wall));
                        self.clients_version += 1;
                    }
                    Some(Mode::TcpClient) => {
                        self.connection = Some((peer, ClientInfo::new(addr, wall)));
                    }
                    _ => {}
                }
                self.store
                    .push_event(wall, Some(addr), Note::Connected { local, by });
            }
            Event::Received {
                peer,
                addr,
                time,
                data,
            } => {
                let n = data.len() as u64;
                self.counters.rx_bytes += n;
                self.counters.rx_packets += 1;
                self.throughput.add(now, n, 0);
                self.rx_records += 1;
                if let Some(c) = peer.and_then(|p| self.clients.get_mut(&p)) {
                    c.rx += n;
                    self.clients_version += 1;
                }
                if peer.is_none() {
                    self.last_sender = Some(addr);
                }
                if let Some(r) = &self.recorder {
                    r.write(&data);
                    if r.dropped() > 0 {
                        let msg = Msg::with(T::RecordBehind, &[&r.dropped()]);
                        self.set_status(msg, true);
                    }
                }
                self.store.push_rx(time, addr, data);
            }
            Event::Sent {
                peer,
                addr,
                time,
                data,
                meta,
            } => {
                let n = data.len() as u64;
                self.counters.tx_bytes += n;
                self.counters.tx_packets += 1;
                self.throughput.add(now, 0, n);
                if let Some(c) = peer.and_then(|p| self.clients.get_mut(&p)) {
                    c.tx += n;
                    self.clients_version += 1;
                }
                self.store.push_tx_added(time, addr, data, meta.added_tail);
            }
            Event::PeerClosed { peer, addr, how } => {
                if self.clients.remove(&peer).is_some() {
                    self.clients_version += 1;
                }
                if self.connection.as_ref().is_some_and(|(id, _)| *id == peer) {
                    self.connection = None;
                }
                let note = match how {
                    CloseReason::Orderly => Note::ClosedByPeer,
                    CloseReason::Reset => Note::Reset,
                    CloseReason::Local => Note::Disconnected,
                    CloseReason::Error(message) => Note::Error { message },
                    CloseReason::Tls(failure) => Note::TlsFailed(Box::new(failure)),
                };
                self.store.push_event(wall, Some(addr), note);
            }
            Event::HalfClosed { peer, addr } => {
                if let Some(info) = self.conn_mut(peer) {
                    info.peer_finished = true;
                    self.clients_version += 1;
                }
                self.store.push_event(wall, Some(addr), Note::PeerFinished);
            }
            Event::GroupFailed { error, .. } => self.error(error),
            Event::PeriodicEnded { sent, why, .. } => {
                let (msg, error) = match why {
                    PeriodicEnd::Done => (Msg::with(T::LoopDone, &[&sent]), false),
                    PeriodicEnd::Stopped => (Msg::with(T::LoopStopped, &[&sent]), false),
                    PeriodicEnd::ConnectionClosed => (Msg::with(T::LoopClosed, &[&sent]), true),
                    PeriodicEnd::Failed(err) => (
                        Msg::TextAndNet(T::LoopFailed, vec![sent.to_string()], err),
                        true,
                    ),
                };
                self.set_status(msg, error);
            }
            // Multicast and name lookups are not in the window yet.
            Event::GroupJoined { membership } => {
                self.set_status(Msg::with(T::EvJoined, &[&membership]), false);
                if !self.groups.contains(&membership) {
                    self.groups.push(membership);
                }
            }
            Event::GroupLeft { membership } => {
                self.set_status(Msg::with(T::EvLeft, &[&membership]), false);
                self.groups.retain(|g| *g != membership);
            }
            Event::Resolved { .. } => {}
            Event::TlsServerReady { cert, self_signed } => {
                let note = Note::TlsServerReady { cert, self_signed };
                self.store.push_event(wall, None, note);
            }
            Event::TlsEstablished { addr, info, .. } => {
                self.store
                    .push_event(wall, Some(addr), Note::TlsEstablished(info));
            }
            Event::Error(err) => self.error(err),
            Event::Closed => {
                self.link = LinkState::Closed;
                self.connection = None;
                self.groups.clear();
                self.set_clients(BTreeMap::new());
                self.store.push_event(wall, None, Note::Closed);
            }
        }
    }

    /// Logs an error and shows it in the status bar.
    pub fn error(&mut self, err: NetError) {
        self.set_status(Msg::Net(err.clone()), true);
        self.store
            .push_event(SystemTime::now(), None, Note::Failure(Box::new(err)));
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn a_server_session_in_events() {
        let mut log = SessionLog::new();
        let now = Instant::now();
        log.opening(Mode::TcpServer);
        log.apply(
            Event::Opened {
                mode: Mode::TcpServer,
                local: addr(8888),
            },
            now,
        );
        assert_eq!(log.link, LinkState::Open(Mode::TcpServer, addr(8888)));
        let v = log.clients_version;
        log.apply(
            Event::Connected {
                peer: PeerId(1),
                addr: addr(5000),
                local: addr(8888),
            },
            now,
        );
        assert!(log.clients_version > v);
        log.apply(
            Event::Received {
                peer: Some(PeerId(1)),
                addr: addr(5000),
                time: SystemTime::now(),
                data: Bytes::from_static(b"hello"),
            },
            now,
        );
        assert_eq!(log.clients[&PeerId(1)].rx, 5);
        assert_eq!(log.counters.rx_bytes, 5);
        assert_eq!(log.rx_records, 1);
        assert_eq!(log.last_sender, None, "TCP replies go to the connection");
        log.apply(
            Event::PeerClosed {
                peer: PeerId(1),
                addr: addr(5000),
                how: CloseReason::Reset,
            },
            now,
        );
        assert!(log.clients.is_empty());
        log.apply(Event::Error(NetError::NoClients), now);
        assert_eq!(log.status.as_ref().map(|s| s.error), Some(true));
        log.apply(Event::Closed, now);
        assert_eq!(log.link, LinkState::Closed);
        let notes: Vec<String> = log
            .store
            .iter()
            .filter_map(|r| r.note.as_deref().map(|n| n.to_string()))
            .collect();
        assert_eq!(
            notes,
            [
                "opened on 127.0.0.1:8888",
                "connected",
                "connection reset",
                "error: no client is connected: nothing was sent",
                "closed"
            ]
        );
    }

    #[test]
    fn half_closes_mark_the_connection_both_ways() {
        let mut log = SessionLog::new();
        let now = Instant::now();
        log.opening(Mode::TcpClient);
        log.apply(
            Event::Opened {
                mode: Mode::TcpClient,
                local: addr(5000),
            },
            now,
        );
        log.apply(
            Event::Connected {
                peer: PeerId(7),
                addr: addr(8888),
                local: addr(5000),
            },
            now,
        );
        assert!(log.clients.is_empty(), "a client has no client list");
        let conn = |log: &SessionLog| log.connection.as_ref().map(|(p, c)| (*p, c.clone()));
        let (peer, info) = conn(&log).unwrap();
        assert_eq!((peer, info.addr), (PeerId(7), addr(8888)));
        assert!(!info.peer_finished && !info.we_finished);
        log.we_finished(PeerId(7));
        log.we_finished(PeerId(7)); // once is enough
        log.we_finished(PeerId(99)); // not a connection: nothing happens
        log.apply(
            Event::HalfClosed {
                peer: PeerId(7),
                addr: addr(8888),
            },
            now,
        );
        let (_, info) = conn(&log).unwrap();
        assert!(info.peer_finished && info.we_finished);
        log.apply(
            Event::PeerClosed {
                peer: PeerId(7),
                addr: addr(8888),
                how: CloseReason::Orderly,
            },
            now,
        );
        assert!(log.connection.is_none());
        let notes: Vec<Note> = log
            .store
            .iter()
            .filter_map(|r| r.note.as_deref().cloned())
            .collect();
        assert_eq!(
            notes[2..],
            [Note::WeFinished, Note::PeerFinished, Note::ClosedByPeer]
        );
    }
}
