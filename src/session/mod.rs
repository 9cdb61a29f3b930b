//! One session (a tab of the window, or a command-line run): its engine,
//! the runtime that decides what happens, and the log both front-ends read.
//!
//! The [`Runtime`] holds everything above the engine that acts: rules,
//! sequences, the [`scheduler`] of delayed replies, the close policy, the
//! encoding hint and the live capture. The window runs it on a thread of
//! its own through a [`Session`] and reads the log under a short-held
//! lock; the command line runs it on its own thread with an [`Observer`]
//! that prints each row. Nothing here waits for a window to draw.

mod automator;
mod budget;
pub mod load;
pub mod load_report;
mod log;
mod observer;
mod runtime;
mod save;
pub mod scheduler;
pub mod search;
pub mod throughput;

pub use automator::{AutomationStatus, RuleStatus, SequenceNews, SequenceStatus};
pub use budget::Budget;
pub use log::{ClientInfo, Counters, LinkState, LogView, MAX_RECORDS, SessionLog, Status};
pub use observer::{Flow, Observer, Quiet, Signal};
pub use runtime::{Command, Greeting, LiveCapture, Runtime};
pub use save::{SaveKind, save_log};

use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use crossbeam_channel::Sender;

use crate::automation::{ResponderSettings, Rule, SequenceRun};
use crate::codec::{DisplayEncoding, TextEncoding};
use crate::net::{Engine, NetError, PeerId, SessionConfig, SessionHandle, Wake};

use budget::Member;

/// State shared between a session's owner and its runtime.
#[derive(Default)]
pub(crate) struct Shared {
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

/// What the log of a command-line run keeps: the newest 4 MiB of records.
/// The command line prints each row as it comes from its own copy; the log
/// is only looked back on by the encoding hint, right after the rows come.
/// Kept this small, a flood's chunks are dropped while still in the
/// processor's cache, and their buffers go back to the engine's reads warm
/// (with 64 MiB kept, `tcp-server --hex` took 30 to 40 % more of the
/// engine thread's time, all of it in the kernel's copy into cold memory).
const COMMAND_LINE_KEEP: usize = 4 * 1024 * 1024;

/// Makes a runtime for a front-end that runs it on its own thread (the
/// command line): the runtime, and its log.
pub fn runtime(budget: &Arc<Budget>, engine: Engine) -> (Runtime, SharedLog) {
    let member = Arc::new(Member::default());
    member.lock().for_command_line(COMMAND_LINE_KEEP);
    budget.register(&member);
    let rt = Runtime::new(
        engine,
        Arc::clone(&member),
        Arc::new(Shared::default()),
        Arc::clone(budget),
        Arc::new(|| {}),
    );
    (rt, SharedLog(member))
}

/// A session run on a thread of its own (a tab of the window): open and
/// close its link, send through its handle, read its log. Dropping it
/// closes the link and ends its thread.
pub struct Session {
    member: Arc<Member>,
    shared: Arc<Shared>,
    cmds: Option<Sender<Command>>,
    thread: Option<JoinHandle<()>>,
}

impl Session {
    /// A closed session whose log counts against `budget`; `wake` is called
    /// (at most about a hundred times a second) when the log has changed.
    pub fn new(budget: &Arc<Budget>, wake: Wake) -> Session {
        // The runtime waits on the engine's queue itself, so the engine
        // needs no wake-up of its own.
        Session::with_engine(budget, wake, Engine::new(Arc::new(|| {})))
    }

    /// A closed session over `engine`.
    pub fn with_engine(budget: &Arc<Budget>, wake: Wake, engine: Engine) -> Session {
        let member = Arc::new(Member::default());
        budget.register(&member);
        let shared = Arc::new(Shared::default());
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut rt = Runtime::new(
            engine,
            Arc::clone(&member),
            Arc::clone(&shared),
            Arc::clone(budget),
            wake,
        );
        let thread = std::thread::Builder::new()
            .name("netassist-session".to_string())
            .spawn(move || rt.run(&rx, &mut Quiet))
            .ok();
        Session {
            member,
            shared,
            cmds: Some(tx),
            thread,
        }
    }

    /// Opens the link (closing an open one first). Returns at once: the
    /// outcome arrives in the log.
    pub fn open(&self, config: SessionConfig) {
        self.log().opening(config.mode());
        self.command(Command::Open(config));
    }

    /// Closes the link. Returns at once; the log says when it has closed.
    pub fn close(&self) {
        *self.shared.handle_slot() = None;
        self.command(Command::Close);
    }

    /// Hands a command to the runtime.
    pub fn command(&self, cmd: Command) {
        let sent = self.cmds.as_ref().is_some_and(|c| c.send(cmd).is_ok());
        if !sent {
            let mut log = self.log();
            let entry = log.error(NetError::io(
                "the session's thread has stopped",
                &std::io::Error::other("no session thread"),
            ));
            log.push(entry);
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
        self.handle()?;
        self.command(Command::Finish(peer));
        Ok(())
    }

    /// Locks the log for reading or changing it. Hold it briefly: the
    /// runtime waits for it to ingest.
    pub fn log(&self) -> parking_lot::MutexGuard<'_, SessionLog> {
        self.member.lock()
    }

    /// Runs these auto-reply rules on every event from now on (none: no
    /// auto-replies). Their hits and errors appear in the log's automation
    /// status.
    pub fn set_rules(&self, rules: Vec<Rule>, settings: ResponderSettings) {
        self.command(Command::Rules(rules, settings));
    }

    /// Starts a sequence run (its progress appears in the log).
    pub fn run_sequence(&self, run: SequenceRun) {
        self.command(Command::RunSequence(Box::new(run)));
    }

    /// Stops the sequence run.
    pub fn stop_sequence(&self) {
        self.command(Command::StopSequence);
    }

    /// Whether our side finishes sending after a peer finishes (once our
    /// replies are out); otherwise the connection stays half-open.
    pub fn finish_on_peer_fin(&self, on: bool) {
        self.command(Command::FinishOnPeerFin(on));
    }

    /// The encodings the tab shows and sends with (the encoding hint
    /// compares them).
    pub fn set_encodings(&self, display: DisplayEncoding, send: TextEncoding) {
        self.command(Command::Encodings { display, send });
    }

    /// A handle to the log that another thread can lock (a saver).
    pub fn shared_log(&self) -> SharedLog {
        SharedLog(Arc::clone(&self.member))
    }

    /// Records a change made through [`Session::log`] to the store's size
    /// (e.g. after clearing it), so the shared budget sees it.
    pub fn store_changed(&self, log: &SessionLog) {
        self.member.update_store_cost(log);
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Closing the command channel tells the runtime to close the link
        // and end; it never blocks on the network, so this join is short.
        self.cmds = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
