//! Where the relay's target is: an IP literal at once, a host name looked
//! up off the poll loop (one lookup at a time, for every client that
//! waits) and remembered for a while, so a burst of clients costs one
//! lookup, and a target that moves is followed.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};

use super::super::driver::Ctx;
use super::super::resolve::{LookupResult, literal, spawn_lookup};
use super::super::{HostPort, NetError};

/// How long looked-up addresses are used before the next client looks again.
const KNOWN_FOR: Duration = Duration::from_secs(30);
/// How long a failed lookup answers for itself before a client tries again.
const FAILED_FOR: Duration = Duration::from_secs(2);

enum State {
    /// An IP literal: nothing to look up.
    Fixed(SocketAddr),
    /// Not looked up yet, or what was found is too old.
    Unknown,
    Looking(Receiver<LookupResult>),
    Known {
        addrs: Vec<SocketAddr>,
        until: Instant,
    },
    Failed {
        err: NetError,
        until: Instant,
    },
}

/// What is known of the target now.
pub(crate) enum Lookup {
    /// Its addresses, in the order to try them.
    Known(Vec<SocketAddr>),
    /// A lookup is under way: wait for [`TargetAddrs::finished`].
    Looking,
    /// The lookup failed.
    Failed(NetError),
}

/// The target's addresses.
pub(crate) struct TargetAddrs {
    target: HostPort,
    state: State,
}

impl TargetAddrs {
    /// Nothing looked up yet (an IP literal is known at once).
    pub(crate) fn new(target: HostPort) -> TargetAddrs {
        let state = match literal(&target) {
            Some(addr) => State::Fixed(addr),
            None => State::Unknown,
        };
        TargetAddrs { target, state }
    }

    /// The addresses, starting a lookup if none is known.
    pub(crate) fn get(&mut self, ctx: &Ctx) -> Lookup {
        let now = Instant::now();
        match &self.state {
            State::Fixed(addr) => return Lookup::Known(vec![*addr]),
            State::Known { addrs, until } if *until > now => return Lookup::Known(addrs.clone()),
            State::Failed { err, until } if *until > now => return Lookup::Failed(err.clone()),
            State::Looking(_) => return Lookup::Looking,
            State::Unknown | State::Known { .. } | State::Failed { .. } => {}
        }
        match spawn_lookup(ctx, self.target.clone()) {
            Ok(rx) => {
                self.state = State::Looking(rx);
                Lookup::Looking
            }
            Err(err) => Lookup::Failed(err),
        }
    }

    /// Forgets looked-up addresses: the next client looks again (a lookup
    /// under way goes on).
    pub(crate) fn forget(&mut self) {
        if matches!(self.state, State::Known { .. } | State::Failed { .. }) {
            self.state = State::Unknown;
        }
    }

    /// True while a lookup is under way.
    pub(crate) fn looking(&self) -> bool {
        matches!(self.state, State::Looking(_))
    }

    /// The result of the lookup under way, once it has ended.
    pub(crate) fn finished(&mut self) -> Option<Result<Vec<SocketAddr>, NetError>> {
        let State::Looking(rx) = &self.state else {
            return None;
        };
        let result = match rx.try_recv() {
            Ok(result) => result,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => Err(NetError::HostNotFound {
                host: self.target.host.clone(),
                detail: "the lookup ended without an answer".to_string(),
            }),
        };
        let now = Instant::now();
        self.state = match &result {
            Ok(addrs) => State::Known {
                addrs: addrs.clone(),
                until: now + KNOWN_FOR,
            },
            Err(err) => State::Failed {
                err: err.clone(),
                until: now + FAILED_FOR,
            },
        };
        Some(result)
    }
}
