//! What the engine tests share: an engine that wakes no one, and taking
//! its events until the one a test waits for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use netassist::net::{Engine, Event};

/// An engine whose wake-up does nothing: the tests take its events.
pub fn engine() -> Engine {
    Engine::new(Arc::new(|| {}))
}

/// Takes events until `pick` returns Some, failing after `wait`.
pub fn wait_within<T>(
    engine: &Engine,
    wait: Duration,
    what: &str,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    let end = Instant::now() + wait;
    while Instant::now() < end {
        if let Some(ev) = engine.events().recv_timeout(Duration::from_millis(50))
            && let Some(v) = pick(&ev)
        {
            return v;
        }
    }
    panic!("timed out waiting for {what}");
}
