#!/usr/bin/env bash
# 26-conf.sh - the files a site installs from conf/, tried as a new user
# would, with the real handler (eessi-bot-webhook):
#   - nginx-eessi-bot.conf, apache-proxy-fcgi.conf and apache-fcgid.conf
#     pass `nginx -t` / `apache2 -t` as shipped (a self-signed certificate
#     for the placeholders) and in the test form t/lib/web.sh makes of them,
#     and serve over TLS as shipped;
#   - every one serves the webhook path only: any other path gets 404 from
#     the web server (the handler never hears of it), GET on the webhook
#     path 405 from the handler;
#   - spawn-fcgi.sh starts the workers as the bot's user with its HOME,
#     "-c CONFIG" and the pid file, refuses root; the systemd units verify;
#   - smee.sh: the real smee-client (npm smee-client) relays signed GitHub
#     example deliveries from a channel through nginx to the handler, which
#     spools them.  The channel's server is a STAND-IN
#     (t/tools/smee-standin.py: smee.io's server is not on npm).  smee
#     re-serialises the body: measured here for every one of GitHub's
#     example payloads, and what breaks the signature (403) shown.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/web.sh"
. "$T_DIR/lib/bot.sh"

need spawn-fcgi nginx apache2 openssl curl node systemd-analyze
[ -x "$BUILD/eessi-bot-webhook" ] || bail "no $BUILD/eessi-bot-webhook (make)"
SMEE=$T_DIR/node_modules/.bin/smee
[ -x "$SMEE" ] || bail "no smee-client in t/node_modules (scripts/install-test-deps)"

mkdir -p "$T_TMP/bin"
cp "$BUILD/eessi-bot-webhook" "$T_TMP/bin/"
HANDLER=$T_TMP/bin/eessi-bot-webhook
SECRET='e2e-conf-secret "quoted"'

uuid() { cat /proc/sys/kernel/random/uuid; }

setup() { bot_web_setup "$1" "$SECRET"; }

spooled() { find "$1/spool" -type f -name "$2" | grep -q .; }
spool_count() { find "$1/spool" -type f | wc -l; }

# code METHOD URL [curl options]: the HTTP status only
code() {
	local m=$1 url=$2
	shift 2
	curl -sk -o /dev/null -w '%{http_code}' -X "$m" "$@" "$url"
}

# signed_post URL BODY DELIVERY: a signed delivery with curl (https too)
signed_post() {
	code POST "$1" -H 'Content-Type: application/json' \
		-H 'User-Agent: GitHub-Hookshot/e2e-conf' \
		-H 'X-GitHub-Event: pull_request' -H "X-GitHub-Delivery: $3" \
		-H "X-Hub-Signature-256: $(webhook sign "$SECRET" <"$2")" \
		--data-binary "@$2"
}

webhook pick pull_request labeled >"$T_TMP/labeled.json" ||
	bail "webhook.py pick failed (npm install in t/?)"

# paths: the old one, the root, around the webhook path
OTHER_PATHS=(/ /webhook /eessi-bot/ "$WEB_PATH/" "$WEB_PATH/x" "${WEB_PATH}x"
	/eessi-bot/webhook.php /usr/local/bin/eessi-bot-webhook)

# paths FRONT URL DIR: 404 for every other path (the handler hears of none),
# 405 for GET on the webhook path, 202 for a signed delivery.
paths() {
	local front=$1 url=$2 d=$3 base p st before lines
	base=${url%"$WEB_PATH"}
	before=$(spool_count "$d")
	lines=$(grep -c 'event=' "$d/bot.log")
	for p in "${OTHER_PATHS[@]}"; do
		st=$(code POST "$base$p" -H 'Content-Type: application/json' \
			-H 'X-GitHub-Event: ping' --data-binary "@$T_TMP/labeled.json")
		is "$front: POST $p -> 404" "$st" 404
	done
	is "$front: GET / -> 404" "$(code GET "$base/")" 404
	is "$front: the 404s never reached the handler (logged nothing)" \
		"$(grep -c ' 404 ' "$d/bot.log")/$(grep -c 'event=' "$d/bot.log")" "0/$lines"
	is "$front: GET $WEB_PATH -> 405 (the handler)" "$(code GET "$url")" 405
	is "$front: HEAD $WEB_PATH -> 405 (the handler)" "$(code HEAD "$url" -I)" 405
	is "$front: ... which logged the GET and the HEAD" "$(grep -c ' 405 ' "$d/bot.log")" 2
	is "$front: nothing spooled by any of them" "$(spool_count "$d")" "$before"
	local id
	id=$(uuid)
	is "$front: a signed delivery -> 202" "$(signed_post "$url" "$T_TMP/labeled.json" "$id")" 202
	check "$front: ... spooled" spooled "$d" "$id"
}

