#!/usr/bin/env python3
"""webhook.py - GitHub webhook deliveries for the end-to-end tests.

  webhook.py list
      the event/action pairs of GitHub's example payloads, with counts
  webhook.py pick EVENT [ACTION] [--index N] [--set /json/pointer=JSON]...
      one example payload, compact as GitHub sends it (no trailing newline)
  webhook.py sign SECRET < BODY
      sha256=<hex HMAC-SHA256 of the exact bytes>
  webhook.py send URL EVENT BODYFILE [--secret S] [--delivery UUID]
                  [--signature VALUE | --no-signature] [--header K=V]...
                  [--method M] [--timeout SECONDS]
      POSTs BODYFILE with the headers GitHub sends; prints the HTTP status,
      a newline, then the response body.  Exits 0 whatever the status; 1
      (after printing 000) when no HTTP answer came at all.

The examples come from @octokit/webhooks-examples (t/node_modules, or the
file named by $WEBHOOK_EXAMPLES).  Python standard library only.
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import select
import sys
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.environ.get("WEBHOOK_EXAMPLES") or os.path.join(
    HERE, "..", "node_modules", "@octokit", "webhooks-examples",
    "api.github.com", "index.json")
USER_AGENT = "GitHub-Hookshot/e2e0001"
HOOK_ID = "471234567"
APP_ID = "123456"
CHUNK = 64 * 1024


def die(msg):
    sys.stderr.write("webhook.py: %s\n" % msg)
    sys.exit(2)


def compact(obj):
    """Serialises as GitHub sends: no spaces, UTF-8 kept as is."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def load_events():
    try:
        with open(EXAMPLES, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        die("cannot read the examples (%s): run `npm install` in t/" % e)


def examples_of(events, event, action):
    for ev in events:
        if ev["name"] == event:
            return [x for x in ev["examples"]
                    if action is None or x.get("action") == action]
    die("no such event: %s (see `webhook.py list`)" % event)


def pointer_set(doc, pointer, value):
    """Sets the value at an RFC 6901 pointer; the parent must exist."""
    if not pointer.startswith("/"):
        die("not a JSON pointer: %r" % pointer)
    tokens = [t.replace("~1", "/").replace("~0", "~")
              for t in pointer[1:].split("/")]
    parent = doc
    for t in tokens[:-1]:
        try:
            parent = parent[int(t) if isinstance(parent, list) else t]
        except (KeyError, IndexError, ValueError, TypeError):
            die("no such location: %s" % pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list) and last == "-":
        parent.append(value)
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        parent[int(last)] = value
    else:
        die("cannot set %s" % pointer)


def cmd_list(_args):
    for ev in load_events():
        counts = {}
        for x in ev["examples"]:
            a = x.get("action") or "-"
            counts[a] = counts.get(a, 0) + 1
        for a in sorted(counts):
            print("%s %s %d" % (ev["name"], a, counts[a]))


def cmd_pick(args):
    found = examples_of(load_events(), args.event, args.action)
    if not 0 <= args.index < len(found):
        die("%s %s has %d examples, no index %d" %
            (args.event, args.action or "(any action)", len(found), args.index))
    doc = found[args.index]
    for s in args.set:
        pointer, eq, value = s.partition("=")
        if not eq:
            die("--set wants /pointer=JSONVALUE, got %r" % s)
        try:
            pointer_set(doc, pointer, json.loads(value))
        except json.JSONDecodeError as e:
            die("--set %s: value is not JSON (%s); quote strings" % (pointer, e))
    sys.stdout.buffer.write(compact(doc))


def signature(secret, body, algo=hashlib.sha256):
    return hmac.new(secret.encode("utf-8"), body, algo).hexdigest()


def cmd_sign(args):
    print("sha256=" + signature(args.secret, sys.stdin.buffer.read()))


def github_headers(args, body):
    h = {
        "Accept": "*/*",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-GitHub-Delivery": args.delivery or str(uuid.uuid4()),
        "X-GitHub-Event": args.event,
        "X-GitHub-Hook-ID": HOOK_ID,
        "X-GitHub-Hook-Installation-Target-ID": APP_ID,
        "X-GitHub-Hook-Installation-Target-Type": "integration",
    }
    if not args.no_signature:
        if args.secret is not None:
            h["X-Hub-Signature"] = "sha1=" + signature(args.secret, body, hashlib.sha1)
            h["X-Hub-Signature-256"] = "sha256=" + signature(args.secret, body)
        if args.signature is not None:
            h["X-Hub-Signature-256"] = args.signature
    for kv in args.header:
        k, eq, v = kv.partition("=")
        if not eq or not k:
            die("--header wants K=V, got %r" % kv)
        for old in [o for o in h if o.lower() == k.lower()]:
            del h[old]
        if v:
            h[k] = v
    return h


def post(url, method, headers, body, timeout):
    """Sends the request; stops sending the body as soon as the server
    answers (an early 413) so the answer can still be read.  Returns
    (status, response body)."""
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http" or not u.hostname:
        die("only http:// URLs: %s" % url)
    path = (u.path or "/") + ("?" + u.query if u.query else "")
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        sock, view, off = conn.sock, memoryview(body), 0
        while off < len(body):
            readable, writable, _ = select.select([sock], [sock], [], timeout)
            if readable:
                break  # an answer before the whole body: read it
            if not writable:
                raise TimeoutError("sending the body timed out")
            try:
                off += sock.send(view[off:off + CHUNK])
            except (BrokenPipeError, ConnectionResetError):
                break
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def cmd_send(args):
    if args.secret is None and args.signature is None and not args.no_signature:
        die("send needs --secret S, --signature VALUE or --no-signature")
    try:
        with open(args.bodyfile, "rb") as f:
            body = f.read()
    except OSError as e:
        die(str(e))
    try:
        status, text = post(args.url, args.method, github_headers(args, body),
                            body, args.timeout)
    except (OSError, http.client.HTTPException) as e:
        print("000")
        sys.stdout.flush()
        sys.stderr.write("webhook.py: no answer from %s: %s: %s\n" %
                         (args.url, type(e).__name__, e))
        sys.exit(1)
    sys.stdout.write("%d\n" % status)
    sys.stdout.flush()
    sys.stdout.buffer.write(text)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    sub.add_parser("list").set_defaults(func=cmd_list)

    s = sub.add_parser("pick")
    s.add_argument("event")
    s.add_argument("action", nargs="?")
    s.add_argument("--index", type=int, default=0)
    s.add_argument("--set", action="append", default=[],
                   metavar="/POINTER=JSON")
    s.set_defaults(func=cmd_pick)

    s = sub.add_parser("sign")
    s.add_argument("secret")
    s.set_defaults(func=cmd_sign)

    s = sub.add_parser("send")
    s.add_argument("url")
    s.add_argument("event")
    s.add_argument("bodyfile")
    s.add_argument("--secret")
    s.add_argument("--delivery")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--signature")
    g.add_argument("--no-signature", action="store_true")
    s.add_argument("--header", action="append", default=[], metavar="K=V",
                   help="add or replace a header; K= removes it")
    s.add_argument("--method", default="POST")
    s.add_argument("--timeout", type=float, default=30.0)
    s.set_defaults(func=cmd_send)

    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
