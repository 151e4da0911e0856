package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Helpers of the role tests. They carry an rl prefix so that they stay out
// of the way of the helpers other e2e files define.

// rlEC2Trust lets EC2 assume a role.
const rlEC2Trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// rlLambdaTrust lets Lambda assume a role.
const rlLambdaTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func rlARN(path, name string) string { return "arn:aws:iam::" + testAccount + ":role" + path + name }

func rlCreateRole(t *testing.T, c *iam.Client, name, path string) *types.Role {
	t.Helper()
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(rlEC2Trust)}
	if path != "" {
		in.Path = aws.String(path)
	}
	return res(c.CreateRole(context.Background(), in)).must(t).Role
}

func rlPolicy(t *testing.T, c *iam.Client, name string) string {
	t.Helper()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	out := res(c.CreatePolicy(context.Background(), &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})).must(t)
	return aws.ToString(out.Policy.Arn)
}

// rlDecode URL-decodes a policy document as IAM returns them.
func rlDecode(t *testing.T, doc *string) string {
	t.Helper()
	s, err := url.QueryUnescape(aws.ToString(doc))
	if err != nil {
		t.Fatalf("document %q is not URL-encoded: %v", aws.ToString(doc), err)
	}
	return s
}

func rlRoleNames(roles []types.Role) []string {
	var out []string
	for _, r := range roles {
		out = append(out, aws.ToString(r.RoleName))
	}
	return out
}

func rlProfileNames(ps []types.InstanceProfile) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.InstanceProfileName))
	}
	return out
}

