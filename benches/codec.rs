//! Throughput of the hot codec paths: decoding received text (UTF-8, GBK,
//! streamed in 1 KiB reads) and rendering hex, in MB/s.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use netassist::codec::{
    DisplayEncoding, StreamDecoder, TextEncoding, decode_lossy, encode, to_hex,
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

fn hex_rendering(c: &mut Criterion) {
    let bytes: Vec<u8> = (0..=255u8).cycle().take(64 * 1024).collect();
    let mut group = c.benchmark_group("hex");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    // Baseline in the same run: copying the bytes.
    group.bench_function("baseline_copy", |b| {
        b.iter(|| black_box(black_box(&bytes).to_vec()))
    });
    group.bench_function("to_hex_64k", |b| b.iter(|| to_hex(black_box(&bytes)).len()));
    group.finish();
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
