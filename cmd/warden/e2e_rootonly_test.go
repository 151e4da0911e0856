package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestE2ERootOnlyTasks checks that an administrator with AdministratorAccess
// is refused the root-only tasks, and root is not.
func TestE2ERootOnlyTasks(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "admin")
	res(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("admin"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})).must(t)
	key := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("admin")})).must(t).AccessKey
	admin := s.iamClient(*key.AccessKeyId, *key.SecretAccessKey)

	// The administrator can do IAM things...
	res(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("helper")})).must(t)
	// ...but not manage the root user's access keys, nor the billing setting,
	// nor close the account.
	rootOnly := []url.Values{
		{"Action": {"GetBillingAccess"}, "Version": {"2010-05-08"}},
		{"Action": {"SetBillingAccess"}, "Version": {"2010-05-08"}, "Enabled": {"true"}},
		{"Action": {"CloseAccount"}, "Version": {"2010-05-08"}, "AccountId": {testAccount}},
	}
	for _, form := range rootOnly {
		status, body := rawCall(t, s, "iam", *key.AccessKeyId, *key.SecretAccessKey, form)
		if status != 403 || !strings.Contains(body, "<Code>AccessDenied</Code>") || !strings.Contains(body, "root user") {
			t.Errorf("admin %s = %d %s", form.Get("Action"), status, body)
		}
	}

	// Billing actions are denied to IAM principals while the setting is off,
	// whatever their policies say, and decided by policies once root turns
	// it on.
	sim := func() string {
		out := res(root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String("arn:aws:iam::" + testAccount + ":user/admin"),
			ActionNames:     []string{"aws-portal:ViewBilling"}})).must(t)
		return string(out.EvaluationResults[0].EvalDecision)
	}
	if got := sim(); got == "allowed" {
		t.Fatalf("billing allowed to an admin while the setting is off")
	}
	status, body := rawCall(t, s, "iam", rootKeyID, rootSecret, url.Values{"Action": {"SetBillingAccess"}, "Version": {"2010-05-08"}, "Enabled": {"true"}})
	if status != 200 {
		t.Fatalf("root SetBillingAccess = %d %s", status, body)
	}
	status, body = rawCall(t, s, "iam", rootKeyID, rootSecret, url.Values{"Action": {"GetBillingAccess"}, "Version": {"2010-05-08"}})
	if status != 200 || !strings.Contains(body, "<Enabled>true</Enabled>") {
		t.Fatalf("root GetBillingAccess = %d %s", status, body)
	}
	if got := sim(); got != "allowed" {
		t.Fatalf("billing with the setting on = %s, want allowed", got)
	}

	// Closing the account needs its ID as confirmation, then every
	// credential of the account stops working.
	status, body = rawCall(t, s, "iam", rootKeyID, rootSecret, url.Values{"Action": {"CloseAccount"}, "Version": {"2010-05-08"}, "AccountId": {"999999999999"}})
	if status != 400 || !strings.Contains(body, "InvalidInput") {
		t.Fatalf("CloseAccount with the wrong ID = %d %s", status, body)
	}
	status, body = rawCall(t, s, "iam", rootKeyID, rootSecret, url.Values{"Action": {"CloseAccount"}, "Version": {"2010-05-08"}, "AccountId": {testAccount}})
	if status != 200 {
		t.Fatalf("CloseAccount = %d %s", status, body)
	}
	_, err := admin.ListUsers(ctx, &iam.ListUsersInput{})
	wantErr(t, err, "InvalidClientTokenId", 403)
	_, err = root.ListUsers(ctx, &iam.ListUsersInput{})
	wantErr(t, err, "InvalidClientTokenId", 403)
}
