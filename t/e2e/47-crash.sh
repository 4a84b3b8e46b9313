#!/usr/bin/env bash
# 47-crash.sh - no delivery lost, none handled twice, while handler workers
# and spool consumers are killed with SIGKILL at random moments.
#
# Signed "bot: help" deliveries (one per seeded PR comment) stream through
# nginx into the real handler, whose workers run under a supervisor that
# restarts them (as a site's process manager would); a killer picks a
# random handler worker or consumer every 30-150 ms.  Afterwards one
# manager iteration runs, and every delivery that got a 2xx must have
# exactly one reply and one reaction on the GitHub stand-in; the others at
# most one.  CRASH_DELIVERIES and CRASH_RATE make the run longer (more
# kills) for a benchmark.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/web.sh"
. "$T_DIR/lib/github.sh"
. "$T_DIR/lib/bot.sh"

need nginx curl pgrep flock
for p in eessi-bot-webhook eessi-bot-manager; do
	[ -x "$BUILD/$p" ] || bail "no $BUILD/$p (make)"
done
N=${CRASH_DELIVERIES:-200}
# A sanitizer build's programs are 2-3 times slower: half the rate keeps
# as many kills per delivery.
if grep -aq '__asan_init' "$BUILD/eessi-bot-webhook"; then
	RATE=${CRASH_RATE:-6}
else
	RATE=${CRASH_RATE:-12}
fi
MIN_KILLS=50

mkdir -p "$T_TMP/bin"
cp "$BUILD/eessi-bot-webhook" "$BUILD/eessi-bot-manager" "$T_TMP/bin/"
BIN=$T_TMP/bin
REPO=crash-org/software-layer
D=$T_TMP/bot

github_start || bail "GitHub stand-in did not start"

bot_setup "$D" crash-test-secret crash-cluster

"$T_PYTHON" - "$REPO" "$N" >"$T_TMP/seed.json" <<'PY'
import json, sys
repo, n = sys.argv[1], int(sys.argv[2])
print(json.dumps({"reset": True, "users": ["alice"], "repos": [{"full_name": repo}],
    "collaborators": {repo: {"alice": "admin"}},
    "pulls": [{"repo": repo, "number": 7, "user": "alice", "title": "Add GROMACS",
               "head": {"ref": "gromacs", "sha": "1" * 40, "repo": "alice/software-layer"},
               "base": {"ref": "main", "sha": "2" * 40}}],
    "comments": [{"repo": repo, "issue": 7, "user": "alice", "body": "bot: help"}] * n}))
PY
gh_seed "$T_TMP/seed.json" >/dev/null || bail "cannot seed the stand-in"
CIDS=($(gh_state | gh_py '" ".join(str(c["id"]) for c in d["comments"])'))
is "seeded $N comments" "${#CIDS[@]}" "$N"

webhook pick issue_comment created \
	--set "/repository/full_name=\"$REPO\"" --set /issue/number=7 \
	--set '/issue/pull_request={"url":"https://api.github.com/repos/'$REPO'/pulls/7"}' \
	--set '/comment/body="bot: help"' --set '/comment/user/login="alice"' \
	--set '/comment/user/type="User"' --set /comment/performed_via_github_app=null \
	--set "/installation={\"id\":$GH_INSTALLATION_ID}" \
	--set '/sender/login="alice"' >"$T_TMP/template.json"

PORT=$(free_port)
bg_start "$T_TMP/supervisor.pid" "$T_TMP/supervisor.log" \
	"$T_PYTHON" "$T_DIR/tools/fcgi-supervisor.py" --port "$PORT" --workers 3 \
	--pids "$T_TMP/workers" -- "$BIN/eessi-bot-webhook" -c "$D/app.cfg"
wait_port "$PORT" 20 || bail "the handler workers did not start" "$(cat "$T_TMP/supervisor.log")"
nginx_start "$PORT" || bail "nginx did not start"

consumers() { pgrep -f "^$BIN/eessi-bot-manager --consume" || true; }

"$T_PYTHON" "$T_DIR/tools/stream-deliveries.py" --url "$NGINX_URL" \
	--secret-file "$D/secret" --template "$T_TMP/template.json" --rate "$RATE" \
	--out "$T_TMP/results" "${CIDS[@]}" &
STREAM=$!
at_exit "kill $STREAM"

