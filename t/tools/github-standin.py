#!/usr/bin/env python3
"""github-standin.py - a stateful stand-in for the part of GitHub's REST API the bot uses.

    github-standin.py --port P --app-id ID --app-public-key PEM
                      [--installation-id N] [--api-url URL] [--html-url URL]
                      [--token-ttl SECONDS] [--seed FILE] [--token-log FILE]

--token-log FILE: every installation token issued is appended to FILE, one a
line, so a test can look for them where they must not be (t/e2e/98-secrets.sh).

Tests run it behind `prism proxy --errors` with GitHub's own OpenAPI
description (t/tools/trim-openapi.py), so both the bot's requests and this
program's answers are held to GitHub's contract.  Python standard library plus
`cryptography` (RS256 verification of the App's JWTs).

GitHub operations (the same list as OPERATIONS in trim-openapi.py):
  JWT (Authorization: Bearer <RS256 JWT, iss = App id>):
    GET  /app, GET /app/installations/{id}, POST /app/installations/{id}/access_tokens
  installation token (Authorization: token X | Bearer X):
    GET  /repos/{o}/{r}, /repos/{o}/{r}/pulls/{n}, /repos/{o}/{r}/issues/{n}
    GET|POST /repos/{o}/{r}/issues/{n}/comments (GET: per_page, page, since)
    GET|PATCH /repos/{o}/{r}/issues/comments/{id}
    GET|POST /repos/{o}/{r}/issues/comments/{id}/reactions
    GET|POST /repos/{o}/{r}/issues/{n}/labels, DELETE .../labels/{name}
    GET  /repos/{o}/{r}/collaborators/{user}/permission

Admin endpoints (not GitHub's; called on this server's port directly):
  GET  /_admin/calls          every call so far: seq, method, path, query, status,
                              auth kind, some request headers, JSON body of writes
                              (never the Authorization value)
  POST /_admin/reset-calls
  POST /_admin/seed           {"reset": bool, "installation_id": N, "orgs": [login],
                               "users": [login], "repos": [{"full_name", "default_branch",
                               "private", "clone_url"}], "collaborators": {"o/r": {login: perm}},
                               "pulls": [{"repo", "number", "title", "body", "user", "state",
                               "head": {"ref", "sha", "repo"}, "base": {"ref", "sha"},
                               "labels": [..], "merge_commit_sha", "mergeable"}],
                               "comments": [{"repo", "issue", "user", "body"}]}
  GET  /_admin/state          comments, reactions, labels, pulls, tokens
  POST /_admin/fail           {"path": regex, "method": opt, "count": N, "status": 5xx|403|429,
                               "retry_after": s, "after": bool, "drop": bool, "seconds": S}:
                               the next N matching calls (with "seconds": every matching call
                               for the next S seconds) fail (403/429 as a rate limit, with Retry-After
                               and x-ratelimit-* headers).  With "after": the call is carried
                               out first (the comment made, the reaction added), then its
                               answer is lost: the status is sent instead of the real answer,
                               or with "drop" the connection is closed with no answer at all
  POST /_admin/expire-tokens  every issued installation token expires now
  POST /_admin/delay          {"seconds": S}: every GitHub call waits S seconds
                              first (a slow GitHub; 0 to stop; at most 10)
"""

import argparse
import base64
import itertools
import json
import re
import secrets
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

DOCS = "https://docs.github.com/rest"
PERMISSION_LEVEL = {"admin": "admin", "maintain": "write", "write": "write",
                    "triage": "read", "read": "read", "none": "none"}
# role -> what GitHub's collaborator "permissions" object says is granted
ROLE_GRANTS = {"admin": {"admin", "maintain", "push", "triage", "pull"},
               "maintain": {"maintain", "push", "triage", "pull"},
               "write": {"push", "triage", "pull"}, "triage": {"triage", "pull"},
               "read": {"pull"}, "none": set()}
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
APP_PERMISSIONS = {"issues": "write", "pull_requests": "write", "contents": "read",
                   "metadata": "read"}
APP_EVENTS = ["issue_comment", "pull_request"]


class Fail(Exception):
    """An answer other than success: raised by handlers and the auth checks."""

    def __init__(self, status, message, headers=None, errors=None):
        super().__init__(message)
        self.status, self.message = status, message
        self.headers, self.errors = headers or {}, errors


def now():
    return int(time.time())


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def client_id(opts):
    """The App's client id: GitHub accepts it as a JWT's iss too."""
    return f"Iv1.{opts.app_id:016x}"


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# ---------------------------------------------------------------- state ----

