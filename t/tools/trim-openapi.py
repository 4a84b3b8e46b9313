#!/usr/bin/env python3
"""trim-openapi.py - GitHub's OpenAPI description cut down to what the bot uses.

    trim-openapi.py [--in SPEC] [--out FILE] [--force]

Reads GitHub's description (default: t/node_modules/@octokit/openapi/generated/
api.github.com.json, 13 MB) and writes a copy (default: $BUILD/t/github-api.json)
that holds only the operations in OPERATIONS below and every component they
reference, directly or through other components ($ref walked transitively).
x-webhooks and all unreferenced components are dropped: prism then starts in
a few seconds instead of ~12 s.

GitHub documents `Accept: application/vnd.github+json` but the description
declares only application/json; each application/json request body and
response gets the GitHub media types beside it so prism accepts them.

The output is a cache: it is rewritten only when missing or older than the
input or this script (or with --force).  Written to a temporary file and
renamed, so concurrent test scripts never read half a file.  Prints the
output path.
"""

import argparse
import json
import os
import sys
import tempfile

# (path template, methods): the GitHub REST operations the bot calls.  Keep in
# step with t/tools/github-standin.py, which implements exactly these.
OPERATIONS = [
    ("/app", ["get"]),
    ("/app/installations/{installation_id}", ["get"]),
    ("/app/installations/{installation_id}/access_tokens", ["post"]),
    ("/repos/{owner}/{repo}", ["get"]),
    ("/repos/{owner}/{repo}/pulls/{pull_number}", ["get"]),
    ("/repos/{owner}/{repo}/issues/{issue_number}", ["get"]),
    ("/repos/{owner}/{repo}/issues/{issue_number}/comments", ["get", "post"]),
    ("/repos/{owner}/{repo}/issues/comments/{comment_id}", ["get", "patch"]),
    ("/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", ["get", "post"]),
    ("/repos/{owner}/{repo}/issues/{issue_number}/labels", ["get", "post"]),
    ("/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", ["delete"]),
    ("/repos/{owner}/{repo}/collaborators/{username}/permission", ["get"]),
]

EXTRA_MEDIA_TYPES = ["application/vnd.github+json", "application/vnd.github.v3+json"]

HERE = os.path.dirname(os.path.abspath(__file__))
T_DIR = os.path.dirname(HERE)
DEFAULT_IN = os.path.join(T_DIR, "node_modules/@octokit/openapi/generated/api.github.com.json")
DEFAULT_OUT = os.path.join(os.environ.get("BUILD") or os.path.join(T_DIR, "..", "build"),
                           "t", "github-api.json")


def refs_in(node):
    """Yields every local $ref string found anywhere under node."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            r = n.get("$ref")
            if isinstance(r, str):
                yield r
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)


def resolve(spec, ref):
    """'#/components/schemas/x' -> (('schemas', 'x'), node)."""
    if not ref.startswith("#/components/"):
        sys.exit(f"trim-openapi: unsupported $ref {ref!r}")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[len("#/components/"):].split("/")]
    if len(parts) != 2:
        sys.exit(f"trim-openapi: unsupported $ref depth {ref!r}")
    try:
        return tuple(parts), spec["components"][parts[0]][parts[1]]
    except KeyError:
        sys.exit(f"trim-openapi: dangling $ref {ref!r}")


def add_media_types(content):
    """Adds the GitHub media types beside application/json in a content map."""
    if not isinstance(content, dict) or "application/json" not in content:
        return
    for mt in EXTRA_MEDIA_TYPES:
        content.setdefault(mt, content["application/json"])


def trim(spec):
    paths = {}
    for path, methods in OPERATIONS:
        item = spec["paths"].get(path)
        if item is None:
            sys.exit(f"trim-openapi: {path} is not in the description")
        kept = {k: v for k, v in item.items() if k not in
                ("get", "put", "post", "delete", "options", "head", "patch", "trace")}
        for m in methods:
            if m not in item:
                sys.exit(f"trim-openapi: {m.upper()} {path} is not in the description")
            kept[m] = item[m]
        paths[path] = kept

    # Walk $refs from the kept operations to a fixed point.
    components = {}
    todo = list(refs_in(paths))
    seen = set()
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        (kind, name), node = resolve(spec, ref)
        components.setdefault(kind, {})[name] = node
        todo.extend(refs_in(node))

    out = {k: v for k, v in spec.items() if k not in ("paths", "components", "x-webhooks")}
    out["paths"] = paths
    out["components"] = {k: dict(sorted(v.items())) for k, v in sorted(components.items())}

    # Media types: request bodies and responses, inline or in components.
    def fix_op(op):
        add_media_types(op.get("requestBody", {}).get("content"))
        for resp in op.get("responses", {}).values():
            add_media_types(resp.get("content"))
    for item in paths.values():
        for m, op in item.items():
            if isinstance(op, dict) and "responses" in op:
                fix_op(op)
    for resp in out["components"].get("responses", {}).values():
        add_media_types(resp.get("content"))
    for body in out["components"].get("requestBodies", {}).values():
        add_media_types(body.get("content"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--in", dest="inp", default=DEFAULT_IN)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()

    out = os.path.abspath(a.out)
    try:
        newest = max(os.path.getmtime(a.inp), os.path.getmtime(os.path.abspath(__file__)))
    except OSError as e:
        sys.exit(f"trim-openapi: {e}")
    if not a.force and os.path.exists(out) and os.path.getmtime(out) >= newest:
        print(out)
        return

    with open(a.inp, encoding="utf-8") as f:
        spec = json.load(f)
    trimmed = trim(spec)

    os.makedirs(os.path.dirname(out), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".trim-openapi.", dir=os.path.dirname(out))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(trimmed, f, indent=1)
            f.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise
    print(out)


if __name__ == "__main__":
    main()
