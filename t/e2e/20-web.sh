#!/usr/bin/env bash
# 20-web.sh - proves the web-server harness (t/lib/web.sh, t/tools/webhook.py,
# t/tools/fcgi-probe.c): a signed GitHub example delivery reaches a FastCGI
# program byte-exact with GitHub's headers through nginx + spawn-fcgi, Apache
# mod_proxy_fcgi + spawn-fcgi, Apache mod_fcgid (each running the project's
# conf/ file) and plain CGI, and the program's answer comes back; over-large
# bodies are refused (by nginx, by Apache's rewrite rule in front of
# mod_proxy_fcgi and of mod_fcgid, by the program as CGI); nothing is left
# running afterwards.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/web.sh"

need spawn-fcgi nginx apache2 sha256sum pgrep
[ -x "$BUILD/t/fcgi-probe" ] || bail "no $BUILD/t/fcgi-probe (make build/t/fcgi-probe)"

# A copy under T_TMP: everything this script starts then has T_TMP in its
# command line, which is what the final pgrep looks for.
mkdir -p "$T_TMP/bin"
cp "$BUILD/t/fcgi-probe" "$T_TMP/bin/fcgi-probe"
PROBE=$T_TMP/bin/fcgi-probe
SECRET='e2e s3cret/with "odd" chars'
ANSWER=202 # what the probe answers: not a server default

sha() { sha256sum <"$1" | cut -d' ' -f1; }
env_get() { sed -n "s/^$2=//p" "$1"; }
uuid() { cat /proc/sys/kernel/random/uuid; }

# probe_dir NAME: a record directory the probe can write as www-data too.
probe_dir() {
	mkdir -p "$T_TMP/probe-$1"
	chmod 0777 "$T_TMP/probe-$1"
	echo "$T_TMP/probe-$1"
}

# probe_find DIR DELIVERY: the record (DIR/req-N, no suffix) of a delivery.
probe_find() {
	local f
	f=$(grep -lx "HTTP_X_GITHUB_DELIVERY=$2" "$1"/req-*.env 2>/dev/null | head -n 1)
	[ -n "$f" ] && echo "${f%.env}"
}

records() { find "$1" -name 'req-*.env' | wc -l; }

# verify VIA REC EVENT BODY DELIVERY STATUS ANSWER_TEXT: what the probe
# recorded is what was sent, and what came back is what it answered.
verify() {
	local via=$1 rec=$2 event=$3 body=$4 delivery=$5 status=$6 text=$7
	if [ -z "$rec" ] || [ ! -f "$rec.env" ] || [ ! -f "$rec.body" ]; then
		not_ok "$via $event: the probe recorded delivery $delivery"
		return
	fi
	ok "$via $event: the probe recorded delivery $delivery"
	is "$via $event: body byte-exact (sha256)" "$(sha "$rec.body")" "$(sha "$body")"
	is "$via $event: X-Hub-Signature-256 verifies against the recorded body" \
		"$(env_get "$rec.env" HTTP_X_HUB_SIGNATURE_256)" \
		"$(webhook sign "$SECRET" <"$rec.body")"
	is "$via $event: X-GitHub-Event" "$(env_get "$rec.env" HTTP_X_GITHUB_EVENT)" "$event"
	like "$via $event: User-Agent" "$(env_get "$rec.env" HTTP_USER_AGENT)" '^GitHub-Hookshot/'
	is "$via $event: method, type, length, URI" \
		"$(env_get "$rec.env" REQUEST_METHOD) $(env_get "$rec.env" CONTENT_TYPE) $(env_get "$rec.env" CONTENT_LENGTH) $(env_get "$rec.env" REQUEST_URI)" \
		"POST application/json $(stat -c %s "$body") $WEB_PATH"
	is "$via $event: HTTP status is the probe's answer" \
		"$status" "$(env_get "$rec.env" PROBE_ANSWER)"
	is "$via $event: response body is the probe's" \
		"$text" "$(basename "$rec") $(stat -c %s "$body")"
}

# deliver VIA URL DIR EVENT BODY: a signed delivery through a web server.
deliver() {
	local via=$1 url=$2 dir=$3 event=$4 body=$5 delivery out
	delivery=$(uuid)
	out=$(webhook send "$url" "$event" "$body" --secret "$SECRET" --delivery "$delivery")
	is "$via $event: HTTP status" "${out%%$'\n'*}" "$ANSWER"
	verify "$via" "$(probe_find "$dir" "$delivery")" "$event" "$body" \
		"$delivery" "${out%%$'\n'*}" "${out#*$'\n'}"
}

# ---- payloads: GitHub's own examples, compact as GitHub sends them
PR=$T_TMP/pull_request-labeled.json
COMMENT=$T_TMP/issue_comment-created.json
webhook pick pull_request labeled >"$PR" ||
	bail "webhook.py pick pull_request labeled failed (npm install in t/?)"
