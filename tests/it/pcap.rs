//! Sessions saved as pcapng, read back with tshark: every packet decodes
//! with good checksums and no warning, `follow,tcp,raw` gives back exactly
//! the bytes exchanged in both directions, UDP payloads match, connects and
//! closes show as they happened, and packets carry the records' times.
//!
//! Needs tshark (Debian: `apt-get install tshark`); without it these tests
//! fail with that advice, never pass silently. Traffic stays on loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use netassist::net::Mode;
use netassist::records::{Note, Opener, RecordStore, StoreConfig};

/// The longest any wait may take.
const WAIT: Duration = Duration::from_secs(10);

/// tshark, or a failing test that says how to install it.
fn tshark() -> &'static str {
    let found = Command::new("tshark")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "tshark is required for the pcapng tests: install it (Debian: apt-get install tshark)"
    );
    "tshark"
}

/// Runs tshark on `file` with checksum checks on, and returns its stdout.
pub(crate) fn tshark_run(file: &Path, args: &[&str]) -> String {
    let out = Command::new(tshark())
        .arg("-r")
        .arg(file)
        .args(["-o", "tcp.check_checksum:TRUE"])
        .args(["-o", "udp.check_checksum:TRUE"])
        .args(["-o", "ip.check_checksum:TRUE"])
        .args(args)
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("tshark prints UTF-8")
}

