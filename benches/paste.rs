//! A 10 MB paste in the window's send box, run with `cargo bench --bench paste`.
//!
//! Headless frames of the real app state: resident memory over idle while
//! the send box holds the text and after it was sent (the log keeps the
//! sent record), as multiples of the text's size, and frame times while
//! holding it, against frames with an empty send box in the same run.

use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

mod support;

use netassist::app::NetAssistApp;
use netassist::i18n::Lang;
use netassist::session::LinkState;
use netassist::settings::AppSettings;
use netassist::ui::action::Action;
use support::{frame, rss_kib};

fn frames(ctx: &egui::Context, app: &mut NetAssistApp, n: usize) -> Duration {
    let mut worst = Duration::ZERO;
    for _ in 0..n {
        worst = worst.max(frame(ctx, app));
    }
    worst
}

fn main() {
    let ctx = egui::Context::default();
    netassist::ui::fonts::install(&ctx);
    let mut settings = AppSettings::with_lang(Lang::En);
    settings.tabs[0].local_port = "0".into();
    let mut app = NetAssistApp::new(&ctx, settings);
    app.apply(Action::ToggleOpen);
    let addr = loop {
        frame(&ctx, &mut app);
        if let LinkState::Open(_, a) = app.tab().link() {
            break a;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut peer = TcpStream::connect(addr).unwrap();
    while app.tab().session.log().clients().is_empty() {
        frame(&ctx, &mut app);
        std::thread::sleep(Duration::from_millis(5));
    }
    let empty = frames(&ctx, &mut app, 60);
    let idle = rss_kib();

    let mut text = String::with_capacity(10_500_000);
    let mut i = 0u32;
    while text.len() < 10_000_000 {
        text.push_str(&format!(
            "{i:07} 接收到的数据 received data line, 温度 23.5°C\n"
        ));
        i += 1;
    }
    let size = text.len() as f64;
    // What the send box holds after a paste it took whole.
    app.tab_mut().settings.send_text = text;
    let holding = frames(&ctx, &mut app, 60);
    let held = rss_kib();
    app.apply(Action::Send);
    let reader = std::thread::spawn(move || {
        let mut got = 0usize;
        let mut buf = vec![0u8; 1 << 16];
        while got < size as usize {
            match peer.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        got
    });
    while app.tab().counters().tx_bytes < size as u64 {
        frame(&ctx, &mut app);
    }
    let got = reader.join().unwrap();
    let after_send = frames(&ctx, &mut app, 60);
    let sent = rss_kib();
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "== a 10 MB paste ({:.1} MB of text) in the send box",
        size / 1e6
    );
    println!(
        "RSS over idle: holding it {:.1} MiB ({:.1}x the text); after sending it {:.1} MiB ({:.1}x: the log keeps the sent record)",
        mib(held.saturating_sub(idle)),
        (held.saturating_sub(idle) as f64 * 1024.0) / size,
        mib(sent.saturating_sub(idle)),
        (sent.saturating_sub(idle) as f64 * 1024.0) / size
    );
    println!(
        "slowest frame of 60: empty box {:.2} ms; holding the paste {:.2} ms ({:.2}x); after the send {:.2} ms ({:.2}x)",
        empty.as_secs_f64() * 1e3,
        holding.as_secs_f64() * 1e3,
        holding.as_secs_f64() / empty.as_secs_f64(),
        after_send.as_secs_f64() * 1e3,
        after_send.as_secs_f64() / empty.as_secs_f64()
    );
    assert_eq!(got as f64, size, "the peer got every byte");
}
