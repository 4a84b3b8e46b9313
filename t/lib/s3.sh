# t/lib/s3.sh - an S3 endpoint for the end-to-end tests: moto_server (the
# machine's Python) with request signatures checked.  Source it after
# t/lib/common.sh.
#
#   s3_start [BUCKET]   starts moto_server on 127.0.0.1, creates an IAM user
#       allowed s3:*, turns moto's authentication on, creates the bucket with
#       a signed request.  Exports S3_ENDPOINT (http://127.0.0.1:PORT, use
#       path-style addressing), S3_BUCKET, AWS_ACCESS_KEY_ID,
#       AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION.
#   s3_curl ARGS...     curl with SigV4 signing by the exported credentials
#       (sets x-amz-content-sha256 for -T FILE uploads and empty bodies).
#
# moto accepts any signature by default.  Its IAM check is switched on by
# POST /moto-api/reset-auth with the number of requests still let through
# unauthenticated (here 0); from then on every S3 request must be signed with
# the key of an IAM user whose policy allows it, or moto answers 403.

# The interpreter itself rather than pyenv's shim, which costs ~0.4 s a call.
: "${T_PYTHON:=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3)}"
export T_PYTHON

s3_start() {
	local bucket=${1:-eessi-test-bucket} port out
	need moto_server "$T_PYTHON" curl
	port=$(free_port)
	S3_ENDPOINT=http://127.0.0.1:$port
	bg_start "$T_TMP/moto.pid" "$T_TMP/moto.log" moto_server -H 127.0.0.1 -p "$port"
	wait_until 30 curl -sf -o /dev/null "$S3_ENDPOINT/moto-api/" ||
		bail "moto_server did not start" "$(tail -n 20 "$T_TMP/moto.log")"

	out=$("$T_PYTHON" - "$S3_ENDPOINT" "$bucket" <<'PY'
import json, sys
import boto3, requests
endpoint, bucket = sys.argv[1:3]
region = "us-east-1"
iam = boto3.client("iam", endpoint_url=endpoint, region_name=region,
                   aws_access_key_id="setup", aws_secret_access_key="setup")
iam.create_user(UserName="eessi-bot")
iam.put_user_policy(UserName="eessi-bot", PolicyName="s3-all", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="eessi-bot")["AccessKey"]
# authentication on from the next request
r = requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=10)
r.raise_for_status()
s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region,
                  aws_access_key_id=key["AccessKeyId"],
                  aws_secret_access_key=key["SecretAccessKey"])
s3.create_bucket(Bucket=bucket)
print(key["AccessKeyId"], key["SecretAccessKey"], region)
PY
	) || bail "cannot set up moto_server" "$(tail -n 20 "$T_TMP/moto.log")"
	read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION <<<"$out"
	S3_BUCKET=$bucket
	export S3_ENDPOINT S3_BUCKET AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION
}

# s3_curl [-T FILE] ARGS...: the body's SHA-256 goes into x-amz-content-sha256,
# which curl signs but never adds by itself.
s3_curl() {
	local sha
	if [ "${1:-}" = -T ]; then
		sha=$(sha256sum <"$2" | cut -d' ' -f1)
	else
		sha=$(printf '' | sha256sum | cut -d' ' -f1)
	fi
	curl -sS --aws-sigv4 "aws:amz:${AWS_DEFAULT_REGION}:s3" \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: $sha" "$@"
}
