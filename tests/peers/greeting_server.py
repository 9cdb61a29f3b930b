"""Tutorial 000 server: on accept, send a greeting (UTF-8 unless --encoding)
and close.

--split N sends the greeting in two writes, the first N bytes and the rest,
with a pause between, so a character can be cut in half across two reads.
--reply N waits for N bytes of reply (reported) before it closes.
"""

import time

import common

p = common.parser(__doc__)
p.add_argument("--text", default="你好,客户端,我是服务器")
p.add_argument("--encoding", default="utf-8")
p.add_argument("--split", type=int, default=None)
p.add_argument("--pause", type=float, default=0.3)
p.add_argument("--reply", type=int, default=0, help="bytes of reply to wait for before closing")
args = common.parse(p)

server = common.tcp_listen(args.host, args.port)
conn, addr = server.accept()
common.say("CONNECTED", common.show(addr))
data = args.text.encode(args.encoding)
if args.split is None:
    conn.sendall(data)
else:
    conn.sendall(data[: args.split])
    time.sleep(args.pause)
    conn.sendall(data[args.split :])
if args.reply:
    common.report(common.recv_at_least(conn, args.reply), "utf-8")
conn.close()
server.close()
common.say("DONE")
