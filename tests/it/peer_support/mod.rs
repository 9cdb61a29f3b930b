//! Helpers shared by the tests that run `netassist` against the Python
//! tutorial peers (tests/peers/*.py): finding python3, child processes with
//! captured output and deadlines, and reading what each side reported.
//!
//! Each test module uses a different subset, and the window's modules are
//! left out without the gui feature, hence `dead_code` is allowed.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

pub(crate) use crate::wine;

/// The longest any single wait may take.
pub const WAIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// Finding python3 and the peers
// ---------------------------------------------------------------------------

/// The python3 interpreter that runs the peers. Panics (failing the test)
/// when there is none: a missing interpreter must never look like a pass.
pub fn python3() -> PathBuf {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        let names: &[&str] = if cfg!(windows) {
            &["python3.exe", "python.exe"]
        } else {
            &["python3"]
        };
        let path = std::env::var_os("PATH")?;
        let candidate = std::env::split_paths(&path)
            .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
            .find(|p| p.is_file())?;
        // A shim (pyenv, Windows store alias) may exist yet not run: check it.
        let works = Command::new(&candidate)
            .args([
                "-c",
                "import sys; sys.exit(0 if sys.version_info[0] == 3 else 1)",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        works.then_some(candidate)
    });
    match found {
        Some(path) => path.clone(),
        None => panic!(
            "python3 is required for the tutorial-peer tests: install it (Debian: apt-get install python3)"
        ),
    }
}

pub fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("peers")
}

// ---------------------------------------------------------------------------
// Child processes with captured output
// ---------------------------------------------------------------------------

/// Output of one pipe, collected by a thread; waiters are woken on each read.
#[derive(Default)]
pub struct Captured {
    /// The bytes so far, and whether the pipe has reached its end.
    pub state: Mutex<(Vec<u8>, bool)>,
    pub cond: Condvar,
}

impl Captured {
    pub fn collect(mut pipe: impl Read + Send + 'static) -> Arc<Captured> {
        let captured = Arc::new(Captured::default());
        let sink = Arc::clone(&captured);
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let n = pipe.read(&mut buf).unwrap_or(0);
                let mut state = sink.state.lock().unwrap();
                if n == 0 {
                    state.1 = true;
                } else {
                    state.0.extend_from_slice(&buf[..n]);
                }
                sink.cond.notify_all();
                if n == 0 {
                    return;
                }
            }
        });
        captured
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.state.lock().unwrap().0.clone()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    /// Waits until `check` finds something in the output so far, the pipe
    /// ends without it, or `WAIT` passes.
    pub fn wait_for<T>(&self, mut check: impl FnMut(&[u8]) -> Option<T>) -> Option<T> {
        let end = Instant::now() + WAIT;
        let mut state = self.state.lock().unwrap();
        loop {
            if let Some(found) = check(&state.0) {
                return Some(found);
            }
            let now = Instant::now();
            if state.1 || now >= end {
                return None;
            }
            state = self.cond.wait_timeout(state, end - now).unwrap().0;
        }
    }
}

/// Complete lines (ended by `\n`) of `bytes`, without their line ends.
pub fn complete_lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines: Vec<String> = text
        .split('\n')
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect();
    lines.pop(); // the part after the last '\n' is not complete yet
    lines
}

/// A running child process; killed when dropped, so a failing test leaves
/// nothing behind.
pub struct Proc {
    pub name: String,
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub out: Arc<Captured>,
    pub err: Arc<Captured>,
    /// A file removed when the process is dropped (a generated program).
    pub file: Option<PathBuf>,
}

impl Proc {
    pub fn spawn(name: &str, mut cmd: Command) -> Proc {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdin = child.stdin.take();
        let out = Captured::collect(child.stdout.take().unwrap());
        let err = Captured::collect(child.stderr.take().unwrap());
        Proc {
            name: name.to_string(),
            child,
            stdin,
            out,
            err,
            file: None,
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "--- {} stdout ---\n{}\n--- {} stderr ---\n{}",
            self.name,
            self.out.text(),
            self.name,
            self.err.text()
        )
    }

    /// Writes one line to the child's stdin.
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin already closed");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("cannot write to {}: {e}", self.name));
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for a complete stdout line that `pred` accepts.
    pub fn out_line(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.out
            .wait_for(|b| complete_lines(b).into_iter().find(|l| pred(l)))
            .unwrap_or_else(|| panic!("{}: no stdout line {what}\n{}", self.name, self.describe()))
    }

    /// Waits for a complete stderr line that `pred` accepts.
    pub fn err_line(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.err
            .wait_for(|b| complete_lines(b).into_iter().find(|l| pred(l)))
            .unwrap_or_else(|| panic!("{}: no stderr line {what}\n{}", self.name, self.describe()))
    }

    /// Waits until stdout as a whole satisfies `pred`.
    pub fn out_until(&self, what: &str, pred: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        self.out
            .wait_for(|b| pred(b).then(|| b.to_vec()))
            .unwrap_or_else(|| {
                panic!(
                    "{}: stdout never had {what}\n{}",
                    self.name,
                    self.describe()
                )
            })
    }

