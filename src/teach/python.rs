//! "Copy as Python": a short Python 3 program, in the socket tutorials'
//! style (the `socket` module, no frameworks), that talks to the current
//! session with its address, port and encodings.
//!
//! - TCP server session: a client that connects, sends what you type and
//!   prints NetAssist's replies.
//! - TCP client session: a server that NetAssist connects to; it prints
//!   what NetAssist sends and answers it in upper case.
//! - UDP session: a sender (to NetAssist) and a receiver (of what NetAssist
//!   sends to its remote).
//! - With TLS, the TCP programs wrap their socket with Python's `ssl`
//!   module: a client trusts the certificate NetAssist's server presents
//!   (the self-signed one it made, or the file it was given); a server
//!   presents the self-signed certificate NetAssist made.
//!
//! Comments are looked up by key in one language table ([`Say`]), so a
//! second language is one more column.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use thiserror::Error;

use crate::codec::{DisplayEncoding, TextEncoding};
use crate::net::tls::{
    SELF_SIGNED_CERT_FILE, SELF_SIGNED_KEY_FILE, ServerIdentity, default_cert_dir,
};
use crate::net::{HostPort, Mode, SessionConfig};

/// TLS in a snippet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PyTls {
    /// NetAssist is the TLS server: the snippet (a client) trusts this
    /// certificate file (NetAssist's self-signed certificate, or the chain
    /// it presents).
    Trust(PathBuf),
    /// NetAssist is the TLS client: the snippet (a server) presents this
    /// certificate chain and key.
    Present {
        /// The certificate chain (PEM).
        cert: PathBuf,
        /// Its private key (PEM).
        key: PathBuf,
    },
}

/// The language of a snippet's comments.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum CommentLanguage {
    /// English.
    #[default]
    English,
    /// 中文.
    Chinese,
}

impl From<crate::i18n::Lang> for CommentLanguage {
    fn from(lang: crate::i18n::Lang) -> CommentLanguage {
        match lang {
            crate::i18n::Lang::En => CommentLanguage::English,
            crate::i18n::Lang::Zh => CommentLanguage::Chinese,
        }
    }
}

/// What a snippet needs to know about the session it talks to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PythonSession {
    /// The session's mode.
    pub mode: Mode,
    /// Its local address with the real port (after opening, for port 0).
    pub local: SocketAddr,
    /// TCP client: the server. UDP: where NetAssist sends (its remote).
    pub remote: Option<HostPort>,
    /// How NetAssist encodes what it sends: the snippet decodes with it.
    pub send_encoding: TextEncoding,
    /// How NetAssist shows what it receives: the snippet encodes with it
    /// (UTF-8 for Auto).
    pub display_encoding: DisplayEncoding,
    /// TLS, when the session speaks it.
    pub tls: Option<PyTls>,
    /// WebSocket: the path (a server's, or the one a client's URL asks for).
    pub ws_path: Option<String>,
}

