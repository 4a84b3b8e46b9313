#!/usr/bin/env bash
# 27-logrotate.sh - the bot's logs rotated by the real logrotate with
# conf/eessi-bot.logrotate (its paths and account made this test's), while
# the handler behind nginx + spawn-fcgi takes a stream of deliveries: every
# delivery's "202 accepted" line is in exactly one of the files (nothing
# lost, nothing doubled), the lines after the rotation are in the new file
# without any signal, SIGHUP reopens too, and a manual run from a terminal
# prints its errors there as well as in the log; a directory of another
# account in the way is named with its owner and the fix.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/web.sh"
. "$T_DIR/lib/bot.sh"

need spawn-fcgi nginx curl logrotate script
for p in eessi-bot-webhook eessi-bot-manager; do
	[ -x "$BUILD/$p" ] || bail "no $BUILD/$p (make)"
done
mkdir -p "$T_TMP/bin"
cp "$BUILD/eessi-bot-webhook" "$BUILD/eessi-bot-manager" "$T_TMP/bin/"
BIN=$T_TMP/bin
SECRET='logrotate-e2e-secret'
D=$T_TMP/bot
bot_setup "$D" "$SECRET" e2e-rotate
LOG=$D/bot.log

# the snippet as a site installs it, with this test's directory and account
me=$(id -un) grp=$(id -gn)
sed -e "s|/var/log/eessi-bot/\*\.log|$D/*.log|" \
	-e "s|create 0640 eessi-bot eessi-bot|create 0640 $me $grp|" \
	-e "s|su eessi-bot eessi-bot|su $me $grp|" \
	"$TOP/conf/eessi-bot.logrotate" >"$T_TMP/logrotate.conf"
like "the snippet names this test's logs" "$(cat "$T_TMP/logrotate.conf")" "^$D/\*\.log \{"
logrotate -d -s "$T_TMP/logrotate.state" "$T_TMP/logrotate.conf" >"$T_TMP/lr-debug.out" 2>&1
check "logrotate accepts the snippet (-d)" test $? -eq 0

fcgi_start "$BIN/eessi-bot-webhook" EESSI_BOT_CONFIG="$D/app.cfg" &&
	nginx_start "$FCGI_PORT" || bail "nginx + spawn-fcgi did not start"
URL=$NGINX_URL
uuid() { cat /proc/sys/kernel/random/uuid; }
webhook pick ping >"$T_TMP/ping.json"

# 300 pings, 4 senders at a time; logrotate -f when a third is through
N=300
: >"$T_TMP/sent"
sender() { # sender K: every 4th delivery from K
	local i id st
	for ((i = $1; i < N; i += 4)); do
		id=$(uuid)
		st=$(webhook send "$URL" ping "$T_TMP/ping.json" --secret "$SECRET" --delivery "$id")
		st=${st%%$'\n'*}
		echo "$id $st" >>"$T_TMP/sent.$1"
	done
}
senders=()
for k in 0 1 2 3; do
	sender "$k" &
	senders+=($!)
done
wait_until 60 sh -c "[ \$(cat $T_TMP/sent.* 2>/dev/null | wc -l) -ge $((N / 3)) ]"
logrotate -f -s "$T_TMP/logrotate.state" "$T_TMP/logrotate.conf" >"$T_TMP/lr.out" 2>&1
check "logrotate -f rotated the log (mid-stream)" test -e "$LOG.1"
wait "${senders[@]}" # not the servers: they are this shell's children too
cat "$T_TMP"/sent.* >"$T_TMP/sent"
is "every delivery answered 202" "$(awk '$2 != 202' "$T_TMP/sent" | wc -l)" 0
is "all $N sent" "$(wc -l <"$T_TMP/sent")" "$N"
# each delivery's accepted line: exactly once in the old and new files together
missing=0 doubled=0
all=$(cat "$LOG.1" "$LOG")
while read -r id st; do
	n=$(grep -c "\[$id\] 202 accepted" <<<"$all")
	[ "$n" -eq 0 ] && missing=$((missing + 1))
	[ "$n" -gt 1 ] && doubled=$((doubled + 1))
done <"$T_TMP/sent"
is "no accepted line lost across the rotation" "$missing" 0
is "no accepted line twice" "$doubled" 0
old=$(grep -c ' 202 accepted ' "$LOG.1")
new=$(grep -c ' 202 accepted ' "$LOG")
note "accepted lines: $old in the rotated file, $new in the new one"
check "lines went to both files (the handler followed the move)" test "$old" -gt 0 -a "$new" -gt 0

# SIGHUP: the handler reopens (the file moved by hand, then a signal)
mv "$LOG" "$LOG.2"
for pid in $(cat "$FCGI_PIDFILE"); do kill -HUP "$pid"; done
sleep 0.5
check "the handler lives through SIGHUP" kill -0 $(head -n 1 "$FCGI_PIDFILE")
id=$(uuid)
st=$(webhook send "$URL" ping "$T_TMP/ping.json" --secret "$SECRET" --delivery "$id")
is "after SIGHUP: answered" "${st%%$'\n'*}" 202
check "after the move and SIGHUP: the line is in a new file" wait_until 10 grep -q "\[$id\] 202 accepted" "$LOG"

# a manual run from a terminal: the error on the terminal and in the log
chmod 0644 "$D/app.cfg"
cat >"$T_TMP/broken.cfg" <<EOF
$(sed "s|job_ids_dir = \"$D/jobs/ids\"|job_ids_dir = \"/proc/no-such-dir/ids\"|" "$D/app.cfg")
EOF
script -qec "$BIN/eessi-bot-manager -c $T_TMP/broken.cfg" /dev/null >"$T_TMP/tty.out" 2>&1
like "a manual run: the error on the terminal" "$(cat "$T_TMP/tty.out")" 'error .*/proc/no-such-dir'
like "a manual run: and in the log" "$(cat "$D/manager.log")" 'error .*/proc/no-such-dir'
"$BIN/eessi-bot-manager" -c "$T_TMP/broken.cfg" >"$T_TMP/notty.out" 2>&1 </dev/null
is "not a terminal (cron): nothing on stderr, the log has it" "$(cat "$T_TMP/notty.out")" ""
# a directory of another account in the way: its owner and the fix named
need runuser
N=$T_TMP/nb
mkdir -p "$N/ids" "$N/spool" && chown -R nobody "$N" && chown root "$N/ids" &&
	chmod 0755 "$T_TMP" "$T_TMP/bin" "$N" "$N/ids"
sed -e "s|job_ids_dir = \"$D/jobs/ids\"|job_ids_dir = \"$N/ids\"|" \
	-e "s|spool_dir = \"$D/spool\"|spool_dir = \"$N/spool\"|" \
	-e "s|log_file = \"$D/manager.log\"|log_file = \"$N/manager.log\"|" \
	-e "s|log_file = \"$D/bot.log\"|log_file = \"$N/bot.log\"|" "$D/app.cfg" >"$N/app.cfg"
chmod 0644 "$N/app.cfg"
script -qec "runuser -u nobody -- $BIN/eessi-bot-manager -c $N/app.cfg" /dev/null \
	>"$T_TMP/owner.out" 2>&1
WANT="$N/ids belongs to root, not to this account \\(nobody\\); fix: chown -R nobody $N/ids"
like "another account's directory: owner and fix on the terminal" "$(cat "$T_TMP/owner.out")" "$WANT"
like "another account's directory: and in the log" "$(cat "$N/manager.log" 2>&1)" "$WANT"
done_testing
