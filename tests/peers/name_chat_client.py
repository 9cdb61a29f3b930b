"""Tutorial 004 client, as a reader types it: read the welcome and the
question, then for each name send it and read the answer and the next
question; after "exit" read the goodbye and wait for the server to close.

Replies are read until the text expected ends them, whatever the read
boundaries, so the test checks the conversation and not the timing."""

import common

p = common.parser(__doc__)
p.add_argument("names", nargs="+")
args = common.parse(p)

QUESTION = b"What's your name?"
sock = common.tcp_connect(args.host, args.port)


def read_until(marker):
    """recv(1024) until the answer so far ends with `marker`; False if the
    server closed first."""
    answer = b""
    while not answer.endswith(marker):
        data = sock.recv(1024)
        if not data:
            return False
        common.report(data, "utf-8")
        answer += data
    return True


read_until(QUESTION)
for name in args.names:
    sock.send(name.encode("utf-8"))
    if name == "exit":
        read_until(b"Good bye!\n")
        if not sock.recv(1024):
            common.say("CLOSED")
        break
    if not read_until(QUESTION):
        common.say("CLOSED")
        break
sock.close()
common.say("DONE")
