//! Saving the log: a readable text file (one line per record) or the raw
//! bytes of one direction.

use std::io::{self, BufWriter, Write};

use chrono::{DateTime, Local};

use crate::codec::{DisplayEncoding, escape_text};

use super::record::{Direction, Record};
use super::store::RecordStore;

/// How [`RecordStore::save_text`] writes payloads.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TextExportOptions {
    /// Payloads as hex pairs instead of text.
    pub hex: bool,
    /// Encoding of text payloads (ignored with `hex`).
    pub encoding: DisplayEncoding,
    /// Whether event lines (connected, closed, errors) are written.
    pub include_events: bool,
}

impl Default for TextExportOptions {
    fn default() -> Self {
        TextExportOptions {
            hex: false,
            encoding: DisplayEncoding::Auto,
            include_events: true,
        }
    }
}

impl RecordStore {
    /// Writes one line per record, oldest first:
    /// `2024-05-01 13:45:12.345 RX 192.168.1.5:8080 (5 bytes) hello`.
    /// Time is local. Text payloads are rendered like the log (stream-aware)
    /// and written with [`escape_text`](crate::codec::escape_text) so line
    /// breaks and control characters stay on one line (a backslash appears
    /// doubled). Event lines describe the event in plain English.
    pub fn save_text(&self, w: &mut impl Write, opts: &TextExportOptions) -> io::Result<()> {
        let mut w = BufWriter::new(w);
        self.save_text_from(&mut w, opts, self.first_seq(), usize::MAX)?;
        w.flush()
    }

    /// Writes the lines of [`save_text`](Self::save_text) for at most `max`
    /// records from seq `from` on (records dropped meanwhile are skipped),
    /// and returns the seq to continue from. A saver that must not hold the
    /// store for long writes a log in such slices.
    pub fn save_text_from(
        &self,
        w: &mut impl Write,
        opts: &TextExportOptions,
        from: u64,
        max: usize,
    ) -> io::Result<u64> {
        let start = from.max(self.first_seq());
        let mut payload = String::new();
        let mut next = start;
        for record in self.iter_from(start).take(max) {
            next = record.seq + 1;
            if record.dir == Direction::Event && !opts.include_events {
                continue;
            }
            write_prefix(w, record)?;
            if record.dir == Direction::Event {
                match record.note.as_deref() {
                    Some(note) => writeln!(w, " {note}")?,
                    None => writeln!(w)?,
                }
                continue;
            }
            let n = record.bytes.len();
            write!(w, " ({n} byte{})", if n == 1 { "" } else { "s" })?;
            payload.clear();
            if opts.hex {
                crate::codec::push_hex(&record.bytes, &mut payload);
            } else {
                self.push_text(record.seq, opts.encoding, &mut payload);
                payload = escape_text(&payload);
            }
            if payload.is_empty() {
                writeln!(w)?;
            } else {
                writeln!(w, " {payload}")?;
            }
        }
        Ok(next)
    }

    /// Writes the exact bytes of every record of direction `dir`, in order,
    /// with nothing in between (e.g. to capture a received file). Records of
    /// all peers are included.
    pub fn save_raw(&self, w: &mut impl Write, dir: Direction) -> io::Result<()> {
        let mut w = BufWriter::new(w);
        self.save_raw_from(&mut w, dir, self.first_seq(), usize::MAX)?;
        w.flush()
    }

    /// [`save_raw`](Self::save_raw) for at most `max` records from seq
    /// `from` on; returns the seq to continue from.
    pub fn save_raw_from(
        &self,
        w: &mut impl Write,
        dir: Direction,
        from: u64,
        max: usize,
    ) -> io::Result<u64> {
        let start = from.max(self.first_seq());
        let mut next = start;
        for record in self.iter_from(start).take(max) {
            next = record.seq + 1;
            if record.dir == dir {
                w.write_all(&record.bytes)?;
            }
        }
        Ok(next)
    }
}