func rlTags(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, tg := range tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

func rlTag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

func TestE2ERoleLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()

	created := res(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), Path: aws.String("/svc/"),
		AssumeRolePolicyDocument: aws.String(rlEC2Trust), Description: aws.String("the app"),
		Tags: []types.Tag{rlTag("team", "core")}})).must(t).Role
	if aws.ToString(created.Arn) != rlARN("/svc/", "app") || aws.ToString(created.Path) != "/svc/" {
		t.Errorf("created role = %s %s", aws.ToString(created.Arn), aws.ToString(created.Path))
	}
	if id := aws.ToString(created.RoleId); len(id) != 21 || !strings.HasPrefix(id, "AROA") {
		t.Errorf("RoleId = %q, want AROA + 17 characters", id)
	}
	if d := rlDecode(t, created.AssumeRolePolicyDocument); d != rlEC2Trust {
		t.Errorf("created trust policy = %s", d)
	}
	if created.CreateDate == nil || time.Since(*created.CreateDate) > time.Minute {
		t.Errorf("CreateDate = %v", created.CreateDate)
	}

	got := res(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("APP")})).must(t).Role
	if aws.ToString(got.RoleId) != aws.ToString(created.RoleId) || aws.ToString(got.RoleName) != "app" {
		t.Errorf("GetRole = %s %s", aws.ToString(got.RoleId), aws.ToString(got.RoleName))
	}
	if raw := aws.ToString(got.AssumeRolePolicyDocument); !strings.HasPrefix(raw, "%7B%22Version%22") {
		t.Errorf("GetRole trust policy is not URL-encoded: %s", raw)
	}
	if d := rlDecode(t, got.AssumeRolePolicyDocument); d != rlEC2Trust {
		t.Errorf("GetRole trust policy = %s", d)
	}
	if aws.ToInt32(got.MaxSessionDuration) != 3600 || aws.ToString(got.Description) != "the app" {
		t.Errorf("GetRole MaxSessionDuration %d, Description %q", aws.ToInt32(got.MaxSessionDuration), aws.ToString(got.Description))
	}
	if got.RoleLastUsed == nil || got.RoleLastUsed.LastUsedDate != nil {
		t.Errorf("RoleLastUsed of an unused role = %+v, want empty", got.RoleLastUsed)
	}
	if tags := rlTags(got.Tags); tags["team"] != "core" || len(tags) != 1 {
		t.Errorf("GetRole tags = %v", tags)
	}

	// UpdateRole and UpdateRoleDescription.
	res(root.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("app"), MaxSessionDuration: aws.Int32(7200)})).must(t)
	got = res(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})).must(t).Role
	if aws.ToInt32(got.MaxSessionDuration) != 7200 || aws.ToString(got.Description) != "the app" {
		t.Errorf("after UpdateRole: MaxSessionDuration %d, Description %q", aws.ToInt32(got.MaxSessionDuration), aws.ToString(got.Description))
	}
	res(root.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("app"), Description: aws.String("")})).must(t)
	got = res(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})).must(t).Role
	if got.Description != nil || aws.ToInt32(got.MaxSessionDuration) != 7200 {
		t.Errorf("after clearing the description: %q, %d", aws.ToString(got.Description), aws.ToInt32(got.MaxSessionDuration))
	}
	desc := res(root.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{RoleName: aws.String("app"), Description: aws.String("new words")})).must(t)
	if aws.ToString(desc.Role.Description) != "new words" || aws.ToString(desc.Role.Arn) != rlARN("/svc/", "app") {
		t.Errorf("UpdateRoleDescription role = %+v", desc.Role)
	}

	// UpdateAssumeRolePolicy keeps the document as sent.
	res(root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("app"), PolicyDocument: aws.String(rlLambdaTrust)})).must(t)
	got = res(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})).must(t).Role
	if d := rlDecode(t, got.AssumeRolePolicyDocument); d != rlLambdaTrust {
		t.Errorf("trust policy after UpdateAssumeRolePolicy = %s", d)
	}

	// Tags.
	res(root.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("app"), Tags: []types.Tag{rlTag("TEAM", "edge"), rlTag("env", "dev")}})).must(t)
	tags := res(root.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("app")})).must(t)
	if m := rlTags(tags.Tags); len(m) != 2 || m["team"] != "edge" || m["env"] != "dev" {
		t.Errorf("tags after TagRole = %v", m)
	}
	res(root.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("app"), TagKeys: []string{"Team"}})).must(t)
	tags = res(root.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("app")})).must(t)
	if m := rlTags(tags.Tags); len(m) != 1 || m["env"] != "dev" {
		t.Errorf("tags after UntagRole = %v", m)
	}

	// Inline policies.
	inline := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}`
	for _, name := range []string{"send", "another"} {
		res(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String(name), PolicyDocument: aws.String(inline)})).must(t)
	}
	gp := res(root.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("send")})).must(t)
	if aws.ToString(gp.RoleName) != "app" || aws.ToString(gp.PolicyName) != "send" || rlDecode(t, gp.PolicyDocument) != inline {
		t.Errorf("GetRolePolicy = %s %s %s", aws.ToString(gp.RoleName), aws.ToString(gp.PolicyName), aws.ToString(gp.PolicyDocument))
	}
	lp := res(root.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("app")})).must(t)
	if !slices.Equal(lp.PolicyNames, []string{"another", "send"}) {
		t.Errorf("ListRolePolicies = %v", lp.PolicyNames)
	}
	res(root.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("another")})).must(t)
	_, err := root.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("another")})
	wantErrMessage(t, err, "NoSuchEntity", 404, "The role policy with name another cannot be found.")

	// Managed policies.
	pol := rlPolicy(t, root, "reader")
	res(root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(pol)})).must(t)
	att := res(root.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("app")})).must(t)
	if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != pol || aws.ToString(att.AttachedPolicies[0].PolicyName) != "reader" {
		t.Errorf("ListAttachedRolePolicies = %+v", att.AttachedPolicies)
	}
	if p := res(root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(pol)})).must(t).Policy; aws.ToInt32(p.AttachmentCount) != 1 {
		t.Errorf("AttachmentCount = %d, want 1", aws.ToInt32(p.AttachmentCount))
	}
	ents := res(root.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(pol)})).must(t)
	if len(ents.PolicyRoles) != 1 || aws.ToString(ents.PolicyRoles[0].RoleName) != "app" || aws.ToString(ents.PolicyRoles[0].RoleId) != aws.ToString(created.RoleId) {
		t.Errorf("ListEntitiesForPolicy roles = %+v", ents.PolicyRoles)
	}
	res(root.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(pol)})).must(t)
	_, err = root.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(pol)})
	wantErrMessage(t, err, "NoSuchEntity", 404, "was not found")

	// Permissions boundary.
	res(root.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"), PermissionsBoundary: aws.String(pol)})).must(t)
	got = res(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})).must(t).Role
	if got.PermissionsBoundary == nil || aws.ToString(got.PermissionsBoundary.PermissionsBoundaryArn) != pol ||
		got.PermissionsBoundary.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
		t.Errorf("GetRole boundary = %+v", got.PermissionsBoundary)
	}
	ents = res(root.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(pol),
		PolicyUsageFilter: types.PolicyUsageTypePermissionsBoundary, EntityFilter: types.EntityTypeRole})).must(t)
	if len(ents.PolicyRoles) != 1 {
		t.Errorf("roles using the policy as boundary = %+v", ents.PolicyRoles)
	}
	_, err = root.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(pol)})
	wantErrMessage(t, err, "DeleteConflict", 409, "")
	res(root.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("app")})).must(t)
	got = res(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})).must(t).Role
	if got.PermissionsBoundary != nil {
		t.Errorf("boundary after DeleteRolePermissionsBoundary = %+v", got.PermissionsBoundary)
	}
	_, err = root.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("app")})
	wantErrMessage(t, err, "NoSuchEntity", 404, "")

	// A role created with a boundary counts as a use of the policy.
	res(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bounded"), AssumeRolePolicyDocument: aws.String(rlEC2Trust),
		PermissionsBoundary: aws.String(pol), MaxSessionDuration: aws.Int32(43200)})).must(t)
	if p := res(root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(pol)})).must(t).Policy; aws.ToInt32(p.PermissionsBoundaryUsageCount) != 1 {
		t.Errorf("PermissionsBoundaryUsageCount = %d, want 1", aws.ToInt32(p.PermissionsBoundaryUsageCount))
	}
	res(root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("bounded")})).must(t)
	if p := res(root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(pol)})).must(t).Policy; aws.ToInt32(p.PermissionsBoundaryUsageCount) != 0 {
		t.Errorf("PermissionsBoundaryUsageCount after DeleteRole = %d, want 0", aws.ToInt32(p.PermissionsBoundaryUsageCount))
	}

	// Delete.
	res(root.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("send")})).must(t)
	res(root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")})).must(t)
	_, err = root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	wantErrMessage(t, err, "NoSuchEntity", 404, "The role with name app cannot be found.")
	res(root.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(pol)})).must(t)
}

func TestE2ERoleErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	rlCreateRole(t, root, "Builder", "")

	create := func(name, doc string, maxSession int32) error {
		in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(doc)}
		if maxSession != 0 {
			in.MaxSessionDuration = aws.Int32(maxSession)
		}
		_, err := root.CreateRole(ctx, in)
		return err
	}
	noPrincipal := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalTag/x":"` +
		strings.Repeat("a", 2100) + `"}}}]}`
	many := make([]types.Tag, 0, 51)
	for i := range 51 {
		many = append(many, rlTag(fmt.Sprintf("k%d", i), "v"))
	}

	cases := []struct {
		name   string
		err    error
		code   string
		status int
		msg    string
	}{
		{"trust policy without Principal", create("p1", noPrincipal, 0), "MalformedPolicyDocument", 400, "Principal"},
		{"trust policy that is not JSON", create("p2", "{not json", 0), "MalformedPolicyDocument", 400, ""},
		{"trust policy over 2048 characters", create("p3", big, 0), "LimitExceeded", 409, "ACLSizePerRole: 2048"},
		{"MaxSessionDuration below 3600", create("p4", rlEC2Trust, 100), "ValidationError", 400, "maxSessionDuration"},
		{"MaxSessionDuration above 43200", create("p5", rlEC2Trust, 43201), "ValidationError", 400, "maxSessionDuration"},
		{"name taken, other case", create("builder", rlEC2Trust, 0), "EntityAlreadyExists", 409, "Role with name builder already exists."},
		{"bad role name", create("no spaces", rlEC2Trust, 0), "ValidationError", 400, "roleName"},
		{"service-linked path", func() error {
			_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("sneaky"), Path: aws.String("/aws-service-role/x.amazonaws.com/"),
				AssumeRolePolicyDocument: aws.String(rlEC2Trust)})
			return err
		}(), "InvalidInput", 400, "/aws-service-role/"},
		{"more than 50 tags", func() error {
			_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("tagged"), AssumeRolePolicyDocument: aws.String(rlEC2Trust), Tags: many})
			return err
		}(), "ValidationError", 400, "tags"},
		{"missing boundary policy", func() error {
			_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("b"), AssumeRolePolicyDocument: aws.String(rlEC2Trust),
				PermissionsBoundary: aws.String("arn:aws:iam::" + testAccount + ":policy/nope")})
			return err
		}(), "NoSuchEntity", 404, "nope"},
		{"GetRole of an unknown role", func() error {
			_, err := root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ghost")})
			return err
		}(), "NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"UpdateRole MaxSessionDuration 100", func() error {
			_, err := root.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("Builder"), MaxSessionDuration: aws.Int32(100)})
			return err
		}(), "ValidationError", 400, "maxSessionDuration"},
		{"UpdateRole of an unknown role", func() error {
			_, err := root.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("ghost"), Description: aws.String("x")})
			return err
		}(), "NoSuchEntity", 404, "ghost"},
		{"DeleteRole of an unknown role", func() error {
			_, err := root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("ghost")})
			return err
		}(), "NoSuchEntity", 404, "ghost"},
		{"UpdateAssumeRolePolicy without Principal", func() error {
			_, err := root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Builder"), PolicyDocument: aws.String(noPrincipal)})
			return err
		}(), "MalformedPolicyDocument", 400, "Principal"},
		{"identity policy with a Principal", func() error {
			_, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Builder"), PolicyName: aws.String("x"), PolicyDocument: aws.String(rlEC2Trust)})
			return err
		}(), "MalformedPolicyDocument", 400, ""},
		{"inline policies over 10240 characters", func() error {
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 6000) + `"}]}`
			for _, n := range []string{"one", "two"} {
				if _, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Builder"), PolicyName: aws.String(n), PolicyDocument: aws.String(doc)}); err != nil {
					return err
				}
			}
			return nil
		}(), "LimitExceeded", 409, "Maximum policy size of 10240 bytes exceeded for role Builder"},
		{"attach an unknown policy", func() error {
			_, err := root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("Builder"), PolicyArn: aws.String("arn:aws:iam::" + testAccount + ":policy/nope")})
			return err
		}(), "NoSuchEntity", 404, "does not exist or is not attachable"},
		{"tags on an unknown role", func() error {
			_, err := root.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("ghost")})
			return err
		}(), "NoSuchEntity", 404, "ghost"},
		{"duplicate tag keys", func() error {
			_, err := root.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("Builder"), Tags: []types.Tag{rlTag("a", "1"), rlTag("A", "2")}})
			return err
		}(), "InvalidInput", 400, "Duplicate tag keys"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErrMessage(t, c.err, c.code, c.status, c.msg) })
	}

	// Ten managed policies per role, then LimitExceeded.
	for i := range 11 {
		pol := rlPolicy(t, root, fmt.Sprintf("p%02d", i))
		_, err := root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("Builder"), PolicyArn: aws.String(pol)})
		if i < 10 && err != nil {
			t.Fatalf("attaching policy %d: %v", i+1, err)
		}
		if i == 10 {
			wantErrMessage(t, err, "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerRole: 10")
		}
	}
}