# ---- 1. the test forms: configuration tests, paths
d=$(setup nginx)
if fcgi_start "$HANDLER" EESSI_BOT_CONFIG="$d/app.cfg" && nginx_start "$FCGI_PORT"; then
	check "nginx-eessi-bot.conf: nginx -t passes (test form)" \
		nginx -t -p "$NGINX_DIR/" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf"
	paths nginx "$NGINX_URL" "$d"
else
	not_ok "nginx + spawn-fcgi with the handler came up"
fi

d=$(setup apache)
if fcgi_start "$HANDLER" EESSI_BOT_CONFIG="$d/app.cfg" && apache_start "$FCGI_PORT"; then
	check "apache-proxy-fcgi.conf: apache2 -t passes (test form)" \
		apache2 -t -f "$APACHE_DIR/apache.conf"
	paths apache-proxy-fcgi "$APACHE_URL" "$d"
else
	not_ok "Apache mod_proxy_fcgi with the handler came up"
fi

d=$(setup fcgid)
if apache_fcgid_start "$HANDLER" EESSI_BOT_CONFIG="$d/app.cfg"; then
	check "apache-fcgid.conf: apache2 -t passes (test form)" \
		apache2 -t -f "$APACHE_FCGID_DIR/apache.conf"
	paths apache-fcgid "$APACHE_FCGID_URL" "$d"
	pid=$(pgrep -f -u "$WEB_USER" "^$HANDLER" | head -n 1)
	if [ -n "$pid" ]; then
		is "apache-fcgid: mod_fcgid hands the handler only PATH and InitialEnv" \
			"$(tr '\0' '\n' <"/proc/$pid/environ" | cut -d= -f1 | sort | tr '\n' ' ')" \
			"EESSI_BOT_CONFIG PATH "
	else
		not_ok "apache-fcgid: the handler runs as $WEB_USER"
	fi
else
	not_ok "Apache mod_fcgid with the handler came up"
fi

# ---- 2. as shipped: TLS, the placeholders swapped for a self-signed
# certificate (everything else as in the test form)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bot.example.org \
	-keyout "$T_TMP/tls.key" -out "$T_TMP/tls.pem" >/dev/null 2>&1 ||
	bail "openssl could not make a self-signed certificate"
export WEB_TLS_CERT=$T_TMP/tls.pem WEB_TLS_KEY=$T_TMP/tls.key
d=$(setup tls)
d2=$(setup tls-fcgid) # the handler as www-data: a spool of its own
if fcgi_start "$HANDLER" EESSI_BOT_CONFIG="$d/app.cfg" && nginx_start "$FCGI_PORT" &&
	apache_start "$FCGI_PORT" && apache_fcgid_start "$HANDLER" EESSI_BOT_CONFIG="$d2/app.cfg"; then
	check "nginx-eessi-bot.conf with TLS: nginx -t passes" \
		nginx -t -p "$NGINX_DIR/" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf"
	check "nginx-eessi-bot.conf with TLS: ssl lines kept" \
		grep -q "ssl_certificate_key $WEB_TLS_KEY;" "$NGINX_DIR/eessi-bot.conf"
	check "apache-proxy-fcgi.conf with TLS: apache2 -t passes" apache2 -t -f "$APACHE_DIR/apache.conf"
	check "apache-fcgid.conf with TLS: apache2 -t passes" apache2 -t -f "$APACHE_FCGID_DIR/apache.conf"
	for front in nginx apache-proxy-fcgi apache-fcgid; do
		case $front in
		nginx) url=$NGINX_URL dir=$d ;;
		apache-proxy-fcgi) url=$APACHE_URL dir=$d ;;
		apache-fcgid) url=$APACHE_FCGID_URL dir=$d2 ;;
		esac
		id=$(uuid)
		like "$front TLS: URL is https" "$url" '^https://127\.0\.0\.1:[0-9]+/eessi-bot/webhook$'
		is "$front TLS: signed delivery -> 202" "$(signed_post "$url" "$T_TMP/labeled.json" "$id")" 202
		check "$front TLS: ... spooled" spooled "$dir" "$id"
		is "$front TLS: GET -> 405" "$(code GET "$url")" 405
		is "$front TLS: another path -> 404" "$(code POST "${url%"$WEB_PATH"}/x" -d '{}')" 404
		is "$front TLS: plain HTTP on the TLS port is refused" \
			"$(code GET "http://${url#https://}")" 400
	done
