#!/usr/bin/env bash
# Runs every NetAssist test: installs what the tests need when it is
# missing, then runs `cargo test` with the arguments given.
#
#   ./test.sh                          every test
#   ./test.sh --test it -- engine::    the engine's integration tests only
#
# The tests need, besides Rust: python3 (tutorial peers), python3's
# websockets module, tshark (pcapng files read back), iproute2 and
# util-linux (`ip` and `unshare`: multicast and broadcast in a private
# network namespace), openssl and socat (TLS peers). Missing ones are
# installed from Debian packages when this runs as root on a system with
# apt-get; otherwise it names the packages to install and exits 1.
#
# python3 is the first one on PATH (the tests start it by that name). When
# it cannot import websockets but Debian's /usr/bin/python3 can (a pyenv or
# other python first on PATH, with python3-websockets installed for
# Debian's), the tests get that one module through PYTHONPATH: a folder in
# target/ holding only a link to it, so nothing else of Debian's Python
# shadows the other python's own packages.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

say() { echo "test.sh: $*" >&2; }

command -v cargo >/dev/null 2>&1 \
    || { say "cargo not found: install Rust (https://rustup.rs), then run ./test.sh again"; exit 1; }

# The Debian package of each command the tests run.
commands=(python3 tshark ip unshare openssl socat)
declare -A package_of=(
    [python3]=python3 [tshark]=tshark [ip]=iproute2 [unshare]=util-linux
    [openssl]=openssl [socat]=socat
)
debian_python=/usr/bin/python3
websockets_package=python3-websockets

has_websockets() { # PYTHON
    "$1" -c 'import websockets' >/dev/null 2>&1
}

# What is missing, as Debian package names.
missing_packages() {
    local c
    for c in "${commands[@]}"; do
        command -v "$c" >/dev/null 2>&1 || echo "${package_of[$c]}"
    done
    if ! { command -v python3 >/dev/null 2>&1 && has_websockets python3; } \
        && ! { [[ -x "$debian_python" ]] && has_websockets "$debian_python"; }; then
        echo "$websockets_package"
    fi
}

mapfile -t missing < <(missing_packages)
if ((${#missing[@]})); then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
        mapfile -t missing < <(missing_packages)
        ((${#missing[@]} == 0)) || { say "still missing after apt-get: ${missing[*]}"; exit 1; }
    else
        say "the tests need these Debian/Ubuntu packages, not installed here:"
        echo "    sudo apt-get install ${missing[*]}" >&2
        say "(as root on a system with apt-get, ./test.sh installs them itself)"
        exit 1
    fi
fi

if ! has_websockets python3; then
    # Debian's python has it (checked above); lend the tests' python3 that
    # module alone.
    module_dir="$("$debian_python" -c 'import os, websockets; print(os.path.dirname(websockets.__file__))')"
    lend="$PWD/target/test-python"
    mkdir -p "$lend"
    ln -sfn "$module_dir" "$lend/websockets"
    export PYTHONPATH="$lend${PYTHONPATH:+:$PYTHONPATH}"
    has_websockets python3 || {
        say "$(command -v python3) cannot import the websockets module of $debian_python ($module_dir);"
        say "install websockets for it (pip install websockets) or put $debian_python first on PATH"
        exit 1
    }
    say "python3 is $(command -v python3); websockets from $module_dir (PYTHONPATH=$PYTHONPATH)"
fi

exec cargo test "$@"
