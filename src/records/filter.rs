//! Which records the log shows: by peer, by direction, and by a regular
//! expression on their text. A filter only hides rows; the store, searches
//! and saved files keep every record.

use std::net::SocketAddr;

use regex::Regex;

use crate::codec::DisplayEncoding;

use super::{Direction, Record, RecordStore};

/// Largest compiled size a filter's regular expression may take.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A filter on the log's rows; the default shows everything.
#[derive(Debug, Clone)]
pub struct RowFilter {
    /// Only records of this peer (events about it included).
    pub peer: Option<SocketAddr>,
    /// Show received data.
    pub rx: bool,
    /// Show sent data.
    pub tx: bool,
    /// Show connection events.
    pub events: bool,
    /// Only data records whose text (in the display encoding) matches.
    pub pattern: Option<Regex>,
}

impl Default for RowFilter {
    fn default() -> Self {
        RowFilter {
            peer: None,
            rx: true,
            tx: true,
            events: true,
            pattern: None,
        }
    }
}

impl PartialEq for RowFilter {
    fn eq(&self, other: &Self) -> bool {
        self.peer == other.peer
            && (self.rx, self.tx, self.events) == (other.rx, other.tx, other.events)
            && self.pattern.as_ref().map(Regex::as_str) == other.pattern.as_ref().map(Regex::as_str)
    }
}

/// Compiles a filter pattern, bounded in size; the error is the regex
/// crate's message, shown next to the field.
pub fn compile_pattern(text: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(text)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

impl RowFilter {
    /// True when it hides nothing.
    pub fn is_empty(&self) -> bool {
        *self == RowFilter::default()
    }

    /// Whether the log shows `record` (its text decoded in `enc`).
    pub fn shows(&self, store: &RecordStore, record: &Record, enc: DisplayEncoding) -> bool {
        if let Some(peer) = self.peer
            && record.peer != Some(peer)
        {
            return false;
        }
        match record.dir {
            Direction::Event => self.events,
            // A relay's client-to-server rows go with the received ones
            // (the filter's first box), server-to-client with the sent.
            Direction::Rx | Direction::Up if !self.rx => false,
            Direction::Tx | Direction::Down if !self.tx => false,
            _ => match &self.pattern {
                Some(re) => re.is_match(&store.text(record.seq, enc)),
                None => true,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use bytes::Bytes;

    use super::*;
    use crate::records::{Note, StoreConfig};

    #[test]
    fn each_criterion_hides_what_it_should() {
        let mut s = RecordStore::new(StoreConfig::default());
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:2".parse().unwrap();
        let now = SystemTime::now();
        s.push_rx(now, a, Bytes::from("name:egon"));
        s.push_tx(now, a, Bytes::from("Hello egon"));
        s.push_rx(now, b, Bytes::from("你好"));
        let (local, by) = (b, crate::records::Opener::Peer);
        s.push_event(now, Some(b), Note::Connected { local, by });
        let shown = |f: &RowFilter| -> Vec<u64> {
            s.iter()
                .filter(|r| f.shows(&s, r, DisplayEncoding::Auto))
                .map(|r| r.seq)
                .collect()
        };
        assert_eq!(shown(&RowFilter::default()), [0, 1, 2, 3]);
        assert!(RowFilter::default().is_empty());
        let only_a = RowFilter {
            peer: Some(a),
            ..RowFilter::default()
        };
        assert_eq!(shown(&only_a), [0, 1]);
        let no_tx = RowFilter {
            tx: false,
            events: false,
            ..RowFilter::default()
        };
        assert_eq!(shown(&no_tx), [0, 2]);
        let re = RowFilter {
            pattern: Some(compile_pattern("^name:(\\w+)").unwrap()),
            ..RowFilter::default()
        };
        assert_eq!(shown(&re), [0, 3]);
        let zh = RowFilter {
            pattern: Some(compile_pattern("你").unwrap()),
            events: false,
            ..RowFilter::default()
        };
        assert_eq!(shown(&zh), [2]);
        assert!(compile_pattern("(").is_err());
        assert_ne!(re, zh);
    }
}
