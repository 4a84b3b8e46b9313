#!/usr/bin/env bash
# 35-github-client: the bot's GitHub adapter (lib/github, lib/httpc,
# lib/appjwt) through t/tools/github-probe against the stateful stand-in
# behind `prism proxy --errors` with GitHub's OpenAPI description:
# comment / edit / react / permission / comments since, held to GitHub's
# contract (no violation in prism's log); one installation token, fetched
# once and reused from the disk cache by the next process; an expired token
# replaced transparently; 502s and rate limits retried (and counted), with
# the waits GitHub asks for, a wait beyond 60 s refused at once; no token in
# any log; an App key open to others refused; hostile repositories refused
# before any call.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/github.sh"

PROBE=$BUILD/t/github-probe
REPO=EESSI/software-layer
[ -x "$PROBE" ] || bail "$PROBE is missing (make check-e2e builds it)"

# cfg FILE KEY CACHE_DIR: an app.cfg for the probe.
cfg() {
	cat >"$1" <<EOF
github = {
  app_id = $GH_APP_ID;
  app_name = "probe-test";
  installation_id = $GH_INSTALLATION_ID;
  private_key = "$2";
  api_url = "$GH_API_URL";
  token_cache_dir = "$3";
};
buildenv = {
  build_job_script = "/usr/local/libexec/eessi-bot/bot-build.slurm";
  jobs_base_dir = "\$HOME/jobs";
};
architecturetargets = {
  arch_target_map = ( { target = "linux/x86_64/generic"; } );
};
job_manager = {
  job_ids_dir = "\$HOME/jobs/ids";
};
EOF
}

# probe NAME ARGS...: runs the probe; sets OUT (stdout), ERR (stderr, the
# debug log), RC and MS (wall time); keeps the log as $T_TMP/logs/NAME.
n_probe=0
probe() {
	local name=$1 t0
	shift
	n_probe=$((n_probe + 1))
	t0=$(date +%s%N)
	HOME=$T_TMP/home "$PROBE" -c "$CFG" "$@" >"$T_TMP/out" 2>"$T_TMP/logs/$name"
	RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/logs/$name")
}

calls() { gh_calls | gh_py "$1"; }
n_calls() { calls 'len(d)'; }
n_token_calls() { calls 'len([c for c in d if c["path"].endswith("/access_tokens")])'; }
cached_token() { gh_py 'd["token"]' <"$CACHE/installation-$GH_INSTALLATION_ID.json"; }
flat() { printf '%s' "$1" | tr '\n' ' '; }
prism_violations() { grep -ciE 'violation|terminated with error' "$T_TMP/prism.log"; }

mkdir -p "$T_TMP/logs" "$T_TMP/home"
CACHE=$T_TMP/home/.eessi-bot/tokens
CFG=$T_TMP/app.cfg

# --- start ------------------------------------------------------------------
t0=$(date +%s%N)
github_start
note "stand-in + prism up in $((($(date +%s%N) - t0) / 1000000)) ms"
cfg "$CFG" "$GH_APP_KEY" "\$HOME/.eessi-bot/tokens"
cat >"$T_TMP/seed.json" <<EOF
{"repos": [{"full_name": "$REPO"}],
 "users": ["alice", "bob", "carol"],
 "collaborators": {"$REPO": {"alice": "admin", "bob": "maintain", "carol": "triage"}},
 "pulls": [{"repo": "$REPO", "number": 7, "user": "bob", "title": "Add GROMACS"}],
 "comments": [{"repo": "$REPO", "issue": 7, "user": "bob", "body": "bot: build"}]}
EOF
check "stand-in seeded" gh_seed "$T_TMP/seed.json"
gh_reset_calls
violations0=$(prism_violations)

# --- the calls, held to GitHub's contract --------------------------------------
probe comment comment "$REPO" 7 'New job on instance `probe-test` / ünïcode'
is "comment: exit 0" "$RC" 0 || note "$ERR"
like "comment: prints the new id" "$OUT" '^comment [0-9]+$'
cid=$(printf '%s\n' "$OUT" | sed -n 's/^comment //p')
like "comment: one token fetch, two calls" "$OUT" 'counts calls=2 retries=0 token_fetches=1'
like "comment: debug log line per call" "$ERR" \
	"debug github-probe\[[0-9]+\] POST /repos/$REPO/issues/7/comments -> 201 \([0-9]+ ms\)"
