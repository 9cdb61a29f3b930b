//! The window's UDP intake under a burst, run with `cargo bench --bench udp_intake`.
//!
//! A sender thread sends 300,000 unpaced 8-byte datagrams (each carries
//! its number) into a UDP tab opened in the real app state, headless
//! (`Context::run_ui` plus tessellation at 60 frames a second while the
//! burst arrives); in the same run, the same burst goes to a plain Rust
//! receiver (a blocking `recv_from` loop on a std socket with the same
//! receive buffer). Each is run several times, interleaved. Prints what
//! each kept of what was sent, the ratio of the two, and the datagrams the
//! kernel dropped at the socket (`/proc/net/udp`, and the count the window
//! shows). Every datagram the window kept is checked: 8 bytes, numbers
//! rising (in order).
//!
//! `cargo bench --bench udp_intake -- 3` runs three rounds.
//!
//! Goal: the window keeps at least 0.9 × what the plain receiver keeps.

use std::time::{Duration, Instant};

mod support;

use netassist::app::NetAssistApp;
use netassist::i18n::Lang;
use netassist::records::{Direction, Note};
use netassist::session::LinkState;
use netassist::settings::{AppSettings, ModeChoice};
use netassist::ui::action::Action;
use support::frame;
use support::udp::{
    BURST, Kept, QUIET, SIZE, cpu_ns, number, proc_drops, range, raw_receiver, send_burst,
    this_thread_cpu_ns,
};

const FRAME: Duration = Duration::from_micros(16_667);

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let mut raw = Vec::new();
    let mut win = Vec::new();
    let mut cpu = Vec::new();
    println!(
        "== {BURST} unpaced {SIZE}-byte datagrams into a UDP tab (headless frames at 60 Hz), \
         beside a plain receiver; {rounds} rounds"
    );
    for round in 1..=rounds {
        let r = raw_receiver(BURST);
        let w = window(BURST);
        let k = &w.kept;
        println!(
            "round {round}: plain kept {:>7}/{} ({:.3}; system dropped {}; {:.2} µs CPU each; \
             the sender {:.2} µs each)",
            r.kept,
            r.sent,
            r.share(),
            shown(r.proc_drops),
            r.cpu_us_each(),
            r.sender_us_each(),
        );
        println!(
            "         window kept {:>7}/{} ({:.3}; system dropped {}, status bar {}; \
             {:.2} µs CPU each, {:.2} engine and session + {:.2} frames; \
             the sender {:.2} µs each); ratio {:.3}",
            k.kept,
            k.sent,
            k.share(),
            shown(k.proc_drops),
            w.shown,
            k.cpu_us_each(),
            w.engine_cpu_ns as f64 / 1e3 / k.kept.max(1) as f64,
            w.ui_cpu_ns as f64 / 1e3 / k.kept.max(1) as f64,
            k.sender_us_each(),
            k.share() / r.share()
        );
        println!(
            "         receive buffer: plain {} bytes, window {} bytes; {} frames, \
             p50 {:.1} ms, p99 {:.1} ms, slowest {:.1} ms",
            r.rcvbuf, k.rcvbuf, w.frames.0, w.frames.1, w.frames.2, w.frames.3
        );
        raw.push(r.share());
        win.push(k.share() / r.share());
        cpu.push(k.cpu_us_each() / r.cpu_us_each().max(1e-9));
    }
    let (lo, hi, mid) = range(&raw);
    println!("plain receiver kept: {lo:.3} to {hi:.3} of sent (median {mid:.3})");
    let (lo, hi, mid) = range(&win);
    println!("window / plain:      {lo:.3} to {hi:.3} (median {mid:.3}; goal 0.9)");
    let (lo, hi, mid) = range(&cpu);
    println!("CPU per datagram, window / plain: {lo:.2} to {hi:.2} (median {mid:.2})");
}

fn shown(n: Option<u64>) -> String {
    n.map_or_else(|| "?".to_string(), |n| n.to_string())
}

/// What one burst into the window gave.
struct Window {
    kept: Kept,
    /// The system's drop count as the status bar shows it.
    shown: u64,
    /// CPU time of the engine's worker and the session thread.
    engine_cpu_ns: u64,
    /// CPU time of the thread drawing the frames.
    ui_cpu_ns: u64,
    /// Frames drawn; p50, p99 and slowest, in ms.
    frames: (usize, f64, f64, f64),
}

/// One burst into a fresh window's UDP tab.
fn window(n: u64) -> Window {
    let ctx = egui::Context::default();
    netassist::ui::fonts::install(&ctx);
    let mut settings = AppSettings::with_lang(Lang::En);
    settings.tabs[0].mode = ModeChoice::Udp;
    settings.tabs[0].local_ip = "127.0.0.1".into();
    settings.tabs[0].local_port = "0".into();
    let mut app = NetAssistApp::new(&ctx, settings);
    for _ in 0..5 {
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
    for _ in 0..10 {
        frame(&ctx, &mut app);
    }
    let rcvbuf = granted(&app);
    let engine_cpu = cpu_ns("self", "netassist-");
    let ui_cpu = this_thread_cpu_ns();
    let sender = send_burst(addr, n);
    let mut frames = Vec::new();
    let mut next = Instant::now();
    let mut last = (0, Instant::now());
    let start = Instant::now();
    loop {
        frames.push(frame(&ctx, &mut app));
        let got = app.tab().counters().rx_packets;
        if got != last.0 {
            last = (got, Instant::now());
        } else if sender.is_finished() && last.1.elapsed() >= QUIET {
            break;
        }
        next += FRAME;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            next = now;
        }
        assert!(start.elapsed() < Duration::from_secs(300), "stalled");
    }
    let engine_cpu_ns = cpu_ns("self", "netassist-") - engine_cpu;
    let ui_cpu_ns = this_thread_cpu_ns() - ui_cpu;
    let (sent, sender_cpu_ns) = sender.join().expect("sender");
    let drops = proc_drops(addr);
    let log = app.tab().session.log();
    let mut kept = 0u64;
    let mut prev: Option<u64> = None;
    for rec in log.store().iter().filter(|r| r.dir == Direction::Rx) {
        let seq = number(&rec.bytes).expect("every datagram kept is 8 bytes");
        assert!(prev.is_none_or(|p| seq > p), "datagrams out of order");
        prev = Some(seq);
        kept += 1;
    }
    assert_eq!(
        kept,
        log.counters().rx_packets,
        "the log holds every datagram counted"
    );
    let shown = log.view(Instant::now(), false).system_dropped;
    drop(log);
    frames.sort();
    let ms = |p: f64| frames[((frames.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e3;
    Window {
        kept: Kept {
            sent,
            kept,
            proc_drops: drops,
            rcvbuf,
            cpu_ns: engine_cpu_ns + ui_cpu_ns,
            sender_cpu_ns,
        },
        shown,
        engine_cpu_ns,
        ui_cpu_ns,
        frames: (frames.len(), ms(0.5), ms(0.99), ms(1.0)),
    }
}

/// The receive buffer the window's socket was granted, from its row.
fn granted(app: &NetAssistApp) -> usize {
    let log = app.tab().session.log();
    log.store()
        .iter()
        .find_map(|r| match r.note.as_deref() {
            Some(Note::ReceiveBuffer { granted, .. }) => Some(*granted),
            _ => None,
        })
        .expect("a receive buffer row at open")
}
