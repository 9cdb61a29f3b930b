"""A WebSocket peer for NetAssist's WebSocket tests, on Python's
`websockets` package (10.x, asyncio; Debian: python3-websockets).

    ws_peer.py client URL [--cafile F] [--protocol P]... [--header "K: V"]...
                          [--max-size N] ACTION...
    ws_peer.py server HOST PORT [--cert F --key F] [--max-size N] ACTION...
    ws_peer.py http HOST PORT STATUS BODY

The client connects and prints `OPEN` (and `SUBPROTOCOL p` when one was
agreed), or `REFUSED <status>` when the upgrade was refused. The server
prints `PORT <n>`, serves one connection (printing `PATH <path>`), runs the
actions on it, then exits. `http` is a plain HTTP server that answers every
request with STATUS and BODY (no WebSocket at all).

Actions, in order:
    text:STR       send a text message
    hex:HEX        send a binary message
    frag:A,B,C     send the text A+B+C as one message in three frames
    big:N          send a binary message of N bytes (0x61 each)
    badutf8        send a text frame that is not UTF-8 (FF FE)
    ping:STR       send a ping and wait for its pong (prints `PONG STR`)
    recv           wait for a message: `RX text <hex>` or `RX binary <hex>`
    close:CODE:WHY close with CODE and reason WHY
    drop           cut the TCP connection, no close frame
    wait           wait until the connection closes
    sleep:SECS     sleep
When the connection ends the peer prints `CLOSED <code> <reason>` (the
code the other side's close frame carried, 1006 without one).
"""

import argparse
import asyncio
import os
import ssl
import sys
import threading

import websockets

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


def closed_line(ws):
    say(f"CLOSED {ws.close_code} {ws.close_reason or ''}".rstrip())


async def run_actions(ws, actions):
    for action in actions:
        verb, _, arg = action.partition(":")
        try:
            if verb == "text":
                await ws.send(arg)
            elif verb == "hex":
                await ws.send(bytes.fromhex(arg))
            elif verb == "frag":
                await ws.send(arg.split(","))
            elif verb == "big":
                await ws.send(b"a" * int(arg))
            elif verb == "badutf8":
                # Below the API: a text frame with bytes that are not UTF-8.
                await ws.write_frame(True, 0x1, b"\xff\xfe")
            elif verb == "ping":
                waiter = await ws.ping(arg.encode())
                await asyncio.wait_for(waiter, 5)
                say(f"PONG {arg}")
            elif verb == "recv":
                msg = await asyncio.wait_for(ws.recv(), 5)
                if isinstance(msg, str):
                    say(f"RX text {msg.encode().hex()}")
                else:
                    say(f"RX binary {msg.hex()}")
            elif verb == "close":
                code, _, why = arg.partition(":")
                await ws.close(int(code), why)
            elif verb == "drop":
                ws.transport.abort()
                await asyncio.sleep(0.2)
                return
            elif verb == "wait":
                await asyncio.wait_for(ws.wait_closed(), 5)
            elif verb == "sleep":
                await asyncio.sleep(float(arg))
            else:
                say(f"ERROR unknown action {action}")
                return
        except websockets.exceptions.ConnectionClosed:
            break
    try:
        await asyncio.wait_for(ws.wait_closed(), 5)
    except asyncio.TimeoutError:
        pass


async def client(args):
    ctx = None
    if args.url.startswith("wss://"):
        ctx = ssl.create_default_context(cafile=args.cafile)
    headers = [tuple(h.split(":", 1)) for h in args.header]
    headers = [(k.strip(), v.strip()) for k, v in headers]
    try:
        ws = await websockets.connect(
            args.url,
            ssl=ctx,
            subprotocols=args.protocol or None,
            extra_headers=headers,
            max_size=args.max_size,
            open_timeout=5,
        )
    except websockets.exceptions.InvalidStatusCode as e:
        say(f"REFUSED {e.status_code}")
        return 1
    say("OPEN")
    if ws.subprotocol:
        say(f"SUBPROTOCOL {ws.subprotocol}")
    await run_actions(ws, args.actions)
    closed_line(ws)
    return 0


async def server(args):
    ctx = None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
    done = asyncio.get_running_loop().create_future()

    async def handler(ws, path=None):
        say(f"PATH {ws.path}")
        await run_actions(ws, args.actions)
        closed_line(ws)
        if not done.done():
            done.set_result(None)

    async with websockets.serve(
        handler, args.host, args.port, ssl=ctx, max_size=args.max_size
    ) as srv:
        port = srv.sockets[0].getsockname()[1]
        say(f"PORT {port}")
        await done
    return 0


async def http(args):
    body = args.body.encode()

    async def answer(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        head = (
            f"HTTP/1.1 {args.status} Status\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        writer.close()

    srv = await asyncio.start_server(answer, args.host, args.port)
    say(f"PORT {srv.sockets[0].getsockname()[1]}")
    async with srv:
        await asyncio.sleep(DEADLINE)
    return 0


def main():
    arm_deadline()
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="role", required=True)
    c = sub.add_parser("client")
    c.add_argument("url")
    c.add_argument("--cafile")
    c.add_argument("--protocol", action="append", default=[])
    c.add_argument("--header", action="append", default=[])
    c.add_argument("--max-size", type=int, default=2**20)
    c.add_argument("actions", nargs="*")
    s = sub.add_parser("server")
    s.add_argument("host")
    s.add_argument("port", type=int)
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--max-size", type=int, default=2**20)
    s.add_argument("actions", nargs="*")
    h = sub.add_parser("http")
    h.add_argument("host")
    h.add_argument("port", type=int)
    h.add_argument("status", type=int)
    h.add_argument("body")
    args = p.parse_args()
    run = {"client": client, "server": server, "http": http}[args.role]
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
