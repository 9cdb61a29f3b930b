//! The bundled CJK fallback font really covers what NetAssist shows, and egui can use it.
//!
//! NetAssist decodes payloads as GBK or UTF-8 and labels its window in Chinese, on
//! machines that may have no CJK font at all, so the embedded font must have a glyph
//! for every character GBK can produce (GB2312 alone is not enough: GBK adds ~14 000
//! traditional and rare hanzi that real devices do send).
//!
//! The tests compile `src/ui/fonts.rs` itself (via `#[path]`), so they check exactly the
//! bytes the app embeds (`fonts::CJK_FONT_BYTES`) and exactly its `fonts::install`.

#[allow(dead_code)]
#[path = "../../src/ui/fonts.rs"]
mod fonts;

use egui::{FontFamily, FontId, MissingGlyphPolicy, RawInput};
use skrifa::MetadataProvider as _;
use skrifa::outline::{DrawSettings, OutlinePen};
use skrifa::prelude::{LocationRef, Size};
use skrifa::{FontRef, GlyphId};

/// Text that must render: greetings, a full-width yen sign, Chinese punctuation, the
/// control pictures NetAssist substitutes for CR/LF/TAB, and GBK's ≒ (0xA850).
const MUST_RENDER: &str = "\u{FFFD}你好世界哈谢谢￥。，、“”《》【】…—␍␊␉␀≒";

fn bundled_font() -> FontRef<'static> {
    FontRef::new(fonts::CJK_FONT_BYTES).expect("bundled CJK font must parse")
}

/// Counts outline commands, to tell a drawn glyph from an empty one.
#[derive(Default)]
struct CountingPen(usize);

impl OutlinePen for CountingPen {
    fn move_to(&mut self, _: f32, _: f32) {
        self.0 += 1;
    }
    fn line_to(&mut self, _: f32, _: f32) {
        self.0 += 1;
    }
    fn quad_to(&mut self, _: f32, _: f32, _: f32, _: f32) {
        self.0 += 1;
    }
    fn curve_to(&mut self, _: f32, _: f32, _: f32, _: f32, _: f32, _: f32) {
        self.0 += 1;
    }
    fn close(&mut self) {}
}

/// The glyph the font draws for `c`, if any: mapped by the cmap to a real glyph (not
/// `.notdef`) with a non-empty outline, or any mapped glyph for whitespace (U+3000).
fn glyph_for(font: &FontRef<'_>, c: char) -> Option<GlyphId> {
    let gid = font
        .charmap()
        .map(c)
        .filter(|&gid| gid != GlyphId::NOTDEF)?;
    if c.is_whitespace() {
        return Some(gid);
    }
    let outline = font.outline_glyphs().get(gid)?;
    let mut pen = CountingPen::default();
    let settings = DrawSettings::unhinted(Size::unscaled(), LocationRef::default());
    outline.draw(settings, &mut pen).ok()?;
    (pen.0 > 0).then_some(gid)
}

/// Every character GBK's two-byte table decodes to has a glyph in the bundled font.
///
/// Walks lead bytes 0x81..=0xFE × trail bytes 0x40..=0x7E and 0x80..=0xFE (23 940
/// pairs) through `encoding_rs::GBK`, the decoder NetAssist itself uses (WHATWG
/// mapping, which assigns every pair). Two kinds of pairs are deliberately skipped:
///
/// * pairs that decode to U+FFFD or to more than one char: unassigned, not characters
///   (none with encoding_rs 0.8, which maps every two-byte pair; counted anyway);
/// * pairs that decode into the Private Use Area U+E000..=U+F8FF: GBK's user-defined
///   areas (0xAAA1–0xAFFE, 0xF8A1–0xFEFE, 0xA140–0xA7A0) and a few vendor codes. These
///   are not standard characters, no font has meaningful glyphs for them, and the app
///   shows them as tofu on purpose (2 048 pairs; counted and printed).
///
/// Every other decoded character (21 892 pairs, 21 891 distinct characters, as 0xA3A0
/// and 0xA1A1 both decode to U+3000) must have a glyph.
#[test]
fn font_covers_every_gbk_character() {
    let font = bundled_font();
    let (mut pairs, mut checked, mut pua, mut unassigned) = (0, 0, 0, 0);
    let mut distinct = std::collections::BTreeSet::new();
    let mut missing = Vec::new();
    for lead in 0x81_u8..=0xFE {
        for trail in (0x40_u8..=0x7E).chain(0x80..=0xFE) {
            pairs += 1;
            let bytes = [lead, trail];
            let (text, _had_errors) = encoding_rs::GBK.decode_without_bom_handling(&bytes);
            let mut chars = text.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                unassigned += 1;
                continue;
            };
            if c == char::REPLACEMENT_CHARACTER {
                unassigned += 1;
                continue;
            }
            if ('\u{E000}'..='\u{F8FF}').contains(&c) {
                pua += 1;
                continue;
            }
            checked += 1;
            if distinct.insert(c) && glyph_for(&font, c).is_none() {
                missing.push(format!("{lead:02X}{trail:02X}=U+{:04X} {c}", c as u32));
            }
        }
    }
    println!(
        "GBK two-byte table: {pairs} pairs walked, {checked} characters checked \
         ({} distinct), {pua} Private Use Area pairs excluded, {unassigned} unassigned",
        distinct.len()
    );
    assert_eq!(pairs, 126 * 190);
    assert_eq!(pairs, checked + pua + unassigned);
    // Guard against a decoder change silently shrinking what is checked.
    assert!(checked > 21_800, "only {checked} GBK characters checked");
    assert!(
        missing.is_empty(),
        "{} GBK characters have no glyph in the bundled font: {}",
        missing.len(),
        missing.join(", ")
    );
}

