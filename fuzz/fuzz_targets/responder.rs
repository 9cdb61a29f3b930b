//! The auto-reply runtime (`Responder`) fed rules and engine events built
//! from the input.
//!
//! Input: byte 0 the settings (first or all answer, display encoding, send
//! encoding); byte 1 the number of rules (1 to 4), each a flags byte
//! (trigger, echo, hex reply, GBK, disabled), a byte with escapes, close
//! and the delay, a pattern and a reply (a length byte, then text; the reply split at NUL
//! bytes into parts). Then events, each an op byte (connect, a read from a
//! TCP peer, a UDP datagram, a peer closing, the session closing; which
//! peer; length) and the bytes read.
//!
//! Checked against a plain reading of the rules: exactly the rules that
//! should fire on an event do (the first or all, in order; each rule's
//! matcher sees the peer's bytes decoded as a stream), their hit counts
//! grow by one, every action names a rule that fired, echoes send the
//! chunk, sends are never empty nor over the reply limit, a close comes
//! last for its rule and only for a TCP peer.
#![no_main]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use netassist::automation::template::MAX_REPLY_BYTES;
use netassist::automation::{
    Response, AnswerMode, Echo, Matcher, Responder, ResponderSettings, Rule, Trigger, Way,
};
use netassist::codec::{DisplayEncoding, StreamDecoder, TextEncoding};
use netassist::net::{CloseReason, Event, Mode, PeerId, Target};
use netassist_fuzz::{Input, text_of};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let settings_byte = input.byte();
    let settings = ResponderSettings {
        answer: [AnswerMode::First, AnswerMode::All][usize::from(settings_byte & 1)],
        display: DisplayEncoding::ALL[usize::from(settings_byte >> 1) % 3],
        send_encoding: TextEncoding::ALL[usize::from(settings_byte >> 3) & 1],
    };
    let count = input.pick(4) + 1;
    let rules: Vec<Rule> = (0..count).map(|_| rule(&mut input)).collect();
    let mut responder = Responder::new(rules.clone(), settings);
    let matchers: Vec<Option<Option<Matcher>>> = rules
        .iter()
        .map(|r| {
            let compiled = r.compile(settings.send_encoding).ok()?;
            r.enabled.then_some(compiled.matcher)
        })
        .collect();
    for (state, m) in responder.rules().iter().zip(&matchers) {
        assert_eq!(state.is_active(), m.is_some());
    }

    let addrs: [SocketAddr; 2] = [
        "127.0.0.1:7788".parse().unwrap(),
        "[::1]:6000".parse().unwrap(),
    ];
    let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
    let mut decoders: HashMap<PeerId, StreamDecoder> = HashMap::new();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for _ in 0..32 {
        if input.is_empty() {
            break;
        }
        let op = input.byte();
        let which = usize::from(op >> 3) & 1;
        let (peer, addr) = (PeerId(which as u64 + 1), addrs[which]);
        let chunk = Bytes::copy_from_slice(input.take(usize::from(op >> 4) + 1));
        let (event, text) = match op & 7 {
            0 => (Event::Connected { peer, addr, local }, None),
            1 | 2 => {
                let text = decoders
                    .entry(peer)
                    .or_insert_with(|| StreamDecoder::new(settings.display))
                    .decode(&chunk);
                let event = Event::Received {
                    peer: Some(peer),
                    addr,
                    time: now,
                    data: chunk.clone(),
                    message: None,
                };
                (event, Some(text))
            }
            3 | 4 => {
                let mut decoder = StreamDecoder::new(settings.display);
                let mut text = decoder.decode(&chunk);
                text.push_str(&decoder.finish());
                let event = Event::Received {
                    peer: None,
                    addr,
                    time: now,
                    data: chunk.clone(),
                    message: None,
                };
                (event, Some(text))
            }
            5 => {
                decoders.remove(&peer);
                (
                    Event::PeerClosed {
                        peer,
                        addr,
                        how: CloseReason::Orderly,
                    },
                    None,
                )
            }
            6 => (
                Event::Opened {
                    mode: Mode::Udp,
                    local,
                },
                None,
            ),
            _ => {
                decoders.clear();
                (Event::Closed, None)
            }
        };
        let event_peer = match &event {
            Event::Connected { peer, .. } | Event::PeerClosed { peer, .. } => Some(*peer),
            Event::Received { peer, .. } => *peer,
            _ => None,
        };
        let before: Vec<u64> = responder.rules().iter().map(|r| r.hits()).collect();
        let actions = responder.on_event(&event, now);
        let after: Vec<u64> = responder.rules().iter().map(|r| r.hits()).collect();

        // Which rules should fire, read plainly.
        let connect = matches!(event, Event::Connected { .. } | Event::Opened { .. });
        let mut expected = Vec::new();
        for (i, m) in matchers.iter().enumerate() {
            let Some(matcher) = m else { continue };
            let fires = match (&text, rules[i].when) {
                (None, Trigger::Connect) => connect,
                (None, _) | (Some(_), Trigger::Connect) => false,
                (Some(_), Trigger::Any) => true,
                (Some(text), _) => matcher
                    .as_ref()
                    .is_some_and(|m| m.find(&chunk, text).is_some()),
            };
            if fires {
                expected.push(i);
                if text.is_some() && settings.answer == AnswerMode::First {
                    break;
                }
            }
        }
        let fired: Vec<usize> = (0..rules.len())
            .filter(|&i| after[i] != before[i])
            .collect();
        assert_eq!(fired, expected, "{event:?}");
        for &i in &fired {
            assert_eq!(after[i], before[i] + 1);
        }

        let mut closed = Vec::new();
        for action in &actions {
            match action {
                Response::Send {
                    rule, data, target, ..
                } => {
                    assert!(fired.contains(rule) && !closed.contains(rule));
                    assert!(!data.is_empty() && data.len() <= MAX_REPLY_BYTES.max(chunk.len()));
                    if let Event::Received { peer: Some(p), .. } = &event {
                        assert_eq!(target, &Target::Peers(vec![*p]));
                    }
                    match rules[*rule].echo {
                        Some(Echo::Same) => assert_eq!(data, &chunk),
                        Some(Echo::Upper) => assert_eq!(data[..], chunk.to_ascii_uppercase()[..]),
                        None => {}
                    }
                }
                Response::Close { rule, peer: p, .. } => {
                    assert!(fired.contains(rule) && rules[*rule].close);
                    assert_eq!(Some(*p), event_peer);
                    closed.push(*rule);
                }
                Response::Failed { rule, .. } => assert!(fired.contains(rule)),
            }
        }
    }
});

/// One rule read from the input.
fn rule(input: &mut Input<'_>) -> Rule {
    let flags = input.byte();
    let more = input.byte();
    let pattern_len = usize::from(input.byte());
    let pattern = text_of(input.take(pattern_len)).into_owned();
    let reply_len = usize::from(input.byte());
    let reply_bytes = input.take(reply_len);
    let reply: Vec<String> = if reply_bytes.is_empty() {
        Vec::new()
    } else {
        reply_bytes
            .split(|&b| b == 0)
            .map(|p| text_of(p).into_owned())
            .collect()
    };
    Rule {
        name: String::new(),
        enabled: flags & 0x80 == 0,
        when: Trigger::ALL[usize::from(flags & 7) % 6],
        pattern,
        reply,
        reply_hex: flags & 0x20 != 0,
        echo: match flags >> 3 & 3 {
            1 => Some(Echo::Same),
            2 => Some(Echo::Upper),
            _ => None,
        },
        encoding: (flags & 0x40 != 0).then_some(TextEncoding::Gbk),
        escapes: more & 1 != 0,
        close: more & 2 != 0,
        delay_ms: u64::from(more >> 2) * 17,
        // Directions matter to a relay's rewrites, not to the responder.
        direction: Way::default(),
    }
}
