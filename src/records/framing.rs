//! Message framing views: each peer's received bytes grouped into messages
//! by a rule the user picks, over the raw reads the store keeps.
//!
//! Raw reads stay the truth: a [`Framer`] copies no payload. Each
//! [`Message`] points into the store (where it starts, how long it is) and
//! knows how many reads it came from, so a view can show that TCP is a
//! byte stream: one `send` may arrive in several reads, several sends in
//! one read. Framing is incremental ([`Framer::update`] reads only what is
//! new) and re-runs over every record held when the rule changes
//! ([`Framer::set_framing`]).
//!
//! Bounded: no message is longer than [`Framer::max_message`] (a bogus
//! length prefix or a missing delimiter is cut there and says so), and at
//! most [`Framer::max_messages`] messages are indexed, the oldest dropped
//! first.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use thiserror::Error;

use super::record::{Direction, Note, Record};
use super::store::RecordStore;

/// Longest message by default: 1 MiB.
pub const DEFAULT_MAX_MESSAGE: usize = 1024 * 1024;

/// Most messages indexed by default.
pub const DEFAULT_MAX_MESSAGES: usize = 1_000_000;

/// Longest delimiter accepted.
pub const MAX_DELIMITER: usize = 16;

/// How many bytes a length prefix has.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum PrefixWidth {
    /// One byte (0 to 255).
    One,
    /// Two bytes.
    Two,
    /// Four bytes.
    Four,
}

impl PrefixWidth {
    /// The width in bytes.
    pub fn bytes(self) -> usize {
        match self {
            PrefixWidth::One => 1,
            PrefixWidth::Two => 2,
            PrefixWidth::Four => 4,
        }
    }
}

/// Byte order of a length prefix.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Most significant byte first (network order).
    Big,
    /// Least significant byte first.
    Little,
}

/// A length field in front of each message.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct LengthPrefix {
    /// Size of the field.
    pub width: PrefixWidth,
    /// Byte order of the field.
    pub endian: Endian,
    /// Whether the length counts the field itself.
    pub counts_header: bool,
}

impl LengthPrefix {
    fn decode(self, header: &[u8]) -> u32 {
        let value = |bytes: &mut dyn Iterator<Item = &u8>| {
            bytes.fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
        };
        match self.endian {
            Endian::Big => value(&mut header.iter()),
            Endian::Little => value(&mut header.iter().rev()),
        }
    }
}

/// How received bytes are grouped into messages.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Framing {
    /// A message ends with this byte sequence (`\n`, `\r\n`, or any bytes
    /// given as hex); the delimiter belongs to the message it ends.
    Delimiter(Vec<u8>),
    /// Every message has this many bytes.
    FixedLength(usize),
    /// Each message starts with its length.
    LengthPrefix(LengthPrefix),
    /// A message ends when the peer is silent for longer than this.
    IdleGap(Duration),
}

/// A framing rule that cannot be used.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FramingError {
    /// The delimiter has no bytes.
    #[error("the delimiter is empty")]
    EmptyDelimiter,
    /// The delimiter is longer than [`MAX_DELIMITER`].
    #[error("the delimiter has {0} bytes; at most {MAX_DELIMITER} are allowed")]
    DelimiterTooLong(usize),
    /// A fixed length of zero.
    #[error("a fixed message length must be at least 1 byte")]
    ZeroLength,
    /// A fixed length over the message limit.
    #[error("a fixed message length of {0} bytes is over the limit of {1} bytes")]
    LengthOverLimit(usize, usize),
    /// An idle gap of zero.
    #[error("an idle gap must be at least 1 ms")]
    ZeroGap,
    /// A length prefix wider than the message limit: the prefix alone would
    /// be a message over the limit.
    #[error("a {0}-byte length prefix does not fit the message limit of {1} bytes")]
    PrefixOverLimit(usize, usize),
}

/// How a message ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Cut {
    /// By the framing rule: delimiter seen, length reached, or silence.
    Complete,
    /// The length prefix announced more than the limit: the message is the
    /// prefix alone, and framing goes on right after it.
    DeclaredTooLong {
        /// The length the prefix announced.
        declared: u32,
    },
    /// The prefix counts itself but announced less than its own size: the
    /// message is the prefix alone.
    DeclaredTooShort {
        /// The length the prefix announced.
        declared: u32,
    },
    /// No end within the limit: cut at [`Framer::max_message`] bytes.
    OverLimit,
    /// The connection or session ended in the middle of the message.
    Unfinished,
}

/// One framed message: where its bytes are in the store, and how they came.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    peer: SocketAddr,
    dir: Direction,
    start_seq: u64,
    end_seq: u64,
    start_off: u32,
    len: u32,
    reads: u32,
    head: u8,
    tail: u8,
    cut: Cut,
}

impl Message {
    /// Who sent it (a relay's: the pair's client).
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Which way it went: [`Direction::Rx`], or a relay's
    /// [`Direction::Up`] or [`Direction::Down`].
    pub fn dir(&self) -> Direction {
        self.dir
    }

    /// Its length in bytes, prefix and delimiter included.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether it has no bytes (only an empty length-prefixed message can).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many reads its bytes came from.
    pub fn reads(&self) -> u32 {
        self.reads
    }

    /// Whether a read boundary fell inside it (it came from several reads).
    pub fn is_split(&self) -> bool {
        self.reads > 1
    }

    /// How it ended.
    pub fn cut(&self) -> Cut {
        self.cut
    }

    /// Length of the prefix at its start (0 unless framed by length).
    #[cfg(test)]
    pub fn header_len(&self) -> usize {
        usize::from(self.head)
    }

    /// Seq of the record holding its first byte.
    pub fn start_seq(&self) -> u64 {
        self.start_seq
    }

    /// Seq of the record holding its last byte.
    pub fn end_seq(&self) -> u64 {
        self.end_seq
    }
}

