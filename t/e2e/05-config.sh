#!/usr/bin/env bash
# t/e2e/05-config.sh - eessi-bot-manager --check-config on real files: the
# documented example passes; a broken file fails with every problem as
# FILE:LINE: group.key; a missing file fails with a clear message; the
# default file comes from $EESSI_BOT_CONFIG, else ./app.cfg; --help and
# --version work; a wrong command line exits 2 with a usage hint; with no
# action the manager runs one iteration, which needs a configuration; the
# job handover checks (delayed_begin never with --hold); the original bot's
# INI file refused naming the converter, which converts it (notes for what
# it cannot map) into a file that passes the check.
. "$(dirname "$0")/../lib/common.sh"

mgr=$BUILD/eessi-bot-manager
data=$T_DIR/data/conf
[ -x "$mgr" ] || bail "$mgr is missing (make first)"

# run VAR-PREFIX CMD...: sets ${VAR}_out (stdout+stderr), ${VAR}_so (stdout
# only) and ${VAR}_rc.
run() {
	local v=$1
	shift
	"$@" >"$T_TMP/so" 2>"$T_TMP/se"
	printf -v "${v}_rc" '%s' $?
	printf -v "${v}_so" '%s' "$(cat "$T_TMP/so")"
	printf -v "${v}_out" '%s' "$(cat "$T_TMP/so" "$T_TMP/se")"
}

# --- the example --------------------------------------------------------------
example=$TOP/conf/app.cfg.example
run ex env HOME=/home/bot USER=bot "$mgr" --check-config --file-only -c "$example"
is "example: exit 0" "$ex_rc" 0
is "example: stdout says OK" "$ex_so" "$example: OK"
unlike "example: no problem lines" "$ex_out" "^$example:[0-9]+: "

# --- a file with many problems ------------------------------------------------
many=$data/many.cfg
run bad "$mgr" --check-config --config "$many"
is "many.cfg: exit 1" "$bad_rc" 1
unlike "many.cfg: no OK" "$bad_so" "OK"
for want in \
	"4: github.app_id: does not fit in a plain integer" \
	"5: github.app_name: invalid value" \
	"6: github.installation_id: wrong type" \
	"7: github.private_key: not an absolute path" \
	"8: github.api_url: invalid value" \
	"9: github.app_secret: credentials never go in app.cfg" \
	"13: bot_control.command_permission\[1\]: invalid value" \
	"14: bot_control.chatlevel: invalid value" \
	"19: buildenv.jobs_base_dir: unsupported variable" \
	"20: buildenv.slurm_params\[1\]: wrong type" \
	"21: buildenv.local_tmpp: unknown key 'local_tmpp' in group 'buildenv' \(did you mean 'local_tmp'\?\)" \
	"24: deploycfg.bucket_name: missing required key" \
	"31: architecturetargets.arch_target_map\[0\].sbatch: wrong type" \
	"32: architecturetargets.arch_target_map\[1\].target: duplicate target" \
	"33: architecturetargets.arch_target_map\[2\].target: invalid value" \
	"38: repo_targets.repo_target_map\[0\].target: unknown target" \
	"42: event_handler.log_level: invalid value" \
	"45: job_manager.job_ids_dir: missing required key" \
	"46: job_manager.poll_interval: out of range"; do
	like "many.cfg:${want%%:*}: reported" "$bad_out" "^$many:$want"
done
is "many.cfg: 19 problem lines" \
	"$(printf '%s\n' "$bad_out" | grep -c "^$many:[0-9]*: ")" 19
like "many.cfg: the warning is marked" "$bad_out" \
	"^warning: $many:17: buildenv.build_permission: "

# --- other single problems ----------------------------------------------------
run grp "$mgr" --check-config -c "$data/missing-group.cfg"
is "missing group: exit 1" "$grp_rc" 1
like "missing group: named" "$grp_out" \
	"^$data/missing-group.cfg: missing required group 'job_manager'$"

run syn "$mgr" --check-config -c "$data/syntax.cfg"
is "syntax error: exit 1" "$syn_rc" 1
like "syntax error: file and line" "$syn_out" "^$data/syntax.cfg:4: syntax error$"

run inc "$mgr" --check-config -c "$data/include.cfg"
like "problem in an included file: named by its path" "$inc_out" \
	"^$data/include-github.inc:4: github.app_name: invalid value"

