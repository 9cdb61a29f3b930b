//! What the panels read: a [`TabView`] of one session's state, built by the
//! window for each frame, and the drawing state each tab keeps ([`TabUi`]).

use std::collections::BTreeSet;

use crate::automation::Preset;
use crate::codec::payload::Payload;
use crate::codec::summary::Summary;
use crate::codec::{DisplayEncoding, SendOptions};
use crate::i18n::{Lang, T};
use crate::messages::Msg;
use crate::net::{PeerId, PeriodicProgress};
use crate::records::{RowFilter, RowIndex, RowStyle};
use crate::session::search::{Query, Search};
use crate::session::{ClientInfo, LogView};
use crate::settings::{FieldErrors, SentItem};

/// Progress of a file being sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProgress {
    /// The file's name.
    pub name: String,
    /// Bytes handed to the engine.
    pub sent: u64,
    /// The file's size.
    pub total: u64,
}

/// One tab's state as the panels see it, read-only.
#[derive(Debug, Clone)]
pub struct TabView<'a> {
    /// The UI language.
    pub lang: Lang,
    /// The session's state, copied from its log for this frame.
    pub log: LogView,
    /// Connected clients (TCP server), in connection order.
    pub clients: &'a [(PeerId, ClientInfo)],
    /// The memory budget of all tabs, in MiB.
    pub budget_mib: usize,
    /// This machine's addresses.
    pub interfaces: &'a [String],
    /// Recently used remotes.
    pub remote_history: &'a [String],
    /// Recently sent items.
    pub sent_history: &'a [SentItem],
    /// Loop sending's progress while it runs.
    pub looping: Option<PeriodicProgress>,
    /// A file is being sent.
    pub file_send: Option<FileProgress>,
    /// Messages next to fields.
    pub errors: &'a FieldErrors,
    /// The presets (shared by every tab).
    pub presets: &'a [Preset],
    /// The names of the sequences (shared by every tab).
    pub sequences: &'a [String],
}

impl TabView<'_> {
    /// A string in the UI language.
    pub fn t(&self, key: T) -> &'static str {
        key.get(self.lang)
    }
}

/// The find bar's state.
#[derive(Debug, Default)]
pub struct FindUi {
    /// What is typed.
    pub text: String,
    /// Typed as hex bytes rather than text.
    pub hex: bool,
    /// The running search, if any.
    pub search: Option<Search>,
    /// The query and display encoding the search runs with.
    pub running: Option<(Query, DisplayEncoding)>,
    /// The match shown (a record's seq).
    pub current: Option<u64>,
    /// Scroll to `current` in the next frame.
    pub jump: bool,
    /// Why the typed text is not a query (bad hex).
    pub error: Option<Msg>,
    /// Focus the field in the next frame (Ctrl+F).
    pub focus: bool,
}

/// The filter bar's state.
#[derive(Debug, Default)]
pub struct FilterUi {
    /// The filter in force.
    pub filter: RowFilter,
    /// The pattern as typed.
    pub pattern: String,
    /// Why the pattern does not compile.
    pub error: Option<String>,
}

/// The send box's state for a large input.
#[derive(Debug, Default)]
pub struct BigUi {
    /// The user chose to edit the large text in place.
    pub edit_anyway: bool,
    /// The summary and what it was made from (text size, send options).
    pub summary: Option<((usize, SendOptions), Summary)>,
}

/// The rows of the records drawn lately, so a large record (a 10 MB send)
/// is decoded and split once, not in every frame.
#[derive(Debug, Default)]
pub struct RowCache {
    entries: std::collections::VecDeque<(RowKey, std::sync::Arc<Vec<String>>)>,
}

/// What a record's rows depend on: the record, its size (a merged record
/// grows), whether it is still the newest of its stream (its last character
/// may still be completed), and the style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowKey {
    /// The record.
    pub seq: u64,
    /// Its size in bytes.
    pub len: usize,
    /// Whether it is the newest record of its stream.
    pub head: bool,
    /// The style of the rows.
    pub style: RowStyle,
    /// Which block of [`ROW_CHUNK`] rows.
    pub chunk: u32,
}

