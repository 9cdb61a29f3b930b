//! The window's ingest path under a flood, run with `cargo bench --bench ingest`.
//!
//! A 1 GiB burst from one loopback client into a TCP server opened in the
//! real app state (headless: `Context::run_ui` plus tessellation at 60
//! frames a second), beside a plain read-and-discard sink in the same run.
//! Prints the throughput as a ratio to the sink, the frame times while the
//! data arrives, and the resident memory over idle against the memory
//! budget. Then a 10 MB burst while drawing, the case that freezes other
//! tools for minutes: every frame time of it.
//!
//! Goals: at least 0.5x the sink; every frame under 33 ms; RSS within the
//! budget plus 64 MiB over idle.

use std::time::{Duration, Instant};

mod support;

use netassist::app::NetAssistApp;
use netassist::i18n::Lang;
use netassist::session::LinkState;
use netassist::settings::AppSettings;
use netassist::ui::action::Action;
use support::tcp::{blast, plain_sink};
use support::{cpu_by_thread, frame, print_cpu_by_thread, rss_kib};

const GIB: u64 = 1 << 30;
const FRAME: Duration = Duration::from_micros(16_667);

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let want = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    if want("ingest") {
        // NETASSIST_INGEST_MIB=N sends N MiB instead (for a profiler's run).
        match std::env::var("NETASSIST_INGEST_MIB")
            .ok()
            .and_then(|m| m.parse::<u64>().ok())
        {
            Some(mib) => flood(mib << 20, &format!("{mib} MiB burst")),
            None => flood(GIB, "1 GiB burst"),
        }
    }
    if want("burst") {
        flood(10_000_000, "10 MB burst");
    }
}

fn flood(total: u64, what: &str) {
    let sink = plain_sink(total);
    let ctx = egui::Context::default();
    netassist::ui::fonts::install(&ctx);
    let mut settings = AppSettings::with_lang(Lang::En);
    settings.tabs[0].local_port = "0".into();
    let mut app = NetAssistApp::new(&ctx, settings);
    let budget_mib = app.budget().limit() >> 20;
    for _ in 0..10 {
        frame(&ctx, &mut app);
    }
    app.apply(Action::ToggleOpen);
    let addr = loop {
        frame(&ctx, &mut app);
        if let LinkState::Open(_, local) = app.tab().link() {
            break local;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    for _ in 0..30 {
        frame(&ctx, &mut app);
    }
    let idle = rss_kib();
    let cpu_before = cpu_by_thread();
    let start = Instant::now();
    let writer = blast(addr, total);
    let mut frames = Vec::new();
    let mut peak = idle;
    let mut next = Instant::now();
    // At least one frame, however soon a small burst is in.
    loop {
        frames.push(frame(&ctx, &mut app));
        peak = peak.max(rss_kib());
        next += FRAME;
        let now = Instant::now();
        if next > now {
            // Until the next frame, or the last byte: the end is timed to
            // within 2 ms, not to the frame.
            while Instant::now() < next && app.tab().counters().rx_bytes < total {
                std::thread::sleep(Duration::from_millis(2));
            }
        } else {
            next = now;
        }
        assert!(start.elapsed() < Duration::from_secs(600), "stalled");
        if app.tab().counters().rx_bytes >= total {
            break;
        }
    }
    let elapsed = start.elapsed();
    // Read before the sender's thread ends and takes its figure along.
    let cpu_after = cpu_by_thread();
    writer.join().unwrap();
    let rate = total as f64 / elapsed.as_secs_f64();
    frames.sort();
    let pct = |p: f64| frames[((frames.len() - 1) as f64 * p) as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let over_idle = (peak.saturating_sub(idle)) / 1024;
    println!("== {what} into the window's TCP server (headless frames at 60 Hz)");
    println!(
        "plain sink:      {:8.1} MiB/s",
        sink / f64::from(1u32 << 20)
    );
    println!(
        "window ingest:   {:8.1} MiB/s  ({:.2}x the sink)",
        rate / f64::from(1u32 << 20),
        rate / sink
    );
    println!(
        "frames:          {} drawn; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal: all under 33 ms)",
        frames.len(),
        ms(pct(0.5)),
        ms(pct(0.99)),
        ms(pct(1.0))
    );
    println!(
        "RSS over idle:   {over_idle} MiB peak (budget {budget_mib} MiB; goal: within budget + 64 MiB)"
    );
    print_cpu_by_thread(&cpu_before, &cpu_after, elapsed);
    let log = app.tab().session.log();
    println!(
        "log holds:       {} MiB in {} records; dropped {} MiB",
        log.store().payload_bytes() >> 20,
        log.store().len(),
        log.store().dropped_bytes() >> 20
    );
}
