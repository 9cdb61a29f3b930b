//! The auto-reply runtime both front ends use: fed engine events, it says
//! what to send where (and after what delay) and which connection to close,
//! and counts each rule's hits.
//!
//! It is pure: no sockets, no clock of its own (the caller passes the time),
//! no timers. The caller carries out each [`Response`] after its delay.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use chrono::{DateTime, Local};

use super::rule::{AnswerMode, CompiledRule, Echo, Reply, Rule, RuleError, Trigger};
use super::template::{RenderError, Values};
use crate::codec::{DisplayEncoding, StreamDecoder, TextEncoding};
use crate::net::{Event, Mode, PeerId, Target};

/// Session settings the rules run with.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponderSettings {
    /// First match answers, or all matches.
    pub answer: AnswerMode,
    /// How received bytes are decoded for text matchers.
    pub display: DisplayEncoding,
    /// Encoding of reply text for rules without their own.
    pub send_encoding: TextEncoding,
}

/// Something the caller should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// Send `data` to `target` once `delay` has passed.
    Send {
        /// Index of the rule that asked.
        rule: usize,
        /// Where: the peer that sent the chunk (or connected).
        target: Target,
        /// The exact bytes.
        data: Bytes,
        /// How long to wait first, counted from the event.
        delay: Duration,
    },
    /// Close this TCP connection once `delay` has passed (after the sends
    /// before it in the same list).
    Close {
        /// Index of the rule that asked.
        rule: usize,
        /// The connection.
        peer: PeerId,
        /// How long to wait first, counted from the event.
        delay: Duration,
    },
    /// A rule matched but its reply could not be made.
    Failed {
        /// Index of the rule.
        rule: usize,
        /// Why.
        error: RenderError,
    },
}

/// One rule with its compiled form and hit count.
#[derive(Debug, Clone)]
pub struct RuleState {
    rule: Rule,
    compiled: Result<CompiledRule, RuleError>,
    hits: u64,
}

impl RuleState {
    /// The rule as written.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// Why the rule cannot run, if it cannot (it then stays disabled).
    pub fn error(&self) -> Option<&RuleError> {
        self.compiled.as_ref().err()
    }

    /// True when the rule is enabled and compiles.
    pub fn is_active(&self) -> bool {
        self.rule.enabled && self.compiled.is_ok()
    }

    /// How often it has fired.
    pub fn hits(&self) -> u64 {
        self.hits
    }
}

/// Runs a list of rules against engine events.
#[derive(Debug, Clone)]
pub struct Responder {
    settings: ResponderSettings,
    rules: Vec<RuleState>,
    /// One decoder per TCP connection, so a character split across reads
    /// is matched whole; dropped when the connection ends.
    decoders: HashMap<PeerId, StreamDecoder>,
    needs_text: bool,
}

impl Responder {
    /// A responder for `rules` with `settings`.
    pub fn new(rules: Vec<Rule>, settings: ResponderSettings) -> Responder {
        let mut r = Responder {
            settings,
            rules: Vec::new(),
            decoders: HashMap::new(),
            needs_text: false,
        };
        r.set_rules(rules);
        r
    }

    /// Replaces the rules (hit counts start again from zero).
    pub fn set_rules(&mut self, rules: Vec<Rule>) {
        self.rules = rules
            .into_iter()
            .map(|rule| RuleState {
                compiled: rule.compile(self.settings.send_encoding),
                rule,
                hits: 0,
            })
            .collect();
        self.refresh();
    }

    /// The settings.
    pub fn settings(&self) -> ResponderSettings {
        self.settings
    }

    /// Every rule, in order, with its state.
    pub fn rules(&self) -> &[RuleState] {
        &self.rules
    }

    fn refresh(&mut self) {
        self.needs_text = self.rules.iter().any(|s| {
            s.rule.enabled
                && matches!(&s.compiled, Ok(c) if c.matcher.as_ref().is_some_and(|m| m.needs_text()))
        });
        if !self.needs_text {
            self.decoders.clear();
        }
    }

