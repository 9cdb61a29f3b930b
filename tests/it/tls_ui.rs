//! TLS in the window, as a person sets it up: the TLS section of a TCP
//! tab opened, Use TLS ticked, the certificate files typed; then Python's
//! `ssl` module (tests/peers/tls_peer.py) talks to the tab and the log
//! shows the handshake and the text.

use crate::peer_support::{complete_lines, peer, peer_done, peer_port};
use crate::support::*;
use crate::tls::{TempDir, pki};

use egui_kittest::kittest::Queryable;
use netassist::i18n::T;

fn s(p: &std::path::Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// Opens the tab's TLS section and ticks Use TLS.
fn use_tls(h: &mut App) {
    click(h, en(T::TlsHeader));
    click(h, en(T::TlsUse));
}

#[test]
fn a_tls_server_tab_shows_the_handshake_and_the_text() {
    let dir = TempDir::new("ui-server");
    let pki = pki(&dir);
    let mut h = app();
    use_tls(&mut h);
    set_field(&mut h, en(T::TlsCertServer), s(&pki.server_cert));
    set_field(&mut h, en(T::TlsKey), s(&pki.server_key));
    let port = open_server(&mut h);
    wait_text(&mut h, "TLS ready");
    let mut client = peer(
        "tls_peer.py",
        &[
            "client",
            "127.0.0.1",
            &port.to_string(),
            "--ca",
            s(&pki.ca),
            "--send-hex",
            "e4bda0e5a5bd",
        ],
    );
    peer_done(&mut client);
    wait_text(&mut h, "TLS handshake done");
    step_until(&mut h, "the text over TLS", |h| {
        log_rows(h).iter().any(|r| r.contains("你好")).then_some(())
    });
    // The handshake's row explains itself below it when clicked, and
    // folds the explanation when clicked again.
    let click_row = |h: &mut App| {
        h.get_by(|n| {
            n.role() == egui::accesskit::Role::Label
                && n.value().is_some_and(|v| v.contains("TLS handshake done"))
        })
        .click();
        h.run();
    };
    click_row(&mut h);
    let mut last = String::new();
    for (prefix, key) in [
        ("Why: ", T::ExTlsEstablishedWhy),
        ("What to do: ", T::ExTlsEstablishedFix),
    ] {
        // Lines wrap to the log's width: the start of each.
        let start: String = format!("{prefix}{}", key.get(netassist::i18n::Lang::En))
            .chars()
            .take(30)
            .collect();
        wait_text(&mut h, &start);
        last = start;
    }
    click_row(&mut h);
    step_until(&mut h, "the explanation folded", |h| {
        find_text(h, &last).is_none().then_some(())
    });
    close_link(&mut h);
}

#[test]
fn a_tls_client_tab_checks_the_server_against_its_ca_and_talks() {
    let dir = TempDir::new("ui-client");
    let pki = pki(&dir);
    let mut server = peer(
        "tls_peer.py",
        &[
            "server",
            "127.0.0.1",
            "0",
            "--cert",
            s(&pki.server_cert),
            "--key",
            s(&pki.server_key),
        ],
    );
    let port = peer_port(&server);
    let mut h = app();
    choose(&mut h, en(T::Protocol), en(T::TcpClient));
    use_tls(&mut h);
    set_field(&mut h, en(T::TlsCa), s(&pki.ca));
    connect_tab(&mut h, port);
    wait_text(&mut h, "TLS handshake done");
    send(&mut h, "hi");
    click(&mut h, en(T::FinishSending));
    step_until(&mut h, "the server's answer", |h| {
        log_rows(h)
            .iter()
            .any(|r| r.contains("got 2 bytes"))
            .then_some(())
    });
    peer_done(&mut server);
    let rx: Vec<String> = complete_lines(&server.out.bytes())
        .into_iter()
        .filter_map(|l| l.strip_prefix("RX ").map(str::to_string))
        .collect();
    assert_eq!(rx, ["6869"]);
}

#[test]
fn a_certificate_without_its_key_is_told_and_nothing_opens() {
    let mut h = app();
    use_tls(&mut h);
    set_field(&mut h, en(T::TlsCertServer), "/tmp/cert.pem");
    click(&mut h, en(T::Open));
    wait_text(&mut h, en(T::ErrTlsCertKey));
    assert!(has_text(&h, en(T::Open)), "nothing opened");
    // The key log warns that its file holds secrets.
    assert!(!has_text(&h, en(T::TlsKeylogWarn)));
    set_field(&mut h, en(T::TlsKeylog), "/tmp/keys.log");
    wait_text(&mut h, en(T::TlsKeylogWarn));
}
