//! A large paste into the send box: the window shows a summary instead of
//! laying the text out, still sends exactly the bytes, and keeps the text
//! out of the settings file.

use crate::support;

use std::io::Read;
use std::time::Instant;

use egui::Event;
use egui_kittest::kittest::{NodeT, Queryable};
use netassist::codec::TextEncoding;
use netassist::i18n::{T, fill};
use support::*;

/// About 10 MB of mixed Chinese and ASCII lines, like a pasted log.
fn big_text() -> String {
    let mut text = String::with_capacity(10_500_000);
    let mut i = 0u32;
    while text.len() < 10_000_000 {
        text.push_str(&format!(
            "{i:07} 接收到的数据 received data line, 温度 23.5°C\n"
        ));
        i += 1;
    }
    text
}

/// Nothing on screen carries a large text: no field holds it and no label
/// is longer than a summary line.
fn assert_no_long_text(h: &App) {
    let longest = h
        .root()
        .children_recursive()
        .filter_map(|n| n.accesskit_node().value().or(n.accesskit_node().label()))
        .map(|t| t.len())
        .max()
        .unwrap_or(0);
    assert!(longest < 1000, "a widget holds {longest} bytes of text");
}

#[test]
fn a_10_mb_paste_is_summarised_and_sent_exactly() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut peer = connect_client(&mut h, port);
    choose(&mut h, en(T::TxEncoding), "GBK");
    let text = big_text();
    let want = encoding_rs::GBK.encode(&text).0.into_owned();

    h.get_by_label(en(T::SendBox)).focus();
    h.run();
    h.event(Event::Paste(text.clone()));
    h.run();
    let lines = text.lines().count();
    let summary = fill(en(T::BigInput), &[&text.len(), &lines]);
    wait_text(&mut h, &summary);
    wait_text(&mut h, &fill(en(T::BigWillSend), &[&want.len(), &"GBK"]));
    assert_eq!(h.state().tab().settings.send_text.len(), text.len());
    // Nothing on screen carries the text itself: no field holds it and no
    // label is longer than a summary line.
    assert_no_long_text(&h);
    assert!(h.query_by_label(en(T::EditAnyway)).is_some());

    // Send: the peer gets exactly the GBK bytes.
    let reader = std::thread::spawn(move || {
        let mut got = Vec::with_capacity(want.len());
        let mut buf = vec![0u8; 1 << 16];
        peer.set_read_timeout(Some(WAIT * 6)).unwrap();
        while got.len() < want.len() {
            match peer.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        (got, want)
    });
    click(&mut h, en(T::SendBtn));
    let start = Instant::now();
    let (got, want) = reader.join().unwrap();
    assert!(
        got == want,
        "sent {} bytes, wanted {}",
        got.len(),
        want.len()
    );
    step_until(&mut h, "the send counted", |h| {
        (h.state().tab().counters().tx_bytes == want.len() as u64).then_some(())
    });
    assert!(start.elapsed() < WAIT * 6);

    // The settings file stays small: the text and the history item are kept
    // for this run only.
    let saved = ron::ser::to_string(&h.state().settings_to_save()).unwrap();
    assert!(saved.len() < 1 << 20, "settings of {} bytes", saved.len());
    assert!(!h.state().settings.sent_history.is_empty());
    let label = &h.state().settings.sent_history[0].label;
    assert!(
        label.chars().count() <= 201,
        "history label of {} chars",
        label.chars().count()
    );

    // Clear empties the box.
    click(&mut h, en(T::ClearInput));
    assert!(h.state().tab().settings.send_text.is_empty());
    assert!(h.query_by_label(en(T::EditAnyway)).is_none());
}

#[test]
fn a_big_hex_paste_replaces_the_selection_and_edit_anyway_shows_it() {
    let mut h = app();
    click(&mut h, en(T::TxHex));
    set_field(&mut h, en(T::SendBox), "AA BB");
    // Select all, then paste over it.
    h.get_by_label(en(T::SendBox)).focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    let hex = "0D 0A ".repeat(60_000);
    h.event(Event::Paste(hex.clone()));
    h.run();
    assert_eq!(
        h.state().tab().settings.send_text,
        hex,
        "the paste replaced AA BB"
    );
    wait_text(
        &mut h,
        &fill(en(T::BigWillSend), &[&120_000, &en(T::AsHex)]),
    );
    let _ = TextEncoding::Utf8;
    click(&mut h, en(T::EditAnyway));
    assert!(h.state().tab().ui.big.edit_anyway);
    assert_eq!(
        h.get_by_label(en(T::SendBox)).value().map(|v| v.len()),
        Some(hex.len())
    );
}

