//! One load client's socket: a non-blocking TCP connect from a chosen
//! source address, an optional TLS layer, an optional WebSocket layer over
//! it, or a connected UDP socket; one send at a time (the script's steps
//! go in order), reads into a buffer the whole run shares. Errors come
//! back as the [`FailKind`] a learner reads.
//!
//! Over WebSocket each send goes as a text message (binary when it is not
//! UTF-8), and what a read gives is the payload of the whole messages that
//! came; the upgrade and the layer's own frames (pongs, the close answer)
//! are written before the next send.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::net::{IpAddr, Shutdown, SocketAddr};

use bytes::Bytes;
use mio::net::{TcpStream, UdpSocket};
use mio::{Interest, Registry, Token};
use socket2::{Domain, Protocol, Socket, Type};

use super::report::FailKind;
use crate::net::CloseReason;
use crate::net::read_pool::READ_CHUNK;
use crate::net::tcp_client::in_progress;
use crate::net::tls::layer::TlsLayer;
use crate::net::ws::MessageKind;
use crate::net::ws::layer::{Step, WsLayer};

/// A failure: its kind and the system's words.
pub(super) type Fail = (FailKind, String);

/// Maps a system error to the kind of failure it shows.
pub(super) fn kind_of(e: &io::Error, connecting: bool) -> FailKind {
    #[cfg(target_os = "linux")]
    if let Some(code) = e.raw_os_error()
        && [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM].contains(&code)
    {
        return FailKind::Resources;
    }
    match e.kind() {
        io::ErrorKind::ConnectionRefused => FailKind::Refused,
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => FailKind::Reset,
        io::ErrorKind::TimedOut if connecting => FailKind::ConnectTimedOut,
        io::ErrorKind::AddrNotAvailable | io::ErrorKind::AddrInUse | io::ErrorKind::OutOfMemory => {
            FailKind::Resources
        }
        _ => FailKind::Other,
    }
}

fn fail(e: &io::Error, connecting: bool) -> Fail {
    (kind_of(e, connecting), e.to_string())
}

/// The socket under a client.
pub(super) enum Stream {
    Tcp(TcpStream),
    Udp(UdpSocket),
}

/// What one read gave.
pub(super) enum Read {
    /// Bytes (plaintext over TLS) are in the buffer passed in.
    Data,
    /// TLS records with no plaintext (handshake); read again.
    Progress,
    /// Nothing more for now.
    WouldBlock,
    /// The peer finished sending (FIN; over TLS also close_notify).
    Eof,
    /// The connection failed.
    Failed(Fail),
}

/// One client's connection.
pub(super) struct Conn {
    pub(super) stream: Stream,
    tls: Option<Box<TlsLayer>>,
    ws: Option<Box<WsLayer>>,
    /// The WebSocket layer's own bytes, written before the next send, and
    /// how much of the first has gone.
    extra: VecDeque<Bytes>,
    extra_pos: usize,
    /// The send being written and how much of it has gone.
    out: Bytes,
    out_pos: usize,
}

/// Makes a socket for `target`, bound to `source` first if given (with the
/// port left to the connect on Linux, so one source address can hold as
/// many connections as the system has ports for each target), and starts
/// connecting it.
fn tcp_socket(target: SocketAddr, source: Option<IpAddr>) -> Result<TcpStream, Fail> {
    // Linux: non-blocking from the start (one call, not three).
    #[cfg(target_os = "linux")]
    let kind = Type::STREAM.nonblocking();
    #[cfg(not(target_os = "linux"))]
    let kind = Type::STREAM;
    let socket = Socket::new(Domain::for_address(target), kind, Some(Protocol::TCP))
        .map_err(|e| fail(&e, true))?;
    if let Some(ip) = source {
        bind_no_port(&socket);
        socket
            .bind(&SocketAddr::new(ip, 0).into())
            .map_err(|e| fail(&e, true))?;
    }
    #[cfg(not(target_os = "linux"))]
    socket.set_nonblocking(true).map_err(|e| fail(&e, true))?;
    let _ = socket.set_tcp_nodelay(true);
    match socket.connect(&target.into()) {
        Ok(()) => {}
        Err(e) if in_progress(&e) => {}
        Err(e) => return Err(fail(&e, true)),
    }
    Ok(TcpStream::from_std(socket.into()))
}

