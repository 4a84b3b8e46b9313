# t/lib/common.sh - shared helpers for the end-to-end test scripts.
#
# Source it first in every t/e2e/*.sh.  A script reports each assertion as a
# TAP-like line ("ok - ..." / "not ok - ...") and ends with done_testing;
# t/run-e2e counts the lines of all scripts and prints "N passed, N failed".
#
# Everything a script starts is registered with at_exit and stopped when the
# script exits (in reverse order); its files live in $T_TMP, removed at exit
# unless KEEP_TMP=1.  Servers listen on 127.0.0.1 only.
#
# What a script produced is kept for t/e2e/98-secrets.sh, which looks there
# for leaked secrets: at exit (before anything is stopped) the GitHub
# stand-in's state and calls, then every *.log and *.out file under $T_TMP,
# go to $BUILD/t/artifacts/SCRIPT/, and the secrets the script used (webhook
# secret files and $GITHUB_APP_SECRET_TOKEN, private key PEMs, the tokens
# the stand-in issued, S3 secret keys) to $BUILD/t/artifacts/SCRIPT/secrets/.
#
# The programs refuse to run as root unless EESSI_BOT_ALLOW_ROOT=1; the
# tests run as root in CI, so it is set here (98-secrets.sh checks the
# refusal itself).

set -u

T_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOP=$(cd "$T_DIR/.." && pwd)
BUILD=${BUILD:-$TOP/build}
export T_DIR TOP BUILD

# The interpreter itself, resolved once: pyenv's python3 shim costs
# 0.2-0.4 s a call.
: "${T_PYTHON:=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3)}"
export T_PYTHON

T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/eessi-t.XXXXXX")
chmod 0755 "$T_TMP"
export T_TMP

EESSI_BOT_ALLOW_ROOT=1
export EESSI_BOT_ALLOW_ROOT

T_NAME=$(basename "$0" .sh)
T_ARTIFACTS=$BUILD/t/artifacts/$T_NAME
export T_NAME T_ARTIFACTS

_t_pass=0
_t_fail=0
_t_cleanups=()

at_exit() {
	_t_cleanups+=("$*")
}

# _t_keep_secrets DEST: the secrets this script used, one file each.
_t_keep_secrets() {
	local dest=$1 n=0 f cfg
	mkdir -p "$dest" && chmod 0700 "$dest" || return 0
	if [ -n "${GITHUB_APP_SECRET_TOKEN:-}" ]; then
		printf '%s\n' "$GITHUB_APP_SECRET_TOKEN" >"$dest/webhook-env"
	fi
	# the S3 secret key of t/lib/s3.sh, and those of any AWS-style
	# credentials file the script wrote
	{
		[ -n "${AWS_SECRET_ACCESS_KEY:-}" ] && printf '%s\n' "$AWS_SECRET_ACCESS_KEY"
		find "$T_TMP" -type f -name 'credentials*' -exec \
			sed -n 's/^[[:space:]]*aws_secret_access_key[[:space:]]*=[[:space:]]*//p' {} + 2>/dev/null
	} | sort -u >"$dest/aws"
	[ -s "$dest/aws" ] || rm -f "$dest/aws"
	# the webhook secret files and keys every app.cfg names, and any
	# file called secret or holding a private key
	{
		for cfg in $(find "$T_TMP" -name '*.cfg' -type f 2>/dev/null); do
			sed -n 's/^[[:space:]]*\(webhook_secret_file\|private_key\)[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1 \2/p' "$cfg"
		done
		find "$T_TMP" -type f -name secret -printf 'webhook_secret_file %p\n' 2>/dev/null
		grep -rlsZ -e '-----BEGIN .*PRIVATE KEY-----' "$T_TMP" --include='*.pem' --include='*.key' |
			xargs -0 -r printf 'private_key %s\n'
	} | sort -u | while read -r kind f; do
		[ -f "$f" ] && [ -s "$f" ] || continue
		n=$((n + 1))
		case $kind in
		webhook_secret_file) cp "$f" "$dest/webhook-$n" ;;
		private_key) grep -q 'PRIVATE KEY-----' "$f" && cp "$f" "$dest/key-$n.pem" ;;
		esac
	done
	[ -s "$T_TMP/github-standin.tokens" ] && cp "$T_TMP/github-standin.tokens" "$dest/tokens"
	return 0
}

