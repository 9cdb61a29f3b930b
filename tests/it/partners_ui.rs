//! Tutorial partners in the window: each one picked from the menu as a
//! person would, its settings visible (and the port changed to one the
//! system picks, as a user may change anything it set), then our Python
//! stand-ins of the tutorial programs (tests/peers) talk to the tab.

use crate::peer_support;
use crate::support;

use egui_kittest::kittest::Queryable;
use netassist::automation::partner;
use netassist::i18n::{T, fill};
use peer_support::{
    NAME_CHAT_NAMES, Proc, name_chat_clients, peer, peer_done, peer_port, peer_rx, peer_rx_all,
    udp_send_once, udp_send_recv_once,
};
use support::*;

/// A window whose tab was set up as partner `id` from the menu; checks
/// that the note says which partner it plays.
fn partner_tab(id: &str) -> App {
    let p = partner(id).expect("a partner");
    let mut h = app();
    click(&mut h, en(T::PartnerMenu));
    click(&mut h, p.title_en);
    wait_text(&mut h, &fill(en(T::PartnerIs), &[&p.title_en]));
    wait_text(&mut h, p.about_en);
    h
}

/// The value a field or combo box shows.
fn shown(h: &App, label: &str) -> String {
    h.get_by_label(label).value().unwrap_or_default()
}

/// Opens the partner's server or UDP socket on 127.0.0.1, on a port the
/// system picks instead of the tutorial's, and returns that port.
fn open_here(h: &mut App, state: T) -> u16 {
    choose(h, en(T::LocalAddr), "127.0.0.1");
    set_field(h, en(T::LocalPort), "0");
    click(h, en(T::Open));
    shown_addr(h, state).port()
}

/// Points the partner's client at `port` on this machine and connects.
fn connect_to(h: &mut App, port: u16) {
    assert_eq!(shown(h, en(T::RemoteHost)), "127.0.0.1");
    set_field(h, en(T::RemotePort), &port.to_string());
    click(h, en(T::Connect));
}

/// Starts a tutorial server stand-in on a port it picks.
fn tutorial_server(script: &str, extra: &[&str]) -> (Proc, u16) {
    let mut args = vec!["127.0.0.1", "0"];
    args.extend_from_slice(extra);
    let server = peer(script, &args);
    let port = peer_port(&server);
    (server, port)
}

#[test]
fn partner_000_greeting_server_greets_the_tutorial_client() {
    let mut h = partner_tab("000-greeting-server");
    assert_eq!(shown(&h, en(T::Protocol)), en(T::TcpServer));
    assert_eq!(shown(&h, en(T::LocalPort)), "8888");
    let port = open_here(&mut h, T::ListeningOn);
    let greeting = "欢迎连接 NetAssist 服务器!";
    let expect = greeting.len().to_string();
    let mut client = peer(
        "greeting_client.py",
        &["127.0.0.1", &port.to_string(), "--expect", &expect],
    );
    peer_done(&mut client);
    assert_eq!(peer_rx_all(&client), greeting.as_bytes());
    wait_text(&mut h, "你好服务器");
}

#[test]
fn partner_000_greeting_client_replies_to_the_tutorial_server() {
    let (mut server, port) = tutorial_server("greeting_server.py", &["--reply", "32"]);
    let mut h = partner_tab("000-greeting-client");
    assert_eq!(shown(&h, en(T::Protocol)), en(T::TcpClient));
    assert_eq!(shown(&h, en(T::RemotePort)), "8888");
    connect_to(&mut h, port);
    peer_done(&mut server);
    let rx: Vec<Vec<u8>> = peer_rx(&server).into_iter().map(|(b, _)| b).collect();
    assert_eq!(rx, ["问候已收到,谢谢服务器!".as_bytes()]);
    wait_text(&mut h, "你好,客户端,我是服务器");
}

#[test]
fn partner_001_thank_you_server_answers_gbk_and_closes() {
    let mut h = partner_tab("001-thank-you-server");
    assert_eq!(shown(&h, en(T::LocalPort)), "7788");
    assert_eq!(shown(&h, en(T::RxEncoding)), "GBK");
    assert_eq!(shown(&h, en(T::TxEncoding)), "GBK");
    let port = open_here(&mut h, T::ListeningOn);
    let mut client = peer(
        "gbk_client.py",
        &["127.0.0.1", &port.to_string(), "--expect", "11"],
    );
    peer_done(&mut client);
    assert_eq!(peer_rx_all(&client), b"thank you !");
    // The client's GBK text shows decoded, and the connection ends.
    wait_text(&mut h, "你好，服务器");
    wait_text(&mut h, &fill(en(T::ClientCount), &[&0]));
}

