package main

import (
	"bytes"
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/warden-iam/warden/managed"
)

const (
	mgAdmin    = "arn:aws:iam::aws:policy/AdministratorAccess"
	mgReadOnly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	mgS3Full   = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
)

func mgCatalogue(t *testing.T) *managed.Catalogue {
	t.Helper()
	c, err := managed.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mgOtherAccount creates another account with the admin commands, against the
// running server's data, and returns an IAM client for its root.
func mgOtherAccount(t *testing.T, s *server, id string) *iam.Client {
	t.Helper()
	ctx := context.Background()
	noEnv := func(string) string { return "" }
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"account", "create", "--data", s.Data, "--account-id", id}, noEnv, &out, &errOut, nil); err != nil {
		t.Fatalf("account create: %v\n%s", err, errOut.String())
	}
	out.Reset()
	if err := run(ctx, []string{"root", "access-key", "create", "--data", s.Data, "--account-id", id}, noEnv, &out, &errOut, nil); err != nil {
		t.Fatalf("root access-key create: %v\n%s", err, errOut.String())
	}
	var keyID, secret string
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "AccessKeyId:"); ok {
			keyID = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "SecretAccessKey:"); ok {
			secret = strings.TrimSpace(v)
		}
	}
	if keyID == "" || secret == "" {
		t.Fatalf("no access key printed:\n%s", out.String())
	}
	return s.iamClient(keyID, secret)
}

func mgListPolicies(t *testing.T, c *iam.Client, in *iam.ListPoliciesInput) []types.Policy {
	t.Helper()
	var all []types.Policy
	pg := iam.NewListPoliciesPaginator(c, in)
	for pg.HasMorePages() {
		out, err := pg.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, out.Policies...)
	}
	return all
}

func mgGetPolicy(t *testing.T, c *iam.Client, arn string) *types.Policy {
	t.Helper()
	out, err := c.GetPolicy(context.Background(), &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetPolicy %s: %v", arn, err)
	}
	return out.Policy
}

func mgWantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s succeeded, want %s", what, code)
		return
	}
	if got := apiCode(t, err); got != code {
		t.Errorf("%s: %s (%v), want %s", what, got, err, code)
	}
}

