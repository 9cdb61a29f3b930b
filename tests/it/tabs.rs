//! Several sessions in one window, driven like a person would: tabs that
//! talk to each other, rename, close with confirmation, shortcuts, tabs
//! restored after a restart, find, filters, the plot and the memory budget.

use crate::support;

use std::io::Write;
use std::net::TcpStream;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use netassist::i18n::{Lang, T, fill};
use netassist::session::LinkState;
use netassist::settings::{AppSettings, ModeChoice};
use support::*;

/// The titles in the tab strip, in order.
fn tab_titles(h: &App) -> Vec<String> {
    h.state().tabs.iter().map(|t| t.title(Lang::En)).collect()
}

#[test]
fn a_server_tab_and_a_client_tab_talk_to_each_other() {
    let mut h = app();
    let port = open_server(&mut h);
    assert_eq!(tab_titles(&h), [format!("TCP Server :{port}")]);

    click(&mut h, "+");
    assert_eq!(h.state().tabs.len(), 2);
    assert_eq!(h.state().active, 1);
    choose(&mut h, en(T::Protocol), en(T::TcpClient));
    set_field(&mut h, en(T::RemoteHost), "127.0.0.1");
    set_field(&mut h, en(T::RemotePort), &port.to_string());
    click(&mut h, en(T::Connect));
    let local = shown_addr(&mut h, T::ConnectedFrom);
    assert_eq!(tab_titles(&h)[1], format!("TCP Client :{port}"));

    send(&mut h, "hello from the client 你好");
    wait_text(&mut h, "hello from the client 你好");
    // The server tab got it: its title carries the unread dot.
    step_until(&mut h, "unread dot on the server tab", |h| {
        h.query_by_label(&format!("TCP Server :{port} ●"))
            .map(|_| ())
    });
    click(&mut h, &format!("TCP Server :{port} ●"));
    assert_eq!(h.state().active, 0);
    let row = wait_text(&mut h, "hello from the client 你好");
    assert!(
        row.contains(" RX ") && row.contains(&local.to_string()),
        "{row}"
    );
    assert!(h.query_by_label(&format!("TCP Server :{port} ●")).is_none());

    send(&mut h, "and back from the server");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Tab);
    h.run();
    assert_eq!(h.state().active, 1, "Ctrl+Tab shows the next tab");
    let row = wait_text(&mut h, "and back from the server");
    assert!(row.contains(" RX "), "{row}");
    h.key_press_modifiers(Modifiers::COMMAND, Key::PageUp);
    h.run();
    assert_eq!(h.state().active, 0, "Ctrl+PgUp shows the previous tab");
}

#[test]
fn new_tab_takes_the_next_free_port_and_shortcuts_open_and_close() {
    let mut h = app();
    // Hold the port after the current one, so the new tab must skip it.
    let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = first.local_addr().unwrap().port() - 1;
    set_field(&mut h, en(T::LocalPort), &base.to_string());
    h.key_press_modifiers(Modifiers::COMMAND, Key::T);
    h.run();
    assert_eq!(h.state().tabs.len(), 2);
    let next = h.state().tab().settings.local_port.clone();
    assert_ne!(next, (base + 1).to_string(), "a port in use is skipped");
    assert!(next.parse::<u16>().unwrap() > base + 1);
    // A closed tab closes at once.
    h.key_press_modifiers(Modifiers::COMMAND, Key::W);
    h.run();
    assert_eq!(h.state().tabs.len(), 1);
}

#[test]
fn rename_by_double_click_and_close_an_open_tab_with_confirmation() {
    let mut h = app();
    let port = open_server(&mut h);
    let title = format!("TCP Server :{port}");
    double_click(&mut h, &title);
    set_field(&mut h, en(T::TabName), "我的服务器");
    h.key_press(Key::Enter);
    h.run();
    assert_eq!(tab_titles(&h), ["我的服务器"]);
    assert!(h.query_by_label("我的服务器").is_some());

    click(&mut h, "+");
    click(&mut h, "我的服务器");
    // Closing the open tab asks first; Cancel keeps it.
    h.get_all_by_label("×").next().unwrap().click();
    h.run();
    let question = fill(en(T::ConfirmCloseText), &[&"我的服务器"]);
    wait_text(&mut h, &question);
    click(&mut h, en(T::Cancel));
    assert_eq!(h.state().tabs.len(), 2);
    assert!(!has_text(&h, &question));
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "still listening"
    );
    h.get_all_by_label("×").next().unwrap().click();
    h.run();
    click(&mut h, en(T::ConfirmCloseYes));
    assert_eq!(h.state().tabs.len(), 1);
    step_until(&mut h, "the closed tab's port is free", |_| {
        TcpStream::connect(("127.0.0.1", port))
            .is_err()
            .then_some(())
    });
}