/// A message still arriving: bytes at the end of a peer's stream that do
/// not finish a message yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Who is sending it.
    pub peer: SocketAddr,
    /// Which way it goes.
    pub dir: Direction,
    /// Seq of the record holding its first byte.
    pub start_seq: u64,
    /// Offset of its first byte in that record.
    pub start_off: u32,
    /// Bytes so far.
    pub len: usize,
    /// Reads so far.
    pub reads: u32,
}

/// One stream of reads: its peer (a relay's client) and direction.
type Stream = (SocketAddr, Direction);

/// What a partial message is waiting for.
#[derive(Clone, Debug)]
enum Wait {
    /// Delimiter: how many of its bytes the stream's end matches.
    Delimiter { matched: usize },
    /// Fixed length: nothing beyond the count.
    Fixed,
    /// Length prefix: the header bytes so far, then the body left.
    Prefix {
        header: [u8; 4],
        have: usize,
        body_left: usize,
    },
    /// Idle gap: when the last read came.
    Gap { last: SystemTime },
}

/// The message a peer is in the middle of.
#[derive(Clone, Debug)]
struct Partial {
    start_seq: u64,
    start_off: u32,
    len: usize,
    reads: u32,
    /// The read that last added bytes: (record seq, read index).
    last_read: Option<(u64, usize)>,
    wait: Wait,
}

/// Where the framer has read up to in the store.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Cursor {
    seq: u64,
    offset: usize,
}

/// Groups the RX bytes of each peer in a [`RecordStore`] into messages and
/// indexes them for a view that pages through them by number.
#[derive(Clone, Debug)]
pub struct Framer {
    framing: Framing,
    /// KMP failure table of the delimiter.
    fail: Vec<usize>,
    max_message: usize,
    max_messages: usize,
    messages: VecDeque<Message>,
    first_index: u64,
    partials: HashMap<Stream, Partial>,
    cursor: Option<Cursor>,
    first_split: Option<u64>,
    restarts: u64,
}

impl Framer {
    /// A framer for `framing` with the default limits.
    pub fn new(framing: Framing) -> Result<Framer, FramingError> {
        Framer::with_limits(framing, DEFAULT_MAX_MESSAGE, DEFAULT_MAX_MESSAGES)
    }

    /// A framer whose messages are at most `max_message` bytes (at least 1)
    /// and which indexes at most `max_messages` messages (at least 1).
    pub fn with_limits(
        framing: Framing,
        max_message: usize,
        max_messages: usize,
    ) -> Result<Framer, FramingError> {
        let max_message = max_message.clamp(1, u32::MAX as usize);
        check(&framing, max_message)?;
        Ok(Framer {
            fail: failure_table(&framing),
            framing,
            max_message,
            max_messages: max_messages.max(1),
            messages: VecDeque::new(),
            first_index: 0,
            partials: HashMap::new(),
            cursor: None,
            first_split: None,
            restarts: 0,
        })
    }

    /// The rule in force.
    pub fn framing(&self) -> &Framing {
        &self.framing
    }

    /// Longest message; longer ones are cut and marked.
    pub fn max_message(&self) -> usize {
        self.max_message
    }

    /// Most messages indexed at once.
    pub fn max_messages(&self) -> usize {
        self.max_messages
    }

    /// Changes the rule and frames every record held again.
    pub fn set_framing(
        &mut self,
        framing: Framing,
        store: &RecordStore,
    ) -> Result<(), FramingError> {
        check(&framing, self.max_message)?;
        self.fail = failure_table(&framing);
        self.framing = framing;
        self.rebuild(store);
        Ok(())
    }

    /// Forgets every message and frames every record held again.
    pub fn rebuild(&mut self, store: &RecordStore) {
        self.first_index += self.messages.len() as u64;
        self.messages.clear();
        self.partials.clear();
        self.cursor = None;
        self.first_split = None;
        self.update(store);
    }

    /// Frames what the store received since the last call. When the store
    /// dropped records the framer had not read yet, partial messages are
    /// abandoned and framing starts again at the oldest record held (see
    /// [`restarts`](Self::restarts)).
    pub fn update(&mut self, store: &RecordStore) {
        self.update_until(store, None);
    }

    /// Like [`update`](Self::update), stopping at `deadline` (looking at
    /// the clock every 256 records), so a view can frame a huge store over
    /// several frames; true when every record held has been framed. The
    /// result is the same however the work is sliced.
    pub fn update_until(&mut self, store: &RecordStore, deadline: Option<Instant>) -> bool {
        let first = store.first_seq();
        let mut cursor = match self.cursor {
            Some(c) if c.seq >= first => c,
            Some(_) => {
                self.partials.clear();
                self.restarts += 1;
                Cursor {
                    seq: first,
                    offset: 0,
                }
            }
            None => Cursor {
                seq: first,
                offset: 0,
            },
        };
        while let Some(front) = self.messages.front()
            && front.end_seq < first
        {
            self.messages.pop_front();
            self.first_index += 1;
        }
        let end = store.end_seq();
        let mut counted = 0u32;
        let mut done = true;
        while cursor.seq < end {
            let Some(record) = store.get(cursor.seq) else {
                break;
            };
            self.take(record, cursor.offset);
            let newest = cursor.seq + 1 == end;
            cursor = if newest && record.dir.is_read() {
                // The newest RX record may still grow by merged reads.
                Cursor {
                    seq: cursor.seq,
                    offset: record.bytes.len(),
                }
            } else {
                Cursor {
                    seq: cursor.seq + 1,
                    offset: 0,
                }
            };
            if newest {
                break;
            }
            counted = counted.wrapping_add(1);
            if counted.is_multiple_of(256) && deadline.is_some_and(|d| Instant::now() >= d) {
                done = false;
                break;
            }
        }
        self.cursor = Some(cursor);
        done
    }

    /// How far framing has got: the seq of the next record to frame (the
    /// newest record's own seq once caught up).
    pub fn framed_to(&self) -> Option<u64> {
        self.cursor.map(|c| c.seq)
    }

