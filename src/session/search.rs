//! Finding text or bytes in a session's log on a thread of its own. The
//! search takes the log's lock in short slices, newest records first (so the
//! first results come at once even in a million records), then keeps
//! watching for new records until it is dropped.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::codec::DisplayEncoding;
use crate::net::Wake;
use crate::records::{Direction, Record, RecordStore};

use super::SharedLog;

/// Records looked at per hold of the log's lock.
const SLICE: usize = 2048;
/// How often a finished search looks for new records.
const WATCH: Duration = Duration::from_millis(100);

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Text in the display encoding, ignoring ASCII case.
    Text(String),
    /// Exact bytes (typed as hex).
    Bytes(Vec<u8>),
}

impl Query {
    /// Whether `record` (data, not events) holds a match.
    pub fn matches(&self, store: &RecordStore, record: &Record, enc: DisplayEncoding) -> bool {
        Matcher::new(self).matches(store, record, enc)
    }
}

/// A query made ready for many records: a text query first looks for the
/// bytes its text must contain, as UTF-8 or as GBK, and decodes only the
/// records that have them.
pub struct Matcher<'a> {
    query: &'a Query,
    prefilter: Option<regex::bytes::Regex>,
}

impl<'a> Matcher<'a> {
    /// Prepares `query`.
    pub fn new(query: &'a Query) -> Matcher<'a> {
        let prefilter = match query {
            Query::Text(needle) => prefilter(needle),
            Query::Bytes(_) => None,
        };
        Matcher { query, prefilter }
    }

    /// Whether `record` (data, not events) holds a match.
    pub fn matches(&self, store: &RecordStore, record: &Record, enc: DisplayEncoding) -> bool {
        if record.dir == Direction::Event || record.bytes.is_empty() {
            return false;
        }
        match self.query {
            Query::Bytes(needle) => {
                !needle.is_empty() && memchr::memmem::find(&record.bytes, needle).is_some()
            }
            Query::Text(needle) => {
                if needle.is_empty() {
                    return false;
                }
                if let Some(pre) = &self.prefilter
                    && !pre.is_match(&record.bytes)
                {
                    return false;
                }
                let text = store.text(record.seq, enc);
                contains_ignore_ascii_case(&text, needle)
            }
        }
    }
}

/// Bytes a record must hold for its text to contain `needle`: everything
/// after the needle's first character, in UTF-8 or in GBK (the first
/// character may have begun in the record before, a character split across
/// two reads), with ASCII letters in either case. `None` when there is
/// nothing after the first character to look for.
fn prefilter(needle: &str) -> Option<regex::bytes::Regex> {
    let mut chars = needle.chars();
    chars.next()?;
    let tail = chars.as_str();
    if tail.is_empty() {
        return None;
    }
    let bytes_pattern = |bytes: &[u8]| -> String {
        bytes
            .iter()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (*b as char).to_string(),
                _ => format!("\\x{b:02X}"),
            })
            .collect()
    };
    let mut alternatives = vec![bytes_pattern(tail.as_bytes())];
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(tail);
    if !unmappable && gbk.as_ref() != tail.as_bytes() {
        alternatives.push(bytes_pattern(&gbk));
    }
    regex::bytes::RegexBuilder::new(&format!("(?i-u){}", alternatives.join("|")))
        .size_limit(1 << 20)
        .build()
        .ok()
}

/// Whether `hay` contains `needle`, ignoring the case of ASCII letters.
pub fn contains_ignore_ascii_case(hay: &str, needle: &str) -> bool {
    find_ignore_ascii_case(hay, needle, 0).is_some()
}

