package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// parsePrintedKey reads the key `warden root access-key create` prints.
func parsePrintedKey(t *testing.T, out string) (id, secret string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "AccessKeyId:"); ok {
			id = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "SecretAccessKey:"); ok {
			secret = strings.TrimSpace(v)
		}
	}
	if len(id) != 20 || len(secret) != 40 {
		t.Fatalf("no access key in the output:\n%s", out)
	}
	return id, secret
}

// secondAccount creates another account in the running server's data
// directory, gives its root a key, and returns an IAM client for that root.
func secondAccount(t *testing.T, s *server, id string) (*iam.Client, *sts.Client) {
	t.Helper()
	ctx := context.Background()
	noEnv := func(string) string { return "" }
	where := []string{"--data", s.Data}
	if s.DSN != "" { // a node on PostgreSQL: the commands use its store and master key
		where = []string{"--store", s.DSN}
		noEnv = func(k string) string { return s.Env[k] }
	}
	var out, errOut bytes.Buffer
	if err := run(ctx, append([]string{"account", "create", "--account-id", id}, where...), noEnv, &out, &errOut, nil); err != nil {
		t.Fatalf("account create: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "Created account "+id) {
		t.Fatalf("account create printed:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, append([]string{"root", "access-key", "create", "--account-id", id}, where...), noEnv, &out, &errOut, nil); err != nil {
		t.Fatalf("root access-key create: %v\n%s", err, errOut.String())
	}
	keyID, secret := parsePrintedKey(t, out.String())
	return s.iamClient(keyID, secret), s.stsClient(keyID, secret)
}

func aliases(t *testing.T, c *iam.Client) []string {
	t.Helper()
	return res(c.ListAccountAliases(context.Background(), &iam.ListAccountAliasesInput{})).must(t).AccountAliases
}

func TestE2EAccountAliases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()

	if got := aliases(t, root); len(got) != 0 {
		t.Fatalf("aliases of a new account = %v", got)
	}
	res(root.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("acme-prod")})).must(t)
	if got := aliases(t, root); !slices.Equal(got, []string{"acme-prod"}) {
		t.Errorf("aliases = %v", got)
	}

	other, otherSTS := secondAccount(t, s, "210987654321")
	id := res(otherSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(id.Account) != "210987654321" || aws.ToString(id.Arn) != "arn:aws:iam::210987654321:root" {
		t.Fatalf("second account's root = %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}
	// Aliases are unique across the deployment, as across AWS.
	_, err := other.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("acme-prod")})
	wantErr(t, err, "EntityAlreadyExists", 409)
	if got := aliases(t, other); len(got) != 0 {
		t.Errorf("the refused alias was kept: %v", got)
	}
	res(other.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("acme-dev")})).must(t)
	if got := aliases(t, other); !slices.Equal(got, []string{"acme-dev"}) {
		t.Errorf("second account's aliases = %v", got)
	}
	if got := aliases(t, root); !slices.Equal(got, []string{"acme-prod"}) {
		t.Errorf("first account's aliases changed to %v", got)
	}

	// Accounts are separate namespaces.
	createUser(t, root, "same-name")
	u := createUser(t, other, "same-name")
	if aws.ToString(u.Arn) != "arn:aws:iam::210987654321:user/same-name" {
		t.Errorf("second account's user ARN = %s", aws.ToString(u.Arn))
	}
	if names := userNames(res(other.ListUsers(ctx, &iam.ListUsersInput{})).must(t).Users); !slices.Equal(names, []string{"same-name"}) {
		t.Errorf("second account's users = %v", names)
	}
	_, err = other.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(createPolicy(t, root, "first-only", ""))})
	wantErr(t, err, "NoSuchEntity", 404)

	_, err = root.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("acme-dev")})
	wantErr(t, err, "NoSuchEntity", 404)
	res(root.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("acme-prod")})).must(t)
	if got := aliases(t, root); len(got) != 0 {
		t.Errorf("aliases after delete = %v", got)
	}
	_, err = root.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("acme-prod")})
	wantErr(t, err, "NoSuchEntity", 404)
	// A deleted alias is free for anyone.
	res(other.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("acme-prod")})).must(t)
	if got := aliases(t, other); !slices.Equal(got, []string{"acme-prod"}) {
		t.Errorf("second account's aliases after taking the freed one = %v", got)
	}

	// An IAM user without permission may not name the account.
	_, user := userWithKey(t, s, "no-alias")
	_, err = user.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("sneaky")})
	wantErr(t, err, "AccessDenied", 403)
}