/// One row of selected fields per packet.
fn fields(file: &Path, names: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["-T", "fields", "-E", "separator=|"];
    for name in names {
        args.extend(["-e", name]);
    }
    tshark_run(file, &args)
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

/// tshark's expert severity for warnings; errors are higher.
const EXPERT_WARN: u32 = 6_291_456;

/// The one warning a correct capture may hold: tshark marks every RST as
/// "Connection reset" at warning level, and a reset that happened must show.
const RST_WARNING: &str = "Connection reset (RST)";

/// Asserts every packet decodes cleanly: no malformed packet, no expert
/// item at warning level or above (but the mark on a real RST), every
/// checksum good.
fn assert_clean(file: &Path) {
    let expert = tshark_run(
        file,
        &[
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-E",
            "aggregator=;",
            "-e",
            "frame.number",
            "-e",
            "_ws.expert.severity",
            "-e",
            "_ws.expert.message",
        ],
    );
    for line in expert.lines() {
        let cols: Vec<&str> = line.split('|').collect();
        let severities = cols[1].split(';').filter(|s| !s.is_empty());
        for (severity, message) in severities.zip(cols[2].split(';')) {
            let severity: u32 = severity.parse().expect("severity");
            assert!(
                severity < EXPERT_WARN || message == RST_WARNING,
                "tshark warns on packet {}: {message}\n{}",
                cols[0],
                tshark_run(file, &[])
            );
        }
    }
    let rows = fields(
        file,
        &[
            "frame.number",
            "_ws.malformed",
            "ip.checksum.status",
            "tcp.checksum.status",
            "udp.checksum.status",
        ],
    );
    assert!(!rows.is_empty(), "no packets in {}", file.display());
    for row in rows {
        assert_eq!(row[1], "", "malformed packet: {row:?}");
        let sums: Vec<&String> = row[2..].iter().filter(|s| !s.is_empty()).collect();
        assert!(!sums.is_empty(), "no checksum checked: {row:?}");
        // 1 is "Good" in tshark's checksum status.
        assert!(sums.iter().all(|s| *s == "1"), "bad checksum: {row:?}");
    }
}

/// The bytes each node sent in TCP stream `stream`: (first node's address,
/// its bytes, the other node's bytes), from `-z follow,tcp,raw`.
fn follow(file: &Path, stream: u32) -> (String, Vec<u8>, Vec<u8>) {
    let out = tshark_run(file, &["-q", "-z", &format!("follow,tcp,raw,{stream}")]);
    let mut node0 = String::new();
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for line in out.lines() {
        if let Some(addr) = line.strip_prefix("Node 0: ") {
            node0 = addr.to_string();
        } else if let Some(hex) = line.strip_prefix('\t') {
            second.extend(unhex(hex));
        } else if !line.is_empty()
            && line.bytes().all(|b| b.is_ascii_hexdigit())
            && !node0.is_empty()
        {
            first.extend(unhex(line));
        }
    }
    assert!(!node0.is_empty(), "no stream {stream}:\n{out}");
    (node0, first, second)
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Packet summaries `src_port>dst_port FLAGS` for TCP, in order.
fn tcp_flags(file: &Path) -> Vec<String> {
    fields(file, &["tcp.srcport", "tcp.dstport", "tcp.flags.str"])
        .into_iter()
        .map(|r| {
            let flags: String = r[2].chars().filter(|c| c.is_ascii_alphabetic()).collect();
            format!("{}>{} {flags}", r[0], r[1])
        })
        .collect()
}

/// Packet times, as seconds since the epoch.
fn times(file: &Path) -> Vec<f64> {
    fields(file, &["frame.time_epoch"])
        .iter()
        .map(|r| r[0].parse().expect("time"))
        .collect()
}

fn epoch_secs(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Asserts the packet times lie in [`start`, `end`] and never go back.
fn assert_times_within(file: &Path, start: SystemTime, end: SystemTime) {
    let t = times(file);
    let (lo, hi) = (epoch_secs(start) - 0.001, epoch_secs(end) + 0.001);
    assert!(
        t.iter().all(|&x| x >= lo && x <= hi),
        "{t:?} not in {lo}..{hi}"
    );
    assert!(t.windows(2).all(|w| w[0] <= w[1]), "{t:?}");
}

/// A fresh, empty temporary directory for one test.
pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netassist-pcap-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A netassist run whose stdout and stderr lines arrive on one channel.
struct Na {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Na {
    fn start(args: &[&str]) -> Na {
        let mut child = Command::new(env!("CARGO_BIN_EXE_netassist"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start netassist");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        let err = child.stderr.take().expect("stderr");
        let pipe = |pipe: Box<dyn Read + Send>, tx: mpsc::Sender<String>| {
            thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        };
        pipe(Box::new(out), tx.clone());
        pipe(Box::new(err), tx);
        Na {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for an output line starting with `prefix` and returns it.
    fn line(&mut self, prefix: &str) -> String {
        let end = Instant::now() + WAIT;
        if let Some(l) = self.seen.iter().find(|l| l.starts_with(prefix)) {
            return l.clone();
        }
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.starts_with(prefix) {
                        return l;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no output line {prefix:?}; saw {:?}", self.seen);
    }

    /// The address at the end of a status line such as `listening on ADDR`.
    fn addr(&mut self, prefix: &str) -> SocketAddr {
        let line = self.line(prefix);
        line[prefix.len()..].trim().parse().expect("address")
    }

    /// Waits for exit code 0.
    fn success(&mut self) {
        let end = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
                    self.seen.push(l);
                }
                assert!(status.success(), "{status}; stderr {:?}", self.seen);
                return;
            }
            assert!(
                Instant::now() < end,
                "netassist did not exit: {:?}",
                self.seen
            );
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Na {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(WAIT)).unwrap();
    s
}

fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    s.read_exact(&mut buf).expect("read");
    buf
}

fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

fn has_ipv6_loopback() -> bool {
    if UdpSocket::bind("[::1]:0").is_ok() {
        return true;
    }
    eprintln!("note: no IPv6 loopback (::1) on this machine; IPv6 checks skipped");
    false
}

// ---------------------------------------------------------------------------
// `--pcap FILE` on the command line
// ---------------------------------------------------------------------------

/// netassist as a TCP client: its SYN opens, the server's FIN closes, and
/// every byte both ways (all 256 values, UTF-8 text) comes back out.
#[test]
fn tcp_client_run_saved_as_pcapng() {
    let dir = temp_dir("tcp-client");
    let file = dir.join("client.pcapng");
    let server = TcpListener::bind("127.0.0.1:0").expect("bind");
    let server_addr = server.local_addr().unwrap();
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    let reply = [&all_bytes[..], "你好".as_bytes()].concat();
    let serve = {
        let reply = reply.clone();
        thread::spawn(move || {
            let (mut conn, _) = server.accept().expect("accept");
            conn.set_read_timeout(Some(WAIT)).unwrap();
            let got = read_n(&mut conn, 5);
            conn.write_all(&reply[..256]).unwrap();
            conn.write_all(&reply[256..]).unwrap();
            got
        })
    };
    let start = SystemTime::now();
    let mut na = Na::start(&[
        "tcp-client",
        "--connect",
        &server_addr.to_string(),
        "--send",
        "hello",
        "--pcap",
        file.to_str().unwrap(),
    ]);
    let line = na.line("connected to ");
    let local: SocketAddr = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert_eq!(serve.join().unwrap(), b"hello");
    na.success();
    let end = SystemTime::now();

    assert_clean(&file);
    assert_times_within(&file, start, end);
    let (node0, from_client, from_server) = follow(&file, 0);
    assert_eq!(node0, local.to_string());
    assert_eq!(from_client, b"hello");
    assert_eq!(from_server, reply);
    let (c, s) = (local.port(), server_addr.port());
    let flags = tcp_flags(&file);
    assert_eq!(
        flags[..3],
        [
            format!("{c}>{s} S"),
            format!("{s}>{c} AS"),
            format!("{c}>{s} A")
        ],
        "{flags:?}"
    );
    // The server closed first; netassist then closed its side.
    let fins: Vec<&String> = flags.iter().filter(|f| f.ends_with('F')).collect();
    assert_eq!(
        fins,
        [&format!("{s}>{c} AF"), &format!("{c}>{s} AF")],
        "{flags:?}"
    );
    assert!(!flags.iter().any(|f| f.contains('R')), "{flags:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// netassist as a TCP server on ::1 (IPv4 when there is no IPv6 loopback):
/// one client resets, the next is closed by netassist when the run ends.
#[test]
fn tcp_server_run_with_reset_saved_as_pcapng() {
    let host = if has_ipv6_loopback() {
        "[::1]"
    } else {
        "127.0.0.1"
    };
    let dir = temp_dir("tcp-server");
    let file = dir.join("server.pcapng");
    let start = SystemTime::now();
    let mut na = Na::start(&[
        "tcp-server",
        "--bind",
        &format!("{host}:0"),
        "--send",
        "hi",
        "--exit-after-bytes",
        "7",
        "--pcap",
        file.to_str().unwrap(),
    ]);
    let server = na.addr("listening on ");

    let mut first = connect(server);
    let first_port = first.local_addr().unwrap().port();
    assert_eq!(read_n(&mut first, 2), b"hi");
    first.write_all(b"abc").unwrap();
    let first_addr = canonical(first.local_addr().unwrap());
    na.line(&format!("client connected: {first_addr}"));
    // netassist has read "abc" before the reset can overtake it.
    na.line(&format!("[RX {first_addr}] abc"));
    // Closing with SO_LINGER 0 sends RST instead of FIN.
    socket2::SockRef::from(&first)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(first);
    na.line("reset by peer: ");

    let mut second = connect(server);
    let second_port = second.local_addr().unwrap().port();
    assert_eq!(read_n(&mut second, 2), b"hi");
    second.write_all(b"\x00\xFF\r\n").unwrap();
    na.success();
    let mut rest = Vec::new();
    let _ = second.read_to_end(&mut rest);
    let end = SystemTime::now();

    assert_clean(&file);
    assert_times_within(&file, start, end);
    let s = server.port();
    let (node0, from_first, to_first) = follow(&file, 0);
    assert!(node0.ends_with(&format!(":{first_port}")), "{node0}");
    assert_eq!(to_first, b"hi");
    let (_, from_second, to_second) = follow(&file, 1);
    assert_eq!(to_second, b"hi");
    assert_eq!(from_second, b"\x00\xFF\r\n");
    let flags = tcp_flags(&file);
    assert!(flags.contains(&format!("{first_port}>{s} S")), "{flags:?}");
    assert!(flags.contains(&format!("{first_port}>{s} AR")), "{flags:?}");
    assert!(
        flags.contains(&format!("{s}>{second_port} AF")),
        "{flags:?}"
    );
    assert_eq!(from_first, b"abc");
    let _ = std::fs::remove_dir_all(&dir);
}

/// UDP over IPv4 and IPv6: each datagram one packet, payloads exact (GBK
/// text sent, bytes received), addresses and ports real.
#[test]
fn udp_run_saved_as_pcapng() {
    let mut hosts = vec!["127.0.0.1"];
    if has_ipv6_loopback() {
        hosts.push("[::1]");
    }
    for host in hosts {
        let dir = temp_dir(&format!("udp-{}", host.len()));
        let file = dir.join("udp.pcapng");
        let peer = UdpSocket::bind(format!("{host}:0")).expect("bind");
        peer.set_read_timeout(Some(WAIT)).unwrap();
        let peer_addr = peer.local_addr().unwrap();
        let start = SystemTime::now();
        let mut na = Na::start(&[
            "udp",
            "--bind",
            &format!("{host}:0"),
            "--to",
            &peer_addr.to_string(),
            "--send",
            "你好",
            "--send-encoding",
            "gbk",
            "--exit-after-bytes",
            "7",
            "--pcap",
            file.to_str().unwrap(),
        ]);
        let local = na.addr("bound to ");
        let mut buf = [0u8; 64];
        let (n, from) = peer.recv_from(&mut buf).expect("datagram");
        assert_eq!((&buf[..n], from), (&[0xC4, 0xE3, 0xBA, 0xC3][..], local));
        peer.send_to(b"abc", local).unwrap();
        peer.send_to(b"\x00\xFF\x7F\x80", local).unwrap();
        na.success();
        let end = SystemTime::now();

        assert_clean(&file);
        assert_times_within(&file, start, end);
        let rows = fields(
            &file,
            &[
                "ip.src",
                "ipv6.src",
                "udp.srcport",
                "udp.dstport",
                "udp.payload",
            ],
        );
        let got: Vec<(String, u16, u16, String)> = rows
            .iter()
            .map(|r| {
                let src = if r[0].is_empty() { &r[1] } else { &r[0] };
                let port = |s: &String| s.parse::<u16>().unwrap();
                (src.clone(), port(&r[2]), port(&r[3]), r[4].clone())
            })
            .collect();
        let ip = local.ip().to_string();
        let (l, p) = (local.port(), peer_addr.port());
        assert_eq!(
            got,
            [
                (ip.clone(), l, p, "c4e3bac3".to_string()),
                (ip.clone(), p, l, "616263".to_string()),
                (ip, p, l, "00ff7f80".to_string()),
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn unwritable_pcap_file_is_a_bad_argument_and_sends_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let dir = temp_dir("unwritable");
    let file = dir.join("no-such-dir").join("x.pcapng");
    let out = Command::new(env!("CARGO_BIN_EXE_netassist"))
        .args(["tcp-client", "--connect", &target, "--send", "hi", "--pcap"])
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .expect("run netassist");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--pcap") && stderr.contains("x.pcapng"),
        "{stderr}"
    );
    assert!(
        listener.accept().is_err(),
        "netassist connected despite the bad file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// RecordStore::save_pcapng (the window's "save as pcapng")
// ---------------------------------------------------------------------------

fn at(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + ms)
}

fn save(store: &RecordStore, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).expect("create");
    store
        .save_pcapng(std::io::BufWriter::new(file))
        .expect("save");
    path
}

/// A TCP server session with two clients (one closes, one resets), a read
/// merged from three reads, a send longer than one segment, then a UDP
/// session: the file gives every byte back, at the records' own times.
#[test]
fn store_saved_as_pcapng() {
    let dir = temp_dir("store");
    let mut s = RecordStore::new(StoreConfig {
        merge_window: Some(Duration::from_millis(5)),
        ..StoreConfig::default()
    });
    let local: SocketAddr = "0.0.0.0:8888".parse().unwrap();
    let conn_local: SocketAddr = "127.0.0.1:8888".parse().unwrap();
    let a: SocketAddr = "127.0.0.1:40001".parse().unwrap();
    let b: SocketAddr = "[::1]:40002".parse().unwrap();
    let b_local: SocketAddr = "[::1]:8888".parse().unwrap();
    let by = Opener::Peer;
    let mode = Mode::TcpServer;
    s.push_event(at(0), None, Note::Opened { local, mode });
    s.push_event(
        at(1),
        Some(a),
        Note::Connected {
            local: conn_local,
            by,
        },
    );
    s.push_rx(at(2), a, Bytes::from_static(b"GET "));
    s.push_rx(at(3), a, Bytes::from_static(b"/ HTTP/1.0"));
    s.push_rx(at(4), a, Bytes::from_static(b"\r\n\r\n"));
    let big: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    s.push_tx(at(10), a, Bytes::from(big.clone()));
    s.push_event(at(11), Some(b), Note::Connected { local: b_local, by });
    s.push_rx(at(12), b, Bytes::from("你好".as_bytes()));
    s.push_event(at(13), Some(a), Note::ClosedByPeer);
    s.push_event(at(14), Some(b), Note::Reset);
    s.push_event(at(15), None, Note::Closed);
    let udp_local: SocketAddr = "127.0.0.1:7788".parse().unwrap();
    let u: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    let mode = Mode::Udp;
    s.push_event(
        at(20),
        None,
        Note::Opened {
            local: udp_local,
            mode,
        },
    );
    s.push_rx(at(21), u, Bytes::from_static(b"one"));
    s.push_tx(at(22), u, Bytes::from_static(b"two"));
    assert_eq!(
        s.get(2).map(|r| r.reads.len()),
        Some(2),
        "three reads merged"
    );

    let file = save(&s, &dir, "store.pcapng");
    assert_clean(&file);
    let (node0, from_a, to_a) = follow(&file, 0);
    assert_eq!(node0, a.to_string());
    assert_eq!(from_a, b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(to_a, big);
    let (node0, from_b, to_b) = follow(&file, 1);
    assert_eq!(node0, b.to_string());
    assert_eq!((from_b, to_b), ("你好".as_bytes().to_vec(), Vec::new()));
    let flags = tcp_flags(&file);
    let fins: Vec<&String> = flags.iter().filter(|f| f.contains('F')).collect();
    assert_eq!(fins, ["40001>8888 AF", "8888>40001 AF"], "{flags:?}");
    assert!(flags.contains(&"40002>8888 AR".to_string()), "{flags:?}");
    let udp = fields(&file, &["udp.srcport", "udp.dstport", "udp.payload"]);
    let udp: Vec<String> = udp
        .iter()
        .filter(|r| !r[0].is_empty())
        .map(|r| r.join(" "))
        .collect();
    assert_eq!(udp, ["50000 7788 6f6e65", "7788 50000 74776f"]);

    // Every packet carries its record's time: the handshake at 1 ms, the
    // three reads at 2 ms (merged into one record), the close at 13 ms.
    let t: Vec<u64> = times(&file)
        .iter()
        .map(|x| ((x - epoch_secs(at(0))) * 1000.0).round() as u64)
        .collect();
    assert_eq!(t[..3], [1, 1, 1], "{t:?}");
    assert_eq!(t[3], 2, "{t:?}");
    assert_eq!(*t.last().unwrap(), 22, "{t:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// When the records that opened a session and its connections were
/// dropped, the file still has the right addresses: the connection starts
/// mid-stream, with consistent numbers and no warnings.
#[test]
fn store_with_dropped_start_saved_as_pcapng() {
    let dir = temp_dir("dropped");
    let mut s = RecordStore::new(StoreConfig {
        max_records: 3,
        ..StoreConfig::default()
    });
    let local: SocketAddr = "127.0.0.1:6000".parse().unwrap();
    let server: SocketAddr = "127.0.0.1:9000".parse().unwrap();
    let mode = Mode::TcpClient;
    s.push_event(at(0), None, Note::Opened { local, mode });
    s.push_event(
        at(0),
        Some(server),
        Note::Connected {
            local,
            by: Opener::Us,
        },
    );
    s.push_tx(at(1), server, Bytes::from_static(b"dropped"));
    s.push_rx(at(2), server, Bytes::from_static(b"Welcome!"));
    s.push_tx(at(3), server, Bytes::from_static(b"bob"));
    s.push_rx(at(4), server, Bytes::from_static(b"Hello bob!"));
    assert_eq!(s.first_seq(), 3);

    let file = save(&s, &dir, "dropped.pcapng");
    assert_clean(&file);
    // The oldest record held is the server's "Welcome!".
    let (node0, from_server, from_us) = follow(&file, 0);
    assert_eq!(node0, server.to_string());
    assert_eq!(from_server, b"Welcome!Hello bob!");
    assert_eq!(from_us, b"bob");
    let _ = std::fs::remove_dir_all(&dir);
}