class State:
    """Everything the stand-in knows; every access holds self.lock."""

    def __init__(self, opts):
        self.lock = threading.RLock()
        self.opts = opts
        self.api = opts.api_url.rstrip("/")
        self.html = opts.html_url.rstrip("/")
        self.started = now()
        self.ids = {k: itertools.count(start) for k, start in
                    (("user", 1001), ("repo", 5001), ("pull", 700001), ("issue", 800001),
                     ("comment", 900001), ("reaction", 300001), ("label", 400001))}
        self.calls, self.call_seq = [], itertools.count(1)
        self.fail_rules = []
        self.delay = 0.0           # seconds every GitHub call waits (/_admin/delay)
        self.reset()

    def reset(self):
        self.installation_id = self.opts.installation_id
        self.tokens = {}           # token -> expiry (epoch)
        self.users = {}            # login -> {"id", "type"}
        self.repos = {}            # "o/r" -> repo record
        self.collaborators = {}    # "o/r" -> {login: permission}
        self.issues = {}           # ("o/r", number) -> issue record (PRs included)
        self.labels = {}           # ("o/r", name) -> label record
        self.comments = {}         # id -> comment record
        self.reactions = {}        # id -> reaction record
        self.bot_login = f"{self.opts.app_slug}[bot]"
        self.user(self.bot_login, "Bot")
        self.user(self.opts.app_owner, "Organization")

    def next_id(self, kind):
        return next(self.ids[kind])

    def user(self, login, kind=None):
        if login not in self.users:
            kind = kind or ("Bot" if login.endswith("[bot]") else "User")
            self.users[login] = {"id": self.next_id("user"), "type": kind}
        return self.users[login]

    def repo(self, full_name, **kw):
        if full_name not in self.repos:
            owner, _, name = full_name.partition("/")
            if not owner or not name:
                raise Fail(400, f"bad repository name {full_name!r}")
            self.user(owner)
            self.repos[full_name] = {"id": self.next_id("repo"), "owner": owner, "name": name,
                                     "default_branch": "main", "private": False,
                                     "clone_url": None, "created_at": now()}
        r = self.repos[full_name]
        r.update({k: v for k, v in kw.items() if v is not None})
        return r

    def label(self, full_name, name):
        key = (full_name, name)
        if key not in self.labels:   # adding an unknown label creates it, as on GitHub
            self.labels[key] = {"id": self.next_id("label"), "name": name}
        return self.labels[key]

    # -- seeding (admin) --

    def seed(self, s):
        if s.get("reset"):
            self.reset()
        if "installation_id" in s:
            self.installation_id = int(s["installation_id"])
        for login in s.get("orgs", []):
            self.user(login, "Organization")
        for login in s.get("users", []):
            self.user(login)
        for r in s.get("repos", []):
            self.repo(r["full_name"], default_branch=r.get("default_branch"),
                      private=r.get("private"), clone_url=r.get("clone_url"))
        for full_name, people in s.get("collaborators", {}).items():
            self.repo(full_name)
            for login, perm in people.items():
                if perm not in PERMISSION_LEVEL:
                    raise Fail(400, f"unknown permission {perm!r}")
                self.user(login)
                self.collaborators.setdefault(full_name, {})[login] = perm
        for p in s.get("pulls", []):
            self.seed_pull(p)
        for c in s.get("comments", []):
            self.add_comment(c["repo"], int(c["issue"]), c["user"], c["body"])

    def seed_pull(self, p):
        full_name, number = p["repo"], int(p["number"])
        base_repo = self.repo(full_name)
        head, base = p.get("head", {}), p.get("base", {})
        head_repo = head.get("repo", full_name)
        self.repo(head_repo)
        user = p.get("user", "contributor")
        self.user(user)
        old = self.issues.get((full_name, number), {})
        t = now()
        rec = {
            "id": old.get("id") or self.next_id("pull"),
            "issue_id": old.get("issue_id") or self.next_id("issue"),
            "number": number, "repo": full_name, "is_pr": True,
            "title": p.get("title", f"Pull request {number}"), "body": p.get("body"),
            "user": user, "state": p.get("state", "open"),
            "labels": list(p.get("labels", old.get("labels", []))),
            "head": {"ref": head.get("ref", f"pr-{number}"), "sha": head.get("sha", "0" * 40),
                     "repo": head_repo},
            "base": {"ref": base.get("ref", base_repo["default_branch"]),
                     "sha": base.get("sha", "0" * 40)},
            "merge_commit_sha": p.get("merge_commit_sha"),
            "mergeable": p.get("mergeable", True),
            "created_at": old.get("created_at", t), "updated_at": t,
        }
        for name in rec["labels"]:
            self.label(full_name, name)
        self.issues[(full_name, number)] = rec

    # -- operations shared by handlers and seeding --

    def issue(self, full_name, number):
        rec = self.issues.get((full_name, number))
        if rec is None:
            raise Fail(404, "Not Found")
        return rec

    def add_comment(self, full_name, number, login, body):
        self.issue(full_name, number)
        self.user(login)
        t = now()
        cid = self.next_id("comment")
        self.comments[cid] = {"id": cid, "repo": full_name, "issue": number, "user": login,
                              "body": body, "created_at": t, "updated_at": t}
        return self.comments[cid]

    def comment(self, full_name, cid):
        c = self.comments.get(cid)
        if c is None or c["repo"] != full_name:
            raise Fail(404, "Not Found")
        return c

    # -- GitHub JSON shapes (components/schemas in GitHub's description) --

    def j_user(self, login):
        u = self.users.get(login) or self.user(login)
        a = f"{self.api}/users/{quote(login)}"
        return {
            "login": login, "id": u["id"], "node_id": f"U_{u['id']}",
            "avatar_url": f"{self.html}/avatars/u/{u['id']}?v=4", "gravatar_id": "",
            "url": a, "html_url": f"{self.html}/{quote(login)}",
            "followers_url": f"{a}/followers", "following_url": f"{a}/following{{/other_user}}",
            "gists_url": f"{a}/gists{{/gist_id}}", "starred_url": f"{a}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{a}/subscriptions", "organizations_url": f"{a}/orgs",
            "repos_url": f"{a}/repos", "events_url": f"{a}/events{{/privacy}}",
            "received_events_url": f"{a}/received_events", "type": u["type"],
            "user_view_type": "public", "site_admin": False,
        }

    def j_repo(self, full_name):
        r = self.repos[full_name]
        a, h = f"{self.api}/repos/{full_name}", f"{self.html}/{full_name}"
        j = {"id": r["id"], "node_id": f"R_{r['id']}", "name": r["name"], "full_name": full_name,
             "owner": self.j_user(r["owner"]), "private": r["private"], "html_url": h,
             "description": None, "fork": False, "url": a,
             "clone_url": r["clone_url"] or f"{h}.git", "git_url": f"git://{h.split('://')[-1]}.git",
             "ssh_url": f"git@{h.split('://')[-1].split('/')[0]}:{full_name}.git", "svn_url": h,
             "mirror_url": None, "homepage": None, "language": None, "license": None,
             "forks": 0, "forks_count": 0, "stargazers_count": 0, "watchers_count": 0,
             "watchers": 0, "size": 0, "default_branch": r["default_branch"],
             "open_issues": 0, "open_issues_count": 0, "has_issues": True,
             "has_projects": False, "has_wiki": False, "has_pages": False,
             "has_downloads": True, "has_discussions": False, "archived": False,
             "disabled": False, "visibility": "private" if r["private"] else "public",
             "pushed_at": iso(r["created_at"]), "created_at": iso(r["created_at"]),
             "updated_at": iso(r["created_at"]), "subscribers_count": 0, "network_count": 0}
        for k in ("forks", "deployments", "downloads", "events", "hooks", "languages", "merges",
                  "stargazers", "subscribers", "subscription", "tags", "teams", "contributors"):
            j[f"{k}_url"] = f"{a}/{k}"
        for k, t in (("archive", "{archive_format}{/ref}"), ("assignees", "{/user}"),
                     ("blobs", "{/sha}"), ("branches", "{/branch}"),
                     ("collaborators", "{/collaborator}"), ("comments", "{/number}"),
                     ("commits", "{/sha}"), ("compare", "{base}...{head}"),
                     ("contents", "{+path}"), ("git_commits", "{/sha}"), ("git_refs", "{/sha}"),
                     ("git_tags", "{/sha}"), ("issue_comment", "{/number}"),
                     ("issue_events", "{/number}"), ("issues", "{/number}"), ("keys", "{/key_id}"),
                     ("labels", "{/name}"), ("milestones", "{/number}"),
                     ("notifications", "{?since,all,participating}"), ("pulls", "{/number}"),
                     ("releases", "{/id}"), ("statuses", "{sha}"), ("trees", "{/sha}")):
            path = {"archive": "", "git_commits": "git/commits", "git_refs": "git/refs",
                    "git_tags": "git/tags", "issue_comment": "issues/comments",
                    "issue_events": "issues/events"}.get(k, k)
            j[f"{k}_url"] = f"{a}/{path}{t}"
        j["statuses_url"] = f"{a}/statuses/{{sha}}"
        return j

    def j_label(self, full_name, name):
        lab = self.label(full_name, name)
        return {"id": lab["id"], "node_id": f"LA_{lab['id']}",
                "url": f"{self.api}/repos/{full_name}/labels/{quote(name, safe='')}",
                "name": name, "description": None, "color": "ededed", "default": False}

    def association(self, full_name, login):
        if login == self.repos[full_name]["owner"]:
            return "OWNER"
        if self.collaborators.get(full_name, {}).get(login, "none") != "none":
            return "COLLABORATOR"
        return "NONE"

    def j_issue(self, rec):
        full_name, n = rec["repo"], rec["number"]
        a = f"{self.api}/repos/{full_name}/issues/{n}"
        kind = "pull" if rec["is_pr"] else "issues"
        j = {"id": rec["issue_id"], "node_id": f"I_{rec['issue_id']}", "url": a,
             "repository_url": f"{self.api}/repos/{full_name}", "labels_url": f"{a}/labels{{/name}}",
             "comments_url": f"{a}/comments", "events_url": f"{a}/events",
             "html_url": f"{self.html}/{full_name}/{kind}/{n}", "number": n,
             "state": rec["state"], "title": rec["title"], "body": rec["body"],
             "user": self.j_user(rec["user"]),
             "labels": [self.j_label(full_name, x) for x in rec["labels"]],
             "assignee": None, "assignees": [], "milestone": None, "locked": False,
             "comments": sum(1 for c in self.comments.values()
                             if c["repo"] == full_name and c["issue"] == n),
             "closed_at": None, "created_at": iso(rec["created_at"]),
             "updated_at": iso(rec["updated_at"]),
             "author_association": self.association(full_name, rec["user"])}
        if rec["is_pr"]:
            p = f"{self.html}/{full_name}/pull/{n}"
            j["pull_request"] = {"url": f"{self.api}/repos/{full_name}/pulls/{n}", "html_url": p,
                                 "diff_url": f"{p}.diff", "patch_url": f"{p}.patch",
                                 "merged_at": None}
        return j

    def j_pull(self, rec):
        full_name, n = rec["repo"], rec["number"]
        a, h = f"{self.api}/repos/{full_name}/pulls/{n}", f"{self.html}/{full_name}/pull/{n}"
        issue = f"{self.api}/repos/{full_name}/issues/{n}"

        def side(s):
            owner = s["repo"].split("/")[0]
            return {"label": f"{owner}:{s['ref']}", "ref": s["ref"], "sha": s["sha"],
                    "user": self.j_user(owner), "repo": self.j_repo(s["repo"])}
        links = {"self": a, "html": h, "issue": issue, "comments": f"{issue}/comments",
                 "review_comments": f"{a}/comments",
                 "review_comment": f"{self.api}/repos/{full_name}/pulls/comments{{/number}}",
                 "commits": f"{a}/commits",
                 "statuses": f"{self.api}/repos/{full_name}/statuses/{rec['head']['sha']}"}
        j = {"url": a, "id": rec["id"], "node_id": f"PR_{rec['id']}", "html_url": h,
             "diff_url": f"{h}.diff", "patch_url": f"{h}.patch", "issue_url": issue,
             "commits_url": links["commits"], "review_comments_url": links["review_comments"],
             "review_comment_url": links["review_comment"], "comments_url": links["comments"],
             "statuses_url": links["statuses"], "number": n, "state": rec["state"],
             "locked": False, "title": rec["title"], "user": self.j_user(rec["user"]),
             "body": rec["body"], "labels": [self.j_label(full_name, x) for x in rec["labels"]],
             "milestone": None, "active_lock_reason": None,
             "created_at": iso(rec["created_at"]), "updated_at": iso(rec["updated_at"]),
             "closed_at": None, "merged_at": None, "merge_commit_sha": rec["merge_commit_sha"],
             "assignee": None, "assignees": [], "requested_reviewers": [], "requested_teams": [],
             "head": side(rec["head"]), "base": side({**rec["base"], "repo": full_name}),
             "_links": {k: {"href": v} for k, v in links.items()},
             "author_association": self.association(full_name, rec["user"]),
             "auto_merge": None, "draft": False, "merged": False,
             "mergeable": rec["mergeable"], "rebaseable": rec["mergeable"],
             "mergeable_state": "clean" if rec["mergeable"] else "dirty", "merged_by": None,
             "comments": self.j_issue(rec)["comments"], "review_comments": 0,
             "maintainer_can_modify": False, "commits": 1, "additions": 1, "deletions": 0,
             "changed_files": 1}
        return j

    def j_comment(self, c):
        full_name, n = c["repo"], c["issue"]
        kind = "pull" if self.issues[(full_name, n)]["is_pr"] else "issues"
        a = f"{self.api}/repos/{full_name}/issues/comments/{c['id']}"
        counts = {k: 0 for k in REACTIONS}
        for r in self.reactions.values():
            if r["comment_id"] == c["id"]:
                counts[r["content"]] += 1
        return {"id": c["id"], "node_id": f"IC_{c['id']}", "url": a,
                "html_url": f"{self.html}/{full_name}/{kind}/{n}#issuecomment-{c['id']}",
                "body": c["body"], "user": self.j_user(c["user"]),
                "created_at": iso(c["created_at"]), "updated_at": iso(c["updated_at"]),
                "issue_url": f"{self.api}/repos/{full_name}/issues/{n}",
                "author_association": self.association(full_name, c["user"]),
                "performed_via_github_app": (self.j_app() if c["user"] == self.bot_login
                                             else None),
                "reactions": {"url": f"{a}/reactions", "total_count": sum(counts.values()),
                              **counts}}

    def j_reaction(self, r):
        return {"id": r["id"], "node_id": f"REA_{r['id']}", "user": self.j_user(r["user"]),
                "content": r["content"], "created_at": iso(r["created_at"])}

    def j_app(self):
        o = self.opts
        return {"id": o.app_id, "slug": o.app_slug, "node_id": f"A_{o.app_id}",
                "client_id": client_id(o), "owner": self.j_user(o.app_owner),
                "name": o.app_slug, "description": "eessi-bot test App",
                "external_url": f"{self.html}/{o.app_owner}",
                "html_url": f"{self.html}/apps/{o.app_slug}",
                "created_at": iso(self.started), "updated_at": iso(self.started),
                "permissions": APP_PERMISSIONS, "events": APP_EVENTS,
                "installations_count": 1}

    def j_installation(self):
        o, iid = self.opts, self.installation_id
        a = f"{self.api}/app/installations/{iid}"
        return {"id": iid, "app_id": o.app_id, "app_slug": o.app_slug, "client_id":
                client_id(o), "target_id": self.users[o.app_owner]["id"],
                "target_type": "Organization", "account": self.j_user(o.app_owner),
                "single_file_name": None, "repository_selection": "all",
                "access_tokens_url": f"{a}/access_tokens",
                "repositories_url": f"{self.api}/installation/repositories",
                "html_url": f"{self.html}/organizations/{o.app_owner}/settings/installations/{iid}",
                "events": APP_EVENTS, "permissions": APP_PERMISSIONS,
                "created_at": iso(self.started), "updated_at": iso(self.started),
                "suspended_by": None, "suspended_at": None}