    /// With an idle-gap rule, ends every message whose peer has been silent
    /// for longer than the gap at `now`. Other rules do nothing.
    pub fn settle(&mut self, now: SystemTime) {
        let Framing::IdleGap(gap) = self.framing else {
            return;
        };
        let quiet: Vec<Stream> = self
            .sorted_partials()
            .into_iter()
            .filter(|(_, p)| match p.wait {
                Wait::Gap { last } => now.duration_since(last).is_ok_and(|d| d > gap),
                _ => false,
            })
            .map(|(peer, _)| peer)
            .collect();
        for peer in quiet {
            self.end_partial(peer, Cut::Complete);
        }
    }

    /// Number of the oldest message indexed.
    pub fn first_index(&self) -> u64 {
        self.first_index
    }

    /// One past the number of the newest message.
    pub fn end_index(&self) -> u64 {
        self.first_index + self.messages.len() as u64
    }

    /// Messages indexed.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether no message is indexed.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Message number `index`, if still indexed. O(1).
    pub fn get(&self, index: u64) -> Option<&Message> {
        let i = usize::try_from(index.checked_sub(self.first_index)?).ok()?;
        self.messages.get(i)
    }

    /// Number of the first message that came from several reads, for a
    /// one-time hint that TCP has no message boundaries.
    pub fn first_split(&self) -> Option<u64> {
        self.first_split
    }

    /// Times framing had to start again because the store dropped records
    /// before they were framed.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// Messages still arriving, oldest first.
    pub fn pending(&self) -> Vec<Pending> {
        self.sorted_partials()
            .into_iter()
            .map(|((peer, dir), p)| Pending {
                peer,
                dir,
                start_seq: p.start_seq,
                start_off: p.start_off,
                len: p.len,
                reads: p.reads,
            })
            .collect()
    }

