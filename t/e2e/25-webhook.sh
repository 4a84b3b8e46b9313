#!/usr/bin/env bash
# 25-webhook.sh - the real webhook handler (eessi-bot-webhook) behind nginx +
# spawn-fcgi, Apache mod_proxy_fcgi + spawn-fcgi, Apache mod_fcgid and as a
# plain CGI program, fed GitHub's own example payloads signed as GitHub signs
# them: a valid delivery is spooled byte-exact and answered 202, its
# redelivery 200 with nothing written twice, and every bad request (forged,
# missing or old-secret signature, non-JSON, hostile delivery id, missing
# headers, wrong method, huge or truncated body) is refused with its status
# and leaves the spool as it was.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/web.sh"
. "$T_DIR/lib/bot.sh"

need spawn-fcgi nginx apache2 sha256sum
[ -x "$BUILD/eessi-bot-webhook" ] || bail "no $BUILD/eessi-bot-webhook (make)"

mkdir -p "$T_TMP/bin"
cp "$BUILD/eessi-bot-webhook" "$T_TMP/bin/"
HANDLER=$T_TMP/bin/eessi-bot-webhook
SECRET='e2e-webhook-secret "quoted" \ and more'

uuid() { cat /proc/sys/kernel/random/uuid; }

setup() { bot_web_setup "$1" "$SECRET"; }

spool_count() { find "$1/spool" -type f | wc -l; }

