package main

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/warden-iam/warden/oidc/oidctest"
)

// e2eTemplate is an operator's role template: minor version 1 (the
// default) makes a role with an inline policy, a managed policy and a tag;
// minor version 2 is disabled.
const e2eTemplate = `{
  "ManagedBy": "platform.example",
  "TemplateName": "ServiceRole",
  "MajorVersion": 1,
  "Description": "A service's role",
  "DefaultMinorVersion": 1,
  "Versions": [
    {"MinorVersion": 1,
     "RoleNamePattern": "svc-{{Service}}",
     "RolePathPattern": "/services/",
     "AssumeRolePolicyDocumentTemplate": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"{{Principal}}"},"Action":"sts:AssumeRole"}]},
     "InlinePolicyTemplates": [{"PolicyName": "queues", "PolicyDocument": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":["{{Queues}}"]}]}}],
     "ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
     "RoleTagsTemplate": [{"Key": "service", "Value": "{{Service}}"}, {"Key": "cost-center", "Value": "{{CostCenter}}"}],
     "MaxSessionDuration": 7200,
     "ParametersDefinition": [
       {"Name": "Service", "Type": "String", "IsRequired": true, "Description": "The service's name"},
       {"Name": "Principal", "Type": "String", "DefaultValue": "ecs-tasks.amazonaws.com"},
       {"Name": "Queues", "Type": "ArnList", "SubType": "sqs", "IsRequired": true},
       {"Name": "CostCenter", "Type": "Number", "SubType": "Integer", "Immutable": true, "DefaultValue": "100"}
     ]},
    {"MinorVersion": 2, "VersionEnabled": false,
     "RoleNamePattern": "svc2-{{Service}}",
     "AssumeRolePolicyDocumentTemplate": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]},
     "ParametersDefinition": [{"Name": "Service", "Type": "String", "IsRequired": true}]}
  ]
}`

const e2eTemplateARN = "arn:aws:iam::aws:role-template/platform.example/ServiceRole:1"

