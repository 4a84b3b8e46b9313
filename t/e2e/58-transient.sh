#!/usr/bin/env bash
# 58-transient.sh - transient failures, end to end on real Slurm through
# nginx: requests made while Slurm's controller is stopped for 3 minutes
# and while the GitHub stand-in answers 502 for 3 minutes are tried again
# with a growing delay (event_handler.retry_delay, retry_tries) and complete
# once both are back, each exactly once: one status comment, one reaction,
# one job per target.  A second instance whose tries run out fails the
# delivery for good and tells the PR once; a malformed entry fails at once,
# never tried again.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/slurm.sh"
. "$T_DIR/lib/web.sh"
. "$T_DIR/lib/github.sh"
. "$T_DIR/lib/gitrepo.sh"
. "$T_DIR/lib/bot.sh"

need spawn-fcgi nginx curl git flock sbatch squeue scontrol
for p in eessi-bot-webhook eessi-bot-manager; do
	[ -x "$BUILD/$p" ] || bail "no $BUILD/$p (make)"
done
mkdir -p "$T_TMP/bin"
cp "$BUILD/eessi-bot-webhook" "$BUILD/eessi-bot-manager" "$T_TMP/bin/"
BIN=$T_TMP/bin
SECRET='transient-e2e-secret'
REPO=e2e-org/software-layer
D=$T_TMP/bot
OUTAGE=${T_OUTAGE:-180} # seconds: each fault lasts 3 minutes (T_OUTAGE: shorter, while working)
GH_AT=$((OUTAGE / 3))   # GitHub fails from a minute in

slurm_start || bail "Slurm did not start"
github_start || bail "GitHub stand-in did not start"
gitrepo_make software-layer 7 || bail "no test repository"
PR7_HEAD=$GITREPO_PR_HEAD_SHA
mkdir -p "$T_TMP/remote/e2e-org"
ln -s "$GITREPO" "$T_TMP/remote/e2e-org/software-layer.git"

# instance_cfg DIR NAME TRIES DELAY: an instance building two targets
instance_cfg() {
	mkdir -p "$1/spool"
	printf '%s\n' "$SECRET" >"$1/secret"
	chmod 0600 "$1/secret"
	touch "$1/bot.log"
	cat >"$1/app.cfg" <<EOF
github = {
  app_id = $GH_APP_ID;
  app_name = "$2";
  installation_id = $GH_INSTALLATION_ID;
  private_key = "$GH_APP_KEY";
  api_url = "$GH_API_URL";
  webhook_secret_file = "$1/secret";
  token_cache_dir = "$1/tokens";
  git_url = "file://$T_TMP/remote";
};
bot_control = { command_permission = [ "alice" ]; };
buildenv = {
  build_job_script = "$TOP/scripts/bot-build.slurm";
  submit_command = "$T_SLURM_BIN/sbatch";
  slurm_params = [ "--hold" ];
  jobs_base_dir = "$1/jobs";
  build_permission = [ "alice" ];
};
architecturetargets = {
  arch_target_map = (
    { target = "linux/x86_64/generic"; },
    { target = "linux/x86_64/amd/zen2"; }
  );
};
event_handler = {
  spool_dir = "$1/spool";
  log_file = "$1/bot.log";
  retry_tries = $3;
  retry_delay = $4;
};
job_manager = {
  job_ids_dir = "$1/jobs/ids";
  poll_command = "$T_SLURM_BIN/squeue";
  log_file = "$1/manager.log";
};
EOF
}
instance_cfg "$D" e2e-cluster 8 10
"$BIN/eessi-bot-manager" --check-config -c "$D/app.cfg" >"$T_TMP/check.out" 2>&1
check "the configuration with retry_tries and retry_delay passes --check-config" test $? -eq 0

gitrepo_seed_json software-layer "$REPO" alice >"$T_TMP/repo-seed.json"
"$T_PYTHON" - "$T_TMP/repo-seed.json" "$REPO" >"$T_TMP/seed.json" <<'PY'
import json, sys
seed = json.load(open(sys.argv[1])); repo = sys.argv[2]
seed["reset"] = True
seed["users"] = ["alice"]
seed["collaborators"] = {repo: {"alice": "admin"}}
seed["comments"] = [{"repo": repo, "issue": 7, "user": "alice", "body": "bot: build"}] * 3
print(json.dumps(seed))
PY
gh_seed "$T_TMP/seed.json" >/dev/null || bail "stand-in not seeded"
CIDS=($(gh_state | gh_py '" ".join(str(c["id"]) for c in d["comments"])'))
[ "${#CIDS[@]}" -eq 3 ] || bail "seeded comments missing: ${CIDS[*]}"