func TestE2EManagedPoliciesCatalogue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cat := mgCatalogue(t)
	s := startServer(t, nil, nil)
	root := s.iamClient(rootKeyID, rootSecret)

	t.Run("list pages through every policy", func(t *testing.T) {
		listed := mgListPolicies(t, root, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, MaxItems: aws.Int32(100)})
		if len(listed) != cat.Len() {
			t.Fatalf("Scope=AWS listed %d policies, the catalogue has %d", len(listed), cat.Len())
		}
		seen := map[string]bool{}
		for _, p := range listed {
			arn := aws.ToString(p.Arn)
			if seen[arn] || !strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
				t.Errorf("listed %s (seen before: %v)", arn, seen[arn])
			}
			seen[arn] = true
		}
		for _, arn := range []string{mgAdmin, mgReadOnly, mgS3Full, "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"} {
			if !seen[arn] {
				t.Errorf("%s not listed", arn)
			}
		}
		if all := mgListPolicies(t, root, &iam.ListPoliciesInput{}); len(all) != cat.Len() {
			t.Errorf("Scope=All listed %d policies, want %d", len(all), cat.Len())
		}
		if local := mgListPolicies(t, root, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}); len(local) != 0 {
			t.Errorf("Scope=Local listed %d policies", len(local))
		}
		jobs := mgListPolicies(t, root, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, PathPrefix: aws.String("/job-function/")})
		if len(jobs) == 0 || len(jobs) > 50 {
			t.Errorf("PathPrefix /job-function/ listed %d policies", len(jobs))
		}
		for _, p := range jobs {
			if aws.ToString(p.Path) != "/job-function/" {
				t.Errorf("PathPrefix /job-function/ listed %s", aws.ToString(p.Arn))
			}
		}
	})

	t.Run("get policy and version", func(t *testing.T) {
		p := mgGetPolicy(t, root, mgAdmin)
		if aws.ToString(p.PolicyName) != "AdministratorAccess" || aws.ToString(p.Path) != "/" ||
			aws.ToString(p.DefaultVersionId) != "v1" || !strings.HasPrefix(aws.ToString(p.PolicyId), "ANPA") ||
			aws.ToInt32(p.AttachmentCount) != 0 || !p.IsAttachable || p.CreateDate == nil {
			t.Errorf("GetPolicy = %+v", p)
		}
		v, err := root.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(mgAdmin), VersionId: aws.String("v1")})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := cat.Get("/", "AdministratorAccess")
		if doc != want.Default().Document || !v.PolicyVersion.IsDefaultVersion {
			t.Errorf("GetPolicyVersion = %s (default %v)", doc, v.PolicyVersion.IsDefaultVersion)
		}
		_, err = root.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(mgAdmin), VersionId: aws.String("v2")})
		mgWantCode(t, "GetPolicyVersion v2", err, "NoSuchEntity")

		ro := mgGetPolicy(t, root, mgReadOnly)
		versions, err := root.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(mgReadOnly)})
		if err != nil {
			t.Fatal(err)
		}
		if len(versions.Versions) != 1 || aws.ToString(versions.Versions[0].VersionId) != aws.ToString(ro.DefaultVersionId) ||
			!versions.Versions[0].IsDefaultVersion {
			t.Errorf("ListPolicyVersions = %+v, default %s", versions.Versions, aws.ToString(ro.DefaultVersionId))
		}

		_, err = root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
		mgWantCode(t, "GetPolicy of an unknown AWS policy", err, "NoSuchEntity")
		_, err = root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AdministratorAccess")})
		mgWantCode(t, "GetPolicy on the wrong path", err, "NoSuchEntity")
	})

	t.Run("AWS managed policies cannot be changed", func(t *testing.T) {
		doc := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)
		_, err := root.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(mgAdmin)})
		mgWantCode(t, "DeletePolicy", err, "AccessDenied")
		_, err = root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(mgAdmin), PolicyDocument: doc, SetAsDefault: true})
		mgWantCode(t, "CreatePolicyVersion", err, "AccessDenied")
		_, err = root.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(mgAdmin), VersionId: aws.String("v1")})
		mgWantCode(t, "SetDefaultPolicyVersion", err, "AccessDenied")
		_, err = root.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(mgReadOnly), VersionId: aws.String("v1")})
		mgWantCode(t, "DeletePolicyVersion", err, "AccessDenied")
		_, err = root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(mgAdmin), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		mgWantCode(t, "TagPolicy", err, "InvalidInput")
		_, err = root.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(mgAdmin), TagKeys: []string{"k"}})
		mgWantCode(t, "UntagPolicy", err, "InvalidInput")
		tags, err := root.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(mgAdmin)})
		if err != nil || len(tags.Tags) != 0 {
			t.Errorf("ListPolicyTags = %v, %v", tags, err)
		}
		v, err := root.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(mgAdmin), VersionId: aws.String("v1")})
		if err != nil || !strings.Contains(aws.ToString(v.PolicyVersion.Document), "Allow") {
			t.Errorf("AdministratorAccess changed: %v %v", v, err)
		}
	})
}

