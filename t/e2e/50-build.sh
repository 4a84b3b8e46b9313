#!/usr/bin/env bash
# 50-build.sh - `bot: build` and the bot:build label, end to end on real
# Slurm through nginx: the handler + consumer, the GitHub stand-in behind
# prism, a local bare repository as the PR's remote.
#   bot: build arch:zen2 -> one held job with the target's parameters, a job
#     directory with the PR merged onto main, cfg/job.cfg, records, one
#     status comment, an eyes reaction and no other comment;
#   the label -> every target of the instance (4 jobs), one status comment;
#   a redelivery -> no second job;
#   a user without permission, wrong filters, hostile values, another
#   instance's line, a conflicting PR -> a reply (or silence), no job;
#   kill -9 of the consumer around sbatch -> exactly one job per target
#   after the manager's iteration recovers the request;
#   a released job runs the job script in its directory;
#   bot: cancel: refused without permission, a hostile job:, a job of
#     another PR, then one scancel for the held and running jobs of PR 10,
#     rows "cancelled by alice" after the manager's iteration, no job left;
#   bot: retry after one of PR 11's four targets failed: refused without
#     permission, then exactly one new job (the failed target), then
#     nothing to retry while it is not over;
#   bot: status and bot: show_config from anyone: the PR's builds from the
#     records (latest attempt per target), what the instance builds; a
#     filter, another instance's line, a hostile argument; 2 GitHub calls;
#   each request's status comment has its document in
#   job_ids_dir/comments/<ID>.json, a row per target with the jobs squeue
#   shows, written once (a redelivery leaves it alone).
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/slurm.sh"
. "$T_DIR/lib/web.sh"
. "$T_DIR/lib/github.sh"
. "$T_DIR/lib/gitrepo.sh"
. "$T_DIR/lib/bot.sh"

need spawn-fcgi nginx curl git flock sbatch squeue scontrol
for p in eessi-bot-webhook eessi-bot-manager; do
	[ -x "$BUILD/$p" ] || bail "no $BUILD/$p (make)"
done
mkdir -p "$T_TMP/bin"
cp "$BUILD/eessi-bot-webhook" "$BUILD/eessi-bot-manager" "$BUILD/eessi-bot-resubmit" "$T_TMP/bin/"
BIN=$T_TMP/bin
SECRET='build-e2e-secret'
REPO=e2e-org/software-layer
D=$T_TMP/bot
LOG=$D/bot.log
R23=eessi.io-2023.06-software
R25=eessi.io-2025.06-software

slurm_start || bail "Slurm did not start"
github_start || bail "GitHub stand-in did not start"
gitrepo_make software-layer 7 || bail "no test repository"
PR7_HEAD=$GITREPO_PR_HEAD_SHA
gitrepo_add_conflicting_pr software-layer 8 || bail "no conflicting PR"
MAIN=$GITREPO_MAIN_SHA
# PR 9 brings symlinks under the names the bot and Slurm write in a job
# directory: cfg/ and slurm-*.out pointing outside, a _bot_job file
mkdir -p "$T_TMP/outside"
_git "$GITREPO_WORK" checkout -q -b pr-9 main &&
	ln -s "$T_TMP/outside" "$GITREPO_WORK/cfg" &&
	for i in $(seq 1000 1040); do ln -s "$T_TMP/outside/out$i" "$GITREPO_WORK/slurm-$i.out"; done &&
	ln -s "$T_TMP/outside/meta" "$GITREPO_WORK/_bot_job1000.metadata" &&
	_gitrepo_commit "$GITREPO_WORK" 2024-01-07T00:00:00Z "Symlinks under the bot's names" &&
	PR9_HEAD=$(_git "$GITREPO_WORK" rev-parse HEAD) &&
	_git "$GITREPO_WORK" push -q "$GITREPO" "$PR9_HEAD:refs/pull/9/head" &&
	_git "$GITREPO_WORK" checkout -q main || bail "no PR 9"
# PR 10's build script runs for ten minutes: jobs to cancel while they run
_git "$GITREPO_WORK" checkout -q -b pr-10 main &&
	printf '#!/bin/bash\necho "bot/build.sh of PR 10: sleeping"\nsleep 600\n' \
		>"$GITREPO_WORK/bot/build.sh" &&
	_gitrepo_commit "$GITREPO_WORK" 2024-01-08T00:00:00Z "A build that takes its time" &&
	_git "$GITREPO_WORK" push -q "$GITREPO" "$(_git "$GITREPO_WORK" rev-parse HEAD):refs/pull/10/head" &&
	_git "$GITREPO_WORK" push -q "$GITREPO" "$(_git "$GITREPO_WORK" rev-parse HEAD):refs/pull/13/head" &&
	_git "$GITREPO_WORK" push -q "$GITREPO" "$(_git "$GITREPO_WORK" rev-parse HEAD):refs/pull/14/head" &&
	_git "$GITREPO_WORK" push -q "$GITREPO" "$(_git "$GITREPO_WORK" rev-parse HEAD):refs/pull/15/head" &&
	_git "$GITREPO_WORK" checkout -q main || bail "no PR 10"
# PR 11's check-build.sh fails the aarch64 target, passes the others
_git "$GITREPO_WORK" checkout -q -b pr-11 main &&
	cat >"$GITREPO_WORK/bot/check-build.sh" <<'SH' &&
#!/bin/bash
status=SUCCESS
grep -q 'software_subdir = aarch64' cfg/job.cfg && status=FAILURE
printf '[RESULT]\nstatus = %s\ncomment_description = check-build: %s\nartefacts = \n' \
	"$status" "$status" >"_bot_job${SLURM_JOB_ID}.result"
SH
	_gitrepo_commit "$GITREPO_WORK" 2024-01-09T00:00:00Z "A check that fails on aarch64" &&
	_git "$GITREPO_WORK" push -q "$GITREPO" "$(_git "$GITREPO_WORK" rev-parse HEAD):refs/pull/11/head" &&
	_git "$GITREPO_WORK" checkout -q main || bail "no PR 11"
# PR 12's build script keeps the job arguments it was given, as it got them
_git "$GITREPO_WORK" checkout -q -b pr-12 main &&
	cat >"$GITREPO_WORK/bot/build.sh" <<'SH' &&
#!/bin/bash
printf '%s' "${E2E_HOSTILE-unset}" >e2e-hostile.out
printf '%s' "${SKIP_TESTS-unset}" >e2e-skip.out
echo "bot/build.sh of PR 12 done"
SH
	_gitrepo_commit "$GITREPO_WORK" 2024-01-10T00:00:00Z "A build that shows its job arguments" &&
	_git "$GITREPO_WORK" push -q "$GITREPO" "$(_git "$GITREPO_WORK" rev-parse HEAD):refs/pull/12/head" &&
	_git "$GITREPO_WORK" checkout -q main || bail "no PR 12"
mkdir -p "$T_TMP/remote/e2e-org"
ln -s "$GITREPO" "$T_TMP/remote/e2e-org/software-layer.git"

# the repository targets' settings, copied into each job's cfg/
mkdir -p "$T_TMP/repos/$R23"
cat >"$T_TMP/repos/repos.cfg" <<EOF
[$R23]
repo_name = software.eessi.io
repo_version = 2023.06
config_bundle = eessi-2023.06-cfg.tar.gz
container = docker://ghcr.io/eessi/build-node:debian12

[$R25]
repo_name = software.eessi.io
repo_version = 2025.06
config_bundle = eessi-2025.06-cfg.tar.gz
container = docker://ghcr.io/eessi/build-node:debian12
EOF
printf 'bundle\n' >"$T_TMP/repos/$R23/eessi-2023.06-cfg.tar.gz"

# scancel behind a wrapper that counts calls and keeps their arguments
cat >"$T_TMP/scancel" <<EOF
#!/bin/sh
n=\$(( \$(cat "$T_TMP/scancel.count" 2>/dev/null || echo 0) + 1 ))
echo "\$n" >"$T_TMP/scancel.count"
echo "\$*" >"$T_TMP/scancel.args.\$n"
exec "$T_SLURM_BIN/scancel" "\$@"
EOF
chmod 0755 "$T_TMP/scancel"
scancels() { cat "$T_TMP/scancel.count" 2>/dev/null || echo 0; }

# sbatch behind a wrapper that counts calls, keeps each call's environment
# and, when $T_TMP/stall.N exists, stalls after the Nth submission (the job
# is in Slurm, the bot has not heard its id yet).
cat >"$T_TMP/sbatch" <<EOF
#!/bin/sh
"$T_SLURM_BIN/sbatch" "\$@"
rc=\$?
n=\$(( \$(cat "$T_TMP/sbatch.count" 2>/dev/null || echo 0) + 1 ))
echo "\$n" >"$T_TMP/sbatch.count"
env >"$T_TMP/sbatch.env.\$n"
printf '%s\n' "\$@" >"$T_TMP/sbatch.argv.\$n"
[ -e "$T_TMP/slow" ] && sleep 0.2
if [ -e "$T_TMP/stall.\$n" ]; then touch "$T_TMP/stalled"; sleep 120; fi
exit \$rc
EOF
chmod 0755 "$T_TMP/sbatch"

mkdir -p "$D/spool"
printf '%s\n' "$SECRET" >"$D/secret"
chmod 0600 "$D/secret"
touch "$LOG"
cat >"$D/app.cfg" <<EOF
github = {
  app_id = $GH_APP_ID;
  app_name = "e2e-cluster";
  installation_id = $GH_INSTALLATION_ID;
  private_key = "$GH_APP_KEY";
  api_url = "$GH_API_URL";
  webhook_secret_file = "$D/secret";
  token_cache_dir = "$D/tokens";
  git_url = "file://$T_TMP/remote";
};
bot_control = { command_permission = [ "alice", "carol" ]; };
buildenv = {
  build_job_script = "$TOP/scripts/bot-build.slurm";
  submit_command = "$T_TMP/sbatch";
  slurm_params = [ "--hold", "--nice=7" ];
  jobs_base_dir = "$D/jobs";
  local_tmp = "$T_TMP/node-tmp/\$USER";
  http_proxy = "http://proxy.e2e.invalid:3128/";
  build_permission = [ "alice" ];
  no_build_permission_comment = "Only maintainers may build on e2e-cluster.";
  allowed_jobargs = [ "SKIP_TESTS=yes|no", "E2E_[A-Z]+=.*" ];
  allowed_submitargs = [ "--time=[0-9]{1,3}", "--mem=[0-9]+M" ];
};
architecturetargets = {
  arch_target_map = (
    { target = "linux/x86_64/generic"; sbatch = [ "--time=11" ]; },
    { target = "linux/x86_64/amd/zen2"; sbatch = [ "--time=12" ];
      accelerators = [ "nvidia/cc80" ]; node_type = "zen2-node"; },
    { target = "linux/aarch64/neoverse_v1"; sbatch = [ "--time=13" ]; }
  );
};
repo_targets = {
  repos_cfg_dir = "$T_TMP/repos";
  repo_target_map = (
    { target = "linux/x86_64/generic"; repos = [ "$R23", "$R25" ]; },
    { target = "linux/x86_64/amd/zen2"; repos = [ "$R23" ]; },
    { target = "linux/aarch64/neoverse_v1"; repos = [ "$R23" ]; }
  );
};
event_handler = { spool_dir = "$D/spool"; log_file = "$LOG"; };
job_manager = {
  job_ids_dir = "$D/jobs/ids";
  poll_command = "$T_SLURM_BIN/squeue";
  scancel_command = "$T_TMP/scancel";
  log_file = "$D/manager.log";
};
EOF
"$BIN/eessi-bot-manager" --check-config -c "$D/app.cfg" >"$T_TMP/check.out" 2>&1
check "the build configuration passes --check-config" test $? -eq 0

