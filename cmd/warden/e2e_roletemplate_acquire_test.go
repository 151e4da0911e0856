package main

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func tagValue(tags []types.Tag, key string) string {
	for _, tg := range tags {
		if aws.ToString(tg.Key) == key {
			return aws.ToString(tg.Value)
		}
	}
	return ""
}

// AcquireRole of a role name that exists, through the SDK: a repeat answers
// the same role (authorized as iam:GetRole), new values of mutable
// parameters change it, an immutable parameter cannot change, and a name
// taken by a role not made from the template is NameConflict (409).
func TestE2ERoleTemplateAcquireAgain(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "service.json"), []byte(e2eTemplate), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, []string{"--role-templates", dir}, nil)
	ctx := context.Background()
	root := s.root()
	queues := []string{"arn:aws:sqs:us-east-1:" + testAccount + ":jobs"}
	first := res(root.AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"search"}, "Queues": queues}))).must(t).Role

	// A user allowed to read roles made from the template, not to make or
	// change them, gets the role again.
	res(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("reader")})).must(t)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRoleTemplateVersion","Resource":"` + e2eTemplateARN + `"},` +
		`{"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::` + testAccount + `:role/services/*",` +
		`"Condition":{"ArnEquals":{"iam:RoleTemplateARN":"` + e2eTemplateARN + `"}}}]}`
	res(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("reader"), PolicyName: aws.String("read"), PolicyDocument: aws.String(doc)})).must(t)
	key := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("reader")})).must(t).AccessKey
	reader := s.iamClient(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
	again := res(reader.AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"search"}, "Queues": queues, "CostCenter": {"100"}}))).must(t).Role
	if aws.ToString(again.RoleId) != aws.ToString(first.RoleId) || aws.ToString(again.Arn) != aws.ToString(first.Arn) ||
		again.SourceRoleTemplate == nil || aws.ToString(again.SourceRoleTemplate.TemplateArn) != e2eTemplateARN {
		t.Fatalf("repeat = %+v, first %+v", again, first)
	}
	// New values are a change, which reader may not make.
	more := append([]string{"arn:aws:sqs:us-east-1:" + testAccount + ":mail"}, queues...)
	_, err := reader.AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"search"}, "Queues": more}))
	wantErr(t, err, "AccessDenied", 403)

	// Root changes the mutable Queues: the same role, its policy refilled.
	changed := res(root.AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"search"}, "Queues": more}))).must(t).Role
	if aws.ToString(changed.RoleId) != aws.ToString(first.RoleId) {
		t.Fatalf("changed = %+v", changed)
	}
	policyDoc := func() string {
		pol := res(root.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("svc-search"), PolicyName: aws.String("queues")})).must(t)
		d, _ := url.QueryUnescape(aws.ToString(pol.PolicyDocument))
		return d
	}
	if d := policyDoc(); !strings.Contains(d, `"Resource":["`+more[0]+`","`+more[1]+`"]`) {
		t.Fatalf("inline policy after new values = %s", d)
	}

	// The immutable CostCenter cannot change; nothing of the request applies.
	_, err = root.AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"search"}, "Queues": queues, "CostCenter": {"200"}}))
	wantErrMessage(t, err, "InvalidInput", 400,
		`Parameter CostCenter of the role template `+e2eTemplateARN+` is immutable: the role svc-search was made with the value "100" and cannot change to "200".`)
	got := res(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("svc-search")})).must(t).Role
	if tagValue(got.Tags, "cost-center") != "100" || !strings.Contains(policyDoc(), more[0]) {
		t.Fatalf("the refused change applied: %+v, %s", got.Tags, policyDoc())
	}

	// A role of the name that the template did not make.
	res(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("svc-billing"), Path: aws.String("/services/"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})).must(t)
	// reader, who may not create it, learns nothing of it.
	_, err = reader.AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"billing"}, "Queues": queues}))
	wantErr(t, err, "AccessDenied", 403)
	_, err = root.AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"billing"}, "Queues": queues}))
	wantErrMessage(t, err, "NameConflict", 409, "conflicts with the existing role arn:aws:iam::"+testAccount+":role/services/svc-billing, which was not made from a role template")
	var nc *types.NameConflictException
	if !errors.As(err, &nc) {
		t.Errorf("the SDK does not read NameConflict as NameConflictException: %T", err)
	}
	plain := res(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("svc-billing")})).must(t).Role
	if plain.SourceRoleTemplate != nil || len(plain.Tags) != 0 {
		t.Errorf("the conflicting role changed: %+v", plain)
	}
}

// Two nodes on one PostgreSQL with the same template files: the values a
// role was acquired with on one node bind a later AcquireRole on the other.
func TestE2ERoleTemplateAcquireOnPostgreSQL(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "service.json"), []byte(e2eTemplate), 0o600); err != nil {
		t.Fatal(err)
	}
	dsn, env := sharedPostgres(t)
	a := startServer(t, []string{"--store", dsn, "--role-templates", dir}, env)
	b := startServer(t, []string{"--store", dsn, "--role-templates", dir}, env)
	ctx := context.Background()
	queues := []string{"arn:aws:sqs:us-east-1:" + testAccount + ":jobs"}
	made := res(a.root().AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"orders"}, "Queues": queues, "CostCenter": {"7"}}))).must(t).Role
	again := res(b.root().AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"orders"}, "Queues": queues, "CostCenter": {"7"}}))).must(t).Role
	if aws.ToString(again.RoleId) != aws.ToString(made.RoleId) {
		t.Fatalf("node B made another role: %s, node A %s", aws.ToString(again.RoleId), aws.ToString(made.RoleId))
	}
	_, err := b.root().AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"orders"}, "Queues": queues}))
	wantErrMessage(t, err, "InvalidInput", 400, `the role svc-orders was made with the value "7" and cannot change to "100"`)
	res(b.root().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("svc-audit"), Path: aws.String("/services/"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})).must(t)
	_, err = a.root().AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"audit"}, "Queues": queues}))
	wantErr(t, err, "NameConflict", 409)
}
