//! `netassist load URL`: many clients against one server. The options make
//! a [`LoadConfig`] (checked before any socket opens: a bad option is exit
//! 2); the session runtime runs it like any session; [`LoadPrinter`]
//! prints a line of figures a second on stderr, the first failures of each
//! kind with what to do, and the summary at the end on stdout (text, or
//! one JSON object with `--json`). (`load.rs` beside this file reads the
//! automation files; it has nothing to do with load tests.)

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;

use crate::codec::{
    DisplayEncoding, InputMode, LineEnding, SendOptions, TextEncoding, build_payload,
};
use crate::i18n::Lang;
use crate::net::load::{
    Expect, FailKind, LoadConfig, LoadEnd, LoadPlan, LoadProto, LoadScript, LoadSecond,
    LoadSnapshot, LoadStep, LoadUrl, LoadWait, MAX_CONNECTIONS, Sources,
};
use crate::net::{Engine, SessionConfig, parse_load_url};
use crate::records::{Entry, Note};
use crate::session::load_report::{ms_text, summary_json, summary_text};
use crate::session::{Budget, Command, Flow, Observer, Signal};

use super::tls::TlsArgs;

/// The memory a load run's log may hold: samples only.
const LOG_BUDGET: usize = 16 * 1024 * 1024;
/// Failures of one kind printed as they come; the rest are counted.
const FAILURES_SHOWN: u64 = 3;
/// How often Ctrl+C is looked for.
const INTERRUPT_CHECK: Duration = Duration::from_millis(100);

/// The options of `netassist load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The server: tcp://HOST:PORT, tls://HOST:PORT, udp://HOST:PORT,
    /// ws://HOST:PORT/PATH or wss://HOST:PORT/PATH.
    #[arg(value_name = "URL", value_parser = parse_url)]
    pub url: LoadUrl,
    /// How many clients (connections).
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_CONNECTIONS)))]
    pub connections: u32,
    /// New connections a second (default 1000).
    #[arg(long, value_name = "PER_S",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate: Option<u32>,
    /// Run for SECS seconds; clients repeat their script until then (a
    /// sequence: its own rounds), and stay connected.
    #[arg(long, value_name = "SECS", value_parser = super::parse_secs, conflicts_with = "rounds")]
    pub duration: Option<Duration>,
    /// Rounds of the script each client runs, then closes (default 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: Option<u32>,
    /// The payload each client sends each round.
    #[arg(long, value_name = "TEXT", conflicts_with_all = ["send_hex", "sequence"])]
    pub send: Option<String>,
    /// The same, given as hex.
    #[arg(long, value_name = "HEX", conflicts_with = "sequence")]
    pub send_hex: Option<String>,
    /// Interpret \r \n \t \\ \0 \xHH in --send and --expect.
    #[arg(long)]
    pub escapes: bool,
    /// Appended to --send: none, lf or crlf.
    #[arg(long, default_value = "none", value_name = "none|lf|crlf")]
    pub newline: LineEnding,
    /// How --send and --expect are encoded: utf8 or gbk.
    #[arg(long, default_value = "utf8", value_name = "utf8|gbk")]
    pub send_encoding: TextEncoding,
    /// Send the payload every MS milliseconds (each round waits for the
    /// previous one's reply when --expect is given).
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=86_400_000),
          conflicts_with = "sequence")]
    pub every: Option<u64>,
    /// Each reply must contain TEXT (else the client fails: reply did not
    /// match, or no reply in time).
    #[arg(long, value_name = "TEXT", conflicts_with = "sequence")]
    pub expect: Option<String>,
    /// How long a reply to --expect may take, in milliseconds.
    #[arg(long, value_name = "MS", default_value = "5000",
          value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub reply_timeout: u64,
    /// Presets and sequences from this file, for --sequence or --preset.
    #[arg(long, value_name = "FILE")]
    pub presets: Option<PathBuf>,
    /// Each client runs this sequence of the --presets file (its sends and
    /// waits for replies).
    #[arg(
        long,
        value_name = "NAME",
        requires = "presets",
        conflicts_with = "preset"
    )]
    pub sequence: Option<String>,
    /// Each client sends this preset of the --presets file each round (as
    /// --send would; --every and --expect apply).
    #[arg(long, value_name = "NAME", requires = "presets",
          conflicts_with_all = ["send", "send_hex"])]
    pub preset: Option<String>,
    /// How a sequence's text patterns decode replies: utf8, gbk or auto.
    #[arg(long, default_value = "auto", value_name = "utf8|gbk|auto")]
    pub encoding: DisplayEncoding,
    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Stop the run (and exit 1) once more than N connections have failed.
    #[arg(long, value_name = "N")]
    pub max_failures: Option<u64>,
    /// To a loopback target, connections per source address (127.0.0.2,
    /// 127.0.0.3, …; default 5000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub per_source: Option<u32>,
    /// How long a connect (and TLS handshake) may take.
    #[arg(long, value_name = "SECS", value_parser = super::parse_secs)]
    pub connect_timeout: Option<Duration>,
    /// tls://: check the server's certificate against the CAs in FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    pub ca: Option<PathBuf>,
    /// tls://: accept any server certificate (for testing only).
    #[arg(long)]
    pub insecure: bool,
    /// tls://: the name sent as SNI and checked (default: the host).
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
}

