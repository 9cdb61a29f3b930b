//! Tutorial partners: ready-made sessions that play the other side of each
//! program in the socket tutorials our users follow.
//!
//! A partner is plain data: a mode, a port, the display and send encodings,
//! and ordinary auto-reply rules the user can read, edit and save. Nothing
//! it does is hidden code.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::file::AutomationFile;
#[cfg(test)]
use super::responder::ResponderSettings;
use super::rule::{AnswerMode, Echo, Rule, Trigger};
use crate::codec::{DisplayEncoding, TextEncoding};
use crate::net::relay::DEFAULT_UDP_IDLE;
use crate::net::ws::{DEFAULT_MAX_MESSAGE, MessageKind, WsServerConfig};
use crate::net::{FaultSet, Faults, HostPort, Mode, RelayConfig, SessionConfig, Slice};

/// Which side a partner plays, and on which port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartnerRole {
    /// Listen on this port.
    TcpServer {
        /// The tutorial's port.
        port: u16,
    },
    /// Connect to this port on this machine.
    TcpClient {
        /// The tutorial server's port.
        port: u16,
    },
    /// Bind this port (0: any) and send to `remote` on this machine.
    Udp {
        /// Local port.
        port: u16,
        /// The tutorial program's port, if the partner sends first.
        remote: Option<u16>,
    },
    /// Sit between the reader's client and server: listen on `listen`,
    /// connect each client to `target` on this machine, and slice what
    /// goes through into 1-byte pieces.
    Relay {
        /// Where the reader's client connects.
        listen: u16,
        /// Where the reader's server listens.
        target: u16,
    },
    /// A WebSocket server on this port (any path).
    WsServer {
        /// The port.
        port: u16,
    },
}

/// The pause between a relay partner's 1-byte pieces, in ms.
pub const PARTNER_SLICE_GAP_MS: u64 = 10;

/// One tutorial partner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partner {
    /// Short id, e.g. `004-name-server`.
    pub id: &'static str,
    /// The tutorial it belongs to: `000`..`004`.
    pub tutorial: &'static str,
    /// Title in Chinese.
    pub title_zh: &'static str,
    /// Title in English.
    pub title_en: &'static str,
    /// Which of the reader's programs to run against it, in Chinese.
    pub about_zh: &'static str,
    /// The same in English.
    pub about_en: &'static str,
    /// Mode and port.
    pub role: PartnerRole,
    /// How received bytes are shown and matched.
    pub display: DisplayEncoding,
    /// How text is sent.
    pub send_encoding: TextEncoding,
    /// First match answers, or all.
    pub answer: AnswerMode,
    /// The rules that make it behave.
    pub rules: Vec<Rule>,
}

impl Partner {
    /// The session mode.
    pub fn mode(&self) -> Mode {
        match self.role {
            PartnerRole::TcpServer { .. } => Mode::TcpServer,
            PartnerRole::TcpClient { .. } => Mode::TcpClient,
            PartnerRole::Udp { .. } => Mode::Udp,
            PartnerRole::Relay { .. } => Mode::Relay,
            PartnerRole::WsServer { .. } => Mode::WsServer,
        }
    }

