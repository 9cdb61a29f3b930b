//! `ws-server` and `ws-client`: their own options (path, URL, headers,
//! subprotocols, message limit, text or binary), and the sessions they open.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use crate::net::ws::{
    DEFAULT_MAX_MESSAGE, MAX_MAX_MESSAGE, MessageKind, WsClientConfig, WsServerConfig, WsUrl,
};
use crate::net::{SessionConfig, parse_bind_addr};

use super::tls::TlsArgs;

/// What both WebSocket modes take.
#[derive(Debug, Args)]
pub struct WsArgs {
    /// Send --send, --send-hex and stdin lines as binary messages (default:
    /// text; bytes that are not UTF-8 always go as binary).
    #[arg(long)]
    pub binary: bool,
    /// The largest message accepted, in bytes (default 16 MiB); a larger
    /// one is refused with close code 1009.
    #[arg(long, value_name = "BYTES", value_parser = parse_max_message)]
    pub max_message: Option<usize>,
}

impl WsArgs {
    fn kind(&self) -> MessageKind {
        if self.binary {
            MessageKind::Binary
        } else {
            MessageKind::Text
        }
    }

    fn max_message(&self) -> usize {
        self.max_message.unwrap_or(DEFAULT_MAX_MESSAGE)
    }
}

fn parse_max_message(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_MAX_MESSAGE).contains(&n) => Ok(n),
        _ => Err(format!(
            "'{text}' is not a size from 1 to {MAX_MAX_MESSAGE} bytes"
        )),
    }
}

/// `ws-client`'s own options.
#[derive(Debug, Args)]
pub struct WsClientArgs {
    /// The server's URL, e.g. ws://127.0.0.1:8080/chat or wss://host/ws.
    #[arg(value_name = "URL", value_parser = parse_url)]
    pub url: WsUrl,
    /// An extra request header (repeatable), e.g. --header "Origin: http://me".
    #[arg(long = "header", value_name = "K: V", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// A subprotocol to ask for (repeatable, in order of preference).
    #[arg(long = "protocol", value_name = "P")]
    pub protocols: Vec<String>,
    /// wss://: accept any server certificate (insecure: for testing only).
    #[arg(long, conflicts_with = "ca")]
    pub insecure: bool,
    /// wss://: check the server's certificate against the CAs in FILE (or
    /// the server's own self-signed certificate).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// wss://: append the session keys to FILE (SSLKEYLOGFILE format).
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// Local address and port to connect from.
    #[arg(long, value_name = "ADDR:PORT", value_parser = parse_bind_addr)]
    pub bind: Option<SocketAddr>,
    /// Message options.
    #[command(flatten)]
    pub ws: WsArgs,
}

fn parse_url(text: &str) -> Result<WsUrl, String> {
    WsUrl::parse(text).map_err(|e| e.to_string())
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    crate::settings::ws_headers(text)
        .map_err(|_| format!("'{text}' is not a header: write it as \"Name: value\""))?
        .into_iter()
        .next()
        .ok_or_else(|| "an empty header".to_string())
}

/// `ws-server`'s session.
pub(super) fn server(
    bind: SocketAddr,
    path: Option<String>,
    tls: &TlsArgs,
    ws: &WsArgs,
) -> Result<SessionConfig, String> {
    let path = match path {
        Some(p) if !p.starts_with('/') || p.contains(char::is_whitespace) => {
            return Err(format!("--path '{p}' must start with / and hold no spaces"));
        }
        p => p,
    };
    Ok(SessionConfig::WsServer(Box::new(WsServerConfig {
        bind,
        tls: tls.server()?,
        path,
        max_message: ws.max_message(),
        kind: ws.kind(),
    })))
}

/// `ws-client`'s session.
pub(super) fn client(args: WsClientArgs) -> Result<SessionConfig, String> {
    let tls = if args.url.secure {
        let tls = TlsArgs {
            tls: true,
            ca: args.ca,
            insecure: args.insecure,
            keylog: args.keylog,
            ..TlsArgs::default()
        };
        tls.client()?
    } else {
        if args.insecure || args.ca.is_some() || args.keylog.is_some() {
            return Err("--insecure, --ca and --keylog are for wss:// URLs".into());
        }
        None
    };
    let protocols: Vec<String> = args
        .protocols
        .iter()
        .map(|p| p.trim().to_string())
        .collect();
    if let Some(p) = protocols
        .iter()
        .find(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_graphic() && b != b','))
    {
        return Err(format!("--protocol '{p}' is not a subprotocol name"));
    }
    Ok(SessionConfig::WsClient(Box::new(WsClientConfig {
        url: args.url,
        headers: args.headers,
        protocols,
        tls,
        bind: args.bind,
        max_message: args.ws.max_message(),
        kind: args.ws.kind(),
    })))
}
