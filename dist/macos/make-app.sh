#!/usr/bin/env bash
# Assemble NetAssist.app from a release build.
#
#   cargo build --release                     # on a Mac
#   dist/macos/make-app.sh                    # -> dist/out/NetAssist.app
#
#   cargo build --release --target aarch64-apple-darwin
#   dist/macos/make-app.sh --target aarch64-apple-darwin
#
#   dist/macos/make-app.sh --binary path/to/netassist [--out DIR]
#
# A universal (Intel + Apple silicon) binary made with
#   lipo -create -output netassist-universal \
#     target/x86_64-apple-darwin/release/netassist \
#     target/aarch64-apple-darwin/release/netassist
# can be passed with --binary.
#
# The bundle layout is plain files, so it can be assembled anywhere, but it
# only runs on macOS with a macOS (Mach-O) binary inside. The script refuses
# any other binary unless --allow-foreign-binary is given, which dist/build-all.sh
# uses on Linux to check the layout (into dist/out/macos-layout-check/).
#
# On a Mac it also signs the bundle ad hoc (codesign -s -, needed on Apple
# silicon) and, with --dmg, makes NetAssist-<version>-macos.dmg (hdiutil).
# Needs: bash, sed; on macOS optionally codesign and hdiutil (both built in).
set -euo pipefail
# shellcheck source=dist/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

binary="$NA_ROOT/target/release/netassist"
out="$NA_OUT"
allow_foreign=0
make_dmg=0

while (($#)); do
    case "$1" in
        --binary) binary="$2"; shift 2 ;;
        --target) binary="$NA_ROOT/target/$2/release/netassist"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --allow-foreign-binary) allow_foreign=1; shift ;;
        --dmg) make_dmg=1; shift ;;
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        *) na_die "unknown option: $1 (try --help)" ;;
    esac
done

[[ -f "$binary" ]] || na_die "no binary at $binary; run 'cargo build --release' first or pass --binary/--target"
version="$(na_version)"
[[ -n "$version" ]] || na_die "could not read the version from Cargo.toml"
# CFBundleShortVersionString must be numbers and dots: drop any -prerelease.
bundle_version="${version%%-*}"

magic="$(od -An -tx1 -N4 "$binary" | tr -d ' \n')"
case "$magic" in
    cffaedfe|cefaedfe|cafebabe) ;; # Mach-O 64-bit, 32-bit, universal
    *)
        ((allow_foreign)) || na_die "$binary is not a macOS (Mach-O) executable; build on a Mac or with --target *-apple-darwin"
        echo "warning: $binary is not a macOS executable: this NetAssist.app only shows the bundle layout and will not run on macOS" >&2
        ;;
esac

app="$out/NetAssist.app"
rm -rf "$app"
umask 022
install -d "$app/Contents/MacOS" "$app/Contents/Resources"
install -m755 "$binary" "$app/Contents/MacOS/netassist"
install -m644 "$NA_ROOT/icons/netassist.icns" "$app/Contents/Resources/netassist.icns"
sed "s/@VERSION@/$bundle_version/g" "$NA_ROOT/dist/macos/Info.plist" > "$app/Contents/Info.plist"
printf 'APPL????' > "$app/Contents/PkgInfo"

na_install_licenses "$app/Contents/Resources/licenses"

if [[ "$(uname -s)" == Darwin ]]; then
    if command -v plutil >/dev/null 2>&1; then
        plutil -lint "$app/Contents/Info.plist" >/dev/null
    fi
    if command -v codesign >/dev/null 2>&1; then
        codesign --force --deep --sign - "$app"
    fi
    if ((make_dmg)); then
        dmg="$out/NetAssist-$version-macos.dmg"
        rm -f "$dmg"
        hdiutil create -volname NetAssist -srcfolder "$app" -ov -format UDZO "$dmg" >/dev/null
        echo "built $dmg"
    fi
elif ((make_dmg)); then
    echo "note: --dmg needs hdiutil (macOS); skipped" >&2
fi

echo "built $app"