# the stand-in knows the PRs (from the repository), the people and comments
gitrepo_seed_json software-layer "$REPO" alice >"$T_TMP/repo-seed.json"
"$T_PYTHON" - "$T_TMP/repo-seed.json" "$REPO" >"$T_TMP/seed.json" <<'PY'
import json, sys
seed = json.load(open(sys.argv[1])); repo = sys.argv[2]
seed["reset"] = True
seed["users"] = ["alice", "mallory", "carol"]
seed["collaborators"] = {repo: {"alice": "admin"}}
seed["comments"] = [{"repo": repo, "issue": n, "user": "alice", "body": "bot: build"}
                    for n in (7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 7, 7, 7, 7, 7, 7, 7,
                              7, 7, 7, 7, 7, 7, 10, 10, 10, 10, 10, 10, 10,
                              11, 11, 11, 11) + (7,) * 22]
print(json.dumps(seed))
PY
gh_seed "$T_TMP/seed.json" >/dev/null || bail "stand-in not seeded"
CIDS=($(gh_state | gh_py '" ".join(str(c["id"]) for c in d["comments"])'))
[ "${#CIDS[@]}" -eq 56 ] || bail "seeded comments missing: ${CIDS[*]}"

uuid() { cat /proc/sys/kernel/random/uuid; }
json_str() { printf '%s' "$1" | "$T_PYTHON" -c 'import json,sys; print(json.dumps(sys.stdin.read()))'; }

# comment_payload FILE COMMENT_ID ISSUE BODY [LOGIN]
comment_payload() {
	webhook pick issue_comment created \
		--set "/repository/full_name=\"$REPO\"" --set "/issue/number=$3" \
		--set "/issue/pull_request={\"url\":\"https://api.github.com/repos/$REPO/pulls/$3\"}" \
		--set "/issue/state=\"${ISSUE_STATE:-open}\"" \
		--set "/comment/id=$2" --set "/comment/body=$(json_str "$4")" \
		--set "/comment/user/login=\"${5:-alice}\"" --set '/comment/user/type="User"' \
		--set /comment/performed_via_github_app=null \
		--set "/installation={\"id\":$GH_INSTALLATION_ID}" \
		--set "/sender/login=\"${5:-alice}\"" >"$1"
}
# label_payload FILE LABEL [LOGIN [BASE-REF-JSON]]: PR ${PR:-7} labeled
label_payload() {
	webhook pick pull_request labeled \
		--set "/repository/full_name=\"$REPO\"" --set "/number=${PR:-7}" \
		--set "/pull_request/number=${PR:-7}" \
		--set "/pull_request/head/sha=\"${HEAD_SHA:-$PR7_HEAD}\"" \
		--set "/pull_request/base/ref=${4:-\"main\"}" \
		--set "/pull_request/state=\"${PR_STATE:-open}\"" \
		--set "/label/name=\"$2\"" \
		--set "/installation={\"id\":$GH_INSTALLATION_ID}" \
		--set "/sender/login=\"${3:-alice}\"" --set '/sender/type="User"' >"$1"
}
# pr_payload FILE ACTION PR [MERGED]: PR closed (merged or not) or reopened
pr_payload() {
	webhook pick pull_request "$2" \
		--set "/repository/full_name=\"$REPO\"" --set "/number=$3" \
		--set "/pull_request/number=$3" \
		--set "/pull_request/state=\"$([ "$2" = reopened ] && echo open || echo closed)\"" \
		--set "/pull_request/merged=${4:-false}" \
		--set "/pull_request/head/sha=\"${5:-$PR7_HEAD}\"" \
		--set "/installation={\"id\":$GH_INSTALLATION_ID}" \
		--set "/sender/login=\"alice\"" --set '/sender/type="User"' >"$1"
}
send() { # send EVENT FILE DELIVERY: the HTTP status
	local out
	out=$(webhook send "$URL" "$1" "$2" --secret "$SECRET" --delivery "$3")
	printf '%s\n' "${out%%$'\n'*}"
}
settled() {
	[ -z "$(find "$D/spool/incoming" "$D/spool/claimed" -type f)" ] &&
		consumer_gone "$BIN" "$D/spool"
}
wait_handled() { wait_until 60 test -e "$D/spool/done/$1" -o -e "$D/spool/failed/$1"; }

