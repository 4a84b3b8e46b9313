#!/usr/bin/env bash
# 15-jobscript.sh - scripts/bot-build.slurm on the real (private) Slurm
# cluster, with job directories laid out as the software-layer contract
# says: the target repository's bot/ scripts run in order with cfg/job.cfg,
# TMPDIR under local_tmp (expanded at job time), proxies exported, results
# written by check-build/check-test or defaulted to UNKNOWN, SKIP_TESTS
# honoured, a missing bot/build.sh fails the job, and no GitHub token that
# leaked into the submitting environment reaches the build.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/slurm.sh"

need sbatch squeue scontrol
JOBSCRIPT=$TOP/scripts/bot-build.slurm
slurm_start || bail "private Slurm cluster did not start"

# jobdir NAME: a job directory with cfg/job.cfg and the repository's bot/
jobdir() {
	local d=$T_TMP/jobs/$1
	mkdir -p "$d/cfg" "$d/bot"
	cat >"$d/cfg/job.cfg" <<EOF
[site_config]
local_tmp = $T_TMP/nodetmp/\$USER/EESSI
http_proxy = http://proxy.example:3128/
https_proxy = http://proxy.example:3128/

[repository]
repos_cfg_dir = $d/cfg
repo_id = eessi-2023.06-software

[architecture]
software_subdir = x86_64/generic
os_type = linux
EOF
	echo "$d"
}

# submit DIR: runs the job script from DIR (GITHUB_TOKEN in the environment
# sbatch copies into the job); prints the job id
submit() {
	(cd "$1" && GITHUB_TOKEN=ghs_leakedTokenValue1234 sbatch --parsable "$JOBSCRIPT")
}

# finish ID STATE: waits for the end state
finish() {
	slurm_wait_state "$1" "$2" 60
}

# --- a full run: every bot/ script present
d=$(jobdir full)
cat >"$d/bot/build.sh" <<'EOF'
echo "build: TMPDIR=$TMPDIR"
echo "build: http_proxy=$http_proxy"
echo "build: token=${GITHUB_TOKEN:-none}"
echo "build: subdir=$(grep software_subdir cfg/job.cfg)"
touch "$TMPDIR/scratch" && echo "build: tmp writable"
echo "eessi-2023.06-software-linux-x86_64-generic-1700000000.tar.gz created!"
EOF
cat >"$d/bot/check-build.sh" <<'EOF'
printf '[RESULT]\nstatus = SUCCESS\ncomment_description = built\nartefacts = eessi.tar.gz\n' >"_bot_job${SLURM_JOB_ID}.result"
EOF
echo 'echo "test: ran"' >"$d/bot/test.sh"
cat >"$d/bot/check-test.sh" <<'EOF'
printf '[TEST]\nstatus = SUCCESS\ncomment_description = tested\n' >"_bot_job${SLURM_JOB_ID}.test"
EOF
id=$(submit "$d") || bail "sbatch failed"
finish "$id" COMPLETED && ok "full run: job $id COMPLETED" || not_ok "full run: job $id COMPLETED"
out=$(cat "$d/slurm-$id.out" 2>/dev/null)
like "full run: TMPDIR under local_tmp with \$USER expanded in the job" "$out" "build: TMPDIR=$T_TMP/nodetmp/$(id -un)/EESSI/job$id\."
like "full run: TMPDIR writable" "$out" "build: tmp writable"
like "full run: proxy exported" "$out" "build: http_proxy=http://proxy.example:3128/"
like "full run: no GitHub token in the build" "$out" "build: token=none"
unlike "full run: token value nowhere in the output" "$out" "leakedTokenValue"
like "full run: build.sh ran in the job directory" "$out" "build: subdir=software_subdir = x86_64/generic"
like "full run: test.sh ran" "$out" "test: ran"
like "full run: check-build.sh's result kept" "$(cat "$d/_bot_job$id.result" 2>/dev/null)" "status = SUCCESS"
like "full run: check-test.sh's result kept" "$(cat "$d/_bot_job$id.test" 2>/dev/null)" "status = SUCCESS"

# --- no check scripts: UNKNOWN results written by the job script
d=$(jobdir defaults)
echo 'echo "build: minimal"' >"$d/bot/build.sh"
id=$(submit "$d") || bail "sbatch failed"
finish "$id" COMPLETED && ok "defaults: job COMPLETED" || not_ok "defaults: job COMPLETED"
like "defaults: UNKNOWN result without check-build.sh" "$(cat "$d/_bot_job$id.result" 2>/dev/null)" 'status = UNKNOWN'
like "defaults: UNKNOWN test result without check-test.sh" "$(cat "$d/_bot_job$id.test" 2>/dev/null)" 'status = UNKNOWN'

# --- SKIP_TESTS=yes from cfg/export_vars.sh
d=$(jobdir skip)
echo 'echo "build: skip"' >"$d/bot/build.sh"
echo 'echo "test: should not run"' >"$d/bot/test.sh"
echo 'export SKIP_TESTS=yes' >"$d/cfg/export_vars.sh"
id=$(submit "$d") || bail "sbatch failed"
finish "$id" COMPLETED && ok "skip: job COMPLETED" || not_ok "skip: job COMPLETED"
unlike "skip: test.sh not run" "$(cat "$d/slurm-$id.out" 2>/dev/null)" "test: should not run"
check_fails "skip: no test result" test -e "$d/_bot_job$id.test"

# --- a failing build: the job fails with the script's status
d=$(jobdir failing)
printf 'echo "FATAL: compiler exploded"\nexit 3\n' >"$d/bot/build.sh"
id=$(submit "$d") || bail "sbatch failed"
finish "$id" FAILED && ok "failing build: job FAILED" || not_ok "failing build: job FAILED"
is "failing build: exit code 3" "$(slurm_exit_code "$id")" "3:0"
check "failing build: a result still written" test -f "$d/_bot_job$id.result"

# --- no bot/build.sh: the job fails and says why
d=$(jobdir missing)
id=$(submit "$d") || bail "sbatch failed"
finish "$id" FAILED && ok "missing build.sh: job FAILED" || not_ok "missing build.sh: job FAILED"
like "missing build.sh: says so" "$(cat "$d/slurm-$id.out" 2>/dev/null)" "FATAL: bot/build.sh is missing"

done_testing
