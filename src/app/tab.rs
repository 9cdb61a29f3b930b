//! One tab of the window: its settings, its session, and what the window
//! keeps to draw it.

use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

use crate::files::{FileSend, JobMsg};
use crate::i18n::Lang;
use crate::messages::Msg;
use crate::net::{PeerId, PeriodicId, SessionHandle, Wake};
use crate::session::search::{Query, Search};
use crate::session::{ClientInfo, Counters, LinkState, Session};
use crate::settings::{FieldErrors, SessionSettings};
use crate::ui::layout;
use crate::ui::net_panel::mode_name;
use crate::ui::tabs::TabTitle;
use crate::ui::view::TabUi;

/// A loop send running on the engine's clock.
#[derive(Clone)]
pub struct LoopRun {
    /// The engine's timed send.
    pub id: PeriodicId,
    /// The session it runs on.
    pub handle: SessionHandle,
}

/// One session with its settings and drawing state.
pub struct Tab {
    /// The settings the panels edit.
    pub settings: SessionSettings,
    /// The session.
    pub session: Session,
    /// Drawing state.
    pub ui: TabUi,
    /// Messages next to fields.
    pub errors: FieldErrors,
    /// Loop sending, when running.
    pub(crate) looping: Option<LoopRun>,
    /// A file being sent.
    pub(crate) file_send: Option<FileSend>,
    pub(crate) jobs_tx: Sender<JobMsg>,
    pub(crate) jobs_rx: Receiver<JobMsg>,
    /// Received records already seen (the tab was shown after them).
    pub(crate) seen_rx: u64,
    /// The client list as last copied from the log, and its version.
    pub(crate) clients: Vec<(PeerId, ClientInfo)>,
    pub(crate) clients_version: Option<u64>,
    /// The rules last handed to the session.
    pub(crate) rules_sent: Option<(
        Vec<crate::automation::Rule>,
        crate::automation::ResponderSettings,
    )>,
    /// The close policy last handed to the session.
    pub(crate) fin_policy_sent: Option<bool>,
    /// The display and send encodings last handed to the session.
    pub(crate) encodings_sent: Option<(crate::codec::DisplayEncoding, crate::codec::TextEncoding)>,
    /// The framing rule last handed to the session.
    pub(crate) framing_sent: Option<Option<crate::records::Framing>>,
}

impl Tab {
    /// A tab over a closed `session`, with `settings`.
    pub fn new(session: Session, settings: SessionSettings) -> Tab {
        let (jobs_tx, jobs_rx) = crate::files::channel();
        let ui = TabUi::new(layout::initial_style(&settings));
        let mut tab = Tab {
            session,
            settings,
            ui,
            errors: FieldErrors::default(),
            looping: None,
            file_send: None,
            jobs_tx,
            jobs_rx,
            seen_rx: 0,
            clients: Vec::new(),
            clients_version: None,
            rules_sent: None,
            fin_policy_sent: None,
            encodings_sent: None,
            framing_sent: None,
        };
        tab.sync_session();
        tab
    }

    /// Where the link is.
    pub fn link(&self) -> LinkState {
        self.session.log().link()
    }

    /// The traffic counters.
    pub fn counters(&self) -> Counters {
        self.session.log().counters()
    }

    /// The title: its name, or mode and port (`TCP Server :8888`), with the
    /// real port once open.
    pub fn title(&self, lang: Lang) -> String {
        if let Some(name) = self.settings.name.as_ref().filter(|n| !n.is_empty()) {
            return name.clone();
        }
        let port = match self.link() {
            LinkState::Open(mode, local) if !mode.connects() && mode != crate::net::Mode::Load => {
                local.port().to_string()
            }
            _ if self.settings.mode == crate::settings::ModeChoice::WsClient => {
                crate::net::ws::WsUrl::parse(&self.settings.ws.url)
                    .map(|u| u.port.to_string())
                    .unwrap_or_default()
            }
            _ => self.settings.port_shown().to_string(),
        };
        format!("{} :{port}", mode_name(self.settings.mode, lang))
    }

    /// The strip's entry for this tab; `shown`: it is the current tab.
    pub(crate) fn strip_title(&mut self, lang: Lang, shown: bool) -> TabTitle {
        let rx = self.session.log().rx_records();
        if shown {
            self.seen_rx = rx;
        }
        TabTitle {
            text: self.title(lang),
            unread: rx != self.seen_rx,
        }
    }

    /// True while the tab's link is open or opening (closing it asks first).
    pub fn is_open(&self) -> bool {
        self.link() != LinkState::Closed
    }

    /// Copies the client list from the log when it changed.
    pub(crate) fn refresh_clients(&mut self) {
        let log = self.session.log();
        if self.clients_version != Some(log.clients_version()) {
            self.clients = log.clients().iter().map(|(p, c)| (*p, c.clone())).collect();
            self.clients_version = Some(log.clients_version());
        }
    }

    /// Keeps the search in step with the find bar: starts one for the typed
    /// query (or says why it is not one) and restarts it when the display
    /// encoding changes.
    pub(crate) fn keep_search_current(&mut self, wake: &Wake) {
        let find = &mut self.ui.find;
        let text = find.text.trim();
        if text.is_empty() {
            find.search = None;
            find.running = None;
            find.error = None;
            return;
        }
        let query = if find.hex {
            match crate::codec::parse_hex(text) {
                Ok(bytes) => Query::Bytes(bytes),
                Err(e) => {
                    find.error = Some(Msg::Payload(e.into()));
                    find.search = None;
                    find.running = None;
                    return;
                }
            }
        } else {
            Query::Text(text.to_string())
        };
        let wanted = (query, self.settings.encoding);
        if find.running.as_ref() != Some(&wanted) {
            find.error = None;
            find.current = None;
            find.search = Some(Search::start(
                self.session.shared_log(),
                wanted.0.clone(),
                wanted.1,
                Arc::clone(wake),
            ));
            find.running = Some(wanted);
        }
    }

    /// When the tab needs to be drawn again although nothing arrived (the
    /// rates and the plot move each second while traffic is recent).
    pub(crate) fn next_tick(&self, now: Instant) -> Option<std::time::Duration> {
        let log = self.session.log();
        log.throughput()
            .is_active(now)
            .then(|| log.throughput().next_tick(now))
    }
}
