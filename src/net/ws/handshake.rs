//! The HTTP upgrade of RFC 6455 §4: a client's request and a server's
//! answer, built and read with httparse, the keys with tungstenite's
//! `generate_key` and `derive_accept_key`.

use tungstenite::handshake::derive_accept_key;

use super::{Handshake, Refusal, RefusalHint, WsClientConfig};

/// The most bytes a request or response head may take.
pub(crate) const MAX_HEAD: usize = 16 * 1024;
/// How much of a refusal's body is kept for the row.
pub(crate) const BODY_KEPT: usize = 512;
const MAX_HEADERS: usize = 64;

/// What reading a head so far gave.
pub(crate) enum Head<T> {
    /// Not complete: wait for more bytes.
    Partial,
    /// Complete: what it said, and how many bytes it took.
    Done(T, usize),
    /// Not HTTP, or too large.
    Bad(String),
}

/// A header's value, the first of that name.
fn header<'a>(headers: &'a [httparse::Header<'_>], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .and_then(|h| std::str::from_utf8(h.value).ok())
        .map(str::trim)
}

/// Every comma-separated value of every header of that name.
fn list(headers: &[httparse::Header<'_>], name: &str) -> Vec<String> {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(name))
        .filter_map(|h| std::str::from_utf8(h.value).ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

fn has_token(value: Option<&str>, token: &str) -> bool {
    value.is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
}

/// A client's request as a server reads it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) request_line: String,
    pub(crate) host: Option<String>,
    pub(crate) origin: Option<String>,
    pub(crate) protocols: Vec<String>,
    pub(crate) extensions: Vec<String>,
    pub(crate) upgrade: bool,
    pub(crate) key: Option<String>,
    pub(crate) version: Option<String>,
}

/// Reads a request head from the bytes received so far.
pub(crate) fn read_request(buf: &[u8]) -> Head<Request> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD => {
            Head::Bad("the request head is over 16 KiB".to_string())
        }
        Ok(httparse::Status::Partial) => Head::Partial,
        Ok(httparse::Status::Complete(n)) => {
            let method = req.method.unwrap_or("").to_string();
            let path = req.path.unwrap_or("").to_string();
            let version = req.version.unwrap_or(1);
            let h = &*req.headers;
            let request = Request {
                request_line: format!("{method} {path} HTTP/1.{version}"),
                method,
                path,
                host: header(h, "host").map(str::to_string),
                origin: header(h, "origin").map(str::to_string),
                protocols: list(h, "sec-websocket-protocol"),
                extensions: list(h, "sec-websocket-extensions"),
                upgrade: has_token(header(h, "upgrade"), "websocket")
                    && has_token(header(h, "connection"), "upgrade"),
                key: header(h, "sec-websocket-key").map(str::to_string),
                version: header(h, "sec-websocket-version").map(str::to_string),
            };
            Head::Done(request, n)
        }
        Err(e) => Head::Bad(format!("not an HTTP request ({e})")),
    }
}

/// True when the first bytes of a connection look like an HTTP request
/// asking for a WebSocket (`GET … Upgrade: websocket`): for the hint a
/// plain TCP server gives.
pub fn looks_like_upgrade(first: &[u8]) -> bool {
    if !first.starts_with(b"GET ") {
        return false;
    }
    let head = &first[..first.len().min(MAX_HEAD)];
    let lower = head.to_ascii_lowercase();
    memchr::memmem::find(&lower, b"upgrade: websocket").is_some()
        || memchr::memmem::find(&lower, b"upgrade:websocket").is_some()
}