    /// Waits for the child to exit, after which its pipes are read to the end.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let end = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                self.out.wait_for(|_| None::<()>);
                self.err.wait_for(|_| None::<()>);
                return status;
            }
            if Instant::now() >= end {
                panic!(
                    "{} did not exit within {WAIT:?}\n{}",
                    self.name,
                    self.describe()
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for exit code 0.
    pub fn expect_success(&mut self) {
        let status = self.wait_exit();
        assert!(
            status.success(),
            "{} ended with {status}\n{}",
            self.name,
            self.describe()
        );
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
        if let Some(file) = &self.file {
            let _ = std::fs::remove_file(file);
        }
        if thread::panicking() {
            eprintln!("{}", self.describe());
        }
    }
}

// ---------------------------------------------------------------------------
// netassist and the peers
// ---------------------------------------------------------------------------

/// Starts netassist (`NETASSIST_BIN` when set: see `wine::netassist_bin`).
pub fn netassist(args: &[&str]) -> Proc {
    let mut cmd = Command::new(wine::netassist_bin());
    cmd.args(args);
    Proc::spawn(&format!("netassist {}", args.join(" ")), cmd)
}

/// Starts a peer script with its arguments.
pub fn peer(script: &str, args: &[&str]) -> Proc {
    let mut cmd = Command::new(python3());
    cmd.arg("-B") // no __pycache__ in the source tree
        .arg(peers_dir().join(script))
        .args(args)
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONUTF8", "1")
        .env("PYTHONUNBUFFERED", "1");
    Proc::spawn(&format!("{script} {}", args.join(" ")), cmd)
}

/// Runs a Python program (a generated one), saved under a fresh
/// temporary name that is removed with the process.
pub fn run_python(code: &str, name: &str) -> Proc {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!(
        "netassist-snippet-{}-{n}-{name}",
        std::process::id()
    ));
    std::fs::write(&path, code).expect("write the snippet");
    let mut cmd = Command::new(python3());
    cmd.arg("-B")
        .arg(&path)
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONUNBUFFERED", "1");
    let mut proc = Proc::spawn(name, cmd);
    proc.file = Some(path);
    proc
}

/// The port at the end of a status line such as `listening on 127.0.0.1:8888`.
pub fn port_of(line: &str) -> u16 {
    line.rsplit(':')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no port at the end of {line:?}"))
}

