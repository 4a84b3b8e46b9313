#!/usr/bin/env bash
# 60-s3: lib/s3 against moto_server with signature checking, through
# t/s3-probe.  A single PUT and a multipart upload come back byte for byte
# with x-amz-meta-sha256 (seen by s3_head, curl and boto3) and the SHA-256
# checksum; a leftover multipart upload of the key is aborted first (and
# only that one); a wrong secret is a 403 naming SignatureDoesNotMatch and
# never the secret; a server killed mid-upload is a clear failure and the
# rerun against a new server completes; a file that changes while it goes
# up is refused and leaves nothing behind; invalid keys make no request; a
# credentials file open to others is refused.
. "$(dirname "$0")/../lib/common.sh"
. "$T_DIR/lib/s3.sh"

need curl sha256sum md5sum cmp "$T_PYTHON"
P=$BUILD/t/s3-probe
[ -x "$P" ] || bail "no $P (make $P)"

s3_start eessi-test-bucket
ok "moto_server is up with signature checking"
R=us-east-1

# probe NAME ARGS...: runs s3-probe, its stdout in $T_TMP/NAME.out, stderr in
# $T_TMP/NAME.err.out; the exit status in $rc.
probe() {
	local name=$1
	shift
	"$P" "$@" >"$T_TMP/$name.out" 2>"$T_TMP/$name.err.out"
	rc=$?
	out=$(cat "$T_TMP/$name.out")
	err=$(cat "$T_TMP/$name.err.out")
}
# stat FIELD: a number of the put statistics line in $out
stat() { printf '%s\n' "$out" | sed -n "s/.*\\b$1 \\([0-9]*\\).*/\\1/p"; }

# boto3 as the other client: uploads KEY (the ids of KEY's unfinished
# multipart uploads), create KEY (starts one, with a part), meta KEY
# (metadata sha256, ChecksumSHA256, size, type).
cat >"$T_TMP/boto.py" <<'PY'
import os, sys
import boto3
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"],
                  region_name=os.environ["AWS_DEFAULT_REGION"])
b = os.environ["S3_BUCKET"]
cmd, key = sys.argv[1], sys.argv[2]
if cmd == "uploads":
    for u in s3.list_multipart_uploads(Bucket=b).get("Uploads", []):
        if u["Key"] == key:
            print(u["UploadId"])
elif cmd == "create":
    u = s3.create_multipart_upload(Bucket=b, Key=key)["UploadId"]
    s3.upload_part(Bucket=b, Key=key, UploadId=u, PartNumber=1, Body=b"left over")
    print(u)
elif cmd == "meta":
    h = s3.head_object(Bucket=b, Key=key, ChecksumMode="ENABLED")
    print(h["Metadata"].get("sha256", "-"), h.get("ChecksumSHA256", "-"),
          h["ContentLength"], h.get("ContentType", "-"))