/// Spot checks of characters the UI and typical payloads need, including the control
/// pictures ␍ ␊ ␉ NetAssist shows for CR, LF and TAB, and the � shown for undecodable bytes.
#[test]
fn font_has_known_characters() {
    let font = bundled_font();
    let missing: Vec<char> = MUST_RENDER
        .chars()
        .filter(|&c| glyph_for(&font, c).is_none())
        .collect();
    assert!(missing.is_empty(), "no glyph for {missing:?}");
    for c in ('\u{2400}'..='\u{2426}').chain('\u{3000}'..='\u{3002}') {
        assert!(
            glyph_for(&font, c).is_some(),
            "no glyph for U+{:04X}",
            c as u32
        );
    }
}

/// egui loads the font (CID-keyed CFF), falls back to it only after its own fonts in
/// both families, and lays out and rasterizes Chinese and ␍␊ without tofu.
#[test]
fn egui_renders_chinese_with_bundled_font() {
    let ctx = egui::Context::default();
    // Only the configured fonts: no system-font lookup can hide a gap in ours.
    ctx.set_font_providers(vec![]);
    // Any character no font can draw panics (instead of silently drawing tofu).
    ctx.set_missing_glyph_policy(MissingGlyphPolicy::Panic);
    fonts::install(&ctx);

    let label = "你好，世界 ␍␊ ␉ 哈 谢谢 ￥ 。，、≒";
    let mut galleys = Vec::new();
    let output = ctx.run_ui(RawInput::default(), |ui| {
        ui.label(label);
        ui.label(egui::RichText::new(label).monospace());
        for family in [FontFamily::Proportional, FontFamily::Monospace] {
            galleys.push(ui.painter().layout_no_wrap(
                label.to_owned(),
                FontId::new(14.0, family),
                egui::Color32::WHITE,
            ));
        }
    });
    // No renderer here to upload the font atlas to.
    output.drop_without_applying_deltas();

    for galley in &galleys {
        let glyphs: Vec<_> = galley
            .rows
            .iter()
            .flat_map(|r| r.row.glyphs.iter())
            .collect();
        assert_eq!(glyphs.len(), label.chars().count());
        for g in glyphs {
            assert_ne!(g.chr, char::REPLACEMENT_CHARACTER);
            assert_ne!(g.chr, '◻');
            if !g.chr.is_whitespace() {
                assert!(!g.uv_rect.is_nothing(), "{:?} was not rasterized", g.chr);
            }
        }
    }

    ctx.fonts_mut(|f| {
        for family in [FontFamily::Proportional, FontFamily::Monospace] {
            let font_id = FontId::new(14.0, family.clone());
            assert!(
                f.has_glyphs(&font_id, MUST_RENDER),
                "{family:?} lacks glyphs"
            );
            let chars = f.characters(&family);
            // Chinese comes from the bundled font...
            let owners = &chars[&'你'];
            assert_eq!(owners, &[fonts::CJK_FONT_NAME.to_owned()]);
            // ...which is the last fallback: Latin still comes from egui's own fonts first.
            let owners = &chars[&'A'];
            assert_ne!(owners[0], fonts::CJK_FONT_NAME, "{family:?}: {owners:?}");
            assert_eq!(owners.last().unwrap(), fonts::CJK_FONT_NAME);
        }
    });
    let defs = fonts::definitions();
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        assert_eq!(defs.families[&family].last().unwrap(), fonts::CJK_FONT_NAME);
    }
}

/// Control: without the bundled font egui cannot draw Chinese here, so the test above
/// is not passing thanks to some other font.
#[test]
fn egui_default_fonts_lack_chinese() {
    let ctx = egui::Context::default();
    ctx.set_font_providers(vec![]);
    ctx.set_fonts(egui::FontDefinitions::default());
    ctx.run_ui(RawInput::default(), |_| {})
        .drop_without_applying_deltas();
    ctx.fonts_mut(|f| {
        assert!(!f.has_glyph(&FontId::proportional(14.0), '你'));
        assert!(!f.has_glyph(&FontId::monospace(14.0), '你'));
        assert!(!f.has_glyph(&FontId::proportional(14.0), '␍'));
    });
}
