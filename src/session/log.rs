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
use crate::net::ws::WsMessage;
use crate::net::{CloseReason, Event, Flow, Membership, Mode, NetError, PeerId, PeriodicEnd};
use crate::records::{
    Direction, Entry, Framer, Framing, Note, Opener, PREVIEW_CHARS, RecordStore, Side, StoreConfig,
    preview,
};

use super::automator::AutomationStatus;
use super::load::{LoadState, LoadView};
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
    /// A relay's pair: the server it is connected to, once it is.
    pub server: Option<SocketAddr>,
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
            server: None,
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

/// One frame's copy of what the window shows of a session, taken under
/// the log's lock in one go.
#[derive(Debug, Clone)]
pub struct LogView {
    /// Where the link is.
    pub link: LinkState,
    /// TCP client: the connection to the server, while it is up.
    pub connection: Option<(PeerId, ClientInfo)>,
    /// Counters since the last reset.
    pub counters: Counters,
    /// Bytes per second received and sent in the last second.
    pub rates: (u64, u64),
    /// The status-bar message.
    pub status: Option<Status>,
    /// Bytes dropped to stay in the memory budget.
    pub dropped_bytes: u64,
    /// The seq the next record will get.
    pub end_seq: u64,
    /// Received bytes are being recorded to a file.
    pub recording: bool,
    /// Bytes per second over the last minute, when asked for.
    pub plot: Option<Vec<(i64, u64, u64)>>,
    /// Rules, sequence and waiting replies.
    pub automation: AutomationStatus,
    /// UDP: the multicast groups joined now.
    pub groups: Vec<Membership>,
    /// Received records so far.
    pub rx_records: u64,
    /// UDP: datagrams the system dropped at the socket (its receive buffer
    /// was full) since the counters were reset; 0 where it keeps no count.
    pub system_dropped: u64,
    /// A load run's figures, in a load session.
    pub load: Option<LoadView>,
}

