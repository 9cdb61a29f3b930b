#!/usr/bin/env bash
# Runs the Windows build of NetAssist under wine: the engine tests
# (tests/it/engine.rs and relay_engine.rs, cross-compiled), the
# command-line, automation, tutorial-peer, relay and TLS tests
# (tests/it/cli_errors.rs, automation.rs, peers.rs, relay.rs, tls_cli.rs,
# against netassist.exe), and a window smoke test under Xvfb. One command:
#
#   dist/windows/check-wine.sh [--debug] [--skip-build] [--screenshot FILE]
#
# It builds the release zip with dist/windows/build-exe.sh (--skip-build:
# use the zip already in dist/out) and tests the netassist.exe inside it,
# the file users get. --debug builds, packages and tests the debug build
# (quicker to build; what CI runs). The wine prefix lives in target/wine/prefix
# (NETASSIST_WINEPREFIX overrides); it is made on first use and gets a
# stand-in bcryptprimitives.dll (dist/windows/wine/processprng.c), because
# Rust's std needs ProcessPrng, which wine 8 lacks. --screenshot copies the
# window screenshot to FILE (docs/screenshot-windows.png is one).
#
# Needs (Debian/Ubuntu packages): wine, gcc-mingw-w64-x86-64, python3,
# xvfb, x11-apps (xwd), xdotool, imagemagick; and rustup for the target.
set -euo pipefail
# shellcheck source=dist/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

target=x86_64-pc-windows-gnu
skip_build=0
profile_args=(--release)
debug_arg=()
screenshot=""
while (($#)); do
    case "$1" in
        --skip-build) skip_build=1; shift ;;
        --debug) profile_args=(); debug_arg=(--debug); shift ;;
        --screenshot) screenshot="$2"; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) na_die "unknown option: $1 (try --help)" ;;
    esac
