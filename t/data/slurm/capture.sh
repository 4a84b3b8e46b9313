#!/usr/bin/env bash
# t/data/slurm/capture.sh - regenerates the captured Slurm output beside it
# with the private cluster of t/lib/slurm.sh.  Run by hand, as root (not part
# of any test suite; ~2 minutes, as a TIMEOUT needs a 1-minute time limit):
#   bash t/data/slurm/capture.sh
. "$(dirname "$0")/../../lib/common.sh"
. "$T_DIR/lib/slurm.sh"

out=$T_DIR/data/slurm
fmt='%i|%j|%T|%r|%M|%l|%N'
sub=$T_TMP/submit
mkdir -p "$sub"
printf '#!/bin/sh\necho "hello from job $SLURM_JOB_ID"\n' >"$sub/hello.sh"
printf '#!/bin/sh\necho failing\nexit 3\n' >"$sub/fail.sh"
printf '#!/bin/sh\nsleep 300\n' >"$sub/sleep.sh"

submit() { (cd "$sub" && sbatch --parsable "$@"); }

# run CMD...: appends "$ CMD", its output (stdout and stderr) and exit status
# to errors.txt
run() {
	local rc
	{
		printf '$'
		printf ' %q' "$@"
		printf '\n'
		"$@" 2>&1
		rc=$?
		printf '[exit %d]\n\n' "$rc"
	} >>"$out/errors.txt"
}

slurm_start --accounting || bail "cluster with accounting starts"
: >"$out/errors.txt"

(cd "$sub" && sbatch --parsable -J completed hello.sh) >"$out/sbatch-parsable.txt"
done_id=$(cat "$out/sbatch-parsable.txt")
fail_id=$(submit -J failed fail.sh)
slurm_wait_state "$done_id" COMPLETED && slurm_wait_state "$fail_id" FAILED ||
	bail "completed/failed"

cancel_id=$(submit -J cancelled sleep.sh)
slurm_wait_state "$cancel_id" RUNNING && scancel "$cancel_id" &&
	slurm_wait_state "$cancel_id" CANCELLED || bail "cancelled"

timeout_id=$(submit -J timeout --time=1 sleep.sh)
run_id=$(submit -J running sleep.sh)
held_id=$(submit -J held --hold hello.sh)
begin_id=$(submit -J later --begin=now+3600 hello.sh)
slurm_wait_state "$run_id" RUNNING || bail "running"
note "waiting for job $timeout_id to time out (up to 2 minutes)"
slurm_wait_state "$timeout_id" TIMEOUT 150 || bail "timeout"
sleep 2 # let sacct catch up

squeue -h -t all -S i -o "$fmt" >"$out/squeue.txt"
ids="$done_id,$fail_id,$cancel_id,$timeout_id,$run_id,$held_id,$begin_id"
sacct -n -P -X -j "$ids" -o JobID,State,ExitCode,Elapsed >"$out/sacct.txt"
scontrol show job -o "$fail_id" >"$out/scontrol-show-job-failed.txt"
scontrol show job -o "$held_id" >"$out/scontrol-show-job-held.txt"

run squeue -h -t all -j 999999 -o "$fmt"
run scontrol release "$done_id"
run scancel 999999
run sbatch --parsable "$sub/no-such-script.sh"
kill_pidfile "$T_SLURM_DIR/run/slurmctld.pid"
run squeue -h -t all -o "$fmt"

{ sinfo --version; cat "$out"/*.txt; } | sed 's/^/# /'
ok "captured into $out"
done_testing
