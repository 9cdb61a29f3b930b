//! This tab's auto-reply rules (in a relay tab, its rewrite rules).

use egui::Ui;

use crate::automation::{AnswerMode, Echo, Rule, Trigger, Way};
use crate::codec::TextEncoding;
use crate::i18n::{T, fill};
use crate::settings::SessionSettings;
use crate::ui::view::TabView;
use crate::ui::widgets::{labelled_field, labelled_field_max};

/// Draws the rules page.
pub fn show(ui: &mut Ui, s: &mut SessionSettings, v: &TabView) {
    let relay = s.mode.is_relay();
    if relay {
        ui.label(v.t(T::RelayRulesNote));
    }
    let a = &mut s.rules;
    ui.horizontal(|ui| {
        ui.radio_value(&mut a.answer, AnswerMode::First, v.t(T::AnswerFirst));
        ui.radio_value(&mut a.answer, AnswerMode::All, v.t(T::AnswerAll));
    });
    ui.horizontal(|ui| {
        if ui.button(v.t(T::AddRule)).clicked() {
            a.rules.push(Rule::reply_to(Trigger::Contains, "", ""));
        }
        if ui.button(v.t(T::AddEcho)).clicked() {
            a.rules.push(Rule::echo());
        }
    });
    if !relay {
        ui.checkbox(&mut s.finish_on_peer_fin, v.t(T::PeerFinPolicy));
    }
    let a = &mut s.rules;
    if a.rules.is_empty() {
        ui.weak(v.t(T::NoRules));
    }
    let mut i = 0;
    while i < a.rules.len() {
        let mut changed = false;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let r = &mut a.rules[i];
                ui.checkbox(&mut r.enabled, v.t(T::RuleEnabled));
                let l = ui.label(v.t(T::RuleWhen));
                egui::ComboBox::from_id_salt(("rule_when", i))
                    .selected_text(r.when.name())
                    .show_ui(ui, |ui| {
                        for t in Trigger::ALL {
                            ui.selectable_value(&mut r.when, t, t.name());
                        }
                    })
                    .response
                    .labelled_by(l.id);
                if !matches!(r.when, Trigger::Any | Trigger::Connect) {
                    labelled_field(ui, v.t(T::RulePattern), &mut r.pattern, 160.0);
                }
                if relay {
                    way(ui, v, r, i);
                }
                if let Some(status) = v.log.automation.rules.get(i) {
                    ui.weak(fill(v.t(T::RuleHits), &[&status.hits]));
                }
                changed = super::reorder(ui, v, &mut a.rules, i);
            });
            if changed {
                return;
            }
            let r = &mut a.rules[i];
            ui.horizontal_wrapped(|ui| {
                labelled_field(ui, v.t(T::RuleName), &mut r.name, 120.0);
                let l = ui.label(v.t(T::RuleEcho));
                let name = |e: Option<Echo>| match e {
                    None => v.t(T::RuleEchoNone),
                    Some(Echo::Same) => v.t(T::RuleEchoSame),
                    Some(Echo::Upper) => v.t(T::RuleEchoUpper),
                };
                egui::ComboBox::from_id_salt(("rule_echo", i))
                    .selected_text(name(r.echo))
                    .show_ui(ui, |ui| {
                        for e in [None, Some(Echo::Same), Some(Echo::Upper)] {
                            ui.selectable_value(&mut r.echo, e, name(e));
                        }
                    })
                    .response
                    .labelled_by(l.id);
                if r.echo.is_none() {
                    reply_parts(ui, v, r, relay);
                    ui.checkbox(&mut r.reply_hex, v.t(T::RuleReplyHex));
                    if !r.reply_hex {
                        reply_encoding(ui, v, r, i);
                    }
                }
                // A relay's rule rewrites on the way: it neither waits nor
                // closes (a rule that does is shown with its error).
                if !relay || r.delay_ms > 0 || r.close {
                    let mut delay = r.delay_ms.to_string();
                    if labelled_field(ui, v.t(T::RuleDelay), &mut delay, 50.0).changed() {
                        r.delay_ms = delay.trim().parse().unwrap_or(0);
                    }
                    ui.checkbox(&mut r.close, v.t(T::RuleClose));
                }
            });
            if let Some(e) = v
                .log
                .automation
                .rules
                .get(i)
                .and_then(|st| st.error.as_ref())
            {
                ui.colored_label(ui.visuals().error_fg_color, fill(v.t(T::RuleError), &[e]));
            }
        });
        if !changed {
            i += 1;
        }
    }
}

/// The reply, one field per part (each part is its own send, after the
/// rule's delay), with buttons to add and remove parts.
fn reply_parts(ui: &mut Ui, v: &TabView, r: &mut Rule, relay: bool) {
    let parts = r.reply.len().max(1);
    let mut remove = None;
    for k in 0..parts {
        let mut text = r.reply.get(k).cloned().unwrap_or_default();
        let label = match (k, relay) {
            (0, true) => T::RuleReplaceWith,
            (0, false) => T::RuleReply,
            _ => T::RuleThen,
        };
        let max = 4 * crate::automation::template::MAX_TEMPLATE_CHARS;
        if labelled_field_max(ui, v.t(label), &mut text, 200.0, max).changed() {
            match r.reply.get_mut(k) {
                Some(part) => *part = text,
                None => r.reply.push(text),
            }
            // One empty part is no reply at all.
            if r.reply.len() == 1 && r.reply[0].is_empty() {
                r.reply.clear();
            }
        }
        if k > 0
            && ui
                .small_button("×")
                .on_hover_text(v.t(T::RuleRemovePart))
                .clicked()
        {
            remove = Some(k);
        }
    }
    if let Some(k) = remove {
        r.reply.remove(k);
    }
    if !r.reply.is_empty()
        && ui
            .small_button("+")
            .on_hover_text(v.t(T::RuleAddPart))
            .clicked()
    {
        r.reply.push(String::new());
    }
}

/// In a relay: the way the rule rewrites.
fn way(ui: &mut Ui, v: &TabView, r: &mut Rule, i: usize) {
    let l = ui.label(v.t(T::RuleWay));
    let name = |w: Way| match w {
        Way::Both => v.t(T::RuleWayBoth),
        Way::Up => v.t(T::RuleWayUp),
        Way::Down => v.t(T::RuleWayDown),
    };
    egui::ComboBox::from_id_salt(("rule_way", i))
        .selected_text(name(r.direction))
        .show_ui(ui, |ui| {
            for w in Way::ALL {
                ui.selectable_value(&mut r.direction, w, name(w));
            }
        })
        .response
        .labelled_by(l.id);
}

/// The encoding of the reply text: the session's send encoding, or fixed.
fn reply_encoding(ui: &mut Ui, v: &TabView, r: &mut Rule, i: usize) {
    let l = ui.label(v.t(T::RuleEncoding));
    let name = |e: Option<TextEncoding>| match e {
        None => v.t(T::RuleEncodingSession),
        Some(e) => e.label(),
    };
    egui::ComboBox::from_id_salt(("rule_encoding", i))
        .selected_text(name(r.encoding))
        .show_ui(ui, |ui| {
            for e in [None, Some(TextEncoding::Utf8), Some(TextEncoding::Gbk)] {
                ui.selectable_value(&mut r.encoding, e, name(e));
            }
        })
        .response
        .labelled_by(l.id);
}
