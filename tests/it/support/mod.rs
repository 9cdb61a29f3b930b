//! Driving the real window like a person would, for the UI tests:
//! `egui_kittest` clicks and types into `NetAssistApp` (with the bundled CJK
//! font, so a glyph no font has fails the test), and plain `std::net`
//! sockets on loopback play the other end of every connection.

#![allow(dead_code)]

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread::sleep;
use std::time::{Duration, Instant};

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use netassist::app::NetAssistApp;
use netassist::i18n::{Lang, T, fill};
use netassist::records::Entry;
use netassist::settings::AppSettings;

/// Longest wait for anything the network or the engine does.
pub const WAIT: Duration = Duration::from_secs(5);
/// How long a socket must stay silent to count as "received nothing".
pub const QUIET: Duration = Duration::from_millis(300);

pub type App = Harness<'static, NetAssistApp>;

/// The real window in English, with the bundled CJK font.
///
/// Engine events arrive on other threads over several frames, and each new
/// widget (a log row) asks for one more frame, so `run()` may take more than
/// `egui_kittest`'s default 4 steps to settle; a window that never settles
/// still fails it.
pub fn app() -> App {
    app_with(AppSettings::with_lang(Lang::En))
}

/// The real window with `settings`, in English unless they say otherwise.
pub fn app_with(settings: AppSettings) -> App {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_max_steps(64)
        .with_step_dt(1.0 / 60.0)
        .with_context_setup(netassist::ui::fonts::install)
        .build_eframe(move |cc| NetAssistApp::new(&cc.egui_ctx, settings.clone()))
}

pub fn en(key: T) -> &'static str {
    key.get(Lang::En)
}

