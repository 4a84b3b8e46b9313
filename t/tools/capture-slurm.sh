#!/usr/bin/env bash
# t/tools/capture-slurm.sh - captures the real Slurm output that
# t/unit/adapters/test_slurmq.c parses (lib/adapters/slurmq.c: squeue, sacct, scontrol release).
#
# README: made with slurm-wlm 22.05.8 (Debian 12) on the private cluster of
# t/lib/slurm.sh with accounting (slurm_start --accounting; 2 CPUs, one node,
# FirstJobId=1000, MinJobAge=600), as root, by running by hand
#     bash t/tools/capture-slurm.sh          (~2 minutes: a TIMEOUT needs
#                                             Slurm's 1-minute minimum limit)
# It rewrites t/data/slurm/squeue-all.txt, sacct-all.txt, release.txt and
# jobs.txt (which job is which) and prints them.  Not part of any suite.
#
# Reached for real (jobs.txt says which id is which): PENDING (held by
# user, held by admin, BeginTime, Dependency, Resources, and "job requeued
# in held state" after scontrol requeuehold: squeue shows PENDING, not
# REQUEUE_HOLD), RUNNING, SUSPENDED, COMPLETED, FAILED (exit 3; killed by
# signal 9: reason JobLaunchFailure, ExitCode 0:9), CANCELLED (running;
# held), TIMEOUT, NODE_FAIL (node set DOWN under a --no-requeue job), array
# jobs (finished tasks 1004_1/1004_2, a held unsplit 1019_[1-3]).  Not
# reached: DEADLINE (a held job with a passed --deadline stays PENDING
# JobHeldUser, job 1009), and, not reachable on this cluster, OUT_OF_MEMORY
# (needs cgroup memory enforcement), PREEMPTED (a preemption setup),
# BOOT_FAIL (power-saving nodes), REVOKED, SPECIAL_EXIT, REQUEUE_FED,
# RESV_DEL_HOLD, STAGE_OUT, ...: the unit tests write those lines from the
# formats documented in `man squeue` / `man sacct` (JOB STATE CODES).
# "scontrol update state=resume" may say "Invalid node state specified":
# the node is back (ReturnToService=2) before it runs.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/slurm.sh"

need sbatch squeue sacct scontrol scancel
out=$T_DIR/data/slurm
sub=$T_TMP/submit
host=$(hostname -s)
mkdir -p "$sub"
printf '#!/bin/sh\necho "hello from job $SLURM_JOB_ID"\n' >"$sub/hello.sh"
printf '#!/bin/sh\necho failing\nexit 3\n' >"$sub/fail.sh"
printf '#!/bin/sh\nkill -9 $$\n' >"$sub/signal.sh"
printf '#!/bin/sh\nsleep 300\n' >"$sub/sleep.sh"

submit() { (cd "$sub" && sbatch --parsable "$@"); }
jobs=()
# job NAME ID: remembers which job shows what (jobs.txt)
job() { jobs+=("$2 $1"); }

# run CMD...: appends "$ CMD", its stdout and stderr (each marked) and exit
# status to release.txt
run() {
	local rc
	{
		printf '$'
		printf ' %q' "$@"
		printf '\n'
		"$@" >"$T_TMP/o" 2>"$T_TMP/e"
		rc=$?
		sed 's/^/stdout: /' "$T_TMP/o"
		sed 's/^/stderr: /' "$T_TMP/e"
		printf '[exit %d]\n\n' "$rc"
	} >>"$out/release.txt"
}

slurm_start --accounting || bail "cluster with accounting starts"

# NODE_FAIL first: setting the node DOWN ends every job running on it
id=$(submit -J nodefail --no-requeue sleep.sh)
job nodefail "$id"
slurm_wait_state "$id" RUNNING || bail "nodefail runs"
scontrol update nodename="$host" state=down reason=capture
slurm_wait_state "$id" NODE_FAIL 30 || note "no NODE_FAIL"
scontrol update nodename="$host" state=resume 2>/dev/null
wait_until 30 _slurm_node_idle || bail "node back to idle"

