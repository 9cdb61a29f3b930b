use super::*;
use proptest::prelude::*;

/// A file using every feature.
const FULL: &str = r#"
answer = "all"

[[preset]]
name = "read holding"
text = "01 03 00 00 00 01"
mode = "hex"
checksum = "crc16-modbus"
hotkey = "F1"

[[preset]]
name = "hello"
text = '你好\r\n'
escapes = true
encoding = "gbk"
newline = "crlf"
checksum = "sum8"
checksum_range = "1:-2"
target = "127.0.0.1:7788"
hotkey = "Ctrl+2"

[[sequence]]
name = "poll"
repeat = 3

[[sequence.step]]
preset = "read holding"
wait_for = "hex"
pattern = "01 03 ??"
timeout_ms = 500

[[sequence.step]]
send = { text = "AT", newline = "crlf" }
wait_ms = 100

[[sequence]]
name = "forever"
repeat = "forever"

[[sequence.step]]
preset = "hello"
wait_ms = 1000

[[rule]]
when = "regex"          # contains | equals | regex | hex
pattern = "^name:(\\w+)"
reply = "Hello {{1}}!\n"
reply_hex = false       # optional, default false
delay_ms = 0            # optional

[[rule]]
name = "modbus"
when = "hex"
pattern = "01 03 ?? ??"
reply = "01 03 02 00 2A"
reply_hex = true
delay_ms = 20

[[rule]]
when = "connect"
reply = ["Welcome!\n", "What's your name?"]
delay_ms = 30

[[rule]]
when = "equals"
pattern = "exit"
reply = "Good bye!\n"
close = true
encoding = "gbk"
escapes = false
enabled = false

[[rule]]
when = "any"
echo = "upper"
"#;

#[test]
fn every_feature_parses() {
    let parsed = parse(FULL).unwrap();
    assert!(
        parsed.rule_problems.is_empty(),
        "{:?}",
        parsed.rule_problems
    );
    let a = parsed.into_automation();
    assert_eq!(a.answer, AnswerMode::All);
    assert_eq!(a.presets.len(), 2);
    assert_eq!(
        a.presets[0].build().unwrap().bytes,
        [1, 3, 0, 0, 0, 1, 0x84, 0x0A]
    );
    let hello = a.preset("hello").unwrap();
    assert_eq!(hello.hotkey, Some(Hotkey::Ctrl(2)));
    let bytes = hello.build().unwrap();
    // 你好 in GBK, CR LF typed as escapes, CR LF line ending, sum8 over 1:-2.
    let body = [0xC4, 0xE3, 0xBA, 0xC3, b'\r', b'\n', b'\r', b'\n'];
    let sum = crate::codec::sum8(&body[1..body.len() - 2]);
    assert_eq!(bytes.bytes, [&body[..], &[sum]].concat());
    let poll = a.sequence("poll").unwrap();
    assert_eq!(poll.repeat, Repeat::Times(3));
    assert_eq!(
        poll.steps[0].wait,
        StepWait::Reply {
            when: MatchKind::Hex,
            pattern: "01 03 ??".into(),
            timeout_ms: 500
        }
    );
    assert_eq!(a.sequence("forever").unwrap().repeat, Repeat::Forever);
    assert_eq!(a.rules.len(), 5);
    assert_eq!(a.rules[0].pattern, r"^name:(\w+)");
    assert_eq!(a.rules[0].reply, ["Hello {{1}}!\n"]);
    assert_eq!(a.rules[2].reply.len(), 2);
    assert!(a.rules[3].close && !a.rules[3].enabled && !a.rules[3].escapes);
    assert_eq!(a.rules[4].echo, Some(Echo::Upper));
}

