//! The automation file parser (presets, sequences, auto-reply rules).
//!
//! Input: the file text (lossy UTF-8). Checked: an error names a line and
//! column inside the text; a file that parses is written back by `to_toml`
//! to text that parses to the same presets, sequences and rules (and is
//! then written the same again); the strict parser refuses exactly the
//! files with rules that cannot run, and those are the rules the responder
//! cannot compile; every sequence can be started; importing the text gives
//! what parsing gave. Time and memory per input are bounded by the run's
//! `-timeout` and `-rss_limit_mb`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netassist::automation::{
    AutomationFile, Responder, ResponderSettings, SequenceRun, parse, parse_strict,
};
use netassist::codec::DisplayEncoding;
use netassist_fuzz::text_of;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let parsed = match parse(&text) {
        Ok(parsed) => parsed,
        Err(e) => {
            let lines = text.split('\n').count();
            assert!(e.line >= 1 && e.line <= lines, "{e} in {lines} lines");
            let line = text.split('\n').nth(e.line - 1).unwrap_or("");
            assert!(e.column >= 1 && e.column <= line.chars().count() + 1, "{e}");
            assert!(parse_strict(&text).is_err());
            return;
        }
    };
    assert_eq!(parse_strict(&text).is_ok(), parsed.rule_problems.is_empty());
    let problems = parsed.rule_problems.len();
    let automation = parsed.into_automation();

    let written = automation.to_toml().expect("a parsed file can be written");
    let again = match parse(&written) {
        Ok(again) => again,
        Err(e) => panic!("written file does not parse: {e}\n{written}"),
    };
    assert_eq!(again.rule_problems.len(), problems, "{written}");
    let again = again.into_automation();
    assert_eq!(again, automation, "{written}");
    assert_eq!(again.to_toml().expect("written again"), written);

    let responder = Responder::new(automation.rules.clone(), ResponderSettings::default());
    let broken = responder
        .rules()
        .iter()
        .filter(|r| r.error().is_some())
        .count();
    assert_eq!(broken, problems);
    for sequence in &automation.sequences {
        let run = SequenceRun::new(sequence, &automation.presets, DisplayEncoding::Auto);
        assert!(run.is_ok(), "{:?}", run.err());
    }

    let mut imported = AutomationFile::default();
    let import_problems = imported.import_text(&text).expect("it parsed");
    assert_eq!(import_problems.len(), problems);
    assert_eq!(imported, automation);
});