webhook pick issue_comment created --set '/issue/pull_request={"url":"https://api.github.com/repos/o/r/pulls/1"}' >"$T_TMP/comment.json"
webhook pick pull_request labeled >"$T_TMP/labeled.json"
printf 'this is not json' >"$T_TMP/notjson.txt"
head -c $((27 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$T_TMP/huge.json"

# send URL EVENT BODY [webhook.py send options]: prints the status only
send() {
	local url=$1 event=$2 body=$3
	shift 3
	local out
	out=$(webhook send "$url" "$event" "$body" "$@")
	printf '%s\n' "${out%%$'\n'*}"
}

# exercise FRONT URL DIR: the whole battery against one front
exercise() {
	local front=$1 url=$2 d=$3 id st body_sha spooled_sha before
	id=$(uuid)
	st=$(send "$url" issue_comment "$T_TMP/comment.json" --secret "$SECRET" --delivery "$id")
	is "$front: signed example issue_comment answered 202" "$st" 202
	if [ -f "$d/spool/incoming/$id" ]; then
		body_sha=$(sha256sum <"$T_TMP/comment.json" | cut -d' ' -f1)
		# the body follows the first blank line, byte for byte
		spooled_sha=$(python3 -c 'import sys,hashlib; d=open(sys.argv[1],"rb").read(); print(hashlib.sha256(d.split(b"\n\n",1)[1]).hexdigest())' "$d/spool/incoming/$id")
		is "$front: spooled body is byte-exact" "$spooled_sha" "$body_sha"
		like "$front: spool entry names the event" "$(head -n 2 "$d/spool/incoming/$id")" '^X-GitHub-Event: issue_comment'
	else
		not_ok "$front: spool entry $id written"
	fi
	st=$(send "$url" issue_comment "$T_TMP/comment.json" --secret "$SECRET" --delivery "$id")
	is "$front: redelivery answered 200" "$st" 200
	is "$front: redelivery not spooled twice" "$(spool_count "$d")" 1

	st=$(send "$url" pull_request "$T_TMP/labeled.json" --secret "$SECRET")
	is "$front: signed example pull_request labeled answered 202" "$st" 202
	before=$(spool_count "$d")
	is "$front: two deliveries spooled" "$before" 2

	st=$(send "$url" pull_request "$T_TMP/labeled.json" --secret "not the secret")
	is "$front: forged signature 403" "$st" 403
	st=$(send "$url" pull_request "$T_TMP/labeled.json" --no-signature)
	is "$front: missing signature 401" "$st" 401
	st=$(send "$url" pull_request "$T_TMP/labeled.json" --secret "e2e-webhook-secret-OLD")
	is "$front: old secret 403" "$st" 403
	st=$(send "$url" pull_request "$T_TMP/labeled.json" --signature "sha256=zz")
	is "$front: malformed signature 403" "$st" 403
	st=$(send "$url" pull_request "$T_TMP/notjson.txt" --secret "$SECRET")
	is "$front: signed non-JSON body 400" "$st" 400
	st=$(send "$url" pull_request "$T_TMP/labeled.json" --secret "$SECRET" --delivery "../../x")
	is "$front: delivery id ../../x 400" "$st" 400
	st=$(send "$url" '../../evil' "$T_TMP/labeled.json" --secret "$SECRET")
	is "$front: hostile event name 400" "$st" 400
	st=$(send "$url" pull_request "$T_TMP/labeled.json" --secret "$SECRET" --method PUT)
	is "$front: PUT 405" "$st" 405
	st=$(send "$url" pull_request "$T_TMP/huge.json" --secret "$SECRET")
	is "$front: 27 MB body 413" "$st" 413
	is "$front: rejected requests wrote nothing" "$(spool_count "$d")" "$before"
	[ -e "$T_TMP/x" ] && not_ok "$front: a file outside the spool was written"
	like "$front: one log line per request" "$(grep -c ' 403 ' "$d/bot.log")" '^[3-9]$'
	unlike "$front: secret never logged" "$(cat "$d/bot.log")" "e2e-webhook-secret \""
}

# --- nginx + spawn-fcgi
d=$(setup nginx)
if fcgi_start "$HANDLER" EESSI_BOT_CONFIG="$d/app.cfg" && nginx_start "$FCGI_PORT"; then
	exercise nginx "$NGINX_URL" "$d"
else
	not_ok "nginx + spawn-fcgi with the handler came up"
fi

# --- Apache mod_proxy_fcgi + spawn-fcgi
d=$(setup apache)
if fcgi_start "$HANDLER" EESSI_BOT_CONFIG="$d/app.cfg" && apache_start "$FCGI_PORT"; then
	exercise apache-proxy-fcgi "$APACHE_URL" "$d"
else
	not_ok "Apache mod_proxy_fcgi with the handler came up"
fi

# --- Apache mod_fcgid (runs the handler itself, as www-data)
d=$(setup fcgid)
chmod 0755 "$T_TMP" "$T_TMP/bin"
if apache_fcgid_start "$HANDLER" EESSI_BOT_CONFIG="$d/app.cfg"; then
	exercise apache-fcgid "$APACHE_FCGID_URL" "$d"
else
	not_ok "Apache mod_fcgid with the handler came up"
fi
web_stop

# --- plain CGI (also the way to replay a stored delivery by hand)
d=$(setup cgi)
id=$(uuid)
sig=$(webhook sign "$SECRET" <"$T_TMP/comment.json")
out=$(cgi_run "$HANDLER" "$T_TMP/comment.json" EESSI_BOT_CONFIG="$d/app.cfg" \
	X-GitHub-Event=issue_comment X-GitHub-Delivery="$id" X-Hub-Signature-256="$sig")
is "cgi: signed delivery 202" "$(cgi_status "$out")" 202
check "cgi: spool entry written" test -f "$d/spool/incoming/$id"
out=$(cgi_run "$HANDLER" "$T_TMP/comment.json" EESSI_BOT_CONFIG="$d/app.cfg" \
	CONTENT_LENGTH=999999 X-GitHub-Event=issue_comment \
	X-GitHub-Delivery="$(uuid)" X-Hub-Signature-256="$sig")
is "cgi: body shorter than Content-Length 400" "$(cgi_status "$out")" 400
out=$(cgi_run "$HANDLER" "$T_TMP/comment.json" EESSI_BOT_CONFIG="$d/app.cfg" \
	CONTENT_LENGTH=26214401 X-GitHub-Event=issue_comment \
	X-GitHub-Delivery="$(uuid)" X-Hub-Signature-256="$sig")
is "cgi: Content-Length over 25 MiB 413" "$(cgi_status "$out")" 413
is "cgi: only the valid delivery spooled" "$(spool_count "$d")" 1

# --- a broken configuration: the handler refuses to start, says why
printf 'github = { app_id = "x"; };\n' >"$T_TMP/broken.cfg"
out=$("$HANDLER" -c "$T_TMP/broken.cfg" 2>&1 </dev/null)
rc=$?
is "broken config: exit 1" "$rc" 1
like "broken config: problems named with file:line" "$out" "broken.cfg:1: github.app_id"
out=$(GITHUB_APP_SECRET_TOKEN= "$HANDLER" -c "$T_DIR/data/conf/minimal.cfg" 2>&1 </dev/null)
like "no secret: refused with the reason" "$out" "no webhook secret"
out=$(GITHUB_APP_SECRET_TOKEN=abc "$HANDLER" -c "$T_DIR/data/conf/minimal.cfg" 2>&1 </dev/null)
like "short secret: refused with the reason" "$out" "at least 8 characters"
check "--help documents the statuses" sh -c "'$HANDLER' --help | grep -q 'answered 202'"
check_fails "nonsense option refused" "$HANDLER" --frobnicate

done_testing