/// Steps frames (the app drains engine events in `logic()`) until `cond`
/// gives a value; fails after [`WAIT`].
pub fn step_until<R>(h: &mut App, what: &str, mut cond: impl FnMut(&mut App) -> Option<R>) -> R {
    let end = Instant::now() + WAIT;
    loop {
        h.step();
        if let Some(r) = cond(h) {
            return r;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        sleep(Duration::from_millis(10));
    }
}

/// Steps until a visible text (label, or a widget's name) contains `needle`.
pub fn wait_text(h: &mut App, needle: &str) -> String {
    step_until(h, &format!("text {needle:?}"), |h| find_text(h, needle))
}

/// Every visible text: label values and the names of buttons, checkboxes,
/// radio buttons, combo boxes and fields, plus combo box values.
pub fn texts(h: &App) -> Vec<String> {
    let mut out = Vec::new();
    for node in h.root().children_recursive() {
        let n = node.accesskit_node();
        if n.is_hidden() {
            continue;
        }
        match n.role() {
            egui::accesskit::Role::Label => out.extend(n.value()),
            egui::accesskit::Role::TextRun => {}
            egui::accesskit::Role::ComboBox => {
                out.extend(n.label());
                out.extend(n.value());
            }
            _ => out.extend(n.label()),
        }
    }
    out.retain(|t| !t.is_empty());
    out
}

pub fn find_text(h: &App, needle: &str) -> Option<String> {
    texts(h).into_iter().find(|t| t.contains(needle))
}

pub fn has_text(h: &App, needle: &str) -> bool {
    find_text(h, needle).is_some()
}

/// Lines of the data log (rows start with a timestamp, then RX / TX / --).
pub fn log_rows(h: &App) -> Vec<String> {
    texts(h)
        .into_iter()
        .filter(|t| {
            let b = t.as_bytes();
            b.len() > 16 && b[2] == b':' && b[5] == b':' && b[8] == b'.'
        })
        .collect()
}

/// Clicks the widget named `label`, scrolling it into view first, as a
/// person scrolls the settings panel to reach a button below its fold.
pub fn click(h: &mut App, label: &str) {
    h.get_by_label(label).scroll_to_me();
    h.run();
    h.get_by_label(label).click();
    h.run();
}

/// Clicks Close (or Disconnect) and waits until the link has closed: the
/// session closes on its own thread, and the network fields stay disabled
/// until it has.
pub fn close_link(h: &mut App) {
    let label = if h.query_by_label(en(T::CloseBtn)).is_some() {
        en(T::CloseBtn)
    } else {
        en(T::Disconnect)
    };
    click(h, label);
    step_until(h, "the link closed", |h| {
        (h.state().tab().link() == netassist::session::LinkState::Closed).then_some(())
    });
    h.run();
}

/// Double-clicks the widget named `label` with the mouse.
pub fn double_click(h: &mut App, label: &str) {
    let pos = h.get_by_label(label).rect().center();
    h.event(egui::Event::PointerMoved(pos));
    // Let the last click elsewhere age, so these two count as a double
    // click and not as the end of a triple.
    for _ in 0..30 {
        h.step();
    }
    for _ in 0..2 {
        for pressed in [true, false] {
            h.event(egui::Event::PointerButton {
                pos,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: Modifiers::NONE,
            });
        }
    }
    h.run();
}

/// Replaces a text field's contents by typing, as a person would: focus it,
/// select all, delete, type.
pub fn set_field(h: &mut App, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.key_press(Key::Backspace);
    h.run();
    if !text.is_empty() {
        h.get_by_label(label).type_text(text);
    }
    h.run();
    assert_eq!(
        h.get_by_label(label).value().as_deref(),
        Some(text),
        "field {label}"
    );
}

/// Opens a combo box by its label and clicks one of its options.
pub fn choose(h: &mut App, combo: &str, option: &str) {
    click(h, combo);
    click(h, option);
    assert_eq!(
        h.get_by_label(combo).value().as_deref(),
        Some(option),
        "combo {combo}"
    );
}

/// A loopback port that nothing listens on and nobody else can take while
/// the returned socket lives: it is bound but never listens, so a connect
/// to it is refused.
pub fn reserved_port() -> (socket2::Socket, u16) {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let port = s.local_addr().unwrap().as_socket().unwrap().port();
    (s, port)
}

/// The address in "Listening on ADDR" / "Bound to ADDR" / "Connected, local ADDR".
pub fn shown_addr(h: &mut App, key: T) -> SocketAddr {
    let prefix = fill(en(key), &[&""]);
    let label = wait_text(h, &prefix);
    label[prefix.len()..].parse().unwrap()
}

/// Reads exactly `n` bytes within [`WAIT`].
pub fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let end = Instant::now() + WAIT;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < n {
        assert!(
            Instant::now() < end,
            "timed out: got {got:?}, wanted {n} bytes"
        );
        match s.read(&mut buf) {
            Ok(0) => panic!("EOF after {got:?}"),
            Ok(k) => got.extend_from_slice(&buf[..k]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("read: {e}"),
        }
    }
    got
}

/// Checks that `expected` arrives and nothing after it.
pub fn expect_bytes(s: &mut TcpStream, expected: &[u8]) {
    let got = read_n(s, expected.len());
    assert_eq!(
        got,
        expected,
        "peer got {:?}",
        String::from_utf8_lossy(&got)
    );
    assert_quiet(s);
}

/// Checks that nothing arrives for [`QUIET`] (and the stream is not closed).
pub fn assert_quiet(s: &mut TcpStream) {
    s.set_read_timeout(Some(QUIET)).unwrap();
    let mut buf = [0u8; 256];
    match s.read(&mut buf) {
        Ok(0) => panic!("unexpected EOF"),
        Ok(k) => panic!("unexpected bytes {:?}", &buf[..k]),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        Err(e) => panic!("read: {e}"),
    }
}

pub fn accept(l: &TcpListener) -> TcpStream {
    l.set_nonblocking(true).unwrap();
    let end = Instant::now() + WAIT;
    loop {
        match l.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                return s;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                assert!(Instant::now() < end, "nobody connected");
                sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}

pub fn recv_udp(s: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = [0u8; 2048];
    let (n, from) = s.recv_from(&mut buf).expect("no datagram arrived");
    (buf[..n].to_vec(), from)
}

/// Types into the send box and clicks Send.
pub fn send(h: &mut App, text: &str) {
    set_field(h, en(T::SendBox), text);
    click(h, en(T::SendBtn));
}

/// Opens a TCP server on a loopback port the system picks and returns it.
pub fn open_server(h: &mut App) -> u16 {
    set_field(h, en(T::LocalPort), "0");
    click(h, en(T::Open));
    let addr = shown_addr(h, T::ListeningOn);
    assert_eq!(addr.ip(), std::net::IpAddr::from([127, 0, 0, 1]));
    addr.port()
}

/// Switches the tab to TCP Client with any local port and clicks Connect
/// to `port` on 127.0.0.1 (the default remote host); returns at once.
pub fn connect_tab(h: &mut App, port: u16) {
    choose(h, en(T::Protocol), en(T::TcpClient));
    set_field(h, en(T::LocalPortAny), "");
    set_field(h, en(T::RemotePort), &port.to_string());
    click(h, en(T::Connect));
}

/// Puts `n` received records from 127.0.0.1:4242 straight into the
/// current tab's log, the `i`th made by `bytes(i)`.
pub fn fill_log(h: &mut App, n: usize, bytes: impl Fn(usize) -> bytes::Bytes) {
    let peer: SocketAddr = "127.0.0.1:4242".parse().unwrap();
    let tab = h.state_mut().tab_mut();
    let mut log = tab.session.log();
    for i in 0..n {
        log.push(Entry::rx(std::time::SystemTime::now(), peer, bytes(i)));
    }
}

/// Connects a std client to the app's server and waits until the client
/// list shows it.
pub fn connect_client(h: &mut App, port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let me = s.local_addr().unwrap().to_string();
    step_until(h, "the client in the list", |h| {
        h.query_by_label(&me).map(|_| ())
    });
    s
}

pub fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(text).0.into_owned()
}
