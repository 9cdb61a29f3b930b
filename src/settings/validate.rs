//! Checking what the user typed into a tab's network fields: either a
//! [`SessionConfig`] to open, or a message for each field that is wrong (and
//! nothing opens).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::i18n::T;
use crate::messages::Msg;
use crate::net::relay::DEFAULT_UDP_IDLE;
use crate::net::ws::{MAX_MAX_MESSAGE, WsClientConfig, WsServerConfig, WsUrl};
use crate::net::{
    Delay, EndAfter, EndHow, FaultSet, Faults, Flow, HostPort, Iface, MulticastConfig,
    MulticastOptions, RelayConfig, SessionConfig, Slice, parse_membership, parse_port,
};

use super::{
    EndChoice, FaultDirection, ModeChoice, SessionSettings, TlsSettings, TlsVersionChoice,
};
use crate::net::tls::{
    ClientIdentity, ServerIdentity, ServerVerify, TlsClientConfig, TlsServerConfig, TlsVersions,
    default_cert_dir,
};

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
    /// Multicast group, TTL or interface.
    pub multicast: Option<Msg>,
    /// A relay's faults.
    pub faults: Option<Msg>,
    /// TLS.
    pub tls: Option<Msg>,
    /// WebSocket: URL, path, headers or the message limit.
    pub ws: Option<Msg>,
    /// A load test's fields.
    pub load: Option<Msg>,
}

/// The configuration the network fields describe, or the messages for the
/// fields that are wrong.
pub fn session_config(s: &SessionSettings) -> Result<SessionConfig, Box<FieldErrors>> {
    if s.mode == ModeChoice::Load {
        // Without the automation file: a payload script (the window gives
        // the file through `load_config`).
        let shared = crate::automation::AutomationFile::default();
        return super::load_config(s, &shared)
            .map(|c| SessionConfig::Load(Box::new(c)))
            .map_err(|m| {
                Box::new(FieldErrors {
                    load: Some(m),
                    ..FieldErrors::default()
                })
            });
    }
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
        ModeChoice::TcpClient | ModeChoice::WsClient => s.client_local_port.trim(),
        _ => s.local_port.trim(),
    };
    let port = if port_text.is_empty() && s.mode.is_client() {
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
        ModeChoice::TcpServer | ModeChoice::WsServer | ModeChoice::WsClient => Ok(None),
        ModeChoice::TcpClient => remote(s, true),
        ModeChoice::Udp => remote(s, false),
        ModeChoice::Relay | ModeChoice::UdpRelay => remote(s, true),
        ModeChoice::Load => Ok(None),
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
    let tls_error = |e: &mut FieldErrors, msg| {
        e.tls = Some(msg);
        Err(Box::new(e.clone()))
    };
    Ok(match s.mode {
        ModeChoice::TcpServer => SessionConfig::TcpServer {
            bind,
            tls: match tls_server(s) {
                Ok(t) => t,
                Err(msg) => return tls_error(&mut e, msg),
            },
        },
        ModeChoice::TcpClient => match remote {
            Some(remote) => SessionConfig::TcpClient {
                remote,
                // A client binds only when asked for a fixed local port.
                bind: (bind.port() != 0).then_some(bind),
                tls: match tls_client(s) {
                    Ok(t) => t,
                    Err(msg) => return tls_error(&mut e, msg),
                },
            },
            None => {
                e.remote = Some(Msg::key(T::ErrNoRemote));
                return Err(Box::new(e));
            }
        },
        ModeChoice::Udp => SessionConfig::Udp {
            bind,
            remote,
            multicast: match multicast(s) {
                Ok(m) => m,
                Err(msg) => {
                    e.multicast = Some(msg);
                    return Err(Box::new(e));
                }
            },
        },
        ModeChoice::Relay | ModeChoice::UdpRelay => {
            let udp = s.mode == ModeChoice::UdpRelay;
            let checked = (faults(s), udp_idle(s));
            let (Some(target), (Ok(faults), Ok(idle))) = (remote, checked.clone()) else {
                e.faults = checked.0.err().or(checked.1.err());
                if e.remote.is_none() && e.faults.is_none() {
                    e.remote = Some(Msg::key(T::ErrNoRemote));
                }
                return Err(Box::new(e));
            };
            let (tls_listen, tls_upstream) = match relay_tls(s) {
                Ok(t) => t,
                Err(msg) => return tls_error(&mut e, msg),
            };
            SessionConfig::Relay(Box::new(RelayConfig {
                listen: bind,
                target,
                udp,
                faults,
                udp_idle: idle,
                tls_listen,
                tls_upstream,
                rewrite: None,
            }))
        }
        ModeChoice::WsServer => {
            let tls = match tls_server(s) {
                Ok(t) => t,
                Err(msg) => return tls_error(&mut e, msg),
            };
            match ws_server(s, bind, tls) {
                Ok(c) => SessionConfig::WsServer(Box::new(c)),
                Err(msg) => {
                    e.ws = Some(msg);
                    return Err(Box::new(e));
                }
            }
        }
        ModeChoice::WsClient => {
            let bind = (bind.port() != 0).then_some(bind);
            match ws_client(s, bind) {
                Ok(Ok(c)) => SessionConfig::WsClient(Box::new(c)),
                Ok(Err(msg)) => return tls_error(&mut e, msg),
                Err(msg) => {
                    e.ws = Some(msg);
                    return Err(Box::new(e));
                }
            }
        }
        // Handled at the top.
        ModeChoice::Load => return Err(Box::new(e)),
    })
}

