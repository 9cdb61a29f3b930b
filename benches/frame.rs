//! Cost of one frame of the window with 100, 100,000 and 1,000,000 records
//! in the log, run headless (egui `Context::run_ui` plus tessellation, no
//! GPU). Run with `cargo bench --bench frame`.
//!
//! The goal: the 1,000,000-record frame costs at most twice the 100-record
//! frame, because only visible rows are decoded and laid out.
//!
//! Then a resize of a million records in Text + hex, from a width of 16
//! bytes a row to one of 8 and back: how many frames count the rows in the
//! new width, and the slowest of them against the steady frames before.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use netassist::app::NetAssistApp;
use netassist::i18n::Lang;
use netassist::records::{Entry, Note, Opener};
use netassist::settings::AppSettings;

const FRAMES: u32 = 60;

fn input(width: f32) -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(width, 760.0),
        )),
        ..Default::default()
    }
}

/// Runs one frame and returns how many shapes it drew.
fn frame(ctx: &egui::Context, app: &mut NetAssistApp) -> usize {
    frame_at(ctx, app, 1180.0)
}

/// Runs one frame `width` points wide and returns how many shapes it drew.
fn frame_at(ctx: &egui::Context, app: &mut NetAssistApp, width: f32) -> usize {
    let out = ctx.run_ui(input(width), |ui| app.show(ui));
    let n = out.shapes.len();
    let _ = ctx.tessellate(out.shapes, out.pixels_per_point);
    n
}

fn fill(app: &mut NetAssistApp, n: usize) {
    let peers: Vec<SocketAddr> = (0..8)
        .map(|i| format!("127.0.0.1:{}", 40000 + i).parse().unwrap())
        .collect();
    let texts = [
        Bytes::from("hello 你好，世界\n"),
        Bytes::from("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        Bytes::from(vec![0x5Au8; 40]),
        Bytes::from("thank you !"),
    ];
    let tab = app.tab_mut();
    let mut log = tab.session.log();
    for i in 0..n {
        let peer = peers[i % peers.len()];
        let now = SystemTime::now();
        match i % 10 {
            0 => {
                log.push(Entry::event(
                    now,
                    Some(peer),
                    Note::Connected {
                        local: peer,
                        by: Opener::Peer,
                    },
                ));
            }
            1..=3 => {
                log.push(Entry::tx(now, peer, texts[i % texts.len()].clone(), 0));
            }
            _ => {
                log.push(Entry::rx(now, peer, texts[i % texts.len()].clone()));
            }
        }
    }
}

fn measure(n: usize) -> Duration {
    let ctx = egui::Context::default();
    netassist::ui::fonts::install(&ctx);
    let mut app = NetAssistApp::new(&ctx, AppSettings::with_lang(Lang::Zh));
    fill(&mut app, n);
    assert_eq!(
        app.tab().session.log().store().len(),
        n,
        "the store must hold all {n} records"
    );
    // Warm up: font atlas, the style settling to the measured width, and
    // the row index built (over several frames for a big log).
    for _ in 0..10 {
        let _ = frame(&ctx, &mut app);
    }
    while app.tab().ui.rows.end_seq() < app.tab().session.log().store().end_seq() {
        let _ = frame(&ctx, &mut app);
    }
    // Each measured frame also takes one new record, so the visible rows
    // change (auto-scroll follows) and text is laid out afresh.
    let peer: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    let mut shapes = 0;
    let start = Instant::now();
    for i in 0..FRAMES {
        let text = format!("新数据 new data #{i}");
        app.tab_mut()
            .session
            .log()
            .push(Entry::rx(SystemTime::now(), peer, Bytes::from(text)));
        shapes += frame(&ctx, &mut app);
    }
    let t = start.elapsed() / FRAMES;
    assert!(shapes / FRAMES as usize > 50, "the log must draw its rows");
    t
}

/// The slowest frame and how many frames it took until the log shows
/// `per_row` bytes a row at `width`, with every row counted.
fn until_width(
    ctx: &egui::Context,
    app: &mut NetAssistApp,
    width: f32,
    per_row: usize,
) -> (Duration, u32) {
    let (mut slowest, mut frames) = (Duration::ZERO, 0);
    loop {
        let start = Instant::now();
        frame_at(ctx, app, width);
        slowest = slowest.max(start.elapsed());
        frames += 1;
        let ui = &app.tab().ui;
        if ui.style.bytes_per_row == per_row && ui.restyled.is_none() {
            return (slowest, frames);
        }
    }
}

/// A million records in Text + hex in a TCP client tab: steady frames at
/// 1280 points (16 bytes a row), then resized to 1000 (8) and back.
fn resize(n: usize) {
    let ctx = egui::Context::default();
    netassist::ui::fonts::install(&ctx);
    let mut settings = AppSettings::with_lang(Lang::Zh);
    settings.tabs[0].mode = netassist::settings::ModeChoice::TcpClient;
    settings.tabs[0].view = netassist::records::View::Both;
    let mut app = NetAssistApp::new(&ctx, settings);
    fill(&mut app, n);
    let _ = until_width(&ctx, &mut app, 1280.0, 16);
    while app.tab().ui.rows.end_seq() < app.tab().session.log().store().end_seq() {
        frame_at(&ctx, &mut app, 1280.0);
    }
    let mut steady = Duration::ZERO;
    for _ in 0..FRAMES {
        let start = Instant::now();
        frame_at(&ctx, &mut app, 1280.0);
        steady += start.elapsed();
    }
    let steady = steady / FRAMES;
    println!(
        "== a resize of {n} records in Text + hex (steady frame at 16 bytes a row: {:.3} ms)",
        steady.as_secs_f64() * 1e3
    );
    for (width, per_row) in [(1000.0, 8), (1280.0, 16)] {
        let (slowest, frames) = until_width(&ctx, &mut app, width, per_row);
        println!(
            "to {per_row:>2} bytes a row: counted in {frames} frames, the slowest {:.3} ms ({:.2}x the steady frame)",
            slowest.as_secs_f64() * 1e3,
            slowest.as_secs_f64() / steady.as_secs_f64()
        );
    }
}

fn main() {
    let sizes = [100usize, 100_000, 1_000_000];
    let base = measure(sizes[0]);
    println!("== one frame of the window (headless, mean of {FRAMES})");
    println!(
        "{:>9} records: {:8.3} ms  (1.00x)",
        sizes[0],
        base.as_secs_f64() * 1e3
    );
    for &n in &sizes[1..] {
        let t = measure(n);
        println!(
            "{:>9} records: {:8.3} ms  ({:.2}x the 100-record frame)",
            n,
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() / base.as_secs_f64()
        );
    }
    resize(1_000_000);
}