fn parse_url(text: &str) -> Result<LoadUrl, String> {
    parse_load_url(text).map_err(|e| e.to_string())
}

/// A payload from `--send`/`--send-hex` (or `--expect`), as its bytes.
fn bytes_of(
    text: &str,
    hex: bool,
    args: &LoadArgs,
    flag: &str,
    newline: bool,
) -> Result<Bytes, String> {
    let opts = SendOptions {
        mode: if hex { InputMode::Hex } else { InputMode::Text },
        escapes: args.escapes,
        encoding: args.send_encoding,
        line_ending: if newline {
            args.newline
        } else {
            LineEnding::None
        },
        checksum: None,
    };
    build_payload(text, &opts)
        .map(|p| Bytes::from(p.bytes))
        .map_err(|e| format!("{flag}: {e}"))
}

/// The script the options give.
fn script(args: &LoadArgs) -> Result<LoadScript, String> {
    if let (Some(path), Some(name)) = (&args.presets, &args.sequence) {
        let run = super::load::load_sequence(path, name, args.encoding)?;
        let script = run.load_script();
        if script.rounds.is_none() && args.rounds.is_none() && args.duration.is_none() {
            return Err(format!(
                "--sequence {name} repeats forever: give --duration or --rounds"
            ));
        }
        return Ok(script);
    }
    let payload = match (&args.send, &args.send_hex, &args.presets, &args.preset) {
        (Some(text), ..) => bytes_of(text, false, args, "--send", true)?,
        (None, Some(hex), ..) => bytes_of(hex, true, args, "--send-hex", true)?,
        (None, None, Some(path), Some(name)) => Bytes::from(super::load::load_preset(path, name)?),
        (None, None, Some(_), None) => {
            return Err("--presets names the file of --sequence or --preset: give one".into());
        }
        (None, None, None, _) => Bytes::new(),
    };
    let expect = match &args.expect {
        Some(text) => Some(Expect::contains(bytes_of(
            text, false, args, "--expect", false,
        )?)),
        None => None,
    };
    if payload.is_empty() && args.every.is_some() {
        return Err(
            "--every repeats the payload of --send, --send-hex or --preset: give one of them"
                .into(),
        );
    }
    let timeout = Duration::from_millis(args.reply_timeout);
    if payload.is_empty() && expect.is_none() {
        // Connect only (and stay connected for --duration).
        return Ok(LoadScript {
            steps: vec![LoadStep {
                send: Bytes::new(),
                wait: LoadWait::Pause(Duration::ZERO),
                label: String::new(),
            }],
            every: None,
            rounds: Some(1),
        });
    }
    // Without --expect and --every, a payload goes once a second.
    let every = match (args.every, &expect) {
        (Some(ms), _) => Some(Duration::from_millis(ms)),
        (None, None) => Some(Duration::from_secs(1)),
        (None, Some(_)) => None,
    };
    Ok(LoadScript::payload(payload, every, expect, timeout))
}

