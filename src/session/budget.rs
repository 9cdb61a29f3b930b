//! One memory budget for every session's log together. A session that needs
//! room drops its own oldest records first, then the oldest records of the
//! other sessions, so no session is surprised by a limit of its own.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use parking_lot::{Mutex as LogMutex, MutexGuard as LogGuard};

use super::log::SessionLog;

/// A session's log as the budget sees it: the log and what it costs.
#[derive(Debug, Default)]
pub(crate) struct Member {
    pub(crate) log: LogMutex<SessionLog>,
    /// The store's [`cost`](crate::records::RecordStore::cost) after the
    /// last change, kept current by whoever changed the store.
    cost: AtomicUsize,
    /// Bytes of replies waiting to be sent: they count too.
    waiting: AtomicUsize,
}

impl Member {
    /// Locks the log.
    pub(crate) fn lock(&self) -> LogGuard<'_, SessionLog> {
        self.log.lock()
    }

    /// Records the store's cost after a change made under `log`'s lock,
    /// and the bytes of replies waiting.
    pub(crate) fn update_cost(&self, log: &SessionLog, waiting: usize) {
        self.cost.store(log.store().cost(), Ordering::Release);
        self.waiting.store(waiting, Ordering::Release);
    }

    /// Records the store's cost after a change to the store alone.
    pub(crate) fn update_store_cost(&self, log: &SessionLog) {
        self.cost.store(log.store().cost(), Ordering::Release);
    }

    fn cost(&self) -> usize {
        self.cost.load(Ordering::Acquire) + self.waiting.load(Ordering::Acquire)
    }
}

/// The shared budget.
#[derive(Debug)]
pub struct Budget {
    limit: AtomicUsize,
    members: Mutex<Vec<Weak<Member>>>,
}

impl Budget {
    /// A budget of `limit` bytes for all sessions together.
    pub fn new(limit: usize) -> Arc<Budget> {
        Arc::new(Budget {
            limit: AtomicUsize::new(limit),
            members: Mutex::new(Vec::new()),
        })
    }

    /// The limit in bytes.
    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Acquire)
    }

    /// Changes the limit; the next change to any log enforces it.
    pub fn set_limit(&self, limit: usize) {
        self.limit.store(limit, Ordering::Release);
    }

    /// What every session's log holds now, in bytes (payload and records).
    pub fn used(&self) -> usize {
        self.live().iter().map(|m| m.cost()).sum()
    }

    pub(crate) fn register(&self, member: &Arc<Member>) {
        let mut members = self.members();
        members.retain(|m| m.strong_count() > 0);
        members.push(Arc::downgrade(member));
    }

    fn members(&self) -> MutexGuard<'_, Vec<Weak<Member>>> {
        self.members
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn live(&self) -> Vec<Arc<Member>> {
        self.members().iter().filter_map(Weak::upgrade).collect()
    }

    /// Brings the total back under the limit after `me` grew: `me`'s own
    /// oldest records go first (its newest record always stays), then the
    /// oldest records of the others, oldest first. Never holds two logs'
    /// locks at once.
    pub(crate) fn enforce(&self, me: &Arc<Member>) {
        let members = self.live();
        let Some(mut over) = self.over(&members) else {
            return;
        };
        {
            let mut log = me.lock();
            let freed = log.evict_oldest(over, 1);
            me.update_store_cost(&log);
            over = over.saturating_sub(freed);
        }
        let others: Vec<&Arc<Member>> = members.iter().filter(|m| !Arc::ptr_eq(m, me)).collect();
        evict_oldest_of(&others, over);
    }

    /// Brings the total under a lowered limit, dropping the oldest records
    /// of all sessions first.
    pub fn enforce_all(&self) {
        let members = self.live();
        if let Some(over) = self.over(&members) {
            let all: Vec<&Arc<Member>> = members.iter().collect();
            evict_oldest_of(&all, over);
        }
    }

    fn over(&self, members: &[Arc<Member>]) -> Option<usize> {
        let used: usize = members.iter().map(|m| m.cost()).sum();
        used.checked_sub(self.limit()).filter(|o| *o > 0)
    }
}

