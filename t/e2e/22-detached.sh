#!/usr/bin/env bash
# 22-detached.sh - a detached child holds none of its parent's descriptors,
# so whoever reads the parent's output sees its end when the parent ends:
#   Apache (prefork MPM, mod_cgi) running the webhook handler as plain CGI
#   (conf/apache-cgi.conf): the 202 comes while the spool consumer the
#   handler started is busy with an 8-s GitHub call;
#   plain CGI as any CGI server runs it (t/lib/web.sh cgi_run, output read
#   to EOF on one pipe for stdout and stderr): the same;
#   cron reading the manager's output: EOF when the iteration ends, not
#   when the deploy run it started (busy with a slow GitHub) does.
# Before the fix the consumer and the deploy run kept their parent's stderr:
# the answer took as long as the consumer's GitHub call.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/web.sh"
. "$T_DIR/lib/github.sh"
. "$T_DIR/lib/bot.sh"

need apache2 curl flock
for p in eessi-bot-webhook eessi-bot-manager; do
	[ -x "$BUILD/$p" ] || bail "no $BUILD/$p (make)"
done
mkdir -p "$T_TMP/bin"
cp "$BUILD/eessi-bot-webhook" "$BUILD/eessi-bot-manager" "$T_TMP/bin/"
chmod 0755 "$T_TMP/bin"
BIN=$T_TMP/bin
SECRET='detached-e2e-secret'
REPO=e2e-org/software-layer
SLOW=8
# The bounds: the answer as curl times it (Apache starting the handler, its
# spool write) within 100 ms (500 on a sanitizer build, whose programs
# start slower), far below the consumer's 8 s and GitHub's 10 s; the EOF
# of a CGI program's or the manager's output, timed by the shell, within
# 1000 ms.
case $BUILD in *asan*) ANSWER_MS=500 ;; *) ANSWER_MS=100 ;; esac
ANSWER_MS=${DETACHED_ANSWER_MS:-$ANSWER_MS}
LIMIT_MS=${DETACHED_LIMIT_MS:-1000}

github_start || bail "GitHub stand-in did not start"
cat >"$T_TMP/seed.json" <<JSON
{"reset": true, "users": ["alice"], "collaborators": {"$REPO": {"alice": "admin"}},
 "repos": [{"full_name": "$REPO"}],
 "pulls": [{"repo": "$REPO", "number": 7, "user": "alice", "title": "x",
            "head": {"ref": "x", "sha": "1111111111111111111111111111111111111111", "repo": "alice/software-layer"},
            "base": {"ref": "main", "sha": "2222222222222222222222222222222222222222"}}],
 "comments": [{"repo": "$REPO", "issue": 7, "user": "alice", "body": "bot: help"},
              {"repo": "$REPO", "issue": 7, "user": "alice", "body": "bot: help"},
              {"repo": "$REPO", "issue": 7, "user": "alice", "body": "bot: help"}]}
JSON
gh_seed "$T_TMP/seed.json" >/dev/null || bail "stand-in not seeded"
CIDS=($(gh_state | gh_py '" ".join(str(c["id"]) for c in d["comments"])'))

