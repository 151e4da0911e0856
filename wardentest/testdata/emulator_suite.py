"""An emulator-style test suite, run against `warden serve --dev`.

Written the way suites written for local AWS emulators are: boto3 clients
found through AWS_ENDPOINT_URL, made-up credentials, state reset through
POST /moto-api/reset before every test. wardentest/emulator_test.go runs it
against an in-process Warden; by hand:

    warden serve --dev &
    AWS_ENDPOINT_URL=http://127.0.0.1:8080 AWS_ACCESS_KEY_ID=testing \
    AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
        python3 wardentest/testdata/emulator_suite.py -v
"""

import concurrent.futures
import json
import os
import unittest
import urllib.request

import boto3
import botocore.config
import botocore.exceptions

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
ACCOUNT = os.environ.get("WARDEN_ACCOUNT_ID", "000000000000")
DEV_USER = os.environ.get("WARDEN_DEV_USER", "dev")
# No retries: a 5xx must show, not be retried away.
NO_RETRIES = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})


def client(service, key_id=None, secret=None, token=None):
    """A boto3 client of the environment's credentials, or of the given ones.

    The endpoint is given explicitly as well: botocore reads AWS_ENDPOINT_URL
    itself only from 1.31 on, and Debian 12 ships 1.29.
    """
    kw = {}
    if key_id:
        kw = {"aws_access_key_id": key_id, "aws_secret_access_key": secret, "aws_session_token": token}
    return boto3.client(service, endpoint_url=ENDPOINT, config=NO_RETRIES, **kw)


def reset(path="/moto-api/reset"):
    req = urllib.request.Request(ENDPOINT + path, method="POST", data=b"")
    with urllib.request.urlopen(req) as resp:
        return resp.status


def code(err):
    return err.response["Error"]["Code"]


def status(err):
    return err.response["ResponseMetadata"]["HTTPStatusCode"]


TRUST_ACCOUNT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})


