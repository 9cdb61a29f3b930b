//! Parsing the addresses a user types: `127.0.0.1:8888`, `[::1]:8888`,
//! `localhost:8888`, and ports on their own; and showing IPv4-mapped peers
//! as IPv4.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// Why an address or port the user typed cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    /// No `:PORT` part.
    #[error("'{text}' has no port: write it as ADDRESS:PORT, e.g. 127.0.0.1:8888")]
    MissingPort {
        /// What was typed.
        text: String,
    },
    /// The port is not a number in range.
    #[error("port '{text}' is not a number from {min} to 65535")]
    BadPort {
        /// The port as typed.
        text: String,
        /// The smallest port allowed here (0 for local, 1 for remote).
        min: u16,
    },
    /// The address is not an IPv4 or IPv6 address.
    #[error("'{text}' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1, ::)")]
    BadAddress {
        /// The address as typed.
        text: String,
    },
    /// The host part is empty or has characters a host name cannot have.
    #[error("'{text}' is not a host name or IP address")]
    BadHost {
        /// The host as typed.
        text: String,
    },
    /// A group to join is an IP address but not a multicast one.
    #[error(
        "'{text}' is not a multicast address (IPv4 224.0.0.0 to 239.255.255.255, IPv6 ff00::/8)"
    )]
    NotMulticast {
        /// The address as typed.
        text: String,
    },
    /// Nothing after the `@` of `GROUP@IFACE`.
    #[error(
        "'{text}' names no interface after '@': write GROUP@IFACE (a name, an address or an index)"
    )]
    BadInterface {
        /// What was typed.
        text: String,
    },
}

/// A remote host as the user typed it (a name or an IP literal) and a port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    /// Host name or IP literal, without brackets.
    pub host: String,
    /// Port number.
    pub port: u16,
}

impl HostPort {
    /// Builds one from parts, checking the host is plausible.
    pub fn new(host: &str, port: u16) -> Result<HostPort, AddrError> {
        let host = host.trim();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if host.is_empty() || !host_chars_ok(host) {
            return Err(AddrError::BadHost {
                text: host.to_string(),
            });
        }
        Ok(HostPort {
            host: host.to_string(),
            port,
        })
    }

    /// The IP address if the host is a literal (no lookup needed).
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

fn host_chars_ok(host: &str) -> bool {
    host.chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '%'))
}

/// Parses a port; `min` is 0 for a local port (0 = any free port) and 1 for a
/// remote one.
pub fn parse_port(text: &str, min: u16) -> Result<u16, AddrError> {
    let t = text.trim();
    match t.parse::<u16>() {
        Ok(p) if p >= min => Ok(p),
        _ => Err(AddrError::BadPort {
            text: t.to_string(),
            min,
        }),
    }
}

/// Splits `HOST:PORT` or `[V6]:PORT` into host and port text.
fn split_host_port(text: &str) -> Result<(&str, &str), AddrError> {
    let t = text.trim();
    let missing = || AddrError::MissingPort {
        text: t.to_string(),
    };
    if let Some(rest) = t.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(missing)?;
        let port = after.strip_prefix(':').ok_or_else(missing)?;
        return Ok((host, port));
    }
    let (host, port) = t.rsplit_once(':').ok_or_else(missing)?;
    if host.contains(':') {
        // A bare IPv6 address without brackets: the last group is not a port.
        return Err(missing());
    }
    Ok((host, port))
}

/// Parses a local address to bind: an IP literal and a port (0 allowed).
pub fn parse_bind_addr(text: &str) -> Result<SocketAddr, AddrError> {
    let (host, port) = split_host_port(text)?;
    let port = parse_port(port, 0)?;
    let ip: IpAddr = host.parse().map_err(|_| AddrError::BadAddress {
        text: host.to_string(),
    })?;
    Ok(SocketAddr::new(ip, port))
}

/// Parses a remote `HOST:PORT` (host may be a name; port 1..=65535).
pub fn parse_host_port(text: &str) -> Result<HostPort, AddrError> {
    let (host, port) = split_host_port(text)?;
    let port = parse_port(port, 1)?;
    HostPort::new(host, port)
}

/// Shows IPv4 clients of a dual-stack socket as plain IPv4.
pub(crate) fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_addresses() {
        assert_eq!(
            parse_bind_addr("127.0.0.1:8888").unwrap(),
            "127.0.0.1:8888".parse().unwrap()
        );
        assert_eq!(
            parse_bind_addr("[::]:0").unwrap(),
            "[::]:0".parse().unwrap()
        );
        assert!(matches!(
            parse_bind_addr("127.0.0.1"),
            Err(AddrError::MissingPort { .. })
        ));
        assert!(matches!(
            parse_bind_addr("127.0.0.1:70000"),
            Err(AddrError::BadPort { .. })
        ));
        assert!(matches!(
            parse_bind_addr("localhost:80"),
            Err(AddrError::BadAddress { .. })
        ));
        assert!(matches!(
            parse_bind_addr("::1:80"),
            Err(AddrError::MissingPort { .. })
        ));
    }

    #[test]
    fn remote_addresses() {
        let hp = parse_host_port("localhost:8888").unwrap();
        assert_eq!((hp.host.as_str(), hp.port), ("localhost", 8888));
        let hp = parse_host_port("[::1]:7").unwrap();
        assert_eq!(hp.to_string(), "[::1]:7");
        assert!(hp.ip().is_some());
        assert!(matches!(
            parse_host_port("host:0"),
            Err(AddrError::BadPort { min: 1, .. })
        ));
        assert!(matches!(
            parse_host_port("bad host:80"),
            Err(AddrError::BadHost { .. })
        ));
        assert!(matches!(
            parse_host_port(":80"),
            Err(AddrError::BadHost { .. })
        ));
    }
}
