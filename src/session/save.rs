//! Saving a session's log to a file from another thread. The log's lock is
//! held only to copy out a slice of records (their bytes are shared, not
//! copied) or to render a bounded slice of text into memory; the file is
//! written after the lock is let go, so drawing and ingest go on meanwhile.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::pcap::StoreCapture;
use crate::records::{Direction, Record, TextExportOptions};

use super::SharedLog;

/// Most records per hold of the lock.
const SLICE: usize = 4096;

/// Most payload bytes per hold of the lock.
const SLICE_BYTES: usize = 1 << 20;

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveKind {
    /// One readable line per record.
    Text(TextExportOptions),
    /// The exact received bytes, nothing else.
    RawRx,
    /// A pcapng capture for Wireshark, rebuilt from the records.
    Pcapng,
}

/// How many records from `from` make one slice: at most [`SLICE`], and no
/// more than about [`SLICE_BYTES`] of payload (at least one record).
fn slice_len(log: &super::SessionLog, from: u64, end: u64) -> usize {
    let most = usize::try_from(end.saturating_sub(from))
        .unwrap_or(usize::MAX)
        .min(SLICE);
    let mut bytes = 0usize;
    let mut n = 0usize;
    for record in log.store().iter_from(from).take(most) {
        bytes += record.bytes.len();
        n += 1;
        if bytes >= SLICE_BYTES {
            break;
        }
    }
    n.max(1)
}

/// Writes the records held when the save starts (records dropped to stay in
/// the memory budget while it runs are skipped).
pub fn save_log(log: &SharedLog, path: &Path, kind: SaveKind) -> io::Result<()> {
    if kind == SaveKind::Pcapng {
        return save_pcapng(log, path);
    }
    let mut out = BufWriter::new(File::create(path)?);
    let mut buf = Vec::with_capacity(SLICE_BYTES * 2);
    let (mut from, end) = {
        let log = log.lock();
        (log.store().first_seq(), log.store().end_seq())
    };
    while from < end {
        buf.clear();
        let next = {
            let log = log.lock();
            let from = from.max(log.store().first_seq());
            let max = slice_len(&log, from, end);
            let store = log.store();
            match kind {
                SaveKind::Text(opts) => store.save_text_from(&mut buf, &opts, from, max)?,
                SaveKind::RawRx => store.save_raw_from(&mut buf, Direction::Rx, from, max)?,
                SaveKind::Pcapng => from + max as u64,
            }
        };
        out.write_all(&buf)?;
        if next <= from {
            break;
        }
        from = next;
    }
    out.flush()
}

/// Writes the records held when the save starts as pcapng: each slice is
/// copied out under the lock and written after it is let go.
fn save_pcapng(log: &SharedLog, path: &Path) -> io::Result<()> {
    let out = BufWriter::new(File::create(path)?);
    let to_io = |e: crate::pcap::PcapError| io::Error::other(e.to_string());
    let (mut cap, mut from, end) = {
        let l = log.lock();
        let cap = StoreCapture::new(out, l.store()).map_err(to_io)?;
        (cap, l.store().first_seq(), l.store().end_seq())
    };
    let mut slice: Vec<Record> = Vec::with_capacity(SLICE);
    while from < end {
        slice.clear();
        {
            let l = log.lock();
            let start = from.max(l.store().first_seq());
            let max = slice_len(&l, start, end);
            slice.extend(
                l.store()
                    .iter_from(start)
                    .take(max)
                    .take_while(|r| r.seq < end)
                    .cloned(),
            );
        }
        let Some(last) = slice.last() else {
            break;
        };
        let next = last.seq + 1;
        for record in &slice {
            cap.write_record(record).map_err(to_io)?;
        }
        if next <= from {
            break;
        }
        from = next;
    }
    cap.finish().map_err(to_io)?;
    Ok(())
}
