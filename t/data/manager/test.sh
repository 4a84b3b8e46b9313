#!/bin/bash
# bot/test.sh of t/e2e/55-manager.sh's software layer.  For the mode
# fail-noresult of bot/e2e-plan it removes the UNKNOWN result the job script
# wrote in place of bot/check-build.sh's: the job then leaves no result
# file, as one whose checks never ran, and the manager has to read the job
# output itself.
set -u
subdir=$(awk -F' *= *' '$1 ~ /^software_subdir/ { print $2; exit }' cfg/job.cfg)
repo=$(awk -F' *= *' '$1 ~ /^repo_id/ { print $2; exit }' cfg/job.cfg)
mode=$(awk -v s="$subdir" -v r="$repo" '$1 == s && ($2 == r || $2 == "*") { print $3; exit }' bot/e2e-plan)
echo "e2e test.sh: $mode"
[ "$mode" = fail-noresult ] && rm -f "_bot_job${SLURM_JOB_ID:?}.result"
exit 0