# ------------------------------------------------------------------ auth ---

def check_jwt(st, token):
    """Verifies an App JWT as GitHub does; raises Fail(401) with GitHub's messages."""
    try:
        h64, p64, s64 = token.split(".")
        header, claims = json.loads(b64url_decode(h64)), json.loads(b64url_decode(p64))
        sig = b64url_decode(s64)
    except (ValueError, UnicodeDecodeError):
        raise Fail(401, "A JSON web token could not be decoded")
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        raise Fail(401, "A JSON web token could not be decoded")
    try:
        st.opts.public_key.verify(sig, f"{h64}.{p64}".encode(), padding.PKCS1v15(),
                                  hashes.SHA256())
    except InvalidSignature:
        raise Fail(401, "A JSON web token could not be decoded")
    if not isinstance(claims, dict) or \
            str(claims.get("iss")) not in (str(st.opts.app_id), client_id(st.opts)):
        raise Fail(401, "'Issuer' claim ('iss') must be an Integer")
    iat, exp, t = claims.get("iat"), claims.get("exp"), now()
    if not isinstance(iat, int) or isinstance(iat, bool) or iat > t + 60:
        raise Fail(401, "'Issued at' claim ('iat') must be an Integer representing the time "
                        "that the assertion was issued.")
    if not isinstance(exp, int) or isinstance(exp, bool) or exp <= t:
        raise Fail(401, "'Expiration time' claim ('exp') must be a numeric value representing "
                        "the future time at which the assertion expires.")
    if exp - iat > 600:
        raise Fail(401, "'Expiration time' claim ('exp') is too far in the future")