webhook pick issue_comment created \
	--set '/issue/pull_request={"url":"https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}' \
	>"$COMMENT" || bail "webhook.py pick issue_comment created failed"
like "pull_request example is compact JSON" "$(head -c 40 "$PR")" '^\{"action":"labeled","number":[0-9]+,'
like "issue_comment example carries issue.pull_request" "$(cat "$COMMENT")" \
	'"pull_request":\{"url":"https://api.github.com/repos/Codertocat/Hello-World/pulls/1"\}'
is "webhook.py sign agrees with openssl" "$(printf abc | webhook sign k)" \
	"sha256=$(printf abc | openssl dgst -sha256 -hmac k -r | cut -d' ' -f1)"
like "webhook.py list counts pull_request labeled" "$(webhook list)" '^pull_request labeled [1-9]'

BIG=$T_TMP/27MB.json
head -c 27000000 /dev/zero >"$BIG"
MAX=$T_TMP/25MiB.bin
head -c "$WEB_MAX_BODY" /dev/urandom >"$MAX"

# ---- nginx -> spawn-fcgi
D_NGINX=$(probe_dir nginx)
t0=$(date +%s%N)
fcgi_start "$PROBE" PROBE_DIR="$D_NGINX" PROBE_STATUS=$ANSWER || bail "spawn-fcgi (for nginx) did not start"
nginx_start "$FCGI_PORT" || bail "nginx did not start"
PORTS=("$FCGI_PORT")
note "nginx + spawn-fcgi up in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
deliver nginx "$NGINX_URL" "$D_NGINX" pull_request "$PR"
deliver nginx "$NGINX_URL" "$D_NGINX" issue_comment "$COMMENT"

d=$(uuid)
out=$(webhook send "$NGINX_URL" pull_request "$PR" --secret "$SECRET" --delivery "$d" \
	--signature sha256=0000)
rec=$(probe_find "$D_NGINX" "$d")
is "nginx: a wrong signature arrives unchanged" \
	"$(env_get "$rec.env" HTTP_X_HUB_SIGNATURE_256)" sha256=0000
d=$(uuid)
out=$(webhook send "$NGINX_URL" pull_request "$PR" --no-signature --delivery "$d")
rec=$(probe_find "$D_NGINX" "$d")
unsigned() { [ -f "$1.env" ] && ! grep -q '^HTTP_X_HUB_SIGNATURE_256=' "$1.env"; }
check "nginx: --no-signature sends no X-Hub-Signature-256" unsigned "$rec"

n=$(records "$D_NGINX")
out=$(webhook send "$NGINX_URL" pull_request "$BIG" --secret "$SECRET" --timeout 30)
is "nginx: 27 MB body -> 413" "${out%%$'\n'*}" 413
like "nginx: the 413 is nginx's own page" "$out" 'nginx'
is "nginx: the 27 MB request never reached the program" "$(records "$D_NGINX")" "$n"
d=$(uuid)
out=$(webhook send "$NGINX_URL" pull_request "$MAX" --secret "$SECRET" --delivery "$d")
rec=$(probe_find "$D_NGINX" "$d")
is "nginx: a body of exactly 25 MiB is accepted" "${out%%$'\n'*}" "$ANSWER"
is "nginx: ... and arrives byte-exact" "$(sha "$rec.body" 2>&1)" "$(sha "$MAX")"

# ---- Apache mod_proxy_fcgi -> spawn-fcgi
D_APACHE=$(probe_dir apache)
t0=$(date +%s%N)
fcgi_start "$PROBE" PROBE_DIR="$D_APACHE" PROBE_STATUS=$ANSWER || bail "spawn-fcgi (for Apache) did not start"
apache_start "$FCGI_PORT" || bail "Apache (proxy_fcgi) did not start"
PORTS+=("$FCGI_PORT")
note "Apache proxy_fcgi + spawn-fcgi up in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
deliver apache-proxy "$APACHE_URL" "$D_APACHE" pull_request "$PR"
deliver apache-proxy "$APACHE_URL" "$D_APACHE" issue_comment "$COMMENT"

n=$(records "$D_APACHE")
t0=$(date +%s%N)
out=$(webhook send "$APACHE_URL" pull_request "$BIG" --secret "$SECRET" --timeout 30)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
note "Apache proxy_fcgi 27 MB: answered in $ms ms"
is "apache-proxy: 27 MB body -> 413 (the site's rewrite rule)" "${out%%$'\n'*}" 413
is "apache-proxy: the 27 MB request never reached the program" "$(records "$D_APACHE")" "$n"
check "apache-proxy: answered within 10 s (no hang)" test "$ms" -lt 10000
d=$(uuid)
out=$(webhook send "$APACHE_URL" pull_request "$MAX" --secret "$SECRET" --delivery "$d")
rec=$(probe_find "$D_APACHE" "$d")
is "apache-proxy: a body of exactly 25 MiB is accepted" "${out%%$'\n'*}" "$ANSWER"
is "apache-proxy: ... and arrives byte-exact" "$(sha "$rec.body" 2>&1)" "$(sha "$MAX")"