# Slurm's view of the bot's jobs for one delivery: "ID STATE REASON LIMIT"
jobs_of() {
	squeue -h -t all -o '%i|%T|%r|%l|%k' | awk -F'|' -v d=":$1:" 'index($5, d) { print $1, $2, $3, $4 }' | sort -n
}
njobs_of() { jobs_of "$1" | grep -c . ; }
status_comments() { # status_comments DELIVERY: how many status comments
	gh_state | gh_py "str(sum(1 for c in d['comments'] if c['body'].startswith('<!-- eessi-bot status instance=e2e-cluster delivery=$1 ')))"
}
status_body() {
	gh_state | gh_py "[c['body'] for c in d['comments'] if c['body'].startswith('<!-- eessi-bot status instance=e2e-cluster delivery=$1 ')][0]"
}
replies_to() {
	gh_state | gh_py "str(sum(1 for c in d['comments'] if c['body'].startswith('<!-- eessi-bot reply-to=$1 ')))"
}
reply_body() {
	gh_state | gh_py "([c['body'] for c in d['comments'] if c['body'].startswith('<!-- eessi-bot reply-to=$1 ')] + [''])[0]"
}
reactions_on() {
	gh_state | gh_py "str(sum(1 for r in d['reactions'] if r['comment_id'] == $1))"
}
all_jobs() { squeue -h -t all -o '%i' | grep -c . ; }
status_id() { # status_id DELIVERY: the status comment's id
	gh_state | gh_py "[c['id'] for c in d['comments'] if c['body'].startswith('<!-- eessi-bot status instance=e2e-cluster delivery=$1 ')][0]"
}
# The status comment's document, summed up: "comment_id=ID delivery=D
# rows=N jobs=ID... states=S,..." (job ids and states in job-id order),
# or the reason it does not parse.
doc_of() { # doc_of COMMENT_ID
	"$T_PYTHON" - "$D/jobs/ids/comments/$1.json" <<'PY' 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 1, "version"
rows = sorted(d["rows"], key=lambda r: r["job_id"])
print("comment_id=%d delivery=%s rows=%d jobs=%s states=%s" % (
    d["comment_id"], d["delivery"], len(rows),
    " ".join(str(r["job_id"]) for r in rows),
    ",".join(r["state"] for r in rows)))
PY
}
job_ids_of() { jobs_of "$1" | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//'; }

fcgi_start "$BIN/eessi-bot-webhook" EESSI_BOT_CONFIG="$D/app.cfg" \
	SLURM_CONF="$SLURM_CONF" GITHUB_TOKEN=leaked-into-the-handler &&
	nginx_start "$FCGI_PORT" || bail "nginx + spawn-fcgi did not start"
URL=$NGINX_URL

# --- bot: build arch:zen2 ----------------------------------------------------
comment_payload "$T_TMP/c1.json" "${CIDS[0]}" 7 $'Please build this.\nbot: build arch:zen2'
D1=$(uuid)
is "build: answered 202" "$(send issue_comment "$T_TMP/c1.json" "$D1")" 202
check "build: handled" wait_handled "$D1"
check "build: entry done" test -e "$D/spool/done/$D1"
J1=$(jobs_of "$D1")
is "build: one job in Slurm for the request" "$(njobs_of "$D1")" 1
read -r ID1 ST1 RS1 TL1 <<<"$J1"
is "build: the job is held" "$ST1 $RS1" "PENDING JobHeldUser"
is "build: with the target's sbatch parameters (--time=12)" "$TL1" "12:00"
SC=$(scontrol show job "$ID1")
like "build: with slurm_params (--nice=7)" "$SC" 'Nice=7'
like "build: named after PR and target" "$SC" "JobName=bot-pr7-"
MONTH=$(date -u +%Y.%m)
JD1=$D/jobs/$MONTH/$REPO/pr_7/event_$D1/run_000/$R23/linux_x86_64_amd_zen2
like "build: runs in the job directory" "$SC" "WorkDir=$JD1"
check "build: job directory exists" test -d "$JD1"
check "build: holds the PR's file" test -f "$JD1/easystacks/eessi-2023.06-eb-4.9.1-2023b.yml"
check "build: and main's newer file (merged)" test -f "$JD1/main-only.txt"
is "build: HEAD is a merge of main and the PR head" \
	"$(git -C "$JD1" rev-list --parents -n1 HEAD | cut -d' ' -f2-)" "$MAIN $PR7_HEAD"
like "build: job.cfg names the subdir" "$(cat "$JD1/cfg/job.cfg")" 'software_subdir = x86_64/amd/zen2'
like "build: job.cfg names the repository" "$(cat "$JD1/cfg/job.cfg")" "repo_id = $R23"
like "build: job.cfg has the repository's version" "$(cat "$JD1/cfg/job.cfg")" 'repo_version = 2023.06'
like "build: job.cfg has the proxy" "$(cat "$JD1/cfg/job.cfg")" 'http_proxy = http://proxy.e2e.invalid:3128/'
like "build: job.cfg has node_type" "$(cat "$JD1/cfg/job.cfg")" 'node_type = zen2-node'
unlike "build: no accelerator for a CPU build" "$(cat "$JD1/cfg/job.cfg")" 'accelerator ='
check "build: repos.cfg copied into cfg/" cmp -s "$T_TMP/repos/repos.cfg" "$JD1/cfg/repos.cfg"
check "build: the repository's files copied" test -f "$JD1/cfg/$R23/eessi-2023.06-cfg.tar.gz"
check "build: job-id symlink" test "$(readlink "$D/jobs/$ID1")" = "$JD1"
REC=$D/jobs/ids/submitted/$ID1
check "build: submission record in job_ids_dir/submitted" test -f "$REC"
check "build: the same record beside the job" cmp -s "$REC" "$JD1/_bot_job$ID1.metadata"
like "build: record names repo and PR" "$(cat "$REC")" "repo = $REPO"
like "build: record has the head SHA" "$(cat "$REC")" "head_sha = $PR7_HEAD"
like "build: record has the delivery" "$(cat "$REC")" "delivery = $D1"
is "build: one status comment" "$(status_comments "$D1")" 1
SB=$(status_body "$D1")
SID=$(gh_state | gh_py "[c['id'] for c in d['comments'] if c['body'].startswith('<!-- eessi-bot status instance=e2e-cluster delivery=$D1 ')][0]")
like "build: record ties the status comment" "$(cat "$REC")" "pr_comment_id = $SID"
like "build: status row with the job id, held" "$SB" "\| linux/x86_64/amd/zen2[^|]*\| $ID1 \| held"
like "build: status names the asker" "$SB" '@alice'
like "build: status names the commits" "$SB" "${PR7_HEAD:0:7}"
DOC1=$D/jobs/ids/comments/$SID.json
check "build: the status comment's document in job_ids_dir/comments" test -f "$DOC1"
is "build: the document parses, one held row with the job" "$(doc_of "$SID")" \
	"comment_id=$SID delivery=$D1 rows=1 jobs=$ID1 states=held"
like "build: the document's row names the target" "$(cat "$DOC1")" \
	'"target": ?"linux/x86_64/amd/zen2 for eessi.io-2023.06-software"'
like "build: the document's row has the note" "$(cat "$DOC1")" \
	'"note": ?"submitted, waiting for release"'
DOC1_SUM=$(cksum <"$DOC1")
DOC1_MTIME=$(stat -c %Y.%y "$DOC1")
is "build: eyes reaction on the command" "$(reactions_on "${CIDS[0]}")" 1
is "build: no reply comment beside the status" "$(replies_to "${CIDS[0]}")" 0
N=$(cat "$T_TMP/sbatch.count")
unlike "build: sbatch's environment has no GitHub token" "$(cat "$T_TMP/sbatch.env.$N")" 'GITHUB|leaked|TOKEN'
like "build: sbatch got SLURM_CONF" "$(cat "$T_TMP/sbatch.env.$N")" 'SLURM_CONF='
check "build: consumer gone" wait_until 15 settled

# --- a redelivery -------------------------------------------------------------
is "redelivery: 200 (known)" "$(send issue_comment "$T_TMP/c1.json" "$D1")" 200
sleep 1
check "redelivery: settled" wait_until 15 settled
is "redelivery: still one job" "$(njobs_of "$D1")" 1
is "redelivery: still one status comment" "$(status_comments "$D1")" 1
is "redelivery: the document is not rewritten (content)" "$(cksum <"$DOC1")" "$DOC1_SUM"
is "redelivery: the document is not rewritten (mtime)" "$(stat -c %Y.%y "$DOC1")" "$DOC1_MTIME"
is "redelivery: one document for the request" "$(grep -l "\"delivery\":\"$D1\"" "$D"/jobs/ids/comments/*.json | wc -l)" 1

# --- the label: every target ------------------------------------------------
label_payload "$T_TMP/l1.json" bot:build
D2=$(uuid)
is "label: answered 202" "$(send pull_request "$T_TMP/l1.json" "$D2")" 202
check "label: handled" wait_handled "$D2"
is "label: 4 jobs (generic x2 repos, zen2, neoverse_v1)" "$(njobs_of "$D2")" 4
is "label: all held" "$(jobs_of "$D2" | awk '{print $2, $3}' | sort -u)" "PENDING JobHeldUser"
is "label: time limits per target" "$(jobs_of "$D2" | awk '{print $4}' | sort | tr '\n' ' ')" "11:00 11:00 12:00 13:00 "
is "label: one status comment" "$(status_comments "$D2")" 1
SB2=$(status_body "$D2")
is "label: four rows held" "$(printf '%s\n' "$SB2" | grep -c '| held')" 4
check "label: 2025.06 job directory" test -d "$D/jobs/$MONTH/$REPO/pr_7/event_$D2/run_000/$R25/linux_x86_64_generic"
is "label: 4 records" "$(grep -l "delivery = $D2" "$D"/jobs/ids/submitted/* | wc -l)" 4
SID2=$(status_id "$D2")
is "label: the document has a row per target with squeue's jobs" "$(doc_of "$SID2")" \
	"comment_id=$SID2 delivery=$D2 rows=4 jobs=$(job_ids_of "$D2") states=held,held,held,held"
label_payload "$T_TMP/l2.json" "bug"
D3=$(uuid)
send pull_request "$T_TMP/l2.json" "$D3" >/dev/null
check "other label: handled" wait_handled "$D3"
is "other label: no job" "$(njobs_of "$D3")" 0
like "other label: logged as ignored" "$(cat "$LOG")" "\[$D3\].*ignored: label bug"

# --- refusals: each gets a reply and nothing else ------------------------------
BEFORE=$(all_jobs)
comment_payload "$T_TMP/c2.json" "${CIDS[1]}" 7 'bot: build arch:zen2' mallory
D4=$(uuid)
send issue_comment "$T_TMP/c2.json" "$D4" >/dev/null
check "no permission: handled" wait_handled "$D4"
is "no permission: one reply" "$(replies_to "${CIDS[1]}")" 1
like "no permission: command_permission's refusal" "$(reply_body "${CIDS[1]}")" \
	'Account `mallory` may not give commands to instance `e2e-cluster` \(`command_permission`\)'
is "no permission: no status comment" "$(status_comments "$D4")" 0
is "no permission: no reaction" "$(reactions_on "${CIDS[1]}")" 0
is "no permission: no job" "$(all_jobs)" "$BEFORE"
# carol may give commands (command_permission) but not build
comment_payload "$T_TMP/c2c.json" "${CIDS[34]}" 7 'bot: build arch:zen2' carol
D4C=$(uuid)
send issue_comment "$T_TMP/c2c.json" "$D4C" >/dev/null
check "no build permission: handled" wait_handled "$D4C"
is "no build permission: one reply" "$(replies_to "${CIDS[34]}")" 1
like "no build permission: the configured text" "$(reply_body "${CIDS[34]}")" 'Only maintainers may build on e2e-cluster'
is "no build permission: no status comment" "$(status_comments "$D4C")" 0
is "no build permission: no reaction" "$(reactions_on "${CIDS[34]}")" 0
is "no build permission: no job" "$(all_jobs)" "$BEFORE"

comment_payload "$T_TMP/c3.json" "${CIDS[2]}" 7 $'bot: build arc:zen2\nbot: build arch:zen2'
D5=$(uuid)
send issue_comment "$T_TMP/c3.json" "$D5" >/dev/null
check "bad filter: handled" wait_handled "$D5"
R=$(reply_body "${CIDS[2]}")
like "bad filter: the reply names the word" "$R" 'arc'
like "bad filter: and says what is valid" "$R" 'arch:'
like "bad filter: nothing submitted" "$R" 'Nothing was submitted'
is "bad filter: no job, not even for the good line" "$(all_jobs)" "$BEFORE"
is "bad filter: no status comment" "$(status_comments "$D5")" 0

HOSTILE=$'bot: build arch:zzz";echo${IFS}"hello";#\nbot: build arch:$(id)\nbot: build arch:../../etc\nbot: build repo:'"$(printf 'x%.0s' $(seq 1 3000))"
comment_payload "$T_TMP/c4.json" "${CIDS[3]}" 7 "$HOSTILE"
D6=$(uuid)
(cd "$T_TMP" && send issue_comment "$T_TMP/c4.json" "$D6" >/dev/null)
check "hostile: handled" wait_handled "$D6"
R=$(reply_body "${CIDS[3]}")
is "hostile: one reply" "$(replies_to "${CIDS[3]}")" 1
like "hostile: line 1 refused" "$R" 'line 1'
like "hostile: line 3 refused" "$R" 'line 3'
is "hostile: no job" "$(all_jobs)" "$BEFORE"
check "hostile: no file 'hello' anywhere near" test -z "$(find "$T_TMP" "$D" -name hello -o -name 'id)*' | head -1)"
check "hostile: no directory outside jobs_base_dir" test ! -e "$D/etc"

comment_payload "$T_TMP/c5.json" "${CIDS[4]}" 7 'bot: build arch:zen4'
D7=$(uuid)
send issue_comment "$T_TMP/c5.json" "$D7" >/dev/null
check "no match: handled" wait_handled "$D7"
R=$(reply_body "${CIDS[4]}")
like "no match: says so" "$R" 'matches no target of instance `e2e-cluster`'
like "no match: lists the targets" "$R" 'linux/x86_64/amd/zen2'
is "no match: no job" "$(all_jobs)" "$BEFORE"

comment_payload "$T_TMP/c6.json" "${CIDS[5]}" 7 'bot: build inst:another-cluster'
D8=$(uuid)
send issue_comment "$T_TMP/c6.json" "$D8" >/dev/null
check "other instance: handled" wait_handled "$D8"
is "other instance: no reply" "$(replies_to "${CIDS[5]}")" 0
is "other instance: no reaction" "$(reactions_on "${CIDS[5]}")" 0
is "other instance: no job" "$(all_jobs)" "$BEFORE"

comment_payload "$T_TMP/c7.json" "${CIDS[8]}" 8 'bot: build arch:generic'
D9=$(uuid)
send issue_comment "$T_TMP/c7.json" "$D9" >/dev/null
check "conflict: handled" wait_handled "$D9"
R=$(reply_body "${CIDS[8]}")
like "conflict: reply says it does not merge" "$R" 'does not merge'
like "conflict: names the file" "$R" 'README.md'
is "conflict: no job" "$(all_jobs)" "$BEFORE"
is "conflict: no status comment" "$(status_comments "$D9")" 0
check "conflict: settled" wait_until 15 settled

label_payload "$T_TMP/l4.json" bot:build mallory
D11=$(uuid)
send pull_request "$T_TMP/l4.json" "$D11" >/dev/null
check "label, no permission: handled" wait_handled "$D11"
is "label, no permission: one reply" "$(replies_to "delivery:$D11")" 1
like "label, no permission: the configured text" "$(reply_body "delivery:$D11")" 'Only maintainers may build'
is "label, no permission: no job" "$(all_jobs)" "$BEFORE"
is "label, no permission: no status comment" "$(status_comments "$D11")" 0

label_payload "$T_TMP/l5.json" bot:build alice "$(json_str 'zzz";echo${IFS}"hello";#')"
D12=$(uuid)
(cd "$T_TMP" && send pull_request "$T_TMP/l5.json" "$D12" >/dev/null)
check "hostile base branch: handled" wait_handled "$D12"
like "hostile base branch: a reply says the name is refused" "$(reply_body "delivery:$D12")" 'base branch .* has a name this bot does not accept'
is "hostile base branch: no job" "$(all_jobs)" "$BEFORE"
check "hostile base branch: no file 'hello'" test -z "$(find "$T_TMP" -name hello | head -1)"
check "hostile base branch: the git cache has no such branch" \
	test -z "$(git --git-dir="$D/jobs/.git-cache/$REPO.git" for-each-ref | grep -F 'zzz')"
HEAD_SHA=$(printf 'f%.0s' $(seq 1 40)) label_payload "$T_TMP/l6.json" bot:build
D13=$(uuid)
send pull_request "$T_TMP/l6.json" "$D13" >/dev/null
check "unknown head commit: handled" wait_handled "$D13"
like "unknown head commit: the PR is told the build could not start" \
	"$(reply_body "delivery:$D13")" 'could not start on instance `e2e-cluster`'
unlike "unknown head commit: no path of the cluster in the PR" "$(reply_body "delivery:$D13")" "$T_TMP"
like "unknown head commit: the log says why" "$(cat "$LOG")" "\[$D13\].*ffffffffff.*not found"
is "unknown head commit: no job" "$(all_jobs)" "$BEFORE"
check "refusals: settled" wait_until 15 settled

# --- a line over the length bound: "too long", not "unknown command" ----------
comment_payload "$T_TMP/c8.json" "${CIDS[6]}" 7 "bot: build arch:$(printf 'z%.0s' $(seq 1 1100))"
D15=$(uuid)
send issue_comment "$T_TMP/c8.json" "$D15" >/dev/null
check "long line: handled" wait_handled "$D15"
R=$(reply_body "${CIDS[6]}")
like "long line: the reply says the line is too long" "$R" 'line 1, `bot: build .*`: the line is too long'
unlike "long line: not 'unknown command'" "$R" 'unknown command'
is "long line: no job" "$(all_jobs)" "$BEFORE"
is "long line: no status comment" "$(status_comments "$D15")" 0

# --- a closed pull request: told so, nothing built ------------------------------
ISSUE_STATE=closed comment_payload "$T_TMP/c9.json" "${CIDS[7]}" 7 'bot: build arch:zen2'
D16=$(uuid)
send issue_comment "$T_TMP/c9.json" "$D16" >/dev/null
check "closed, comment: handled" wait_handled "$D16"
is "closed, comment: one reply" "$(replies_to "${CIDS[7]}")" 1
like "closed, comment: it says the PR is closed" "$(reply_body "${CIDS[7]}")" 'This pull request is closed; nothing built'
is "closed, comment: no job" "$(all_jobs)" "$BEFORE"
is "closed, comment: no status comment" "$(status_comments "$D16")" 0
PR_STATE=closed label_payload "$T_TMP/l7.json" bot:build
D17=$(uuid)
send pull_request "$T_TMP/l7.json" "$D17" >/dev/null
check "closed, label: handled" wait_handled "$D17"
like "closed, label: the reply says the PR is closed" "$(reply_body "delivery:$D17")" 'This pull request is closed; nothing built'
is "closed, label: no job" "$(all_jobs)" "$BEFORE"
is "closed, label: no status comment" "$(status_comments "$D17")" 0
check "closed: settled" wait_until 15 settled

# --- labels compare without case, as GitHub compares them ------------------------
label_payload "$T_TMP/l8.json" BOT:BUILD
D18=$(uuid)
send pull_request "$T_TMP/l8.json" "$D18" >/dev/null
check "BOT:BUILD label: handled" wait_handled "$D18"
is "BOT:BUILD label: 4 jobs, as bot:build" "$(njobs_of "$D18")" 4
is "BOT:BUILD label: one status comment" "$(status_comments "$D18")" 1
scancel $(jobs_of "$D18" | awk '{print $1}') 2>/dev/null
comment_payload "$T_TMP/c10.json" "${CIDS[9]}" 7 'BOT: BUILD ARCH:zen2'
D19=$(uuid)
send issue_comment "$T_TMP/c10.json" "$D19" >/dev/null
check "BOT: BUILD comment: handled" wait_handled "$D19"
is "BOT: BUILD ARCH:zen2 comment: 'bot:', the command and the filter's name in any case" \
	"$(njobs_of "$D19")" 1
scancel $(jobs_of "$D19" | awk '{print $1}') 2>/dev/null
check "case: settled" wait_until 15 settled
BEFORE=$(all_jobs)

# --- answers lost after GitHub acted: looked for, never made twice ---------------
# The stand-in makes the comment (adds the reaction), then loses the answer:
# a 502 in its place, or the connection closed with no answer at all.  A
# comment is not posted again before it was looked for (the consumer leaves
# the entry for later until the post is 10 s old; the manager's iteration
# waits that out and looks); a reaction is idempotent on GitHub's side.
iteration() { "$BIN/eessi-bot-manager" -c "$D/app.cfg" >>"$T_TMP/iter.out" 2>&1; }
lost_case() { # lost_case NAME CID RULE...: bot: help on comment CID with the RULEs
	local name=$1 cid=$2 dl r
	comment_payload "$T_TMP/lost.json" "$cid" 7 'bot: help'
	for r in "${@:3}"; do gh_fail "$r"; done
	dl=$(uuid)
	send issue_comment "$T_TMP/lost.json" "$dl" >/dev/null
	check "$name: the consumer is done with it" wait_until 30 consumer_gone "$BIN" "$D/spool"
	iteration
	check "$name: entry done" test -e "$D/spool/done/$dl"
	is "$name: exactly one reply" "$(replies_to "$cid")" 1
	is "$name: exactly one reaction" "$(reactions_on "$cid")" 1
	LOST_DL=$dl
}
lost_case "reply answered 502 after it was made" "${CIDS[10]}" \
	'{"path":"/issues/7/comments$","method":"POST","count":1,"status":502,"after":true}'
like "reply lost (502): the log says it was looked for, not posted again" "$(cat "$LOG" "$D/manager.log")" \
	"reply comment: POST .*: 502 .*may have taken effect"
like "reply lost (502): ... and found" "$(cat "$LOG" "$D/manager.log")" "\[$LOST_DL\].*reply comment [0-9]+ found: made by an earlier attempt"
lost_case "reply whose connection closed after it was made" "${CIDS[11]}" \
	'{"path":"/issues/7/comments$","method":"POST","count":1,"after":true,"drop":true}'
lost_case "reaction answered 502 after it was added" "${CIDS[12]}" \
	'{"path":"/reactions$","method":"POST","count":1,"status":502,"after":true}'
lost_case "reaction whose connection closed after it was added" "${CIDS[13]}" \
	'{"path":"/reactions$","method":"POST","count":1,"after":true,"drop":true}'
lost_case "reply refused with a 503, then made and its answer lost" "${CIDS[14]}" \
	'{"path":"/issues/7/comments$","method":"POST","count":1,"status":503}' \
	'{"path":"/issues/7/comments$","method":"POST","count":1,"status":504,"after":true}'
like "503 then lost: not found after the 503, so posted again" "$(cat "$D/manager.log")" \
	"\[$LOST_DL\].*reply comment: POST .*: 504 .*may have taken effect"
is "503 then lost: two POSTs of the reply in all" \
	"$(gh_calls | gh_py "str(sum(1 for c in d if c['method'] == 'POST' and c['path'].endswith('/issues/7/comments') and (c.get('body') or {}).get('body', '').startswith('<!-- eessi-bot reply-to=${CIDS[14]} ')))")" 2

# the status comment of a build
comment_payload "$T_TMP/lost-b.json" "${CIDS[15]}" 7 'bot: build arch:zen2'
gh_fail '{"path":"/issues/7/comments$","method":"POST","count":1,"status":502,"after":true}'
DLB=$(uuid)
send issue_comment "$T_TMP/lost-b.json" "$DLB" >/dev/null
check "status comment lost: the consumer is done with it" wait_until 30 consumer_gone "$BIN" "$D/spool"
iteration
check "status comment lost: entry done" test -e "$D/spool/done/$DLB"
is "status comment lost: exactly one status comment" "$(status_comments "$DLB")" 1
is "status comment lost: one job" "$(njobs_of "$DLB")" 1
like "status comment lost: its row shows the job" "$(status_body "$DLB")" "\| $(job_ids_of "$DLB") \| (held|released)"
is "status comment lost: no reply beside it" "$(replies_to "${CIDS[15]}")" 0
scancel $(jobs_of "$DLB" | awk '{print $1}') 2>/dev/null
check "lost answers: settled" wait_until 15 settled
BEFORE=$(all_jobs)

# --- a PR with symlinks under the bot's names ----------------------------------
PR=9 HEAD_SHA=$PR9_HEAD label_payload "$T_TMP/l9.json" bot:build
D14=$(uuid)
send pull_request "$T_TMP/l9.json" "$D14" >/dev/null
check "symlinks: handled" wait_handled "$D14"
is "symlinks: 4 jobs" "$(njobs_of "$D14")" 4
JD9=$D/jobs/$MONTH/$REPO/pr_9/event_$D14/run_000/$R23/linux_x86_64_amd_zen2
check "symlinks: cfg/ is a real directory" test -d "$JD9/cfg" -a ! -L "$JD9/cfg"
check "symlinks: job.cfg in it" test -f "$JD9/cfg/job.cfg"
is "symlinks: nothing written where they pointed" "$(ls -A "$T_TMP/outside")" ""
is "symlinks: no slurm-*.out or _bot_job symlink left" \
	"$(find "$JD9" -maxdepth 1 -type l \( -name 'slurm-*' -o -name '_bot_job*' \) | wc -l)" 0
like "symlinks: the log says they were removed" "$(cat "$LOG")" "\[$D14\].*entries under the bot's names"
ID9=$(jobs_of "$D14" | head -1 | cut -d' ' -f1)
M9=$(readlink "$D/jobs/$ID9")/_bot_job$ID9.metadata
check "symlinks: the job's metadata is a real file" test -f "$M9" -a ! -L "$M9"
scancel $(jobs_of "$D14" | awk '{print $1}') 2>/dev/null
check "symlinks: settled" wait_until 15 settled

# --- kill -9 around sbatch --------------------------------------------------------
# the 2nd submission of the label's 4 stalls after Slurm took the job; the
# consumer is killed there; the manager's iteration finishes the request
# (and, following the records it then finds, releases the held jobs: a
# row is "held" or "released" after it).
echo 0 >"$T_TMP/sbatch.count"
touch "$T_TMP/stall.2"
label_payload "$T_TMP/l3.json" bot:build
D10=$(uuid)
send pull_request "$T_TMP/l3.json" "$D10" >/dev/null
check "crash: the 2nd sbatch stalled after submitting" wait_until 60 test -e "$T_TMP/stalled"
is "crash: two jobs in Slurm so far" "$(njobs_of "$D10")" 2
pkill -9 -f "^$BIN/eessi-bot-manager --consume"
pkill -f "$T_TMP/sbatch" 2>/dev/null
rm -f "$T_TMP/stall.2"
check "crash: consumer dead" wait_until 10 consumer_gone "$BIN" "$D/spool"
check "crash: the entry is left claimed" test -e "$D/spool/claimed/$D10"
"$BIN/eessi-bot-manager" -c "$D/app.cfg" >"$T_TMP/iter.out" 2>&1
check "crash: the manager's iteration succeeded" test $? -eq 0
check "crash: entry done" test -e "$D/spool/done/$D10"
is "crash: exactly 4 jobs, one per target" "$(njobs_of "$D10")" 4
like "crash: the stalled job was found, not submitted again" "$(cat "$D/manager.log")" 'found: submitted by an earlier run'
is "crash: one status comment" "$(status_comments "$D10")" 1
is "crash: status shows 4 held or released rows" "$(status_body "$D10" | grep -Ec '\| (held|released)')" 4
is "crash: 4 records" "$(grep -l "delivery = $D10" "$D"/jobs/ids/submitted/* | wc -l)" 4
SID10=$(status_id "$D10")
like "crash: the document has the 4 jobs" "$(doc_of "$SID10")" \
	"^comment_id=$SID10 delivery=$D10 rows=4 jobs=$(job_ids_of "$D10") states=((held|released),?){4}\$"
is "crash: 4 sbatch calls in all (no repeat)" "$(cat "$T_TMP/sbatch.count")" 4

# --- kill -9 at a random point of a request, repeated -------------------------
# sbatch made slow (0.2 s) so that a request lasts ~1.5 s; the consumer is
# killed after a random 0-1.5 s, the manager's iteration recovers the entry.
touch "$T_TMP/slow"
ROUNDS=${BUILD_CRASH_ROUNDS:-4}
hit=0
for r in $(seq 1 "$ROUNDS"); do
	label_payload "$T_TMP/lk.json" bot:build
	DK=$(uuid)
	send pull_request "$T_TMP/lk.json" "$DK" >/dev/null
	sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", (r % 150) / 100 }')"
	pkill -9 -f "^$BIN/eessi-bot-manager --consume"
	[ -e "$D/spool/claimed/$DK" ] && hit=$((hit + 1))
	wait_until 10 consumer_gone "$BIN" "$D/spool"
	"$BIN/eessi-bot-manager" -c "$D/app.cfg" >>"$T_TMP/iter.out" 2>&1
	check "crash round $r: entry done" test -e "$D/spool/done/$DK"
	is "crash round $r: 4 jobs" "$(njobs_of "$DK")" 4
	is "crash round $r: one status comment" "$(status_comments "$DK")" 1
	is "crash round $r: 4 records" "$(grep -l "delivery = $DK" "$D"/jobs/ids/submitted/* | wc -l)" 4
	SIDK=$(status_id "$DK")
	like "crash round $r: the document has the 4 jobs" "$(doc_of "$SIDK")" \
		"^comment_id=$SIDK delivery=$DK rows=4 jobs=$(job_ids_of "$DK") states=((held|released),?){4}\$"
	is "crash round $r: no half-made job directory left" \
		"$(find "$D/jobs/$MONTH/$REPO/pr_7/event_$DK" -maxdepth 3 -name '*.tmp' | wc -l)" 0
	scancel $(jobs_of "$DK" | awk '{print $1}') 2>/dev/null
done
rm -f "$T_TMP/slow"
note "crash rounds: $hit of $ROUNDS killed the consumer in the middle of a request"
check "crash rounds: at least one kill landed mid-request" test "$hit" -ge 1

# --- a released job runs the job script in its directory -------------------------
scontrol release "$ID1"
check "job: finished" wait_until 60 sh -c "squeue -h -j $ID1 -t all -o %T | grep -qx COMPLETED"
OUT=$JD1/slurm-$ID1.out
check "job: output in the job directory" test -f "$OUT"
like "job: ran the PR's bot/build.sh" "$(cat "$OUT")" 'bot/build.sh stub'
like "job: TMPDIR under local_tmp" "$(cat "$OUT")" "TMPDIR=$T_TMP/node-tmp/"
check "job: a result file" test -f "$JD1/_bot_job$ID1.result"


# --- bot: status and bot: show_config, from anyone ----------------------------------
# ask COMMENT-INDEX BODY [LOGIN [PR]]: the command sent and handled; its reply
ask() {
	local d
	comment_payload "$T_TMP/ask.json" "${CIDS[$1]}" "${4:-7}" "$2" "${3:-mallory}"
	d=$(uuid)
	ASKED_D=$d
	gh_reset_calls
	is "$2: answered 202" "$(send issue_comment "$T_TMP/ask.json" "$d")" 202
	check "$2: handled" wait_handled "$d"
	check "$2: entry done" test -e "$D/spool/done/$d"
	ASKED=$(reply_body "${CIDS[$1]}")
	CALLS=$(gh_calls | gh_py 'str(len([c for c in d if not c["path"].endswith("/access_tokens")]))')
}
NJOBS_BEFORE=$(all_jobs)
NREC_BEFORE=$(ls "$D/jobs/ids/submitted" | wc -l)
# the latest attempt of each target: the last crash round's jobs ($DK)
LATEST=$(grep -l "delivery = $DK" "$D"/jobs/ids/submitted/* | xargs -n1 basename | sort -n)
ask 49 'bot: help' mallory 7
note "bot: help: $CALLS GitHub calls"
is "help: 2 GitHub calls (the reaction, the reply)" "$CALLS" 2
ask 17 'bot: status'
note "bot: status: $CALLS GitHub calls"
is "status: 2 GitHub calls (the reaction, the reply)" "$CALLS" 2
is "status: one reply" "$(replies_to "${CIDS[17]}")" 1
is "status: the eyes reaction" "$(reactions_on "${CIDS[17]}")" 1
like "status: this instance's builds" "$ASKED" 'Builds of this pull request by instance `e2e-cluster`'
is "status: one row per target (4)" "$(printf '%s\n' "$ASKED" | grep -c '^| linux/')" 4
for id in $LATEST; do
	like "status: job $id, the latest attempt, shown" "$ASKED" "\| $id \(attempt [0-9]+\) \|"
done
like "status: zen2's row" "$ASKED" '^\| linux/x86_64/amd/zen2 for eessi.io-2023.06-software \| [a-z]+ \|'
like "status: the commit built" "$ASKED" "\| \`[0-9a-f]{12}\` \|"
ask 18 'bot: status arch:aarch64'
is "status arch:aarch64: one row" "$(printf '%s\n' "$ASKED" | grep -c '^| linux/')" 1
like "status arch:aarch64: neoverse_v1's" "$ASKED" '^\| linux/aarch64/neoverse_v1 for'
ask 19 'bot: status inst:another-cluster'
is "status for another instance: no reply" "$(replies_to "${CIDS[19]}")" 0
is "status for another instance: no reaction" "$(reactions_on "${CIDS[19]}")" 0
is "status for another instance: no GitHub call" "$CALLS" 0
ask 20 'bot: status arch:$(id) `x`'
like "status with a hostile filter: the problem named" "$ASKED" \
	'Line 1, `bot: status arch:\$\(id\) \?x\?`: `arch:\$\(id\)`: a value may hold only'
unlike "status with a hostile filter: no table" "$ASKED" '^\| target'
ask 21 'bot: show_config'
note "bot: show_config: $CALLS GitHub calls"
is "show_config: 2 GitHub calls (the reaction, the reply)" "$CALLS" 2
like "show_config: the instance" "$ASKED" 'Configuration of instance `e2e-cluster`'
like "show_config: zen2 with its repository, accelerator, node type, sbatch" "$ASKED" \
	"^\| \`linux/x86_64/amd/zen2\` \| \`$R23\` \| \`nvidia/cc80\` \| \`zen2-node\` \| \`--time=12\` \|"
like "show_config: generic's two repositories" "$ASKED" "\`$R23\` \`$R25\`"
like "show_config: the upload policy" "$ASKED" '^- upload policy: `[a-z]+`'
like "show_config: who may give commands" "$ASKED" '^- may give commands \(`command_permission`\): `alice`, `carol`$'
like "show_config: who may build" "$ASKED" '^- may build \(`build_permission`\): `alice`$'
unlike "show_config: no path of this host" "$ASKED" "$T_TMP|/srv|/home|/etc"
unlike "show_config: no site-wide sbatch parameter" "$ASKED" 'nice=7|--hold'
unlike "show_config: no proxy" "$ASKED" 'proxy'
ask 22 'bot: show_config arch:zen2'
like "show_config with a target filter: refused" "$ASKED" 'takes no filter but inst:'
is "status and show_config: no job submitted" "$(all_jobs)" "$NJOBS_BEFORE"
is "status and show_config: no record written" "$(ls "$D/jobs/ids/submitted" | wc -l)" "$NREC_BEFORE"


# --- bot: cancel ---------------------------------------------------------------------
comment_payload "$T_TMP/cb.json" "${CIDS[23]}" 10 'bot: build'
DC=$(uuid)
is "cancel: PR 10 built (202)" "$(send issue_comment "$T_TMP/cb.json" "$DC")" 202
check "cancel: the build handled" wait_handled "$DC"
is "cancel: 4 held jobs of PR 10" "$(jobs_of "$DC" | grep -c 'PENDING JobHeldUser')" 4
RUN10=$(jobs_of "$DC" | awk 'NR == 1 { print $1 }')
scontrol release "$RUN10"
check "cancel: one of them running (its build sleeps)" \
	wait_until 60 sh -c "squeue -h -j $RUN10 -o %T | grep -qx RUNNING"
ask 24 'bot: cancel' mallory 10
like "cancel without permission: command_permission's refusal" "$ASKED" 'Account `mallory` may not give commands'
is "cancel without permission: no scancel" "$(scancels)" 0
is "cancel without permission: no reaction" "$(reactions_on "${CIDS[24]}")" 0
ask 35 'bot: cancel' carol 10
like "cancel without build permission: the configured reply" "$ASKED" 'Only maintainers may build on e2e-cluster'
is "cancel without build permission: no scancel" "$(scancels)" 0
ask 29 'bot: cancel inst:another-cluster' mallory 10
is "cancel for another instance: no reply, not even a refusal" "$(replies_to "${CIDS[29]}")" 0
is "cancel for another instance: no scancel" "$(scancels)" 0
ask 25 'bot: cancel job:$(id) `x`' alice 10
like "cancel with a hostile job: the word named" "$ASKED" 'job:\$\(id\)`: not a job id'
is "cancel with a hostile job: no scancel" "$(scancels)" 0
ask 26 "bot: cancel job:1 job:$ID1" alice 10
like "cancel of other PRs' jobs: named" "$ASKED" "Not a job of this pull request here: 1, $ID1"
like "cancel of other PRs' jobs: nothing to cancel" "$ASKED" 'Nothing to cancel'
is "cancel of other PRs' jobs: no scancel" "$(scancels)" 0
is "cancel, refused or wrong: PR 10's jobs untouched" \
	"$(jobs_of "$DC" | grep -cE 'PENDING|RUNNING')" 4
ask 27 'bot: cancel' alice 10
note "bot: cancel: $CALLS GitHub calls"
is "cancel: one scancel" "$(scancels)" 1
is "cancel: for the 4 jobs, running and held" \
	"$(tr ' ' '\n' <"$T_TMP/scancel.args.1" | sort -n | tr '\n' ' ')" \
	"$(jobs_of "$DC" | awk '{ print $1 }' | sort -n | tr '\n' ' ')"
like "cancel: the reply names them" "$ASKED" "Cancelled 4 jobs of this pull request: [0-9, ]*$RUN10"
is "cancel: 2 GitHub calls (the reaction, the reply)" "$CALLS" 2
check "cancel: no job of PR 10 pending or running" \
	wait_until 30 sh -c "! squeue -h -t all -o '%T %k' | grep ':$DC:' | grep -qE 'PENDING|RUNNING|COMPLETING'"
iteration
SB10=$(status_body "$DC")
is "cancel: 4 rows say 'cancelled by alice'" "$(printf '%s\n' "$SB10" | grep -c 'cancelled by alice')" 4
is "cancel: the rows are over" "$(doc_of "$(status_id "$DC")" | sed 's/.*states=//')" \
	'finished,finished,finished,finished'
is "cancel: the markers gone with the records" "$(ls "$D/jobs/ids/cancelled" | wc -l)" 0
ask 28 'bot: cancel' alice 10
like "cancel again: nothing to cancel" "$ASKED" 'Nothing to cancel'
like "cancel again: the jobs that are over named" "$ASKED" 'Over already, left alone: [0-9]+, [0-9]+, [0-9]+, [0-9]+\.'
is "cancel again: no scancel" "$(scancels)" 1


# --- bot: retry ----------------------------------------------------------------------
completed_of() { jobs_of "$1" | grep -c ' COMPLETED '; }
comment_payload "$T_TMP/cr.json" "${CIDS[30]}" 11 'bot: build'
DR=$(uuid)
is "retry: PR 11 built (202)" "$(send issue_comment "$T_TMP/cr.json" "$DR")" 202
check "retry: the build handled" wait_handled "$DR"
is "retry: 4 jobs of PR 11" "$(njobs_of "$DR")" 4
scontrol release "$(jobs_of "$DR" | awk '{ print $1 }' | paste -sd,)"
four_done() { test "$(completed_of "$DR")" = 4; }
check "retry: the 4 jobs ran to the end" wait_until 120 four_done
iteration
like "retry: aarch64's row failed" "$(status_body "$DR")" '^\| linux/aarch64/neoverse_v1[^|]*\| [0-9]+ \| FAILURE \(COMPLETED\)'
is "retry: 3 rows succeeded" "$(status_body "$DR" | grep -c '| SUCCESS (COMPLETED)')" 3
NSB=$(cat "$T_TMP/sbatch.count")
ask 31 'bot: retry' mallory 11
like "retry without permission: command_permission's refusal" "$ASKED" 'Account `mallory` may not give commands'
is "retry without permission: no job" "$(cat "$T_TMP/sbatch.count")" "$NSB"
ask 36 'bot: retry' carol 11
like "retry without build permission: the configured reply" "$ASKED" 'Only maintainers may build on e2e-cluster'
is "retry without build permission: no job" "$(cat "$T_TMP/sbatch.count")" "$NSB"
ask 50 'bot: retry arch:$(id) `x`' alice 11
like "retry with a hostile filter: the word named, made harmless" "$ASKED" 'arch:\$\(id\)'
is "retry with a hostile filter: no job" "$(cat "$T_TMP/sbatch.count")" "$NSB"
ask 32 'bot: retry' alice 11
DRR=$ASKED_D
note "bot: retry: $CALLS GitHub calls (the reaction, the PR, the status comment and its edit)"
is "retry: exactly one new job" "$(cat "$T_TMP/sbatch.count")" "$((NSB + 1))"
is "retry: of the failed target" \
	"$(grep -h '^target = ' $(grep -l "delivery = $DRR" "$D"/jobs/ids/submitted/*) | sort | uniq -c | awk '{ print $1, $4 }')" \
	'1 linux/aarch64/neoverse_v1'
is "retry: one status comment, one row" "$(status_comments "$DRR") $(status_body "$DRR" | grep -c '^| linux/')" '1 1'
is "retry: no reply beside the status comment" "$(replies_to "${CIDS[32]}")" 0
ask 33 'bot: retry' alice 11
like "retry again: nothing to retry while the new attempt runs" "$ASKED" 'Nothing to retry on instance `e2e-cluster`'
is "retry again: no job" "$(cat "$T_TMP/sbatch.count")" "$((NSB + 1))"



# --- eessi-bot-resubmit ----------------------------------------------------------------
# PR 11's aarch64 job failed (its check-build.sh fails there): submitted again
# on its own, first refused in every way, then with -m changing bot/build.sh
# and bot/check-build.sh.
RS=$BIN/eessi-bot-resubmit
JA=$(basename "$(grep -l 'target = linux/aarch64/neoverse_v1' $(grep -l "delivery = $DR" "$D"/jobs/ids/finished/*))")
JDA=$(readlink "$D/jobs/$JA")
EV=$(cd "$JDA/../../.." && pwd)
like "resubmit: the failed job's directory" "$JDA" "/event_$DR/run_000/$R23/linux_aarch64_neoverse_v1\$"
rs_snap() { ls "$EV"; cat "$T_TMP/sbatch.count"; ls "$D/jobs/ids/submitted" | wc -l; find "$T_TMP" -maxdepth 1 -name 'e2e-*' | wc -l; }
RS0=$(rs_snap)
rs() { # rs DIR ARGS...: runs eessi-bot-resubmit in DIR; RS_OUT, RS_RC
	local dir=$1
	shift
	RS_OUT=$(cd "$dir" && "$RS" -c "$D/app.cfg" "$@" 2>&1)
	RS_RC=$?
}
rs_refused() { # rs_refused NAME PATTERN DIR ARGS...
	local name=$1 pat=$2
	shift 2
	rs "$@"
	is "resubmit, $name: exit 1" "$RS_RC" 1
	like "resubmit, $name: says why" "$RS_OUT" "$pat"
}
rs_refused "outside a job directory" 'is not a job directory: it has no _bot_job<ID>.metadata' "$T_TMP"
rs_refused "the job ids directory" 'is not a job directory' "$D/jobs/ids"
mkdir -p "$T_TMP/m-cfg/cfg" "$T_TMP/m-abs" "$T_TMP/m-up/bot" "$T_TMP/m-meta" "$T_TMP/m-slurm" "$T_TMP/m-fifo"
ln -s /etc/passwd "$T_TMP/m-abs/passwd"
ln -s ../../outside "$T_TMP/m-up/bot/x"
touch "$T_TMP/m-meta/_bot_job1.metadata" "$T_TMP/m-slurm/slurm-5.out"
mkfifo "$T_TMP/m-fifo/pipe"
rs_refused "-m with cfg/" 'cfg is a name the bot writes in a job directory' "$JDA" -m "$T_TMP/m-cfg"
rs_refused "-m with _bot_job*" '_bot_job1.metadata is a name the bot writes' "$JDA" -m "$T_TMP/m-meta"
rs_refused "-m with slurm-*" 'slurm-5.out is a name the bot writes' "$JDA" -m "$T_TMP/m-slurm"
rs_refused "-m with an absolute symlink" 'the symlink passwd -> /etc/passwd leads out of the directory' "$JDA" -m "$T_TMP/m-abs"
rs_refused "-m with a symlink climbing out" 'the symlink bot/x -> ../../outside leads out' "$JDA" -m "$T_TMP/m-up"
rs_refused "-m with a FIFO" 'pipe is neither a file, a directory nor a symlink' "$JDA" -m "$T_TMP/m-fifo"
rs_refused "-m that does not exist" 'no-such-dir' "$JDA" -m "$T_TMP/no-such-dir"
rs "$JDA" --frobnicate
is "resubmit, a nonsense option: exit 2 (the command line)" "$RS_RC" 2
like "resubmit, a nonsense option: named" "$RS_OUT" "unknown option '--frobnicate'"
is "resubmit refusals: nothing made, nothing submitted" "$(rs_snap)" "$RS0"
mkdir -p "$T_TMP/debug_1/bot"
cat >"$T_TMP/debug_1/bot/build.sh" <<'SH'
#!/bin/bash
echo "the modified build.sh ran" >e2e-modified.out
SH
cat >"$T_TMP/debug_1/bot/check-build.sh" <<'SH'
#!/bin/bash
printf '[RESULT]\nstatus = SUCCESS\ncomment_description = modified check\nartefacts = \n' >"_bot_job${SLURM_JOB_ID}.result"
SH
ln -s build.sh "$T_TMP/debug_1/bot/build-link.sh"
NSB=$(cat "$T_TMP/sbatch.count")
rs "$JDA" -m "$T_TMP/debug_1"
note "resubmit: $RS_OUT"
is "resubmit -m: exit 0" "$RS_RC" 0
NEWID=$(printf '%s\n' "$RS_OUT" | sed -n 's/^job \([0-9][0-9]*\) submitted .*/\1/p')
like "resubmit -m: says the new job and the one it repeats" "$RS_OUT" "again as job $JA with the files of -m"
is "resubmit -m: one sbatch" "$(cat "$T_TMP/sbatch.count")" "$((NSB + 1))"
NJD=$(readlink "$D/jobs/$NEWID")
is "resubmit -m: its own run_001 directory beside run_000" "$NJD" "$EV/run_001/$R23/linux_aarch64_neoverse_v1"
is "resubmit -m: held" "$(squeue -h -j "$NEWID" -o %r)" JobHeldUser
is "resubmit -m: the same merge commit, from the cache" "$(git -C "$NJD" rev-parse HEAD)" "$(git -C "$JDA" rev-parse HEAD)"
check "resubmit -m: bot/build.sh from -m" cmp -s "$NJD/bot/build.sh" "$T_TMP/debug_1/bot/build.sh"
is "resubmit -m: a symlink inside -m kept as one" "$(readlink "$NJD/bot/build-link.sh")" build.sh
check "resubmit -m: the original untouched" cmp -s "$JDA/bot/check-build.sh" <(git -C "$JDA" show HEAD:bot/check-build.sh)
like "resubmit -m: cfg/job.cfg made for the new directory" "$(cat "$NJD/cfg/job.cfg")" "repos_cfg_dir = $NJD/cfg\$"
check "resubmit -m: the repository's settings in cfg/" test -s "$NJD/cfg/repos.cfg"
check "resubmit -m: metadata beside the job" test -s "$NJD/_bot_job$NEWID.metadata"
check "resubmit -m: the manager's record" test -s "$D/jobs/ids/submitted/$NEWID"
like "resubmit -m: the record ties the same status comment" "$(cat "$D/jobs/ids/submitted/$NEWID")" "pr_comment_id = $(status_id "$DR")"
SB=$(status_body "$DR")
is "resubmit -m: the status comment has both attempts of aarch64" "$(printf '%s\n' "$SB" | grep -c '^| linux/aarch64/neoverse_v1')" 2
like "resubmit -m: the first still FAILURE" "$SB" "^\| linux/aarch64/neoverse_v1[^|]*\| $JA \| FAILURE"
like "resubmit -m: the new one held, who and what said" "$SB" "\| $NEWID \| held.*resubmitted by [a-z0-9_-]+ on the login node: job $JA again, with modified files \(run_001\)"
iteration
check "resubmit -m: the manager released it; it ran to the end" \
	wait_until 120 sh -c "squeue -h -t all -j $NEWID -o %T | grep -qx COMPLETED"
iteration
SB=$(status_body "$DR")
like "resubmit -m: the manager finished it: SUCCESS (the modified check)" "$SB" "^\| linux/aarch64/neoverse_v1[^|]*\| $NEWID \| SUCCESS \(COMPLETED\)"
like "resubmit -m: the earlier attempt still shown" "$SB" "^\| linux/aarch64/neoverse_v1[^|]*\| $JA \| FAILURE"
is "resubmit -m: the changed script ran" "$(cat "$NJD/e2e-modified.out")" "the modified build.sh ran"
check "resubmit -m: the record moved to finished/" test -e "$D/jobs/ids/finished/$NEWID"
# without -m, from -o, and a second time: run_002
rs "$T_TMP" -o "$JDA"
is "resubmit -o: exit 0" "$RS_RC" 0
NEWID2=$(printf '%s\n' "$RS_OUT" | sed -n 's/^job \([0-9][0-9]*\) submitted .*/\1/p')
is "resubmit -o: run_002" "$(readlink "$D/jobs/$NEWID2")" "$EV/run_002/$R23/linux_aarch64_neoverse_v1"
cmp -s "$EV/run_002/$R23/linux_aarch64_neoverse_v1/bot/build.sh" "$JDA/bot/build.sh"
is "resubmit -o: the pull request's own bot/build.sh" $? 0
is "resubmit -o: three aarch64 rows now" "$(status_body "$DR" | grep -c '^| linux/aarch64/neoverse_v1')" 3
scancel "$NEWID2"
# a closed pull request
"$T_PYTHON" - "$T_TMP/repo-seed.json" 11 closed >"$T_TMP/close11.json" <<'PY'
import json, sys
seed = json.load(open(sys.argv[1]))
pulls = [p for p in seed["pulls"] if p["number"] == int(sys.argv[2])]
for p in pulls:
    p["state"] = sys.argv[3]
print(json.dumps({"reset": False, "pulls": pulls}))
PY
gh_seed "$T_TMP/close11.json" >/dev/null
RS1=$(rs_snap)
rs_refused "a closed pull request" "pull request $REPO#11 is closed: job $JA is not submitted again" "$JDA"
is "resubmit of a closed PR: nothing made, nothing submitted" "$(rs_snap)" "$RS1"
sed -i 's/"closed"/"open"/' "$T_TMP/close11.json"
gh_seed "$T_TMP/close11.json" >/dev/null

# --- job arguments: jobargs:, exportvariable:, submitargs: -------------------------
HOSTILE='$(id)`touch${IFS}/tmp/e2e-pwned`"q";'"'"'z'
comment_payload "$T_TMP/ja.json" "${CIDS[41]}" 12 "bot: build arch:generic repo:$R23 jobargs:E2E_HOSTILE=$HOSTILE exportvariable:SKIP_TESTS=yes submitargs:--time=7"
DJ=$(uuid)
NSB=$(cat "$T_TMP/sbatch.count")
is "jobargs: PR 12 built (202)" "$(send issue_comment "$T_TMP/ja.json" "$DJ")" 202
check "jobargs: handled" wait_handled "$DJ"
is "jobargs: one job" "$(njobs_of "$DJ")" 1
JJ=$(job_ids_of "$DJ")
JD=$(readlink "$D/jobs/$JJ")
is "jobargs: cfg/export_vars holds the values as given" "$(cat "$JD/cfg/export_vars")" "E2E_HOSTILE=$HOSTILE
SKIP_TESTS=yes"
is "jobargs: cfg/submit_args" "$(cat "$JD/cfg/submit_args")" "--time=7"
ARGV=$(cat "$T_TMP/sbatch.argv.$((NSB + 1))")
is "submitargs: after the target's --time=11, before the job script" \
	"$(printf '%s\n' "$ARGV" | grep -n -e '^--time=' -e 'bot-build.slurm$' | cut -d: -f1 | paste -sd' ')" \
	"$(printf '%s\n' "$ARGV" | grep -n -e '^--time=11$' | cut -d: -f1) $(printf '%s\n' "$ARGV" | grep -n -e '^--time=7$' | cut -d: -f1) $(printf '%s\n' "$ARGV" | wc -l)"
is "submitargs: Slurm took the later --time (7 minutes)" "$(squeue -h -j "$JJ" -o %l)" "7:00"
scontrol release "$JJ"
check "jobargs: the job ran" wait_until 120 sh -c "test -e '$JD/e2e-skip.out' && ! squeue -h -j $JJ -t PENDING,RUNNING,COMPLETING | grep -q ."
is "jobargs: the job saw the hostile value byte for byte" "$(cat "$JD/e2e-hostile.out")" "$HOSTILE"
is "jobargs: exportvariable: (the original's word) reached the job" "$(cat "$JD/e2e-skip.out")" yes
check "jobargs: nothing in the value was run" test ! -e /tmp/e2e-pwned
check "jobargs: SKIP_TESTS=yes skipped the tests (no test result written)" test ! -e "$JD/_bot_job$JJ.test"
jobargs_refused() { # jobargs_refused CID BODY PATTERN NAME
	local n0
	n0=$(cat "$T_TMP/sbatch.count")
	ask "$1" "$2" alice 12
	like "$4: refused, the word named" "$ASKED" "$3"
	like "$4: nothing submitted" "$ASKED" 'Nothing was submitted'
	is "$4: no sbatch" "$(cat "$T_TMP/sbatch.count")" "$n0"
	is "$4: no status comment" "$(status_comments "$ASKED_D")" 0
}
jobargs_refused 42 "bot: build arch:generic jobargs:PATH=/tmp/x" \
	'`jobargs:PATH=/tmp/x`: not allowed on this instance \(allowed_jobargs\)' "jobargs not in the allow-list"
jobargs_refused 43 "bot: build arch:generic submitargs:--wrap=id" \
	'`submitargs:--wrap=id`: not allowed on this instance \(allowed_submitargs\)' "submitargs not in the allow-list"
jobargs_refused 44 "bot: build arch:generic submitargs:time=5" \
	'an sbatch option is written submitargs:--NAME=VALUE' "submitargs without --"
jobargs_refused 45 "bot: build arch:generic jobargs:E2E_LONG=$(printf 'x%.0s' $(seq 300))" \
	'a value is at most 256 printable ASCII characters' "a 300-byte value"
jobargs_refused 46 "bot: build arch:generic jobargs:1X=\$(id)" \
	'a job argument is written jobargs:NAME=VALUE' "a name starting with a digit"
jobargs_refused 47 $'bot: build arch:generic repo:'"$R23"$' jobargs:E2E_A=1\nbot: build arch:generic repo:'"$R23"$' jobargs:E2E_A=2' \
	'again, with other job arguments than an earlier line' "one target, two sets of job arguments"
N0=$(cat "$T_TMP/sbatch.count")
ask 48 "bot: build inst:another-cluster jobargs:PATH=/x" alice 12
is "jobargs of another instance's line: no reply" "$(replies_to "${CIDS[48]}")" 0
is "jobargs of another instance's line: no sbatch" "$(cat "$T_TMP/sbatch.count")" "$N0"


# --- the disk guard ----------------------------------------------------------------
sed -i 's/^  allowed_submitargs = .*/&\n  min_free_mb = 2000000000;/' "$D/app.cfg"
check "disk guard: the lingering consumer is gone" wait_until 60 consumer_gone "$BIN" "$D/spool"
N0=$(cat "$T_TMP/sbatch.count")
ask 51 'bot: build arch:generic' alice 7
DG=$ASKED_D
like "disk guard: the PR is told" "$ASKED" 'Instance `e2e-cluster` is short of disk: nothing was submitted'
is "disk guard: no sbatch" "$(cat "$T_TMP/sbatch.count")" "$N0"
is "disk guard: no status comment" "$(status_comments "$DG")" 0
check "disk guard: no job directory made" test -z "$(find "$D/jobs" -maxdepth 6 -name "event_$DG")"
like "disk guard: the log names the file system" "$(grep "$DG" "$LOG")" 'short of disk on /'
like "disk guard: and the figures" "$(cat "$LOG")" 'the file system of jobs_base_dir .* \(mounted on /[^)]*\) has [0-9]+ MiB and -?[0-9]+ inodes free; buildenv.min_free_mb is 2000000000'
sed -i '/^  min_free_mb = /d' "$D/app.cfg"
check "disk guard: off again (the consumer that read it is gone)" wait_until 60 consumer_gone "$BIN" "$D/spool"


# --- a pull request closed, and one merged: jobs cancelled, directories to the trash ---
DAY=$(date -u +%Y.%m.%d)
closed_case() { # closed_case PR MERGED WORD CID
	local pr=$1 dcl dx ids nsc j ntr
	comment_payload "$T_TMP/cl.json" "${CIDS[$4]}" "$pr" 'bot: build arch:x86_64'
	dcl=$(uuid)
	send issue_comment "$T_TMP/cl.json" "$dcl" >/dev/null
	check "$3 PR $pr: built" wait_handled "$dcl"
	is "$3 PR $pr: 3 held jobs" "$(jobs_of "$dcl" | grep -c 'PENDING JobHeldUser')" 3
	ids=$(job_ids_of "$dcl")
	[ -n "$ids" ] || ids=none
	j=${ids%% *}
	scontrol release "$j"
	check "$3 PR $pr: one of them running" wait_until 60 sh -c "squeue -h -j $j -o %T | grep -qx RUNNING"
	nsc=$(scancels)
	pr_payload "$T_TMP/close.json" closed "$pr" "$2"
	dx=$(uuid)
	is "$3 PR $pr: the event answered 202" "$(send pull_request "$T_TMP/close.json" "$dx")" 202
	check "$3 PR $pr: handled" wait_handled "$dx"
	is "$3 PR $pr: ONE scancel" "$(scancels)" "$((nsc + 1))"
	is "$3 PR $pr: of its 3 jobs" "$(tr ' ' '\n' <"$T_TMP/scancel.args.$((nsc + 1))" | grep -E '^[0-9]+$' | sort -n | paste -sd' ')" "$ids"
	check "$3 PR $pr: the marker for the manager" test -s "$D/jobs/ids/closed/$REPO/$pr"
	check "$3 PR $pr: no job left pending or running" \
		wait_until 60 sh -c "! squeue -h -j $(echo "$ids" | tr ' ' ,) -t PENDING,RUNNING,COMPLETING | grep -q ."
	is "$3 PR $pr: a redelivery does not scancel again" "$(send pull_request "$T_TMP/close.json" "$dx")" 200
	ntr=$(grep -cE '; [1-9][0-9]* job directories to the trash,' "$D/manager.log")
	iteration
	is "$3 PR $pr: every row says why" \
		"$(status_body "$dcl" | grep -c "cancelled: the pull request was $3")" 3
	check "$3 PR $pr: the job directories in the trash" \
		test -d "$D/jobs/trash_bin/$DAY/$REPO/pr_$pr/event_$dcl/run_000"
	is "$3 PR $pr: none left under jobs_base_dir" \
		"$(find "$D/jobs" -path "$D/jobs/trash_bin" -prune -o -type d -name "pr_$pr" -print | wc -l)" 0
	check "$3 PR $pr: the marker gone" test ! -e "$D/jobs/ids/closed/$REPO/$pr"
	check "$3 PR $pr: the job-id symlinks gone" test ! -L "$D/jobs/$j"
	is "$3 PR $pr: the figures line counts it" \
		"$(grep -cE '; [1-9][0-9]* job directories to the trash,' "$D/manager.log")" "$((ntr + 1))"
}
closed_case 13 false closed 52
closed_case 14 true merged 53
# closed without a job, then reopened: only the marker comes and goes
NSC=$(scancels)
pr_payload "$T_TMP/c8.json" closed 8
D8=$(uuid)
send pull_request "$T_TMP/c8.json" "$D8" >/dev/null
check "closed PR 8 (no job): handled" wait_handled "$D8"
is "closed PR 8: no scancel" "$(scancels)" "$NSC"
check "closed PR 8: the marker" test -e "$D/jobs/ids/closed/$REPO/8"
pr_payload "$T_TMP/r8.json" reopened 8
D8R=$(uuid)
send pull_request "$T_TMP/r8.json" "$D8R" >/dev/null
check "reopened PR 8: handled" wait_handled "$D8R"
check "reopened PR 8: the marker gone, nothing else" test ! -e "$D/jobs/ids/closed/$REPO/8"


# --- a push while jobs wait: the older head's jobs that have not started go -----------
comment_payload "$T_TMP/sy.json" "${CIDS[54]}" 15 'bot: build arch:x86_64'
DSY=$(uuid)
send issue_comment "$T_TMP/sy.json" "$DSY" >/dev/null
check "push: PR 15 built" wait_handled "$DSY"
SYIDS=$(job_ids_of "$DSY")
[ -n "$SYIDS" ] || SYIDS=none
SYRUN=${SYIDS%% *}
scontrol release "$SYRUN"
check "push: one job running" wait_until 60 sh -c "squeue -h -j $SYRUN -o %T | grep -qx RUNNING"
iteration
NSC=$(scancels)
pr_payload "$T_TMP/push.json" synchronize 15 false "$PR7_HEAD"
DPU=$(uuid)
is "push: answered 202" "$(send pull_request "$T_TMP/push.json" "$DPU")" 202
check "push: handled" wait_handled "$DPU"
is "push: ONE scancel" "$(scancels)" "$((NSC + 1))"
is "push: of the 2 jobs that had not started" \
	"$(tr ' ' '\n' <"$T_TMP/scancel.args.$((NSC + 1))" | grep -E '^[0-9]+$' | sort -n | paste -sd' ')" \
	"$(echo "$SYIDS" | cut -d' ' -f2-)"
check "push: no job of the old head left pending" \
	wait_until 60 sh -c "! squeue -h -j $(echo "$SYIDS" | tr ' ' ,) -t PENDING | grep -q ."
is "push: the running one left to finish" "$(squeue -h -j "$SYRUN" -o %T)" RUNNING
iteration
is "push: their rows say superseded by the new head" \
	"$(status_body "$DSY" | grep -c "superseded by ${PR7_HEAD:0:12}")" 2
scancel "$SYRUN"

# --- chat levels: which comments each level writes, counted on the stand-in ----------
# One comment with `bot: help` and a build of one target, at each level; the
# consumer reads app.cfg each time it starts.
kinds() { # kinds: "COMMENTS REACTIONS EDITS" since the last gh_reset_calls
	gh_calls | gh_py 'str(sum(1 for c in d if c["method"] == "POST" and c["path"].endswith("/comments"))) + " " + str(sum(1 for c in d if c["method"] == "POST" and c["path"].endswith("/reactions"))) + " " + str(sum(1 for c in d if c["method"] == "PATCH"))'
}
chat_case() { # chat_case LEVEL CID-INDEX
	sed -i "s/^bot_control = .*/bot_control = { command_permission = [ \"alice\", \"carol\" ]; chatlevel = \"$1\"; };/" "$D/app.cfg"
	check "$1: the lingering consumer (old configuration) is gone" \
		wait_until 60 consumer_gone "$BIN" "$D/spool"
	ask "$2" $'bot: help\nbot: build arch:zen2' alice 7
	CHAT_D=$ASKED_D
	CHAT_KINDS=$(kinds)
	CHAT_JOB=$(job_ids_of "$CHAT_D")
	gh_reset_calls
}
chat_case incognito 37
note "incognito: comments reactions edits = $CHAT_KINDS"
is "incognito: no comment, no reaction, no edit" "$CHAT_KINDS" "0 0 0"
is "incognito: the job is submitted all the same" "$(njobs_of "$CHAT_D")" 1
is "incognito: no reply" "$(replies_to "${CIDS[37]}")" 0
LOCAL_DOC=$(sed -n 's/^pr_comment_id = //p' "$D/jobs/ids/submitted/$CHAT_JOB")
check "incognito: the record's comment id is a local one (>= 2^52)" test "${LOCAL_DOC:-0}" -ge 4503599627370496
check "incognito: its document is kept on disk" test -s "$D/jobs/ids/comments/$LOCAL_DOC.json"
iteration
like "incognito: the manager follows the job (released)" "$(cat "$D/jobs/ids/comments/$LOCAL_DOC.json")" '"state": *"(released|running|pending|finished)"'
is "incognito: no call of the manager names the local id" \
	"$(gh_calls | gh_py "str(sum(1 for c in d if '$LOCAL_DOC' in c['path']))")" 0
scancel "$CHAT_JOB"
chat_case minimal 38
note "minimal: comments reactions edits = $CHAT_KINDS"
is "minimal: the status comment only (created, edited)" "$CHAT_KINDS" "1 0 1"
is "minimal: a status comment" "$(status_comments "$CHAT_D")" 1
is "minimal: no reply to bot: help" "$(replies_to "${CIDS[38]}")" 0
scancel "$CHAT_JOB"
chat_case basic 39
note "basic: comments reactions edits = $CHAT_KINDS"
is "basic: the status comment, the reply, the reaction" "$CHAT_KINDS" "2 1 1"
like "basic: the reply lists the commands" "$(reply_body "${CIDS[39]}")" '\| `bot: help` \|'
unlike "basic: no acknowledgement" "$(reply_body "${CIDS[39]}")" 'Received your request'
scancel "$CHAT_JOB"
chat_case chatty 40
note "chatty: comments reactions edits = $CHAT_KINDS"
is "chatty: the status comment, the reply, the reaction" "$CHAT_KINDS" "2 1 1"
like "chatty: the reply acknowledges the build" "$(reply_body "${CIDS[40]}")" 'Received your request: a build of 1 target of instance `e2e-cluster`'
scancel "$CHAT_JOB"
sed -i 's/^bot_control = .*/bot_control = { command_permission = [ "alice", "carol" ]; };/' "$D/app.cfg"

# The conversation of PR 11 (build, retry, resubmit), as people see it
gh_state | gh_py '"\n".join("--- PR 11, %s:\n%s" % (c["user"], "\n".join(("    " + l)[:200] for l in c["body"].splitlines()[:40] if l.strip() and not l.startswith("<!--"))) for c in d["comments"] if c["issue"] == 11 and c["user"] != "alice")' |
	while IFS= read -r line; do note "$line"; done

done_testing
