#!/usr/bin/env bash
# Cross-build the Windows executable of NetAssist on Linux and zip it with
# the README and the licenses.
#
#   dist/windows/build-exe.sh [--debug] [--skip-build] [--out DIR]
#
# Output: dist/out/netassist-<version>-windows-x86_64.zip holding
# netassist.exe (GUI subsystem, icon and version resource embedded by
# dist/windows/build.rs, symbols stripped), README.md, LICENSE-MIT,
# LICENSE-APACHE and fonts/ (the embedded font's license).
#
# Needs: rustup (adds the x86_64-pc-windows-gnu target when missing),
# gcc-mingw-w64-x86-64 (linker, windres, strip), python3 (writes the zip).
# --skip-build packages the exe already in target/x86_64-pc-windows-gnu/release.
# --debug builds and packages the debug build instead (quicker to build; CI
# tests it), from target/x86_64-pc-windows-gnu/debug.
set -euo pipefail
# shellcheck source=dist/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

target=x86_64-pc-windows-gnu
out="$NA_OUT"
skip_build=0
profile_args=(--release)
profile_dir=release

while (($#)); do
    case "$1" in
        --skip-build) skip_build=1; shift ;;
        --debug) profile_args=(); profile_dir=debug; shift ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) na_die "unknown option: $1 (try --help)" ;;
    esac
done

version="$(na_version)"
[[ -n "$version" ]] || na_die "could not read the version from Cargo.toml"
exe="$NA_ROOT/target/$target/$profile_dir/netassist.exe"

if ((skip_build)); then
    echo "==> skipping cargo build (--skip-build)"
else
    command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 \
        || na_die "x86_64-w64-mingw32-gcc not found (Debian/Ubuntu: apt-get install gcc-mingw-w64-x86-64)"
    if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx "$target"; then
        echo "==> rustup target add $target"
        rustup target add "$target"
    fi
    echo "==> cargo build ${profile_args[*]} --target $target"
    (cd "$NA_ROOT" && cargo build "${profile_args[@]}" --target "$target")
fi
[[ -f "$exe" ]] || na_die "no $exe; run without --skip-build"
command -v python3 >/dev/null 2>&1 || na_die "python3 not found (it writes the zip): apt-get install python3"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
install -m755 "$exe" "$stage/netassist.exe"
if command -v x86_64-w64-mingw32-strip >/dev/null 2>&1; then
    x86_64-w64-mingw32-strip "$stage/netassist.exe"
else
    echo "note: x86_64-w64-mingw32-strip not found; packaging the exe with its symbols" >&2
fi
install -m644 "$NA_ROOT/README.md" "$stage/README.md"
na_install_licenses "$stage"

mkdir -p "$out"
zip="$out/netassist-$version-windows-x86_64.zip"
rm -f "$zip"
# Entries in a fixed order with a fixed time (SOURCE_DATE_EPOCH when set),
# so the same inputs give the same zip.
python3 - "$stage" "$zip" "${SOURCE_DATE_EPOCH:-$(date +%s)}" <<'PY'
import os, sys, time, zipfile

stage, dest, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
stamp = time.gmtime(max(epoch, 315532800))[:6]  # zip cannot hold times before 1980
names = sorted(
    os.path.relpath(os.path.join(d, f), stage).replace(os.sep, "/")
    for d, _, files in os.walk(stage)
    for f in files
)
with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for name in names:
        info = zipfile.ZipInfo(name, stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = os.stat(os.path.join(stage, name)).st_mode << 16
        with open(os.path.join(stage, name), "rb") as f:
            z.writestr(info, f.read())
PY
echo "built $zip"