/// A server's answer to a request: the bytes to send, and either the
/// handshake (101) or the refusal.
pub(crate) fn answer(
    req: &Request,
    serve: Option<&str>,
    offered: &[String],
) -> (Vec<u8>, Result<Handshake, Refusal>) {
    let only_path = req.path.split('?').next().unwrap_or("");
    let refuse = |status: u16, text: &str, hint: RefusalHint, body: String, detail: String| {
        let head = format!(
            "HTTP/1.1 {status} {text}\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let refusal = Refusal {
            status,
            status_line: format!("HTTP/1.1 {status} {text}"),
            body,
            hint,
            detail,
            by_us: true,
        };
        (head.into_bytes(), Err(refusal))
    };
    if !req.upgrade || req.method != "GET" {
        let body = "This is a WebSocket server: connect with a WebSocket client \
                    (ws:// or wss://), not plain HTTP.\n"
            .to_string();
        let detail = format!("{} without Upgrade: websocket", req.request_line);
        return refuse(
            426,
            "Upgrade Required",
            RefusalHint::PlainHttp,
            body,
            detail,
        );
    }
    if let Some(serve) = serve
        && only_path != serve
    {
        let body = format!("No WebSocket at {only_path}: this server serves {serve}\n");
        let detail = format!("asked for {only_path}, served {serve}");
        return refuse(404, "Not Found", RefusalHint::WrongPath, body, detail);
    }
    let Some(key) = req.key.as_deref().filter(|k| !k.is_empty()) else {
        let body = "Sec-WebSocket-Key is missing\n".to_string();
        return refuse(
            400,
            "Bad Request",
            RefusalHint::BadUpgrade,
            body.clone(),
            body,
        );
    };
    if req.version.as_deref() != Some("13") {
        let head = "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\
                    Content-Length: 0\r\nConnection: close\r\n\r\n";
        let refusal = Refusal {
            status: 426,
            status_line: "HTTP/1.1 426 Upgrade Required".to_string(),
            body: String::new(),
            hint: RefusalHint::BadUpgrade,
            detail: format!(
                "Sec-WebSocket-Version {} (13 is the only one)",
                req.version.as_deref().unwrap_or("missing")
            ),
            by_us: true,
        };
        return (head.as_bytes().to_vec(), Err(refusal));
    }
    let protocol = req
        .protocols
        .iter()
        .find(|p| offered.iter().any(|o| o == *p))
        .cloned();
    let mut head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n",
        derive_accept_key(key.as_bytes())
    );
    if let Some(p) = &protocol {
        head.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    head.push_str("\r\n");
    let handshake = Handshake {
        request_line: req.request_line.clone(),
        host: req.host.clone(),
        origin: req.origin.clone(),
        protocols: req.protocols.clone(),
        extensions: req.extensions.clone(),
        status_line: "HTTP/1.1 101 Switching Protocols".to_string(),
        protocol,
    };
    (head.into_bytes(), Ok(handshake))
}

/// A client's request: its bytes, the key it sent, and the handshake as
/// far as the request goes.
pub(crate) fn request(config: &WsClientConfig) -> (Vec<u8>, String, Handshake) {
    let key = tungstenite::handshake::client::generate_key();
    let url = &config.url;
    let request_line = format!("GET {} HTTP/1.1", url.path);
    let host = url.host_header();
    let mut text = format!(
        "{request_line}\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    );
    if !config.protocols.is_empty() {
        text.push_str(&format!(
            "Sec-WebSocket-Protocol: {}\r\n",
            config.protocols.join(", ")
        ));
    }
    let mut origin = None;
    let mut extensions = Vec::new();
    for (name, value) in &config.headers {
        // Header names and values come from the user: no line breaks.
        let name: String = name.chars().filter(|c| !c.is_control()).collect();
        let value: String = value.chars().filter(|c| !c.is_control()).collect();
        if name.eq_ignore_ascii_case("origin") {
            origin = Some(value.clone());
        }
        if name.eq_ignore_ascii_case("sec-websocket-extensions") {
            extensions.extend(value.split(',').map(|v| v.trim().to_string()));
        }
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    let handshake = Handshake {
        request_line,
        host: Some(host),
        origin,
        protocols: config.protocols.clone(),
        extensions,
        status_line: String::new(),
        protocol: None,
    };
    (text.into_bytes(), key, handshake)
}

/// A server's answer as a client reads it.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) status_line: String,
    /// The body's length, when the server said it.
    pub(crate) content_length: Option<usize>,
    /// Why a 101 is not a valid upgrade (`None`: it is, or it is not a 101).
    pub(crate) bad_upgrade: Option<String>,
    pub(crate) protocol: Option<String>,
}

/// Reads a response head from the bytes received so far, checking a 101
/// against the key we sent and the subprotocols we asked for.
pub(crate) fn read_response(buf: &[u8], key: &str, asked: &[String]) -> Head<Response> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut headers);
    match res.parse(buf) {
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD => {
            Head::Bad("the response head is over 16 KiB".to_string())
        }
        Ok(httparse::Status::Partial) => Head::Partial,
        Ok(httparse::Status::Complete(n)) => {
            let status = res.code.unwrap_or(0);
            let reason = res.reason.unwrap_or("");
            let h = &*res.headers;
            let protocol = header(h, "sec-websocket-protocol").map(str::to_string);
            let bad_upgrade = (status == 101)
                .then(|| {
                    let accept = derive_accept_key(key.as_bytes());
                    if !has_token(header(h, "upgrade"), "websocket") {
                        Some("no Upgrade: websocket in the answer".to_string())
                    } else if !has_token(header(h, "connection"), "upgrade") {
                        Some("no Connection: Upgrade in the answer".to_string())
                    } else if header(h, "sec-websocket-accept") != Some(accept.as_str()) {
                        Some(format!(
                            "Sec-WebSocket-Accept is {:?}, not {accept:?}",
                            header(h, "sec-websocket-accept").unwrap_or("missing")
                        ))
                    } else if let Some(p) = protocol.as_ref().filter(|p| !asked.contains(p)) {
                        Some(format!("the server chose subprotocol {p}, not asked for"))
                    } else {
                        header(h, "sec-websocket-extensions")
                            .map(|e| format!("the server agreed extensions not asked for: {e}"))
                    }
                })
                .flatten();
            let response = Response {
                status,
                status_line: format!("HTTP/1.{} {status} {reason}", res.version.unwrap_or(1)),
                content_length: header(h, "content-length").and_then(|v| v.parse().ok()),
                bad_upgrade,
                protocol,
            };
            Head::Done(response, n)
        }
        Err(e) => Head::Bad(format!("the answer is not HTTP ({e})")),
    }
}