/// Rows of a record are rendered and kept in blocks of this many.
pub const ROW_CHUNK: u32 = 256;

impl RowCache {
    /// Records whose rows are kept.
    const ENTRIES: usize = 16;

    /// The rows for `key`, made by `render` if they are not kept.
    pub fn get(
        &mut self,
        key: RowKey,
        render: impl FnOnce() -> Vec<String>,
    ) -> std::sync::Arc<Vec<String>> {
        if let Some(i) = self.entries.iter().position(|(k, _)| *k == key) {
            let hit = self.entries.remove(i).map(|(_, r)| r).unwrap_or_default();
            self.entries.push_back((key, std::sync::Arc::clone(&hit)));
            return hit;
        }
        let rows = std::sync::Arc::new(render());
        self.entries.push_back((key, std::sync::Arc::clone(&rows)));
        while self.entries.len() > Self::ENTRIES {
            self.entries.pop_front();
        }
        rows
    }
}

/// What one tab keeps for drawing only.
#[derive(Debug)]
pub struct TabUi {
    /// Display rows of the log.
    pub rows: RowIndex,
    /// The style `rows` are counted and drawn in.
    pub style: RowStyle,
    /// The rows in a new width's style, while they are being counted (the
    /// log stays drawn in `style` until they cover every record).
    pub restyled: Option<RowIndex>,
    /// Paused display: the first record not shown.
    pub paused_at: Option<u64>,
    /// Clients ticked in the list.
    pub selected: BTreeSet<PeerId>,
    /// Find in the log.
    pub find: FindUi,
    /// Which rows the log shows.
    pub filter: FilterUi,
    /// A large input in the send box.
    pub big: BigUi,
    /// Rows of recently drawn records.
    pub rendered: RowCache,
    /// The checksum range as typed, and whether it parses.
    pub checksum_range: Option<(String, bool)>,
    /// The send preview and the input it was made from.
    pub preview: Option<(u64, Result<Payload, crate::codec::PayloadError>)>,
    /// Event rows whose explanation is shown.
    pub expanded: crate::ui::explained::Expanded,
    /// Round trips for the RTT column.
    pub round_trips: crate::records::RoundTrips,
    /// The client list's filter as typed, and the rows it let through.
    pub client_filter: ClientFilter,
}

/// The client list's filter: text an address must contain, and which rows
/// of the list pass it, worked out again only when the text or the set of
/// clients changes (not for every byte a client sends).
#[derive(Debug, Default)]
pub struct ClientFilter {
    /// The text typed.
    pub text: String,
    /// What `rows` was worked out for: the text, and the list's length and
    /// a sum of its ids.
    key: Option<(String, usize, u64)>,
    /// Indexes into the client list of the clients that pass.
    rows: Vec<usize>,
}

impl ClientFilter {
    /// The indexes of the clients that pass, in list order.
    pub fn rows(&mut self, clients: &[(PeerId, ClientInfo)]) -> &[usize] {
        let text = self.text.trim();
        let ids = clients
            .iter()
            .fold(0u64, |h, (id, _)| h.wrapping_mul(31).wrapping_add(id.0));
        let key = (text.to_string(), clients.len(), ids);
        if self.key.as_ref() != Some(&key) {
            self.rows.clear();
            let mut addr = String::new();
            for (i, (_, c)) in clients.iter().enumerate() {
                addr.clear();
                let _ = std::fmt::Write::write_fmt(&mut addr, format_args!("{}", c.addr));
                if addr.contains(text) {
                    self.rows.push(i);
                }
            }
            self.key = Some(key);
        }
        &self.rows
    }
}

impl TabUi {
    /// Drawing state for a tab whose log will be shown in `style`.
    pub fn new(style: RowStyle) -> TabUi {
        TabUi {
            rows: RowIndex::new(),
            style,
            restyled: None,
            paused_at: None,
            selected: BTreeSet::new(),
            find: FindUi::default(),
            filter: FilterUi::default(),
            big: BigUi::default(),
            rendered: RowCache::default(),
            checksum_range: None,
            preview: None,
            expanded: Default::default(),
            round_trips: Default::default(),
            client_filter: ClientFilter::default(),
        }
    }
}