# delayed_begin with a --hold: nobody would release the jobs
run dh "$mgr" --check-config -c "$data/delayed-hold.cfg"
is "delayed_begin + --hold: exit 1" "$dh_rc" 1
like "delayed_begin + -H in slurm_params: file, line, key" "$dh_out" \
	"^$data/delayed-hold.cfg:14: buildenv.slurm_params: \"--hold\" with job_handover_protocol \"delayed_begin\": the jobs would never start"
like "delayed_begin + --hold in a target's sbatch: named" "$dh_out" \
	"^$data/delayed-hold.cfg:21: architecturetargets.arch_target_map\[1\].sbatch: "
run hb "$mgr" --check-config -c "$data/handover-bad.cfg"
like "job_handover_protocol: the valid values listed" "$hb_out" \
	"^$data/handover-bad.cfg:13: buildenv.job_handover_protocol: invalid value \(expected \"hold_release\" or \"delayed_begin\", got \"release_hold\"\)"
run dl "$mgr" --check-config --file-only -c "$data/delayed.cfg"
is "delayed_begin without slurm_params: OK, no warning" "$dl_rc/$dl_out" \
	"0/$data/delayed.cfg: OK"

# --- a missing file -----------------------------------------------------------
run miss "$mgr" --check-config -c "$T_TMP/nope.cfg"
is "missing file: exit 1" "$miss_rc" 1
is "missing file: one clear line" "$miss_out" \
	"$T_TMP/nope.cfg: cannot open: No such file or directory"

# --- where the file comes from ------------------------------------------------
mkdir -p "$T_TMP/cwd"
cp "$data/minimal.cfg" "$T_TMP/cwd/app.cfg"
run dflt env -u EESSI_BOT_CONFIG HOME=/home/bot bash -c \
	'cd "$1" && exec "$2" --check-config --file-only' _ "$T_TMP/cwd" "$mgr"
is "default ./app.cfg: exit 0" "$dflt_rc" 0
is "default ./app.cfg: checked" "$dflt_so" "app.cfg: OK"
run envf env EESSI_BOT_CONFIG="$data/minimal.cfg" HOME=/home/bot "$mgr" --check-config --file-only
is "\$EESSI_BOT_CONFIG: used" "$envf_so" "$data/minimal.cfg: OK"
run over env EESSI_BOT_CONFIG="$data/minimal.cfg" "$mgr" --check-config -c "$many"
is "-c wins over \$EESSI_BOT_CONFIG" "$over_rc" 1

# --- help, version, wrong command lines ---------------------------------------
run help "$mgr" --help
is "--help: exit 0" "$help_rc" 0
like "--help: mentions --check-config" "$help_so" "--check-config"
like "--help: has a synopsis" "$help_so" "SYNOPSIS"
like "--help: documents the exit status" "$help_so" "EXIT STATUS"
run h "$mgr" -h
is "-h: same as --help" "$h_so" "$help_so"
run ver "$mgr" --version
is "--version: exit 0" "$ver_rc" 0
like "--version: names the program" "$ver_so" "^eessi-bot-manager "

run bogus "$mgr" --frobnicate
is "unknown option: exit 2" "$bogus_rc" 2
like "unknown option: named" "$bogus_out" "frobnicate"
like "unknown option: usage hint" "$bogus_out" "--help"
run stray "$mgr" --check-config -c "$example" extra
is "stray argument: exit 2" "$stray_rc" 2
like "stray argument: named" "$stray_out" "unexpected argument 'extra'"
run noarg "$mgr" -c
is "-c without a file: exit 2" "$noarg_rc" 2
mkdir -p "$T_TMP/empty"
run none env -C "$T_TMP/empty" -u EESSI_BOT_CONFIG "$mgr"
is "no action = one iteration; without ./app.cfg: exit 1" "$none_rc" 1
like "no action: names the file it could not read" "$none_out" "app.cfg"