like "comment: the token fetch is logged too" "$ERR" \
	"POST /app/installations/$GH_INSTALLATION_ID/access_tokens -> 201 \([0-9]+ ms\)"
is "comment: body as sent" "$(gh_state | gh_py "[c['body'] for c in d['comments'] if c['id'] == $cid][0]")" \
	'New job on instance `probe-test` / ünïcode'

probe edit edit "$REPO" "$cid" $'| target | state |\n|---|---|\n| x86_64 | running |'
is "edit: exit 0" "$RC" 0 || note "$ERR"
is "edit: output" "$OUT" "$(printf 'edited %s\ncounts calls=1 retries=0 token_fetches=0' "$cid")"
like "edit: body replaced" "$(gh_state | gh_py "[c['body'] for c in d['comments'] if c['id'] == $cid][0]")" 'running'

probe react react "$REPO" "$cid" rocket
is "react: exit 0" "$RC" 0 || note "$ERR"
like "react: created" "$ERR" "POST /repos/$REPO/issues/comments/$cid/reactions -> 201"
probe react2 react "$REPO" "$cid" rocket
is "react again: exit 0 (GitHub answers 200)" "$RC" 0 || note "$ERR"
like "react again: 200" "$ERR" "reactions -> 200"
is "one rocket in the state" \
	"$(gh_state | gh_py "[(r['comment_id'], r['content']) for r in d['reactions']]")" "[[$cid, \"rocket\"]]"

for pair in alice:admin bob:write carol:read; do
	probe "perm-${pair%%:*}" perm "$REPO" "${pair%%:*}"
	is "permission of ${pair%%:*}: ${pair#*:}" "$(printf '%s\n' "$OUT" | head -n 1)" "permission ${pair#*:}"
done

probe since-all since "$REPO" 7 2000-01-01T00:00:00Z
is "since 2000: both comments" "$(printf '%s\n' "$OUT" | head -n 1)" "comments 2"
like "since: asks for page 1 of 100 each" "$ERR" \
	"GET /repos/$REPO/issues/7/comments\?since=2000-01-01T00:00:00Z&per_page=100&page=1 -> 200"
probe since-page2 since "$REPO" 7 2000-01-01T00:00:00Z 2
is "since 2000, page 2: empty" "$(printf '%s\n' "$OUT" | head -n 1)" "comments 0"
like "since, page 2: asked for" "$ERR" "comments\?since=2000-01-01T00:00:00Z&per_page=100&page=2 -> 200"
probe since-future since "$REPO" 7 2099-01-01T00:00:00Z
is "since 2099: none" "$(printf '%s\n' "$OUT" | head -n 1)" "comments 0"

is "no violation in prism's log" "$(prism_violations)" "$violations0"
is "the stand-in saw JWT, then tokens only" "$(calls 'sorted({c["auth"] for c in d})')" '["jwt", "token"]'
like "User-Agent names the bot and the instance" \
	"$(calls '[c["headers"].get("user-agent") for c in d][0]')" '^eessi-bot/[^ ]+ \(probe-test\)$'
is "Accept and API version on every call" \
	"$(calls 'sorted({(c["headers"].get("accept"), c["headers"].get("x-github-api-version")) for c in d})')" \
	'[["application/vnd.github+json", "2022-11-28"]]'

# --- the token: fetched once, reused from disk -----------------------------------
is "one access_tokens call for all those processes" "$(n_token_calls)" 1
is "token cache directory is 0700" "$(stat -c %a "$CACHE")" 700
is "token cache file is 0600" "$(stat -c %a "$CACHE/installation-$GH_INSTALLATION_ID.json")" 600
TOKEN1=$(cached_token)
like "the cache holds an installation token" "$TOKEN1" '^ghs_'
is "the cache file's fields" \
	"$(gh_py 'sorted(d)' <"$CACHE/installation-$GH_INSTALLATION_ID.json")" \
	'["expires_at", "installation_id", "token"]'

# --- an expired token is replaced transparently ----------------------------------
curl -sf -X POST -o /dev/null "$GH_ADMIN_URL/_admin/expire-tokens"
probe expired perm "$REPO" alice
is "expired token: still answered" "$(printf '%s\n' "$OUT" | head -n 1)" "permission admin"
like "expired token: one new token, the call repeated" "$OUT" 'counts calls=3 retries=1 token_fetches=1'
like "expired token: 401 seen, then 200" "$(flat "$ERR")" \
	"permission -> 401 .*access_tokens -> 201 .*permission -> 200"
