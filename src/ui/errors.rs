//! Engine and input errors in the user's language, with the likely fix.

use crate::codec::{EncodeError, EscapeError, HexError, PayloadError};
use crate::i18n::{Lang, T, fill};
use crate::net::NetError;

/// What to tell the user about an engine error.
pub fn net_error_text(err: &NetError, lang: Lang) -> String {
    let t = |k: T| k.get(lang);
    match err {
        NetError::AddrInUse { addr } => fill(t(T::NetAddrInUse), &[addr]),
        NetError::AddrNotAvailable { addr } => fill(t(T::NetAddrNotAvail), &[addr]),
        NetError::PermissionDenied { addr } => fill(t(T::NetPermission), &[addr]),
        NetError::ConnectionRefused { addr } => fill(t(T::NetRefused), &[addr]),
        NetError::HostNotFound { host, .. } => fill(t(T::NetHostNotFound), &[host]),
        NetError::ConnectTimeout { addr } => fill(t(T::NetTimeout), &[addr]),
        NetError::NoRemote => t(T::NetNoRemote).to_string(),
        NetError::NoClients => t(T::ErrNoClients).to_string(),
        NetError::SendQueueFull { addr, dropped } => fill(t(T::NetQueueFull), &[addr, dropped]),
        NetError::DatagramTooLarge { len } => fill(t(T::NetTooLarge), &[len]),
        NetError::FamilyMismatch { local, remote } => fill(t(T::NetFamily), &[local, remote]),
        NetError::NotOpen => t(T::ErrNotOpen).to_string(),
        other => fill(t(T::NetOther), &[other]),
    }
}

/// What to show next to the send box when typed input cannot be sent.
pub fn payload_error_text(err: &PayloadError, lang: Lang) -> String {
    let t = |k: T| k.get(lang);
    match err {
        PayloadError::Hex(HexError::InvalidDigit { position, found }) => {
            fill(t(T::ErrHex), &[position, found])
        }
        PayloadError::Hex(HexError::OddDigits { position, token }) => {
            fill(t(T::ErrHexOdd), &[position, token])
        }
        PayloadError::Hex(HexError::MissingDigits { position }) => {
            fill(t(T::ErrHexMissing), &[position])
        }
        PayloadError::Escape(EscapeError::UnknownEscape { position, found }) => {
            fill(t(T::ErrEscUnknown), &[position, found])
        }
        PayloadError::Escape(EscapeError::BadHexEscape { position, found }) => {
            fill(t(T::ErrEscHex), &[position, found])
        }
        PayloadError::Escape(EscapeError::TrailingBackslash { position }) => {
            fill(t(T::ErrEscTrailing), &[position])
        }
        PayloadError::Encode(EncodeError::Unmappable { ch, position, .. }) => {
            fill(t(T::ErrGbk), &[position, ch])
        }
    }
}
