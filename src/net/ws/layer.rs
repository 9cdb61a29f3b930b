//! One connection's WebSocket: the upgrade, then tungstenite's
//! `WebSocket` over an in-memory [`Pipe`]. The connection feeds it what it
//! read and queues what it gives back; tungstenite never touches a socket,
//! so every socket call stays in `conn.rs` (mio's own calls, `try_io`).

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use tungstenite::Message;
use tungstenite::error::{CapacityError, Error as WsError};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::frame::{CloseFrame, Utf8Bytes};
use tungstenite::protocol::{Role, WebSocket, WebSocketConfig};

use super::handshake::{self, Head, Response};
use super::tap::FrameTap;
use super::{
    CLOSE_TIMEOUT, CloseInfo, Handshake, MessageKind, Refusal, RefusalHint, WsClientConfig,
    WsEvent, WsMessage,
};
use crate::net::{CloseReason, NetError};

/// Pings of ours waiting for their pong (the oldest is forgotten past this).
const MAX_PINGS: usize = 32;
/// Control frames carry at most 125 bytes.
pub(crate) const MAX_CONTROL: usize = 125;

/// tungstenite's side of the connection: what the connection read, and
/// what tungstenite wrote for it to send.
#[derive(Debug, Default)]
pub(crate) struct Pipe {
    input: BytesMut,
    output: Vec<u8>,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.input.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.input.len());
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input.advance(n);
        Ok(n)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What the connection does with the layer's work, in order.
#[derive(Debug)]
pub(crate) enum Step {
    /// The upgrade worked: report the connection as connected now (a
    /// WebSocket peer counts as connected once it speaks WebSocket).
    Connected(SocketAddr),
    /// Report a WebSocket event.
    Emit(WsEvent),
    /// Report a whole message received.
    Message(Bytes, WsMessage),
    /// Queue bytes that no send asked for (the handshake, pongs, closes).
    Write(Bytes),
    /// Finish sending (our FIN) once what is queued is written.
    Finish,
    /// End the connection now.
    End(CloseReason),
}

/// What a queued item reports once written.
#[derive(Debug)]
pub(crate) enum Report {
    /// A message a send asked for: its payload.
    Message(Bytes),
    /// Bytes of the layer's own.
    Quiet,
}

enum State {
    /// A server waiting for the request head.
    ServerHead {
        buf: Vec<u8>,
        path: Option<String>,
        protocols: Vec<String>,
    },
    /// A client waiting for the response head.
    ClientHead {
        buf: Vec<u8>,
        key: String,
        asked: Box<Handshake>,
    },
    /// A client whose upgrade was refused, reading the start of the body.
    Refused {
        response: Box<Response>,
        body: Vec<u8>,
    },
    /// Frames both ways.
    Open(Box<WebSocket<Pipe>>),
    /// Over (closed, failed or refused): input is ignored.
    Done,
}

/// The WebSocket layer of one connection.
pub(crate) struct WsLayer {
    state: State,
    role: Role,
    max_message: usize,
    tap: FrameTap,
    pings: VecDeque<(Bytes, Instant)>,
    /// One per item queued through the layer, in order.
    pub(crate) reports: VecDeque<Report>,
    /// A close frame went from us.
    close_sent: bool,
    /// A close frame came from the peer.
    close_received: bool,
    /// When our own close frame (not an answer) went, if it did.
    closed_at: Option<Instant>,
    /// The client's request, to queue first.
    request: Option<Bytes>,
    /// Our side's address of the connection.
    local: SocketAddr,
}

fn config(max_message: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message))
}

impl WsLayer {
    /// A server's layer: it waits for the request.
    pub(crate) fn server(
        path: Option<String>,
        protocols: Vec<String>,
        max_message: usize,
        local: SocketAddr,
    ) -> Self {
        WsLayer::new(
            State::ServerHead {
                buf: Vec::new(),
                path,
                protocols,
            },
            Role::Server,
            max_message,
            None,
            local,
        )
    }

    /// A client's layer: its request goes first ([`take_request`](Self::take_request)).
    pub(crate) fn client(config: &WsClientConfig, local: SocketAddr) -> Self {
        let (request, key, asked) = handshake::request(config);
        WsLayer::new(
            State::ClientHead {
                buf: Vec::new(),
                key,
                asked: Box::new(asked),
            },
            Role::Client,
            config.max_message,
            Some(Bytes::from(request)),
            local,
        )
    }

