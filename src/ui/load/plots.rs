//! A load run over time: connections open and messages a second, and the
//! latency of each second's replies (p50, p99, max). Drawn from the rows
//! the engine reports once a second; nothing here asks for a repaint (the
//! window repaints when new figures arrive, four times a second at most,
//! and not at all once the run is over).

use egui::Ui;
use egui_plot::{Corner, Legend, Line, Plot, PlotPoints};

use crate::i18n::T;
use crate::net::load::LoadSecond;
use crate::ui::view::TabView;

/// Height of each plot.
const HEIGHT: f32 = 110.0;

fn series(rows: &[LoadSecond], f: impl Fn(&LoadSecond) -> f64) -> PlotPoints<'static> {
    rows.iter()
        .map(|r| [f64::from(r.t) + 1.0, f(r)])
        .collect::<Vec<_>>()
        .into()
}

fn plot(id: &str) -> Plot<'_> {
    // A picture, not an instrument: no dragging or zooming, so it never
    // takes the pointer from the log.
    Plot::new(id)
        .height(HEIGHT)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .include_x(0.0)
        .include_y(0.0)
        .legend(Legend::default().position(Corner::LeftTop))
}

/// Draws both plots of `rows` (oldest first).
pub fn show(ui: &mut Ui, v: &TabView, rows: &[LoadSecond]) {
    let t = |k: T| v.t(k);
    ui.columns(2, |cols| {
        plot("load_rates").show(&mut cols[0], |p| {
            p.line(Line::new(
                t(T::LoadPlotOpen),
                series(rows, |r| r.open as f64),
            ));
            p.line(Line::new(
                t(T::LoadPlotSent),
                series(rows, |r| r.sent_messages as f64),
            ));
            p.line(Line::new(
                t(T::LoadPlotReceived),
                series(rows, |r| r.received_messages as f64),
            ));
        });
        let ms = |us: u64| us as f64 / 1000.0;
        let timed: Vec<LoadSecond> = rows
            .iter()
            .filter(|r| r.latency.count > 0)
            .copied()
            .collect();
        plot("load_latency").show(&mut cols[1], |p| {
            p.line(Line::new(
                t(T::LoadPlotP50),
                series(&timed, |r| ms(r.latency.p50_us)),
            ));
            p.line(Line::new(
                t(T::LoadPlotP99),
                series(&timed, |r| ms(r.latency.p99_us)),
            ));
            p.line(Line::new(
                t(T::LoadPlotMax),
                series(&timed, |r| ms(r.latency.max_us)),
            ));
        });
    });
}