else
	not_ok "the TLS forms came up"
fi
unset WEB_TLS_CERT WEB_TLS_KEY
web_stop

# ---- 3. spawn-fcgi.sh as a site runs it (as root, for the bot's user)
d=$(setup spawn)
if FCGI_USER=$WEB_USER FCGI_WORKERS=3 fcgi_start "$HANDLER" EESSI_BOT_CONFIG="$d/app.cfg" &&
	nginx_start "$FCGI_PORT"; then
	mapfile -t pids <"$FCGI_PIDFILE"
	is "spawn-fcgi.sh: 3 workers in the pid file" "${#pids[@]}" 3
	users="" cmds="" homes=""
	for pid in "${pids[@]}"; do
		users+="$(stat -c %U "/proc/$pid") "
		cmds+="$(tr '\0' ' ' <"/proc/$pid/cmdline")| "
		homes+="$(tr '\0' '\n' <"/proc/$pid/environ" | sed -n 's/^HOME=//p') "
	done
	wh=$(getent passwd "$WEB_USER" | cut -d: -f6)
	is "spawn-fcgi.sh: the workers run as the bot's user" "$users" "$WEB_USER $WEB_USER $WEB_USER "
	is "spawn-fcgi.sh: ... with that user's HOME" "$homes" "$wh $wh $wh "
	is "spawn-fcgi.sh: ... as HANDLER -c CONFIG" "$cmds" \
		"$HANDLER -c $d/app.cfg | $HANDLER -c $d/app.cfg | $HANDLER -c $d/app.cfg | "
	id=$(uuid)
	st=$(webhook send "$NGINX_URL" pull_request "$T_TMP/labeled.json" --secret "$SECRET" --delivery "$id")
	is "spawn-fcgi.sh: a delivery through nginx -> 202" "${st%%$'\n'*}" 202
	f=$(find "$d/spool" -type f -name "$id")
	is "spawn-fcgi.sh: ... spooled by the bot's user" "$(stat -c %U "$f" 2>&1)" "$WEB_USER"
else
	not_ok "spawn-fcgi.sh started the handler for the bot's user"
fi
web_stop
out=$(EESSI_BOT_USER=root EESSI_BOT_PIDFILE=$T_TMP/x.pid "$WEB_CONF/spawn-fcgi.sh" 2>&1)
is "spawn-fcgi.sh: EESSI_BOT_USER=root refused" "$?:$out" "1:spawn-fcgi.sh: refusing EESSI_BOT_USER=root"
out=$(EESSI_BOT_USER=no-such-user-x EESSI_BOT_PIDFILE=$T_TMP/x.pid "$WEB_CONF/spawn-fcgi.sh" 2>&1)
is "spawn-fcgi.sh: an unknown user refused" "$?:$out" "1:spawn-fcgi.sh: no such user: no-such-user-x"
check "spawn-fcgi.sh: POSIX sh" sh -n "$WEB_CONF/spawn-fcgi.sh"

# the units, with ExecStart at the scripts in conf/ (the README installs
# them at the paths the units name)
mkdir -p "$T_TMP/units"
for unit in eessi-bot-webhook eessi-bot-smee; do
	sed "s|/usr/local/libexec/eessi-bot/|$WEB_CONF/|" "$WEB_CONF/$unit.service" >"$T_TMP/units/$unit.service"
	check "$unit.service: systemd-analyze verify" systemd-analyze verify "$T_TMP/units/$unit.service"
done

# ---- 4. smee: GitHub -> channel -> smee-client -> nginx -> handler
out=$(SMEE_URL='' "$WEB_CONF/smee.sh" 2>&1)
is "smee.sh: refuses to start without a channel" "$?:$out" "2:smee.sh: set SMEE_URL to your channel's URL"

