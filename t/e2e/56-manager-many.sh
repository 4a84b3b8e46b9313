#!/usr/bin/env bash
# 56-manager-many.sh - more jobs than one Slurm argument holds: 10,050
# held jobs are all released (two scontrol calls: 10,000 + 50), and 10,050
# jobs gone from squeue are all judged from accounting (two sacct calls),
# none taken for lost.  Slurm is faked (t/tools/fake-slurm.c, which logs
# each call and the number of ids it was given); the records, documents and
# job directories are synthetic (t/tools/bench-manager-data.py), the GitHub
# stand-in is real.  Before the batching, the release failed whole on the
# id cap and the jobs past 10,000 were never asked of sacct.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/github.sh"

need cc
[ -x "$BUILD/eessi-bot-manager" ] || bail "no $BUILD/eessi-bot-manager (make)"
MGR=$BUILD/eessi-bot-manager
N=${MANY_JOBS:-10050}
REPO=many-org/software-layer
D=$T_TMP/bot
FAKE=$T_TMP/fake
LOG=$D/manager.log
mkdir -p "$FAKE" "$D/spool"/{incoming,claimed,done,failed,effects} "$D/tokens"
chmod 0700 "$D/tokens"
cc -O2 -DDATA="\"$FAKE\"" -o "$FAKE/fake-slurm" "$T_DIR/tools/fake-slurm.c" ||
	bail "cannot compile the fake Slurm"
for c in squeue sacct scontrol; do ln -sf fake-slurm "$FAKE/$c"; done
github_start || bail "GitHub stand-in did not start"

cat >"$D/app.cfg" <<CFG
github = {
  app_id = $GH_APP_ID;
  app_name = "many";
  installation_id = $GH_INSTALLATION_ID;
  private_key = "$GH_APP_KEY";
  api_url = "$GH_ADMIN_URL";
  token_cache_dir = "$D/tokens";
};
buildenv = {
  build_job_script = "$TOP/scripts/bot-build.slurm";
  jobs_base_dir = "$D/jobs";
};
architecturetargets = { arch_target_map = ( { target = "linux/x86_64/generic"; } ); };
event_handler = { spool_dir = "$D/spool"; log_file = "$D/bot.log"; };
job_manager = {
  job_ids_dir = "$D/ids";
  poll_command = "$FAKE/squeue";
  sacct_command = "$FAKE/sacct";
  scontrol_command = "$FAKE/scontrol";
  log_file = "$LOG";
};
CFG

k=$(((N + 15) / 16))
BENCH_OUTPUT_LINES=5 "$T_PYTHON" "$T_DIR/tools/bench-manager-data.py" seed "$N" "$REPO" 'eessi-bot-test[bot]' >"$T_TMP/seed.json" &&
	gh_seed "$T_TMP/seed.json" >/dev/null || bail "stand-in not seeded"
CIDS=$(gh_state | gh_py "\",\".join(str(c['id']) for c in d['comments'][-$k:])")
t0=$(date +%s)
BENCH_OUTPUT_LINES=5 "$T_PYTHON" "$T_DIR/tools/bench-manager-data.py" make "$D" "$N" "$REPO" many "$CIDS" >"$T_TMP/gen.txt" ||
	bail "the generator failed"
mv "$D/slurm"/* "$FAKE/" && rmdir "$D/slurm" || bail "no Slurm answers"
note "$N jobs made in $(($(date +%s) - t0)) s: $(cat "$T_TMP/gen.txt")"

STATS_RE='iteration: ([0-9]+) jobs, ([0-9]+) released, ([0-9]+) rows changed, ([0-9]+) finished, ([0-9]+) lost, ([0-9]+) broken; ([0-9]+) comments edited; [0-9]+ job directories to the trash, [0-9]+ old entries removed; ([0-9]+) squeue, ([0-9]+) sacct, ([0-9]+) scontrol'
iterate() { # iterate SQUEUE-FILE: one iteration; STATS set from its line
	ln -sfn "$1" "$FAKE/squeue.txt"
	: >"$FAKE/calls.log"
	"$MGR" -c "$D/app.cfg" >"$T_TMP/mgr.out" 2>&1
	ITER_RC=$?
	line=$(grep 'iteration: ' "$LOG" | tail -n 1)
	[[ $line =~ $STATS_RE ]] || { STATS=(); return; }
	STATS=("${BASH_REMATCH[@]}")
}

# --- release: 10,050 held jobs -------------------------------------------------
t0=$(date +%s)
iterate squeue-a.txt
note "release iteration: $(($(date +%s) - t0)) s: $line"
is "release: the iteration exits 0" "$ITER_RC" 0
is "release: every job followed" "${STATS[1]:-}" "$N"
is "release: every job released" "${STATS[2]:-}" "$N"
is "release: two scontrol calls (the stats line)" "${STATS[10]:-}" 2
is "release: the fake scontrol saw 10,000 then $((N - 10000)) ids" \
	"$(grep '^scontrol ' "$FAKE/calls.log" | grep -Eo 'n=[0-9]+' | tr '\n' ' ')" "n=10000 n=$((N - 10000)) "
is "release: one squeue" "$(grep -c '^squeue ' "$FAKE/calls.log")" 1
unlike "release: no job refused" "$(cat "$LOG")" 'release refused|release: '

# --- accounting: 10,050 jobs squeue no longer shows ----------------------------
: >"$FAKE/squeue-empty.txt"
t0=$(date +%s)
iterate squeue-empty.txt
note "accounting iteration: $(($(date +%s) - t0)) s: $line"
is "sacct: the iteration exits 0" "$ITER_RC" 0
is "sacct: two sacct calls (the stats line)" "${STATS[9]:-}" 2
is "sacct: the fake sacct saw 10,000 then $((N - 10000)) ids" \
	"$(grep '^sacct ' "$FAKE/calls.log" | grep -Eo 'n=[0-9]+' | tr '\n' ' ')" "n=10000 n=$((N - 10000)) "
is "sacct: every job finished from accounting" "${STATS[4]:-}" "$N"
is "sacct: none lost" "${STATS[5]:-}" 0
is "sacct: every record in finished/" "$(find "$D/ids/finished" -type f | wc -l)" "$N"
is "sacct: none left in submitted/" "$(find "$D/ids/submitted" -type f | wc -l)" 0
is "sacct: the last job's record says COMPLETED" \
	"$(grep -E '^slurm = ' "$D/ids/finished/$((4000000 + N))")" "slurm = COMPLETED"

done_testing
