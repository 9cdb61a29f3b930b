"""Tutorial 001 UDP sender: sendto each typed line (stdin) or each argv text."""

import sys

import common

p = common.parser(__doc__)
p.add_argument("texts", nargs="*")
p.add_argument("--encoding", default="utf-8")
args = common.parse(p)

sock = common.udp_bind("::1" if ":" in args.host else "127.0.0.1", 0, announce=False)
common.say("LOCAL", common.show(sock.getsockname()))
texts = args.texts or (line.rstrip("\r\n") for line in sys.stdin)
for text in texts:
    sock.sendto(text.encode(args.encoding), (args.host, args.port))
    common.say("SENT", text)
sock.close()
common.say("DONE")
