//! Writing a direction's queue to its leg, with the faults' timing and
//! pieces.

use std::io::{self, Write};
use std::net::Shutdown;
use std::time::SystemTime;

use crate::net::conn::close_reason;
use crate::net::relay::faults::{later, piece_len};
use crate::net::relay::{FaultEvent, Flow};
use crate::net::tls::layer::TlsLayer;
use crate::net::{CloseReason, Event};

use super::dir::{Cx, Dir, Ids};
use super::leg::Leg;

/// Write calls per direction per turn (slicing makes many small ones).
const WRITES_PER_TURN: usize = 1024;

/// Writes the queue of `dir` to `writer` until it is empty, the system
/// would block, or a fault's time says wait (`dir.wait`); then the FIN,
/// if one is due. `Err` when writing shows the connection is over.
///
/// On a TLS leg the faults act on the plaintext: each piece is encrypted
/// (as records of its own) when the ciphertext before it has been written,
/// and written at once, so at most one piece's ciphertext waits beside the
/// plaintext queue. Nothing is encrypted before the handshake's end; a FIN
/// is preceded by close_notify.
pub(super) fn flush(
    writer: &mut Leg,
    dir: &mut Dir,
    flow: Flow,
    ids: Ids,
    cx: &mut Cx,
) -> Result<(), CloseReason> {
    dir.wait = None;
    if writer.tls.is_some() && dir.shut {
        // Nothing goes after our FIN (the layer's answers are dropped).
        return Ok(());
    }
    let mut writes = 0;
    loop {
        if let Some(tls) = writer.tls.as_deref() {
            if tls.has_output() && !writer.write_cipher(cx.ctx, ids.peer)? {
                return Ok(());
            }
            if writer.tls.as_deref().is_some_and(TlsLayer::handshaking) {
                return Ok(());
            }
        }
        let Some(head) = dir.queue.front_mut() else {
            break;
        };
        if writes == WRITES_PER_TURN {
            // More next turn, after the others.
            dir.wait = Some(cx.now);
            return Ok(());
        }
        if let Some(at) = head.not_before
            && at > cx.now
        {
            dir.wait = Some(at);
            return Ok(());
        }
        if let Some(gate) = dir.gate {
            if gate > cx.now {
                dir.wait = Some(gate);
                return Ok(());
            }
            dir.gate = None;
        }
        let left = head.data.len() - head.at;
        let mut len = left;
        if let Some(slice) = head.slice {
            if head.piece_left == 0 {
                head.piece_left = piece_len(&slice, left, cx.rng);
                head.pieces += 1;
            }
            len = head.piece_left;
        }
        if let Some(bucket) = &mut dir.bucket {
            let allowed = bucket.available(cx.now);
            if allowed == 0 {
                dir.wait = Some(bucket.ready_at());
                return Ok(());
            }
            len = len.min(usize::try_from(allowed).unwrap_or(usize::MAX));
        }
        writes += 1;
        let piece = &head.data[head.at..head.at + len];
        let n = match writer.tls.as_deref_mut() {
            Some(tls) => match tls.encrypt(piece) {
                // rustls takes nothing now: again next turn.
                0 => {
                    dir.wait = Some(cx.now);
                    return Ok(());
                }
                n => n.min(len),
            },
            // mio's own `write` (see `Arena::read_stream`).
            None => match writer.stream.write(piece) {
                Ok(n) => n.min(len),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(close_reason(&e)),
            },
        };
        head.at += n;
        if let Some(bucket) = &mut dir.bucket {
            bucket.spend(n);
        }
        if head.sent.is_some() {
            dir.injected -= n;
            cx.ctx.shared.sub_pending(n);
        } else {
            dir.relayed -= n;
        }
        if let Some(slice) = head.slice {
            head.piece_left -= n;
            if head.piece_left == 0 && !slice.gap.is_zero() {
                dir.gate = Some(later(cx.now, slice.gap));
            }
        }
        if head.at < head.data.len() {
            continue;
        }
        let Some(done) = dir.queue.pop_front() else {
            break;
        };
        if let (Some(meta), Some(tls)) = (done.sent, writer.tls.as_deref_mut()) {
            // Reported once its ciphertext is written.
            tls.mark(0, Some((done.data.clone(), meta)));
        } else if let Some(meta) = done.sent {
            cx.ctx.emit(Event::Sent {
                peer: Some(ids.peer),
                addr: writer.addr,
                time: SystemTime::now(),
                data: done.data,
                meta,
            });
        }
        if let Some(slice) = done.slice
            && done.pieces > 1
        {
            cx.ctx.emit(Event::FaultFired {
                peer: ids.peer,
                flow,
                client: ids.client,
                fault: FaultEvent::Sliced {
                    pieces: done.pieces,
                    max: slice.max,
                },
            });
        }
    }
    if dir.queue.is_empty() && dir.finish && !dir.shut {
        if let Some(tls) = writer.tls.as_deref_mut() {
            tls.close_notify();
            if !writer.write_cipher(cx.ctx, ids.peer)? {
                return Ok(());
            }
        }
        writer
            .stream
            .shutdown(Shutdown::Write)
            .map_err(|e| close_reason(&e))?;
        dir.shut = true;
    }
    Ok(())
}
