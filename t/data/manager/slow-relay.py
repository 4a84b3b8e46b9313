#!/usr/bin/env python3
"""slow-relay.py - a TCP relay for t/e2e/55-manager.sh that can hold back
answers: while FLAG_FILE exists, every chunk coming back from upstream waits
DELAY seconds before it is passed on.  A request reaches upstream (GitHub's
stand-in) at once and takes effect there; the caller hears of it only
later, so a manager killed in between has made an edit it never saw.

  slow-relay.py LISTEN_PORT UPSTREAM_PORT FLAG_FILE DELAY

Listens on 127.0.0.1 only; standard library only.
"""
import os
import socket
import sys
import threading
import time


def pump(src, dst, slow_flag, delay):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if slow_flag and os.path.exists(slow_flag):
                time.sleep(delay)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(conn, upstream_port, flag, delay):
    try:
        up = socket.create_connection(("127.0.0.1", upstream_port), timeout=30)
        up.settimeout(None)
    except OSError:
        conn.close()
        return
    threading.Thread(target=pump, args=(conn, up, None, 0), daemon=True).start()
    pump(up, conn, flag, delay)
    conn.close()
    up.close()


def main():
    port, upstream, flag, delay = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, upstream, flag, delay), daemon=True).start()


if __name__ == "__main__":
    main()