    /// The session it opens by default: servers and UDP listen on every
    /// address (as the tutorials' `''` does), clients connect to this
    /// machine.
    pub fn session_config(&self) -> SessionConfig {
        let any = |port| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port);
        let here = |port| HostPort {
            host: "127.0.0.1".to_string(),
            port,
        };
        match self.role {
            PartnerRole::TcpServer { port } => SessionConfig::TcpServer {
                bind: any(port),
                tls: None,
            },
            PartnerRole::TcpClient { port } => SessionConfig::TcpClient {
                remote: here(port),
                bind: None,
                tls: None,
            },
            PartnerRole::Udp { port, remote } => SessionConfig::udp(any(port), remote.map(here)),
            PartnerRole::WsServer { port } => SessionConfig::WsServer(Box::new(WsServerConfig {
                bind: any(port),
                tls: None,
                path: None,
                max_message: DEFAULT_MAX_MESSAGE,
                kind: MessageKind::Text,
            })),
            PartnerRole::Relay { listen, target } => {
                // A pause between pieces, so each one reaches a recv() of
                // its own (pieces written back to back may be read together).
                let one_byte = FaultSet {
                    slice: Some(Slice {
                        max: 1,
                        random: false,
                        gap: Duration::from_millis(PARTNER_SLICE_GAP_MS),
                    }),
                    ..FaultSet::default()
                };
                SessionConfig::Relay(Box::new(RelayConfig {
                    listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), listen),
                    target: here(target),
                    udp: false,
                    faults: Faults {
                        up: one_byte.clone(),
                        down: one_byte,
                    },
                    udp_idle: DEFAULT_UDP_IDLE,
                    tls_listen: None,
                    tls_upstream: None,
                    rewrite: None,
                }))
            }
        }
    }

    /// Settings for a [`Responder`](super::Responder) running its rules.
    #[cfg(test)]
    pub fn responder_settings(&self) -> ResponderSettings {
        ResponderSettings {
            answer: self.answer,
            display: self.display,
            send_encoding: self.send_encoding,
        }
    }

    /// Its rules as an automation (what "export" saves).
    pub fn automation(&self) -> AutomationFile {
        AutomationFile {
            answer: self.answer,
            rules: self.rules.clone(),
            ..AutomationFile::default()
        }
    }

    /// A rules file for it, with a header saying how to run it.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        let (mode, flag, addr) = match self.session_config() {
            SessionConfig::TcpServer { bind, .. } => ("tcp-server", "--bind", bind.to_string()),
            SessionConfig::TcpClient { remote, .. } => {
                ("tcp-client", "--connect", remote.to_string())
            }
            SessionConfig::Udp { bind, .. } => ("udp", "--bind", bind.to_string()),
            SessionConfig::Relay(r) => ("relay", "--listen", r.listen.to_string()),
            SessionConfig::WsServer(w) => ("ws-server", "--bind", w.bind.to_string()),
            SessionConfig::WsClient(w) => ("ws-client", "", w.url.to_string()),
            SessionConfig::Load(l) => ("load", "", l.url.to_string()),
        };
        let to = match self.role {
            PartnerRole::Udp {
                remote: Some(port), ..
            } => format!(" --to 127.0.0.1:{port}"),
            PartnerRole::Relay { target, .. } => {
                format!(" --to 127.0.0.1:{target} --slice 1 --slice-gap-ms {PARTNER_SLICE_GAP_MS}")
            }
            _ => String::new(),
        };
        Ok(format!(
            "# Tutorial partner {id}: {zh} / {en}\n# {about_zh}\n# {about_en}\n\
             # Run it:  netassist partner {id}\n\
             # or:      netassist {mode} {flag} {addr}{to} --encoding {display} --send-encoding {send} --rules FILE\n\n{body}",
            id = self.id,
            zh = self.title_zh,
            en = self.title_en,
            about_zh = self.about_zh,
            about_en = self.about_en,
            display = self.display.label().to_ascii_lowercase().replace('-', ""),
            send = self
                .send_encoding
                .label()
                .to_ascii_lowercase()
                .replace('-', ""),
            body = self.automation().to_toml()?,
        ))
    }
}

/// A text reply in a fixed encoding; replies are written with escapes
/// (`\n`), as a user would type them.
fn say(when: Trigger, pattern: &str, parts: &[&str], encoding: TextEncoding) -> Rule {
    Rule {
        when,
        pattern: pattern.to_string(),
        reply: parts.iter().map(|p| p.to_string()).collect(),
        encoding: Some(encoding),
        ..Rule::default()
    }
}

fn upper_echo() -> Rule {
    Rule {
        name: "upper-case echo".to_string(),
        when: Trigger::Any,
        echo: Some(Echo::Upper),
        ..Rule::default()
    }
}

/// The gap between the parts of a multi-part reply, so each arrives as its
/// own read, as the tutorial programs' separate `send` calls do.
const PART_GAP_MS: u64 = 30;