# --- the instance, not only the file: as the bot's account (--as nobody) -------
need openssl
I=$T_TMP/inst
mkdir -p "$I/bin" "$I/home" "$I/repos"
openssl genrsa -out "$I/key.pem" 2048 2>/dev/null || bail "no RSA key"
printf 'a-webhook-secret-of-some-length\n' >"$I/secret"
cp "$TOP/scripts/bot-build.slurm" "$I/bot-build.slurm"
for c in sbatch squeue scontrol scancel; do cp /bin/true "$I/bin/$c"; done
printf '[eessi-2023.06-software]\nrepo_name = software.eessi.io\n' >"$I/repos/repos.cfg"
chmod 0600 "$I/key.pem" "$I/secret"
chown -R nobody "$I"
chmod 0755 "$T_TMP" # nobody walks in
# inst_cfg FILE [SED-EXPRESSION]: a whole instance's app.cfg, changed by sed
inst_cfg() {
	sed -e "${2:-s/^//}" >"$1" <<EOF
github = { app_id = 1; app_name = "inst"; installation_id = 2;
  private_key = "$I/key.pem"; webhook_secret_file = "$I/secret";
  token_cache_dir = "\$HOME/tokens"; };
buildenv = { build_job_script = "$I/bot-build.slurm"; submit_command = "$I/bin/sbatch";
  jobs_base_dir = "\$HOME/jobs"; build_permission = [ "alice" ]; };
architecturetargets = { arch_target_map = ( { target = "linux/x86_64/generic"; } ); };
repo_targets = { repos_cfg_dir = "$I/repos";
  repo_target_map = ( { target = "linux/x86_64/generic"; repos = [ "eessi-2023.06-software" ]; } ); };
event_handler = { spool_dir = "\$HOME/spool"; };
job_manager = { job_ids_dir = "\$HOME/jobs/ids"; poll_command = "$I/bin/squeue";
  scontrol_command = "$I/bin/scontrol"; scancel_command = "$I/bin/scancel"; };
EOF
	chmod 0644 "$1"
}
# as_nobody NAME FILE [HOME]: --check-config --as nobody with HOME
as_nobody() {
	run "$1" env HOME=/ "$mgr" --check-config --as nobody -c "$2"
}
usermod_home() { :; } # nobody's home is /nonexistent: the first case below
inst_cfg "$T_TMP/good.cfg" "s|\\\$HOME|$I/home|g"
as_nobody good "$T_TMP/good.cfg"
is "instance: a whole one passes as its account" "$good_rc" 0
is "instance: OK" "$good_so" "$T_TMP/good.cfg: OK"
# case NAME SED WANT: one broken instance, refused with the key, the path, the fix
case_() {
	inst_cfg "$T_TMP/$1.cfg" "$2"
	as_nobody c "$T_TMP/$1.cfg"
	is "instance, $1: refused" "$c_rc" 1
	like "instance, $1: key, path and fix" "$c_out" "$3"
}
case_ no-home "s|^||" \
	'buildenv.jobs_base_dir: /nonexistent/jobs: under \$HOME \(/nonexistent\), which does not exist; fix: give the account a home \(usermod -d DIR -m nobody\)'
H="s|\\\$HOME|$I/home|g"
case_ key-missing "$H; s|$I/key.pem|$I/nokey.pem|" \
	"github.private_key: $I/nokey.pem: No such file or directory; fix: put the file there"
cp "$I/key.pem" "$I/rootkey.pem" && chown root "$I/rootkey.pem" && chmod 0600 "$I/rootkey.pem"
case_ key-unreadable "$H; s|$I/key.pem|$I/rootkey.pem|" \
	"github.private_key: $I/rootkey.pem: this account cannot read it; fix: chown nobody $I/rootkey.pem"
printf 'not a key\n' >"$I/junk.pem" && chown nobody "$I/junk.pem" && chmod 0600 "$I/junk.pem"
case_ key-not-rsa "$H; s|$I/key.pem|$I/junk.pem|" \
	"github.private_key: $I/junk.pem: not an RSA private key in PEM"
case_ sbatch-missing "$H; s|$I/bin/sbatch|$I/bin/no-sbatch|" \
	"buildenv.submit_command: $I/bin/no-sbatch: No such file or directory; fix: install it"
case_ squeue-missing "$H; s|$I/bin/squeue|/usr/local/bin/no-squeue|" \
	"job_manager.poll_command: /usr/local/bin/no-squeue: No such file or directory"
case_ job-script-missing "$H; s|$I/bot-build.slurm|$I/no-job-script|" \
	"buildenv.build_job_script: $I/no-job-script: No such file or directory; fix: put the file there"