is "expired token: two access_tokens calls in all" "$(n_token_calls)" 2
TOKEN2=$(cached_token)
check "expired token: the cache holds the new token" test "$TOKEN1" != "$TOKEN2"
probe after-expiry perm "$REPO" bob
like "next process: the new cached token, no fetch" "$OUT" 'counts calls=1 retries=0 token_fetches=0'

# --- retries ----------------------------------------------------------------------------
# an edit (PATCH: the same body again is the same comment) is retried
probe made comment "$REPO" 7 "to be edited"
EDIT_ID=$(printf '%s' "$OUT" | sed -n 's/^comment //p')
gh_fail '{"path": "/issues/comments/[0-9]+$", "method": "PATCH", "count": 2, "status": 502}'
probe retry-502 edit "$REPO" "$EDIT_ID" "after two 502s"
is "502 x2: exit 0" "$RC" 0 || note "$ERR"
like "502 x2: two retries counted" "$OUT" 'counts calls=3 retries=2 token_fetches=0'
check "502 x2: waited 1 s + 2 s ($MS ms)" test "$MS" -ge 3000
like "502 x2: the retries are logged" "$(flat "$ERR")" '502 Bad Gateway, retrying in 1000 ms .*502 Bad Gateway, retrying in 2000 ms'
is "502 x2: the comment edited" \
	"$(gh_state | gh_py "len([c for c in d['comments'] if c['body'] == 'after two 502s'])")" 1

# a POST that creates is never repeated blindly: after a 5xx, or a lost
# answer, it may have taken effect (the caller looks: lib/flows/delivery.h)
gh_fail '{"path": "/issues/7/comments$", "method": "POST", "count": 1, "status": 502}'
probe post-502 comment "$REPO" 7 "after a 502"
is "POST 502: exit 1" "$RC" 1
like "POST 502: says it may have taken effect" "$ERR" '502 Bad Gateway; it may have taken effect, so it is not repeated blindly'
like "POST 502: one call, no retry" "$OUT" 'counts calls=1 retries=0 token_fetches=0'
gh_fail '{"path": "/issues/7/comments$", "method": "POST", "count": 1, "after": true, "drop": true}'
probe post-lost comment "$REPO" 7 "answer lost"
is "POST, answer lost: exit 1" "$RC" 1
like "POST, answer lost: says it may have taken effect" "$ERR" 'it may have taken effect'
is "POST, answer lost: made once, not repeated" \
	"$(gh_state | gh_py "len([c for c in d['comments'] if c['body'] == 'answer lost'])")" 1

gh_fail '{"path": "/issues/comments/[0-9]+$", "method": "PATCH", "count": 1, "status": 429, "retry_after": 1}'
probe retry-429 edit "$REPO" "$cid" "after a 429"
is "429 retry_after 1: exit 0" "$RC" 0 || note "$ERR"
like "429: one retry" "$OUT" 'counts calls=2 retries=1 token_fetches=0'
check "429: waited at least 1 s ($MS ms)" test "$MS" -ge 1000
like "429: logged" "$ERR" '429 Too Many Requests, retrying in 1000 ms'

gh_fail '{"path": "/permission$", "count": 1, "status": 403, "retry_after": 1}'
probe retry-403 perm "$REPO" carol
is "403 rate limit: answered" "$(printf '%s\n' "$OUT" | head -n 1)" "permission read"
like "403 rate limit: one retry" "$OUT" 'counts calls=2 retries=1 token_fetches=0'
check "403 rate limit: waited at least 1 s ($MS ms)" test "$MS" -ge 1000

gh_fail '{"path": "/reactions$", "count": 1, "status": 429, "retry_after": 120}'
probe wait-too-long react "$REPO" "$cid" eyes
is "Retry-After 120: exit 1" "$RC" 1
like "Retry-After 120: the error names the wait" "$ERR" \
	"github-probe: POST /repos/$REPO/issues/comments/$cid/reactions: 429 Too Many Requests: API rate limit exceeded for installation.; GitHub asks to wait 120 s, more than the 60 s the bot waits: not retried"
