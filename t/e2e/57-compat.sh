#!/usr/bin/env bash
# 57-compat.sh - what the version before wrote is read and handled by this
# one: job records (in submitted/, and in finished/ as that version moved
# them, "state = held"), status documents and manager.index, made by its
# manager over 20 synthetic jobs (t/data/compat/, job directories with
# their outputs and result files; paths written as @JOBS@ and put back
# here).  Slurm is faked (t/tools/fake-slurm.c), GitHub is the stand-in.
#   - an iteration over them: nothing broken, nothing made again, the index
#     taken as it is, the finished rows kept;
#   - the document of a request with finished and running jobs deleted: made
#     again from the records, the finished ones (old style) included;
#   - the running jobs end: records to finished/ with the new [STATE].
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/github.sh"

need cc
[ -x "$BUILD/eessi-bot-manager" ] || bail "no $BUILD/eessi-bot-manager (make)"
MGR=$BUILD/eessi-bot-manager
REPO=compat-org/software-layer
C=$T_TMP/c
FAKE=$T_TMP/fake
LOG=$C/manager.log
cp -r "$T_DIR/data/compat" "$C" || bail "no fixtures"
grep -rl '@JOBS@' "$C" | xargs sed -i "s|@JOBS@|$C/jobs|g"
mkdir -p "$FAKE" "$C/spool"/{incoming,claimed,done,failed,effects} "$C/tokens"
chmod 0700 "$C/tokens"
cc -O2 -DDATA="\"$FAKE\"" -o "$FAKE/fake-slurm" "$T_DIR/tools/fake-slurm.c" || bail "no fake Slurm"
for c in squeue sacct scontrol; do ln -sf fake-slurm "$FAKE/$c"; done
github_start || bail "GitHub stand-in did not start"
"$T_PYTHON" "$T_DIR/tools/bench-manager-data.py" seed 20 "$REPO" 'eessi-bot-test[bot]' >"$T_TMP/seed.json" &&
	gh_seed "$T_TMP/seed.json" >/dev/null || bail "stand-in not seeded"
is "the stand-in's comments are the fixtures' (900001, 900002)" \
	"$(gh_state | gh_py '" ".join(str(c["id"]) for c in d["comments"])')" "900001 900002"
cat >"$C/app.cfg" <<CFG
github = { app_id = $GH_APP_ID; app_name = "compat"; installation_id = $GH_INSTALLATION_ID;
  private_key = "$GH_APP_KEY"; api_url = "$GH_ADMIN_URL"; token_cache_dir = "$C/tokens"; };
buildenv = { build_job_script = "$TOP/scripts/bot-build.slurm"; jobs_base_dir = "$C/jobs"; };
architecturetargets = { arch_target_map = ( { target = "linux/x86_64/generic"; } ); };
event_handler = { spool_dir = "$C/spool"; log_file = "$C/bot.log"; };
job_manager = { job_ids_dir = "$C/ids"; poll_command = "$FAKE/squeue"; sacct_command = "$FAKE/sacct";
  scontrol_command = "$FAKE/scontrol"; log_file = "$LOG"; };
CFG
: >"$FAKE/sacct.txt"
# squeue STATE: the eight jobs still followed (4000013-4000020) in STATE
squeue_says() {
	local id now
	now=$(date -u +%Y-%m-%dT%H:%M:%S)
	: >"$FAKE/squeue.txt"
	for id in $(seq 4000013 4000020); do
		printf '%s|%s|None|%s|%s\n' "$id" "$1" "$now" "$now" >>"$FAKE/squeue.txt"
	done
}
STATS_RE='iteration: ([0-9]+) jobs, ([0-9]+) released, ([0-9]+) rows changed, ([0-9]+) finished, ([0-9]+) lost, ([0-9]+) broken'
iterate() {
	"$MGR" -c "$C/app.cfg" >"$T_TMP/mgr.out" 2>&1
	ITER_RC=$?
	LINE=$(grep 'iteration: ' "$LOG" | tail -n 1)
	[[ $LINE =~ $STATS_RE ]] && STATS=("${BASH_REMATCH[@]}") || STATS=()
}
body_of() { gh_state | gh_py "[c['body'] for c in d['comments'] if c['id'] == $1][0]"; }
rows_in() { printf '%s\n' "$1" | grep -Ec '^\| [^|]+ \| 400[0-9]{4} \| '; }

# --- the files of the version before, as they are ---------------------------------
squeue_says RUNNING
iterate
is "as they are: the iteration exits 0" "$ITER_RC" 0
is "as they are: the eight running jobs followed" "${STATS[1]:-}" 8
is "as they are: nothing broken" "${STATS[6]:-}" 0
check "as they are: broken/ stays empty" test -z "$(ls -A "$C/ids/broken" 2>/dev/null)"
unlike "as they are: no document made again, the index taken" "$(cat "$LOG")" 'made again|made from the records|not an index'
D1=$(cat "$C/ids/comments/900001.json")
is "as they are: document 900001 keeps its 12 finished rows" \
	"$(printf '%s' "$D1" | gh_py 'str(sum(1 for r in d["rows"] if r["state"] == "finished"))')" 12
is "as they are: ... and its 4 running ones" \
	"$(printf '%s' "$D1" | gh_py 'str(sum(1 for r in d["rows"] if r["state"] == "running"))')" 4

# --- a document deleted: made again from all the records ----------------------------
rm "$C/ids/comments/900001.json"
iterate
is "made again: the iteration exits 0" "$ITER_RC" 0
like "made again: the log says so" "$(cat "$LOG")" 'comment 900001: no document; made from the records'
B=$(body_of 900001)
is "made again: the comment has a row for each of the 16 jobs" "$(rows_in "$B")" 16
is "made again: the 12 jobs over (records moved by the version before) shown over" \
	"$(printf '%s\n' "$B" | grep -Ec '^\| [^|]+ \| 40000(0[1-9]|1[0-2]) \| (finished|SUCCESS|FAILURE|UNKNOWN)')" 12
like "made again: with their notes from the result files" "$B" 'bench job 4000001: success'

# --- the running jobs end: records in finished/ with the new [STATE] --------------
squeue_says COMPLETED
iterate
is "end: the iteration exits 0" "$ITER_RC" 0
is "end: the eight jobs finished" "${STATS[4]:-}" 8
is "end: none left in submitted/" "$(ls -A "$C/ids/submitted" | wc -l)" 0
is "end: a finished record says its state, verdict and Slurm's end state" \
	"$(sed -n '/^\[STATE\]$/,$p' "$C/ids/finished/4000020" | grep -E '^(state|result|slurm) = ' | tr -d ' ' | tr '\n' ' ')" \
	"state=finished result=SUCCESS slurm=COMPLETED "
is "end: the records of the version before are left as they were" \
	"$(grep -c '^state = held$' "$C/ids/finished/4000001")" 1

done_testing
