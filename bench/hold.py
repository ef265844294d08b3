# bench/hold.py PAIRS READY SECONDS: holds PAIRS connected loopback pairs
# (2 x PAIRS + 1 sockets) in this network namespace, touches READY once
# they are up, and keeps them SECONDS (or until SIGTERM). Used by the
# namespace benchmarks (bench/lib.sh).
import signal, socket, sys, time
pairs, ready, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1024)
keep = []
for _ in range(pairs):
    c = socket.create_connection(srv.getsockname()); s, _ = srv.accept(); keep += [c, s]
open(ready, "w").close()
time.sleep(seconds)
