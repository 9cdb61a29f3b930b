//! A load run's results as the front-ends hand them out: a summary to
//! copy (in the user's language), the per-second figures as CSV, and the
//! summary as JSON (the command line's `--json`).

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

use crate::i18n::{Lang, T, fill};
use crate::net::load::{FailKind, Latency, LoadEnd, LoadPlan, LoadSecond, LoadSnapshot};
use crate::teach::load::fail_label;

fn ms(us: u64) -> f64 {
    (us as f64) / 1000.0
}

/// Latency figures in milliseconds, as JSON.
pub fn latency_json(l: &Latency) -> Value {
    json!({
        "count": l.count,
        "min": ms(l.min_us),
        "p50": ms(l.p50_us),
        "p90": ms(l.p90_us),
        "p99": ms(l.p99_us),
        "p999": ms(l.p999_us),
        "max": ms(l.max_us),
        "mean": ms(l.mean_us),
    })
}

/// Failures by kind, every kind named (0 when none).
pub fn failures_json(s: &LoadSnapshot) -> Value {
    let mut map = serde_json::Map::new();
    for kind in FailKind::ALL {
        map.insert(kind.key().to_string(), json!(s.failed(kind)));
    }
    Value::Object(map)
}

/// The summary of a run (`end`: how it ended, if it has) as one JSON object.
pub fn summary_json(plan: &LoadPlan, s: &LoadSnapshot, end: Option<LoadEnd>) -> Value {
    let t = &s.totals;
    let secs = s.elapsed.as_secs_f64();
    let per_s = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
    json!({
        "target": plan.url.to_string(),
        "address": plan.target.to_string(),
        "end": end.map(LoadEnd::key),
        "elapsed_s": secs,
        "connections": plan.connections,
        "rate": plan.rate,
        "rounds": plan.rounds,
        "sources": plan.sources.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "fd_limit": plan.fd_limit,
        "started": t.started,
        "connected": t.connected,
        "open": t.open,
        "peak_open": t.peak_open,
        "connected_within_s": t.last_connect_us as f64 / 1e6,
        "done": t.done,
        "failed": t.failed,
        "failures": failures_json(s),
        "sent_bytes": t.sent_bytes,
        "received_bytes": t.received_bytes,
        "messages": { "sent": t.sent_messages, "received": t.received_messages },
        "per_second": {
            "sent_bytes": per_s(t.sent_bytes),
            "received_bytes": per_s(t.received_bytes),
            "sent_messages": per_s(t.sent_messages),
            "received_messages": per_s(t.received_messages),
        },
        "latency_ms": latency_json(&s.latency),
    })
}

/// The per-second figures as CSV, with a header row.
pub fn seconds_csv<'a>(rows: impl IntoIterator<Item = &'a LoadSecond>) -> String {
    let mut out = String::from(
        "second,open,connects,done,failed,sent_bytes,received_bytes,sent_messages,received_messages,replies_timed,p50_ms,p90_ms,p99_ms,p999_ms,max_ms\n",
    );
    for r in rows {
        let l = &r.latency;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.t,
            r.open,
            r.connects,
            r.done,
            r.failed,
            r.sent_bytes,
            r.received_bytes,
            r.sent_messages,
            r.received_messages,
            l.count,
            ms(l.p50_us),
            ms(l.p90_us),
            ms(l.p99_us),
            ms(l.p999_us),
            ms(l.max_us),
        );
    }
    out
}

/// How a run ended, in `lang`.
pub fn end_text(end: LoadEnd, lang: Lang) -> String {
    match end {
        LoadEnd::Completed => T::LoadEndCompleted.get(lang).to_string(),
        LoadEnd::DurationReached => T::LoadEndDuration.get(lang).to_string(),
        LoadEnd::Stopped => T::LoadEndStopped.get(lang).to_string(),
        LoadEnd::TooManyFailures { max } => fill(T::LoadEndMaxFailures.get(lang), &[&max]),
    }
}

/// A milliseconds figure for people: three decimals below 10 ms.
pub fn ms_text(us: u64) -> String {
    let v = ms(us);
    if v < 10.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.1}")
    }
}

