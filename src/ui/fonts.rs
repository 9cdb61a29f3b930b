//! The bundled CJK fallback font, so Chinese renders on machines without CJK fonts.
//!
//! egui ships only Latin fonts (Ubuntu-Light, Hack) plus a few icons, and NetAssist
//! does not look up system fonts, so without this module every Chinese label and every
//! GBK/UTF-8 payload shown in the receive log would be drawn as boxes ("tofu").
//!
//! The font is Noto Sans CJK SC (SIL OFL 1.1), subset to every character that GBK's
//! two-byte table decodes to (except the Private Use Area) plus Latin-1, punctuation,
//! arrows, box drawing and full-width forms, with U+2252 ≒ and the control pictures
//! ␀–␦ (U+2400–2426, used for ␍ ␊ ␉) added from Noto Sans Math / Noto Sans Symbols2.
//! `src/ui/fonts/make-font.py` rebuilds it; `src/ui/fonts/README.md` credits it; and
//! `tests/it/font_coverage.rs` checks the coverage against `encoding_rs::GBK`.

use std::sync::Arc;

use egui::{FontData, FontDefinitions, FontFamily};

/// Key of the bundled CJK font in [`FontDefinitions::font_data`].
///
/// Exists so callers and tests can find (or replace) the font under one stable name
/// instead of repeating a string literal.
pub const CJK_FONT_NAME: &str = "NotoSansCJKsc-Regular-GBK";

/// The bundled font file (OpenType/CFF, about 6 MB), embedded in the binary.
///
/// Embedded rather than loaded from disk so a single executable shows Chinese on any
/// machine, whatever fonts are installed; `tests/it/font_coverage.rs` checks these bytes.
pub static CJK_FONT_BYTES: &[u8] = include_bytes!("fonts/NotoSansCJKsc-Regular-GBK.otf");

/// egui's default font definitions plus the CJK font as the last fallback of both
/// the proportional and the monospace family.
///
/// Separate from [`install`] so the result can be inspected or extended (e.g. by
/// tests or a future font-settings page) before it is handed to egui.
pub fn definitions() -> FontDefinitions {
    let mut defs = FontDefinitions::default();
    defs.font_data.insert(
        CJK_FONT_NAME.to_owned(),
        Arc::new(FontData::from_static(CJK_FONT_BYTES)),
    );
    // Last in the chain: egui's own fonts keep drawing Latin text and icons exactly as
    // before, and only characters they lack (Chinese, ␍ ␊ ␉, ...) reach this font.
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        defs.families
            .entry(family)
            .or_default()
            .push(CJK_FONT_NAME.to_owned());
    }
    defs
}

/// Installs [`definitions`] into `ctx`, making Chinese text render everywhere.
///
/// Call once at start-up (e.g. in the eframe app creator) before the first frame;
/// `set_fonts` replaces the whole font set, so later calls would undo other font changes.
pub fn install(ctx: &egui::Context) {
    ctx.set_fonts(definitions());
}