func TestE2EAccountAliasRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	for _, tt := range []struct{ why, alias string }{
		{"upper case", "Acme"},
		{"leading hyphen", "-acme"},
		{"trailing hyphen", "acme-"},
		{"two hyphens in a row", "ac--me"},
		{"underscore", "ac_me"},
		{"too short", "ab"},
		{"too long", strings.Repeat("a", 64)},
	} {
		t.Run(tt.why, func(t *testing.T) {
			_, err := root.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String(tt.alias)})
			wantErr(t, err, "ValidationError", 400)
		})
	}
	if got := aliases(t, root); len(got) != 0 {
		t.Errorf("a refused alias was kept: %v", got)
	}
	for _, ok := range []string{"abc", "a-b-c", "9lives", strings.Repeat("a", 63)} {
		res(root.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String(ok)})).must(t)
		if got := aliases(t, root); !slices.Equal(got, []string{ok}) {
			t.Errorf("after creating %q the aliases are %v", ok, got)
		}
		res(root.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String(ok)})).must(t)
	}
}

func TestE2EAccountSummary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()

	summary := func() map[string]int32 {
		t.Helper()
		return res(root.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})).must(t).SummaryMap
	}
	empty := summary()
	for _, k := range []string{"Users", "Groups", "Policies"} {
		if v, ok := empty[k]; !ok || v != 0 {
			t.Errorf("new account %s = %d (present %v), want 0", k, v, ok)
		}
	}
	for _, n := range []string{"s1", "s2", "s3"} {
		createUser(t, root, n)
	}
	for _, g := range []string{"g1", "g2"} {
		res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(g)})).must(t)
	}
	for _, p := range []string{"p1", "p2", "p3", "p4"} {
		createPolicy(t, root, p, "")
	}
	got := summary()
	want := map[string]int32{
		"Users": 3, "Groups": 2, "Policies": 4, "AccountAccessKeysPresent": 1, "AccountMFAEnabled": 0,
		"UsersQuota": 5000, "GroupsQuota": 300, "PoliciesQuota": 1500, "PolicySizeQuota": 6144,
		"AccessKeysPerUserQuota": 2, "AttachedPoliciesPerUserQuota": 10, "AttachedPoliciesPerGroupQuota": 10,
		"GroupsPerUserQuota": 10, "UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120, "VersionsPerPolicyQuota": 5,
		"SigningCertificatesPerUserQuota": 2,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %d (present %v), want %d", k, g, ok, v)
		}
	}
	for _, k := range []string{"RolesQuota", "InstanceProfilesQuota", "ServerCertificatesQuota", "AttachedPoliciesPerRoleQuota",
		"RolePolicySizeQuota", "AssumeRolePolicySizeQuota", "PolicyVersionsInUseQuota", "MFADevices", "MFADevicesInUse"} {
		if _, ok := got[k]; !ok {
			t.Errorf("summary lacks %s", k)
		}
	}
	res(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("s3")})).must(t)
	if n := summary()["Users"]; n != 2 {
		t.Errorf("Users after a delete = %d, want 2", n)
	}
}

