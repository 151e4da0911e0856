#!/usr/bin/env bash
# simulator-rss.sh: the figure of issue 10 — SimulateCustomPolicy with 1,000
# actions x 1,000 resources from a user holding only IAMReadOnlyAccess —
# driven by the real aws CLI against a real `warden serve` process, whose
# peak resident set (VmHWM) it then reports.
#
# Usage: scripts/simulator-rss.sh [PAGES]   (default 20 pages of the answer)
# Environment: WARDEN_BIN (default: built into a temp dir), AWS_CLI (/usr/bin/aws).
set -euo pipefail

pages="${1:-20}"
cli="${AWS_CLI:-/usr/bin/aws}"
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
bin="${WARDEN_BIN:-}"
if [[ -z "$bin" ]]; then
	bin="$tmp/warden"
	go build -o "$bin" ./cmd/warden
fi
port=$((20000 + RANDOM % 20000))
export WARDEN_ROOT_PASSWORD='Root-Passw0rd!x' WARDEN_ROOT_ACCESS_KEY_ID=AKIAWARDENRSSROOT001 \
	WARDEN_ROOT_SECRET_ACCESS_KEY=wardenRssRootSecretKey0123456789abcdefgh
"$bin" serve --addr "127.0.0.1:$port" --data "$tmp/data" --account-id 123456789012 --throttle-rate 0 \
	>"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do grep -q '"warden ready"' "$tmp/err" && break; sleep 0.1; done
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_MAX_ATTEMPTS=1
aws() { "$cli" --endpoint-url "http://127.0.0.1:$port" "$@"; }
AWS_ACCESS_KEY_ID=$WARDEN_ROOT_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$WARDEN_ROOT_SECRET_ACCESS_KEY aws iam create-user --user-name auditor >/dev/null
AWS_ACCESS_KEY_ID=$WARDEN_ROOT_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$WARDEN_ROOT_SECRET_ACCESS_KEY aws iam attach-user-policy \
	--user-name auditor --policy-arn arn:aws:iam::aws:policy/IAMReadOnlyAccess
read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY < <(AWS_ACCESS_KEY_ID=$WARDEN_ROOT_ACCESS_KEY_ID \
	AWS_SECRET_ACCESS_KEY=$WARDEN_ROOT_SECRET_ACCESS_KEY aws iam create-access-key --user-name auditor \
	--query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
echo "server RSS at rest: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$pid/status)"

python3 - "$tmp/req.json" <<'PY'
import json, sys
json.dump({
    "PolicyInputList": [json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/*"}]})],
    "ActionNames": ["s3:Op%04d" % i for i in range(1000)],
    "ResourceArns": ["arn:aws:s3:::bucket/key%04d" % i for i in range(1000)],
}, open(sys.argv[1], "w"))
PY
marker=""
for page in $(seq "$pages"); do
	if [[ -n "$marker" ]]; then
		python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["Marker"]=sys.argv[2]; json.dump(r, open(sys.argv[1],"w"))' "$tmp/req.json" "$marker"
	fi
	aws iam simulate-custom-policy --no-paginate --cli-input-json "file://$tmp/req.json" --output json >"$tmp/page.json"
	read -r results resources marker < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(len(r["EvaluationResults"]), sum(len(e.get("ResourceSpecificResults",[])) for e in r["EvaluationResults"]), r.get("Marker",""))' "$tmp/page.json")
	echo "page $page: $results action(s), $resources resource results, marker ${#marker} chars"
	[[ -n "$marker" ]] || break
done
echo "server peak RSS (VmHWM): $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$pid/status)"
