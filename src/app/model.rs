//! The window's model: link state, clients, counters, messages, and the
//! actions the panels ask for.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use crate::i18n::{Lang, T};
use crate::net::{Mode, PeerId, Target};
use crate::records::RowStyle;
use crate::ui::errors::Msg;
use crate::ui::jobs::{FileSend, Purpose, Recorder};
use crate::ui::settings::Settings;

/// Where the link is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Nothing open.
    Closed,
    /// Binding, resolving or connecting.
    Opening(Mode),
    /// Up, with the real local address.
    Open(Mode, SocketAddr),
}

/// One connected client of the TCP server.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// Its address.
    pub addr: SocketAddr,
    /// When it connected.
    pub since: SystemTime,
    /// Bytes received from it.
    pub rx: u64,
    /// Bytes sent to it.
    pub tx: u64,
}

/// Traffic counters and rates for the status bar.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Reads / datagrams received.
    pub rx_packets: u64,
    /// Sends completed.
    pub tx_packets: u64,
    /// Receive rate, bytes per second.
    pub rx_rate: f64,
    /// Send rate, bytes per second.
    pub tx_rate: f64,
    last: Option<(Instant, u64, u64)>,
}

/// Messages shown next to the fields they are about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    /// Local address.
    pub local_ip: Option<Msg>,
    /// Local port.
    pub local_port: Option<Msg>,
    /// Remote host or port.
    pub remote: Option<Msg>,
    /// The send box (hex, escapes, encoding, nothing to send to).
    pub send: Option<Msg>,
    /// Loop interval.
    pub loop_ms: Option<Msg>,
}

impl Stats {
    /// Recomputes the rates once `period` has passed; true while they may
    /// still change (so the window should look again).
    pub(crate) fn update(&mut self, now: Instant, period: Duration) -> bool {
        match self.last {
            None => {
                self.last = Some((now, self.rx_bytes, self.tx_bytes));
                false
            }
            Some((t, rx, tx)) => {
                let dt = now.duration_since(t);
                if dt >= period {
                    let secs = dt.as_secs_f64();
                    self.rx_rate = self.rx_bytes.saturating_sub(rx) as f64 / secs;
                    self.tx_rate = self.tx_bytes.saturating_sub(tx) as f64 / secs;
                    self.last = Some((now, self.rx_bytes, self.tx_bytes));
                }
                self.rx_rate > 0.0
                    || self.tx_rate > 0.0
                    || self.rx_bytes != rx
                    || self.tx_bytes != tx
            }
        }
    }
}

/// A status-bar message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The message, worded when drawn.
    pub msg: Msg,
    /// Shown in the error colour.
    pub error: bool,
}

/// Loop sending in progress.
#[derive(Debug, Clone)]
pub struct LoopSend {
    /// Interval.
    pub every: Duration,
    /// When the next send is due.
    pub next: Instant,
    /// What is sent each time.
    pub data: Bytes,
    /// Where to.
    pub target: Target,
}

/// Everything the user can ask for; applied after the frame is laid out.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Open or close the link.
    ToggleOpen,
    /// Send the send box's contents.
    Send,
    /// Resend one history item.
    Resend(usize),
    /// Pick a remote from history.
    UseRemote(String),
    /// Clear the log.
    ClearLog,
    /// Zero the counters.
    ResetCounters,
    /// Drop the selected clients.
    DisconnectSelected,
    /// Ask for a file for one of the file jobs.
    Pick(Purpose),
    /// Stop recording to a file.
    StopRecording,
    /// Cancel the file send.
    CancelFile,
    /// Start loop sending.
    StartLoop,
    /// Stop loop sending.
    StopLoop,
    /// Re-read this machine's addresses.
    RefreshInterfaces,
    /// Pause or resume the display.
    TogglePause,
    /// The log style changed (view, encoding, width): rebuild rows.
    Restyle(RowStyle),
}

/// The window's model: what the panels read and change.
pub struct Model {
    /// Persistent settings.
    pub settings: Settings,
    /// Link state.
    pub link: LinkState,
    /// Connected clients (TCP server).
    pub clients: BTreeMap<PeerId, ClientInfo>,
    /// Clients ticked in the list.
    pub selected: BTreeSet<PeerId>,
    /// Counters.
    pub stats: Stats,
    /// Field messages.
    pub errors: FieldErrors,
    /// Status-bar message.
    pub status: Option<Status>,
    /// Local addresses for the dropdown.
    pub interfaces: Vec<String>,
    /// Loop send, when running.
    pub looping: Option<LoopSend>,
    /// File send, when running.
    pub file_send: Option<FileSend>,
    /// Recording to a file, when on.
    pub recorder: Option<Recorder>,
    /// Paused display: the first record not shown.
    pub paused_at: Option<u64>,
    /// The last UDP sender, for replies.
    pub last_sender: Option<SocketAddr>,
}

impl Model {
    /// The UI language.
    pub fn lang(&self) -> Lang {
        self.settings.lang
    }

    /// A string in the UI language.
    pub fn t(&self, key: T) -> &'static str {
        key.get(self.settings.lang)
    }

    pub(crate) fn set_status(&mut self, msg: Msg, error: bool) {
        self.status = Some(Status { msg, error });
    }
}
