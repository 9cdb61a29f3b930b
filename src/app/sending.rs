//! Opening and closing a tab's link, and sending: every check on what the
//! user typed happens here, and nothing opens or is sent when one fails.

use std::time::Duration;

use bytes::Bytes;

use crate::codec::{InputMode, build_payload};
use crate::i18n::T;
use crate::messages::Msg;
use crate::net::ws::MessageKind;
use crate::net::{Periodic, PeriodicProgress, SendMeta, SessionHandle, Target};
use crate::session::LinkState;
use crate::settings::{
    AppSettings, FieldErrors, ModeChoice, SentItem, remote_target, session_config,
};

use super::tab::{LoopRun, Tab};

/// Longest loop interval the window accepts: 24 hours.
const MAX_LOOP_MS: u64 = 24 * 60 * 60 * 1000;

impl Tab {
    /// Opens the link, or closes it when it is open or opening.
    pub(crate) fn toggle_open(&mut self, app: &mut AppSettings) {
        if self.link() != LinkState::Closed {
            self.stop_loop();
            if let Some(f) = &self.file_send {
                f.cancel();
            }
            self.session.close();
            return;
        }
        self.errors = FieldErrors::default();
        if self.settings.mode == ModeChoice::Load {
            match crate::settings::load_config(&self.settings, &app.automation) {
                Ok(config) => self
                    .session
                    .open(crate::net::SessionConfig::Load(Box::new(config))),
                Err(msg) => self.errors.load = Some(msg),
            }
            return;
        }
        match session_config(&self.settings) {
            Ok(config) => {
                if let crate::net::SessionConfig::TcpClient { remote, .. }
                | crate::net::SessionConfig::Udp {
                    remote: Some(remote),
                    ..
                } = &config
                {
                    app.remember_remote(remote.to_string());
                }
                self.ui.selected.clear();
                self.session.open(config);
            }
            Err(errors) => self.errors = *errors,
        }
    }

    /// The open session and where a send goes now, or the message saying
    /// why nothing can be sent.
    pub(crate) fn send_target(&mut self) -> Result<(SessionHandle, Target), Msg> {
        let (link, last_sender) = {
            let log = self.session.log();
            (log.link(), log.last_sender())
        };
        let handle = match (link, self.session.handle()) {
            (LinkState::Open(..), Ok(h)) => h,
            _ => return Err(Msg::key(T::ErrNotOpen)),
        };
        self.refresh_clients();
        let target = match self.settings.mode {
            // A load run's clients follow their script; nothing is sent by hand.
            ModeChoice::Load => return Err(Msg::key(T::ErrNotOpen)),
            ModeChoice::TcpClient | ModeChoice::WsClient => Target::Default,
            ModeChoice::TcpServer
            | ModeChoice::WsServer
            | ModeChoice::Relay
            | ModeChoice::UdpRelay
                if self.clients.is_empty() =>
            {
                return Err(Msg::key(T::ErrNoClients));
            }
            ModeChoice::TcpServer
            | ModeChoice::WsServer
            | ModeChoice::Relay
            | ModeChoice::UdpRelay
                if self.settings.to_selected =>
            {
                if self.ui.selected.is_empty() {
                    return Err(Msg::key(T::ErrNoSelection));
                }
                Target::Peers(self.ui.selected.iter().copied().collect())
            }
            ModeChoice::TcpServer
            | ModeChoice::WsServer
            | ModeChoice::Relay
            | ModeChoice::UdpRelay => Target::All,
            ModeChoice::Udp => match remote_target(&self.settings) {
                Ok(Some(hp)) => Target::Host(hp),
                Err(msg) => {
                    self.errors.remote = Some(msg.clone());
                    return Err(msg);
                }
                Ok(None) => match last_sender {
                    Some(addr) => Target::Addr(addr),
                    None => return Err(Msg::key(T::NetNoRemote)),
                },
            },
        };
        Ok((handle, target))
    }

    /// Builds the send box's bytes and how many of them NetAssist added
    /// (line ending, checksum), or the message for the field.
    pub(crate) fn payload(&self) -> Result<(Bytes, SendMeta), Msg> {
        let s = &self.settings;
        if s.send_text.is_empty() {
            return Err(Msg::key(T::ErrEmpty));
        }
        match build_payload(&s.send_text, &s.send) {
            Ok(p) if p.bytes.is_empty() => Err(Msg::key(T::ErrEmpty)),
            Ok(p) => {
                // WebSocket: the tab's text/binary choice; hex input is binary.
                let message = s.mode.is_ws().then_some(match s.send.mode {
                    InputMode::Hex => MessageKind::Binary,
                    _ => s.ws.kind,
                });
                let meta = SendMeta {
                    added_tail: u32::try_from(p.added_tail).unwrap_or(0),
                    message,
                };
                Ok((Bytes::from(p.bytes), meta))
            }
            Err(e) => Err(Msg::Payload(e)),
        }
    }

