//! One connection's TLS state: the rustls connection, the ciphertext made
//! and not yet written, and which sends that ciphertext finishes.
//!
//! Ciphertext never waits inside rustls: after every step it is drained into
//! [`TlsLayer::out`], so the connection knows exactly where each send's last
//! byte lies in the byte stream and reports it as sent when that byte has
//! been handed to the socket, as plain TCP does. Plaintext is encrypted only
//! when `out` has been written, a chunk at a time, so memory stays bounded
//! by the connection's send queue plus one chunk.

use std::collections::VecDeque;
use std::io::BufRead;
use std::sync::Arc;

use bytes::Bytes;

use super::failure::{FIRST_BYTES, TlsFailure, TlsFailureKind, looks_like_tls_record};
use super::info::{CertInfo, TlsInfo, TlsVersion};
use super::keylog::FileKeyLog;
use super::setup::{ClientTls, ServerTls};
use crate::net::{NetError, SendMeta};

/// Most plaintext encrypted in one step.
pub(crate) const ENCRYPT_CHUNK: usize = 64 * 1024;

/// A send whose plaintext (all or part) has been encrypted, waiting for its
/// ciphertext to be written.
struct Mark {
    /// Where its ciphertext ends in the stream of bytes written.
    end: u64,
    /// How many plaintext bytes it covers.
    plain: usize,
    /// The whole send, when this part is its last.
    done: Option<(Bytes, SendMeta)>,
}

/// What one batch of ciphertext from the peer gave.
pub(crate) struct Input {
    /// The plaintext in it (may be empty).
    pub(crate) plain: Vec<u8>,
    /// The peer sent close_notify: it has finished sending.
    pub(crate) peer_closed: bool,
}

/// One connection's TLS layer.
pub(crate) struct TlsLayer {
    conn: rustls::Connection,
    /// Ciphertext made and not yet written; `out_written` of it has been.
    pub(crate) out: Vec<u8>,
    pub(crate) out_written: usize,
    /// Ciphertext bytes written since the start.
    written: u64,
    marks: VecDeque<Mark>,
    /// The peer's first bytes (up to [`FIRST_BYTES`]), kept until the
    /// handshake is done, to tell a peer that does not speak TLS.
    first_bytes: Vec<u8>,
    /// The handshake's end has been reported.
    established: bool,
    /// Our close_notify has been queued.
    pub(crate) close_notify_sent: bool,
    /// The SNI we sent (client side).
    sent_sni: Option<String>,
    key_log: Option<Arc<FileKeyLog>>,
}

impl TlsLayer {
    /// The layer of a connection accepted by a TLS server.
    pub(crate) fn server(tls: &ServerTls) -> Result<TlsLayer, rustls::Error> {
        let conn = rustls::ServerConnection::new(Arc::clone(&tls.config))?;
        Ok(TlsLayer::new(conn.into(), None, tls.key_log.clone()))
    }

    /// The layer of a TLS client's connection; its ClientHello is queued.
    pub(crate) fn client(tls: &ClientTls) -> Result<TlsLayer, rustls::Error> {
        let conn = rustls::ClientConnection::new(Arc::clone(&tls.config), tls.name.clone())?;
        let mut layer = TlsLayer::new(conn.into(), tls.sni(), tls.key_log.clone());
        layer.drain();
        Ok(layer)
    }

    fn new(
        conn: rustls::Connection,
        sent_sni: Option<String>,
        key_log: Option<Arc<FileKeyLog>>,
    ) -> TlsLayer {
        TlsLayer {
            conn,
            out: Vec::new(),
            out_written: 0,
            written: 0,
            marks: VecDeque::new(),
            first_bytes: Vec::new(),
            established: false,
            close_notify_sent: false,
            sent_sni,
            key_log,
        }
    }

    /// True while the handshake has not finished.
    pub(crate) fn handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// True when ciphertext is waiting to be written.
    pub(crate) fn has_output(&self) -> bool {
        self.out_written < self.out.len()
    }

    /// Moves what rustls has to send into `out`.
    pub(crate) fn drain(&mut self) {
        if self.out_written == self.out.len() {
            self.out.clear();
            self.out_written = 0;
        }
        while self.conn.wants_write() {
            let before = self.out.len();
            // Writing into a Vec cannot fail.
            if self.conn.write_tls(&mut self.out).is_err() || self.out.len() == before {
                break;
            }
        }
    }

    /// Where the ciphertext made so far ends in the stream of bytes written.
    fn produced(&self) -> u64 {
        self.written + (self.out.len() - self.out_written) as u64
    }

    /// Encrypts up to [`ENCRYPT_CHUNK`] bytes of `data` into `out` and
    /// gives how many were taken (0 only if rustls takes nothing now).
    pub(crate) fn encrypt(&mut self, data: &[u8]) -> usize {
        let chunk = &data[..data.len().min(ENCRYPT_CHUNK)];
        let n = std::io::Write::write(&mut self.conn.writer(), chunk).unwrap_or(0);
        self.drain();
        n
    }