    fn new(
        state: State,
        role: Role,
        max_message: usize,
        request: Option<Bytes>,
        local: SocketAddr,
    ) -> Self {
        WsLayer {
            state,
            role,
            max_message,
            tap: FrameTap::default(),
            pings: VecDeque::new(),
            reports: VecDeque::new(),
            close_sent: false,
            close_received: false,
            closed_at: None,
            request,
            local,
        }
    }

    /// The client's request, once.
    pub(crate) fn take_request(&mut self) -> Option<Bytes> {
        self.request.take()
    }

    /// True while the upgrade is under way.
    pub(crate) fn handshaking(&self) -> bool {
        matches!(
            self.state,
            State::ServerHead { .. } | State::ClientHead { .. }
        )
    }

    /// True once frames flow.
    pub(crate) fn is_open(&self) -> bool {
        matches!(self.state, State::Open(_))
    }

    /// Takes in bytes the connection read.
    pub(crate) fn input(&mut self, data: &[u8]) -> Vec<Step> {
        let mut steps = Vec::new();
        match &mut self.state {
            State::ServerHead { buf, .. } | State::ClientHead { buf, .. } => {
                buf.extend_from_slice(data);
                self.read_head(&mut steps);
            }
            State::Refused { body, .. } => {
                let room = handshake::BODY_KEPT.saturating_sub(body.len());
                body.extend_from_slice(&data[..data.len().min(room)]);
                self.check_body(&mut steps);
            }
            State::Open(_) => self.frames(data, &mut steps),
            State::Done => {}
        }
        steps
    }