/// Linux: IP_BIND_ADDRESS_NO_PORT, so a bind to (address, 0) before a
/// connect picks the port at connect time by the whole address pair,
/// instead of reserving one of the ports no other bind may share.
#[cfg(target_os = "linux")]
fn bind_no_port(socket: &Socket) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor, a pointer to an int that lives
    // across the call, and its size; a failure only leaves the option off.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            std::ptr::from_ref(&on).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn bind_no_port(_socket: &Socket) {}

fn udp_socket(target: SocketAddr, source: Option<IpAddr>) -> Result<UdpSocket, Fail> {
    let local = source.unwrap_or(if target.is_ipv4() {
        IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
    });
    let socket =
        std::net::UdpSocket::bind(SocketAddr::new(local, 0)).map_err(|e| fail(&e, true))?;
    socket.connect(target).map_err(|e| fail(&e, true))?;
    socket.set_nonblocking(true).map_err(|e| fail(&e, true))?;
    Ok(UdpSocket::from_std(socket))
}

impl Conn {
    /// Starts a TCP connect (or opens a connected UDP socket) and
    /// registers it under `token`.
    pub(super) fn start(
        registry: &Registry,
        token: Token,
        target: SocketAddr,
        source: Option<IpAddr>,
        udp: bool,
    ) -> Result<Conn, Fail> {
        let mut stream = if udp {
            Stream::Udp(udp_socket(target, source)?)
        } else {
            Stream::Tcp(tcp_socket(target, source)?)
        };
        let interest = Interest::READABLE | Interest::WRITABLE;
        // UDP too is watched for room to write: a datagram the system
        // had no room for goes when it has.
        let registered = match &mut stream {
            Stream::Tcp(s) => registry.register(s, token, interest),
            Stream::Udp(s) => registry.register(s, token, interest),
        };
        registered.map_err(|e| fail(&e, true))?;
        Ok(Conn {
            stream,
            tls: None,
            ws: None,
            extra: VecDeque::new(),
            extra_pos: 0,
            out: Bytes::new(),
            out_pos: 0,
        })
    }

    /// Where a TCP connect stands: `Ok(true)` once connected.
    pub(super) fn connect_progress(&self, target: SocketAddr) -> Result<bool, Fail> {
        let Stream::Tcp(s) = &self.stream else {
            return Ok(true);
        };
        crate::net::tcp_client::connect_progress(s, target).map_err(|e| {
            let kind = match e {
                crate::net::NetError::ConnectionRefused { .. } => FailKind::Refused,
                crate::net::NetError::ConnectTimeout { .. } => FailKind::ConnectTimedOut,
                crate::net::NetError::Io { kind, .. } => kind_of(&io::Error::from(kind), true),
                _ => FailKind::Other,
            };
            (kind, e.to_string())
        })
    }

    /// Our side's address.
    pub(super) fn local(&self) -> Option<SocketAddr> {
        match &self.stream {
            Stream::Tcp(s) => s.local_addr().ok(),
            Stream::Udp(s) => s.local_addr().ok(),
        }
    }

    /// Runs TLS over the connection from now on; its ClientHello goes on
    /// the next flush.
    pub(super) fn start_tls(&mut self, layer: TlsLayer) {
        self.tls = Some(Box::new(layer));
    }

    /// Runs WebSocket over the connection (over TLS, if it has TLS) from
    /// now on; its upgrade request goes on the next flush.
    pub(super) fn start_ws(&mut self, mut layer: WsLayer) {
        if let Some(request) = layer.take_request() {
            self.extra.push_back(request);
        }
        self.ws = Some(Box::new(layer));
    }