func TestE2ERoleTemplateServeRefusesBadTemplate(t *testing.T) {
	dir := t.TempDir()
	bad := strings.Replace(e2eTemplate, `"svc-{{Service}}"`, `"svc-{{Servce}}"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "service.json"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--role-templates", dir},
		func(string) string { return "" }, &out, &errOut, nil)
	if err == nil || !strings.Contains(err.Error(), "service.json") || !strings.Contains(err.Error(), "{{Servce}}") {
		t.Fatalf("serve with a bad template: %v", err)
	}
	// A template that repeats a built-in ARN is refused too.
	builtin, err := os.ReadFile("../../iam/roletemplates/ci-deploy.json")
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ci.json"), builtin, 0o600); err != nil {
		t.Fatal(err)
	}
	// (given this time by WARDEN_ROLE_TEMPLATES)
	getenv := func(k string) string {
		if k == "WARDEN_ROLE_TEMPLATES" {
			return dir
		}
		return ""
	}
	err = run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, getenv, &out, &errOut, nil)
	if err == nil || !strings.Contains(err.Error(), "defined twice") {
		t.Fatalf("serve with a duplicate template: %v", err)
	}
}

func acquireInput(arn string, values map[string][]string) *iam.AcquireRoleInput {
	in := &iam.AcquireRoleInput{TemplateArn: aws.String(arn), ReplacementValues: map[string]types.ReplacementValueEntry{}}
	for k, v := range values {
		in.ReplacementValues[k] = types.ReplacementValueEntry{Values: v}
	}
	return in
}

func TestE2ERoleTemplates(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "service.json"), []byte(e2eTemplate), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, []string{"--role-templates", dir}, nil)
	ctx := context.Background()
	root := s.root()

	v := res(root.GetRoleTemplateVersion(ctx, &iam.GetRoleTemplateVersionInput{TemplateArn: aws.String(e2eTemplateARN)})).must(t).RoleTemplateVersion
	if aws.ToInt32(v.MinorVersion) != 1 || aws.ToInt32(v.MajorVersion) != 1 || aws.ToInt32(v.DefaultMinorVersion) != 1 || !v.Enabled || !v.VersionEnabled ||
		aws.ToString(v.TemplateName) != "ServiceRole" || aws.ToString(v.TemplateArn) != e2eTemplateARN || v.ManagedByType != types.ManagedByTypeTypeService ||
		aws.ToString(v.ManagedByValue) != "platform.example" || aws.ToString(v.RoleNamePattern) != "svc-{{Service}}" ||
		aws.ToInt32(v.MaxSessionDuration) != 7200 || len(v.ManagedPolicyArns) != 1 || len(v.RoleTagsTemplate) != 2 {
		t.Fatalf("GetRoleTemplateVersion = %+v", v)
	}
	if len(v.ParametersDefinition) != 4 || v.ParametersDefinition[2].Type != types.ParameterTypeTypeArnList || !v.ParametersDefinition[0].IsRequired ||
		aws.ToString(v.ParametersDefinition[1].DefaultValue) != "ecs-tasks.amazonaws.com" || aws.ToString(v.ParametersDefinition[2].SubType) != "sqs" ||
		!v.ParametersDefinition[3].Immutable || v.ParametersDefinition[1].Immutable {
		t.Fatalf("ParametersDefinition = %+v", v.ParametersDefinition)
	}
	if len(v.InlinePolicyTemplates) != 1 {
		t.Fatalf("InlinePolicyTemplates = %+v", v.InlinePolicyTemplates)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(v.InlinePolicyTemplates[0].PolicyDocument)); !strings.Contains(doc, `"{{Queues}}"`) {
		t.Errorf("inline policy template = %s", doc)
	}
	v2 := res(root.GetRoleTemplateVersion(ctx, &iam.GetRoleTemplateVersionInput{TemplateArn: aws.String(e2eTemplateARN), MinorVersion: aws.Int32(2)})).must(t).RoleTemplateVersion
	if aws.ToInt32(v2.MinorVersion) != 2 || v2.VersionEnabled {
		t.Errorf("minor version 2 = %+v", v2)
	}
	_, err := root.GetRoleTemplateVersion(ctx, &iam.GetRoleTemplateVersionInput{TemplateArn: aws.String(e2eTemplateARN), MinorVersion: aws.Int32(7)})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.GetRoleTemplateVersion(ctx, &iam.GetRoleTemplateVersionInput{TemplateArn: aws.String(strings.Replace(e2eTemplateARN, ":1", ":2", 1))})
	wantErr(t, err, "NoSuchEntity", 404)
	civ := res(root.GetRoleTemplateVersion(ctx, &iam.GetRoleTemplateVersionInput{TemplateArn: aws.String("arn:aws:iam::aws:role-template/warden/CIDeployRoleTemplate:1")})).must(t).RoleTemplateVersion
	if civ.CreateTimestamp == nil || civ.CreateTimestamp.Year() != 2026 || aws.ToString(civ.ManagedByValue) != "warden" || len(civ.ParametersDefinition) != 7 {
		t.Errorf("built-in template = %+v", civ)
	}
	if trust, _ := url.QueryUnescape(aws.ToString(civ.AssumeRolePolicyDocumentTemplate)); !strings.Contains(trust, `"{{ProviderHost}}:sub"`) {
		t.Errorf("built-in trust template = %s", trust)
	}

	// A user acquires a role: allowed the template, and what making the
	// role does (CreateRole, TagRole, PutRolePolicy, AttachRolePolicy),
	// only for this template.
	queues := []string{"arn:aws:sqs:us-east-1:" + testAccount + ":jobs", "arn:aws:sqs:us-east-1:" + testAccount + ":mail"}
	values := map[string][]string{"Service": {"billing"}, "Queues": queues}
	res(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("builder")})).must(t)
	key := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("builder")})).must(t).AccessKey
	builder := s.iamClient(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
	_, err = builder.AcquireRole(ctx, acquireInput(e2eTemplateARN, values))
	wantErr(t, err, "AccessDenied", 403)
	allow := func(actions string) {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRoleTemplateVersion","Resource":"` + e2eTemplateARN + `"},` +
			`{"Effect":"Allow","Action":` + actions + `,"Resource":"arn:aws:iam::` + testAccount + `:role/services/*",` +
			`"Condition":{"ArnEquals":{"iam:RoleTemplateARN":"` + e2eTemplateARN + `"}}}]}`
		res(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("builder"), PolicyName: aws.String("templates"), PolicyDocument: aws.String(doc)})).must(t)
	}
	allow(`["iam:CreateRole","iam:TagRole","iam:PutRolePolicy"]`)
	_, err = builder.AcquireRole(ctx, acquireInput(e2eTemplateARN, values))
	wantErr(t, err, "AccessDenied", 403) // no iam:AttachRolePolicy
	_, err = root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("svc-billing")})
	wantErr(t, err, "NoSuchEntity", 404)
	// The same user may not create a role of that path without the template.
	allow(`["iam:CreateRole","iam:TagRole","iam:PutRolePolicy","iam:AttachRolePolicy"]`)
	_, err = builder.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("by-hand"), Path: aws.String("/services/"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	wantErr(t, err, "AccessDenied", 403)

	role := res(builder.AcquireRole(ctx, acquireInput(e2eTemplateARN, values))).must(t).Role
	if aws.ToString(role.RoleName) != "svc-billing" || aws.ToString(role.Path) != "/services/" || aws.ToInt32(role.MaxSessionDuration) != 7200 ||
		aws.ToString(role.Arn) != "arn:aws:iam::"+testAccount+":role/services/svc-billing" || !strings.HasPrefix(aws.ToString(role.RoleId), "AROA") ||
		role.SourceRoleTemplate == nil || aws.ToString(role.SourceRoleTemplate.TemplateArn) != e2eTemplateARN || aws.ToInt32(role.SourceRoleTemplate.TemplateMinorVersion) != 1 {
		t.Fatalf("AcquireRole = %+v", role)
	}
	got := res(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("svc-billing")})).must(t).Role
	trust, _ := url.QueryUnescape(aws.ToString(got.AssumeRolePolicyDocument))
	if !strings.Contains(trust, `"Service":"ecs-tasks.amazonaws.com"`) || got.SourceRoleTemplate == nil || len(got.Tags) != 2 || tagValue(got.Tags, "service") != "billing" ||
		tagValue(got.Tags, "cost-center") != "100" {
		t.Fatalf("GetRole = %+v, trust %s", got, trust)
	}
	pol := res(root.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("svc-billing"), PolicyName: aws.String("queues")})).must(t)
	if doc, _ := url.QueryUnescape(aws.ToString(pol.PolicyDocument)); !strings.Contains(doc, `"Resource":["`+queues[0]+`","`+queues[1]+`"]`) {
		t.Errorf("inline policy = %s", doc)
	}
	att := res(root.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("svc-billing")})).must(t)
	if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Errorf("attached = %+v", att.AttachedPolicies)
	}

	// Unhappy paths, each with AWS's code and status. Acquiring the role
	// again answers it, authorized as iam:GetRole, which builder lacks.
	_, err = builder.AcquireRole(ctx, acquireInput(e2eTemplateARN, values))
	wantErr(t, err, "AccessDenied", 403)
	_, err = root.AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"x"}}))
	wantErrMessage(t, err, "InvalidInput", 400, "Queues")
	_, err = root.AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"x"}, "Queues": {"not-an-arn"}}))
	wantErr(t, err, "InvalidInput", 400)
	// Values of the wrong sub type.
	_, err = root.AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"x"}, "Queues": {queues[0], "arn:aws:sns:us-east-1:" + testAccount + ":jobs"}}))
	wantErrMessage(t, err, "InvalidInput", 400, `Parameter Queues takes ARNs of the service sqs (arn:PARTITION:sqs:…) (SubType sqs); "arn:aws:sns:us-east-1:`+testAccount+`:jobs" is not one.`)
	_, err = root.AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"x"}, "Queues": queues, "CostCenter": {"1e3"}}))
	wantErrMessage(t, err, "InvalidInput", 400, `Parameter CostCenter takes whole numbers (SubType Integer); "1e3" is not one.`)
	_, err = root.AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"x"}, "Queues": queues, "Extra": {"1"}}))
	wantErr(t, err, "InvalidInput", 400)
	_, err = root.AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {strings.Repeat("n", 70)}, "Queues": queues}))
	wantErr(t, err, "ValidationError", 400) // the role name is over CreateRole's 64
	_, err = root.AcquireRole(ctx, acquireInput(e2eTemplateARN, map[string][]string{"Service": {"x"}, "Queues": queues, "Principal": {"not a principal"}}))
	wantErr(t, err, "MalformedPolicyDocument", 400)
	in := acquireInput(e2eTemplateARN, map[string][]string{"Service": {"x"}})
	in.TemplateMinorVersion = aws.Int32(2)
	_, err = root.AcquireRole(ctx, in)
	wantErr(t, err, "RoleTemplateDisabled", 400)
	_, err = root.AcquireRole(ctx, acquireInput("arn:aws:iam::aws:role-template/platform.example/Nothing:1", values))
	wantErr(t, err, "NoSuchEntity", 404)
	many := map[string][]string{}
	for i := 0; i < 31; i++ {
		many["P"+strconv.Itoa(i)] = []string{"v"}
	}
	_, err = root.AcquireRole(ctx, acquireInput(e2eTemplateARN, many))
	wantErr(t, err, "ValidationError", 400)
	roles := res(root.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/services/")})).must(t)
	if len(roles.Roles) != 1 {
		t.Errorf("roles under /services/ = %d, want only svc-billing", len(roles.Roles))
	}

	// The built-in CI deploy template.
	ci := res(root.AcquireRole(ctx, acquireInput("arn:aws:iam::aws:role-template/warden/CIDeployRoleTemplate:1", map[string][]string{
		"RoleName": {"deploy-site"}, "AccountId": {testAccount}, "Subject": {"repo:org/site:ref:refs/heads/main"},
		"Resources": {"arn:aws:s3:::site/*"}}))).must(t).Role
	trust, _ = url.QueryUnescape(aws.ToString(ci.AssumeRolePolicyDocument))
	if aws.ToString(ci.Path) != "/ci/" || !strings.Contains(trust, `"token.actions.githubusercontent.com:sub":"repo:org/site:ref:refs/heads/main"`) {
		t.Errorf("CI role = %+v, trust %s", ci, trust)
	}
}

