//! UDP intake: datagrams read in batches reach the engine's events, the
//! log, the window and the command line exact (bytes and boundaries) and
//! in order; the receive buffer the system granted is told at open; the
//! datagrams the system dropped are counted in the status bar and on the
//! command line.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::*;
use egui_kittest::Harness;
use netassist::app::NetAssistApp;
use netassist::i18n::{Lang, T, fill};
use netassist::net::fake::FakeNet;
use netassist::net::{Engine, Event, SessionConfig};
use netassist::records::{Direction, Note};
use netassist::session::{Budget, Session};
use netassist::settings::AppSettings;

const ASKED: usize = 4 << 20;

/// Takes events until `pick` gives a value.
fn wait_event<R>(e: &Engine, what: &str, mut pick: impl FnMut(Event) -> Option<R>) -> R {
    let end = Instant::now() + WAIT;
    while Instant::now() < end {
        if let Some(ev) = e.events().recv_timeout(Duration::from_millis(50))
            && let Some(r) = pick(ev)
        {
            return r;
        }
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn the_engine_hands_on_every_datagram_exact_and_in_order() {
    let mut e = Engine::new(Arc::new(|| {}));
    e.open(SessionConfig::udp("127.0.0.1:0".parse().unwrap(), None));
    let local = wait_event(&e, "Opened", |ev| match ev {
        Event::Opened { local, .. } => Some(local),
        _ => None,
    });
    // The buffer granted comes next, before anything is received.
    let (asked, granted) = wait_event(&e, "ReceiveBuffer", |ev| match ev {
        Event::ReceiveBuffer { asked, granted } => Some((asked, granted)),
        other => panic!("{other:?} before the receive buffer"),
    });
    assert_eq!(asked, ASKED);
    assert!(granted > 0);

    // Datagrams of every size from two peers, interleaved, sent in rounds
    // a receive buffer surely holds.
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut sent: Vec<(SocketAddr, Vec<u8>)> = Vec::new();
    for i in 0..3_000u32 {
        let peer = if i % 3 == 0 { &b } else { &a };
        let len = match i % 7 {
            0 => 0,
            1 => 1,
            2 => 1_400,
            3 => 9_000,
            _ => 8,
        };
        let data: Vec<u8> = (0..len).map(|k| (i as usize * 31 + k) as u8).collect();
        let data = if len >= 4 {
            [&i.to_be_bytes()[..], &data[4..]].concat()
        } else {
            data
        };
        peer.send_to(&data, local).unwrap();
        sent.push((peer.local_addr().unwrap(), data));
        if i % 50 == 49 {
            // Let the engine catch up now and then.
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let mut got: Vec<(SocketAddr, Vec<u8>)> = Vec::new();
    while got.len() < sent.len() {
        wait_event(&e, "the datagrams", |ev| match ev {
            Event::Received {
                peer: None,
                addr,
                data,
                ..
            } => {
                got.push((addr, data.to_vec()));
                Some(())
            }
            Event::SystemDropped { total } => panic!("the system dropped {total}"),
            _ => None,
        });
    }
    // Each peer's datagrams in the order it sent them, every one exact.
    for peer in [&a, &b] {
        let addr = peer.local_addr().unwrap();
        let want: Vec<&Vec<u8>> = sent.iter().filter(|s| s.0 == addr).map(|s| &s.1).collect();
        let have: Vec<&Vec<u8>> = got.iter().filter(|g| g.0 == addr).map(|g| &g.1).collect();
        assert_eq!(have.len(), want.len(), "from {addr}");
        assert!(have == want, "the datagrams from {addr} changed");
    }
}

#[test]
fn the_log_shows_the_granted_buffer_and_keeps_a_burst_in_order() {
    let budget = Budget::new(64 << 20);
    let session = Session::new(&budget, Arc::new(|| {}));
    session.open(SessionConfig::udp("127.0.0.1:0".parse().unwrap(), None));
    let end = Instant::now() + WAIT;
    let (local, row) = loop {
        {
            let log = session.log();
            let local = match log.link() {
                netassist::session::LinkState::Open(_, local) => Some(local),
                _ => None,
            };
            let row = log.store().iter().find_map(|r| match r.note.as_deref() {
                Some(Note::ReceiveBuffer { asked, granted }) => Some((*asked, *granted)),
                _ => None,
            });
            if let (Some(local), Some(row)) = (local, row) {
                break (local, row);
            }
        }
        assert!(Instant::now() < end, "no receive buffer row");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(row.0, ASKED);
    assert!(row.1 > 0);

    const N: u32 = 10_000;
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..N {
        peer.send_to(&i.to_le_bytes(), local).unwrap();
        if i % 100 == 99 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let end = Instant::now() + WAIT;
    while session.log().counters().rx_packets < u64::from(N) {
        assert!(Instant::now() < end, "the log has not got every datagram");
        std::thread::sleep(Duration::from_millis(5));
    }
    let log = session.log();
    let numbers: Vec<u32> = log
        .store()
        .iter()
        .filter(|r| r.dir == Direction::Rx)
        .map(|r| u32::from_le_bytes(r.bytes[..].try_into().expect("4 bytes")))
        .collect();
    assert_eq!(numbers, (0..N).collect::<Vec<_>>());
    assert_eq!(log.system_dropped(), 0);
}

/// The window over fake engines; the engine of each tab, in order.
fn fake_udp_app(lang: Lang) -> (App, Arc<Mutex<Vec<FakeNet>>>) {
    let nets: Arc<Mutex<Vec<FakeNet>>> = Arc::default();
    let made = Arc::clone(&nets);
    let mut settings = AppSettings::with_lang(lang);
    settings.tabs[0].mode = netassist::settings::ModeChoice::Udp;
    let h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_max_steps(64)
        .with_step_dt(1.0 / 60.0)
        .with_context_setup(netassist::ui::fonts::install)
        .build_eframe(move |cc| {
            let made = Arc::clone(&made);
            NetAssistApp::from_state(
                &cc.egui_ctx,
                settings.clone(),
                Box::new(move || {
                    let (engine, net) = Engine::fake(Arc::new(|| {}));
                    made.lock().unwrap().push(net);
                    engine
                }),
            )
        });
    (h, nets)
}

#[test]
fn the_status_bar_counts_what_the_system_dropped() {
    for lang in [Lang::En, Lang::Zh] {
        let (mut h, nets) = fake_udp_app(lang);
        let t = |k: T| k.get(lang);
        click(&mut h, t(T::Open));
        let opened = fill(t(T::BoundTo), &[&""]);
        wait_text(&mut h, &opened);
        let net = nets.lock().unwrap()[0].clone();
        let lost = fill(t(T::SystemDropped), &[&""]);
        assert!(find_text(&h, &lost).is_none(), "nothing lost yet");
        net.inject(Event::SystemDropped { total: 7 });
        let shown = wait_text(&mut h, &lost);
        assert_eq!(shown, fill(t(T::SystemDropped), &[&7]));
        net.inject(Event::SystemDropped { total: 12 });
        wait_text(&mut h, &fill(t(T::SystemDropped), &[&12]));
        // Reset counters: it counts from here.
        click(&mut h, t(T::ResetCounters));
        h.run();
        assert!(find_text(&h, &lost).is_none(), "{:?}", texts(&h));
        net.inject(Event::SystemDropped { total: 15 });
        wait_text(&mut h, &fill(t(T::SystemDropped), &[&3]));
    }
}

#[test]
fn the_window_shows_the_granted_buffer_at_open() {
    let mut h = app();
    choose(&mut h, en(T::Protocol), "UDP");
    set_field(&mut h, en(T::LocalPort), "0");
    click(&mut h, en(T::Open));
    shown_addr(&mut h, T::BoundTo);
    let row = wait_text(&mut h, "receive buffer ");
    assert!(row.contains(&format!("(asked for {ASKED})")), "{row}");
}

/// `netassist udp --bind 127.0.0.1:0 ARGS`: the child, its address, and
/// its stderr lines after the first.
fn cli_udp(
    args: &[&str],
) -> (
    std::process::Child,
    SocketAddr,
    std::sync::mpsc::Receiver<String>,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netassist"))
        .args(["udp", "--bind", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netassist");
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("bound to ")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("first line {first:?}"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in err.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (child, addr, rx)
}

#[cfg(target_os = "linux")]
fn line_with(rx: &std::sync::mpsc::Receiver<String>, what: &str) -> String {
    let end = Instant::now() + WAIT;
    let mut seen = Vec::new();
    while Instant::now() < end {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(50)) {
            if l.contains(what) {
                return l;
            }
            seen.push(l);
        }
    }
    panic!("no stderr line with {what:?}: {seen:?}");
}

#[test]
fn the_command_line_says_the_granted_buffer_after_bound_to() {
    let (mut child, _addr, rx) = cli_udp(&[]);
    let line = rx.recv_timeout(WAIT).expect("a second line");
    let _ = child.kill();
    let _ = child.wait();
    let rest = line
        .strip_prefix("receive buffer: ")
        .unwrap_or_else(|| panic!("{line:?}"));
    assert!(
        rest.ends_with(&format!(" bytes (asked for {ASKED})")),
        "{line}"
    );
}

/// The system drops what a stopped receiver has no room for; once it
/// reads again, the next datagram carries the count, and stderr and
/// `--json` say it (Linux, where the system keeps the count).
#[cfg(target_os = "linux")]
#[test]
fn the_command_line_tells_what_the_system_dropped() {
    use std::io::Read;

    let (mut child, addr, rx) = cli_udp(&["--json", "--hex"]);
    // Read stdout as it comes, so the child never waits on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        out.read_to_string(&mut text).map(|_| text)
    });
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: signals to our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    const SENT: u32 = 40_000;
    for i in 0..SENT {
        let _ = peer.send_to(&i.to_be_bytes(), addr);
    }
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGCONT) }, 0);
    std::thread::sleep(Duration::from_millis(300));
    peer.send_to(b"last", addr).unwrap();
    let line = line_with(&rx, "lost by the system: ");
    let dropped: u64 = line["lost by the system: ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line:?}"));
    assert!(dropped > 0 && dropped < u64::from(SENT), "{line}");
    std::thread::sleep(Duration::from_millis(300));
    let _ = child.kill();
    let _ = child.wait();
    let text = stdout.join().unwrap().unwrap();
    let mut kept = 0u64;
    let mut told = None;
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).expect("JSON");
        if v["dir"] == "rx" {
            kept += 1;
        } else if let Some(n) = v["system_dropped"].as_u64() {
            told = Some(n);
        }
    }
    assert_eq!(told, Some(dropped), "--json tells the count");
    assert_eq!(
        kept + dropped,
        u64::from(SENT) + 1,
        "kept {kept}, dropped {dropped}"
    );
}
