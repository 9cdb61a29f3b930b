"""A threaded server for the load tests, one thread per client as tutorial
004 has it; what it does with each client is its MODE:

    echo   send back every chunk upper-cased (like tutorial 002)
    other  answer every chunk with "something else\\n"
    close  read once, then close the connection (FIN), answering nothing
    reset  read once, then reset the connection (RST: SO_LINGER 0)

It prints `PORT <n>` and, at the end of each client, nothing: a load test
has thousands of them. Everything stops at the deadline."""

import socket
import struct
import threading

import common

p = common.parser(__doc__)
p.add_argument("mode", choices=["echo", "other", "close", "reset"])
args = common.parse(p)


def serve(conn):
    try:
        while True:
            data = conn.recv(1024)
            if not data or args.mode == "close":
                return
            if args.mode == "reset":
                conn.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                return
            if args.mode == "echo":
                conn.sendall(data.upper())
            else:
                conn.sendall(b"something else\n")
    except OSError:
        pass
    finally:
        conn.close()


server = socket.socket(common.family(args.host), socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((args.host, args.port))
server.settimeout(None)
server.listen(1024)
common.say("PORT", server.getsockname()[1])
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
