"""Shared helpers for the tutorial peers (standard library only).

Every peer takes HOST PORT from argv. A peer that binds prints `PORT <n>`
(the real port, so port 0 works) before it waits for anything. Received data
is reported as `RX <hex>` lines (plus ` FROM host:port` for UDP) followed by
`TEXT <decoded>`, so a test can check the exact bytes and a person can read
the text. Clients print `LOCAL host:port` once connected. Everything is
flushed at once. A hard deadline ends the peer with exit code 3 if a test
forgets it, so no run can hang.
"""

import argparse
import os
import socket
import sys
import threading

# Seconds a blocking socket call may wait, and the whole program may live.
SOCKET_TIMEOUT = 5.0
DEADLINE = 10.0


def say(*parts):
    print(*parts, flush=True)


def arm_deadline(seconds=DEADLINE):
    """Exit (code 3) after `seconds` whatever the peer is doing."""

    def expire():
        print(f"TIMEOUT after {seconds}s", file=sys.stderr, flush=True)
        os._exit(3)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("host", help="address, e.g. 127.0.0.1 or ::1")
    p.add_argument("port", type=int, help="port (0 = any free port, for servers)")
    p.add_argument("--deadline", type=float, default=DEADLINE)
    return p


def parse(p):
    args = p.parse_args()
    arm_deadline(args.deadline)
    socket.setdefaulttimeout(SOCKET_TIMEOUT)
    return args


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def show(addr):
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def tcp_listen(host, port):
    """A listening TCP socket; prints `PORT <n>`."""
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.bind((host, port))
    s.listen(16)
    say("PORT", s.getsockname()[1])
    return s


def tcp_connect(host, port):
    """A connected TCP socket; prints `LOCAL host:port`."""
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.connect((host, port))
    say("LOCAL", show(s.getsockname()))
    return s


def udp_bind(host, port, announce=True):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.bind((host, port))
    if announce:
        say("PORT", s.getsockname()[1])
    return s


def report(data, encoding, sender=None):
    """Prints `RX <hex>[ FROM addr]` and `TEXT <decoded>` for one chunk."""
    line = "RX " + data.hex()
    if sender is not None:
        line += " FROM " + show(sender)
    say(line)
    say("TEXT", data.decode(encoding, errors="replace"))


def recv_at_least(sock, count):
    """recv(1024) until `count` bytes have come (or the peer closed)."""
    data = sock.recv(1024)
    while data and len(data) < count:
        more = sock.recv(1024)
        if not more:
            break
        data += more
    return data
