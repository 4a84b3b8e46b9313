#!/usr/bin/env bash
# 55-manager.sh - the manager (eessi-bot-manager -c app.cfg: one iteration)
# end to end on real Slurm, after real builds through nginx, the handler and
# the consumer, the GitHub stand-in behind prism and a local git remote.
# The pull requests' own bot/ scripts (t/data/manager/) decide each target's
# outcome.
#
# Slurm's commands run through logging wrappers, GitHub through a relay that
# can hold answers back (t/data/manager/slow-relay.py).
#
# Cluster A (no accounting, finished jobs stay in squeue):
#   1. PR 20, five targets: success (result file), failure (no result file:
#      judged from the output, excerpt with the ERROR line), a 1-minute time
#      limit that runs out, one cancelled while running, and a second success;
#      held rows first, released by the first iteration, "running", then each
#      row's result and Slurm end state; records to finished/ with
#      moved, row finished; one status comment; an idle iteration costs
#      one squeue and no GitHub call;
#   4. PR 21 built while PR 20's timeout runs: the manager killed -9 at a
#      random point of an iteration (0-300 ms), 20 times, with Slurm and
#      GitHub's answers slowed down (kills land after an edit, before its
#      save); then clean iterations: the right final rows, none twice, one
#      status comment, every record in finished/ once, nothing broken; and
#      a record put back in submitted/ under a row already over just moves
#      (no GitHub call);
#   5. buildenv.job_handover_protocol = "delayed_begin": the job waits for
#      its begin time (BeginTime), no scontrol call, runs and is reported.
# Cluster B (accounting, MinJobAge 2: finished jobs leave squeue at once):
#   2. end states from sacct (COMPLETED, FAILED, CANCELLED; one sacct call);
#   3. a job Slurm no longer knows (submitted on cluster A, whose state is
#      gone) becomes "lost" after lost_after; a finished job whose job
#      directory was removed is UNKNOWN, "the job directory is gone"; a
#      garbage record goes to broken/ with a reason while the other jobs are
#      handled in the same iteration.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/slurm.sh"
. "$T_DIR/lib/web.sh"
. "$T_DIR/lib/github.sh"
. "$T_DIR/lib/gitrepo.sh"
. "$T_DIR/lib/bot.sh"

need spawn-fcgi nginx curl git flock sbatch squeue scontrol scancel sacct
for p in eessi-bot-webhook eessi-bot-manager; do
	[ -x "$BUILD/$p" ] || bail "no $BUILD/$p (make)"
done
T_START=$(date +%s)
mkdir -p "$T_TMP/bin"
cp "$BUILD/eessi-bot-webhook" "$BUILD/eessi-bot-manager" "$T_TMP/bin/"
BIN=$T_TMP/bin
FIX=$T_DIR/data/manager
SECRET='manager-e2e-secret'
REPO=e2e-org/software-layer
D=$T_TMP/bot
IDS=$D/jobs/ids
MLOG=$D/manager.log
R23=eessi.io-2023.06-software
R25=eessi.io-2025.06-software
GENERIC=linux/x86_64/generic
ZEN2=linux/x86_64/amd/zen2
HASWELL=linux/x86_64/intel/haswell
NEOV1=linux/aarch64/neoverse_v1

elapsed() { echo $(($(date +%s) - T_START)); }

# --- cluster A, GitHub, the repository ------------------------------------------
slurm_start --cpus=16 || bail "Slurm did not start"
github_start || bail "GitHub stand-in did not start"
# the bot reaches GitHub through a relay that, while $T_TMP/slow-github
# exists, holds each answer back 0.15 s (the call has taken effect by then)
RELAY_PORT=$(free_port)
bg_start "$T_TMP/relay.pid" "$T_TMP/relay.log" "$T_PYTHON" "$T_DIR/data/manager/slow-relay.py" \
	"$RELAY_PORT" "${GH_API_URL##*:}" "$T_TMP/slow-github" 0.15
wait_port "$RELAY_PORT" 10 || bail "the relay did not start" "$(cat "$T_TMP/relay.log")"
gitrepo_make software-layer 7 || bail "no test repository"

# add_pr N PLAN: a PR from main whose bot/ scripts are the fixtures, with
# t/data/manager/PLAN as bot/e2e-plan; sets PR_HEAD
add_pr() {
	_git "$GITREPO_WORK" checkout -q -b "pr-$1" main &&
		cp "$FIX/build.sh" "$FIX/check-build.sh" "$FIX/test.sh" "$GITREPO_WORK/bot/" &&
		cp "$FIX/$2" "$GITREPO_WORK/bot/e2e-plan" &&
		_gitrepo_commit "$GITREPO_WORK" "2024-01-1${1#2}T00:00:00Z" "Build scripts for the manager test ($2)" &&
		PR_HEAD=$(_git "$GITREPO_WORK" rev-parse HEAD) &&
		_git "$GITREPO_WORK" push -q "$GITREPO" "$PR_HEAD:refs/pull/$1/head" &&
		_git "$GITREPO_WORK" checkout -q main
}
add_pr 20 plan-pr20 || bail "no PR 20"
PR20_HEAD=$PR_HEAD
add_pr 21 plan-pr21 || bail "no PR 21"
PR21_HEAD=$PR_HEAD
_gitrepo_merge_refs "$GITREPO_WORK" "$GITREPO" || bail "no merge refs"
mkdir -p "$T_TMP/remote/e2e-org"
ln -s "$GITREPO" "$T_TMP/remote/e2e-org/software-layer.git"

mkdir -p "$T_TMP/repos/$R23" "$T_TMP/repos/$R25"
cat >"$T_TMP/repos/repos.cfg" <<EOF
[$R23]
repo_name = software.eessi.io
repo_version = 2023.06
container = docker://ghcr.io/eessi/build-node:debian12

[$R25]
repo_name = software.eessi.io
repo_version = 2025.06
container = docker://ghcr.io/eessi/build-node:debian12
EOF