    /// True while a TLS handshake is under way, or a WebSocket is not
    /// open (its upgrade under way, or refused).
    pub(super) fn handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.handshaking())
            || self.ws.as_ref().is_some_and(|w| !w.is_open())
    }

    /// True while part of the current send is not yet written.
    pub(super) fn sending(&self) -> bool {
        self.out_pos < self.out.len()
            || !self.extra.is_empty()
            || self.tls.as_ref().is_some_and(|t| t.has_output())
    }

    /// Starts sending `data` (the previous send is done) and writes what
    /// the system takes now. Gives the bytes written (plaintext over TLS;
    /// over WebSocket, the message's frame).
    pub(super) fn send(&mut self, data: Bytes) -> Result<usize, Fail> {
        self.out = match self.ws.as_deref_mut() {
            Some(ws) => ws
                .message(&data, MessageKind::Text)
                .map(|(frame, _)| frame)
                .map_err(|e| (FailKind::Other, e.to_string()))?,
            None => data,
        };
        self.out_pos = 0;
        self.flush()
    }

    /// Writes what is waiting until the system would block: the WebSocket
    /// layer's own bytes, then the send. Gives the bytes written
    /// (plaintext over TLS: taken by the encryption).
    pub(super) fn flush(&mut self) -> Result<usize, Fail> {
        let mut wrote = 0;
        while let Some(front) = self.extra.front().cloned() {
            let mut pos = self.extra_pos;
            wrote += self.write_one(&front, &mut pos)?;
            self.extra_pos = pos;
            if pos < front.len() {
                return Ok(wrote);
            }
            self.extra.pop_front();
            self.extra_pos = 0;
        }
        let out = self.out.clone();
        let mut pos = self.out_pos;
        wrote += self.write_one(&out, &mut pos)?;
        self.out_pos = pos;
        Ok(wrote)
    }

    /// Writes `out` from `out_pos` on until the system would block.
    fn write_one(&mut self, out: &Bytes, out_pos: &mut usize) -> Result<usize, Fail> {
        match &mut self.stream {
            Stream::Udp(s) => {
                if *out_pos >= out.len() {
                    return Ok(0);
                }
                match s.send(out) {
                    Ok(_) => {
                        *out_pos = out.len();
                        Ok(out.len())
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
                    Err(e) => Err(fail(&e, false)),
                }
            }
            Stream::Tcp(s) => match self.tls.as_deref_mut() {
                None => write_plain(s, out, out_pos),
                Some(tls) => write_tls(s, tls, out, out_pos),
            },
        }
    }

    /// Reads once into `buf` (cleared first; it has [`READ_CHUNK`] bytes
    /// of room). Over TLS the ciphertext goes through `scratch` and the
    /// plaintext lands in `buf`.
    pub(super) fn read(&mut self, buf: &mut Vec<u8>, scratch: &mut Vec<u8>) -> Read {
        match self.read_stream(buf, scratch) {
            Read::Data if self.ws.is_some() => self.ws_input(buf),
            other => other,
        }
    }

    /// WebSocket: takes in the bytes read (in `buf`) and leaves there the
    /// payload of the whole messages they completed; writes what the layer
    /// answers (pongs, the close answer).
    fn ws_input(&mut self, buf: &mut Vec<u8>) -> Read {
        let Some(ws) = self.ws.as_deref_mut() else {
            return Read::Data;
        };
        let steps = ws.input(buf);
        buf.clear();
        let mut end = None;
        for step in steps {
            match step {
                Step::Message(payload, _) => buf.extend_from_slice(&payload),
                Step::Write(bytes) => self.extra.push_back(bytes),
                Step::End(reason) => end = Some(reason),
                // Our FIN follows when the client ends; events are the
                // session's rows, not a load run's.
                Step::Finish | Step::Connected(_) | Step::Emit(_) => {}
            }
        }
        if !self.extra.is_empty()
            && let Err(f) = self.flush()
        {
            return Read::Failed(f);
        }
        match end {
            Some(CloseReason::Error(message)) => Read::Failed((FailKind::Other, message)),
            Some(CloseReason::Tls(failure)) => Read::Failed((FailKind::Tls, failure.to_string())),
            Some(CloseReason::Reset) => Read::Failed((
                FailKind::Reset,
                "the server reset the connection".to_string(),
            )),
            Some(CloseReason::Orderly | CloseReason::Local) if buf.is_empty() => Read::Eof,
            _ if buf.is_empty() => Read::Progress,
            _ => Read::Data,
        }
    }

    /// Reads once from the socket (plaintext over TLS) into `buf`.
    fn read_stream(&mut self, buf: &mut Vec<u8>, scratch: &mut Vec<u8>) -> Read {
        buf.clear();
        match &mut self.stream {
            Stream::Udp(s) => match recv_into(buf, |spare| {
                s.try_io(|| socket2::SockRef::from(&*s).recv(spare))
            }) {
                Ok(_) => Read::Data,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Read::WouldBlock,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => Read::Progress,
                Err(e) => Read::Failed(fail(&e, false)),
            },
            Stream::Tcp(s) => {
                let Some(tls) = self.tls.as_deref_mut() else {
                    return match recv_into(buf, |spare| {
                        s.try_io(|| socket2::SockRef::from(&*s).recv(spare))
                    }) {
                        Ok(0) => Read::Eof,
                        Ok(_) => Read::Data,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Read::WouldBlock,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => Read::Progress,
                        Err(e) => Read::Failed(fail(&e, false)),
                    };
                };
                scratch.clear();
                let n = match recv_into(scratch, |spare| {
                    s.try_io(|| socket2::SockRef::from(&*s).recv(spare))
                }) {
                    Ok(0) => {
                        return match tls.eof_failure() {
                            Some(f) => Read::Failed((FailKind::Tls, f.to_string())),
                            None => Read::Eof,
                        };
                    }
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Read::WouldBlock,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => return Read::Progress,
                    Err(e) => return Read::Failed(fail(&e, false)),
                };
                let input = match tls.input(&scratch[..n]) {
                    Ok(input) => input,
                    Err(f) => {
                        // Best effort: the alert rustls queued.
                        if tls.has_output() {
                            let _ = s.write(&tls.out[tls.out_written..]);
                        }
                        return Read::Failed((FailKind::Tls, f.to_string()));
                    }
                };
                // Handshake answers go at once (and, once it is done, what
                // waited for it: a WebSocket upgrade, the first send).
                let (plain, peer_closed) = (input.plain, input.peer_closed);
                if let Err(f) = self.flush() {
                    return Read::Failed(f);
                }
                buf.extend_from_slice(&plain);
                match (plain.is_empty(), peer_closed) {
                    (false, _) => Read::Data,
                    (true, true) => Read::Eof,
                    (true, false) => Read::Progress,
                }
            }
        }
    }

    /// Finishes our sending (FIN; over TLS close_notify first).
    pub(super) fn finish(&mut self) {
        if let Stream::Tcp(s) = &mut self.stream {
            if let Some(tls) = self.tls.as_deref_mut()
                && !tls.handshaking()
            {
                tls.close_notify();
                if tls.has_output() {
                    let _ = s.write(&tls.out[tls.out_written..]);
                }
            }
            let _ = s.shutdown(Shutdown::Write);
        }
    }

    /// Deregisters and closes the socket.
    pub(super) fn close(mut self, registry: &Registry) {
        match &mut self.stream {
            Stream::Tcp(s) => {
                let _ = registry.deregister(s);
            }
            Stream::Udp(s) => {
                let _ = registry.deregister(s);
            }
        }
    }
}