impl PythonSession {
    /// The facts of a configured session. `opened` is the real local
    /// address once the session is open; without it the configured one is
    /// used, which must not have port 0 for a TCP server or UDP.
    pub fn from_config(
        config: &SessionConfig,
        opened: Option<SocketAddr>,
        send_encoding: TextEncoding,
        display_encoding: DisplayEncoding,
    ) -> PythonSession {
        let (local, remote) = match config {
            SessionConfig::TcpServer { bind, .. } => (*bind, None),
            SessionConfig::TcpClient { remote, bind, .. } => (
                bind.unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0))),
                Some(remote.clone()),
            ),
            SessionConfig::Udp { bind, remote, .. } => (*bind, remote.clone()),
            SessionConfig::Relay(r) => (r.listen, Some(r.target.clone())),
            SessionConfig::WsServer(w) => (w.bind, None),
            SessionConfig::WsClient(w) => (
                w.bind.unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0))),
                Some(w.url.host_port()),
            ),
            SessionConfig::Load(l) => (
                SocketAddr::from(([0, 0, 0, 0], 0)),
                Some(l.url.host.clone()),
            ),
        };
        let trust = |t: &crate::net::TlsServerConfig| {
            PyTls::Trust(match &t.identity {
                ServerIdentity::SelfSigned { dir } => dir.join(SELF_SIGNED_CERT_FILE),
                ServerIdentity::Pem { chain, .. } => chain.clone(),
            })
        };
        let present = || {
            default_cert_dir().map(|dir| PyTls::Present {
                cert: dir.join(SELF_SIGNED_CERT_FILE),
                key: dir.join(SELF_SIGNED_KEY_FILE),
            })
        };
        let tls = match config {
            SessionConfig::TcpServer { tls: Some(t), .. } => Some(trust(t)),
            SessionConfig::WsServer(w) => w.tls.as_ref().map(trust),
            // The Python server presents the certificate NetAssist's own TLS
            // server made (NetAssist trusts it with its CA file set to it).
            SessionConfig::TcpClient { tls: Some(_), .. } => present(),
            SessionConfig::WsClient(w) if w.tls.is_some() => present(),
            _ => None,
        };
        let ws_path = match config {
            SessionConfig::WsServer(w) => Some(w.path.clone().unwrap_or_else(|| "/".into())),
            SessionConfig::WsClient(w) => Some(w.url.path.clone()),
            _ => None,
        };
        PythonSession {
            mode: config.mode(),
            local: opened.unwrap_or(local),
            remote,
            send_encoding,
            display_encoding,
            tls,
            ws_path,
        }
    }
}

/// Why no snippet can be made.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PythonError {
    /// The session listens or binds on port 0, which is chosen on opening.
    #[error("the port is chosen when the session opens: open it first")]
    PortNotKnown,
    /// A TCP client session without a server address.
    #[error("a TCP client needs the server's address")]
    NoRemote,
}

/// What a snippet does.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum SnippetRole {
    /// Connects to NetAssist's TCP server.
    TcpClient,
    /// Accepts NetAssist's TCP client.
    TcpServer,
    /// Sends datagrams to NetAssist.
    UdpSender,
    /// Receives NetAssist's datagrams.
    UdpReceiver,
    /// Connects to NetAssist's WebSocket server.
    WsClient,
    /// Accepts NetAssist's WebSocket client.
    WsServer,
}

/// One ready-to-run program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    /// What it does.
    pub role: SnippetRole,
    /// A file name to save it under.
    pub file_name: &'static str,
    /// The program text (ends with a newline).
    pub code: String,
}

/// Every comment a snippet may carry. `{}` marks where a value goes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Say {
    ClientTitle,
    ServerTitle,
    SenderTitle,
    ReceiverTitle,
    ReceiverNoRemote,
    Encodings,
    Tcp,
    Udp,
    AllAddresses,
    Connect,
    Reuse,
    Backlog,
    Accept,
    Prompt,
    Quit,
    Send,
    Recv,
    Closed,
    Upper,
    SendTo,
    Bind,
    RecvFrom,
    TlsTrust,
    TlsWrapClient,
    TlsPresent,
    TlsPresentWhere,
    TlsWrapServer,
}

