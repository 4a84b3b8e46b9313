#!/usr/bin/env python3
"""fcgi-supervisor.py - keeps N FastCGI workers on one listening socket, as
spawn-fcgi -F N does, but starts a new worker whenever one dies: the crash
test kills workers with SIGKILL and needs the endpoint to come back.

    fcgi-supervisor.py --port P --workers N --pids FILE -- PROGRAM ARGS...

The socket (127.0.0.1:P) is each worker's fd 0, as with spawn-fcgi.  FILE
holds the current worker pids, one per line, rewritten on every change.
SIGTERM stops the workers and the supervisor.  Standard library only.
"""
import argparse
import ctypes
import os
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pids", required=True)
    ap.add_argument("argv", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    argv = a.argv[1:] if a.argv and a.argv[0] == "--" else a.argv
    if not argv:
        sys.exit("fcgi-supervisor: no program")

    # a child subreaper: the consumers the workers start (double-forked,
    # detached) are reaped here at once, not left as zombies of init
    if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:
        sys.exit("fcgi-supervisor: cannot become a child subreaper")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", a.port))
    sock.listen(128)
    sock.set_inheritable(True)
    workers = set()
    stopping = False

    def write_pids():
        tmp = a.pids + ".tmp"
        with open(tmp, "w") as f:
            f.write("".join(f"{p}\n" for p in sorted(workers)))
        os.replace(tmp, a.pids)

    def start():
        pid = os.fork()
        if pid == 0:
            os.dup2(sock.fileno(), 0)
            os.execv(argv[0], argv)
        workers.add(pid)

    def stop(*_):
        nonlocal stopping
        stopping = True
        for p in list(workers):
            try:
                os.kill(p, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    for _ in range(a.workers):
        start()
    write_pids()
    restarts = 0
    while workers:
        try:
            pid, _ = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid not in workers:
            continue       # an orphan we reaped (a detached consumer)
        workers.discard(pid)
        if not stopping:
            start()
            restarts += 1
        write_pids()
    sys.stderr.write(f"fcgi-supervisor: {restarts} workers restarted\n")


if __name__ == "__main__":
    main()
