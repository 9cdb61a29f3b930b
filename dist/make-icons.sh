#!/usr/bin/env bash
# Regenerate every raster icon from the single source icons/netassist.svg.
#
#   dist/make-icons.sh            # writes into icons/
#
# Produces:
#   icons/netassist-{16,32,48,64,128,256,512}.png   (Linux hicolor theme, egui window icon)
#   icons/netassist.ico   (Windows: 16,24,32,48,64 as BMP + 256 as PNG)
#   icons/netassist.icns  (macOS: PNG entries 16..1024, the layout iconutil writes)
#
# Tools it needs (it installs nothing itself):
#   rsvg-convert  - Debian/Ubuntu: apt-get install librsvg2-bin   (macOS: brew install librsvg)
#   icotool       - Debian/Ubuntu: apt-get install icoutils       (macOS: brew install icoutils)
#   python3       - standard library only, writes the .icns container
#
# The output is a pure function of the SVG and the tool versions, so running
# it twice gives byte-identical files.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
icons="$root/icons"
svg="$icons/netassist.svg"

missing=()
command -v rsvg-convert >/dev/null 2>&1 || missing+=("rsvg-convert (apt-get install librsvg2-bin)")
command -v icotool      >/dev/null 2>&1 || missing+=("icotool (apt-get install icoutils)")
command -v python3      >/dev/null 2>&1 || missing+=("python3 (apt-get install python3)")
if ((${#missing[@]})); then
    echo "make-icons.sh: missing tools:" >&2
    for m in "${missing[@]}"; do echo "  - $m" >&2; done
    exit 1
fi
[[ -f "$svg" ]] || { echo "make-icons.sh: $svg not found" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

render() { # size out
    rsvg-convert --width "$1" --height "$1" --keep-aspect-ratio --format png "$svg" -o "$2"
}

# 1. PNGs that are checked in.
for s in 16 32 48 64 128 256 512; do
    render "$s" "$icons/netassist-$s.png"
    echo "wrote icons/netassist-$s.png"
done

# 2. Windows .ico: small sizes as 32-bit BMP (most compatible), 256 as PNG
#    (Vista+ format; keeps the file small).
render 24 "$tmp/24.png"
icotool --create --output="$icons/netassist.ico" \
    "$icons/netassist-16.png" "$tmp/24.png" "$icons/netassist-32.png" \
    "$icons/netassist-48.png" "$icons/netassist-64.png" \
    --raw="$icons/netassist-256.png"
echo "wrote icons/netassist.ico"

# 3. macOS .icns: a big-endian container of (type, length, PNG bytes) entries.
render 1024 "$tmp/1024.png"
python3 - "$icons/netassist.icns" \
    icp4="$icons/netassist-16.png"  \
    icp5="$icons/netassist-32.png"  \
    ic11="$icons/netassist-32.png"  \
    icp6="$icons/netassist-64.png"  \
    ic12="$icons/netassist-64.png"  \
    ic07="$icons/netassist-128.png" \
    ic13="$icons/netassist-256.png" \
    ic08="$icons/netassist-256.png" \
    ic14="$icons/netassist-512.png" \
    ic09="$icons/netassist-512.png" \
    ic10="$tmp/1024.png" <<'PY'
import struct, sys
out, pairs = sys.argv[1], sys.argv[2:]
body = b""
for pair in pairs:
    kind, path = pair.split("=", 1)
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    body += kind.encode("ascii") + struct.pack(">I", 8 + len(data)) + data
with open(out, "wb") as f:
    f.write(b"icns" + struct.pack(">I", 8 + len(body)) + body)
PY
echo "wrote icons/netassist.icns"