impl Say {
    fn text(self, lang: CommentLanguage) -> &'static str {
        match lang {
            CommentLanguage::English => self.english(),
            CommentLanguage::Chinese => self.chinese(),
        }
    }

    fn chinese(self) -> &'static str {
        match self {
            Say::ClientTitle => "连接 NetAssist TCP 服务器（{}）的 TCP 客户端。",
            Say::ServerTitle => {
                "供 NetAssist 的 TCP 客户端连接的 TCP 服务器，NetAssist 连接的是 {}。"
            }
            Say::SenderTitle => "向 {} 上的 NetAssist 发送 UDP 数据报。",
            Say::ReceiverTitle => "接收 NetAssist 发往 {} 的 UDP 数据报。",
            Say::ReceiverNoRemote => "把 NetAssist 的远程地址设为 {}，它就会发到这里。",
            Say::Encodings => "NetAssist 按 {} 显示收到的数据，发送时用 {}。",
            Say::Tcp => "TCP：字节流",
            Say::Udp => "UDP：一个个独立的数据报",
            Say::AllAddresses => "NetAssist 监听本机所有地址，这里用本机回环地址",
            Say::Connect => "三次握手在这里完成",
            Say::Reuse => "即使旧连接还在 TIME_WAIT，也能立即重启",
            Say::Backlog => "排队等待 accept 的连接数",
            Say::Accept => "等待 NetAssist 连接过来",
            Say::Prompt => "输入一条消息；输入 quit 结束",
            Say::Quit => "关闭时发出 FIN：NetAssist 会显示对方已结束",
            Say::Send => "NetAssist 按 {} 解码这些字节",
            Say::Recv => "最多 1024 字节；一条消息可能分几次收到",
            Say::Closed => "b'' 表示对方关闭了连接",
            Say::Upper => "转成大写后回复",
            Say::SendTo => "每次 sendto() 发出一个数据报",
            Say::Bind => "NetAssist 发往的地址和端口",
            Say::RecvFrom => "收一个数据报，以及发送方是谁",
            Say::TlsTrust => "信任 NetAssist 的 TLS 服务器出示的证书",
            Say::TlsWrapClient => "TLS：connect() 时完成握手，并按这个名字检查证书",
            Say::TlsPresent => "出示 NetAssist 的 TLS 服务器生成的自签名证书",
            Say::TlsPresentWhere => {
                "证书在 {}（打开一次 NetAssist 的 TLS 服务器就会生成），让 NetAssist 的 CA 文件指向它"
            }
            Say::TlsWrapServer => "TLS：在这里和 NetAssist 握手",
        }
    }

    fn english(self) -> &'static str {
        match self {
            Say::ClientTitle => "A TCP client for NetAssist's TCP server on {}.",
            Say::ServerTitle => "A TCP server for NetAssist's TCP client, which connects to {}.",
            Say::SenderTitle => "Sends UDP datagrams to NetAssist on {}.",
            Say::ReceiverTitle => "Receives the UDP datagrams NetAssist sends to {}.",
            Say::ReceiverNoRemote => "Set NetAssist's remote address to {} so it sends here.",
            Say::Encodings => "NetAssist shows what it receives as {}; it sends {}.",
            Say::Tcp => "TCP: a byte stream",
            Say::Udp => "UDP: separate datagrams",
            Say::AllAddresses => "NetAssist listens on every address; this one is this machine",
            Say::Connect => "the three-way handshake happens here",
            Say::Reuse => "restart at once, even with old connections in TIME_WAIT",
            Say::Backlog => "connections waiting to be accepted",
            Say::Accept => "waits until NetAssist connects",
            Say::Prompt => "type a message; 'quit' ends",
            Say::Quit => "closing sends FIN: NetAssist shows the peer closed",
            Say::Send => "NetAssist decodes these bytes as {}",
            Say::Recv => "at most 1024 bytes; a message may arrive in pieces",
            Say::Closed => "b'' means the other side closed the connection",
            Say::Upper => "answer in upper case",
            Say::SendTo => "each sendto() is one datagram",
            Say::Bind => "the address and port NetAssist sends to",
            Say::RecvFrom => "one datagram, and who sent it",
            Say::TlsTrust => "trust the certificate NetAssist's TLS server presents",
            Say::TlsWrapClient => {
                "TLS: the handshake happens at connect(), and the certificate is checked for this name"
            }
            Say::TlsPresent => "present the self-signed certificate NetAssist's TLS server made",
            Say::TlsPresentWhere => {
                "it is kept in {} (a TLS server tab opened once makes it); set NetAssist's CA file to it"
            }
            Say::TlsWrapServer => "TLS: the handshake with NetAssist happens here",
        }
    }
}

/// The words of a program's comments, in either language (each kind of
/// program has its table).
pub(super) trait Wording: Copy {
    /// The words in `lang`; `{}` marks are filled by the caller's args.
    fn text(self, lang: CommentLanguage) -> &'static str;
}

