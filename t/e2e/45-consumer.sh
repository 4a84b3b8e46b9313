#!/usr/bin/env bash
# 45-consumer.sh - deliveries from the webhook answer to their effect on
# GitHub: the real handler behind nginx (and Apache) + spawn-fcgi starts the spool
# consumer (eessi-bot-manager --consume, beside it), which routes each
# delivery and talks to the GitHub stand-in behind prism as the App.
#   bot: help -> one reply listing the commands + an "eyes" reaction;
#   a redelivery -> 200 and no second effect (counted on the stand-in);
#   the bot's own comment, other bots, plain issues -> no call at all;
#   installation, ping, unknown events -> logged, done;
#   a GitHub failure -> failed/ with the reason;
#   the manager's iteration drains what no consumer took;
#   --replay of a stored delivery; a crashed run recovered without a
#   second reply.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/web.sh"
. "$T_DIR/lib/github.sh"
. "$T_DIR/lib/bot.sh"

need spawn-fcgi nginx apache2 curl flock
for p in eessi-bot-webhook eessi-bot-manager; do
	[ -x "$BUILD/$p" ] || bail "no $BUILD/$p (make)"
done

# the handler finds the consumer beside itself
mkdir -p "$T_TMP/bin"
cp "$BUILD/eessi-bot-webhook" "$BUILD/eessi-bot-manager" "$T_TMP/bin/"
BIN=$T_TMP/bin
SECRET='consumer-e2e-secret'
REPO=e2e-org/software-layer
D=$T_TMP/bot

github_start || bail "GitHub stand-in did not start"

bot_setup "$D" "$SECRET" e2e-cluster
LOG=$D/bot.log

cat >"$T_TMP/seed.json" <<EOF
{"reset": true, "users": ["alice", "mallory"],
 "collaborators": {"$REPO": {"alice": "admin"}},
 "repos": [{"full_name": "$REPO"}],
 "pulls": [{"repo": "$REPO", "number": 7, "user": "alice", "title": "Add GROMACS",
            "head": {"ref": "gromacs", "sha": "1111111111111111111111111111111111111111",
                     "repo": "alice/software-layer"},
            "base": {"ref": "main", "sha": "2222222222222222222222222222222222222222"}}],
 "comments": [{"repo": "$REPO", "issue": 7, "user": "alice", "body": "bot: help"},
              {"repo": "$REPO", "issue": 7, "user": "mallory", "body": "bot: help\nbot: frobnicate"},
              {"repo": "$REPO", "issue": 7, "user": "alice", "body": "bot: help"},
              {"repo": "$REPO", "issue": 7, "user": "alice", "body": "bot: help"},
              {"repo": "$REPO", "issue": 7, "user": "alice", "body": "bot: help"}]}
EOF
gh_seed "$T_TMP/seed.json" >/dev/null; check "stand-in seeded" test $? -eq 0
CIDS=($(gh_state | gh_py '" ".join(str(c["id"]) for c in d["comments"])'))
[ "${#CIDS[@]}" -eq 5 ] || bail "seeded comments missing: ${CIDS[*]}"

uuid() { cat /proc/sys/kernel/random/uuid; }

# comment_payload FILE COMMENT_ID BODY [LOGIN [TYPE [ISSUE_IS_PR]]]
comment_payload() {
	local pr='{"url":"https://api.github.com/repos/'$REPO'/pulls/7"}'
	[ "${6:-1}" = 1 ] || pr=null
	webhook pick issue_comment created \
		--set "/repository/full_name=\"$REPO\"" --set /issue/number=7 \
		--set "/issue/pull_request=$pr" --set "/comment/id=$2" \
		--set "/comment/body=$(printf '%s' "$3" | "$T_PYTHON" -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" \
		--set "/comment/user/login=\"${4:-alice}\"" --set "/comment/user/type=\"${5:-User}\"" \
		--set /comment/performed_via_github_app=null \
		--set "/installation={\"id\":$GH_INSTALLATION_ID}" \
		--set "/sender/login=\"${4:-alice}\"" >"$1"
}

# send EVENT BODYFILE DELIVERY: prints the status
send() {
	local out
	out=$(webhook send "$URL" "$1" "$2" --secret "$SECRET" --delivery "$3")
	printf '%s\n' "${out%%$'\n'*}"
}