# Slurm's commands behind wrappers that log each call (and, with
# $T_TMP/slow, take a little longer: the kill -9 rounds then land inside
# the iteration more often)
for c in squeue scontrol sacct; do
	cat >"$T_TMP/$c" <<EOF
#!/bin/sh
echo "\$\$ \$*" >>"$T_TMP/$c.calls"
[ -e "$T_TMP/slow" ] && sleep 0.03
exec "$T_SLURM_BIN/$c" "\$@"
EOF
	chmod 0755 "$T_TMP/$c"
	: >"$T_TMP/$c.calls"
done
ncalls() { wc -l <"$T_TMP/$1.calls"; }

mkdir -p "$D/spool"
printf '%s\n' "$SECRET" >"$D/secret"
chmod 0600 "$D/secret"
touch "$D/bot.log" "$MLOG"

# write_cfg [hold_release|delayed_begin] [sacct]: app.cfg for what comes next
write_cfg() {
	local handover=${1:-hold_release} params='"--hold", "--nice=7"' sacct=""
	[ "$handover" = delayed_begin ] && params='"--nice=7"'
	[ "${2:-}" = sacct ] && sacct="sacct_command = \"$T_TMP/sacct\";"
	cat >"$D/app.cfg.new" <<EOF
github = {
  app_id = $GH_APP_ID;
  app_name = "e2e-cluster";
  installation_id = $GH_INSTALLATION_ID;
  private_key = "$GH_APP_KEY";
  api_url = "http://127.0.0.1:$RELAY_PORT";
  webhook_secret_file = "$D/secret";
  token_cache_dir = "$D/tokens";
  git_url = "file://$T_TMP/remote";
};
bot_control = { command_permission = [ "alice" ]; };
buildenv = {
  build_job_script = "$TOP/scripts/bot-build.slurm";
  submit_command = "$T_SLURM_BIN/sbatch";
  slurm_params = [ $params ];
  job_handover_protocol = "$handover";
  job_delay_begin_factor = 2;
  jobs_base_dir = "$D/jobs";
  local_tmp = "$T_TMP/node-tmp/\$USER";
  build_permission = [ "alice" ];
};
architecturetargets = {
  arch_target_map = (
    { target = "$GENERIC"; sbatch = [ "--time=5" ]; },
    { target = "$ZEN2"; sbatch = [ "--time=5" ]; },
    { target = "$HASWELL"; sbatch = [ "--time=1" ]; },
    { target = "$NEOV1"; sbatch = [ "--time=15" ]; }
  );
};
repo_targets = {
  repos_cfg_dir = "$T_TMP/repos";
  repo_target_map = (
    { target = "$GENERIC"; repos = [ "$R23", "$R25" ]; },
    { target = "$ZEN2"; repos = [ "$R23" ]; },
    { target = "$HASWELL"; repos = [ "$R23" ]; },
    { target = "$NEOV1"; repos = [ "$R23" ]; }
  );
};
event_handler = { spool_dir = "$D/spool"; log_file = "$D/bot.log"; };
job_manager = {
  job_ids_dir = "$IDS";
  poll_command = "$T_TMP/squeue";
  scontrol_command = "$T_TMP/scontrol";
  $sacct
  poll_interval = 5;
  pending_reason_after = 300;
  lost_after = 3;
  log_file = "$MLOG";
};
EOF
	mv "$D/app.cfg.new" "$D/app.cfg"
}
write_cfg
"$BIN/eessi-bot-manager" --check-config -c "$D/app.cfg" >"$T_TMP/check.out" 2>&1
check "the configuration passes --check-config" test $? -eq 0 ||
	bail "app.cfg refused" "$(cat "$T_TMP/check.out")"

gitrepo_seed_json software-layer "$REPO" alice >"$T_TMP/repo-seed.json"
"$T_PYTHON" - "$T_TMP/repo-seed.json" "$REPO" >"$T_TMP/seed.json" <<'PY'
import json, sys
seed = json.load(open(sys.argv[1])); repo = sys.argv[2]
seed["reset"] = True
seed["users"] = ["alice"]
seed["collaborators"] = {repo: {"alice": "admin"}}
seed["comments"] = [{"repo": repo, "issue": n, "user": "alice", "body": "bot: build"}
                    for n in (21, 20, 20, 21)]
print(json.dumps(seed))
PY
gh_seed "$T_TMP/seed.json" >/dev/null || bail "stand-in not seeded"
read -r -a CIDS <<<"$(gh_state | gh_py '" ".join(str(c["id"]) for c in d["comments"])')"
[ "${#CIDS[@]}" -eq 4 ] || bail "seeded comments missing: ${CIDS[*]}"

fcgi_start "$BIN/eessi-bot-webhook" EESSI_BOT_CONFIG="$D/app.cfg" SLURM_CONF="$SLURM_CONF" &&
	nginx_start "$FCGI_PORT" || bail "nginx + spawn-fcgi did not start"
URL=$NGINX_URL
note "servers up after $(elapsed) s"

