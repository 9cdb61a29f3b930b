"""Tutorial 004 client: read the welcome, then send each name (from argv,
or typed on stdin when none are given) and read each answer."""

import sys

import common

p = common.parser(__doc__)
p.add_argument("names", nargs="*")
p.add_argument("--welcome", type=int, default=1, help="bytes of welcome to wait for")
args = common.parse(p)

sock = common.tcp_connect(args.host, args.port)
common.report(common.recv_at_least(sock, args.welcome), "utf-8")
names = args.names or (line.rstrip("\r\n") for line in sys.stdin)
for name in names:
    if not name:
        continue
    data = name.encode("utf-8")
    sock.send(data)
    answer = sock.recv(1024)
    if not answer:
        common.say("CLOSED")
        break
    common.report(answer, "utf-8")
sock.close()
common.say("DONE")