uuid() { cat /proc/sys/kernel/random/uuid; }
comment_payload() { # comment_payload FILE COMMENT_ID BODY
	webhook pick issue_comment created \
		--set "/repository/full_name=\"$REPO\"" --set "/issue/number=7" \
		--set "/issue/pull_request={\"url\":\"https://api.github.com/repos/$REPO/pulls/7\"}" \
		--set '/issue/state="open"' \
		--set "/comment/id=$2" --set "/comment/body=\"$3\"" \
		--set '/comment/user/login="alice"' --set '/comment/user/type="User"' \
		--set /comment/performed_via_github_app=null \
		--set "/installation={\"id\":$GH_INSTALLATION_ID}" \
		--set '/sender/login="alice"' >"$1"
}
send() { # send FILE DELIVERY: the HTTP status
	local out
	out=$(webhook send "$URL" issue_comment "$1" --secret "$SECRET" --delivery "$2")
	printf '%s\n' "${out%%$'\n'*}"
}
jobs_of() { # Slurm's jobs of one delivery, one id per line
	squeue -h -t all -o '%i|%k' 2>/dev/null | awk -F'|' -v d=":$1:" 'index($2, d) { print $1 }'
}
njobs_of() { jobs_of "$1" | grep -c . ; }
count_comments() { # count_comments PREFIX
	gh_state | gh_py "str(sum(1 for c in d['comments'] if c['body'].startswith('$1')))"
}
status_comments() { count_comments "<!-- eessi-bot status instance=e2e-cluster delivery=$1 "; }
reactions_on() {
	gh_state | gh_py "str(sum(1 for r in d['reactions'] if r['comment_id'] == $1))"
}
tries_of() { # tries_of SPOOL DELIVERY: retry.tries in its journal (0: none)
	local v
	v=$(sed -n 's/^retry\.tries[ =\t]*//p' "$1/effects/$2" 2>/dev/null | tail -n 1)
	echo "${v:-0}"
}
tried() { [ "$(tries_of "$1" "$2")" -ge "${3:-1}" ]; }
both_done() { test -e "$D/spool/done/$D1" -a -e "$D/spool/done/$D2"; }
iteration() { "$BIN/eessi-bot-manager" -c "$D/app.cfg" >>"$T_TMP/iter.out" 2>&1; }

fcgi_start "$BIN/eessi-bot-webhook" EESSI_BOT_CONFIG="$D/app.cfg" \
	SLURM_CONF="$SLURM_CONF" &&
	nginx_start "$FCGI_PORT" || bail "nginx + spawn-fcgi did not start"
URL=$NGINX_URL

# --- Slurm's controller stopped: a build request waits for it ---------------
T0=$(date +%s)
slurm_ctld_stop
note "slurmctld stopped at +0 s"
comment_payload "$T_TMP/c1.json" "${CIDS[0]}" 'bot: build'
D1=$(uuid)
is "controller away: answered 202" "$(send "$T_TMP/c1.json" "$D1")" 202
check "controller away: the request is back in the queue (retry.tries 1)" \
	wait_until 200 tried "$D/spool" "$D1"
note "first try of D1 over at +$(($(date +%s) - T0)) s"
check "controller away: the entry stays claimed" test -e "$D/spool/claimed/$D1"
check "controller away: not failed" test ! -e "$D/spool/failed/$D1"
like "controller away: the log says it is transient" "$(cat "$D/bot.log")" \
	"transient failure: .*(Unable to contact slurm controller|timed out)"
like "controller away: and when it tries again" "$(cat "$D/bot.log")" \
	'tried 1 time; trying again in 10 s \(8 more at most\)'
is "controller away: one status comment so far" "$(status_comments "$D1")" 1

# --- GitHub answering 502 for 3 minutes, from a minute in -------------------------
sleep $((T0 + GH_AT - $(date +%s) > 0 ? T0 + GH_AT - $(date +%s) : 0))
gh_fail "{\"path\":\"^/(repos|app)/\",\"status\":502,\"seconds\":$OUTAGE}"
TG=$(date +%s)
note "GitHub answers 502 from +$((TG - T0)) s"
comment_payload "$T_TMP/c2.json" "${CIDS[1]}" 'bot: build arch:zen2'
D2=$(uuid)
is "GitHub away: answered 202 (the handler needs no GitHub)" "$(send "$T_TMP/c2.json" "$D2")" 202
check "GitHub away: the request is back in the queue" wait_until 120 tried "$D/spool" "$D2"
like "GitHub away: the log names GitHub's answer" "$(cat "$D/bot.log")" \
	'transient failure: .*502 Bad Gateway'
is "GitHub away: no reaction yet" "$(reactions_on "${CIDS[1]}")" 0

# --- cron every 20 s meanwhile; the controller back after 3 minutes -------------
back=0 TRIES1=0 TRIES2=0
deadline=$((T0 + 900))
while [ "$(date +%s)" -lt "$deadline" ] && ! both_done; do
	if [ "$back" = 0 ] && [ "$(date +%s)" -ge $((T0 + OUTAGE)) ]; then
		slurm_ctld_start || bail "slurmctld did not come back"
		back=1
		note "slurmctld back at +$(($(date +%s) - T0)) s"
	fi
	iteration
	n=$(tries_of "$D/spool" "$D1") && [ "$n" -gt "$TRIES1" ] && TRIES1=$n
	n=$(tries_of "$D/spool" "$D2") && [ "$n" -gt "$TRIES2" ] && TRIES2=$n
	sleep 20
