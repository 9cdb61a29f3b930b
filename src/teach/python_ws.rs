//! "Copy as Python" for WebSocket sessions: programs on the `websockets`
//! package (asyncio), which is not in Python's standard library, so each
//! says first that it must be installed.
//!
//! - WebSocket server session: a client that connects to its URL, sends
//!   what you type as text messages and prints NetAssist's replies.
//! - WebSocket client session: a server on the URL NetAssist connects to;
//!   it prints each message and answers text in upper case, binary as is.

use super::python::{
    CommentLanguage, Program, PyTls, PythonError, PythonSession, Wording, py_str, reach,
};

/// Every comment a WebSocket program may carry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Say {
    ClientTitle,
    ServerTitle,
    Install,
    Text,
    Connect,
    Trust,
    Present,
    Prompt,
    Send,
    Recv,
    CloseOnExit,
    EachMessage,
    Upper,
    Forever,
}

impl Say {
    fn text(self, lang: CommentLanguage) -> &'static str {
        match lang {
            CommentLanguage::Chinese => match self {
                Say::ClientTitle => "连接 NetAssist WebSocket 服务器（{}）的 WebSocket 客户端。",
                Say::ServerTitle => {
                    "供 NetAssist 的 WebSocket 客户端连接的 WebSocket 服务器，NetAssist 连接的是 {}。"
                }
                Say::Install => {
                    "需要先安装 websockets 包（不在标准库里）：pip install websockets，Debian/Ubuntu 上也可以 apt install python3-websockets"
                }
                Say::Text => "文本消息一律是 UTF-8；bytes 会作为二进制消息发送",
                Say::Connect => "HTTP 升级握手在这里完成",
                Say::Trust => "信任 NetAssist 的 TLS 服务器出示的证书（wss://）",
                Say::Present => {
                    "出示 NetAssist 的 TLS 服务器生成的自签名证书（wss://）；让 NetAssist 的 CA 文件指向它"
                }
                Say::Prompt => "输入一条消息；输入 quit 结束",
                Say::Send => "一条完整的文本消息",
                Say::Recv => "收一条完整的消息：文本是 str，二进制是 bytes",
                Say::CloseOnExit => "离开 async with 时发出关闭帧（1000）：NetAssist 会显示它",
                Say::EachMessage => "每次一条完整的消息；关闭握手完成后循环结束",
                Say::Upper => "文本转成大写后回复，二进制原样回复",
                Say::Forever => "一直服务，按 Ctrl+C 结束",
            },
            CommentLanguage::English => match self {
                Say::ClientTitle => "A WebSocket client for NetAssist's WebSocket server on {}.",
                Say::ServerTitle => {
                    "A WebSocket server for NetAssist's WebSocket client, which connects to {}."
                }
                Say::Install => {
                    "It needs the websockets package, which is not in the standard library: pip install websockets (Debian/Ubuntu: apt install python3-websockets)"
                }
                Say::Text => "text messages are always UTF-8; bytes go as a binary message",
                Say::Connect => "the HTTP upgrade happens here",
                Say::Trust => "trust the certificate NetAssist's TLS server presents (wss://)",
                Say::Present => {
                    "present the self-signed certificate NetAssist's TLS server made (wss://); set NetAssist's CA file to it"
                }
                Say::Prompt => "type a message; 'quit' ends",
                Say::Send => "one whole text message",
                Say::Recv => "one whole message: str for text, bytes for binary",
                Say::CloseOnExit => {
                    "leaving 'async with' sends a close frame (1000): NetAssist shows it"
                }
                Say::EachMessage => "one whole message at a time; ends after the closing handshake",
                Say::Upper => "answer text in upper case, binary as it came",
                Say::Forever => "serve until Ctrl+C",
            },
        }
    }
}

impl Wording for Say {
    fn text(self, lang: CommentLanguage) -> &'static str {
        Say::text(self, lang)
    }
}

/// The lines every program starts with: its title, how to install
/// websockets, and its imports.
fn opening(p: &mut Program, title: Say, url: &str, tls: bool) {
    p.comment(0, title, &[url])
        .comment(0, Say::Install, &[])
        .comment(0, Say::Text, &[])
        .line(0, "import asyncio");
    if tls {
        p.line(0, "import ssl");
    }
    p.line(0, "import websockets").blank();
}

