"""A client that ends abruptly: connect, optionally send, wait for a line on
stdin, then close with SO_LINGER 0 so the other side sees a reset (RST)
instead of an orderly close (the "client closed the window" case)."""

import socket
import struct
import sys

import common

p = common.parser(__doc__)
p.add_argument("--text", default=None)
args = common.parse(p)

sock = common.tcp_connect(args.host, args.port)
if args.text is not None:
    sock.sendall(args.text.encode("utf-8"))
sys.stdin.readline()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
sock.close()
common.say("DONE")