/// Every partner, in tutorial order.
pub fn partners() -> Vec<Partner> {
    use PartnerRole::*;
    use TextEncoding::{Gbk, Utf8};
    let plain = |id, tutorial, title_zh, title_en, about_zh, about_en, role, rules| Partner {
        id,
        tutorial,
        title_zh,
        title_en,
        about_zh,
        about_en,
        role,
        display: DisplayEncoding::Utf8,
        send_encoding: Utf8,
        answer: AnswerMode::First,
        rules,
    };
    let mut name_hello = say(
        Trigger::Regex,
        r"(?s)^(.+?)\r?\n?$",
        &[r"Hello {{1}}!\n", "What's your name?"],
        Utf8,
    );
    name_hello.name = "greet by name".into();
    name_hello.delay_ms = PART_GAP_MS;
    let mut name_exit = say(Trigger::Regex, r"^exit\r?\n?$", &[r"Good bye!\n"], Utf8);
    name_exit.name = "exit".into();
    name_exit.close = true;
    let mut name_welcome = say(
        Trigger::Connect,
        "",
        &[r"Welcome!\n", "What's your name?"],
        Utf8,
    );
    name_welcome.name = "welcome".into();
    name_welcome.delay_ms = PART_GAP_MS;
    let mut thanks = say(Trigger::Any, "", &["thank you !"], Gbk);
    thanks.close = true;

    vec![
        plain(
            "000-greeting-server",
            "000",
            "教程 000:问候客户端的 TCP 服务器",
            "Tutorial 000: a TCP server that greets each client",
            "运行你的 TCP 客户端(连接 8888 端口):它会收到问候,它的回复显示在日志里。",
            "Run your TCP client against port 8888: it gets a greeting, and its reply shows in the log.",
            TcpServer { port: 8888 },
            vec![say(
                Trigger::Connect,
                "",
                &["欢迎连接 NetAssist 服务器!"],
                Utf8,
            )],
        ),
        plain(
            "000-greeting-client",
            "000",
            "教程 000:读取问候并回复的 TCP 客户端",
            "Tutorial 000: a TCP client that reads the greeting and replies",
            "先运行你的 TCP 服务器(8888 端口):问候显示在日志里,伙伴随即回复。",
            "Start your TCP server on port 8888 first: its greeting shows in the log and the partner replies.",
            TcpClient { port: 8888 },
            vec![say(Trigger::Any, "", &["问候已收到,谢谢服务器!"], Utf8)],
        ),
        Partner {
            display: DisplayEncoding::Gbk,
            send_encoding: Gbk,
            ..plain(
                "001-thank-you-server",
                "001/003",
                "教程 001/003:回复 \"thank you !\" 的 GBK TCP 服务器",
                "Tutorials 001/003: the GBK TCP server that answers \"thank you !\"",
                "运行你的 TCP 客户端(7788 端口,GBK 编码):它收到 \"thank you !\",随后连接关闭。",
                "Run your TCP client against port 7788 (GBK): it gets \"thank you !\" and the connection closes.",
                TcpServer { port: 7788 },
                vec![thanks],
            )
        },
        Partner {
            display: DisplayEncoding::Gbk,
            send_encoding: Gbk,
            ..plain(
                "001-udp-receiver-gbk",
                "001",
                "教程 001:UDP 接收方,7788 端口(GBK)",
                "Tutorial 001: a UDP receiver on port 7788 (GBK)",
                "运行你的 UDP 发送程序(发往 7788 端口):收到的数据按 GBK 显示。",
                "Run your UDP sender against port 7788: what arrives shows decoded as GBK.",
                Udp {
                    port: 7788,
                    remote: None,
                },
                Vec::new(),
            )
        },
        plain(
            "001-udp-receiver-utf8",
            "001",
            "教程 001:UDP 接收方,7788 端口(UTF-8)",
            "Tutorial 001: a UDP receiver on port 7788 (UTF-8)",
            "运行你的 UDP 发送程序(发往 7788 端口):收到的数据按 UTF-8 显示。",
            "Run your UDP sender against port 7788: what arrives shows decoded as UTF-8.",
            Udp {
                port: 7788,
                remote: None,
            },
            Vec::new(),
        ),
        Partner {
            display: DisplayEncoding::Auto,
            ..plain(
                "001-udp-send-receive",
                "001",
                "教程 001:先发送再接收的 UDP 程序",
                "Tutorial 001: a UDP program that sends, then receives",
                "先运行你的 UDP 程序(8080 端口):伙伴发去一条消息,你的回复显示在日志里。",
                "Start your UDP program on port 8080 first: the partner sends it a message and shows the reply.",
                Udp {
                    port: 0,
                    remote: Some(8080),
                },
                vec![say(Trigger::Connect, "", &["hello 你好"], Utf8)],
            )
        },
        plain(
            "002-upper-echo-tcp",
            "002",
            "教程 002:转大写回显的 TCP 服务器",
            "Tutorial 002: the TCP server that echoes in upper case",
            "运行你的 TCP 客户端(8080 端口):它发出的每段数据都以大写返回。",
            "Run your TCP client against port 8080: everything it sends comes back upper-cased.",
            TcpServer { port: 8080 },
            vec![upper_echo()],
        ),
        plain(
            "002-upper-echo-udp",
            "002",
            "教程 002:转大写回显的 UDP 服务器",
            "Tutorial 002: the UDP server that echoes in upper case",
            "运行你的 UDP 客户端(8081 端口):每个数据报都以大写返回给发送方。",
            "Run your UDP client against port 8081: each datagram goes back to its sender upper-cased.",
            Udp {
                port: 8081,
                remote: None,
            },
            vec![upper_echo()],
        ),
        plain(
            "002-hello-client",
            "002",
            "教程 002:发送 \"hello egon 哈哈哈\" 的 TCP 客户端",
            "Tutorial 002: the TCP client that sends \"hello egon 哈哈哈\"",
            "先运行你的转大写 TCP 服务器(8080 端口):回显显示在日志里。",
            "Start your upper-case echo server on port 8080 first: its echo shows in the log.",
            TcpClient { port: 8080 },
            vec![say(Trigger::Connect, "", &["hello egon 哈哈哈"], Utf8)],
        ),
        plain(
            "002-relay",
            "002",
            "教程 002:在你的客户端和服务器之间(中转)",
            "Tutorial 002: between your client and your server (relay)",
            "先运行你的转大写服务器(8080 端口),再让你的客户端连接 8090。两边的每个字节都在日志里(C→S 客户端到服务器,S→C 服务器到客户端);数据被切成 1 字节的小段发出:看你的 recv(1024) 还能不能收到完整的一句。",
            "Start your upper-case server on port 8080, then point your client at port 8090. Every byte of both sides shows in the log (C→S client to server, S→C server to client); the data goes out in 1-byte pieces: watch whether your recv(1024) still gets a whole sentence.",
            Relay {
                listen: 8090,
                target: 8080,
            },
            Vec::new(),
        ),
        plain(
            "004-name-server",
            "004",
            "教程 004:问名字的多线程 TCP 服务器",
            "Tutorial 004: the name server (one conversation per client)",
            "运行你的 TCP 客户端(6000 端口,可以同时开多个):输入名字得到问候,输入 exit 结束。",
            "Run your TCP clients against port 6000, several at once: a name gets a greeting, exit ends it.",
            TcpServer { port: 6000 },
            vec![name_welcome, name_exit, name_hello],
        ),
        plain(
            "004-relay",
            "004",
            "教程 004:在你的客户端和服务器之间(中转)",
            "Tutorial 004: between your client and your server (relay)",
            "先运行你的服务器(6000 端口),再让你的客户端连接 6001。整段对话(C→S 客户端到服务器,S→C 服务器到客户端)和 FIN 都在日志里;数据被切成 1 字节的小段发出:看双方的 recv() 循环能不能拼出完整的消息。",
            "Start your server on port 6000, then point your client at port 6001. The whole conversation (C→S client to server, S→C server to client) and each FIN show in the log; the data goes out in 1-byte pieces: watch whether both recv() loops still put whole messages together.",
            Relay {
                listen: 6001,
                target: 6000,
            },
            Vec::new(),
        ),
        plain(
            "ws-echo-server",
            "ws-echo",
            "WebSocket:原样回显每条消息的服务器",
            "WebSocket: a server that echoes every message",
            "让你的 WebSocket 客户端连接 ws://127.0.0.1:8765/(任意路径):每条消息原样发回,Ping、关闭帧和握手都显示在日志里。",
            "Connect your WebSocket client to ws://127.0.0.1:8765/ (any path): each message comes back as it was; pings, closes and the handshake show in the log.",
            WsServer { port: 8765 },
            vec![Rule {
                name: "echo".to_string(),
                when: Trigger::Any,
                echo: Some(Echo::Same),
                ..Rule::default()
            }],
        ),
    ]
}

