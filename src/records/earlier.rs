//! What the records that are no longer held had established: the session
//! that was open and its live TCP connections. An export of the held records
//! (a pcapng file) needs these addresses after the records that told them
//! have been dropped or cleared.

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::net::Mode;

use super::record::{Direction, Note, Opener, Record};

/// One live TCP connection as its `Connected` record told it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct LiveConn {
    /// Our side's address.
    pub(crate) local: SocketAddr,
    /// Which end connected.
    pub(crate) by: Opener,
}

/// The state before the oldest held record. Bounded by the number of
/// connections live at once: every connection leaves it when it closes, and
/// all of them when their session closes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Earlier {
    /// The open session's mode and local address.
    pub(crate) session: Option<(Mode, SocketAddr)>,
    /// Live connections by peer address.
    pub(crate) conns: HashMap<SocketAddr, LiveConn>,
}

impl Earlier {
    /// Takes in one record as it leaves the store.
    pub(crate) fn absorb(&mut self, record: &Record) {
        if record.dir != Direction::Event {
            return;
        }
        let Some(note) = record.note.as_deref() else {
            return;
        };
        match (note, record.peer) {
            (Note::Opened { local, mode }, _) => {
                self.session = Some((*mode, *local));
                self.conns.clear();
            }
            (Note::Connected { local, by }, Some(peer)) => {
                let conn = LiveConn {
                    local: *local,
                    by: *by,
                };
                self.conns.insert(peer, conn);
            }
            (
                Note::ClosedByPeer | Note::Reset | Note::Disconnected | Note::Error { .. },
                Some(peer),
            ) => {
                self.conns.remove(&peer);
            }
            (Note::Closed, _) => {
                self.session = None;
                self.conns.clear();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::records::{RecordStore, StoreConfig};

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn dropped_and_cleared_records_leave_their_facts() {
        let mut s = RecordStore::new(StoreConfig {
            max_records: 2,
            ..StoreConfig::default()
        });
        let now = SystemTime::now();
        let local = addr(9000);
        let mode = Mode::TcpServer;
        s.push_event(now, None, Note::Opened { local, mode });
        let by = Opener::Peer;
        s.push_event(now, Some(addr(1)), Note::Connected { local, by });
        s.push_event(now, Some(addr(2)), Note::Connected { local, by });
        // The Opened record is gone; its facts are not.
        assert_eq!(s.earlier.session, Some((mode, local)));
        assert!(s.earlier.conns.is_empty());
        s.push_event(now, Some(addr(1)), Note::ClosedByPeer);
        assert_eq!(s.earlier.conns.len(), 1);
        assert_eq!(s.earlier.conns.get(&addr(1)).map(|c| c.by), Some(by));
        s.push_event(now, Some(addr(3)), Note::Connected { local, by });
        // Connected(2) was dropped; 1 was live before its close, still held.
        let mut live: Vec<_> = s.earlier.conns.keys().copied().collect();
        live.sort();
        assert_eq!(live, [addr(1), addr(2)]);
        // Clearing takes in the close of 1 and the connect of 3.
        s.clear();
        let mut live: Vec<_> = s.earlier.conns.keys().copied().collect();
        live.sort();
        assert_eq!(live, [addr(2), addr(3)]);
        s.push_event(now, None, Note::Closed);
        s.push_event(now, None, Note::Closed);
        s.push_event(now, None, Note::Closed);
        assert_eq!(s.earlier.session, None);
        assert!(s.earlier.conns.is_empty());
    }
}