uuid() { cat /proc/sys/kernel/random/uuid; }
json_str() { printf '%s' "$1" | "$T_PYTHON" -c 'import json,sys; print(json.dumps(sys.stdin.read()))'; }
comment_payload() { # comment_payload FILE COMMENT_ID
	webhook pick issue_comment created \
		--set "/repository/full_name=\"$REPO\"" --set /issue/number=7 \
		--set "/issue/pull_request={\"url\":\"https://api.github.com/repos/$REPO/pulls/7\"}" \
		--set "/comment/id=$2" --set '/comment/body="bot: help"' \
		--set '/comment/user/login="alice"' --set '/comment/user/type="User"' \
		--set /comment/performed_via_github_app=null \
		--set "/installation={\"id\":$GH_INSTALLATION_ID}" \
		--set '/sender/login="alice"' >"$1"
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
replies_to() {
	gh_state | gh_py "str(sum(1 for c in d['comments'] if c['body'].startswith('<!-- eessi-bot reply-to=$1 ')))"
}
replied() { [ "$(replies_to "$1")" = 1 ]; }
gh_called() { [ "$(gh_calls | gh_py 'str(len(d))')" -gt 0 ]; }
# a bot instance whose handler, consumer and deploy run may run as the web
# server's account (root: www-data), with the App's key its own
instance() { # instance NAME: prints its directory
	local d=$T_TMP/$1
	mkdir -p "$d"
	cp "$GH_APP_KEY" "$d/app.pem" && chmod 0600 "$d/app.pem"
	GH_APP_KEY=$d/app.pem GH_API_URL=$GH_ADMIN_URL bot_setup "$d" "$SECRET" "e2e-$1" >/dev/null
	[ "$(id -u)" -ne 0 ] || chown -R "$WEB_USER" "$d"
	echo "$d"
}

# --- Apache, prefork MPM, mod_cgi -----------------------------------------------
D=$(instance apache)
apache_cgi_start "$BIN/eessi-bot-webhook" EESSI_BOT_CONFIG="$D/app.cfg" ||
	bail "Apache (mod_cgi, prefork) did not start"
comment_payload "$T_TMP/c0.json" "${CIDS[0]}"
sign() { "$T_PYTHON" -c 'import hmac,hashlib,sys; print("sha256="+hmac.new(sys.argv[1].encode(), open(sys.argv[2],"rb").read(), hashlib.sha256).hexdigest())' "$SECRET" "$1"; }
gh_delay "$SLOW"
out=$(curl -sS -o "$T_TMP/answer" -w '%{http_code} %{time_total}' --max-time 30 \
	-H 'Content-Type: application/json' -H 'User-Agent: GitHub-Hookshot/e2e' \
	-H 'X-GitHub-Event: issue_comment' -H "X-GitHub-Delivery: $(uuid)" \
	-H "X-Hub-Signature-256: $(sign "$T_TMP/c0.json")" \
	--data-binary "@$T_TMP/c0.json" "$APACHE_CGI_URL")
ms=$(awk '{ printf "%d", $2 * 1000 }' <<<"$out")
note "Apache mod_cgi (prefork): answered in $ms ms (curl's time_total) while the consumer waits ${SLOW} s for GitHub"
is "apache mod_cgi: 202" "${out%% *}" 202
check "apache mod_cgi: the answer within $ANSWER_MS ms (not after the consumer's ${SLOW}-s call)" test "$ms" -lt "$ANSWER_MS"
check "apache mod_cgi: the consumer is at work meanwhile" pgrep -f "^$BIN/eessi-bot-manager --consume -c $D/app.cfg"
check "apache mod_cgi: the consumer answers in the PR after its slow call" wait_until 40 replied "${CIDS[0]}"
gh_delay 0
check "apache mod_cgi: the consumer is done" wait_until 30 consumer_gone "$BIN" "$D/spool"
web_stop

# --- plain CGI: stdout and stderr read to EOF, as any CGI server does ----------
D=$(instance cgi)
comment_payload "$T_TMP/c1.json" "${CIDS[1]}"
SIG=$(sign "$T_TMP/c1.json")
gh_delay "$SLOW"
t0=$(date +%s%N)
run_cgi() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid="$WEB_USER" --regid="$WEB_USER" --clear-groups \
			bash -c "$(declare -f cgi_run); WEB_PATH=$WEB_PATH; cgi_run \"\$@\"" _ "$@"
	else
		cgi_run "$@"
	fi
}
out=$(run_cgi "$BIN/eessi-bot-webhook" "$T_TMP/c1.json" EESSI_BOT_CONFIG="$D/app.cfg" \
	X-GitHub-Event=issue_comment X-GitHub-Delivery="$(uuid)" \
	X-Hub-Signature-256="$SIG" User-Agent=GitHub-Hookshot/e2e 2>&1)
ms=$(ms_since "$t0")
note "plain CGI: output at EOF after $ms ms while the consumer waits ${SLOW} s for GitHub"
like "plain CGI: 202" "$out" '^Status: 202'
check "plain CGI: EOF within $LIMIT_MS ms (not after the consumer's ${SLOW}-s call)" test "$ms" -lt "$LIMIT_MS"
check "plain CGI: the consumer answers in the PR after its slow call" wait_until 40 replied "${CIDS[1]}"
gh_delay 0
check "plain CGI: the consumer is done" wait_until 30 consumer_gone "$BIN" "$D/spool"
like "plain CGI: the consumer's log went to event_handler.log_file" "$(cat "$D/bot.log")" 'eessi-bot-consumer'

# --- cron reading the manager's output while its deploy run works --------------
D=$(instance cron)
mkdir -p "$D/jobs/ids/deploy/pending" "$D/spool"/{incoming,claimed,done,failed,effects}
cat >"$D/jobs/ids/deploy/pending/$(uuid)" <<INI
[DEPLOY]
repo = $REPO
pr = 7
sender = alice
installation = $GH_INSTALLATION_ID
comment_id = ${CIDS[2]}
requested_at = $(date +%s)
INI
[ "$(id -u)" -ne 0 ] || chown -R "$WEB_USER" "$D"
gh_reset_calls
gh_delay "$SLOW"
t0=$(date +%s%N)
if [ "$(id -u)" -eq 0 ]; then
	out=$(setpriv --reuid="$WEB_USER" --regid="$WEB_USER" --clear-groups \
		env -i PATH=/usr/bin:/bin HOME="$D" "$BIN/eessi-bot-manager" -c "$D/app.cfg" 2>&1)
else
	out=$(env -i PATH=/usr/bin:/bin HOME="$D" EESSI_BOT_ALLOW_ROOT="${EESSI_BOT_ALLOW_ROOT:-}" \
		"$BIN/eessi-bot-manager" -c "$D/app.cfg" 2>&1)
fi
rc=$?
ms=$(ms_since "$t0")
note "cron: the manager's output at EOF after $ms ms; its deploy run waits ${SLOW} s for GitHub"
is "cron: the iteration exits 0" "$rc" 0 || note "its output: $out $(grep -i error "$D/manager.log")"
like "cron: the iteration started a deploy run" "$(cat "$D/manager.log")" 'deploy: requests wait; started'
check "cron: EOF within $LIMIT_MS ms of the start (not when the deploy run ends)" test "$ms" -lt "$LIMIT_MS"
check "cron: the deploy run is still at work after the EOF" pgrep -f "^$BIN/eessi-bot-manager --deploy -c $D/app.cfg"
check "cron: the deploy run calls GitHub" wait_until 40 gh_called
gh_delay 0
check "cron: the deploy run ends" wait_until 40 sh -c "! pgrep -f '^$BIN/eessi-bot-manager --deploy -c $D/app.cfg' >/dev/null"
like "cron: the deploy run logged to job_manager.log_file" "$(cat "$D/manager.log")" 'deploy'

done_testing