PY
boto() { "$T_PYTHON" "$T_TMP/boto.py" "$@"; }
b64sha() { "$T_PYTHON" -c 'import base64, hashlib, sys
print(base64.b64encode(hashlib.sha256(open(sys.argv[1], "rb").read()).digest()).decode())' "$1"; }
# composite FILE: S3's checksum of FILE uploaded in parts of 16 MiB, the
# SHA-256 of the parts' SHA-256s (base64)
composite() { "$T_PYTHON" -c 'import base64, hashlib, sys
f, d = open(sys.argv[1], "rb"), b""
while (p := f.read(16 << 20)):
    d += hashlib.sha256(p).digest()
print(base64.b64encode(hashlib.sha256(d).digest()).decode())' "$1"; }
requests() { grep -c '"[A-Z]* /' "$T_TMP/moto.log"; }

# ---- a single PUT ------------------------------------------------------------
small=$T_TMP/artefact.tar.gz
head -c 300001 /dev/urandom >"$small"
sha=$(sha256sum <"$small" | cut -d' ' -f1)
key="eessi/2023.06/software/linux/x86_64/generic/1700000000/eessi 2023.06~x.tar.gz"
url="$S3_ENDPOINT/$S3_BUCKET/$("$P" key "$key")"
like "the key is encoded for the path" "$url" '/eessi%202023\.06~x\.tar\.gz$'

probe put --type application/gzip put "$S3_ENDPOINT" "$S3_BUCKET" $R "$key" "$small"
is "single PUT: exit 0" "$rc" 0
is "... no error output" "$err" ""
is "... no parts" "$(stat parts)" 0
is "... bytes sent: the file" "$(stat bytes)" 300001
is "... two requests (list leftovers, PUT)" "$(stat requests)" 2
is "... nothing aborted" "$(stat aborted)" 0

code=$(s3_curl -o "$T_TMP/back" -w '%{http_code}' "$url")
is "signed GET of the object: 200" "$code" 200
check "GET returns the same bytes" cmp "$small" "$T_TMP/back"
is "... same SHA-256" "$(sha256sum <"$T_TMP/back" | cut -d' ' -f1)" "$sha"

probe head head "$S3_ENDPOINT" "$S3_BUCKET" $R "$key"
is "s3_head: exists, size, x-amz-meta-sha256, ETag = MD5" "$out" \
	"exists 1 size 300001 sha256 $sha etag $(md5sum <"$small" | cut -d' ' -f1)"
hdr=$(s3_curl -I "$url" | tr -d '\r')
like "curl sees x-amz-meta-sha256" "$hdr" "^x-amz-meta-sha256: $sha$"
is "boto3 sees the metadata, the SHA-256 checksum and the type" "$(boto meta "$key")" \
	"$sha $(b64sha "$small") 300001 application/gzip"

probe data data "$S3_ENDPOINT" "$S3_BUCKET" $R eessi/meta.txt "small metadata"
is "s3_put_data: exit 0" "$rc" 0
is "... the object holds the text" "$(s3_curl "$S3_ENDPOINT/$S3_BUCKET/eessi/meta.txt")" "small metadata"
is "... with its x-amz-meta-sha256" "$(boto meta eessi/meta.txt | cut -d' ' -f1)" \
	"$(printf 'small metadata' | sha256sum | cut -d' ' -f1)"

# ---- multipart -----------------------------------------------------------------
big=$T_TMP/big.tar.gz
head -c $((80 * 1024 * 1024 + 12345)) /dev/urandom >"$big"
bigsha=$(sha256sum <"$big" | cut -d' ' -f1)
bigkey=eessi/2023.06/big.tar.gz
probe mp put "$S3_ENDPOINT" "$S3_BUCKET" $R $bigkey "$big"
is "multipart upload of 80 MiB: exit 0" "$rc" 0
is "... no error output" "$err" ""
is "... 6 parts of 16 MiB" "$(stat parts)" 6
is "... 9 requests (list, create, 6 parts, complete)" "$(stat requests)" 9
is "... the parts' bytes and the completing XML sent" \
	"$(( $(stat bytes) >= 83898425 && $(stat bytes) < 83898425 + 4096 ))" 1
like "moto saw the parts" "$(grep -c "PUT /$S3_BUCKET/$bigkey?partNumber=" "$T_TMP/moto.log")" '^6$'
probe bighead head "$S3_ENDPOINT" "$S3_BUCKET" $R $bigkey
like "s3_head: the whole size and SHA-256, a multipart ETag" "$out" \
	"^exists 1 size 83898425 sha256 $bigsha etag [0-9a-f]{32}-6$"
rm -f "$T_TMP/back"
code=$(s3_curl -o "$T_TMP/back" -w '%{http_code}' "$S3_ENDPOINT/$S3_BUCKET/$bigkey")
is "signed GET of the multipart object: 200" "$code" 200
check "... the same bytes" cmp "$big" "$T_TMP/back"
is "boto3 sees x-amz-meta-sha256" "$(boto meta $bigkey | cut -d' ' -f1)" "$bigsha"
is "... and the composite SHA-256 checksum of the parts (each part's checksum was sent)" \
	"$(boto meta $bigkey | cut -d' ' -f2)" "$(composite "$big")"
rm -f "$T_TMP/back"

# ---- a leftover multipart upload of the key is aborted first ----------------------
left=$(boto create "$key")
other=$(boto create "${key}.sig")
is "boto3 left an upload for the key" "$(boto uploads "$key")" "$left"
probe again put "$S3_ENDPOINT" "$S3_BUCKET" $R "$key" "$small"
is "PUT over a leftover upload: exit 0" "$rc" 0
is "... one leftover aborted" "$(stat aborted)" 1
is "... none left for the key" "$(boto uploads "$key")" ""
is "... the other key's upload untouched" "$(boto uploads "${key}.sig")" "$other"
like "... with an AbortMultipartUpload of it" "$(cat "$T_TMP/moto.log")" "\"DELETE /$S3_BUCKET/[^ ]*uploadId=$left HTTP"

# ---- a wrong secret ------------------------------------------------------------------
before=$(requests)
AWS_SECRET_ACCESS_KEY=not-the-secret-0123456789 probe wrong put "$S3_ENDPOINT" "$S3_BUCKET" $R eessi/wrong.tar.gz "$small"
isnt_zero=$([ "$rc" -ne 0 ] && echo yes)
is "wrong secret: non-zero exit" "$isnt_zero" yes
like "... 403 SignatureDoesNotMatch, named with the key" "$err" \
	'permission: S3 [A-Za-z]+ eessi/wrong\.tar\.gz: HTTP 403 Forbidden: SignatureDoesNotMatch'
unlike "... the secret it used is not in the message" "$err" 'not-the-secret'
unlike "... nor the real one" "$err" "$AWS_SECRET_ACCESS_KEY"
unlike "... nor a signature" "$err" 'Signature=|Authorization|AWS4-HMAC'
is "... one request only (no retry of a 403)" "$(( $(requests) - before ))" 1

# ---- a HEAD of a missing key; invalid keys make no request ---------------------------
probe missing head "$S3_ENDPOINT" "$S3_BUCKET" $R eessi/no/such.tar.gz
is "HEAD of a missing key: exists 0" "$rc:$out" "0:exists 0 size -1 sha256 - etag -"
before=$(requests)
for bad in /abs a//b a/../b a/./b ../a a/ "" "$(printf 'a\tb')" "caf$(printf '\303\251')"; do
	probe badkey put "$S3_ENDPOINT" "$S3_BUCKET" $R "$bad" "$small"
	like "invalid key '$bad' refused" "$rc:$err" '^1:s3-probe: invalid: S3 key'
done
probe badkey head "$S3_ENDPOINT" "$S3_BUCKET" $R a//b
like "... by s3_head too" "$rc:$err" '^1:s3-probe: invalid: S3 key'
probe badkey data "$S3_ENDPOINT" "$S3_BUCKET" $R ../x text
like "... and s3_put_data" "$rc:$err" '^1:s3-probe: invalid: S3 key'
is "... without any request to the server" "$(requests)" "$before"

# ---- the credentials file ----------------------------------------------------------------
creds=$T_TMP/credentials
printf '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wrong/default\n\n[bot]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	"$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$creds"
chmod 0644 "$creds"
noenv=(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=bot)
"${noenv[@]}" "$P" --credentials "$creds" put "$S3_ENDPOINT" "$S3_BUCKET" $R eessi/c.tar.gz "$small" \
	>"$T_TMP/creds644.out" 2>&1
rc=$?
is "credentials file with mode 0644: refused" "$rc" 1
like "... saying why" "$(cat "$T_TMP/creds644.out")" "credentials file $creds: mode 0644 lets group or others"
chmod 0600 "$creds"
"${noenv[@]}" "$P" --credentials "$creds" put "$S3_ENDPOINT" "$S3_BUCKET" $R eessi/c.tar.gz "$small" \
	>"$T_TMP/creds600.out" 2>&1
is "mode 0600, profile bot: the upload goes through" "$?" 0
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$P" --credentials "$creds" \
	head "$S3_ENDPOINT" "$S3_BUCKET" $R eessi/c.tar.gz >"$T_TMP/credsdef.out" 2>&1
like "profile default (an unknown key): refused, 403" "$(cat "$T_TMP/credsdef.out")" \
	'HTTP 403 Forbidden'
printf '[bot]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n' >"$T_TMP/credentials-broken"
chmod 0600 "$T_TMP/credentials-broken"
"${noenv[@]}" "$P" --credentials "$T_TMP/credentials-broken" creds >"$T_TMP/credsbroken.out" 2>&1
like "a profile without its secret: file:line and key named" "$(cat "$T_TMP/credsbroken.out")" \
	"$T_TMP/credentials-broken:1: \\[bot\\] aws_secret_access_key: missing"

# ---- a file that changes ----------------------------------------------------------------
probe changed --sha256 "$(printf x | sha256sum | cut -d' ' -f1)" put "$S3_ENDPOINT" "$S3_BUCKET" $R eessi/changed.tar.gz "$small"
like "single PUT of a file that is not the one hashed: refused" "$rc:$err" '^1:.*file changed'
probe changedhead head "$S3_ENDPOINT" "$S3_BUCKET" $R eessi/changed.tar.gz
is "... nothing uploaded" "$out" "exists 0 size -1 sha256 - etag -"

huge=$T_TMP/huge.tar.gz
head -c $((120 * 1024 * 1024)) /dev/urandom >"$huge"
hugekey=eessi/2023.06/changed-on-the-way.tar.gz
hugesha=$(sha256sum <"$huge" | cut -d' ' -f1)
# once the first part landed, a MiB near the end (not read yet) changes
"$P" --sha256 "$hugesha" put "$S3_ENDPOINT" "$S3_BUCKET" $R $hugekey "$huge" \
	>"$T_TMP/grow.out" 2>&1 &
pid=$!
wait_until 60 grep -q "PUT /$S3_BUCKET/$hugekey?partNumber=.* 200" "$T_TMP/moto.log"
dd if=/dev/urandom of="$huge" bs=1M count=1 seek=115 conv=notrunc status=none
wait $pid
rc=$?
like "multipart upload of a file changed on the way: refused" "$rc:$(cat "$T_TMP/grow.out")" \
	"^1:.*$huge: file changed while uploading \\(SHA-256"
is "... its upload aborted" "$(boto uploads $hugekey)" ""
probe changedhead head "$S3_ENDPOINT" "$S3_BUCKET" $R $hugekey
is "... no object" "$out" "exists 0 size -1 sha256 - etag -"
hugesha=$(sha256sum <"$huge" | cut -d' ' -f1)
hugekey=eessi/2023.06/huge.tar.gz

# ---- the server dies mid-upload; a new one takes the rerun ------------------------------
"$P" put "$S3_ENDPOINT" "$S3_BUCKET" $R $hugekey "$huge" >"$T_TMP/killed.out" 2>&1 &
pid=$!
wait_until 60 grep -q "PUT /$S3_BUCKET/$hugekey?partNumber=.* 200" "$T_TMP/moto.log"
mpid=$(cat "$T_TMP/moto.pid")
kill -9 "$mpid"
t0=$(date +%s)
wait "$mpid" 2>/dev/null
wait $pid
rc=$?
is "moto killed mid-upload: exit 1" "$rc" 1
like "... a clear error: which part, no answer" "$(cat "$T_TMP/killed.out")" \
	"s3-probe: (i/o|timeout): S3 [A-Za-z]+ ?[0-9]* $hugekey: no answer: "
like "... after retrying (1 s, 2 s, 4 s)" "$(( $(date +%s) - t0 ))" '^([5-9]|[1-9][0-9])$'
unlike "... no secret in it" "$(cat "$T_TMP/killed.out")" "$AWS_SECRET_ACCESS_KEY"

s3_start eessi-test-bucket
ok "a new moto_server (empty) with the bucket"
probe rerun put "$S3_ENDPOINT" "$S3_BUCKET" $R $hugekey "$huge"
is "the rerun completes" "$rc:$err" "0:"
is "... 8 parts" "$(stat parts)" 8
probe rerunhead head "$S3_ENDPOINT" "$S3_BUCKET" $R $hugekey
like "... the object is the whole file, with a multipart ETag" "$out" \
	"^exists 1 size 125829120 sha256 $hugesha etag [0-9a-f]{32}-8$"
s3_curl -o "$T_TMP/back" "$S3_ENDPOINT/$S3_BUCKET/$hugekey"
is "... its bytes are the file's" "$(sha256sum <"$T_TMP/back" | cut -d' ' -f1)" "$hugesha"
rm -f "$T_TMP/back" "$huge" "$big"

unlike "no output of the probe holds the secret" \
	"$(cat "$T_TMP"/*.out)" "$AWS_SECRET_ACCESS_KEY"

done_testing