func TestE2EDeleteRoleConflicts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	del := func(name string) error {
		_, err := root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
		return err
	}

	rlCreateRole(t, root, "attached", "")
	pol := rlPolicy(t, root, "reader")
	res(root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("attached"), PolicyArn: aws.String(pol)})).must(t)
	wantErrMessage(t, del("attached"), "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")

	rlCreateRole(t, root, "inline", "")
	res(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("inline"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})).must(t)
	wantErrMessage(t, del("inline"), "DeleteConflict", 409, "Cannot delete entity, must delete policies first.")

	rlCreateRole(t, root, "profiled", "")
	res(root.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("web")})).must(t)
	res(root.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("profiled")})).must(t)
	wantErrMessage(t, del("profiled"), "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.")

	// Once cleared, each goes.
	res(root.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("attached"), PolicyArn: aws.String(pol)})).must(t)
	res(root.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("inline"), PolicyName: aws.String("p")})).must(t)
	res(root.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("profiled")})).must(t)
	for _, name := range []string{"attached", "inline", "profiled"} {
		if err := del(name); err != nil {
			t.Errorf("DeleteRole(%s) after clearing: %v", name, err)
		}
	}
}

func TestE2EListRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	for _, r := range []struct{ name, path string }{{"zeta", "/"}, {"Alpha", "/ops/"}, {"mid", "/ops/db/"}, {"beta", "/"}, {"omega", "/dev/"}} {
		rlCreateRole(t, root, r.name, r.path)
	}

	all := res(root.ListRoles(ctx, &iam.ListRolesInput{})).must(t)
	if names := rlRoleNames(all.Roles); !slices.Equal(names, []string{"Alpha", "beta", "mid", "omega", "zeta"}) || all.IsTruncated {
		t.Errorf("ListRoles = %v (truncated %v)", names, all.IsTruncated)
	}
	for _, r := range all.Roles {
		if rlDecode(t, r.AssumeRolePolicyDocument) != rlEC2Trust || aws.ToInt32(r.MaxSessionDuration) != 3600 {
			t.Errorf("listed role %s: trust %q, MaxSessionDuration %d", aws.ToString(r.RoleName), aws.ToString(r.AssumeRolePolicyDocument), aws.ToInt32(r.MaxSessionDuration))
		}
		if r.RoleLastUsed != nil || r.Tags != nil {
			t.Errorf("ListRoles returned RoleLastUsed or Tags for %s, which AWS leaves out", aws.ToString(r.RoleName))
		}
	}

	ops := res(root.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/ops/")})).must(t)
	if names := rlRoleNames(ops.Roles); !slices.Equal(names, []string{"Alpha", "mid"}) {
		t.Errorf("ListRoles /ops/ = %v", names)
	}

	// Pages of two, following the markers to the end.
	var seen []string
	in := &iam.ListRolesInput{MaxItems: aws.Int32(2)}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		out := res(root.ListRoles(ctx, in)).must(t)
		seen = append(seen, rlRoleNames(out.Roles)...)
		if !out.IsTruncated {
			break
		}
		if len(out.Roles) != 2 || out.Marker == nil {
			t.Fatalf("truncated page = %v, marker %v", rlRoleNames(out.Roles), out.Marker)
		}
		in.Marker = out.Marker
	}
	if !slices.Equal(seen, []string{"Alpha", "beta", "mid", "omega", "zeta"}) {
		t.Errorf("paged ListRoles = %v", seen)
	}

	// The SDK paginator gets the same.
	var paged []string
	p := iam.NewListRolesPaginator(root, &iam.ListRolesInput{MaxItems: aws.Int32(3)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, rlRoleNames(out.Roles)...)
	}
	if !slices.Equal(paged, seen) {
		t.Errorf("ListRoles paginator = %v", paged)
	}

	_, err := root.ListRoles(ctx, &iam.ListRolesInput{Marker: aws.String("!!!")})
	wantErrMessage(t, err, "ValidationError", 400, "Marker")
}

