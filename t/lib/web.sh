# t/lib/web.sh - web servers in front of a FastCGI/CGI program, for the
# end-to-end tests.  Source it after t/lib/common.sh.
#
# The servers run the project's own conf/ files, as a site would install
# them, rewritten only where a private test server must differ: the listen
# address and port, the FastCGI address, the program's path and
# environment, log paths, and no TLS (unless WEB_TLS_CERT is set).  So the
# tests test those files; a conf/ file that no longer has a line this file
# rewrites makes the start fail with the reason.
#
#   fcgi_start PROGRAM [VAR=VAL...]   PROGRAM under spawn-fcgi on 127.0.0.1,
#                                     started by conf/spawn-fcgi.sh
#                                     -> FCGI_PORT, FCGI_PIDFILE
#   nginx_start FCGI_PORT             private nginx serving
#                                     conf/nginx-eessi-bot.conf
#                                     -> NGINX_URL, NGINX_DIR
#   apache_start FCGI_PORT            private Apache serving
#                                     conf/apache-proxy-fcgi.conf
#                                     (mod_proxy_fcgi) -> APACHE_URL,
#                                     APACHE_DIR
#   apache_fcgid_start PROGRAM [VAR=VAL...]
#                                     private Apache serving
#                                     conf/apache-fcgid.conf: mod_fcgid runs
#                                     PROGRAM itself -> APACHE_FCGID_URL,
#                                     APACHE_FCGID_DIR
#   apache_cgi_start PROGRAM [VAR=VAL...]
#                                     private Apache (prefork MPM) serving
#                                     conf/apache-cgi.conf: mod_cgi runs
#                                     PROGRAM per request -> APACHE_CGI_URL,
#                                     APACHE_CGI_DIR
#   cgi_run PROGRAM BODYFILE [NAME=VAL...]
#                                     PROGRAM as a plain CGI program; prints
#                                     its output, returns its exit status
#   cgi_status OUTPUT                 the status of a CGI answer (200 when
#                                     it has no Status: line)
#   webhook ARGS...                   t/tools/webhook.py (pick, sign, send,
#                                     list), run without pyenv's shim
#   web_stop                          stops every server started above, now
#                                     (last started first)
#   nginx_conf DIR PORT FCGI_PORT     writes DIR/nginx.conf (what
#   apache_proxy_conf DIR PORT FCGI_PORT     nginx_start, apache_start and
#   apache_fcgid_conf DIR PORT PROGRAM [VAR=VAL...]   apache_fcgid_start
#                                     run) without starting anything; for
#                                     apache DIR/apache.conf
#
# Every URL ends in $WEB_PATH (/eessi-bot/webhook), the one path the conf/
# files serve; any other path gets 404 from the web server itself.
#
# Everything listens on 127.0.0.1 only (TCP, so workers running as www-data
# have no socket permissions to get right), on a port free at start, with
# its files in a directory of its own under $T_TMP, and is stopped at exit
# (at_exit).  A server that does not come up makes the function print its
# error log (as "# " lines) and return 1.
#
# Knobs: FCGI_WORKERS (spawn-fcgi -F, default 2); FCGI_USER (spawn-fcgi -u
# when root, default: run as the caller).  Under root the web servers' own
# workers, and mod_fcgid's programs, run as www-data: whatever they write
# to must be writable by www-data.  WEB_TLS_CERT and WEB_TLS_KEY (PEM
# files): the web servers keep the conf/ files' TLS, with this certificate,
# and their URLs are https:// (webhook.py speaks http:// only: use curl).

WEB_USER=www-data
WEB_MODULES=/usr/lib/apache2/modules
WEB_MAX_BODY=26214400 # 25 MiB, what the webhook handler accepts
WEB_CONF=$TOP/conf
WEB_PATH=/eessi-bot/webhook
# T_PYTHON (common.sh) is the interpreter itself; run with -S, as
# webhook.py needs nothing beyond the standard library
WEB_PYTHON=$T_PYTHON

webhook() {
	"$WEB_PYTHON" -S "$T_DIR/tools/webhook.py" "$@"
}

_web_pidfiles=()

# _web_gone PID: the process is gone or a zombie (kill -0 succeeds on a
# zombie until its parent reaps it; for an orphan that parent is PID 1).
_web_gone() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
}

