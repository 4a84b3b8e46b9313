#!/usr/bin/env bash
# 29-install.sh - `make install` as a Debian package would run it (PREFIX,
# DESTDIR, sysconfdir, localstatedir, and the account BOT_USER/BOT_GROUP):
# the programs, the job script, the manual pages (each program's page is
# its --help, rendered by man; app.cfg(5) carries every key of the
# example), the conf/ files naming the layout and account given (no
# /usr/local, no eessi-bot account left), the installed example passing
# --check-config; then `make uninstall` with the same variables leaves no
# file behind.
. "$(dirname "$0")/../lib/common.sh"

need make man
for p in eessi-bot-webhook eessi-bot-manager eessi-bot-resubmit eessi-bot-convert-config; do
	[ -x "$BUILD/$p" ] || bail "no $BUILD/$p (make)"
done
R=$T_TMP/root
VARS=(BUILD="$BUILD" DESTDIR="$R" PREFIX=/usr sysconfdir=/etc localstatedir=/var/opt
	BOT_USER=hpcbot BOT_GROUP=hpcgrp)
make -s -C "$TOP" "${VARS[@]}" install >"$T_TMP/install.out" 2>&1
is "make install: exit 0" "$?" 0
(cd "$R" && find . -type f | sort) >"$T_TMP/files"
sed 's/^/#   /' "$T_TMP/files"
for f in usr/bin/eessi-bot-webhook usr/bin/eessi-bot-manager usr/bin/eessi-bot-resubmit \
	usr/bin/eessi-bot-convert-config usr/libexec/eessi-bot/bot-build.slurm \
	usr/libexec/eessi-bot/spawn-fcgi.sh; do
	check "installed, executable: /$f" test -x "$R/$f" -a -f "$R/$f"
done
for m in man8/eessi-bot-webhook.8 man8/eessi-bot-manager.8 man8/eessi-bot-resubmit.8 \
	man8/eessi-bot-convert-config.8 man5/app.cfg.5; do
	check "manual page /usr/share/man/$m" test -f "$R/usr/share/man/$m"
done
is "the conf/ files, all of them" "$(ls "$R/usr/share/eessi-bot/conf" | wc -l)" \
	"$(ls "$TOP/conf" | grep -vc '^app.cfg.example$')"
check "app.cfg.example in sysconfdir" test -f "$R/etc/eessi-bot/app.cfg.example"

# the pages are the programs' --help, as man renders them
render() { LC_ALL=C MANWIDTH=100 man -l "$1" 2>/dev/null; }
for p in eessi-bot-webhook eessi-bot-manager eessi-bot-resubmit eessi-bot-convert-config; do
	page=$(render "$R/usr/share/man/man8/$p.8")
	like "$p(8) renders, with its SYNOPSIS" "$page" '^SYNOPSIS'
	missing=0
	while IFS= read -r line; do
		line=$(sed 's/^ *//; s/ *$//' <<<"$line")
		[ -z "$line" ] && continue
		grep -qF -- "$line" <<<"$page" || missing=$((missing + 1))
	done < <(EESSI_BOT_ALLOW_ROOT=1 "$BUILD/$p" --help)
	is "$p(8): every line of --help is in the page" "$missing" 0
done
page=$(render "$R/usr/share/man/man5/app.cfg.5")
missing=0
for k in $(sed -n 's/^ *#\{0,1\} *\([a-z_]\{3,\}\) = .*/\1/p' "$TOP/conf/app.cfg.example" | sort -u); do
	grep -q "$k" <<<"$page" || missing=$((missing + 1))
done
is "app.cfg(5): every key of the example" "$missing" 0

# the layout and the account put in
C=$R/usr/share/eessi-bot/conf
unlike "no /usr/local left in the installed files" \
	"$(grep -rl /usr/local "$C" "$R/etc" "$R/usr/libexec/eessi-bot" 2>/dev/null)" '.'
like "units run as the account given" "$(cat "$C/eessi-bot-manager.service")" '^User=hpcbot$'
like "units: its group" "$(cat "$C/eessi-bot-fcgi.service")" '^Group=hpcgrp$'
like "units: the programs' installed path" "$(cat "$C/eessi-bot-manager.service")" \
	'^ExecStart=/usr/bin/eessi-bot-manager -c /etc/eessi-bot/app.cfg$'
like "tmpfiles: localstatedir and the account" "$(cat "$C/eessi-bot.tmpfiles")" \
	'^d /var/opt/log/eessi-bot 0750 hpcbot hpcgrp -$'
like "logrotate: the account" "$(cat "$C/eessi-bot.logrotate")" 'create 0640 hpcbot hpcgrp'
like "cron: the account" "$(cat "$C/eessi-bot-manager.cron")" 'crontab -u hpcbot -e'
like "spawn-fcgi.sh: the account by default" \
	"$(cat "$R/usr/libexec/eessi-bot/spawn-fcgi.sh")" 'EESSI_BOT_USER-hpcbot}'
like "the example's job script: the installed one" "$(cat "$R/etc/eessi-bot/app.cfg.example")" \
	'build_job_script = "/usr/libexec/eessi-bot/bot-build.slurm";'
run_check=$(env HOME=/home/hpcbot USER=hpcbot "$R/usr/bin/eessi-bot-manager" --check-config --file-only \
	-c "$R/etc/eessi-bot/app.cfg.example" 2>&1)
like "the installed example passes --check-config" "$run_check" 'app.cfg.example: OK'

make -s -C "$TOP" "${VARS[@]}" uninstall >"$T_TMP/uninstall.out" 2>&1
is "make uninstall: exit 0" "$?" 0
is "make uninstall: no file left" "$(find "$R" -type f | wc -l)" 0
is "make uninstall: no directory of the bot left" \
	"$(find "$R" -name 'eessi-bot*' | wc -l)" 0
done_testing