# --- helpers ---------------------------------------------------------------
uuid() { cat /proc/sys/kernel/random/uuid; }
json_str() { printf '%s' "$1" | "$T_PYTHON" -c 'import json,sys; print(json.dumps(sys.stdin.read()))'; }
label_payload() { # label_payload FILE PR HEAD
	webhook pick pull_request labeled \
		--set "/repository/full_name=\"$REPO\"" --set "/number=$2" \
		--set "/pull_request/number=$2" --set "/pull_request/head/sha=\"$3\"" \
		--set '/pull_request/base/ref="main"' --set '/label/name="bot:build"' \
		--set "/installation={\"id\":$GH_INSTALLATION_ID}" \
		--set '/sender/login="alice"' --set '/sender/type="User"' >"$1"
}
comment_payload() { # comment_payload FILE COMMENT_ID PR BODY
	webhook pick issue_comment created \
		--set "/repository/full_name=\"$REPO\"" --set "/issue/number=$3" \
		--set "/issue/pull_request={\"url\":\"https://api.github.com/repos/$REPO/pulls/$3\"}" \
		--set "/comment/id=$2" --set "/comment/body=$(json_str "$4")" \
		--set '/comment/user/login="alice"' --set '/comment/user/type="User"' \
		--set /comment/performed_via_github_app=null \
		--set "/installation={\"id\":$GH_INSTALLATION_ID}" \
		--set '/sender/login="alice"' >"$1"
}
send() { # send EVENT FILE DELIVERY: the HTTP status
	local out
	out=$(webhook send "$URL" "$1" "$2" --secret "$SECRET" --delivery "$3")
	printf '%s\n' "${out%%$'\n'*}"
}
settled() {
	[ -z "$(find "$D/spool/incoming" "$D/spool/claimed" -type f 2>/dev/null)" ] &&
		consumer_gone "$BIN" "$D/spool"
}
handled() { test -e "$D/spool/done/$1" -o -e "$D/spool/failed/$1"; }

# build VAR LABEL EVENT FILE: sends a delivery, waits until it is handled;
# sets the variable VAR to the delivery id
build() {
	local dl
	dl=$(uuid)
	printf -v "$1" '%s' "$dl"
	is "$2: the webhook is answered 202" "$(send "$3" "$4" "$dl")" 202
	check "$2: the delivery is handled" wait_until 90 handled "$dl"
	check "$2: done, not failed" test -e "$D/spool/done/$dl"
	wait_until 15 settled
}

status_comments() {
	gh_state | gh_py "str(sum(1 for c in d['comments'] if c['body'].startswith('<!-- eessi-bot status instance=e2e-cluster delivery=$1 ')))"
}
status_body() {
	gh_state | gh_py "([c['body'] for c in d['comments'] if c['body'].startswith('<!-- eessi-bot status instance=e2e-cluster delivery=$1 ')] + [''])[0]"
}
# table_rows BODY: the table's rows that name a job
table_rows() { printf '%s\n' "$1" | grep -E '^\| [^|]+ \| [0-9]+ \| '; }
# row_ids BODY: the job ids of the table's rows, sorted, one line
row_ids() { table_rows "$1" | awk -F' \\| ' '{ print $2 }' | sort -n | tr '\n' ' '; }
sorted() { printf '%s\n' "$@" | sort -n | tr '\n' ' '; }
# row BODY ID: the row of job ID
row() { printf '%s\n' "$1" | grep -E "^\| [^|]+ \| $2 \| " | head -n 1; }
# cell BODY ID: the state shown in job ID's row (its note, after <br>, left out)
cell() { row "$1" "$2" | awk -F' \\| ' '{ sub(/<br>.*/, "", $3); print $3 }'; }
# details BODY ID: the <details> block of job ID, from <details> to </details>
details() {
	printf '%s\n' "$1" | awk -v id="job $2:" '
		/<details>/ && index($0, id) { on = 1 }
		on { print }
		on && /<\/details>/ { exit }'
}
gh_ncalls() { gh_calls | gh_py 'str(len(d))'; }