    /// Notes that the ciphertext made so far ends `plain` bytes of a send,
    /// and the whole send (`done`) if they are its last.
    pub(crate) fn mark(&mut self, plain: usize, done: Option<(Bytes, SendMeta)>) {
        self.marks.push_back(Mark {
            end: self.produced(),
            plain,
            done,
        });
    }

    /// Queues our close_notify (once).
    pub(crate) fn close_notify(&mut self) {
        if !self.close_notify_sent {
            self.close_notify_sent = true;
            self.conn.send_close_notify();
            self.drain();
        }
    }

    /// Counts `n` more bytes of `out` as written and hands each send part
    /// now wholly written to `settled` (its plaintext bytes, and the whole
    /// send if it was the last part).
    pub(crate) fn wrote(
        &mut self,
        n: usize,
        mut settled: impl FnMut(usize, Option<(Bytes, SendMeta)>),
    ) {
        self.out_written += n;
        self.written += n as u64;
        while self.marks.front().is_some_and(|m| m.end <= self.written) {
            if let Some(mark) = self.marks.pop_front() {
                settled(mark.plain, mark.done);
            }
        }
        if self.out_written == self.out.len() {
            self.out.clear();
            self.out_written = 0;
        }
    }

    /// Feeds ciphertext from the peer through rustls: the plaintext in it,
    /// or why the connection cannot go on. What rustls wants to send back
    /// (handshake messages, alerts) is in `out` afterwards.
    pub(crate) fn input(&mut self, mut cipher: &[u8]) -> Result<Input, TlsFailure> {
        if !self.established && self.first_bytes.len() < FIRST_BYTES {
            let take = cipher.len().min(FIRST_BYTES - self.first_bytes.len());
            self.first_bytes.extend_from_slice(&cipher[..take]);
        }
        // Plaintext is never longer than its ciphertext.
        let mut plain = Vec::with_capacity(cipher.len());
        let mut peer_closed = false;
        while !cipher.is_empty() && !peer_closed {
            match self.conn.read_tls(&mut cipher) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    self.drain();
                    return Err(TlsFailure::local(
                        TlsFailureKind::Other(e.to_string()),
                        e.to_string(),
                    ));
                }
            }
            let state = match self.conn.process_new_packets() {
                Ok(state) => state,
                Err(e) => {
                    // The alert rustls queued goes out before the close.
                    self.drain();
                    return Err(TlsFailure::from_rustls(&e, &self.first_bytes));
                }
            };
            // Copied out record by record, without zeroing a buffer first.
            let mut left = state.plaintext_bytes_to_read();
            while left > 0 {
                let mut reader = self.conn.reader();
                let n = match reader.fill_buf() {
                    Ok(chunk) if !chunk.is_empty() => {
                        let n = chunk.len().min(left);
                        plain.extend_from_slice(&chunk[..n]);
                        n
                    }
                    Ok(_) => break,
                    Err(e) => {
                        let text = e.to_string();
                        return Err(TlsFailure::local(TlsFailureKind::Other(text.clone()), text));
                    }
                };
                reader.consume(n);
                left -= n;
            }
            peer_closed = state.peer_has_closed();
        }
        self.drain();
        Ok(Input { plain, peer_closed })
    }

    /// Why the connection failed if the peer closed it (FIN) now: `None`
    /// after the handshake (an ordinary end of its sending).
    pub(crate) fn eof_failure(&self) -> Option<TlsFailure> {
        if !self.conn.is_handshaking() {
            return None;
        }
        let kind = if !self.first_bytes.is_empty() && !looks_like_tls_record(&self.first_bytes) {
            TlsFailureKind::NotTls {
                first_bytes: self.first_bytes.clone(),
            }
        } else {
            TlsFailureKind::ClosedDuringHandshake
        };
        let detail = kind.to_string();
        Some(TlsFailure::local(kind, detail))
    }

    /// The handshake's outcome, the first time it is asked after the
    /// handshake has finished.
    pub(crate) fn newly_established(&mut self) -> Option<TlsInfo> {
        if self.established || self.conn.is_handshaking() {
            return None;
        }
        self.established = true;
        self.first_bytes = Vec::new();
        let version = match self.conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_2) => TlsVersion::Tls12,
            _ => TlsVersion::Tls13,
        };
        let cipher_suite = self
            .conn
            .negotiated_cipher_suite()
            .map(|s| {
                let suite = s.suite();
                suite
                    .as_str()
                    .map_or_else(|| format!("{suite:?}"), str::to_string)
            })
            .unwrap_or_default();
        let alpn = self
            .conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        let sni = match &self.conn {
            rustls::Connection::Server(s) => s.server_name().map(str::to_string),
            rustls::Connection::Client(_) => self.sent_sni.clone(),
        };
        let peer_chain = self
            .conn
            .peer_certificates()
            .map(|chain| chain.iter().map(|c| CertInfo::from_der(c)).collect())
            .unwrap_or_default();
        Some(TlsInfo {
            version,
            cipher_suite,
            alpn,
            sni,
            peer_chain,
        })
    }

    /// The key log's first failure, once.
    pub(crate) fn key_log_error(&self) -> Option<NetError> {
        let log = self.key_log.as_ref()?;
        log.take_error().map(|message| NetError::KeyLog {
            path: log.path().to_path_buf(),
            message,
        })
    }
}
