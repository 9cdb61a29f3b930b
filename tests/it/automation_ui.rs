//! Send automation in the window, driven like a person would: a checksum and
//! its preview, a loop send on the engine's clock, a preset fired by its
//! hotkey, a sequence that waits for a tutorial server's reply, and
//! auto-reply rules answering a peer.

use crate::support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use netassist::automation::{MatchKind, Sequence, Step, StepSend, StepWait, Trigger};
use netassist::i18n::{T, fill};
use support::*;

#[test]
fn checksum_is_previewed_sent_and_marked_apart() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut peer = connect_client(&mut h, port);
    click(&mut h, en(T::TxHex));
    choose(&mut h, en(T::ChecksumLabel), "CRC-16/MODBUS");
    set_field(&mut h, en(T::SendBox), "01 03 00 00 00 01");
    // The preview shows the exact bytes, the checksum apart.
    wait_text(&mut h, "01 03 00 00 00 01");
    wait_text(&mut h, "«+84 0A»");
    click(&mut h, en(T::SendBtn));
    expect_bytes(&mut peer, &[0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0A]);
    click(&mut h, en(T::ViewHex));
    let row = step_until(&mut h, "the TX row", |h| {
        log_rows(h).into_iter().find(|r| r.contains(" TX "))
    });
    assert!(row.ends_with("01 03 00 00 00 01  «+84 0A»"), "{row}");
    // A range that does not fit the frame is said at the field; nothing goes.
    set_field(&mut h, en(T::ChecksumRangeLabel), "0:9");
    click(&mut h, en(T::SendBtn));
    wait_text(&mut h, &fill(en(T::ErrChecksumFit), &[&"0:9", &6]));
    assert_quiet(&mut peer);
    set_field(&mut h, en(T::ChecksumRangeLabel), "x");
    wait_text(&mut h, en(T::ErrChecksumRange));
}

#[test]
fn loop_send_runs_on_the_engine_clock_and_counts() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut peer = connect_client(&mut h, port);
    set_field(&mut h, en(T::SendBox), "tick;");
    set_field(&mut h, en(T::LoopEvery), "5");
    set_field(&mut h, en(T::LoopTimes), "40");
    click(&mut h, en(T::LoopStart));
    // The peer gets all 40, whatever the window's frame rate.
    expect_bytes(&mut peer, "tick;".repeat(40).as_bytes());
    wait_text(&mut h, &fill(en(T::LoopDone), &[&40]));
    assert!(
        h.query_by_label(en(T::LoopStart)).is_some(),
        "Stop became Start"
    );
    // Forever, until stopped: Stop takes effect at once.
    set_field(&mut h, en(T::LoopTimes), "");
    click(&mut h, en(T::LoopStart));
    let sent = step_until(&mut h, "a few sends", |h| {
        find_text(h, "sent ").filter(|t| t != "sent 0")
    });
    assert!(sent.starts_with("sent "), "{sent}");
    click(&mut h, en(T::LoopStop));
    wait_text(&mut h, "Loop send stopped after");
    let counted = h.state().tab().counters().tx_bytes;
    let mut got = Vec::new();
    peer.set_read_timeout(Some(QUIET)).unwrap();
    let mut buf = [0u8; 4096];
    while let Ok(n) = peer.read(&mut buf) {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(
        h.state().tab().counters().tx_bytes,
        counted,
        "nothing sent after Stop"
    );
}

#[test]
fn a_preset_from_the_send_box_fires_by_its_hotkey() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut peer = connect_client(&mut h, port);
    choose(&mut h, en(T::Append), "CRLF");
    set_field(&mut h, en(T::SendBox), "AT+GMR");
    click(&mut h, en(T::AddPreset));
    // The automation window opens on the new preset: give it F2.
    choose(&mut h, en(T::Hotkey), "F2");
    set_field(&mut h, en(T::PresetName), "firmware");
    assert_eq!(h.state().settings.automation.presets.len(), 1);
    // The send box can change; the preset keeps what was saved.
    set_field(&mut h, en(T::SendBox), "something else");
    h.key_press(Key::F2);
    h.run();
    expect_bytes(&mut peer, b"AT+GMR\r\n");
    // And from the quick bar (with the automation window closed).
    click(&mut h, en(T::AutomationBtn));
    click(&mut h, "firmware (F2)");
    expect_bytes(&mut peer, b"AT+GMR\r\n");
    // Presets persist with the settings.
    let saved = h.state().settings_to_save();
    let text = ron::ser::to_string(&saved).unwrap();
    let back: netassist::settings::AppSettings = ron::from_str(&text).unwrap();
    assert_eq!(back.automation.presets[0].name, "firmware");
    assert_eq!(
        back.automation.presets[0]
            .hotkey
            .map(|k| k.to_string())
            .as_deref(),
        Some("F2")
    );
    let _ = Modifiers::NONE;
}

