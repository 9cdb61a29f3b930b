//! What the window benchmarks share: headless frames of the real app state
//! and the process's resident memory.

#![allow(dead_code)]

pub mod tcp;
pub mod udp;

use std::time::{Duration, Instant};

use netassist::app::NetAssistApp;

/// The process's resident memory in KiB (Linux; 0 elsewhere).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// One frame as the window draws it (run_ui plus tessellation) at
/// 1280×780; returns its duration.
pub fn frame(ctx: &egui::Context, app: &mut NetAssistApp) -> Duration {
    let input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 780.0),
        )),
        ..Default::default()
    };
    let start = Instant::now();
    let out = ctx.run_ui(input, |ui| app.show(ui));
    let _ = ctx.tessellate(out.shapes, out.pixels_per_point);
    start.elapsed()
}

/// The process's peak resident memory in KiB (Linux; 0 elsewhere).
pub fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time in nanoseconds of each thread of this process, by name
/// (threads of the same name summed), from `/proc/self/task/*/schedstat`
/// (Linux; empty elsewhere).
pub fn cpu_by_thread() -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for t in tasks.filter_map(Result::ok) {
        let name = std::fs::read_to_string(t.path().join("comm"))
            .map(|c| c.trim_end().to_string())
            .unwrap_or_default();
        let ns = std::fs::read_to_string(t.path().join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
        *out.entry(name).or_insert(0) += ns;
    }
    out
}

/// Prints the CPU each thread used between two `cpu_by_thread` readings,
/// in milliseconds and as a share of `wall`.
pub fn print_cpu_by_thread(
    before: &std::collections::BTreeMap<String, u64>,
    after: &std::collections::BTreeMap<String, u64>,
    wall: Duration,
) {
    let mut rows: Vec<(String, u64)> = after
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.saturating_sub(before.get(k).copied().unwrap_or(0)),
            )
        })
        .filter(|(_, d)| *d > 1_000_000)
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    let wall_ns = wall.as_nanos().max(1) as f64;
    let parts: Vec<String> = rows
        .iter()
        .map(|(k, d)| {
            format!(
                "{k} {} ms ({:.0} %)",
                d / 1_000_000,
                *d as f64 / wall_ns * 100.0
            )
        })
        .collect();
    println!("CPU by thread:   {}", parts.join(", "));
}