def authenticate(st, kind, header):
    """kind: 'jwt' or 'token'.  Returns a label for the call record."""
    if not header:
        raise Fail(401, "Requires authentication")
    scheme, _, cred = header.partition(" ")
    scheme, cred = scheme.lower(), cred.strip()
    if kind == "jwt":
        if scheme != "bearer":
            raise Fail(401, "A JSON web token could not be decoded")
        check_jwt(st, cred)
        return "jwt"
    if scheme not in ("token", "bearer") or st.tokens.get(cred, 0) <= now():
        raise Fail(401, "Bad credentials")
    return "token"


# -------------------------------------------------------------- handlers ---
# Each takes (st, req, m) where m holds the path's named groups and returns
# (status, json_body[, headers]).  They run with st.lock held.

def need_installation(st, m):
    if int(m["iid"]) != st.installation_id:
        raise Fail(404, "Not Found")


def h_app(st, req, m):
    return 200, st.j_app()


def h_installation(st, req, m):
    need_installation(st, m)
    return 200, st.j_installation()


def h_access_token(st, req, m):
    need_installation(st, m)
    token = "ghs_" + secrets.token_urlsafe(27).replace("-", "A").replace("_", "B")[:36]
    expires = now() + st.opts.token_ttl
    st.tokens[token] = expires
    if st.opts.token_log:
        with open(st.opts.token_log, "a") as f:
            f.write(token + "\n")
    perms = dict(APP_PERMISSIONS)
    if isinstance(req.json, dict) and isinstance(req.json.get("permissions"), dict):
        perms = {k: v for k, v in req.json["permissions"].items() if k in APP_PERMISSIONS}
    return 201, {"token": token, "expires_at": iso(expires), "permissions": perms,
                 "repository_selection": "all"}


