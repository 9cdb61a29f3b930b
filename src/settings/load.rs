//! A load tab's settings as typed, and the run they describe: a URL, how
//! many clients and how fast, how long, and each client's script (a
//! payload, or a sequence of the automation file shared by every tab).

use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::automation::{AutomationFile, SequenceRun};
use crate::codec::{InputMode, LineEnding, SendOptions, build_payload};
use crate::i18n::T;
use crate::messages::Msg;
use crate::net::load::{
    Expect, LoadConfig, LoadScript, LoadStep, LoadUrlError, LoadWait, MAX_CONNECTIONS,
};
use crate::net::parse_load_url;

use super::SessionSettings;

/// What each client of a load tab does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LoadScriptChoice {
    /// Send one payload each round, and check the reply if asked.
    #[default]
    Payload,
    /// The same with a preset's bytes.
    Preset,
    /// Run a sequence of the automation file.
    Sequence,
}

/// A load tab's fields (text, so a bad entry can be shown and fixed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoadSettings {
    /// `tcp://HOST:PORT`, `tls://HOST:PORT` or `udp://HOST:PORT`.
    pub url: String,
    /// Clients.
    pub connections: String,
    /// New connections a second.
    pub rate: String,
    /// Seconds the run lasts (empty: until every client is done).
    pub duration_s: String,
    /// Rounds each client runs (empty: one, or until the duration ends).
    pub rounds: String,
    /// A payload or a sequence.
    pub script: LoadScriptChoice,
    /// The payload, as text (escapes allowed).
    pub send: String,
    /// Milliseconds between a client's rounds (empty: at once after the
    /// reply, or a second without a check).
    pub every_ms: String,
    /// Each reply must contain this text (empty: no check).
    pub expect: String,
    /// How long a reply may take, in milliseconds.
    pub reply_timeout_ms: String,
    /// The sequence's name.
    pub sequence: String,
    /// The preset's name.
    pub preset: String,
    /// Stop once more than this many connections failed (empty: never).
    pub max_failures: String,
}

impl Default for LoadSettings {
    fn default() -> Self {
        LoadSettings {
            url: "tcp://127.0.0.1:8888".to_string(),
            connections: "100".to_string(),
            rate: "1000".to_string(),
            duration_s: String::new(),
            rounds: "1".to_string(),
            script: LoadScriptChoice::Payload,
            send: "ping".to_string(),
            every_ms: String::new(),
            expect: String::new(),
            reply_timeout_ms: "5000".to_string(),
            sequence: String::new(),
            preset: String::new(),
            max_failures: String::new(),
        }
    }
}

/// A whole number in `min..=max` from a field (`None` when empty).
fn number(text: &str, min: u64, max: u64) -> Result<Option<u64>, Msg> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(Msg::with(T::ErrLoadNumber, &[&text, &min, &max])),
    }
}

/// Text bytes as the send options make them (escapes, encoding).
fn text_bytes(text: &str, send: &SendOptions) -> Result<Bytes, Msg> {
    let opts = SendOptions {
        mode: InputMode::Text,
        line_ending: LineEnding::None,
        checksum: None,
        ..send.clone()
    };
    build_payload(text, &opts)
        .map(|p| Bytes::from(p.bytes))
        .map_err(Msg::Payload)
}

