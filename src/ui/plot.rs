//! The throughput plot: RX and TX bytes per second over the last minute.

use egui::Ui;
use egui_plot::{Legend, Line, Plot};

use crate::i18n::{Lang, T};

/// Height of the plot.
pub const HEIGHT: f32 = 120.0;

/// Draws `series` (`(seconds ago, rx, tx)`, oldest first).
pub fn show(ui: &mut Ui, lang: Lang, series: &[(i64, u64, u64)]) {
    let rx: Vec<[f64; 2]> = series
        .iter()
        .map(|(t, rx, _)| [*t as f64, *rx as f64])
        .collect();
    let tx: Vec<[f64; 2]> = series
        .iter()
        .map(|(t, _, tx)| [*t as f64, *tx as f64])
        .collect();
    let dark = ui.visuals().dark_mode;
    let (rx_color, tx_color) = if dark {
        (
            egui::Color32::from_rgb(0x8F, 0xD1, 0x7A),
            egui::Color32::from_rgb(0x6C, 0xB4, 0xEE),
        )
    } else {
        (
            egui::Color32::from_rgb(0x2E, 0x7D, 0x32),
            egui::Color32::from_rgb(0x15, 0x65, 0xC0),
        )
    };
    // A picture, not an instrument: no dragging or zooming, so it never
    // takes the pointer from the log.
    Plot::new("throughput")
        .height(HEIGHT)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .include_x(-59.0)
        .include_x(0.0)
        .include_y(0.0)
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
        .show(ui, |p| {
            p.line(Line::new(T::PlotRx.get(lang), rx).stroke((1.5, rx_color)));
            p.line(Line::new(T::PlotTx.get(lang), tx).stroke((1.5, tx_color)));
        });
}
