//! One direction of a pair (its queue of chunks and its faults' state),
//! and what a pair's work needs from the driver.

use crate::net::conn::ReadBuf;
use crate::net::driver::Ctx;
use crate::net::relay::arena::Arena;
use crate::net::relay::faults::{Bucket, EndCount};
use crate::net::relay::{FaultSet, Faults, Rewriter, Slice};
use crate::net::tls::setup::ClientTls;
use crate::net::{PeerId, SendMeta};
use bytes::Bytes;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

/// Relayed bytes one direction of a pair holds while its writer cannot
/// keep up; reading that direction stops at this (a read adds at most one
/// chunk more).
pub(super) const DIR_QUEUE: usize = 512 * 1024;

/// Bytes on their way to one leg.
pub(super) struct Chunk {
    pub(super) data: Bytes,
    /// Bytes written so far.
    pub(super) at: usize,
    /// Delay: not before this.
    pub(super) not_before: Option<Instant>,
    /// Slicing in force when it was read.
    pub(super) slice: Option<Slice>,
    /// Bytes left of the piece being written.
    pub(super) piece_left: usize,
    /// Pieces begun.
    pub(super) pieces: u32,
    /// From a send command (reported as sent once written), not relayed.
    pub(super) sent: Option<SendMeta>,
}

/// One direction of a pair.
#[derive(Default)]
pub(super) struct Dir {
    pub(super) queue: VecDeque<Chunk>,
    /// Relayed bytes queued (counted against [`DIR_QUEUE`]).
    pub(super) relayed: usize,
    /// Bytes of send commands queued (counted as pending sends).
    pub(super) injected: usize,
    /// Slicing's gap: no write before this.
    pub(super) gate: Option<Instant>,
    /// When the head of the queue may go, if it waits for a time.
    pub(super) wait: Option<Instant>,
    pub(super) bucket: Option<Bucket>,
    /// Delay: when the last chunk goes (none goes before it).
    pub(super) last_release: Option<Instant>,
    pub(super) end: EndCount,
    /// The reading side has finished (FIN read).
    pub(super) eof: bool,
    /// The writing side gets a FIN once the queue is written.
    pub(super) finish: bool,
    /// The writing side has been shut (FIN sent).
    pub(super) shut: bool,
    /// An end fault blackholed this direction: reads go nowhere.
    pub(super) blackhole: bool,
    /// The pair is being finished or closed: reads go nowhere.
    pub(super) closing: bool,
    /// A reset fault waits for this queue to be written.
    pub(super) reset_when_drained: bool,
}

impl Dir {
    pub(super) fn new(faults: &FaultSet, now: Instant) -> Dir {
        let mut dir = Dir::default();
        dir.set_faults(faults, now);
        dir
    }

    /// New faults: counts start again, a blackhole is lifted.
    pub(super) fn set_faults(&mut self, faults: &FaultSet, now: Instant) {
        self.end = EndCount::default();
        self.blackhole = false;
        self.bucket = faults.rate.map(|rate| Bucket::new(rate, now));
    }

    /// Nothing more will be read or written this way.
    pub(super) fn over(&self) -> bool {
        self.eof && (self.shut || (self.blackhole && !self.finish))
    }
}

/// What identifies a pair in events.
#[derive(Clone, Copy)]
pub(super) struct Ids {
    pub(super) peer: PeerId,
    pub(super) client: SocketAddr,
}

/// What a pair's work needs from the driver.
pub(super) struct Cx<'a> {
    pub(super) ctx: &'a mut Ctx,
    pub(super) buf: &'a mut Arena,
    pub(super) rng: &'a mut fastrand::Rng,
    pub(super) faults: &'a Faults,
    /// The rewrite rules, if any.
    pub(super) rewrite: Option<&'a Rewriter>,
    pub(super) now: Instant,
    /// Ciphertext is read here (it is consumed at once).
    pub(super) cipher: &'a mut ReadBuf,
    /// TLS towards the target, if the relay speaks it.
    pub(super) upstream_tls: Option<&'a ClientTls>,
}