impl Wording for Say {
    fn text(self, lang: CommentLanguage) -> &'static str {
        Say::text(self, lang)
    }
}

/// Builds a program line by line, with comments from a language table.
pub(super) struct Program {
    lang: CommentLanguage,
    text: String,
}

impl Program {
    /// An empty program whose comments are in `lang`.
    pub(super) fn new(lang: CommentLanguage) -> Program {
        Program {
            lang,
            text: String::new(),
        }
    }

    /// A comment line (`# ...`), with `args` filling the `{}` marks.
    pub(super) fn comment(&mut self, indent: usize, say: impl Wording, args: &[&str]) -> &mut Self {
        let text = fill(say.text(self.lang), args);
        let _ = writeln!(self.text, "{:indent$}# {text}", "");
        self
    }

    /// A line of code.
    pub(super) fn line(&mut self, indent: usize, code: &str) -> &mut Self {
        let _ = writeln!(self.text, "{:indent$}{code}", "");
        self
    }

    /// A line of code with a short comment after it.
    pub(super) fn noted(
        &mut self,
        indent: usize,
        code: &str,
        say: impl Wording,
        args: &[&str],
    ) -> &mut Self {
        let text = fill(say.text(self.lang), args);
        let _ = writeln!(self.text, "{:indent$}{code}  # {text}", "");
        self
    }

    /// An empty line.
    pub(super) fn blank(&mut self) -> &mut Self {
        self.text.push('\n');
        self
    }

    /// The program so far, taken.
    pub(super) fn done(&mut self) -> String {
        std::mem::take(&mut self.text)
    }
}

/// Replaces each `{}` in `template` by the next of `args`.
pub(super) fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut parts = template.split("{}").peekable();
    while let Some(part) = parts.next() {
        out.push_str(part);
        if parts.peek().is_some() {
            out.push_str(args.next().copied().unwrap_or(""));
        }
    }
    out
}

/// A Python string literal.
pub(super) fn py_str(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('\'', "\\'");
    format!("'{escaped}'")
}

/// Python's name of an encoding.
fn py_encoding(enc: TextEncoding) -> &'static str {
    match enc {
        TextEncoding::Utf8 => "utf-8",
        TextEncoding::Gbk => "gbk",
    }
}

/// The encoding a snippet sends in: what NetAssist decodes with.
fn shown_as(display: DisplayEncoding) -> TextEncoding {
    match display {
        DisplayEncoding::Gbk => TextEncoding::Gbk,
        DisplayEncoding::Utf8 | DisplayEncoding::Auto => TextEncoding::Utf8,
    }
}

/// `socket.AF_INET` or `socket.AF_INET6` for a host.
fn family(ip: Option<IpAddr>) -> &'static str {
    match ip {
        Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => "socket.AF_INET6",
        _ => "socket.AF_INET",
    }
}

/// The host a program on this machine reaches a local address by: the
/// loopback address for a wildcard one.
pub(super) fn reach(local: SocketAddr) -> (String, Option<IpAddr>, bool) {
    let ip = local.ip().to_canonical();
    if ip.is_unspecified() {
        let loopback = IpAddr::from([127, 0, 0, 1]);
        (loopback.to_string(), Some(loopback), true)
    } else {
        (ip.to_string(), Some(ip), false)
    }
}

/// `(host, port)` as a Python tuple.
fn py_addr(host: &str, port: u16) -> String {
    format!("({}, {port})", py_str(host))
}

/// The shared opening: title, an optional note, encodings, import.
fn header(p: &mut Program, title: (Say, &str), note: Option<(Say, &str)>, session: &PythonSession) {
    let shown = py_encoding(shown_as(session.display_encoding));
    let sent = py_encoding(session.send_encoding);
    p.comment(0, title.0, &[title.1]);
    if let Some((say, arg)) = note {
        p.comment(0, say, &[arg]);
    }
    p.comment(0, Say::Encodings, &[shown, sent])
        .line(0, "import socket");
    if session.tls.is_some() {
        p.line(0, "import ssl");
    }
    p.blank();
}

