//! Cost of one frame of the window with 100, 100,000 and 1,000,000 records
//! in the log, run headless (egui `Context::run_ui` plus tessellation, no
//! GPU). Run with `cargo bench --bench frame`.
//!
//! The goal: the 1,000,000-record frame costs at most twice the 100-record
//! frame, because only visible rows are decoded and laid out.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use netassist::app::NetAssistApp;
use netassist::i18n::Lang;
use netassist::records::{Entry, Note, Opener};
use netassist::settings::AppSettings;

const FRAMES: u32 = 60;

fn input() -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1180.0, 760.0),
        )),
        ..Default::default()
    }
}

/// Runs one frame and returns how many shapes it drew.
fn frame(ctx: &egui::Context, app: &mut NetAssistApp) -> usize {
    let out = ctx.run_ui(input(), |ui| app.show(ui));
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
}