# ---- Apache mod_fcgid running the probe itself (as www-data)
D_FCGID=$(probe_dir fcgid)
t0=$(date +%s%N)
apache_fcgid_start "$PROBE" PROBE_DIR="$D_FCGID" PROBE_STATUS=$ANSWER || bail "Apache (mod_fcgid) did not start"
note "Apache mod_fcgid up in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
t0=$(date +%s%N)
deliver apache-fcgid "$APACHE_FCGID_URL" "$D_FCGID" pull_request "$PR"
note "apache-fcgid: first delivery (starts the program) took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
deliver apache-fcgid "$APACHE_FCGID_URL" "$D_FCGID" issue_comment "$COMMENT"
n=$(records "$D_FCGID")
out=$(webhook send "$APACHE_FCGID_URL" pull_request "$BIG" --secret "$SECRET" --timeout 30)
is "apache-fcgid: 27 MB body -> 413 (Apache's rewrite rule)" "${out%%$'\n'*}" 413
is "apache-fcgid: the 27 MB request never reached the program" "$(records "$D_FCGID")" "$n"
d=$(uuid)
out=$(webhook send "$APACHE_FCGID_URL" pull_request "$MAX" --secret "$SECRET" --delivery "$d")
rec=$(probe_find "$D_FCGID" "$d")
is "apache-fcgid: a body of exactly 25 MiB is accepted" "${out%%$'\n'*}" "$ANSWER"
is "apache-fcgid: ... and arrives byte-exact" "$(sha "$rec.body" 2>&1)" "$(sha "$MAX")"
like "apache-fcgid: the program runs as $WEB_USER" "$(stat -c %U "$rec.env" 2>&1)" "^$WEB_USER$"

# ---- plain CGI
D_CGI=$(probe_dir cgi)
for pair in "pull_request:$PR" "issue_comment:$COMMENT"; do
	event=${pair%%:*} body=${pair#*:} d=$(uuid)
	out=$(cgi_run "$PROBE" "$body" PROBE_DIR="$D_CGI" PROBE_STATUS=$ANSWER \
		X-GitHub-Event="$event" X-GitHub-Delivery="$d" \
		X-Hub-Signature-256="$(webhook sign "$SECRET" <"$body")" \
		User-Agent=GitHub-Hookshot/cgi-test)
	is "cgi $event: exit status 0" "$?" 0
	status=$(cgi_status "$out")
	is "cgi $event: Status" "$status" "$ANSWER"
	verify cgi "$(probe_find "$D_CGI" "$d")" "$event" "$body" "$d" "$status" \
		"$(printf '%s\n' "$out" | sed '1,/^\r\{0,1\}$/d')"
done
d=$(uuid)
out=$(cgi_run "$PROBE" "$BIG" PROBE_DIR="$D_CGI" X-GitHub-Delivery="$d")
rec=$(probe_find "$D_CGI" "$d")
is "cgi: 27 MB body -> Status 413, nothing read" \
	"$(cgi_status "$out") $(env_get "$rec.env" PROBE_BODY_LEN)" "413 0"
out=$(cgi_run "$PROBE" "$PR" PROBE_DIR="$D_CGI" CONTENT_LENGTH=12x)
is "cgi: CONTENT_LENGTH=12x -> 400" "$(cgi_status "$out")" 400
out=$(cgi_run "$PROBE" "$PR" PROBE_DIR="$D_CGI" CONTENT_LENGTH=99999)
is "cgi: a body shorter than CONTENT_LENGTH -> 400" "$(cgi_status "$out")" 400

# ---- the requests were numbered in arrival order across both workers
is "nginx: records numbered 1..N without gaps" \
	"$(find "$D_NGINX" -name 'req-*.env' | sed 's/.*req-\([0-9]*\).env/\1/' | sort -n | tr '\n' ' ')" \
	"$(seq -s ' ' 1 "$(records "$D_NGINX")") "
note "nginx: $(cat "$D_NGINX"/req-*.env | sed -n 's/^PROBE_PID=//p' | sort -u | wc -l) of 2 workers served requests"

# ---- stop everything; nothing of this script may be left running: no
# process with T_TMP in its command line (servers, probes, mod_fcgid's
# children), and every port closed (nginx workers do not show T_TMP)
web_stop
left=$(pgrep -af "$T_TMP")
is "nothing left running after web_stop" "$left" ""
for url in "$NGINX_URL" "$APACHE_URL" "$APACHE_FCGID_URL"; do
	port=${url#http://127.0.0.1:}
	PORTS+=("${port%%/*}")
done
for port in "${PORTS[@]}"; do
	check_fails "port $port is closed" port_open "$port"
done

done_testing