#[test]
fn tabs_come_back_closed_after_a_restart() {
    let mut h = app();
    open_server(&mut h);
    click(&mut h, "+");
    choose(&mut h, en(T::Protocol), "UDP");
    set_field(&mut h, en(T::LocalPort), "7788");
    click(&mut h, en(T::ViewHex));
    h.state_mut().tabs[1].settings.name = Some("接收器".into());
    let saved = h.state().settings_to_save();
    assert_eq!(saved.tabs.len(), 2);
    assert_eq!(saved.active, 1);
    // Through the same text format eframe stores.
    let text = ron::ser::to_string(&saved).unwrap();
    let back: AppSettings = ron::from_str(&text).unwrap();
    assert_eq!(back, saved);
    drop(h);

    let mut h = support::app_with(back);
    assert_eq!(h.state().tabs.len(), 2);
    assert_eq!(h.state().active, 1);
    // Closed again, the server tab shows the port it was set to (0: any).
    assert_eq!(tab_titles(&h), ["TCP Server :0", "接收器"]);
    assert_eq!(h.state().tabs[1].settings.mode, ModeChoice::Udp);
    for tab in &h.state().tabs {
        assert_eq!(tab.link(), LinkState::Closed, "every tab comes back closed");
    }
    h.run();
    assert_eq!(
        h.get_by_label(en(T::LocalPort)).value().as_deref(),
        Some("7788")
    );
}

#[test]
fn find_text_and_hex_with_next_and_previous() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut c = connect_client(&mut h, port);
    for msg in [
        &b"alpha\r\n"[..],
        b"beta",
        b"ALPHA two\r\n",
        "中文 alpha".as_bytes(),
    ] {
        c.write_all(msg).unwrap();
        let text = String::from_utf8_lossy(msg).trim_end().to_string();
        wait_text(&mut h, &text);
    }
    h.key_press_modifiers(Modifiers::COMMAND, Key::F);
    h.run();
    h.get_by_label(en(T::Find)).type_text("alpha");
    h.run();
    wait_text(&mut h, &fill(en(T::FindCountNone), &[&3]));
    click(&mut h, en(T::FindNext));
    // The first "next" shows the newest match.
    wait_text(&mut h, &fill(en(T::FindCount), &[&3, &3]));
    h.key_press_modifiers(Modifiers::SHIFT, Key::F3);
    h.run();
    wait_text(&mut h, &fill(en(T::FindCount), &[&2, &3]));
    h.key_press(Key::F3);
    h.run();
    wait_text(&mut h, &fill(en(T::FindCount), &[&3, &3]));

    // Hex: CR LF ends two of the records.
    click(&mut h, en(T::FindHex));
    set_field(&mut h, en(T::Find), "0D 0A");
    wait_text(&mut h, &fill(en(T::FindCountNone), &[&2]));
    // Bad hex is said next to the field, and nothing is searched.
    set_field(&mut h, en(T::Find), "0G");
    wait_text(&mut h, "Bad hex: character 2 ('G') is not a hex digit");
    // New records are searched as they arrive.
    set_field(&mut h, en(T::Find), "62 65 74 61");
    wait_text(&mut h, &fill(en(T::FindCountNone), &[&1]));
    c.write_all(b"beta again").unwrap();
    wait_text(&mut h, &fill(en(T::FindCountNone), &[&2]));
}

