#!/usr/bin/env bash
# 65-deploy.sh - bot:deploy end to end, without Slurm: finished jobs are
# fabricated (records in job_ids_dir/finished/, job directories with
# _bot_job<ID>.result and real tarballs, a FAILURE job, a job still in
# submitted/), the label delivery goes through the webhook handler
# (eessi-bot-webhook --replay, which starts the consumer beside it), the
# GitHub stand-in behind prism takes the reply and its edits, and
# moto_server (signatures checked) is the S3 bucket.
#   - policies all / latest / once / none, each on a fresh bot directory
#     and bucket: the right objects at the right keys, bytes' sha256 =
#     the metadata's sha256sum = x-amz-meta-sha256; a row per artefact;
#   - a login not in deploy_permission: the refusal reply, nothing queued;
#   - the same delivery replayed: no second request, nothing PUT again;
#     a second, new label: rows "already uploaded", no PUT;
#   - no credentials: rows "not uploaded yet", the request pending;
#   - signatures (a signing command writing PATH.sig) beside tarball and
#     metadata; the command sees no credential;
#   - moto killed during an 80 MiB upload: "not uploaded yet", pending;
#     moto back: the next --deploy completes it;
#   - a normal manager iteration with a request waiting starts the deploy
#     run detached;
#   - no secret in any log.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/web.sh"
. "$T_DIR/lib/github.sh"
. "$T_DIR/lib/bot.sh"
. "$T_DIR/lib/s3.sh"

need curl tar sha256sum
for p in eessi-bot-webhook eessi-bot-manager; do
	[ -x "$BUILD/$p" ] || bail "no $BUILD/$p (make)"
done
mkdir -p "$T_TMP/bin"
cp "$BUILD/eessi-bot-webhook" "$BUILD/eessi-bot-manager" "$T_TMP/bin/"
BIN=$T_TMP/bin
REPO=e2e-org/software-layer
SECRET='deploy-e2e-secret-0123456789'
ZEN2=eessi-2023.06-software-linux-x86_64-amd-zen2
HASWELL=eessi-2023.06-software-linux-x86_64-intel-haswell
UUID0=3f1c2d4e-aa01-11ef-9c3b-0242ac120002

github_start || bail "GitHub stand-in did not start"
s3_start eessi-all || bail "moto_server did not start"

cat >"$T_TMP/seed.json" <<EOF
{"reset": true, "users": ["alice", "mallory"],
 "collaborators": {"$REPO": {"alice": "admin"}},
 "repos": [{"full_name": "$REPO"}],
 "pulls": [{"repo": "$REPO", "number": 7, "user": "alice", "title": "Add GROMACS",
            "head": {"ref": "gromacs", "sha": "1111111111111111111111111111111111111111",
                     "repo": "alice/software-layer"},
            "base": {"ref": "main", "sha": "2222222222222222222222222222222222222222"}}]}
EOF
gh_seed "$T_TMP/seed.json" >/dev/null || bail "cannot seed the stand-in"

# the signing command: PATH.sig, and what it saw of the environment
cat >"$T_TMP/sign" <<EOF
#!/bin/sh
env >>"$T_TMP/sign.env"
sha256sum "\$1" | cut -d' ' -f1 >"\$1.sig"
EOF
chmod 0755 "$T_TMP/sign"

uuid() { cat /proc/sys/kernel/random/uuid; }

# make_bot NAME POLICY BUCKET [EXTRA-DEPLOYCFG]: a bot directory with a
# deploycfg group; prints nothing, sets D
make_bot() {
	D=$T_TMP/$1
	bot_setup "$D" "$SECRET" e2e-deploy
	cat >>"$D/app.cfg" <<EOF
deploycfg = {
  endpoint_url = "$S3_ENDPOINT";
  bucket_name = "$3";
  region = "us-east-1";
  upload_policy = "$2";
  deploy_permission = [ "alice" ];
  no_deploy_permission_comment = "You may not deploy from e2e-deploy.";
  ${4:-}
};
EOF
	mkdir -p "$D/jobs/ids/finished" "$D/jobs/ids/submitted"
}

