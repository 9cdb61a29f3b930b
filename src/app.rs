//! The eframe application: drains engine events in `logic()`, draws the
//! panels in `ui()`, and applies what the user asked for after layout.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use crossbeam_channel::Receiver;

use crate::codec::{InputMode, build_payload};
use crate::i18n::{Lang, T};
use crate::net::{
    CloseReason, Engine, Event, HostPort, Mode, NetError, PeerId, SessionConfig, SessionHandle,
    Target, parse_port,
};
use crate::records::{Note, RecordStore, RowIndex, RowStyle, StoreConfig};
use crate::ui::errors::Msg;
use crate::ui::jobs::{self, FileSend, JobMsg, Purpose, Recorder};
use crate::ui::settings::{ModeChoice, SentItem, Settings};
use crate::ui::{interfaces, layout};

/// Longest time `logic()` spends draining events before drawing a frame.
const DRAIN_BUDGET: Duration = Duration::from_millis(8);
/// How often rates are recomputed while traffic flows.
const RATE_PERIOD: Duration = Duration::from_secs(1);
/// UDP file sends go out in datagrams of this size.
const UDP_FILE_CHUNK: usize = 1024;
/// TCP file sends are handed to the engine in chunks of this size.
const TCP_FILE_CHUNK: usize = 16 * 1024;

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

impl FieldErrors {
    /// True when any field has a message.
    pub fn any(&self) -> bool {
        *self != FieldErrors::default()
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

    fn set_status(&mut self, msg: Msg, error: bool) {
        self.status = Some(Status { msg, error });
    }
}

/// The record store and the rows derived from it.
pub struct LogData {
    /// Raw records.
    pub store: RecordStore,
    /// Row index for the current style.
    pub rows: RowIndex,
    /// The style the index was built for.
    pub style: RowStyle,
}

/// The NetAssist window.
pub struct NetAssistApp {
    /// What the panels show and change.
    pub model: Model,
    /// The log.
    pub log: LogData,
    engine: Engine,
    jobs_tx: crossbeam_channel::Sender<JobMsg>,
    jobs_rx: Receiver<JobMsg>,
    ctx: egui::Context,
    /// The language the window title was last set in.
    titled: Option<Lang>,
}

impl NetAssistApp {
    /// Creates the app with `settings`; the engine wakes `ctx` on new events.
    pub fn new(ctx: &egui::Context, settings: Settings) -> NetAssistApp {
        let wake_ctx = ctx.clone();
        let engine = Engine::new(Arc::new(move || wake_ctx.request_repaint()));
        let (jobs_tx, jobs_rx) = jobs::channel();
        let style = layout::initial_style(&settings);
        NetAssistApp {
            model: Model {
                settings,
                link: LinkState::Closed,
                clients: BTreeMap::new(),
                selected: BTreeSet::new(),
                stats: Stats::default(),
                errors: FieldErrors::default(),
                status: None,
                interfaces: interfaces::list(),
                looping: None,
                file_send: None,
                recorder: None,
                paused_at: None,
                last_sender: None,
            },
            log: LogData {
                store: RecordStore::new(StoreConfig::default()),
                rows: RowIndex::new(),
                style,
            },
            engine,
            jobs_tx,
            jobs_rx,
            ctx: ctx.clone(),
            titled: None,
        }
    }

    /// Creates the app for eframe, restoring saved settings.
    pub fn from_creation(cc: &eframe::CreationContext<'_>) -> NetAssistApp {
        crate::ui::fonts::install(&cc.egui_ctx);
        let settings = cc
            .storage
            .and_then(|s| eframe::get_value::<Settings>(s, eframe::APP_KEY))
            .unwrap_or_default();
        NetAssistApp::new(&cc.egui_ctx, settings)
    }

    /// Drains engine events within a time budget; true if more are waiting.
    pub fn drain_events(&mut self) -> bool {
        let start = Instant::now();
        let mut more = false;
        while let Some(event) = self.engine.events().try_recv() {
            self.on_event(event);
            if start.elapsed() > DRAIN_BUDGET {
                more = true;
                break;
            }
        }
        self.log.rows.sync(&self.log.store, &self.log.style);
        more
    }