/// Writes `time dir peer` for a record.
fn write_prefix(w: &mut impl Write, record: &Record) -> io::Result<()> {
    let time = DateTime::<Local>::from(record.time).format("%Y-%m-%d %H:%M:%S%.3f");
    write!(w, "{time} {}", record.dir.label())?;
    match record.peer {
        Some(peer) => write!(w, " {peer}"),
        None => write!(w, " -"),
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::{Duration, SystemTime};

    use bytes::Bytes;

    use super::*;
    use crate::codec::TextEncoding;
    use crate::codec::encode;
    use crate::records::Note;

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 168, 1, 5], port))
    }

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + ms)
    }

    fn sample() -> RecordStore {
        let mut s = RecordStore::default();
        let local: SocketAddr = "0.0.0.0:9000".parse().unwrap();
        s.push_event(
            at(0),
            None,
            Note::Opened {
                local,
                mode: crate::net::Mode::TcpServer,
            },
        );
        s.push_rx(at(1), peer(8080), Bytes::from_static(b"hello\r\n"));
        s.push_tx(
            at(2),
            peer(8080),
            Bytes::from(encode("你好", TextEncoding::Gbk).unwrap()),
        );
        s.push_rx(at(3), peer(8081), Bytes::from_static(b"\x00\xFF"));
        s.push_rx(at(4), peer(8080), Bytes::from_static(b"x"));
        s.push_event(at(5), Some(peer(8080)), Note::ClosedByPeer);
        s
    }

    fn lines(store: &RecordStore, opts: &TextExportOptions) -> Vec<String> {
        let mut out = Vec::new();
        store.save_text(&mut out, opts).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Strips and checks the `YYYY-MM-DD HH:MM:SS.mmm ` prefix.
    fn after_time(line: &str) -> &str {
        let (time, rest) = line.split_at(24);
        let shape: String = time
            .chars()
            .map(|c| if c.is_ascii_digit() { '9' } else { c })
            .collect();
        assert_eq!(shape, "9999-99-99 99:99:99.999 ", "{line}");
        rest
    }

    #[test]
    fn text_export_one_line_per_record() {
        let got = lines(&sample(), &TextExportOptions::default());
        let got: Vec<&str> = got.iter().map(|l| after_time(l)).collect();
        assert_eq!(
            got,
            [
                "-- - opened on 0.0.0.0:9000",
                r"RX 192.168.1.5:8080 (7 bytes) hello\r\n",
                "TX 192.168.1.5:8080 (4 bytes) 你好",
                "RX 192.168.1.5:8081 (2 bytes) \\0\u{FFFD}",
                "RX 192.168.1.5:8080 (1 byte) x",
                "-- 192.168.1.5:8080 closed by peer",
            ]
        );
    }

    /// Times are written in the local zone. The check runs in a child
    /// process whose zone is UTC+05:45 (a POSIX `TZ` string, no zone
    /// database needed), so it tells local time from UTC on any machine,
    /// including one whose own zone is UTC. The expected text is written out
    /// by hand: `at(1)` is 2023-11-14 22:13:20.001 UTC.
    #[cfg(unix)]
    #[test]
    fn text_export_time_is_local_milliseconds() {
        // Set in the child process that runs the check under a fixed zone.
        const TZ_CHILD: &str = "NETASSIST_EXPORT_TZ_CHILD";
        if std::env::var_os(TZ_CHILD).is_some() {
            let got = lines(&sample(), &TextExportOptions::default());
            assert!(
                got[1].starts_with("2023-11-15 03:58:20.001 RX "),
                "{}",
                got[1]
            );
            return;
        }
        let name = "records::export::tests::text_export_time_is_local_milliseconds";
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name, "--test-threads=1", "--nocapture"])
            .env(TZ_CHILD, "1")
            .env("TZ", "XYZ-05:45")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "child run failed:\n{stdout}\n{stderr}"
        );
    }

    #[test]
    fn hex_export_without_events() {
        let opts = TextExportOptions {
            hex: true,
            include_events: false,
            ..TextExportOptions::default()
        };
        let got = lines(&sample(), &opts);
        let got: Vec<&str> = got.iter().map(|l| after_time(l)).collect();
        assert_eq!(
            got,
            [
                "RX 192.168.1.5:8080 (7 bytes) 68 65 6C 6C 6F 0D 0A",
                "TX 192.168.1.5:8080 (4 bytes) C4 E3 BA C3",
                "RX 192.168.1.5:8081 (2 bytes) 00 FF",
                "RX 192.168.1.5:8080 (1 byte) 78",
            ]
        );
    }

    #[test]
    fn raw_export_is_exact() {
        let s = sample();
        let mut rx = Vec::new();
        s.save_raw(&mut rx, Direction::Rx).unwrap();
        assert_eq!(rx, b"hello\r\n\x00\xFFx");
        let mut tx = Vec::new();
        s.save_raw(&mut tx, Direction::Tx).unwrap();
        assert_eq!(tx, [0xC4, 0xE3, 0xBA, 0xC3]);
        let mut ev = Vec::new();
        s.save_raw(&mut ev, Direction::Event).unwrap();
        assert!(ev.is_empty());
    }

    #[test]
    fn raw_export_of_merged_reads() {
        let mut s = RecordStore::new(crate::records::StoreConfig {
            merge_window: Some(Duration::from_millis(10)),
            ..Default::default()
        });
        let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        for (i, chunk) in data.chunks(333).enumerate() {
            s.push_rx(at(i as u64), peer(1), Bytes::copy_from_slice(chunk));
        }
        assert_eq!(s.len(), 1);
        let mut out = Vec::new();
        s.save_raw(&mut out, Direction::Rx).unwrap();
        assert_eq!(out, data);
    }
}
