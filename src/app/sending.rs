//! Opening and closing the link, and sending: every check on what the user
//! typed happens here, and nothing opens or is sent when one fails.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::codec::{InputMode, build_payload};
use crate::i18n::T;
use crate::net::{HostPort, SessionConfig, SessionHandle, Target, parse_port};
use crate::ui::errors::Msg;
use crate::ui::settings::{ModeChoice, SentItem, Settings};

use super::{FieldErrors, LinkState, LoopSend, NetAssistApp};

impl NetAssistApp {
    pub(super) fn toggle_open(&mut self) {
        if self.model.link != LinkState::Closed {
            self.engine.close();
            // The worker's last events (Closed among them) are in the queue.
            while self.engine.events().try_recv().is_some_and(|e| {
                self.on_event(e);
                true
            }) {}
            self.model.link = LinkState::Closed;
            return;
        }
        self.model.errors = FieldErrors::default();
        let Some(config) = self.session_config() else {
            return;
        };
        self.model.status = None;
        self.model.link = LinkState::Opening(config.mode());
        self.model.last_sender = None;
        self.engine.open(config);
    }

    /// Checks the network fields; on any problem, says so next to the field
    /// and returns None (nothing opens).
    pub(super) fn session_config(&mut self) -> Option<SessionConfig> {
        let s = &self.model.settings;
        let e = &mut self.model.errors;
        let ip = s
            .local_ip
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let ip = match ip.parse::<std::net::IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) => {
                e.local_ip = Some(Msg::with(T::ErrLocalAddr, &[&s.local_ip.trim()]));
                None
            }
        };
        let port_text = match s.mode {
            ModeChoice::TcpClient => s.client_local_port.trim(),
            _ => s.local_port.trim(),
        };
        let port = if port_text.is_empty() && s.mode == ModeChoice::TcpClient {
            Some(0)
        } else {
            match parse_port(port_text, 0) {
                Ok(p) => Some(p),
                Err(_) => {
                    e.local_port = Some(Msg::with(T::ErrPort, &[&0]));
                    None
                }
            }
        };
        let remote = match s.mode {
            ModeChoice::TcpServer => None,
            ModeChoice::TcpClient => Some(Self::remote(s, e, true)?),
            ModeChoice::Udp => Self::remote(s, e, false),
        };
        let bind = SocketAddr::new(ip?, port?);
        if let Some(r) = &remote {
            self.model.settings.remember_remote(r.to_string());
        }
        let config = match self.model.settings.mode {
            ModeChoice::TcpServer => SessionConfig::TcpServer { bind },
            ModeChoice::TcpClient => SessionConfig::TcpClient {
                remote: remote?,
                // A client binds only when asked for a fixed local port.
                bind: (bind.port() != 0).then_some(bind),
            },
            ModeChoice::Udp => SessionConfig::Udp { bind, remote },
        };
        Some(config)
    }

    /// Parses the remote fields. `required`: an empty remote is an error.
    fn remote(s: &Settings, e: &mut FieldErrors, required: bool) -> Option<HostPort> {
        let (host, port) = (s.remote_host.trim(), s.remote_port.trim());
        if host.is_empty() && port.is_empty() && !required {
            return None;
        }
        let port = match parse_port(port, 1) {
            Ok(p) => p,
            Err(_) => {
                e.remote = Some(Msg::with(T::ErrPort, &[&1]));
                return None;
            }
        };
        match HostPort::new(host, port) {
            Ok(hp) => Some(hp),
            Err(_) => {
                e.remote = Some(Msg::with(T::ErrHost, &[&host]));
                None
            }
        }
    }

    /// The open session and where a send goes now, or the message saying
    /// why nothing can be sent.
    pub(super) fn send_target(&mut self) -> Result<(SessionHandle, Target), Msg> {
        let handle = match (self.model.link, self.engine.handle()) {
            (LinkState::Open(..), Ok(h)) => h,
            _ => return Err(Msg::key(T::ErrNotOpen)),
        };
        let target = match self.model.settings.mode {
            ModeChoice::TcpClient => Target::Default,
            ModeChoice::TcpServer if self.model.clients.is_empty() => {
                return Err(Msg::key(T::ErrNoClients));
            }
            ModeChoice::TcpServer if self.model.settings.to_selected => {
                if self.model.selected.is_empty() {
                    return Err(Msg::key(T::ErrNoSelection));
                }
                Target::Peers(self.model.selected.iter().copied().collect())
            }
            ModeChoice::TcpServer => Target::All,
            ModeChoice::Udp => {
                let mut errors = FieldErrors::default();
                match Self::remote(&self.model.settings, &mut errors, false) {
                    Some(hp) => Target::Host(hp),
                    None if errors.remote.is_some() => {
                        self.model.errors.remote = errors.remote.clone();
                        return Err(errors.remote.unwrap_or(Msg::key(T::ErrNoRemote)));
                    }
                    None => match self.model.last_sender {
                        Some(addr) => Target::Addr(addr),
                        None => return Err(Msg::key(T::NetNoRemote)),
                    },
                }
            }
        };
        Ok((handle, target))
    }

    /// Builds the send box's bytes, or the message for the field.
    pub(super) fn payload(&self) -> Result<Bytes, Msg> {
        let s = &self.model.settings;
        if s.send_text.is_empty() {
            return Err(Msg::key(T::ErrEmpty));
        }
        match build_payload(&s.send_text, &s.send) {
            Ok(p) if p.bytes.is_empty() => Err(Msg::key(T::ErrEmpty)),
            Ok(p) => Ok(Bytes::from(p.bytes)),
            Err(e) => Err(Msg::Payload(e)),
        }
    }

    pub(super) fn send_box(&mut self) {
        self.model.errors.send = None;
        let data = match self.payload() {
            Ok(d) => d,
            Err(msg) => return self.model.errors.send = Some(msg),
        };
        let label = match self.model.settings.send.mode {
            InputMode::Text => self.model.settings.send_text.clone(),
            InputMode::Hex => crate::codec::to_hex(&data),
        };
        self.send_bytes(data, Some(label));
    }

    pub(super) fn send_bytes(&mut self, data: Bytes, label: Option<String>) {
        self.model.errors.send = None;
        match self.send_target() {
            Ok((handle, target)) => {
                if let Err(e) = handle.send(target, data.clone()) {
                    self.model.errors.send = Some(Msg::Net(e));
                    return;
                }
                if let Some(label) = label {
                    self.model.settings.remember_sent(SentItem {
                        label,
                        bytes: data.to_vec(),
                    });
                }
            }
            Err(msg) => self.model.errors.send = Some(msg),
        }
    }

    pub(super) fn start_loop(&mut self) {
        self.model.errors.loop_ms = None;
        let every = match self.model.settings.loop_ms.trim().parse::<u64>() {
            Ok(ms) if (1..=3_600_000).contains(&ms) => Duration::from_millis(ms),
            _ => {
                self.model.errors.loop_ms = Some(Msg::key(T::ErrInterval));
                return;
            }
        };
        let data = match self.payload() {
            Ok(d) => d,
            Err(msg) => return self.model.errors.send = Some(msg),
        };
        match self.send_target() {
            Ok((_, target)) => {
                self.model.looping = Some(LoopSend {
                    every,
                    next: Instant::now(),
                    data,
                    target,
                });
            }
            Err(msg) => self.model.errors.send = Some(msg),
        }
    }
}
