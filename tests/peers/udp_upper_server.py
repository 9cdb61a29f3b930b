"""Tutorial 002 UDP server: send every datagram back upper-cased."""

import common

p = common.parser(__doc__)
p.add_argument("--count", type=int, default=1, help="datagrams to answer")
args = common.parse(p)

sock = common.udp_bind(args.host, args.port)
for _ in range(args.count):
    data, sender = sock.recvfrom(1024)
    common.report(data, "utf-8", sender)
    sock.sendto(data.upper(), sender)
sock.close()
common.say("DONE")
