//! Which programs "Copy as Python" gives for a session: the ones that
//! talk to it (a client for a server, a server for a client, both for a
//! relay, a sender and a receiver for UDP).

use crate::net::Mode;

use super::python::{
    CommentLanguage, PythonError, PythonSession, Snippet, SnippetRole, tcp_client, tcp_server,
    udp_receiver, udp_sender,
};
use super::python_ws;

/// The programs that talk to `session`: one for TCP, two for UDP.
pub fn python_snippets(
    session: &PythonSession,
    lang: CommentLanguage,
) -> Result<Vec<Snippet>, PythonError> {
    let snippet = |role, file_name, code| Snippet {
        role,
        file_name,
        code,
    };
    Ok(match session.mode {
        Mode::TcpServer => vec![snippet(
            SnippetRole::TcpClient,
            "tcp_client.py",
            tcp_client(session, lang)?,
        )],
        // A load run tests a server: the tutorial's threaded one.
        Mode::TcpClient | Mode::Load => vec![snippet(
            SnippetRole::TcpServer,
            "tcp_server.py",
            tcp_server(session, lang)?,
        )],
        // A relay sits between the learner's two programs: the server on
        // the target's port, the client towards the relay's.
        Mode::Relay => vec![
            snippet(
                SnippetRole::TcpServer,
                "tcp_server.py",
                tcp_server(session, lang)?,
            ),
            snippet(
                SnippetRole::TcpClient,
                "tcp_client.py",
                tcp_client(session, lang)?,
            ),
        ],
        Mode::WsServer => vec![snippet(
            SnippetRole::WsClient,
            "ws_client.py",
            python_ws::ws_client(session, lang)?,
        )],
        Mode::WsClient => vec![snippet(
            SnippetRole::WsServer,
            "ws_server.py",
            python_ws::ws_server(session, lang)?,
        )],
        Mode::Udp | Mode::UdpRelay => vec![
            snippet(
                SnippetRole::UdpSender,
                "udp_sender.py",
                udp_sender(session, lang)?,
            ),
            snippet(
                SnippetRole::UdpReceiver,
                "udp_receiver.py",
                udp_receiver(session, lang),
            ),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{DisplayEncoding, TextEncoding};
    use crate::net::{HostPort, SessionConfig};
    use crate::teach::python::*;
    use std::path::PathBuf;

    fn session(mode: Mode, local: &str, remote: Option<(&str, u16)>) -> PythonSession {
        PythonSession {
            mode,
            local: local.parse().unwrap(),
            remote: remote.map(|(h, p)| HostPort::new(h, p).unwrap()),
            send_encoding: TextEncoding::Gbk,
            display_encoding: DisplayEncoding::Auto,
            tls: None,
            ws_path: None,
        }
    }

    #[test]
    fn tls_snippets_wrap_their_socket() {
        let mut s = session(Mode::TcpServer, "127.0.0.1:8443", None);
        s.tls = Some(PyTls::Trust(PathBuf::from("/tmp/na/server-cert.pem")));
        let c = &code(&s)[0];
        assert!(c.contains("import ssl\n"), "{c}");
        assert!(
            c.contains("context = ssl.create_default_context(cafile='/tmp/na/server-cert.pem')"),
            "{c}"
        );
        assert!(
            c.contains("client = context.wrap_socket(client, server_hostname='127.0.0.1')"),
            "{c}"
        );
        let mut s = session(Mode::TcpClient, "0.0.0.0:0", Some(("127.0.0.1", 8443)));
        s.tls = Some(PyTls::Present {
            cert: PathBuf::from("/tmp/na/server-cert.pem"),
            key: PathBuf::from("/tmp/na/server-key.pem"),
        });
        let c = &code(&s)[0];
        assert!(
            c.contains(
                "context.load_cert_chain('/tmp/na/server-cert.pem', '/tmp/na/server-key.pem')"
            ),
            "{c}"
        );
        assert!(
            c.contains("conn = context.wrap_socket(conn, server_side=True)"),
            "{c}"
        );
        let wrap = c.find("wrap_socket").unwrap();
        assert!(
            c.find("server.accept()").unwrap() < wrap,
            "wrapped after accept: {c}"
        );
    }

    fn code(s: &PythonSession) -> Vec<String> {
        python_snippets(s, CommentLanguage::English)
            .unwrap()
            .into_iter()
            .map(|s| s.code)
            .collect()
    }

    #[test]
    fn tcp_client_for_a_wildcard_server_reaches_loopback() {
        let s = session(Mode::TcpServer, "0.0.0.0:8888", None);
        let c = &code(&s)[0];
        assert!(c.contains("client.connect(('127.0.0.1', 8888))"), "{c}");
        assert!(c.contains("msg.encode('utf-8')"), "{c}");
        assert!(c.contains("data.decode('gbk', 'replace')"), "{c}");
        assert!(c.contains("# NetAssist listens on every address"), "{c}");
        assert!(c.starts_with("# A TCP client for NetAssist's TCP server on 0.0.0.0:8888.\n"));
    }

    #[test]
    fn tcp_server_binds_the_clients_remote() {
        let s = session(Mode::TcpClient, "0.0.0.0:0", Some(("::1", 6000)));
        let c = &code(&s)[0];
        assert!(
            c.contains("socket.socket(socket.AF_INET6, socket.SOCK_STREAM)"),
            "{c}"
        );
        assert!(c.contains("server.bind(('::1', 6000))"), "{c}");
        let named = session(Mode::TcpClient, "0.0.0.0:0", Some(("localhost", 6000)));
        assert!(code(&named)[0].contains("server.bind(('', 6000))"));
        let none = session(Mode::TcpClient, "0.0.0.0:0", None);
        assert_eq!(
            python_snippets(&none, CommentLanguage::English),
            Err(PythonError::NoRemote)
        );
    }

    #[test]
    fn udp_gives_a_sender_and_a_receiver() {
        let s = session(Mode::Udp, "127.0.0.1:7788", Some(("127.0.0.1", 9000)));
        let all = python_snippets(&s, CommentLanguage::English).unwrap();
        let roles: Vec<SnippetRole> = all.iter().map(|s| s.role).collect();
        assert_eq!(roles, [SnippetRole::UdpSender, SnippetRole::UdpReceiver]);
        assert!(all[0].code.contains("netassist = ('127.0.0.1', 7788)"));
        assert!(all[1].code.contains("sock.bind(('127.0.0.1', 9000))"));
        let no_remote = session(Mode::Udp, "127.0.0.1:7788", None);
        let recv = &code(&no_remote)[1];
        assert!(recv.contains("sock.bind(('127.0.0.1', 7789))"), "{recv}");
        assert!(
            recv.contains("Set NetAssist's remote address to 127.0.0.1:7789"),
            "{recv}"
        );
    }

    #[test]
    fn port_zero_needs_an_open_session() {
        let s = session(Mode::TcpServer, "127.0.0.1:0", None);
        assert_eq!(
            python_snippets(&s, CommentLanguage::English),
            Err(PythonError::PortNotKnown)
        );
        let config = SessionConfig::TcpServer {
            bind: "127.0.0.1:0".parse().unwrap(),
            tls: None,
        };
        let opened = "127.0.0.1:4321".parse().ok();
        let s =
            PythonSession::from_config(&config, opened, TextEncoding::Utf8, DisplayEncoding::Gbk);
        assert!(code(&s)[0].contains("(('127.0.0.1', 4321))"));
        assert!(code(&s)[0].contains("msg.encode('gbk')"));
    }

    #[test]
    fn comments_in_chinese_keep_the_same_code() {
        let has_chinese = |l: &str| l.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for s in [
            session(Mode::Udp, "127.0.0.1:7788", None),
            session(Mode::TcpServer, "0.0.0.0:8888", None),
            session(Mode::TcpClient, "0.0.0.0:0", Some(("127.0.0.1", 6000))),
        ] {
            let en = python_snippets(&s, CommentLanguage::English).unwrap();
            let zh = python_snippets(&s, CommentLanguage::Chinese).unwrap();
            // The code without its comments.
            let code = |text: &str| -> Vec<String> {
                text.lines()
                    .map(|l| l.split("  # ").next().unwrap_or("").to_string())
                    .filter(|l| !l.trim_start().starts_with('#'))
                    .collect()
            };
            for (e, z) in en.iter().zip(&zh) {
                assert_eq!(code(&e.code), code(&z.code));
                let comments: Vec<&str> = z.code.lines().filter(|l| l.contains('#')).collect();
                assert!(comments.len() > 3, "{}", z.code);
                assert!(comments.iter().all(|l| has_chinese(l)), "{}", z.code);
            }
        }
        assert_eq!(
            CommentLanguage::from(crate::i18n::Lang::Zh),
            CommentLanguage::Chinese
        );
    }

    #[test]
    fn fill_and_quote() {
        assert_eq!(fill("a {} b {}", &["1", "2"]), "a 1 b 2");
        assert_eq!(fill("{}", &[]), "");
        assert_eq!(py_str(r"it's \ here"), r"'it\'s \\ here'");
    }
}