// The built-in CI deploy template makes a role that a CI job really
// assumes with its OpenID Connect token, allowed only what was asked.
func TestE2ERoleTemplateCIDeploy(t *testing.T) {
	s := startServer(t, nil, nil)
	iss := oidctest.New(t)
	ctx := context.Background()
	root := s.root()
	res(root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(iss.URL),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{iss.Thumbprint}})).must(t)
	res(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("someone")})).must(t)
	role := res(root.AcquireRole(ctx, acquireInput("arn:aws:iam::aws:role-template/warden/CIDeployRoleTemplate:1", map[string][]string{
		"RoleName": {"deploy-app"}, "AccountId": {testAccount}, "ProviderHost": {strings.TrimPrefix(iss.URL, "https://")},
		"Subject": {"repo:octo/app:ref:refs/heads/*"}, "Actions": {"iam:GetUser"},
		"Resources": {"arn:aws:iam::" + testAccount + ":user/*"}}))).must(t).Role
	assume := func(sub string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return s.anonSTS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: role.Arn,
			RoleSessionName: aws.String("build-7"), WebIdentityToken: aws.String(iss.Token(t, sub, "sts.amazonaws.com"))})
	}
	out := res(assume("repo:octo/app:ref:refs/heads/main")).must(t)
	ci := s.iamAs(out.Credentials)
	res(ci.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("someone")})).must(t)
	_, err := ci.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("intruder")})
	wantErr(t, err, "AccessDenied", 403)
	_, err = assume("repo:octo/other:ref:refs/heads/main")
	wantErr(t, err, "AccessDenied", 403)
}
