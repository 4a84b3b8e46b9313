#!/usr/bin/env bash
# t/e2e/10-slurm.sh - the private Slurm cluster of t/lib/slurm.sh works:
# a held job pends (JobHeldUser), runs once released and leaves its output in
# the submit directory; a job exiting 3 ends FAILED 3:0; with --accounting,
# sacct records both; after slurm_stop nothing of the cluster is running, not
# even a job that was running (whether slurmctld was alive or not).
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/slurm.sh"

need munged slurmctld slurmd sinfo sbatch squeue scontrol scancel \
	slurmdbd sacctmgr sacct mariadbd mariadb-install-db

_lap=${EPOCHREALTIME//[.,]/}
lap() {
	local now=${EPOCHREALTIME//[.,]/} us
	us=$((now - _lap))
	_lap=$now
	note "$(printf '%s: %d.%02d s' "$1" $((us / 1000000)) $((us / 10000 % 100)))"
}

# nothing_left WHEN: no daemon, slurmstepd or other process of ours remains.
nothing_left() {
	is "$1: no Slurm/munge/MariaDB process of ours is left" "$(slurm_running)" ""
	is "$1: no process mentions $T_TMP" "$(pgrep -af "$T_TMP")" ""
}

sub=$T_TMP/submit
mkdir -p "$sub"
printf '#!/bin/sh\necho "hello from job $SLURM_JOB_ID"\n' >"$sub/hello.sh"
printf '#!/bin/sh\necho failing\nexit 3\n' >"$sub/fail.sh"
printf '#!/bin/sh\nsleep 300\n' >"$sub/sleep.sh"

# submit SCRIPT [SBATCH-OPTION...]: the job id, submitted from $sub
submit() {
	local script=$1
	shift
	(cd "$sub" && sbatch --parsable "$@" "$script")
}

# --- without accounting ------------------------------------------------------
slurm_start || bail "private Slurm cluster starts"
lap "cluster up"
is "node is idle" "$(sinfo -h -n "$(hostname -s)" -o %T)" idle

id=$(submit hello.sh --hold)
like "sbatch --hold --parsable prints an id from FirstJobId=1000" "$id" '^10[0-9]{2}$'
is "held job pends with reason JobHeldUser" "$(slurm_job "$id" '%T|%r')" "PENDING|JobHeldUser"
check "scontrol release" scontrol release "$id"
check "released job completes" slurm_wait_state "$id" COMPLETED 30
lap "release -> COMPLETED"
is "slurm-ID.out in the submit dir holds the job's output" \
	"$(cat "$sub/slurm-$id.out" 2>&1)" "hello from job $id"
check_fails "scontrol release of a finished job fails" scontrol release "$id"

fid=$(submit fail.sh)
check "job exiting 3 ends FAILED" slurm_wait_state "$fid" FAILED 30
lap "submit -> FAILED"
is "FAILED job: reason NonZeroExitCode" "$(slurm_job "$fid" '%T|%r')" "FAILED|NonZeroExitCode"
is "FAILED job: exit code 3:0" "$(slurm_exit_code "$fid")" "3:0"
is "squeue -t all lists both finished jobs" "$(squeue -h -t all -o '%i|%T' | sort)" \
	"$(printf '%s|COMPLETED\n%s|FAILED' "$id" "$fid")"

# a job still running when slurmctld dies cannot be cancelled: slurm_stop
# must kill it (slurmstepd ignores SIGTERM)
sid=$(submit sleep.sh)
check "sleeping job runs" slurm_wait_state "$sid" RUNNING 30
kill_pidfile "$T_SLURM_DIR/run/slurmctld.pid"
slurm_stop
lap "slurmctld killed, slurm_stop"
nothing_left "after slurmctld died and slurm_stop"

# --- with accounting ---------------------------------------------------------
slurm_start --accounting --first-job-id=2000 || bail "Slurm cluster with accounting starts"
lap "cluster with accounting up"

aid=$(submit hello.sh)
afid=$(submit fail.sh)
sid=$(submit sleep.sh)
like "ids start at FirstJobId=2000" "$aid $afid" '^20[0-9]{2} 20[0-9]{2}$'
check "job completes" slurm_wait_state "$aid" COMPLETED 30
check "failing job fails" slurm_wait_state "$afid" FAILED 30
want=$(printf '%s|COMPLETED|0:0\n%s|FAILED|3:0' "$aid" "$afid")
sacct_is() { [ "$(slurm_sacct "$aid" "$afid")" = "$want" ]; }
wait_until 20 sacct_is
is "sacct: COMPLETED 0:0 and FAILED 3:0" "$(slurm_sacct "$aid" "$afid")" "$want"
lap "jobs done and in sacct"

# slurm_stop cancels a running job before stopping the daemons
check "sleeping job runs" slurm_wait_state "$sid" RUNNING 30
slurm_stop
lap "slurm_stop with a running job"
nothing_left "after slurm_stop with accounting"

done_testing
