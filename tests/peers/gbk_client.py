"""Tutorial 001 TCP client: send Chinese as GBK, print the answer decoded as GBK."""

import common

p = common.parser(__doc__)
p.add_argument("--text", default="你好，服务器")
p.add_argument("--expect", type=int, default=1, help="bytes of answer to wait for")
args = common.parse(p)

sock = common.tcp_connect(args.host, args.port)
sock.send(args.text.encode("gbk"))
answer = common.recv_at_least(sock, args.expect)
common.report(answer, "gbk")
sock.close()
common.say("DONE")
