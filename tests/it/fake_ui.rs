//! The window over a fake engine: no socket is opened, the test plays the
//! peers by injecting the engine's events, and reads back exactly what the
//! window asked the engine to send. For behaviour of the window alone.

use crate::support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use netassist::app::NetAssistApp;
use netassist::i18n::{Lang, T, fill};
use netassist::net::fake::FakeNet;
use netassist::net::{Engine, Target};
use netassist::settings::AppSettings;
use support::*;

/// The window over fake engines; the engine of each tab, in order.
fn fake_app() -> (App, Arc<Mutex<Vec<FakeNet>>>) {
    let nets: Arc<Mutex<Vec<FakeNet>>> = Arc::default();
    let made = Arc::clone(&nets);
    let h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_max_steps(64)
        .with_step_dt(1.0 / 60.0)
        .with_context_setup(netassist::ui::fonts::install)
        .build_eframe(move |cc| {
            let made = Arc::clone(&made);
            NetAssistApp::from_state(
                &cc.egui_ctx,
                AppSettings::with_lang(Lang::En),
                Box::new(move || {
                    let (engine, net) = Engine::fake(Arc::new(|| {}));
                    made.lock().unwrap().push(net);
                    engine
                }),
            )
        });
    (h, nets)
}

#[test]
fn a_fake_server_shows_clients_and_sends_exactly() {
    let (mut h, nets) = fake_app();
    click(&mut h, en(T::Open));
    let local = shown_addr(&mut h, T::ListeningOn);
    assert_eq!(local, "127.0.0.1:8888".parse::<SocketAddr>().unwrap());
    let net = nets.lock().unwrap()[0].clone();
    let a: SocketAddr = "10.0.0.7:5000".parse().unwrap();
    let b: SocketAddr = "10.0.0.8:5001".parse().unwrap();
    net.connect(1, a, local);
    net.connect(2, b, local);
    wait_text(&mut h, &fill(en(T::ClientCount), &[&2]));
    net.receive(Some(1), a, "你好，服务器".as_bytes());
    let row = wait_text(&mut h, "你好，服务器");
    assert!(row.contains("10.0.0.7:5000"), "{row}");

    // To the ticked client only.
    click(&mut h, &b.to_string());
    click(&mut h, en(T::SelectedClients));
    send(&mut h, "only b");
    step_until(&mut h, "the send", |_| {
        (!net.sent().is_empty()).then_some(())
    });
    let sent = net.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, Target::Peers(vec![netassist::net::PeerId(2)]));
    assert_eq!(&sent[0].1[..], b"only b");
    let row = wait_text(&mut h, "only b");
    assert!(
        row.contains(" TX ") && row.contains("10.0.0.8:5001"),
        "{row}"
    );
    // Disconnect the ticked one.
    click(&mut h, en(T::DisconnectSelected));
    wait_text(&mut h, en(T::OneClient));
    assert!(h.query_by_label(&b.to_string()).is_none());
}

#[test]
fn fake_tabs_do_not_touch_the_network() {
    let (mut h, nets) = fake_app();
    // Port 0 on a fake engine reports the fake port; nothing is bound.
    set_field(&mut h, en(T::LocalPort), "0");
    click(&mut h, en(T::Open));
    let local = shown_addr(&mut h, T::ListeningOn);
    assert_eq!(local.port(), netassist::net::fake::FAKE_PORT);
    click(&mut h, "+");
    choose(&mut h, en(T::Protocol), en(T::TcpClient));
    set_field(&mut h, en(T::RemotePort), "6000");
    click(&mut h, en(T::Connect));
    shown_addr(&mut h, T::ConnectedFrom);
    assert_eq!(nets.lock().unwrap().len(), 2, "one engine per tab");
    send(&mut h, "hello");
    let net = nets.lock().unwrap()[1].clone();
    step_until(&mut h, "the client's send", |_| {
        (!net.sent().is_empty()).then_some(())
    });
    assert_eq!(&net.sent()[0].1[..], b"hello");
}