func TestE2EInstanceProfiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	rlCreateRole(t, root, "web-role", "/app/")
	rlCreateRole(t, root, "other-role", "")

	ip := res(root.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("web"),
		Path: aws.String("/app/"), Tags: []types.Tag{rlTag("tier", "front")}})).must(t).InstanceProfile
	if aws.ToString(ip.Arn) != "arn:aws:iam::"+testAccount+":instance-profile/app/web" || len(ip.Roles) != 0 {
		t.Errorf("created profile = %s with roles %v", aws.ToString(ip.Arn), rlRoleNames(ip.Roles))
	}
	if id := aws.ToString(ip.InstanceProfileId); len(id) != 21 || !strings.HasPrefix(id, "AIPA") {
		t.Errorf("InstanceProfileId = %q, want AIPA + 17 characters", id)
	}
	_, err := root.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("WEB")})
	wantErrMessage(t, err, "EntityAlreadyExists", 409, "WEB")
	res(root.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("batch")})).must(t)

	res(root.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web-role")})).must(t)
	_, err = root.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("other-role")})
	wantErrMessage(t, err, "LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	_, err = root.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("batch"), RoleName: aws.String("ghost")})
	wantErrMessage(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
	_, err = root.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("nope"), RoleName: aws.String("web-role")})
	wantErrMessage(t, err, "NoSuchEntity", 404, "nope")
	// A role may sit in several profiles.
	res(root.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("batch"), RoleName: aws.String("web-role")})).must(t)

	got := res(root.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})).must(t).InstanceProfile
	if len(got.Roles) != 1 || aws.ToString(got.Roles[0].RoleName) != "web-role" || aws.ToString(got.Roles[0].Arn) != rlARN("/app/", "web-role") ||
		rlDecode(t, got.Roles[0].AssumeRolePolicyDocument) != rlEC2Trust {
		t.Errorf("GetInstanceProfile roles = %+v", got.Roles)
	}
	if m := rlTags(got.Tags); m["tier"] != "front" {
		t.Errorf("GetInstanceProfile tags = %v", m)
	}

	list := res(root.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})).must(t)
	if names := rlProfileNames(list.InstanceProfiles); !slices.Equal(names, []string{"batch", "web"}) {
		t.Errorf("ListInstanceProfiles = %v", names)
	}
	list = res(root.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{PathPrefix: aws.String("/app/")})).must(t)
	if names := rlProfileNames(list.InstanceProfiles); !slices.Equal(names, []string{"web"}) {
		t.Errorf("ListInstanceProfiles /app/ = %v", names)
	}
	list = res(root.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{MaxItems: aws.Int32(1)})).must(t)
	if names := rlProfileNames(list.InstanceProfiles); !slices.Equal(names, []string{"batch"}) || !list.IsTruncated {
		t.Errorf("first page of profiles = %v (truncated %v)", names, list.IsTruncated)
	}
	forRole := res(root.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("web-role")})).must(t)
	if names := rlProfileNames(forRole.InstanceProfiles); !slices.Equal(names, []string{"batch", "web"}) {
		t.Errorf("ListInstanceProfilesForRole = %v", names)
	}
	forRole = res(root.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("other-role")})).must(t)
	if len(forRole.InstanceProfiles) != 0 {
		t.Errorf("profiles of other-role = %v", rlProfileNames(forRole.InstanceProfiles))
	}
	_, err = root.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("ghost")})
	wantErrMessage(t, err, "NoSuchEntity", 404, "ghost")

	// Tags.
	res(root.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("web"), Tags: []types.Tag{rlTag("env", "prod")}})).must(t)
	res(root.UntagInstanceProfile(ctx, &iam.UntagInstanceProfileInput{InstanceProfileName: aws.String("web"), TagKeys: []string{"TIER"}})).must(t)
	tags := res(root.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("web")})).must(t)
	if m := rlTags(tags.Tags); len(m) != 1 || m["env"] != "prod" {
		t.Errorf("ListInstanceProfileTags = %v", m)
	}

	// Deleting a profile that holds a role conflicts.
	_, err = root.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")})
	wantErrMessage(t, err, "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.")
	_, err = root.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("other-role")})
	wantErrMessage(t, err, "NoSuchEntity", 404, "other-role")
	res(root.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("WEB-ROLE")})).must(t)
	got = res(root.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})).must(t).InstanceProfile
	if len(got.Roles) != 0 {
		t.Errorf("roles after RemoveRoleFromInstanceProfile = %v", rlRoleNames(got.Roles))
	}
	res(root.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")})).must(t)
	_, err = root.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})
	wantErrMessage(t, err, "NoSuchEntity", 404, "web")
}

