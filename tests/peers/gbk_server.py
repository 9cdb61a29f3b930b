"""Tutorials 001/003 server: recv, decode as GBK, answer "thank you !" in GBK."""

import common

p = common.parser(__doc__)
p.add_argument("--clients", type=int, default=1)
args = common.parse(p)

server = common.tcp_listen(args.host, args.port)
for _ in range(args.clients):
    conn, addr = server.accept()
    common.say("CONNECTED", common.show(addr))
    data = conn.recv(1024)
    common.report(data, "gbk")
    conn.send("thank you !".encode("gbk"))
    conn.close()
server.close()
common.say("DONE")