done
[ "$back" = 1 ] || slurm_ctld_start
note "both requests done at +$(($(date +%s) - T0)) s (GitHub back at +$((TG + OUTAGE - T0)) s)"
check "after recovery: the build during the controller's outage is done" test -e "$D/spool/done/$D1"
check "after recovery: the build during GitHub's outage is done" test -e "$D/spool/done/$D2"
check "after recovery: nothing failed" test -z "$(ls "$D/spool/failed")"
note "failed tries seen: D1 $TRIES1, D2 $TRIES2 (the journals go once done)"
check "after recovery: D1 failed several tries before it went through" \
	test "$TRIES1" -ge $((OUTAGE >= 60 ? 2 : 1))
check "after recovery: D2 as well" test "$TRIES2" -ge 1
like "after recovery: the manager took them up again" "$(cat "$D/manager.log" "$D/bot.log")" \
	'its time has come, looking again'
is "exactly once: D1 one job per target" "$(njobs_of "$D1")" 2
is "exactly once: D2 one job (arch:zen2)" "$(njobs_of "$D2")" 1
is "exactly once: D1 one status comment" "$(status_comments "$D1")" 1
is "exactly once: D2 one status comment" "$(status_comments "$D2")" 1
is "exactly once: one reaction on each request" \
	"$(reactions_on "${CIDS[0]}") $(reactions_on "${CIDS[1]}")" "1 1"
is "exactly once: no give-up reply" "$(count_comments '<!-- eessi-bot gave-up=')" 0
# the manager follows the jobs: released, the comment edited
for i in 1 2 3; do iteration; done
check "the manager released the jobs" wait_until 60 sh -c \
	"! squeue -h -t PD -o '%r' | grep -q JobHeldUser"
like "the status comment shows the jobs" \
	"$(gh_state | gh_py "[c['body'] for c in d['comments'] if c['body'].startswith('<!-- eessi-bot status instance=e2e-cluster delivery=$D1 ')][0]")" \
	"$(jobs_of "$D1" | head -n 1)"

# --- tries used up: failed for good, the PR told once --------------------------------
B=$T_TMP/giveup
instance_cfg "$B" e2e-giveup 1 1
mkdir -p "$B"/spool/{incoming,claimed,done,failed,effects} # as the handler makes them
D3=$(uuid)
comment_payload "$T_TMP/c3.json" "${CIDS[2]}" 'bot: build'
gh_fail '{"path":"/pulls/7$","method":"GET","status":503,"seconds":600}'
{ printf 'X-GitHub-Event: issue_comment\nX-GitHub-Delivery: %s\n\n' "$D3"; cat "$T_TMP/c3.json"; } \
	>"$B/spool/incoming/$D3"
"$BIN/eessi-bot-manager" -c "$B/app.cfg" --consume >>"$T_TMP/giveup.out" 2>&1
is "tries used up: first try left for later" "$(tries_of "$B/spool" "$D3")" 1
sleep 2
"$BIN/eessi-bot-manager" -c "$B/app.cfg" >>"$T_TMP/giveup.out" 2>&1
check "tries used up: failed for good" test -e "$B/spool/failed/$D3"
like "tries used up: the reason says so" "$(cat "$B/spool/failed/$D3.reason")" \
	'gave up after 2 tries: .*503'
GU="<!-- eessi-bot gave-up=$D3 instance=e2e-giveup -->"
is "tries used up: one reply in the PR" "$(count_comments "$GU")" 1
like "tries used up: it says what happened" \
	"$(gh_state | gh_py "[c['body'] for c in d['comments'] if c['body'].startswith('$GU')][0]")" \
	'could not finish handling this comment: .*stayed out of reach through 2 tries'
"$BIN/eessi-bot-manager" -c "$B/app.cfg" >>"$T_TMP/giveup.out" 2>&1
is "tries used up: another run changes nothing" "$(count_comments "$GU")" 1
is "tries used up: no job" "$(njobs_of "$D3")" 0

# --- a malformed entry: failed at once, never tried again ---------------------------
D4=$(uuid)
printf 'X-GitHub-Event: issue_comment\nX-GitHub-Delivery: %s\n\n{"action":' "$D4" \
	>"$B/spool/incoming/$D4"
"$BIN/eessi-bot-manager" -c "$B/app.cfg" --consume >>"$T_TMP/giveup.out" 2>&1
check "malformed: failed at once" test -e "$B/spool/failed/$D4"
is "malformed: not tried again" "$(tries_of "$B/spool" "$D4")" 0

done_testing