inst_cfg "$T_TMP/no-secret.cfg" "$H; s| webhook_secret_file = \"$I/secret\";||"
run c env -u GITHUB_APP_SECRET_TOKEN HOME=/ "$mgr" --check-config --as nobody -c "$T_TMP/no-secret.cfg"
is "instance, no-secret: refused" "$c_rc" 1
like "instance, no-secret: key, and the fix" "$c_out" \
	"github.webhook_secret_file: \\(unset\\): no webhook secret: neither this file nor \\\$GITHUB_APP_SECRET_TOKEN; fix: write"
mkdir -p "$I/rootonly" && chown root "$I/rootonly" && chmod 0755 "$I/rootonly"
case_ jobs-dir-not-creatable "$H; s|jobs_base_dir = \"$I/home/jobs\"|jobs_base_dir = \"$I/rootonly/jobs\"|" \
	"buildenv.jobs_base_dir: $I/rootonly/jobs: does not exist and this account cannot make it \\($I/rootonly is not writable\\); fix: mkdir -p $I/rootonly/jobs && chown nobody $I/rootonly/jobs"
case_ no-repos-cfg "$H; s|repos_cfg_dir = \"$I/repos\"|repos_cfg_dir = \"$I/home\"|" \
	"repo_targets.repos_cfg_dir: $I/home/repos.cfg: No such file or directory"
run asu "$mgr" --check-config --as no-such-account-here -c "$T_TMP/good.cfg"
is "--as an account that does not exist: exit 1" "$asu_rc" 1
like "--as an account that does not exist: says so" "$asu_out" "no such account"
run fo env HOME=/nonexistent "$mgr" --check-config --file-only -c "$T_TMP/jobs-dir-not-creatable.cfg"
is "--file-only: the file alone passes" "$fo_rc" 0
run asi "$mgr" --as nobody -c "$T_TMP/good.cfg"
is "--as without --check-config: exit 2" "$asi_rc" 2

# --- coming from the original bot: eessi-bot-convert-config -------------------
conv=$BUILD/eessi-bot-convert-config
orig=$T_DIR/data/convert/original-v0.9.cfg
[ -x "$conv" ] || bail "$conv is missing (make first)"
run ini "$mgr" --check-config -c "$orig"
is "the original's INI file: refused" "$ini_rc" 1
like "the original's INI file: says what it is and names the converter" "$ini_out" \
	"original-v0.9.cfg: this is an INI file, as the original \(Python\) bot's app.cfg: convert it with eessi-bot-convert-config"
run cv "$conv" "$orig"
is "convert: exit 0" "$cv_rc" 0
like "convert: a line per thing not mapped, with file, line, section and key" "$cv_out" \
	"original-v0.9.cfg:28: \[buildenv\] job_name: not mapped"
like "convert: and the count" "$cv_out" "eessi-bot-convert-config: 20 things not mapped \(above\)"
printf '%s\n' "$cv_so" >"$T_TMP/converted.cfg"
run cc env HOME=/home/bot USER=bot "$mgr" --check-config --file-only -c "$T_TMP/converted.cfg"
is "convert: the result passes --check-config" "$cc_rc" 0
run co "$conv" -o "$T_TMP/new.cfg" "$orig"
is "convert -o: exit 0" "$co_rc" 0
is "convert -o: nothing on stdout" "$co_so" ""
is "convert -o: the same file" "$(cat "$T_TMP/new.cfg")" "$cv_so"
is "convert -o: mode 0640" "$(stat -c %a "$T_TMP/new.cfg")" 640
run again "$conv" -o "$T_TMP/new.cfg" "$orig"
is "convert -o onto an existing file: refused" "$again_rc" 1
like "convert -o onto an existing file: says so" "$again_out" "new.cfg"
is "convert -o onto an existing file: left as it was" "$(cat "$T_TMP/new.cfg")" "$cv_so"
run ours "$conv" "$example"
is "convert this bot's own file: refused" "$ours_rc" 1
like "convert this bot's own file: says why" "$ours_out" "needs no converting"
run cvu "$conv"
is "convert without a file: exit 2" "$cvu_rc" 2
run cvh "$conv" --help
is "convert --help: exit 0" "$cvh_rc" 0
like "convert --help: a manual page" "$cvh_so" "^SYNOPSIS"

done_testing
