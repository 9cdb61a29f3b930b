//! Build script: on Windows targets, embed the application icon and the
//! version information into `netassist.exe`, so Explorer, the taskbar and
//! the file's Properties > Details tab show NetAssist's icon, name and
//! version. Every other target does nothing here.
//!
//! The target is read from `CARGO_CFG_TARGET_OS` (the target being built
//! for), not from `cfg!(windows)` (the machine running this script), so a
//! cross-build from Linux, e.g. `cargo build --target x86_64-pc-windows-gnu`
//! with `x86_64-w64-mingw32-windres` and the MinGW gcc (its preprocessor) on
//! PATH (Debian: `apt-get install gcc-mingw-w64-x86-64`),
//! gets the resources too. For `*-windows-msvc` targets built on Windows,
//! winresource finds `rc.exe` from the Windows SDK; cross-building those
//! from Linux uses `llvm-rc`.
//!
//! If the resource compiler is missing, a release build stops with an error
//! (a shipped exe without its icon is a bug), while a debug build or
//! `cargo check` only warns so contributors are not blocked.

use std::env;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=dist/windows/build.rs");
    println!("cargo:rerun-if-changed=icons/netassist.ico");

    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }

    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let icon = Path::new(&manifest_dir).join("icons").join("netassist.ico");

    let mut res = winresource::WindowsResource::new();
    res.set_icon(&icon.to_string_lossy())
        // "FileDescription" is what Task Manager and the "Open with" list show.
        .set("FileDescription", "NetAssist network debugging assistant")
        .set("ProductName", "NetAssist")
        .set("InternalName", "netassist")
        .set("OriginalFilename", "netassist.exe")
        .set(
            "Comments",
            "TCP server, TCP client and UDP debugging tool (网络调试助手)",
        )
        .set("LegalCopyright", "Licensed under MIT OR Apache-2.0")
        // US English; the strings above are what Explorer shows.
        .set_language(0x0409);

    // Link the resources into the `netassist` binary only, not test harnesses.
    if let Err(err) = res.compile_for("netassist") {
        let release = env::var("PROFILE").as_deref() == Ok("release");
        let hint = "install a resource compiler: on Windows the Windows SDK (rc.exe) or \
                    MinGW windres; on Linux for *-windows-gnu `apt-get install \
                    gcc-mingw-w64-x86-64`, for *-windows-msvc `llvm-rc`";
        if release {
            panic!("could not embed the icon and version info into netassist.exe: {err}; {hint}");
        }
        println!("cargo:warning=netassist.exe built without icon/version info ({err}); {hint}");
    }
}
