#!/usr/bin/env bash
# 48-slurm-submit.sh - lib/adapters/slurm.c against the real (private) Slurm cluster,
# through build/t/slurm-probe: a submitted build job is held with the job
# name, comment, slurm_params and target sbatch options of the
# configuration, in the job directory; once released it runs there with
# none of the submitting environment's secrets; slurm_find finds it by its
# comment (also once finished), nothing for another comment, and handles
# hostile ones; a failing sbatch is reported with sbatch's own message.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/slurm.sh"

need sbatch squeue scontrol
PROBE=$BUILD/t/slurm-probe
[ -x "$PROBE" ] || bail "$PROBE is built (make $PROBE)"
SBATCH=$(command -v sbatch)
SQUEUE=$(command -v squeue)

slurm_start || bail "private Slurm cluster starts"

# The job script: says where it runs and keeps its environment.
cat >"$T_TMP/bot-build.slurm" <<'EOF'
#!/bin/sh
echo "pwd=$(pwd)"
echo "submit_dir=$SLURM_SUBMIT_DIR"
env | sort >"job-env.txt"
EOF
chmod 0755 "$T_TMP/bot-build.slurm"

# config FILE SLURM_PARAMS ZEN2_SBATCH: an app.cfg for this cluster
config() {
	cat >"$1" <<EOF
github = { app_id = 1; app_name = "e2e-bot"; installation_id = 2;
  private_key = "$T_TMP/app.pem"; };
buildenv = {
  build_job_script = "$T_TMP/bot-build.slurm";
  submit_command = "$SBATCH";
  slurm_params = [ $2 ];
  jobs_base_dir = "$T_TMP/jobs";
};
architecturetargets = { arch_target_map = (
  { target = "linux/x86_64/amd/zen2"; sbatch = [ $3 ]; },
  { target = "linux/x86_64/generic"; sbatch = [ "--partition=nope" ]; }
); };
job_manager = { job_ids_dir = "$T_TMP/jobs/ids"; poll_command = "$SQUEUE"; };
EOF
}

# field OUTPUT NAME: the value of the probe's "NAME VALUE" line
field() {
	printf '%s\n' "$1" | sed -n "s/^$2 //p" | head -n 1
}

cfg=$T_TMP/app.cfg
config "$cfg" '"--hold", "--partition=debug", "--mem=64M", "--time=30"' \
	'"--time=7", "--cpus-per-task=1"'
jobdir=$T_TMP/jobs/2024.01/o/r/pr_7/event_d-1/run_000/linux_x86_64_amd_zen2
mkdir -p "$jobdir"

# --- submit, with secrets in the calling environment ---------------------
out=$(cd / && GITHUB_TOKEN=ghs_e2eLeakedToken FOO_SECRET=hunter2secret \
	SLURM_JOB_NAME=from-outside "$PROBE" submit "$cfg" "$jobdir" zen2 d-1 7 2>&1)
id=$(field "$out" job)
like "submit prints a job id" "$id" '^1[0-9]{3}$' || bail "no job id" "$out"
comment="eessi-bot:e2e-bot:d-1:linux_x86_64_amd_zen2"
is "the comment as documented" "$(field "$out" comment)" "$comment"
is "argv: command, --parsable, name, comment, slurm_params, target sbatch, script" \
	"$(printf '%s\n' "$out" | sed -n 's/^argv //p' | tr '\n' ' ')" \
	"$SBATCH --parsable --job-name=bot-pr7-linux_x86_64_amd_zen2 --comment=$comment --hold --partition=debug --mem=64M --time=30 --time=7 --cpus-per-task=1 $T_TMP/bot-build.slurm "
note "one sbatch: $(field "$out" calls)"

is "held: PENDING, reason JobHeldUser" "$(slurm_job "$id" '%T|%r')" "PENDING|JobHeldUser"
is "job name bot-prN-KEY" "$(slurm_job "$id" '%j')" "bot-pr7-linux_x86_64_amd_zen2"
is "comment in Slurm, unabridged" "$(slurm_job "$id" '%k')" "$comment"
is "slurm_params: partition debug, 64M" "$(slurm_job "$id" '%P|%m')" "debug|64M"
is "target sbatch after slurm_params: --time=7 wins over --time=30" \
	"$(slurm_job "$id" '%l')" "7:00"
is "target sbatch: one CPU per task" "$(scontrol show job -o "$id" | grep -o ' NumCPUs=[0-9]*')" " NumCPUs=1"
is "working directory is the job directory" "$(slurm_job "$id" '%Z')" "$jobdir"
check "no slurm-ID.out before the release" test ! -e "$jobdir/slurm-$id.out"

# --- find -----------------------------------------------------------------
fout=$("$PROBE" find "$SQUEUE" "$comment" 2>&1)
is "find: the held job by its comment" "$(field "$fout" job)" "$id"
note "one squeue: $(field "$fout" calls)"
is "find: nothing for another delivery's comment" \
	"$(field "$("$PROBE" find "$SQUEUE" "eessi-bot:e2e-bot:d-2:linux_x86_64_amd_zen2" 2>&1)" job)" 0