    fn on_event(&mut self, event: Event) {
        let now = SystemTime::now();
        let m = &mut self.model;
        match event {
            Event::Opened { mode, local } => {
                m.link = LinkState::Open(mode, local);
                self.log.store.push_event(now, None, Note::Opened { local });
                m.status = None;
            }
            Event::Connected { peer, addr, .. } => {
                if m.settings.mode == ModeChoice::TcpServer {
                    m.clients.insert(
                        peer,
                        ClientInfo {
                            addr,
                            since: now,
                            rx: 0,
                            tx: 0,
                        },
                    );
                }
                self.log.store.push_event(now, Some(addr), Note::Connected);
            }
            Event::Received {
                peer,
                addr,
                time,
                data,
            } => {
                m.stats.rx_bytes += data.len() as u64;
                m.stats.rx_packets += 1;
                if let Some(c) = peer.and_then(|p| m.clients.get_mut(&p)) {
                    c.rx += data.len() as u64;
                }
                if peer.is_none() {
                    m.last_sender = Some(addr);
                }
                if let Some(r) = &m.recorder {
                    r.write(&data);
                    if r.dropped() > 0 {
                        m.set_status(Msg::with(T::RecordBehind, &[&r.dropped()]), true);
                    }
                }
                self.log.store.push_rx(time, addr, data);
            }
            Event::Sent {
                peer,
                addr,
                time,
                data,
            } => {
                m.stats.tx_bytes += data.len() as u64;
                m.stats.tx_packets += 1;
                if let Some(c) = peer.and_then(|p| m.clients.get_mut(&p)) {
                    c.tx += data.len() as u64;
                }
                self.log.store.push_tx(time, addr, data);
            }
            Event::PeerClosed { peer, addr, how } => {
                m.clients.remove(&peer);
                m.selected.remove(&peer);
                let note = match how {
                    CloseReason::Fin => Note::ClosedByPeer,
                    CloseReason::Reset => Note::Reset,
                    CloseReason::Local => Note::Disconnected,
                    CloseReason::Error(message) => Note::Error { message },
                };
                self.log.store.push_event(now, Some(addr), note);
            }
            Event::Error(err) => self.on_error(&err),
            Event::Closed => {
                self.engine.close();
                let m = &mut self.model;
                m.link = LinkState::Closed;
                m.clients.clear();
                m.selected.clear();
                m.looping = None;
                if let Some(f) = &m.file_send {
                    f.cancel();
                }
                self.log.store.push_event(now, None, Note::Closed);
            }
        }
    }

    fn on_error(&mut self, err: &NetError) {
        self.log.store.push_event(
            SystemTime::now(),
            None,
            Note::Failure(Box::new(err.clone())),
        );
        self.model.set_status(Msg::Net(err.clone()), true);
    }

    /// Runs timers: loop sending, rates, background jobs.
    fn tick(&mut self) {
        while let Ok(msg) = self.jobs_rx.try_recv() {
            self.on_job(msg);
        }
        let now = Instant::now();
        let mut next_wake: Option<Duration> = None;
        if let Some(lp) = &mut self.model.looping {
            if now >= lp.next {
                let (target, data) = (lp.target.clone(), lp.data.clone());
                lp.next = now + lp.every;
                if let Ok(h) = self.engine.handle() {
                    let _ = h.send(target, data);
                }
            }
            if let Some(lp) = &self.model.looping {
                next_wake = Some(lp.next.saturating_duration_since(now));
            }
        }
        if self.update_rates(now) {
            next_wake = Some(next_wake.map_or(RATE_PERIOD, |d| d.min(RATE_PERIOD)));
        }
        if self.model.file_send.is_some() {
            next_wake = Some(next_wake.map_or(Duration::from_millis(100), |d| {
                d.min(Duration::from_millis(100))
            }));
        }
        if let Some(d) = next_wake {
            self.ctx.request_repaint_after(d);
        }
    }

    /// Recomputes rates once a second; true while they may still change.
    fn update_rates(&mut self, now: Instant) -> bool {
        let s = &mut self.model.stats;
        match s.last {
            None => {
                s.last = Some((now, s.rx_bytes, s.tx_bytes));
                false
            }
            Some((t, rx, tx)) => {
                let dt = now.duration_since(t);
                if dt >= RATE_PERIOD {
                    let secs = dt.as_secs_f64();
                    s.rx_rate = s.rx_bytes.saturating_sub(rx) as f64 / secs;
                    s.tx_rate = s.tx_bytes.saturating_sub(tx) as f64 / secs;
                    s.last = Some((now, s.rx_bytes, s.tx_bytes));
                }
                s.rx_rate > 0.0 || s.tx_rate > 0.0 || s.rx_bytes != rx || s.tx_bytes != tx
            }
        }
    }

