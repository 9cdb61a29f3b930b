//! What NetAssist remembers between runs: the language, the memory budget,
//! every tab's settings, and the histories (the window size is kept by
//! eframe itself). Plain data with serde, no UI: the window saves it, and
//! tests check its size and round trip without a display.

pub mod automation_text;
mod framing;
pub mod load;
mod session;
mod validate;

pub use framing::{FramingKind, FramingSettings, MAX_GAP_MS};
pub use load::{LoadScriptChoice, LoadSettings, load_config};
pub use session::{
    EndChoice, FaultDirection, ModeChoice, RelaySettings, SessionSettings, TlsSettings,
    TlsVersionChoice, WsSettings,
};
pub use validate::{FieldErrors, faults, multicast, remote_target, session_config, ws_headers};

use serde::{Deserialize, Serialize};

use crate::automation::AutomationFile;
use crate::codec::summary::BIG_INPUT;
use crate::i18n::Lang;

/// Most remembered remotes and sent items.
pub const HISTORY_LEN: usize = 20;

/// Most bytes the send history holds in memory; older items go first.
pub const HISTORY_BYTES: usize = 32 << 20;

/// Longest label a history item keeps, in characters.
const LABEL_CHARS: usize = 200;

/// Default memory budget for all tabs' logs together, in MiB.
pub const DEFAULT_BUDGET_MIB: usize = 256;

/// Smallest and largest memory budget the settings dialog accepts, in MiB.
pub const BUDGET_RANGE_MIB: std::ops::RangeInclusive<usize> = 16..=16 * 1024;

/// One item of the send history: what was typed and the bytes it became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentItem {
    /// A short label (the text as typed, or the hex).
    pub label: String,
    /// The exact bytes that were sent.
    pub bytes: Vec<u8>,
}

/// Everything the window keeps between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppSettings {
    /// UI language.
    pub lang: Lang,
    /// Payload bytes all tabs' logs may hold together, in MiB.
    pub budget_mib: usize,
    /// Every tab, in order; they come back closed.
    pub tabs: Vec<SessionSettings>,
    /// The tab shown.
    pub active: usize,
    /// Recently used remotes, newest first.
    pub remote_history: Vec<String>,
    /// Recently sent items, newest first. Items larger than
    /// [`BIG_INPUT`] are kept for this run only, never in the settings file.
    #[serde(serialize_with = "small_items")]
    pub sent_history: Vec<SentItem>,
    /// Presets (quick commands) and sequences, shared by every tab.
    #[serde(with = "automation_text")]
    pub automation: AutomationFile,
}

/// Writes only the history items small enough for the settings file.
fn small_items<S: serde::Serializer>(items: &[SentItem], ser: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let small: Vec<&SentItem> = items
        .iter()
        .filter(|i| i.bytes.len() <= BIG_INPUT)
        .collect();
    let mut seq = ser.serialize_seq(Some(small.len()))?;
    for item in small {
        seq.serialize_element(item)?;
    }
    seq.end()
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings::with_lang(Lang::system())
    }
}

impl AppSettings {
    /// Defaults in a given language (tests and first runs): one TCP server tab.
    pub fn with_lang(lang: Lang) -> AppSettings {
        AppSettings {
            lang,
            budget_mib: DEFAULT_BUDGET_MIB,
            tabs: vec![SessionSettings::default()],
            active: 0,
            remote_history: Vec::new(),
            sent_history: Vec::new(),
            automation: AutomationFile::default(),
        }
    }

    /// The memory budget in bytes, clamped to the accepted range.
    pub fn budget_bytes(&self) -> usize {
        let mib = self
            .budget_mib
            .clamp(*BUDGET_RANGE_MIB.start(), *BUDGET_RANGE_MIB.end());
        mib << 20
    }

    /// Remembers a remote, newest first, without duplicates.
    pub fn remember_remote(&mut self, remote: String) {
        self.remote_history.retain(|r| *r != remote);
        self.remote_history.insert(0, remote);
        self.remote_history.truncate(HISTORY_LEN);
    }

