//! Saving a session's log to a file from another thread, in slices, so the
//! log's lock is never held for long and the window keeps drawing.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::pcap::StoreCapture;
use crate::records::{Direction, TextExportOptions};

use super::SharedLog;

/// Records written per hold of the lock.
const SLICE: usize = 4096;

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

/// Writes the records held when the save starts (records dropped to stay in
/// the memory budget while it runs are skipped).
pub fn save_log(log: &SharedLog, path: &Path, kind: SaveKind) -> io::Result<()> {
    if kind == SaveKind::Pcapng {
        return save_pcapng(log, path);
    }
    let mut out = BufWriter::new(File::create(path)?);
    let mut buf = Vec::with_capacity(1 << 20);
    let (mut from, end) = {
        let log = log.lock();
        (log.store.first_seq(), log.store.end_seq())
    };
    while from < end {
        buf.clear();
        let next = {
            let log = log.lock();
            let store = &log.store;
            let max = usize::try_from(end - from).unwrap_or(usize::MAX).min(SLICE);
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

/// Writes the records held when the save starts as pcapng, a slice per hold
/// of the lock.
fn save_pcapng(log: &SharedLog, path: &Path) -> io::Result<()> {
    let out = BufWriter::new(File::create(path)?);
    let to_io = |e: crate::pcap::PcapError| io::Error::other(e.to_string());
    let (mut cap, mut from, end) = {
        let l = log.lock();
        let cap = StoreCapture::new(out, &l.store).map_err(to_io)?;
        (cap, l.store.first_seq(), l.store.end_seq())
    };
    while from < end {
        let l = log.lock();
        let max = usize::try_from(end - from).unwrap_or(usize::MAX).min(SLICE);
        let next = cap.write_from(&l.store, from, max).map_err(to_io)?;
        drop(l);
        if next <= from {
            break;
        }
        from = next;
    }
    cap.finish().map_err(to_io)?;
    Ok(())
}
