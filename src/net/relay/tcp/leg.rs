//! A pair's two connections (legs): which side reads and writes for each
//! direction, their tokens, and how a leg is written (TLS) and closed.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use mio::Token;
use mio::net::TcpStream;

use crate::net::conn::close_reason;
use crate::net::driver::Ctx;
use crate::net::relay::Flow;
use crate::net::tls::layer::TlsLayer;
use crate::net::tls::{TlsFailure, TlsFailureKind};
use crate::net::{CloseReason, Event, PeerId};

/// One of a pair's two connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    /// To the client.
    Client,
    /// To the target.
    Upstream,
}

/// The other direction.
pub(super) fn other(flow: Flow) -> Flow {
    match flow {
        Flow::Up => Flow::Down,
        Flow::Down => Flow::Up,
    }
}

/// The side that reads for a flow, and the one that writes.
pub(super) fn sides(flow: Flow) -> (Side, Side) {
    match flow {
        Flow::Up => (Side::Client, Side::Upstream),
        Flow::Down => (Side::Upstream, Side::Client),
    }
}

pub(super) fn client_token(id: u64) -> Token {
    Token(id as usize * 2)
}

pub(super) fn upstream_token(id: u64) -> Token {
    Token(id as usize * 2 + 1)
}

/// A connected leg.
pub(super) struct Leg {
    pub(super) stream: TcpStream,
    /// The remote end (client or target), as reported.
    pub(super) addr: SocketAddr,
    /// Readiness seen and not yet read to `WouldBlock`.
    pub(super) readable: bool,
    /// The TLS layer, when this leg speaks TLS.
    pub(super) tls: Option<Box<TlsLayer>>,
}

impl Leg {
    pub(super) fn plain(stream: TcpStream, addr: SocketAddr, readable: bool) -> Leg {
        Leg {
            stream,
            addr,
            readable,
            tls: None,
        }
    }

    /// TLS: writes the ciphertext waiting until none is left (`Ok(true)`)
    /// or the system would block (`Ok(false)`). A send command's bytes
    /// are reported as sent once the ciphertext that ends them is written.
    pub(super) fn write_cipher(
        &mut self,
        ctx: &mut Ctx,
        peer: PeerId,
    ) -> Result<bool, CloseReason> {
        let Some(tls) = self.tls.as_deref_mut() else {
            return Ok(true);
        };
        while tls.has_output() {
            // mio's own `write` (see `Arena::read_stream`).
            match self.stream.write(&tls.out[tls.out_written..]) {
                Ok(n) => {
                    let addr = self.addr;
                    tls.wrote(n, |_, done| {
                        if let Some((data, meta)) = done {
                            ctx.emit(Event::Sent {
                                peer: Some(peer),
                                addr,
                                time: SystemTime::now(),
                                data,
                                meta,
                            });
                        }
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(close_reason(&e)),
            }
        }
        Ok(true)
    }

    /// TLS: writes what the layer has ready once, whatever comes of it
    /// (an alert before a close).
    pub(super) fn write_cipher_once(&mut self) {
        if let Some(tls) = self.tls.as_deref_mut()
            && tls.has_output()
        {
            let _ = self.stream.write(&tls.out[tls.out_written..]);
        }
    }
}

/// A TLS failure that is not the peer's doing (the layer could not be
/// made).
pub(super) fn local_failure(e: &rustls::Error) -> CloseReason {
    let text = e.to_string();
    CloseReason::Tls(TlsFailure::local(TlsFailureKind::Other(text.clone()), text))
}

/// Closes a connected leg as [`close_stream`] does; a TLS leg closed
/// without a reset gets close_notify first if it has not had one (best
/// effort: the end is told, not cut).
pub(super) fn close_leg(ctx: &mut Ctx, mut leg: Leg, abort: bool) {
    if !abort
        && let Some(tls) = leg.tls.as_deref_mut()
        && !tls.handshaking()
        && !tls.close_notify_sent
    {
        tls.close_notify();
        leg.write_cipher_once();
    }
    close_stream(ctx, leg.stream, abort);
}

/// Closes a leg: deregistered, then closed (a FIN), or reset when
/// `abort` (SO_LINGER 0).
pub(super) fn close_stream(ctx: &mut Ctx, mut stream: TcpStream, abort: bool) {
    let _ = ctx.poll.registry().deregister(&mut stream);
    if abort {
        let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    }
    drop(stream);
}
