#!/usr/bin/env bash
# tour.sh: the newcomer's tour of Warden, driven by the real aws CLI.
#
# It creates a user, a group and a managed policy, attaches the policy to the
# group, puts the user in the group, gives the user an access key and asks STS
# who that key belongs to; then it checks a few errors and cleans up. Every
# output is checked: the script stops with "tour: FAIL: ..." at the first wrong
# value.
#
# Environment:
#   WARDEN_URL                                 the server, e.g. http://127.0.0.1:8080
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   root credentials of an account
#   AWS_DEFAULT_REGION                         default us-east-1
#   AWS_CLI                                    default /usr/bin/aws
set -euo pipefail

: "${WARDEN_URL:?set WARDEN_URL to the server, e.g. http://127.0.0.1:8080}"
: "${AWS_ACCESS_KEY_ID:?set AWS_ACCESS_KEY_ID to a root access key}"
: "${AWS_SECRET_ACCESS_KEY:?set AWS_SECRET_ACCESS_KEY to its secret}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_PAGER=""
export AWS_MAX_ATTEMPTS=1
cli="${AWS_CLI:-/usr/bin/aws}"
[[ -x "$cli" ]] || { echo "tour: FAIL: no aws CLI at $cli (apt-get install awscli)" >&2; exit 1; }

fail() { echo "tour: FAIL: $*" >&2; exit 1; }
step() { echo "==> $*"; }
# aws runs the CLI against Warden.
aws() { "$cli" --endpoint-url "$WARDEN_URL" "$@"; }
# expect NAME GOT WANT fails unless GOT is WANT.
expect() { [[ "$2" == "$3" ]] || fail "$1: got '$2', want '$3'"; }
# expect_error CODE CMD... runs CMD, which must fail and name the AWS error CODE.
expect_error() {
	local code=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "'$*' succeeded; want error $code. Output: $out"
	fi
	[[ "$out" == *"$code"* ]] || fail "'$*' failed without mentioning $code: $out"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A suffix keeps names unique, so the tour can run again on the same account.
run="${TOUR_RUN:-$RANDOM$RANDOM}"
user="alice-$run"
group="readers-$run"
policy="read-reports-$run"

step "who am I (root)"
root_arn=$(aws sts get-caller-identity --query Arn --output text)
account=$(aws sts get-caller-identity --query Account --output text)
[[ "$account" =~ ^[0-9]{12}$ ]] || fail "account ID '$account' is not 12 digits"
expect "root ARN" "$root_arn" "arn:aws:iam::$account:root"

step "iam create-user $user"
out=$(aws iam create-user --user-name "$user" --tags Key=team,Value=reports \
	--query '[User.Arn, User.UserId, User.Path]' --output text)
read -r user_arn user_id user_path <<<"$out"
expect "user ARN" "$user_arn" "arn:aws:iam::$account:user/$user"
[[ "$user_id" =~ ^AIDA[A-Z0-9]{17}$ ]] || fail "user ID '$user_id' is not AIDA + 17 characters"
expect "user path" "$user_path" "/"
# shellcheck disable=SC2016 # the backquotes are JMESPath literals
expect "user tag" "$(aws iam get-user --user-name "$user" --query 'User.Tags[?Key==`team`].Value' --output text)" "reports"

step "iam create-group $group"
expect "group ARN" "$(aws iam create-group --group-name "$group" --query Group.Arn --output text)" \
	"arn:aws:iam::$account:group/$group"

step "iam create-policy $policy (file:// document)"
cat >"$tmp/policy.json" <<'EOF'
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadReports",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]
    }
  ]
}
EOF
policy_arn=$(aws iam create-policy --policy-name "$policy" --policy-document "file://$tmp/policy.json" \
	--description "Read the reports bucket" --query Policy.Arn --output text)
expect "policy ARN" "$policy_arn" "arn:aws:iam::$account:policy/$policy"
out=$(aws iam get-policy-version --policy-arn "$policy_arn" --version-id v1 \
	--query '[PolicyVersion.IsDefaultVersion, PolicyVersion.Document.Statement[0].Sid, PolicyVersion.Document.Statement[0].Resource[1]]' \
	--output text)
expect "policy version v1 (default, document round trip)" "$out" $'True\tReadReports\tarn:aws:s3:::reports/*'

step "iam attach-group-policy"
aws iam attach-group-policy --group-name "$group" --policy-arn "$policy_arn"
expect "attached policy" "$(aws iam list-attached-group-policies --group-name "$group" \
	--query 'AttachedPolicies[].PolicyArn' --output text)" "$policy_arn"
expect "attachment count" "$(aws iam get-policy --policy-arn "$policy_arn" --query Policy.AttachmentCount --output text)" "1"

step "iam add-user-to-group"
aws iam add-user-to-group --group-name "$group" --user-name "$user"
expect "group members" "$(aws iam get-group --group-name "$group" --query 'Users[].UserName' --output text)" "$user"
expect "user's groups" "$(aws iam list-groups-for-user --user-name "$user" --query 'Groups[].GroupName' --output text)" "$group"

step "iam create-access-key"
out=$(aws iam create-access-key --user-name "$user" \
	--query '[AccessKey.AccessKeyId, AccessKey.SecretAccessKey, AccessKey.Status]' --output text)
read -r key_id key_secret key_status <<<"$out"
[[ "$key_id" =~ ^AKIA[A-Z0-9]{16}$ ]] || fail "access key ID '$key_id' is not AKIA + 16 characters"
expect "secret length" "${#key_secret}" "40"
expect "key status" "$key_status" "Active"
expect "listed key" "$(aws iam list-access-keys --user-name "$user" --query 'AccessKeyMetadata[].AccessKeyId' --output text)" "$key_id"

step "sts get-caller-identity with $user's key"
out=$(AWS_ACCESS_KEY_ID="$key_id" AWS_SECRET_ACCESS_KEY="$key_secret" \
	aws sts get-caller-identity --query '[Arn, UserId, Account]' --output text)
expect "caller identity" "$out" "$user_arn"$'\t'"$user_id"$'\t'"$account"

step "errors a client must see"
expect_error NoSuchEntity aws iam get-user --user-name "nobody-$run"
expect_error EntityAlreadyExists aws iam create-user --user-name "${user^^}"
expect_error DeleteConflict aws iam delete-user --user-name "$user"
expect_error ValidationError aws iam create-user --user-name "no spaces allowed"
expect_error SignatureDoesNotMatch env AWS_SECRET_ACCESS_KEY="${key_secret%?}x" \
	"$cli" --endpoint-url "$WARDEN_URL" sts get-caller-identity
expect_error InvalidClientTokenId env AWS_ACCESS_KEY_ID=AKIAUNKNOWNKEY000000 \
	"$cli" --endpoint-url "$WARDEN_URL" sts get-caller-identity
expect_error AccessDenied env AWS_ACCESS_KEY_ID="$key_id" AWS_SECRET_ACCESS_KEY="$key_secret" \
	"$cli" --endpoint-url "$WARDEN_URL" iam list-users

step "clean up"
aws iam delete-access-key --user-name "$user" --access-key-id "$key_id"
aws iam remove-user-from-group --group-name "$group" --user-name "$user"
aws iam detach-group-policy --group-name "$group" --policy-arn "$policy_arn"
aws iam delete-user --user-name "$user"
aws iam delete-group --group-name "$group"
aws iam delete-policy --policy-arn "$policy_arn"
expect_error NoSuchEntity aws iam get-user --user-name "$user"

echo "tour: OK"
