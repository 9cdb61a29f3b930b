//! One table of behaviour, run against both front-ends of the session
//! runtime: the command line (`netassist tcp-server --json`, its rows read
//! from stdout) and the window (the real app driven with egui_kittest, its
//! rows read from the log on screen). Each case is written once, against
//! [`FrontEnd`]; a peer on loopback plays the other side and checks what
//! reaches the wire (bytes, our FIN). The two cannot drift apart again.

use crate::peer_support;
use crate::support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use netassist::files::Purpose;
use netassist::i18n::T;

/// A row of the log, as each front-end shows it.
#[derive(Debug, Clone, Copy)]
enum Row {
    /// Bytes received, shown as this text.
    Received(&'static str),
    /// The peer finished sending (FIN).
    PeerFinished,
    /// We finished sending (our FIN follows the data queued before it).
    WeFinished,
    /// The peer reset the connection.
    Reset,
    /// The connection closed in order after both sides finished.
    ClosedByPeer,
}

impl Row {
    /// What the command line's JSON line for it holds.
    fn json(self) -> Vec<String> {
        let event = |text: &str| vec![format!("\"event\":\"{text}\"")];
        match self {
            Row::Received(text) => {
                vec!["\"dir\":\"rx\"".to_string(), format!("\"text\":\"{text}\"")]
            }
            Row::PeerFinished => event("peer finished sending"),
            Row::WeFinished => event("we finished sending"),
            Row::Reset => event("connection reset"),
            Row::ClosedByPeer => event("closed by peer"),
        }
    }

    /// What the window's log row holds.
    fn window(self) -> String {
        match self {
            Row::Received(text) => text.to_string(),
            Row::PeerFinished => support::en(T::EvPeerFinished).to_string(),
            Row::WeFinished => support::en(T::EvWeFinished).to_string(),
            Row::Reset => support::en(T::EvReset).to_string(),
            Row::ClosedByPeer => support::en(T::EvClosedByPeer).to_string(),
        }
    }
}

/// What a case needs of a front-end.
trait FrontEnd {
    /// Starts a TCP server on a free loopback port with this automation
    /// file loaded (rules; presets and sequences), running `sequence` if
    /// given; gives the port.
    fn serve(&mut self, automation: &str, sequence: Option<&str>) -> u16;
    /// Sends text to the connected clients, as typed (no line ending).
    fn send(&mut self, text: &str);
    /// Waits until the log shows `row`.
    fn wait_row(&mut self, row: Row);
}

// ---------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------

struct Cli {
    na: Option<peer_support::Proc>,
    file: Option<TempFile>,
}

impl FrontEnd for Cli {
    fn serve(&mut self, automation: &str, sequence: Option<&str>) -> u16 {
        let file = TempFile::new(automation);
        let path = file.path();
        let mut args = vec!["--json", "--newline", "none", "--rules", &path];
        if let Some(name) = sequence {
            args.extend(["--presets", &path, "--sequence", name]);
        }
        let (na, port) = peer_support::tcp_server(&args);
        self.na = Some(na);
        self.file = Some(file);
        port
    }

    fn send(&mut self, text: &str) {
        self.na.as_mut().expect("serving").type_line(text);
    }

    fn wait_row(&mut self, row: Row) {
        let na = self.na.as_ref().expect("serving");
        let wanted = row.json();
        na.out_line(&format!("{row:?}"), |l| {
            wanted.iter().all(|part| l.contains(part))
        });
    }
}

// ---------------------------------------------------------------------------
// The window
// ---------------------------------------------------------------------------

struct Window {
    h: support::App,
    file: Option<TempFile>,
}

impl FrontEnd for Window {
    fn serve(&mut self, automation: &str, sequence: Option<&str>) -> u16 {
        let h = &mut self.h;
        let file = TempFile::new(automation);
        // What the Import button's file dialog does with the file chosen.
        h.state_mut()
            .file_chosen(Purpose::ImportAutomation, file.0.clone());
        support::wait_text(h, "Imported");
        self.file = Some(file);
        let port = support::open_server(h);
        if let Some(name) = sequence {
            support::click(h, support::en(T::AutomationBtn));
            support::click(h, support::en(T::TabSequences));
            support::click(h, name);
            support::click(h, support::en(T::RunSequence));
        }
        port
    }

    fn send(&mut self, text: &str) {
        support::send(&mut self.h, text);
    }

    fn wait_row(&mut self, row: Row) {
        let wanted = row.window();
        support::step_until(&mut self.h, &format!("a log row {row:?}"), |h| {
            support::log_rows(h)
                .iter()
                .any(|r| r.contains(&wanted))
                .then_some(())
        });
    }
}

// ---------------------------------------------------------------------------
// The peer's side
// ---------------------------------------------------------------------------

/// A client of the front-end's server.
fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// Reads exactly `expected.len()` bytes and checks them.
fn expect(s: &mut TcpStream, expected: &[u8]) {
    let mut got = vec![0u8; expected.len()];
    s.read_exact(&mut got)
        .unwrap_or_else(|e| panic!("reading {:?}: {e}", String::from_utf8_lossy(expected)));
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(expected)
    );
}

