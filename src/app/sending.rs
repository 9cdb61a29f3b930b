//! Opening and closing a tab's link, and sending: every check on what the
//! user typed happens here, and nothing opens or is sent when one fails.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::codec::{InputMode, build_payload};
use crate::i18n::T;
use crate::messages::Msg;
use crate::net::{SessionHandle, Target};
use crate::session::LinkState;
use crate::settings::{
    AppSettings, FieldErrors, ModeChoice, SentItem, remote_target, session_config,
};

use super::tab::Tab;

/// Loop sending in progress.
#[derive(Debug, Clone)]
pub struct LoopSend {
    /// Interval.
    pub every: Duration,
    /// When the next send is due.
    pub next: Instant,
    /// What is sent each time.
    pub data: Bytes,
    /// Where to.
    pub target: Target,
}

impl Tab {
    /// Opens the link, or closes it when it is open or opening.
    pub(crate) fn toggle_open(&mut self, app: &mut AppSettings) {
        if self.link() != LinkState::Closed {
            self.looping = None;
            if let Some(f) = &self.file_send {
                f.cancel();
            }
            self.session.close();
            return;
        }
        self.errors = FieldErrors::default();
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
            (log.link, log.last_sender)
        };
        let handle = match (link, self.session.handle()) {
            (LinkState::Open(..), Ok(h)) => h,
            _ => return Err(Msg::key(T::ErrNotOpen)),
        };
        self.refresh_clients();
        let target = match self.settings.mode {
            ModeChoice::TcpClient => Target::Default,
            ModeChoice::TcpServer if self.clients.is_empty() => {
                return Err(Msg::key(T::ErrNoClients));
            }
            ModeChoice::TcpServer if self.settings.to_selected => {
                if self.ui.selected.is_empty() {
                    return Err(Msg::key(T::ErrNoSelection));
                }
                Target::Peers(self.ui.selected.iter().copied().collect())
            }
            ModeChoice::TcpServer => Target::All,
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

    /// Builds the send box's bytes, or the message for the field.
    pub(crate) fn payload(&self) -> Result<Bytes, Msg> {
        let s = &self.settings;
        if s.send_text.is_empty() {
            return Err(Msg::key(T::ErrEmpty));
        }
        match build_payload(&s.send_text, &s.send) {
            Ok(bytes) if bytes.is_empty() => Err(Msg::key(T::ErrEmpty)),
            Ok(bytes) => Ok(Bytes::from(bytes)),
            Err(e) => Err(Msg::Payload(e)),
        }
    }

    /// Sends the send box's contents.
    pub(crate) fn send_box(&mut self, app: &mut AppSettings) {
        self.errors.send = None;
        let data = match self.payload() {
            Ok(d) => d,
            Err(msg) => return self.errors.send = Some(msg),
        };
        let label = match self.settings.send.mode {
            InputMode::Text => self.settings.send_text.clone(),
            InputMode::Hex => crate::codec::to_hex(&data),
        };
        if self.send_bytes(data.clone()) {
            app.remember_sent(SentItem {
                label,
                bytes: data.to_vec(),
            });
        }
    }

    /// Sends `data` to the current target; true when it was handed over.
    pub(crate) fn send_bytes(&mut self, data: Bytes) -> bool {
        self.errors.send = None;
        match self.send_target() {
            Ok((handle, target)) => match handle.send(target, data) {
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

    pub(crate) fn start_loop(&mut self) {
        self.errors.loop_ms = None;
        let every = match self.settings.loop_ms.trim().parse::<u64>() {
            Ok(ms) if (1..=3_600_000).contains(&ms) => Duration::from_millis(ms),
            _ => {
                self.errors.loop_ms = Some(Msg::key(T::ErrInterval));
                return;
            }
        };
        let data = match self.payload() {
            Ok(d) => d,
            Err(msg) => return self.errors.send = Some(msg),
        };
        match self.send_target() {
            Ok((_, target)) => {
                self.looping = Some(LoopSend {
                    every,
                    next: Instant::now(),
                    data,
                    target,
                });
            }
            Err(msg) => self.errors.send = Some(msg),
        }
    }

    /// Sends the loop's payload when it is due; returns how long until the
    /// next one.
    pub(crate) fn tick_loop(&mut self, now: Instant) -> Option<Duration> {
        if self.link() == LinkState::Closed {
            self.looping = None;
        }
        let lp = self.looping.as_mut()?;
        if now >= lp.next {
            lp.next = now + lp.every;
            if let Ok(h) = self.session.handle() {
                let _ = h.send(lp.target.clone(), lp.data.clone());
            }
        }
        Some(lp.next.saturating_duration_since(now))
    }
}