d=$(setup smee)
if ! fcgi_start "$HANDLER" EESSI_BOT_CONFIG="$d/app.cfg" || ! nginx_start "$FCGI_PORT"; then
	bail "nginx + spawn-fcgi for smee did not come up"
fi
SPORT=$(free_port)
_web_bg "$T_TMP/standin.pid" "$T_TMP/standin.log" \
	"$WEB_PYTHON" -S "$T_DIR/tools/smee-standin.py" "$SPORT" --ping 2
wait_port "$SPORT" || bail "smee stand-in did not start" "$(cat "$T_TMP/standin.log")"
CHANNEL=http://127.0.0.1:$SPORT/eessi-bot-e2e-$RANDOM
clients() { [ "$(curl -s "http://127.0.0.1:$SPORT/_clients/${CHANNEL##*/}")" = "$1" ]; }
_web_bg "$T_TMP/smee.pid" "$T_TMP/smee.log" \
	env SMEE_URL="$CHANNEL" EESSI_BOT_WEBHOOK_URL="$NGINX_URL" SMEE_CLIENT="$SMEE" \
	"$WEB_CONF/smee.sh"
if wait_until 20 clients 1; then
	ok "smee.sh: smee-client connected to the channel"
else
	bail "smee.sh: smee-client did not connect" "$(cat "$T_TMP/smee.log")"
fi
like "smee.sh: smee-client forwards to the handler's URL" "$(cat "$T_TMP/smee.log")" \
	"Forwarding $CHANNEL to $NGINX_URL"

# smee-client's log line per forward: "POST URL - STATUS".  Only whole
# lines count: the log may be read while a line is half written.
posts() { grep -cE '^POST .* - [0-9]{3}$' "$T_TMP/smee.log"; }
_posted_after() { [ "$(posts)" -gt "$1" ]; }
# relay BODY EVENT DELIVERY: GitHub's POST to the channel; waits for
# smee-client to have posted it on; prints the channel's status and the
# handler's status as smee-client logged it
relay() {
	local n st fwd=none
	n=$(posts)
	st=$(webhook send "$CHANNEL" "$2" "$1" --secret "$SECRET" --delivery "$3")
	if wait_until 10 _posted_after "$n"; then
		fwd=$(grep -E '^POST .* - [0-9]{3}$' "$T_TMP/smee.log" | sed -n "$((n + 1))s/.* - //p")
	fi
	printf '%s %s\n' "${st%%$'\n'*}" "$fwd"
}

id=$(uuid)
is "smee: a signed pull_request delivery: channel 200, handler 202" \
	"$(relay "$T_TMP/labeled.json" pull_request "$id")" "200 202"
if wait_until 10 spooled "$d" "$id"; then
	ok "smee: ... it landed in the spool"
	f=$(find "$d/spool" -type f -name "$id")
	is "smee: ... byte-exact (smee's JSON.stringify gave back GitHub's compact bytes)" \
		"$("$T_PYTHON" -c 'import sys,hashlib; print(hashlib.sha256(open(sys.argv[1],"rb").read().split(b"\n\n",1)[1]).hexdigest())' "$f")" \
		"$(sha256sum <"$T_TMP/labeled.json" | cut -d' ' -f1)"
	like "smee: ... with GitHub's event header" "$(head -n 2 "$f")" '^X-GitHub-Event: pull_request'
else
	not_ok "smee: ... it landed in the spool" "$(tail -n 20 "$T_TMP/smee.log")"
fi

# Every one of GitHub's example payloads (compact, as GitHub sends them),
# one at a time, straight to nginx and through smee: the handler's answer
# must be the same both ways (smee's re-serialisation breaks no signature).
t0=$(date +%s%N)
result=$("$T_PYTHON" -S - "$T_DIR/tools" "$CHANNEL" "$NGINX_URL" "$SECRET" "$T_TMP/smee.log" <<'PY'
import sys, time, uuid
sys.path.insert(0, sys.argv[1])
import webhook
channel, direct, secret, smee_log = sys.argv[2:6]

def send(url, event, body):
    args = type("A", (), dict(delivery=str(uuid.uuid4()), event=event, secret=secret,
                              signature=None, no_signature=False, header=[]))
    return webhook.post(url, "POST", webhook.github_headers(args, body), body, 10)[0]

def posts():
    with open(smee_log) as f:
        # whole lines only: smee-client may be writing the last one
        return [l.rsplit(" - ", 1)[1].strip() for l in f
                if l.startswith("POST ") and l.endswith("\n") and " - " in l]

total, same, statuses, differ, lat, other = 0, 0, {}, [], [], set()
for ev in webhook.load_events():
    for i, doc in enumerate(ev["examples"]):
        body = webhook.compact(doc)
        want = str(send(direct, ev["name"], body))
        n = len(posts())
        t = time.time()
        ch = send(channel, ev["name"], body)
        got = "none"
        while time.time() < t + 10:
            p = posts()
            if len(p) > n:
                got = p[n]
                break
            time.sleep(0.002)
        lat.append(time.time() - t)
        total += 1
        statuses[got] = statuses.get(got, 0) + 1
        if got != "202":
            other.add("%s:%s" % (ev["name"], got))
        if got == want and ch == 200:
            same += 1
        else:
            differ.append("%s/%s#%d:%s->%s" % (ev["name"], doc.get("action"), i, want, got))
lat.sort()
print(total, same, ",".join("%s=%d" % kv for kv in sorted(statuses.items())),
      "%.0f/%.0f" % (lat[len(lat) // 2] * 1000, lat[-1] * 1000), ",".join(sorted(other)) or "-",
      " ".join(differ[:10]))
PY
)
read -r total same statuses latency others differ <<<"$result"
note "smee: $total GitHub example deliveries through smee in $(( ($(date +%s%N) - t0) / 1000000 )) ms, handler's answers $statuses, channel -> handler answered p50/max $latency ms"
note "smee: not 202, straight as through smee: $others"
check "smee: GitHub's examples: more than 300 relayed" test "${total:-0}" -gt 300
is "smee: every example gets the same answer through smee as sent straight" "$same" "$total"
unlike "smee: ... no example refused for its signature (403) after smee" "$statuses" '403='
like "smee: ... and at least 300 accepted (202)" "$statuses" '202=([3-9][0-9]{2})'
[ -z "$differ" ] || note "smee: differing: $differ"

# What breaks the signature: anything JSON.stringify(JSON.parse(body))
# does not give back byte for byte.  The handler refuses it (403), smee-
# client logs it, nothing is spooled.
"$T_PYTHON" -S -c 'import json,sys; json.dump(json.load(open(sys.argv[1])), sys.stdout, indent=2)' \
	"$T_TMP/labeled.json" >"$T_TMP/pretty.json"
webhook pick dependabot_alert created >"$T_TMP/emoji.json"
"$T_PYTHON" -S -c 'import json,sys; sys.stdout.write(json.dumps(json.load(open(sys.argv[1])), separators=(",",":")))' \
	"$T_TMP/emoji.json" >"$T_TMP/escaped.json"
webhook pick dependabot_alert created --set '/alert/security_advisory/cvss/score=7.0' >"$T_TMP/float.json"
like "smee: (the emoji example has raw UTF-8)" "$(cat "$T_TMP/emoji.json")" '📦'
like "smee: (its escaped form has \\u escapes)" "$(cat "$T_TMP/escaped.json")" '\\ud83d\\udce6'
like "smee: (the float example has 7.0)" "$(cat "$T_TMP/float.json")" '"score":7\.0[,}]'
for case in "pretty:pull_request:indented JSON" "escaped:dependabot_alert:non-ASCII as \\u escapes" \
	"float:dependabot_alert:a number written 7.0 (JSON.stringify: 7)"; do
	file=${case%%:*} rest=${case#*:}
	event=${rest%%:*} what=${rest#*:} id=$(uuid)
	is "smee: $what: channel 200, handler 403 (signature broken by smee)" \
		"$(relay "$T_TMP/$file.json" "$event" "$id")" "200 403"
	check_fails "smee: $what: not spooled" spooled "$d" "$id"
done
grep -c ' 403 ' "$d/bot.log" >"$T_TMP/n403"
is "smee: the handler logged each refusal" "$(cat "$T_TMP/n403")" 3

web_stop
left=$(pgrep -af "$T_TMP")
is "nothing left running" "$left" ""

done_testing
