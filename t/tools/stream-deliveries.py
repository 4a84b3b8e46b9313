#!/usr/bin/env python3
"""stream-deliveries.py - a stream of signed issue_comment deliveries, one
per comment id, at a steady rate; records what each got.

    stream-deliveries.py --url URL --secret-file F --template PAYLOAD.json
                         --rate PER_SECOND --out RESULTS IDS...

Each delivery is the template with /comment/id set to one of IDS, a fresh
X-GitHub-Delivery, signed as GitHub signs.  RESULTS gets one line per
delivery: "<delivery id> <comment id> <HTTP status or 000>".  Standard
library only.
"""
import argparse
import hashlib
import hmac
import http.client
import json
import time
import urllib.parse
import uuid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--template", required=True)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--out", required=True)
    ap.add_argument("ids", nargs="+", type=int)
    a = ap.parse_args()
    with open(a.secret_file, "rb") as f:
        secret = f.read().rstrip(b"\n")
    with open(a.template, encoding="utf-8") as f:
        template = json.load(f)
    u = urllib.parse.urlsplit(a.url)
    start = time.monotonic()
    with open(a.out, "w") as out:
        for n, cid in enumerate(a.ids):
            delay = start + n / a.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            template["comment"]["id"] = cid
            body = json.dumps(template, separators=(",", ":"),
                              ensure_ascii=False).encode()
            delivery = str(uuid.uuid4())
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "GitHub-Hookshot/crash0001",
                "X-GitHub-Event": "issue_comment",
                "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": "sha256=" + hmac.new(
                    secret, body, hashlib.sha256).hexdigest(),
            }
            try:
                c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
                c.request("POST", u.path, body, headers)
                status = c.getresponse().status
                c.close()
            except (OSError, http.client.HTTPException):
                status = 0
            out.write(f"{delivery} {cid} {status:03d}\n")
            out.flush()


if __name__ == "__main__":
    main()