func TestE2EAccountAuthorizationDetails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()

	createUser(t, root, "detailed")
	createUser(t, root, "plain")
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("team"), Path: aws.String("/org/")})).must(t)
	addToGroup(t, root, "team", "detailed")
	managed := createPolicy(t, root, "managed", "/shared/")
	res(root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(managed), PolicyDocument: aws.String(allowDoc("s3:*")), SetAsDefault: true})).must(t)
	res(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("detailed"), PolicyArn: aws.String(managed)})).must(t)
	res(root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("team"), PolicyArn: aws.String(managed)})).must(t)
	userDoc, groupDoc := allowDoc("sqs:SendMessage"), allowDoc("sns:Publish")
	res(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("detailed"), PolicyName: aws.String("user-inline"), PolicyDocument: aws.String(userDoc)})).must(t)
	res(root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("team"), PolicyName: aws.String("group-inline"), PolicyDocument: aws.String(groupDoc)})).must(t)
	res(root.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("detailed"), Tags: []types.Tag{tag("k", "v")}})).must(t)

	all := res(root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})).must(t)
	if all.IsTruncated {
		t.Error("unexpectedly truncated")
	}
	var du *types.UserDetail
	for i := range all.UserDetailList {
		if aws.ToString(all.UserDetailList[i].UserName) == "detailed" {
			du = &all.UserDetailList[i]
		}
	}
	if len(all.UserDetailList) != 2 || du == nil {
		t.Fatalf("UserDetailList has %d users, detailed found %v", len(all.UserDetailList), du != nil)
	}
	if aws.ToString(du.Arn) != userARN("/", "detailed") || !strings.HasPrefix(aws.ToString(du.UserId), "AIDA") || aws.ToString(du.Path) != "/" {
		t.Errorf("user detail = %s %s %s", aws.ToString(du.Arn), aws.ToString(du.UserId), aws.ToString(du.Path))
	}
	if !slices.Equal(du.GroupList, []string{"team"}) {
		t.Errorf("GroupList = %v", du.GroupList)
	}
	if len(du.UserPolicyList) != 1 || aws.ToString(du.UserPolicyList[0].PolicyName) != "user-inline" || decoded(t, du.UserPolicyList[0].PolicyDocument) != userDoc {
		t.Errorf("UserPolicyList = %+v", du.UserPolicyList)
	}
	if len(du.AttachedManagedPolicies) != 1 || aws.ToString(du.AttachedManagedPolicies[0].PolicyArn) != managed ||
		aws.ToString(du.AttachedManagedPolicies[0].PolicyName) != "managed" {
		t.Errorf("user AttachedManagedPolicies = %+v", du.AttachedManagedPolicies)
	}
	if tagMap(du.Tags)["k"] != "v" {
		t.Errorf("user detail tags = %v", tagMap(du.Tags))
	}

	if len(all.GroupDetailList) != 1 {
		t.Fatalf("GroupDetailList = %+v", all.GroupDetailList)
	}
	dg := all.GroupDetailList[0]
	if aws.ToString(dg.GroupName) != "team" || aws.ToString(dg.Arn) != "arn:aws:iam::"+testAccount+":group/org/team" ||
		len(dg.GroupPolicyList) != 1 || decoded(t, dg.GroupPolicyList[0].PolicyDocument) != groupDoc ||
		len(dg.AttachedManagedPolicies) != 1 || aws.ToString(dg.AttachedManagedPolicies[0].PolicyArn) != managed {
		t.Errorf("group detail = %+v", dg)
	}

	if len(all.Policies) != 1 {
		t.Fatalf("Policies = %+v", all.Policies)
	}
	mp := all.Policies[0]
	if aws.ToString(mp.Arn) != managed || aws.ToString(mp.DefaultVersionId) != "v2" || aws.ToInt32(mp.AttachmentCount) != 2 || len(mp.PolicyVersionList) != 2 {
		t.Fatalf("policy detail = %+v", mp)
	}
	for _, v := range mp.PolicyVersionList {
		want := map[string]string{"v1": allowDoc("s3:GetObject"), "v2": allowDoc("s3:*")}[aws.ToString(v.VersionId)]
		if decoded(t, v.Document) != want || v.IsDefaultVersion != (aws.ToString(v.VersionId) == "v2") {
			t.Errorf("version %s = %q default %v", aws.ToString(v.VersionId), decoded(t, v.Document), v.IsDefaultVersion)
		}
	}

	filters := []struct {
		filter                  []types.EntityType
		users, groups, policies int
	}{
		{[]types.EntityType{types.EntityTypeUser}, 2, 0, 0},
		{[]types.EntityType{types.EntityTypeGroup}, 0, 1, 0},
		{[]types.EntityType{types.EntityTypeLocalManagedPolicy}, 0, 0, 1},
		{[]types.EntityType{types.EntityTypeAWSManagedPolicy}, 0, 0, 0},
		{[]types.EntityType{types.EntityTypeUser, types.EntityTypeGroup}, 2, 1, 0},
	}
	for _, tt := range filters {
		t.Run("filter "+strings.Join(entityStrings(tt.filter), "+"), func(t *testing.T) {
			out := res(root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: tt.filter})).must(t)
			if len(out.UserDetailList) != tt.users || len(out.GroupDetailList) != tt.groups || len(out.Policies) != tt.policies || len(out.RoleDetailList) != 0 {
				t.Errorf("users %d groups %d policies %d roles %d, want %d %d %d 0", len(out.UserDetailList), len(out.GroupDetailList),
					len(out.Policies), len(out.RoleDetailList), tt.users, tt.groups, tt.policies)
			}
		})
	}

	// Pages of two walk all four entries.
	count := 0
	var marker *string
	for pages := 1; ; pages++ {
		out := res(root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(2), Marker: marker})).must(t)
		n := len(out.UserDetailList) + len(out.GroupDetailList) + len(out.Policies) + len(out.RoleDetailList)
		if n > 2 {
			t.Fatalf("page %d has %d entries", pages, n)
		}
		count += n
		if !out.IsTruncated {
			break
		}
		if pages > 10 || out.Marker == nil {
			t.Fatalf("page %d: truncated without a usable Marker", pages)
		}
		marker = out.Marker
	}
	if count != 4 {
		t.Errorf("walked %d entries, want 4", count)
	}
	_, err := root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{"Everything"}})
	wantErr(t, err, "ValidationError", 400)
}

func entityStrings(es []types.EntityType) []string {
	var out []string
	for _, e := range es {
		out = append(out, string(e))
	}
	return out
}
