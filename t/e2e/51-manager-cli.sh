#!/usr/bin/env bash
# t/e2e/51-manager-cli.sh - the manager's command line (eessi-bot-manager
# with no action): --help documents -i, -j, the files and the figures line;
# a bad -i or -j is a usage error (exit 2, the item named, nothing made);
# -i 0 runs no iteration, -i 1 one, -i 3 three poll_interval apart; a
# second manager finding the lock taken exits 0 at once; SIGTERM ends the
# run after the current iteration; a failing squeue makes exit 1.
#
# Slurm is not started: poll_command, scontrol_command and sacct_command
# are small scripts that log their calls (and can be told to sleep or
# fail), so this script needs no lock.
. "$(dirname "$0")/../lib/common.sh"

mgr=$BUILD/eessi-bot-manager
[ -x "$mgr" ] || bail "$mgr is missing (make first)"
need flock

D=$T_TMP/bot
ids=$D/ids
calls=$D/calls
mkdir -p "$D/bin" "$D/spool"/{incoming,claimed,done,failed,effects}

# fake NAME: a stand-in for a Slurm command that logs "NAME ARGS" to
# $calls; with $D/NAME.sleep it first sleeps that many seconds, with
# $D/NAME.fail it fails as Slurm does.  Slurm commands get a fixed small
# environment, so every path is written into the script.
fake() {
	cat >"$D/bin/$1" <<EOF
#!/bin/sh
echo "$1 start \$*" >>"$calls"
[ -f "$D/$1.sleep" ] && /bin/sleep "\$(cat "$D/$1.sleep")"
if [ -f "$D/$1.fail" ]; then
	echo "$1: error: Unable to contact slurm controller (connect failure)" >&2
	exit 1
fi
[ -f "$D/$1.out" ] && cat "$D/$1.out"
echo "$1 end" >>"$calls"
exit 0
EOF
	chmod 0755 "$D/bin/$1"
}
fake squeue
fake scontrol
fake sacct

# config FILE POLL_INTERVAL
config() {
	cat >"$1" <<CFG
github = {
  app_id = 123456;
  app_name = "cli-bot";
  installation_id = 12345678;
  private_key = "$D/app.pem";
  token_cache_dir = "$D/tokens";
};
buildenv = {
  build_job_script = "/nonexistent/bot-build.slurm";
  jobs_base_dir = "$D/jobs";
  build_permission = [ "maintainer" ];
};
architecturetargets = {
  arch_target_map = ( { target = "linux/x86_64/generic"; } );
};
event_handler = {
  spool_dir = "$D/spool";
  log_file = "$D/bot.log";
};
job_manager = {
  job_ids_dir = "$ids";
  poll_command = "$D/bin/squeue";
  scontrol_command = "$D/bin/scontrol";
  sacct_command = "$D/bin/sacct";
  poll_interval = $2;
  log_file = "$D/manager.log";
};
CFG
}
cfg=$D/app.cfg
config "$cfg" 1

# run VAR-PREFIX CMD...: ${VAR}_out (stdout+stderr), ${VAR}_so (stdout),
# ${VAR}_rc, ${VAR}_ms (wall time).
run() {
	local v=$1 t0 t1
	shift
	t0=$(date +%s%N)
	"$@" >"$T_TMP/so" 2>"$T_TMP/se"
	printf -v "${v}_rc" '%s' $?
	t1=$(date +%s%N)
	printf -v "${v}_ms" '%s' $(((t1 - t0) / 1000000))
	printf -v "${v}_so" '%s' "$(cat "$T_TMP/so")"
	printf -v "${v}_out" '%s' "$(cat "$T_TMP/so" "$T_TMP/se")"
}

# The figures line, as documented.
LINE='iteration: [0-9]+ jobs, [0-9]+ released, [0-9]+ rows changed, [0-9]+ finished, [0-9]+ lost, [0-9]+ broken; [0-9]+ comments edited; [0-9]+ job directories to the trash, [0-9]+ old entries removed; [0-9]+ squeue, [0-9]+ sacct, [0-9]+ scontrol, [0-9]+ github calls; [0-9]+ ms, CPU [0-9]+ ms, max RSS [0-9]+ kB$'
lines() { grep -Ec "$LINE" "$D/manager.log" 2>/dev/null || true; }
squeues() { grep -c '^squeue start' "$calls" 2>/dev/null || true; }
reset_logs() { : >"$D/manager.log"; : >"$calls"; }