/// The message limit, in KiB as typed.
fn ws_max_message(s: &SessionSettings) -> Result<usize, Msg> {
    let text = s.ws.max_message_kib.trim();
    let max_kib = MAX_MAX_MESSAGE / 1024;
    match text.parse::<usize>() {
        Ok(kib) if (1..=max_kib).contains(&kib) => Ok(kib * 1024),
        _ => Err(Msg::with(T::ErrWsMaxMessage, &[&1, &max_kib])),
    }
}

/// A WebSocket server tab's settings.
fn ws_server(
    s: &SessionSettings,
    bind: SocketAddr,
    tls: Option<TlsServerConfig>,
) -> Result<WsServerConfig, Msg> {
    let path = s.ws.path.trim();
    let path = match path {
        "" => None,
        p if p.starts_with('/') && !p.contains(char::is_whitespace) => Some(p.to_string()),
        p => return Err(Msg::with(T::ErrWsPath, &[&p])),
    };
    Ok(WsServerConfig {
        bind,
        tls,
        path,
        max_message: ws_max_message(s)?,
        kind: s.ws.kind,
    })
}

/// `Name: value` request headers, one a line.
pub fn ws_headers(text: &str) -> Result<Vec<(String, String)>, Msg> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| match line.split_once(':') {
            Some((name, value))
                if !name.trim().is_empty()
                    && name
                        .trim()
                        .bytes()
                        .all(|b| b.is_ascii_graphic() && b != b':') =>
            {
                Ok((name.trim().to_string(), value.trim().to_string()))
            }
            _ => Err(Msg::with(T::ErrWsHeader, &[&line])),
        })
        .collect()
}

/// A WebSocket client tab's settings: the configuration, or the message
/// for the TLS section (inside `Ok`), or for the WebSocket fields.
fn ws_client(
    s: &SessionSettings,
    bind: Option<SocketAddr>,
) -> Result<Result<WsClientConfig, Msg>, Msg> {
    let url =
        WsUrl::parse(&s.ws.url).map_err(|err| Msg::with(T::ErrWsUrl, &[&s.ws.url.trim(), &err]))?;
    let headers = ws_headers(&s.ws.headers)?;
    let protocols =
        s.ws.protocols
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
    let max_message = ws_max_message(s)?;
    let tls = if url.secure {
        let own = match tls_pair(&s.tls) {
            Ok(own) => own.map(|(chain, key)| ClientIdentity { chain, key }),
            Err(msg) => return Ok(Err(msg)),
        };
        match client_side(&s.tls, own) {
            Ok(t) => Some(t),
            Err(msg) => return Ok(Err(msg)),
        }
    } else {
        None
    };
    Ok(Ok(WsClientConfig {
        url,
        headers,
        protocols,
        tls,
        bind,
        max_message,
        kind: s.ws.kind,
    }))
}