def repo_of(st, m):
    full_name = f"{m['owner']}/{m['repo']}"
    if full_name not in st.repos:
        raise Fail(404, "Not Found")
    return full_name


def h_repo(st, req, m):
    return 200, st.j_repo(repo_of(st, m))


def h_pull(st, req, m):
    rec = st.issue(repo_of(st, m), int(m["n"]))
    if not rec["is_pr"]:
        raise Fail(404, "Not Found")
    return 200, st.j_pull(rec)


def h_issue(st, req, m):
    return 200, st.j_issue(st.issue(repo_of(st, m), int(m["n"])))


def paginate(st, req, items):
    """GitHub's page/per_page with a Link header."""
    try:
        per_page = min(max(int(req.q("per_page", "30")), 1), 100)
        page = max(int(req.q("page", "1")), 1)
    except ValueError:
        raise Fail(422, "Validation Failed")
    last = max((len(items) + per_page - 1) // per_page, 1)
    links = []
    # the other parameters (since, ...) are kept in every link
    keep = "".join(f"{k}={quote(v[0], safe='')}&" for k, v in sorted(req.query.items())
                   if k not in ("page", "per_page"))
    base = f"{st.api}{req.path}?{keep}"
    if page < last:
        links.append(f'<{base}per_page={per_page}&page={page + 1}>; rel="next"')
        links.append(f'<{base}per_page={per_page}&page={last}>; rel="last"')
    if page > 1:
        links.append(f'<{base}per_page={per_page}&page=1>; rel="first"')
        links.append(f'<{base}per_page={per_page}&page={min(page - 1, last)}>; rel="prev"')
    headers = {"Link": ", ".join(links)} if links else {}
    return items[(page - 1) * per_page: page * per_page], headers


def body_string(req, field):
    v = req.json.get(field) if isinstance(req.json, dict) else None
    if not isinstance(v, str):
        raise Fail(422, "Invalid request.", errors=[{"resource": "IssueComment",
                                                     "code": "missing_field", "field": field}])
    return v


def parse_since(req):
    """GitHub's since (ISO 8601, UTC): only comments updated at or after it."""
    since = req.q("since")
    if since is None:
        return None
    try:
        return int(datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ")
                   .replace(tzinfo=timezone.utc).timestamp())
    except ValueError:
        raise Fail(422, "Validation Failed", errors=[{"resource": "IssueComment",
                                                      "code": "invalid", "field": "since"}])


def h_list_comments(st, req, m):
    full_name, n = repo_of(st, m), int(m["n"])
    st.issue(full_name, n)
    since = parse_since(req)
    items = [st.j_comment(c) for c in sorted(st.comments.values(), key=lambda c: c["id"])
             if c["repo"] == full_name and c["issue"] == n
             and (since is None or c["updated_at"] >= since)]
    page, headers = paginate(st, req, items)
    return 200, page, headers


def h_create_comment(st, req, m):
    full_name = repo_of(st, m)
    c = st.add_comment(full_name, int(m["n"]), st.bot_login, body_string(req, "body"))
    j = st.j_comment(c)
    return 201, j, {"Location": j["url"]}


def h_get_comment(st, req, m):
    return 200, st.j_comment(st.comment(repo_of(st, m), int(m["cid"])))


def h_edit_comment(st, req, m):
    c = st.comment(repo_of(st, m), int(m["cid"]))
    c["body"] = body_string(req, "body")
    c["updated_at"] = now()
    return 200, st.j_comment(c)


def h_list_reactions(st, req, m):
    c = st.comment(repo_of(st, m), int(m["cid"]))
    want = req.q("content")
    items = [st.j_reaction(r) for r in sorted(st.reactions.values(), key=lambda r: r["id"])
             if r["comment_id"] == c["id"] and want in (None, r["content"])]
    page, headers = paginate(st, req, items)
    return 200, page, headers


def h_add_reaction(st, req, m):
    c = st.comment(repo_of(st, m), int(m["cid"]))
    content = req.json.get("content") if isinstance(req.json, dict) else None
    if content not in REACTIONS:
        raise Fail(422, "Validation Failed", errors=[{"resource": "Reaction", "code": "invalid",
                                                      "field": "content"}])
    for r in st.reactions.values():
        if (r["comment_id"], r["user"], r["content"]) == (c["id"], st.bot_login, content):
            return 200, st.j_reaction(r)
    rid = st.next_id("reaction")
    st.reactions[rid] = {"id": rid, "comment_id": c["id"], "user": st.bot_login,
                         "content": content, "created_at": now()}
    return 201, st.j_reaction(st.reactions[rid])


def h_list_labels(st, req, m):
    full_name = repo_of(st, m)
    rec = st.issue(full_name, int(m["n"]))
    page, headers = paginate(st, req, [st.j_label(full_name, x) for x in rec["labels"]])
    return 200, page, headers


def h_add_labels(st, req, m):
    full_name = repo_of(st, m)
    rec = st.issue(full_name, int(m["n"]))
    body = req.json
    names = body.get("labels") if isinstance(body, dict) else body
    if not isinstance(names, list) or not names:
        raise Fail(422, "Invalid request.", errors=[{"resource": "Label", "code": "invalid",
                                                     "field": "labels"}])
    for x in names:
        name = x.get("name") if isinstance(x, dict) else x
        if not isinstance(name, str) or not name:
            raise Fail(422, "Invalid request.", errors=[{"resource": "Label", "code": "invalid",
                                                         "field": "labels"}])
        if name not in rec["labels"]:
            st.label(full_name, name)
            rec["labels"].append(name)
    rec["updated_at"] = now()
    return 200, [st.j_label(full_name, x) for x in rec["labels"]]


def h_remove_label(st, req, m):
    full_name = repo_of(st, m)
    rec = st.issue(full_name, int(m["n"]))
    name = unquote(m["name"])
    if name not in rec["labels"]:
        raise Fail(404, "Label does not exist")
    rec["labels"].remove(name)
    rec["updated_at"] = now()
    return 200, [st.j_label(full_name, x) for x in rec["labels"]]


def h_permission(st, req, m):
    full_name = repo_of(st, m)
    login = m["user"]
    if login not in st.users:
        raise Fail(404, f"{login} is not a user")
    role = st.collaborators.get(full_name, {}).get(login)
    if role is None:   # not a collaborator: what GitHub answers for others
        role = "none" if st.repos[full_name]["private"] else "read"
    perms = {k: k in ROLE_GRANTS[role] for k in ("admin", "maintain", "push", "triage", "pull")}
    user = {**st.j_user(login), "permissions": perms, "role_name": role}
    return 200, {"permission": PERMISSION_LEVEL[role], "role_name": role, "user": user}


# -- admin --

def a_calls(st, req, m):
    return 200, st.calls


def a_reset_calls(st, req, m):
    st.calls.clear()
    return 200, {"ok": True}


def a_seed(st, req, m):
    if not isinstance(req.json, dict):
        raise Fail(400, "seed wants a JSON object")
    try:
        st.seed(req.json)
    except (KeyError, TypeError, ValueError) as e:
        raise Fail(400, f"bad seed: {e!r}")
    return 200, {"ok": True, "installation_id": st.installation_id}


def a_state(st, req, m):
    return 200, {
        "installation_id": st.installation_id,
        "tokens": len(st.tokens),
        "repos": sorted(st.repos),
        "comments": [dict(c) for c in sorted(st.comments.values(), key=lambda c: c["id"])],
        "reactions": [dict(r) for r in sorted(st.reactions.values(), key=lambda r: r["id"])],
        "labels": {f"{r}#{n}": list(i["labels"]) for (r, n), i in sorted(st.issues.items())},
        "pulls": [{k: i[k] for k in ("repo", "number", "state", "head", "base", "user")}
                  for i in st.issues.values() if i["is_pr"]],
    }


def a_fail(st, req, m):
    r = req.json if isinstance(req.json, dict) else {}
    try:
        rule = {"path": re.compile(r["path"]), "method": r.get("method"),
                "count": int(r.get("count", 1)), "status": int(r.get("status", 502)),
                "retry_after": int(r.get("retry_after", 1)),
                "after": bool(r.get("after", False)), "drop": bool(r.get("drop", False)),
                "until": time.monotonic() + float(r["seconds"]) if "seconds" in r else None}
        if rule["until"] is not None:
            rule["count"] = 1 << 62
    except (KeyError, TypeError, ValueError, re.error) as e:
        raise Fail(400, f"bad fail rule: {e!r}")
    if rule["status"] not in (403, 429) and not 500 <= rule["status"] <= 599 \
            or rule["status"] == 501:   # prism re-mocks an upstream 501
        raise Fail(400, "status must be 5xx (not 501), 403 or 429")
    st.fail_rules.append(rule)
    return 200, {"ok": True}


def a_delay(st, req, m):
    r = req.json if isinstance(req.json, dict) else {}
    try:
        st.delay = max(0.0, min(10.0, float(r.get("seconds", 0))))
    except (TypeError, ValueError) as e:
        raise Fail(400, f"bad delay: {e!r}")
    return 200, {"ok": True, "seconds": st.delay}


def a_expire_tokens(st, req, m):
    for t in st.tokens:
        st.tokens[t] = 0
    return 200, {"ok": True}


# (method, path regex, handler, auth: "jwt" | "token" | None for admin)
R = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
ROUTES = [
    ("GET", r"/app", h_app, "jwt"),
    ("GET", r"/app/installations/(?P<iid>\d+)", h_installation, "jwt"),
    ("POST", r"/app/installations/(?P<iid>\d+)/access_tokens", h_access_token, "jwt"),
    ("GET", R, h_repo, "token"),
    ("GET", R + r"/pulls/(?P<n>\d+)", h_pull, "token"),
    ("GET", R + r"/issues/(?P<n>\d+)", h_issue, "token"),
    ("GET", R + r"/issues/(?P<n>\d+)/comments", h_list_comments, "token"),
    ("POST", R + r"/issues/(?P<n>\d+)/comments", h_create_comment, "token"),
    ("GET", R + r"/issues/comments/(?P<cid>\d+)", h_get_comment, "token"),
    ("PATCH", R + r"/issues/comments/(?P<cid>\d+)", h_edit_comment, "token"),
    ("GET", R + r"/issues/comments/(?P<cid>\d+)/reactions", h_list_reactions, "token"),
    ("POST", R + r"/issues/comments/(?P<cid>\d+)/reactions", h_add_reaction, "token"),
    ("GET", R + r"/issues/(?P<n>\d+)/labels", h_list_labels, "token"),
    ("POST", R + r"/issues/(?P<n>\d+)/labels", h_add_labels, "token"),
    ("DELETE", R + r"/issues/(?P<n>\d+)/labels/(?P<name>[^/]+)", h_remove_label, "token"),
    ("GET", R + r"/collaborators/(?P<user>[^/]+)/permission", h_permission, "token"),
    ("GET", r"/_admin/calls", a_calls, None),
    ("POST", r"/_admin/reset-calls", a_reset_calls, None),
    ("POST", r"/_admin/seed", a_seed, None),
    ("GET", r"/_admin/state", a_state, None),
    ("POST", r"/_admin/fail", a_fail, None),
    ("POST", r"/_admin/expire-tokens", a_expire_tokens, None),
    ("POST", r"/_admin/delay", a_delay, None),
]
ROUTES = [(meth, re.compile(rx + r"/?"), h, auth) for meth, rx, h, auth in ROUTES]
RECORDED_HEADERS = ("accept", "content-type", "user-agent", "x-github-api-version")


# ---------------------------------------------------------------- server ---

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "github-standin"
    wbufsize = 1 << 16               # headers and body in one write ...
    disable_nagle_algorithm = True   # ... and no 40 ms delayed-ACK stall
    st = None   # set in main()

    def q(self, name, default=None):
        v = self.query.get(name)
        return v[0] if v else default

    def do_GET(self):
        self.dispatch()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        if not raw:
            return None, None
        try:
            return raw, json.loads(raw)
        except ValueError:
            raise Fail(400, "Problems parsing JSON")

    def dispatch(self):
        st = self.st
        u = urlsplit(self.path)
        self.path, self.query = u.path, parse_qs(u.query)
        rec = {"method": self.command, "path": self.path, "query": u.query,
               "auth": "none",
               "headers": {h: self.headers[h] for h in RECORDED_HEADERS if self.headers.get(h)}}
        status, body, headers = 500, None, {}
        try:
            raw, self.json = self.read_body()
            if self.command in ("POST", "PATCH", "PUT", "DELETE"):
                rec["body"] = self.json if self.json is not None else (
                    raw.decode("utf-8", "replace") if raw else None)
            route = self.route()
            if route is not None and route[3] is not None and st.delay:
                time.sleep(st.delay)   # a slow GitHub, outside the lock
            with st.lock:
                if route is None:
                    raise Fail(404, "Not Found")
                meth, m, handler, auth = route
                if auth is not None:
                    self.injected_failure()
                    cred = self.headers.get("Authorization")
                    rec["auth"] = "rejected" if cred else "none"
                    rec["auth"] = authenticate(st, auth, cred)
                out = handler(st, self, m.groupdict())
                status, body = out[0], out[1]
                headers = out[2] if len(out) > 2 else {}
                if auth is not None:
                    lost = self.lost_answer()
                    if lost is not None:   # done, but the answer is lost
                        rec["effect_done"] = True
                        if lost["drop"]:
                            rec["status"] = 0
                            rec["seq"] = next(st.call_seq)
                            rec["time"] = time.time()
                            st.calls.append(rec)
                            self.close_connection = True
                            return
                        raise Fail(lost["status"], "Server Error")
        except Fail as e:
            status, headers = e.status, e.headers
            body = {"message": e.message, "documentation_url": DOCS, "status": str(e.status)}
            if e.errors:
                body["errors"] = e.errors
        except Exception as e:   # a bug here: answer 500, keep serving
            print(f"github-standin: {self.command} {self.path}: {e!r}", file=sys.stderr)
            status, body = 500, {"message": "Server Error", "documentation_url": DOCS}
        rec["status"] = status
        if not self.path.startswith("/_admin/"):
            with st.lock:
                rec["seq"] = next(st.call_seq)
                rec["time"] = time.time()
                st.calls.append(rec)
        self.send(status, body, headers)

    def route(self):
        allowed = False
        for meth, rx, handler, auth in ROUTES:
            m = rx.fullmatch(self.path)
            if m:
                if meth == self.command:
                    return meth, m, handler, auth
                allowed = True
        if allowed:
            raise Fail(404, "Not Found")
        return None

    def lost_answer(self):
        for rule in self.st.fail_rules:
            if rule["until"] is not None and time.monotonic() >= rule["until"]:
                continue
            if rule["after"] and rule["count"] > 0 and rule["path"].search(self.path) and \
                    rule["method"] in (None, self.command):
                rule["count"] -= 1
                return rule
        return None

    def injected_failure(self):
        for rule in self.st.fail_rules:
            if rule["until"] is not None and time.monotonic() >= rule["until"]:
                continue
            if not rule["after"] and rule["count"] > 0 and rule["path"].search(self.path) and \
                    rule["method"] in (None, self.command):
                rule["count"] -= 1
                s, ra = rule["status"], rule["retry_after"]
                if s in (403, 429):
                    raise Fail(s, "API rate limit exceeded for installation.",
                               {"Retry-After": str(ra), "x-ratelimit-remaining": "0",
                                "x-ratelimit-reset": str(now() + ra)})
                raise Fail(s, "Server Error")

    def send(self, status, body, headers):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        hdr = {"x-github-media-type": "github.v3; format=json", "x-ratelimit-limit": "5000",
               "x-ratelimit-remaining": "4999", "x-ratelimit-used": "1",
               "x-ratelimit-reset": str(now() + 3600), "x-ratelimit-resource": "core",
               "x-github-request-id": secrets.token_hex(8).upper()}
        hdr.update(headers)
        for k, v in hdr.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("github-standin: %s\n" % (fmt % args))


def main():
    ap = argparse.ArgumentParser(description="stateful GitHub REST stand-in for tests")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--app-id", type=int, required=True)
    ap.add_argument("--app-public-key", required=True, help="PEM public key of the App")
    ap.add_argument("--app-slug", default="eessi-bot-test")
    ap.add_argument("--app-owner", default="EESSI")
    ap.add_argument("--installation-id", type=int, default=4242)
    ap.add_argument("--api-url", help="base of url fields (default: this server)")
    ap.add_argument("--html-url", default="https://github.com", help="base of html_url fields")
    ap.add_argument("--token-ttl", type=int, default=3600)
    ap.add_argument("--seed", help="JSON file as for POST /_admin/seed")
    ap.add_argument("--token-log", help="append every token issued to this file")
    o = ap.parse_args()
    o.api_url = o.api_url or f"http://{o.host}:{o.port}"
    with open(o.app_public_key, "rb") as f:
        pem = f.read()
    try:
        o.public_key = serialization.load_pem_public_key(pem)
    except ValueError:   # a private key file also carries the public key
        o.public_key = serialization.load_pem_private_key(pem, None).public_key()
    Handler.st = State(o)
    if o.seed:
        with open(o.seed) as f:
            Handler.st.seed(json.load(f))
    srv = ThreadingHTTPServer((o.host, o.port), Handler)
    srv.daemon_threads = True
    print(f"github-standin: listening on http://{o.host}:{o.port}", file=sys.stderr, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
