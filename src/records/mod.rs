//! The record store behind the receive log: one [`Record`] per socket read,
//! per send, or per connection event, kept raw in a bounded store
//! ([`RecordStore`]) and rendered as text or hex only for the rows asked for.
//!
//! Records of one direction and peer form a byte stream; text rendering
//! follows the stream, so a character split across two reads shows whole.

mod census;
mod earlier;
mod export;
mod filter;
mod framing;
mod record;
mod render;
mod round_trips;
mod rows;
mod store;
mod ws_text;

pub use census::Census;
pub use export::TextExportOptions;
pub use filter::{RowFilter, compile_pattern};
pub use framing::{
    Cut, DEFAULT_MAX_MESSAGE, DEFAULT_MAX_MESSAGES, Endian, Framer, Framing, FramingError,
    LengthPrefix, MAX_DELIMITER, Message, Pending, PrefixWidth,
};
pub use record::{
    Direction, DropWhy, Entry, Note, Opener, PREVIEW_CHARS, Record, Side, ms, preview, rule_list,
    utc_time,
};
pub use round_trips::{RoundTrips, short_duration};
pub use rows::{RENDER_WHOLE, RowIndex, RowStyle, View, added_marker, split_weighted};
pub use store::{MAX_MERGED_BYTES, RECORD_OVERHEAD, RecordStore, StoreConfig};
pub use ws_text::{close_code_text, ws_event_text};