func TestE2EManagedPolicyAttachments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.iamClient(rootKeyID, rootSecret)
	if _, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("storage")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	// An AWS managed policy as a permissions boundary counts too.
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob"), PermissionsBoundary: aws.String(mgReadOnly)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("storage"), PolicyArn: aws.String(mgS3Full)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(mgS3Full)}); err != nil {
		t.Fatal(err)
	}
	// Attaching twice succeeds and counts once.
	if _, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(mgS3Full)}); err != nil {
		t.Fatal(err)
	}
	_, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	mgWantCode(t, "attaching an unknown AWS policy", err, "NoSuchEntity")

	if p := mgGetPolicy(t, root, mgS3Full); aws.ToInt32(p.AttachmentCount) != 2 || aws.ToInt32(p.PermissionsBoundaryUsageCount) != 0 {
		t.Errorf("AmazonS3FullAccess: AttachmentCount %d, boundary uses %d; want 2, 0", aws.ToInt32(p.AttachmentCount), aws.ToInt32(p.PermissionsBoundaryUsageCount))
	}
	if p := mgGetPolicy(t, root, mgReadOnly); aws.ToInt32(p.AttachmentCount) != 0 || aws.ToInt32(p.PermissionsBoundaryUsageCount) != 1 {
		t.Errorf("ReadOnlyAccess: AttachmentCount %d, boundary uses %d; want 0, 1", aws.ToInt32(p.AttachmentCount), aws.ToInt32(p.PermissionsBoundaryUsageCount))
	}

	entities, err := root.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(mgS3Full)})
	if err != nil {
		t.Fatal(err)
	}
	if len(entities.PolicyGroups) != 1 || aws.ToString(entities.PolicyGroups[0].GroupName) != "storage" ||
		len(entities.PolicyUsers) != 1 || aws.ToString(entities.PolicyUsers[0].UserName) != "alice" || len(entities.PolicyRoles) != 0 {
		t.Errorf("ListEntitiesForPolicy = groups %v users %v roles %v", entities.PolicyGroups, entities.PolicyUsers, entities.PolicyRoles)
	}

	attachedNames := func(c *iam.Client, in *iam.ListPoliciesInput) []string {
		var names []string
		for _, p := range mgListPolicies(t, c, in) {
			names = append(names, aws.ToString(p.PolicyName))
		}
		return names
	}
	if got := attachedNames(root, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, OnlyAttached: true}); !slices.Equal(got, []string{"AmazonS3FullAccess", "ReadOnlyAccess"}) {
		t.Errorf("OnlyAttached = %v", got)
	}
	if got := attachedNames(root, &iam.ListPoliciesInput{OnlyAttached: true, PolicyUsageFilter: types.PolicyUsageTypePermissionsPolicy}); !slices.Equal(got, []string{"AmazonS3FullAccess"}) {
		t.Errorf("OnlyAttached PermissionsPolicy = %v", got)
	}
	if got := attachedNames(root, &iam.ListPoliciesInput{OnlyAttached: true, PolicyUsageFilter: types.PolicyUsageTypePermissionsBoundary}); !slices.Equal(got, []string{"ReadOnlyAccess"}) {
		t.Errorf("OnlyAttached PermissionsBoundary = %v", got)
	}
	listed := mgListPolicies(t, root, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws})
	for _, p := range listed {
		if aws.ToString(p.Arn) == mgS3Full && aws.ToInt32(p.AttachmentCount) != 2 {
			t.Errorf("ListPolicies shows AttachmentCount %d for AmazonS3FullAccess", aws.ToInt32(p.AttachmentCount))
		}
	}

	t.Run("counts are per account", func(t *testing.T) {
		other := mgOtherAccount(t, s, "210987654321")
		if p := mgGetPolicy(t, other, mgS3Full); aws.ToInt32(p.AttachmentCount) != 0 {
			t.Errorf("another account sees AttachmentCount %d", aws.ToInt32(p.AttachmentCount))
		}
		if p := mgGetPolicy(t, other, mgReadOnly); aws.ToInt32(p.PermissionsBoundaryUsageCount) != 0 {
			t.Errorf("another account sees boundary uses %d", aws.ToInt32(p.PermissionsBoundaryUsageCount))
		}
		if got := attachedNames(other, &iam.ListPoliciesInput{OnlyAttached: true}); len(got) != 0 {
			t.Errorf("another account's OnlyAttached = %v", got)
		}
		e, err := other.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(mgS3Full)})
		if err != nil || len(e.PolicyGroups)+len(e.PolicyUsers)+len(e.PolicyRoles) != 0 {
			t.Errorf("another account's ListEntitiesForPolicy = %v, %v", e, err)
		}
	})

	t.Run("detach releases", func(t *testing.T) {
		if _, err := root.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("storage"), PolicyArn: aws.String(mgS3Full)}); err != nil {
			t.Fatal(err)
		}
		if _, err := root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(mgS3Full)}); err != nil {
			t.Fatal(err)
		}
		if _, err := root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")}); err != nil {
			t.Fatal(err)
		}
		if p := mgGetPolicy(t, root, mgS3Full); aws.ToInt32(p.AttachmentCount) != 0 {
			t.Errorf("AttachmentCount after detaching = %d", aws.ToInt32(p.AttachmentCount))
		}
		if got := attachedNames(root, &iam.ListPoliciesInput{OnlyAttached: true}); len(got) != 0 {
			t.Errorf("OnlyAttached after detaching = %v", got)
		}
	})
}

