#!/bin/bash
# The window's status bar read as a screen reader reads it, during a burst.
#
# Starts a private X display (Xvfb), a private D-Bus session with the
# accessibility bus (at-spi2-core) switched on, and the release window, then
# runs status.py: it reads the status bar and the client count over AT-SPI
# every 50 ms, idle and then while a 1 GiB TCP burst arrives (or the MiB
# given: `benches/a11y/status.sh 4096`). The goal: every read within 0.1 s.
#
# Needs (Debian): xvfb at-spi2-core python3-pyatspi dbus; and
# `cargo build --release` first. Loopback only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${NETASSIST_BIN:-$root/target/release/netassist}
mib=${1:-1024}
if [ -z "${NETASSIST_IN_SESSION:-}" ]; then
    exec env NETASSIST_IN_SESSION=1 dbus-run-session -- "$0" "$@"
fi
display=:$((90 + RANDOM % 9))
home=$(mktemp -d)
Xvfb "$display" -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb=$!
/usr/libexec/at-spi-bus-launcher --launch-immediately >/dev/null 2>&1 &
launcher=$!
cleanup() { kill "${na:-}" "$launcher" "$xvfb" 2>/dev/null || true; rm -rf "$home"; }
trap cleanup EXIT
sleep 1
dbus-send --session --dest=org.a11y.Bus --print-reply /org/a11y/bus \
    org.freedesktop.DBus.Properties.Set string:org.a11y.Status string:IsEnabled \
    variant:boolean:true >/dev/null
DISPLAY=$display HOME=$home LANG=en_US.UTF-8 "$bin" >/dev/null 2>&1 &
na=$!
sleep 3
DISPLAY=$display /usr/bin/python3 "$here/status.py" "$mib"
