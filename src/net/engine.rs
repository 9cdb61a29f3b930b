//! [`Engine`]: one event queue that outlives sessions, and at most one open
//! session at a time.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;

use super::queue::{self, EventSink};
use super::worker::{self, Spawned};
use super::{
    Event, EventQueue, NetError, Resolver, SessionConfig, SessionHandle, SystemResolver, Wake,
};

/// One running worker thread and the handle to talk to it.
struct Session {
    handle: SessionHandle,
    thread: Option<JoinHandle<()>>,
}

impl Session {
    fn close(&mut self) {
        self.handle.shared.stop.store(true, Ordering::Release);
        self.handle.shared.wake_worker();
        if let Some(thread) = self.thread.take() {
            // The worker never blocks on the event channel or a name lookup,
            // so this returns as soon as it has closed its sockets.
            let _ = thread.join();
        }
    }
}

/// The engine. Dropping it closes the session.
pub struct Engine {
    sink: EventSink,
    events: EventQueue,
    resolver: Arc<dyn Resolver>,
    session: Option<Session>,
    /// Set for an engine made by `Engine::fake`.
    #[cfg(feature = "test-support")]
    fake: Option<super::fake::FakeNet>,
}

impl Engine {
    /// Creates an engine whose events go to one queue; `wake` is called after
    /// new events are queued.
    pub fn new(wake: Wake) -> Engine {
        Engine::with_limit(wake, queue::DEFAULT_INFLIGHT_LIMIT)
    }

    /// Like [`Engine::new`] with a custom cap on received bytes waiting in the
    /// event queue (the back-pressure threshold).
    pub fn with_limit(wake: Wake, inflight_limit: usize) -> Engine {
        let (sink, events) = queue::channel(wake, inflight_limit);
        Engine {
            sink,
            events,
            resolver: Arc::new(SystemResolver),
            session: None,
            #[cfg(feature = "test-support")]
            fake: None,
        }
    }

    /// An engine whose sessions touch no socket: they open at once, take
    /// every send as written, and the returned `FakeNet` plays the peers.
    /// For tests of what sits above the engine (the window); only in builds
    /// with the `test-support` feature.
    #[cfg(feature = "test-support")]
    pub fn fake(wake: Wake) -> (Engine, super::fake::FakeNet) {
        use super::fake::FakeNet;
        let net = FakeNet::default();
        let mut engine = Engine::new(wake);
        engine.fake = Some(net.clone());
        (engine, net)
    }

    /// Uses `resolver` for host names in sessions opened from now on
    /// (the default is the system's, [`SystemResolver`]); for tests.
    #[cfg(feature = "test-support")]
    pub fn with_resolver(mut self, resolver: Arc<dyn Resolver>) -> Engine {
        self.resolver = resolver;
        self
    }

    /// The queue of events from every session this engine has run.
    pub fn events(&self) -> &EventQueue {
        &self.events
    }

    /// Opens a session, closing any open one first.
    pub fn open(&mut self, config: SessionConfig) {
        self.close();
        #[cfg(feature = "test-support")]
        let fake = self.fake.as_ref().map(|f| Arc::clone(&f.inner));
        #[cfg(not(feature = "test-support"))]
        let fake = None;
        match worker::spawn(config, self.sink.clone(), Arc::clone(&self.resolver), fake) {
            Ok(Spawned { tx, shared, thread }) => {
                self.session = Some(Session {
                    handle: SessionHandle { tx, shared },
                    thread: Some(thread),
                });
            }
            Err(err) => {
                self.sink
                    .emit(Event::Error(NetError::io("cannot start a session", &err)));
                self.sink.emit(Event::Closed);
                self.sink.flush();
                self.sink.wake();
            }
        }
    }

    /// Closes the open session, if any, and joins its threads (never a name
    /// lookup's: those finish on their own).
    pub fn close(&mut self) {
        if let Some(mut session) = self.session.take() {
            session.close();
        }
    }

    /// A handle to the open session for other threads.
    pub fn handle(&self) -> Result<SessionHandle, NetError> {
        match &self.session {
            Some(s) if s.handle.is_alive() => Ok(s.handle.clone()),
            _ => Err(NetError::NotOpen),
        }
    }

    /// True while a session's worker is running (it may still be connecting).
    pub fn is_running(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.handle.is_alive())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.close();
    }
}
