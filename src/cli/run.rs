//! One command-line run: the session runtime on this thread, a [`Printer`]
//! following it, and stdin lines handed to it as sends, until the run ends.

use std::io::{self, BufRead, Write};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use crossbeam_channel::Sender;

use crate::codec::{SendOptions, build_payload};
use crate::net::{Engine, SendMeta, Target};
use crate::pcap::EventCapture;
use crate::session::{Budget, Command, LiveCapture};

use super::plan::{PcapFile, Plan};
use super::print::{Printer, trim_line_end};

/// The memory the run's log may hold: the command line prints each row as
/// it comes, so the log only needs what the rules and hints look back on.
const LOG_BUDGET: usize = 64 * 1024 * 1024;

/// Longest stdin line taken as one send; a longer one is refused whole.
const MAX_LINE: usize = 1024 * 1024;

/// Carries `plan` out: opens the session and serves it to the end.
pub(super) fn run(plan: Plan) -> Result<(), String> {
    let mode = plan.config.mode();
    let budget = Budget::new(LOG_BUDGET);
    let (mut runtime, _log) = crate::session::runtime(&budget, Engine::new(Arc::new(|| {})));
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut printer = Printer::new(
        mode,
        plan.display,
        plan.json,
        stdout(),
        plan.exit_after,
        plan.timeout.map(|t| Instant::now() + t),
        plan.ends_when_sent(),
    );
    // The encoding hint is about text as Auto shows it: with raw or hex
    // output no text is shown, and the hint stays quiet.
    let display = match plan.display {
        super::plan::Display::Text(enc) => enc,
        _ => crate::codec::DisplayEncoding::Utf8,
    };
    let mut setup = vec![
        Command::Echo(plan.echo),
        Command::FinishOnPeerFin(true),
        Command::Encodings {
            display,
            send: plan.send.encoding,
        },
        Command::Greeting(plan.greeting),
    ];
    if let Some((rules, settings)) = plan.rules {
        setup.push(Command::Rules(rules, settings));
    }
    if let Some(pcap) = plan.pcap {
        setup.push(Command::Capture(Some(Box::new(live_capture(pcap)?))));
    }
    if let Some(run) = plan.sequence {
        setup.push(Command::RunSequence(Box::new(run)));
    }
    setup.push(Command::Open(plan.config));
    for cmd in setup {
        runtime.command(cmd, &mut printer);
    }
    spawn_stdin_reader(tx.clone(), plan.send);
    runtime.run(&rx, &mut printer);
    // `tx` lives until here: the end of stdin ends nothing.
    drop(tx);
    let captured = runtime.finish_capture();
    let result = printer.finish();
    match captured {
        Some(e) => result.and(Err(format!("--pcap {e}"))),
        None => result,
    }
}

/// Where rows go: a terminal gets the standard stream (line by line, and
/// text as the console wants it on Windows); a pipe or a file gets the
/// same descriptor without the line-by-line scan, through a large buffer,
/// so a flood is written at the speed it arrives.
fn stdout() -> Box<dyn Write> {
    use std::io::IsTerminal;
    const BUFFER: usize = super::print::OUT_BUFFER;
    let out = io::stdout();
    if !out.is_terminal()
        && let Some(file) = duplicate(&out)
    {
        return Box::new(super::out::Out::new(BUFFER, file));
    }
    Box::new(super::out::Out::new(BUFFER, out.lock()))
}

/// A file handle on the same stream as `out`.
fn duplicate(out: &io::Stdout) -> Option<std::fs::File> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        out.as_fd()
            .try_clone_to_owned()
            .ok()
            .map(std::fs::File::from)
    }
    #[cfg(windows)]
    {
        use std::os::windows::io::AsHandle;
        out.as_handle()
            .try_clone_to_owned()
            .ok()
            .map(std::fs::File::from)
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = out;
        None
    }
}

/// Starts the `--pcap` capture in its file.
fn live_capture(pcap: PcapFile) -> Result<LiveCapture, String> {
    let name = pcap.path.display().to_string();
    let capture = EventCapture::new(io::BufWriter::new(pcap.file))
        .map_err(|e| format!("--pcap {name}: {e}"))?;
    Ok(LiveCapture { name, capture })
}

/// Reads stdin lines on their own thread (stdin cannot be polled portably)
/// and hands each to the runtime as a send. End of stdin simply ends the
/// thread; it closes nothing.
fn spawn_stdin_reader(tx: Sender<Command>, send: SendOptions) {
    let _ = std::thread::Builder::new()
        .name("netassist-stdin".to_string())
        .spawn(move || {
            let stdin = io::stdin();
            let mut lock = stdin.lock();
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match read_line(&mut lock, &mut buf, MAX_LINE) {
                    Ok(Line::End) | Err(_) => return,
                    Ok(Line::TooLong(n)) => {
                        eprintln!(
                            "error: line not sent: it has over {n} bytes (at most {MAX_LINE})"
                        );
                    }
                    Ok(Line::Whole) => {
                        let line = String::from_utf8_lossy(&buf);
                        match build_payload(trim_line_end(&line), &send) {
                            Ok(payload) => {
                                // The line ending and checksum are ours, not typed.
                                let meta = SendMeta {
                                    added_tail: u32::try_from(payload.added_tail).unwrap_or(0),
                                    message: None,
                                };
                                let cmd = Command::Send {
                                    target: Target::Default,
                                    data: Bytes::from(payload.bytes),
                                    meta,
                                };
                                if tx.send(cmd).is_err() {
                                    return;
                                }
                            }
                            Err(e) => {
                                let _ = writeln!(io::stderr(), "error: line not sent: {e}");
                            }
                        }
                    }
                }
            }
        });
}

/// What [`read_line`] read.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// A line (with its line break, if it had one) is in the buffer.
    Whole,
    /// A line longer than the limit was skipped; it had at least this many bytes.
    TooLong(usize),
    /// End of input.
    End,
}

/// Reads one line into `buf`, holding at most `max` bytes: a longer line
/// is read to its end and dropped, so input without a newline cannot grow
/// memory without bound.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<Line> {
    let mut skipped = 0usize;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(match (skipped, buf.is_empty()) {
                (0, true) => Line::End,
                (0, false) => Line::Whole,
                (n, _) => Line::TooLong(n),
            });
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if skipped > 0 || buf.len() + take > max {
            skipped += buf.len() + take;
            buf.clear();
        } else {
            buf.extend_from_slice(&chunk[..take]);
        }
        r.consume(take);
        if done {
            return Ok(if skipped > 0 {
                Line::TooLong(skipped)
            } else {
                Line::Whole
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<(Line, Vec<u8>)> {
        let mut r = io::BufReader::with_capacity(4, input);
        let mut out = Vec::new();
        loop {
            let mut buf = Vec::new();
            let line = read_line(&mut r, &mut buf, max).unwrap();
            if line == Line::End {
                return out;
            }
            out.push((line, buf));
        }
    }

    #[test]
    fn lines_are_capped_and_the_rest_goes_on() {
        let got = lines(b"ab\nabcdefghij\ncd", 5);
        assert_eq!(
            got,
            [
                (Line::Whole, b"ab\n".to_vec()),
                (Line::TooLong(11), Vec::new()),
                (Line::Whole, b"cd".to_vec()),
            ]
        );
        // No newline at all: never more than the limit held.
        let got = lines(&[b'x'; 100], 10);
        assert_eq!(got, [(Line::TooLong(100), Vec::new())]);
    }
}