# settled: nothing waiting, nothing claimed, no consumer running
settled() {
	[ -z "$(find "$D/spool/incoming" "$D/spool/claimed" -type f)" ] &&
		consumer_gone "$BIN" "$D/spool"
}
wait_handled() { wait_until 15 test -e "$D/spool/done/$1" -o -e "$D/spool/failed/$1"; }

replies_to() { # replies_to COMMENT_ID: how many bot replies carry its marker
	gh_state | gh_py "str(sum(1 for c in d['comments'] if c['body'].startswith('<!-- eessi-bot reply-to=$1 ')))"
}
reactions_on() {
	gh_state | gh_py "str(sum(1 for r in d['reactions'] if r['comment_id'] == $1 and r['content'] == 'eyes'))"
}
calls_since_reset() { gh_calls | gh_py 'str(len(d))'; }

fcgi_start "$BIN/eessi-bot-webhook" EESSI_BOT_CONFIG="$D/app.cfg" &&
	nginx_start "$FCGI_PORT" || bail "nginx + spawn-fcgi did not start"
URL=$NGINX_URL

# --- bot: help, end to end ---------------------------------------------------
gh_reset_calls
comment_payload "$T_TMP/help.json" "${CIDS[0]}" "bot: help"
ID1=$(uuid)
is "help: answered 202" "$(send issue_comment "$T_TMP/help.json" "$ID1")" 202
check "help: handled by the consumer the handler started" wait_handled "$ID1"
check "help: entry in done/" test -e "$D/spool/done/$ID1"
is "help: one reply" "$(replies_to "${CIDS[0]}")" 1
is "help: one eyes reaction on the command" "$(reactions_on "${CIDS[0]}")" 1
REPLY=$(gh_state | gh_py "[c for c in d['comments'] if c['body'].startswith('<!-- eessi-bot reply-to=${CIDS[0]} ')][0]['body']")
like "help: reply lists bot: help" "$REPLY" '\| `bot: help` \| this list \|'
like "help: reply names the instance" "$REPLY" 'instance `e2e-cluster`'
like "help: who may build" "$REPLY" '^\| `bot: build [^|]*` \| [^|]* \| the logins of both `command_permission` and `build_permission` \|$'
like "help: who may ask for the status" "$REPLY" '^\| `bot: status [^|]*` \| [^|]* \| anyone \|$'
like "help: bot: show_config listed" "$REPLY" '^\| `bot: show_config \[inst:I\]` \|'
like "help: reply mentions the asker" "$REPLY" '@alice'
CALLS=$(gh_calls)
is "help: GitHub calls: token, reaction, comment" \
	"$(printf '%s' "$CALLS" | gh_py '" ".join(c["method"] + ":" + c["path"].rsplit("/", 1)[-1] for c in d)')" \
	"POST:access_tokens POST:reactions POST:comments"
like "consumer logged the wait from answer to claim" "$(cat "$LOG")" "\[$ID1\] claimed after [0-9]+ ms"
WAIT=$(grep -o "\[$ID1\] claimed after [0-9]* ms" "$LOG" | grep -o '[0-9]* ms' | cut -d' ' -f1)
check "answer to consumer start under 1 s ($WAIT ms)" test "${WAIT:-99999}" -lt 1000
like "consumer logged the outcome" "$(cat "$LOG")" "\[$ID1\] issue_comment/created $REPO#7: 1 command\(s\), reply [0-9]+"
# the consumer lingers a few seconds for more, then says what it did
check "consumer gone once the spool stayed empty" wait_until 10 settled
like "consumer logged its GitHub calls" "$(cat "$LOG")" 'github: 3 calls \(0 retries, 1 token fetches\)'
check "token cached on disk" test -s "$D/tokens/installation-$GH_INSTALLATION_ID" -o -n "$(ls -A "$D/tokens" 2>/dev/null)"
unlike "no token in the log" "$(cat "$LOG")" 'ghs_[A-Za-z0-9]{20}'

# --- the same through Apache (mod_proxy_fcgi to the same workers) ----------
if apache_start "$FCGI_PORT"; then
	comment_payload "$T_TMP/help-apache.json" "${CIDS[4]}" "bot: help"
	IDA=$(uuid)
	is "Apache: help answered 202" "$(URL=$APACHE_URL send issue_comment "$T_TMP/help-apache.json" "$IDA")" 202
	check "Apache: handled by the consumer" wait_handled "$IDA"
	is "Apache: one reply" "$(replies_to "${CIDS[4]}")" 1
	is "Apache: one reaction" "$(reactions_on "${CIDS[4]}")" 1
