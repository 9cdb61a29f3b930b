//! Copy as Python in the window: the program the window shows for a tab
//! (read from the window, as a person would copy it) runs with python3
//! against the live tab, and the two talk.

use crate::peer_support;
use crate::support;

use std::net::{TcpListener, UdpSocket};

use egui::OutputCommand;
use egui_kittest::kittest::Queryable;
use netassist::i18n::{Lang, T};
use peer_support::{Proc, run_python};
use support::*;

/// Opens the Copy as Python window (in `lang`) and returns the program
/// shown as `role`, selecting it first when the tab has several.
fn program(h: &mut App, lang: Lang, role: T) -> String {
    if h.query_by_label(T::PyCopy.get(lang)).is_none() {
        click(h, T::CopyPython.get(lang));
    }
    // UDP has two programs: pick this one (its selector comes first).
    h.get_all_by_label(role.get(lang)).next().unwrap().click();
    h.run();
    let code = step_until(h, "the program", |h| {
        h.query_all_by_label(role.get(lang))
            .find_map(|n| n.value().filter(|v| v.starts_with('#')))
    });
    // Copy puts exactly that on the clipboard, in the frame of the click.
    h.get_by_label(T::PyCopy.get(lang)).click();
    h.step();
    let copied = h
        .output()
        .platform_output
        .commands
        .iter()
        .any(|c| matches!(c, OutputCommand::CopyText(text) if *text == code));
    assert!(copied, "Copy copies the program shown");
    wait_text(h, T::PyCopied.get(lang));
    // Out of the way of the panels again.
    click(h, T::CopyPython.get(lang));
    code
}

/// Waits for a complete line of the program's output ending with `line`
/// (after its `>>: ` prompt, if any).
fn says(py: &Proc, line: &str) {
    py.out_line(&format!("{line:?}"), |l| l.ends_with(line));
}

#[test]
fn the_client_program_talks_to_the_server_tab_in_chinese() {
    let mut h = app();
    let port = open_server(&mut h);
    click(&mut h, "中文");
    let code = program(&mut h, Lang::Zh, T::PyRoleClient);
    assert!(code.contains(&format!("client.connect(('127.0.0.1', {port}))")));
    assert!(code.contains("# 三次握手在这里完成"), "{code}");
    let mut py = run_python(&code, "tcp_client.py");
    step_until(&mut h, "the program connected", |h| {
        (h.state().tab().session.log().clients().len() == 1).then_some(())
    });
    py.type_line("你好 NetAssist");
    wait_text(&mut h, "你好 NetAssist");
    click(&mut h, "English");
    send(&mut h, "谢谢");
    says(&py, "NetAssist: 谢谢");
    py.type_line("quit");
    py.expect_success();
    wait_text(&mut h, en(T::EvPeerFinished));
}

#[test]
fn the_server_program_answers_the_client_tab() {
    let mut h = app();
    choose(&mut h, en(T::Protocol), en(T::TcpClient));
    set_field(&mut h, en(T::LocalPortAny), "");
    // A port for the program's server: bound and released here, as no
    // socket can be handed to it.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    set_field(&mut h, en(T::RemotePort), &port.to_string());
    let code = program(&mut h, Lang::En, T::PyRoleServer);
    assert!(code.contains(&format!("server.bind(('127.0.0.1', {port}))")));
    let mut py = run_python(&code, "tcp_server.py");
    py.out_line("'waiting on'", |l| l.starts_with("waiting on"));
    click(&mut h, en(T::Connect));
    shown_addr(&mut h, T::ConnectedFrom);
    send(&mut h, "hello 你好");
    says(&py, "NetAssist: hello 你好");
    wait_text(&mut h, "HELLO 你好");
    click(&mut h, en(T::Disconnect));
    py.expect_success();
}

#[test]
fn the_udp_programs_send_to_and_receive_from_the_udp_tab() {
    let mut h = app();
    choose(&mut h, en(T::Protocol), "UDP");
    let to = UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .unwrap()
        .port();
    set_field(&mut h, en(T::RemoteHost), "127.0.0.1");
    set_field(&mut h, en(T::RemotePort), &to.to_string());
    set_field(&mut h, en(T::LocalPort), "0");
    click(&mut h, en(T::Open));
    let port = shown_addr(&mut h, T::BoundTo).port();

    let receiver_code = program(&mut h, Lang::En, T::PyRoleReceiver);
    let receiver = run_python(&receiver_code, "udp_receiver.py");
    receiver.out_line("'waiting on'", |l| l.starts_with("waiting on"));
    send(&mut h, "你好");
    says(&receiver, &format!("('127.0.0.1', {port}) 你好"));

    let sender_code = program(&mut h, Lang::En, T::PyRoleSender);
    assert!(sender_code.contains(&format!("netassist = ('127.0.0.1', {port})")));
    let mut sender = run_python(&sender_code, "udp_sender.py");
    sender.type_line("hello 世界");
    wait_text(&mut h, "hello 世界");
    sender.type_line("quit");
    sender.expect_success();
}
