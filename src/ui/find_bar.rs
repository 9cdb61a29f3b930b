//! The bar above the log: find (text or hex bytes, with next and previous),
//! which rows to show (RX, TX, events, a peer, a regular expression), and
//! the throughput plot switch.

use egui::Ui;

use crate::i18n::{T, fill};
use crate::records::compile_pattern;
use crate::settings::SessionSettings;
use crate::ui::action::Action;
use crate::ui::view::{TabUi, TabView};
use crate::ui::widgets::{FIELD_MAX, field_error, take_big_input};

/// Draws the bar.
pub fn show(
    ui: &mut Ui,
    s: &mut SessionSettings,
    v: &TabView,
    tab: &mut TabUi,
    actions: &mut Vec<Action>,
) {
    let t = |k: T| v.t(k);
    ui.horizontal_wrapped(|ui| {
        let find = &mut tab.find;
        let l = ui.label(t(T::Find));
        let id = ui.next_auto_id();
        take_big_input(ui, id, &mut find.text, FIELD_MAX, false);
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut find.text)
                    .id(id)
                    .desired_width(160.0),
            )
            .labelled_by(l.id);
        if std::mem::take(&mut find.focus) {
            field.request_focus();
        }
        let mut changed = field.changed();
        changed |= ui
            .radio_value(&mut find.hex, false, t(T::FindText))
            .changed();
        changed |= ui.radio_value(&mut find.hex, true, t(T::FindHex)).changed();
        if changed {
            actions.push(Action::FindChanged);
        }
        if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            actions.push(Action::FindNext);
        }
        if ui.button(t(T::FindPrev)).clicked() {
            actions.push(Action::FindPrev);
        }
        if ui.button(t(T::FindNext)).clicked() {
            actions.push(Action::FindNext);
        }
        if let Some(search) = &find.search {
            let found = search.found();
            let n = found.seqs.len();
            let text = match find.current.and_then(|c| found.position(c)) {
                Some(i) => fill(t(T::FindCount), &[&i, &n]),
                None if n > 0 => fill(t(T::FindCountNone), &[&n]),
                None if !found.done => t(T::FindSearching).to_string(),
                None => t(T::FindNone).to_string(),
            };
            ui.label(text);
        }
    });
    ui.horizontal_wrapped(|ui| {
        let f = &mut tab.filter;
        // A relay's rows go client to server and server to client.
        let (rx, tx) = if s.mode.is_relay() {
            (t(T::FaultsUp), t(T::FaultsDown))
        } else {
            (t(T::ShowRx), t(T::ShowTx))
        };
        ui.checkbox(&mut f.filter.rx, rx);
        ui.checkbox(&mut f.filter.tx, tx);
        ui.checkbox(&mut f.filter.events, t(T::ShowEvents));
        let l = ui.label(t(T::FilterRegex));
        let id = ui.next_auto_id();
        take_big_input(ui, id, &mut f.pattern, FIELD_MAX, false);
        let re = ui
            .add(
                egui::TextEdit::singleline(&mut f.pattern)
                    .id(id)
                    .desired_width(120.0),
            )
            .labelled_by(l.id);
        if re.changed() {
            match f.pattern.trim() {
                "" => {
                    f.filter.pattern = None;
                    f.error = None;
                }
                text => match compile_pattern(text) {
                    Ok(regex) => {
                        f.filter.pattern = Some(regex);
                        f.error = None;
                    }
                    Err(e) => f.error = Some(e),
                },
            }
        }
        if let Some(peer) = f.filter.peer {
            let chip = ui
                .button(format!("{} ×", fill(t(T::FilterPeer), &[&peer])))
                .on_hover_text(t(T::FilterPeerClear));
            if chip.clicked() {
                f.filter.peer = None;
            }
        }
        ui.separator();
        ui.checkbox(&mut s.show_plot, t(T::ShowPlot));
    });
    field_error(ui, &tab.find.error, v.lang);
    if let Some(e) = &tab.filter.error {
        // The regex crate's message is English; the frame says what it is.
        ui.colored_label(
            ui.visuals().error_fg_color,
            fill(t(T::ErrRegex), &[&first_line(e)]),
        );
    }
}

fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or(text)
        .to_string()
}