/// The failures, `kind n, kind n`, in `lang` (empty: none).
pub fn failures_text(s: &LoadSnapshot, lang: Lang) -> String {
    FailKind::ALL
        .iter()
        .filter(|k| s.failed(**k) > 0)
        .map(|k| format!("{} {}", fail_label(*k).get(lang), s.failed(*k)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A summary to copy, in `lang`.
pub fn summary_text(plan: &LoadPlan, s: &LoadSnapshot, end: Option<LoadEnd>, lang: Lang) -> String {
    let t = |k: T| k.get(lang);
    let t_ = &s.totals;
    let mut lines = vec![fill(
        t(T::LoadSumHead),
        &[&plan.url, &plan.connections, &plan.rate],
    )];
    if !plan.sources.is_empty() {
        let list: Vec<String> = plan.sources.iter().map(ToString::to_string).collect();
        lines.push(fill(t(T::LoadSumSources), &[&list.join(", ")]));
    }
    let secs = format!("{:.1}", s.elapsed.as_secs_f64());
    match end {
        Some(end) => lines.push(fill(t(T::LoadSumEnd), &[&end_text(end, lang), &secs])),
        None => lines.push(fill(t(T::LoadSumRunning), &[&secs])),
    }
    lines.push(fill(
        t(T::LoadSumCounts),
        &[&t_.connected, &t_.done, &t_.failed],
    ));
    let failures = failures_text(s, lang);
    if failures.is_empty() {
        lines.push(t(T::LoadSumNoFailures).to_string());
    } else {
        lines.push(fill(t(T::LoadSumFailures), &[&failures]));
    }
    lines.push(fill(
        t(T::LoadSumTraffic),
        &[
            &t_.sent_bytes,
            &t_.sent_messages,
            &t_.received_bytes,
            &t_.received_messages,
        ],
    ));
    let l = &s.latency;
    lines.push(fill(
        t(T::LoadSumLatency),
        &[
            &ms_text(l.p50_us),
            &ms_text(l.p90_us),
            &ms_text(l.p99_us),
            &ms_text(l.p999_us),
            &ms_text(l.max_us),
            &l.count,
        ],
    ));
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// A rate over the last second, from the per-second rows (the last whole
/// second; none yet: 0).
pub fn last_second(rows: &[LoadSecond]) -> LoadSecond {
    rows.last().copied().unwrap_or_default()
}

/// Elapsed time as `12.3 s`.
pub fn elapsed_text(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::load::LoadTotals;

    fn plan() -> LoadPlan {
        LoadPlan {
            url: crate::net::parse_load_url("tcp://127.0.0.1:6000").unwrap(),
            target: "127.0.0.1:6000".parse().unwrap(),
            connections: 10,
            rate: 100,
            rounds: Some(1),
            duration: None,
            sources: vec!["127.0.0.2".parse().unwrap()],
            fd_limit: Some(1024),
            steps: 1,
        }
    }

    fn snap() -> LoadSnapshot {
        let mut s = LoadSnapshot {
            elapsed: Duration::from_secs(2),
            totals: LoadTotals {
                started: 10,
                connected: 9,
                open: 0,
                peak_open: 9,
                last_connect_us: 1_500_000,
                done: 8,
                failed: 2,
                sent_bytes: 100,
                received_bytes: 200,
                sent_messages: 10,
                received_messages: 9,
            },
            ..LoadSnapshot::default()
        };
        s.failures[FailKind::Refused.index()] = 1;
        s.failures[FailKind::Mismatch.index()] = 1;
        s.latency.p50_us = 1500;
        s.latency.count = 9;
        s
    }

    #[test]
    fn json_has_the_fields_scripts_read() {
        let v = summary_json(&plan(), &snap(), Some(LoadEnd::Completed));
        assert_eq!(v["connected"], 9);
        assert_eq!(v["failed"], 2);
        assert_eq!(v["failures"]["refused"], 1);
        assert_eq!(v["failures"]["reply_mismatch"], 1);
        assert_eq!(v["failures"]["reset"], 0);
        assert_eq!(v["messages"]["sent"], 10);
        assert_eq!(v["latency_ms"]["p50"], 1.5);
        assert_eq!(v["end"], "completed");
        assert_eq!(v["sources"][0], "127.0.0.2");
    }

    #[test]
    fn csv_and_text_read_right_in_both_languages() {
        let rows = [LoadSecond {
            t: 0,
            open: 3,
            ..LoadSecond::default()
        }];
        let csv = seconds_csv(&rows);
        assert!(csv.starts_with("second,open,"));
        assert_eq!(csv.lines().count(), 2);
        assert!(csv.lines().nth(1).unwrap().starts_with("0,3,"));
        for lang in [Lang::En, Lang::Zh] {
            let text = summary_text(&plan(), &snap(), Some(LoadEnd::Completed), lang);
            assert!(text.contains("tcp://127.0.0.1:6000"), "{text}");
            assert!(text.contains("1.500"), "{text}");
            assert!(!text.contains("{}"), "{text}");
        }
        let en = summary_text(&plan(), &snap(), None, Lang::En);
        assert!(en.contains("refused 1"), "{en}");
    }
}
