#!/usr/bin/env bash
# Build the release binary and every package this machine can make, into
# dist/out/. Prints what it built and, for what it cannot build, why.
#
#   dist/build-all.sh [--skip-build]     # --skip-build: reuse target/release/netassist
#
# On Linux:   .deb (needs dpkg-deb), portable .tar.gz, the Windows zip
#             (cross-built, when the x86_64-pc-windows-gnu target and MinGW
#             are installed), and a macOS bundle *layout check*
#             (dist/out/macos-layout-check/NetAssist.app, with the Linux
#             binary inside: it shows the bundle is complete but does not
#             run on macOS).
# On macOS:   NetAssist.app (+ .dmg).
# On Windows: (Git Bash/MSYS2) the .exe with its embedded icon, zipped.
# See dist/README.md for the tools each step needs.
set -uo pipefail
# shellcheck source=dist/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

skip_build=0
for arg in "$@"; do
    case "$arg" in
        --skip-build) skip_build=1 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) na_die "unknown option: $arg (try --help)" ;;
    esac
done

built=()
skipped=()
failed=()
ok() { built+=("$1"); }
skip() { skipped+=("$1"); }
fail() { failed+=("$1"); }

mkdir -p "$NA_OUT"
cd "$NA_ROOT" || exit 1
version="$(na_version)"
os="$(uname -s)"
echo "==> NetAssist $version on $os, output in $NA_OUT"

exe="target/release/netassist"
case "$os" in MINGW*|MSYS*|CYGWIN*) exe="target/release/netassist.exe" ;; esac

if ((skip_build)); then
    echo "==> skipping cargo build (--skip-build)"
else
    echo "==> cargo build --release"
    if ! cargo build --release; then
        echo "error: cargo build --release failed; nothing to package" >&2
        exit 1
    fi
fi
[[ -f "$exe" ]] || na_die "$exe not found"
ok "release binary: $NA_ROOT/$exe"

run() { # label, command...
    local label="$1" log
    shift
    log="$(mktemp)"
    echo "==> $label"
    if "$@" >"$log" 2>&1; then
        cat "$log"
        ok "$label: $(sed -n 's/^built //p' "$log" | tail -1)"
    else
        cat "$log" >&2
        fail "$label (see the messages above)"
    fi
    rm -f "$log"
}

case "$os" in
    Linux)
        if command -v dpkg-deb >/dev/null 2>&1; then
            run ".deb package" dist/linux/build-deb.sh
        else
            skip ".deb package: dpkg-deb not found (Debian/Ubuntu: part of dpkg)"
        fi
        run "portable tarball" dist/linux/build-tarball.sh
        run "macOS bundle layout check (contains the Linux binary, does not run on macOS)" \
            dist/macos/make-app.sh --allow-foreign-binary --out "$NA_OUT/macos-layout-check"
        skip "runnable macOS .app/.dmg: needs a macOS build of the binary (run dist/build-all.sh on a Mac)"
        if command -v rustup >/dev/null 2>&1 \
            && rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-gnu \
            && command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
            win_args=()
            ((skip_build)) && win_args=(--skip-build)
            run "Windows zip (cross-built)" dist/windows/build-exe.sh "${win_args[@]}"
        else
            skip "Windows zip: needs 'rustup target add x86_64-pc-windows-gnu' and 'apt-get install gcc-mingw-w64-x86-64', then dist/windows/build-exe.sh"
        fi
        ;;
    Darwin)
        run "macOS app bundle" dist/macos/make-app.sh --dmg
        skip ".deb/tarball: build on Linux"
        skip "Windows .exe: build on Windows"
        ;;
    MINGW*|MSYS*|CYGWIN*)
        zip_name="$NA_OUT/netassist-$version-windows-$(uname -m).zip"
        if command -v powershell.exe >/dev/null 2>&1; then
            stage="$(mktemp -d)"
            cp "$exe" "$stage/"
            [[ -f README.md ]] && cp README.md "$stage/"
            while IFS= read -r f; do [[ -n "$f" ]] && cp "$f" "$stage/"; done < <(na_project_licenses; na_font_licenses)
            if powershell.exe -NoProfile -Command "Compress-Archive -Force -Path '$(cygpath -w "$stage")\\*' -DestinationPath '$(cygpath -w "$zip_name")'"; then
                ok "Windows zip: $zip_name"
            else
                fail "Windows zip"
            fi
            rm -rf "$stage"
        else
            skip "Windows zip: powershell.exe not found"
        fi
        skip ".deb/tarball: build on Linux"
        skip "macOS .app: build on a Mac"
        ;;
    *)
        skip "packages: no packaging steps for $os"
        ;;
esac

echo
echo "==> Summary"
for b in "${built[@]}"; do echo "  built:   $b"; done
for s in "${skipped[@]}"; do echo "  skipped: $s"; done
for f in "${failed[@]}"; do echo "  FAILED:  $f"; done
((${#failed[@]} == 0))
