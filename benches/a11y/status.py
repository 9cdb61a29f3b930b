"""Reads the status bar and the client count of a running NetAssist window
over AT-SPI every 50 ms, as a screen reader would: idle first (the
baseline), then during a TCP burst into its server tab (`status.py MIB`,
1024 MiB unless told). Run by status.sh, which starts the window."""
import socket, sys, threading, time
import pyatspi

def find(node, pred, depth=0):
    if depth > 40:
        return None
    try:
        if pred(node):
            return node
        n = node.childCount
    except Exception:
        return None
    for i in range(n):
        got = find(node.getChildAtIndex(i), pred, depth + 1)
        if got is not None:
            return got
    return None

desk = pyatspi.Registry.getDesktop(0)
app = None
for _ in range(100):
    for i in range(desk.childCount):
        a = desk.getChildAtIndex(i)
        if a is not None and a.name == "netassist":
            app = a
    if app:
        break
    time.sleep(0.1)
assert app, "no netassist on the accessibility bus"

port_entry = find(app, lambda n: n.getRoleName() == "entry" and n.name == "Local port")
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
port_entry.queryEditableText().setTextContents(str(port))
time.sleep(0.5)
open_btn = find(app, lambda n: n.getRoleName() == "push button" and n.name == "Open")
open_btn.queryAction().doAction(0)
time.sleep(1.0)
rx = find(app, lambda n: n.getRoleName() == "label" and (n.name or "").startswith("RX "))
assert rx, "no RX label"
clients = find(app, lambda n: n.getRoleName() == "label" and (n.name or "").endswith(" clients"))
assert clients, "no client count"

def sample(seconds, stop=None):
    lat, texts = [], []
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (stop and stop.is_set()):
        t = time.monotonic()
        name = rx.name
        count = clients.name
        lat.append(time.monotonic() - t)
        texts.append((name, count))
        time.sleep(0.05)
    return lat, texts

def stats(lat):
    s = sorted(lat)
    return s[len(s) // 2], s[int(len(s) * 0.99)], s[-1], sum(1 for x in s if x > 0.1)

idle, _ = sample(3)
total = int(sys.argv[1]) << 20 if len(sys.argv) > 1 else 1 << 30
done = threading.Event()
def blast():
    c = socket.create_connection(("127.0.0.1", port))
    block = b"Z" * (256 * 1024)
    sent = 0
    t = time.monotonic()
    while sent < total:
        n = min(len(block), total - sent)
        c.sendall(block[:n]); sent += n
    c.close()
    blast.secs = time.monotonic() - t
    done.set()
threading.Thread(target=blast, daemon=True).start()
busy, texts = sample(600, done)
after, last = sample(1.5)
i50, i99, imax, _ = stats(idle)
b50, b99, bmax, slow = stats(busy)
print("each read: the RX line and the client count, two AT-SPI calls")
print(f"idle reads: {len(idle)}, p50 {i50*1e3:.1f} ms, p99 {i99*1e3:.1f} ms, max {imax*1e3:.1f} ms")
print(f"burst reads: {len(busy)} over {blast.secs:.2f} s ({total/blast.secs/2**20:.0f} MiB/s), p50 {b50*1e3:.1f} ms, p99 {b99*1e3:.1f} ms, max {bmax*1e3:.1f} ms; over 100 ms: {slow}")
print(f"burst / idle: p50 {b50/i50:.1f}x, max {bmax/imax:.1f}x")
print(f"distinct status texts during the burst: {len(set(t[0] for t in texts))}; client count read: {sorted(set(t[1] for t in texts))}")
print(f"after: {last[-1][0]!r}")
assert last[-1][0].startswith(f"RX {total} bytes"), "every byte counted"