    fn read_head(&mut self, steps: &mut Vec<Step>) {
        match std::mem::replace(&mut self.state, State::Done) {
            State::ServerHead {
                buf,
                path,
                protocols,
            } => match handshake::read_request(&buf) {
                Head::Partial => {
                    self.state = State::ServerHead {
                        buf,
                        path,
                        protocols,
                    }
                }
                Head::Done(req, used) => {
                    let (bytes, result) = handshake::answer(&req, path.as_deref(), &protocols);
                    steps.push(Step::Write(Bytes::from(bytes)));
                    match result {
                        Ok(handshake) => {
                            steps.push(Step::Connected(self.local));
                            steps.push(Step::Emit(WsEvent::Handshake(Box::new(handshake))));
                            self.open(&buf[used..], steps);
                        }
                        Err(refusal) => {
                            steps.push(Step::Emit(WsEvent::Refused(Box::new(refusal))));
                            steps.push(Step::Finish);
                        }
                    }
                }
                Head::Bad(why) => {
                    let body = "This is a WebSocket server; that was not an HTTP request.\n";
                    let head = format!(
                        "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    steps.push(Step::Write(Bytes::from(head)));
                    steps.push(Step::Emit(WsEvent::Refused(Box::new(Refusal {
                        status: 400,
                        status_line: "HTTP/1.1 400 Bad Request".to_string(),
                        body: String::new(),
                        hint: RefusalHint::PlainHttp,
                        detail: format!("{why}; first bytes: {}", handshake::body_head(&buf)),
                        by_us: true,
                    }))));
                    steps.push(Step::Finish);
                }
            },
            State::ClientHead { buf, key, asked } => {
                match handshake::read_response(&buf, &key, &asked.protocols) {
                    Head::Partial => self.state = State::ClientHead { buf, key, asked },
                    Head::Done(res, used) if res.status == 101 && res.bad_upgrade.is_none() => {
                        let mut handshake = *asked;
                        handshake.status_line = res.status_line.clone();
                        handshake.protocol = res.protocol.clone();
                        steps.push(Step::Connected(self.local));
                        steps.push(Step::Emit(WsEvent::Handshake(Box::new(handshake))));
                        self.open(&buf[used..], steps);
                    }
                    Head::Done(res, used) => {
                        let rest = &buf[used..];
                        let body = rest[..rest.len().min(handshake::BODY_KEPT)].to_vec();
                        self.state = State::Refused {
                            response: Box::new(res),
                            body,
                        };
                        self.check_body(steps);
                    }
                    Head::Bad(why) => {
                        let refusal = Refusal {
                            status: 0,
                            status_line: String::new(),
                            body: handshake::body_head(&buf),
                            hint: RefusalHint::Other,
                            detail: why,
                            by_us: false,
                        };
                        self.refused(refusal, steps);
                    }
                }
            }
            other => self.state = other,
        }
    }

    /// A refused client: once enough of the body is here, report and end.
    fn check_body(&mut self, steps: &mut Vec<Step>) {
        let State::Refused { response, body } = &self.state else {
            return;
        };
        let want = response
            .content_length
            .unwrap_or(handshake::BODY_KEPT)
            .min(handshake::BODY_KEPT);
        // A 101 that got the handshake wrong has no body to wait for.
        if body.len() >= want || response.bad_upgrade.is_some() {
            self.finish_refusal(steps);
        }
    }

    fn finish_refusal(&mut self, steps: &mut Vec<Step>) {
        let State::Refused { response, body } = std::mem::replace(&mut self.state, State::Done)
        else {
            return;
        };
        let hint = if response.bad_upgrade.is_some() {
            RefusalHint::BadUpgrade
        } else {
            handshake::hint_of(response.status)
        };
        let refusal = Refusal {
            status: response.status,
            status_line: response.status_line.clone(),
            body: handshake::body_head(&body),
            hint,
            detail: response.bad_upgrade.clone().unwrap_or_default(),
            by_us: false,
        };
        self.refused(refusal, steps);
    }

    fn refused(&mut self, refusal: Refusal, steps: &mut Vec<Step>) {
        let why = if refusal.status == 0 {
            format!("WebSocket upgrade failed: {}", refusal.detail)
        } else {
            format!("WebSocket upgrade refused: {}", refusal.status_line)
        };
        steps.push(Step::Emit(WsEvent::Refused(Box::new(refusal))));
        steps.push(Step::End(CloseReason::Error(why)));
        self.state = State::Done;
    }

    fn open(&mut self, rest: &[u8], steps: &mut Vec<Step>) {
        let ws =
            WebSocket::from_raw_socket(Pipe::default(), self.role, Some(config(self.max_message)));
        self.state = State::Open(Box::new(ws));
        if !rest.is_empty() {
            self.frames(rest, steps);
        }
    }

    /// Frames received: messages and control frames out of tungstenite.
    fn frames(&mut self, data: &[u8], steps: &mut Vec<Step>) {
        let State::Open(ws) = &mut self.state else {
            return;
        };
        self.tap.feed(data);
        ws.get_mut().input.extend_from_slice(data);
        let mut violation = None;
        let mut over = false;
        loop {
            match ws.read() {
                Ok(Message::Text(text)) => {
                    let frames = self.tap.take();
                    let message = WsMessage {
                        kind: MessageKind::Text,
                        frames,
                    };
                    steps.push(Step::Message(Bytes::from(text), message));
                }
                Ok(Message::Binary(data)) => {
                    let frames = self.tap.take();
                    let message = WsMessage {
                        kind: MessageKind::Binary,
                        frames,
                    };
                    steps.push(Step::Message(data, message));
                }
                Ok(Message::Ping(payload)) => {
                    steps.push(Step::Emit(WsEvent::Ping {
                        payload,
                        by_us: false,
                    }));
                }
                Ok(Message::Pong(payload)) => {
                    let rtt = match self.pings.iter().position(|(p, _)| *p == payload) {
                        Some(i) => {
                            // Pongs answer the latest ping; earlier ones are settled too.
                            let sent = self.pings[i].1;
                            self.pings.drain(..=i);
                            Some(sent.elapsed())
                        }
                        None => None,
                    };
                    steps.push(Step::Emit(WsEvent::Pong { payload, rtt }));
                }
                Ok(Message::Close(frame)) => {
                    let close = close_info(frame.as_ref());
                    let reply = self.close_sent;
                    self.close_received = true;
                    steps.push(Step::Emit(WsEvent::Close {
                        close: close.clone(),
                        by_peer: true,
                        reply,
                    }));
                    if !reply {
                        // tungstenite answers with the same code.
                        self.close_sent = true;
                        let _ = ws.flush();
                        steps.push(Step::Emit(WsEvent::Close {
                            close,
                            by_peer: false,
                            reply: true,
                        }));
                    }
                    over = true;
                    break;
                }
                Ok(Message::Frame(_)) => {}
                Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
                    over = true;
                    break;
                }
                Err(e) => {
                    violation = Some(violation_of(&e));
                    break;
                }
            }
        }
        let output = std::mem::take(&mut ws.get_mut().output);
        if !output.is_empty() {
            steps.push(Step::Write(Bytes::from(output)));
        }
        if let Some((code, detail)) = violation {
            let reason = short_reason(&detail);
            let _ = ws.close(Some(CloseFrame {
                code: CloseCode::from(code),
                reason: Utf8Bytes::from(reason),
            }));
            let output = std::mem::take(&mut ws.get_mut().output);
            if !output.is_empty() {
                steps.push(Step::Write(Bytes::from(output)));
            }
            self.close_sent = true;
            steps.push(Step::Emit(WsEvent::Violation { code, detail }));
            over = true;
        }
        if over {
            self.state = State::Done;
            steps.push(Step::Finish);
        }
    }

