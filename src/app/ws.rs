//! A WebSocket tab's own commands: the kind of message sends go as, a
//! ping, and a close with the code and reason typed.

use bytes::Bytes;

use crate::i18n::T;
use crate::messages::Msg;
use crate::net::ws::MessageKind;

use super::tab::Tab;

/// Whether `code` may be sent in a close frame (RFC 6455 §7.4).
pub(crate) fn sendable_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

impl Tab {
    /// Sends go as `kind` from now on (rules, presets, loops and files too).
    pub(crate) fn ws_kind(&mut self, kind: MessageKind) {
        if let Ok(h) = self.session.handle() {
            let _ = h.set_message_kind(kind);
        }
    }

    /// A ping with the payload typed, to where Send sends.
    pub(crate) fn ws_ping(&mut self) {
        self.errors.send = None;
        let (handle, target) = match self.send_target() {
            Ok(ht) => ht,
            Err(msg) => return self.errors.send = Some(msg),
        };
        let payload = Bytes::from(self.settings.ws.ping_payload.clone().into_bytes());
        if let Err(e) = handle.ping(target, payload) {
            self.errors.send = Some(Msg::Net(e));
        }
    }

    /// A close frame with the code and reason typed, to where Send sends.
    pub(crate) fn ws_close(&mut self) {
        self.errors.send = None;
        let code = match self.settings.ws.close_code.trim().parse::<u16>() {
            Ok(c) if sendable_close_code(c) => c,
            _ => return self.errors.send = Some(Msg::key(T::ErrWsCloseCode)),
        };
        let (handle, target) = match self.send_target() {
            Ok(ht) => ht,
            Err(msg) => return self.errors.send = Some(msg),
        };
        let reason = self.settings.ws.close_reason.clone();
        if let Err(e) = handle.ws_close(target, code, reason) {
            self.errors.send = Some(Msg::Net(e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes_that_may_be_sent() {
        for ok in [1000, 1001, 1003, 1007, 1011, 3000, 4999] {
            assert!(sendable_close_code(ok), "{ok}");
        }
        for bad in [0, 999, 1004, 1005, 1006, 1015, 2000, 5000] {
            assert!(!sendable_close_code(bad), "{bad}");
        }
    }
}
