"""Tutorial 001 UDP receiver: bind, print what arrives and who sent it."""

import common

p = common.parser(__doc__)
p.add_argument("--count", type=int, default=1, help="datagrams to receive")
p.add_argument("--decode", default="gbk")
args = common.parse(p)

sock = common.udp_bind(args.host, args.port)
for _ in range(args.count):
    data, sender = sock.recvfrom(1024)
    common.report(data, args.decode, sender)
sock.close()
common.say("DONE")
