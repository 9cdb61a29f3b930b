//! `ws://` and `wss://` URLs: scheme, host, port and the path asked for.

use std::fmt;

use crate::net::HostPort;

/// A WebSocket URL, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsUrl {
    /// `wss://`: TLS under the WebSocket.
    pub secure: bool,
    /// Host name or IP literal, without brackets.
    pub host: String,
    /// Port (80 or 443 when the URL has none).
    pub port: u16,
    /// Path and query, from `/` (the fragment is dropped).
    pub path: String,
}

/// What is wrong with a WebSocket URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WsUrlError {
    /// Not `ws://` or `wss://`.
    #[error("a WebSocket URL starts with ws:// or wss:// (got \"{0}\")")]
    Scheme(String),
    /// No host after the scheme.
    #[error("the URL has no host")]
    NoHost,
    /// The port is not a number from 1 to 65535.
    #[error("bad port \"{0}\" (1 to 65535)")]
    Port(String),
    /// A character a URL cannot hold unescaped (a space, a control character).
    #[error("the URL holds a space or a control character")]
    BadChar,
}

impl WsUrl {
    /// Parses `ws://host[:port][/path][?query]` or `wss://…`.
    pub fn parse(text: &str) -> Result<WsUrl, WsUrlError> {
        let text = text.trim();
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(WsUrlError::BadChar);
        }
        let lower = text.to_ascii_lowercase();
        let (secure, rest) = if lower.starts_with("wss://") {
            (true, &text[6..])
        } else if lower.starts_with("ws://") {
            (false, &text[5..])
        } else {
            let scheme = text.split("://").next().unwrap_or(text);
            return Err(WsUrlError::Scheme(scheme.to_string()));
        };
        let rest = rest.split('#').next().unwrap_or("");
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        // user:password@ is not sent in a request; drop it.
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let end = v6.find(']').ok_or(WsUrlError::NoHost)?;
            let port = v6[end + 1..].strip_prefix(':');
            (&v6[..end], port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(WsUrlError::NoHost);
        }
        let port = match port {
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => n,
                _ => return Err(WsUrlError::Port(p.to_string())),
            },
            None if secure => 443,
            None => 80,
        };
        let path = if path.is_empty() {
            "/".to_string()
        } else if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        Ok(WsUrl {
            secure,
            host: host.to_string(),
            port,
            path,
        })
    }

    /// The host and port to connect to.
    pub fn host_port(&self) -> HostPort {
        HostPort {
            host: self.host.clone(),
            port: self.port,
        }
    }

    /// The `Host` header: the host, with the port unless it is the default.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default = if self.secure { 443 } else { 80 };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

impl fmt::Display for WsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "wss" } else { "ws" };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(f, "{scheme}://{host}:{}{}", self.port, self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_ports_and_paths() {
        let u = WsUrl::parse("ws://127.0.0.1:9000/chat?x=1#frag").unwrap();
        assert_eq!(
            (u.secure, u.host.as_str(), u.port, u.path.as_str()),
            (false, "127.0.0.1", 9000, "/chat?x=1")
        );
        let u = WsUrl::parse("WSS://example.org").unwrap();
        assert_eq!((u.secure, u.port, u.path.as_str()), (true, 443, "/"));
        assert_eq!(u.host_header(), "example.org");
        let u = WsUrl::parse("ws://[::1]:8080?q").unwrap();
        assert_eq!((u.host.as_str(), u.path.as_str()), ("::1", "/?q"));
        assert_eq!(u.host_header(), "[::1]:8080");
        assert_eq!(u.to_string(), "ws://[::1]:8080/?q");
    }

    #[test]
    fn refuses_what_is_not_a_websocket_url() {
        assert!(matches!(
            WsUrl::parse("http://x/"),
            Err(WsUrlError::Scheme(_))
        ));
        assert_eq!(WsUrl::parse("ws://:80/"), Err(WsUrlError::NoHost));
        assert!(matches!(
            WsUrl::parse("ws://h:0/"),
            Err(WsUrlError::Port(_))
        ));
        assert!(matches!(
            WsUrl::parse("ws://h:99999/"),
            Err(WsUrlError::Port(_))
        ));
        assert_eq!(WsUrl::parse("ws://h/a b"), Err(WsUrlError::BadChar));
    }
}
