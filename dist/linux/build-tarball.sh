#!/usr/bin/env bash
# Build a portable Linux tarball of NetAssist from an already built binary.
#
#   cargo build --release
#   dist/linux/build-tarball.sh [--binary PATH] [--out DIR] [--arch ARCH] [--no-strip]
#
# Output: dist/out/netassist-<version>-linux-<arch>.tar.gz, unpacking to
# netassist-<version>-linux-<arch>/ with bin/, share/ (desktop entry, icons,
# docs and licenses), README.txt, install.sh and uninstall.sh.
#
# Needs: tar, gzip; optional: strip (binutils).
set -euo pipefail
# shellcheck source=dist/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

binary="$NA_ROOT/target/release/netassist"
out="$NA_OUT"
arch=""
do_strip=1

while (($#)); do
    case "$1" in
        --binary) binary="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --arch) arch="$2"; shift 2 ;;
        --no-strip) do_strip=0; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) na_die "unknown option: $1 (try --help)" ;;
    esac
done

[[ -x "$binary" ]] || na_die "no binary at $binary; run 'cargo build --release' first or pass --binary"
version="$(na_version)"
[[ -n "$version" ]] || na_die "could not read the version from Cargo.toml"
[[ -n "$arch" ]] || arch="$(na_elf_arch "$binary")"
[[ "$arch" != unknown ]] || na_die "cannot tell the architecture of $binary; pass --arch"

name="netassist-$version-linux-$arch"
mkdir -p "$out"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
top="$stage/$name"
umask 022

na_install_tree "$top" "$binary" "$do_strip"
[[ -f "$NA_ROOT/README.md" ]] && install -m644 "$NA_ROOT/README.md" "$top/README.md"

install -m755 "$NA_ROOT/dist/linux/install.sh" "$top/install.sh"
install -m755 "$NA_ROOT/dist/linux/uninstall.sh" "$top/uninstall.sh"

cat > "$top/README.txt" <<EOF
NetAssist $version (网络调试助手) for Linux ($arch)

Run without installing:
    ./bin/netassist

Install for your user (menu entry + icon, into ~/.local):
    ./install.sh
Install for everyone (into /usr/local):
    sudo ./install.sh
Somewhere else:
    ./install.sh --prefix /opt/netassist
Remove again with ./uninstall.sh (same --prefix).

The window needs an X11 or Wayland desktop with OpenGL (libGL/libEGL);
on Debian/Ubuntu:
    sudo apt-get install libx11-6 libx11-xcb1 libxcursor1 libxi6 libxcb1 \\
        libxkbcommon0 libxkbcommon-x11-0 libwayland-client0 libwayland-egl1 \\
        libegl1 libgl1
The command-line subcommands (netassist --help) need none of these.

Licenses: share/doc/netassist/ (fonts/ holds the bundled font's license).
EOF

# Reproducible archive: fixed order, owner and timestamps.
mtime="@${SOURCE_DATE_EPOCH:-$(date +%s)}"
tarball="$out/$name.tar.gz"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" \
    -C "$stage" -cf - "$name" | gzip -9n > "$tarball"
echo "built $tarball"