/// The first lines of a body, as text, for the row.
pub(crate) fn body_head(body: &[u8]) -> String {
    let body = &body[..body.len().min(BODY_KEPT)];
    let text = String::from_utf8_lossy(body);
    text.lines().take(5).collect::<Vec<_>>().join("\n")
}

/// What a refusal most likely means, from its status.
pub(crate) fn hint_of(status: u16) -> RefusalHint {
    match status {
        404 => RefusalHint::WrongPath,
        200..=299 | 300..=399 | 405 | 426 => RefusalHint::PlainHttp,
        _ => RefusalHint::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::ws::{DEFAULT_MAX_MESSAGE, WsUrl};

    fn client(protocols: &[&str]) -> WsClientConfig {
        WsClientConfig {
            url: WsUrl::parse("ws://127.0.0.1:9/chat").unwrap(),
            headers: vec![("Origin".into(), "http://me".into())],
            protocols: protocols.iter().map(|p| p.to_string()).collect(),
            tls: None,
            bind: None,
            max_message: DEFAULT_MAX_MESSAGE,
            kind: crate::net::ws::MessageKind::Text,
        }
    }

    #[test]
    fn a_request_is_answered_and_the_answer_checks() {
        let (bytes, key, asked) = request(&client(&["chat", "v2"]));
        let Head::Done(req, n) = read_request(&bytes) else {
            panic!("request did not parse")
        };
        assert_eq!(n, bytes.len());
        assert_eq!(req.origin.as_deref(), Some("http://me"));
        assert_eq!(asked.request_line, "GET /chat HTTP/1.1");
        let (answer_bytes, result) = answer(&req, Some("/chat"), &["v2".to_string()]);
        let handshake = result.unwrap();
        assert_eq!(handshake.protocol.as_deref(), Some("v2"));
        let Head::Done(res, _) = read_response(&answer_bytes, &key, &asked.protocols) else {
            panic!("response did not parse")
        };
        assert_eq!((res.status, res.bad_upgrade), (101, None));
        // The same answer to another key is wrong.
        let Head::Done(res, _) = read_response(&answer_bytes, "AAAA", &asked.protocols) else {
            panic!()
        };
        assert!(res.bad_upgrade.is_some());
    }

    #[test]
    fn wrong_paths_and_plain_http_are_refused() {
        let (bytes, _, _) = request(&client(&[]));
        let Head::Done(req, _) = read_request(&bytes) else {
            panic!()
        };
        let (answer_bytes, result) = answer(&req, Some("/other"), &[]);
        assert!(answer_bytes.starts_with(b"HTTP/1.1 404"));
        assert_eq!(result.unwrap_err().hint, RefusalHint::WrongPath);
        let Head::Done(req, _) = read_request(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") else {
            panic!()
        };
        let (_, result) = answer(&req, None, &[]);
        assert_eq!(result.unwrap_err().status, 426);
        assert!(matches!(read_request(b"\x16\x03\x01"), Head::Bad(_)));
        assert!(matches!(read_request(b"GET / HT"), Head::Partial));
    }

    #[test]
    fn upgrade_requests_are_recognised() {
        assert!(looks_like_upgrade(
            b"GET /x HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
        ));
        assert!(!looks_like_upgrade(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    }
}
