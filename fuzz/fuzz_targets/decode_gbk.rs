//! The GBK streaming decoder fed random splits of random bytes.
//!
//! Input: a count byte and two bytes per cut point, then the bytes
//! received. Checked (see `check_stream`): each read decodes to what
//! encoding_rs's own streaming decoder gives for it, the held-back tail is
//! exactly the incomplete character, and all reads together give the same
//! text as decoding the whole input at once; `Auto` shows valid UTF-8
//! exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netassist::codec::TextEncoding;
use netassist_fuzz::{Input, check_stream};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let cuts = input.cuts();
    check_stream(TextEncoding::Gbk, input.rest(), &cuts);
});