# _t_keep_artifacts: what the script produced, for 98-secrets.sh.
_t_keep_artifacts() {
	local dest=$T_ARTIFACTS f
	rm -rf "$dest"
	mkdir -p "$dest" || return 0
	if [ -n "${GH_ADMIN_URL:-}" ]; then # the stand-in stops in the at_exit list
		curl -sS --max-time 10 "$GH_ADMIN_URL/_admin/state" >"$dest/github-state.json" 2>/dev/null
		curl -sS --max-time 10 "$GH_ADMIN_URL/_admin/calls" >"$dest/github-calls.json" 2>/dev/null
	fi
	(cd "$T_TMP" && find . -type f \( -name '*.log' -o -name '*.out' \) -print0 2>/dev/null |
		xargs -0 -r cp --parents -t "$dest" 2>/dev/null)
	_t_keep_secrets "$dest/secrets"
	return 0
}

_t_cleanup() {
	local i
	_t_keep_artifacts >/dev/null 2>&1 || true
	for ((i = ${#_t_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_t_cleanups[$i]}" >/dev/null 2>&1 || true
	done
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $T_TMP" >&2
	else
		rm -rf "$T_TMP"
	fi
}
trap _t_cleanup EXIT
trap 'exit 130' INT TERM

note() { printf '# %s\n' "$*"; }

ok() {
	_t_pass=$((_t_pass + 1))
	printf 'ok - %s\n' "$1"
}

not_ok() {
	_t_fail=$((_t_fail + 1))
	printf 'not ok - %s\n' "$1"
	shift
	local line
	for line in "$@"; do printf '#   %s\n' "$line"; done
}

# check DESC CMD...: passes when CMD exits 0; shows CMD's output otherwise.
check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "$desc"
	else
		not_ok "$desc" "exit $rc: $*" "$(printf '%s' "$out" | tail -n 20)"
	fi
	return $rc
}

# check_fails DESC CMD...: passes when CMD exits non-zero.
check_fails() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		ok "$desc"
	else
		not_ok "$desc" "expected failure, got exit 0: $*" "$(printf '%s' "$out" | tail -n 20)"
	fi
	[ $rc -ne 0 ]
}

# is DESC GOT WANT
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "got:  '$2'" "want: '$3'"
		return 1
	fi
}

# like DESC GOT EXTENDED-REGEX
like() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then
		ok "$1"
	else
		not_ok "$1" "got: '$(printf '%s' "$2" | head -c 2000)'" "does not match: $3"
		return 1
	fi
}

# unlike DESC GOT EXTENDED-REGEX
unlike() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then
		not_ok "$1" "got: '$(printf '%s' "$2" | head -c 2000)'" "matches: $3"
		return 1
	fi
	ok "$1"
}

# bail REASON: the script cannot go on (a harness piece failed to start).
bail() {
	not_ok "$1" "${@:2}"
	done_testing
}

done_testing() {
	printf '# %s: %d passed, %d failed\n' "$(basename "$0")" "$_t_pass" "$_t_fail"
	[ "$_t_fail" -eq 0 ] && [ "$_t_pass" -gt 0 ]
	exit $?
}

# need CMD...: every command must exist; a missing one fails the script
# (tests that need a tool run in CI, they are never skipped).
need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			bail "required tool '$c' is missing (run scripts/install-test-deps)"
	done
}

# free_port: prints a TCP port free on 127.0.0.1 right now.
free_port() {
	"$T_PYTHON" -S - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
wait_until() {
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_port PORT [SECONDS]
wait_port() {
	wait_until "${2:-20}" port_open "$1"
}

# alive PID: the process exists and is not a zombie waiting to be reaped
alive() {
	local st
	st=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null) || return 1
	[ "${st:1:1}" != Z ]
}

# kill_pidfile FILE: TERM, then KILL, the processes whose pids FILE holds.
kill_pidfile() {
	local f=$1 pid i
	[ -s "$f" ] || return 0
	for pid in $(cat "$f"); do
		kill "$pid" 2>/dev/null || continue
		for ((i = 0; i < 50; i++)); do
			alive "$pid" || break
			sleep 0.1
		done
		alive "$pid" && kill -9 "$pid" 2>/dev/null
	done
	return 0
}

# bg_start PIDFILE LOG CMD...: runs CMD in the background, records its pid and
# stops it at exit.
bg_start() {
	local pidfile=$1 log=$2
	shift 2
	if [ -n "${T_SLURM_LOCK_FD:-}" ]; then # servers never hold the lock
		"$@" >"$log" 2>&1 {T_SLURM_LOCK_FD}>&- &
	else
		"$@" >"$log" 2>&1 &
	fi
	echo $! >"$pidfile"
	at_exit kill_pidfile "$pidfile"
}