else
	not_ok "Apache did not start"
fi

# --- the same delivery again: 200, nothing new -------------------------------
gh_reset_calls
is "redelivery: answered 200" "$(send issue_comment "$T_TMP/help.json" "$ID1")" 200
wait_until 5 settled
is "redelivery: no GitHub call at all" "$(calls_since_reset)" 0
is "redelivery: still one reply" "$(replies_to "${CIDS[0]}")" 1

# --- several commands, one unknown, from anyone ----------------------------
comment_payload "$T_TMP/mixed.json" "${CIDS[1]}" $'bot: help\nbot: frobnicate' mallory
ID2=$(uuid)
is "mixed: answered 202" "$(send issue_comment "$T_TMP/mixed.json" "$ID2")" 202
check "mixed: handled" wait_handled "$ID2"
MIXED=$(gh_state | gh_py "[c for c in d['comments'] if c['body'].startswith('<!-- eessi-bot reply-to=${CIDS[1]} ')][0]['body']")
like "mixed: one reply with the list" "$MIXED" '\| `bot: help` \|'
like "mixed: and the unknown command named with its line" "$MIXED" 'Line 2: unknown command `frobnicate`'

# --- never answered: the bot's own reply, another bot, a plain issue -------
wait_until 5 settled
OWN=$(gh_state | gh_py "[c for c in d['comments'] if c['body'].startswith('<!-- eessi-bot reply-to=${CIDS[0]} ')][0]['id']")
TOKEN=$(gh_token)
curl -sS -H "Authorization: token $TOKEN" -H 'Accept: application/vnd.github+json' \
	"$GH_API_URL/repos/$REPO/issues/comments/$OWN" >"$T_TMP/own-comment.json"
webhook pick issue_comment created --set "/repository/full_name=\"$REPO\"" \
	--set /issue/number=7 --set '/issue/pull_request={"url":"x"}' \
	--set "/comment=$(cat "$T_TMP/own-comment.json")" \
	--set "/installation={\"id\":$GH_INSTALLATION_ID}" >"$T_TMP/own.json"
like "own comment: the stand-in says it was made by the App" "$(cat "$T_TMP/own-comment.json")" "\"performed_via_github_app\": ?\\{"
comment_payload "$T_TMP/otherbot.json" "${CIDS[2]}" "bot: help" "dependabot[bot]" Bot
comment_payload "$T_TMP/issue.json" "${CIDS[3]}" "bot: help" alice User 0
gh_reset_calls
for f in own otherbot issue; do
	id=$(uuid)
	is "$f: answered 202" "$(send issue_comment "$T_TMP/$f.json" "$id")" 202
	check "$f: handled" wait_handled "$id"
	check "$f: done, not failed" test -e "$D/spool/done/$id"
done
wait_until 5 settled
is "bot and issue comments: no GitHub call" "$(calls_since_reset)" 0
like "own comment: logged as a bot's" "$(cat "$LOG")" 'ignored: comment by a bot \(e2e-bot\[bot\]\)|ignored: comment by a bot'
like "plain issue: logged" "$(cat "$LOG")" 'ignored: comment on an issue, not a pull request'

