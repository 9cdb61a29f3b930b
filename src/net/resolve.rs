//! Name lookup, always off the poll loop: each lookup runs on a thread of its
//! own (a system lookup cannot be interrupted, so that thread is never
//! joined, and closing a session never waits for it), through a [`Resolver`]
//! the engine is given. UDP remembers what it looked up per host until a
//! refresh.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};

use super::driver::Ctx;
use super::{HostPort, NetError};

/// Looks host names up. The engine calls it on a thread of its own, never on
/// a session's poll loop or the thread that closes a session, so it may block.
pub trait Resolver: Send + Sync {
    /// The addresses of `host` with `port`, in the order to try them.
    fn lookup(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>>;
}

/// The operating system's resolver (`getaddrinfo`: hosts file, DNS, …).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn lookup(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        Ok((host, port).to_socket_addrs()?.collect())
    }
}

/// What one lookup gave.
pub(crate) type LookupResult = Result<Vec<SocketAddr>, NetError>;

/// The address of a host given as an IP literal (no lookup needed).
pub(crate) fn literal(host: &HostPort) -> Option<SocketAddr> {
    host.ip().map(|ip| SocketAddr::new(ip, host.port))
}

fn lookup(resolver: &dyn Resolver, host: &HostPort) -> LookupResult {
    if let Some(addr) = literal(host) {
        return Ok(vec![addr]);
    }
    let not_found = |detail: String| NetError::HostNotFound {
        host: host.host.clone(),
        detail,
    };
    let addrs = resolver
        .lookup(&host.host, host.port)
        .map_err(|e| not_found(e.to_string()))?;
    if addrs.is_empty() {
        return Err(not_found("no addresses".to_string()));
    }
    Ok(addrs)
}

/// Starts looking `host` up on a thread of its own; the result arrives on
/// the returned channel and the worker is woken for it.
pub(crate) fn spawn_lookup(ctx: &Ctx, host: HostPort) -> Result<Receiver<LookupResult>, NetError> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    let shared = Arc::clone(&ctx.shared);
    let resolver = Arc::clone(&ctx.resolver);
    std::thread::Builder::new()
        .name("netassist-resolve".to_string())
        .spawn(move || {
            let _ = tx.send(lookup(resolver.as_ref(), &host));
            shared.wake_worker();
        })
        .map_err(|e| NetError::io("cannot start the name lookup", &e))?;
    Ok(rx)
}

/// Most host names remembered by one session.
const MAX_HOSTS: usize = 256;
/// How long a failed lookup is remembered before a send tries again.
const FAILED_FOR: Duration = Duration::from_secs(5);

enum Entry<T> {
    Looking {
        rx: Receiver<LookupResult>,
        parked: Vec<T>,
    },
    Known(Vec<SocketAddr>),
    Failed {
        err: NetError,
        until: Instant,
    },
}

/// What the cache knows about a host now.
pub(crate) enum Cached<'a> {
    /// Its addresses.
    Known(&'a [SocketAddr]),
    /// A lookup is under way: park the send with [`HostCache::park`].
    Looking,
    /// The lookup failed (recently).
    Failed(NetError),
}

/// A lookup that has finished, with the sends that waited for it.
pub(crate) struct Finished<T> {
    pub(crate) host: HostPort,
    pub(crate) result: LookupResult,
    pub(crate) parked: Vec<T>,
}

/// Host names looked up for sending, each with the sends waiting for it.
pub(crate) struct HostCache<T> {
    entries: HashMap<HostPort, Entry<T>>,
}

impl<T> HostCache<T> {
    pub(crate) fn new() -> HostCache<T> {
        HostCache {
            entries: HashMap::new(),
        }
    }

    /// What is known about `host`, starting a lookup if nothing is.
    pub(crate) fn get(&mut self, ctx: &Ctx, host: &HostPort) -> Cached<'_> {
        let now = Instant::now();
        let stale =
            matches!(self.entries.get(host), Some(Entry::Failed { until, .. }) if *until <= now);
        if (stale || !self.entries.contains_key(host))
            && let Err(err) = self.start(ctx, host)
        {
            return Cached::Failed(err);
        }
        match self.entries.get(host) {
            Some(Entry::Known(addrs)) => Cached::Known(addrs),
            Some(Entry::Failed { err, .. }) => Cached::Failed(err.clone()),
            Some(Entry::Looking { .. }) | None => Cached::Looking,
        }
    }

    /// Starts (or restarts) a lookup of `host`.
    fn start(&mut self, ctx: &Ctx, host: &HostPort) -> Result<(), NetError> {
        if let Some(addr) = literal(host) {
            self.insert(host.clone(), Entry::Known(vec![addr]));
            return Ok(());
        }
        let rx = spawn_lookup(ctx, host.clone())?;
        let parked = match self.entries.remove(host) {
            Some(Entry::Looking { parked, .. }) => parked,
            _ => Vec::new(),
        };
        self.insert(host.clone(), Entry::Looking { rx, parked });
        Ok(())
    }

    fn insert(&mut self, host: HostPort, entry: Entry<T>) {
        if self.entries.len() >= MAX_HOSTS && !self.entries.contains_key(&host) {
            // Forget one finished entry; lookups under way keep their sends.
            let old = self
                .entries
                .iter()
                .find(|(_, e)| !matches!(e, Entry::Looking { .. }))
                .map(|(h, _)| h.clone());
            if let Some(old) = old {
                self.entries.remove(&old);
            }
        }
        self.entries.insert(host, entry);
    }

    /// Keeps `item` until the lookup of `host` under way has finished.
    pub(crate) fn park(&mut self, host: &HostPort, item: T) {
        if let Some(Entry::Looking { parked, .. }) = self.entries.get_mut(host) {
            parked.push(item);
        }
    }

    /// Forgets every finished lookup and looks `keep` up again, so the next
    /// send to any host asks the resolver afresh.
    pub(crate) fn refresh(&mut self, ctx: &Ctx, keep: Option<&HostPort>) -> Result<(), NetError> {
        self.entries
            .retain(|_, e| matches!(e, Entry::Looking { .. }));
        match keep {
            Some(host) if !self.entries.contains_key(host) => self.start(ctx, host),
            _ => Ok(()),
        }
    }

    /// Lookups that have finished since the last call.
    pub(crate) fn finished(&mut self) -> Vec<Finished<T>> {
        let mut done = Vec::new();
        for (host, entry) in &mut self.entries {
            let Entry::Looking { rx, parked } = entry else {
                continue;
            };
            let result = match rx.try_recv() {
                Ok(result) => result,
                Err(TryRecvError::Empty) => continue,
                Err(TryRecvError::Disconnected) => Err(NetError::HostNotFound {
                    host: host.host.clone(),
                    detail: "the lookup ended without an answer".to_string(),
                }),
            };
            let parked = std::mem::take(parked);
            *entry = match &result {
                Ok(addrs) => Entry::Known(addrs.clone()),
                Err(err) => Entry::Failed {
                    err: err.clone(),
                    until: Instant::now() + FAILED_FOR,
                },
            };
            done.push(Finished {
                host: host.clone(),
                result,
                parked,
            });
        }
        done
    }

    /// True while any lookup is under way.
    pub(crate) fn looking(&self) -> bool {
        self.entries
            .values()
            .any(|e| matches!(e, Entry::Looking { .. }))
    }

    /// Every parked send, for a session that is closing.
    pub(crate) fn drain_parked(&mut self) -> Vec<T> {
        let mut all = Vec::new();
        for entry in self.entries.values_mut() {
            if let Entry::Looking { parked, .. } = entry {
                all.append(parked);
            }
        }
        all
    }
}
