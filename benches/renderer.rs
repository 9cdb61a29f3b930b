//! Frames per second of the real window with the glow and with the wgpu
//! renderer, measured back to back on the current display (run it under
//! Xvfb to see what software rendering gives). This picked glow as the
//! default. Run with `cargo bench --bench renderer` (needs a display; it
//! prints a note and exits when there is none).

use std::time::{Duration, Instant};

use netassist::app::NetAssistApp;
use netassist::i18n::Lang;
use netassist::settings::AppSettings;

const SECONDS: f64 = 5.0;

/// The NetAssist window, repainting as fast as the renderer allows.
struct Counting {
    app: NetAssistApp,
    frames: u32,
    start: Option<Instant>,
    result: std::sync::Arc<std::sync::Mutex<Option<f64>>>,
}

impl eframe::App for Counting {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.app.logic(ctx, frame);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
        let start = *self.start.get_or_insert_with(Instant::now);
        self.frames += 1;
        let secs = start.elapsed().as_secs_f64();
        if secs >= SECONDS {
            if let Ok(mut r) = self.result.lock() {
                *r = Some(f64::from(self.frames) / secs);
            }
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
        ui.ctx().request_repaint();
    }
}

fn measure(renderer: eframe::Renderer) -> Option<f64> {
    let result = std::sync::Arc::new(std::sync::Mutex::new(None));
    let out = std::sync::Arc::clone(&result);
    let options = eframe::NativeOptions {
        renderer,
        viewport: egui::ViewportBuilder::default().with_inner_size([1180.0, 760.0]),
        ..Default::default()
    };
    let run = eframe::run_native(
        "NetAssist renderer bench",
        options,
        Box::new(move |cc| {
            netassist::ui::fonts::install(&cc.egui_ctx);
            Ok(Box::new(Counting {
                app: NetAssistApp::new(&cc.egui_ctx, AppSettings::with_lang(Lang::Zh)),
                frames: 0,
                start: None,
                result: out,
            }))
        }),
    );
    if let Err(e) = run {
        eprintln!("{renderer:?}: could not start: {e}");
        return None;
    }
    std::thread::sleep(Duration::from_millis(200));
    result.lock().ok().and_then(|r| *r)
}

/// Measures one renderer in a child process (a process can set up its
/// windowing event loop only once reliably) and reads its figure.
fn measure_in_child(name: &str) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let out = std::process::Command::new(exe)
        .args(["child", name])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let fps = text
        .lines()
        .find_map(|l| l.strip_prefix("FPS ")?.trim().parse().ok());
    if fps.is_none() {
        println!("{name}: could not start");
    }
    fps
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        let renderer = match args.get(2).map(String::as_str) {
            Some("wgpu") => eframe::Renderer::Wgpu,
            _ => eframe::Renderer::Glow,
        };
        if let Some(fps) = measure(renderer) {
            println!("FPS {fps}");
        }
        return;
    }
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        println!("no display: run under Xvfb, e.g. `xvfb-run cargo bench --bench renderer`");
        return;
    }
    let glow = measure_in_child("glow");
    let wgpu = measure_in_child("wgpu");
    println!("== frames per second of the window, {SECONDS} s each");
    if let Some(g) = glow {
        println!("glow: {g:8.1} fps (1.00x)");
        if let Some(w) = wgpu {
            println!("wgpu: {w:8.1} fps ({:.2}x glow)", w / g);
        }
    } else if let Some(w) = wgpu {
        println!("wgpu: {w:8.1} fps (glow could not start)");
    }
}