/// The run the options ask for, checked.
pub fn plan(args: &LoadArgs) -> Result<LoadConfig, String> {
    let script = script(args)?;
    let tls = match args.url.proto {
        LoadProto::Tls | LoadProto::Wss => TlsArgs {
            tls: true,
            ca: args.ca.clone(),
            insecure: args.insecure,
            sni: args.sni.clone(),
            ..TlsArgs::default()
        }
        .client()?,
        _ if args.ca.is_some() || args.insecure || args.sni.is_some() => {
            return Err("--ca, --insecure and --sni are for a tls:// target".into());
        }
        _ => None,
    };
    let mut config = LoadConfig::new(args.url.clone(), args.connections, script);
    config.shape.rate = args.rate;
    config.shape.duration = args.duration;
    config.shape.rounds = args.rounds;
    config.shape.max_failures = args.max_failures;
    config.tls = tls;
    config.sources = args.per_source.map_or(Sources::Auto, Sources::PerSource);
    if let Some(t) = args.connect_timeout {
        config.connect_timeout = t;
    }
    Ok(config)
}

/// Runs `netassist load`: 0 once the run has ended, 1 if it could not run
/// or more than --max-failures failed, 2 for bad options.
pub fn run(args: &LoadArgs) -> std::process::ExitCode {
    use std::process::ExitCode;
    let config = match plan(args) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    let budget = Budget::new(LOG_BUDGET);
    let (mut runtime, _log) = crate::session::runtime(&budget, Engine::new(Arc::new(|| {})));
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut printer = LoadPrinter::new(args.json, tx);
    interrupt::catch();
    runtime.command(
        Command::Open(SessionConfig::Load(Box::new(config))),
        &mut printer,
    );
    runtime.run(&rx, &mut printer);
    match printer.finish() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}

/// Follows a load run: figures once a second on stderr, the first failures
/// of each kind, the summary at the end.
pub struct LoadPrinter {
    json: bool,
    /// The runtime's commands: Ctrl+C closes the run through it.
    cmds: crossbeam_channel::Sender<Command>,
    stopping: bool,
    plan: Option<LoadPlan>,
    last: LoadSnapshot,
    end: Option<LoadEnd>,
    failure: Option<String>,
    shown: [u64; 9],
    done: bool,
}

impl LoadPrinter {
    fn new(json: bool, cmds: crossbeam_channel::Sender<Command>) -> LoadPrinter {
        LoadPrinter {
            json,
            cmds,
            stopping: false,
            plan: None,
            last: LoadSnapshot::default(),
            end: None,
            failure: None,
            shown: [0; 9],
            done: false,
        }
    }

    fn second(&self, r: &LoadSecond) {
        let l = &r.latency;
        let latency = if l.count == 0 {
            "no replies".to_string()
        } else {
            format!(
                "p50 {} p90 {} p99 {} max {} ms",
                ms_text(l.p50_us),
                ms_text(l.p90_us),
                ms_text(l.p99_us),
                ms_text(l.max_us)
            )
        };
        eprintln!(
            "[{:>4}s] open {} +{} done {} failed {} | sent {} B/s {} msg/s | received {} B/s {} msg/s | {latency}",
            r.t + 1,
            r.open,
            r.connects,
            r.done,
            r.failed,
            r.sent_bytes,
            r.sent_messages,
            r.received_bytes,
            r.received_messages,
        );
    }

    fn finish(self) -> Result<(), String> {
        if let Some(msg) = self.failure {
            return Err(msg);
        }
        let Some(plan) = &self.plan else {
            return Err("the load run did not start".into());
        };
        let mut out = std::io::stdout().lock();
        let written = if self.json {
            let v = summary_json(plan, &self.last, self.end);
            serde_json::to_writer(&mut out, &v)
                .map_err(std::io::Error::other)
                .and_then(|()| out.write_all(b"\n"))
        } else {
            out.write_all(summary_text(plan, &self.last, self.end, Lang::En).as_bytes())
        };
        written.map_err(|e| format!("cannot write the summary: {e}"))?;
        match self.end {
            Some(LoadEnd::TooManyFailures { max }) => Err(format!(
                "more than {max} connections failed (--max-failures)"
            )),
            _ => Ok(()),
        }
    }

    fn failed_row(&mut self, kind: FailKind, note: &Note) {
        let n = &mut self.shown[kind.index()];
        *n += 1;
        if *n <= FAILURES_SHOWN {
            eprintln!("{note}");
            if *n == 1 {
                let fix = crate::teach::load::fail_kind(kind).fix.get(Lang::En);
                eprintln!("  what to do: {fix}");
            }
        } else if *n == FAILURES_SHOWN + 1 {
            eprintln!("(more \"{kind}\" failures are counted, not printed)");
        }
    }
}

impl Observer for LoadPrinter {
    fn wants_rows(&self) -> bool {
        true
    }