/// A relay tab's faults, or the message for the first field that is wrong.
/// Empty fields are off; a fault that does not apply to the tab's protocol
/// (slicing a datagram, dropping part of a byte stream) is left out.
pub fn faults(s: &SessionSettings) -> Result<Faults, Msg> {
    let r = &s.relay;
    let udp = s.mode == ModeChoice::UdpRelay;
    let number = |text: &str| -> Result<Option<u64>, Msg> {
        match text.trim() {
            "" => Ok(None),
            t => t
                .parse::<u64>()
                .map(Some)
                .map_err(|_| Msg::with(T::ErrFaultNumber, &[&t])),
        }
    };
    let percent = |text: &str| -> Result<u8, Msg> {
        match number(text)? {
            None => Ok(0),
            Some(p) if p <= 100 => Ok(p as u8),
            Some(p) => Err(Msg::with(T::ErrFaultPercent, &[&p])),
        }
    };
    let ms = |text: &str| number(text).map(|n| n.map(Duration::from_millis));
    let slice = match number(&r.slice)? {
        _ if udp => None,
        Some(0) => return Err(Msg::key(T::ErrFaultSlice)),
        Some(max) => Some(Slice {
            max: usize::try_from(max).unwrap_or(usize::MAX),
            random: r.slice_random,
            gap: ms(&r.slice_gap_ms)?.unwrap_or(Duration::ZERO),
        }),
        None => None,
    };
    let delay = ms(&r.delay_ms)?.map(|latency| Delay {
        latency,
        jitter: Duration::ZERO,
    });
    let delay = match (delay, ms(&r.jitter_ms)?) {
        (Some(d), Some(jitter)) => Some(Delay { jitter, ..d }),
        (d, _) => d,
    };
    let rate = match number(&r.rate)? {
        Some(0) => return Err(Msg::key(T::ErrFaultRate)),
        rate => rate,
    };
    let end_after = number(&r.end_after)?.map(|bytes| EndAfter {
        bytes,
        how: match r.end_how {
            EndChoice::Close => EndHow::Close,
            EndChoice::Reset => EndHow::Reset,
            EndChoice::Blackhole => EndHow::Blackhole,
        },
    });
    let set = FaultSet {
        slice,
        delay,
        rate,
        end_after: end_after.filter(|e| !udp || e.how == EndHow::Blackhole),
        drop_percent: if udp { percent(&r.drop)? } else { 0 },
        duplicate_percent: if udp { percent(&r.duplicate)? } else { 0 },
        reorder_percent: if udp { percent(&r.reorder)? } else { 0 },
    };
    let to = match r.direction {
        FaultDirection::Up => Some(Flow::Up),
        FaultDirection::Down => Some(Flow::Down),
        FaultDirection::Both => None,
    };
    Ok(Faults::applied(set, to))
}

/// A UDP relay's idle timeout for a client address.
fn udp_idle(s: &SessionSettings) -> Result<Duration, Msg> {
    match s.relay.udp_idle_s.trim() {
        "" => Ok(DEFAULT_UDP_IDLE),
        t => match t.parse::<u64>() {
            Ok(n) if n >= 1 => Ok(Duration::from_secs(n)),
            _ => Err(Msg::with(T::ErrUdpIdle, &[&t])),
        },
    }
}

/// The versions a tab allows.
fn tls_versions(s: &TlsSettings) -> TlsVersions {
    match s.version {
        TlsVersionChoice::Both => TlsVersions::Both,
        TlsVersionChoice::Tls12 => TlsVersions::Tls12Only,
        TlsVersionChoice::Tls13 => TlsVersions::Tls13Only,
    }
}

/// The ALPN list typed, comma-separated.
fn tls_alpn(s: &TlsSettings) -> Result<Vec<String>, Msg> {
    let mut out = Vec::new();
    for p in s.alpn.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if p.len() > 255 {
            return Err(Msg::with(T::ErrTlsAlpn, &[&p]));
        }
        out.push(p.to_string());
    }
    Ok(out)
}

/// A path typed, or none when the field is empty.
fn tls_path(text: &str) -> Option<PathBuf> {
    let t = text.trim();
    (!t.is_empty()).then(|| PathBuf::from(t))
}

/// A certificate and its key: both or neither.
fn tls_pair(s: &TlsSettings) -> Result<Option<(PathBuf, PathBuf)>, Msg> {
    match (tls_path(&s.cert), tls_path(&s.key)) {
        (Some(c), Some(k)) => Ok(Some((c, k))),
        (None, None) => Ok(None),
        _ => Err(Msg::key(T::ErrTlsCertKey)),
    }
}

/// A TCP server tab's TLS (`None` when off).
pub fn tls_server(s: &SessionSettings) -> Result<Option<TlsServerConfig>, Msg> {
    if !s.tls.enabled {
        return Ok(None);
    }
    server_side(&s.tls).map(Some)
}