    /// Remembers a sent item, newest first, without duplicates, with its
    /// label cut to a readable length and the history bounded in bytes.
    pub fn remember_sent(&mut self, mut item: SentItem) {
        if item.label.chars().count() > LABEL_CHARS {
            item.label = item.label.chars().take(LABEL_CHARS).collect::<String>() + "…";
        }
        self.sent_history.retain(|s| s.bytes != item.bytes);
        self.sent_history.insert(0, item);
        self.sent_history.truncate(HISTORY_LEN);
        let mut total = 0;
        self.sent_history.retain(|s| {
            total += s.bytes.len();
            total <= HISTORY_BYTES || total == s.bytes.len()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{DisplayEncoding, InputMode, LineEnding, SendOptions, TextEncoding};
    use crate::records::View;

    fn sample() -> AppSettings {
        let mut s = AppSettings::with_lang(Lang::Zh);
        s.budget_mib = 512;
        let mut udp = SessionSettings {
            name: Some("我的 UDP".into()),
            mode: ModeChoice::Udp,
            local_ip: "::".into(),
            local_port: "7788".into(),
            client_local_port: "50000".into(),
            remote_host: "localhost".into(),
            remote_port: "8080".into(),
            view: View::Both,
            encoding: DisplayEncoding::Gbk,
            timestamps: false,
            show_peer: false,
            show_control: true,
            auto_scroll: false,
            loop_ms: "250".into(),
            send_text: "你好\\r\\n".into(),
            to_selected: true,
            show_plot: true,
            ..SessionSettings::default()
        };
        udp.send = SendOptions {
            mode: InputMode::Hex,
            escapes: true,
            encoding: TextEncoding::Gbk,
            line_ending: LineEnding::CrLf,
            checksum: None,
        };
        s.tabs.push(udp);
        s.active = 1;
        s.remember_remote("127.0.0.1:9000".into());
        s.remember_sent(SentItem {
            label: "hi".into(),
            bytes: vec![0, 0xFF, b'h'],
        });
        s
    }

    #[test]
    fn every_setting_survives_a_round_trip() {
        let s = sample();
        let text = ron::ser::to_string(&s).expect("serialise");
        let back: AppSettings = ron::from_str(&text).expect("deserialise");
        assert_eq!(back, s);
    }

    #[test]
    fn settings_from_an_older_version_keep_what_they_can() {
        // Unknown fields are ignored and missing ones take their defaults.
        let back: AppSettings =
            ron::from_str("(lang: En, mode: Udp, local_port: \"1\")").expect("old settings");
        assert_eq!(back.lang, Lang::En);
        assert_eq!(back.tabs.len(), 1);
    }

    #[test]
    fn histories_are_bounded_and_newest_first() {
        let mut s = AppSettings::with_lang(Lang::En);
        for i in 0..30 {
            s.remember_remote(format!("h:{i}"));
        }
        s.remember_remote("h:25".into());
        assert_eq!(s.remote_history.len(), HISTORY_LEN);
        assert_eq!(s.remote_history[0], "h:25");
        assert_eq!(s.remote_history.iter().filter(|r| *r == "h:25").count(), 1);
    }

    #[test]
    fn big_inputs_stay_out_of_the_settings_file() {
        let mut s = sample();
        let big = "大".repeat(4_000_000); // 12 MB of UTF-8
        s.tabs[0].send_text = big.clone();
        for i in 0..HISTORY_LEN {
            s.remember_sent(SentItem {
                label: big.clone(),
                bytes: vec![i as u8; 3_000_000],
            });
        }
        s.remember_sent(SentItem {
            label: "small".into(),
            bytes: b"small".to_vec(),
        });
        // Memory is bounded too: labels are cut, old big items dropped.
        let held: usize = s
            .sent_history
            .iter()
            .map(|i| i.bytes.len() + i.label.len())
            .sum();
        assert!(held <= HISTORY_BYTES + 64 * 1024, "{held}");
        let text = ron::ser::to_string(&s).expect("serialise");
        assert!(
            text.len() < 1 << 20,
            "settings file of {} bytes",
            text.len()
        );
        let back: AppSettings = ron::from_str(&text).expect("deserialise");
        assert_eq!(
            back.tabs[0].send_text, "",
            "a big send box is kept for this run only"
        );
        let labels: Vec<&String> = back.sent_history.iter().map(|i| &i.label).collect();
        assert_eq!(labels, ["small"]);
    }

    #[test]
    fn budget_is_clamped() {
        let mut s = AppSettings::with_lang(Lang::En);
        assert_eq!(s.budget_bytes(), 256 << 20);
        s.budget_mib = 0;
        assert_eq!(s.budget_bytes(), 16 << 20);
    }
}