#[test]
fn partner_001_udp_receivers_show_gbk_and_utf8() {
    for (id, encoding, shown_as) in [
        ("001-udp-receiver-gbk", "gbk", "GBK"),
        ("001-udp-receiver-utf8", "utf-8", "UTF-8"),
    ] {
        let mut h = partner_tab(id);
        assert_eq!(shown(&h, en(T::Protocol)), "UDP");
        assert_eq!(shown(&h, en(T::LocalPort)), "7788");
        assert_eq!(shown(&h, en(T::RxEncoding)), shown_as);
        let port = open_here(&mut h, T::BoundTo);
        let local = udp_send_once(port, "你好 udp", encoding);
        let row = wait_text(&mut h, "你好 udp");
        assert!(row.contains(&local), "{row}");
    }
}

#[test]
fn partner_001_udp_send_receive_sends_first_and_shows_the_answer() {
    let (mut server, port) = tutorial_server("udp_upper_server.py", &[]);
    let mut h = partner_tab("001-udp-send-receive");
    assert_eq!(shown(&h, en(T::RemotePort)), "8080");
    set_field(&mut h, en(T::RemotePort), &port.to_string());
    open_here(&mut h, T::BoundTo);
    peer_done(&mut server);
    assert_eq!(peer_rx_all(&server), "hello 你好".as_bytes());
    wait_text(&mut h, "HELLO 你好");
}

#[test]
fn partner_002_upper_echo_tcp_answers_the_tutorial_client() {
    let mut h = partner_tab("002-upper-echo-tcp");
    assert_eq!(shown(&h, en(T::LocalPort)), "8080");
    let port = open_here(&mut h, T::ListeningOn);
    let mut client = peer("echo_upper_client.py", &["127.0.0.1", &port.to_string()]);
    peer_done(&mut client);
    assert_eq!(peer_rx_all(&client), "HELLO EGON 哈哈哈".as_bytes());
    wait_text(&mut h, "hello egon 哈哈哈");
}

#[test]
fn partner_002_upper_echo_udp_answers_the_sender() {
    let mut h = partner_tab("002-upper-echo-udp");
    assert_eq!(shown(&h, en(T::LocalPort)), "8081");
    assert_eq!(shown(&h, en(T::RemotePort)), "", "replies go to the sender");
    let port = open_here(&mut h, T::BoundTo);
    let client = udp_send_recv_once(port, "hello egon 哈哈哈");
    let rx = peer_rx(&client);
    assert_eq!(rx.len(), 1, "{}", client.describe());
    assert_eq!(rx[0].0, "HELLO EGON 哈哈哈".as_bytes());
    wait_text(&mut h, "hello egon 哈哈哈");
}

#[test]
fn partner_002_hello_client_talks_to_the_tutorial_server() {
    let (mut server, port) = tutorial_server("echo_upper_server.py", &[]);
    let mut h = partner_tab("002-hello-client");
    connect_to(&mut h, port);
    wait_text(&mut h, "HELLO EGON 哈哈哈");
    click(&mut h, en(T::Disconnect));
    peer_done(&mut server);
    assert_eq!(peer_rx_all(&server), "hello egon 哈哈哈".as_bytes());
}

/// The name server's rules are plain rules on the Auto-reply page; a
/// change there changes what the clients get.
#[test]
fn partner_004_name_server_talks_to_several_clients_with_its_rules_editable() {
    let mut h = partner_tab("004-name-server");
    assert_eq!(shown(&h, en(T::LocalPort)), "6000");
    click(&mut h, en(T::PartnerShowRules));
    // Every rule and every part of its reply is there to read.
    let names: Vec<String> = h
        .get_all_by_label(en(T::RuleName))
        .map(|n| n.value().unwrap_or_default())
        .collect();
    assert_eq!(names, ["welcome", "exit", "greet by name"]);
    let thens: Vec<String> = h
        .get_all_by_label(en(T::RuleThen))
        .map(|n| n.value().unwrap_or_default())
        .collect();
    assert_eq!(thens, ["What's your name?", "What's your name?"]);
    let welcome = h.get_all_by_label(en(T::RuleReply)).next().unwrap().value();
    assert_eq!(welcome.as_deref(), Some(r"Welcome!\n"));
    // Edit the welcome, as a user would.
    let field = h.get_all_by_label(en(T::RuleReply)).next().unwrap();
    field.focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.key_press(egui::Key::Backspace);
    h.run();
    h.get_all_by_label(en(T::RuleReply))
        .next()
        .unwrap()
        .type_text(r"Hi there!\n");
    h.run();
    assert_eq!(
        h.state().tab().settings.rules.rules[0].reply,
        [r"Hi there!\n", "What's your name?"]
    );
    click(&mut h, en(T::AutomationBtn));

    let port = open_here(&mut h, T::ListeningOn).to_string();
    let mut clients = name_chat_clients(&port);
    for (client, name) in clients.iter_mut().zip(NAME_CHAT_NAMES) {
        peer_done(client);
        let expected =
            format!("Hi there!\nWhat's your name?Hello {name}!\nWhat's your name?Good bye!\n");
        assert_eq!(
            String::from_utf8_lossy(&peer_rx_all(client)),
            expected,
            "{}",
            client.describe()
        );
        wait_text(&mut h, name);
    }
}