/// The opening of a program that reaches NetAssist's own address: title,
/// encodings, the socket `var` (TCP when `stream`), and a note when
/// NetAssist listens on every address. Returns the address as Python.
fn opening_to_local(
    p: &mut Program,
    s: &PythonSession,
    title: Say,
    var: &str,
    stream: bool,
) -> Result<String, PythonError> {
    if s.local.port() == 0 {
        return Err(PythonError::PortNotKnown);
    }
    let (host, ip, wildcard) = reach(s.local);
    header(p, (title, &s.local.to_string()), None, s);
    let (kind, say) = if stream {
        ("socket.SOCK_STREAM", Say::Tcp)
    } else {
        ("socket.SOCK_DGRAM", Say::Udp)
    };
    let create = format!("{var} = socket.socket({}, {kind})", family(ip));
    p.noted(0, &create, say, &[]);
    if wildcard {
        p.comment(0, Say::AllAddresses, &[]);
    }
    Ok(py_addr(&host, s.local.port()))
}

/// `while True:` reading a typed message into `msg`; 'quit' ends the loop.
fn prompt_loop(p: &mut Program) {
    p.line(0, "while True:")
        .noted(4, "msg = input('>>: ').strip()", Say::Prompt, &[])
        .line(4, "if not msg:")
        .line(8, "continue")
        .line(4, "if msg == 'quit':")
        .line(8, "break");
}

pub(super) fn tcp_client(s: &PythonSession, lang: CommentLanguage) -> Result<String, PythonError> {
    let send = py_encoding(shown_as(s.display_encoding));
    let recv = py_encoding(s.send_encoding);
    let mut p = Program::new(lang);
    let addr = opening_to_local(&mut p, s, Say::ClientTitle, "client", true)?;
    if let Some(PyTls::Trust(cafile)) = &s.tls {
        let (host, _, _) = reach(s.local);
        p.noted(
            0,
            &format!(
                "context = ssl.create_default_context(cafile={})",
                py_str(&cafile.to_string_lossy())
            ),
            Say::TlsTrust,
            &[],
        )
        .noted(
            0,
            &format!(
                "client = context.wrap_socket(client, server_hostname={})",
                py_str(&host)
            ),
            Say::TlsWrapClient,
            &[],
        );
    }
    p.noted(0, &format!("client.connect({addr})"), Say::Connect, &[])
        .blank();
    prompt_loop(&mut p);
    p.noted(
        4,
        &format!("client.send(msg.encode({}))", py_str(send)),
        Say::Send,
        &[send],
    )
    .noted(4, "data = client.recv(1024)", Say::Recv, &[])
    .noted(4, "if not data:", Say::Closed, &[])
    .line(8, "break")
    .line(
        4,
        &format!(
            "print('NetAssist:', data.decode({}, 'replace'))",
            py_str(recv)
        ),
    )
    .blank()
    .noted(0, "client.close()", Say::Quit, &[]);
    Ok(p.done())
}

