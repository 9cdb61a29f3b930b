//! The egui window's building blocks: one small module per panel.

pub mod fonts;
