#!/usr/bin/env bash
# 98-secrets.sh - privileges and secrets, run after the other scripts:
#   - neither program runs as root without EESSI_BOT_ALLOW_ROOT=1;
#   - neither starts when the App key or the webhook secret file is open to
#     group or others, a symlink, or not a regular file (logged, chmod 600
#     named); --check-config reports the same;
#   - no secret in anything the suite produced: every file the other
#     scripts kept in $BUILD/t/artifacts/ (their *.log and *.out files, the
#     GitHub stand-in's comments and calls; see t/lib/common.sh) is searched
#     for every secret they used (webhook secrets, the base64 lines of the
#     private keys, the installation tokens the stand-in issued, the S3
#     secret keys of the tests that upload).  A leak is
#     named by file and kind of secret, never shown.  A secret planted in a
#     copy of one log shows the search would find one.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/github.sh"
. "$T_DIR/lib/bot.sh"

need openssl "$T_PYTHON"
for p in eessi-bot-webhook eessi-bot-manager; do
	[ -x "$BUILD/$p" ] || bail "no $BUILD/$p (make)"
done
HOOK=$BUILD/eessi-bot-webhook
MGR=$BUILD/eessi-bot-manager

# ---- root
if [ "$(id -u)" -eq 0 ]; then
	out=$(env -u EESSI_BOT_ALLOW_ROOT "$MGR" -c /nonexistent.cfg 2>&1)
	rc=$?
	is "manager as root without EESSI_BOT_ALLOW_ROOT: exit 1" "$rc" 1
	like "... says why and what to do" "$out" 'refusing to run as root.*EESSI_BOT_ALLOW_ROOT=1'
	out=$(env -u EESSI_BOT_ALLOW_ROOT "$MGR" --consume -c /nonexistent.cfg 2>&1)
	like "the consumer as root: refused too" "$out" 'refusing to run as root'
	out=$(env -u EESSI_BOT_ALLOW_ROOT EESSI_BOT_ALLOW_ROOT=yes "$HOOK" -c /nonexistent.cfg 2>&1 </dev/null)
	rc=$?
	is "handler as root (EESSI_BOT_ALLOW_ROOT=yes is not 1): exit 1" "$rc" 1
	like "... says why" "$out" 'refusing to run as root'
	out=$(EESSI_BOT_ALLOW_ROOT=1 "$MGR" -c /nonexistent.cfg 2>&1)
	unlike "with EESSI_BOT_ALLOW_ROOT=1 root goes on (to the configuration)" "$out" 'as root'
	out=$(env -u EESSI_BOT_ALLOW_ROOT "$MGR" --help 2>&1)
	like "--help as root: shown, and documents EESSI_BOT_ALLOW_ROOT" "$out" 'EESSI_BOT_ALLOW_ROOT'
else
	out=$(env -u EESSI_BOT_ALLOW_ROOT "$MGR" -c /nonexistent.cfg 2>&1)
	unlike "not root: no refusal for the account" "$out" 'as root'
fi
like "handler --help documents EESSI_BOT_ALLOW_ROOT" "$("$HOOK" --help)" 'EESSI_BOT_ALLOW_ROOT'

# ---- secret files
D=$T_TMP/bot
GH_APP_KEY=$D/app.pem
mkdir -p "$D"
gh_make_key "$GH_APP_KEY" || bail "cannot make a key"
bot_setup "$D" 'privileges-e2e-secret'
check "--check-config: OK with key and secret file 0600" "$MGR" -c "$D/app.cfg" --check-config --file-only

# refused (mode, what to do, the file), by all three, and logged
refused() { # DESC FILE MODE-TEXT
	local desc=$1 file=$2 want=$3 out rc
	: >"$D/bot.log"
	: >"$D/manager.log"
	out=$("$HOOK" -c "$D/app.cfg" 2>&1 </dev/null)
	rc=$?
	is "handler, $desc: exit 1" "$rc" 1
	like "handler, $desc: names the file and the fix" "$out" "$file: $want"
	like "handler, $desc: logged" "$(cat "$D/bot.log")" "refusing to start: .*$file"
	out=$("$MGR" -c "$D/app.cfg" 2>&1)
	rc=$?
	is "manager, $desc: exit 1" "$rc" 1
	like "manager, $desc: names the file" "$out" "$file: $want"
	like "manager, $desc: logged" "$(cat "$D/manager.log")" "refusing to start: .*$file"
	out=$("$MGR" -c "$D/app.cfg" --consume 2>&1)
	is "consumer, $desc: exit 1" "$?" 1
	out=$("$MGR" -c "$D/app.cfg" --check-config --file-only 2>&1)
	rc=$?
	is "--check-config, $desc: exit 1" "$rc" 1
	like "--check-config, $desc: reported" "$out" "$file: $want"
}
for m in 0640 0644 0620 0602; do
	chmod "$m" "$D/secret"
	refused "secret file mode $m" "$D/secret" "mode $m lets group or others read or write it; refused \\(chmod 600 it\\)"
