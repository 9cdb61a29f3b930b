//! The "Copy as Python" window: a short tutorial-style Python 3 program
//! (or two, for UDP) that talks to the current tab, with its address, port
//! and encodings, commented in the UI language; one click copies it, and it
//! can be saved as a `.py` file.

use egui::Ui;

use crate::i18n::{Lang, T, fill};
use crate::session::LinkState;
use crate::settings::{SessionSettings, session_config};
use crate::teach::{PythonError, PythonSession, Snippet, SnippetRole, python_snippets};
use crate::ui::action::Action;
use crate::ui::view::TabView;

/// The window's state.
#[derive(Debug, Default)]
pub struct PythonUi {
    /// Shown.
    pub open: bool,
    /// Which of the tab's programs is shown (UDP has two).
    pub shown: usize,
    /// The program last copied, to say so next to the button.
    pub copied: Option<String>,
}

/// The programs for a tab with settings `s` whose link is `link`, with
/// comments in `lang`, or what must change first.
pub fn snippets(s: &SessionSettings, link: LinkState, lang: Lang) -> Result<Vec<Snippet>, T> {
    let config = session_config(s).map_err(|_| T::PyFixFields)?;
    // Once open, the real address (a port 0 resolved) is used.
    let opened = match link {
        LinkState::Open(mode, local) if mode == config.mode() => Some(local),
        _ => None,
    };
    let session = PythonSession::from_config(&config, opened, s.send.encoding, s.encoding);
    python_snippets(&session, lang.into()).map_err(|e| match e {
        PythonError::PortNotKnown => T::PyPortNotKnown,
        PythonError::NoRemote => T::ErrNoRemote,
    })
}

/// What a program does, in words.
fn role_name(role: SnippetRole) -> T {
    match role {
        SnippetRole::TcpClient => T::PyRoleClient,
        SnippetRole::TcpServer => T::PyRoleServer,
        SnippetRole::UdpSender => T::PyRoleSender,
        SnippetRole::UdpReceiver => T::PyRoleReceiver,
        SnippetRole::WsClient => T::PyRoleWsClient,
        SnippetRole::WsServer => T::PyRoleWsServer,
    }
}

/// Draws the window when it is open.
pub fn show(
    ui: &mut Ui,
    state: &mut PythonUi,
    s: &SessionSettings,
    v: &TabView,
    actions: &mut Vec<Action>,
) {
    if !state.open {
        return;
    }
    let mut open = true;
    egui::Window::new(v.t(T::PyTitle))
        .id(egui::Id::unique("python-window"))
        .open(&mut open)
        .default_size([620.0, 520.0])
        .show(ui.ctx(), |ui| match snippets(s, v.log.link, v.lang) {
            Ok(all) => program(ui, state, &all, v, actions),
            Err(why) => {
                ui.colored_label(ui.visuals().warn_fg_color, v.t(why));
            }
        });
    if !open {
        state.open = false;
    }
}

/// One program: which one, Copy and Save, and its text.
fn program(
    ui: &mut Ui,
    state: &mut PythonUi,
    all: &[Snippet],
    v: &TabView,
    actions: &mut Vec<Action>,
) {
    if all.len() > 1 {
        ui.horizontal(|ui| {
            for (i, snippet) in all.iter().enumerate() {
                ui.selectable_value(&mut state.shown, i, v.t(role_name(snippet.role)));
            }
        });
    }
    let Some(snippet) = all.get(state.shown).or_else(|| all.first()) else {
        return;
    };
    let heading = ui.strong(v.t(role_name(snippet.role)));
    ui.horizontal(|ui| {
        if ui.button(v.t(T::PyCopy)).clicked() {
            ui.ctx().copy_text(snippet.code.clone());
            state.copied = Some(snippet.code.clone());
        }
        if ui.button(v.t(T::PySave)).clicked() {
            actions.push(Action::SavePython {
                file_name: snippet.file_name,
                code: snippet.code.clone(),
            });
        }
        if state.copied.as_deref() == Some(snippet.code.as_str()) {
            ui.weak(v.t(T::PyCopied));
        }
    });
    ui.weak(fill(v.t(T::PyRun), &[&snippet.file_name]));
    egui::ScrollArea::both()
        .id_salt("python-code")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let mut code = snippet.code.as_str();
            ui.add(
                egui::TextEdit::multiline(&mut code)
                    .code_editor()
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(heading.id);
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::Mode;
    use crate::settings::ModeChoice;

    #[test]
    fn programs_follow_the_tab_and_say_what_is_missing() {
        let mut s = SessionSettings {
            local_port: "0".into(),
            ..SessionSettings::default()
        };
        assert_eq!(
            snippets(&s, LinkState::Closed, Lang::En),
            Err(T::PyPortNotKnown)
        );
        let open = LinkState::Open(Mode::TcpServer, "127.0.0.1:40000".parse().unwrap());
        let all = snippets(&s, open, Lang::Zh).unwrap();
        assert_eq!(all.len(), 1);
        assert!(all[0].code.contains("client.connect(('127.0.0.1', 40000))"));
        assert!(all[0].code.contains("三次握手"));
        s.local_port = "x".into();
        assert_eq!(
            snippets(&s, LinkState::Closed, Lang::En),
            Err(T::PyFixFields)
        );
        s.mode = ModeChoice::Udp;
        s.local_port = "7788".into();
        let all = snippets(&s, LinkState::Closed, Lang::En).unwrap();
        let roles: Vec<SnippetRole> = all.iter().map(|p| p.role).collect();
        assert_eq!(roles, [SnippetRole::UdpSender, SnippetRole::UdpReceiver]);
        // A link open in another mode (just switched) is not used.
        assert!(
            snippets(&s, open, Lang::En).unwrap()[0]
                .code
                .contains("7788")
        );
    }
}
