# shellcheck shell=bash
# Shared helpers for the dist/ scripts. Source it, don't run it:
#   . "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
# Needs only bash and coreutils (od, awk).

# Repository root (the folder with Cargo.toml).
NA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NA_OUT="${NA_OUT:-$NA_ROOT/dist/out}"

na_die() {
    echo "error: $*" >&2
    exit 1
}

# A string field of [package] in Cargo.toml (version, repository, homepage);
# prints nothing if it is absent.
na_cargo_field() {
    awk -v key="$1" '
        /^\[/ { in_pkg = ($0 == "[package]") }
        in_pkg && $0 ~ "^[[:space:]]*" key "[[:space:]]*=[[:space:]]*\"" {
            sub(/^[^"]*"/, ""); sub(/".*$/, ""); print; exit
        }' "$NA_ROOT/Cargo.toml"
}

# The [package] version from Cargo.toml, e.g. 0.1.0.
na_version() {
    na_cargo_field version
}

# The CPU architecture an ELF binary was built for, read from its header
# (so a binary cross-built for another target is labelled correctly).
# Prints a uname-style name: x86_64, aarch64, armv7, i686, riscv64.
na_elf_arch() {
    local file="$1" magic machine
    magic="$(od -An -c -N4 "$file" | tr -d ' ')"
    [[ "$magic" == '177ELF' ]] || { echo "unknown"; return; }
    # e_machine: 2 bytes at offset 18 (little-endian on every target we ship).
    machine="$(od -An -t u2 -j 18 -N 2 "$file" | tr -d ' ')"
    case "$machine" in
        62) echo x86_64 ;;
        183) echo aarch64 ;;
        40) echo armv7 ;;
        3) echo i686 ;;
        243) echo riscv64 ;;
        *) echo "unknown" ;;
    esac
}

# Debian's name for a uname-style architecture.
na_deb_arch() {
    case "$1" in
        x86_64) echo amd64 ;;
        aarch64) echo arm64 ;;
        armv7) echo armhf ;;
        i686) echo i386 ;;
        riscv64) echo riscv64 ;;
        *) return 1 ;;
    esac
}

# License files of bundled fonts (src/ui/fonts/*LICENSE*, *LICENCE*, OFL*,
# COPYING*), one path a line; prints nothing if there are none.
na_font_licenses() {
    local dir="$NA_ROOT/src/ui/fonts"
    [[ -d "$dir" ]] || return 0
    find "$dir" -maxdepth 2 -type f \( -iname '*licen[cs]e*' -o -iname 'ofl*' -o -iname 'copying*' \) | LC_ALL=C sort
}

# The project's own license files (LICENSE, LICENSE-MIT, LICENSE-APACHE, ...).
na_project_licenses() {
    find "$NA_ROOT" -maxdepth 1 -type f \( -iname 'licen[cs]e*' -o -iname 'copying*' \) | LC_ALL=C sort
}

# shellcheck disable=SC2034 # used by the scripts that source this file
NA_ICON_SIZES=(16 32 48 64 128 256 512)

# Installs the binary, desktop entry, icons, README and licenses under
# PREFIX (bin/, share/applications, share/icons/hicolor, share/doc/netassist)
# -- the layout shared by the .deb (PREFIX=.../usr) and the tarball.
# Usage: na_install_tree PREFIX BINARY STRIP(0|1)
na_install_tree() {
    local prefix="$1" binary="$2" do_strip="$3" s f doc
    install -Dm755 "$binary" "$prefix/bin/netassist"
    if ((do_strip)); then
        strip --strip-unneeded "$prefix/bin/netassist" 2>/dev/null \
            || echo "note: could not strip the binary (wrong strip for its architecture?); packaging it as is" >&2
    fi
    install -Dm644 "$NA_ROOT/dist/linux/netassist.desktop" "$prefix/share/applications/netassist.desktop"
    for s in "${NA_ICON_SIZES[@]}"; do
        install -Dm644 "$NA_ROOT/icons/netassist-$s.png" "$prefix/share/icons/hicolor/${s}x${s}/apps/netassist.png"
    done
    install -Dm644 "$NA_ROOT/icons/netassist.svg" "$prefix/share/icons/hicolor/scalable/apps/netassist.svg"
    doc="$prefix/share/doc/netassist"
    install -d "$doc"
    [[ -f "$NA_ROOT/README.md" ]] && install -m644 "$NA_ROOT/README.md" "$doc/README.md"
    na_install_licenses "$doc"
}

# Installs the project's license files into DIR and the bundled fonts'
# licenses into DIR/fonts. Usage: na_install_licenses DIR
na_install_licenses() {
    local dir="$1" f
    while IFS= read -r f; do
        [[ -n "$f" ]] && install -Dm644 "$f" "$dir/$(basename "$f")"
    done < <(na_project_licenses)
    while IFS= read -r f; do
        [[ -n "$f" ]] && install -Dm644 "$f" "$dir/fonts/$(basename "$f")"
    done < <(na_font_licenses)
    return 0
}