/// Frees `over` bytes from `members`, the oldest records of all first.
fn evict_oldest_of(members: &[&Arc<Member>], mut over: usize) {
    while over > 0 {
        let mut fronts: Vec<_> = members
            .iter()
            .filter_map(|m| m.lock().store().oldest_time().map(|t| (t, *m)))
            .collect();
        fronts.sort_by_key(|(t, _)| *t);
        let Some(&(_, victim)) = fronts.first() else {
            return;
        };
        // The victim gives up records until its oldest is newer than the
        // next session's oldest: the oldest records of all go first.
        let next_oldest = fronts.get(1).map(|(t, _)| *t);
        let mut log = victim.lock();
        let freed = log.evict_oldest_before(over, 0, next_oldest);
        victim.update_store_cost(&log);
        if freed == 0 {
            return;
        }
        over = over.saturating_sub(freed);
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::{Duration, SystemTime};

    use bytes::Bytes;

    use super::*;
    use crate::records::{Entry, RECORD_OVERHEAD};

    fn push(m: &Member, at_ms: u64, n: usize) {
        let mut log = m.lock();
        let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let time = SystemTime::UNIX_EPOCH + Duration::from_millis(at_ms);
        log.push(Entry::rx(time, peer, Bytes::from(vec![b'x'; n])));
        m.update_store_cost(&log);
    }

    fn len(m: &Member) -> usize {
        m.lock().store().len()
    }

    const REC: usize = 1000 + RECORD_OVERHEAD;

    #[test]
    fn a_session_evicts_its_own_oldest_first() {
        let budget = Budget::new(5 * REC);
        let (a, b) = (Arc::new(Member::default()), Arc::new(Member::default()));
        budget.register(&a);
        budget.register(&b);
        push(&b, 0, 1000);
        push(&b, 1, 1000);
        for i in 0..3 {
            push(&a, 10 + i, 1000);
            budget.enforce(&a);
        }
        assert_eq!((len(&a), len(&b)), (3, 2));
        push(&a, 20, 1000);
        budget.enforce(&a);
        // A had older records of its own: those went, B kept everything.
        assert_eq!((len(&a), len(&b)), (3, 2));
        assert_eq!(a.lock().store().dropped_records(), 1);
        assert!(budget.used() <= budget.limit());
    }

    #[test]
    fn then_the_others_oldest() {
        let budget = Budget::new(3 * REC);
        let (a, b, c) = (
            Arc::new(Member::default()),
            Arc::new(Member::default()),
            Arc::new(Member::default()),
        );
        for m in [&a, &b, &c] {
            budget.register(m);
        }
        push(&b, 5, 1000);
        push(&c, 1, 1000);
        push(&a, 10, 1000);
        // A holds one record (its newest, which stays); C's is the oldest.
        push(&a, 11, 1000);
        budget.enforce(&a);
        assert_eq!((len(&a), len(&b), len(&c)), (1, 1, 1));
        // A bigger record than A's own oldest can make room for.
        push(&a, 12, 1500);
        budget.enforce(&a);
        // A evicted down to its newest, then C's (the oldest of the rest).
        assert_eq!((len(&a), len(&b), len(&c)), (1, 1, 0));
        assert_eq!(c.lock().store().dropped_bytes(), 1000);
        assert!(budget.used() <= budget.limit());
    }

    #[test]
    fn a_lowered_limit_drops_the_oldest_of_all() {
        let budget = Budget::new(10 * REC);
        let (a, b) = (Arc::new(Member::default()), Arc::new(Member::default()));
        budget.register(&a);
        budget.register(&b);
        push(&a, 1, 1000);
        push(&b, 2, 1000);
        push(&a, 3, 1000);
        push(&b, 4, 1000);
        budget.set_limit(2 * REC);
        budget.enforce_all();
        assert_eq!((len(&a), len(&b)), (1, 1));
        let oldest_left = a.lock().store().oldest_time();
        assert_eq!(
            oldest_left,
            Some(SystemTime::UNIX_EPOCH + Duration::from_millis(3))
        );
    }

    #[test]
    fn dropped_members_are_forgotten() {
        let budget = Budget::new(REC);
        {
            let a = Arc::new(Member::default());
            budget.register(&a);
            push(&a, 0, 1000);
            assert_eq!(budget.used(), REC);
        }
        assert_eq!(budget.used(), 0);
        budget.set_limit(7);
        assert_eq!(budget.limit(), 7);
    }
}
