"""Tutorial 001 TCP client: send Chinese as GBK, print the answer decoded as GBK.

--piece N sends the text in N-byte pieces, --pause seconds apart, the way a
person types into a slow link; --expect 0 closes without waiting for an answer.
"""

import time

import common

p = common.parser(__doc__)
p.add_argument("--text", default="你好，服务器")
p.add_argument("--expect", type=int, default=1, help="bytes of answer to wait for")
p.add_argument("--piece", type=int, default=None, help="bytes per write")
p.add_argument("--pause", type=float, default=0.05, help="seconds between pieces")
args = common.parse(p)

sock = common.tcp_connect(args.host, args.port)
data = args.text.encode("gbk")
if args.piece is None:
    sock.send(data)
else:
    for start in range(0, len(data), args.piece):
        if start:
            time.sleep(args.pause)
        sock.sendall(data[start : start + args.piece])
if args.expect > 0:
    common.report(common.recv_at_least(sock, args.expect), "gbk")
sock.close()
common.say("DONE")
