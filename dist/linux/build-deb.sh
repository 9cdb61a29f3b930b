#!/usr/bin/env bash
# Build a Debian/Ubuntu package of NetAssist from an already built binary,
# with plain dpkg-deb (no cargo-deb).
#
#   cargo build --release
#   dist/linux/build-deb.sh [--binary PATH] [--out DIR] [--arch DEBARCH]
#                           [--maintainer "Name <mail>"] [--no-strip]
#
# Output: dist/out/netassist_<version>_<arch>.deb
#
# Needs: dpkg-deb (package dpkg); optional: dpkg-shlibdeps (dpkg-dev) to
# compute the libc/libgcc versions, strip (binutils), gzip.
set -euo pipefail
# shellcheck source=dist/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

binary="$NA_ROOT/target/release/netassist"
out="$NA_OUT"
arch=""
maintainer="${NETASSIST_MAINTAINER:-NetAssist developers <netassist@users.noreply.invalid>}"
do_strip=1

while (($#)); do
    case "$1" in
        --binary) binary="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --arch) arch="$2"; shift 2 ;;
        --maintainer) maintainer="$2"; shift 2 ;;
        --no-strip) do_strip=0; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) na_die "unknown option: $1 (try --help)" ;;
    esac
done

command -v dpkg-deb >/dev/null 2>&1 || na_die "dpkg-deb not found (apt-get install dpkg)"
[[ -x "$binary" ]] || na_die "no binary at $binary; run 'cargo build --release' first or pass --binary"

version="$(na_version)"
[[ -n "$version" ]] || na_die "could not read the version from Cargo.toml"
# Debian sorts '~' before anything, so 1.0.0-rc.1 becomes 1.0.0~rc.1 < 1.0.0.
deb_version="${version//-/\~}"
if [[ -z "$arch" ]]; then
    arch="$(na_deb_arch "$(na_elf_arch "$binary")")" || na_die "cannot tell the architecture of $binary; pass --arch"
fi

# Libraries the window needs at run time. The binary links only libc and
# libgcc_s; everything graphical is opened with dlopen(), so neither ldd nor
# dpkg-shlibdeps can see it. From the sources of the crates eframe 0.37 uses:
#   winit 0.30, X11 (x11-dl): libX11.so.6, libX11-xcb.so.1, libXcursor.so.1,
#                         libXi.so.6 (XRandR goes through x11rb, no libXrandr)
#   x11rb (dl-libxcb):    libxcb.so.1
#   xkbcommon-dl:         libxkbcommon.so.0, libxkbcommon-x11.so.0
#   Wayland (wayland-sys): libwayland-client.so.0; glutin's EGL surface on
#                         Wayland: libwayland-egl.so.1 (cursors are drawn
#                         by pure-Rust wayland-cursor, no libwayland-cursor)
#   glutin, the default glow renderer: libEGL.so.1 first, else GLX libGL.so.1
#   wgpu (optional renderer): libvulkan.so.1, or GLES through libEGL.so.1
# Only one of X11/Wayland is used at a time, but Debian has no "either
# display stack" package, and these are small and present on any desktop.
runtime_depends="libx11-6, libx11-xcb1, libxcursor1, libxi6, libxcb1, libxkbcommon0, libxkbcommon-x11-0, libwayland-client0, libwayland-egl1, libegl1, libgl1"
# File dialogs: rfd asks xdg-desktop-portal over D-Bus and falls back to zenity.
recommends="libvulkan1, xdg-desktop-portal-gtk | xdg-desktop-portal-backend | zenity"

mkdir -p "$out"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/netassist_${deb_version}_${arch}"
umask 022

