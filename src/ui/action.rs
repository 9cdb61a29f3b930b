//! What the user asked for in a frame. Panels return these; the window
//! applies them after layout, so a panel never changes a session itself
//! (the log view only reads the log, under its lock, to draw rows).

use crate::files::Purpose;
use crate::net::Membership;

/// One request from a panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open or close the current tab's link.
    ToggleOpen,
    /// Send the send box's contents.
    Send,
    /// A relay tab: apply the faults as typed now.
    ApplyFaults,
    /// Resend one history item.
    Resend(usize),
    /// Pick a remote from history.
    UseRemote(String),
    /// Clear the current tab's log.
    ClearLog,
    /// Zero the current tab's counters.
    ResetCounters,
    /// Drop the selected clients.
    DisconnectSelected,
    /// Finish our sending on one TCP connection (half-close: send a FIN).
    Finish(crate::net::PeerId),
    /// Ask for a file for one of the file jobs.
    Pick(Purpose),
    /// Stop recording to a file.
    StopRecording,
    /// Cancel the file send.
    CancelFile,
    /// Start loop sending.
    StartLoop,
    /// Stop loop sending.
    StopLoop,
    /// Re-read this machine's addresses.
    RefreshInterfaces,
    /// Open a new tab after the current one.
    NewTab,
    /// Close a tab (asking first while its link is open).
    CloseTab(usize),
    /// Close a tab without asking (the user confirmed).
    CloseTabNow(usize),
    /// Show a tab.
    SelectTab(usize),
    /// Show the next (+1) or previous (-1) tab.
    CycleTab(i32),
    /// Rename a tab (empty: back to mode and port).
    RenameTab(usize, String),
    /// Change the memory budget of all logs, in MiB.
    SetBudget(usize),
    /// The find text or its kind changed: search again.
    FindChanged,
    /// Show the next match.
    FindNext,
    /// Show the previous match.
    FindPrev,
    /// Send a preset.
    SendPreset(usize),
    /// Save the send box as a new preset.
    AddPreset,
    /// Show or hide the automation window.
    ToggleAutomation,
    /// Run a sequence in the current tab.
    RunSequence(usize),
    /// Stop the current tab's sequence.
    StopSequence,
    /// Set the current tab up as this tutorial partner (by id).
    UsePartner(&'static str),
    /// Show the automation window's rules page.
    ShowRules,
    /// Show or hide the Copy as Python window.
    TogglePython,
    /// Save a generated Python program (a file dialog asks where).
    SavePython {
        /// The name the dialog suggests.
        file_name: &'static str,
        /// The program.
        code: String,
    },
    /// UDP: join the group typed in the multicast field now.
    JoinGroup,
    /// UDP: leave a joined group.
    LeaveGroup(Membership),
    /// WebSocket: sends go as this kind of message from now on.
    WsKind(crate::net::ws::MessageKind),
    /// WebSocket: send a ping with the payload typed.
    WsPing,
    /// WebSocket: send a close frame with the code and reason typed.
    WsClose,
    /// A load tab: save the per-second figures as CSV (a dialog asks where).
    SaveLoadCsv,
}