done

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (package $2)"); }
need cargo "rustup"
need wine wine
need wineserver wine
need x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64
need python3 python3
need Xvfb xvfb
need xwd x11-apps
need xdotool xdotool
need convert imagemagick
((${#missing[@]} == 0)) || na_die "missing: ${missing[*]}"

cd "$NA_ROOT"
work="$NA_ROOT/target/wine"
mkdir -p "$work"
export WINEPREFIX="${NETASSIST_WINEPREFIX:-$work/prefix}"
export WINEDEBUG=-all
# No Mono/Gecko installers and no desktop menu entries from the prefix.
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
export NETASSIST_UNDER_WINE=1

timings=()
step_start=0
step() { # name
    step_end
    echo "== wine: $1"
    step_name="$1"
    step_start=$SECONDS
}
step_name=""
step_end() {
    if [[ -n "$step_name" ]]; then
        timings+=("$(printf '%4d s  %s' $((SECONDS - step_start)) "$step_name")")
    fi
    step_name=""
}

xvfb_pid=""
app_pid=""
cleanup() {
    if [[ -n "$app_pid" ]]; then kill "$app_pid" 2>/dev/null || true; fi
    if [[ -n "$xvfb_pid" ]]; then kill "$xvfb_pid" 2>/dev/null || true; fi
    # Ends every process of this prefix (ours alone) and its server.
    wineserver -k 2>/dev/null || true
}
trap cleanup EXIT

# --- the exe users get --------------------------------------------------
version="$(na_version)"
zip="$NA_OUT/netassist-$version-windows-x86_64.zip"
step "cross-build and zip"
if ((skip_build)); then
    [[ -f "$zip" ]] || na_die "no $zip; run without --skip-build"
else
    dist/windows/build-exe.sh "${debug_arg[@]}"
fi
exe="$work/netassist.exe"
python3 -c 'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("netassist.exe"))' \
    "$zip" "$exe"

step "engine tests, cross-compiled (build)"
cargo test "${profile_args[@]}" --target "$target" --test it --no-run

# --- the prefix -----------------------------------------------------------
step "wine prefix"
if [[ ! -f "$WINEPREFIX/system.reg" ]]; then
    echo "making the wine prefix $WINEPREFIX"
    wineboot -i </dev/null >"$work/wineboot.log" 2>&1 || { cat "$work/wineboot.log" >&2; na_die "wineboot failed"; }
fi
dll="$work/bcryptprimitives.dll"
src="$NA_ROOT/dist/windows/wine/processprng.c"
if [[ ! -f "$dll" || "$src" -nt "$dll" ]]; then
    x86_64-w64-mingw32-gcc -O2 -Wall -Wextra -Werror -shared -o "$dll" "$src" -ladvapi32
fi
install -m644 "$dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
# The fonts of the title bar's text and buttons: Debian's wine ships them
# but does not find them by itself.
for font in marlett.ttf tahoma.ttf tahomabd.ttf; do
    for dir in /usr/share/wine/fonts /usr/lib/wine/fonts /usr/local/share/wine/fonts; do
        if [[ -f "$dir/$font" ]]; then
            install -m644 "$dir/$font" "$WINEPREFIX/drive_c/windows/Fonts/$font"
            break
        fi
    done
done
# One persistent server with its services already up, their output
# detached: a service started by a test's netassist.exe would inherit the
# test's pipes and keep them open after netassist ends.
wineserver -k 2>/dev/null || true
wineserver -p </dev/null >/dev/null 2>&1
wine cmd.exe /c exit 0 </dev/null >/dev/null 2>&1

log="$work/tests.log"
: >"$log"

# --- the tests --------------------------------------------------------------
step "engine tests under wine"
CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine \
    cargo test "${profile_args[@]}" --target "$target" --test it -- engine:: 2>&1 | tee -a "$log"

step "CLI, automation and tutorial-peer tests against netassist.exe"
# The WebSocket peers need Python's websockets; ./test.sh lends Debian's
# module to another python3 through this folder.
if [[ -d "$NA_ROOT/target/test-python" ]]; then
    export PYTHONPATH="$NA_ROOT/target/test-python${PYTHONPATH:+:$PYTHONPATH}"
fi
NETASSIST_BIN="$NA_ROOT/dist/windows/wine/netassist.sh" NETASSIST_EXE="$exe" \
    cargo test --test it -- cli_errors:: automation:: peers:: relay:: tls_cli:: ws_cli:: load:: 2>&1 | tee -a "$log"

# --- the window -------------------------------------------------------------
step "window smoke test under Xvfb"
width=1320
height=860
display_file="$work/xvfb.display"
: >"$display_file"
Xvfb -displayfd 3 -screen 0 "${width}x${height}x24" -nolisten tcp 3>"$display_file" \
    >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
deadline=$((SECONDS + 20))
until [[ -s "$display_file" ]]; do
    ((SECONDS < deadline)) || na_die "Xvfb did not start: $(cat "$work/xvfb.log")"
    kill -0 "$xvfb_pid" 2>/dev/null || na_die "Xvfb exited: $(cat "$work/xvfb.log")"
    sleep 0.1
done
export DISPLAY=":$(head -n1 "$display_file")"
colours() { convert "$1" -format '%k' info:; }
xwd -root -silent | convert xwd:- "$work/blank.png"
blank=$(colours "$work/blank.png")

# A wine desktop window draws the frame and title bar Windows would.
wine explorer "/desktop=shell,${width}x${height}" "$exe" </dev/null >"$work/window.log" 2>&1 &
app_pid=$!
window=""
drawn=0
deadline=$((SECONDS + 60))
while ((SECONDS < deadline)); do
    kill -0 "$app_pid" 2>/dev/null || { cat "$work/window.log" >&2; na_die "netassist.exe exited before it drew its window"; }
    window="$(xdotool search --name NetAssist 2>/dev/null | head -n1 || true)"
    if [[ -n "$window" ]] && xwd -silent -id "$window" -out "$work/window.xwd" 2>/dev/null \
        && convert "xwd:$work/window.xwd" "$work/window.png" 2>/dev/null; then
        drawn=$(colours "$work/window.png")
        # An empty or single-colour window has a handful of colours; the
        # panels' text, antialiased, has hundreds.
        ((drawn >= 64)) && break
    fi
    sleep 0.5
done
((drawn >= 64)) || { cat "$work/window.log" >&2; na_die "the window did not draw within 60 s (window '${window}', $drawn colours; a blank screen has $blank)"; }
# For the screenshot, wait (a few seconds at most) until two frames agree.
deadline=$((SECONDS + 10))
while ((SECONDS < deadline)); do
    sleep 0.5
    xwd -silent -id "$window" -out "$work/window-next.xwd"
    cmp -s "$work/window.xwd" "$work/window-next.xwd" && break
    mv "$work/window-next.xwd" "$work/window.xwd"
done
xwd -root -silent | convert xwd:- "$work/screenshot-windows.png"
echo "window drawn: $drawn colours in the window, $blank on the blank screen; screenshot $work/screenshot-windows.png"
if [[ -n "$screenshot" ]]; then
    cp "$work/screenshot-windows.png" "$screenshot"
    echo "copied to $screenshot"
fi
step_end

echo
echo "== wine: summary"
printf '%s\n' "${timings[@]}"
echo "   total: $SECONDS s"
skipped="$(grep -o 'note: [a-z_0-9]* skipped under wine: .*' "$log" | sort -u || true)"
if [[ -n "$skipped" ]]; then
    echo "skipped under wine:"
    sed 's/^note: /  /' <<<"$skipped"
fi
echo "wine: all checks passed"
