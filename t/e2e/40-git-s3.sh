#!/usr/bin/env bash
# 40-git-s3: the git and S3 pieces of the harness.  A local bare repository
# plays GitHub's remote (refs/pull/N/head and /merge fetched over a file
# path; a conflicting PR really conflicts); moto_server with signature
# checking takes curl's SigV4 uploads and refuses a wrong secret.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/gitrepo.sh"
. "$T_DIR/lib/s3.sh"

need git curl sha256sum md5sum

# g ARGS...: git in the clone, never the machine's configuration.
g() { GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -C "$T_TMP/clone" "$@"; }

# --- git -------------------------------------------------------------------
# (not through check: its subshell would lose the exported SHAs)
gitrepo_make software-layer 7 || bail "cannot make the bare repository"
ok "bare repository with a PR made"
like "refs in the bare repository" \
	"$(git --git-dir="$GITREPO" for-each-ref --format='%(refname)' | tr '\n' ' ')" \
	'^refs/heads/main refs/pull/7/head refs/pull/7/merge $'

check "clone over a file path" git clone -q "$GITREPO" "$T_TMP/clone"
check "fetch pull/7/head" g fetch -q origin pull/7/head
is "FETCH_HEAD is the PR head" "$(g rev-parse FETCH_HEAD)" "$GITREPO_PR_HEAD_SHA"
check "fetch pull/7/merge" g fetch -q origin pull/7/merge
is "FETCH_HEAD is the merge ref" "$(g rev-parse FETCH_HEAD)" "$GITREPO_PR_MERGE_SHA"
is "merge ref parents: main, PR head" "$(g rev-parse "$GITREPO_PR_MERGE_SHA^1" "$GITREPO_PR_MERGE_SHA^2" | tr '\n' ' ')" \
	"$GITREPO_MAIN_SHA $GITREPO_PR_HEAD_SHA "
tree=$(g ls-tree -r --name-only "$GITREPO_PR_MERGE_SHA" | tr '\n' ' ')
like "merged tree has main's file" "$tree" '(^| )main-only.txt '
like "merged tree has the PR's file" "$tree" ' easystacks/eessi-2023.06-eb-4.9.1-2023b.yml '
like "merged tree has the bot scripts" "$tree" ' bot/build.sh bot/check-build.sh '
unlike "main alone lacks the PR's file" "$(g ls-tree -r --name-only origin/main)" '4\.9\.1-2023b'
like "bot/build.sh is executable in the tree" "$(g ls-tree origin/main bot/build.sh)" '^100755 '

# the bot's own way: check out main, merge the PR head
g checkout -q -b work origin/main
g fetch -q origin pull/7/head
check "git merge of the PR head into main" \
	g -c user.name=bot -c user.email=bot@invalid merge -q --no-edit FETCH_HEAD
is "same tree as GitHub's merge ref" "$(g rev-parse 'HEAD^{tree}')" "$(g rev-parse "$GITREPO_PR_MERGE_SHA^{tree}")"
is "bot/build.sh stub runs" "$("$T_TMP/clone/bot/build.sh" --x)" 'bot/build.sh stub: --x'

# a PR that conflicts with main
gitrepo_add_conflicting_pr software-layer 8 || bail "cannot add the conflicting PR"
ok "conflicting PR added"
is "no merge ref for the conflicting PR" "$(git ls-remote "$GITREPO" refs/pull/8/merge)" ""
is "PR 7's merge ref follows main" \
	"$(git --git-dir="$GITREPO" rev-parse refs/pull/7/merge^1 refs/pull/7/merge^2 | tr '\n' ' ')" \
	"$GITREPO_MAIN_SHA $GITREPO_PR_HEAD_SHA "
g fetch -q origin main && g checkout -q -B conflict FETCH_HEAD
is "the clone has main's new head" "$(g rev-parse HEAD)" "$GITREPO_MAIN_SHA"
check "fetch pull/8/head" g fetch -q origin pull/8/head
is "FETCH_HEAD is the conflicting head" "$(g rev-parse FETCH_HEAD)" "$GITREPO_CONFLICT_HEAD_SHA"
check_fails "git merge of the conflicting PR fails" \
	g -c user.name=bot -c user.email=bot@invalid merge --no-edit FETCH_HEAD
is "README.md is the conflicted file" "$(g diff --name-only --diff-filter=U)" README.md
check "merge --abort" g merge --abort

