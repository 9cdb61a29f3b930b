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
        .with_inner_size([1280.0, 780.0])
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

/// Set in the environment of a second attempt, so it never tries again.
const FALLBACK_ENV: &str = "NETASSIST_RENDERER_FALLBACK";

/// Opens the window and runs it until it is closed. If the first renderer
/// cannot start (no usable GPU adapter or GL context), NetAssist starts
/// itself again with the other renderer: a fresh process, because a
/// windowing event loop cannot be reliably set up twice in one process.
pub fn run(first: Renderer) -> ExitCode {
    let attempt = std::panic::catch_unwind(|| {
        eframe::run_native(
            "NetAssist",
            options(first),
            Box::new(|cc| Ok(Box::new(NetAssistApp::from_creation(cc)))),
        )
    });
    let why = match attempt {
        Ok(Ok(())) => return ExitCode::SUCCESS,
        Ok(Err(e)) => e.to_string(),
        Err(_) => "it stopped with an internal error".to_string(),
    };
    eprintln!("the {first:?} renderer could not start: {why}");
    if std::env::var_os(FALLBACK_ENV).is_some() {
        eprintln!("error: no renderer could open the window");
        return ExitCode::from(1);
    }
    let other = first.other();
    eprintln!("trying the {other:?} renderer");
    let name = match other {
        Renderer::Glow => "glow",
        Renderer::Wgpu => "wgpu",
    };
    let status = std::env::current_exe().and_then(|exe| {
        std::process::Command::new(exe)
            .args(["--renderer", name])
            .env(FALLBACK_ENV, "1")
            .status()
    });
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: cannot start NetAssist again: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renderer_names() {
        assert_eq!(Renderer::parse("glow"), Some(Renderer::Glow));
        assert_eq!(Renderer::parse(" WGPU "), Some(Renderer::Wgpu));
        assert_eq!(Renderer::parse("vulkan"), None);
        assert_eq!(Renderer::Glow.other(), Renderer::Wgpu);
        assert_eq!(choose_renderer(Some("wgpu")), Ok(Renderer::Wgpu));
        assert!(choose_renderer(Some("metal")).is_err_and(|e| e.contains("metal")));
    }
}
