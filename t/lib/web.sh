# t/lib/web.sh - web servers in front of a FastCGI/CGI program, for the
# end-to-end tests.  Source it after t/lib/common.sh.
#
#   fcgi_start PROGRAM [VAR=VAL...]   PROGRAM under spawn-fcgi on 127.0.0.1
#                                     -> FCGI_PORT, FCGI_PIDFILE
#   nginx_start FCGI_PORT             private nginx, /webhook -> FastCGI
#                                     -> NGINX_URL, NGINX_DIR
#   apache_start FCGI_PORT            private Apache, mod_proxy_fcgi
#                                     -> APACHE_URL, APACHE_DIR
#   apache_fcgid_start PROGRAM [VAR=VAL...]
#                                     private Apache running PROGRAM itself
#                                     with mod_fcgid -> APACHE_FCGID_URL,
#                                     APACHE_FCGID_DIR
#   cgi_run PROGRAM BODYFILE [NAME=VAL...]
#                                     PROGRAM as a plain CGI program; prints
#                                     its output, returns its exit status
#   cgi_status OUTPUT                 the status of a CGI answer (200 when
#                                     it has no Status: line)
#   webhook ARGS...                   t/tools/webhook.py (pick, sign, send,
#                                     list), run without pyenv's shim
#   web_stop                          stops every server started above, now
#                                     (last started first)
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
# to must be writable by www-data.

WEB_USER=www-data
WEB_MODULES=/usr/lib/apache2/modules
WEB_MAX_BODY=26214400 # 25 MiB, what the webhook handler accepts
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
# environment (spawn-fcgi has no environment option: it runs env(1)).
fcgi_start() {
	local prog=$1 port dir
	shift
	port=$(free_port) || return 1
	dir=$T_TMP/fcgi-$port
	mkdir -p "$dir"
	local user=()
	if [ -n "${FCGI_USER:-}" ] && [ "$(id -u)" -eq 0 ]; then
		user=(-u "$FCGI_USER")
	fi
	FCGI_PIDFILE=$dir/pids
	_web_bg "$dir/reaper.pid" "$dir/spawn.log" \
		"$WEB_PYTHON" -S -c "$_WEB_REAPER" "$dir/spawned" \
		spawn-fcgi -a 127.0.0.1 -p "$port" -F "${FCGI_WORKERS:-2}" \
		-P "$FCGI_PIDFILE" -d "$dir" "${user[@]}" \
		-- /usr/bin/env "$@" "$prog"
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

# nginx_start FCGI_PORT: nginx on 127.0.0.1:<port>, /webhook passed to the
# FastCGI server with the standard params.  Bodies above 25 MiB get 413
# from nginx itself; the request body is buffered (the default), so the
# program only ever sees complete bodies.
nginx_start() {
	local fport=$1 port dir user_line=""
	port=$(free_port) || return 1
	dir=$T_TMP/nginx-$port
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && user_line="user $WEB_USER;"
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
	client_max_body_size $WEB_MAX_BODY;
	server {
		listen 127.0.0.1:$port;
		server_name localhost;
		location /webhook {
			include /etc/nginx/fastcgi_params;
			fastcgi_pass 127.0.0.1:$fport;
			fastcgi_request_buffering on;
			fastcgi_read_timeout 60s;
		}
		location / { return 404; }
	}
}
EOF
	_web_bg "$dir/bg.pid" "$dir/stderr.log" \
		nginx -p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf"
	if ! _web_wait "$port" "$dir/bg.pid"; then
		echo "# nginx_start: nginx did not come up on 127.0.0.1:$port"
		_web_log "$dir/stderr.log" "$dir/error.log"
		return 1
	fi
	NGINX_URL=http://127.0.0.1:$port/webhook
	NGINX_DIR=$dir
	export NGINX_URL NGINX_DIR
}