id=$(submit -J completed hello.sh) && job completed "$id"
done_id=$id
id=$(submit -J failed fail.sh) && job failed "$id"
fail_id=$id
id=$(submit -J signal signal.sh) && job signal "$id"
sig_id=$id
id=$(submit -J array --array=1-2 hello.sh) && job array "$id"
slurm_wait_state "$done_id" COMPLETED && slurm_wait_state "$fail_id" FAILED &&
	slurm_wait_state "$sig_id" FAILED || bail "completed/failed"
wait_until 30 test "$(squeue -h -t all -j "$id" -o %T | sort -u)" = COMPLETED ||
	note "array not completed"

id=$(submit -J cancelled sleep.sh) && job cancelled "$id"
slurm_wait_state "$id" RUNNING && scancel "$id" &&
	slurm_wait_state "$id" CANCELLED || bail "cancelled"
id=$(submit -J cancelledheld --hold hello.sh) && job cancelledheld "$id"
scancel "$id" && slurm_wait_state "$id" CANCELLED || bail "cancelled pending"

id=$(submit -J requeuehold sleep.sh) && job requeuehold "$id"
slurm_wait_state "$id" RUNNING && scontrol requeuehold "$id" ||
	note "requeuehold failed"
wait_until 30 test "$(slurm_state "$id")" = PENDING || note "requeuehold not pending"

if id=$(submit -J deadline --hold --time=1 --deadline=now+3 hello.sh); then
	job deadline "$id"
	slurm_wait_state "$id" DEADLINE 40 || note "no DEADLINE"
else
	note "sbatch refused the --deadline job"
fi

# both CPUs: one job suspended (it keeps its CPU), one timing out
id=$(submit -J suspended sleep.sh) && job suspended "$id"
susp_id=$id
slurm_wait_state "$id" RUNNING && scontrol suspend "$id" &&
	slurm_wait_state "$id" SUSPENDED || note "no SUSPENDED"
id=$(submit -J timeout --time=1 sleep.sh) && job timeout "$id"
timeout_id=$id
id=$(submit -J running sleep.sh) && job running "$id"
run_id=$id
id=$(submit -J held --hold hello.sh) && job held "$id"
held_id=$id
id=$(submit -J held2 --hold hello.sh) && job held2 "$id"
held2_id=$id
id=$(submit -J adminheld hello.sh) && job adminheld "$id"
scontrol hold "$id"
id=$(submit -J later --begin=now+3600 hello.sh) && job later "$id"
later_id=$id
id=$(submit -J dependent --dependency=afterok:"$held_id" hello.sh) && job dependent "$id"
id=$(submit -J resources -c 2 hello.sh) && job resources "$id"
id=$(submit -J heldarray --hold --array=1-3 hello.sh) && job heldarray "$id"
note "waiting for job $timeout_id to time out (up to 2 minutes)"
slurm_wait_state "$timeout_id" TIMEOUT 150 || bail "timeout"
slurm_wait_state "$run_id" RUNNING 30 || note "running did not start"
sleep 2 # let sacct catch up

squeue --me -h -t all -o '%i|%T|%r|%S|%e' >"$out/squeue-all.txt"
ids=$(printf '%s\n' "${jobs[@]}" | cut -d' ' -f1 | paste -sd,)
sacct -X -n -P -j "$ids" -o JobID,State,ExitCode,Start,End >"$out/sacct-all.txt"
printf '%s\n' "${jobs[@]}" >"$out/jobs.txt"

# scontrol release: held jobs, one unknown id, a finished job, a job that
# is not held (pending on BeginTime), a running one
: >"$out/release.txt"
run scontrol release 999999
run scontrol release "$done_id"
run scontrol release "$held_id,999999,$done_id,$later_id,$run_id,$held2_id"
run squeue -h -t all -j "$held_id,$held2_id" -o '%i|%T|%r'
run scontrol release "$held_id"
run scontrol release "$susp_id"
run sacct -X -n -P -j 999999 -o JobID,State,ExitCode,Start,End
run squeue --me -h -t all -j 999999 -o '%i|%T|%r|%S|%e'
{
	sinfo --version
	date +'%Y-%m-%dT%H:%M:%S %Z'
	for f in jobs squeue-all sacct-all release; do
		echo "--- $f.txt"
		cat "$out/$f.txt"
	done
} | sed 's/^/# /'
ok "captured into $out"
done_testing
