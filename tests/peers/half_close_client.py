"""A client that says it has finished: connect, send a line, shut down the
write side (SHUT_WR, so the server reads end of stream), then read the
answer until the server closes too."""

import socket

import common

p = common.parser(__doc__)
p.add_argument("--text", default="ping")
args = common.parse(p)

sock = common.tcp_connect(args.host, args.port)
sock.sendall(args.text.encode("utf-8"))
sock.shutdown(socket.SHUT_WR)
answer = b""
while True:
    chunk = sock.recv(1024)
    if not chunk:
        break
    answer += chunk
common.report(answer, "utf-8")
sock.close()
common.say("DONE")
