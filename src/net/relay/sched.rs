//! The relay's timers: one heap of (time, pair) for every pair's next
//! wake-up (a delayed chunk, the rate's next byte, a slice's gap, a
//! connect timeout, an idle mapping), so the poll loop asks one question,
//! whatever the number of pairs. A pair keeps the time it is armed for;
//! an entry whose time is no longer the pair's is stale and skipped.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Wake-ups of pairs, by pair id.
#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
}

impl Timers {
    /// Makes sure pair `id` wakes at `at` (or before): `armed` is the time
    /// it is armed for, kept by the pair.
    pub(crate) fn arm(&mut self, armed: &mut Option<Instant>, id: u64, at: Option<Instant>) {
        let Some(at) = at else {
            return;
        };
        if armed.is_some_and(|a| a <= at) {
            return;
        }
        *armed = Some(at);
        self.heap.push(Reverse((at, id)));
    }

    /// The earliest wake-up (perhaps a stale one).
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Starts again from the pairs' armed times (`live`), dropping stale
    /// entries; called when they outnumber the pairs, so the heap stays
    /// within a small multiple of the number of pairs.
    pub(crate) fn rebuild(&mut self, live: impl Iterator<Item = (Instant, u64)>) {
        self.heap = live.map(Reverse).collect();
    }

    /// True when stale entries have piled up among `pairs` pairs.
    pub(crate) fn crowded(&self, pairs: usize) -> bool {
        self.heap.len() > 2 * pairs + 64
    }

    /// Takes every entry due by `now`: (time, pair). The caller skips those
    /// whose time is not the pair's armed time, and clears that time for
    /// the others before serving them.
    pub(crate) fn due(&mut self, now: Instant) -> Vec<(Instant, u64)> {
        let mut due = Vec::new();
        while let Some(Reverse((at, id))) = self.heap.peek().copied() {
            if at > now {
                break;
            }
            self.heap.pop();
            due.push((at, id));
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_earliest_time_wins_and_stale_entries_show() {
        let now = Instant::now();
        let ms = Duration::from_millis;
        let mut t = Timers::default();
        let mut armed = None;
        t.arm(&mut armed, 1, None);
        assert_eq!(t.next(), None);
        t.arm(&mut armed, 1, Some(now + ms(10)));
        t.arm(&mut armed, 1, Some(now + ms(20)));
        assert_eq!(
            armed,
            Some(now + ms(10)),
            "a later time waits for the earlier"
        );
        t.arm(&mut armed, 1, Some(now + ms(5)));
        assert_eq!(armed, Some(now + ms(5)));
        let mut other = None;
        t.arm(&mut other, 2, Some(now + ms(7)));
        assert_eq!(t.next(), Some(now + ms(5)));
        assert_eq!(t.due(now), vec![]);
        let due = t.due(now + ms(10));
        assert_eq!(
            due,
            vec![(now + ms(5), 1), (now + ms(7), 2), (now + ms(10), 1)]
        );
        // The entry at 10 ms is stale for pair 1 (armed for 5 ms).
        assert_ne!(armed, Some(now + ms(10)));
        assert_eq!(t.next(), None);
    }

    #[test]
    fn a_rebuild_keeps_only_armed_times() {
        let now = Instant::now();
        let mut t = Timers::default();
        for i in 0..100u64 {
            let mut armed = None;
            t.arm(&mut armed, 1, Some(now + Duration::from_millis(100 - i)));
        }
        assert!(t.crowded(1));
        assert_eq!(t.heap.len(), 100);
        t.rebuild([(now, 1), (now, 2)].into_iter());
        assert_eq!(t.heap.len(), 2);
        assert!(!t.crowded(1));
    }
}
