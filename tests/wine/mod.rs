//! What the integration tests need to run against the Windows build under
//! wine (`dist/windows/check-wine.sh`): which binary to start, and whether a
//! check that wine cannot pass must be skipped.

use std::ffi::OsString;
use std::io::Write;

/// The netassist to run: `NETASSIST_BIN` when set (check-wine.sh points it
/// at a wrapper that starts netassist.exe under wine), else the binary cargo
/// built for these tests.
#[allow(dead_code)] // tests/engine.rs uses the library, not the binary
pub fn netassist_bin() -> OsString {
    std::env::var_os("NETASSIST_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_netassist").into())
}

/// True (and a note on stderr) when the tests run under wine:
/// check-wine.sh sets `NETASSIST_UNDER_WINE=1`. wine hands a peer's reset
/// (RST) to the program as an orderly end of stream, so `test`, which tells
/// the two apart, cannot pass there. The note is written to stderr directly,
/// so the test harness does not hide it.
#[allow(dead_code)] // not every test file has such a check
pub fn skip_rst_test_under_wine(test: &str) -> bool {
    let wine = std::env::var_os("NETASSIST_UNDER_WINE").is_some_and(|v| v == "1");
    if wine {
        let _ = writeln!(
            std::io::stderr(),
            "note: {test} skipped under wine: wine reports a peer's reset as an orderly close"
        );
    }
    wine
}
