"""Tutorial 001/002 UDP client: sendto once, wait for one reply with recvfrom,
print it and who sent it."""

import common

p = common.parser(__doc__)
p.add_argument("--text", default="hello 你好")
p.add_argument("--encoding", default="utf-8")
p.add_argument("--decode", default="gbk")
args = common.parse(p)

sock = common.udp_bind("::1" if ":" in args.host else "127.0.0.1", 0, announce=False)
common.say("LOCAL", common.show(sock.getsockname()))
sock.sendto(args.text.encode(args.encoding), (args.host, args.port))
data, sender = sock.recvfrom(1024)
common.report(data, args.decode, sender)
sock.close()
common.say("DONE")
