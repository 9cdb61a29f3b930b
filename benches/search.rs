//! Find in a log of 1,000,000 records, run with `cargo bench --bench search`.
//!
//! The search runs on its own thread and takes the log's lock in slices,
//! newest records first. Printed: when the first match (near the newest
//! end) and the last match (the oldest record) were found, and the whole
//! search, against one plain pass over the same bytes with memmem in the
//! same run. Goal: the first result in under 200 ms.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use netassist::codec::DisplayEncoding;
use netassist::records::Entry;
use netassist::session::search::{Query, Search};
use netassist::session::{Budget, Session};

const RECORDS: usize = 1_000_000;

fn main() {
    let budget = Budget::new(usize::MAX);
    let session = Session::new(&budget, Arc::new(|| {}));
    let peer: SocketAddr = "127.0.0.1:4000".parse().unwrap();
    {
        let mut log = session.log();
        for i in 0..RECORDS {
            let text = match i {
                0 => "the oldest needle 你好".to_string(),
                i if i == RECORDS - 1000 => "a recent needle 你好".to_string(),
                i => format!("record {i:07} 数据 temperature 23.5"),
            };
            log.push(Entry::rx(SystemTime::now(), peer, Bytes::from(text)));
        }
    }
    // Baseline: one pass over every record's bytes with memmem.
    let start = Instant::now();
    let hits = {
        let log = session.log();
        let finder = memchr::memmem::Finder::new(b"needle");
        log.store()
            .iter()
            .filter(|r| finder.find(&r.bytes).is_some())
            .count()
    };
    let plain = start.elapsed();
    assert_eq!(hits, 2);
    for (what, query) in [
        ("text", Query::Text("NEEDLE".into())),
        ("hex", Query::Bytes(b"needle".to_vec())),
    ] {
        let start = Instant::now();
        let search = Search::start(
            session.shared_log(),
            query,
            DisplayEncoding::Auto,
            Arc::new(|| {}),
        );
        let mut first = None;
        let done = loop {
            let f = search.found();
            if first.is_none() && !f.seqs.is_empty() {
                first = Some(start.elapsed());
            }
            if f.done {
                break start.elapsed();
            }
            drop(f);
            std::thread::sleep(Duration::from_micros(200));
        };
        let found = search.found().seqs.len();
        assert_eq!(found, 2, "{what}");
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{what:>4} search of {RECORDS} records: first result {:.1} ms (goal < 200 ms), \
             all done {:.0} ms = {:.1}x one plain memmem pass ({:.0} ms)",
            ms(first.unwrap_or(done)),
            ms(done),
            done.as_secs_f64() / plain.as_secs_f64(),
            ms(plain)
        );
    }
}
