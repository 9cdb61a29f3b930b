use std::net::SocketAddr;
use std::time::SystemTime;

use super::*;
use crate::net::Flow;

fn rule(when: Trigger, pattern: &str, reply: &str) -> Rule {
    Rule::reply_to(when, pattern, reply)
}

fn run(rules: &[Rule], answer: AnswerMode, flow: Flow, data: &[u8]) -> Rewritten {
    let (rewrite, errors) = RelayRewrite::new(rules, answer, TextEncoding::Utf8);
    assert!(errors.iter().all(Option::is_none), "{errors:?}");
    let from: SocketAddr = "127.0.0.1:5000".parse().unwrap();
    rewrite.rewrite(ChunkIn {
        flow,
        data,
        from,
        time: SystemTime::now(),
    })
}

fn changed(out: Rewritten) -> (Vec<u8>, Vec<u32>, u32) {
    match out {
        Rewritten::Changed {
            data,
            rules,
            matches,
        } => (data.to_vec(), rules, matches),
        other => panic!("not changed: {other:?}"),
    }
}

#[test]
fn contains_replaces_every_occurrence_and_keeps_the_rest() {
    let rules = [rule(Trigger::Contains, "cat", "dog")];
    let out = run(&rules, AnswerMode::First, Flow::Up, b"cat\x00catalog\xff");
    assert_eq!(changed(out), (b"dog\x00dogalog\xff".to_vec(), vec![1], 2));
    let out = run(&rules, AnswerMode::First, Flow::Up, b"no match");
    assert_eq!(out, Rewritten::Unchanged);
}

#[test]
fn a_rule_rewrites_only_its_way() {
    let mut up = rule(Trigger::Contains, "a", "b");
    up.direction = Way::Up;
    assert!(matches!(
        run(&[up.clone()], AnswerMode::First, Flow::Up, b"a"),
        Rewritten::Changed { .. }
    ));
    assert_eq!(
        run(&[up], AnswerMode::First, Flow::Down, b"a"),
        Rewritten::Unchanged
    );
}

#[test]
fn regex_groups_go_in_as_the_bytes_they_matched() {
    let rules = [rule(Trigger::Regex, r"name:(\w+)", "NAME={{1}}!")];
    let out = run(
        &rules,
        AnswerMode::First,
        Flow::Up,
        "name:张三 name:li".as_bytes(),
    );
    let (data, _, matches) = changed(out);
    assert_eq!(String::from_utf8(data).unwrap(), "NAME=张三! NAME=li!");
    assert_eq!(matches, 2);
}

#[test]
fn hex_patterns_with_wildcards_and_hex_replies() {
    let mut r = rule(Trigger::Hex, "01 ?? 03", "AA BB");
    r.reply_hex = true;
    let out = run(&[r], AnswerMode::First, Flow::Down, b"\x00\x01\x02\x03\x04");
    assert_eq!(changed(out).0, b"\x00\xaa\xbb\x04");
}

#[test]
fn echo_keeps_or_upper_cases_each_match() {
    let mut r = rule(Trigger::Contains, "hello", "");
    r.reply.clear();
    r.echo = Some(Echo::Upper);
    let out = run(&[r], AnswerMode::First, Flow::Up, b"say hello, hello!");
    assert_eq!(changed(out).0, b"say HELLO, HELLO!");
}

#[test]
fn equals_and_any_take_the_whole_chunk() {
    let eq = [rule(Trigger::Equals, "ping\n", "pong\n")];
    assert_eq!(
        changed(run(&eq, AnswerMode::First, Flow::Up, b"ping\n")).0,
        b"pong\n"
    );
    assert_eq!(
        run(&eq, AnswerMode::First, Flow::Up, b"ping\nping\n"),
        Rewritten::Unchanged
    );
    let any = [rule(Trigger::Any, "", "X")];
    assert_eq!(
        changed(run(&any, AnswerMode::First, Flow::Up, b"a\nb\x00")).0,
        b"X"
    );
}

