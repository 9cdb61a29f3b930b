//! Checking what the user typed into a tab's network fields: either a
//! [`SessionConfig`] to open, or a message for each field that is wrong (and
//! nothing opens).

use std::net::{IpAddr, SocketAddr};

use crate::i18n::T;
use crate::messages::Msg;
use crate::net::{HostPort, SessionConfig, parse_port};

use super::{ModeChoice, SessionSettings};

/// Messages shown next to the fields they are about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    /// Local address.
    pub local_ip: Option<Msg>,
    /// Local port.
    pub local_port: Option<Msg>,
    /// Remote host or port.
    pub remote: Option<Msg>,
    /// The send box (hex, escapes, encoding, nothing to send to).
    pub send: Option<Msg>,
    /// Loop interval.
    pub loop_ms: Option<Msg>,
}

/// The configuration the network fields describe, or the messages for the
/// fields that are wrong.
pub fn session_config(s: &SessionSettings) -> Result<SessionConfig, Box<FieldErrors>> {
    let mut e = FieldErrors::default();
    let ip_text = s
        .local_ip
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let ip = match ip_text.parse::<IpAddr>() {
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
        ModeChoice::TcpServer => Ok(None),
        ModeChoice::TcpClient => remote(s, true),
        ModeChoice::Udp => remote(s, false),
    };
    let remote = match remote {
        Ok(r) => r,
        Err(msg) => {
            e.remote = Some(msg);
            None
        }
    };
    let (Some(ip), Some(port)) = (ip, port) else {
        return Err(Box::new(e));
    };
    if e.remote.is_some() {
        return Err(Box::new(e));
    }
    let bind = SocketAddr::new(ip, port);
    Ok(match s.mode {
        ModeChoice::TcpServer => SessionConfig::TcpServer { bind },
        ModeChoice::TcpClient => match remote {
            Some(remote) => SessionConfig::TcpClient {
                remote,
                // A client binds only when asked for a fixed local port.
                bind: (bind.port() != 0).then_some(bind),
            },
            None => {
                e.remote = Some(Msg::key(T::ErrNoRemote));
                return Err(Box::new(e));
            }
        },
        ModeChoice::Udp => SessionConfig::udp(bind, remote),
    })
}

/// The remote fields of a UDP tab as a send target: `Ok(None)` when both
/// are empty (send to whoever sent last), else the host and port or the
/// message for the field.
pub fn remote_target(s: &SessionSettings) -> Result<Option<HostPort>, Msg> {
    remote(s, false)
}

/// Parses the remote fields. `required`: an empty remote is an error.
fn remote(s: &SessionSettings, required: bool) -> Result<Option<HostPort>, Msg> {
    let (host, port) = (s.remote_host.trim(), s.remote_port.trim());
    if host.is_empty() && port.is_empty() {
        return if required {
            Err(Msg::key(T::ErrNoRemote))
        } else {
            Ok(None)
        };
    }
    let port = parse_port(port, 1).map_err(|_| Msg::with(T::ErrPort, &[&1]))?;
    HostPort::new(host, port)
        .map(Some)
        .map_err(|_| Msg::with(T::ErrHost, &[&host]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_field_gets_its_message() {
        let s = SessionSettings {
            local_ip: "nope".into(),
            local_port: "70000".into(),
            ..SessionSettings::default()
        };
        let e = session_config(&s).unwrap_err();
        assert_eq!(e.local_ip, Some(Msg::with(T::ErrLocalAddr, &[&"nope"])));
        assert_eq!(e.local_port, Some(Msg::with(T::ErrPort, &[&0])));
        assert_eq!(e.remote, None);

        let c = SessionSettings {
            mode: ModeChoice::TcpClient,
            remote_host: String::new(),
            remote_port: String::new(),
            ..SessionSettings::default()
        };
        let e = session_config(&c).unwrap_err();
        assert_eq!(e.remote, Some(Msg::key(T::ErrNoRemote)));
        let c = SessionSettings {
            remote_port: "0".into(),
            ..c
        };
        assert_eq!(
            session_config(&c).unwrap_err().remote,
            Some(Msg::with(T::ErrPort, &[&1]))
        );
    }

    #[test]
    fn good_fields_make_a_config() {
        let s = SessionSettings::default();
        assert_eq!(
            session_config(&s),
            Ok(SessionConfig::TcpServer {
                bind: "127.0.0.1:8888".parse().unwrap()
            })
        );
        let u = SessionSettings {
            mode: ModeChoice::Udp,
            remote_host: String::new(),
            remote_port: String::new(),
            ..SessionSettings::default()
        };
        assert!(matches!(
            session_config(&u),
            Ok(SessionConfig::Udp { remote: None, .. })
        ));
        let c = SessionSettings {
            mode: ModeChoice::TcpClient,
            local_ip: "[::1]".into(),
            ..SessionSettings::default()
        };
        assert!(matches!(
            session_config(&c),
            Ok(SessionConfig::TcpClient { bind: None, .. })
        ));
    }
}