# make_job ID TARGET STATUS [ARTEFACT [BYTES [finished|submitted]]]
make_job() {
	local id=$1 target=$2 status=$3 art=${4:-} bytes=${5:-2000} where=${6:-finished}
	local jd=$D/jobs/pr_7/run_$id/${target//\//_}
	mkdir -p "$jd/payload"
	if [ -n "$art" ]; then
		head -c "$bytes" /dev/urandom >"$jd/payload/data.bin"
		tar -C "$jd" -czf "$jd/$art" payload
	fi
	{
		printf '[RESULT]\nstatus = %s\ncomment_description = e2e job %s\n' "$status" "$id"
		[ -n "$art" ] && printf 'artefacts =\n    %s\n' "$art"
	} >"$jd/_bot_job$id.result"
	cat >"$D/jobs/ids/$where/$id" <<EOF
[PR]
repo = $REPO
pr_number = 7
pr_comment_id = 1000

[JOB]
id = $id
instance = e2e-deploy
delivery = $UUID0
target = $target
repo_id = eessi.io-2023.06-software
accelerator = 
target_key = eessi.io-2023.06-software:${target//\//_}
job_dir = $jd
head_sha = 1111111111111111111111111111111111111111
base_ref = main
base_sha = 2222222222222222222222222222222222222222
merge_sha = 3333333333333333333333333333333333333333
requested_by = alice
submitted_at = 1795000000

[STATE]
state = held
changed_at = 1795000000
EOF
}

# the standard PR 7: two zen2 builds (100, 200), one haswell, a FAILURE,
# a job still running, an artefact not named as EESSI names them
standard_jobs() {
	make_job 4000001 linux/x86_64/amd/zen2 SUCCESS "$ZEN2-1700000100.tar.gz"
	make_job 4000002 linux/x86_64/amd/zen2 SUCCESS "$ZEN2-1700000200.tar.gz" 3000
	make_job 4000003 linux/x86_64/intel/haswell SUCCESS "$HASWELL-1700000150.tar.gz"
	make_job 4000004 linux/x86_64/generic FAILURE
	make_job 4000005 linux/aarch64/neoverse_v1 SUCCESS "" 0 submitted
	make_job 4000006 linux/x86_64/amd/zen3 SUCCESS "not-eessi-1.tar.gz"
}

# label FILE LOGIN: a pull_request labeled bot:deploy payload for PR 7
label() {
	webhook pick pull_request labeled \
		--set "/repository/full_name=\"$REPO\"" --set /number=7 \
		--set /pull_request/number=7 --set '/label/name="bot:deploy"' \
		--set "/pull_request/head/sha=\"${LABEL_HEAD:-1111111111111111111111111111111111111111}\"" \
		--set "/installation={\"id\":$GH_INSTALLATION_ID}" \
		--set "/sender/login=\"$2\"" --set '/sender/type="User"' >"$1"
}

# deliver ID LOGIN: the label through the handler (--replay); prints its
# answer once the consumer handled it
deliver() {
	local f=$T_TMP/delivery-$1 out
	label "$f.json" "$2"
	{ printf 'Request method: POST\r\ncontent-type: application/json\r\n'
	  printf 'X-GitHub-Delivery: %s\r\nX-GitHub-Event: pull_request\r\n' "$1"
	  printf 'X-Hub-Signature-256: sha256=stale\r\n\r\n'
	  cat "$f.json"; } >"$f.txt"
	out=$("$BIN/eessi-bot-webhook" -c "$D/app.cfg" --replay "$f.txt" 2>&1)
	wait_until 20 test -e "$D/spool/done/$1" -o -e "$D/spool/failed/$1"
	printf '%s\n' "$out"
}

deploy() { "$BIN/eessi-bot-manager" -c "$D/app.cfg" --deploy; }

# reply ID: the body of the bot's reply to delivery ID
reply() {
	gh_state | gh_py "'\n'.join(c['body'] for c in d['comments'] if c['body'].startswith('<!-- eessi-bot reply-to=delivery:$1 '))"
}
nreplies() {
	gh_state | gh_py "str(sum(1 for c in d['comments'] if c['body'].startswith('<!-- eessi-bot reply-to=delivery:$1 ')))"
}
# puts BUCKET: PUT requests moto saw for the bucket (parts included)
puts() { grep -c "\"PUT /$1/" "$T_TMP/moto.log"; }

# objects BUCKET: "KEY SIZE SHA256-OF-BYTES X-AMZ-META-SHA256" per object;
# the small objects' bytes are kept in $T_TMP/obj/BUCKET/KEY (object())
objects() {
	"$T_PYTHON" - "$S3_ENDPOINT" "$1" "$T_TMP/obj/$1" <<'PY'
import hashlib, os, sys, boto3
ep, bucket, keep = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=ep, region_name="us-east-1")
for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
    body = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
    meta = s3.head_object(Bucket=bucket, Key=o["Key"])["Metadata"].get("sha256", "-")
    print(o["Key"], len(body), hashlib.sha256(body).hexdigest(), meta)
    if len(body) < 1 << 20:
        path = os.path.join(keep, o["Key"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(body)
PY
}
# object BUCKET KEY: the object's bytes, as objects() kept them
object() { cat "$T_TMP/obj/$1/$2"; }
keys() { objects "$1" | cut -d' ' -f1 | sort | tr '\n' ' '; }
new_bucket() { s3_curl -f -o /dev/null -X PUT "$S3_ENDPOINT/$1"; }
# the original bot's layout: every '-' of the name a '/' (notes: bucket layout)
zkey() { echo "2023.06/software/linux/x86_64/amd/zen2/$1/$ZEN2-$1.tar.gz"; }
hkey() { echo "2023.06/software/linux/x86_64/intel/haswell/1700000150/$HASWELL-1700000150.tar.gz"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
jobfile() { ls "$D"/jobs/pr_7/run_$1/*/"$2"; }

# --- policy all, with signatures ------------------------------------------------
make_bot all all eessi-all "signing_command = [ \"$T_TMP/sign\" ];"
standard_jobs
# a job that made its artefact a symlink (to a file the bot may read)
ICE=eessi-2023.06-software-linux-x86_64-intel-icelake-1700000400.tar.gz
make_job 4000008 linux/x86_64/intel/icelake SUCCESS "$ICE"
ln -sf /etc/hostname "$(jobfile 4000008 "$ICE")"
ID=$(uuid)
like "all: the label is accepted" "$(deliver "$ID" alice)" '^202'
check "all: the delivery is done" test -e "$D/spool/done/$ID"
check "all: a request is pending" test -f "$D/jobs/ids/deploy/pending/$ID"
R=$(reply "$ID")
like "all: one reply says deploy queued" "$R" '@alice deploy queued: the next manager run \(within a minute\) uploads the PR.s successful artefacts under upload_policy all'
check "all: --deploy runs" deploy
check "all: the request moved to done/" test -f "$D/jobs/ids/deploy/done/$ID"
check "all: nothing left pending" test ! -e "$D/jobs/ids/deploy/pending/$ID"
Z1=$(zkey 1700000100) Z2=$(zkey 1700000200) H=$(hkey)
is "all: tarballs, metadata and signatures at their keys" "$(keys eessi-all)" \
	"$(printf '%s\n' "$Z1" "$Z1.sig" "$Z2" "$Z2.sig" "$H" "$H.sig" \
		"$Z1.meta.txt" "$Z1.meta.txt.sig" "$Z2.meta.txt" "$Z2.meta.txt.sig" \
		"$H.meta.txt" "$H.meta.txt.sig" | sort | tr '\n' ' ')"
OBJ=$(objects eessi-all)
for k in "$Z1" "$Z2" "$H"; do
	f=$(jobfile '*' "${k##*/}")
	read -r _ osize osha ometa <<<"$(printf '%s\n' "$OBJ" | grep "^$k ")"
	is "all: ${k##*/}: the bytes are the artefact's" "$osha" "$(sha "$f")"
	is "all: ${k##*/}: x-amz-meta-sha256 is the bytes' sha256" "$ometa" "$osha"
	is "all: ${k##*/}: size" "$osize" "$(stat -c %s "$f")"
	META=$(object eessi-all "$k.meta.txt")
	is "all: ${k##*/}: metadata sha256sum" "$(printf '%s' "$META" | gh_py 'd["payload"]["sha256sum"]')" "$osha"
	is "all: ${k##*/}: metadata filename, size, link2pr" \
		"$(printf '%s' "$META" | gh_py '" ".join([d["payload"]["filename"], str(d["payload"]["size"]), d["link2pr"]["repo"], str(d["link2pr"]["pr"]), d["deployed_by"]])')" \
		"${k##*/} $osize $REPO 7 alice"
	like "all: ${k##*/}: metadata url" "$(printf '%s' "$META" | gh_py 'd["payload"]["url"]')" "^$S3_ENDPOINT/eessi-all/$k\$"
	is "all: ${k##*/}: metadata values are strings, as the original's (jq --arg)" \
		"$(printf '%s' "$META" | gh_py '" ".join(type(v).__name__ for v in (d["payload"]["size"], d["payload"]["ctime"], d["link2pr"]["pr"], d["link2pr"]["pr_comment_id"]))')" \
		"str str str str"
	is "all: ${k##*/}: metadata ctime as \`date -r\` prints it" \
		"$(printf '%s' "$META" | gh_py 'd["payload"]["ctime"]')" "$(LC_ALL=C date -r "$f")"
	is "all: ${k##*/}: metadata pr_comment_id is the reply" \
		"$(printf '%s' "$META" | gh_py 'str(d["link2pr"]["pr_comment_id"])')" \
		"$(sed -n 's/^comment_id = //p' "$D/jobs/ids/deploy/done/$ID")"
	is "all: ${k##*/}: signature of the tarball" "$(object eessi-all "$k.sig")" "$(sha "$f")"
	is "all: ${k##*/}: signature of the metadata" "$(object eessi-all "$k.meta.txt.sig")" \
		"$(sha "$T_TMP/obj/eessi-all/$k.meta.txt")"
done
check "all: one ledger file per artefact" test "$(ls "$D/jobs/ids/deploy/uploaded" | wc -l)" -eq 3
unlike "signing command saw no credential or token" "$(cat "$T_TMP/sign.env")" 'AWS_|GITHUB|GH_|TOKEN|SECRET'
R=$(reply "$ID")
like "all: row for zen2 100" "$R" "\\| 4000001 \\| linux/x86_64/amd/zen2 \\| \`$ZEN2-1700000100.tar.gz\` \\| uploaded to s3://eessi-all/$Z1 \\([0-9.]+ KiB, sha256 [0-9a-f]{12}…\\) \\|"
like "all: row for zen2 200" "$R" "\\| 4000002 \\| .* \\| uploaded to s3://eessi-all/$Z2 "
like "all: row for haswell" "$R" "\\| 4000003 \\| .* \\| uploaded to s3://eessi-all/$H "
like "all: row for the FAILURE job" "$R" '\| 4000004 \| linux/x86_64/generic \| - \| nothing to upload: FAILURE \|'
like "all: row for the job not finished" "$R" '\| 4000005 \| linux/aarch64/neoverse_v1 \| - \| not finished: set the label bot:deploy again once it is \|'
like "all: row for the symlinked artefact" "$R" "\\| 4000008 \\| .*\`$ICE\` \\| not uploaded: not a regular file \\(a symlink\\?\\) \\|"
like "all: row for the badly named artefact" "$R" '\| 4000006 \| .*`not-eessi-1.tar.gz` \| not uploaded: not an EESSI tarball name'
like "all: the reply says done" "$R" 'deploy \(upload_policy all, bucket `eessi-all`, instance `e2e-deploy`\): done'
is "all: still one reply" "$(nreplies "$ID")" 1
like "all: one log line for the request" "$(cat "$D/manager.log")" "deploy $REPO#7 by alice: 7 rows: 3 uploaded, 0 already, 4 skipped, 0 not yet; reply [0-9]+ edited; done"
like "all: the figures line" "$(cat "$D/manager.log")" 'deploy: 1 requests, 1 done, 3 uploaded, 0 already, 4 skipped, 0 not yet; [0-9]+ bytes sent; [0-9]+ github calls; [0-9]+ ms'
PUTS=$(puts eessi-all)
is "all: 12 PUTs (3 x tarball, metadata, 2 signatures)" "$PUTS" 12

# the same delivery again: a duplicate, nothing new
like "redelivery: answered as a duplicate" "$(deliver "$ID" alice)" '^200'
is "redelivery: still one reply" "$(nreplies "$ID")" 1
check "redelivery: no new request" test -z "$(ls "$D/jobs/ids/deploy/pending")"
check "redelivery: --deploy runs" deploy
is "redelivery: no PUT" "$(puts eessi-all)" "$PUTS"

# a second label, a new delivery: everything is up already
ID2=$(uuid)
like "second label: accepted" "$(deliver "$ID2" alice)" '^202'
gh_reset_calls
check "second label: --deploy runs" deploy
is "second label: no PUT" "$(puts eessi-all)" "$PUTS"
R=$(reply "$ID2")
like "second label: zen2 100 already uploaded" "$R" "\\| 4000001 \\| .* \\| already uploaded: $Z1 \\|"
like "second label: haswell already uploaded" "$R" "\\| 4000003 \\| .* \\| already uploaded: $H \\|"
check "second label: done" test -f "$D/jobs/ids/deploy/done/$ID2"
is "second label: one edit, no other GitHub call" \
	"$(gh_calls | gh_py '" ".join(c["method"] for c in d if "access_tokens" not in c["path"])')" "PATCH"
# a request moved back by hand: its text is unchanged, no edit at all
mv "$D/jobs/ids/deploy/done/$ID2" "$D/jobs/ids/deploy/pending/$ID2"
gh_reset_calls
check "unchanged report: --deploy runs" deploy
is "unchanged report: no GitHub call" "$(gh_calls | gh_py 'str(len(d))')" 0
# a run that died after its PUTs, before the ledger file: the objects on
# the server are taken as uploaded (HEAD: x-amz-meta-sha256), none is sent
# again, and the ledger entry is written
Z1SHA=$(sha "$(jobfile 4000001 "$ZEN2-1700000100.tar.gz")")
rm "$D/jobs/ids/deploy/uploaded/$Z1SHA"
mv "$D/jobs/ids/deploy/done/$ID" "$D/jobs/ids/deploy/pending/$ID"
check "ledger entry lost: --deploy runs" deploy
is "ledger entry lost: no PUT" "$(puts eessi-all)" "$PUTS"
check "ledger entry lost: written again" test -f "$D/jobs/ids/deploy/uploaded/$Z1SHA"
like "ledger entry lost: the tarball found on the server" "$(cat "$D/manager.log")" \
	"deploy: $ZEN2-1700000100.tar.gz -> s3://eessi-all/$Z1 .*\(already on the server\)"
like "ledger entry lost: counted as already" "$(tail -n 2 "$D/manager.log")" \
	'by alice: 7 rows: 0 uploaded, 3 already, 4 skipped, 0 not yet; reply [0-9]+ unchanged; done'

# --- not allowed ----------------------------------------------------------------------
ID3=$(uuid)
like "mallory: answered" "$(deliver "$ID3" mallory)" '^202'
check "mallory: the delivery is done" test -e "$D/spool/done/$ID3"
R=$(reply "$ID3")
like "mallory: the refusal reply names the login" "$R" '^@mallory$'
like "mallory: the refusal reply says why" "$R" '^You may not deploy from e2e-deploy\.$'
is "mallory: one reply" "$(nreplies "$ID3")" 1
check "mallory: no request" test ! -e "$D/jobs/ids/deploy/pending/$ID3" -a ! -e "$D/jobs/ids/deploy/done/$ID3"
like "mallory: logged" "$(cat "$D/bot.log")" 'deploy refused: mallory is not in deploy_permission'

# --- policy latest ----------------------------------------------------------------------
new_bucket eessi-latest || bail "no bucket eessi-latest"
make_bot latest latest eessi-latest
standard_jobs
ID=$(uuid)
like "latest: accepted" "$(deliver "$ID" alice)" '^202'
check "latest: --deploy runs" deploy
is "latest: the newest zen2 and the haswell, with metadata" "$(keys eessi-latest)" \
	"$(printf '%s\n' "$Z2" "$Z2.meta.txt" "$H" "$H.meta.txt" | sort | tr '\n' ' ')"
R=$(reply "$ID")
like "latest: the older zen2 superseded" "$R" "\\| 4000001 \\| .* \\| not uploaded: a newer artefact for this target: $ZEN2-1700000200.tar.gz \\|"
like "latest: the newer zen2 uploaded" "$R" "\\| 4000002 \\| .* \\| uploaded to s3://eessi-latest/$Z2 "
is "latest: 4 PUTs" "$(puts eessi-latest)" 4

# --- policy once -----------------------------------------------------------------------
new_bucket eessi-once || bail "no bucket eessi-once"
make_bot once once eessi-once
standard_jobs
ID=$(uuid)
like "once: accepted" "$(deliver "$ID" alice)" '^202'
check "once: --deploy runs" deploy
is "once: as latest the first time" "$(keys eessi-once)" \
	"$(printf '%s\n' "$Z2" "$Z2.meta.txt" "$H" "$H.meta.txt" | sort | tr '\n' ' ')"
# a rebuild of zen2 (newer) and a new label: zen2 of this PR is up already
make_job 4000007 linux/x86_64/amd/zen2 SUCCESS "$ZEN2-1700000300.tar.gz"
ID2=$(uuid)
like "once: second label accepted" "$(deliver "$ID2" alice)" '^202'
check "once: second --deploy runs" deploy
R=$(reply "$ID2")
like "once: the rebuild is not uploaded" "$R" '\| 4000007 \| .* \| not uploaded: an artefact for this target of this pull request is uploaded already \(upload_policy once\) \|'
like "once: haswell already uploaded" "$R" "\\| 4000003 \\| .* \\| already uploaded: $H \\|"
is "once: nothing new in the bucket" "$(puts eessi-once)" 4

# --- policy none ------------------------------------------------------------------------
new_bucket eessi-none || bail "no bucket eessi-none"
make_bot none none eessi-none
standard_jobs
ID=$(uuid)
like "none: accepted" "$(deliver "$ID" alice)" '^202'
like "none: the reply names the policy" "$(reply "$ID")" 'under upload_policy none'
check "none: --deploy runs" deploy
is "none: nothing in the bucket" "$(keys eessi-none)" ""
is "none: no PUT" "$(puts eessi-none)" 0
like "none: rows say why" "$(reply "$ID")" "\\| 4000002 \\| .* \\| not uploaded: upload_policy is none \\|"
check "none: done" test -f "$D/jobs/ids/deploy/done/$ID"

# --- a push since the builds: the label is on another head --------------------------------
new_bucket eessi-pushed || bail "no bucket eessi-pushed"
make_bot pushed all eessi-pushed
standard_jobs
ID=$(uuid)
like "pushed: accepted" "$(LABEL_HEAD=4444444444444444444444444444444444444444 deliver "$ID" alice)" '^202'
like "pushed: the request keeps the head the label was set on" \
	"$(cat "$D/jobs/ids/deploy/pending/$ID")" '^head_sha = 4444444444444444444444444444444444444444$'
check "pushed: --deploy runs" deploy
is "pushed: nothing of the older head shipped" "$(keys eessi-pushed)" ""
is "pushed: no PUT" "$(puts eessi-pushed)" 0
like "pushed: rows say why" "$(reply "$ID")" \
	"\\| 4000002 \\| .* \\| not uploaded: built from 111111111111, not from 444444444444, the head bot:deploy was set on \\|"
check "pushed: done" test -f "$D/jobs/ids/deploy/done/$ID"

# --- no credentials -----------------------------------------------------------------------
new_bucket eessi-nocred || bail "no bucket eessi-nocred"
make_bot nocred all eessi-nocred
make_job 4000001 linux/x86_64/amd/zen2 SUCCESS "$ZEN2-1700000100.tar.gz"
ID=$(uuid)
like "no credentials: accepted" "$(deliver "$ID" alice)" '^202'
check "no credentials: --deploy exits 0" env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	"$BIN/eessi-bot-manager" -c "$D/app.cfg" --deploy
like "no credentials: the row says so" "$(reply "$ID")" '\| 4000001 \| .* \| not uploaded yet: no S3 credentials: .*tried again by the next manager run \|'
like "no credentials: the reply says in progress" "$(reply "$ID")" 'in progress'
check "no credentials: still pending" test -f "$D/jobs/ids/deploy/pending/$ID"
like "no credentials: logged" "$(cat "$D/manager.log")" 'deploy: no S3 credentials'
check "with credentials: --deploy runs" deploy
check "with credentials: done" test -f "$D/jobs/ids/deploy/done/$ID"
is "with credentials: uploaded" "$(keys eessi-nocred)" "$(printf '%s\n' "$Z1" "$Z1.meta.txt" | sort | tr '\n' ' ')"

# --- the manager's iteration starts the deploy run ------------------------------------
new_bucket eessi-iter || bail "no bucket eessi-iter"
make_bot iter all eessi-iter
make_job 4000001 linux/x86_64/amd/zen2 SUCCESS "$ZEN2-1700000100.tar.gz"
ID=$(uuid)
like "iteration: accepted" "$(deliver "$ID" alice)" '^202'
check "iteration: a manager iteration runs" "$BIN/eessi-bot-manager" -c "$D/app.cfg"
like "iteration: it started a deploy run" "$(cat "$D/manager.log")" 'deploy: requests wait; started .*eessi-bot-manager --deploy'
check "iteration: the detached run finished the request" wait_until 30 test -f "$D/jobs/ids/deploy/done/$ID"
is "iteration: uploaded" "$(keys eessi-iter)" "$(printf '%s\n' "$Z1" "$Z1.meta.txt" | sort | tr '\n' ' ')"
wait_until 10 grep -q 'deploy: 1 requests, 1 done' "$D/manager.log"
like "iteration: the deploy run's figures" "$(cat "$D/manager.log")" 'deploy: 1 requests, 1 done, 1 uploaded'
check "iteration: nothing pending, a second iteration starts nothing" "$BIN/eessi-bot-manager" -c "$D/app.cfg"
is "iteration: one start only" "$(grep -c 'started .*--deploy' "$D/manager.log")" 1
# the lock: a run while another holds it exits 0 at once
exec {LOCKFD}>"$D/jobs/ids/deploy/deploy.lock"
flock -n "$LOCKFD" || bail "cannot take the deploy lock"
check "lock held: --deploy exits 0" deploy
like "lock held: says so" "$(cat "$D/manager.log")" 'another deploy run is running \(lock .*deploy.lock\); nothing done'
exec {LOCKFD}>&-

# --- moto killed during a large upload ------------------------------------------------
new_bucket eessi-big || bail "no bucket eessi-big"
make_bot big all eessi-big
make_job 4000009 linux/x86_64/amd/zen2 SUCCESS "$ZEN2-1700000900.tar.gz" $((80 * 1024 * 1024))
BIGF=$(jobfile 4000009 "$ZEN2-1700000900.tar.gz")
ID=$(uuid)
like "big: accepted" "$(deliver "$ID" alice)" '^202'
deploy >"$T_TMP/big-deploy.out" 2>&1 &
DPID=$!
# the HEAD of the tarball's key is answered just before its upload starts
check "big: the run asks for the tarball's key" \
	wait_until 60 grep -q "\"HEAD /eessi-big/$(zkey 1700000900) " "$T_TMP/moto.log"
sleep 0.3
kill -9 "$(cat "$T_TMP/moto.pid")"
wait "$DPID"
is "big: --deploy exits 0 with the server gone" "$?" 0
like "big: the row says not uploaded yet" "$(reply "$ID")" "\\| 4000009 \\| .* \\| not uploaded yet: .*tried again by the next manager run \\|"
check "big: the request stays pending" test -f "$D/jobs/ids/deploy/pending/$ID"
check "big: no ledger entry" test -z "$(ls "$D/jobs/ids/deploy/uploaded" 2>/dev/null)"
like "big: figures count it as not yet" "$(cat "$D/manager.log")" 'deploy: 1 requests, 0 done, 0 uploaded, 0 already, 0 skipped, 1 not yet'
cp "$T_TMP/moto.log" "$T_TMP/moto-first.log"
OLD_SECRET=$AWS_SECRET_ACCESS_KEY
s3_start eessi-big || bail "moto_server did not start again"
sed -i "s|endpoint_url = \"[^\"]*\"|endpoint_url = \"$S3_ENDPOINT\"|" "$D/app.cfg"
check "big: the next --deploy runs" deploy
check "big: done" test -f "$D/jobs/ids/deploy/done/$ID"
K=$(zkey 1700000900)
read -r _ osize osha ometa <<<"$(objects eessi-big | grep "^$K ")"
is "big: the object is the artefact" "${osha:-none} ${osize:-0}" "$(sha "$BIGF") $(stat -c %s "$BIGF")"
is "big: x-amz-meta-sha256" "${ometa:-none}" "${osha:-}"
like "big: the row says uploaded" "$(reply "$ID")" "\\| 4000009 \\| .* \\| uploaded to s3://eessi-big/$K \\(80.0 MiB, sha256 [0-9a-f]{12}…\\) \\|"

# --- no secret in any log --------------------------------------------------------------
LOGS=$(find "$T_TMP" -name '*.log' ! -name 'moto*.log' ! -name 'prism.log' ! -name 'github-standin.log' -exec cat {} +)
unlike "no AWS secret in any log" "$LOGS" "$AWS_SECRET_ACCESS_KEY|$OLD_SECRET"
KEYLINE=$(sed -n 2p "$GH_APP_KEY")
unlike "no App key in any log" "$LOGS" "PRIVATE KEY|${KEYLINE:0:40}"
unlike "no token in any log" "$LOGS" 'ghs_[A-Za-z0-9]{20}'
unlike "no signature in any log" "$LOGS" 'Signature=|Credential='

done_testing
