//! A load run's live figures above the log: connections, traffic in the
//! last second, latency percentiles, failures by kind (each explained on
//! hover), and, once a run has figures, the summary to copy and the CSV
//! and JSON to save.

use egui::Ui;

use crate::i18n::{T, fill};
use crate::net::load::FailKind;
use crate::session::load::LoadView;
use crate::session::load_report::{
    elapsed_text, end_text, last_second, ms_text, summary_json, summary_text,
};
use crate::teach::load::{fail_kind, fail_label};
use crate::ui::action::Action;
use crate::ui::view::TabView;

/// Draws the figures of `load`.
pub fn show(ui: &mut Ui, v: &TabView, load: &LoadView, actions: &mut Vec<Action>) {
    let t = |k: T| v.t(k);
    let s = &load.latest;
    let tot = &s.totals;
    let state = match &load.summary {
        Some(sum) => fill(
            t(T::LoadStateEnded),
            &[&end_text(sum.end, v.lang), &elapsed_text(s.elapsed)],
        ),
        None => fill(t(T::LoadStateRunning), &[&elapsed_text(s.elapsed)]),
    };
    ui.horizontal_wrapped(|ui| {
        ui.strong(load.plan.url.to_string());
        ui.label(state);
    });
    if let (Some(first), Some(last)) = (load.plan.sources.first(), load.plan.sources.last())
        && load.plan.sources.len() > 1
    {
        ui.weak(fill(
            t(T::LoadSpread),
            &[&load.plan.sources.len(), first, last],
        ));
    }
    let second = last_second(&load.recent);
    egui::Grid::new("load_figures")
        .num_columns(2)
        .spacing([12.0, 2.0])
        .show(ui, |ui| {
            ui.label(t(T::LoadFigConnections));
            ui.monospace(fill(
                t(T::LoadFigConnValues),
                &[
                    &tot.open,
                    &tot.peak_open,
                    &tot.connected,
                    &load.plan.connections,
                    &tot.done,
                    &tot.failed,
                ],
            ));
            ui.end_row();
            ui.label(t(T::LoadFigSent));
            ui.monospace(fill(
                t(T::LoadFigRate),
                &[
                    &second.sent_bytes,
                    &second.sent_messages,
                    &tot.sent_bytes,
                    &tot.sent_messages,
                ],
            ));
            ui.end_row();
            ui.label(t(T::LoadFigReceived));
            ui.monospace(fill(
                t(T::LoadFigRate),
                &[
                    &second.received_bytes,
                    &second.received_messages,
                    &tot.received_bytes,
                    &tot.received_messages,
                ],
            ));
            ui.end_row();
            let l = &s.latency;
            ui.label(t(T::LoadFigLatency))
                .on_hover_text(t(T::LoadFigLatencyHint));
            ui.monospace(fill(
                t(T::LoadFigLatencyValues),
                &[
                    &ms_text(l.p50_us),
                    &ms_text(l.p90_us),
                    &ms_text(l.p99_us),
                    &ms_text(l.p999_us),
                    &ms_text(l.max_us),
                    &l.count,
                ],
            ));
            ui.end_row();
        });
    failures(ui, v, load);
    ui.horizontal_wrapped(|ui| {
        if ui.button(t(T::LoadCopySummary)).clicked() {
            let text = summary_text(&load.plan, s, load.summary.as_ref().map(|x| x.end), v.lang);
            ui.ctx().copy_text(text);
        }
        if ui.button(t(T::LoadSaveCsv)).clicked() {
            actions.push(Action::SaveLoadCsv);
        }
        if ui.button(t(T::LoadSaveJson)).clicked() {
            let json = summary_json(&load.plan, s, load.summary.as_ref().map(|x| x.end));
            actions.push(Action::SavePython {
                file_name: "load-summary.json",
                code: format!("{json:#}\n"),
            });
        }
    });
}

/// Failures by kind, each with its explanation on hover.
fn failures(ui: &mut Ui, v: &TabView, load: &LoadView) {
    let s = &load.latest;
    if s.totals.failed == 0 {
        ui.weak(v.t(T::LoadNoFailures));
        return;
    }
    ui.label(v.t(T::LoadFigFailures));
    for kind in FailKind::ALL {
        let n = s.failed(kind);
        if n == 0 {
            continue;
        }
        let ex = fail_kind(kind);
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("{} {n}", v.t(fail_label(kind))),
            )
            .on_hover_text(ex.fix_line(v.lang));
            ui.label(egui::RichText::new(ex.why_line(v.lang)).small().weak());
        });
    }
}