/// The client for a WebSocket server session.
pub(super) fn ws_client(s: &PythonSession, lang: CommentLanguage) -> Result<String, PythonError> {
    if s.local.port() == 0 {
        return Err(PythonError::PortNotKnown);
    }
    let (host, ip, _) = reach(s.local);
    let host = match ip {
        Some(std::net::IpAddr::V6(_)) => format!("[{host}]"),
        _ => host,
    };
    let trust = match &s.tls {
        Some(PyTls::Trust(cafile)) => Some(cafile.to_string_lossy().into_owned()),
        _ => None,
    };
    let scheme = if trust.is_some() { "wss" } else { "ws" };
    let path = s.ws_path.as_deref().unwrap_or("/");
    let url = format!("{scheme}://{host}:{}{path}", s.local.port());
    let mut p = Program::new(lang);
    opening(&mut p, Say::ClientTitle, &url, trust.is_some());
    p.line(0, "async def main():");
    let ssl = match &trust {
        Some(cafile) => {
            p.noted(
                4,
                &format!(
                    "context = ssl.create_default_context(cafile={})",
                    py_str(cafile)
                ),
                Say::Trust,
                &[],
            );
            ", ssl=context"
        }
        None => "",
    };
    p.noted(
        4,
        &format!(
            "async with websockets.connect({}{ssl}) as ws:",
            py_str(&url)
        ),
        Say::Connect,
        &[],
    )
    .line(8, "while True:")
    .noted(
        12,
        "msg = (await asyncio.get_running_loop().run_in_executor(None, input, '>>: ')).strip()",
        Say::Prompt,
        &[],
    )
    .line(12, "if not msg:")
    .line(16, "continue")
    .line(12, "if msg == 'quit':")
    .line(16, "break")
    .noted(12, "await ws.send(msg)", Say::Send, &[])
    .noted(12, "reply = await ws.recv()", Say::Recv, &[])
    .line(12, "print('NetAssist:', reply)")
    .comment(4, Say::CloseOnExit, &[])
    .blank()
    .blank()
    .line(0, "asyncio.run(main())");
    Ok(p.done())
}

/// The server for a WebSocket client session.
pub(super) fn ws_server(s: &PythonSession, lang: CommentLanguage) -> Result<String, PythonError> {
    let remote = s.remote.as_ref().ok_or(PythonError::NoRemote)?;
    // A name is served on every address (None); a literal on itself.
    let host = match remote.ip() {
        Some(ip) => py_str(&ip.to_string()),
        None => "None".to_string(),
    };
    let present = match &s.tls {
        Some(PyTls::Present { cert, key }) => Some((
            cert.to_string_lossy().into_owned(),
            key.to_string_lossy().into_owned(),
        )),
        _ => None,
    };
    let scheme = if present.is_some() { "wss" } else { "ws" };
    let path = s.ws_path.as_deref().unwrap_or("/");
    let url = format!("{scheme}://{remote}{path}");
    let mut p = Program::new(lang);
    opening(&mut p, Say::ServerTitle, &url, present.is_some());
    p.line(0, "async def handler(ws):")
        .line(4, "print('connected:', ws.remote_address)")
        .noted(4, "async for msg in ws:", Say::EachMessage, &[])
        .line(8, "print('NetAssist:', msg)")
        .noted(
            8,
            "await ws.send(msg.upper() if isinstance(msg, str) else msg)",
            Say::Upper,
            &[],
        )
        .blank()
        .blank()
        .line(0, "async def main():");
    let ssl = match &present {
        Some((cert, key)) => {
            p.line(4, "context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)")
                .noted(
                    4,
                    &format!("context.load_cert_chain({}, {})", py_str(cert), py_str(key)),
                    Say::Present,
                    &[],
                );
            ", ssl=context"
        }
        None => "",
    };
    p.line(
        4,
        &format!(
            "async with websockets.serve(handler, {host}, {}{ssl}):",
            remote.port
        ),
    )
    .noted(8, "await asyncio.Future()", Say::Forever, &[])
    .blank()
    .blank()
    .line(0, "asyncio.run(main())");
    Ok(p.done())
}