done
chmod 0600 "$D/secret"
chmod 0644 "$GH_APP_KEY"
refused "key mode 0644" "$GH_APP_KEY" "mode 0644 lets group or others"
chmod 0600 "$GH_APP_KEY"
mv "$D/secret" "$D/secret.real"
ln -s "$D/secret.real" "$D/secret"
refused "secret file a symlink" "$D/secret" "not a regular file \\(a symlink\\)"
rm "$D/secret"
mkdir "$D/secret"
refused "secret file a directory" "$D/secret" "not a regular file \\(a directory\\)"
rmdir "$D/secret"
mv "$D/secret.real" "$D/secret"
# another account's file: refused (root itself, when let run, takes any
# owner); as www-data, the check --check-config makes
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chown nobody "$D/secret"
	out=$(setpriv --reuid=www-data --regid=www-data --clear-groups \
		"$MGR" -c "$D/app.cfg" --check-config --file-only 2>&1)
	rc=$?
	is "--check-config as www-data, secret file owned by nobody: exit 1" "$rc" 1
	like "... owner named" "$out" "$D/secret: owned by uid [0-9]+, not by this account \\(uid [0-9]+\\) or root"
	chown 0 "$D/secret"
	out=$(setpriv --reuid=www-data --regid=www-data --clear-groups \
		"$MGR" -c "$D/app.cfg" --check-config --file-only 2>&1)
	like "... root's file is fine" "$out" "app.cfg: OK"
fi
check "--check-config: OK again once mended" "$MGR" -c "$D/app.cfg" --check-config --file-only

# ---- leaks: every artifact of the suite against every secret
SCAN=$T_TMP/scan.py
cat >"$SCAN" <<'PY'
"""scan.py ROOT [EXTRA_FILE...]: every file under ROOT/*/ (but secrets/
and the 98-secrets directory), and the extra files, against every secret
in ROOT/*/secrets/.  Prints 'leak: FILE: KIND (from SCRIPT)' per find,
then 'files=N secrets=M'; exit 1 on a leak.  Never prints a secret."""
import json, os, sys

root, extra = sys.argv[1], sys.argv[2:]
secrets = {}   # bytes -> (kind, script)

def add(value, kind, script):
    value = value.strip()
    if len(value) < 8:
        return
    for v in {value, json.dumps(value)[1:-1]}:   # as written, as JSON escapes it
        secrets.setdefault(v.encode(), (kind, script))

files = list(extra)
for script in sorted(os.listdir(root)):
    sd = os.path.join(root, script)
    if not os.path.isdir(sd):
        continue
    sec = os.path.join(sd, "secrets")
    for name in sorted(os.listdir(sec)) if os.path.isdir(sec) else []:
        text = open(os.path.join(sec, name), errors="replace").read()
        if name.startswith("webhook"):
            add(text.rstrip("\n"), "webhook secret", script)
        elif name.startswith("key"):
            for line in text.splitlines():
                if "-----" not in line and ":" not in line and len(line.strip()) >= 16:
                    add(line, "private key (a base64 line)", script)
        elif name == "tokens":
            for line in text.splitlines():
                add(line, "installation token", script)
        elif name == "aws":
            for line in text.splitlines():
                add(line, "S3 secret access key", script)
    if script == "98-secrets":
        continue
    for d, dirs, names in os.walk(sd):
        if os.path.abspath(d) == os.path.abspath(sec):
            dirs[:] = []
            continue
        dirs[:] = [x for x in dirs if os.path.join(d, x) != sec]
        files += [os.path.join(d, n) for n in names]

