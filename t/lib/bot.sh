# t/lib/bot.sh - one bot instance for the end-to-end tests: its app.cfg,
# webhook secret, spool and logs, all under one directory.  Source it after
# t/lib/common.sh (and t/lib/github.sh when the bot talks to GitHub).
#
#   bot_setup DIR SECRET [APP_NAME]
#       writes DIR/app.cfg and DIR/secret (0600) and makes DIR/spool.
#       The handler and the consumer log to DIR/bot.log, the manager's
#       iteration to DIR/manager.log.  With github_start run before, the
#       github group points at the stand-in (GH_API_URL, GH_APP_ID,
#       GH_APP_KEY, GH_INSTALLATION_ID) with a token cache in DIR/tokens;
#       without, it holds placeholders (nothing talks to GitHub).
#
#   consumer_gone BIN SPOOL
#       true when no BIN/eessi-bot-manager --consume is running and the
#       consumers' lock (SPOOL/consumer.lock) is free: a killed or exiting
#       process leaves the process table (its command line unreadable) a
#       moment before the kernel closes its files and so lets go of the
#       lock; a manager iteration started in that moment would leave the
#       spool to the "other consumer".

bot_setup() {
	local d=$1 secret=$2 name=${3:-e2e-bot}
	local app_id=${GH_APP_ID:-123456} inst=${GH_INSTALLATION_ID:-12345678}
	local key=${GH_APP_KEY:-$d/app.pem} api=""
	[ -n "${GH_API_URL:-}" ] && api="api_url = \"$GH_API_URL\";"
	mkdir -p "$d/spool"
	printf '%s\n' "$secret" >"$d/secret"
	chmod 0600 "$d/secret"
	cat >"$d/app.cfg" <<CFG
github = {
  app_id = $app_id;
  app_name = "$name";
  installation_id = $inst;
  private_key = "$key";
  $api
  webhook_secret_file = "$d/secret";
  token_cache_dir = "$d/tokens";
};
buildenv = {
  build_job_script = "/nonexistent/bot-build.slurm";
  jobs_base_dir = "$d/jobs";
};
architecturetargets = {
  arch_target_map = ( { target = "linux/x86_64/generic"; } );
};
event_handler = {
  spool_dir = "$d/spool";
  log_file = "$d/bot.log";
};
job_manager = {
  job_ids_dir = "$d/jobs/ids";
  log_file = "$d/manager.log";
};
CFG
	touch "$d/bot.log"
}

#   bot_web_setup NAME SECRET
#       bot_setup in $T_TMP/NAME, then owned by www-data (mod_fcgid, and
#       spawn-fcgi with FCGI_USER, run the handler as www-data); prints the
#       directory.
bot_web_setup() {
	local d=$T_TMP/$1
	bot_setup "$d" "$2"
	chown -R "${WEB_USER:-www-data}" "$d" 2>/dev/null || true
	echo "$d"
}

consumer_gone() {
	! pgrep -f "^$1/eessi-bot-manager --consume" >/dev/null &&
		flock -n "$2/consumer.lock" true
}