/// Everything a session has logged and counted. Its fields are private:
/// every change goes through a method that keeps the counters, versions
/// and indexes right.
#[derive(Debug)]
pub struct SessionLog {
    store: RecordStore,
    link: LinkState,
    clients: BTreeMap<PeerId, ClientInfo>,
    /// Bumped whenever `clients` changes, so a view can skip copying it.
    clients_version: u64,
    connection: Option<(PeerId, ClientInfo)>,
    counters: Counters,
    throughput: Throughput,
    status: Option<Status>,
    last_sender: Option<SocketAddr>,
    rx_records: u64,
    recorder: Option<Recorder>,
    automation: AutomationStatus,
    groups: Vec<Membership>,
    /// Bumped whenever records are dropped or cleared (a search prunes
    /// its results when it changes).
    epoch: u64,
    /// The messages view's framer, while the view is on.
    framer: Option<Framer>,
    /// UDP: the system's count of datagrams it dropped at the socket.
    system_dropped: Option<u64>,
    /// That count when the counters were last reset.
    system_dropped_base: u64,
    /// The load run, in a load session.
    load: Option<LoadState>,
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
                count_rows: true,
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
            automation: AutomationStatus::default(),
            groups: Vec::new(),
            epoch: 0,
            framer: None,
            system_dropped: None,
            system_dropped_base: 0,
            load: None,
        }
    }

    /// The records.
    pub fn store(&self) -> &RecordStore {
        &self.store
    }

    /// Makes this a log that no window draws: it counts nothing for rows,
    /// and keeps only the newest `keep` bytes of records (the front-end
    /// has its own copy of each row as it comes).
    pub(crate) fn for_command_line(&mut self, keep: usize) {
        self.store.set_count_rows(false);
        self.store.set_max_payload_bytes(keep);
    }

    /// Where the link is.
    pub fn link(&self) -> LinkState {
        self.link
    }

    /// Connected clients (TCP server), by connection.
    pub fn clients(&self) -> &BTreeMap<PeerId, ClientInfo> {
        &self.clients
    }

    /// Changes whenever the client list changes.
    pub fn clients_version(&self) -> u64 {
        self.clients_version
    }

    /// TCP client: the connection to the server, while it is up.
    pub fn connection(&self) -> Option<&(PeerId, ClientInfo)> {
        self.connection.as_ref()
    }

    /// Counters since the last reset.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Per-second traffic over the last minute.
    pub fn throughput(&self) -> &Throughput {
        &self.throughput
    }

    /// The status-bar message.
    pub fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    /// The last UDP sender, for replies.
    pub fn last_sender(&self) -> Option<SocketAddr> {
        self.last_sender
    }

    /// Received records so far (a view compares it to mark unread traffic).
    pub fn rx_records(&self) -> u64 {
        self.rx_records
    }

    /// Rules, sequence and waiting replies.
    pub fn automation(&self) -> &AutomationStatus {
        &self.automation
    }

    /// UDP: the multicast groups joined now.
    pub fn groups(&self) -> &[Membership] {
        &self.groups
    }

    /// Changes whenever records are dropped or the log is cleared.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The received bytes grouped into messages, while a framing rule is
    /// set (see [`Command::Framing`](super::Command::Framing)).
    pub fn framer(&self) -> Option<&Framer> {
        self.framer.as_ref()
    }

    /// Frames records that arrived (or, after the rule changed, everything
    /// held) until `deadline`; true when every record held is framed.
    pub(crate) fn frame(&mut self, deadline: Instant) -> bool {
        match &mut self.framer {
            Some(f) => f.update_until(&self.store, Some(deadline)),
            None => true,
        }
    }

    /// Sets the framing rule (none: the view is off, nothing is kept).
    pub(crate) fn set_framing(&mut self, framing: Option<Framing>) {
        if self.framer.as_ref().map(Framer::framing) == framing.as_ref() {
            return;
        }
        self.framer = framing.and_then(|f| Framer::new(f).ok());
    }

    /// With an idle-gap rule: ends the messages of peers silent for longer
    /// than the gap; gives when to look again while some are pending.
    pub(crate) fn settle_framing(&mut self, now: Instant) -> Option<Instant> {
        let f = self.framer.as_mut()?;
        let Framing::IdleGap(gap) = *f.framing() else {
            return None;
        };
        f.settle(SystemTime::now());
        (!f.pending().is_empty()).then(|| now + gap.max(std::time::Duration::from_millis(1)))
    }

    /// A copy of what the window shows, with the plot's series if `plot`.
    pub fn view(&self, now: Instant, plot: bool) -> LogView {
        LogView {
            link: self.link,
            connection: self.connection.clone(),
            counters: self.counters,
            rates: self.throughput.rate(now),
            status: self.status.clone(),
            dropped_bytes: self.store.dropped_bytes(),
            end_seq: self.store.end_seq(),
            recording: self.recorder.is_some(),
            plot: plot.then(|| self.throughput.series(now)),
            automation: self.automation.clone(),
            groups: self.groups.clone(),
            rx_records: self.rx_records,
            system_dropped: self.system_dropped(),
            load: self.load.as_ref().map(LoadState::view),
        }
    }

    /// The load run of a load session (all its per-second rows).
    pub fn load(&self) -> Option<&LoadState> {
        self.load.as_ref()
    }

    /// UDP: datagrams the system dropped at the socket because its receive
    /// buffer was full, since the counters were reset (0 where the system
    /// keeps no count).
    pub fn system_dropped(&self) -> u64 {
        self.system_dropped
            .map_or(0, |n| n.saturating_sub(self.system_dropped_base))
    }

    /// Sets the status-bar message.
    pub fn set_status(&mut self, msg: Msg, error: bool) {
        self.status = Some(Status { msg, error });
    }

    /// Zeroes the counters and the throughput history.
    pub fn reset_counters(&mut self) {
        self.counters = Counters::default();
        self.throughput.clear();
        self.system_dropped_base = self.system_dropped.unwrap_or(0);
    }

    /// Drops every record (the counters stay).
    pub fn clear(&mut self) {
        self.store.clear();
        self.epoch += 1;
    }

    /// Adds a record and gives its seq.
    pub fn push(&mut self, entry: Entry) -> u64 {
        self.store.push_entry(entry)
    }

    /// Starts recording received bytes to `recorder`'s file.
    pub fn start_recording(&mut self, recorder: Recorder) {
        self.recorder = Some(recorder);
    }

    /// Stops recording; the recorder's file is finished by its own thread.
    pub fn stop_recording(&mut self) -> Option<Recorder> {
        self.recorder.take()
    }

    /// Drops the oldest records to free `want` bytes, keeping `keep`
    /// records; gives the bytes freed.
    pub(crate) fn evict_oldest(&mut self, want: usize, keep: usize) -> usize {
        let freed = self.store.evict_oldest(want, keep);
        if freed > 0 {
            self.epoch += 1;
        }
        freed
    }

    /// As [`SessionLog::evict_oldest`], only records older than `before`.
    pub(crate) fn evict_oldest_before(
        &mut self,
        want: usize,
        keep: usize,
        before: Option<SystemTime>,
    ) -> usize {
        let freed = self.store.evict_oldest_before(want, keep, before);
        if freed > 0 {
            self.epoch += 1;
        }
        freed
    }

    /// Replaces what the window shows of the automation.
    pub(crate) fn set_automation(&mut self, status: AutomationStatus) {
        self.automation = status;
    }

    /// Whether the open (or opening) session is a relay.
    fn relaying(&self) -> bool {
        matches!(self.link.mode(), Some(Mode::Relay | Mode::UdpRelay))
    }

    /// The link is being opened: forget the last session's peers.
    pub(crate) fn opening(&mut self, mode: Mode) {
        self.link = LinkState::Opening(mode);
        self.status = None;
        self.system_dropped = None;
        self.system_dropped_base = 0;
        self.last_sender = None;
        self.connection = None;
        self.load = None;
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
    /// queued): marks the connection and gives the row to log, once.
    pub(crate) fn we_finished(&mut self, peer: PeerId) -> Option<Entry> {
        let info = self.conn_mut(peer).filter(|c| !c.we_finished)?;
        info.we_finished = true;
        let addr = info.addr;
        self.clients_version += 1;
        Some(Entry::event(
            SystemTime::now(),
            Some(addr),
            Note::WeFinished,
        ))
    }

    fn set_clients(&mut self, clients: BTreeMap<PeerId, ClientInfo>) {
        self.clients = clients;
        self.clients_version += 1;
    }

    /// Takes in one engine event: updates the link, the clients and the
    /// counters, and gives the rows to log for it (the caller pushes them).
    pub(crate) fn apply(&mut self, event: Event, now: Instant) -> Option<Entry> {
        // Read the clock only for events that need it: a flood of
        // datagrams carries its own time.
        let wall = SystemTime::now;
        match event {
            Event::Opened { mode, local } => {
                self.link = LinkState::Open(mode, local);
                self.status = None;
                // A load run's first row is its plan (`LoadStarted`).
                (mode != Mode::Load)
                    .then(|| Entry::event(wall(), None, Note::Opened { local, mode }))
            }
            Event::Connected { peer, addr, local } => {
                let by = self.link.mode().map_or(Opener::Peer, Opener::for_mode);
                match self.link.mode() {
                    Some(m) if m.serves() => {
                        self.clients.insert(peer, ClientInfo::new(addr, wall()));
                        self.clients_version += 1;
                    }
                    Some(m) if m.connects() => {
                        self.connection = Some((peer, ClientInfo::new(addr, wall())));
                    }
                    _ => {}
                }
                Some(Entry::event(
                    wall(),
                    Some(addr),
                    Note::Connected { local, by },
                ))
            }
            Event::Received {
                peer,
                addr,
                time,
                data,
                message,
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
                Some(Entry {
                    message,
                    ..Entry::rx(time, addr, data)
                })
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
                let message = meta.message.map(|kind| WsMessage { kind, frames: 1 });
                Some(Entry {
                    message,
                    ..Entry::tx(time, addr, data, meta.added_tail)
                })
            }
            Event::PeerClosed { peer, addr, how } if self.relaying() => {
                // Each leg of a pair reports its end: the pair's first one
                // is its row.
                let client = self.clients.remove(&peer)?.addr;
                self.clients_version += 1;
                let side = if addr == client {
                    Side::Client
                } else {
                    Side::Server
                };
                let note = match how {
                    CloseReason::Orderly => Note::ClosedByPeer,
                    CloseReason::Reset => Note::RelayReset(side),
                    CloseReason::Local => Note::Disconnected,
                    CloseReason::Error(message) => Note::Error { message },
                    CloseReason::Tls(failure) if side == Side::Server => Note::ServerTlsFailed {
                        server: addr,
                        failure: Box::new(failure),
                    },
                    CloseReason::Tls(failure) => Note::TlsFailed(Box::new(failure)),
                };
                Some(Entry::event(wall(), Some(client), note))
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
                Some(Entry::event(wall(), Some(addr), note))
            }
            Event::HalfClosed { peer, addr } if self.relaying() => {
                let client = self.clients.get_mut(&peer).map_or(addr, |c| {
                    if c.addr == addr {
                        c.peer_finished = true;
                    } else {
                        c.we_finished = true;
                    }
                    c.addr
                });
                self.clients_version += 1;
                let side = if addr == client {
                    Side::Client
                } else {
                    Side::Server
                };
                Some(Entry::event(
                    wall(),
                    Some(client),
                    Note::RelayFinished(side),
                ))
            }
            Event::HalfClosed { peer, addr } => {
                if let Some(info) = self.conn_mut(peer) {
                    info.peer_finished = true;
                    self.clients_version += 1;
                }
                Some(Entry::event(wall(), Some(addr), Note::PeerFinished))
            }
            Event::GroupFailed { error, .. } => Some(self.error(error)),
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
                None
            }
            Event::GroupJoined { membership } => {
                self.set_status(Msg::with(T::EvJoined, &[&membership]), false);
                if !self.groups.contains(&membership) {
                    self.groups.push(membership.clone());
                }
                Some(Entry::event(wall(), None, Note::Joined(membership)))
            }
            Event::GroupLeft { membership } => {
                self.set_status(Msg::with(T::EvLeft, &[&membership]), false);
                self.groups.retain(|g| *g != membership);
                Some(Entry::event(wall(), None, Note::Left(membership)))
            }
            // For a capture only: the messages are logged as such.
            Event::Resolved { .. } | Event::WsWire { .. } => None,
            Event::TlsServerReady { cert, self_signed } => {
                let note = Note::TlsServerReady { cert, self_signed };
                Some(Entry::event(wall(), None, note))
            }
            Event::TlsEstablished { addr, info, .. } => {
                Some(Entry::event(wall(), Some(addr), Note::TlsEstablished(info)))
            }
            Event::ReceiveBuffer { asked, granted } => Some(Entry::event(
                wall(),
                None,
                Note::ReceiveBuffer { asked, granted },
            )),
            Event::SystemDropped { total } => {
                self.system_dropped = Some(total);
                None
            }
            Event::UpstreamConnected { peer, addr, local } => {
                let c = self.clients.get_mut(&peer)?;
                c.server = Some(addr);
                let client = c.addr;
                self.clients_version += 1;
                let note = Note::ServerConnected {
                    server: addr,
                    local,
                };
                Some(Entry::event(wall(), Some(client), note))
            }
            // The pair's end follows (and removes it from the clients).
            Event::UpstreamFailed { client, error, .. } => {
                let note = Note::ServerUnreachable(Box::new(error));
                Some(Entry::event(wall(), Some(client), note))
            }
            Event::Relayed {
                peer,
                flow,
                client,
                time,
                data,
                ..
            } => {
                let n = data.len() as u64;
                // The counters' first pair is client to server, the second
                // server to client (the window labels them so).
                match flow {
                    Flow::Up => {
                        self.counters.rx_bytes += n;
                        self.counters.rx_packets += 1;
                        self.throughput.add(now, n, 0);
                    }
                    Flow::Down => {
                        self.counters.tx_bytes += n;
                        self.counters.tx_packets += 1;
                        self.throughput.add(now, 0, n);
                    }
                }
                self.rx_records += 1;
                if let Some(c) = self.clients.get_mut(&peer) {
                    match flow {
                        Flow::Up => c.rx += n,
                        Flow::Down => c.tx += n,
                    }
                    self.clients_version += 1;
                }
                Some(Entry {
                    time,
                    dir: Direction::of_flow(flow),
                    peer: Some(client),
                    bytes: data,
                    added: 0,
                    note: None,
                    message: None,
                })
            }
            Event::Rewritten {
                flow,
                client,
                time,
                data,
                rules,
                matches,
                original_len,
                ..
            } => {
                let note = Note::Rewritten {
                    flow,
                    rules,
                    matches,
                    original: original_len,
                    forwarded: data.len(),
                    preview: preview(&data, PREVIEW_CHARS),
                };
                // The row keeps the bytes forwarded (a capture saved from
                // the log puts them on the server's leg).
                Some(Entry {
                    bytes: data,
                    ..Entry::event(time, Some(client), note)
                })
            }
            Event::RewriteFailed {
                flow,
                client,
                rule,
                name,
                reason,
                ..
            } => Some(Entry::event(
                wall(),
                Some(client),
                Note::RewriteFailed {
                    flow,
                    rule,
                    name,
                    reason,
                },
            )),
            Event::FaultFired {
                flow,
                client,
                fault,
                ..
            } => Some(Entry::event(
                wall(),
                Some(client),
                Note::Fault { flow, fault },
            )),
            Event::Ws { addr, event, .. } => {
                Some(Entry::event(wall(), Some(addr), Note::Ws(Box::new(event))))
            }
            Event::LoadStarted(plan) => {
                self.load = Some(LoadState::new((*plan).clone()));
                Some(Entry::event(wall(), None, Note::LoadStarted(plan)))
            }
            Event::LoadProgress(snapshot) => {
                self.load_counters(&snapshot);
                // The status bar's rates follow the run's seconds.
                for r in &snapshot.seconds {
                    self.throughput.add(now, r.received_bytes, r.sent_bytes);
                }
                if let Some(load) = &mut self.load {
                    load.progress(*snapshot);
                }
                None
            }
            // The runtime logs every row of a sample (`load::sample_rows`);
            // here, the first.
            Event::LoadSample(sample) => super::load::sample_rows(*sample).into_iter().next(),
            Event::LoadFinished(summary) => {
                self.load_counters(&summary.last);
                let row = super::load::finished_row(&summary);
                if let Some(load) = &mut self.load {
                    load.finished(*summary);
                }
                Some(row)
            }
            Event::Error(err) => Some(self.error(err)),
            Event::Closed => {
                self.link = LinkState::Closed;
                self.connection = None;
                self.groups.clear();
                self.set_clients(BTreeMap::new());
                Some(Entry::event(wall(), None, Note::Closed))
            }
        }
    }

    /// A load run's totals in the status bar's counters.
    fn load_counters(&mut self, s: &crate::net::load::LoadSnapshot) {
        let t = &s.totals;
        self.counters = Counters {
            rx_bytes: t.received_bytes,
            tx_bytes: t.sent_bytes,
            rx_packets: t.received_messages,
            tx_packets: t.sent_messages,
        };
    }

    /// Shows an error in the status bar and gives its row.
    pub(crate) fn error(&mut self, err: NetError) -> Entry {
        self.set_status(Msg::Net(err.clone()), true);
        Entry::event(SystemTime::now(), None, Note::Failure(Box::new(err)))
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    /// What the runtime does with an event: apply it, log its row.
    fn feed(log: &mut SessionLog, event: Event) {
        if let Some(entry) = log.apply(event, Instant::now()) {
            log.push(entry);
        }
    }

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn a_command_line_log_keeps_only_the_newest_bytes_and_counts_nothing() {
        let mut window = SessionLog::new();
        let mut command_line = SessionLog::new();
        command_line.for_command_line(1000);
        for log in [&mut window, &mut command_line] {
            for _ in 0..3 {
                log.push(Entry::rx(
                    SystemTime::now(),
                    addr(7),
                    Bytes::from(vec![b'x'; 600]),
                ));
            }
        }
        assert_eq!(window.store().payload_bytes(), 1800);
        assert!(window.store().iter().all(|r| r.census().is_some()));
        // The newest record alone fits in 1000 bytes.
        assert_eq!(command_line.store().payload_bytes(), 600);
        assert!(command_line.store().iter().all(|r| r.census().is_none()));
    }

    #[test]
    fn a_server_session_in_events() {
        let mut log = SessionLog::new();
        log.opening(Mode::TcpServer);
        feed(
            &mut log,
            Event::Opened {
                mode: Mode::TcpServer,
                local: addr(8888),
            },
        );
        assert_eq!(log.link, LinkState::Open(Mode::TcpServer, addr(8888)));
        let v = log.clients_version;
        feed(
            &mut log,
            Event::Connected {
                peer: PeerId(1),
                addr: addr(5000),
                local: addr(8888),
            },
        );
        assert!(log.clients_version > v);
        feed(
            &mut log,
            Event::Received {
                peer: Some(PeerId(1)),
                addr: addr(5000),
                time: SystemTime::now(),
                data: Bytes::from_static(b"hello"),
                message: None,
            },
        );
        assert_eq!(log.clients[&PeerId(1)].rx, 5);
        assert_eq!(log.counters.rx_bytes, 5);
        assert_eq!(log.rx_records, 1);
        assert_eq!(log.last_sender, None, "TCP replies go to the connection");
        feed(
            &mut log,
            Event::PeerClosed {
                peer: PeerId(1),
                addr: addr(5000),
                how: CloseReason::Reset,
            },
        );
        assert!(log.clients.is_empty());
        feed(&mut log, Event::Error(NetError::NoClients));
        assert_eq!(log.status.as_ref().map(|s| s.error), Some(true));
        feed(&mut log, Event::Closed);
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
        log.opening(Mode::TcpClient);
        feed(
            &mut log,
            Event::Opened {
                mode: Mode::TcpClient,
                local: addr(5000),
            },
        );
        feed(
            &mut log,
            Event::Connected {
                peer: PeerId(7),
                addr: addr(8888),
                local: addr(5000),
            },
        );
        assert!(log.clients.is_empty(), "a client has no client list");
        let conn = |log: &SessionLog| log.connection.as_ref().map(|(p, c)| (*p, c.clone()));
        let (peer, info) = conn(&log).unwrap();
        assert_eq!((peer, info.addr), (PeerId(7), addr(8888)));
        assert!(!info.peer_finished && !info.we_finished);
        let first = log.we_finished(PeerId(7));
        log.push(first.expect("a row for our FIN"));
        assert!(log.we_finished(PeerId(7)).is_none(), "once is enough");
        assert!(log.we_finished(PeerId(99)).is_none(), "not a connection");
        feed(
            &mut log,
            Event::HalfClosed {
                peer: PeerId(7),
                addr: addr(8888),
            },
        );
        let (_, info) = conn(&log).unwrap();
        assert!(info.peer_finished && info.we_finished);
        feed(
            &mut log,
            Event::PeerClosed {
                peer: PeerId(7),
                addr: addr(8888),
                how: CloseReason::Orderly,
            },
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