leaks = 0
for f in files:
    try:
        data = open(f, "rb").read()
    except OSError as e:
        print(f"cannot read {f}: {e.strerror}")
        leaks += 1
        continue
    seen = set()
    for s, (kind, script) in secrets.items():
        if s in data and (kind, script) not in seen:
            seen.add((kind, script))
            print(f"leak: {os.path.relpath(f, root) if f.startswith(root) else f}: a {kind} (from {script})")
            leaks += 1
print(f"files={len(files)} secrets={len(secrets)}")
sys.exit(1 if leaks else 0)
PY

ART=$BUILD/t/artifacts
[ -d "$ART" ] || bail "no $ART: run the other e2e scripts first (t/run-e2e runs them before this one)"
out=$("$T_PYTHON" "$SCAN" "$ART" 2>&1)
rc=$?
note "$(printf '%s' "$out" | tail -n 1)"
nfiles=$(printf '%s' "$out" | sed -n 's/^files=\([0-9]*\) secrets=\([0-9]*\)$/\1/p')
nsecrets=$(printf '%s' "$out" | sed -n 's/^files=\([0-9]*\) secrets=\([0-9]*\)$/\2/p')
if [ "${nfiles:-0}" -gt 0 ] && [ "${nsecrets:-0}" -gt 0 ]; then
	ok "the search looked at something: $nfiles files, $nsecrets secrets"
else
	not_ok "the search looked at something" "files=${nfiles:-?} secrets=${nsecrets:-?}"
fi
for kind in "webhook secret" "private key" "installation token" "S3 secret key"; do
	n=0
	for s in "$ART"/*/secrets; do
		case $kind in
		webhook*) ls "$s"/webhook* >/dev/null 2>&1 && n=$((n + 1)) ;;
		private*) ls "$s"/key* >/dev/null 2>&1 && n=$((n + 1)) ;;
		install*) [ -s "$s/tokens" ] && n=$((n + 1)) ;;
		S3*) [ -s "$s/aws" ] && n=$((n + 1)) ;;
		esac
	done
	note "$kind: kept by $n script(s)"
done
if [ "$rc" -eq 0 ]; then
	ok "no secret in any log, job output, comment or GitHub call of the suite"
else
	not_ok "no secret in any log, job output, comment or GitHub call of the suite" \
		"$(printf '%s' "$out" | grep '^leak\|^cannot' | head -n 30)"
fi

# ---- the search would find one: a base64 line of a kept key, planted in
# a copy of a log (outside the artifacts, and not a *.log here)
mkdir -p "$T_TMP/plant"
log=$(find "$ART" -path '*/secrets' -prune -o -path "$ART/98-secrets" -prune -o -type f -name '*.log' -print | head -n 1)
key=$(ls "$ART"/*/secrets/key-*.pem 2>/dev/null | head -n 1)
if [ -z "$log" ] || [ -z "$key" ]; then
	not_ok "a log and a kept key to plant with" "log: '${log}' key: '${key}'"
else
	cp "$log" "$T_TMP/plant/copy.txt"
	sed -n '5p' "$key" >>"$T_TMP/plant/copy.txt"
	out=$("$T_PYTHON" "$SCAN" "$ART" "$T_TMP/plant/copy.txt" 2>&1)
	rc=$?
	is "a planted key line is found (exit 1)" "$rc" 1
	like "... named by file and kind" "$out" "leak: $T_TMP/plant/copy.txt: a private key"
	planted=$(sed -n '5p' "$key")
	if printf '%s' "$out" | grep -qF -- "$planted"; then
		not_ok "... and the secret itself is not shown"
	else
		ok "... and the secret itself is not shown"
	fi
	cp "$log" "$T_TMP/plant/copy2.txt"
	printf 'token=%s\n' 'privileges-e2e-secret' >>"$T_TMP/plant/copy2.txt"
	mkdir -p "$ART/98-secrets/secrets"
	cp "$D/secret" "$ART/98-secrets/secrets/webhook-plant"
	out=$("$T_PYTHON" "$SCAN" "$ART" "$T_TMP/plant/copy2.txt" 2>&1)
	like "a planted webhook secret is found" "$out" "copy2.txt: a webhook secret"
	rm -f "$ART/98-secrets/secrets/webhook-plant"
fi

done_testing