# _web_kill PIDFILE: TERM to every pid in it, up to 5 s for all to end,
# KILL to the rest; then empties PIDFILE (so a later call, or the at_exit
# one, cannot hit a reused pid).  kill_pidfile, zombie-aware and parallel.
_web_kill() {
	local f=$1 pid i left pids=()
	[ -s "$f" ] || return 0
	mapfile -t pids <"$f"
	kill "${pids[@]}" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		left=0
		for pid in "${pids[@]}"; do _web_gone "$pid" || left=1; done
		[ $left -eq 0 ] && break
		sleep 0.1
	done
	for pid in "${pids[@]}"; do
		_web_gone "$pid" || kill -9 "$pid" 2>/dev/null
	done
	: >"$f"
}

# _web_track PIDFILE: stopped by web_stop now and (at_exit) at the end.
_web_track() {
	_web_pidfiles+=("$1")
	at_exit _web_kill "$1"
}

# web_stop: stops what this file started, last started first.
web_stop() {
	local i
	for ((i = ${#_web_pidfiles[@]} - 1; i >= 0; i--)); do
		_web_kill "${_web_pidfiles[$i]}"
	done
	_web_pidfiles=()
}

# _web_bg PIDFILE LOG CMD...: bg_start, and web_stop stops it too.
_web_bg() {
	bg_start "$@"
	_web_pidfiles+=("$1")
}

# _web_log FILE...: shows the files' last lines as TAP comments.
_web_log() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		printf '# --- %s\n' "$f"
		tail -n 30 "$f" | sed 's/^/#   /'
	done
}

# _web_wait PORT PIDFILE: 0 once PORT accepts connections, 1 if the process
# of PIDFILE died first or 20 s passed.
_web_alive() {
	local pid pids=()
	[ -s "$1" ] || return 1
	mapfile -t pids <"$1"
	for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done
}
_web_up_or_dead() {
	port_open "$1" || ! _web_alive "$2"
}
_web_wait() {
	wait_until 20 _web_up_or_dead "$1" "$2" && _web_alive "$2" && port_open "$1"
}

# The parent of spawn-fcgi: spawn-fcgi forks the workers and exits, so the
# workers are orphans, and the PID 1 of these VMs reaps only about once a
# second: their zombies would linger after web_stop (and match a `pgrep
# NAME` check).  This parent is a child subreaper: the orphans become its
# children and it reaps them at once.
# argv: READY_FILE CMD...; READY_FILE is created once CMD (spawn-fcgi)
# succeeded; exits with CMD's status if not, else once every worker ended.
_WEB_REAPER='
import ctypes, os, signal, subprocess, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:
    sys.exit("cannot become a child subreaper (PR_SET_CHILD_SUBREAPER)")
signal.signal(signal.SIGTERM, lambda *_: None)  # the workers are stopped
rc = subprocess.call(sys.argv[2:])
if rc != 0:
    sys.exit(rc)
open(sys.argv[1], "w").close()
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
'

_web_spawned() { [ -e "$1" ] || ! _web_alive "$2"; }

# fcgi_start PROGRAM [VAR=VAL...]: PROGRAM (FCGI_WORKERS processes) behind
# one listening socket on 127.0.0.1:FCGI_PORT, with VAR=VAL in its
# environment, started by conf/spawn-fcgi.sh (its settings given in its
# environment, which spawn-fcgi hands on to PROGRAM).  EESSI_BOT_CONFIG=FILE
# among VAR=VAL also becomes PROGRAM's "-c FILE", as on a site.
fcgi_start() {
	local prog=$1 port dir user=""
	shift
	port=$(free_port) || return 1
	dir=$T_TMP/fcgi-$port
	mkdir -p "$dir"
	if [ -n "${FCGI_USER:-}" ] && [ "$(id -u)" -eq 0 ]; then
		user=$FCGI_USER
	fi
	FCGI_PIDFILE=$dir/pids
	_web_bg "$dir/reaper.pid" "$dir/spawn.log" \
		"$WEB_PYTHON" -S -c "$_WEB_REAPER" "$dir/spawned" \
		env EESSI_BOT_CONFIG= "$@" \
		EESSI_BOT_FCGI_ADDR=127.0.0.1 EESSI_BOT_FCGI_PORT="$port" \
		EESSI_BOT_FCGI_WORKERS="${FCGI_WORKERS:-2}" \
		EESSI_BOT_USER="$user" EESSI_BOT_GROUP= \
		EESSI_BOT_PIDFILE="$FCGI_PIDFILE" EESSI_BOT_WORKDIR="$dir" \
		EESSI_BOT_WEBHOOK="$prog" \
		"$WEB_CONF/spawn-fcgi.sh"
	_web_track "$FCGI_PIDFILE" # stopped before the reaper
	if ! wait_until 20 _web_spawned "$dir/spawned" "$dir/reaper.pid" ||
		[ ! -e "$dir/spawned" ] || ! _web_wait "$port" "$FCGI_PIDFILE"; then
		echo "# fcgi_start: $prog did not come up on 127.0.0.1:$port"
		_web_log "$dir/spawn.log"
		return 1
	fi
	FCGI_PORT=$port
	export FCGI_PORT FCGI_PIDFILE
}

# _web_scheme: https when the servers keep TLS (WEB_TLS_CERT), else http
_web_scheme() {
	if [ -n "${WEB_TLS_CERT:-}" ]; then echo https; else echo http; fi
}

# _web_expect FILE SOURCE PATTERN...: every PATTERN (a fixed string)
# is in FILE, the test form of conf/SOURCE; else says so and returns 1.
_web_expect() {
	local f=$1 src=$2 p
	shift 2
	for p in "$@"; do
		if ! grep -qF -- "$p" "$f"; then
			echo "# web.sh: the test form of conf/$src lacks '$p':" \
				"conf/$src no longer has a line web.sh rewrites"
			return 1
		fi
	done
}

# _web_reject FILE SOURCE PATTERN...: no PATTERN (extended regex) in FILE.
_web_reject() {
	local f=$1 src=$2 p
	shift 2
	for p in "$@"; do
		if grep -qE -- "$p" "$f"; then
			echo "# web.sh: the test form of conf/$src still has '$p':" \
				"$(grep -nE -- "$p" "$f" | head -n 3 | tr '\n' ' ')"
			return 1
		fi
	done
}

# nginx_conf DIR PORT FCGI_PORT: DIR/nginx.conf, a private nginx (pid,
# logs, temp files in DIR) whose one server is conf/nginx-eessi-bot.conf,
# copied to DIR/eessi-bot.conf with: its first listen line -> 127.0.0.1:PORT
# (its other listen lines dropped), the ssl_ lines dropped (or pointing at
# WEB_TLS_CERT/KEY), the FastCGI server -> 127.0.0.1:FCGI_PORT, its logs in
# DIR.
nginx_conf() {
	local dir=$1 port=$2 fport=$3 user_line="" tls=0 ssl=""
	[ "$(id -u)" -eq 0 ] && user_line="user $WEB_USER;"
	[ -n "${WEB_TLS_CERT:-}" ] && tls=1 ssl=" ssl"
	mkdir -p "$dir"
	awk -v port="$port" -v fport="$fport" -v dir="$dir" -v tls=$tls \
		-v cert="${WEB_TLS_CERT:-}" -v key="${WEB_TLS_KEY:-}" '
		/^[ \t]*listen[ \t]/ {
			if (seen++) next
			sub(/listen[ \t].*/, "listen 127.0.0.1:" port (tls ? " ssl" : "") ";")
		}
		/^[ \t]*ssl_/ && !tls { next }
		/^[ \t]*ssl_certificate[ \t]/ { sub(/ssl_certificate[ \t].*/, "ssl_certificate " cert ";") }
		/^[ \t]*ssl_certificate_key[ \t]/ { sub(/ssl_certificate_key[ \t].*/, "ssl_certificate_key " key ";") }
		{
			gsub(/127\.0\.0\.1:9000;/, "127.0.0.1:" fport ";")
			gsub(/\/var\/log\/nginx\/eessi-bot\./, dir "/")
			print
		}' "$WEB_CONF/nginx-eessi-bot.conf" >"$dir/eessi-bot.conf" || return 1
	_web_expect "$dir/eessi-bot.conf" nginx-eessi-bot.conf \
		"listen 127.0.0.1:$port$ssl;" "fastcgi_pass 127.0.0.1:$fport;" \
		"location = $WEB_PATH {" "access_log $dir/access.log;" \
		"error_log $dir/error.log;" || return 1
	_web_reject "$dir/eessi-bot.conf" nginx-eessi-bot.conf \
		'^[^#]*:9000;' '^[^#]*/var/log' '^[^#]*listen[^#]*[ :]443[ ;]' || return 1
	[ $tls -eq 1 ] || _web_reject "$dir/eessi-bot.conf" nginx-eessi-bot.conf \
		'^[^#]*ssl' || return 1
	cat >"$dir/nginx.conf" <<EOF
$user_line
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events { worker_connections 128; }
http {
	access_log $dir/access.log;
	client_body_temp_path $dir/body;
	fastcgi_temp_path $dir/fastcgi;
	proxy_temp_path $dir/proxy;
	scgi_temp_path $dir/scgi;
	uwsgi_temp_path $dir/uwsgi;
	include $dir/eessi-bot.conf;
}
EOF
}

# nginx_start FCGI_PORT: nginx on 127.0.0.1:<port> serving
# conf/nginx-eessi-bot.conf: $WEB_PATH passed to the FastCGI server,
# everything else 404.  Bodies above 25 MiB get 413 from nginx itself; the
# request body is buffered, so the program only ever sees complete bodies.
nginx_start() {
	local fport=$1 port dir
	port=$(free_port) || return 1
	dir=$T_TMP/nginx-$port
	nginx_conf "$dir" "$port" "$fport" || return 1
	if ! nginx -t -p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf" \
		>"$dir/configtest.log" 2>&1; then
		echo "# nginx_start: bad configuration"
		_web_log "$dir/configtest.log"
		return 1
	fi
	_web_bg "$dir/bg.pid" "$dir/stderr.log" \
		nginx -p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf"
	if ! _web_wait "$port" "$dir/bg.pid"; then
		echo "# nginx_start: nginx did not come up on 127.0.0.1:$port"
		_web_log "$dir/stderr.log" "$dir/error.log"
		return 1
	fi
	NGINX_URL=$(_web_scheme)://127.0.0.1:$port$WEB_PATH
	NGINX_DIR=$dir
	export NGINX_URL NGINX_DIR
}

# _apache_conf DIR PORT: the part of an apache.conf every private Apache
# shares (modules, paths under DIR, one small event-MPM process, what
# Debian's apache2.conf and envvars give a site's files: APACHE_LOG_DIR,
# the "combined" log format).
_apache_conf() {
	local dir=$1 port=$2
	cat <<EOF
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/apache.pid"
DefaultRuntimeDir "$dir/run"
Mutex file:$dir/run default
Define APACHE_LOG_DIR "$dir"
ErrorLog "$dir/error.log"
LogLevel warn
LogFormat "%h %t \"%r\" %>s %I %O %D" e2e
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined
CustomLog "$dir/access.log" e2e
LoadModule authz_core_module $WEB_MODULES/mod_authz_core.so
LoadModule rewrite_module $WEB_MODULES/mod_rewrite.so
Timeout 60
<Directory />
	Require all denied
</Directory>
EOF
	if [ "${WEB_APACHE_MPM:-event}" = prefork ]; then
		cat <<EOF
LoadModule mpm_prefork_module $WEB_MODULES/mod_mpm_prefork.so
StartServers 2
MinSpareServers 1
MaxSpareServers 4
MaxRequestWorkers 8
EOF
	else
		cat <<EOF
LoadModule mpm_event_module $WEB_MODULES/mod_mpm_event.so
StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16
EOF
	fi
	if [ "$(id -u)" -eq 0 ]; then
		printf 'User %s\nGroup %s\n' "$WEB_USER" "$WEB_USER"
	fi
	if [ -n "${WEB_TLS_CERT:-}" ]; then
		printf 'LoadModule ssl_module %s/mod_ssl.so\n' "$WEB_MODULES"
		printf 'LoadModule socache_shmcb_module %s/mod_socache_shmcb.so\n' "$WEB_MODULES"
	fi
}

# _apache_site SOURCE DIR PORT [AWK-ARGS...]: conf/SOURCE as DIR/site.conf:
# <VirtualHost *:443> -> 127.0.0.1:PORT, the SSL lines dropped (or
# pointing at WEB_TLS_CERT/KEY), then the awk program in AWK-ARGS (the
# last one; -v assignments before it), if any.
_apache_site() {
	local src=$1 dir=$2 port=$3 tls=0
	shift 3
	[ -n "${WEB_TLS_CERT:-}" ] && tls=1
	awk -v port="$port" -v tls=$tls -v cert="${WEB_TLS_CERT:-}" \
		-v key="${WEB_TLS_KEY:-}" '
		/^[ \t]*<VirtualHost \*:443>/ { sub(/\*:443/, "127.0.0.1:" port) }
		/^[ \t]*SSL/ && !tls { next }
		/^[ \t]*SSLCertificateFile[ \t]/ { sub(/SSLCertificateFile[ \t].*/, "SSLCertificateFile " cert) }
		/^[ \t]*SSLCertificateKeyFile[ \t]/ { sub(/SSLCertificateKeyFile[ \t].*/, "SSLCertificateKeyFile " key) }
		{ print }' "$WEB_CONF/$src" >"$dir/site.tmp" || return 1
	if [ $# -gt 0 ]; then
		awk "$@" "$dir/site.tmp" >"$dir/site.conf" || return 1
	else
		cp "$dir/site.tmp" "$dir/site.conf"
	fi
	_web_expect "$dir/site.conf" "$src" "<VirtualHost 127.0.0.1:$port>" \
		"RewriteCond %{REQUEST_URI} !=$WEB_PATH" \
		"RewriteCond %{HTTP:Content-Length} -gt$WEB_MAX_BODY" || return 1
	_web_reject "$dir/site.conf" "$src" '^[^#]*:443>' || return 1
	[ $tls -eq 1 ] || _web_reject "$dir/site.conf" "$src" '^[^#]*SSL' || return 1
}

# _apache_run DIR PORT WHAT: starts apache2 on DIR/apache.conf, waits.
_apache_run() {
	local dir=$1 port=$2 what=$3
	mkdir -p "$dir/run"
	if ! apache2 -t -f "$dir/apache.conf" >"$dir/configtest.log" 2>&1; then
		echo "# $what: bad configuration"
		_web_log "$dir/configtest.log"
		return 1
	fi
	# its own session: Apache's prefork MPM signals its whole process
	# group when it stops, which would otherwise be this test's
	_web_bg "$dir/bg.pid" "$dir/stderr.log" \
		setsid apache2 -f "$dir/apache.conf" -DFOREGROUND
	if ! _web_wait "$port" "$dir/bg.pid"; then
		echo "# $what: Apache did not come up on 127.0.0.1:$port"
		_web_log "$dir/stderr.log" "$dir/error.log"
		return 1
	fi
}

# apache_proxy_conf DIR PORT FCGI_PORT: DIR/apache.conf, a private Apache
# whose one site is conf/apache-proxy-fcgi.conf (DIR/site.conf) with its
# FastCGI server -> 127.0.0.1:FCGI_PORT.
apache_proxy_conf() {
	local dir=$1 port=$2 fport=$3
	mkdir -p "$dir"
	_apache_site apache-proxy-fcgi.conf "$dir" "$port" -v fport="$fport" '
		{ gsub(/fcgi:\/\/127\.0\.0\.1:9000\//, "fcgi://127.0.0.1:" fport "/"); print }' ||
		return 1
	_web_expect "$dir/site.conf" apache-proxy-fcgi.conf \
		"ProxyPass \"$WEB_PATH\" \"fcgi://127.0.0.1:$fport/\"" || return 1
	_web_reject "$dir/site.conf" apache-proxy-fcgi.conf '^[^#]*:9000/' || return 1
	{
		_apache_conf "$dir" "$port"
		cat <<EOF
LoadModule proxy_module $WEB_MODULES/mod_proxy.so
LoadModule proxy_fcgi_module $WEB_MODULES/mod_proxy_fcgi.so
Include "$dir/site.conf"
EOF
	} >"$dir/apache.conf"
}

# apache_start FCGI_PORT: Apache on 127.0.0.1:<port> serving
# conf/apache-proxy-fcgi.conf: $WEB_PATH proxied to the FastCGI server by
# mod_proxy_fcgi, everything else 404.  Apache does not apply
# LimitRequestBody to what it streams to the backend: the site's rewrite
# rule answers 413 to a Content-Length above 25 MiB (and the program itself
# refuses one too).
apache_start() {
	local fport=$1 port dir
	port=$(free_port) || return 1
	dir=$T_TMP/apache-$port
	apache_proxy_conf "$dir" "$port" "$fport" || return 1
	_apache_run "$dir" "$port" apache_start || return 1
	APACHE_URL=$(_web_scheme)://127.0.0.1:$port$WEB_PATH
	APACHE_DIR=$dir
	export APACHE_URL APACHE_DIR
}

# apache_fcgid_conf DIR PORT PROGRAM [VAR=VAL...]: DIR/apache.conf, a
# private Apache whose one site is conf/apache-fcgid.conf (DIR/site.conf)
# with PROGRAM for the handler's path and VAR=VAL (instead of the file's
# InitialEnv settings) in its environment.
apache_fcgid_conf() {
	local dir=$1 port=$2 prog=$3 kv
	shift 3
	mkdir -p "$dir"
	# through the environment: awk -v would interpret backslashes
	local -x WEB_FCGID_PROG=$prog WEB_FCGID_ENVS=""
	for kv in "$@"; do
		WEB_FCGID_ENVS+=$'\t\t'"InitialEnv \"$kv\" \\"$'\n'
	done
	_apache_site apache-fcgid.conf "$dir" "$port" '
		/^[ \t]*InitialEnv[ \t]/ { next }
		{ gsub(/\/usr\/local\/bin\/eessi-bot-webhook/, ENVIRON["WEB_FCGID_PROG"]) }
		{ print }
		/^[ \t]*FcgidCmdOptions[ \t]/ { printf "%s", ENVIRON["WEB_FCGID_ENVS"] }' || return 1
	_web_expect "$dir/site.conf" apache-fcgid.conf \
		"Alias \"$WEB_PATH\" \"$prog\"" "FcgidCmdOptions $prog \\" \
		"FcgidMaxRequestLen $WEB_MAX_BODY" || return 1
	_web_reject "$dir/site.conf" apache-fcgid.conf \
		'^[^#]*/usr/local/bin' '^[^#]*/etc/eessi-bot' || return 1
	{
		_apache_conf "$dir" "$port"
		cat <<EOF
LoadModule alias_module $WEB_MODULES/mod_alias.so
LoadModule fcgid_module $WEB_MODULES/mod_fcgid.so
FcgidIPCDir "$dir/fcgid"
FcgidProcessTableFile "$dir/fcgid_shm"
FcgidMaxProcesses 4
Include "$dir/site.conf"
EOF
	} >"$dir/apache.conf"
}

# apache_fcgid_start PROGRAM [VAR=VAL...]: Apache on 127.0.0.1:<port>
# serving conf/apache-fcgid.conf: PROGRAM at $WEB_PATH through mod_fcgid
# (which starts it on the first request, as www-data under root), VAR=VAL
# in its environment, everything else 404.
#
# Bodies: a Content-Length above 25 MiB gets 413 from the site's rewrite
# rule, before mod_fcgid reads anything; a chunked body is cut off by
# FcgidMaxRequestLen (500).  Not LimitRequestBody: with it mod_fcgid 2.3.9
# hands an over-limit request to the program with an empty body and
# CONTENT_LENGTH=0.
apache_fcgid_start() {
	local prog=$1 port dir
	shift
	port=$(free_port) || return 1
	dir=$T_TMP/apache-fcgid-$port
	apache_fcgid_conf "$dir" "$port" "$prog" "$@" || return 1
	_apache_run "$dir" "$port" apache_fcgid_start || return 1
	APACHE_FCGID_URL=$(_web_scheme)://127.0.0.1:$port$WEB_PATH
	APACHE_FCGID_DIR=$dir
	export APACHE_FCGID_URL APACHE_FCGID_DIR
}

# apache_cgi_conf DIR PORT PROGRAM [VAR=VAL...]: DIR/apache.conf, a private
# Apache (prefork MPM, mod_cgi) whose one site is conf/apache-cgi.conf
# (DIR/site.conf) with PROGRAM for the handler and VAR=VAL (instead of the
# file's SetEnv settings) in its environment.
apache_cgi_conf() {
	local dir=$1 port=$2 prog=$3 kv
	shift 3
	mkdir -p "$dir"
	local -x WEB_CGI_PROG=$prog WEB_CGI_ENVS=""
	for kv in "$@"; do
		WEB_CGI_ENVS+=$'\t'"SetEnv ${kv%%=*} \"${kv#*=}\""$'\n'
	done
	_apache_site apache-cgi.conf "$dir" "$port" '
		/^[ \t]*SetEnv[ \t]/ { next }
		/^<\/VirtualHost>/ { printf "%s", ENVIRON["WEB_CGI_ENVS"] }
		{ gsub(/\/usr\/local\/bin\/eessi-bot-webhook/, ENVIRON["WEB_CGI_PROG"]) }
		{ print }' || return 1
	_web_expect "$dir/site.conf" apache-cgi.conf \
		"ScriptAlias \"$WEB_PATH\" \"$prog\"" || return 1
	_web_reject "$dir/site.conf" apache-cgi.conf \
		'^[^#]*/usr/local/bin' '^[^#]*/etc/eessi-bot' || return 1
	{
		WEB_APACHE_MPM=prefork _apache_conf "$dir" "$port"
		cat <<EOF
LoadModule alias_module $WEB_MODULES/mod_alias.so
LoadModule cgi_module $WEB_MODULES/mod_cgi.so
LoadModule env_module $WEB_MODULES/mod_env.so
Include "$dir/site.conf"
EOF
	} >"$dir/apache.conf"
}

# apache_cgi_start PROGRAM [VAR=VAL...]: Apache (prefork, mod_cgi) on
# 127.0.0.1:<port> serving conf/apache-cgi.conf: PROGRAM run as a plain
# CGI program per request (as www-data under root) -> APACHE_CGI_URL,
# APACHE_CGI_DIR.
apache_cgi_start() {
	local prog=$1 port dir
	shift
	port=$(free_port) || return 1
	dir=$T_TMP/apache-cgi-$port
	apache_cgi_conf "$dir" "$port" "$prog" "$@" || return 1
	_apache_run "$dir" "$port" apache_cgi_start || return 1
	APACHE_CGI_URL=$(_web_scheme)://127.0.0.1:$port$WEB_PATH
	APACHE_CGI_DIR=$dir
	export APACHE_CGI_URL APACHE_CGI_DIR
}

# cgi_run PROGRAM BODYFILE [NAME=VAL...]: runs PROGRAM the way a web server
# runs a CGI program for "POST $WEB_PATH": a clean environment with the CGI
# meta-variables (CONTENT_LENGTH = the size of BODYFILE, CONTENT_TYPE
# application/json), BODYFILE on stdin.  A NAME in upper case with
# underscores (REQUEST_METHOD, CONTENT_LENGTH, PROBE_DIR, ...) is set as is;
# any other NAME is a request header: X-GitHub-Event=push becomes
# HTTP_X_GITHUB_EVENT=push (Content-Type sets CONTENT_TYPE).
cgi_run() {
	local prog=$1 body=$2 kv name val size
	shift 2
	size=$(stat -c %s "$body") || return 1
	local envs=(
		PATH=/usr/local/bin:/usr/bin:/bin
		GATEWAY_INTERFACE=CGI/1.1
		SERVER_PROTOCOL=HTTP/1.1
		SERVER_SOFTWARE=e2e-cgi
		SERVER_NAME=127.0.0.1
		SERVER_PORT=80
		REMOTE_ADDR=127.0.0.1
		REQUEST_METHOD=POST
		REQUEST_URI="$WEB_PATH"
		SCRIPT_NAME="$WEB_PATH"
		QUERY_STRING=
		CONTENT_LENGTH="$size"
		CONTENT_TYPE=application/json
		${EESSI_BOT_ALLOW_ROOT:+EESSI_BOT_ALLOW_ROOT=$EESSI_BOT_ALLOW_ROOT} # root in CI
	)
	for kv in "$@"; do
		name=${kv%%=*}
		val=${kv#*=}
		if [[ $name =~ ^[A-Z][A-Z0-9_]*$ ]]; then
			envs+=("$name=$val")
		elif [ "${name,,}" = content-type ]; then
			envs+=("CONTENT_TYPE=$val")
		else
			name=${name^^}
			envs+=("HTTP_${name//-/_}=$val")
		fi
	done
	env -i "${envs[@]}" "$prog" <"$body"
}

# cgi_status OUTPUT: the status code of a CGI answer.
cgi_status() {
	local line
	while IFS= read -r line; do
		line=${line%$'\r'}
		[ -z "$line" ] && break
		if [[ ${line,,} =~ ^status:\ *([0-9]{3}) ]]; then
			echo "${BASH_REMATCH[1]}"
			return 0
		fi
	done <<<"$1"
	echo 200
}