/// The tutorial 002 upper-case echo server, as a python stand-in.
fn echo_upper_server() -> (std::process::Child, u16) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("peers")
        .join("echo_upper_server.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args(["127.0.0.1", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 is required: apt-get install python3");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .expect("PORT line");
    std::thread::spawn(move || for _ in out.lines() {});
    (child, port)
}

#[test]
fn a_sequence_waits_for_the_tutorial_servers_reply() {
    let (mut server, port) = echo_upper_server();
    let mut h = app();
    choose(&mut h, en(T::Protocol), en(T::TcpClient));
    set_field(&mut h, en(T::RemotePort), &port.to_string());
    click(&mut h, en(T::Connect));
    shown_addr(&mut h, T::ConnectedFrom);
    let literal = |text: &str| StepSend::Literal {
        text: text.into(),
        send: Default::default(),
    };
    h.state_mut().settings.automation.sequences.push(Sequence {
        name: "greet".into(),
        steps: vec![
            Step {
                send: literal("hello egon"),
                wait: StepWait::Reply {
                    when: MatchKind::Contains,
                    pattern: "HELLO EGON".into(),
                    timeout_ms: 3000,
                },
            },
            Step {
                send: literal("again"),
                wait: StepWait::Reply {
                    when: MatchKind::Equals,
                    pattern: "never this".into(),
                    timeout_ms: 300,
                },
            },
        ],
        ..Sequence::default()
    });
    click(&mut h, en(T::AutomationBtn));
    click(&mut h, en(T::TabSequences));
    click(&mut h, "greet");
    click(&mut h, en(T::RunSequence));
    // Step 1 gets its reply; step 2 times out and the run says which step.
    wait_text(&mut h, "HELLO EGON");
    let failed = wait_text(&mut h, "greet: failed:");
    assert!(failed.contains("step 2 of 2"), "{failed}");
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn rules_answer_a_peer_and_a_bad_regex_is_shown_at_its_rule() {
    let mut h = app();
    let port = open_server(&mut h);
    {
        let rules = &mut h.state_mut().tab_mut().settings.rules.rules;
        rules.push(netassist::automation::Rule::reply_to(
            Trigger::Regex,
            "^name:(\\w+)",
            "Hello {{1}}! #{{counter}}\\n",
        ));
        rules.push(netassist::automation::Rule {
            reply_hex: true,
            ..netassist::automation::Rule::reply_to(Trigger::Hex, "01 03 ?? ??", "01 03 02 00 2A")
        });
        // Typing in the rules page hands the rules over; set in code, they
        // are handed over explicitly.
        h.state_mut().tab_mut().sync_session();
    }
    h.run();
    let mut peer = connect_client(&mut h, port);
    peer.write_all(b"name:egon").unwrap();
    expect_bytes(&mut peer, b"Hello egon! #1\n");
    peer.write_all(&[0x01, 0x03, 0x00, 0x10]).unwrap();
    expect_bytes(&mut peer, &[0x01, 0x03, 0x02, 0x00, 0x2A]);
    peer.write_all(b"name:li").unwrap();
    expect_bytes(&mut peer, b"Hello li! #2\n");

    click(&mut h, en(T::AutomationBtn));
    click(&mut h, en(T::TabRules));
    wait_text(&mut h, &fill(en(T::RuleHits), &[&2]));
    // A bad regex: the rule says why at its field and stays off.
    h.state_mut().tab_mut().settings.rules.rules[0].pattern = "^name:(".into();
    h.state_mut().tab_mut().sync_session();
    wait_text(&mut h, "This rule is off: pattern:");
    peer.write_all(b"name:zhang").unwrap();
    assert_quiet(&mut peer);
}

#[test]
fn echo_rule_and_peer_closing_with_a_delayed_reply() {
    let mut h = app();
    let port = open_server(&mut h);
    click(&mut h, en(T::AutomationBtn));
    click(&mut h, en(T::TabRules));
    click(&mut h, en(T::AddEcho));
    h.state_mut().tab_mut().settings.rules.rules[0].delay_ms = 150;
    h.state_mut().tab_mut().sync_session();
    h.run();
    let mut peer = TcpStream::connect(("127.0.0.1", port)).unwrap();
    peer.write_all(b"ping").unwrap();
    // The peer finishes sending at once; the delayed echo still reaches it,
    // then our side finishes too (an orderly close).
    peer.shutdown(std::net::Shutdown::Write).unwrap();
    peer.set_read_timeout(Some(WAIT)).unwrap();
    let mut got = Vec::new();
    peer.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"ping");
    wait_text(&mut h, en(T::EvPeerFinished));
    let _ = TcpListener::bind("127.0.0.1:0");
}