    /// The connection ended or the peer finished sending.
    pub(crate) fn eof(&mut self) -> Vec<Step> {
        let mut steps = Vec::new();
        match &self.state {
            State::Refused { .. } => self.finish_refusal(&mut steps),
            State::ClientHead { buf, .. } => {
                let refusal = Refusal {
                    status: 0,
                    status_line: String::new(),
                    body: handshake::body_head(buf),
                    hint: RefusalHint::Other,
                    detail: "the server closed the connection without answering the upgrade"
                        .to_string(),
                    by_us: false,
                };
                self.refused(refusal, &mut steps);
            }
            State::Open(_) if !self.close_received => {
                steps.push(Step::Emit(WsEvent::Dropped));
                self.state = State::Done;
            }
            _ => self.state = State::Done,
        }
        steps
    }

    /// A message to send: the bytes to queue. Text that is not UTF-8 goes
    /// as binary (a text message must be UTF-8); the kind used is returned.
    pub(crate) fn message(
        &mut self,
        data: &Bytes,
        kind: MessageKind,
    ) -> Result<(Bytes, MessageKind), NetError> {
        let kind = match kind {
            MessageKind::Text if std::str::from_utf8(data).is_err() => MessageKind::Binary,
            k => k,
        };
        let message = match kind {
            MessageKind::Text => match Utf8Bytes::try_from(data.clone()) {
                Ok(text) => Message::Text(text),
                Err(_) => Message::Binary(data.clone()),
            },
            MessageKind::Binary => Message::Binary(data.clone()),
        };
        self.write(message).map(|b| (b, kind))
    }

    /// A ping of ours: the bytes to queue.
    pub(crate) fn ping(&mut self, payload: Bytes) -> Result<Bytes, NetError> {
        if payload.len() > MAX_CONTROL {
            return Err(NetError::WsControlTooLong { len: payload.len() });
        }
        let bytes = self.write(Message::Ping(payload.clone()))?;
        if self.pings.len() >= MAX_PINGS {
            self.pings.pop_front();
        }
        self.pings.push_back((payload, Instant::now()));
        Ok(bytes)
    }

    /// Our close frame: the bytes to queue.
    pub(crate) fn close(&mut self, code: u16, reason: &str) -> Result<Bytes, NetError> {
        if reason.len() + 2 > MAX_CONTROL {
            return Err(NetError::WsControlTooLong {
                len: reason.len() + 2,
            });
        }
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: Utf8Bytes::from(reason),
        };
        let bytes = self.write(Message::Close(Some(frame)))?;
        self.close_sent = true;
        self.closed_at = Some(Instant::now());
        Ok(bytes)
    }

    /// When the peer's answer to our close frame is overdue, while it has
    /// not come ([`CLOSE_TIMEOUT`] after ours went).
    pub(crate) fn close_due(&self) -> Option<Instant> {
        if self.close_received || !self.is_open() {
            return None;
        }
        self.closed_at.map(|at| at + CLOSE_TIMEOUT)
    }

    /// Best effort when the connection is closed under it: a close frame
    /// (1001 going away) if none went yet.
    pub(crate) fn going_away(&mut self) -> Option<Bytes> {
        if !self.is_open() || self.close_sent {
            return None;
        }
        self.close(1001, "going away").ok()
    }

    fn write(&mut self, message: Message) -> Result<Bytes, NetError> {
        let State::Open(ws) = &mut self.state else {
            return Err(NetError::WsNotOpen);
        };
        if self.close_sent || self.close_received {
            return Err(NetError::WsClosing);
        }
        match ws.send(message) {
            Ok(()) => {}
            Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
                return Err(NetError::WsClosing);
            }
            Err(e) => {
                return Err(NetError::WsOther {
                    message: e.to_string(),
                });
            }
        }
        Ok(Bytes::from(std::mem::take(&mut ws.get_mut().output)))
    }
}

/// A close frame as code and reason.
fn close_info(frame: Option<&CloseFrame>) -> CloseInfo {
    match frame {
        Some(f) => CloseInfo {
            code: Some(u16::from(f.code)),
            reason: f.reason.as_str().to_string(),
        },
        None => CloseInfo {
            code: None,
            reason: String::new(),
        },
    }
}

