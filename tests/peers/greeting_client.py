"""Tutorial 000 client: read the server's greeting, then send a reply."""

import common

p = common.parser(__doc__)
p.add_argument("--reply", default="你好服务器")
p.add_argument("--expect", type=int, default=1, help="bytes of greeting to wait for")
args = common.parse(p)

sock = common.tcp_connect(args.host, args.port)
greeting = common.recv_at_least(sock, args.expect)
common.report(greeting, "utf-8")
sock.sendall(args.reply.encode("utf-8"))
sock.close()
common.say("DONE")
