//! The event channel between a worker and its consumer, bounded by bytes.
//!
//! The channel itself never blocks the worker (it is unbounded in count), but
//! every received byte is counted until the consumer takes its event. Workers
//! stop reading sockets while the count is over the limit, which gives TCP
//! back-pressure without any chance of a worker blocking while the consumer
//! waits for it to close.

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
    };
    (sink, EventQueue { rx, inflight })
}

/// The worker's end: sends events and says whether reading may go on.
#[derive(Clone)]
pub(crate) struct EventSink {
    tx: Sender<Event>,
    inflight: Arc<AtomicUsize>,
    limit: usize,
    wake: Wake,
}

impl EventSink {
    /// Queues an event; never blocks. A consumer that has gone away is ignored.
    pub(crate) fn emit(&self, event: Event) {
        if let Event::Received { data, .. } = &event {
            self.inflight.fetch_add(data.len(), Ordering::AcqRel);
        }
        let _ = self.tx.send(event);
    }

    /// True while received bytes waiting for the consumer are under the limit.
    pub(crate) fn has_room(&self) -> bool {
        self.inflight.load(Ordering::Acquire) < self.limit
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

/// The consumer's end: every event from every session of one engine, in order.
pub struct EventQueue {
    rx: Receiver<Event>,
    inflight: Arc<AtomicUsize>,
}

impl EventQueue {
    /// Takes the next event if one is waiting.
    pub fn try_recv(&self) -> Option<Event> {
        match self.rx.try_recv() {
            Ok(ev) => Some(self.taken(ev)),
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => None,
        }
    }

    /// Waits up to `timeout` for the next event.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Event> {
        match self.rx.recv_timeout(timeout) {
            Ok(ev) => Some(self.taken(ev)),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Waits up to `timeout` for the next event or a message on `other`,
    /// whichever comes first, so one thread can serve both.
    pub fn recv_or<T>(&self, other: &Receiver<T>, timeout: Duration) -> Next<T> {
        crossbeam_channel::select! {
            recv(self.rx) -> ev => match ev {
                Ok(ev) => Next::Event(self.taken(ev)),
                Err(_) => Next::Timeout,
            },
            recv(other) -> msg => Next::Other(msg.ok()),
            default(timeout) => Next::Timeout,
        }
    }

    /// Number of events waiting.
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// True when no event is waiting.
    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }

    /// Received bytes queued but not yet taken.
    #[cfg(feature = "test-support")]
    pub fn inflight_bytes(&self) -> usize {
        self.inflight.load(Ordering::Acquire)
    }

    fn taken(&self, ev: Event) -> Event {
        if let Event::Received { data, .. } = &ev {
            self.inflight.fetch_sub(data.len(), Ordering::AcqRel);
        }
        ev
    }
}