    fn on_job(&mut self, msg: JobMsg) {
        match msg {
            JobMsg::Picked {
                purpose,
                path,
                shown,
            } => {
                let path = match (path, shown) {
                    (Some(p), _) => p,
                    (None, true) => return,
                    (None, false) => match purpose {
                        Purpose::SendFile => {
                            let msg = Msg::with(T::NoDialog, &[&"-"]);
                            return self.model.set_status(msg, true);
                        }
                        Purpose::SaveLog => jobs::fallback_path("log", "txt"),
                        Purpose::SaveRaw => jobs::fallback_path("raw", "bin"),
                        Purpose::Record => jobs::fallback_path("recv", "bin"),
                    },
                };
                self.start_file_job(purpose, path, shown);
            }
            JobMsg::Saved(path) => {
                let msg = Msg::with(T::Saved, &[&path.display()]);
                self.model.set_status(msg, false);
            }
            JobMsg::Failed(e) => {
                self.model.set_status(Msg::with(T::FileError, &[&e]), true);
                self.model.recorder = None;
            }
            JobMsg::SendDone {
                name,
                sent,
                cancelled,
            } => {
                self.model.file_send = None;
                let msg = if cancelled {
                    Msg::key(T::FileCancelled)
                } else {
                    Msg::with(T::FileDone, &[&name, &sent])
                };
                self.model.set_status(msg, false);
            }
        }
    }

    fn start_file_job(&mut self, purpose: Purpose, path: std::path::PathBuf, shown: bool) {
        let wake = self.waker();
        let tx = self.jobs_tx.clone();
        let fail = |m: &mut Model, e: &dyn std::fmt::Display| {
            m.set_status(Msg::with(T::FileError, &[e]), true);
        };
        match purpose {
            Purpose::SaveLog | Purpose::SaveRaw => {
                let opts = crate::records::TextExportOptions {
                    hex: self.model.settings.view == crate::records::View::Hex,
                    encoding: self.model.settings.encoding,
                    include_events: true,
                };
                if !shown {
                    let msg = Msg::with(T::NoDialog, &[&path.display()]);
                    self.model.set_status(msg, false);
                }
                let raw = purpose == Purpose::SaveRaw;
                jobs::save(self.log.store.clone(), path, raw, opts, tx, wake);
            }
            Purpose::Record => match Recorder::start(path, tx) {
                Ok(r) => {
                    let msg = Msg::with(T::Recording, &[&r.path().display()]);
                    self.model.set_status(msg, false);
                    self.model.recorder = Some(r);
                }
                Err(e) => fail(&mut self.model, &e),
            },
            Purpose::SendFile => {
                let (handle, target) = match self.send_target() {
                    Ok(ht) => ht,
                    Err(msg) => return self.model.set_status(msg, true),
                };
                let chunk = if self.model.settings.mode == ModeChoice::Udp {
                    UDP_FILE_CHUNK
                } else {
                    TCP_FILE_CHUNK
                };
                match FileSend::start(&path, handle, target, chunk, tx, wake) {
                    Ok(f) => self.model.file_send = Some(f),
                    Err(e) => fail(&mut self.model, &e),
                }
            }
        }
    }

    fn waker(&self) -> impl Fn() + Send + 'static {
        let ctx = self.ctx.clone();
        move || ctx.request_repaint()
    }

