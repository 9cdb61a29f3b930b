"""Tutorial 002 server: send back every chunk upper-cased; serve clients one
after another (the "connection loop"), until --clients have been served."""

import common

p = common.parser(__doc__)
p.add_argument("--clients", type=int, default=1)
args = common.parse(p)

server = common.tcp_listen(args.host, args.port)
for _ in range(args.clients):
    conn, addr = server.accept()
    common.say("CONNECTED", common.show(addr))
    while True:
        try:
            data = conn.recv(1024)
        except OSError as e:  # e.g. reset by the client
            common.say("ERROR", e.__class__.__name__)
            break
        if not data:
            common.say("CLOSED", common.show(addr))
            break
        common.report(data, "utf-8")
        conn.send(data.upper())
    conn.close()
server.close()
common.say("DONE")
