#!/usr/bin/env python3
# tests/lab-portclient.py: the port model's lab client (issue 25). Opens and
# closes (client first: TIME_WAIT here) TCP connections to HOST:PORT at RATE
# per second for at most DURATION seconds, round-robin over the --source
# addresses, in one of three ways:
#   noport  setsockopt(IP_BIND_ADDRESS_NO_PORT) then bind((source, 0)):
#           connect() picks the port, per (source, destination)
#   bind    bind((source, 0)) then connect(): the port is taken at bind()
#   plain   connect() alone (no source)
# --hold keeps the connections open instead of closing them.
# Prints one key=value line: t0_unix, connected, failed, first_fail_s,
# first_errno (name), fail_at (bind or connect), per-source counts.
import argparse, errno, socket, sys, time

IP_BIND_ADDRESS_NO_PORT = 24

ap = argparse.ArgumentParser()
ap.add_argument("--connect", required=True)
ap.add_argument("--rate", type=float, required=True)
ap.add_argument("--duration", type=float, required=True)
ap.add_argument("--source", action="append", default=[])
ap.add_argument("--mode", choices=["noport", "bind", "plain"], default="plain")
ap.add_argument("--stop-on-fail", action="store_true")
ap.add_argument("--hold", action="store_true")
ap.add_argument("--linger", type=float, default=0, help="seconds to stay (holding) after the loop")
a = ap.parse_args()
host, port = a.connect.rsplit(":", 1)
dest = (host, int(port))
if a.mode != "plain" and not a.source:
    sys.exit("--mode %s needs --source" % a.mode)

t0 = time.time()
m0 = time.monotonic()
connected = failed = 0
first_fail = None
first_errno = "none"
fail_at = "none"
held = []
per_src = {s: 0 for s in a.source}
i = 0
while True:
    due = m0 + i / a.rate
    now = time.monotonic()
    if now - m0 >= a.duration:
        break
    if due > now:
        time.sleep(due - now)
    src = a.source[i % len(a.source)] if a.source else None
    i += 1
    s = socket.socket()
    step = "bind"
    try:
        if a.mode == "noport":
            s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        if a.mode != "plain":
            s.bind((src, 0))
        step = "connect"
        s.settimeout(2)
        s.connect(dest)
    except OSError as e:
        failed += 1
        s.close()
        if first_fail is None:
            first_fail = time.monotonic() - m0
            first_errno = errno.errorcode.get(e.errno, str(e.errno))
            fail_at = step
        if a.stop_on_fail:
            break
        continue
    connected += 1
    if src is not None:
        per_src[src] += 1
    if a.hold:
        held.append(s)
    else:
        s.close()

out = "t0_unix=%.6f connected=%d failed=%d first_fail_s=%s first_errno=%s fail_at=%s" % (
    t0, connected, failed, "%.3f" % first_fail if first_fail is not None else "none", first_errno, fail_at)
for k, v in per_src.items():
    out += " src_%s=%d" % (k, v)
print(out, flush=True)
if a.linger > 0:
    time.sleep(a.linger)