fn script(s: &SessionSettings, shared: &AutomationFile) -> Result<LoadScript, Msg> {
    let l = &s.load;
    match l.script {
        LoadScriptChoice::Sequence => {
            let name = l.sequence.trim();
            let Some(seq) = shared.sequence(name) else {
                return Err(Msg::with(T::ErrLoadNoSequence, &[&name]));
            };
            SequenceRun::new(seq, &shared.presets, s.encoding)
                .map(|run| run.load_script())
                .map_err(|e| Msg::with(T::ErrLoadSequence, &[&name, &e]))
        }
        LoadScriptChoice::Payload | LoadScriptChoice::Preset => {
            let payload = if l.script == LoadScriptChoice::Preset {
                let name = l.preset.trim();
                let preset = shared
                    .preset(name)
                    .ok_or_else(|| Msg::with(T::ErrLoadNoPreset, &[&name]))?;
                Bytes::from(preset.build().map_err(Msg::Payload)?.bytes)
            } else {
                text_bytes(&l.send, &s.send)?
            };
            let timeout = number(&l.reply_timeout_ms, 1, 86_400_000)?.unwrap_or(5000);
            let timeout = Duration::from_millis(timeout);
            let expect = match l.expect.trim() {
                "" => None,
                _ => Some(Expect::contains(text_bytes(&l.expect, &s.send)?)),
            };
            let every = number(&l.every_ms, 1, 86_400_000)?;
            if payload.is_empty() && expect.is_none() {
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
            let every = match (every, &expect) {
                (Some(ms), _) => Some(Duration::from_millis(ms)),
                (None, None) => Some(Duration::from_secs(1)),
                (None, Some(_)) => None,
            };
            Ok(LoadScript::payload(payload, every, expect, timeout))
        }
    }
}

/// The run a load tab's fields describe, or what is wrong with them. The
/// TLS section's client checks (CA file, ignore errors, SNI) serve a
/// `tls://` target.
pub fn load_config(s: &SessionSettings, shared: &AutomationFile) -> Result<LoadConfig, Msg> {
    let l = &s.load;
    let url = parse_load_url(&l.url).map_err(|e| match e {
        LoadUrlError::Ws(e) => Msg::with(T::ErrLoadWsUrl, &[&l.url.trim(), &e]),
        _ => Msg::with(T::ErrLoadUrl, &[&l.url.trim()]),
    })?;
    let connections = number(&l.connections, 1, u64::from(MAX_CONNECTIONS))?
        .ok_or_else(|| Msg::with(T::ErrLoadNumber, &[&"", &1, &MAX_CONNECTIONS]))?;
    let rate = number(&l.rate, 1, 1_000_000)?;
    let duration = number(&l.duration_s, 1, 86_400)?;
    let rounds = number(&l.rounds, 1, u64::from(u32::MAX))?;
    let max_failures = number(&l.max_failures, 0, u64::MAX)?;
    let script = script(s, shared)?;
    if script.rounds.is_none() && rounds.is_none() && duration.is_none() {
        return Err(Msg::key(T::ErrLoadForever));
    }
    let mut config = LoadConfig::new(url, connections as u32, script);
    config.shape.rate = rate.map(|r| r as u32);
    config.shape.duration = duration.map(Duration::from_secs);
    // With a duration, rounds left as they are mean "until it ends".
    config.shape.rounds = match (duration, rounds) {
        (Some(_), Some(1)) if l.script != LoadScriptChoice::Sequence => None,
        (_, r) => r.map(|r| r as u32),
    };
    config.shape.max_failures = max_failures;
    if config.url.proto.tls() {
        config.tls = Some(super::validate::load_tls(&s.tls)?);
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn tab(load: LoadSettings) -> SessionSettings {
        SessionSettings {
            load,
            ..SessionSettings::default()
        }
    }

    #[test]
    fn the_default_fields_make_a_run() {
        let c = load_config(&tab(LoadSettings::default()), &AutomationFile::default()).unwrap();
        assert_eq!(c.shape.connections, 100);
        assert_eq!(c.shape.rate, Some(1000));
        assert_eq!(c.shape.rounds, Some(1));
        assert_eq!(&c.script.steps[0].send[..], b"ping");
    }

    #[test]
    fn bad_fields_say_what_is_wrong_in_both_languages() {
        let none = AutomationFile::default();
        let cases = [
            LoadSettings {
                url: "ws://127.0.0.1:0/".into(),
                ..LoadSettings::default()
            },
            LoadSettings {
                url: "127.0.0.1:80".into(),
                ..LoadSettings::default()
            },
            LoadSettings {
                connections: "0".into(),
                ..LoadSettings::default()
            },
            LoadSettings {
                script: LoadScriptChoice::Sequence,
                sequence: "none".into(),
                ..LoadSettings::default()
            },
            LoadSettings {
                script: LoadScriptChoice::Preset,
                preset: "none".into(),
                ..LoadSettings::default()
            },
        ];
        for l in cases {
            let msg = load_config(&tab(l.clone()), &none).unwrap_err();
            for lang in [Lang::En, Lang::Zh] {
                let text = msg.render(lang);
                assert!(!text.is_empty() && !text.contains("{}"), "{l:?}: {text}");
            }
        }
        let ws = load_config(
            &tab(LoadSettings {
                url: "ws://".into(),
                ..LoadSettings::default()
            }),
            &none,
        )
        .unwrap_err();
        assert!(
            ws.render(Lang::En).contains("WebSocket URL"),
            "{}",
            ws.render(Lang::En)
        );
    }

    #[test]
    fn a_duration_repeats_a_payload_until_it_ends() {
        let c = load_config(
            &tab(LoadSettings {
                duration_s: "5".into(),
                ..LoadSettings::default()
            }),
            &AutomationFile::default(),
        )
        .unwrap();
        assert_eq!(c.shape.duration, Some(Duration::from_secs(5)));
        assert_eq!(c.shape.rounds, None);
    }
}
