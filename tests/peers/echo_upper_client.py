"""Tutorial 002 client: wait a moment, send mixed text, print the echo."""

import time

import common

p = common.parser(__doc__)
p.add_argument("--text", default="hello egon 哈哈哈")
p.add_argument("--sleep", type=float, default=0.1)
p.add_argument("--expect", type=int, default=None, help="bytes to wait for (default: as many as sent)")
args = common.parse(p)

sock = common.tcp_connect(args.host, args.port)
time.sleep(args.sleep)
data = args.text.encode("utf-8")
sock.send(data)
reply = common.recv_at_least(sock, len(data) if args.expect is None else args.expect)
common.report(reply, "utf-8")
sock.close()
common.say("DONE")
