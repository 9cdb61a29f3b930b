//! What the window benchmarks share: headless frames of the real app state
//! and the process's resident memory.

#![allow(dead_code)]

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
