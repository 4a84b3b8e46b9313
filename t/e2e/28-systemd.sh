#!/usr/bin/env bash
# 28-systemd.sh - the systemd units of conf/ (systemd is not PID 1 here):
#   - each unit, with this test's paths and account put in as a site
#     edits them, passes `systemd-analyze verify` without a word;
#   - the timer fires every minute (systemd-analyze calendar);
#   - the socket-activated handler (eessi-bot-fcgi.socket/.service) run as
#     systemd would run it: the listening socket as standard input, its
#     ExecStart line as written, standard output /dev/null, under
#     NoNewPrivileges (setpriv); nginx in front: a signed ping is answered
#     202 and handled by the consumer it starts;
#   - the tmpfiles entry makes its directories (systemd-tmpfiles --root).
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/web.sh"
. "$T_DIR/lib/bot.sh"

need systemd-analyze systemd-tmpfiles setpriv nginx curl
for p in eessi-bot-webhook eessi-bot-manager; do
	[ -x "$BUILD/$p" ] || bail "no $BUILD/$p (make)"
done
mkdir -p "$T_TMP/bin" "$T_TMP/units"
cp "$BUILD/eessi-bot-webhook" "$BUILD/eessi-bot-manager" "$T_TMP/bin/"
BIN=$T_TMP/bin
SECRET='systemd-e2e-secret'
D=$T_TMP/bot
bot_setup "$D" "$SECRET" e2e-systemd
me=$(id -un) grp=$(id -gn)

# unit NAME: conf/NAME with this test's programs, app.cfg and account
unit() {
	sed -e "s|/usr/local/bin/|$BIN/|g" -e "s|/etc/eessi-bot/app.cfg|$D/app.cfg|g" \
		-e "s|^User=eessi-bot|User=$me|" -e "s|^Group=eessi-bot|Group=$grp|" \
		"$TOP/conf/$1" >"$T_TMP/units/$1"
}
for u in eessi-bot-manager.service eessi-bot-manager.timer eessi-bot-fcgi.socket \
	eessi-bot-fcgi.service; do
	unit "$u"
	like "$u: the paths put in" "$(cat "$T_TMP/units/$u")" "$BIN/|\\[(Timer|Socket)\\]"
done
verify() { # verify UNIT...: systemd-analyze verify, its output
	(cd "$T_TMP/units" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$@" 2>&1)
}
out=$(verify eessi-bot-manager.timer eessi-bot-manager.service); rc=$?
is "manager timer + service: systemd-analyze verify passes" "$rc" 0
is "manager timer + service: without a warning" "$out" ""
out=$(verify eessi-bot-fcgi.socket eessi-bot-fcgi.service); rc=$?
is "handler socket + service: systemd-analyze verify passes" "$rc" 0
is "handler socket + service: without a warning" "$out" ""
# the check itself catches a broken unit
printf '[Service]\nExecStart=%s/nothing-here\nProtectSystem=sometimes\n' "$BIN" \
	>"$T_TMP/units/broken.service"
out=$(verify broken.service); rc=$?
check "a broken unit fails the same check" test "$rc" -ne 0 -o -n "$out"
cal=$(systemd-analyze calendar --iterations=2 \
	"$(sed -n 's/^OnCalendar=//p' "$TOP/conf/eessi-bot-manager.timer")" 2>&1)
like "the timer fires every minute" "$cal" 'Next elapse: .*:00 '
n1=$(date -d "$(sed -n 's/.*Next elapse: \(.*\) [A-Z]*$/\1/p' <<<"$cal" | head -n 1)" +%s 2>/dev/null)
n2=$(date -d "$(sed -n 's/.*Iter\. #2: \(.*\) [A-Z]*$/\1/p' <<<"$cal" | head -n 1)" +%s 2>/dev/null)
is "the timer: 60 s between two runs" "$((n2 - n1))" 60

# --- the handler as eessi-bot-fcgi.service runs it ---------------------------
grep -q '^StandardInput=socket$' "$T_TMP/units/eessi-bot-fcgi.service"
check "the service takes the socket on standard input" test $? -eq 0
EXEC=$(sed -n 's/^ExecStart=//p' "$T_TMP/units/eessi-bot-fcgi.service")
PORT=$(free_port)
# a listening socket on descriptor 0, then the ExecStart line (words, no
# shell), with what the unit sets: no new privileges, stdout /dev/null
"$T_PYTHON" - "$PORT" $EXEC >"$T_TMP/fcgi-unit.out" 2>&1 <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
os.dup2(s.fileno(), 0)
s.close()
os.set_inheritable(0, True)
null = os.open("/dev/null", os.O_WRONLY)
os.dup2(null, 1)
os.execvp("setpriv", ["setpriv", "--no-new-privs", "--", *sys.argv[2:]])
PY
echo $! >"$T_TMP/fcgi-unit.pid"
at_exit kill_pidfile "$T_TMP/fcgi-unit.pid"
check "the handler listens on the socket it was handed" wait_until 10 port_open "$PORT"
nginx_start "$PORT" || bail "nginx did not start"
webhook pick ping >"$T_TMP/ping.json"
id=$(cat /proc/sys/kernel/random/uuid)
st=$(webhook send "$NGINX_URL" ping "$T_TMP/ping.json" --secret "$SECRET" --delivery "$id")
is "socket-activated: a signed ping answered 202" "${st%%$'\n'*}" 202
check "socket-activated: the consumer it started handled it" \
	wait_until 20 test -e "$D/spool/done/$id"
st=$(webhook send "$NGINX_URL" ping "$T_TMP/ping.json" --secret wrong --delivery "$(cat /proc/sys/kernel/random/uuid)")
is "socket-activated: a forged one refused" "${st%%$'\n'*}" 403
grep -q 'NoNewPrivs:[[:space:]]*1' "/proc/$(cat "$T_TMP/fcgi-unit.pid")/status"
check "socket-activated: running with no new privileges" test $? -eq 0
check "socket-activated: the consumer is done" wait_until 20 consumer_gone "$BIN" "$D/spool"

# --- tmpfiles --------------------------------------------------------------------
sed -e "s| eessi-bot eessi-bot | $me $grp |" "$TOP/conf/eessi-bot.tmpfiles" >"$T_TMP/tmpfiles.conf"
mkdir -p "$T_TMP/root"
systemd-tmpfiles --create --root="$T_TMP/root" "$T_TMP/tmpfiles.conf" >"$T_TMP/tmpfiles.out" 2>&1
is "tmpfiles: systemd-tmpfiles --create passes" "$?" 0
for d in run/eessi-bot var/log/eessi-bot var/lib/eessi-bot; do
	is "tmpfiles: /$d made 0750" "$(stat -c %a "$T_TMP/root/$d" 2>&1)" 750
done
done_testing
