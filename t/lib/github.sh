# t/lib/github.sh - GitHub for the end-to-end tests: the stateful stand-in
# (t/tools/github-standin.py) behind `prism proxy --errors` with GitHub's own
# OpenAPI description, so requests and answers are both held to GitHub's
# contract.  Source it after t/lib/common.sh.
#
#   github_start [PRIVATE_KEY]  starts both (the stand-in appends every token
#       it issues to $T_TMP/github-standin.tokens, for 98-secrets.sh).  A
#       failure bails out of the test; with GH_START_SOFT=1 (the benchmarks)
#       it says why on stderr and returns 1 instead.  Exports
#       GH_API_URL          prism's URL: what the bot uses as github.api_url
#       GH_ADMIN_URL        the stand-in itself (admin endpoints /_admin/...)
#       GH_APP_ID GH_APP_KEY (private key, PKCS#1 PEM, mode 0600)
#       GH_INSTALLATION_ID
#   gh_seed JSONFILE | -     state for the stand-in (POST /_admin/seed)
#   gh_calls                 the calls the stand-in saw, as JSON
#   gh_state                 comments, reactions, labels, pulls, as JSON
#   gh_reset_calls
#   gh_fail JSON             next calls fail, e.g. '{"path":"/comments$","count":2,"status":502}'
#   gh_delay SECONDS         every GitHub call waits that long first (a slow GitHub)
#   gh_jwt [KEY [APP_ID [IAT_SHIFT [LIFETIME]]]]   an App JWT (RS256)
#   gh_token                 an installation token, fetched through the proxy
#   gh_py EXPR               evaluates a Python expression on JSON from stdin (as d)

# T_PYTHON (common.sh) is the interpreter itself, not pyenv's slow shim.
GH_APP_ID=${GH_APP_ID:-123456}
GH_INSTALLATION_ID=${GH_INSTALLATION_ID:-4242}

# gh_make_key FILE: a 2048-bit RSA key in PKCS#1 PEM, as GitHub hands App keys out.
gh_make_key() {
	(umask 077 && openssl genrsa -traditional -out "$1" 2048 2>/dev/null) &&
		chmod 0600 "$1"
}

# _gh_broke MESSAGE [DETAIL...]: github_start's failure (see GH_START_SOFT)
_gh_broke() {
	if [ "${GH_START_SOFT:-0}" = 1 ]; then
		printf 'github_start: %s\n' "$1" >&2
		[ $# -lt 2 ] || printf '%s\n' "${@:2}" | sed 's/^/  /' >&2
		return 1
	fi
	bail "$@"
}

github_start() {
	local prism=$T_DIR/node_modules/.bin/prism spec port_sa port_pr c
	for c in "$T_PYTHON" openssl curl node; do
		command -v "$c" >/dev/null 2>&1 ||
			{ _gh_broke "required tool '$c' is missing (run scripts/install-test-deps)"; return 1; }
	done
	[ -x "$prism" ] || { _gh_broke "prism is missing: run scripts/install-test-deps"; return 1; }

	GH_APP_KEY=${1:-$T_TMP/github-app.pem}
	if [ ! -f "$GH_APP_KEY" ]; then
		gh_make_key "$GH_APP_KEY" || { _gh_broke "cannot make an App key"; return 1; }
	fi
	openssl rsa -in "$GH_APP_KEY" -pubout -out "$T_TMP/github-app.pub" 2>/dev/null ||
		{ _gh_broke "cannot derive the App's public key from $GH_APP_KEY"; return 1; }

	spec=$("$T_PYTHON" "$T_DIR/tools/trim-openapi.py" --out "$BUILD/t/github-api.json") ||
		{ _gh_broke "cannot trim GitHub's OpenAPI description"; return 1; }

	port_sa=$(free_port)
	port_pr=$(free_port)
	while [ "$port_pr" = "$port_sa" ]; do port_pr=$(free_port); done
	GH_ADMIN_URL=http://127.0.0.1:$port_sa
	GH_API_URL=http://127.0.0.1:$port_pr

	bg_start "$T_TMP/github-standin.pid" "$T_TMP/github-standin.log" \
		"$T_PYTHON" "$T_DIR/tools/github-standin.py" --port "$port_sa" \
		--app-id "$GH_APP_ID" --app-public-key "$T_TMP/github-app.pub" \
		--installation-id "$GH_INSTALLATION_ID" --api-url "$GH_API_URL" \
		--token-log "$T_TMP/github-standin.tokens"
	bg_start "$T_TMP/prism.pid" "$T_TMP/prism.log" \
		"$prism" proxy --errors -h 127.0.0.1 -p "$port_pr" "$spec" "$GH_ADMIN_URL"

	wait_until 20 curl -sf -o /dev/null "$GH_ADMIN_URL/_admin/state" ||
		{ _gh_broke "github stand-in did not start" "$(tail -n 20 "$T_TMP/github-standin.log")"; return 1; }
	wait_port "$port_pr" 60 ||
		{ _gh_broke "prism did not start" "$(tail -n 20 "$T_TMP/prism.log")"; return 1; }
	export GH_API_URL GH_ADMIN_URL GH_APP_ID GH_APP_KEY GH_INSTALLATION_ID
}

# _gh_admin METHOD PATH [CURL-ARGS...]
_gh_admin() {
	local method=$1 path=$2
	shift 2
	curl -sS --fail-with-body -X "$method" "$@" "$GH_ADMIN_URL/_admin/$path"
}

gh_seed() {
	_gh_admin POST seed -H 'Content-Type: application/json' --data-binary "@$1"
}

gh_calls() { _gh_admin GET calls; }
gh_state() { _gh_admin GET state; }
gh_reset_calls() { _gh_admin POST reset-calls >/dev/null; }

gh_fail() {
	_gh_admin POST fail -H 'Content-Type: application/json' --data-binary "$1" >/dev/null
}

gh_delay() {
	_gh_admin POST delay -H 'Content-Type: application/json' \
		--data-binary "{\"seconds\": $1}" >/dev/null
}

gh_jwt() {
	"$T_PYTHON" - "${1:-$GH_APP_KEY}" "${2:-$GH_APP_ID}" "${3:-0}" "${4:-540}" <<'PY'
import base64, json, sys, time
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

key_file, app_id, shift, life = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(key_file, "rb") as f:
    key = serialization.load_pem_private_key(f.read(), None)
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
iat = int(time.time()) - 30 + shift   # GitHub's advice: backdate 30-60 s against clock drift
head = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"iat": iat, "exp": iat + life, "iss": app_id}).encode())
sig = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
print(f"{head}.{body}.{b64(sig)}")
PY
}

gh_token() {
	curl -sS --fail-with-body -X POST \
		-H "Authorization: Bearer $(gh_jwt "$GH_APP_KEY" "$GH_APP_ID")" \
		-H 'Accept: application/vnd.github+json' \
		"$GH_API_URL/app/installations/$GH_INSTALLATION_ID/access_tokens" |
		gh_py 'd["token"]'
}

gh_py() {
	"$T_PYTHON" -c 'import json, sys; d = json.load(sys.stdin); r = eval(sys.argv[1])
print(r if isinstance(r, str) else json.dumps(r))' "$1"
}