# --- --help -------------------------------------------------------------------
run help "$mgr" --help
is "--help: exit 0" "$help_rc" 0
for want in "-i, --max-manager-iterations N" "-j, --jobs IDS" "submitted/" \
	"finished/" "broken/" ".reason" "comments/ID.json" "manager.lock" \
	"poll_interval" "pending_reason_after" "lost_after" \
	"job_handover_protocol" "sacct_command" "scontrol_command" \
	"EXIT STATUS" "\* \* \* \* \* "; do
	like "--help mentions $want" "$help_so" "$(printf '%s' "$want" | sed 's/[.[]/\\&/g')"
done
like "--help shows the figures line" "$help_so" \
	"iteration: 12 jobs, 2 released, 3 rows changed, 1 finished,"
like "--help: ... and its end" "$help_so" \
	"1 scontrol, 2 github calls; 84 ms, CPU 21 ms, max RSS 9816 kB"

# --- bad -i and -j: usage errors, nothing made --------------------------------
# bad NAME WANT-REGEX ARGS...: exit 2, the item named, a hint, no job_ids_dir,
# no Slurm call, no log.
bad() {
	local name=$1 want=$2
	shift 2
	run b "$mgr" -c "$cfg" "$@"
	is "$name: exit 2" "$b_rc" 2
	like "$name: names the item" "$b_out" "$want"
	like "$name: usage hint" "$b_out" "--help"
	check "$name: nothing made in job_ids_dir" test ! -e "$ids"
	is "$name: no Slurm call, no log" "$(cat "$calls" "$D/manager.log" 2>/dev/null)" ""
}
bad "-i x" "-i: invalid number 'x'" -i x
bad "-i 1x" "-i: invalid number '1x'" -i 1x
bad "-i ''" "-i: invalid number ''" -i ""
bad "-i ' 1'" "-i: invalid number ' 1'" -i " 1"
bad "--max-manager-iterations=2.5" "invalid number '2\.5'" --max-manager-iterations=2.5
bad "-i 99999999999999999999" "invalid number '99999999999999999999'" -i 99999999999999999999
bad "-j 1,,2" "-j: .*''" -j 1,,2
bad "-j abc" "-j: .*'abc'" -j abc
bad "-j 0" "-j: .*'0'" -j 0
bad "-j -5" "-j: .*'-5'" -j -5
bad "-j 5000000000" "-j: .*'5000000000'" -j 5000000000
bad "--jobs=7,x" "-j: .*'x'" --jobs=7,x
bad "-j ''" "-j: " -j ""
bad "-i with --consume" "-i and -j go with the manager iterations" --consume -i 2
bad "-j with --check-config" "-i and -j go with the manager iterations" --check-config -j 7

# --- one job to follow -------------------------------------------------------
# The manager asks Slurm only when it has jobs out: one record, its status
# comment's document, and squeue saying the job runs, as the row already
# says - so an iteration changes nothing and calls neither scontrol, sacct
# nor GitHub.
seed_job() {
	local id=5001 cid=777001 uuid=3f1c2d4e-aa01-11ef-9c3b-0242ac120002
	local sha=0123456789abcdef0123456789abcdef01234567
	mkdir -p "$ids/submitted" "$ids/comments"
	cat >"$ids/submitted/$id" <<REC
[PR]
repo = e2e-org/software-layer
pr_number = 7
pr_comment_id = $cid

[JOB]
id = $id
instance = cli-bot
delivery = $uuid
target = linux/x86_64/generic
repo_id =
accelerator =
target_key = linux_x86_64_generic
job_dir = $D/jobs/$id
head_sha = $sha
base_ref = main
base_sha = $sha
merge_sha = $sha
requested_by = maintainer
submitted_at = 1795000000

[STATE]
state = held
changed_at = 1795000000
REC
	cat >"$ids/comments/$cid.json" <<DOC
{"version": 1, "comment_id": $cid, "repo": "e2e-org/software-layer",
 "pr_number": 7, "instance": "cli-bot", "delivery": "$uuid",
 "requested_by": "maintainer", "head_sha": "$sha", "base_ref": "main",
 "base_sha": "$sha",
 "rows": [{"target": "linux/x86_64/generic", "key": "linux_x86_64_generic",
           "job_id": $id, "state": "running", "reason": "", "result": "",
           "slurm": "", "note": "since 2026-11-24 03:00 UTC", "excerpt": null,
           "changed_at": 1795000100, "missing_since": 0}]}
DOC
	echo "$id|RUNNING|None|2026-11-24T03:00:00|NONE" >"$D/squeue.out"
}
seed_job

# --- -i 0: no iteration -------------------------------------------------------
reset_logs
run zero "$mgr" -c "$cfg" -i 0
is "-i 0: exit 0" "$zero_rc" 0
is "-i 0: no iteration line" "$(lines)" 0
is "-i 0: no squeue" "$(squeues)" 0