func TestE2EServiceLinkedRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()

	slr := res(root.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("elasticbeanstalk.amazonaws.com"),
		Description: aws.String("for beanstalk")})).must(t).Role
	const ebPath = "/aws-service-role/elasticbeanstalk.amazonaws.com/"
	if aws.ToString(slr.RoleName) != "AWSServiceRoleForElasticBeanstalk" || aws.ToString(slr.Path) != ebPath ||
		aws.ToString(slr.Arn) != rlARN(ebPath, "AWSServiceRoleForElasticBeanstalk") {
		t.Errorf("service-linked role = %s %s %s", aws.ToString(slr.RoleName), aws.ToString(slr.Path), aws.ToString(slr.Arn))
	}
	if d := rlDecode(t, slr.AssumeRolePolicyDocument); !strings.Contains(d, `"Service":"elasticbeanstalk.amazonaws.com"`) || !strings.Contains(d, "sts:AssumeRole") {
		t.Errorf("service-linked trust policy = %s", d)
	}
	if !strings.HasPrefix(aws.ToString(slr.RoleId), "AROA") || aws.ToString(slr.Description) != "for beanstalk" {
		t.Errorf("service-linked role id %s, description %q", aws.ToString(slr.RoleId), aws.ToString(slr.Description))
	}

	create := func(service, suffix string) error {
		in := &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(service)}
		if suffix != "" {
			in.CustomSuffix = aws.String(suffix)
		}
		_, err := root.CreateServiceLinkedRole(ctx, in)
		return err
	}
	wantErrMessage(t, create("elasticbeanstalk.amazonaws.com", ""), "InvalidInput", 400,
		"Service role name AWSServiceRoleForElasticBeanstalk has been taken in this account, please try a different suffix.")
	wantErrMessage(t, create("not-a-service", ""), "InvalidInput", 400, "not-a-service")
	wantErrMessage(t, create("ecs.amazonaws.com", "x"), "InvalidInput", 400, "Custom suffix is not allowed for ecs.amazonaws.com")
	if err := create("autoscaling.amazonaws.com", "fleet"); err != nil {
		t.Fatalf("CreateServiceLinkedRole with a suffix: %v", err)
	}
	as := res(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("AWSServiceRoleForAutoScaling_fleet")})).must(t).Role
	if aws.ToString(as.Path) != "/aws-service-role/autoscaling.amazonaws.com/" {
		t.Errorf("suffixed role path = %s", aws.ToString(as.Path))
	}

	// Only the service may change it; its description is the customer's.
	name := aws.String("AWSServiceRoleForElasticBeanstalk")
	_, err := root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name})
	wantErrMessage(t, err, "UnmodifiableEntity", 400, "Cannot perform the operation on the protected role 'AWSServiceRoleForElasticBeanstalk' - this role is only modifiable by AWS")
	pol := rlPolicy(t, root, "extra")
	_, err = root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: name, PolicyArn: aws.String(pol)})
	wantErrMessage(t, err, "UnmodifiableEntity", 400, "protected role")
	_, err = root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: name, PolicyDocument: aws.String(rlEC2Trust)})
	wantErrMessage(t, err, "UnmodifiableEntity", 400, "protected role")
	_, err = root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: name, PolicyName: aws.String("x"), PolicyDocument: aws.String(rlAllowS3)})
	wantErrMessage(t, err, "UnmodifiableEntity", 400, "protected role")
	res(root.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{RoleName: name, Description: aws.String("mine")})).must(t)

	// A deletion fails while the service still uses the role.
	res(root.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("eb")})).must(t)
	res(root.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("eb"), RoleName: name})).must(t)
	task := aws.ToString(res(root.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: name})).must(t).DeletionTaskId)
	if !strings.HasPrefix(task, "task"+ebPath+"AWSServiceRoleForElasticBeanstalk/") || len(task) != len("task"+ebPath+"AWSServiceRoleForElasticBeanstalk/")+36 {
		t.Errorf("DeletionTaskId = %s", task)
	}
	st := res(root.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String(task)})).must(t)
	if st.Status != types.DeletionTaskStatusTypeFailed || st.Reason == nil || !strings.Contains(aws.ToString(st.Reason.Reason), "instance profile") {
		t.Fatalf("status of a blocked deletion = %s %+v", st.Status, st.Reason)
	}
	if len(st.Reason.RoleUsageList) != 1 || !slices.Equal(st.Reason.RoleUsageList[0].Resources, []string{"arn:aws:iam::" + testAccount + ":instance-profile/eb"}) {
		t.Errorf("RoleUsageList = %+v", st.Reason.RoleUsageList)
	}
	res(root.GetRole(ctx, &iam.GetRoleInput{RoleName: name})).must(t)

	// Freed, it goes.
	res(root.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("eb"), RoleName: name})).must(t)
	task = aws.ToString(res(root.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: name})).must(t).DeletionTaskId)
	st = res(root.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String(task)})).must(t)
	if st.Status != types.DeletionTaskStatusTypeSucceeded || st.Reason != nil {
		t.Errorf("status of a deletion = %s %+v", st.Status, st.Reason)
	}
	_, err = root.GetRole(ctx, &iam.GetRoleInput{RoleName: name})
	wantErrMessage(t, err, "NoSuchEntity", 404, "AWSServiceRoleForElasticBeanstalk")

	_, err = root.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{
		DeletionTaskId: aws.String("task" + ebPath + "AWSServiceRoleForElasticBeanstalk/00000000-0000-4000-8000-000000000000")})
	wantErrMessage(t, err, "NoSuchEntity", 404, "")
	_, err = root.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String("garbage")})
	wantErrMessage(t, err, "InvalidInput", 400, "garbage")
	rlCreateRole(t, root, "plain", "")
	_, err = root.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("plain")})
	wantErrMessage(t, err, "NoSuchEntity", 404, "not a service-linked role")
	_, err = root.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("ghost")})
	wantErrMessage(t, err, "NoSuchEntity", 404, "ghost")
}

