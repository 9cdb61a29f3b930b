"""A TLS peer for the engine's TLS tests (standard library only: socket, ssl).

    tls_peer.py client HOST PORT [--ca FILE | --no-verify] [--cert F --key F]
                [--sni NAME] [--send-hex HEX] [--finish] [--read N]
    tls_peer.py server HOST PORT --cert F --key F [--reply TEXT]

The client connects, prints `TLS <version>` once the handshake is done,
sends the --send-hex bytes, then with --finish shuts down its sending side
(FIN) and reads to the server's close_notify; with --read N it reads N
bytes. The server prints
`PORT <n>`, accepts one client, reads until the client finishes (its
close_notify: a cut connection is reported as `RAGGED`), answers
`got <n> bytes`, then sends its own close_notify and closes. Received bytes
are printed as `RX <hex>`; a failure as `ERROR <text>` (exit 1).
"""

import argparse
import os
import socket
import ssl
import sys
import threading

TIMEOUT = 5.0
DEADLINE = 15.0


def say(*parts):
    print(*parts, flush=True)


def arm_deadline():
    def expire():
        print(f"TIMEOUT after {DEADLINE}s", file=sys.stderr, flush=True)
        os._exit(3)

    timer = threading.Timer(DEADLINE, expire)
    timer.daemon = True
    timer.start()


def read_to_end(tls):
    """Reads until close_notify; a FIN without it raises SSLEOFError."""
    data = b""
    while True:
        chunk = tls.recv(65536)
        if not chunk:
            return data
        data += chunk


def client(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if args.no_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif args.ca:
        ctx.load_verify_locations(args.ca)
    if args.cert:
        ctx.load_cert_chain(args.cert, args.key)
    raw = socket.create_connection((args.host, args.port), timeout=TIMEOUT)
    tls = ctx.wrap_socket(
        raw, server_hostname=args.sni or args.host, suppress_ragged_eofs=False
    )
    say("TLS", tls.version())
    if args.send_hex:
        tls.sendall(bytes.fromhex(args.send_hex))
    if args.finish:
        # Python has no way to send close_notify and go on reading, so the
        # client finishes with a TCP FIN alone (the base class's shutdown
        # keeps the TLS state, which SSLSocket.shutdown would drop), then
        # reads the answer up to the server's close_notify.
        socket.socket.shutdown(tls, socket.SHUT_WR)
        say("RX", read_to_end(tls).hex())
    elif args.read:
        data = b""
        while len(data) < args.read:
            chunk = tls.recv(65536)
            if not chunk:
                break
            data += chunk
        say("RX", data.hex())
    say("DONE")


def server(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((args.host, args.port))
    listener.listen(1)
    listener.settimeout(TIMEOUT)
    say("PORT", listener.getsockname()[1])
    raw, _ = listener.accept()
    raw.settimeout(TIMEOUT)
    tls = ctx.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False)
    say("TLS", tls.version())
    try:
        data = read_to_end(tls)
    except ssl.SSLEOFError:
        say("RAGGED")
        return
    say("RX", data.hex())
    tls.sendall(f"got {len(data)} bytes".encode())
    plain = tls.unwrap()
    plain.close()
    say("DONE")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("role", choices=["client", "server"])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--ca")
    p.add_argument("--no-verify", action="store_true")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--sni")
    p.add_argument("--send-hex", default="")
    p.add_argument("--finish", action="store_true")
    p.add_argument("--read", type=int, default=0)
    args = p.parse_args()
    arm_deadline()
    try:
        (client if args.role == "client" else server)(args)
    except (OSError, ssl.SSLError) as e:
        say("ERROR", e)
        sys.exit(1)


main()