    fn deadline(&self) -> Option<Instant> {
        Some(Instant::now() + INTERRUPT_CHECK)
    }

    fn tick(&mut self, _now: Instant, _pending_tx: usize) -> Flow {
        if !self.stopping && interrupt::caught() {
            // Stopped: the run ends as the window's Stop ends it, with its
            // figures and summary.
            self.stopping = true;
            eprintln!("stopping (Ctrl+C)");
            let _ = self.cmds.send(Command::Close);
        }
        Flow::Go
    }

    fn row(&mut self, entry: &Entry) -> Flow {
        match &entry.note {
            Some(note @ Note::LoadFailed { kind, .. }) => self.failed_row(*kind, note),
            Some(note @ Note::LoadStarted(_)) => eprintln!("{note}"),
            Some(Note::Failure(err)) => {
                if self.plan.is_none() && self.failure.is_none() {
                    self.failure = Some(err.to_string());
                } else {
                    eprintln!("error: {err}");
                }
            }
            _ => {}
        }
        Flow::Go
    }

    fn signal(&mut self, signal: &Signal) -> Flow {
        match signal {
            Signal::LoadStarted(plan) => self.plan = Some((**plan).clone()),
            Signal::LoadProgress(s) => {
                for r in &s.seconds {
                    self.second(r);
                }
                self.last = LoadSnapshot {
                    seconds: Vec::new(),
                    ..(**s).clone()
                };
            }
            Signal::LoadFinished(sum) => {
                for r in &sum.last.seconds {
                    self.second(r);
                }
                self.last = LoadSnapshot {
                    seconds: Vec::new(),
                    ..sum.last.clone()
                };
                self.end = Some(sum.end);
                for s in &sum.slowest {
                    if let crate::net::load::SampleKind::Exchange { latency, step, .. } = &s.kind {
                        eprintln!(
                            "slow: client {} step {step}: {}",
                            s.client,
                            crate::records::ms(*latency)
                        );
                    }
                }
            }
            Signal::Closed { failure, .. } => {
                if let Some(err) = failure
                    && self.failure.is_none()
                {
                    self.failure = Some(err.to_string());
                }
                self.done = true;
                return Flow::Stop;
            }
            _ => {}
        }
        Flow::Go
    }
}

/// Ctrl+C stops a run and still prints its summary (Linux: SIGINT;
/// Windows: the console's Ctrl+C and Ctrl+Break; elsewhere it ends the
/// process as usual).
mod interrupt {
    use std::sync::atomic::{AtomicBool, Ordering};

    static CAUGHT: AtomicBool = AtomicBool::new(false);

    /// True once Ctrl+C was pressed.
    pub(super) fn caught() -> bool {
        CAUGHT.load(Ordering::Relaxed)
    }

    #[cfg(target_os = "linux")]
    extern "C" fn on_sigint(_: libc::c_int) {
        // Only an atomic store: safe in a signal handler.
        CAUGHT.store(true, Ordering::Relaxed);
    }

    /// Takes SIGINT from now on.
    #[cfg(target_os = "linux")]
    pub(super) fn catch() {
        let handler: extern "C" fn(libc::c_int) = on_sigint;
        // SAFETY: the handler only stores to an atomic, which is
        // async-signal-safe; SIGINT's default action is what it replaces.
        unsafe {
            libc::signal(libc::SIGINT, handler as libc::sighandler_t);
        }
    }

    #[cfg(windows)]
    unsafe extern "system" fn on_ctrl(kind: u32) -> windows_sys::core::BOOL {
        use windows_sys::Win32::System::Console::{CTRL_BREAK_EVENT, CTRL_C_EVENT};
        if kind == CTRL_C_EVENT || kind == CTRL_BREAK_EVENT {
            CAUGHT.store(true, Ordering::Relaxed);
            // Handled: the run ends by itself, with its summary.
            return 1;
        }
        // Closing the console, logging off: the default (the process ends).
        0
    }

    /// Takes the console's Ctrl+C from now on.
    #[cfg(windows)]
    pub(super) fn catch() {
        // SAFETY: the handler only stores to an atomic; Windows calls it on
        // a thread of its own, and it lives as long as the program.
        unsafe {
            windows_sys::Win32::System::Console::SetConsoleCtrlHandler(Some(on_ctrl), 1);
        }
    }

    #[cfg(not(any(target_os = "linux", windows)))]
    pub(super) fn catch() {}
}