# _apache_conf DIR PORT: the part of an apache.conf every private Apache
# shares (modules, paths under DIR, one small event-MPM process).
_apache_conf() {
	local dir=$1 port=$2
	cat <<EOF
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/apache.pid"
DefaultRuntimeDir "$dir/run"
Mutex file:$dir/run default
ErrorLog "$dir/error.log"
LogLevel warn
LogFormat "%h %t \"%r\" %>s %I %O %D" e2e
CustomLog "$dir/access.log" e2e
LoadModule mpm_event_module $WEB_MODULES/mod_mpm_event.so
LoadModule authz_core_module $WEB_MODULES/mod_authz_core.so
StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16
Timeout 60
<Directory />
	Require all denied
</Directory>
EOF
	if [ "$(id -u)" -eq 0 ]; then
		printf 'User %s\nGroup %s\n' "$WEB_USER" "$WEB_USER"
	fi
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
	_web_bg "$dir/bg.pid" "$dir/stderr.log" \
		apache2 -f "$dir/apache.conf" -DFOREGROUND
	if ! _web_wait "$port" "$dir/bg.pid"; then
		echo "# $what: Apache did not come up on 127.0.0.1:$port"
		_web_log "$dir/stderr.log" "$dir/error.log"
		return 1
	fi
}

# apache_start FCGI_PORT: Apache on 127.0.0.1:<port>, /webhook proxied to
# the FastCGI server by mod_proxy_fcgi.  Apache does not apply
# LimitRequestBody to what it streams to the backend: the program itself
# must refuse a too large CONTENT_LENGTH.
apache_start() {
	local fport=$1 port dir
	port=$(free_port) || return 1
	dir=$T_TMP/apache-$port
	mkdir -p "$dir"
	{
		_apache_conf "$dir" "$port"
		cat <<EOF
LoadModule proxy_module $WEB_MODULES/mod_proxy.so
LoadModule proxy_fcgi_module $WEB_MODULES/mod_proxy_fcgi.so
ProxyTimeout 60
ProxyPass /webhook fcgi://127.0.0.1:$fport/
<Location /webhook>
	Require all granted
</Location>
EOF
	} >"$dir/apache.conf"
	_apache_run "$dir" "$port" apache_start || return 1
	APACHE_URL=http://127.0.0.1:$port/webhook
	APACHE_DIR=$dir
	export APACHE_URL APACHE_DIR
}

# apache_fcgid_start PROGRAM [VAR=VAL...]: Apache on 127.0.0.1:<port>
# running PROGRAM at /webhook through mod_fcgid (which starts it on the
# first request, as www-data under root), VAR=VAL in its environment.
#
# Bodies: a Content-Length above 25 MiB gets 413 from a rewrite rule, before
# mod_fcgid reads anything; a chunked body is cut off by FcgidMaxRequestLen
# (500).  Not LimitRequestBody: with it mod_fcgid 2.3.9 hands an over-limit
# request to the program with an empty body and CONTENT_LENGTH=0.
apache_fcgid_start() {
	local prog=$1 port dir kv
	shift
	port=$(free_port) || return 1
	dir=$T_TMP/apache-fcgid-$port
	mkdir -p "$dir"
	{
		_apache_conf "$dir" "$port"
		cat <<EOF
LoadModule alias_module $WEB_MODULES/mod_alias.so
LoadModule fcgid_module $WEB_MODULES/mod_fcgid.so
LoadModule rewrite_module $WEB_MODULES/mod_rewrite.so
RewriteEngine on
RewriteCond %{HTTP:Content-Length} -gt$WEB_MAX_BODY
RewriteRule ^ - [R=413,L]
FcgidIPCDir "$dir/fcgid"
FcgidProcessTableFile "$dir/fcgid_shm"
FcgidMaxRequestLen $WEB_MAX_BODY
FcgidMaxProcesses 4
FcgidMaxProcessesPerClass 2
FcgidMinProcessesPerClass 0
FcgidIOTimeout 60
FcgidConnectTimeout 10
Alias /webhook "$prog"
<Location /webhook>
	SetHandler fcgid-script
	Options +ExecCGI
	Require all granted
</Location>
EOF
		for kv in "$@"; do
			printf 'FcgidInitialEnv %s "%s"\n' "${kv%%=*}" "${kv#*=}"
		done
	} >"$dir/apache.conf"
	_apache_run "$dir" "$port" apache_fcgid_start || return 1
	APACHE_FCGID_URL=http://127.0.0.1:$port/webhook
	APACHE_FCGID_DIR=$dir
	export APACHE_FCGID_URL APACHE_FCGID_DIR
}

# cgi_run PROGRAM BODYFILE [NAME=VAL...]: runs PROGRAM the way a web server
# runs a CGI program for "POST /webhook": a clean environment with the CGI
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
		REQUEST_URI=/webhook
		SCRIPT_NAME=/webhook
		QUERY_STRING=
		CONTENT_LENGTH="$size"
		CONTENT_TYPE=application/json
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