/// The byte offset of the first match of `needle` in `hay` at or after
/// `from`, ignoring the case of ASCII letters.
pub fn find_ignore_ascii_case(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (from..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// What a search has found so far.
#[derive(Debug, Default, Clone)]
pub struct Found {
    /// Seqs of the records holding a match.
    pub seqs: BTreeSet<u64>,
    /// Every record held at the start has been searched.
    pub done: bool,
    /// How long the first match took to find.
    pub first_after: Option<Duration>,
}

impl Found {
    /// The first match after `seq` (or the first of all), wrapping around.
    pub fn next_after(&self, seq: Option<u64>) -> Option<u64> {
        match seq {
            Some(s) => self
                .seqs
                .range(s + 1..)
                .next()
                .or_else(|| self.seqs.iter().next())
                .copied(),
            None => self.seqs.iter().next_back().copied(),
        }
    }

    /// The last match before `seq` (or the last of all), wrapping around.
    pub fn prev_before(&self, seq: Option<u64>) -> Option<u64> {
        match seq {
            Some(s) => self
                .seqs
                .range(..s)
                .next_back()
                .or_else(|| self.seqs.iter().next_back())
                .copied(),
            None => self.seqs.iter().next_back().copied(),
        }
    }

    /// Forgets matches in records before `first` (dropped from the log);
    /// true if there were any.
    pub fn prune_before(&mut self, first: u64) -> bool {
        if self.seqs.first().is_none_or(|s| *s >= first) {
            return false;
        }
        self.seqs = self.seqs.split_off(&first);
        true
    }

    /// The 1-based position of `seq` among the matches.
    pub fn position(&self, seq: u64) -> Option<usize> {
        self.seqs
            .contains(&seq)
            .then(|| self.seqs.range(..seq).count() + 1)
    }
}

/// A running search; dropping it stops it.
pub struct Search {
    found: Arc<Mutex<Found>>,
    cancel: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Search {
    /// Starts searching `log` for `query` in `enc`; `wake` is called when
    /// something was found or the search finished.
    pub fn start(log: SharedLog, query: Query, enc: DisplayEncoding, wake: Wake) -> Search {
        let found = Arc::new(Mutex::new(Found::default()));
        let cancel = Arc::new(AtomicBool::new(false));
        let (f, c) = (Arc::clone(&found), Arc::clone(&cancel));
        let thread = std::thread::Builder::new()
            .name("netassist-search".to_string())
            .spawn(move || run(&log, &query, enc, &f, &c, &wake))
            .ok();
        Search {
            found,
            cancel,
            thread,
        }
    }

    /// What has been found so far.
    pub fn found(&self) -> MutexGuard<'_, Found> {
        self.found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Search")
            .field("found", &self.found().seqs.len())
            .finish_non_exhaustive()
    }
}

impl Drop for Search {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(
    log: &SharedLog,
    query: &Query,
    enc: DisplayEncoding,
    found: &Mutex<Found>,
    cancel: &AtomicBool,
    wake: &Wake,
) {
    let start = Instant::now();
    let matcher = Matcher::new(query);
    let lock_found = || {
        found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    let (first, end) = {
        let l = log.lock();
        (l.store().first_seq(), l.store().end_seq())
    };
    // Newest first, one slice per hold of the lock.
    let mut upto = end;
    while upto > first {
        if cancel.load(Ordering::Acquire) {
            return;
        }
        let from = upto.saturating_sub(SLICE as u64).max(first);
        let hits = scan(log, &matcher, enc, from, upto);
        upto = from;
        if !hits.is_empty() {
            let mut f = lock_found();
            f.first_after.get_or_insert(start.elapsed());
            f.seqs.extend(hits);
            drop(f);
            wake();
        }
    }
    lock_found().done = true;
    wake();
    // Then new records as they arrive, forgetting matches whose records
    // were dropped to stay in the memory budget.
    let mut seen = end;
    while !cancel.load(Ordering::Acquire) {
        std::thread::sleep(WATCH);
        let (now_first, now_end) = {
            let l = log.lock();
            (l.store().first_seq(), l.store().end_seq())
        };
        if lock_found().prune_before(now_first) {
            wake();
        }
        while seen < now_end && !cancel.load(Ordering::Acquire) {
            let to = (seen + SLICE as u64).min(now_end);
            let hits = scan(log, &matcher, enc, seen, to);
            seen = to;
            if !hits.is_empty() {
                lock_found().seqs.extend(hits);
                wake();
            }
        }
    }
}

/// The matching seqs in `from..to` (records dropped meanwhile are skipped).
fn scan(
    log: &SharedLog,
    matcher: &Matcher<'_>,
    enc: DisplayEncoding,
    from: u64,
    to: u64,
) -> Vec<u64> {
    let l = log.lock();
    let store = l.store();
    let n = usize::try_from(to.saturating_sub(from)).unwrap_or(usize::MAX);
    store
        .iter_from(from)
        .take_while(|r| r.seq < to)
        .take(n)
        .filter(|r| matcher.matches(store, r, enc))
        .map(|r| r.seq)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_case_is_ignored_and_offsets_are_bytes() {
        assert!(contains_ignore_ascii_case("Hello 你好", "hELLO"));
        // a=0, 你=1..4, b=4, 你=5..8: from byte 2 the match is the second 你.
        assert_eq!(find_ignore_ascii_case("a你b你b", "你B", 2), Some(5));
        assert_eq!(find_ignore_ascii_case("abc", "", 0), None);
        assert_eq!(find_ignore_ascii_case("ab", "abc", 0), None);
    }

    #[test]
    fn the_prefilter_never_hides_a_match() {
        use std::net::SocketAddr;
        use std::time::SystemTime;

        use bytes::Bytes;

        use crate::records::StoreConfig;

        let mut store = RecordStore::new(StoreConfig::default());
        let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let now = SystemTime::now();
        let (gbk, _, _) = encoding_rs::GBK.encode("中文测试");
        let utf8 = "中文测试".as_bytes();
        // A character split across two reads, in each encoding.
        let records = [
            Bytes::from_static(b"Hello World"),
            Bytes::copy_from_slice(&gbk[..1]),
            Bytes::copy_from_slice(&gbk[1..]),
            Bytes::copy_from_slice(&utf8[..2]),
            Bytes::copy_from_slice(&utf8[2..]),
            Bytes::from_static(b"unrelated"),
        ];
        for r in records {
            store.push_rx(now, peer, r);
        }
        for (needle, enc, want) in [
            ("hello w", DisplayEncoding::Auto, vec![0]),
            ("中文", DisplayEncoding::Gbk, vec![2]),
            ("中文测试", DisplayEncoding::Utf8, vec![4]),
            ("文测", DisplayEncoding::Auto, vec![2, 4]),
            ("x", DisplayEncoding::Auto, vec![]),
        ] {
            let q = Query::Text(needle.into());
            let m = Matcher::new(&q);
            let found: Vec<u64> = store
                .iter()
                .filter(|r| m.matches(&store, r, enc))
                .map(|r| r.seq)
                .collect();
            let plain: Vec<u64> = store
                .iter()
                .filter(|r| {
                    r.dir != Direction::Event
                        && contains_ignore_ascii_case(&store.text(r.seq, enc), needle)
                })
                .map(|r| r.seq)
                .collect();
            assert_eq!(found, plain, "{needle} {enc:?}");
            assert_eq!(found, want, "{needle} {enc:?}");
        }
    }

    #[test]
    fn next_and_previous_wrap_around() {
        let f = Found {
            seqs: [3, 7, 10].into_iter().collect(),
            ..Found::default()
        };
        assert_eq!(f.next_after(None), Some(10));
        assert_eq!(f.next_after(Some(3)), Some(7));
        assert_eq!(f.next_after(Some(10)), Some(3));
        assert_eq!(f.prev_before(Some(7)), Some(3));
        assert_eq!(f.prev_before(Some(3)), Some(10));
        assert_eq!(f.position(7), Some(2));
        assert_eq!(f.position(8), None);
    }
}
