//! An explanation: why something happened and what to do, as two texts
//! of the i18n table.

use crate::i18n::{Lang, T};

/// Why something happened and what to do about it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Explanation {
    /// Why it happens.
    pub why: T,
    /// What to do.
    pub fix: T,
}

impl Explanation {
    /// An explanation from its two texts.
    pub(crate) const fn new(why: T, fix: T) -> Explanation {
        Explanation { why, fix }
    }

    /// "Why: …" in `lang`.
    pub fn why_line(self, lang: Lang) -> String {
        format!("{}{}", T::ExWhy.get(lang), self.why.get(lang))
    }

    /// "What to do: …" in `lang`.
    pub fn fix_line(self, lang: Lang) -> String {
        format!("{}{}", T::ExFix.get(lang), self.fix.get(lang))
    }

    /// Both lines, for a tooltip.
    pub fn text(self, lang: Lang) -> String {
        format!("{}\n{}", self.why_line(lang), self.fix_line(lang))
    }
}