#[test]
fn filters_hide_rows_but_keep_records() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut a = connect_client(&mut h, port);
    let mut b = connect_client(&mut h, port);
    a.write_all(b"from a").unwrap();
    b.write_all(b"from b").unwrap();
    wait_text(&mut h, "from a");
    wait_text(&mut h, "from b");
    let held = h.state().tab().session.log().store().len();

    // Only one peer: clicking "Only" in the client list.
    h.get_all_by_label(en(T::OnlyBtn)).next().unwrap().click();
    h.run();
    step_until(&mut h, "b's rows hidden", |h| {
        (!has_text(h, "from b")).then_some(())
    });
    assert!(has_text(&h, "from a"));
    let a_addr = a.local_addr().unwrap();
    let chip = format!("{} ×", fill(en(T::FilterPeer), &[&a_addr]));
    click(&mut h, &chip);
    wait_text(&mut h, "from b");

    // Direction and a regular expression.
    click(&mut h, en(T::ShowEvents));
    step_until(&mut h, "event rows hidden", |h| {
        (!log_rows(h).iter().any(|r| r.contains(en(T::EvConnected)))).then_some(())
    });
    set_field(&mut h, en(T::FilterRegex), "b$");
    step_until(&mut h, "only rows ending in b", |h| {
        (!has_text(h, "from a") && has_text(h, "from b")).then_some(())
    });
    set_field(&mut h, en(T::FilterRegex), "(");
    wait_text(&mut h, "Bad regular expression:");
    // The store still holds every record.
    assert_eq!(h.state().tab().session.log().store().len(), held);
}

#[test]
fn plot_and_memory_budget_settings() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut c = connect_client(&mut h, port);
    c.write_all(&[b'x'; 1000]).unwrap();
    step_until(&mut h, "bytes counted", |h| {
        (h.state().tab().counters().rx_bytes == 1000).then_some(())
    });
    click(&mut h, en(T::ShowPlot));
    assert!(h.state().tab().settings.show_plot, "{:?}", texts(&h));
    h.run();

    click(&mut h, en(T::SettingsBtn));
    set_field(&mut h, en(T::BudgetLabel), "5");
    click(&mut h, en(T::Apply));
    wait_text(&mut h, &fill(en(T::ErrBudget), &[&16, &16384]));
    set_field(&mut h, en(T::BudgetLabel), "32");
    click(&mut h, en(T::Apply));
    assert_eq!(h.state().settings.budget_mib, 32);
    assert_eq!(h.state().budget().limit(), 32 << 20);
    assert!(
        h.query_by_label(en(T::BudgetLabel)).is_none(),
        "dialog closed"
    );
}

#[test]
fn save_log_raw_and_pcapng_from_the_window() {
    use netassist::files::Purpose;
    let mut h = app();
    let port = open_server(&mut h);
    let mut c = connect_client(&mut h, port);
    c.write_all("你好 pcap".as_bytes()).unwrap();
    wait_text(&mut h, "你好 pcap");
    send(&mut h, "reply");
    step_until(&mut h, "the reply logged", |h| {
        log_rows(h)
            .into_iter()
            .find(|r| r.contains(" TX ") && r.contains("reply"))
    });
    let dir = std::env::temp_dir().join(format!("netassist-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (purpose, name) in [
        (Purpose::SaveLog, "log.txt"),
        (Purpose::SaveRaw, "raw.bin"),
        (Purpose::SavePcap, "capture.pcapng"),
    ] {
        let path = dir.join(name);
        h.state_mut().file_chosen(purpose, path.clone());
        wait_text(&mut h, &fill(en(T::Saved), &[&path.display()]));
    }
    let log = std::fs::read_to_string(dir.join("log.txt")).unwrap();
    assert!(
        log.contains("RX") && log.contains("你好 pcap") && log.contains("reply"),
        "{log}"
    );
    assert_eq!(
        std::fs::read(dir.join("raw.bin")).unwrap(),
        "你好 pcap".as_bytes()
    );
    let pcap = std::fs::read(dir.join("capture.pcapng")).unwrap();
    // A pcapng file starts with a section header block.
    assert_eq!(&pcap[..4], &[0x0A, 0x0D, 0x0D, 0x0A]);
    let out = std::process::Command::new("tshark")
        .args(["-r"])
        .arg(dir.join("capture.pcapng"))
        .args(["-q", "-z", "follow,tcp,raw,0"])
        .output()
        .expect("tshark is needed (Debian: apt-get install tshark)");
    let text = String::from_utf8_lossy(&out.stdout);
    let sent_hex: String = "你好 pcap".bytes().map(|b| format!("{b:02x}")).collect();
    assert!(text.contains(&sent_hex), "{text}");
    assert!(
        text.contains(
            &"reply"
                .bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