seed=$(gitrepo_seed_json software-layer EESSI/software-layer alice)
is "seed for the GitHub stand-in" \
	"$(printf '%s' "$seed" | "$T_PYTHON" -c 'import json, sys; d = json.load(sys.stdin)
print(d["repos"][0]["clone_url"], [(p["number"], p["head"]["sha"][:7], p["mergeable"]) for p in d["pulls"]])')" \
	"$GITREPO [(7, '${GITREPO_PR_HEAD_SHA:0:7}', True), (8, '${GITREPO_CONFLICT_HEAD_SHA:0:7}', False)]"

# --- S3 ----------------------------------------------------------------------
t0=$(date +%s%N)
s3_start eessi-test-bucket
note "moto_server up, user, auth on, bucket in $((($(date +%s%N) - t0) / 1000000)) ms"
ok "moto_server is up with signature checking"
like "credentials exported" "$AWS_ACCESS_KEY_ID:$AWS_DEFAULT_REGION:$S3_BUCKET" '^AKIA[A-Z0-9]{16}:us-east-1:eessi-test-bucket$'

blob=$T_TMP/artefact.tar.gz
head -c 300000 /dev/urandom >"$blob"
sha=$(sha256sum <"$blob" | cut -d' ' -f1)
url=$S3_ENDPOINT/$S3_BUCKET/eessi/2023.06/eessi-2023.06-software-linux-x86_64-generic-1700000000.tar.gz

code=$(curl -sS -o "$T_TMP/put.out" -D "$T_TMP/put.hdr" -w '%{http_code}' \
	--aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	-H "x-amz-content-sha256: $sha" -T "$blob" "$url")
is "signed PUT with curl --aws-sigv4: 200" "$code" 200
like "ETag is the MD5 of the bytes" "$(tr -d '\r' <"$T_TMP/put.hdr")" \
	"^[Ee][Tt]ag: \"$(md5sum <"$blob" | cut -d' ' -f1)\"$"

code=$(s3_curl -o "$T_TMP/back" -w '%{http_code}' "$url")
is "signed GET: 200" "$code" 200
check "GET returns the same bytes" cmp "$blob" "$T_TMP/back"

code=$(curl -sS -o "$T_TMP/bad.out" -w '%{http_code}' \
	--aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:not-the-secret" \
	-H "x-amz-content-sha256: $sha" -T "$blob" "$url.wrong-secret")
is "same PUT with a wrong secret: 403" "$code" 403
like "moto says SignatureDoesNotMatch" "$(cat "$T_TMP/bad.out")" '<Code>SignatureDoesNotMatch</Code>'

code=$(curl -sS -o "$T_TMP/bad.out" -w '%{http_code}' \
	--aws-sigv4 "aws:amz:us-east-1:s3" --user "AKIAIOSFODNN7EXAMPLE:$AWS_SECRET_ACCESS_KEY" \
	-H "x-amz-content-sha256: $sha" -T "$blob" "$url.unknown-key")
is "PUT with an unknown access key: 403" "$code" 403
like "moto says InvalidAccessKeyId" "$(cat "$T_TMP/bad.out")" '<Code>InvalidAccessKeyId</Code>'

code=$(curl -sS -o /dev/null -w '%{http_code}' "$url")
is "unsigned GET: 403" "$code" 403

# A query value with an encoded '/' or ':' (prefix=eessi%2F, correct for AWS)
# fails moto's signature check: moto (werkzeug) rebuilds the URL with those
# characters decoded before computing the signature.  Hence prefix=eessi.
code=$(s3_curl -o "$T_TMP/list" -w '%{http_code}' "$S3_ENDPOINT/$S3_BUCKET?list-type=2&prefix=eessi")
is "signed ListObjectsV2: 200" "$code" 200
like "only the good upload is there" "$(grep -o '<Key>[^<]*</Key>' "$T_TMP/list" | tr -d '\n')" \
	'^<Key>eessi/2023.06/[^<]*-1700000000.tar.gz</Key>$'

# --- nothing left running -------------------------------------------------------
kill_pidfile "$T_TMP/moto.pid"
is "moto_server is stopped" "$(pgrep -f -- "moto_server -H 127.0.0.1 -p ${S3_ENDPOINT##*:}" || true)" ""

done_testing
