//! A 6.5 MB value put into the send box three ways, run with
//! `cargo bench --bench set_value`: pasted (Ctrl+V), set through the
//! accessibility interface (AccessKit's SetValue, what a screen reader or a
//! test robot does over AT-SPI or UI Automation), and typed over the
//! selection through it (ReplaceSelectedText).
//!
//! Each way runs in a child process of its own (this binary again), so one
//! way's memory does not count in another's: the real window (driven with
//! egui_kittest, which keeps the accessibility tree as an assistive
//! technology's adapter does, and tessellated as the window is) with a TCP
//! server open and a loopback client; the value set, frames run, Send
//! clicked, the peer reads every byte, frames run. Resident memory (and its
//! peak) over idle is printed for each way, and as a ratio against the
//! paste in the same run.

use std::io::Read;
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

mod support;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use netassist::app::NetAssistApp;
use netassist::codec::build_payload;
use netassist::i18n::{Lang, T};
use netassist::session::LinkState;
use netassist::settings::AppSettings;
use netassist::ui::action::Action;
use support::{peak_kib, rss_kib};

/// The environment variable that makes this binary a child running one way.
const WAY: &str = "NETASSIST_SET_VALUE_WAY";
/// The ways a value reaches the send box.
const WAYS: [&str; 3] = ["paste", "set_value", "replace_selected"];
/// Frames run after the value is set and after the send.
const FRAMES: usize = 30;

fn main() {
    if let Ok(way) = std::env::var(WAY) {
        child(&way);
        return;
    }
    let exe = std::env::current_exe().unwrap();
    println!(
        "== a 6.5 MB value in the send box (resident memory over idle, MiB; each way in a process of its own)"
    );
    let mut results = Vec::new();
    for way in WAYS {
        let out = Command::new(&exe).env(WAY, way).output().unwrap();
        assert!(
            out.status.success(),
            "{way}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout);
        let f: Vec<f64> = line
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        results.push((way, f));
    }
    let base = results[0].1.clone();
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    for (way, f) in &results {
        // idle, set, sent, peak (KiB); frame times (ms): set, slowest after set
        let (idle, set, sent, peak) = (f[0], f[1], f[2], f[3]);
        let mib = |k: f64| k / 1024.0;
        println!(
            "{way:>16}: idle {:.0}; value set + {FRAMES} frames +{:.1} ({:.1}x paste); sent + {FRAMES} frames +{:.1} ({:.1}x); peak +{:.1} ({:.1}x); frame that took the value {:.0} ms, slowest after {:.1} ms",
            mib(idle),
            mib(set - idle),
            ratio(set - idle, base[1] - base[0]),
            mib(sent - idle),
            ratio(sent - idle, base[2] - base[0]),
            mib(peak - idle),
            ratio(peak - idle, base[3] - base[0]),
            f[4],
            f[5],
        );
    }
}

/// About 6.5 MB of mixed Chinese and ASCII lines, like a pasted log.
fn text() -> String {
    let mut text = String::with_capacity(6_600_000);
    let mut i = 0u32;
    while text.len() < 6_500_000 {
        text.push_str(&format!(
            "{i:07} 接收到的数据 received data line, 温度 23.5°C\n"
        ));
        i += 1;
    }
    text
}

/// One frame, tessellated as the window would; its duration.
fn frame(h: &mut Harness<'static, NetAssistApp>) -> Duration {
    let start = Instant::now();
    h.step();
    let out = h.output();
    let _ = h.ctx.tessellate(out.shapes.clone(), out.pixels_per_point);
    start.elapsed()
}

/// Runs one way and prints: idle, after the value, after the send, peak
/// (KiB), then the frame that took the value and the slowest frame after it
/// (ms).
fn child(way: &str) {
    let mut settings = AppSettings::with_lang(Lang::En);
    settings.tabs[0].local_port = "0".into();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_step_dt(1.0 / 60.0)
        .with_context_setup(netassist::ui::fonts::install)
        .build_eframe(move |cc| NetAssistApp::new(&cc.egui_ctx, settings.clone()));
    h.state_mut().apply(Action::ToggleOpen);
    let addr = loop {
        frame(&mut h);
        if let LinkState::Open(_, a) = h.state().tab().link() {
            break a;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut peer = TcpStream::connect(addr).unwrap();
    while h.state().tab().session.log().clients().is_empty() {
        frame(&mut h);
        std::thread::sleep(Duration::from_millis(5));
    }
    for _ in 0..FRAMES {
        frame(&mut h);
    }
    let text = text();
    let want = build_payload(&text, &h.state().tab().settings.send)
        .unwrap()
        .bytes
        .len();
    let len = text.len();
    let idle = rss_kib();

    let name = T::SendBox.get(Lang::En);
    match way {
        "paste" => {
            h.get_by_label(name).focus();
            frame(&mut h);
            h.event(egui::Event::Paste(text.clone()));
        }
        "set_value" => h.get_by_label(name).set_text_value_accesskit(&text),
        "replace_selected" => {
            h.get_by_label(name).focus();
            frame(&mut h);
            h.get_by_label(name).replace_selected_text_accesskit(&text);
        }
        _ => panic!("no way {way}"),
    }
    // Each way's event carries its own copy of the text.
    drop(text);
    let took = frame(&mut h);
    let mut slowest = Duration::ZERO;
    for _ in 0..FRAMES {
        slowest = slowest.max(frame(&mut h));
    }
    assert_eq!(h.state().tab().settings.send_text.len(), len);
    let set = rss_kib();

    let reader = std::thread::spawn(move || {
        let mut got = 0usize;
        let mut buf = vec![0u8; 1 << 16];
        while got < want {
            match peer.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        got
    });
    h.get_by_label(T::SendBtn.get(Lang::En)).click();
    while h.state().tab().counters().tx_bytes < want as u64 {
        frame(&mut h);
    }
    assert_eq!(reader.join().unwrap(), want, "the peer got every byte");
    for _ in 0..FRAMES {
        slowest = slowest.max(frame(&mut h));
    }
    let sent = rss_kib();
    println!(
        "{idle} {set} {sent} {} {:.1} {:.1}",
        peak_kib(),
        took.as_secs_f64() * 1e3,
        slowest.as_secs_f64() * 1e3
    );
}