/// The partner with this id.
pub fn partner(id: &str) -> Option<Partner> {
    partners().into_iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automation::file::parse_strict;
    use crate::automation::{Responder, Response};
    use crate::net::{Event, PeerId, Target};
    use bytes::Bytes;
    use std::collections::HashSet;
    use std::time::SystemTime;

    #[test]
    fn every_partner_is_well_formed() {
        let all = partners();
        assert_eq!(all.len(), 13);
        let ids: HashSet<&str> = all.iter().map(|p| p.id).collect();
        assert_eq!(ids.len(), all.len(), "ids are unique");
        for p in &all {
            assert!(p.id.starts_with(&p.tutorial[..3]), "{}", p.id);
            assert!(!p.title_zh.is_empty() && !p.title_en.is_empty());
            assert!(!p.about_zh.is_empty() && !p.about_en.is_empty());
            for rule in &p.rules {
                rule.compile(p.send_encoding)
                    .unwrap_or_else(|e| panic!("{}: {e}", p.id));
            }
            // The exported file loads back to the same rules, strictly.
            let text = p.to_toml().unwrap();
            let back = parse_strict(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", p.id));
            assert_eq!(back.into_automation(), p.automation(), "{}", p.id);
            assert_eq!(partner(p.id).as_ref(), Some(p));
        }
        assert!(partner("999-nothing").is_none());
        // The relays' run line names their target and the 1-byte slices.
        let relay = partner("004-relay").unwrap().to_toml().unwrap();
        assert!(
            relay.contains("relay --listen 127.0.0.1:6001 --to 127.0.0.1:6000 --slice 1"),
            "{relay}"
        );
    }

    fn chunk(peer: u64, data: &[u8]) -> Event {
        Event::Received {
            peer: Some(PeerId(peer)),
            addr: SocketAddr::from(([127, 0, 0, 1], 40000)),
            time: SystemTime::now(),
            data: Bytes::copy_from_slice(data),
            message: None,
        }
    }

    fn replies(actions: &[Response]) -> Vec<String> {
        actions
            .iter()
            .map(|a| match a {
                Response::Send { data, .. } => String::from_utf8_lossy(data).into_owned(),
                Response::Close { .. } => "<close>".to_string(),
                Response::Failed { error, .. } => format!("<failed {error}>"),
            })
            .collect()
    }

    #[test]
    fn the_name_server_holds_the_conversation() {
        let p = partner("004-name-server").unwrap();
        let mut r = Responder::new(p.rules.clone(), p.responder_settings());
        let now = SystemTime::now();
        let connected = Event::Connected {
            peer: PeerId(1),
            addr: SocketAddr::from(([127, 0, 0, 1], 40000)),
            local: SocketAddr::from(([127, 0, 0, 1], 6000)),
        };
        assert_eq!(
            replies(&r.on_event(&connected, now)),
            ["Welcome!\n", "What's your name?"]
        );
        assert_eq!(
            replies(&r.on_event(&chunk(1, b"alice"), now)),
            ["Hello alice!\n", "What's your name?"]
        );
        assert_eq!(
            replies(&r.on_event(&chunk(1, b"Bob\r\n"), now)),
            ["Hello Bob!\n", "What's your name?"]
        );
        let bye = r.on_event(&chunk(1, b"exit"), now);
        assert_eq!(replies(&bye), ["Good bye!\n", "<close>"]);
        assert!(matches!(
            bye[1],
            Response::Close {
                peer: PeerId(1),
                ..
            }
        ));
    }

    #[test]
    fn the_thank_you_server_answers_gbk_and_closes() {
        let p = partner("001-thank-you-server").unwrap();
        let mut r = Responder::new(p.rules.clone(), p.responder_settings());
        let a = r.on_event(&chunk(3, &[0xC4, 0xE3, 0xBA, 0xC3]), SystemTime::now());
        assert_eq!(replies(&a), ["thank you !", "<close>"]);
        assert!(
            matches!(&a[0], Response::Send { target: Target::Peers(p), .. } if p == &[PeerId(3)])
        );
    }

    #[test]
    fn default_sessions_follow_the_tutorials() {
        let port_of = |id| match partner(id).unwrap().session_config() {
            SessionConfig::TcpServer { bind, .. } => bind.port(),
            SessionConfig::TcpClient { remote, .. } => remote.port,
            SessionConfig::Udp { bind, .. } => bind.port(),
            SessionConfig::Relay(r) => r.listen.port(),
            SessionConfig::WsServer(w) => w.bind.port(),
            SessionConfig::WsClient(w) => w.url.port,
            SessionConfig::Load(l) => l.url.host.port,
        };
        assert_eq!(port_of("000-greeting-server"), 8888);
        assert_eq!(port_of("001-thank-you-server"), 7788);
        assert_eq!(port_of("001-udp-receiver-gbk"), 7788);
        assert_eq!(port_of("002-upper-echo-udp"), 8081);
        assert_eq!(port_of("004-name-server"), 6000);
        let SessionConfig::Udp { remote, .. } =
            partner("001-udp-send-receive").unwrap().session_config()
        else {
            panic!("not udp");
        };
        assert_eq!(remote.map(|r| r.port), Some(8080));
        assert!(
            partner("004-name-server")
                .unwrap()
                .to_toml()
                .unwrap()
                .contains("netassist partner 004-name-server")
        );
    }
}