/// The TLS a server side presents: a TCP server's, or a relay's towards its
/// clients.
fn server_side(t: &TlsSettings) -> Result<TlsServerConfig, Msg> {
    let identity = match tls_pair(t)? {
        Some((chain, key)) => ServerIdentity::Pem { chain, key },
        None => ServerIdentity::SelfSigned {
            dir: default_cert_dir().ok_or(Msg::key(T::ErrTlsNoConfigDir))?,
        },
    };
    Ok(TlsServerConfig {
        identity,
        client_ca: tls_path(&t.client_ca),
        versions: tls_versions(t),
        alpn: tls_alpn(t)?,
        key_log: tls_path(&t.keylog),
    })
}

/// A TCP client tab's TLS (`None` when off).
pub fn tls_client(s: &SessionSettings) -> Result<Option<TlsClientConfig>, Msg> {
    if !s.tls.enabled {
        return Ok(None);
    }
    let own = tls_pair(&s.tls)?.map(|(chain, key)| ClientIdentity { chain, key });
    client_side(&s.tls, own).map(Some)
}

/// The TLS a client side speaks: a TCP client's, or a relay's towards its
/// server (`own`: a certificate to give a server that asks).
fn client_side(t: &TlsSettings, own: Option<ClientIdentity>) -> Result<TlsClientConfig, Msg> {
    let verify = match (tls_path(&t.ca), t.insecure) {
        (_, true) => ServerVerify::Insecure,
        (Some(ca), false) => ServerVerify::CaFile(ca),
        (None, false) => ServerVerify::SystemRoots,
    };
    Ok(TlsClientConfig {
        verify,
        sni: Some(t.sni.trim().to_string()).filter(|n| !n.is_empty()),
        alpn: tls_alpn(t)?,
        client_cert: own,
        versions: tls_versions(t),
        key_log: tls_path(&t.keylog),
    })
}

/// A load tab's TLS towards a `tls://` target: the client checks of the
/// TLS section (its own certificate too, if one is given).
pub fn load_tls(t: &TlsSettings) -> Result<TlsClientConfig, Msg> {
    let own = tls_pair(t)?.map(|(chain, key)| ClientIdentity { chain, key });
    client_side(t, own)
}

/// A TCP relay tab's TLS: towards its clients (the certificate and key
/// fields are the relay's own) and towards its server.
pub fn relay_tls(
    s: &SessionSettings,
) -> Result<(Option<TlsServerConfig>, Option<TlsClientConfig>), Msg> {
    let r = &s.relay;
    if s.mode != ModeChoice::Relay {
        return Ok((None, None));
    }
    let listen = if r.tls_listen {
        Some(server_side(&s.tls)?)
    } else {
        None
    };
    let upstream = if r.tls_upstream {
        Some(client_side(&s.tls, None)?)
    } else {
        None
    };
    Ok((listen, upstream))
}

/// The multicast fields of a UDP tab: groups to join at open, TTL,
/// loopback and the sending interface.
pub fn multicast(s: &SessionSettings) -> Result<MulticastConfig, Msg> {
    let mut groups = Vec::with_capacity(s.multicast_groups.len());
    for g in &s.multicast_groups {
        groups.push(parse_membership(g).map_err(|_| Msg::with(T::ErrGroup, &[&g.trim()]))?);
    }
    let ttl = match s.multicast_ttl.trim() {
        "" => None,
        t => match t.parse::<u32>() {
            Ok(n) if n <= 255 => Some(n),
            _ => return Err(Msg::with(T::ErrTtl, &[&t])),
        },
    };
    let iface = match s.multicast_if.trim() {
        "" => None,
        t => Some(Iface::parse(t)),
    };
    Ok(MulticastConfig {
        groups,
        options: MulticastOptions {
            ttl,
            loopback: Some(s.multicast_loop),
            iface,
        },
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
                bind: "127.0.0.1:8888".parse().unwrap(),
                tls: None,
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
        let m = SessionSettings {
            multicast_groups: vec!["239.1.2.3@eth0".into()],
            multicast_ttl: "4".into(),
            ..u.clone()
        };
        match session_config(&m) {
            Ok(SessionConfig::Udp { multicast, .. }) => {
                assert_eq!(multicast.groups[0].to_string(), "239.1.2.3@eth0");
                assert_eq!(multicast.options.ttl, Some(4));
            }
            other => panic!("{other:?}"),
        }
        let bad = SessionSettings {
            multicast_groups: vec!["10.0.0.1".into()],
            ..u.clone()
        };
        assert_eq!(
            session_config(&bad).unwrap_err().multicast,
            Some(Msg::with(T::ErrGroup, &[&"10.0.0.1"]))
        );
        let ttl = SessionSettings {
            multicast_ttl: "256".into(),
            ..u
        };
        assert!(session_config(&ttl).unwrap_err().multicast.is_some());
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
