//! WebSocket in the window: a WebSocket server tab and a WebSocket client
//! tab of one window talk, as a person sets them up: text and binary
//! messages (one row each, with their kind), a ping with its round trip,
//! and a close with a chosen code.

use crate::support::*;

use netassist::i18n::T;

#[test]
fn a_websocket_server_tab_and_a_client_tab_talk() {
    let mut h = app();
    choose(&mut h, en(T::Protocol), en(T::WsServerMode));
    set_field(&mut h, en(T::WsPath), "/chat");
    let port = open_server(&mut h);

    click(&mut h, "+");
    choose(&mut h, en(T::Protocol), en(T::WsClientMode));
    set_field(&mut h, en(T::LocalPortAny), "");
    set_field(&mut h, en(T::WsUrl), &format!("ws://127.0.0.1:{port}/chat"));
    click(&mut h, en(T::Connect));
    wait_text(&mut h, "101 Switching Protocols");

    send(&mut h, "你好 WebSocket");
    let row = wait_text(&mut h, "你好 WebSocket");
    assert!(row.contains(" TX ") && row.contains("text"), "{row}");

    // Hex input goes as a binary message.
    click(&mut h, en(T::TxHex));
    send(&mut h, "00 01 FF");
    step_until(&mut h, "the binary row", |h| {
        log_rows(h)
            .into_iter()
            .find(|r| r.contains(" TX ") && r.contains("binary"))
    });

    // A ping and its pong, with the round trip.
    set_field(&mut h, en(T::WsPingPayload), "p1");
    click(&mut h, en(T::WsPing));
    let pong = wait_text(&mut h, "pong received (2 bytes: \"p1\"), round trip");
    assert!(pong.contains(" ms"), "{pong}");

    // The server tab shows both messages, each as one row with its kind.
    click(&mut h, &format!("WebSocket Server :{port} ●"));
    let row = wait_text(&mut h, "你好 WebSocket");
    assert!(row.contains(" RX ") && row.contains("text"), "{row}");
    step_until(&mut h, "the binary message on the server", |h| {
        log_rows(h)
            .into_iter()
            .find(|r| r.contains(" RX ") && r.contains("binary"))
    });
    wait_text(&mut h, "ping from the peer (2 bytes: \"p1\")");

    // The server closes its client with 1001 and a reason.
    set_field(&mut h, en(T::WsCloseCode), "1001");
    set_field(&mut h, en(T::WsCloseReason), "bye now");
    click(&mut h, en(T::WsCloseBtn));
    wait_text(&mut h, "close sent: 1001 going away, reason \"bye now\"");
    wait_text(&mut h, "the peer answered our close: 1001 going away");
    close_link(&mut h);
}
