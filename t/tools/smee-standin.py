#!/usr/bin/env python3
"""smee-standin.py - a STAND-IN for the smee.io server, for the tests only.

  smee-standin.py PORT [--ping SECONDS]

The real server (github.com/probot/smee.io) is not published on npm and
cannot be fetched here, so the tests run the real smee-client (npm
smee-client) against this one, which speaks the same wire format, on
127.0.0.1:PORT:

  GET /new                 307 to a new random channel (/<channel>)
  GET /<channel>           with "Accept: text/event-stream": a Server-Sent
                           Events stream: "id: N", "event: ready",
                           "data: {}" at once, an "event: ping" every
                           --ping seconds (smee.io: 30), and one message
                           per delivery posted to the channel
  POST /<channel>          a delivery: the body must be a JSON object
                           (else 400; another Content-Type: 415); answered
                           200 with an empty body, and sent to every
                           client of the channel as one message whose data
                           is a JSON object: every request header (names in
                           lower case, as Node gives them), then "body" (the
                           delivery), "query" (the query string's
                           parameters) and "timestamp" (ms)
  GET /_clients/<channel>  (stand-in only) the number of connected clients

smee.io parses the body and sends JSON.stringify() of it; this stand-in
sends the body's own text instead (as "data:" lines).  smee-client parses
the message and posts JSON.stringify(body) to its target, and
JSON.stringify(JSON.parse(x)) is the same whichever of the two it gets, so
what reaches the target is what the real server would make of it.

Python standard library only; stops on SIGTERM/SIGINT.
"""

import argparse
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHANNEL = re.compile(r"^/([A-Za-z0-9_-]{1,128})$")
MAX_BODY = 26 * 1024 * 1024


class Channels:
    """channel name -> set of client queues (one list + condition each)"""

    def __init__(self):
        self.lock = threading.Lock()
        self.clients = {}

    def join(self, name, client):
        with self.lock:
            self.clients.setdefault(name, set()).add(client)

    def leave(self, name, client):
        with self.lock:
            self.clients.get(name, set()).discard(client)

    def count(self, name):
        with self.lock:
            return len(self.clients.get(name, ()))

    def publish(self, name, message):
        with self.lock:
            targets = list(self.clients.get(name, ()))
        for c in targets:
            c.put(message)


class Client:
    def __init__(self):
        self.cond = threading.Condition()
        self.queue = []

    def put(self, message):
        with self.cond:
            self.queue.append(message)
            self.cond.notify()

    def get(self, timeout):
        with self.cond:
            if not self.queue:
                self.cond.wait(timeout)
            out, self.queue = self.queue, []
            return out


def envelope(headers, body_text, query):
    """The message's data, as smee.io builds it: {...headers, body, query,
    timestamp}.  A header named body/query/timestamp is overridden, as
    the object spread in smee.io is (JSON.parse keeps the last key)."""
    merged = {}
    for k, v in headers.items():
        k = k.lower()
        merged[k] = merged[k] + ", " + v if k in merged else v
    head = json.dumps(merged, separators=(",", ":"), ensure_ascii=False)
    return "%s\"body\":%s,\"query\":%s,\"timestamp\":%d}" % (
        head[:-1] + "," if merged else "{", body_text,
        json.dumps(query, separators=(",", ":"), ensure_ascii=False),
        int(time.time() * 1000))


def sse_event(ident, data, event=None):
    lines = ["id: %d" % ident]
    if event:
        lines.append("event: " + event)
    # a data field per line of the text: the client joins them with "\n"
    lines += ["data: " + part for part in re.split(r"\r\n|\r|\n", data)]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "smee-standin/1"

    def log_message(self, fmt, *args):
        sys.stderr.write("smee-standin: %s %s\n" % (
            self.address_string(), fmt % args))

    def answer(self, status, text="", ctype="text/plain; charset=utf-8",
               extra=()):
        data = text.encode("utf-8")
        self.send_response(status)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/new":
            host = self.headers.get("Host", "127.0.0.1")
            channel = secrets.token_urlsafe(12)
            return self.answer(307, "", extra=[
                ("Location", "http://%s/%s" % (host, channel))])
        if u.path.startswith("/_clients/"):
            n = self.server.channels.count(u.path[len("/_clients/"):])
            return self.answer(200, "%d\n" % n)
        m = CHANNEL.match(u.path)
        if not m:
            return self.answer(404, "not found\n")
        if self.headers.get("Accept") != "text/event-stream":
            return self.answer(200, "<p>smee stand-in channel %s</p>\n"
                               % m.group(1), "text/html; charset=utf-8")
        self.stream(m.group(1))

    def stream(self, name):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        self.close_connection = True
        client = Client()
        n = 0
        try:
            self.wfile.write(sse_event(n, "{}", "ready"))
            self.wfile.flush()
            self.server.channels.join(name, client)
            last = time.monotonic()
            while not self.server.stopping.is_set():
                for data in client.get(0.5):
                    n += 1
                    self.wfile.write(sse_event(n, data))
                    last = time.monotonic()
                if time.monotonic() - last >= self.server.ping:
                    n += 1
                    self.wfile.write(sse_event(n, "{}", "ping"))
                    last = time.monotonic()
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self.server.channels.leave(name, client)

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        m = CHANNEL.match(u.path)
        if not m:
            return self.answer(404, "not found\n")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return self.answer(411, "length required\n")
        if not 0 <= length <= MAX_BODY:
            return self.answer(413, "too large\n")
        raw = self.rfile.read(length)
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
        if ctype != "application/json":
            return self.answer(415, "unsupported media type\n")
        try:
            text = raw.decode("utf-8")
            if not isinstance(json.loads(text), dict):
                raise ValueError("not an object")
        except ValueError as e:
            return self.answer(400, "bad body: %s\n" % e)
        query = dict(urllib.parse.parse_qsl(u.query))
        self.server.channels.publish(
            m.group(1), envelope(self.headers, text, query))
        self.answer(200)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("port", type=int)
    p.add_argument("--ping", type=float, default=30.0)
    args = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.channels = Channels()
    srv.stopping = threading.Event()
    srv.ping = args.ping

    def stop(*_):
        srv.stopping.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stderr.write("smee-standin: listening on 127.0.0.1:%d (pid %d)\n"
                     % (args.port, os.getpid()))
    srv.serve_forever()


if __name__ == "__main__":
    main()
