//! WebSocket event rows in words: one function for both languages, so the
//! command line's English and the window's 中文 say the same.

use std::fmt;

use crate::i18n::{Lang, T, fill};
use crate::net::ws::{CloseInfo, RefusalHint, WsEvent};

/// Most payload bytes a ping or pong row shows.
const PAYLOAD_SHOWN: usize = 40;

/// A close code with its meaning (`1000 normal closure`).
pub fn close_code_text(code: Option<u16>, lang: Lang) -> String {
    let Some(code) = code else {
        return T::EvWsNoCode.get(lang).to_string();
    };
    let name = match code {
        1000 => T::WsCode1000,
        1001 => T::WsCode1001,
        1002 => T::WsCode1002,
        1003 => T::WsCode1003,
        1006 => T::WsCode1006,
        1007 => T::WsCode1007,
        1008 => T::WsCode1008,
        1009 => T::WsCode1009,
        1011 => T::WsCode1011,
        _ => {
            return format!("{code} ({})", crate::net::ws::close_code_name(code));
        }
    };
    format!("{code} {}", name.get(lang))
}

fn close_text(close: &CloseInfo, lang: Lang) -> String {
    let mut text = close_code_text(close.code, lang);
    if !close.reason.is_empty() {
        text.push_str(", ");
        text.push_str(&fill(T::EvWsReason.get(lang), &[&close.reason]));
    }
    text
}

/// A control frame's payload for a row: text when it is printable UTF-8,
/// hex otherwise, cut after a few dozen bytes.
fn payload_text(payload: &[u8]) -> String {
    let shown = &payload[..payload.len().min(PAYLOAD_SHOWN)];
    let more = if payload.len() > PAYLOAD_SHOWN {
        "…"
    } else {
        ""
    };
    match std::str::from_utf8(shown) {
        Ok(s) if !s.chars().any(char::is_control) => format!("\"{s}\"{more}"),
        _ => format!("{}{more}", crate::codec::hex::to_hex(shown)),
    }
}

/// A WebSocket event row in `lang`.
pub fn ws_event_text(event: &WsEvent, lang: Lang) -> String {
    let t = |k: T| k.get(lang);
    match event {
        WsEvent::Handshake(h) => {
            let host = h.host.as_deref().unwrap_or("-");
            let mut text = fill(
                t(T::EvWsHandshake),
                &[&h.request_line, &host, &h.status_line],
            );
            let mut parts = Vec::new();
            if let Some(o) = &h.origin {
                parts.push(fill(t(T::EvWsOrigin), &[o]));
            }
            if !h.protocols.is_empty() {
                parts.push(fill(t(T::EvWsProtocolsAsked), &[&h.protocols.join(", ")]));
            }
            if !h.extensions.is_empty() {
                parts.push(fill(t(T::EvWsExtensionsAsked), &[&h.extensions.join(", ")]));
            }
            if let Some(p) = &h.protocol {
                parts.push(fill(t(T::EvWsProtocolAgreed), &[p]));
            }
            for p in parts {
                text.push_str("; ");
                text.push_str(&p);
            }
            text
        }
        WsEvent::Refused(r) => {
            let mut text = if r.by_us {
                fill(t(T::EvWsWeRefused), &[&r.status_line, &r.detail])
            } else if r.status == 0 {
                fill(t(T::EvWsUpgradeFailed), &[&r.detail])
            } else {
                let hint = match r.hint {
                    RefusalHint::PlainHttp => Some(T::WsHintPlainHttp),
                    RefusalHint::WrongPath => Some(T::WsHintWrongPath),
                    RefusalHint::BadUpgrade => Some(T::WsHintBadUpgrade),
                    RefusalHint::Other => None,
                };
                let mut what = r.status_line.clone();
                if let Some(h) = hint {
                    what.push_str(" (");
                    what.push_str(t(h));
                    what.push(')');
                }
                if !r.detail.is_empty() {
                    what.push_str(": ");
                    what.push_str(&r.detail);
                }
                fill(t(T::EvWsRefused), &[&what])
            };
            if !r.by_us && !r.body.trim().is_empty() {
                text.push_str("; ");
                let body = r.body.trim().replace(['\r', '\n'], " | ");
                text.push_str(&fill(t(T::EvWsBody), &[&body]));
            }
            text
        }
        WsEvent::Ping { payload, by_us } => {
            let key = if *by_us {
                T::EvWsPingOut
            } else {
                T::EvWsPingIn
            };
            fill(t(key), &[&payload.len(), &payload_text(payload)])
        }
        WsEvent::Pong { payload, rtt } => match rtt {
            Some(rtt) => {
                let ms = format!("{:.3}", rtt.as_secs_f64() * 1000.0);
                fill(
                    t(T::EvWsPongRtt),
                    &[&payload.len(), &payload_text(payload), &ms],
                )
            }
            None => fill(t(T::EvWsPong), &[&payload.len(), &payload_text(payload)]),
        },
        WsEvent::Close {
            close,
            by_peer,
            reply,
        } => {
            let key = match (by_peer, reply) {
                (true, false) => T::EvWsCloseIn,
                (true, true) => T::EvWsCloseInReply,
                (false, false) => T::EvWsCloseOut,
                (false, true) => T::EvWsCloseOutReply,
            };
            fill(t(key), &[&close_text(close, lang)])
        }
        WsEvent::Violation { code, detail } => fill(
            t(T::EvWsViolation),
            &[detail, &close_code_text(Some(*code), lang)],
        ),
        WsEvent::Dropped => t(T::EvWsDropped).to_string(),
        WsEvent::CloseUnanswered { waited } => {
            fill(t(T::EvWsCloseUnanswered), &[&waited.as_secs()])
        }
    }
}

/// A WebSocket event in plain English (exports, the command line).
pub(crate) struct WsText<'a>(pub(crate) &'a WsEvent);

impl fmt::Display for WsText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&ws_event_text(self.0, Lang::En))
    }
}