pub(super) fn tcp_server(s: &PythonSession, lang: CommentLanguage) -> Result<String, PythonError> {
    let remote = s.remote.as_ref().ok_or(PythonError::NoRemote)?;
    let ip = remote.ip();
    // A name is bound as every address (''); a literal as itself.
    let host = if ip.is_some() {
        remote.host.as_str()
    } else {
        ""
    };
    let send = py_encoding(shown_as(s.display_encoding));
    let recv = py_encoding(s.send_encoding);
    let mut p = Program::new(lang);
    header(&mut p, (Say::ServerTitle, &remote.to_string()), None, s);
    p.noted(
        0,
        &format!("server = socket.socket({}, socket.SOCK_STREAM)", family(ip)),
        Say::Tcp,
        &[],
    )
    .noted(
        0,
        "server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
        Say::Reuse,
        &[],
    )
    .line(0, &format!("server.bind({})", py_addr(host, remote.port)))
    .noted(0, "server.listen(5)", Say::Backlog, &[])
    .line(0, "print('waiting on', server.getsockname())")
    .blank()
    .noted(0, "conn, addr = server.accept()", Say::Accept, &[]);
    if let Some(PyTls::Present { cert, key }) = &s.tls {
        let dir = cert
            .parent()
            .map_or_else(String::new, |d| d.to_string_lossy().into_owned());
        p.comment(0, Say::TlsPresentWhere, &[&dir])
            .line(0, "context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)")
            .noted(
                0,
                &format!(
                    "context.load_cert_chain({}, {})",
                    py_str(&cert.to_string_lossy()),
                    py_str(&key.to_string_lossy())
                ),
                Say::TlsPresent,
                &[],
            )
            .noted(
                0,
                "conn = context.wrap_socket(conn, server_side=True)",
                Say::TlsWrapServer,
                &[],
            );
    }
    p.line(0, "print('connected:', addr)")
        .line(0, "while True:")
        .noted(4, "data = conn.recv(1024)", Say::Recv, &[])
        .noted(4, "if not data:", Say::Closed, &[])
        .line(8, "break")
        .line(
            4,
            &format!("text = data.decode({}, 'replace')", py_str(recv)),
        )
        .line(4, "print('NetAssist:', text)")
        .noted(
            4,
            &format!("conn.send(text.upper().encode({}))", py_str(send)),
            Say::Upper,
            &[],
        )
        .blank()
        .line(0, "conn.close()")
        .line(0, "server.close()");
    Ok(p.done())
}

pub(super) fn udp_sender(s: &PythonSession, lang: CommentLanguage) -> Result<String, PythonError> {
    let send = py_encoding(shown_as(s.display_encoding));
    let mut p = Program::new(lang);
    let addr = opening_to_local(&mut p, s, Say::SenderTitle, "sock", false)?;
    p.line(0, &format!("netassist = {addr}")).blank();
    prompt_loop(&mut p);
    p.noted(
        4,
        &format!("sock.sendto(msg.encode({}), netassist)", py_str(send)),
        Say::SendTo,
        &[],
    )
    .blank()
    .line(0, "sock.close()");
    Ok(p.done())
}

pub(super) fn udp_receiver(s: &PythonSession, lang: CommentLanguage) -> String {
    let recv = py_encoding(s.send_encoding);
    let (host, port, ip) = match &s.remote {
        // A name is bound as every address (''); a literal as itself.
        Some(r) => match r.ip() {
            Some(ip) => (r.host.clone(), r.port, Some(ip)),
            None => (String::new(), r.port, None),
        },
        // No remote yet: the next port, and a note to set it.
        None => {
            let (host, ip, _) = reach(s.local);
            let port = s.local.port().checked_add(1).unwrap_or(s.local.port() - 1);
            (host, port, ip)
        }
    };
    let unset = SocketAddr::new(ip.unwrap_or(s.local.ip()), port).to_string();
    let title = match &s.remote {
        Some(r) => r.to_string(),
        None => unset.clone(),
    };
    let note = s
        .remote
        .is_none()
        .then_some((Say::ReceiverNoRemote, unset.as_str()));
    let mut p = Program::new(lang);
    header(&mut p, (Say::ReceiverTitle, &title), note, s);
    p.noted(
        0,
        &format!("sock = socket.socket({}, socket.SOCK_DGRAM)", family(ip)),
        Say::Udp,
        &[],
    )
    .noted(
        0,
        &format!("sock.bind({})", py_addr(&host, port)),
        Say::Bind,
        &[],
    )
    .line(0, "print('waiting on', sock.getsockname())")
    .blank()
    .line(0, "while True:")
    .noted(4, "data, addr = sock.recvfrom(65535)", Say::RecvFrom, &[])
    .line(
        4,
        &format!("print(addr, data.decode({}, 'replace'))", py_str(recv)),
    );
    p.done()
}