is "find: nothing for a prefix of the comment" \
	"$(field "$("$PROBE" find "$SQUEUE" "eessi-bot:e2e-bot:d-1" 2>&1)" job)" 0
is "find: a hostile comment is only compared" \
	"$(field "$("$PROBE" find "$SQUEUE" '$(touch${IFS}'"$T_TMP"'/pwned);`id`";#' 2>&1)" job)" 0
check "find: nothing ran the hostile comment" test ! -e "$T_TMP/pwned"
hout=$("$PROBE" find "$SQUEUE" "zzz\";echo \"hello\";#" 2>&1)
rc=$?
is "find: a comment with spaces is refused" "$rc" 1
unlike "find: ... and nothing echoed it" "$hout" '^hello'
hout=$("$PROBE" find "$SQUEUE" "$(printf 'x\n%s %s' "$id" "$comment")" 2>&1)
rc=$?
is "find: a comment with a newline is refused" "$rc" 1
like "find: ... saying why" "$hout" 'slurm-probe: squeue: not a job comment'
# a job of someone else's making with a newline in its comment cannot pose
# as ours: its first line is not our comment, its second is not a job line
fake=$(cd "$T_TMP" && "$SBATCH" --parsable --hold \
	--comment="$(printf 'x\n999 %s' "${comment/d-1/d-9}")" "$T_TMP/bot-build.slurm")
is "find: a comment spanning lines does not pose as ours" \
	"$(field "$("$PROBE" find "$SQUEUE" "${comment/d-1/d-9}" 2>&1)" job)" 0
scancel "$fake"

# --- a second request: its own job, found apart ---------------------------
jobdir2=$T_TMP/jobs/2024.01/o/r/pr_7/event_d-2/run_000/linux_x86_64_amd_zen2
mkdir -p "$jobdir2"
id2=$(field "$("$PROBE" submit "$cfg" "$jobdir2" amd/zen2 d-2 7 2>&1)" job)
like "second submit" "$id2" '^1[0-9]{3}$'
is "find: each delivery its own job" \
	"$(field "$("$PROBE" find "$SQUEUE" "eessi-bot:e2e-bot:d-2:linux_x86_64_amd_zen2" 2>&1)" job) $(field "$("$PROBE" find "$SQUEUE" "$comment" 2>&1)" job)" \
	"$id2 $id"
scancel "$id2"

# --- release: the job runs in the job dir without the caller's secrets ----
check "scontrol release" scontrol release "$id"
check "released job completes" slurm_wait_state "$id" COMPLETED 30
jout=$(cat "$jobdir/slurm-$id.out" 2>&1)
like "slurm-ID.out in the job directory: ran there" "$jout" "^pwd=$jobdir$"
like "SLURM_SUBMIT_DIR is the job directory" "$jout" "submit_dir=$jobdir$"
jenv=$(cat "$jobdir/job-env.txt" 2>&1)
like "the job's environment was kept" "$jenv" '^SLURM_JOB_ID='
unlike "no GITHUB_TOKEN in the job" "$jenv" 'GITHUB_TOKEN|ghs_e2eLeakedToken'
unlike "no FOO_SECRET in the job" "$jenv" 'FOO_SECRET|hunter2secret'
unlike "no SLURM_JOB_NAME of the caller in the job" "$jenv" 'from-outside'
like "PATH passed on" "$jenv" '^PATH=/'
is "find: a finished job still (squeue -t all)" \
	"$(field "$("$PROBE" find "$SQUEUE" "$comment" 2>&1)" job)" "$id"

# --- sbatch failing: sbatch's message in the error ------------------------
before=$(squeue -h -t all -o %i | wc -l)
bad=$T_TMP/bad.cfg
config "$bad" '"--hold", "--bogus-option"' '"--time=7"'
fout=$("$PROBE" submit "$bad" "$jobdir" zen2 d-3 2>&1)
rc=$?
is "an invalid option in slurm_params: exit 1" "$rc" 1
like "... with sbatch's message" "$fout" \
	"^slurm-probe: $SBATCH exited [0-9]+: ($SBATCH|sbatch): unrecognized option '--bogus-option'"
fout=$("$PROBE" submit "$cfg" "$jobdir" generic d-3 2>&1)
rc=$?
is "an unknown partition in the target's sbatch: exit 1" "$rc" 1
like "... with sbatch's error line" "$fout" \
	"^slurm-probe: $SBATCH exited [0-9]+: sbatch: error: invalid partition specified: nope"
fout=$("$PROBE" submit "$cfg" "$T_TMP/no/such/dir" zen2 d-3 2>&1)
is "a missing job directory: exit 1" "$?" 1
like "... saying so" "$fout" '^slurm-probe: .*(No such file|directory)'
is "no job was made by the failures" "$(squeue -h -t all -o %i | wc -l)" "$before"

done_testing