/// The close code for a failure, and what it was.
fn violation_of(e: &WsError) -> (u16, String) {
    match e {
        WsError::Utf8(detail) => (
            1007,
            format!("a text message is not valid UTF-8 ({detail})"),
        ),
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => (
            1009,
            format!("a message of {size} bytes or more is over the limit of {max_size} bytes"),
        ),
        WsError::Capacity(other) => (1009, other.to_string()),
        WsError::Protocol(p) => (1002, p.to_string()),
        other => (1011, other.to_string()),
    }
}

/// A close reason fits a control frame (123 bytes), cut at a character.
fn short_reason(detail: &str) -> String {
    let mut end = detail.len().min(MAX_CONTROL - 2);
    while !detail.is_char_boundary(end) {
        end -= 1;
    }
    detail[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::ws::{DEFAULT_MAX_MESSAGE, WsUrl};

    fn pair(max: usize) -> (WsLayer, WsLayer) {
        let config = WsClientConfig {
            url: WsUrl::parse("ws://127.0.0.1:1/").unwrap(),
            headers: Vec::new(),
            protocols: Vec::new(),
            tls: None,
            bind: None,
            max_message: max,
            kind: MessageKind::Text,
        };
        let local: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let mut client = WsLayer::client(&config, local);
        let mut server = WsLayer::server(None, Vec::new(), max, local);
        let request = client.take_request().unwrap();
        let answer = writes(&server.input(&request));
        let steps = client.input(&answer);
        assert!(matches!(steps[1], Step::Emit(WsEvent::Handshake(_))));
        assert!(client.is_open() && server.is_open());
        (client, server)
    }

    fn writes(steps: &[Step]) -> Vec<u8> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Write(b) => Some(b.to_vec()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .concat()
    }

    #[test]
    fn messages_keep_their_bytes_and_kind() {
        let (mut client, mut server) = pair(DEFAULT_MAX_MESSAGE);
        let (bytes, kind) = client
            .message(&Bytes::from("你好"), MessageKind::Text)
            .unwrap();
        assert_eq!(kind, MessageKind::Text);
        let steps = server.input(&bytes);
        let Step::Message(data, m) = &steps[0] else {
            panic!("{steps:?}")
        };
        assert_eq!(
            (&data[..], m.kind, m.frames),
            ("你好".as_bytes(), MessageKind::Text, 1)
        );
        // Not UTF-8: goes as binary.
        let raw = Bytes::from_static(&[0xff, 0x00]);
        let (bytes, kind) = server.message(&raw, MessageKind::Text).unwrap();
        assert_eq!(kind, MessageKind::Binary);
        let steps = client.input(&bytes);
        assert!(
            matches!(&steps[0], Step::Message(d, m) if *d == raw && m.kind == MessageKind::Binary)
        );
    }

    #[test]
    fn bad_utf8_closes_with_1007_and_big_messages_with_1009() {
        let (mut client, mut server) = pair(8);
        // An unmasked... no: a masked text frame with invalid UTF-8.
        let frame = [0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe];
        let steps = server.input(&frame);
        assert!(
            steps
                .iter()
                .any(|s| matches!(s, Step::Emit(WsEvent::Violation { code: 1007, .. })))
        );
        let steps = client.input(&[0x82, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert!(
            steps
                .iter()
                .any(|s| matches!(s, Step::Emit(WsEvent::Violation { code: 1009, .. })))
        );
    }

    #[test]
    fn pings_are_timed_and_closes_answered() {
        let (mut client, mut server) = pair(DEFAULT_MAX_MESSAGE);
        let ping = client.ping(Bytes::from_static(b"p1")).unwrap();
        let steps = server.input(&ping);
        let pong = writes(&steps);
        let steps = client.input(&pong);
        assert!(matches!(
            &steps[0],
            Step::Emit(WsEvent::Pong { rtt: Some(_), .. })
        ));
        let close = client.close(1000, "bye").unwrap();
        let steps = server.input(&close);
        assert!(steps.iter().any(|s| matches!(
            s,
            Step::Emit(WsEvent::Close {
                by_peer: true,
                reply: false,
                ..
            })
        )));
        let reply = writes(&steps);
        let steps = client.input(&reply);
        assert!(steps.iter().any(|s| matches!(s, Step::Emit(WsEvent::Close { by_peer: true, reply: true, close }) if close.code == Some(1000))));
    }
}