# --- -i 1 with one running job -------------------------------------------------
reset_logs
run one "$mgr" -c "$cfg" -i 1
is "-i 1: exit 0" "$one_rc" 0
is "-i 1: one iteration line" "$(lines)" 1
like "-i 1: 1 job, 1 squeue, nothing else" "$(grep -E "$LINE" "$D/manager.log")" \
	"iteration: 1 jobs, 0 released, 0 rows changed, 0 finished, 0 lost, 0 broken; 0 comments edited; 0 job directories to the trash, 0 old entries removed; 1 squeue, 0 sacct, 0 scontrol, 0 github calls; "
is "-i 1: squeue called once" "$(squeues)" 1
is "-i 1: scontrol and sacct not called" \
	"$(grep -Ec '^(scontrol|sacct) ' "$calls" || true)" 0
is "-i 1: nothing on the terminal's side (log_file set)" "$one_out" ""
reset_logs
run dflt "$mgr" -c "$cfg"
is "no -i: one iteration (cron's default)" "$dflt_rc/$(lines)" "0/1"

# -j with good ids: one iteration as well; a job not named is not
# followed, and with no job to follow Slurm is not asked
reset_logs
run jobs "$mgr" -c "$cfg" -i 1 -j " 2222, 2223"
is "-j ' 2222, 2223': exit 0, one iteration" "$jobs_rc/$(lines)" "0/1"
like "-j ' 2222, 2223': job 5001 not followed, no squeue" \
	"$(grep -E "$LINE" "$D/manager.log")" "iteration: 0 jobs, .* 0 squeue, "
reset_logs
run jobs "$mgr" -c "$cfg" -i 1 -j 2222,5001
like "-j 2222,5001: job 5001 followed" "$(grep -E "$LINE" "$D/manager.log")" \
	"iteration: 1 jobs, .* 1 squeue, 0 sacct, 0 scontrol, 0 github calls; "

# --- -i 3: three iterations, poll_interval (1 s) apart ------------------------
reset_logs
run three "$mgr" -c "$cfg" -i 3
is "-i 3: exit 0" "$three_rc" 0
is "-i 3: three iteration lines" "$(lines)" 3
is "-i 3: three squeue calls" "$(squeues)" 3
check "-i 3: took >= 2 s (${three_ms} ms)" test "$three_ms" -ge 2000
check "-i 3: no sleep after the last (${three_ms} ms < 3000)" test "$three_ms" -lt 3000

# --- the lock is taken: exit 0 at once ----------------------------------------
reset_logs
mkdir -p "$ids"
run busy flock "$ids/manager.lock" "$mgr" -c "$cfg" -i 1
is "lock taken: exit 0" "$busy_rc" 0
check "lock taken: at once (${busy_ms} ms)" test "$busy_ms" -lt 2000
is "lock taken: no squeue" "$(squeues)" 0
is "lock taken: no iteration line" "$(lines)" 0
like "lock taken: logged" "$(cat "$D/manager.log")" \
	"info .*another manager iteration is running \(lock $ids/manager\.lock\); nothing done"
# the same with the log on stderr: the message is there once
config "$D/stderr.cfg" 1
sed -i '/log_file = "[^"]*manager.log"/d' "$D/stderr.cfg"
run busy2 flock "$ids/manager.lock" "$mgr" -c "$D/stderr.cfg" -i 2
is "lock taken, log on stderr: exit 0" "$busy2_rc" 0
is "lock taken, log on stderr: said once per iteration" \
	"$(printf '%s\n' "$busy2_out" | grep -c 'another manager iteration is running')" 2

# --- SIGTERM ------------------------------------------------------------------
# during the sleep: the run ends at once, after one iteration
reset_logs
config "$D/slow.cfg" 30
"$mgr" -c "$D/slow.cfg" -i -1 >"$T_TMP/term.out" 2>&1 &
pid=$!
at_exit "kill -9 $pid"
if wait_until 10 sh -c "grep -Eq '$LINE' '$D/manager.log'"; then
	t0=$(date +%s%N)
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	is "SIGTERM while sleeping: exit 0" "$rc" 0
	check "SIGTERM while sleeping: ends at once (${ms} ms)" test "$ms" -lt 2000
	is "SIGTERM while sleeping: one iteration" "$(lines)" 1
	like "SIGTERM while sleeping: logged" "$(cat "$D/manager.log")" \
		"signal 15: stopped after 1 iteration$"
else
	not_ok "-i -1: the first iteration came" "$(cat "$T_TMP/term.out" "$D/manager.log")"
fi

