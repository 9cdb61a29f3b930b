#!/bin/sh
# Remove a NetAssist installed by install.sh. Use the same --prefix.
#
#   ./uninstall.sh               # as a user: from ~/.local
#   sudo ./uninstall.sh          # as root:   from /usr/local
#   ./uninstall.sh --prefix DIR
#
# Removes only the files install.sh put there; the settings NetAssist saved
# in your home directory are kept.
set -eu

if [ "$(id -u)" -eq 0 ]; then prefix=/usr/local; else prefix="${HOME:?}/.local"; fi
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "--prefix needs a directory" >&2; exit 2; }; prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
    esac
done
case "$prefix" in /*) ;; *) prefix="$(pwd)/$prefix" ;; esac

appdir="$prefix/share/applications"
icondir="$prefix/share/icons/hicolor"

rm -f "$prefix/bin/netassist" "$appdir/netassist.desktop"
for size in 16x16 32x32 48x48 64x64 128x128 256x256 512x512 scalable; do
    rm -f "$icondir/$size/apps/netassist.png" "$icondir/$size/apps/netassist.svg"
done
rm -rf "$prefix/share/doc/netassist"

if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$icondir/index.theme" ]; then
    gtk-update-icon-cache -q -t -f "$icondir" || true
fi
if [ -d "$appdir" ] && command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$appdir" || true
fi

# Remove the folders install.sh created if nothing else lives in them
# (rmdir only removes empty ones). A desktop database left with no desktop
# entries is ours too.
if [ -d "$appdir" ] && ! ls "$appdir"/*.desktop >/dev/null 2>&1; then
    rm -f "$appdir/mimeinfo.cache"
fi
for size in 16x16 32x32 48x48 64x64 128x128 256x256 512x512 scalable; do
    rmdir "$icondir/$size/apps" "$icondir/$size" 2>/dev/null || true
done
rmdir "$icondir" "$prefix/share/icons" "$appdir" "$prefix/share/doc" 2>/dev/null || true

echo "NetAssist removed from $prefix"
