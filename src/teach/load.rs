//! Explanations for load tests: each kind of failure, and the rows a load
//! run logs (its plan, its samples, its end), in 中文 and English.

use crate::i18n::T;
use crate::net::load::FailKind;

use super::explanation::Explanation;

/// Why clients fail this way, and what to do.
pub fn fail_kind(kind: FailKind) -> Explanation {
    let (why, fix) = match kind {
        FailKind::Refused => (T::ExLoadRefusedWhy, T::ExLoadRefusedFix),
        FailKind::ConnectTimedOut => (T::ExLoadConnectTimeoutWhy, T::ExLoadConnectTimeoutFix),
        FailKind::Reset => (T::ExLoadResetWhy, T::ExLoadResetFix),
        FailKind::ClosedEarly => (T::ExLoadClosedEarlyWhy, T::ExLoadClosedEarlyFix),
        FailKind::ReplyTimedOut => (T::ExLoadReplyTimeoutWhy, T::ExLoadReplyTimeoutFix),
        FailKind::Mismatch => (T::ExLoadMismatchWhy, T::ExLoadMismatchFix),
        FailKind::Tls => (T::ExLoadTlsWhy, T::ExLoadTlsFix),
        FailKind::Resources => (T::ExLoadResourcesWhy, T::ExLoadResourcesFix),
        FailKind::Other => (T::ExLoadOtherWhy, T::ExLoadOtherFix),
    };
    Explanation { why, fix }
}

/// The short name of a kind of failure, for the window's figures.
pub fn fail_label(kind: FailKind) -> T {
    match kind {
        FailKind::Refused => T::LoadFailRefused,
        FailKind::ConnectTimedOut => T::LoadFailConnectTimeout,
        FailKind::Reset => T::LoadFailReset,
        FailKind::ClosedEarly => T::LoadFailClosedEarly,
        FailKind::ReplyTimedOut => T::LoadFailReplyTimeout,
        FailKind::Mismatch => T::LoadFailMismatch,
        FailKind::Tls => T::LoadFailTls,
        FailKind::Resources => T::LoadFailResources,
        FailKind::Other => T::LoadFailOther,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn every_kind_is_explained_and_named_in_both_languages() {
        let mut whys = Vec::new();
        for kind in FailKind::ALL {
            let ex = fail_kind(kind);
            for key in [ex.why, ex.fix, fail_label(kind)] {
                let zh = key.get(Lang::Zh);
                assert!(
                    zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{kind:?}: {zh}"
                );
                assert!(key.get(Lang::En).is_ascii(), "{kind:?}");
            }
            whys.push(ex.why);
        }
        whys.dedup();
        assert_eq!(
            whys.len(),
            FailKind::ALL.len(),
            "each kind has its own words"
        );
    }
}