    /// The bytes of `message`: borrowed when they lie in one record.
    /// `None` when its first record has been dropped from the store.
    pub fn bytes<'s>(&self, store: &'s RecordStore, message: &Message) -> Option<Cow<'s, [u8]>> {
        bytes_at(store, message.start_seq, message.start_off, message.len())
    }

    /// The first `max` bytes of `message` (all of it when shorter), for a
    /// view that shows only the start of a long message.
    pub fn bytes_up_to<'s>(
        &self,
        store: &'s RecordStore,
        message: &Message,
        max: usize,
    ) -> Option<Cow<'s, [u8]>> {
        bytes_at(
            store,
            message.start_seq,
            message.start_off,
            message.len().min(max),
        )
    }

    /// The bytes of a message still arriving, so far (at most `max`).
    pub fn pending_bytes<'s>(
        &self,
        store: &'s RecordStore,
        pending: &Pending,
        max: usize,
    ) -> Option<Cow<'s, [u8]>> {
        bytes_at(
            store,
            pending.start_seq,
            pending.start_off,
            pending.len.min(max),
        )
    }

    /// When the first byte of `message` was read (`None` once dropped).
    pub fn time(&self, store: &RecordStore, message: &Message) -> Option<SystemTime> {
        store.get(message.start_seq).map(|r| r.time)
    }

    /// Frames one record from byte `offset` on.
    fn take(&mut self, record: &Record, offset: usize) {
        match (record.dir, record.peer) {
            (dir, Some(peer)) if dir.is_read() => {
                let mut start = 0;
                for (i, read) in record.read_slices().enumerate() {
                    let end = start + read.len();
                    if end > offset {
                        let from = offset.max(start);
                        let bytes = &record.bytes[from..end];
                        self.take_read((peer, dir), record, (i, from), bytes);
                    }
                    start = end;
                }
            }
            (Direction::Event, peer) => match (record.note.as_deref(), peer) {
                (
                    Some(
                        Note::ClosedByPeer | Note::Reset | Note::Disconnected | Note::Error { .. },
                    ),
                    Some(peer),
                ) => {
                    let cut = self.end_cut();
                    self.end_partial((peer, Direction::Rx), cut);
                    self.end_partial((peer, Direction::Up), cut);
                    self.end_partial((peer, Direction::Down), cut);
                }
                (Some(Note::Opened { .. } | Note::Closed), _) => {
                    let cut = self.end_cut();
                    let streams: Vec<Stream> = self
                        .sorted_partials()
                        .iter()
                        .map(|(stream, _)| *stream)
                        .collect();
                    for stream in streams {
                        self.end_partial(stream, cut);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// How a message cut short by a close ends: silence completes it.
    fn end_cut(&self) -> Cut {
        match self.framing {
            Framing::IdleGap(_) => Cut::Complete,
            _ => Cut::Unfinished,
        }
    }

    /// Frames the bytes of one read (`at` = read index, offset in record).
    fn take_read(&mut self, peer: Stream, record: &Record, at: (usize, usize), bytes: &[u8]) {
        let read_id = (record.seq, at.0);
        // The peer's partial message is worked on outside the map: one
        // lookup per read, however many messages the read holds.
        let mut partial = self.partials.remove(&peer);
        if let Framing::IdleGap(gap) = self.framing
            && let Some(p) = partial.take_if(|p| match p.wait {
                Wait::Gap { last } => {
                    p.len > 0 && record.time.duration_since(last).is_ok_and(|d| d > gap)
                }
                _ => false,
            })
        {
            let end_seq = p.last_read.map_or(p.start_seq, |(seq, _)| seq);
            self.push_message(peer, p, end_seq, Cut::Complete, 0, 0);
        }
        let mut pos = 0;
        while pos < bytes.len() {
            let p = partial.get_or_insert_with(|| Partial {
                start_seq: record.seq,
                start_off: u32::try_from(at.1 + pos).unwrap_or(u32::MAX),
                len: 0,
                reads: 0,
                last_read: None,
                wait: fresh_wait(&self.framing, record.time),
            });
            let rest = &bytes[pos..];
            let (used, cut) = step(
                p,
                &self.framing,
                &self.fail,
                self.max_message,
                rest,
                record.time,
            );
            if used > 0 && p.last_read != Some(read_id) {
                p.reads += 1;
                p.last_read = Some(read_id);
            }
            p.len += used;
            pos += used;
            if let Some((cut, head, tail)) = cut
                && let Some(done) = partial.take()
            {
                self.push_message(peer, done, record.seq, cut, head, tail);
            }
        }
        if let Some(p) = partial {
            self.partials.insert(peer, p);
        }
    }

    /// Ends a peer's partial message, if it has bytes.
    fn end_partial(&mut self, peer: Stream, cut: Cut) {
        let Some(p) = self.partials.remove(&peer) else {
            return;
        };
        if p.len == 0 {
            return;
        }
        let end_seq = p.last_read.map_or(p.start_seq, |(seq, _)| seq);
        let head = match p.wait {
            Wait::Prefix { have, .. } => have,
            _ => 0,
        };
        self.push_message(peer, p, end_seq, cut, head, 0);
    }

    /// Indexes a finished message.
    fn push_message(
        &mut self,
        (peer, dir): Stream,
        p: Partial,
        end_seq: u64,
        cut: Cut,
        head: usize,
        tail: usize,
    ) {
        let message = Message {
            peer,
            dir,
            start_seq: p.start_seq,
            end_seq,
            start_off: p.start_off,
            len: u32::try_from(p.len).unwrap_or(u32::MAX),
            reads: p.reads,
            head: u8::try_from(head).unwrap_or(u8::MAX),
            tail: u8::try_from(tail).unwrap_or(u8::MAX),
            cut,
        };
        if message.is_split() && self.first_split.is_none() {
            self.first_split = Some(self.end_index());
        }
        self.messages.push_back(message);
        if self.messages.len() > self.max_messages {
            self.messages.pop_front();
            self.first_index += 1;
        }
    }

    /// Partial messages ordered by where they start.
    fn sorted_partials(&self) -> Vec<(Stream, &Partial)> {
        let mut all: Vec<(Stream, &Partial)> = self.partials.iter().map(|(k, v)| (*k, v)).collect();
        all.sort_by_key(|((peer, _), p)| (p.start_seq, p.start_off, *peer));
        all
    }
}

/// `len` bytes of a peer's stream from byte `off` of record `seq` on,
/// following the stream's records; borrowed when they lie in one record.
fn bytes_at(store: &RecordStore, seq: u64, off: u32, len: usize) -> Option<Cow<'_, [u8]>> {
    let mut record = store.get(seq)?;
    let mut off = off as usize;
    let mut left = len;
    let first = record.bytes.get(off..)?;
    if first.len() >= left {
        return Some(Cow::Borrowed(&first[..left]));
    }
    let mut out = Vec::with_capacity(left);
    loop {
        let part = record.bytes.get(off..)?;
        let take = part.len().min(left);
        out.extend_from_slice(&part[..take]);
        left -= take;
        if left == 0 {
            return Some(Cow::Owned(out));
        }
        if record.next == 0 {
            return None;
        }
        record = store.get(record.seq + u64::from(record.next))?;
        off = 0;
    }
}

/// The waiting state a new message starts in.
fn fresh_wait(framing: &Framing, time: SystemTime) -> Wait {
    match framing {
        Framing::Delimiter(_) => Wait::Delimiter { matched: 0 },
        Framing::FixedLength(_) => Wait::Fixed,
        Framing::LengthPrefix(_) => Wait::Prefix {
            header: [0; 4],
            have: 0,
            body_left: 0,
        },
        Framing::IdleGap(_) => Wait::Gap { last: time },
    }
}

/// Checks a rule against the message limit.
fn check(framing: &Framing, max_message: usize) -> Result<(), FramingError> {
    match framing {
        Framing::Delimiter(d) if d.is_empty() => Err(FramingError::EmptyDelimiter),
        Framing::Delimiter(d) if d.len() > MAX_DELIMITER => {
            Err(FramingError::DelimiterTooLong(d.len()))
        }
        Framing::FixedLength(0) => Err(FramingError::ZeroLength),
        Framing::FixedLength(n) if *n > max_message => {
            Err(FramingError::LengthOverLimit(*n, max_message))
        }
        Framing::IdleGap(gap) if gap.is_zero() => Err(FramingError::ZeroGap),
        Framing::LengthPrefix(p) if p.width.bytes() > max_message => {
            Err(FramingError::PrefixOverLimit(p.width.bytes(), max_message))
        }
        _ => Ok(()),
    }
}

/// The KMP failure table of a delimiter (empty for other rules).
fn failure_table(framing: &Framing) -> Vec<usize> {
    let Framing::Delimiter(d) = framing else {
        return Vec::new();
    };
    let mut fail = vec![0; d.len()];
    let mut k = 0;
    for i in 1..d.len() {
        while k > 0 && d[i] != d[k] {
            k = fail[k - 1];
        }
        if d[i] == d[k] {
            k += 1;
        }
        fail[i] = k;
    }
    fail
}

/// How a message just ended: its cut, prefix length and delimiter length.
type Ending = (Cut, usize, usize);

/// Feeds `bytes` to a partial message: returns how many it takes and, when
/// the message ends within them, how it ends.
fn step(
    p: &mut Partial,
    framing: &Framing,
    fail: &[usize],
    max: usize,
    bytes: &[u8],
    time: SystemTime,
) -> (usize, Option<Ending>) {
    let room = max - p.len.min(max);
    match (&mut p.wait, framing) {
        (Wait::Delimiter { matched }, Framing::Delimiter(d)) => {
            let limit = bytes.len().min(room);
            let mut i = 0;
            while i < limit {
                if *matched == 0 {
                    // Skip quickly to the next possible start.
                    match bytes[i..limit].iter().position(|&b| b == d[0]) {
                        Some(skip) => i += skip,
                        None => {
                            i = limit;
                            break;
                        }
                    }
                }
                let b = bytes[i];
                while *matched > 0 && b != d[*matched] {
                    *matched = fail[*matched - 1];
                }
                if b == d[*matched] {
                    *matched += 1;
                }
                i += 1;
                if *matched == d.len() {
                    return (i, Some((Cut::Complete, 0, d.len())));
                }
            }
            if p.len + i >= max {
                return (i, Some((Cut::OverLimit, 0, 0)));
            }
            (i, None)
        }
        (Wait::Fixed, Framing::FixedLength(n)) => {
            let take = bytes.len().min(n - p.len);
            let done = p.len + take == *n;
            (take, done.then_some((Cut::Complete, 0, 0)))
        }
        (
            Wait::Prefix {
                header,
                have,
                body_left,
            },
            Framing::LengthPrefix(prefix),
        ) => {
            let width = prefix.width.bytes();
            if *have < width {
                let take = bytes.len().min(width - *have);
                header[*have..*have + take].copy_from_slice(&bytes[..take]);
                *have += take;
                if *have < width {
                    return (take, None);
                }
                let declared = prefix.decode(&header[..width]);
                let body = if prefix.counts_header {
                    match (declared as usize).checked_sub(width) {
                        Some(body) => body,
                        None => {
                            let cut = Cut::DeclaredTooShort { declared };
                            return (take, Some((cut, width, 0)));
                        }
                    }
                } else {
                    declared as usize
                };
                if width + body > max {
                    let cut = Cut::DeclaredTooLong { declared };
                    return (take, Some((cut, width, 0)));
                }
                *body_left = body;
                if body == 0 {
                    return (take, Some((Cut::Complete, width, 0)));
                }
                return (take, None);
            }
            let take = bytes.len().min(*body_left);
            *body_left -= take;
            let done = *body_left == 0;
            (take, done.then_some((Cut::Complete, width, 0)))
        }
        (Wait::Gap { last }, Framing::IdleGap(_)) => {
            *last = time;
            let take = bytes.len().min(room);
            let full = p.len + take >= max;
            (take, full.then_some((Cut::OverLimit, 0, 0)))
        }
        // A partial always waits the way its rule does: rules change only
        // through `set_framing`, which drops every partial.
        _ => (bytes.len(), Some((Cut::Unfinished, 0, 0))),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use proptest::prelude::*;

    use super::*;
    use crate::records::StoreConfig;

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    /// A store holding `reads` from peer 1, one read per ms.
    fn store_of(reads: &[&[u8]]) -> RecordStore {
        let mut s = RecordStore::default();
        for (i, r) in reads.iter().enumerate() {
            s.push_rx(at(i as u64), peer(1), Bytes::copy_from_slice(r));
        }
        s
    }

    /// (bytes, reads, cut) of every message.
    fn framed(framer: &Framer, store: &RecordStore) -> Vec<(Vec<u8>, u32, Cut)> {
        (framer.first_index()..framer.end_index())
            .filter_map(|i| framer.get(i))
            .map(|m| {
                let bytes = framer.bytes(store, m).expect("bytes held").into_owned();
                assert_eq!(bytes.len(), m.len());
                (bytes, m.reads(), m.cut())
            })
            .collect()
    }

    fn frame(framing: Framing, reads: &[&[u8]]) -> Vec<(Vec<u8>, u32, Cut)> {
        let store = store_of(reads);
        let mut f = Framer::new(framing).unwrap();
        f.update(&store);
        framed(&f, &store)
    }

    fn msg(bytes: &[u8], reads: u32) -> (Vec<u8>, u32, Cut) {
        (bytes.to_vec(), reads, Cut::Complete)
    }

    const LF: fn() -> Framing = || Framing::Delimiter(b"\n".to_vec());

    #[test]
    fn delimiter_messages_across_and_within_reads() {
        let got = frame(LF(), &[b"hel", b"lo\nwor", b"ld\n\nx"]);
        assert_eq!(got, [msg(b"hello\n", 2), msg(b"world\n", 2), msg(b"\n", 1)]);
        let got = frame(
            Framing::Delimiter(b"\r\n".to_vec()),
            &[b"a\r", b"\nb\r\r\n"],
        );
        assert_eq!(got, [msg(b"a\r\n", 2), msg(b"b\r\r\n", 1)]);
        // A delimiter whose start repeats inside it.
        let got = frame(Framing::Delimiter(b"abab".to_vec()), &[b"xaba", b"bab"]);
        assert_eq!(got, [msg(b"xabab", 2)]);
        // A mismatch after a partial match may still be a match's start.
        let got = frame(
            Framing::Delimiter(b"aab".to_vec()),
            &[b"aa", b"ab", b"aaaab"],
        );
        assert_eq!(got, [msg(b"aaab", 2), msg(b"aaaab", 1)]);
    }

    #[test]
    fn fixed_length_and_pending_rest() {
        let store = store_of(&[b"abcde", b"fgh"]);
        let mut f = Framer::new(Framing::FixedLength(3)).unwrap();
        f.update(&store);
        assert_eq!(framed(&f, &store), [msg(b"abc", 1), msg(b"def", 2)]);
        assert_eq!(
            f.pending(),
            [Pending {
                peer: peer(1),
                dir: Direction::Rx,
                start_seq: 1,
                start_off: 1,
                len: 2,
                reads: 1
            }]
        );
        assert_eq!(f.first_split(), Some(1));
        let p = &f.pending()[0];
        assert_eq!(f.pending_bytes(&store, p, 10).as_deref(), Some(&b"gh"[..]));
        assert_eq!(f.pending_bytes(&store, p, 1).as_deref(), Some(&b"g"[..]));
    }

    #[test]
    fn framing_over_several_slices_gives_what_one_pass_gives() {
        let reads: Vec<Vec<u8>> = (0..5000u32)
            .map(|i| format!("{i}\n{}", "x".repeat((i % 7) as usize)).into_bytes())
            .collect();
        let slices: Vec<&[u8]> = reads.iter().map(Vec::as_slice).collect();
        let store = store_of(&slices);
        let mut whole = Framer::new(LF()).unwrap();
        whole.update(&store);
        let mut sliced = Framer::new(LF()).unwrap();
        // A deadline already passed still frames 256 records per call.
        let mut calls = 1;
        while !sliced.update_until(&store, Some(Instant::now())) {
            calls += 1;
            assert!(sliced.framed_to() < Some(store.end_seq() - 1));
        }
        assert!(calls >= 19, "{calls}");
        assert_eq!(framed(&sliced, &store), framed(&whole, &store));
        assert_eq!(sliced.pending(), whole.pending());
        assert_eq!(sliced.framed_to(), Some(store.end_seq() - 1));
    }

    fn prefix(width: PrefixWidth, endian: Endian, counts_header: bool) -> Framing {
        Framing::LengthPrefix(LengthPrefix {
            width,
            endian,
            counts_header,
        })
    }

    #[test]
    fn length_prefixes() {
        let two_be = prefix(PrefixWidth::Two, Endian::Big, false);
        let got = frame(two_be, &[b"\x00\x03ab", b"c\x00\x00\x00"]);
        assert_eq!(got, [msg(b"\x00\x03abc", 2), msg(b"\x00\x00", 1)]);
        let four_le = prefix(PrefixWidth::Four, Endian::Little, true);
        let got = frame(four_le, &[b"\x06\x00", b"\x00\x00hi"]);
        assert_eq!(got, [msg(b"\x06\x00\x00\x00hi", 2)]);
        let one = prefix(PrefixWidth::One, Endian::Big, false);
        assert_eq!(
            frame(one, &[b"\x01A\x02BC"]),
            [msg(b"\x01A", 1), msg(b"\x02BC", 1)]
        );
    }

    #[test]
    fn bogus_length_prefix_is_capped_and_said() {
        // "hello" read as a 4-byte big-endian length is 1,751,477,356.
        let four = prefix(PrefixWidth::Four, Endian::Big, false);
        let store = store_of(&[b"hello"]);
        let mut f = Framer::with_limits(four, 1000, 10).unwrap();
        f.update(&store);
        let m = f.get(0).unwrap();
        assert_eq!(
            m.cut(),
            Cut::DeclaredTooLong {
                declared: 0x6865_6C6C
            }
        );
        assert_eq!((m.len(), m.header_len()), (4, 4));
        // Framing goes on after the header: "o" waits as the next prefix.
        assert_eq!(f.pending().len(), 1);
        // A self-counting length below the header's own size.
        let short = prefix(PrefixWidth::Two, Endian::Big, true);
        let got = frame(short, &[b"\x00\x01\x00\x02"]);
        assert_eq!(
            got,
            [
                (
                    b"\x00\x01".to_vec(),
                    1,
                    Cut::DeclaredTooShort { declared: 1 }
                ),
                msg(b"\x00\x02", 1)
            ]
        );
    }

    #[test]
    fn missing_delimiter_is_cut_at_the_limit() {
        let store = store_of(&[&[b'x'; 700], &[b'x'; 700]]);
        let mut f = Framer::with_limits(LF(), 1000, 10).unwrap();
        f.update(&store);
        let got = framed(&f, &store);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0.len(), got[0].2), (1000, Cut::OverLimit));
        assert_eq!(f.pending()[0].len, 400);
    }

    #[test]
    fn idle_gap_groups_reads_and_settles() {
        let mut s = RecordStore::default();
        s.push_rx(at(0), peer(1), Bytes::from_static(b"a"));
        s.push_rx(at(10), peer(1), Bytes::from_static(b"b")); // gap 10: joins
        s.push_rx(at(21), peer(1), Bytes::from_static(b"c")); // gap 11: new
        let mut f = Framer::new(Framing::IdleGap(Duration::from_millis(10))).unwrap();
        f.update(&s);
        assert_eq!(framed(&f, &s), [msg(b"ab", 2)]);
        f.settle(at(31));
        assert_eq!(f.len(), 1, "not yet quiet for longer than the gap");
        f.settle(at(32));
        assert_eq!(framed(&f, &s), [msg(b"ab", 2), msg(b"c", 1)]);
    }

    #[test]
    fn close_ends_a_partial_message_as_unfinished() {
        let mut s = store_of(&[b"one\ntw"]);
        s.push_rx(at(5), peer(2), Bytes::from_static(b"other"));
        s.push_event(at(6), Some(peer(1)), Note::ClosedByPeer);
        let mut f = Framer::new(LF()).unwrap();
        f.update(&s);
        assert_eq!(
            framed(&f, &s),
            [msg(b"one\n", 1), (b"tw".to_vec(), 1, Cut::Unfinished)]
        );
        assert_eq!(f.pending()[0].peer, peer(2));
        s.push_event(at(7), None, Note::Closed);
        f.update(&s);
        assert_eq!(f.len(), 3);
        assert!(f.pending().is_empty());
    }

    #[test]
    fn peers_are_framed_apart_and_tx_is_ignored() {
        let mut s = RecordStore::default();
        s.push_rx(at(0), peer(1), Bytes::from_static(b"a1"));
        s.push_rx(at(1), peer(2), Bytes::from_static(b"b1\nb"));
        s.push_tx(at(2), peer(1), Bytes::from_static(b"tx\n"));
        s.push_rx(at(3), peer(1), Bytes::from_static(b"\n"));
        let mut f = Framer::new(LF()).unwrap();
        f.update(&s);
        let got: Vec<(SocketAddr, Vec<u8>)> = (0..f.end_index())
            .map(|i| {
                let m = f.get(i).unwrap();
                (m.peer(), f.bytes(&s, m).unwrap().into_owned())
            })
            .collect();
        assert_eq!(
            got,
            [(peer(2), b"b1\n".to_vec()), (peer(1), b"a1\n".to_vec())]
        );
        assert_eq!(f.get(1).map(Message::is_split), Some(true));
    }

    #[test]
    fn merged_records_keep_their_reads_and_keep_growing() {
        let mut s = RecordStore::new(StoreConfig {
            merge_window: Some(Duration::from_millis(100)),
            ..StoreConfig::default()
        });
        let mut f = Framer::new(LF()).unwrap();
        s.push_rx(at(0), peer(1), Bytes::from_static(b"ab"));
        f.update(&s);
        s.push_rx(at(1), peer(1), Bytes::from_static(b"c\nd"));
        f.update(&s);
        s.push_rx(at(2), peer(1), Bytes::from_static(b"\n"));
        f.update(&s);
        assert_eq!(s.len(), 1, "one merged record");
        assert_eq!(framed(&f, &s), [msg(b"abc\n", 2), msg(b"d\n", 2)]);
    }

    #[test]
    fn dropped_records_drop_messages_and_restart() {
        let mut s = RecordStore::new(StoreConfig {
            max_records: 2,
            ..StoreConfig::default()
        });
        let mut f = Framer::new(LF()).unwrap();
        s.push_rx(at(0), peer(1), Bytes::from_static(b"a\n"));
        s.push_rx(at(1), peer(1), Bytes::from_static(b"b\nc"));
        f.update(&s);
        assert_eq!((f.first_index(), f.len()), (0, 2));
        s.push_rx(at(2), peer(1), Bytes::from_static(b"\n"));
        f.update(&s);
        // "a\n" lived in the dropped record; "c\n" began in a held one.
        assert_eq!(f.first_index(), 1);
        assert_eq!(framed(&f, &s), [msg(b"b\n", 1), msg(b"c\n", 2)]);
        // Three records dropped unseen: framing starts again.
        for i in 3..6 {
            s.push_rx(at(i), peer(1), Bytes::from_static(b"x"));
        }
        f.update(&s);
        assert_eq!(f.restarts(), 1);
        assert!(f.is_empty());
        assert_eq!(f.pending()[0].len, 2);
    }

    #[test]
    fn message_count_is_bounded() {
        let store = store_of(&[&b"\n".repeat(50)]);
        let mut f = Framer::with_limits(LF(), 10, 20).unwrap();
        f.update(&store);
        assert_eq!((f.len(), f.first_index(), f.end_index()), (20, 30, 50));
        assert!(f.get(29).is_none());
        assert_eq!(f.get(49).map(Message::len), Some(1));
    }

    #[test]
    fn unusable_rules_are_refused() {
        let err = |f: Framing| Framer::new(f).err();
        assert_eq!(
            err(Framing::Delimiter(Vec::new())),
            Some(FramingError::EmptyDelimiter)
        );
        assert_eq!(
            err(Framing::Delimiter(vec![0; 17])),
            Some(FramingError::DelimiterTooLong(17))
        );
        assert_eq!(err(Framing::FixedLength(0)), Some(FramingError::ZeroLength));
        assert_eq!(
            err(Framing::FixedLength(DEFAULT_MAX_MESSAGE + 1)),
            Some(FramingError::LengthOverLimit(
                DEFAULT_MAX_MESSAGE + 1,
                DEFAULT_MAX_MESSAGE
            ))
        );
        assert_eq!(
            err(Framing::IdleGap(Duration::ZERO)),
            Some(FramingError::ZeroGap)
        );
        let mut f = Framer::new(LF()).unwrap();
        let s = RecordStore::default();
        assert!(f.set_framing(Framing::FixedLength(0), &s).is_err());
        assert_eq!(f.framing(), &LF());
    }

    /// Found by fuzzing: a two-byte prefix under a one-byte limit made
    /// two-byte messages (the prefix alone, "declared too long").
    #[test]
    fn a_prefix_wider_than_the_limit_is_refused() {
        let two = prefix(PrefixWidth::Two, Endian::Big, false);
        let err = Framer::with_limits(two.clone(), 1, 10).err();
        assert_eq!(err, Some(FramingError::PrefixOverLimit(2, 1)));
        assert_eq!(
            err.unwrap().to_string(),
            "a 2-byte length prefix does not fit the message limit of 1 bytes"
        );
        let mut f = Framer::with_limits(LF(), 1, 10).unwrap();
        assert!(f.set_framing(two.clone(), &RecordStore::default()).is_err());
        // The crash input: every message stays within a limit the prefix fits.
        let store = store_of(&[
            b"\x00\x06a",
            b"\x00\x00\x00b",
            b"\x02\x00\x00\x00\x00\x05ab",
        ]);
        let mut f = Framer::with_limits(two, 2, 10).unwrap();
        f.update(&store);
        let got = framed(&f, &store);
        assert!(got.iter().all(|m| m.0.len() <= 2), "{got:?}");
        assert_eq!(got[0].2, Cut::DeclaredTooLong { declared: 6 });
    }

    #[test]
    fn switching_the_rule_reframes_everything_held() {
        let s = store_of(&[b"ab\ncd", b"\nef"]);
        let mut f = Framer::new(LF()).unwrap();
        f.update(&s);
        assert_eq!(f.len(), 2);
        f.set_framing(Framing::FixedLength(4), &s).unwrap();
        assert_eq!(framed(&f, &s), [msg(b"ab\nc", 1), msg(b"d\nef", 2)]);
        assert_eq!(f.first_index(), 2, "message numbers keep counting");
    }

    /// Any of the rules, with small numbers so messages end often.
    fn any_framing() -> impl Strategy<Value = Framing> {
        prop_oneof![
            prop::collection::vec(prop::sample::select(vec![b'\n', b'\r', b'a']), 1..4)
                .prop_map(Framing::Delimiter),
            (1usize..8).prop_map(Framing::FixedLength),
            (
                prop::sample::select(vec![PrefixWidth::One, PrefixWidth::Two, PrefixWidth::Four]),
                any::<bool>(),
                any::<bool>()
            )
                .prop_map(|(width, big, counts_header)| {
                    let endian = if big { Endian::Big } else { Endian::Little };
                    prefix(width, endian, counts_header)
                }),
            (1u64..5).prop_map(|ms| Framing::IdleGap(Duration::from_millis(ms))),
        ]
    }

    /// Bytes rich in delimiter bytes and small length values.
    fn stream() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                3 => prop::sample::select(vec![b'\n', b'\r', b'a']),
                1 => prop::sample::select(vec![0u8, 1, 2, 3, 5]),
                1 => any::<u8>()
            ],
            0..300,
        )
    }

    /// Messages as (peer, bytes, cut): what must not depend on the reads.
    fn contents(f: &Framer, s: &RecordStore) -> Vec<(SocketAddr, Vec<u8>, Cut)> {
        (f.first_index()..f.end_index())
            .filter_map(|i| f.get(i))
            .map(|m| (m.peer(), f.bytes(s, m).unwrap().into_owned(), m.cut()))
            .collect()
    }

    /// A plain, non-streaming framing of one contiguous byte string with
    /// message limit `max`: the messages and the length left pending.
    fn reference(framing: &Framing, bytes: &[u8], max: usize) -> (Vec<(Vec<u8>, Cut)>, usize) {
        let mut out = Vec::new();
        let mut pos = 0;
        loop {
            let rest = &bytes[pos..];
            let (len, cut) = match framing {
                Framing::Delimiter(d) => {
                    let end = rest
                        .windows(d.len())
                        .position(|w| w == &d[..])
                        .map(|i| i + d.len())
                        .filter(|&end| end <= max);
                    match end {
                        Some(end) => (end, Cut::Complete),
                        None if rest.len() >= max => (max, Cut::OverLimit),
                        None => break,
                    }
                }
                Framing::FixedLength(n) if rest.len() >= *n => (*n, Cut::Complete),
                Framing::FixedLength(_) => break,
                Framing::LengthPrefix(p) => {
                    let w = p.width.bytes();
                    if rest.len() < w {
                        break;
                    }
                    let declared = p.decode(&rest[..w]);
                    let body = if p.counts_header {
                        (declared as usize).checked_sub(w)
                    } else {
                        Some(declared as usize)
                    };
                    match body {
                        None => (w, Cut::DeclaredTooShort { declared }),
                        Some(body) if w + body > max => (w, Cut::DeclaredTooLong { declared }),
                        Some(body) if rest.len() >= w + body => (w + body, Cut::Complete),
                        Some(_) => break,
                    }
                }
                Framing::IdleGap(_) if rest.len() >= max => (max, Cut::OverLimit),
                Framing::IdleGap(_) => break,
            };
            out.push((rest[..len].to_vec(), cut));
            pos += len;
        }
        (out, bytes.len() - pos)
    }

    fn pending_lens(f: &Framer) -> Vec<(SocketAddr, usize)> {
        f.pending().iter().map(|p| (p.peer, p.len)).collect()
    }

    proptest! {
        /// However the same bytes are split into reads (all at one time, so
        /// the idle gap sees one burst), the messages are the same.
        #[test]
        fn reads_do_not_change_messages(
            framing in any_framing(),
            bytes in stream(),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..20),
        ) {
            let mut whole = RecordStore::default();
            whole.push_rx(at(0), peer(1), Bytes::from(bytes.clone()));
            let mut one = Framer::with_limits(framing.clone(), 64, 100_000).unwrap();
            one.update(&whole);
            let (expected, left) = reference(&framing, &bytes, 64);
            let got: Vec<(Vec<u8>, Cut)> =
                contents(&one, &whole).into_iter().map(|m| (m.1, m.2)).collect();
            prop_assert_eq!(got, expected);
            let left: Vec<(SocketAddr, usize)> =
                (left > 0).then_some((peer(1), left)).into_iter().collect();
            prop_assert_eq!(pending_lens(&one), left);

            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            points.sort_unstable();
            let mut split = RecordStore::default();
            let mut live = Framer::with_limits(framing, 64, 100_000).unwrap();
            let mut start = 0;
            for end in points.into_iter().chain(Some(bytes.len())) {
                split.push_rx(at(0), peer(1), Bytes::copy_from_slice(&bytes[start..end]));
                live.update(&split);
                start = end;
            }
            let mut rerun = live.clone();
            rerun.rebuild(&split);

            prop_assert_eq!(contents(&live, &split), contents(&one, &whole));
            prop_assert_eq!(pending_lens(&live), pending_lens(&one));
            prop_assert_eq!(contents(&rerun, &split), contents(&live, &split));
            let concat: Vec<u8> = contents(&live, &split).into_iter().flat_map(|m| m.1).collect();
            prop_assert!(bytes.starts_with(&concat));
        }

        /// Merging reads into records (the store's time-gap option) and
        /// interleaving a second peer change nothing either.
        #[test]
        fn merged_and_interleaved_reads_do_not_change_messages(
            framing in any_framing(),
            a in stream(),
            b in stream(),
            sizes in prop::collection::vec(1usize..40, 1..30),
        ) {
            let mut whole = RecordStore::default();
            whole.push_rx(at(0), peer(1), Bytes::from(a.clone()));
            whole.push_rx(at(0), peer(2), Bytes::from(b.clone()));
            let mut one = Framer::with_limits(framing.clone(), 64, 100_000).unwrap();
            one.update(&whole);

            let mut mixed = RecordStore::new(StoreConfig {
                merge_window: Some(Duration::from_millis(1)),
                ..StoreConfig::default()
            });
            let mut live = Framer::with_limits(framing, 64, 100_000).unwrap();
            let (mut ia, mut ib) = (0, 0);
            for (i, size) in sizes.iter().cycle().enumerate() {
                if ia == a.len() && ib == b.len() {
                    break;
                }
                let (src, pos, who) = if i % 3 == 2 { (&b, &mut ib, 2) } else { (&a, &mut ia, 1) };
                let end = (*pos + size).min(src.len());
                mixed.push_rx(at(0), peer(who), Bytes::copy_from_slice(&src[*pos..end]));
                *pos = end;
                if i % 2 == 0 {
                    live.update(&mixed);
                }
            }
            live.update(&mixed);
            let by_peer = |v: Vec<(SocketAddr, Vec<u8>, Cut)>, p: u16| -> Vec<(Vec<u8>, Cut)> {
                v.into_iter().filter(|m| m.0 == peer(p)).map(|m| (m.1, m.2)).collect()
            };
            for p in [1, 2] {
                prop_assert_eq!(
                    by_peer(contents(&live, &mixed), p),
                    by_peer(contents(&one, &whole), p)
                );
            }
            let mut pend_live = pending_lens(&live);
            let mut pend_one = pending_lens(&one);
            pend_live.sort();
            pend_one.sort();
            prop_assert_eq!(pend_live, pend_one);
        }
    }
}
