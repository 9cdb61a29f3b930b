//! The exit-code rule of the `netassist` command line: exit 2 with a
//! one-line message naming the problem for bad arguments (and nothing sent),
//! exit 1 with a one-line reason for runtime failures.

use std::io::{ErrorKind, Read};
use std::net::{TcpListener, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::wine;

/// The longest a run may take before the test gives up and kills it.
const WAIT: Duration = Duration::from_secs(10);

/// Kills the child if the test ends (or panics) while it still runs.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What one run of netassist did.
struct Run {
    args: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn read_all(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Runs netassist with `args` and no input, waiting at most `WAIT`.
fn run(args: &[&str]) -> Run {
    let child = Command::new(wine::netassist_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netassist");
    let mut guard = Guard(child);
    let stdout = read_all(guard.0.stdout.take().unwrap());
    let stderr = read_all(guard.0.stderr.take().unwrap());
    let end = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = guard.0.try_wait().expect("try_wait") {
            break status;
        }
        assert!(
            Instant::now() < end,
            "netassist {} did not exit within {WAIT:?}",
            args.join(" ")
        );
        thread::sleep(Duration::from_millis(10));
    };
    Run {
        args: args.join(" "),
        code: status.code(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

impl Run {
    /// Asserts the exit code, an empty stdout, and a single stderr line
    /// holding every one of `fragments`.
    fn expect(&self, code: i32, fragments: &[&str]) {
        let context = format!(
            "netassist {}\n--- exit: {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.args, self.code, self.stdout, self.stderr
        );
        assert_eq!(self.code, Some(code), "wrong exit code\n{context}");
        assert!(self.stdout.is_empty(), "stdout should be empty\n{context}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "expected exactly one stderr line\n{context}"
        );
        for fragment in fragments {
            assert!(
                lines[0].contains(fragment),
                "the message does not mention {fragment:?}\n{context}"
            );
        }
    }
}

/// Bad arguments: exit 2 and one line naming the problem.
fn bad(args: &[&str], fragments: &[&str]) {
    run(args).expect(2, fragments);
}

// ---------------------------------------------------------------------------
// Exit 2: addresses and ports
// ---------------------------------------------------------------------------

#[test]
fn bad_bind_address() {
    bad(
        &["tcp-server", "--bind", "nonsense:80"],
        &["nonsense", "not an IP address"],
    );
    bad(
        &["udp", "--bind", "localhost:7788"],
        &["localhost", "not an IP address"],
    );
}

#[test]
fn port_out_of_range() {
    bad(
        &["tcp-server", "--bind", "127.0.0.1:70000"],
        &["70000", "port"],
    );
    bad(&["udp", "--bind", "127.0.0.1:-1"], &["-1", "port"]);
    // Port 0 is fine to bind (any free port) but not to connect to.
    bad(
        &["tcp-client", "--connect", "127.0.0.1:0"],
        &["'0'", "port"],
    );
    bad(
        &["udp", "--bind", "127.0.0.1:0", "--to", "127.0.0.1:65536"],
        &["65536", "port"],
    );
}

#[test]
fn missing_port() {
    bad(
        &["tcp-server", "--bind", "127.0.0.1"],
        &["127.0.0.1", "no port"],
    );
    bad(
        &["tcp-client", "--connect", "localhost"],
        &["localhost", "no port"],
    );
    bad(&["tcp-client", "--connect", "127.0.0.1:"], &["port"]);
}

#[test]
fn bad_host_name() {
    bad(
        &["tcp-client", "--connect", "bad host:80"],
        &["bad host", "not a host name"],
    );
}

// ---------------------------------------------------------------------------
// Exit 2: what to send
// ---------------------------------------------------------------------------

#[test]
fn bad_hex_names_the_digit_and_its_position() {
    bad(
        &["tcp-client", "--connect", "127.0.0.1:9", "--send-hex", "4G"],
        &["--send-hex", "'G'", "position 2"],
    );
    bad(
        &[
            "tcp-client",
            "--connect",
            "127.0.0.1:9",
            "--send-hex",
            "41 42 4",
        ],
        &["--send-hex", "odd", "position 7"],
    );
    bad(
        &[
            "tcp-client",
            "--connect",
            "127.0.0.1:9",
            "--send-hex",
            "414",
        ],
        &["odd", "414"],
    );
}

#[test]
fn broken_escape_names_its_position() {
    bad(
        &[
            "tcp-client",
            "--connect",
            "127.0.0.1:9",
            "--escapes",
            "--send",
            r"a\q",
        ],
        &["--send", r"\q", "position 2"],
    );
    bad(
        &[
            "tcp-client",
            "--connect",
            "127.0.0.1:9",
            "--escapes",
            "--send",
            r"ab\x4",
        ],
        &[r"\x4", "position 3"],
    );
    bad(
        &[
            "tcp-client",
            "--connect",
            "127.0.0.1:9",
            "--escapes",
            "--send",
            r"ab\",
        ],
        &["backslash", "position 3"],
    );
}

#[test]
fn text_that_gbk_cannot_encode() {
    bad(
        &[
            "tcp-client",
            "--connect",
            "127.0.0.1:9",
            "--send-encoding",
            "gbk",
            "--send",
            "a☃",
        ],
        &["GBK", "☃", "position 2"],
    );
}

// ---------------------------------------------------------------------------
// Exit 2: options
// ---------------------------------------------------------------------------

#[test]
fn unknown_encoding() {
    bad(
        &[
            "tcp-server",
            "--bind",
            "127.0.0.1:0",
            "--encoding",
            "latin9",
        ],
        &["latin9", "--encoding"],
    );
    bad(
        &[
            "tcp-server",
            "--bind",
            "127.0.0.1:0",
            "--send-encoding",
            "latin9",
        ],
        &["latin9", "--send-encoding"],
    );
}

#[test]
fn unknown_newline() {
    bad(
        &["tcp-server", "--bind", "127.0.0.1:0", "--newline", "cr"],
        &["cr", "--newline"],
    );
}

#[test]
fn udp_send_without_destination() {
    bad(&["udp", "--bind", "127.0.0.1:0", "--send", "hi"], &["--to"]);
    bad(
        &["udp", "--bind", "127.0.0.1:0", "--send-hex", "41"],
        &["--to"],
    );
}

#[test]
fn bad_numbers() {
    bad(
        &["udp", "--bind", "127.0.0.1:0", "--timeout", "soon"],
        &["soon", "--timeout"],
    );
    bad(
        &["udp", "--bind", "127.0.0.1:0", "--exit-after-bytes", "many"],
        &["many", "--exit-after-bytes"],
    );
}

#[test]
fn conflicting_options() {
    bad(
        &[
            "tcp-client",
            "--connect",
            "127.0.0.1:9",
            "--send",
            "A",
            "--send-hex",
            "41",
        ],
        &["--send", "--send-hex"],
    );
    bad(
        &["tcp-client", "--connect", "127.0.0.1:9", "--hex", "--raw"],
        &["--hex", "--raw"],
    );
}

#[test]
fn unknown_subcommand() {
    bad(&["tcp-sever", "--bind", "127.0.0.1:0"], &["tcp-sever"]);
}

#[test]
fn missing_required_option_is_named() {
    bad(&["tcp-client"], &["--connect"]);
    bad(&["tcp-server"], &["--bind"]);
    bad(&["udp", "--to", "127.0.0.1:9"], &["--bind"]);
}

// ---------------------------------------------------------------------------
// Exit 2 sends nothing
// ---------------------------------------------------------------------------

#[test]
fn bad_input_sends_nothing_over_tcp() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).unwrap();
    let target = listener.local_addr().unwrap().to_string();
    bad(
        &["tcp-client", "--connect", &target, "--send-hex", "4G"],
        &["'G'"],
    );
    bad(
        &[
            "tcp-client",
            "--connect",
            &target,
            "--escapes",
            "--send",
            r"a\q",
        ],
        &[r"\q"],
    );
    bad(
        &[
            "tcp-client",
            "--connect",
            &target,
            "--send",
            "hi",
            "--newline",
            "cr",
        ],
        &["cr"],
    );
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!("netassist connected from {from} despite bad input"),
        Err(e) => panic!("accept: {e}"),
    }
}

#[test]
fn bad_input_sends_nothing_over_udp() {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let target = socket.local_addr().unwrap().to_string();
    bad(
        &[
            "udp",
            "--bind",
            "127.0.0.1:0",
            "--to",
            &target,
            "--send-hex",
            "41 4G",
        ],
        &["'G'", "position 5"],
    );
    bad(
        &[
            "udp",
            "--bind",
            "127.0.0.1:0",
            "--to",
            &target,
            "--escapes",
            "--send",
            r"ok\q",
        ],
        &[r"\q", "position 3"],
    );
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 64];
    match socket.recv_from(&mut buf) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        Ok((n, from)) => panic!("received {n} bytes from {from} despite bad input"),
        Err(e) => panic!("recv_from: {e}"),
    }
}

// ---------------------------------------------------------------------------
// Exit 2: timed sends and multicast
// ---------------------------------------------------------------------------

#[test]
fn bad_every_and_count_name_the_argument() {
    let base = ["tcp-client", "--connect", "127.0.0.1:9", "--send", "x"];
    let with = |extra: &[&'static str]| -> Vec<&str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    bad(&with(&["--every", "0"]), &["--every", "'0'"]);
    bad(&with(&["--every", "86400001"]), &["--every", "86400001"]);
    bad(&with(&["--every", "fast"]), &["--every", "fast"]);
    bad(&with(&["--count", "0"]), &["--count", "'0'"]);
    bad(&with(&["--count", "-3"]), &["--count", "-3"]);
    bad(
        &["tcp-client", "--connect", "127.0.0.1:9", "--every", "100"],
        &["--every", "--send"],
    );
    bad(
        &["udp", "--bind", "127.0.0.1:0", "--count", "2"],
        &["--count", "--send"],
    );
}

#[test]
fn bad_multicast_values_name_the_argument() {
    let udp = |extra: &[&'static str]| -> Vec<&str> {
        ["udp", "--bind", "0.0.0.0:0"]
            .iter()
            .copied()
            .chain(extra.iter().copied())
            .collect()
    };
    bad(
        &udp(&["--join", "10.0.0.1"]),
        &["--join", "10.0.0.1", "not a multicast"],
    );
    bad(&udp(&["--join", "239.1.2"]), &["--join", "239.1.2"]);
    bad(&udp(&["--join", "239.1.2.3@"]), &["--join", "interface"]);
    bad(&udp(&["--ttl", "256"]), &["--ttl", "256"]);
    bad(
        &udp(&["--multicast-loop", "maybe"]),
        &["--multicast-loop", "maybe"],
    );
    bad(&udp(&["--multicast-if", ""]), &["--multicast-if"]);
    // Multicast is UDP's: the TCP modes do not take these options.
    bad(
        &["tcp-server", "--bind", "127.0.0.1:0", "--join", "239.1.2.3"],
        &["--join"],
    );
}

// ---------------------------------------------------------------------------
// Exit 1: runtime failures
// ---------------------------------------------------------------------------

#[test]
fn address_in_use_tcp() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap().to_string();
    run(&["tcp-server", "--bind", &addr]).expect(1, &[&addr, "already in use"]);
}

#[test]
fn address_in_use_udp() {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr = socket.local_addr().unwrap().to_string();
    run(&["udp", "--bind", &addr]).expect(1, &[&addr, "already in use"]);
}

#[test]
fn address_in_use_tcp_client_bind() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap().to_string();
    let server = TcpListener::bind("127.0.0.1:0").expect("bind");
    let to = server.local_addr().unwrap().to_string();
    run(&["tcp-client", "--connect", &to, "--bind", &addr]).expect(1, &[&addr, "already in use"]);
}

/// A loopback port where nothing listens and nothing else can start to for
/// as long as the returned socket lives (bound, not listening: a connect to
/// it is refused).
fn refusing_port() -> (socket2::Socket, u16) {
    let s =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    s.bind(&any.into()).expect("bind");
    let port = s
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .expect("local address")
        .port();
    (s, port)
}

#[test]
fn connection_refused() {
    let (_holder, port) = refusing_port();
    let addr = format!("127.0.0.1:{port}");
    run(&["tcp-client", "--connect", &addr]).expect(1, &[&addr, "refused"]);
}

#[test]
fn host_not_found() {
    // The .invalid top-level domain never resolves (RFC 6761).
    run(&["tcp-client", "--connect", "nosuchhost.invalid:80"])
        .expect(1, &["host not found", "nosuchhost.invalid"]);
    run(&[
        "udp",
        "--bind",
        "127.0.0.1:0",
        "--to",
        "nosuchhost.invalid:80",
    ])
    .expect(1, &["host not found", "nosuchhost.invalid"]);
}
