#!/usr/bin/env python3
"""Known TCP sockets for the probe tests (run inside a test namespace).

probe-sockets.py READY_FILE: makes
  listeners 127.0.0.1:8080, [::1]:8443, 0.0.0.0:9090 (never accepts),
  5 ESTABLISHED pairs to 127.0.0.1:8080, 3 to [::1]:8443,
  2 connections to 9090 left in its accept queue (listener queue 2),
  4 connections to 127.0.0.1:8080 closed by the client first (client TIME_WAIT),
then writes READY_FILE and sleeps until killed (at most 120 s).
probe-sockets.py --connect PORT N GAP: listens on 127.0.0.1:PORT and makes N connections
  to it, one every GAP s (ActiveOpens and PassiveOpens grow by 1/GAP per second).
"""
import socket
import sys
import time


def listener(fam, host, port, backlog=16):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(backlog)
    return s


def pair(lst, fam, host, port, keep):
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.connect((host, port))
    a, _ = lst.accept()
    keep += [c, a]
    return c, a


def main():
    if sys.argv[1] == "--connect":
        port, n, gap = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
        lst = listener(socket.AF_INET, "127.0.0.1", port)
        t0 = time.monotonic()
        for i in range(n):
            c = socket.create_connection(("127.0.0.1", port))
            lst.accept()[0].close()
            c.close()
            # paced on the clock, so the rate is n/gap-independent of the work
            time.sleep(max(0, t0 + (i + 1) * gap - time.monotonic()))
        return
    keep = []
    l4 = listener(socket.AF_INET, "127.0.0.1", 8080)
    l6 = listener(socket.AF_INET6, "::1", 8443)
    lq = listener(socket.AF_INET, "0.0.0.0", 9090, 8)
    keep += [l4, l6, lq]
    for _ in range(5):
        pair(l4, socket.AF_INET, "127.0.0.1", 8080, keep)
    for _ in range(3):
        pair(l6, socket.AF_INET6, "::1", 8443, keep)
    for _ in range(2):
        c = socket.create_connection(("127.0.0.1", 9090))
        keep.append(c)
    for _ in range(4):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.connect(("127.0.0.1", 8080))
        a, _ = l4.accept()
        c.close()                  # client closes first: TIME_WAIT on its side
        a.recv(1)                  # server sees EOF
        a.close()                  # and closes: LAST_ACK, then gone
    time.sleep(0.3)
    with open(sys.argv[1], "w") as f:
        f.write("ready\n")
    time.sleep(120)


main()
