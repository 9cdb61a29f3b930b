//! Rewriting relayed chunks on their way: the relay asks a [`Rewriter`]
//! about each chunk it read, before the faults, and forwards what it gets
//! back. What the rewrite rules are is not the engine's business (the
//! automation layer implements [`Rewrite`]); the engine only reports what
//! was changed ([`Event::Rewritten`](crate::net::Event::Rewritten)) or why
//! a rule could not change it
//! ([`Event::RewriteFailed`](crate::net::Event::RewriteFailed)).

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;

use super::Flow;

/// One chunk a relay read, as a rewrite sees it.
#[derive(Debug, Clone, Copy)]
pub struct ChunkIn<'a> {
    /// Which way it goes.
    pub flow: Flow,
    /// The exact bytes read.
    pub data: &'a [u8],
    /// Who sent it: the client (up) or the server (down).
    pub from: SocketAddr,
    /// When it was read.
    pub time: SystemTime,
}

/// What a rewrite made of a chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewritten {
    /// No rule matched: the chunk goes on as read.
    Unchanged,
    /// Rules matched: these bytes go on instead.
    Changed {
        /// The bytes forwarded.
        data: Bytes,
        /// The rules that changed it, numbered from 1 in the list.
        rules: Vec<u32>,
        /// How many matches were replaced in all.
        matches: u32,
    },
    /// A rule matched but its replacement could not be made; the chunk
    /// goes on as read.
    Failed {
        /// The rule's number in the list, from 1.
        rule: u32,
        /// The rule's name, if it has one.
        name: String,
        /// Why.
        reason: String,
    },
}

/// Something that rewrites relayed chunks. It is shared by every pair of
/// a relay and called on the engine's thread, so it must be quick and
/// must bound what it makes.
pub trait Rewrite: Send + Sync + fmt::Debug {
    /// What to forward instead of `chunk`.
    fn rewrite(&self, chunk: ChunkIn<'_>) -> Rewritten;
}

/// A shared [`Rewrite`], as a relay is given it. Two are equal when they
/// are the same one.
#[derive(Clone)]
pub struct Rewriter(pub Arc<dyn Rewrite>);

impl Rewriter {
    /// What to forward instead of `chunk`.
    pub fn rewrite(&self, chunk: ChunkIn<'_>) -> Rewritten {
        self.0.rewrite(chunk)
    }
}

impl fmt::Debug for Rewriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq for Rewriter {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Rewriter {}

/// Reports a chunk a relay read (`pair` is its peer id and client) and
/// puts it through the rewrite rules: returns the bytes to forward.
pub(super) fn relay_chunk(
    ctx: &mut crate::net::driver::Ctx,
    rewrite: Option<&Rewriter>,
    pair: (crate::net::PeerId, SocketAddr),
    flow: Flow,
    from: SocketAddr,
    data: Bytes,
) -> Bytes {
    use crate::net::Event;
    let (peer, client) = pair;
    let time = SystemTime::now();
    let outcome = rewrite.map_or(Rewritten::Unchanged, |r| {
        r.rewrite(ChunkIn {
            flow,
            data: &data,
            from,
            time,
        })
    });
    let changed = matches!(outcome, Rewritten::Changed { .. });
    ctx.emit(Event::Relayed {
        peer,
        flow,
        client,
        time,
        data: data.clone(),
        rewritten: changed,
    });
    match outcome {
        Rewritten::Unchanged => data,
        Rewritten::Changed {
            data: new,
            rules,
            matches,
        } => {
            ctx.emit(Event::Rewritten {
                peer,
                flow,
                client,
                time,
                data: new.clone(),
                rules,
                matches,
                original_len: data.len(),
            });
            new
        }
        Rewritten::Failed { rule, name, reason } => {
            ctx.emit(Event::RewriteFailed {
                peer,
                flow,
                client,
                rule,
                name,
                reason,
            });
            data
        }
    }
}