# rec_get FILE KEY: a record's value
rec_get() { awk -F' *= *' -v k="$2" '$1 == k { print $2; exit }' "$1"; }
# rec_state ID...: for each job, its record must be in finished/ (moved as
# the build wrote it: manager.h, step 8) and its last state is its row's in
# the comment's document comments/<pr_comment_id>.json; one line
rec_state() {
	local id cid
	for id in "$@"; do
		if [ ! -f "$IDS/finished/$id" ] || [ -e "$IDS/submitted/$id" ]; then
			echo "not-moved"
			continue
		fi
		cid=$(rec_get "$IDS/finished/$id" pr_comment_id)
		python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(([r["state"] for r in d["rows"] if r["job_id"] == int(sys.argv[2])] + ["no-row"])[0])' \
			"$IDS/comments/$cid.json" "$id" 2>&1
	done | tr '\n' ' ' | sed 's/ $//'
}
# job_for DELIVERY TARGET REPO_ID: the job id of that row, from the records
job_for() {
	local f
	for f in "$IDS"/submitted/* "$IDS"/finished/*; do
		[ -f "$f" ] || continue
		[ "$(rec_get "$f" delivery)" = "$1" ] && [ "$(rec_get "$f" target)" = "$2" ] &&
			[ "$(rec_get "$f" repo_id)" = "$3" ] && { basename "$f"; return 0; }
	done
	return 1
}
ids_of() { # ids_of DELIVERY: the job ids of its records, submitted or finished
	local f
	for f in "$IDS"/submitted/* "$IDS"/finished/*; do
		[ -f "$f" ] && [ "$(rec_get "$f" delivery)" = "$1" ] && basename "$f"
	done | sort -n
}
# squeue_of ID...: "ID STATE REASON" lines
squeue_of() {
	local ids
	ids=$(printf '%s,' "$@")
	squeue -h -t all -j "${ids%,}" -o '%i %T %r' 2>/dev/null | sort -n
}
all_finished() { # all_finished ID...: every record in finished/, none submitted
	local id
	for id in "$@"; do
		[ -f "$IDS/finished/$id" ] && [ ! -e "$IDS/submitted/$id" ] || return 1
	done
}
slurm_ended() { # slurm_ended ID: squeue shows it in a terminal state
	case $(slurm_state "$1") in
	COMPLETED | FAILED | TIMEOUT | CANCELLED | OUT_OF_MEMORY | NODE_FAIL) return 0 ;;
	esac
	return 1
}

# iterate [ARGS...]: one manager iteration (-c ${CFG:-$D/app.cfg} ARGS);
# ITER_RC its status, ITER_LINE the stats line it logged ("" when none)
ITER_N=0
iterate() {
	local before
	before=$(grep -c 'iteration: ' "$MLOG")
	ITER_N=$((ITER_N + 1))
	"$BIN/eessi-bot-manager" -c "${CFG:-$D/app.cfg}" "$@" >>"$T_TMP/iter.out" 2>&1
	ITER_RC=$?
	ITER_LINE=$(grep 'iteration: ' "$MLOG" | tail -n +"$((before + 1))" | tail -n 1)
	printf '%s rc=%s %s\n' "$ITER_N" "$ITER_RC" "$ITER_LINE" >>"$T_TMP/iterations"
}
# stat WORDS: the number before WORDS in the last stats line ("released",
# "github calls", ...)
stat() { printf '%s\n' "$ITER_LINE" | grep -oE "[0-9]+ $1" | head -n 1 | cut -d' ' -f1; }
# passed DESC RC: a pass when RC is 0 (for what must run in this shell,
# not in check's $(...): iterate keeps its counters here)
passed() {
	if [ "$2" -eq 0 ]; then ok "$1"; else not_ok "$1" "last iteration: rc=$ITER_RC $ITER_LINE"; fi
}
# iterate_until SECONDS CMD...: iterations 2 s apart until CMD succeeds
iterate_until() {
	local limit=$1 t0
	shift
	t0=$(date +%s)
	while [ $(($(date +%s) - t0)) -lt "$limit" ]; do
		iterate
		"$@" >/dev/null 2>&1 && return 0
		sleep 2
	done
	return 1
}

# --- 1. PR 20: one outcome per target --------------------------------------------
label_payload "$T_TMP/l20.json" 20 "$PR20_HEAD"
build D1 "pr20: bot:build label" pull_request "$T_TMP/l20.json"
A_OK=$(job_for "$D1" "$GENERIC" "$R23")
A_OK2=$(job_for "$D1" "$GENERIC" "$R25")
A_FAIL=$(job_for "$D1" "$ZEN2" "$R23")
A_TIME=$(job_for "$D1" "$HASWELL" "$R23")
A_CANC=$(job_for "$D1" "$NEOV1" "$R23")
A_ALL=("$A_OK" "$A_OK2" "$A_FAIL" "$A_TIME" "$A_CANC")
is "pr20: five jobs, one per target" "${#A_ALL[@]}" 5 || bail "no jobs for PR 20" "$(ls "$IDS/submitted")"
is "pr20: all held in Slurm" "$(squeue_of "${A_ALL[@]}" | awk '{ print $2, $3 }' | sort -u)" "PENDING JobHeldUser"
B=$(status_body "$D1")
is "pr20: one status comment" "$(status_comments "$D1")" 1
is "pr20: five rows, all held" "$(table_rows "$B" | grep -c '| held')" 5

iterate
is "pr20 iteration 1: exit 0" "$ITER_RC" 0
like "pr20 iteration 1: a stats line" "$ITER_LINE" 'iteration: [0-9]+ jobs, [0-9]+ released, [0-9]+ rows changed, [0-9]+ finished, [0-9]+ lost, [0-9]+ broken; [0-9]+ comments edited; [0-9]+ job directories to the trash, [0-9]+ old entries removed; [0-9]+ squeue, [0-9]+ sacct, [0-9]+ scontrol, [0-9]+ github calls; [0-9]+ ms'
is "pr20 iteration 1: 5 jobs followed" "$(stat jobs)" 5
is "pr20 iteration 1: 5 released" "$(stat released)" 5
is "pr20 iteration 1: one squeue, one scontrol" "$(stat squeue) $(stat scontrol)" "1 1"
is "pr20 iteration 1: no sacct without sacct_command" "$(stat sacct)" 0
is "pr20 iteration 1: one comment edited" "$(stat 'comments edited')" 1
is "pr20 iteration 1: the wrappers saw one squeue and one scontrol" \
	"$(ncalls squeue) $(ncalls scontrol)" "1 1"
unlike "pr20 iteration 1: Slurm holds none of them any more" "$(squeue_of "${A_ALL[@]}")" 'JobHeldUser'
B=$(status_body "$D1")
for id in "${A_ALL[@]}"; do
	like "pr20 iteration 1: job $id released or running" "$(cell "$B" "$id")" '^(released|running)'
done
is "pr20 iteration 1: still one status comment" "$(status_comments "$D1")" 1

# running: the job that is cancelled, once it runs
check "pr20: the job to cancel runs" slurm_wait_state "$A_CANC" RUNNING 30
seen_running=0
row_running() { [ "$(cell "$(status_body "$D1")" "$A_CANC")" = running ] || [ "$(cell "$(status_body "$D1")" "$A_TIME")" = running ]; }
iterate_until 20 row_running && seen_running=1 # in this shell
is "pr20: a row shows running" "$seen_running" 1
like "pr20: 'running' shows since when" "$(row "$(status_body "$D1")" "$A_TIME")" 'running<br>since [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC'
scancel "$A_CANC"
check "pr20: the cancelled job ends CANCELLED" slurm_wait_state "$A_CANC" CANCELLED 30
all_ended() { local id; for id in "$@"; do slurm_ended "$id" || return 1; done; }
check "pr20: the success and failure jobs end" wait_until 60 all_ended "$A_OK" "$A_OK2" "$A_FAIL"
pr20_short_over() { all_finished "$A_OK" "$A_OK2" "$A_FAIL" "$A_CANC"; }
iterate_until 30 pr20_short_over; passed "pr20: the manager finishes four of the five jobs" $?
B=$(status_body "$D1")
is "pr20: success row" "$(cell "$B" "$A_OK")" "SUCCESS (COMPLETED)"
is "pr20: the second success row" "$(cell "$B" "$A_OK2")" "SUCCESS (COMPLETED)"
like "pr20: the result file's comment_description is shown" "$(row "$B" "$A_OK")" \
	'e2e build of x86_64/generic for eessi.io-2023.06-software: tarball eessi-2023.06-software-linux-x86_64-generic-1704067200.tar.gz'
like "pr20: failure row, judged from the output" "$(cell "$B" "$A_FAIL")" '^FAILURE \(FAILED\)'
check "pr20: the failed job left no result file" test ! -e "$(readlink "$D/jobs/$A_FAIL")/_bot_job$A_FAIL.result"
DET=$(details "$B" "$A_FAIL")
like "pr20: an excerpt block for the failure" "$DET" "<details><summary>[^<]*job $A_FAIL: end of the job output</summary>"
like "pr20: the excerpt holds the ERROR line" "$DET" "^ERROR: Installation of GROMACS-2024.1-foss-2023b.eb failed"
like "pr20: the excerpt is fenced" "$DET" '^````*text$'
like "pr20: cancelled row" "$(cell "$B" "$A_CANC")" '^[A-Z]+ \(CANCELLED\)'
is "pr20: no excerpt for a success" "$(details "$B" "$A_OK")" ""
like "pr20: the timeout job still running" "$(cell "$B" "$A_TIME")" '^running'
is "pr20: the four records moved, moved, row finished" \
	"$(rec_state "$A_OK" "$A_OK2" "$A_FAIL" "$A_CANC")" "finished finished finished finished"
note "pr20: four outcomes after $(elapsed) s; the time limit runs on"

# --- 3. the document deleted, then damaged: made again from all the records -----
# (finished records say their final state; before, they were moved with
# "state = held" and a rebuilt document lost every finished row)
# [STATE]'s lines, one a line: "state=finished result=SUCCESS slurm=COMPLETED"
state_of() { sed -n '/^\[STATE\]$/,$p' "$1" | grep -E '^(state|result|slurm) = ' | tr -d ' ' | tr '\n' ' ' | sed 's/ $//'; }
is "finished record: says its final state, the verdict and Slurm's end state" \
	"$(state_of "$IDS/finished/$A_OK")" "state=finished result=SUCCESS slurm=COMPLETED"
is "finished record: the failure's too" "$(state_of "$IDS/finished/$A_FAIL")" \
	"state=finished result=FAILURE slurm=FAILED"
CID1=$(rec_get "$IDS/finished/$A_OK" pr_comment_id)
B_BEFORE=$(status_body "$D1")
for damage in deleted damaged; do
	if [ "$damage" = deleted ]; then
		rm -f "$IDS/comments/$CID1.json"
	else
		printf '{"version": 1, "rows": [' >"$IDS/comments/$CID1.json"
	fi
	iterate
	B=$(status_body "$D1")
	is "document $damage: the iteration exits 0" "$ITER_RC" 0
	is "document $damage: success row back" "$(cell "$B" "$A_OK")" "SUCCESS (COMPLETED)"
	is "document $damage: the second success row back" "$(cell "$B" "$A_OK2")" "SUCCESS (COMPLETED)"
	like "document $damage: with the result's description and artefacts" "$(row "$B" "$A_OK")" \
		'e2e build of x86_64/generic for eessi.io-2023.06-software: tarball .*artefacts: eessi-2023.06-software-linux-x86_64-generic-1704067200.tar.gz'
	like "document $damage: failure row back" "$(cell "$B" "$A_FAIL")" '^FAILURE \(FAILED\)'
	like "document $damage: with its excerpt" "$(details "$B" "$A_FAIL")" "^ERROR: Installation of GROMACS"
	like "document $damage: cancelled row back" "$(cell "$B" "$A_CANC")" '^[A-Z]+ \(CANCELLED\)'
	like "document $damage: the running job's row" "$(cell "$B" "$A_TIME")" '^(running|released)'
	is "document $damage: a row per job, none twice" "$(row_ids "$B")" "$(sorted "${A_ALL[@]}")"
	is "document $damage: still one status comment" "$(status_comments "$D1")" 1
	check "document $damage: the document is written again" test -s "$IDS/comments/$CID1.json"
done

# --- 4. kill -9 of the manager mid-iteration, repeated -----------------------------
label_payload "$T_TMP/l21.json" 21 "$PR21_HEAD"
build D4 "pr21: bot:build label" pull_request "$T_TMP/l21.json"
mapfile -t K_ALL < <(ids_of "$D4")
is "pr21: five held jobs" "$(squeue_of "${K_ALL[@]}" | grep -c 'PENDING JobHeldUser')" 5
K_FAIL=$(job_for "$D4" "$ZEN2" "$R23")
D4_CID=$(rec_get "$IDS/submitted/${K_ALL[0]}" pr_comment_id)
# probe: where the last killed iteration stopped, judged from what it left:
#   edit-unsaved   GitHub shows a row the document on disk does not have yet
#                  (killed between the edit and the save)
#   saved-unmoved  a row is over in the document, its record still in
#                  submitted/ (killed between the save and the moves)
#   consistent     neither
probe() {
	gh_state | "$T_PYTHON" -c '
import json, os, re, sys
doc_path, delivery, ids = sys.argv[1:4]
d = json.load(sys.stdin)
body = ([c["body"] for c in d["comments"]
         if c["body"].startswith("<!-- eessi-bot status instance=e2e-cluster delivery=%s " % delivery)] + [""])[0]
shown = {}
for line in body.splitlines():
    m = re.match(r"^\| [^|]+ \| ([0-9]+) \| (.*?) \| [^|]* \|$", line)
    if m:
        shown[int(m.group(1))] = re.sub(r"<br>.*", "", m.group(2))
try:
    doc = json.load(open(doc_path))
except (OSError, ValueError):
    doc = {"rows": []}
what = "consistent"
for r in doc["rows"]:
    cell = r["state"]
    if cell == "finished":
        cell = "%s (%s)" % (r["result"], r["slurm"]) if r["slurm"] else r["result"]
    if r["job_id"] in shown and shown[r["job_id"]] != cell:
        what = "edit-unsaved"
        break
    if r["state"] in ("finished", "lost") and os.path.exists(os.path.join(ids, "submitted", str(r["job_id"]))):
        what = "saved-unmoved"
print(what)' "$IDS/comments/$D4_CID.json" "$D4" "$IDS"
}
touch "$T_TMP/slow" "$T_TMP/slow-github"
ROUNDS=${MANAGER_KILL_ROUNDS:-20}
mid=0 complete=0 unsaved=0 unmoved=0 rounds=0
# The kill comes at a random time up to max_ms into the iteration.  An
# iteration that ended before it narrows the window (a fast machine would
# otherwise finish every edit unkilled), and rounds go on, up to twice as
# many, until one was killed between an edit and its save.
max_ms=300
while [ "$rounds" -lt "$ROUNDS" ] || { [ "$unsaved" -eq 0 ] && [ "$rounds" -lt $((ROUNDS * 2)) ]; }; do
	rounds=$((rounds + 1))
	before=$(grep -c 'iteration: ' "$MLOG")
	"$BIN/eessi-bot-manager" -c "$D/app.cfg" >>"$T_TMP/kill.out" 2>&1 &
	pid=$!
	sleep "0.$(printf '%03d' $((RANDOM % max_ms)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [ "$(grep -c 'iteration: ' "$MLOG")" = "$before" ]; then
		mid=$((mid + 1))
	else
		complete=$((complete + 1))
		max_ms=$((max_ms * 2 / 3 > 40 ? max_ms * 2 / 3 : 40))
	fi
	case $(probe) in
	edit-unsaved) unsaved=$((unsaved + 1)) ;;
	saved-unmoved) unmoved=$((unmoved + 1)) ;;
	esac
	sleep 0.$((RANDOM % 10))
done
rm -f "$T_TMP/slow" "$T_TMP/slow-github"
note "kill rounds: $mid of $rounds killed before the iteration's end, $complete completed;" \
	"$unsaved left GitHub ahead of the document, $unmoved a row over with its record not moved" \
	"(after $(elapsed) s)"
check "kill rounds: at least a third were killed mid-iteration" test "$mid" -ge $((rounds / 3))
check "kill rounds: at least one was killed after a GitHub edit, before its save" test "$unsaved" -ge 1
pr21_over() { all_finished "${K_ALL[@]}"; }
iterate_until 60 pr21_over; passed "kill rounds: clean iterations finish every PR 21 job" $?
is "kill rounds: the iteration after them exits 0" "$ITER_RC" 0
B=$(status_body "$D4")
is "kill rounds: one status comment" "$(status_comments "$D4")" 1
is "kill rounds: a row per job, none twice" "$(row_ids "$B")" "$(sorted "${K_ALL[@]}")"
for id in "${K_ALL[@]}"; do
	if [ "$id" = "$K_FAIL" ]; then
		like "kill rounds: job $id FAILURE (FAILED), from its result file" "$(cell "$B" "$id")" '^FAILURE \(FAILED\)'
	else
		like "kill rounds: job $id SUCCESS (COMPLETED)" "$(cell "$B" "$id")" '^SUCCESS \(COMPLETED\)'
	fi
done
is "kill rounds: the records moved, moved, row finished" "$(rec_state "${K_ALL[@]}")" \
	"finished finished finished finished finished"
like "kill rounds: the failure's excerpt holds the ERROR line" "$(details "$B" "$K_FAIL")" '^ERROR: Installation of GROMACS'
is "kill rounds: nothing left in submitted/ (but PR 20's time limit, maybe)" \
	"$(find "$IDS/submitted" -mindepth 1 ! -name "$A_TIME" -printf '%f ')" ""
is "kill rounds: no record broken" "$(ls -A "$IDS/broken" 2>/dev/null)" ""
is "kill rounds: PR 20's comment still one" "$(status_comments "$D1")" 1
is "kill rounds: PR 20's comment has its five rows once" "$(row_ids "$(status_body "$D1")")" "$(sorted "${A_ALL[@]}")"
note "left by the kills in job_ids_dir: $(find "$IDS" -name '*.tmp*' -printf '%P ')"

# --- 5. delayed begin ---------------------------------------------------------------
write_cfg delayed_begin
comment_payload "$T_TMP/c21.json" "${CIDS[0]}" 21 "bot: build arch:generic repo:$R23"
build D5 "delayed begin: bot: build" issue_comment "$T_TMP/c21.json"
DB=$(job_for "$D5" "$GENERIC" "$R23")
like "delayed begin: one job" "$DB" '^[0-9]+$'
like "delayed begin: pending for its begin time, not held" "$(squeue_of "$DB")" "^$DB PENDING BeginTime$"
like "delayed begin: the row says submitted" "$(cell "$(status_body "$D5")" "$DB")" '^submitted'
sc0=$(ncalls scontrol)
iterate
is "delayed begin: iteration exit 0" "$ITER_RC" 0
is "delayed begin: jobs followed, none changed: 1 squeue, 0 github calls" \
	"$(stat 'rows changed') $(stat squeue) $(stat 'github calls')" "0 1 0"
is "delayed begin: no scontrol call" "$(stat scontrol)" 0
is "delayed begin: nothing released" "$(stat released)" 0
like "delayed begin: the row still says submitted" "$(cell "$(status_body "$D5")" "$DB")" '^submitted'
unlike "delayed begin: BeginTime is not shown" "$(status_body "$D5")" 'BeginTime'
# Slurm looks at jobs whose begin time has come on its periodic schedule (up to a minute)
check "delayed begin: the job runs on its own and ends" wait_until 100 slurm_ended "$DB"
db_over() { all_finished "$DB"; }
iterate_until 20 db_over; passed "delayed begin: the manager reports it" $?
is "delayed begin: SUCCESS (COMPLETED)" "$(cell "$(status_body "$D5")" "$DB")" "SUCCESS (COMPLETED)"
is "delayed begin: no scontrol call in any of its iterations" "$(ncalls scontrol)" "$sc0"
write_cfg hold_release

# --- 1 (end). the time limit ---------------------------------------------------------
check "pr20: the time limit stops the job" wait_until 150 slurm_ended "$A_TIME"
is "pr20: Slurm says TIMEOUT" "$(slurm_state "$A_TIME")" TIMEOUT
a_time_over() { all_finished "$A_TIME"; }
iterate_until 20 a_time_over; passed "pr20: the manager reports the timeout" $?
B=$(status_body "$D1")
like "pr20: timeout row" "$(cell "$B" "$A_TIME")" '^[A-Z]+ \(TIMEOUT\)'
is "pr20: a row per job at the end, none twice" "$(row_ids "$B")" "$(sorted "${A_ALL[@]}")"
is "pr20: one status comment at the end" "$(status_comments "$D1")" 1
is "pr20: the other rows unchanged" "$(cell "$B" "$A_OK") / $(cell "$B" "$A_OK2") / $(cell "$B" "$A_FAIL")" \
	"SUCCESS (COMPLETED) / SUCCESS (COMPLETED) / FAILURE (FAILED)"
is "pr20: timeout record finished" "$(rec_state "$A_TIME")" finished
is "cluster A: submitted/ is empty" "$(ls -A "$IDS/submitted")" ""

# killed between the save and the moves, for sure: a row over in the
# document, its record back in submitted/ as it was before the move
sed 's/^state = finished$/state = running/' "$IDS/finished/$A_OK" >"$IDS/submitted/$A_OK" &&
	rm "$IDS/finished/$A_OK"
GH0=$(gh_ncalls)
iterate
is "over, not moved: the iteration exits 0" "$ITER_RC" 0
is "over, not moved: the record just moves (1 finished, 0 rows changed, 0 github calls)" \
	"$(stat finished) $(stat 'rows changed') $(stat 'github calls')" "1 0 0"
check "over, not moved: in finished/ only" all_finished "$A_OK"
is "over, not moved: moved, row finished" "$(rec_state "$A_OK")" finished
is "over, not moved: the stand-in saw no call" "$(gh_ncalls)" "$GH0"
is "over, not moved: the row unchanged" "$(cell "$(status_body "$D1")" "$A_OK")" "SUCCESS (COMPLETED)"

# an iteration with nothing to follow: Slurm is not asked (manager.h, step 3)
GH0=$(gh_ncalls)
sq0=$(ncalls squeue)
sc0=$(ncalls scontrol)
iterate
is "idle iteration: exit 0" "$ITER_RC" 0
is "idle iteration: 0 github calls" "$(stat 'github calls')" 0
is "idle iteration: no squeue, no scontrol" "$(stat squeue) $(stat scontrol)" "0 0"
is "idle iteration: the stand-in saw no call" "$(gh_ncalls)" "$GH0"
is "idle iteration: the wrappers saw no squeue, no scontrol" \
	"$(($(ncalls squeue) - sq0)) $(($(ncalls scontrol) - sc0))" "0 0"
note "cluster A done after $(elapsed) s"

# --- 3 (before). a job cluster B will not know ----------------------------------------
comment_payload "$T_TMP/c20a.json" "${CIDS[1]}" 20 "bot: build arch:neoverse_v1"
build D6 "lost: bot: build" issue_comment "$T_TMP/c20a.json"
LOST=$(job_for "$D6" "$NEOV1" "$R23")
is "lost: the job is held" "$(squeue_of "$LOST")" "$LOST PENDING JobHeldUser"

# --- cluster B: accounting, finished jobs leave squeue at once -------------------------
slurm_start --accounting --first-job-id=2000 --min-job-age=2 --cpus=16 ||
	bail "Slurm with accounting did not start"
write_cfg hold_release sacct
is "lost: cluster B does not know the job" "$(squeue_of "$LOST")$(slurm_sacct "$LOST")" ""
LOSTDIR=$(readlink "$D/jobs/$LOST")
check "lost: its job directory is there" test -d "$LOSTDIR"
rm -f "$LOSTDIR"/slurm-*.out "$LOSTDIR"/_bot_job"$LOST".result "$LOSTDIR"/_bot_job"$LOST".test

# --- 2. end states from sacct -----------------------------------------------------------
comment_payload "$T_TMP/c20b.json" "${CIDS[2]}" 20 "bot: build arch:generic arch:zen2 arch:neoverse_v1"
build D7 "sacct: bot: build" issue_comment "$T_TMP/c20b.json"
S_OK=$(job_for "$D7" "$GENERIC" "$R23")
S_GONE=$(job_for "$D7" "$GENERIC" "$R25")
S_FAIL=$(job_for "$D7" "$ZEN2" "$R23")
S_CANC=$(job_for "$D7" "$NEOV1" "$R23")
S_ALL=("$S_OK" "$S_GONE" "$S_FAIL" "$S_CANC")
is "sacct: four held jobs" "$(squeue_of "${S_ALL[@]}" | grep -c 'PENDING JobHeldUser')" 4
# and one job for a manager without accounting (another app.cfg, -j)
comment_payload "$T_TMP/c21b.json" "${CIDS[3]}" 21 "bot: build arch:zen2"
build D8 "purged: bot: build" issue_comment "$T_TMP/c21b.json"
PURGED=$(job_for "$D8" "$ZEN2" "$R23")
grep -v 'sacct_command' "$D/app.cfg" >"$D/app-nosacct.cfg"

# --- 3. a garbage record, in the same iteration as the release ------------------------
printf 'garbage\n\001\002 [PR\nrepo = ../../etc\n' >"$IDS/submitted/918273645"
iterate
is "broken: iteration exit 0" "$ITER_RC" 0
is "broken: counted" "$(stat broken)" 1
check "broken: moved to broken/" test -f "$IDS/broken/918273645" -a ! -e "$IDS/submitted/918273645"
check "broken: with a reason" test -s "$IDS/broken/918273645.reason"
like "broken: logged" "$(cat "$MLOG")" '918273645'
is "broken: the other jobs released in the same iteration" "$(stat released)" 5
unlike "broken: Slurm holds none of them" "$(squeue_of "${S_ALL[@]}" "$PURGED")" 'JobHeldUser'
is "lost: not judged before lost_after" "$(stat lost)" 0
like "lost: the row still held" "$(cell "$(status_body "$D6")" "$LOST")" '^held'

check "sacct: the job to cancel runs" slurm_wait_state "$S_CANC" RUNNING 30
scancel "$S_CANC"
check "sacct: every job ended (sacct)" wait_until 60 sh -c \
	"[ \$(sacct -X -n -P -j $S_OK,$S_GONE,$S_FAIL,$S_CANC -o State | grep -cE '^(COMPLETED|FAILED|CANCELLED)') = 4 ]"
rm -rf "$(readlink "$D/jobs/$S_GONE")"
check "sacct: squeue no longer shows them" wait_until 120 sh -c \
	"[ -z \"\$(squeue -h -t all -j $S_OK,$S_GONE,$S_FAIL,$S_CANC -o %i 2>/dev/null)\" ]"
is "sacct: the end states in the database" "$(slurm_sacct "${S_ALL[@]}" | cut -d'|' -f1,2 | sed 's/ by [0-9]*//' | sort -n | tr '\n' ' ')" \
	"$S_OK|COMPLETED $S_GONE|COMPLETED $S_FAIL|FAILED $S_CANC|CANCELLED "
# --- 3. a job squeue forgot, followed without accounting ---------------------------------
purged_ended() { slurm_sacct "$PURGED" | grep -qE "^$PURGED\|(COMPLETED|FAILED)\|"; }
check "purged: the job ended" wait_until 60 purged_ended
check "purged: squeue forgot it" wait_until 120 sh -c "[ -z \"\$(squeue -h -t all -j $PURGED -o %i 2>/dev/null)\" ]"
PDIR=$(readlink "$D/jobs/$PURGED")
rm -f "$PDIR/slurm-$PURGED.out" "$PDIR/_bot_job$PURGED.result" "$PDIR/_bot_job$PURGED.test"
sa0=$(ncalls sacct)
CFG=$D/app-nosacct.cfg iterate -j "$PURGED"
is "purged: -j iteration exit 0" "$ITER_RC" 0
is "purged: one job followed, no sacct" "$(stat jobs) $(stat sacct)" "1 0"
is "purged: not lost at the first miss" "$(stat lost) $(stat 'github calls')" "0 0"
like "purged: the row as it was" "$(cell "$(status_body "$D8")" "$PURGED")" '^(released|running)'
sleep 3 # lost_after
CFG=$D/app-nosacct.cfg iterate -j "$PURGED"
is "purged: lost after lost_after" "$(stat lost) $(stat finished) $(stat sacct)" "1 1 0"
like "purged: the row says lost" "$(cell "$(status_body "$D8")" "$PURGED")" '^lost'
is "purged: moved, row lost" "$(rec_state "$PURGED")" lost
is "purged: no sacct call" "$(ncalls sacct)" "$sa0"
is "purged: -j left the other jobs alone" "$(ls "$IDS/submitted" | sort -n | tr '\n' ' ')" \
	"$(printf '%s\n' "$LOST" "${S_ALL[@]}" | sort -n | tr '\n' ' ')"

sleep 3 # lost_after since the first miss
sa0=$(ncalls sacct)
iterate
is "sacct: iteration exit 0" "$ITER_RC" 0
is "sacct: one squeue, one sacct" "$(stat squeue) $(stat sacct)" "1 1"
is "sacct: the wrapper saw one sacct" "$(($(ncalls sacct) - sa0))" 1
is "sacct: 5 finished (4 + the lost one), 1 lost" "$(stat finished) $(stat lost)" "5 1"
B=$(status_body "$D7")
is "sacct: success row" "$(cell "$B" "$S_OK")" "SUCCESS (COMPLETED)"
like "sacct: failure row" "$(cell "$B" "$S_FAIL")" '^FAILURE \(FAILED\)'
like "sacct: the excerpt holds the ERROR line" "$(details "$B" "$S_FAIL")" '^ERROR: Installation of GROMACS'
like "sacct: cancelled row" "$(cell "$B" "$S_CANC")" '^[A-Z]+ \(CANCELLED\)'
like "gone: the job without directory is UNKNOWN" "$(cell "$B" "$S_GONE")" '^UNKNOWN'
like "gone: saying the job directory is gone" "$(row "$B" "$S_GONE")" 'job directory is gone'
is "sacct: a row per job, one comment" "$(row_ids "$B")/$(status_comments "$D7")" "$(sorted "${S_ALL[@]}")/1"
like "lost: the row says lost" "$(cell "$(status_body "$D6")" "$LOST")" '^lost'
check "lost: its record finished" all_finished "$LOST"
is "lost: moved, row lost" "$(rec_state "$LOST")" lost
is "sacct: the records moved, moved, row finished" "$(rec_state "${S_ALL[@]}")" \
	"finished finished finished finished"
is "cluster B: submitted/ is empty" "$(ls -A "$IDS/submitted")" ""

GH0=$(gh_ncalls)
sa0=$(ncalls sacct)
iterate
is "idle iteration B: 0 github calls, 0 squeue, 0 sacct" \
	"$(stat 'github calls') $(stat squeue) $(stat sacct)" "0 0 0"
is "idle iteration B: the stand-in saw no call, the wrapper no sacct" \
	"$(gh_ncalls) $(ncalls sacct)" "$GH0 $sa0"

note "iterations: $ITER_N; wall time $(elapsed) s"
done_testing
