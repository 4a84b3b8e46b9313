#!/bin/bash
# bot/check-build.sh of t/e2e/55-manager.sh's software layer: judges the job
# output as EESSI's check-build.sh does and writes _bot_job<ID>.result -
# except for the modes of bot/e2e-plan that leave no result (see build.sh).
set -u
job=${SLURM_JOB_ID:?}
out=slurm-$job.out
subdir=$(awk -F' *= *' '$1 ~ /^software_subdir/ { print $2; exit }' cfg/job.cfg)
repo=$(awk -F' *= *' '$1 ~ /^repo_id/ { print $2; exit }' cfg/job.cfg)
mode=$(awk -v s="$subdir" -v r="$repo" '$1 == s && ($2 == r || $2 == "*") { print $3; exit }' bot/e2e-plan)
case $mode in fail-noresult | sleep) exit 0 ;; esac

errors=$(grep -cE '^(FATAL|ERROR|FAILED): ' "$out")
missing=$(grep -c ' required modules missing:' "$out")
nomissing=$(grep -c 'No missing installations' "$out")
tarball=$(grep -E 'tar.* created!' "$out" | tail -n 1 | sed 's/ created!$//')
if [ "$errors" = 0 ] && [ "$missing" = 0 ] && [ "$nomissing" -gt 0 ] && [ -n "$tarball" ]; then
	status=SUCCESS
	summary="e2e build of $subdir for $repo: tarball $(basename "$tarball")"
	artefact=$(basename "$tarball")
else
	status=FAILURE
	summary="e2e build of $subdir for $repo failed: $errors error lines, $missing missing"
	artefact=
fi
cat >"_bot_job$job.result" <<RESULT
[RESULT]
comment_description = $summary
status = $status
artefacts =
    $artefact
RESULT