// An AWS managed policy grants what it says, through the real API.
func TestE2EManagedPolicyEnforced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.iamClient(rootKeyID, rootSecret)
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("auditor")}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("auditor")})
	if err != nil {
		t.Fatal(err)
	}
	auditor := s.iamClient(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))
	_, err = auditor.ListUsers(ctx, &iam.ListUsersInput{})
	mgWantCode(t, "ListUsers without policies", err, "AccessDenied")

	if _, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("auditor"), PolicyArn: aws.String(mgReadOnly)}); err != nil {
		t.Fatal(err)
	}
	users, err := auditor.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatalf("ListUsers with ReadOnlyAccess: %v", err)
	}
	if len(users.Users) != 1 || aws.ToString(users.Users[0].UserName) != "auditor" {
		t.Errorf("ListUsers = %v", users.Users)
	}
	if _, err := auditor.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(mgAdmin)}); err != nil {
		t.Errorf("GetPolicy with ReadOnlyAccess: %v", err)
	}
	_, err = auditor.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	mgWantCode(t, "CreateUser with ReadOnlyAccess", err, "AccessDenied")
	_, err = auditor.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("auditor"), PolicyArn: aws.String(mgAdmin)})
	mgWantCode(t, "AttachUserPolicy with ReadOnlyAccess", err, "AccessDenied")

	if _, err := root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("auditor"), PolicyArn: aws.String(mgReadOnly)}); err != nil {
		t.Fatal(err)
	}
	_, err = auditor.ListUsers(ctx, &iam.ListUsersInput{})
	mgWantCode(t, "ListUsers after detaching", err, "AccessDenied")
}

// TestE2EGroupWithS3FullAccess: a group with AmazonS3FullAccess lets its
// users do S3 actions and nothing else, in the simulator and through the API;
// the account's authorization details list the AWS policy in use.
func TestE2EGroupWithS3FullAccess(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "carol")
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("storage")})).must(t)
	res(root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("storage"), PolicyArn: aws.String(mgS3Full)})).must(t)
	res(root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("storage"), UserName: aws.String("carol")})).must(t)

	sim := res(root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(userARN("/", "carol")),
		ActionNames:     []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteBucket", "iam:ListUsers", "iam:CreateUser", "ec2:DescribeInstances", "sts:AssumeRole"},
	})).must(t)
	for _, r := range sim.EvaluationResults {
		action := aws.ToString(r.EvalActionName)
		want := types.PolicyEvaluationDecisionTypeImplicitDeny
		if strings.HasPrefix(action, "s3:") {
			want = types.PolicyEvaluationDecisionTypeAllowed
		}
		if r.EvalDecision != want {
			t.Errorf("%s: %s, want %s", action, r.EvalDecision, want)
		}
		if want == types.PolicyEvaluationDecisionTypeAllowed && (len(r.MatchedStatements) == 0 || aws.ToString(r.MatchedStatements[0].SourcePolicyId) != "AmazonS3FullAccess") {
			t.Errorf("%s: matched %+v, want AmazonS3FullAccess", action, r.MatchedStatements)
		}
	}

	key := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})).must(t).AccessKey
	carol := s.iamClient(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
	_, err := carol.ListUsers(ctx, &iam.ListUsersInput{})
	wantErr(t, err, "AccessDenied", 403)

	details := res(root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []types.EntityType{types.EntityTypeAWSManagedPolicy}})).must(t)
	if len(details.Policies) != 1 || aws.ToString(details.Policies[0].Arn) != mgS3Full ||
		aws.ToInt32(details.Policies[0].AttachmentCount) != 1 || len(details.Policies[0].PolicyVersionList) != 1 {
		t.Fatalf("AWS managed policies in use = %+v", details.Policies)
	}
	doc, err := url.QueryUnescape(aws.ToString(details.Policies[0].PolicyVersionList[0].Document))
	if err != nil || !strings.Contains(doc, `"s3:*"`) {
		t.Fatalf("AmazonS3FullAccess document = %q (%v)", doc, err)
	}
}
