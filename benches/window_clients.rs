//! The window's TCP server holding many clients, run with
//! `cargo bench --bench window_clients` (`-- 5000` for another count).
//!
//! The real app state (headless: `Context::run_ui` plus tessellation at 60
//! frames a second) opens a TCP server; `netassist load` (the release
//! binary, another process) connects 19,000 clients to it at 5,000 a second
//! from several loopback addresses, each sending `ping` once a second for
//! 20 s. Prints the frame times with every client listed and with the list
//! filtered to one source address, the client count the list shows, and
//! the window's peak resident memory.
//!
//! Goals: RSS under 400 MiB; frames under 33 ms.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use netassist::app::NetAssistApp;
use netassist::i18n::Lang;
use netassist::session::LinkState;
use netassist::settings::AppSettings;
use netassist::ui::action::Action;
use support::{frame, peak_kib, rss_kib};

const FRAME: Duration = Duration::from_micros(16_667);

fn main() {
    let n: u32 = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .find_map(|a| a.parse().ok())
        .unwrap_or(19_000);
    netassist::platform::raise_fd_limit();
    let ctx = egui::Context::default();
    netassist::ui::fonts::install(&ctx);
    let mut settings = AppSettings::with_lang(Lang::En);
    settings.tabs[0].local_port = "0".into();
    let mut app = NetAssistApp::new(&ctx, settings);
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
    let mut load = Command::new(env!("CARGO_BIN_EXE_netassist"))
        .args([
            "load",
            &format!("tcp://{addr}"),
            "--connections",
            &n.to_string(),
            "--rate",
            "5000",
            "--duration",
            "20",
            "--send",
            "ping",
            "--every",
            "1000",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start netassist load");
    let start = Instant::now();
    let mut all = Vec::new();
    let mut filtered = Vec::new();
    let mut listed = 0;
    let mut next = Instant::now();
    while start.elapsed() < Duration::from_secs(19) {
        let t = frame(&ctx, &mut app);
        listed = listed.max(app.tab().session.log().clients().len());
        // Filtered for the last 4 s, once every client is in.
        let filter = start.elapsed() > Duration::from_secs(15);
        app.tab_mut().ui.client_filter.text = if filter {
            "127.0.0.3".into()
        } else {
            String::new()
        };
        if start.elapsed() > Duration::from_secs(5) {
            if filter {
                filtered.push(t);
            } else {
                all.push(t);
            }
        }
        next += FRAME;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            next = now;
        }
    }
    let _ = load.wait();
    let pct = |v: &mut Vec<Duration>, p: f64| {
        v.sort();
        v.get(((v.len().max(1) - 1) as f64 * p) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    println!("== {n} load-test clients in the window's TCP server (headless frames at 60 Hz)");
    println!("clients listed:  {listed} at most");
    for (what, v) in [("every client", &mut all), ("filtered", &mut filtered)] {
        println!(
            "frames, {what:<12} {} drawn; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal: under 33 ms)",
            v.len(),
            pct(v, 0.5),
            pct(v, 0.99),
            pct(v, 1.0)
        );
    }
    println!(
        "RSS:             idle {} MiB, peak {} MiB (goal: under 400 MiB)",
        idle / 1024,
        peak_kib() / 1024
    );
}