/// Reads until our FIN (end of stream) and gives what came before it.
fn read_to_fin(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    s.read_to_end(&mut got).expect("the stream ends with a FIN");
    got
}

/// A temporary automation file.
struct TempFile(PathBuf);

impl TempFile {
    fn new(text: &str) -> TempFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "netassist-behaviour-{}-{}.toml",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, text).expect("write the automation file");
        TempFile(path)
    }

    fn path(&self) -> String {
        self.0.to_string_lossy().into_owned()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

/// We send: what is typed reaches the client exactly.
fn send(fe: &mut dyn FrontEnd) {
    let port = fe.serve("", None);
    let mut peer = connect(port);
    peer.write_all(b"hi").unwrap();
    fe.wait_row(Row::Received("hi"));
    fe.send("hello 你好");
    expect(&mut peer, "hello 你好".as_bytes());
}

/// A rule fires on what the client sends.
fn rule_fires(fe: &mut dyn FrontEnd) {
    let port = fe.serve(
        "[[rule]]\nwhen = \"contains\"\npattern = \"ping\"\nreply = \"pong\"\n",
        None,
    );
    let mut peer = connect(port);
    peer.write_all(b"a ping").unwrap();
    expect(&mut peer, b"pong");
    fe.wait_row(Row::Received("a ping"));
}

/// The client sends and finishes at once (`shutdown(SHUT_WR)`, as many
/// tutorial clients do before reading): the reply a rule queued still
/// reaches it, then our FIN.
fn peer_half_closes(fe: &mut dyn FrontEnd) {
    let port = fe.serve("[[rule]]\nwhen = \"any\"\necho = \"same\"\n", None);
    let mut peer = connect(port);
    peer.write_all(b"ping").unwrap();
    peer.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_fin(&mut peer), b"ping");
    fe.wait_row(Row::PeerFinished);
    fe.wait_row(Row::WeFinished);
    fe.wait_row(Row::ClosedByPeer);
}

/// The client resets the connection.
fn peer_resets(fe: &mut dyn FrontEnd) {
    let port = fe.serve("", None);
    let peer = connect(port);
    (&peer).write_all(b"bye").unwrap();
    fe.wait_row(Row::Received("bye"));
    socket2::SockRef::from(&peer)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(peer);
    fe.wait_row(Row::Reset);
}

/// A rule's "then close" is a half-close after its reply: the client reads
/// the reply, then our FIN, and may still send to us.
fn rule_closes(fe: &mut dyn FrontEnd) {
    let port = fe.serve(
        "[[rule]]\nwhen = \"equals\"\npattern = \"exit\"\nreply = 'bye\\n'\nclose = true\n",
        None,
    );
    let mut peer = connect(port);
    peer.write_all(b"exit").unwrap();
    assert_eq!(read_to_fin(&mut peer), b"bye\n");
    fe.wait_row(Row::WeFinished);
    peer.write_all(b"still here").unwrap();
    fe.wait_row(Row::Received("still here"));
    peer.shutdown(Shutdown::Write).unwrap();
    fe.wait_row(Row::ClosedByPeer);
}

/// A sequence sends, waits for a matching reply, then sends again; it
/// starts once a client is there to talk to.
fn sequence_waits_for_a_reply(fe: &mut dyn FrontEnd) {
    let file = r#"
[[preset]]
name = "ask"
text = "hello?"

[[sequence]]
name = "greet"

[[sequence.step]]
preset = "ask"
wait_for = "contains"
pattern = "yes"
timeout_ms = 5000

[[sequence.step]]
send = { text = "thanks" }
"#;
    let port = fe.serve(file, Some("greet"));
    let mut peer = connect(port);
    expect(&mut peer, b"hello?");
    // Nothing more until the reply comes.
    peer.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut one = [0u8; 1];
    let quiet = Instant::now();
    assert!(peer.read(&mut one).is_err(), "the sequence must wait");
    assert!(quiet.elapsed() >= Duration::from_millis(250));
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    peer.write_all(b"oh yes").unwrap();
    expect(&mut peer, b"thanks");
}

/// Runs each case against both front-ends.
macro_rules! table {
    ($($case:ident),* $(,)?) => {
        mod command_line {
            $(
                #[test]
                fn $case() {
                    let mut fe = super::Cli { na: None, file: None };
                    super::$case(&mut fe);
                }
            )*
        }
        mod window {
            $(
                #[test]
                fn $case() {
                    let mut fe = super::Window { h: super::support::app(), file: None };
                    super::$case(&mut fe);
                }
            )*
        }
    };
}

table!(
    send,
    rule_fires,
    peer_half_closes,
    peer_resets,
    rule_closes,
    sequence_waits_for_a_reply,
);
