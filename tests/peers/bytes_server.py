"""A TCP server that sends the bytes given as hex on accept, then closes
(a peer that sends terminal control sequences, or every byte value)."""

import common

p = common.parser(__doc__)
p.add_argument("--hex", default="".join(f"{b:02x}" for b in range(256)), help="bytes to send (default: 00 to FF)")
args = common.parse(p)

server = common.tcp_listen(args.host, args.port)
conn, addr = server.accept()
common.say("CONNECTED", common.show(addr))
conn.sendall(bytes.fromhex(args.hex))
conn.close()
server.close()
common.say("DONE")