#[test]
fn other_fields_take_no_layout_breaking_paste() {
    let mut h = app();
    // The find field and the filter refuse a paste they could not use.
    h.get_by_label(en(T::Find)).focus();
    h.run();
    h.event(Event::Paste("x".repeat(2_000_000)));
    h.run();
    assert!(h.state().tab().ui.find.text.len() <= 4096);
    // A preset's text takes it, shown as a summary, not laid out.
    set_field(&mut h, en(T::SendBox), "seed");
    click(&mut h, en(T::AddPreset));
    h.get_by_label(en(T::PresetText)).focus();
    h.run();
    let text = big_text();
    h.event(Event::Paste(text.clone()));
    h.run();
    let preset = &h.state().settings.automation.presets[0].text;
    assert!(preset.len() >= text.len(), "the paste went into the preset");
    wait_text(&mut h, "Large input:");
    assert_no_long_text(&h);
    // Kept for this run only: the settings file stays small.
    let saved = ron::ser::to_string(&h.state().settings_to_save()).unwrap();
    assert!(saved.len() < 1 << 20, "settings of {} bytes", saved.len());
}

/// A large value set through the accessibility interface (AccessKit's
/// SetValue, what a screen reader or a test robot sends over AT-SPI instead
/// of keys) is summarised like a paste: the text field never lays it out,
/// the send box keeps its name with the summary as its value, and Send
/// sends it exactly. A new value set the same way replaces it.
#[test]
fn a_big_value_set_through_accesskit_is_summarised_and_sent_exactly() {
    let mut h = app();
    let port = open_server(&mut h);
    let mut peer = connect_client(&mut h, port);
    let text = big_text();
    let lines = text.lines().count();

    h.get_by_label(en(T::SendBox))
        .set_text_value_accesskit(&text);
    // Not even the frame that took the value laid it out.
    h.step();
    assert_no_long_text(&h);
    h.run();
    let summary = fill(en(T::BigInput), &[&text.len(), &lines]);
    wait_text(&mut h, &summary);
    assert!(h.state().tab().settings.send_text == text);
    assert_no_long_text(&h);
    // Still the send box to a screen reader: its name, the summary as its
    // value.
    let value = h.get_by_label(en(T::SendBox)).value();
    assert_eq!(value.as_deref(), Some(summary.as_str()));

    let reader = {
        let want = text.as_bytes().to_vec();
        std::thread::spawn(move || {
            let mut got = Vec::with_capacity(want.len());
            let mut buf = vec![0u8; 1 << 16];
            peer.set_read_timeout(Some(WAIT * 6)).unwrap();
            while got.len() < want.len() {
                match peer.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            (got == want, got.len(), peer)
        })
    };
    click(&mut h, en(T::SendBtn));
    let (same, got, _peer) = reader.join().unwrap();
    assert!(same, "sent {got} bytes, wanted {}", text.len());

    // A small value set the same way replaces it, in the text field again.
    h.get_by_label(en(T::SendBox))
        .set_text_value_accesskit("hello");
    h.run();
    assert_eq!(h.state().tab().settings.send_text, "hello");
    assert_eq!(
        h.get_by_label(en(T::SendBox)).value().as_deref(),
        Some("hello")
    );

    // Typed over the selection through it (ReplaceSelectedText): the
    // selection is replaced, and the result is summarised.
    h.get_by_label(en(T::SendBox)).focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    h.get_by_label(en(T::SendBox))
        .replace_selected_text_accesskit(&text);
    h.step();
    assert_no_long_text(&h);
    h.run();
    assert!(
        h.state().tab().settings.send_text == text,
        "hello was selected and replaced"
    );
    wait_text(&mut h, &summary);
    assert_no_long_text(&h);

    // Another value of the same size: the summary's first lines are its own.
    let other = text.replacen("0000000", "9999999", 1);
    h.get_by_label(en(T::SendBox))
        .set_text_value_accesskit(&other);
    h.run();
    assert!(h.state().tab().settings.send_text == other);
    wait_text(&mut h, "9999999 接收到的数据");
}

/// A one-line field refuses a value set through the accessibility
/// interface that is larger than it could use, as it refuses such a paste.
#[test]
fn a_field_refuses_a_huge_value_set_through_accesskit() {
    let mut h = app();
    h.get_by_label(en(T::Find))
        .set_text_value_accesskit(&"x".repeat(2_000_000));
    h.run();
    assert!(h.state().tab().ui.find.text.is_empty());
    h.get_by_label(en(T::Find))
        .set_text_value_accesskit("needle");
    h.run();
    assert_eq!(h.state().tab().ui.find.text, "needle");
}
