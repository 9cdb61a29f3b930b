//! Throughput of the hot codec paths: decoding received text (UTF-8, GBK,
//! streamed in 1 KiB reads) and rendering hex (`push_hex` beside the
//! `push_str` way it replaced, at 16 B, 64 B, 4 KiB and 1 MiB), in MB/s.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use netassist::codec::{
    DisplayEncoding, StreamDecoder, TextEncoding, decode_lossy, encode, push_hex, to_hex,
};

/// About 64 KiB of mixed Chinese/ASCII text.
fn sample_text() -> String {
    "温度: 25.3°C, 湿度 61%; 设备状态正常 OK 你好世界 hello world 12345\r\n".repeat(700)
}

fn decoding(c: &mut Criterion) {
    let text = sample_text();
    let utf8 = text.as_bytes().to_vec();
    let gbk = encode(&text, TextEncoding::Gbk).expect("sample text is GBK-encodable");

    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(utf8.len() as u64));
    // Baseline in the same run: copying the same text without decoding.
    group.bench_function("baseline_copy", |b| {
        let mut out = String::new();
        b.iter(|| {
            out.clear();
            out.push_str(black_box(&text));
            out.len()
        })
    });
    group.bench_function("utf8_chinese", |b| {
        let mut out = String::new();
        b.iter(|| {
            out.clear();
            decode_lossy(TextEncoding::Utf8, black_box(&utf8), &mut out);
            out.len()
        })
    });
    group.throughput(Throughput::Bytes(gbk.len() as u64));
    group.bench_function("gbk_chinese", |b| {
        let mut out = String::new();
        b.iter(|| {
            out.clear();
            decode_lossy(TextEncoding::Gbk, black_box(&gbk), &mut out);
            out.len()
        })
    });
    for (name, bytes, enc) in [
        ("stream_utf8_1k", &utf8, DisplayEncoding::Utf8),
        ("stream_gbk_1k", &gbk, DisplayEncoding::Gbk),
        ("stream_auto_gbk_1k", &gbk, DisplayEncoding::Auto),
    ] {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| {
            let mut out = String::new();
            b.iter(|| {
                out.clear();
                let mut decoder = StreamDecoder::new(enc);
                for chunk in black_box(bytes).chunks(1024) {
                    decoder.decode_into(chunk, &mut out);
                }
                out.push_str(&decoder.finish());
                out.len()
            })
        });
    }
    group.finish();
}

/// `push_hex` as it was before it wrote into reserved capacity: three
/// characters a byte through `push_str`. Measured beside the library's in
/// the same run, as the baseline the speed-up is read against. Never
/// inlined, as the library's cannot be here (another crate, no LTO), so both
/// cost one call.
#[inline(never)]
fn push_hex_old(bytes: &[u8], out: &mut String) {
    const TABLE_BYTES: [u8; 768] = {
        const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
        let mut table = [0u8; 768];
        let mut i = 0;
        while i < 256 {
            table[3 * i] = b' ';
            table[3 * i + 1] = DIGITS[i >> 4];
            table[3 * i + 2] = DIGITS[i & 0x0F];
            i += 1;
        }
        table
    };
    const TABLE: &str = match std::str::from_utf8(&TABLE_BYTES) {
        Ok(text) => text,
        Err(_) => panic!("hex table is ASCII"),
    };
    let Some((&first, rest)) = bytes.split_first() else {
        return;
    };
    out.reserve(bytes.len() * 3 - 1);
    let at = 3 * usize::from(first);
    out.push_str(&TABLE[at + 1..at + 3]);
    for &byte in rest {
        let at = 3 * usize::from(byte);
        out.push_str(&TABLE[at..at + 3]);
    }
}

fn hex_rendering(c: &mut Criterion) {
    for (size, label) in [
        (16, "16B"),
        (64, "64B"),
        (4 * 1024, "4KiB"),
        (1024 * 1024, "1MiB"),
    ] {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(size).collect();
        let mut old = String::new();
        push_hex_old(&bytes, &mut old);
        assert_eq!(to_hex(&bytes), old, "same text both ways");

        let mut group = c.benchmark_group(format!("hex/{label}"));
        group.throughput(Throughput::Bytes(size as u64));
        // Baselines in the same run: copying the bytes, and the old way.
        group.bench_function("baseline_copy", |b| {
            let mut out = Vec::new();
            b.iter(|| {
                out.clear();
                out.extend_from_slice(black_box(&bytes));
                out.len()
            })
        });
        group.bench_function("old_push_str", |b| {
            let mut out = String::new();
            b.iter(|| {
                out.clear();
                push_hex_old(black_box(&bytes), &mut out);
                out.len()
            })
        });
        group.bench_function("push_hex", |b| {
            let mut out = String::new();
            b.iter(|| {
                out.clear();
                push_hex(black_box(&bytes), &mut out);
                out.len()
            })
        });
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = decoding, hex_rendering
}
criterion_main!(benches);
