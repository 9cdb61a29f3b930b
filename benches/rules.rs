//! What auto-reply rules cost per received 1 KiB chunk, against the same
//! run's baseline: decoding the chunk, which the log does anyway.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use netassist::automation::{AnswerMode, Responder, ResponderSettings, Rule, Trigger};
use netassist::codec::{DisplayEncoding, StreamDecoder, TextEncoding};
use netassist::net::{Event, PeerId};

/// A 1 KiB chunk of mixed text ending in `name:Bob`.
fn chunk() -> Bytes {
    let mut text = "温度 25.3, 湿度 61%, 状态 OK; hello world 12345\r\n".repeat(20);
    let mut end = 1016;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str("name:Bob");
    Bytes::from(text)
}

fn event(data: &Bytes) -> Event {
    Event::Received {
        peer: Some(PeerId(1)),
        addr: SocketAddr::from(([127, 0, 0, 1], 5000)),
        time: SystemTime::now(),
        data: data.clone(),
        message: None,
    }
}

fn responder(rules: Vec<Rule>) -> Responder {
    Responder::new(
        rules,
        ResponderSettings {
            answer: AnswerMode::First,
            display: DisplayEncoding::Auto,
            send_encoding: TextEncoding::Utf8,
        },
    )
}

fn rules(c: &mut Criterion) {
    let data = chunk();
    let mut group = c.benchmark_group("rules_1k_chunk");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("baseline_decode", |b| {
        let mut decoder = StreamDecoder::new(DisplayEncoding::Auto);
        b.iter(|| decoder.decode(black_box(&data)).len())
    });
    let mut hex = Rule::reply_to(Trigger::Hex, "01 03 ?? ?? 00 0A", "01 03");
    hex.reply_hex = true;
    let many: Vec<Rule> = (0..100)
        .map(|i| Rule::reply_to(Trigger::Contains, &format!("command-{i}"), "ok"))
        .collect();
    let cases = [
        ("echo", vec![Rule::echo()]),
        (
            "regex_groups_template",
            vec![Rule::reply_to(
                Trigger::Regex,
                r"name:(\w+)$",
                r"Hello {{1}} #{{counter}} at {{time}} to {{peer}}\n",
            )],
        ),
        ("hex_wildcards_no_match", vec![hex]),
        ("contains_100_rules_no_match", many),
    ];
    for (name, rules) in cases {
        group.bench_function(name, |b| {
            let mut r = responder(rules.clone());
            let ev = event(&data);
            b.iter(|| r.on_event(black_box(&ev), SystemTime::now()).len())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = rules
}
criterion_main!(benches);