class EmulatorSuite(unittest.TestCase):
    def setUp(self):
        self.assertEqual(reset(), 200)
        self.iam = client("iam")
        self.sts = client("sts")

    def user_with_key(self, name, policy_arns=(), inline=None):
        self.iam.create_user(UserName=name)
        for arn in policy_arns:
            self.iam.attach_user_policy(UserName=name, PolicyArn=arn)
        if inline:
            self.iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(inline))
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    def test_caller_identity_is_the_dev_user(self):
        who = self.sts.get_caller_identity()
        self.assertEqual(who["Arn"], f"arn:aws:iam::{ACCOUNT}:user/{DEV_USER}")
        self.assertEqual(who["Account"], ACCOUNT)
        self.assertRegex(who["UserId"], r"^AIDA[A-Z2-7]{17}$")
        other = client("sts", "AKIAOTHERMADEUPKEY01", "whatever").get_caller_identity()
        self.assertEqual(other["UserId"], who["UserId"])

    def test_users(self):
        self.iam.create_user(UserName="alice", Path="/team/", Tags=[{"Key": "team", "Value": "blue"}])
        user = self.iam.get_user(UserName="alice")["User"]
        self.assertEqual(user["Arn"], f"arn:aws:iam::{ACCOUNT}:user/team/alice")
        self.assertTrue(user["UserId"].startswith("AIDA"))
        names = [u["UserName"] for u in self.iam.list_users()["Users"]]
        self.assertEqual(names, ["alice"])  # the dev user is not listed
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.iam.create_user(UserName="ALICE")
        self.assertEqual(code(cm.exception), "EntityAlreadyExists")
        self.assertEqual(status(cm.exception), 409)
        self.iam.delete_user(UserName="alice")
        with self.assertRaises(self.iam.exceptions.NoSuchEntityException):
            self.iam.get_user(UserName="alice")
        self.assertEqual(self.iam.get_account_summary()["SummaryMap"]["Users"], 0)

    def test_groups(self):
        self.iam.create_group(GroupName="devs")
        self.iam.create_user(UserName="bob")
        self.iam.add_user_to_group(GroupName="devs", UserName="bob")
        group = self.iam.get_group(GroupName="devs")
        self.assertEqual([u["UserName"] for u in group["Users"]], ["bob"])
        groups = self.iam.list_groups_for_user(UserName="bob")["Groups"]
        self.assertEqual([g["GroupName"] for g in groups], ["devs"])
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.iam.delete_group(GroupName="devs")
        self.assertEqual(code(cm.exception), "DeleteConflict")

    def test_policies(self):
        doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
        arn = self.iam.create_policy(PolicyName="read-objects", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
        self.assertEqual(arn, f"arn:aws:iam::{ACCOUNT}:policy/read-objects")
        self.iam.create_user(UserName="carol")
        self.iam.attach_user_policy(UserName="carol", PolicyArn=arn)
        attached = self.iam.list_attached_user_policies(UserName="carol")["AttachedPolicies"]
        self.assertEqual([p["PolicyArn"] for p in attached], [arn])
        version = self.iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
        self.assertEqual(version["Document"]["Statement"][0]["Action"], "s3:GetObject")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.iam.create_policy(PolicyName="broken", PolicyDocument="{not json")
        self.assertEqual(code(cm.exception), "MalformedPolicyDocument")

    def test_access_keys(self):
        key_id, secret = self.user_with_key("dave")
        self.assertTrue(key_id.startswith("AKIA"))
        self.assertEqual(len(secret), 40)
        keys = self.iam.list_access_keys(UserName="dave")["AccessKeyMetadata"]
        self.assertEqual([k["AccessKeyId"] for k in keys], [key_id])
        who = client("sts", key_id, secret).get_caller_identity()
        self.assertEqual(who["Arn"], f"arn:aws:iam::{ACCOUNT}:user/dave")
        # A known key is checked: a wrong secret is refused.
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            client("sts", key_id, "wrong" + secret[5:]).get_caller_identity()
        self.assertEqual(code(cm.exception), "SignatureDoesNotMatch")
        self.iam.delete_access_key(UserName="dave", AccessKeyId=key_id)

    def test_assume_role_with_the_dev_identity(self):
        role = self.iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]
        self.iam.attach_role_policy(RoleName="deployer", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        creds = self.sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ci")["Credentials"]
        self.assertTrue(creds["AccessKeyId"].startswith("ASIA"))
        sess_sts = client("sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        self.assertEqual(sess_sts.get_caller_identity()["Arn"], f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/ci")
        sess_iam = client("iam", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        sess_iam.list_roles()
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            sess_iam.create_user(UserName="not-allowed")
        self.assertEqual(code(cm.exception), "AccessDenied")

    def test_created_user_is_denied_what_its_policies_do_not_allow(self):
        only_get_user = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}
        key_id, secret = self.user_with_key("erin", inline=only_get_user)
        erin = client("iam", key_id, secret)
        self.assertEqual(erin.get_user()["User"]["UserName"], "erin")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            erin.list_users()
        self.assertEqual(code(cm.exception), "AccessDenied")
        self.assertEqual(status(cm.exception), 403)
        self.assertIn(f"User: arn:aws:iam::{ACCOUNT}:user/erin is not authorized to perform: iam:ListUsers",
                      cm.exception.response["Error"]["Message"])
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            client("sts", key_id, secret).assume_role(
                RoleArn=f"arn:aws:iam::{ACCOUNT}:role/nothing", RoleSessionName="denied")
        self.assertEqual(code(cm.exception), "AccessDenied")

    def test_reset_endpoint(self):
        self.iam.create_user(UserName="frank")
        self.iam.create_account_alias(AccountAlias="my-dev-account")
        self.assertEqual(reset("/warden/reset"), 200)
        self.assertEqual(self.iam.list_users()["Users"], [])
        self.assertEqual(self.iam.list_account_aliases()["AccountAliases"], [])
        self.iam.create_user(UserName="frank")  # the name is free again

    def test_iam_user_writes_concurrently_without_5xx(self):
        writers = [self.user_with_key(f"writer{i}", ["arn:aws:iam::aws:policy/IAMFullAccess"]) for i in range(8)]

        def write(i):
            key_id, secret = writers[i % len(writers)]
            c = client("iam", key_id, secret)
            c.create_user(UserName=f"made-{i}")
            c.put_user_policy(UserName=f"made-{i}", PolicyName="p", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
            return i

        failures = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            for fut in [pool.submit(write, i) for i in range(64)]:
                try:
                    fut.result()
                except botocore.exceptions.ClientError as e:
                    failures.append((status(e), code(e), e.response["Error"].get("Message", "")))
                except botocore.exceptions.BotoCoreError as e:  # timeouts, dropped connections
                    failures.append((None, type(e).__name__, str(e)))
        self.assertEqual(failures, [])
        names = [u["UserName"] for u in self.iam.list_users(MaxItems=1000)["Users"]]
        self.assertEqual(len(names), 8 + 64)


if __name__ == "__main__":
    unittest.main()
