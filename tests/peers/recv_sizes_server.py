"""A TCP server that shows how its reads arrive: it accepts one client,
calls recv(1024) until the client finishes sending, prints `SIZE <n>` for
each read, then answers `got <total> bytes` and closes. Behind a relay that
slices into 1-byte pieces, every SIZE is 1: a byte stream has no message
boundaries."""

import common

p = common.parser(__doc__)
args = common.parse(p)

server = common.tcp_listen(args.host, args.port)
conn, addr = server.accept()
common.say("CONNECTED", common.show(addr))
total = b""
while True:
    data = conn.recv(1024)
    if not data:
        break
    common.say("SIZE", len(data))
    total += data
common.report(total, "utf-8")
conn.sendall(b"got %d bytes" % len(total))
conn.close()
server.close()
common.say("DONE")
