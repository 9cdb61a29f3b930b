//! Messages for the user: engine and input errors with the likely fix, and
//! status texts. They are kept as data ([`Msg`]) and worded when drawn, so
//! switching the language rewords the messages already on screen.

use crate::codec::checksum::ChecksumError;
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
        NetError::SendingFinished { addr } => fill(t(T::NetSendingFinished), &[addr]),
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
        // The range no longer fits what is sent (it was checked at the
        // checksum's own field, and the text changed since).
        PayloadError::Checksum(ChecksumError::OutOfRange { range, len }) => {
            fill(t(T::ErrChecksumFit), &[range, len])
        }
    }
}

/// A message kept as data, worded in whatever language is current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// A table string and its arguments.
    Text(T, Vec<String>),
    /// An engine error.
    Net(NetError),
    /// Typed input that could not become bytes.
    Payload(PayloadError),
    /// A table string whose last argument is an engine error, worded in
    /// the same language.
    TextAndNet(T, Vec<String>, NetError),
}

impl Msg {
    /// A table string without arguments.
    pub fn key(key: T) -> Msg {
        Msg::Text(key, Vec::new())
    }

    /// A table string with arguments.
    pub fn with(key: T, args: &[&dyn std::fmt::Display]) -> Msg {
        Msg::Text(key, args.iter().map(|a| a.to_string()).collect())
    }

    /// The message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Msg::Text(key, args) => {
                let args: Vec<&dyn std::fmt::Display> =
                    args.iter().map(|a| a as &dyn std::fmt::Display).collect();
                fill(key.get(lang), &args)
            }
            Msg::Net(err) => net_error_text(err, lang),
            Msg::TextAndNet(key, args, err) => {
                let why = net_error_text(err, lang);
                let mut all: Vec<&dyn std::fmt::Display> =
                    args.iter().map(|a| a as &dyn std::fmt::Display).collect();
                all.push(&why);
                fill(key.get(lang), &all)
            }
            Msg::Payload(err) => payload_error_text(err, lang),
        }
    }
}