#[test]
fn a_gbk_pattern_matches_gbk_bytes() {
    let mut r = rule(Trigger::Contains, "你好", "再见");
    r.encoding = Some(TextEncoding::Gbk);
    let gbk_hello = crate::codec::encode("你好!", TextEncoding::Gbk).unwrap();
    let want = crate::codec::encode("再见!", TextEncoding::Gbk).unwrap();
    assert_eq!(
        changed(run(&[r], AnswerMode::First, Flow::Up, &gbk_hello)).0,
        want
    );
}

#[test]
fn first_stops_at_the_first_rule_that_changes_all_chains() {
    let rules = [
        rule(Trigger::Contains, "a", "b"),
        rule(Trigger::Contains, "b", "c"),
    ];
    let (data, by, _) = changed(run(&rules, AnswerMode::First, Flow::Up, b"a"));
    assert_eq!((data, by), (b"b".to_vec(), vec![1]));
    let (data, by, _) = changed(run(&rules, AnswerMode::All, Flow::Up, b"a"));
    assert_eq!((data, by), (b"c".to_vec(), vec![1, 2]));
}

#[test]
fn rules_that_cannot_rewrite_are_named() {
    let mut delay = rule(Trigger::Contains, "a", "b");
    delay.delay_ms = 10;
    let mut close = rule(Trigger::Contains, "a", "b");
    close.close = true;
    let connect = rule(Trigger::Connect, "", "hi");
    let good = rule(Trigger::Contains, "a", "b");
    let (rewrite, errors) = RelayRewrite::new(
        &[delay, close, connect, good],
        AnswerMode::First,
        TextEncoding::Utf8,
    );
    let fields: Vec<Option<RuleField>> =
        errors.iter().map(|e| e.as_ref().map(|e| e.field)).collect();
    assert_eq!(
        fields,
        [
            Some(RuleField::Delay),
            Some(RuleField::Close),
            Some(RuleField::When),
            None
        ]
    );
    // Only the good one runs, under its own number.
    assert_eq!(rewrite.hits(), [(4, 0)]);
}

#[test]
fn a_rewrite_that_would_grow_too_much_fails_and_changes_nothing() {
    // An empty-matching regex would put the reply between every byte.
    let big = "x".repeat(4096);
    let rules = [rule(Trigger::Regex, "y*", &big)];
    let (rewrite, _) = RelayRewrite::new(&rules, AnswerMode::First, TextEncoding::Utf8);
    let out = rewrite.rewrite(ChunkIn {
        flow: Flow::Up,
        data: &[b'a'; 1024],
        from: "127.0.0.1:1".parse().unwrap(),
        time: SystemTime::now(),
    });
    assert!(
        matches!(&out, Rewritten::Failed { rule: 1, reason, .. } if reason.contains("over")),
        "{out:?}"
    );
}

#[test]
fn hits_and_the_counter_count_changed_chunks() {
    let rules = [rule(Trigger::Contains, "n", "{{counter}}")];
    let (rewrite, _) = RelayRewrite::new(&rules, AnswerMode::First, TextEncoding::Utf8);
    let from: SocketAddr = "127.0.0.1:1".parse().unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let out = rewrite.rewrite(ChunkIn {
            flow: Flow::Up,
            data: b"n-n",
            from,
            time: SystemTime::now(),
        });
        seen.push(changed(out).0);
    }
    assert_eq!(seen, [b"1-1".to_vec(), b"2-2".to_vec(), b"3-3".to_vec()]);
    assert_eq!(rewrite.hits(), [(1, 3)]);
}

#[test]
fn peer_is_the_sender() {
    let rules = [rule(Trigger::Contains, "me", "{{peer}}")];
    let (data, _, _) = changed(run(&rules, AnswerMode::First, Flow::Down, b"me"));
    assert_eq!(data, b"127.0.0.1:5000");
}
