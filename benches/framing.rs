//! Framing a million received records into messages, against the least
//! work any framing must do in the same run: looking at every byte once
//! (counting line feeds over the same records). Also the cost of one
//! screenful of message rows (50 lookups with their bytes) against 50
//! record lookups, and what one window frame spends on reframing (an 8 ms
//! slice) against reframing everything at once.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use netassist::records::{
    Endian, Framer, Framing, LengthPrefix, PrefixWidth, RecordStore, StoreConfig,
};

const RECORDS: usize = 1_000_000;

/// A million reads from four peers: length-prefixed text lines
/// (`\0\x13reading 000042: 25.3\n`) cut into reads of 7 to 61 bytes, so
/// messages span reads and reads hold several messages.
fn store() -> RecordStore {
    let mut s = RecordStore::new(StoreConfig {
        max_records: RECORDS,
        ..StoreConfig::default()
    });
    let peers: Vec<SocketAddr> = (0..4)
        .map(|i| SocketAddr::from(([127, 0, 0, 1], 40_000 + i)))
        .collect();
    let mut streams: Vec<Vec<u8>> = vec![Vec::new(); 4];
    let mut line = 0u64;
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for i in 0..RECORDS {
        let p = i % 4;
        let want = 7 + (i * 13) % 55;
        while streams[p].len() < want {
            let body = format!(
                "reading {:06}: {}.{}\n",
                line % 1_000_000,
                line % 40,
                line % 10
            );
            line += 1;
            streams[p].extend_from_slice(&(body.len() as u16).to_be_bytes());
            streams[p].extend_from_slice(body.as_bytes());
        }
        let read: Vec<u8> = streams[p].drain(..want).collect();
        let time = t0 + Duration::from_millis(i as u64);
        s.push_rx(time, peers[p], Bytes::from(read));
    }
    s
}

fn framing(c: &mut Criterion) {
    let s = store();
    let bytes: u64 = s.iter().map(|r| r.bytes.len() as u64).sum();
    let mut group = c.benchmark_group("frame_1m_records");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("baseline_scan_every_byte", |b| {
        b.iter(|| {
            s.iter()
                .map(|r| black_box(&r.bytes).iter().filter(|&&x| x == b'\n').count())
                .sum::<usize>()
        })
    });
    let rules = [
        ("delimiter_lf", Framing::Delimiter(b"\n".to_vec())),
        ("delimiter_crlf", Framing::Delimiter(b"\r\n".to_vec())),
        ("fixed_16", Framing::FixedLength(16)),
        (
            "length_prefix_2_be",
            Framing::LengthPrefix(LengthPrefix {
                width: PrefixWidth::Two,
                endian: Endian::Big,
                counts_header: false,
            }),
        ),
        ("idle_gap_2ms", Framing::IdleGap(Duration::from_millis(2))),
    ];
    for (name, rule) in rules {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut f = Framer::new(rule.clone()).expect("valid rule");
                f.update(&s);
                f.len()
            })
        });
    }
    // What one frame of the window spends when the rule changes: framing
    // stops at an 8 ms budget and goes on in the next frame.
    group.bench_function("one_window_frame_of_reframing_lf", |b| {
        b.iter(|| {
            let mut f = Framer::new(Framing::Delimiter(b"\n".to_vec())).expect("valid rule");
            let deadline = Instant::now() + Duration::from_millis(8);
            black_box(f.update_until(&s, Some(deadline)));
            f.len()
        })
    });
    group.finish();

    let mut f = Framer::new(Framing::Delimiter(b"\n".to_vec())).expect("valid rule");
    f.update(&s);
    let mut group = c.benchmark_group("screenful_50_rows");
    group.bench_function("baseline_50_record_lookups", |b| {
        let mid = s.first_seq() + s.len() as u64 / 2;
        b.iter(|| (mid..mid + 50).filter_map(|q| s.get(black_box(q))).count())
    });
    group.bench_function("50_messages_with_bytes", |b| {
        let mid = f.first_index() + f.len() as u64 / 2;
        b.iter(|| {
            (mid..mid + 50)
                .filter_map(|i| f.get(black_box(i)))
                .filter_map(|m| f.bytes(&s, m))
                .map(|bytes| bytes.len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, framing);
criterion_main!(benches);
