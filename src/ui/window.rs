//! Starting the native window, with a renderer that works on this machine.

use std::process::ExitCode;

use crate::app::NetAssistApp;
use crate::i18n::{Lang, T};

/// The window's renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renderer {
    /// OpenGL through glow: the default, measured fastest under software
    /// rendering (Xvfb, virtual machines, remote desktops).
    Glow,
    /// wgpu (Vulkan, Metal, DirectX, or GL).
    Wgpu,
}

impl Renderer {
    /// Parses `glow` or `wgpu`.
    pub fn parse(text: &str) -> Option<Renderer> {
        match text.trim().to_ascii_lowercase().as_str() {
            "glow" | "gl" | "opengl" => Some(Renderer::Glow),
            "wgpu" => Some(Renderer::Wgpu),
            _ => None,
        }
    }

    fn other(self) -> Renderer {
        match self {
            Renderer::Glow => Renderer::Wgpu,
            Renderer::Wgpu => Renderer::Glow,
        }
    }

    fn eframe(self) -> eframe::Renderer {
        match self {
            Renderer::Glow => eframe::Renderer::Glow,
            Renderer::Wgpu => eframe::Renderer::Wgpu,
        }
    }
}

/// The renderer to try first: `--renderer`, else `NETASSIST_RENDERER`, else glow.
pub fn choose_renderer(flag: Option<&str>) -> Result<Renderer, String> {
    let env = std::env::var("NETASSIST_RENDERER").ok();
    match flag.or(env.as_deref()) {
        None => Ok(Renderer::Glow),
        Some(text) => Renderer::parse(text)
            .ok_or_else(|| format!("unknown renderer '{text}': use glow or wgpu")),
    }
}

fn options(renderer: Renderer) -> eframe::NativeOptions {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(T::AppTitle.get(Lang::system()))
        .with_app_id("netassist")
        .with_inner_size([1180.0, 760.0])
        .with_min_inner_size([760.0, 480.0]);
    if let Ok(icon) =
        eframe::icon_data::from_png_bytes(include_bytes!("../../icons/netassist-256.png"))
    {
        viewport = viewport.with_icon(icon);
    }
    eframe::NativeOptions {
        viewport,
        renderer: renderer.eframe(),
        ..Default::default()
    }
}

/// Opens the window and runs it until it is closed. If the first renderer
/// cannot start (no usable GPU adapter or GL context), the other is tried.
pub fn run(first: Renderer) -> ExitCode {
    let mut last_error = String::new();
    for renderer in [first, first.other()] {
        let result = eframe::run_native(
            "NetAssist",
            options(renderer),
            Box::new(|cc| Ok(Box::new(NetAssistApp::from_creation(cc)))),
        );
        match result {
            Ok(()) => return ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("the {renderer:?} renderer could not start: {e}");
                last_error = e.to_string();
            }
        }
    }
    eprintln!("error: no renderer could open the window: {last_error}");
    ExitCode::from(1)
}
