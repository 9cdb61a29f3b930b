"""Tutorial 004 server: a thread per client holding a short conversation."""

import threading

import common

p = common.parser(__doc__)
args = common.parse(p)


def talk(conn, addr):
    common.say("CONNECTED", common.show(addr))
    conn.send(b"Welcome!\n")
    while True:
        conn.send(b"What's your name?")
        data = conn.recv(1024)
        if not data:
            break
        common.report(data, "utf-8")
        if data == b"exit":
            conn.send(b"Good bye!\n")
            break
        conn.send(b"Hello %s!\n" % data)
    conn.close()
    common.say("CLOSED", common.show(addr))


server = common.tcp_listen(args.host, args.port)
while True:
    conn, addr = server.accept()
    threading.Thread(target=talk, args=(conn, addr), daemon=True).start()