/// Reads once into the spare room of `buf` (at most [`READ_CHUNK`] bytes)
/// and sets its length.
fn recv_into(
    buf: &mut Vec<u8>,
    read: impl FnOnce(&mut [std::mem::MaybeUninit<u8>]) -> io::Result<usize>,
) -> io::Result<usize> {
    buf.reserve(READ_CHUNK);
    let len = buf.len();
    let spare = &mut buf.spare_capacity_mut()[..READ_CHUNK];
    let n = read(spare)?;
    // SAFETY: the read initialised the first `n` bytes of the spare room,
    // and `n` is at most its length.
    unsafe { buf.set_len(len + n) };
    Ok(n)
}

fn write_plain(s: &mut TcpStream, out: &[u8], pos: &mut usize) -> Result<usize, Fail> {
    let mut wrote = 0;
    while *pos < out.len() {
        // mio's own `write` (see `ReadBuf::read_stream`).
        match s.write(&out[*pos..]) {
            Ok(n) => {
                *pos += n;
                wrote += n;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(fail(&e, false)),
        }
    }
    Ok(wrote)
}

/// TLS: writes ciphertext until the system would block, encrypting the
/// rest of `out` once the handshake is done.
fn write_tls(
    s: &mut TcpStream,
    tls: &mut TlsLayer,
    out: &[u8],
    pos: &mut usize,
) -> Result<usize, Fail> {
    let mut taken = 0;
    loop {
        if tls.has_output() {
            match s.write(&tls.out[tls.out_written..]) {
                Ok(n) => {
                    tls.wrote(n, |_, _| {});
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(taken),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(fail(&e, false)),
            }
        }
        tls.drain();
        if tls.has_output() {
            continue;
        }
        if tls.handshaking() || *pos >= out.len() {
            return Ok(taken);
        }
        let n = tls.encrypt(&out[*pos..]);
        if n == 0 {
            return Ok(taken);
        }
        *pos += n;
        taken += n;
    }
}