    /// Sends the send box's contents.
    pub(crate) fn send_box(&mut self, app: &mut AppSettings) {
        self.errors.send = None;
        let (data, meta) = match self.payload() {
            Ok(d) => d,
            Err(msg) => return self.errors.send = Some(msg),
        };
        // A short label: the history keeps the bytes, not a second copy of
        // a large input.
        let label: String = match self.settings.send.mode {
            InputMode::Text => self.settings.send_text.chars().take(200).collect(),
            InputMode::Hex => crate::codec::to_hex(&data[..data.len().min(64)]),
        };
        if self.send_bytes(data.clone(), meta) {
            app.remember_sent(SentItem {
                label,
                bytes: data.to_vec(),
            });
        }
    }

    /// Sends `data` to the current target; true when it was handed over.
    pub(crate) fn send_bytes(&mut self, data: Bytes, meta: SendMeta) -> bool {
        self.errors.send = None;
        match self.send_target() {
            Ok((handle, target)) => match handle.send_with(target, data, meta) {
                Ok(()) => true,
                Err(e) => {
                    self.errors.send = Some(Msg::Net(e));
                    false
                }
            },
            Err(msg) => {
                self.errors.send = Some(msg);
                false
            }
        }
    }

    /// Starts sending the send box's contents on the engine's clock: every
    /// N ms, a given number of times or until stopped.
    pub(crate) fn start_loop(&mut self) {
        self.errors.loop_ms = None;
        let every = match self.settings.loop_ms.trim().parse::<u64>() {
            Ok(ms) if (1..=MAX_LOOP_MS).contains(&ms) => Duration::from_millis(ms),
            _ => {
                self.errors.loop_ms = Some(Msg::key(T::ErrInterval));
                return;
            }
        };
        let count = match self.settings.loop_count.trim() {
            "" => None,
            text => match text.parse::<u64>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    self.errors.loop_ms = Some(Msg::key(T::ErrLoopCount));
                    return;
                }
            },
        };
        let (data, meta) = match self.payload() {
            Ok(d) => d,
            Err(msg) => return self.errors.send = Some(msg),
        };
        let (handle, target) = match self.send_target() {
            Ok(ht) => ht,
            Err(msg) => return self.errors.send = Some(msg),
        };
        let periodic = Periodic {
            meta,
            count,
            ..Periodic::repeat(target, data, every)
        };
        match handle.start_periodic(periodic) {
            Ok(id) => self.looping = Some(LoopRun { id, handle }),
            Err(e) => self.errors.loop_ms = Some(Msg::Net(e)),
        }
    }

    /// A relay: checks the faults as typed and hands them to the running
    /// relay (data read from then on follows them); a wrong field gets its
    /// message and nothing changes.
    pub(crate) fn apply_faults(&mut self) {
        self.errors.faults = None;
        let faults = match crate::settings::faults(&self.settings) {
            Ok(f) => f,
            Err(msg) => {
                self.errors.faults = Some(msg);
                return;
            }
        };
        if let (LinkState::Open(..), Ok(h)) = (self.link(), self.session.handle())
            && let Err(e) = h.set_faults(faults)
        {
            self.errors.faults = Some(Msg::Net(e));
        }
    }

    /// UDP: joins the group typed in the multicast field, now if the link
    /// is open, else at the next open.
    pub(crate) fn join_group(&mut self) {
        self.errors.multicast = None;
        let text = self.settings.multicast_join.trim().to_string();
        let m = match crate::net::parse_membership(&text) {
            Ok(m) => m,
            Err(_) => {
                self.errors.multicast = Some(Msg::with(T::ErrGroup, &[&text]));
                return;
            }
        };
        match (self.link(), self.session.handle()) {
            (LinkState::Open(..), Ok(h)) => {
                if let Err(e) = h.join(m) {
                    self.errors.multicast = Some(Msg::Net(e));
                    return;
                }
            }
            _ => {
                if !self.settings.multicast_groups.contains(&text) {
                    self.settings.multicast_groups.push(text);
                }
            }
        }
        self.settings.multicast_join.clear();
    }

    /// Stops loop sending at once.
    pub(crate) fn stop_loop(&mut self) {
        if let Some(run) = self.looping.take() {
            run.handle.stop_periodic(run.id);
        }
    }

    /// How far the loop has got, `None` once it has ended (the log says why).
    pub(crate) fn loop_progress(&mut self) -> Option<PeriodicProgress> {
        let progress = self
            .looping
            .as_ref()
            .and_then(|run| run.handle.periodic_progress(run.id));
        if progress.is_none() {
            self.looping = None;
        }
        progress
    }
}