# --- installation, ping, unknown events --------------------------------------
webhook pick installation created >"$T_TMP/inst.json"
webhook pick ping >"$T_TMP/ping.json"
webhook pick star created >"$T_TMP/star.json"
for ev in installation:inst ping:ping star:star; do
	id=$(uuid)
	is "${ev%%:*}: answered 202" "$(send "${ev%%:*}" "$T_TMP/${ev#*:}.json" "$id")" 202
	check "${ev%%:*}: done" wait_until 15 test -e "$D/spool/done/$id"
done
like "installation event logged" "$(cat "$LOG")" 'installation/created: installation [0-9]+ created by [A-Za-z0-9-]+ \(account '
like "ping logged" "$(cat "$LOG")" 'ping( [^:]*)?: ping from GitHub, hook [0-9]+'
like "unknown event recorded as ignored" "$(cat "$LOG")" 'ignored: no handler for star/created'

# --- a failure on GitHub's side ---------------------------------------------
comment_payload "$T_TMP/gone.json" 999999999 "bot: help"
ID3=$(uuid)
is "comment unknown to GitHub: answered 202" "$(send issue_comment "$T_TMP/gone.json" "$ID3")" 202
check "unknown comment: filed under failed/" wait_until 15 test -e "$D/spool/failed/$ID3"
like "failed: the reason beside it" "$(cat "$D/spool/failed/$ID3.reason" 2>&1)" '404'
like "failed: logged as an error" "$(cat "$LOG")" "\[$ID3\] failed: .*404"

# --- the manager's iteration drains what nobody took ------------------------
wait_until 5 settled
web_stop
comment_payload "$T_TMP/late.json" "${CIDS[2]}" "bot: help" alice
ID4=$(uuid)
{ printf 'X-GitHub-Event: issue_comment\nX-GitHub-Delivery: %s\nReceived: x\n\n' "$ID4"
  cat "$T_TMP/late.json"; } >"$D/spool/incoming/$ID4"
check "manager iteration runs" "$BIN/eessi-bot-manager" -c "$D/app.cfg"
check "manager drained the spool" test -e "$D/spool/done/$ID4"
is "drained delivery: one reply" "$(replies_to "${CIDS[2]}")" 1
like "manager logged the drain" "$(cat "$D/manager.log")" 'spool: 1 handled, 0 failed'
check "a second iteration finds nothing" "$BIN/eessi-bot-manager" -c "$D/app.cfg"
is "still one reply" "$(replies_to "${CIDS[2]}")" 1

# --- replay by hand ------------------------------------------------------------
ID5=$(uuid)
comment_payload "$T_TMP/replay.json" "${CIDS[3]}" "bot: help" alice
{ printf 'Request method: POST\r\nAccept: */*\r\ncontent-type: application/json\r\n'
  printf 'User-Agent: GitHub-Hookshot/abc\r\nX-GitHub-Delivery: %s\r\n' "$ID5"
  printf 'X-GitHub-Event: issue_comment\r\nX-Hub-Signature-256: sha256=stale\r\n\r\n'
  cat "$T_TMP/replay.json"; } >"$T_TMP/recent-delivery.txt"
OUT=$("$BIN/eessi-bot-webhook" -c "$D/app.cfg" --replay "$T_TMP/recent-delivery.txt")
is "replay: accepted" "$OUT" "202 accepted"
check "replay: handled by the consumer it started" wait_handled "$ID5"
is "replay: one reply" "$(replies_to "${CIDS[3]}")" 1
OUT=$("$BIN/eessi-bot-webhook" -c "$D/app.cfg" --replay "$T_TMP/recent-delivery.txt")
is "replay again: a duplicate" "$OUT" "200 duplicate delivery, already received"
OUT=$("$BIN/eessi-bot-webhook" -c "$D/app.cfg" --replay /nonexistent 2>&1)
is "replay of a missing file: exit 1" "$?" 1
like "replay of a missing file: says so" "$OUT" '/nonexistent'

# --- a run killed between the reply and its record ----------------------------
# The entry of ID1 goes back to claimed/ with only the intent journalled, as
# if the consumer died right after asking GitHub for the reply.  While the
# request could still be on its way, a consumer leaves the entry claimed;
# later, a run finds the reply by its marker and makes no second one.
wait_until 5 settled
mv "$D/spool/done/$ID1" "$D/spool/claimed/$ID1"
printf 'reply.intent %s\n' "$(date +%s%3N)" >"$D/spool/effects/$ID1"
gh_reset_calls
check "consumer with a fresh intent runs" "$BIN/eessi-bot-manager" -c "$D/app.cfg" --consume
check "fresh intent: entry stays claimed" test -e "$D/spool/claimed/$ID1"
like "fresh intent: logged as for later" "$(cat "$LOG")" "\[$ID1\] a reply may still be on its way: looking again later"
printf 'reply.intent %s\n' "$(($(date +%s%3N) - 11000))" >"$D/spool/effects/$ID1"
gh_reset_calls
check "manager recovers the claimed entry" "$BIN/eessi-bot-manager" -c "$D/app.cfg"
check "recovered entry done" test -e "$D/spool/done/$ID1"
is "recovered: still exactly one reply" "$(replies_to "${CIDS[0]}")" 1
is "recovered: one lookup instead of a post" \
	"$(gh_calls | gh_py '" ".join(c["method"] + ":" + c["path"].rsplit("/", 1)[-1] for c in d if "access_tokens" not in c["path"])')" \
	"POST:reactions GET:comments"
like "recovery logged" "$(cat "$D/manager.log")" "left claimed by a consumer that died"
check "journal removed once done" test ! -e "$D/spool/effects/$ID1"

done_testing
