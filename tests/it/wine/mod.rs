//! What the integration tests need to run against the Windows build under
//! wine (`dist/windows/check-wine.sh`): which binary to start, and whether a
//! check that wine cannot pass must be skipped.
//!
//! Each test module uses a different subset, hence `dead_code` is allowed.
#![allow(dead_code)]

use std::ffi::OsString;
use std::io::Write;

/// Why reset tests skip: wine hands a peer's reset (RST) to the program as
/// an orderly end of stream, so a test that tells the two apart cannot pass.
pub const RST_LOOKS_LIKE_FIN: &str = "wine reports a peer's reset as an orderly close";

/// Why network-namespace tests skip: wine lists network interfaces in its
/// device service, which runs outside the namespace the test makes.
pub const INTERFACES_OUTSIDE_NETNS: &str =
    "wine lists interfaces in its device service, outside the test's network namespace";

/// The netassist to run: `NETASSIST_BIN` when set (check-wine.sh points it
/// at a wrapper that starts netassist.exe under wine), else the binary cargo
/// built for these tests.
pub fn netassist_bin() -> OsString {
    std::env::var_os("NETASSIST_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_netassist").into())
}

/// True when the tests run under wine (check-wine.sh sets
/// `NETASSIST_UNDER_WINE=1`): the netassist under test is the Windows one.
pub fn under_wine() -> bool {
    std::env::var_os("NETASSIST_UNDER_WINE").is_some_and(|v| v == "1")
}

/// True, with a note on stderr, when the tests run under wine and `test`
/// cannot pass there for the reason `why`. The note is written to stderr
/// directly, so the test harness does not hide it.
pub fn skip_under_wine(test: &str, why: &str) -> bool {
    let wine = under_wine();
    if wine {
        let _ = writeln!(std::io::stderr(), "note: {test} skipped under wine: {why}");
    }
    wine
}
