#!/bin/sh
# spawn-fcgi.sh - starts the bot's webhook handler (eessi-bot-webhook) as a
# FastCGI server for nginx (conf/nginx-eessi-bot.conf) or Apache
# mod_proxy_fcgi (conf/apache-proxy-fcgi.conf): WORKERS processes sharing
# one socket on ADDR:PORT, then it exits (the workers stay).
#
# Every setting below can be given in the environment instead.  Run as
# root, the workers drop to BOT_USER (with HOME and USER set to its own);
# run as another user, they run as that user (BOT_USER is ignored then).
# conf/eessi-bot-webhook.service runs it under systemd.  Stop the workers
# with: kill $(cat "$PIDFILE")
#
# The handler starts the spool consumer (eessi-bot-manager, from the
# handler's own directory) after each accepted delivery, as the same user:
# BOT_USER is the bot's user, the one that owns the spool, the job
# directories and the App's key, and submits the Slurm jobs.  Never root
# (an empty EESSI_BOT_USER, for the tests, keeps the caller's user).

ADDR=${EESSI_BOT_FCGI_ADDR:-127.0.0.1}            # what the web server connects to
PORT=${EESSI_BOT_FCGI_PORT:-9000}
WORKERS=${EESSI_BOT_FCGI_WORKERS:-4}              # concurrent deliveries
BOT_USER=${EESSI_BOT_USER-eessi-bot}              # empty: stay who you are (tests)
BOT_GROUP=${EESSI_BOT_GROUP:-$BOT_USER}
PIDFILE=${EESSI_BOT_PIDFILE:-/run/eessi-bot/webhook.pid}  # all workers' pids
WORKDIR=${EESSI_BOT_WORKDIR:-/}                   # the workers' current directory
HANDLER=${EESSI_BOT_WEBHOOK:-/usr/local/bin/eessi-bot-webhook}
CONFIG=${EESSI_BOT_CONFIG-/etc/eessi-bot/app.cfg} # empty: the handler's default

set -eu

user_opts=
if [ "$(id -u)" -eq 0 ] && [ -z "$BOT_USER" ]; then
	echo "spawn-fcgi.sh: EESSI_BOT_USER is empty: the handler runs as root" >&2
elif [ "$(id -u)" -eq 0 ]; then
	if [ "$BOT_USER" = root ]; then
		echo "spawn-fcgi.sh: refusing EESSI_BOT_USER=root" >&2
		exit 1
	fi
	# "$HOME" and "$USER" in app.cfg's paths mean the bot user's
	HOME=$(getent passwd "$BOT_USER" | cut -d: -f6)
	if [ -z "$HOME" ]; then
		echo "spawn-fcgi.sh: no such user: $BOT_USER" >&2
		exit 1
	fi
	USER=$BOT_USER
	export HOME USER
	user_opts="-u $BOT_USER -g $BOT_GROUP"
fi

mkdir -p "$(dirname "$PIDFILE")"
if [ -n "$CONFIG" ]; then
	set -- -c "$CONFIG"
else
	set --
fi
# shellcheck disable=SC2086 # user_opts: two options or none
exec spawn-fcgi -a "$ADDR" -p "$PORT" -F "$WORKERS" $user_opts \
	-P "$PIDFILE" -d "$WORKDIR" -- "$HANDLER" "$@"
