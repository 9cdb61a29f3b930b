//! Engine events: what each one changes in the model and the log.

use std::time::SystemTime;

use crate::i18n::T;
use crate::net::{CloseReason, Event, NetError};
use crate::records::{Note, Opener};
use crate::ui::errors::Msg;
use crate::ui::settings::ModeChoice;

use super::{ClientInfo, LinkState, NetAssistApp};

impl NetAssistApp {
    pub(super) fn on_event(&mut self, event: Event) {
        let now = SystemTime::now();
        let m = &mut self.model;
        match event {
            Event::Opened { mode, local } => {
                m.link = LinkState::Open(mode, local);
                self.log
                    .store
                    .push_event(now, None, Note::Opened { local, mode });
                m.status = None;
            }
            Event::Connected { peer, addr, local } => {
                let by = match m.link {
                    LinkState::Open(mode, _) => Opener::for_mode(mode),
                    _ => Opener::Peer,
                };
                if m.settings.mode == ModeChoice::TcpServer {
                    m.clients.insert(
                        peer,
                        ClientInfo {
                            addr,
                            since: now,
                            rx: 0,
                            tx: 0,
                        },
                    );
                }
                self.log
                    .store
                    .push_event(now, Some(addr), Note::Connected { local, by });
            }
            Event::Received {
                peer,
                addr,
                time,
                data,
            } => {
                m.stats.rx_bytes += data.len() as u64;
                m.stats.rx_packets += 1;
                if let Some(c) = peer.and_then(|p| m.clients.get_mut(&p)) {
                    c.rx += data.len() as u64;
                }
                if peer.is_none() {
                    m.last_sender = Some(addr);
                }
                if let Some(r) = &m.recorder {
                    r.write(&data);
                    if r.dropped() > 0 {
                        m.set_status(Msg::with(T::RecordBehind, &[&r.dropped()]), true);
                    }
                }
                self.log.store.push_rx(time, addr, data);
            }
            Event::Sent {
                peer,
                addr,
                time,
                data,
            } => {
                m.stats.tx_bytes += data.len() as u64;
                m.stats.tx_packets += 1;
                if let Some(c) = peer.and_then(|p| m.clients.get_mut(&p)) {
                    c.tx += data.len() as u64;
                }
                self.log.store.push_tx(time, addr, data);
            }
            Event::PeerClosed { peer, addr, how } => {
                m.clients.remove(&peer);
                m.selected.remove(&peer);
                let note = match how {
                    CloseReason::Fin => Note::ClosedByPeer,
                    CloseReason::Reset => Note::Reset,
                    CloseReason::Local => Note::Disconnected,
                    CloseReason::Error(message) => Note::Error { message },
                };
                self.log.store.push_event(now, Some(addr), note);
            }
            Event::Error(err) => self.on_error(&err),
            Event::Closed => {
                self.engine.close();
                let m = &mut self.model;
                m.link = LinkState::Closed;
                m.clients.clear();
                m.selected.clear();
                m.looping = None;
                if let Some(f) = &m.file_send {
                    f.cancel();
                }
                self.log.store.push_event(now, None, Note::Closed);
            }
        }
    }

    fn on_error(&mut self, err: &NetError) {
        self.log.store.push_event(
            SystemTime::now(),
            None,
            Note::Failure(Box::new(err.clone())),
        );
        self.model.set_status(Msg::Net(err.clone()), true);
    }
}
