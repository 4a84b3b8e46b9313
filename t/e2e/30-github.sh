#!/usr/bin/env bash
# 30-github: the GitHub pieces of the harness.  The stateful stand-in behind
# `prism proxy --errors` with GitHub's OpenAPI description: App JWT ->
# installation token, comments, reactions, labels, collaborator permission,
# all answered 2xx by prism without violations and visible in the stand-in's
# state; bad credentials are refused; requests that break GitHub's contract
# get 422 from prism and never reach the stand-in; a stand-in answer that
# breaks the contract becomes prism's 500.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/github.sh"

REPO=EESSI/software-layer

# req METHOD URL [CURL-ARGS...]: sets STATUS, BODY, HDRS (CR-free).
req() {
	local method=$1 url=$2
	shift 2
	STATUS=$(curl -sS -o "$T_TMP/body" -D "$T_TMP/hdrs" -w '%{http_code}' \
		-X "$method" "$@" "$url")
	BODY=$(cat "$T_TMP/body")
	HDRS=$(tr -d '\r' <"$T_TMP/hdrs")
}

# api METHOD PATH [JSON]: a GitHub call through prism with the installation token.
api() {
	local method=$1 path=$2
	if [ $# -ge 3 ]; then
		req "$method" "$GH_API_URL$path" -H "Authorization: token $TOKEN" \
			-H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28' \
			-H 'Content-Type: application/json' --data-binary "$3"
	else
		req "$method" "$GH_API_URL$path" -H "Authorization: token $TOKEN" \
			-H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28'
	fi
}

# answered DESC STATUS: the last answer had STATUS and prism found nothing
# in it that breaks GitHub's description.
answered() {
	is "$1: status" "$STATUS" "$2" || note "body: $(printf '%s' "$BODY" | head -c 600)"
	unlike "$1: no sl-violations" "$HDRS" '^sl-violations:'
}

jf() { printf '%s' "$BODY" | gh_py "$1"; }
state() { gh_state | gh_py "$1"; }

# --- start -------------------------------------------------------------
t0=$(date +%s%N)
github_start
note "stand-in + prism up in $((($(date +%s%N) - t0) / 1000000)) ms (prism: trimmed description)"
ok "github stand-in and prism proxy are up"
like "GH_APP_KEY is a PKCS#1 key" "$(head -n 1 "$GH_APP_KEY")" '^-----BEGIN RSA PRIVATE KEY-----$'
is "GH_APP_KEY has mode 0600" "$(stat -c %a "$GH_APP_KEY")" 600
spec=$BUILD/t/github-api.json
like "trimmed description holds no x-webhooks" \
	"$(gh_py 'sorted(d.keys())' <"$spec")" '^\["components", "externalDocs", "info", "openapi", "paths", "servers", "tags"\]$'

cat >"$T_TMP/seed.json" <<EOF
{"repos": [{"full_name": "$REPO"}],
 "users": ["alice", "bob", "carol"],
 "collaborators": {"$REPO": {"alice": "admin", "bob": "write"}},
 "pulls": [{"repo": "$REPO", "number": 7, "user": "bob", "title": "Add GROMACS",
            "head": {"ref": "gromacs", "sha": "1111111111111111111111111111111111111111",
                     "repo": "bob/software-layer"},
            "base": {"ref": "main", "sha": "2222222222222222222222222222222222222222"},
            "labels": ["bot:build"]}]}
EOF
check "stand-in seeded" gh_seed "$T_TMP/seed.json"

# --- App JWT -> installation token --------------------------------------
req POST "$GH_API_URL/app/installations/$GH_INSTALLATION_ID/access_tokens" \
	-H "Authorization: Bearer $(gh_jwt)" -H 'Accept: application/vnd.github+json'
answered "installation token through the proxy" 201
TOKEN=$(jf 'd["token"]')
like "token looks like an installation token" "$TOKEN" '^ghs_[A-Za-z0-9]{36}$'
exp=$(jf 'd["expires_at"]')
left=$(($(date -d "$exp" +%s) - $(date +%s)))
check "token expires in about an hour ($left s)" test "$left" -gt 3500 -a "$left" -le 3600
is "token permissions and selection" "$(jf '[d["permissions"]["issues"], d["repository_selection"]]')" \
	'["write", "all"]'

req POST "$GH_API_URL/app/installations/$GH_INSTALLATION_ID/access_tokens" \
	-H "Authorization: Bearer $(gh_jwt "$GH_APP_KEY" "Iv1.$(printf %016x "$GH_APP_ID")")"
answered "JWT with the App's client id as iss" 201

req GET "$GH_API_URL/app/installations/$GH_INSTALLATION_ID" -H "Authorization: Bearer $(gh_jwt)"
answered "GET installation with the JWT" 200
is "installation id" "$(jf 'd["id"]')" "$GH_INSTALLATION_ID"
req GET "$GH_API_URL/app" -H "Authorization: Bearer $(gh_jwt)"
answered "GET /app with the JWT" 200
is "app id" "$(jf 'd["id"]')" "$GH_APP_ID"

# --- bad credentials -------------------------------------------------------
other=$T_TMP/other.pem
gh_make_key "$other"
req POST "$GH_API_URL/app/installations/$GH_INSTALLATION_ID/access_tokens" \
	-H "Authorization: Bearer $(gh_jwt "$other")"
is "JWT signed with another key: 401" "$STATUS" 401
is "401 body in GitHub's shape" "$(jf 'sorted(d)')" '["documentation_url", "message", "status"]'
req POST "$GH_API_URL/app/installations/$GH_INSTALLATION_ID/access_tokens" \
	-H "Authorization: Bearer $(gh_jwt "$GH_APP_KEY" 999)"
is "JWT with another App id as iss: 401" "$STATUS" 401
req POST "$GH_API_URL/app/installations/$GH_INSTALLATION_ID/access_tokens" \
	-H "Authorization: Bearer $(gh_jwt "$GH_APP_KEY" "$GH_APP_ID" 0 700)"
is "JWT living longer than 10 minutes: 401" "$STATUS" 401
req POST "$GH_API_URL/app/installations/$GH_INSTALLATION_ID/access_tokens" \
	-H "Authorization: Bearer $(gh_jwt "$GH_APP_KEY" "$GH_APP_ID" -700 600)"
is "expired JWT: 401" "$STATUS" 401
req POST "$GH_API_URL/app/installations/$GH_INSTALLATION_ID/access_tokens" \
	-H "Authorization: Bearer $(gh_jwt "$GH_APP_KEY" "$GH_APP_ID" 300 300)"
is "JWT issued in the future: 401" "$STATUS" 401
req POST "$GH_API_URL/app/installations/$GH_INSTALLATION_ID/access_tokens" \
	-H "Authorization: token $(gh_jwt)"
is "JWT sent as 'token': 401" "$STATUS" 401
req POST "$GH_API_URL/app/installations/99/access_tokens" -H "Authorization: Bearer $(gh_jwt)"
is "unknown installation: 404" "$STATUS" 404
req GET "$GH_API_URL/repos/$REPO/issues/7/comments"
is "no token: 401" "$STATUS" 401
req GET "$GH_API_URL/repos/$REPO/issues/7/comments" -H 'Authorization: token ghs_000000000000000000000000000000000000'
is "unknown token: 401" "$STATUS" 401
is "unknown token: GitHub's message" "$(jf 'd["message"]')" "Bad credentials"
req GET "$GH_API_URL/repos/$REPO/issues/7/comments" -H "Authorization: Bearer $(gh_jwt)"
is "JWT where an installation token is needed: 401" "$STATUS" 401

# --- reads -------------------------------------------------------------------
api GET "/repos/$REPO"
answered "GET repository" 200
is "repository full_name" "$(jf 'd["full_name"]')" "$REPO"
api GET "/repos/$REPO/pulls/7"
answered "GET pull request" 200
is "PR head and base" "$(jf '[d["head"]["sha"], d["head"]["repo"]["full_name"], d["base"]["ref"], d["user"]["login"]]')" \
	'["1111111111111111111111111111111111111111", "bob/software-layer", "main", "bob"]'
api GET "/repos/$REPO/issues/7"
answered "GET issue of the PR" 200
is "issue says it is a pull request" "$(jf '"pull_request" in d and d["labels"][0]["name"]')" "bot:build"
api GET "/repos/$REPO/pulls/8"
is "unknown PR: 404" "$STATUS" 404
req GET "$GH_API_URL/repos/$REPO/pulls/7" -H "Authorization: token $TOKEN" \
	-H 'Accept: application/vnd.github.v3+json'
answered "Accept: application/vnd.github.v3+json" 200
req GET "$GH_API_URL/repos/$REPO/pulls/7" -H "Authorization: Bearer $TOKEN" -H 'Accept: application/json'
answered "Bearer installation token, Accept: application/json" 200

# --- comments ----------------------------------------------------------------
api POST "/repos/$REPO/issues/7/comments" '{"body": "New job on instance `test`"}'
answered "create a PR comment" 201
cid=$(jf 'd["id"]')
is "comment author is the App's bot user" "$(jf '[d["user"]["login"], d["user"]["type"]]')" \
	'["eessi-bot-test[bot]", "Bot"]'
like "Location header names the comment" "$HDRS" "^[Ll]ocation: .*/issues/comments/$cid$"
api PATCH "/repos/$REPO/issues/comments/$cid" '{"body": "| target | status |\n| x86_64 | running |"}'
answered "edit the comment" 200
is "edited body returned" "$(jf 'd["body"]')" "$(printf '| target | status |\n| x86_64 | running |')"
api GET "/repos/$REPO/issues/comments/$cid"
answered "get the comment by id" 200
like "edited body kept" "$(jf 'd["body"]')" 'running'
api POST "/repos/$REPO/issues/7/comments" '{"body": "second"}'
answered "create a second comment" 201
cid2=$(jf 'd["id"]')
check "comment ids increase ($cid < $cid2)" test "$cid" -lt "$cid2"
api GET "/repos/$REPO/issues/7/comments?per_page=1"
answered "list comments, one per page" 200
is "first page holds the first comment" "$(jf '[c["id"] for c in d]')" "[$cid]"
like "Link header points to the next page" "$HDRS" '^[Ll]ink: <[^>]*page=2>; rel="next"'
api GET "/repos/$REPO/issues/comments/99999999"
is "unknown comment: 404" "$STATUS" 404

# --- reactions -----------------------------------------------------------------
api POST "/repos/$REPO/issues/comments/$cid/reactions" '{"content": "rocket"}'
answered "add a reaction" 201
rid=$(jf 'd["id"]')
api POST "/repos/$REPO/issues/comments/$cid/reactions" '{"content": "rocket"}'
answered "same reaction again" 200
is "same reaction again: same id" "$(jf 'd["id"]')" "$rid"
api GET "/repos/$REPO/issues/comments/$cid/reactions"
answered "list reactions" 200
is "one rocket" "$(jf '[r["content"] for r in d]')" '["rocket"]'

# --- labels --------------------------------------------------------------------
api POST "/repos/$REPO/issues/7/labels" '{"labels": ["bot:deploy"]}'
answered "add a label" 200
is "labels after adding" "$(jf '[l["name"] for l in d]')" '["bot:build", "bot:deploy"]'
api DELETE "/repos/$REPO/issues/7/labels/bot%3Abuild"
answered "remove a label" 200
is "labels after removing" "$(jf '[l["name"] for l in d]')" '["bot:deploy"]'
api DELETE "/repos/$REPO/issues/7/labels/bot%3Abuild"
is "removing a label not there: 404" "$STATUS" 404
api GET "/repos/$REPO/issues/7/labels"
answered "list labels" 200

# --- collaborator permission -----------------------------------------------------
for pair in alice:admin bob:write carol:read; do
	api GET "/repos/$REPO/collaborators/${pair%%:*}/permission"
	answered "permission of ${pair%%:*}" 200
	is "${pair%%:*} has ${pair#*:}" "$(jf 'd["permission"]')" "${pair#*:}"
done
api GET "/repos/$REPO/collaborators/nobody-at-all/permission"
is "permission of an unknown user: 404" "$STATUS" 404

# --- the stand-in's state ------------------------------------------------------------
is "state: comments" "$(state '[(c["id"], c["issue"]) for c in d["comments"]]')" "[[$cid, 7], [$cid2, 7]]"
like "state: edited body" "$(state 'd["comments"][0]["body"]')" 'running'
is "state: reaction" "$(state '[(r["comment_id"], r["content"]) for r in d["reactions"]]')" "[[$cid, \"rocket\"]]"
is "state: labels" "$(state 'd["labels"]')" "{\"$REPO#7\": [\"bot:deploy\"]}"

calls=$(gh_calls)
unlike "call log never holds a token" "$calls" "$TOKEN|Bearer|token ghs_"
is "call log records the comment body" \
	"$(printf '%s' "$calls" | gh_py '[c["body"] for c in d if c["method"] == "PATCH"][0]["body"][:20]')" \
	'| target | status |'
is "call log records the auth kind" \
	"$(printf '%s' "$calls" | gh_py 'sorted({c["auth"] for c in d})')" '["jwt", "none", "rejected", "token"]'

# --- requests that break GitHub's description never reach the stand-in ---------------
gh_reset_calls
api POST "/repos/$REPO/issues/7/comments" '{"body": 123}'
is "comment body of the wrong type: 422 from prism" "$STATUS" 422
like "prism names the violation" "$BODY" 'body must be string'
api POST "/repos/$REPO/issues/7/comments" '{"text": "no body"}'
is "comment without body: 422" "$STATUS" 422
api POST "/repos/$REPO/issues/7/comments"
is "comment with no request body at all: 422" "$STATUS" 422
api GET "/repos/$REPO/issues/seven/comments"
is "issue number that is not a number: 422" "$STATUS" 422
api POST "/repos/$REPO/issues/comments/$cid/reactions" '{"content": "thumbsup"}'
is "reaction outside the enum: 422" "$STATUS" 422
is "the stand-in saw none of them" "$(gh_calls)" '[]'

# --- a stand-in answer that breaks the description becomes prism's 500 ---------------
printf '{"repos": [{"full_name": "EESSI/broken", "default_branch": 5}]}' | gh_seed - >/dev/null
api GET "/repos/EESSI/broken"
is "answer breaking the description: 500 from prism" "$STATUS" 500
like "sl-violations header names the field" "$HDRS" '^sl-violations: .*default_branch'

# --- injected failures (for the bot's retry tests) -----------------------------------
gh_fail '{"path": "/issues/7/comments$", "method": "POST", "count": 1, "status": 502}'
api POST "/repos/$REPO/issues/7/comments" '{"body": "retry me"}'
is "injected 502" "$STATUS" 502
api POST "/repos/$REPO/issues/7/comments" '{"body": "retry me"}'
answered "next call succeeds" 201
gh_fail '{"path": "/pulls/7$", "count": 1, "status": 403, "retry_after": 2}'
api GET "/repos/$REPO/pulls/7"
is "injected rate limit: 403" "$STATUS" 403
like "rate limit: Retry-After" "$HDRS" '^[Rr]etry-[Aa]fter: 2$'
like "rate limit: x-ratelimit-remaining 0" "$HDRS" '^x-ratelimit-remaining: 0$'
like "rate limit: x-ratelimit-reset" "$HDRS" '^x-ratelimit-reset: [0-9]{10}$'
api GET "/repos/$REPO/pulls/7"
answered "after the rate limit" 200

curl -sf -X POST -o /dev/null "$GH_ADMIN_URL/_admin/expire-tokens"
api GET "/repos/$REPO/pulls/7"
is "expired installation token: 401" "$STATUS" 401

# --- nothing left running --------------------------------------------------------------
kill_pidfile "$T_TMP/prism.pid"
kill_pidfile "$T_TMP/github-standin.pid"
left=$(pgrep -f -- "$T_TMP|$GH_ADMIN_URL" || true)
is "prism and the stand-in are stopped" "$left" ""

done_testing