    /// Handles one engine event; `now` is used for `{{time}}` when the event
    /// carries no time of its own.
    pub fn on_event(&mut self, event: &Event, now: SystemTime) -> Vec<Response> {
        match event {
            Event::Opened {
                mode: Mode::Udp, ..
            } => self.on_connect(Target::Default, None, None, now),
            Event::Connected { peer, addr, .. } => {
                self.on_connect(Target::Peers(vec![*peer]), Some(*peer), Some(*addr), now)
            }
            Event::Received {
                peer,
                addr,
                time,
                data,
                ..
            } => self.on_chunk(*peer, *addr, *time, data),
            Event::PeerClosed { peer, .. } => {
                self.decoders.remove(peer);
                Vec::new()
            }
            Event::Closed => {
                self.decoders.clear();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn on_connect(
        &mut self,
        target: Target,
        peer: Option<PeerId>,
        addr: Option<SocketAddr>,
        now: SystemTime,
    ) -> Vec<Response> {
        let mut responses = Vec::new();
        let time = clock_text(now);
        let peer_text = addr.map(|a| a.to_string()).unwrap_or_default();
        // Every connect rule fires: there is nothing to match.
        for index in 0..self.rules.len() {
            let state = &mut self.rules[index];
            let Ok(compiled) = &state.compiled else {
                continue;
            };
            if !state.rule.enabled || compiled.when != Trigger::Connect {
                continue;
            }
            state.hits += 1;
            let values = Values {
                groups: &Default::default(),
                counter: state.hits,
                time: &time,
                peer: &peer_text,
            };
            push_reply(&mut responses, index, compiled, &target, peer, &values, b"");
        }
        responses
    }

    fn on_chunk(
        &mut self,
        peer: Option<PeerId>,
        addr: SocketAddr,
        time: SystemTime,
        data: &Bytes,
    ) -> Vec<Response> {
        let text = if self.needs_text {
            self.decode(peer, data)
        } else {
            String::new()
        };
        let target = match peer {
            Some(p) => Target::Peers(vec![p]),
            None => Target::Addr(addr),
        };
        let clock = clock_text(time);
        let peer_text = addr.to_string();
        let mut responses = Vec::new();
        for index in 0..self.rules.len() {
            let state = &mut self.rules[index];
            let Ok(compiled) = &state.compiled else {
                continue;
            };
            if !state.rule.enabled {
                continue;
            }
            let groups = match (compiled.when, &compiled.matcher) {
                (Trigger::Connect, _) => continue,
                (_, Some(m)) => match m.find(data, &text) {
                    Some(groups) => groups,
                    None => continue,
                },
                (_, None) => Default::default(),
            };
            state.hits += 1;
            let values = Values {
                groups: &groups,
                counter: state.hits,
                time: &clock,
                peer: &peer_text,
            };
            push_reply(
                &mut responses,
                index,
                compiled,
                &target,
                peer,
                &values,
                data,
            );
            if self.settings.answer == AnswerMode::First {
                break;
            }
        }
        responses
    }

    fn decode(&mut self, peer: Option<PeerId>, data: &[u8]) -> String {
        let encoding = self.settings.display;
        match peer {
            Some(p) => self
                .decoders
                .entry(p)
                .or_insert_with(|| StreamDecoder::new(encoding))
                .decode(data),
            None => {
                // A datagram is a whole message.
                let mut dec = StreamDecoder::new(encoding);
                let mut text = dec.decode(data);
                text.push_str(&dec.finish());
                text
            }
        }
    }
}

/// Appends the sends (and close) one rule asks for.
fn push_reply(
    responses: &mut Vec<Response>,
    rule: usize,
    compiled: &CompiledRule,
    target: &Target,
    peer: Option<PeerId>,
    values: &Values<'_>,
    chunk: &[u8],
) {
    let parts: Vec<Bytes> = match &compiled.reply {
        Reply::Echo(Echo::Same) => vec![Bytes::copy_from_slice(chunk)],
        Reply::Echo(Echo::Upper) => vec![Bytes::from(chunk.to_ascii_uppercase())],
        Reply::Hex(parts) => parts.clone(),
        Reply::Text(templates) => {
            let mut parts = Vec::with_capacity(templates.len());
            for t in templates {
                match t.render(values) {
                    Ok(bytes) => parts.push(Bytes::from(bytes)),
                    Err(error) => {
                        responses.push(Response::Failed { rule, error });
                        return;
                    }
                }
            }
            parts
        }
    };
    let mut delay = Duration::ZERO;
    for data in parts {
        delay += compiled.delay;
        if data.is_empty() {
            continue;
        }
        responses.push(Response::Send {
            rule,
            target: target.clone(),
            data,
            delay,
        });
    }
    if compiled.close
        && let Some(peer) = peer
    {
        responses.push(Response::Close {
            rule,
            peer,
            delay: delay.max(compiled.delay),
        });
    }
}

/// HH:MM:SS.mmm in local time.
pub fn clock_text(time: SystemTime) -> String {
    DateTime::<Local>::from(time)
        .format("%H:%M:%S%.3f")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::TextEncoding;
    use crate::net::CloseReason;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn tcp_chunk(peer: u64, data: &[u8]) -> Event {
        Event::Received {
            peer: Some(PeerId(peer)),
            addr: addr(5000 + peer as u16),
            time: SystemTime::now(),
            data: Bytes::copy_from_slice(data),
            message: None,
        }
    }

    fn udp_chunk(port: u16, data: &[u8]) -> Event {
        Event::Received {
            peer: None,
            addr: addr(port),
            time: SystemTime::now(),
            data: Bytes::copy_from_slice(data),
            message: None,
        }
    }

    fn responder(rules: Vec<Rule>, answer: AnswerMode) -> Responder {
        Responder::new(
            rules,
            ResponderSettings {
                answer,
                display: DisplayEncoding::Auto,
                send_encoding: TextEncoding::Utf8,
            },
        )
    }

    fn sent(responses: &[Response]) -> Vec<(Target, Vec<u8>, u64)> {
        responses
            .iter()
            .filter_map(|a| match a {
                Response::Send {
                    target,
                    data,
                    delay,
                    ..
                } => Some((target.clone(), data.to_vec(), delay.as_millis() as u64)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn echo_goes_back_to_the_sender() {
        let mut r = responder(vec![Rule::echo()], AnswerMode::First);
        let a = r.on_event(&tcp_chunk(1, b"\x00\xFFhi"), SystemTime::now());
        assert_eq!(
            sent(&a),
            vec![(Target::Peers(vec![PeerId(1)]), b"\x00\xFFhi".to_vec(), 0)]
        );
        let a = r.on_event(&udp_chunk(7788, b"x"), SystemTime::now());
        assert_eq!(sent(&a), vec![(Target::Addr(addr(7788)), b"x".to_vec(), 0)]);
        assert_eq!(r.rules()[0].hits(), 2);
    }

    #[test]
    fn regex_groups_counter_and_peer_fill_the_reply() {
        let mut rule = Rule::reply_to(
            Trigger::Regex,
            r"^name:(\w+)",
            r"Hello {{1}} #{{counter}} from {{peer}}\n",
        );
        rule.delay_ms = 20;
        let mut r = responder(vec![rule], AnswerMode::First);
        let a = r.on_event(&tcp_chunk(2, "name:张三 x".as_bytes()), SystemTime::now());
        assert_eq!(
            sent(&a),
            vec![(
                Target::Peers(vec![PeerId(2)]),
                "Hello 张三 #1 from 127.0.0.1:5002\n".as_bytes().to_vec(),
                20
            )]
        );
        assert!(
            r.on_event(&tcp_chunk(2, b"nothing"), SystemTime::now())
                .is_empty()
        );
        let a = r.on_event(&tcp_chunk(2, b"name:bob"), SystemTime::now());
        assert_eq!(sent(&a)[0].1, b"Hello bob #2 from 127.0.0.1:5002\n");
        assert_eq!(r.rules()[0].hits(), 2);
    }

    #[test]
    fn time_placeholder_is_local_clock_time() {
        let mut r = responder(
            vec![Rule::reply_to(Trigger::Any, "", "{{time}}")],
            AnswerMode::First,
        );
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let event = Event::Received {
            peer: None,
            addr: addr(1),
            time: at,
            data: Bytes::from_static(b"x"),
            message: None,
        };
        let a = r.on_event(&event, SystemTime::now());
        let text = String::from_utf8(sent(&a)[0].1.clone()).unwrap();
        let local = DateTime::<Local>::from(at);
        assert_eq!(
            text,
            format!(
                "{:02}:{:02}:{:02}.123",
                chrono::Timelike::hour(&local),
                chrono::Timelike::minute(&local),
                chrono::Timelike::second(&local)
            )
        );
    }

    #[test]
    fn hex_wildcards_match_anywhere() {
        let mut rule = Rule::reply_to(Trigger::Hex, "03 ?? 0A", "AA BB");
        rule.reply_hex = true;
        let mut r = responder(vec![rule], AnswerMode::First);
        let a = r.on_event(&tcp_chunk(1, b"\x01\x03\x99\x0A"), SystemTime::now());
        assert_eq!(sent(&a)[0].1, [0xAA, 0xBB]);
        assert!(
            r.on_event(&tcp_chunk(1, b"\x03\x0A"), SystemTime::now())
                .is_empty()
        );
    }

    #[test]
    fn first_or_all_matches_answer() {
        let rules = vec![
            Rule::reply_to(Trigger::Contains, "a", "1"),
            Rule::reply_to(Trigger::Contains, "b", "2"),
            Rule::reply_to(Trigger::Any, "", "3"),
        ];
        let mut first = responder(rules.clone(), AnswerMode::First);
        let a = first.on_event(&tcp_chunk(1, b"ab"), SystemTime::now());
        assert_eq!(sent(&a).len(), 1);
        assert_eq!(sent(&a)[0].1, b"1");
        let a = first.on_event(&tcp_chunk(1, b"b"), SystemTime::now());
        assert_eq!(sent(&a)[0].1, b"2");
        let hits: Vec<u64> = first.rules().iter().map(RuleState::hits).collect();
        assert_eq!(hits, [1, 1, 0]);

        let mut all = responder(rules, AnswerMode::All);
        let a = all.on_event(&tcp_chunk(1, b"ab"), SystemTime::now());
        let bodies: Vec<Vec<u8>> = sent(&a).into_iter().map(|s| s.1).collect();
        assert_eq!(bodies, [b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);
    }

    #[test]
    fn disabled_and_broken_rules_never_fire() {
        let mut off = Rule::echo();
        off.enabled = false;
        let broken = Rule::reply_to(Trigger::Regex, "(", "x");
        let mut r = responder(
            vec![off, broken, Rule::reply_to(Trigger::Any, "", "ok")],
            AnswerMode::First,
        );
        assert!(!r.rules()[0].is_active());
        assert!(r.rules()[1].error().is_some());
        let a = r.on_event(&tcp_chunk(1, b"x"), SystemTime::now());
        assert_eq!(sent(&a)[0].1, b"ok");
    }

    #[test]
    fn connect_rules_all_fire_and_close_comes_after_the_parts() {
        let mut welcome = Rule::reply_to(Trigger::Connect, "", "Welcome!\n");
        welcome.reply.push("What's your name?".into());
        welcome.delay_ms = 30;
        let hello = Rule::reply_to(Trigger::Connect, "", "{{peer}}");
        let mut bye = Rule::reply_to(Trigger::Equals, "exit", "Good bye!\n");
        bye.close = true;
        let mut r = responder(vec![welcome, hello, bye], AnswerMode::First);
        let connected = Event::Connected {
            peer: PeerId(4),
            addr: addr(6001),
            local: addr(6000),
        };
        let a = r.on_event(&connected, SystemTime::now());
        let to = Target::Peers(vec![PeerId(4)]);
        assert_eq!(
            sent(&a),
            vec![
                (to.clone(), b"Welcome!\n".to_vec(), 30),
                (to.clone(), b"What's your name?".to_vec(), 60),
                (to.clone(), b"127.0.0.1:6001".to_vec(), 0),
            ]
        );
        let a = r.on_event(&tcp_chunk(4, b"exit"), SystemTime::now());
        assert_eq!(
            a,
            vec![
                Response::Send {
                    rule: 2,
                    target: to,
                    data: Bytes::from_static(b"Good bye!\n"),
                    delay: Duration::ZERO
                },
                Response::Close {
                    rule: 2,
                    peer: PeerId(4),
                    delay: Duration::ZERO
                }
            ]
        );
    }

    #[test]
    fn udp_connect_rules_fire_when_bound() {
        let mut r = responder(
            vec![Rule::reply_to(Trigger::Connect, "", "hi")],
            AnswerMode::First,
        );
        let opened = Event::Opened {
            mode: Mode::Udp,
            local: addr(7788),
        };
        assert_eq!(
            sent(&r.on_event(&opened, SystemTime::now())),
            vec![(Target::Default, b"hi".to_vec(), 0)]
        );
        let tcp_opened = Event::Opened {
            mode: Mode::TcpServer,
            local: addr(7788),
        };
        assert!(r.on_event(&tcp_opened, SystemTime::now()).is_empty());
    }

    #[test]
    fn upper_echo_changes_only_ascii_letters() {
        let mut rule = Rule::echo();
        rule.echo = Some(Echo::Upper);
        let mut r = responder(vec![rule], AnswerMode::First);
        let data = ["hello egon 哈哈哈".as_bytes(), &[0xFF]].concat();
        let a = r.on_event(&tcp_chunk(1, &data), SystemTime::now());
        assert_eq!(
            sent(&a)[0].1,
            ["HELLO EGON 哈哈哈".as_bytes(), &[0xFF]].concat()
        );
    }

    #[test]
    fn a_character_split_across_reads_still_matches() {
        let bytes = "你好".as_bytes();
        // A chunk that completes a character started in the previous one
        // decodes to the whole character, never to U+FFFD.
        let mut r = responder(
            vec![Rule::reply_to(Trigger::Equals, "好", "ok")],
            AnswerMode::First,
        );
        r.on_event(&tcp_chunk(1, &bytes[..4]), SystemTime::now());
        let a = r.on_event(&tcp_chunk(1, &bytes[4..]), SystemTime::now());
        assert_eq!(sent(&a)[0].1, b"ok");
        // Decoders go when the connection does.
        r.on_event(
            &Event::PeerClosed {
                peer: PeerId(1),
                addr: addr(5001),
                how: CloseReason::Orderly,
            },
            SystemTime::now(),
        );
        assert!(r.decoders.is_empty());
    }

    #[test]
    fn gbk_display_decodes_before_matching() {
        let mut r = Responder::new(
            vec![Rule::reply_to(Trigger::Contains, "你好", "thank you !")],
            ResponderSettings {
                answer: AnswerMode::First,
                display: DisplayEncoding::Gbk,
                send_encoding: TextEncoding::Gbk,
            },
        );
        let a = r.on_event(&tcp_chunk(1, &[0xC4, 0xE3, 0xBA, 0xC3]), SystemTime::now());
        assert_eq!(sent(&a)[0].1, b"thank you !");
    }

    #[test]
    fn a_value_the_encoding_lacks_is_a_failure_not_a_send() {
        let mut r = Responder::new(
            vec![Rule::reply_to(Trigger::Regex, "(.+)", "{{1}}")],
            ResponderSettings {
                answer: AnswerMode::First,
                display: DisplayEncoding::Utf8,
                send_encoding: TextEncoding::Gbk,
            },
        );
        let a = r.on_event(&tcp_chunk(1, "😀".as_bytes()), SystemTime::now());
        assert!(matches!(a.as_slice(), [Response::Failed { rule: 0, .. }]));
    }
}