check "Retry-After 120: no hang ($MS ms)" test "$MS" -lt 5000
like "Retry-After 120: one call, no retry" "$OUT" 'counts calls=1 retries=0 token_fetches=0'

gh_fail '{"path": "/reactions$", "count": 4, "status": 503}'
probe gave-up react "$REPO" "$cid" eyes
is "503 x4: exit 1" "$RC" 1
like "503 x4: gave up after 4 attempts" "$ERR" \
	"reactions: 503 Service Unavailable: Server Error \(gave up after 4 attempts\)"
like "503 x4: 4 calls, 3 retries" "$OUT" 'counts calls=4 retries=3 token_fetches=0'

# --- GitHub's errors come back as they are -------------------------------------------
probe no-issue comment "$REPO" 99 "nowhere"
is "unknown issue: exit 1" "$RC" 1
like "unknown issue: method, path, status, GitHub's message" "$ERR" \
	"github-probe: POST /repos/$REPO/issues/99/comments: 404 Not Found: Not Found$"
probe no-user perm "$REPO" nobody-at-all
like "unknown login: GitHub's message" "$ERR" \
	"GET /repos/$REPO/collaborators/nobody-at-all/permission: 404 Not Found: nobody-at-all is not a user"
probe other-inst -i 99 perm "$REPO" alice
is "unknown installation: exit 1" "$RC" 1
like "unknown installation: the token request fails clearly" "$ERR" \
	"github-probe: POST /app/installations/99/access_tokens: 404 Not Found: Not Found"
check "unknown installation: no cache file" test ! -e "$CACHE/installation-99.json"

# --- hostile repositories: refused before any call -------------------------------------
before=$(n_calls)
for bad in '../x' 'a/b/c' '$(id)/x' $'a/b\nc' "$(printf 'a%.0s' {1..200})/x" 'a/..'; do
	probe hostile comment "$bad" 7 "x"
	is "hostile repo '$(printf '%q' "$bad" | cut -c1-30)': exit 1" "$RC" 1
	like "hostile repo: refused with a clear message" "$ERR" "is not a GitHub repository \(owner/name\); refused"
done
probe hostile-login perm "$REPO" '../../admin'
like "hostile login refused" "$ERR" "is not a GitHub login; refused"
probe hostile-since since "$REPO" 7 '2026-01-01T00:00:00Z&per_page=1'
like "hostile since refused" "$ERR" "is not a time like"
probe hostile-path request GET '/repos/x y'
like "path with a space refused" "$ERR" "method or path refused"
is "no call reached GitHub" "$(n_calls)" "$before"

# --- the App key must be private --------------------------------------------------------
cp "$GH_APP_KEY" "$T_TMP/open.pem"
chmod 0644 "$T_TMP/open.pem"
CFG=$T_TMP/open.cfg
cfg "$CFG" "$T_TMP/open.pem" "$T_TMP/tokens-open"
probe key-0644 perm "$REPO" alice
is "key mode 0644: exit 1" "$RC" 1
like "key mode 0644: a clear message" "$ERR" \
	"github.private_key $T_TMP/open.pem: mode 0644 lets group or others read or write it; refused"
cfg "$CFG" "$T_TMP/missing.pem" "$T_TMP/tokens-open"
probe key-missing perm "$REPO" alice
like "missing key: a clear message" "$ERR" "github.private_key $T_TMP/missing.pem: cannot open: No such file or directory"
: >"$T_TMP/empty.pem"
chmod 0600 "$T_TMP/empty.pem"
cfg "$CFG" "$T_TMP/empty.pem" "$T_TMP/tokens-open"
probe key-empty perm "$REPO" alice
like "empty key: a clear message" "$ERR" "github.private_key $T_TMP/empty.pem: empty file"
is "no call for a refused key" "$(n_calls)" "$before"
CFG=$T_TMP/app.cfg

# --- no token in any log -------------------------------------------------------------------
alltokens="$TOKEN1|$TOKEN2|$(cached_token)"
unlike "no token in the probe logs" "$(cat "$T_TMP"/logs/*)" "$alltokens|ghs_"
unlike "no token in the stand-in's call log" "$(gh_calls)" "$alltokens"
like "the logs did record the calls" "$(cat "$T_TMP"/logs/*)" 'GET /repos/EESSI/software-layer/collaborators/alice/permission -> 200'

done_testing
