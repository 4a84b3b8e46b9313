# t/lib/slurm.sh - a private single-node Slurm cluster for the e2e tests.
#
# Source it after t/lib/common.sh.  slurm_start builds everything under
# $T_SLURM_DIR ($T_TMP/slurm): its own munge key and munged socket, its own
# slurm.conf with free ports, slurmctld and slurmd in the foreground (-D) and,
# with --accounting, a private MariaDB + slurmdbd so that sacct works.
# Nothing under /etc is read or written and systemd is never used.
#
# After slurm_start:
#   SLURM_CONF       the private slurm.conf (every Slurm client needs it:
#                    without it they try a DNS SRV lookup, "configless" mode)
#   T_SLURM_DIR      the cluster's directory (logs in $T_SLURM_DIR/log)
#   T_SLURM_BIN      the directory holding sbatch, squeue, scontrol, ...
#   T_SLURM_MUNGE    the munge socket (its directory is 0755: any user may
#                    submit)
#   T_SLURM_CLUSTER  the ClusterName
# These are not SLURM_* on purpose: Slurm clients interpret SLURM_* variables
# and copy them into the job environment.
#
# slurm_stop cancels the jobs and stops every daemon; it also runs at exit.
# Call slurm_start in the script's own shell, never in $(...) or a pipeline:
# a subshell's at_exit registrations are lost and its daemons would outlive
# the test.

T_SLURM_DIR=$T_TMP/slurm
T_SLURM_BIN=$(dirname "$(command -v sbatch || echo /usr/bin/sbatch)")
T_SLURM_MUNGE=$T_SLURM_DIR/munge/munge.socket
T_SLURM_CLUSTER=etest
export T_SLURM_DIR T_SLURM_BIN T_SLURM_MUNGE T_SLURM_CLUSTER

_slurm_host=$(hostname -s)
_slurm_daemons=(munged mariadbd slurmdbd slurmctld slurmd) # start order

# slurm_start [--accounting] [--first-job-id=N] [--min-job-age=S] [--cpus=N]:
# 0 when the node is idle.
#   --min-job-age=S  slurm.conf MinJobAge (default 600): how long squeue -t all
#                    keeps showing a finished job.  Slurm's minimum is 2, and
#                    slurmctld purges on its own schedule (about once a
#                    minute), so a job may stay longer than S: wait for it.
#   --cpus=N         the node's CPUs (default 2), more than the machine has if
#                    need be (SlurmdParameters=config_overrides): N one-CPU
#                    jobs run at once.
slurm_start() {
	local acct=0 first=1000 minage=600 cpus=2 arg
	for arg in "$@"; do
		case $arg in
		--accounting) acct=1 ;;
		--first-job-id=*) first=${arg#*=} ;;
		--min-job-age=*) minage=${arg#*=} ;;
		--cpus=*) cpus=${arg#*=} ;;
		*) echo "slurm_start: unknown option $arg" >&2 && return 2 ;;
		esac
	done
	case $first$minage$cpus in *[!0-9]*)
		echo "slurm_start: --first-job-id, --min-job-age and --cpus take numbers" >&2
		return 2 ;;
	esac
	[ "$minage" -ge 2 ] && [ "$cpus" -ge 1 ] ||
		{ echo "slurm_start: --min-job-age >= 2, --cpus >= 1" >&2 && return 2; }
	_slurm_min_job_age=$minage
	_slurm_cpus=$cpus
	# One private cluster at a time on a machine (two test runs side by
	# side would fight over CPUs and job ids): the script's shell holds the
	# lock until it exits; the daemons bg_start starts do not inherit it.
	if [ -z "${T_SLURM_LOCK_FD:-}" ]; then
		exec {T_SLURM_LOCK_FD}>>"${TMPDIR:-/tmp}/eessi-slurm-cluster.lock"
		if ! flock -w 1800 "$T_SLURM_LOCK_FD"; then
			echo "slurm_start: another test's Slurm cluster held the lock for 30 min" >&2
			return 1
		fi
	fi
	slurm_stop
	rm -rf "$T_SLURM_DIR"
	mkdir -p "$T_SLURM_DIR"/{log,run,state,spool} &&
		install -d -m 0755 "$T_SLURM_DIR/munge" || return 1
	export SLURM_CONF=$T_SLURM_DIR/slurm.conf
	_slurm_munged || return 1
	if [ "$acct" = 1 ]; then
		_slurm_mariadb && _slurm_write_conf "$first" 1 && _slurm_dbd || return 1
	else
		_slurm_write_conf "$first" 0 || return 1
	fi
	_slurm_daemons_up || return 1
	# runs before bg_start's own kill_pidfile entries: jobs go first
	at_exit slurm_stop
}

