//! One session (one tab of the window): an engine, a thread of its own that
//! takes the engine's events and ingests them into the session's log, and
//! the log that the window reads under a short-held lock.
//!
//! Nothing here is clocked by the window's frames: events are ingested,
//! counted and recorded as they arrive, whether the window is drawing, hidden
//! or minimised. The window only locks the log to read the rows it draws.

mod automation;
mod budget;
mod log;
mod runtime;
mod save;
pub mod search;
pub mod throughput;

pub use automation::{RuleStatus, SequenceStatus};
pub use budget::Budget;
pub use log::{ClientInfo, Counters, LinkState, MAX_RECORDS, SessionLog, Status};
pub use save::{SaveKind, save_log};

use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use crossbeam_channel::Sender;

use crate::automation::{ResponderSettings, Rule, SequenceRun};
use crate::net::{Engine, NetError, PeerId, SessionConfig, SessionHandle, Wake};

use budget::Member;
use runtime::Cmd;

/// State shared between a session's owner and its runtime thread.
#[derive(Default)]
struct Shared {
    /// The open link's handle, for sending from any thread.
    handle: Mutex<Option<SessionHandle>>,
}

impl Shared {
    fn handle_slot(&self) -> MutexGuard<'_, Option<SessionHandle>> {
        self.handle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A session's log, lockable from any thread.
#[derive(Clone)]
pub struct SharedLog(Arc<Member>);

impl SharedLog {
    /// Locks the log; hold it briefly.
    pub fn lock(&self) -> parking_lot::MutexGuard<'_, SessionLog> {
        self.0.lock()
    }
}

/// A session: create it, open and close its link, send through its handle,
/// and read its log. Dropping it closes the link and ends its thread.
pub struct Session {
    member: Arc<Member>,
    shared: Arc<Shared>,
    cmds: Option<Sender<Cmd>>,
    thread: Option<JoinHandle<()>>,
}

impl Session {
    /// A closed session whose log counts against `budget`; `wake` is called
    /// (at most about a hundred times a second) when the log has changed.
    pub fn new(budget: &Arc<Budget>, wake: Wake) -> Session {
        // The session's thread waits on the engine's queue itself, so the
        // engine needs no wake-up of its own.
        Session::with_engine(budget, wake, Engine::new(Arc::new(|| {})))
    }

    /// A closed session over `engine` (a real one, or [`Engine::fake`] for
    /// tests of the window alone).
    pub fn with_engine(budget: &Arc<Budget>, wake: Wake, engine: Engine) -> Session {
        let member = Arc::new(Member::default());
        budget.register(&member);
        let shared = Arc::new(Shared::default());
        let (cmds, thread) = runtime::spawn(
            engine,
            Arc::clone(&member),
            Arc::clone(&shared),
            Arc::clone(budget),
            wake,
        );
        Session {
            member,
            shared,
            cmds: Some(cmds),
            thread,
        }
    }

    /// Opens the link (closing an open one first). Returns at once: the
    /// outcome arrives in the log.
    pub fn open(&self, config: SessionConfig) {
        self.log().opening(config.mode());
        self.command(Cmd::Open(config));
    }

    /// Closes the link. Returns at once; the log says when it has closed.
    pub fn close(&self) {
        *self.shared.handle_slot() = None;
        self.command(Cmd::Close);
    }

    fn command(&self, cmd: Cmd) {
        let sent = self.cmds.as_ref().is_some_and(|c| c.send(cmd).is_ok());
        if !sent {
            let mut log = self.log();
            log.error(NetError::io(
                "the session's thread has stopped",
                &std::io::Error::other("no session thread"),
            ));
        }
    }

    /// A handle to the open link, for sending from any thread.
    pub fn handle(&self) -> Result<SessionHandle, NetError> {
        match &*self.shared.handle_slot() {
            Some(h) if h.is_alive() => Ok(h.clone()),
            _ => Err(NetError::NotOpen),
        }
    }

    /// Finishes our sending on TCP connection `peer` (half-close): our FIN
    /// goes once what is queued for it is written; the peer may go on
    /// sending. The log marks the connection and shows the event.
    pub fn finish(&self, peer: PeerId) -> Result<(), NetError> {
        self.handle()?.finish(peer)?;
        self.log().we_finished(peer);
        Ok(())
    }

    /// Locks the log for reading or changing it. Hold it briefly: the
    /// session's thread waits for it to ingest.
    pub fn log(&self) -> parking_lot::MutexGuard<'_, SessionLog> {
        self.member.lock()
    }

    /// Runs these auto-reply rules on every event from now on (none: no
    /// auto-replies). Their hits and errors appear in the log's `rules`.
    pub fn set_rules(&self, rules: Vec<Rule>, settings: ResponderSettings) {
        self.command(Cmd::Rules(rules, settings));
    }

    /// Starts a sequence run (its progress appears in the log's `sequence`).
    pub fn run_sequence(&self, run: SequenceRun) {
        self.command(Cmd::RunSequence(Box::new(run)));
    }

    /// Stops the sequence run.
    pub fn stop_sequence(&self) {
        self.command(Cmd::StopSequence);
    }

    /// Whether our side finishes sending after a peer finishes (once our
    /// replies are out); otherwise the connection stays half-open.
    pub fn finish_on_peer_fin(&self, on: bool) {
        self.command(Cmd::FinishOnPeerFin(on));
    }

    /// A handle to the log that another thread can lock (a saver).
    pub fn shared_log(&self) -> SharedLog {
        SharedLog(Arc::clone(&self.member))
    }

    /// Records a change made through [`Session::log`] to the store's size
    /// (e.g. after clearing it), so the shared budget sees it.
    pub fn store_changed(&self, log: &SessionLog) {
        self.member.update_cost(log);
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Closing the command channel tells the thread to close the link
        // and end; it never blocks on the network, so this join is short.
        self.cmds = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
