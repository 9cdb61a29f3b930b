//! Teaching aids that need the window's view of a tab: the one-time hint
//! that a peer uses the other encoding than the tab sends.

use std::time::{Duration, Instant, SystemTime};

use crate::records::Note;

use super::tab::Tab;

/// Longest a frame spends looking for encoding mismatches in one tab.
const WATCH_BUDGET: Duration = Duration::from_millis(2);

impl Tab {
    /// Looks at what arrived since the last frame and, for each peer that
    /// Auto shows in the other encoding than the tab sends, logs the hint
    /// once. True when everything held has been looked at.
    pub(crate) fn watch_encoding(&mut self) -> bool {
        let send = self.settings.send.encoding;
        let mut log = self.session.log();
        let found = self.encoding_watch.scan(
            &log.store,
            self.settings.encoding,
            send,
            Some(Instant::now() + WATCH_BUDGET),
        );
        for m in &found {
            let hint = Note::EncodingHint {
                shown: m.shown,
                sent: send,
            };
            log.store.push_event(SystemTime::now(), Some(m.peer), hint);
        }
        if !found.is_empty() {
            self.session.store_changed(&log);
        }
        self.encoding_watch.caught_up(&log.store)
    }
}