const rlAllowS3 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`

func TestE2ERolesInAccountDetails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()

	summary := func() map[string]int32 {
		return res(root.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})).must(t).SummaryMap
	}
	if m := summary(); m["Roles"] != 0 || m["InstanceProfiles"] != 0 || m["RolesQuota"] != 1000 {
		t.Errorf("empty account summary: Roles %d, InstanceProfiles %d, RolesQuota %d", m["Roles"], m["InstanceProfiles"], m["RolesQuota"])
	}

	pol := rlPolicy(t, root, "reader")
	res(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), Path: aws.String("/svc/"), AssumeRolePolicyDocument: aws.String(rlEC2Trust),
		PermissionsBoundary: aws.String(pol), Tags: []types.Tag{rlTag("team", "core")}})).must(t)
	res(root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(pol)})).must(t)
	res(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(rlAllowS3)})).must(t)
	rlCreateRole(t, root, "bare", "")
	res(root.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("web")})).must(t)
	res(root.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("empty")})).must(t)
	res(root.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("app")})).must(t)

	if m := summary(); m["Roles"] != 2 || m["InstanceProfiles"] != 2 {
		t.Errorf("summary: Roles %d, InstanceProfiles %d, want 2 and 2", m["Roles"], m["InstanceProfiles"])
	}

	details := res(root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{types.EntityTypeRole}})).must(t)
	if len(details.UserDetailList) != 0 || len(details.GroupDetailList) != 0 || len(details.Policies) != 0 {
		t.Errorf("Role filter returned users %d, groups %d, policies %d", len(details.UserDetailList), len(details.GroupDetailList), len(details.Policies))
	}
	if len(details.RoleDetailList) != 2 {
		t.Fatalf("RoleDetailList has %d roles, want 2", len(details.RoleDetailList))
	}
	app := details.RoleDetailList[0]
	if aws.ToString(app.RoleName) != "app" || aws.ToString(app.Arn) != rlARN("/svc/", "app") || aws.ToString(app.Path) != "/svc/" ||
		!strings.HasPrefix(aws.ToString(app.RoleId), "AROA") || app.CreateDate == nil {
		t.Errorf("role detail = %s %s %s %s", aws.ToString(app.RoleName), aws.ToString(app.Arn), aws.ToString(app.Path), aws.ToString(app.RoleId))
	}
	if d := rlDecode(t, app.AssumeRolePolicyDocument); d != rlEC2Trust {
		t.Errorf("role detail trust policy = %s", d)
	}
	if len(app.InstanceProfileList) != 1 || aws.ToString(app.InstanceProfileList[0].InstanceProfileName) != "web" ||
		!slices.Equal(rlRoleNames(app.InstanceProfileList[0].Roles), []string{"app"}) {
		t.Errorf("role detail instance profiles = %+v", app.InstanceProfileList)
	}
	if len(app.RolePolicyList) != 1 || aws.ToString(app.RolePolicyList[0].PolicyName) != "inline" || rlDecode(t, app.RolePolicyList[0].PolicyDocument) != rlAllowS3 {
		t.Errorf("role detail inline policies = %+v", app.RolePolicyList)
	}
	if len(app.AttachedManagedPolicies) != 1 || aws.ToString(app.AttachedManagedPolicies[0].PolicyArn) != pol {
		t.Errorf("role detail managed policies = %+v", app.AttachedManagedPolicies)
	}
	if app.PermissionsBoundary == nil || aws.ToString(app.PermissionsBoundary.PermissionsBoundaryArn) != pol {
		t.Errorf("role detail boundary = %+v", app.PermissionsBoundary)
	}
	if m := rlTags(app.Tags); m["team"] != "core" {
		t.Errorf("role detail tags = %v", m)
	}
	if app.RoleLastUsed == nil || app.RoleLastUsed.LastUsedDate != nil {
		t.Errorf("role detail RoleLastUsed = %+v", app.RoleLastUsed)
	}
	if bare := details.RoleDetailList[1]; aws.ToString(bare.RoleName) != "bare" || len(bare.InstanceProfileList) != 0 || len(bare.RolePolicyList) != 0 {
		t.Errorf("second role detail = %+v", bare)
	}

	// Without a filter, roles come with everything else, and paginate.
	everything := res(root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})).must(t)
	if len(everything.RoleDetailList) != 2 || len(everything.Policies) != 1 {
		t.Errorf("unfiltered details: %d roles, %d policies", len(everything.RoleDetailList), len(everything.Policies))
	}
	first := res(root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []types.EntityType{types.EntityTypeRole}, MaxItems: aws.Int32(1)})).must(t)
	if len(first.RoleDetailList) != 1 || !first.IsTruncated {
		t.Fatalf("first page of role details: %d roles, truncated %v", len(first.RoleDetailList), first.IsTruncated)
	}
	rest := res(root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []types.EntityType{types.EntityTypeRole}, Marker: first.Marker})).must(t)
	if len(rest.RoleDetailList) != 1 || aws.ToString(rest.RoleDetailList[0].RoleName) != "bare" || rest.IsTruncated {
		t.Errorf("second page of role details = %d roles", len(rest.RoleDetailList))
	}
}

// TestE2ERoleAuthorization checks that role operations ask authz about the
// role's ARN, and that AddRoleToInstanceProfile also needs iam:PassRole.
func TestE2ERoleAuthorization(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	rlCreateRole(t, root, "app", "/team/")
	rlCreateRole(t, root, "secret", "/admin/")
	res(root.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("web")})).must(t)

	res(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")})).must(t)
	key := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev")})).must(t).AccessKey
	doc := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":["iam:GetRole","iam:TagRole","iam:AddRoleToInstanceProfile"],"Resource":["arn:aws:iam::` + testAccount + `:role/team/*","arn:aws:iam::` + testAccount + `:instance-profile/*"]},` +
		`{"Effect":"Allow","Action":"iam:CreateRole","Resource":"arn:aws:iam::` + testAccount + `:role/team/*"}]}`
	res(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("roles"), PolicyDocument: aws.String(doc)})).must(t)
	dev := s.iamClient(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))

	res(dev.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})).must(t)
	_, err := dev.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("secret")})
	wantErrMessage(t, err, "AccessDenied", 403, "")
	// Not being allowed to read a role hides whether it exists.
	_, err = dev.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ghost")})
	wantErrMessage(t, err, "AccessDenied", 403, "")
	_, err = dev.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")})
	wantErrMessage(t, err, "AccessDenied", 403, "")
	_, err = dev.ListRoles(ctx, &iam.ListRolesInput{})
	wantErrMessage(t, err, "AccessDenied", 403, "")
	res(dev.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("mine"), Path: aws.String("/team/"), AssumeRolePolicyDocument: aws.String(rlEC2Trust)})).must(t)
	_, err = dev.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("theirs"), AssumeRolePolicyDocument: aws.String(rlEC2Trust)})
	wantErrMessage(t, err, "AccessDenied", 403, "")

	// Without iam:PassRole the role cannot go into a profile.
	_, err = dev.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("app")})
	wantErrMessage(t, err, "AccessDenied", 403, "")
	pass := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::` + testAccount + `:role/team/*"}]}`
	res(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("pass"), PolicyDocument: aws.String(pass)})).must(t)
	res(dev.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("app")})).must(t)
}