/// Starts `netassist MODE --bind 127.0.0.1:0 ARGS`, waits for its status
/// line (`STATUS 127.0.0.1:PORT`) and returns it with the port it bound.
pub fn bound(mode: &str, status: &str, args: &[&str]) -> (Proc, u16) {
    let mut all = vec![mode, "--bind", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let na = netassist(&all);
    let prefix = format!("{status} 127.0.0.1:");
    let line = na.err_line(&format!("'{prefix}PORT'"), |l| l.starts_with(&prefix));
    let port = port_of(&line);
    (na, port)
}

/// Starts `netassist tcp-server --bind 127.0.0.1:0 ARGS` and returns it with its port.
pub fn tcp_server(args: &[&str]) -> (Proc, u16) {
    bound("tcp-server", "listening on", args)
}

/// Starts `netassist udp --bind 127.0.0.1:0 ARGS` and returns it with its port.
pub fn udp(args: &[&str]) -> (Proc, u16) {
    bound("udp", "bound to", args)
}

/// The port a peer bound (`PORT <n>`).
pub fn peer_port(p: &Proc) -> u16 {
    let line = p.out_line("'PORT <n>'", |l| l.starts_with("PORT "));
    line["PORT ".len()..].trim().parse().expect("PORT line")
}

/// Starts a tutorial server peer on 127.0.0.1 (port 0: it picks one) with
/// `extra` arguments; returns it and the address it listens on.
pub fn peer_server(script: &str, extra: &[&str]) -> (Proc, String) {
    let mut args = vec!["127.0.0.1", "0"];
    args.extend_from_slice(extra);
    let server = peer(script, &args);
    let remote = format!("127.0.0.1:{}", peer_port(&server));
    (server, remote)
}

/// Runs the tutorial UDP sender once: `text` in `encoding` to `port` on
/// 127.0.0.1; returns the address it sent from once it is done.
pub fn udp_send_once(port: u16, text: &str, encoding: &str) -> String {
    let port = port.to_string();
    let mut sender = peer(
        "udp_sender.py",
        &["127.0.0.1", &port, text, "--encoding", encoding],
    );
    let local = peer_local(&sender);
    peer_done(&mut sender);
    local
}

/// The names `name_chat_clients` answers with, one client each.
pub const NAME_CHAT_NAMES: [&str; 2] = ["alice", "张三"];

/// Starts one tutorial name-chat client per name in `NAME_CHAT_NAMES`
/// against `port` on 127.0.0.1; each gives its name, then `exit`.
pub fn name_chat_clients(port: &str) -> Vec<Proc> {
    NAME_CHAT_NAMES
        .iter()
        .map(|name| peer("name_chat_client.py", &["127.0.0.1", port, name, "exit"]))
        .collect()
}

/// Runs the tutorial UDP send-then-receive peer once: `text` in UTF-8 to
/// `port` on 127.0.0.1, replies read as UTF-8; returns it once it is done.
pub fn udp_send_recv_once(port: u16, text: &str) -> Proc {
    let port = port.to_string();
    let mut client = peer(
        "udp_send_recv.py",
        &["127.0.0.1", &port, "--text", text, "--decode", "utf-8"],
    );
    peer_done(&mut client);
    client
}

/// The local address of a peer's socket (`LOCAL host:port`).
pub fn peer_local(p: &Proc) -> String {
    let line = p.out_line("'LOCAL <addr>'", |l| l.starts_with("LOCAL "));
    line["LOCAL ".len()..].trim().to_string()
}

pub fn unhex(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "odd hex {hex:?}");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// What a peer reported receiving in `out`: one `(bytes, sender)` per `RX` line.
pub fn rx_in(out: &[u8]) -> Vec<(Vec<u8>, Option<String>)> {
    complete_lines(out)
        .iter()
        .filter_map(|l| l.strip_prefix("RX "))
        .map(|rest| match rest.split_once(" FROM ") {
            Some((hex, from)) => (unhex(hex), Some(from.to_string())),
            None => (unhex(rest), None),
        })
        .collect()
}

pub fn peer_rx(p: &Proc) -> Vec<(Vec<u8>, Option<String>)> {
    rx_in(&p.out.bytes())
}

/// All bytes a peer reported receiving, joined.
pub fn peer_rx_all(p: &Proc) -> Vec<u8> {
    peer_rx(p).into_iter().flat_map(|(b, _)| b).collect()
}

/// Waits until the bytes a running peer reported receiving, joined, equal
/// `expected` (its report may still be on the way through the pipe).
pub fn wait_peer_rx_all(p: &Proc, expected: &[u8]) {
    let joined = |out: &[u8]| -> Vec<u8> { rx_in(out).into_iter().flat_map(|(b, _)| b).collect() };
    p.out
        .wait_for(|out| (joined(out) == expected).then_some(()))
        .unwrap_or_else(|| {
            panic!(
                "{}: received {:?}, expected {:?}\n{}",
                p.name,
                String::from_utf8_lossy(&peer_rx_all(p)),
                String::from_utf8_lossy(expected),
                p.describe()
            )
        });
}

/// netassist's stdout records in `out`: `[RX addr] text` as `(addr, text)`.
pub fn records_in(out: &[u8]) -> Vec<(String, String)> {
    complete_lines(out)
        .iter()
        .filter_map(|l| l.strip_prefix("[RX "))
        .map(|rest| {
            let (addr, text) = rest
                .split_once("] ")
                .unwrap_or((rest.trim_end_matches(']'), ""));
            (addr.to_string(), text.to_string())
        })
        .collect()
}

/// The text of all records in `out` from `addr`, joined.
pub fn text_in(out: &[u8], addr: &str) -> String {
    records_in(out)
        .into_iter()
        .filter(|(a, _)| a == addr)
        .map(|(_, t)| t)
        .collect()
}

pub fn records(p: &Proc) -> Vec<(String, String)> {
    records_in(&p.out.bytes())
}

pub fn text_from(p: &Proc, addr: &str) -> String {
    text_in(&p.out.bytes(), addr)
}

/// Waits until the records from `addr`, joined, equal `expected`.
pub fn wait_text_from(p: &Proc, addr: &str, expected: &str) {
    p.out
        .wait_for(|out| (text_in(out, addr) == expected).then_some(()))
        .unwrap_or_else(|| {
            panic!(
                "{}: records from {addr} never joined to {expected:?}; got {:?}\n{}",
                p.name,
                text_from(p, addr),
                p.describe()
            )
        });
}

/// Waits until a peer has printed `DONE` and exited 0.
pub fn peer_done(p: &mut Proc) {
    p.expect_success();
    assert!(
        complete_lines(&p.out.bytes()).iter().any(|l| l == "DONE"),
        "{} did not finish\n{}",
        p.name,
        p.describe()
    );
}

/// Asserts that netassist printed exactly this status line on stderr.
pub fn assert_stderr_line(na: &Proc, line: &str) {
    assert!(
        na.err.text().lines().any(|l| l == line),
        "no stderr line {line:?}\n{}",
        na.describe()
    );
}

/// The server's recv() sizes add up to `len`, and most of them are 1.
pub fn assert_pieces(sizes: &[String], len: usize) {
    let sizes: Vec<usize> = sizes.iter().map(|s| s.parse().expect("a size")).collect();
    assert_eq!(sizes.iter().sum::<usize>(), len, "{sizes:?}");
    let ones = sizes.iter().filter(|&&n| n == 1).count();
    assert!(ones * 2 >= len, "mostly 1-byte reads: {sizes:?}");
}
