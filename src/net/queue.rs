//! The event channel between a worker and its consumer, bounded by bytes.
//!
//! The channel itself never blocks the worker (it is unbounded in count), but
//! every received byte is counted until the consumer takes its event. Workers
//! stop reading sockets while the count is over the limit, which gives TCP
//! back-pressure without any chance of a worker blocking while the consumer
//! waits for it to close.
//!
//! A worker gathers the events of one turn of its loop and sends them in
//! one go (one channel send, one wake-up of the consumer), so a burst of
//! small datagrams costs the consumer one wake-up per batch, not one each.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError};

use super::{Event, Wake};

/// Default cap on received bytes waiting for the consumer: 8 MiB.
pub const DEFAULT_INFLIGHT_LIMIT: usize = 8 * 1024 * 1024;

/// Creates a connected sink/queue pair.
pub(crate) fn channel(wake: Wake, limit: usize) -> (EventSink, EventQueue) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let inflight = Arc::new(AtomicUsize::new(0));
    let sink = EventSink {
        tx,
        inflight: Arc::clone(&inflight),
        limit,
        wake,
        pending: Vec::new(),
        pending_bytes: 0,
    };
    let queue = EventQueue {
        rx,
        inflight,
        ready: RefCell::new(Vec::new().into_iter()),
    };
    (sink, queue)
}

/// The bytes an event carries that were read from a peer (received, or
/// relayed): these count against the limit.
fn read_bytes(event: &Event) -> usize {
    match event {
        Event::Received { data, .. }
        | Event::Relayed { data, .. }
        | Event::Rewritten { data, .. }
        | Event::WsWire { data, .. } => data.len(),
        _ => 0,
    }
}

/// Received (and relayed) bytes in `events`.
fn received_bytes(events: &[Event]) -> usize {
    events.iter().map(read_bytes).sum()
}

/// The worker's end: gathers events, sends them in batches, and says
/// whether reading may go on.
pub(crate) struct EventSink {
    tx: Sender<Vec<Event>>,
    inflight: Arc<AtomicUsize>,
    limit: usize,
    wake: Wake,
    /// Events emitted since the last [`EventSink::flush`].
    pending: Vec<Event>,
    /// Received bytes among them.
    pending_bytes: usize,
}

impl Clone for EventSink {
    /// Another sink on the same channel, with nothing gathered yet.
    fn clone(&self) -> EventSink {
        EventSink {
            tx: self.tx.clone(),
            inflight: Arc::clone(&self.inflight),
            limit: self.limit,
            wake: Arc::clone(&self.wake),
            pending: Vec::new(),
            pending_bytes: 0,
        }
    }
}

impl EventSink {
    /// Gathers an event for the next [`EventSink::flush`]; never blocks.
    pub(crate) fn emit(&mut self, event: Event) {
        self.pending_bytes += read_bytes(&event);
        self.pending.push(event);
    }

    /// Sends the events gathered, in order, in one batch; true if there
    /// were any. A consumer that has gone away is ignored.
    pub(crate) fn flush(&mut self) -> bool {
        if self.pending.is_empty() {
            return false;
        }
        let events = std::mem::take(&mut self.pending);
        self.inflight
            .fetch_add(std::mem::take(&mut self.pending_bytes), Ordering::AcqRel);
        let _ = self.tx.send(events);
        true
    }

    /// True while received bytes waiting for the consumer (sent or still
    /// gathered) are under the limit.
    pub(crate) fn has_room(&self) -> bool {
        self.inflight.load(Ordering::Acquire) + self.pending_bytes < self.limit
    }

    /// Tells the consumer new events are there.
    pub(crate) fn wake(&self) {
        (self.wake)();
    }
}

/// What [`EventQueue::recv_or`] got.
#[derive(Debug)]
pub enum Next<T> {
    /// An engine event.
    Event(Event),
    /// A message on the other channel (`None`: that channel is closed).
    Other(Option<T>),
    /// Neither arrived in time.
    Timeout,
}

/// The consumer's end: every event from every session of one engine, in
/// order. It takes the workers' batches whole and hands their events out
/// one at a time (so it is meant for one consuming thread).
pub struct EventQueue {
    rx: Receiver<Vec<Event>>,
    inflight: Arc<AtomicUsize>,
    /// The rest of the batch taken last.
    ready: RefCell<std::vec::IntoIter<Event>>,
}

impl EventQueue {
    /// Takes the next event if one is waiting.
    pub fn try_recv(&self) -> Option<Event> {
        if let Some(ev) = self.next_ready() {
            return Some(ev);
        }
        match self.rx.try_recv() {
            Ok(batch) => self.taken(batch),
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => None,
        }
    }

    /// Waits up to `timeout` for the next event.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Event> {
        if let Some(ev) = self.next_ready() {
            return Some(ev);
        }
        match self.rx.recv_timeout(timeout) {
            Ok(batch) => self.taken(batch),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Waits up to `timeout` for the next event or a message on `other`,
    /// whichever comes first, so one thread can serve both.
    pub fn recv_or<T>(&self, other: &Receiver<T>, timeout: Duration) -> Next<T> {
        if let Some(ev) = self.next_ready() {
            return Next::Event(ev);
        }
        crossbeam_channel::select! {
            recv(self.rx) -> batch => match batch.ok().and_then(|b| self.taken(b)) {
                Some(ev) => Next::Event(ev),
                None => Next::Timeout,
            },
            recv(other) -> msg => Next::Other(msg.ok()),
            default(timeout) => Next::Timeout,
        }
    }

    /// Number of events waiting (those of batches still in the channel
    /// count one per batch).
    pub fn len(&self) -> usize {
        self.ready.borrow().len() + self.rx.len()
    }

    /// True when no event is waiting.
    pub fn is_empty(&self) -> bool {
        self.ready.borrow().len() == 0 && self.rx.is_empty()
    }

    /// Received bytes queued but not yet taken.
    #[cfg(feature = "test-support")]
    pub fn inflight_bytes(&self) -> usize {
        self.inflight.load(Ordering::Acquire)
    }

    fn next_ready(&self) -> Option<Event> {
        self.ready.borrow_mut().next()
    }

    /// Takes a batch: its bytes no longer count against the worker's
    /// limit; gives its first event and keeps the rest.
    fn taken(&self, batch: Vec<Event>) -> Option<Event> {
        self.inflight
            .fetch_sub(received_bytes(&batch), Ordering::AcqRel);
        let mut events = batch.into_iter();
        let first = events.next();
        *self.ready.borrow_mut() = events;
        first
    }
}