    /// Applies one user action.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::ToggleOpen => self.toggle_open(),
            Action::Send => self.send_box(),
            Action::Resend(i) => {
                if let Some(item) = self.model.settings.sent_history.get(i).cloned() {
                    self.send_bytes(Bytes::from(item.bytes), None);
                }
            }
            Action::UseRemote(r) => {
                if let Ok(hp) = crate::net::parse_host_port(&r) {
                    self.model.settings.remote_host = hp.host;
                    self.model.settings.remote_port = hp.port.to_string();
                }
            }
            Action::ClearLog => {
                self.log.store.clear();
                self.log.rows.rebuild(&self.log.store, &self.log.style);
                self.model.paused_at = self.model.paused_at.map(|_| self.log.store.end_seq());
            }
            Action::ResetCounters => self.model.stats = Stats::default(),
            Action::DisconnectSelected => {
                if let Ok(h) = self.engine.handle() {
                    for p in &self.model.selected {
                        let _ = h.disconnect(*p);
                    }
                }
            }
            Action::Pick(purpose) => jobs::pick(purpose, self.jobs_tx.clone(), self.waker()),
            Action::StopRecording => self.model.recorder = None,
            Action::CancelFile => {
                if let Some(f) = &self.model.file_send {
                    f.cancel();
                }
            }
            Action::StartLoop => self.start_loop(),
            Action::StopLoop => self.model.looping = None,
            Action::RefreshInterfaces => self.model.interfaces = interfaces::list(),
            Action::TogglePause => {
                self.model.paused_at = match self.model.paused_at {
                    Some(_) => None,
                    None => Some(self.log.store.end_seq()),
                };
            }
            Action::Restyle(style) => {
                self.log.style = style;
                self.log.rows.rebuild(&self.log.store, &style);
            }
        }
    }

    fn toggle_open(&mut self) {
        if self.model.link != LinkState::Closed {
            self.engine.close();
            // The worker's last events (Closed among them) are in the queue.
            while self.engine.events().try_recv().is_some_and(|e| {
                self.on_event(e);
                true
            }) {}
            self.model.link = LinkState::Closed;
            return;
        }
        self.model.errors = FieldErrors::default();
        let Some(config) = self.session_config() else {
            return;
        };
        self.model.status = None;
        self.model.link = LinkState::Opening(config.mode());
        self.model.last_sender = None;
        self.engine.open(config);
    }

    /// Checks the network fields; on any problem, says so next to the field
    /// and returns None (nothing opens).
    fn session_config(&mut self) -> Option<SessionConfig> {
        let s = &self.model.settings;
        let e = &mut self.model.errors;
        let ip = s
            .local_ip
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let ip = match ip.parse::<std::net::IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) => {
                e.local_ip = Some(Msg::with(T::ErrLocalAddr, &[&s.local_ip.trim()]));
                None
            }
        };
        let port_text = match s.mode {
            ModeChoice::TcpClient => s.client_local_port.trim(),
            _ => s.local_port.trim(),
        };
        let port = if port_text.is_empty() && s.mode == ModeChoice::TcpClient {
            Some(0)
        } else {
            match parse_port(port_text, 0) {
                Ok(p) => Some(p),
                Err(_) => {
                    e.local_port = Some(Msg::with(T::ErrPort, &[&0]));
                    None
                }
            }
        };
        let remote = match s.mode {
            ModeChoice::TcpServer => None,
            ModeChoice::TcpClient => Some(Self::remote(s, e, true)?),
            ModeChoice::Udp => Self::remote(s, e, false),
        };
        let bind = SocketAddr::new(ip?, port?);
        if let Some(r) = &remote {
            self.model.settings.remember_remote(r.to_string());
        }
        let config = match self.model.settings.mode {
            ModeChoice::TcpServer => SessionConfig::TcpServer { bind },
            ModeChoice::TcpClient => SessionConfig::TcpClient {
                remote: remote?,
                // A client binds only when asked for a fixed local port.
                bind: (bind.port() != 0).then_some(bind),
            },
            ModeChoice::Udp => SessionConfig::Udp { bind, remote },
        };
        Some(config)
    }

    /// Parses the remote fields. `required`: an empty remote is an error.
    fn remote(s: &Settings, e: &mut FieldErrors, required: bool) -> Option<HostPort> {
        let (host, port) = (s.remote_host.trim(), s.remote_port.trim());
        if host.is_empty() && port.is_empty() && !required {
            return None;
        }
        let port = match parse_port(port, 1) {
            Ok(p) => p,
            Err(_) => {
                e.remote = Some(Msg::with(T::ErrPort, &[&1]));
                return None;
            }
        };
        match HostPort::new(host, port) {
            Ok(hp) => Some(hp),
            Err(_) => {
                e.remote = Some(Msg::with(T::ErrHost, &[&host]));
                None
            }
        }
    }

    /// The open session and where a send goes now, or the message saying
    /// why nothing can be sent.
    fn send_target(&mut self) -> Result<(SessionHandle, Target), Msg> {
        let handle = match (self.model.link, self.engine.handle()) {
            (LinkState::Open(..), Ok(h)) => h,
            _ => return Err(Msg::key(T::ErrNotOpen)),
        };
        let target = match self.model.settings.mode {
            ModeChoice::TcpClient => Target::Default,
            ModeChoice::TcpServer if self.model.clients.is_empty() => {
                return Err(Msg::key(T::ErrNoClients));
            }
            ModeChoice::TcpServer if self.model.settings.to_selected => {
                if self.model.selected.is_empty() {
                    return Err(Msg::key(T::ErrNoSelection));
                }
                Target::Peers(self.model.selected.iter().copied().collect())
            }
            ModeChoice::TcpServer => Target::All,
            ModeChoice::Udp => {
                let mut errors = FieldErrors::default();
                match Self::remote(&self.model.settings, &mut errors, false) {
                    Some(hp) => Target::Host(hp),
                    None if errors.remote.is_some() => {
                        self.model.errors.remote = errors.remote.clone();
                        return Err(errors.remote.unwrap_or(Msg::key(T::ErrNoRemote)));
                    }
                    None => match self.model.last_sender {
                        Some(addr) => Target::Addr(addr),
                        None => return Err(Msg::key(T::NetNoRemote)),
                    },
                }
            }
        };
        Ok((handle, target))
    }

    /// Builds the send box's bytes, or the message for the field.
    fn payload(&self) -> Result<Bytes, Msg> {
        let s = &self.model.settings;
        if s.send_text.is_empty() {
            return Err(Msg::key(T::ErrEmpty));
        }
        match build_payload(&s.send_text, &s.send) {
            Ok(bytes) if bytes.is_empty() => Err(Msg::key(T::ErrEmpty)),
            Ok(bytes) => Ok(Bytes::from(bytes)),
            Err(e) => Err(Msg::Payload(e)),
        }
    }

    fn send_box(&mut self) {
        self.model.errors.send = None;
        let data = match self.payload() {
            Ok(d) => d,
            Err(msg) => return self.model.errors.send = Some(msg),
        };
        let label = match self.model.settings.send.mode {
            InputMode::Text => self.model.settings.send_text.clone(),
            InputMode::Hex => crate::codec::to_hex(&data),
        };
        self.send_bytes(data, Some(label));
    }

    fn send_bytes(&mut self, data: Bytes, label: Option<String>) {
        self.model.errors.send = None;
        match self.send_target() {
            Ok((handle, target)) => {
                if let Err(e) = handle.send(target, data.clone()) {
                    self.model.errors.send = Some(Msg::Net(e));
                    return;
                }
                if let Some(label) = label {
                    self.model.settings.remember_sent(SentItem {
                        label,
                        bytes: data.to_vec(),
                    });
                }
            }
            Err(msg) => self.model.errors.send = Some(msg),
        }
    }

    fn start_loop(&mut self) {
        self.model.errors.loop_ms = None;
        let every = match self.model.settings.loop_ms.trim().parse::<u64>() {
            Ok(ms) if (1..=3_600_000).contains(&ms) => Duration::from_millis(ms),
            _ => {
                self.model.errors.loop_ms = Some(Msg::key(T::ErrInterval));
                return;
            }
        };
        let data = match self.payload() {
            Ok(d) => d,
            Err(msg) => return self.model.errors.send = Some(msg),
        };
        match self.send_target() {
            Ok((_, target)) => {
                self.model.looping = Some(LoopSend {
                    every,
                    next: Instant::now(),
                    data,
                    target,
                });
            }
            Err(msg) => self.model.errors.send = Some(msg),
        }
    }
}

impl eframe::App for NetAssistApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if self.drain_events() {
            ctx.request_repaint();
        }
        self.tick();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let lang = self.model.lang();
        if self.titled != Some(lang) {
            let title = T::AppTitle.get(lang).to_string();
            ui.ctx()
                .send_viewport_cmd(egui::ViewportCommand::Title(title));
            self.titled = Some(lang);
        }
        let actions = layout::show(ui, &mut self.model, &self.log);
        for action in actions {
            self.apply(action);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.model.settings);
    }
}
