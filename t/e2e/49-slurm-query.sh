#!/usr/bin/env bash
# 49-slurm-query.sh - lib/adapters/slurmq.c against the real (private) Slurm cluster
# with accounting, through build/t/slurmq-probe: one squeue poll sees two
# held jobs as held; one scontrol release runs both; the poll then shows
# them COMPLETED and FAILED; sacct reports their exit codes (the jobs are
# still in squeue - MinJobAge is 600 s - which sacct does not mind); a
# release naming an unknown and a finished job reports exactly those; bad
# ids never reach a command.  Timings of one call each are noted.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/slurm.sh"

need sbatch squeue sacct scontrol
PROBE=$BUILD/t/slurmq-probe
[ -x "$PROBE" ] || bail "$PROBE is built (make $PROBE)"
SQUEUE=$(command -v squeue)
SACCT=$(command -v sacct)
SCONTROL=$(command -v scontrol)

slurm_start --accounting || bail "private Slurm cluster with accounting starts"

sub=$T_TMP/submit
mkdir -p "$sub"
printf '#!/bin/sh\necho ok\n' >"$sub/ok.sh"
printf '#!/bin/sh\nexit 3\n' >"$sub/fail.sh"
submit() { (cd "$sub" && sbatch --parsable "$@"); }

# job OUTPUT ID: the probe's "job ID ..." line for ID, without "job ID "
job() {
	printf '%s\n' "$1" | sed -n "s/^job $2 //p"
}
# ms OUTPUT: the milliseconds of the probe's "calls N ms MS" line
ms() {
	printf '%s\n' "$1" | sed -n 's/^calls [0-9]* ms //p'
}

ok_id=$(submit --hold -J ok ok.sh)
fail_id=$(submit --hold -J fail fail.sh)
like "two held jobs submitted" "$ok_id $fail_id" '^[0-9]+ [0-9]+$' ||
	bail "sbatch --hold"

# --- poll: held --------------------------------------------------------------
out=$("$PROBE" poll "$SQUEUE" 2>&1)
is "poll: held job PENDING, not terminal, held, reason JobHeldUser" \
	"$(job "$out" "$ok_id" | cut -d' ' -f1-4)" "PENDING 0 1 JobHeldUser"
is "poll: the other held job too" \
	"$(job "$out" "$fail_id" | cut -d' ' -f1-4)" "PENDING 0 1 JobHeldUser"
is "poll: no start or end yet, exit unknown" \
	"$(job "$out" "$ok_id" | cut -d' ' -f5-8)" "-1 -1 0 0"
like "poll: one squeue call" "$out" '^calls 1 ms [0-9]+$'
note "one squeue: $(ms "$out") ms"

# --- release: one call for both ----------------------------------------------
out=$("$PROBE" release "$SCONTROL" "$ok_id" "$fail_id" 2>&1)
rc=$?
is "release of two held jobs: exit 0" "$rc" 0
like "release: one scontrol call" "$out" '^calls 1 ms [0-9]+$'
note "one scontrol release (2 jobs): $(ms "$out") ms"
check "released jobs end COMPLETED" slurm_wait_state "$ok_id" COMPLETED 30
check "... and FAILED" slurm_wait_state "$fail_id" FAILED 30

now=$(date +%s)
out=$("$PROBE" poll "$SQUEUE" 2>&1)
is "poll: COMPLETED, terminal, not held, reason None" \
	"$(job "$out" "$ok_id" | cut -d' ' -f1-4)" "COMPLETED 1 0 None"
is "poll: FAILED, terminal, reason NonZeroExitCode" \
	"$(job "$out" "$fail_id" | cut -d' ' -f1-4)" "FAILED 1 0 NonZeroExitCode"
read -r start end <<<"$(job "$out" "$ok_id" | cut -d' ' -f7-8)"
check "poll: start and end are local times read right (within 2 min of now)" \
	test "$start" -gt $((now - 120)) -a "$end" -ge "$start" -a "$end" -le $((now + 5))

# --- sacct: exit codes ------------------------------------------------------
wait_until 10 test "$(slurm_sacct "$ok_id" "$fail_id" | wc -l)" = 2
out=$("$PROBE" acct "$SACCT" "$ok_id" "$fail_id" 999999 2>&1)
rc=$?
is "acct: exit 0" "$rc" 0
is "acct: COMPLETED, exit 0:0" "$(job "$out" "$ok_id" | cut -d' ' -f1,2,5,6)" \
	"COMPLETED 1 0 0"
is "acct: FAILED, exit 3:0" "$(job "$out" "$fail_id" | cut -d' ' -f1,2,5,6)" \
	"FAILED 1 3 0"
is "acct: an unknown id is simply missing" "$(printf '%s\n' "$out" | grep -c '^job ')" 2
like "acct: one sacct call" "$out" '^calls 1 ms [0-9]+$'
note "one sacct (3 ids): $(ms "$out") ms"
out=$("$PROBE" acct "$SACCT" 2>&1)
# no call: no Slurm command run (the time is the probe's own, 0 or 1 ms)
like "acct: no ids, no call" "$out" '^calls 0 ms [0-9]+$'

# --- release: unknown and finished ids are reported, the rest released -------
held_id=$(submit --hold -J held ok.sh)
out=$("$PROBE" release "$SCONTROL" 999999 "$held_id" "$ok_id" 2>&1)
rc=$?
is "release with an unknown and a finished job: exit 1" "$rc" 1
is "... naming exactly those" "$(printf '%s\n' "$out" | sed -n 's/^failed //p' | tr '\n' ' ')" \
	"999999 $ok_id "
like "... in the message" "$out" "slurmq-probe: .*release: 2 of 3 jobs not released \\(999999, \\.\\.\\.\\)"
check "... and the held one of the batch ran" slurm_wait_state "$held_id" COMPLETED 30
out=$("$PROBE" release "$SCONTROL" "$held_id" 2>&1)
is "release of a finished job: exit 1, named" \
	"$? $(printf '%s\n' "$out" | sed -n 's/^failed //p')" "1 $held_id"

# --- ids are checked before any command runs ----------------------------------
for bad in 0 -5 4294967296; do
	out=$("$PROBE" release "$SCONTROL" "$ok_id" "$bad" 2>&1)
	rc=$?
	is "release: id $bad refused (exit 1, no call)" \
		"$rc $(printf '%s\n' "$out" | sed -n 's/^calls //p' | cut -d' ' -f1)" "1 0"
done
like "... saying why" "$out" 'slurmq-probe: scontrol release: 4294967296 is not a job id'
out=$("$PROBE" acct "$SACCT" '1,2' 2>&1)
is "a comma in an id never reaches sacct (the probe refuses it)" "$?" 2

# --- a dead controller --------------------------------------------------------
kill_pidfile "$T_SLURM_DIR/run/slurmctld.pid"
out=$("$PROBE" poll "$SQUEUE" 2>&1)
rc=$?
is "poll with slurmctld down: exit 1" "$rc" 1
like "... with squeue's message" "$out" \
	'slurmq-probe: .*squeue exited 1: slurm_load_jobs error: Unable to contact slurm controller'
note "squeue with slurmctld down: $(ms "$out") ms"

done_testing
