//! Small per-platform start-up chores for the `netassist` binary.
//!
//! Both functions are safe to call on every platform: where they have
//! nothing to do they do nothing.

/// Lets a CLI subcommand print to the terminal it was started from, on
/// Windows.
///
/// Why this exists: `netassist.exe` (debug and release) is linked for the
/// Windows GUI subsystem (`#![windows_subsystem = "windows"]` in `main.rs`),
/// so that double-clicking the exe opens only the NetAssist window and no
/// empty black console next to it. The price is that Windows gives a GUI
/// program no console at all, so `println!` from `netassist send ...` would
/// go nowhere. Calling this at the start of a CLI subcommand attaches the
/// process to the console of its parent (cmd.exe, PowerShell, Windows
/// Terminal), and points stdin/stdout/stderr at it where they are not
/// already redirected to a file or pipe (redirections are left untouched).
///
/// Because the parent shell does not wait for a GUI-subsystem program, its
/// prompt may come back before our output; `start /wait netassist ...`
/// (cmd) or piping through `| Out-Host` (PowerShell) waits for it.
///
/// Returns `true` if it attached to a parent console. It returns `false`
/// when there is no parent console (started from Explorer) or the process
/// already has one, and always on
/// other platforms, where it does nothing.
pub fn attach_parent_console() -> bool {
    imp::attach_parent_console()
}

/// Raises this process's soft limit on open file descriptors to the hard
/// limit, on Unix.
///
/// Every socket is a file descriptor, and the default soft limit is small
/// (1024 on most Linux systems, 256 on macOS), which a TCP server with many
/// clients or a connection stress test reaches quickly ("Too many open
/// files"). Any process may raise its soft limit up to the hard limit
/// without privileges; on macOS the value is also capped at
/// `kern.maxfilesperproc`, which the `rlimit` crate handles.
///
/// Returns the soft limit now in force, or `None` if it could not be read
/// or changed, and always `None` on non-Unix platforms (Windows has no
/// such per-process limit on sockets), where it does nothing.
pub fn raise_fd_limit() -> Option<u64> {
    imp::raise_fd_limit()
}

#[cfg(windows)]
mod imp {
    use std::ptr;

    use windows_sys::Win32::Foundation::{
        GENERIC_READ, GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE,
    };
    use windows_sys::Win32::Storage::FileSystem::{
        CreateFileW, FILE_SHARE_READ, FILE_SHARE_WRITE, OPEN_EXISTING,
    };
    use windows_sys::Win32::System::Console::{
        ATTACH_PARENT_PROCESS, AttachConsole, GetStdHandle, STD_ERROR_HANDLE, STD_HANDLE,
        STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, SetStdHandle,
    };

    fn usable(handle: HANDLE) -> bool {
        !handle.is_null() && handle != INVALID_HANDLE_VALUE
    }

    /// Opens `name` (`CONIN$` or `CONOUT$`, the current console's input and
    /// screen buffer) and makes it the standard handle `which`, unless that
    /// standard handle is already usable.
    fn point_std_handle_at_console(which: STD_HANDLE, name: &str) {
        let wide: Vec<u16> = name.encode_utf16().chain(Some(0)).collect();
        // SAFETY: `wide` is NUL-terminated and outlives the call; the other
        // arguments are plain values or null where the API allows null. A
        // handle we fail to install is left open, which is harmless for a
        // handle meant to live as long as the process.
        unsafe {
            if usable(GetStdHandle(which)) {
                return;
            }
            let handle = CreateFileW(
                wide.as_ptr(),
                GENERIC_READ | GENERIC_WRITE,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                ptr::null(),
                OPEN_EXISTING,
                0,
                ptr::null_mut(),
            );
            if usable(handle) {
                SetStdHandle(which, handle);
            }
        }
    }

    pub(super) fn attach_parent_console() -> bool {
        // SAFETY: AttachConsole takes a process id by value; it fails
        // harmlessly if we already have a console or the parent has none.
        if unsafe { AttachConsole(ATTACH_PARENT_PROCESS) } == 0 {
            return false;
        }
        // Rust's std looks the standard handles up on every write, so
        // println!/eprintln! use these from now on.
        point_std_handle_at_console(STD_INPUT_HANDLE, "CONIN$");
        point_std_handle_at_console(STD_OUTPUT_HANDLE, "CONOUT$");
        point_std_handle_at_console(STD_ERROR_HANDLE, "CONOUT$");
        true
    }

    pub(super) fn raise_fd_limit() -> Option<u64> {
        None
    }
}

#[cfg(unix)]
mod imp {
    pub(super) fn attach_parent_console() -> bool {
        false
    }

    pub(super) fn raise_fd_limit() -> Option<u64> {
        // Asking for u64::MAX means "as high as allowed": the crate clamps
        // it to the hard limit (and to kern.maxfilesperproc on macOS).
        rlimit::increase_nofile_limit(u64::MAX).ok()
    }
}

#[cfg(not(any(unix, windows)))]
mod imp {
    pub(super) fn attach_parent_console() -> bool {
        false
    }

    pub(super) fn raise_fd_limit() -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    /// What the standard input, output and error of this process are: the
    /// (device, inode) of each descriptor on Unix, the handle values on
    /// Windows. Equal before and after a call means the call left them alone.
    #[cfg(unix)]
    fn std_streams() -> Vec<Option<(u64, u64)>> {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        fn id(fd: std::os::fd::BorrowedFd<'_>) -> Option<(u64, u64)> {
            let file = std::fs::File::from(fd.try_clone_to_owned().ok()?);
            let meta = file.metadata().ok()?;
            Some((meta.dev(), meta.ino()))
        }
        vec![
            id(std::io::stdin().as_fd()),
            id(std::io::stdout().as_fd()),
            id(std::io::stderr().as_fd()),
        ]
    }

    #[cfg(windows)]
    fn std_streams() -> Vec<Option<(u64, u64)>> {
        use windows_sys::Win32::System::Console::{
            GetStdHandle, STD_ERROR_HANDLE, STD_INPUT_HANDLE, STD_OUTPUT_HANDLE,
        };
        [STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE]
            .into_iter()
            // SAFETY: GetStdHandle only reads the process's handle table.
            .map(|which| Some((unsafe { GetStdHandle(which) } as usize as u64, 0)))
            .collect()
    }

    #[cfg(any(unix, windows))]
    #[test]
    fn attach_parent_console_leaves_std_streams_alone() {
        // Test binaries already have their standard streams (a console on
        // Windows, pipes or a terminal elsewhere): attaching must report
        // that it did nothing, and must not have repointed any of them.
        let before = std_streams();
        assert!(before.iter().all(Option::is_some), "{before:?}");
        let attached = super::attach_parent_console();
        assert_eq!(std_streams(), before);
        assert!(!attached);
    }

    #[cfg(unix)]
    #[test]
    fn raise_fd_limit_reaches_at_least_the_old_soft_limit() {
        let (soft_before, _hard) = rlimit::Resource::NOFILE.get().unwrap();
        let now = super::raise_fd_limit().expect("raising to the hard limit is allowed");
        let (soft_after, hard_after) = rlimit::Resource::NOFILE.get().unwrap();
        assert_eq!(now, soft_after);
        assert!(soft_after >= soft_before);
        assert!(soft_after <= hard_after);
    }
}