# slurm_stop: cancels all jobs, then stops the daemons (reverse order).
slurm_stop() {
	local i ctld=$T_SLURM_DIR/run/slurmctld.pid
	[ -s "$ctld" ] && kill -0 "$(cat "$ctld")" 2>/dev/null && _slurm_cancel_all
	for ((i = ${#_slurm_daemons[@]} - 1; i >= 0; i--)); do
		kill_pidfile "$T_SLURM_DIR/run/${_slurm_daemons[$i]}.pid"
		rm -f "$T_SLURM_DIR/run/${_slurm_daemons[$i]}.pid"
	done
	_slurm_kill_strays
	return 0
}

# _slurm_kill_strays: a job outlives slurmd when slurmctld was already gone
# (nothing could cancel it), and slurmstepd ignores SIGTERM: kill what is left
# of this cluster, each process with its descendants.
_slurm_kill_strays() {
	local p
	for p in $(_slurm_pids); do
		_slurm_kill_tree "$p"
	done
}

_slurm_kill_tree() {
	local c
	kill -STOP "$1" 2>/dev/null
	for c in $(pgrep -P "$1"); do
		_slurm_kill_tree "$c"
	done
	kill -KILL "$1" 2>/dev/null
}

# _slurm_cancel_all: no job may outlive the cluster (slurmstepd would).
_slurm_cancel_all() {
	local ids
	ids=$(timeout 15 squeue -h -o %i 2>/dev/null) || return 0
	[ -n "$ids" ] || return 0
	# shellcheck disable=SC2086 # a list of numeric ids
	timeout 15 scancel $ids 2>/dev/null
	wait_until 10 _slurm_no_jobs
}

# _slurm_no_jobs: no job pending, running or completing (no slurmstepd left).
_slurm_no_jobs() {
	[ -z "$(timeout 5 squeue -h -o %i 2>&1)" ]
}

_slurm_munged() {
	local m=$T_SLURM_DIR/munge
	dd if=/dev/urandom of="$m/munge.key" bs=1024 count=1 status=none &&
		chmod 0400 "$m/munge.key" || return 1
	bg_start "$T_SLURM_DIR/run/munged.pid" "$T_SLURM_DIR/log/munged.out" \
		munged --foreground --socket="$T_SLURM_MUNGE" --key-file="$m/munge.key" \
		--pid-file="$m/munged.pid" --log-file="$T_SLURM_DIR/log/munged.log" \
		--seed-file="$m/munged.seed"
	_slurm_await munged 10 test -S "$T_SLURM_MUNGE" ||
		_slurm_fail "munged did not create its socket" munged.out munged.log
}

# _slurm_mariadb: a throw-away MariaDB on a free port.  "normal" root
# authentication creates root@127.0.0.1 without a password (the default,
# unix_socket, would refuse slurmdbd's TCP login).
_slurm_mariadb() {
	local d=$T_SLURM_DIR/mysql
	_slurm_db_port=$(free_port)
	mkdir -p "$d" || return 1
	mariadb-install-db --no-defaults --datadir="$d/data" --user=root \
		--skip-test-db --skip-name-resolve --auth-root-authentication-method=normal \
		>"$T_SLURM_DIR/log/mariadb-install.log" 2>&1 ||
		_slurm_fail "mariadb-install-db failed" mariadb-install.log || return 1
	bg_start "$T_SLURM_DIR/run/mariadbd.pid" "$T_SLURM_DIR/log/mariadbd.log" \
		mariadbd --no-defaults --datadir="$d/data" --user=root \
		--bind-address=127.0.0.1 --port="$_slurm_db_port" --skip-name-resolve \
		--socket="$d/mysqld.sock" --pid-file="$d/mysqld.pid" \
		--innodb-buffer-pool-size=32M --skip-log-bin
	_slurm_await mariadbd 30 port_open "$_slurm_db_port" ||
		_slurm_fail "mariadbd is not listening on $_slurm_db_port" mariadbd.log
}

# _slurm_dbd: slurmdbd, then the cluster, an account and root in it.
_slurm_dbd() {
	local conf=$T_SLURM_DIR/slurmdbd.conf
	(umask 077 && cat >"$conf") <<EOF
AuthType=auth/munge
AuthInfo=socket=$T_SLURM_MUNGE
DbdHost=$_slurm_host
DbdAddr=127.0.0.1
DbdPort=$_slurm_dbd_port
SlurmUser=root
LogFile=$T_SLURM_DIR/log/slurmdbd.log
PidFile=$T_SLURM_DIR/run/slurmdbd.own.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$_slurm_db_port
StorageUser=root
StorageLoc=slurm_acct_db
EOF
	# slurmdbd has no -f: it reads slurmdbd.conf beside $SLURM_CONF
	bg_start "$T_SLURM_DIR/run/slurmdbd.pid" "$T_SLURM_DIR/log/slurmdbd.out" \
		slurmdbd -D
	_slurm_await slurmdbd 30 port_open "$_slurm_dbd_port" ||
		_slurm_fail "slurmdbd is not listening" slurmdbd.out slurmdbd.log || return 1
	_slurm_sacctmgr add cluster "$T_SLURM_CLUSTER" &&
		_slurm_sacctmgr add account etest Description=e2e Organization=e2e &&
		_slurm_sacctmgr add user root Account=etest ||
		_slurm_fail "sacctmgr failed" sacctmgr.log slurmdbd.log
}

_slurm_sacctmgr() {
	timeout 30 sacctmgr -i "$@" >>"$T_SLURM_DIR/log/sacctmgr.log" 2>&1
}

# _slurm_port TAKEN...: a free port that is none of TAKEN (free_port may
# hand out the same port twice: slurmctld and slurmd on one port make a
# cluster that never comes up, "slurmd_req: invalid request msg type").
_slurm_port() {
	local p
	while :; do
		p=$(free_port)
		case " $* " in *" $p "*) ;; *) echo "$p"; return 0 ;; esac
	done
}

# _slurm_write_conf FIRST_JOB_ID ACCOUNTING
_slurm_write_conf() {
	local d=$T_SLURM_DIR ctld slurmd
	_slurm_dbd_port=$(_slurm_port ${_slurm_db_port:-})
	ctld=$(_slurm_port ${_slurm_db_port:-} "$_slurm_dbd_port")
	slurmd=$(_slurm_port ${_slurm_db_port:-} "$_slurm_dbd_port" "$ctld")
	{
		cat <<EOF
ClusterName=$T_SLURM_CLUSTER
SlurmctldHost=$_slurm_host(127.0.0.1)
SlurmctldPort=$ctld
SlurmdPort=$slurmd
AuthType=auth/munge
AuthInfo=socket=$T_SLURM_MUNGE
SlurmUser=root
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/run/slurmctld.own.pid
SlurmdPidFile=$d/run/slurmd.own.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MinJobAge=${_slurm_min_job_age:-600}
FirstJobId=$1
NodeName=$_slurm_host NodeAddr=127.0.0.1 CPUs=${_slurm_cpus:-2} RealMemory=1024 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
		# more CPUs than the machine has: slurmd takes slurm.conf's word
		[ "${_slurm_cpus:-2}" -gt "$(nproc)" ] &&
			echo "SlurmdParameters=config_overrides"
		if [ "$2" = 1 ]; then
			cat <<EOF
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$_slurm_dbd_port
AccountingStoragePass=$T_SLURM_MUNGE
EOF
		else
			echo "AccountingStorageType=accounting_storage/none"
		fi
	} >"$SLURM_CONF"
}

# _slurm_daemons_up: slurmctld and slurmd; waits until the node is idle.
_slurm_daemons_up() {
	bg_start "$T_SLURM_DIR/run/slurmctld.pid" "$T_SLURM_DIR/log/slurmctld.out" \
		slurmctld -D -i -f "$SLURM_CONF"
	bg_start "$T_SLURM_DIR/run/slurmd.pid" "$T_SLURM_DIR/log/slurmd.out" \
		slurmd -D -N "$_slurm_host" -f "$SLURM_CONF"
	_slurm_await slurmctld 30 _slurm_node_idle ||
		_slurm_fail "node $_slurm_host did not become idle" \
			slurmctld.out slurmctld.log slurmd.out slurmd.log
}

# slurm_ctld_stop / slurm_ctld_start: the controller goes away (SIGTERM: it
# saves its state, the jobs stay with slurmd) and comes back with its jobs,
# as an outage or a restart would; slurm_ctld_start waits until squeue
# answers.  Clients meanwhile say "Unable to contact slurm controller".
slurm_ctld_stop() {
	kill_pidfile "$T_SLURM_DIR/run/slurmctld.pid"
	rm -f "$T_SLURM_DIR/run/slurmctld.pid"
}
slurm_ctld_start() {
	bg_start "$T_SLURM_DIR/run/slurmctld.pid" "$T_SLURM_DIR/log/slurmctld.out2" \
		slurmctld -D -i -f "$SLURM_CONF"
	_slurm_await slurmctld 60 timeout 5 squeue -h ||
		_slurm_fail "slurmctld did not come back" slurmctld.out2 slurmctld.log
}

_slurm_node_idle() {
	[ "$(timeout 5 sinfo -h -n "$_slurm_host" -o %T 2>/dev/null)" = idle ]
}

# _slurm_await DAEMON SECONDS CMD...: like wait_until, but gives up at once
# when DAEMON (started with bg_start) has died.
_slurm_await() {
	local pidfile=$T_SLURM_DIR/run/$1.pid limit=$2 i
	shift 2
	for ((i = 0; i < limit * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		kill -0 "$(cat "$pidfile")" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# _slurm_fail MESSAGE LOG...: reports on stderr with the logs' tails, returns 1.
_slurm_fail() {
	local msg=$1 f
	shift
	echo "# slurm_start: $msg" >&2
	for f in "$@"; do
		[ -f "$T_SLURM_DIR/log/$f" ] || continue
		echo "# --- tail of $f" >&2
		tail -n 15 "$T_SLURM_DIR/log/$f" | sed 's/^/#   /' >&2
	done
	return 1
}

# --- helpers for the tests -------------------------------------------------

# slurm_job ID FORMAT: one squeue line for job ID in any state, e.g.
# slurm_job 1000 '%T|%r'.  Empty once the job is older than MinJobAge.
slurm_job() {
	squeue -h -t all -j "$1" -o "$2" 2>/dev/null
}

# slurm_state ID: PENDING, RUNNING, COMPLETED, FAILED, ...
slurm_state() {
	slurm_job "$1" %T
}

# slurm_exit_code ID: "3:0" (exit status:signal) from scontrol.
slurm_exit_code() {
	scontrol show job -o "$1" 2>/dev/null | grep -o ' ExitCode=[0-9]*:[0-9]*' |
		cut -d= -f2
}

# slurm_wait_state ID STATE [SECONDS]: waits until job ID is in STATE
# (default 30 s); on timeout prints the state it is in and returns 1.
slurm_wait_state() {
	local id=$1 want=$2 limit=${3:-30} i got=
	for ((i = 0; i < limit * 10; i++)); do
		got=$(slurm_state "$id")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	echo "job $id is '$got', not '$want' after ${limit}s" >&2
	return 1
}

# slurm_sacct ID... : "ID|STATE|EXITCODE" lines from the accounting database.
slurm_sacct() {
	local ids
	ids=$(printf '%s,' "$@")
	sacct -n -P -X -j "${ids%,}" -o JobID,State,ExitCode 2>/dev/null
}

# slurm_running: prints "PID ARGS" of each daemon or slurmstepd of this cluster
# still alive; status 0 when there is one.
slurm_running() {
	local p found=1
	for p in $(_slurm_pids); do
		ps -o pid=,args= -p "$p" && found=0
	done
	return $found
}

# _slurm_pids: the daemons and slurmstepds of this cluster.  slurmdbd's and
# slurmstepd's command lines do not name our directory, their environment
# (SLURM_CONF) does.
_slurm_pids() {
	local n p
	for n in munged mariadbd slurmdbd slurmctld slurmd slurmstepd; do
		for p in $(pgrep -x "$n"); do
			grep -qsF "$T_SLURM_DIR" "/proc/$p/cmdline" "/proc/$p/environ" &&
				echo "$p"
		done
	done
}