# during an iteration (squeue takes 2 s): that iteration ends, no other
reset_logs
echo 2 >"$D/squeue.sleep"
"$mgr" -c "$cfg" -i 5 >"$T_TMP/term2.out" 2>&1 &
pid=$!
at_exit "kill -9 $pid"
if wait_until 10 grep -q '^squeue start' "$calls"; then
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	is "SIGTERM during an iteration: exit 0" "$rc" 0
	like "SIGTERM during an iteration: squeue ran to its end" \
		"$(tr '\n' ' ' <"$calls")" "^squeue start [^ ].* squeue end $"
	is "SIGTERM during an iteration: that iteration finished, no other" "$(lines)" 1
else
	not_ok "-i 5: squeue was called" "$(cat "$T_TMP/term2.out" "$D/manager.log")"
fi
rm -f "$D/squeue.sleep"

# --- squeue fails: exit 1, logged, the next iteration still runs --------------
reset_logs
touch "$D/squeue.fail"
run fail "$mgr" -c "$cfg" -i 2
rm -f "$D/squeue.fail"
is "squeue fails: exit 1" "$fail_rc" 1
is "squeue fails: both iterations ran" "$(squeues)" 2
like "squeue fails: the error is logged" "$(cat "$D/manager.log")" "error .*iteration: "
is "squeue fails: figures still logged per iteration" "$(lines)" 2

# --- conf/eessi-bot-manager.cron ----------------------------------------------
# its crontab line, uncommented, with this script's binary and app.cfg: one
# iteration, exit 0, nothing on stdout or stderr for cron to mail
cron=$TOP/conf/eessi-bot-manager.cron
line=$(grep -E '^#\* \* \* \* \* /' "$cron")
is "cron: one crontab line, every minute" "$(printf '%s\n' "$line" | grep -c .)" 1
read -r -a words <<<"${line#\#\* \* \* \* \* }"
is "cron: the installed manager with -c and nothing else" \
	"${words[0]} ${words[1]} ${#words[@]}" "/usr/local/bin/eessi-bot-manager -c 3"
reset_logs
run cronrun env -i PATH=/usr/bin:/bin HOME="$D" \
	EESSI_BOT_ALLOW_ROOT="${EESSI_BOT_ALLOW_ROOT:-}" "$mgr" "${words[1]}" "$cfg"
is "cron: the line runs one iteration in cron's bare environment" \
	"$cronrun_rc/$(lines)" "0/1"
is "cron: ... and writes nothing for cron to mail" "$cronrun_out" ""
for v in PATH SLURM_CONF TZ MAILTO; do
	check "cron: $v explained and shown" grep -q "^#$v=" "$cron"
done

# --- no spool yet (the webhook handler never ran here): not an error ----------
reset_logs
config "$D/nospool.cfg" 1
sed -i "s|spool_dir = \"$D/spool\"|spool_dir = \"$D/nospool\"|" "$D/nospool.cfg"
run nospool "$mgr" -c "$D/nospool.cfg" -i 1
is "no spool directory: exit 0, one iteration" "$nospool_rc/$(lines)" "0/1"
unlike "no spool directory: no error logged" "$(cat "$D/manager.log")" " error "
check "no spool directory: none made by the manager" test ! -e "$D/nospool"

# --- a broken configuration: exit 1, no iteration ----------------------------
reset_logs
printf 'job_manager = { poll_interval = 0; };\n' >"$D/broken.cfg"
run broken "$mgr" -c "$D/broken.cfg" -i 3
is "broken configuration: exit 1" "$broken_rc" 1
like "broken configuration: problems listed" "$broken_out" "broken.cfg:1: job_manager.poll_interval: out of range"
is "broken configuration: no Slurm call" "$(squeues)" 0

# --- max RSS is the manager's own peak, not its parent's ----------------------
# A parent that touched 300 MB execs the manager (as a Python harness or a
# wrapper would): ru_maxrss keeps the parent's peak across exec, VmHWM does
# not.  Before the fix the figures line said ~300,000 kB here.
reset_logs
"$T_PYTHON" -c 'import os, sys
blob = bytearray(300 * 1024 * 1024)
for i in range(0, len(blob), 4096): blob[i] = 1
os.execv(sys.argv[1], sys.argv[1:])' "$mgr" -c "$cfg" -i 1 >/dev/null 2>&1
rss=$(grep -Eo 'max RSS [0-9]+ kB' "$D/manager.log" | tail -1 | grep -Eo '[0-9]+')
note "max RSS after exec from a 300 MB parent: ${rss:-none} kB"
check "max RSS: the manager's own (< 100 MB after exec from a 300 MB parent)" \
	test "${rss:-999999}" -gt 0 -a "${rss:-999999}" -lt 102400

done_testing
