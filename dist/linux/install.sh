#!/bin/sh
# Install NetAssist from this unpacked tarball.
#
#   ./install.sh                 # as a user: into ~/.local   (no root needed)
#   sudo ./install.sh            # as root:   into /usr/local
#   ./install.sh --prefix DIR    # anywhere else
#
# Installs bin/netassist, the desktop entry (so NetAssist appears in the
# application menu) and the icons, then refreshes the icon cache and the
# desktop database when those tools exist. Undo with ./uninstall.sh and the
# same --prefix.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" -eq 0 ]; then prefix=/usr/local; else prefix="${HOME:?}/.local"; fi
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "--prefix needs a directory" >&2; exit 2; }; prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
    esac
done
case "$prefix" in /*) ;; *) prefix="$(pwd)/$prefix" ;; esac

mkdir -p "$prefix" 2>/dev/null || true
if [ ! -w "$prefix" ]; then
    echo "cannot write to $prefix: run 'sudo $0 $*' or choose --prefix \$HOME/.local" >&2
    exit 1
fi

bindir="$prefix/bin"
appdir="$prefix/share/applications"
icondir="$prefix/share/icons/hicolor"
docdir="$prefix/share/doc/netassist"

install -d "$bindir" "$appdir" "$docdir"
install -m 755 "$here/bin/netassist" "$bindir/netassist"

# The menu launches the binary by absolute path: ~/.local/bin is not always
# on the PATH of a graphical session. Desktop-entry quoting when needed.
exec_path="$bindir/netassist"
case "$exec_path" in
    *[!A-Za-z0-9_./+-]*)
        exec_path=$(printf '%s' "$exec_path" | sed 's/[\\"`$]/\\\\&/g')
        exec_path="\"$exec_path\"" ;;
esac
exec_sed=$(printf '%s' "$exec_path" | sed 's/[\\&|]/\\&/g')
sed "s|^Exec=.*|Exec=$exec_sed|" "$here/share/applications/netassist.desktop" > "$appdir/netassist.desktop.tmp"
chmod 644 "$appdir/netassist.desktop.tmp"
mv "$appdir/netassist.desktop.tmp" "$appdir/netassist.desktop"

for dir in "$here"/share/icons/hicolor/*/apps; do
    size=$(basename "$(dirname "$dir")")
    install -d "$icondir/$size/apps"
    for f in "$dir"/netassist.*; do
        install -m 644 "$f" "$icondir/$size/apps/"
    done
done

cp -R "$here/share/doc/netassist/." "$docdir/"

if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$icondir/index.theme" ]; then
    gtk-update-icon-cache -q -t -f "$icondir" || true
fi
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$appdir" || true
fi

echo "NetAssist installed into $prefix"
echo "  program:      $bindir/netassist"
echo "  menu entry:   $appdir/netassist.desktop"
case ":${PATH:-}:" in
    *":$bindir:"*) ;;
    *) echo "note: $bindir is not on your PATH; add it to run 'netassist' from a terminal" ;;
esac