# the killer: a random handler worker or consumer, every 30-150 ms
KILLED_H=0 KILLED_C=0
while kill -0 "$STREAM" 2>/dev/null; do
	sleep "$(printf '0.%03d' $((RANDOM % 120 + 30)))"
	if [ $((RANDOM % 2)) = 0 ]; then
		mapfile -t victims <"$T_TMP/workers"
		kind=H
	else
		mapfile -t victims < <(consumers)
		kind=C
	fi
	[ "${#victims[@]}" -gt 0 ] || continue
	if kill -KILL "${victims[RANDOM % ${#victims[@]}]}" 2>/dev/null; then
		if [ $kind = H ]; then KILLED_H=$((KILLED_H + 1)); else KILLED_C=$((KILLED_C + 1)); fi
	fi
done
wait "$STREAM"
T_STREAM_END=$(date +%s)
note "killed $KILLED_H handler workers and $KILLED_C consumers"
check "at least $MIN_KILLS kills ($((KILLED_H + KILLED_C)))" test $((KILLED_H + KILLED_C)) -ge $MIN_KILLS
check "handler workers killed ($KILLED_H)" test "$KILLED_H" -ge 10
check "consumers killed ($KILLED_C)" test "$KILLED_C" -ge 10

# whatever consumer is still at work finishes, then the cron iteration
wait_until 5 test -z "$(consumers)" ||
	ps -o pid,ppid,stat,etime,wchan:20,args -p "$(consumers | paste -sd,)" | sed 's/^/# still: /'
wait_until 60 test -z "$(consumers)"
is "no consumer left running" "$(consumers)" "" ||
	ps -o pid,ppid,stat,etime,args -p "$(consumers | paste -sd,)" | sed 's/^/# /' 
check "the consumers' lock is free" wait_until 10 consumer_gone "$BIN" "$D/spool"
START=$(date +%s)
note "consumers done $((START - T_STREAM_END)) s after the stream"
check "one manager iteration" "$BIN/eessi-bot-manager" -c "$D/app.cfg"
note "the iteration took $(($(date +%s) - START)) s"

VERDICT=$(gh_state | "$T_PYTHON" -c '
import json, os, sys
state = json.load(sys.stdin)
spool, results = sys.argv[1], sys.argv[2]
replies, reactions = {}, {}
for c in state["comments"]:
    if c["body"].startswith("<!-- eessi-bot reply-to="):
        cid = int(c["body"].split("reply-to=")[1].split()[0])
        replies[cid] = replies.get(cid, 0) + 1
for r in state["reactions"]:
    if r["content"] == "eyes":
        reactions[r["comment_id"]] = reactions.get(r["comment_id"], 0) + 1
ok2xx = other = 0
bad = []
for line in open(results):
    delivery, cid, status = line.split()
    cid = int(cid)
    if status.startswith("2"):
        ok2xx += 1
        if replies.get(cid, 0) != 1 or reactions.get(cid, 0) != 1:
            bad.append(f"{delivery} ({status}): {replies.get(cid, 0)} replies, {reactions.get(cid, 0)} reactions")
        if not os.path.exists(f"{spool}/done/{delivery}"):
            bad.append(f"{delivery} ({status}): not in done/")
    else:
        other += 1
        if replies.get(cid, 0) > 1:
            bad.append(f"{delivery} ({status}): {replies[cid]} replies")
print(ok2xx, other, len(bad))
for b in bad[:20]:
    print(b)
' "$D/spool" "$T_TMP/results")
read -r OK2XX OTHER BAD <<<"$(head -n 1 <<<"$VERDICT")"
note "$OK2XX deliveries answered 2xx, $OTHER not (a worker killed under them)"
is "every delivery answered" "$((OK2XX + OTHER))" "$N"
check "most deliveries got through ($OK2XX of $N)" test "$OK2XX" -ge $((N / 2))
is "every 2xx delivery handled exactly once, the rest at most once" "$BAD" 0 ||
	tail -n +2 <<<"$VERDICT" | sed 's/^/# /'
is "nothing failed" "$(find "$D/spool/failed" -type f | wc -l)" 0
is "nothing left waiting or claimed" "$(find "$D/spool/incoming" "$D/spool/claimed" -name '*-*-*-*-*' ! -name '*.tmp.*' -type f | wc -l)" 0
RECOVERED=$(grep -c 'left claimed by a consumer that died' "$D/bot.log" "$D/manager.log" | awk -F: '{s += $2} END {print s}')
note "entries recovered from dead consumers: $RECOVERED"
check "crash recovery was exercised ($RECOVERED)" test "$RECOVERED" -gt 0

done_testing