#[test]
fn save_then_load_gives_the_same() {
    let a = parse(FULL).unwrap().into_automation();
    let text = a.to_toml().unwrap();
    let back = parse(&text).unwrap();
    assert!(back.rule_problems.is_empty());
    assert_eq!(back.into_automation(), a, "{text}");
    // An empty file is an empty automation, and saves as a comment only.
    let empty = parse("").unwrap();
    assert_eq!(empty, Parsed::default());
    assert_eq!(
        parse(&AutomationFile::default().to_toml().unwrap()).unwrap(),
        Parsed::default()
    );
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn syntax_and_type_errors_name_line_and_column() {
    assert!(
        error("[[rule]]\nwhen = \"regex\"\npattern = \"a\nreply = 1\n")
            .starts_with("line 3, column "),
        "{}",
        error("[[rule]]\nwhen = \"regex\"\npattern = \"a\nreply = 1\n")
    );
    let e = error("[[rule]]\nwhen = \"sometimes\"\n");
    assert!(e.starts_with("line 2, column 8: "), "{e}");
    assert!(e.contains("sometimes"), "{e}");
    let e = error("[[rule]]\nwhen = \"any\"\ndelay = 5\n");
    assert!(e.starts_with("line 3, column 1: "), "{e}");
    assert!(e.contains("delay"), "{e}");
    let e = error("[[preset]]\nname = \"x\"\ntext = 5\n");
    assert!(e.starts_with("line 3, column 8: "), "{e}");
}

#[test]
fn bad_presets_and_sequences_are_refused_where_they_are() {
    let e = error("[[preset]]\nname = \"a\"\ntext = \"41 4G\"\nmode = \"hex\"\n");
    assert_eq!(e, "line 3, column 8: invalid hex digit 'G' at position 5");
    let e = error("[[preset]]\nname = \"a\"\n[[preset]]\nname = \"a\"\n");
    assert_eq!(e, "line 4, column 8: there is already a preset named \"a\"");
    let e = error(
        "[[preset]]\nname = \"a\"\nhotkey = \"F1\"\n[[preset]]\nname = \"b\"\nhotkey = \"f1\"\n",
    );
    assert_eq!(e, "line 6, column 10: hotkey F1 is used by two presets");
    let e = error("[[preset]]\nname = \"a\"\nhotkey = \"F13\"\n");
    assert!(
        e.starts_with("line 3, column 10: unknown hotkey \"F13\""),
        "{e}"
    );
    let e = error("[[preset]]\nname = \"a\"\ntarget = \"nowhere\"\n");
    assert!(e.starts_with("line 3, column 10: target: "), "{e}");
    let e = error("[[preset]]\ntext = \"x\"\n");
    assert!(e.ends_with("a preset needs a name"), "{e}");
    let e = error("[[preset]]\nname = \"a\"\nchecksum_range = \"1:\"\n");
    assert_eq!(e, "line 3, column 18: checksum_range needs a checksum");
    let e = error("[[preset]]\nname = \"a\"\nchecksum = \"crc8\"\n");
    assert!(e.starts_with("line 3, column 12: "), "{e}");
    let e = error(
        "[[preset]]\nname = \"a\"\n[[sequence]]\nname = \"s\"\n[[sequence.step]]\npreset = \"a\"\n[[sequence.step]]\npreset = \"b\"\n",
    );
    assert_eq!(
        e,
        "line 7, column 1: sequence \"s\": step 2: there is no preset named \"b\""
    );
    let e = error(
        "[[sequence]]\nname = \"s\"\n[[sequence.step]]\nsend = { text = \"x\" }\nwait_for = \"contains\"\n",
    );
    assert!(
        e.ends_with("waiting for a reply needs wait_for, pattern and timeout_ms"),
        "{e}"
    );
    let e = error("[[sequence]]\nname = \"s\"\nrepeat = \"often\"\n");
    assert!(e.contains("forever"), "{e}");
}

#[test]
fn a_bad_rule_is_kept_disabled_with_its_place() {
    let text = "[[rule]]\nwhen = \"any\"\nreply = \"ok\"\n\n[[rule]]\nwhen = \"regex\"\npattern = \"a(b\"\nreply = \"x\"\n";
    let parsed = parse(text).unwrap();
    assert_eq!(parsed.rules.as_ref().map(Vec::len), Some(2));
    assert_eq!(parsed.rule_problems.len(), 1);
    let p = &parsed.rule_problems[0];
    assert_eq!((p.line, p.column), (7, 11));
    assert!(
        p.message.starts_with("rule 2: pattern: invalid regex"),
        "{p}"
    );
    let strict = parse_strict(text).unwrap_err();
    assert_eq!(&strict, p);

    let hex = parse("[[rule]]\nwhen = \"any\"\nreply = \"0G\"\nreply_hex = true\n").unwrap();
    let p = &hex.rule_problems[0];
    assert_eq!((p.line, p.column), (3, 9));
    assert!(
        p.message.starts_with("rule 1: reply part 1: invalid hex"),
        "{p}"
    );
}

#[test]
fn import_takes_only_the_sections_a_file_has() {
    let mut a = parse(FULL).unwrap().into_automation();
    let before = a.clone();
    // A broken file changes nothing.
    assert!(
        a.import_text("[[rule]]\nwhen = \"any\"\nreply = 'x'\n[[preset]]\n")
            .is_err()
    );
    assert_eq!(a, before);
    // A rules-only file replaces the rules and keeps presets and sequences.
    let problems = a
        .import_text("[[rule]]\nwhen = \"contains\"\npattern = \"ping\"\nreply = \"pong\"\n")
        .unwrap();
    assert!(problems.is_empty());
    assert_eq!(a.rules.len(), 1);
    assert_eq!(a.presets, before.presets);
    assert_eq!(a.sequences, before.sequences);
    assert_eq!(a.answer, before.answer);
}

#[test]
fn sizes_and_counts_are_capped() {
    let many = "[[rule]]\nwhen = \"any\"\n".repeat(MAX_RULES + 1);
    let e = error(&many);
    assert!(
        e.ends_with(&format!(
            "the file has {} rules; at most {MAX_RULES} are allowed",
            MAX_RULES + 1
        )),
        "{e}"
    );

    let huge = " ".repeat(MAX_FILE_BYTES as usize + 1);
    assert!(error(&huge).starts_with("line 1, column 1: the file has"));

    let dir = std::env::temp_dir().join(format!("netassist-file-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.toml");
    std::fs::write(&big, vec![b'#'; MAX_FILE_BYTES as usize + 1]).unwrap();
    let err = read_text(&big).unwrap_err().to_string();
    assert!(
        err.ends_with(&format!(
            "the file has {} bytes; at most {MAX_FILE_BYTES} are allowed",
            MAX_FILE_BYTES + 1
        )),
        "{err}"
    );
    let ok = dir.join("ok.toml");
    std::fs::write(&ok, "[[rule]]\nwhen = \"any\"\necho = \"same\"\n").unwrap();
    assert_eq!(
        load_strict(&ok).unwrap().rules.unwrap(),
        [Rule {
            name: String::new(),
            ..Rule::echo()
        }]
    );
    let bin = dir.join("bin.toml");
    std::fs::write(&bin, [0xFF, 0xFE]).unwrap();
    assert!(
        read_text(&bin)
            .unwrap_err()
            .to_string()
            .ends_with("is not UTF-8 text")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

proptest! {
    /// Any rule text survives a save and a load.
    #[test]
    fn rules_round_trip(
        name in ".{0,12}",
        pattern in ".{1,12}",
        reply in proptest::collection::vec(".{0,12}", 0..3),
        delay_ms in 0u64..10_000,
        flags in any::<(bool, bool, bool)>(),
        way in 0usize..3,
    ) {
        let rule = Rule {
            name,
            enabled: flags.0,
            when: Trigger::Contains,
            pattern,
            reply,
            reply_hex: false,
            echo: None,
            encoding: None,
            escapes: flags.1,
            delay_ms,
            close: flags.2,
            direction: Way::ALL[way],
        };
        let a = AutomationFile { rules: vec![rule], ..AutomationFile::default() };
        let back = parse(&a.to_toml().unwrap()).unwrap().into_automation();
        prop_assert_eq!(back, a);
    }

    /// Any text is a file or an error with a place; never a panic.
    #[test]
    fn never_panics(text in "[\\[\\]a-z=\" \n{}.,0-9#']{0,80}") {
        if let Err(e) = parse(&text) {
            prop_assert!(e.line >= 1 && e.column >= 1);
        }
    }
}

#[test]
fn the_readme_example_is_a_valid_file() {
    let readme = include_str!("../../../README.md");
    let start = readme
        .find("```toml\nanswer = ")
        .expect("README has the automation example");
    let body = &readme[start + "```toml\n".len()..];
    let example = &body[..body.find("```").expect("closed block")];
    let a = parse_strict(example)
        .unwrap_or_else(|e| panic!("README example: {e}"))
        .into_automation();
    assert_eq!(a.presets.len(), 1);
    assert_eq!(a.sequences[0].steps.len(), 2);
    assert_eq!(a.rules.len(), 5);
    // The example's sequence can run against its presets.
    SequenceRun::new(&a.sequences[0], &a.presets, DisplayEncoding::Auto).unwrap();
}