# --- files -----------------------------------------------------------------
na_install_tree "$pkg/usr" "$binary" "$do_strip"
doc="$pkg/usr/share/doc/netassist"
font_files=()
for f in "$doc"/fonts/*; do
    if [[ -f "$f" ]]; then
        font_files+=("$(basename "$f")")
    fi
done

source_url="$(na_cargo_field repository)"
[[ -n "$source_url" ]] || source_url="$(na_cargo_field homepage)"
[[ -n "$source_url" ]] || source_url="the NetAssist source repository"
font_license="other"
if ((${#font_files[@]})) && grep -qi 'open font license' "$doc"/fonts/* 2>/dev/null; then
    font_license="OFL-1.1"
fi
copyright_year="$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y)"
homepage_field=""
[[ "$source_url" == http* ]] && homepage_field="Homepage: $source_url"

{
    cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: NetAssist
Source: ${source_url}

Files: *
Copyright: ${copyright_year} NetAssist contributors
License: MIT or Apache-2.0
EOF
    if ((${#font_files[@]})); then
        cat <<EOF

Files: src/ui/fonts/*
Comment: A CJK font is embedded in /usr/bin/netassist. Its license text is
 installed in /usr/share/doc/netassist/fonts/: ${font_files[*]}
License: ${font_license}
 See /usr/share/doc/netassist/fonts/.
EOF
    fi
    cat <<'EOF'

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy
 of this software and associated documentation files (the "Software"), to deal
 in the Software without restriction, including without limitation the rights
 to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all
 copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 SOFTWARE.

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License"); you may not
 use this file except in compliance with the License.
 .
 On Debian systems, the complete text of the Apache License, Version 2.0
 can be found in "/usr/share/common-licenses/Apache-2.0".
EOF
} > "$doc/copyright"
chmod 644 "$doc/copyright"

# A native package (version without a Debian revision) names it changelog.gz.
if command -v gzip >/dev/null 2>&1; then
    printf 'netassist (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n' \
        "$deb_version" "$version" "$maintainer" \
        "$(LC_ALL=C date -u -R -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")" \
        | gzip -9n > "$doc/changelog.gz"
    chmod 644 "$doc/changelog.gz"
fi

# --- dependencies of the binary itself (libc, libgcc_s) --------------------
shlib_depends=""
if command -v dpkg-shlibdeps >/dev/null 2>&1; then
    mkdir -p "$stage/shlibs/debian"
    printf 'Source: netassist\n\nPackage: netassist\nArchitecture: any\n' > "$stage/shlibs/debian/control"
    shlib_depends="$(cd "$stage/shlibs" && dpkg-shlibdeps -O "$pkg/usr/bin/netassist" 2>/dev/null \
        | sed -n 's/^shlibs:Depends=//p')" || shlib_depends=""
fi
if [[ -z "$shlib_depends" ]]; then
    # No dpkg-dev: name the packages by hand from the ELF NEEDED entries.
    shlib_depends="libc6"
    if command -v readelf >/dev/null 2>&1 && readelf -d "$pkg/usr/bin/netassist" | grep -q 'libgcc_s'; then
        shlib_depends+=", libgcc-s1"
    fi
fi

installed_size="$(du -sk --apparent-size "$pkg/usr" | cut -f1)"

# --- control area ----------------------------------------------------------
install -d "$pkg/DEBIAN"
# (grep drops the empty line an absent Homepage leaves: it would end the stanza)
grep -v "^$" > "$pkg/DEBIAN/control" <<EOF
Package: netassist
Version: $deb_version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $shlib_depends, $runtime_depends
Recommends: $recommends
Section: net
Priority: optional
${homepage_field}
Description: network debugging assistant (TCP/UDP) for socket programming
 NetAssist (网络调试助手) is a desktop tool for learning and debugging
 socket programs: run a TCP server, a TCP client or a UDP endpoint, send
 and receive data as text or hex, in UTF-8 or GBK, and watch every byte
 in a receive log. The same engine is available from the command line.
EOF

# postinst and postrm refresh the same caches, on configure and on removal.
# Debian and Ubuntu also do this through dpkg triggers; this covers systems
# where the trigger packages are missing.
maintainer_script() {
    local when="$1"
    cat <<EOF
#!/bin/sh
set -e
if $when; then
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f /usr/share/icons/hicolor/index.theme ]; then
        gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
    fi
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q /usr/share/applications || true
    fi
fi
exit 0
EOF
}
# shellcheck disable=SC2016 # the $1 is for the maintainer script, not here
maintainer_script '[ "$1" = "configure" ]' > "$pkg/DEBIAN/postinst"
# shellcheck disable=SC2016
maintainer_script '[ "$1" = "remove" ] || [ "$1" = "purge" ]' > "$pkg/DEBIAN/postrm"
chmod 755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/postrm"

(cd "$pkg" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) > "$pkg/DEBIAN/md5sums"
chmod 644 "$pkg/DEBIAN/md5sums" "$pkg/DEBIAN/control"

deb="$out/netassist_${deb_version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "built $deb"