#[test]
fn import_and_export_the_automation_file() {
    use netassist::files::Purpose;
    let mut h = app();
    set_field(&mut h, en(T::SendBox), "01 02");
    click(&mut h, en(T::AddPreset));
    h.state_mut()
        .tab_mut()
        .settings
        .rules
        .rules
        .push(netassist::automation::Rule::echo());
    let dir = std::env::temp_dir().join(format!("netassist-auto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("class.toml");
    h.state_mut()
        .file_chosen(Purpose::ExportAutomation, file.clone());
    wait_text(&mut h, &fill(en(T::Saved), &[&file.display()]));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("[[preset]]") && text.contains("[[rule]]"),
        "{text}"
    );

    // A bad file names the line, and nothing loaded is lost.
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[[rule]]\nwhen = \"regex\"\npattern = 5\n").unwrap();
    h.state_mut().file_chosen(Purpose::ImportAutomation, bad);
    let msg = wait_text(&mut h, "Import failed: line 3");
    assert!(msg.contains("nothing loaded was changed"), "{msg}");
    assert_eq!(h.state().settings.automation.presets.len(), 1);
    assert_eq!(h.state().tab().settings.rules.rules.len(), 1);

    // A good file replaces what it has: here, rules only.
    let rules = dir.join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nwhen = \"contains\"\npattern = \"hi\"\nreply = \"hello\"\n\n[[rule]]\nwhen = \"connect\"\nreply = \"welcome\"\n",
    )
    .unwrap();
    h.state_mut()
        .file_chosen(Purpose::ImportAutomation, rules.clone());
    wait_text(&mut h, &fill(en(T::Imported), &[&rules.display()]));
    assert_eq!(h.state().tab().settings.rules.rules.len(), 2);
    assert_eq!(
        h.state().settings.automation.presets.len(),
        1,
        "presets kept"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A flood into a rule that answers an hour later: the replies waiting are
/// bounded (a quarter of the memory budget), the oldest go first, and the
/// status bar and the log say how many were dropped and why.
#[test]
fn a_flood_into_a_delayed_rule_drops_the_oldest_replies_and_says_so() {
    let mut settings = netassist::settings::AppSettings::with_lang(netassist::i18n::Lang::En);
    settings.budget_mib = 16;
    let mut h = app_with(settings);
    let port = open_server(&mut h);
    click(&mut h, en(T::AutomationBtn));
    click(&mut h, en(T::TabRules));
    click(&mut h, en(T::AddEcho));
    h.state_mut().tab_mut().settings.rules.rules[0].delay_ms = 3_600_000;
    h.state_mut().tab_mut().sync_session();
    h.run();
    let mut peer = TcpStream::connect(("127.0.0.1", port)).unwrap();
    // 12 MiB: far more than the 4 MiB (a quarter of the 16 MiB budget)
    // the replies waiting may hold.
    let chunk = vec![b'z'; 64 * 1024];
    for _ in 0..192 {
        peer.write_all(&chunk).unwrap();
    }
    let shown = step_until(&mut h, "the dropped replies in the status bar", |h| {
        find_text(h, "replies dropped: ")
    });
    let dropped: u64 = shown
        .trim_start_matches("replies dropped: ")
        .parse()
        .unwrap_or_else(|_| panic!("{shown:?}"));
    assert!(dropped > 0, "{shown}");
    // The log's event rows say why (received data hidden to see them).
    click(&mut h, en(T::ShowRx));
    for _ in 0..20 {
        h.step();
    }
    eprintln!("ROWS {:#?}", log_rows(&h));
    let notes: Vec<String> = h
        .state()
        .tab()
        .session
        .log()
        .store()
        .iter()
        .filter_map(|r| r.note.as_ref().map(|n| n.to_string()))
        .collect();
    eprintln!("NOTES {notes:#?}");
    wait_text(&mut h, "the oldest went first");
    // Nothing was sent: every reply waits for its hour or was dropped.
    assert_quiet(&mut peer);
    let waiting = h.state().tab().session.log().automation().waiting;
    assert!(waiting > 0, "the newest replies still wait");
}
