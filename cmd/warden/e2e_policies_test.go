package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// nonSpace counts what IAM counts against policy size quotas: characters
// other than white space.
func nonSpace(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// docOfSize returns a valid identity policy of exactly size non-white-space
// characters, with extra spaces of indentation that must not count.
func docOfSize(t *testing.T, size, spaces int) string {
	t.Helper()
	head := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::`
	tail := `/*"}]}`
	fill := size - nonSpace(head) - nonSpace(tail)
	if fill < 1 {
		t.Fatalf("size %d too small", size)
	}
	// The white space goes inside the brace: IAM refuses a document that
	// opens with it (The policy failed legacy parsing).
	doc := "{" + strings.Repeat(" ", spaces) + head[1:] + strings.Repeat("b", fill) + tail
	if nonSpace(doc) != size {
		t.Fatalf("docOfSize built %d characters, want %d", nonSpace(doc), size)
	}
	return doc
}

func policyNames(ps []types.Policy) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.PolicyName))
	}
	return out
}

func attachedNames(ps []types.AttachedPolicy) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.PolicyName))
	}
	return out
}

// decoded URL-decodes a policy document as returned by IAM, checking that it
// was encoded at all.
func decoded(t *testing.T, raw *string) string {
	t.Helper()
	if raw == nil {
		t.Fatal("no policy document")
	}
	doc, err := url.QueryUnescape(*raw)
	if err != nil {
		t.Fatalf("document is not URL-encoded: %v", err)
	}
	return doc
}

func TestE2EManagedPolicyShapes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	doc := allowDoc("s3:ListBucket")

	p := res(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("reader"), Path: aws.String("/app/"),
		PolicyDocument: aws.String(doc), Description: aws.String("reads buckets"), Tags: []types.Tag{tag("owner", "ann")}})).must(t).Policy
	checks := []struct {
		field, got, want string
	}{
		{"Arn", aws.ToString(p.Arn), policyARN("/app/", "reader")},
		{"PolicyName", aws.ToString(p.PolicyName), "reader"},
		{"Path", aws.ToString(p.Path), "/app/"},
		{"DefaultVersionId", aws.ToString(p.DefaultVersionId), "v1"},
		// CreatePolicy answers without the Description; GetPolicy has it.
		{"Description", aws.ToString(p.Description), ""},
		{"AttachmentCount", fmt.Sprint(aws.ToInt32(p.AttachmentCount)), "0"},
		{"PermissionsBoundaryUsageCount", fmt.Sprint(aws.ToInt32(p.PermissionsBoundaryUsageCount)), "0"},
		{"IsAttachable", fmt.Sprint(p.IsAttachable), "true"},
		{"PolicyId prefix", aws.ToString(p.PolicyId)[:min(4, len(aws.ToString(p.PolicyId)))], "ANPA"},
		{"PolicyId length", fmt.Sprint(len(aws.ToString(p.PolicyId))), "21"},
		{"Tags", fmt.Sprint(tagMap(p.Tags)), "map[owner:ann]"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("CreatePolicy %s = %q, want %q", c.field, c.got, c.want)
		}
	}
	recent(t, "policy CreateDate", p.CreateDate)
	recent(t, "policy UpdateDate", p.UpdateDate)

	got := res(root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.Arn})).must(t).Policy
	if aws.ToString(got.PolicyId) != aws.ToString(p.PolicyId) || aws.ToString(got.Description) != "reads buckets" ||
		tagMap(got.Tags)["owner"] != "ann" || !got.IsAttachable {
		t.Errorf("GetPolicy = %+v", got)
	}
	v := res(root.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: p.Arn, VersionId: aws.String("v1")})).must(t).PolicyVersion
	if decoded(t, v.Document) != doc || !v.IsDefaultVersion || aws.ToString(v.VersionId) != "v1" {
		t.Errorf("GetPolicyVersion v1 = %+v", v)
	}
	if aws.ToString(v.Document) == doc {
		t.Error("GetPolicyVersion returned the document without URL-encoding it")
	}

	// Size counts characters other than white space: exactly the quota passes
	// however much indentation there is; one more is LimitExceeded.
	res(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("at-limit"), PolicyDocument: aws.String(docOfSize(t, 6144, 3000))})).must(t)
	_, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("over-limit"), PolicyDocument: aws.String(docOfSize(t, 6145, 0))})
	wantErr(t, err, "LimitExceeded", 409)
	_, err = root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: p.Arn, PolicyDocument: aws.String(docOfSize(t, 6145, 0))})
	wantErr(t, err, "LimitExceeded", 409)

	tests := []struct {
		name   string
		in     *iam.CreatePolicyInput
		code   string
		status int
	}{
		{"bad JSON", &iam.CreatePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[`)}, "MalformedPolicyDocument", 400},
		{"no Statement", &iam.CreatePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Version":"2012-10-17"}`)}, "MalformedPolicyDocument", 400},
		{"not an object", &iam.CreatePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String(`"Allow"`)}, "MalformedPolicyDocument", 400},
		{"duplicate, other case", &iam.CreatePolicyInput{PolicyName: aws.String("READER"), PolicyDocument: aws.String(doc)}, "EntityAlreadyExists", 409},
		{"bad name", &iam.CreatePolicyInput{PolicyName: aws.String("a b"), PolicyDocument: aws.String(doc)}, "ValidationError", 400},
		{"bad path", &iam.CreatePolicyInput{PolicyName: aws.String("p"), Path: aws.String("app"), PolicyDocument: aws.String(doc)}, "ValidationError", 400},
		{"aws: tag", &iam.CreatePolicyInput{PolicyName: aws.String("t"), PolicyDocument: aws.String(doc), Tags: []types.Tag{tag("aws:x", "y")}}, "InvalidInput", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := root.CreatePolicy(ctx, tt.in)
			wantErr(t, err, tt.code, tt.status)
		})
	}
	_, err = root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN("/", "missing"))})
	wantErr(t, err, "NoSuchEntity", 404)
	// The path is part of the ARN: the right name under the wrong path is missing.
	_, err = root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN("/", "reader"))})
	wantErr(t, err, "NoSuchEntity", 404)
}

func TestE2EPolicyVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	arn := aws.String(createPolicy(t, root, "versioned", ""))
	docs := map[string]string{"v1": allowDoc("s3:GetObject")}

	v2 := res(root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowDoc("s3:PutObject"))})).must(t).PolicyVersion
	docs["v2"] = allowDoc("s3:PutObject")
	if aws.ToString(v2.VersionId) != "v2" || v2.IsDefaultVersion {
		t.Errorf("v2 = %+v", v2)
	}
	recent(t, "v2 CreateDate", v2.CreateDate)
	v3 := res(root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowDoc("s3:DeleteObject")), SetAsDefault: true})).must(t).PolicyVersion
	docs["v3"] = allowDoc("s3:DeleteObject")
	if aws.ToString(v3.VersionId) != "v3" || !v3.IsDefaultVersion {
		t.Errorf("v3 = %+v", v3)
	}
	if d := aws.ToString(res(root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn})).must(t).Policy.DefaultVersionId); d != "v3" {
		t.Errorf("DefaultVersionId = %s, want v3", d)
	}
	for id, doc := range docs {
		v := res(root.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String(id)})).must(t).PolicyVersion
		if decoded(t, v.Document) != doc || v.IsDefaultVersion != (id == "v3") {
			t.Errorf("version %s = %q default %v", id, decoded(t, v.Document), v.IsDefaultVersion)
		}
	}

	listed := func() (ids []string, defaults []string) {
		t.Helper()
		out := res(root.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn})).must(t)
		for _, v := range out.Versions {
			ids = append(ids, aws.ToString(v.VersionId))
			if v.IsDefaultVersion {
				defaults = append(defaults, aws.ToString(v.VersionId))
			}
			if v.Document != nil {
				t.Errorf("ListPolicyVersions returned a document for %s", aws.ToString(v.VersionId))
			}
		}
		slices.Sort(ids)
		return ids, defaults
	}
	if ids, defaults := listed(); !slices.Equal(ids, []string{"v1", "v2", "v3"}) || !slices.Equal(defaults, []string{"v3"}) {
		t.Errorf("versions = %v, defaults %v", ids, defaults)
	}

	for range 2 {
		res(root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowDoc("s3:*"))})).must(t)
	}
	_, err := root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowDoc("s3:*"))})
	wantErr(t, err, "LimitExceeded", 409)

	_, err = root.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v3")})
	wantErr(t, err, "DeleteConflict", 409)
	res(root.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")})).must(t)
	res(root.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v3")})).must(t)
	_, err = root.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v3")})
	wantErr(t, err, "NoSuchEntity", 404)
	if ids, defaults := listed(); !slices.Equal(ids, []string{"v1", "v2", "v4", "v5"}) || !slices.Equal(defaults, []string{"v1"}) {
		t.Errorf("versions after delete = %v, defaults %v", ids, defaults)
	}
	// Version numbers are never reused.
	v6 := res(root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowDoc("s3:*"))})).must(t).PolicyVersion
	if aws.ToString(v6.VersionId) != "v6" {
		t.Errorf("next version = %s, want v6", aws.ToString(v6.VersionId))
	}

	errs := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"set missing version", func() error {
			_, err := root.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v9")})
			return err
		}, "NoSuchEntity", 404},
		{"malformed version ID", func() error {
			_, err := root.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("1")})
			return err
		}, "ValidationError", 400},
		{"delete missing version", func() error {
			_, err := root.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v3")})
			return err
		}, "NoSuchEntity", 404},
		{"version of missing policy", func() error {
			_, err := root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(policyARN("/", "ghost")), PolicyDocument: aws.String(allowDoc("s3:*"))})
			return err
		}, "NoSuchEntity", 404},
		{"malformed new version", func() error {
			_, err := root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String("{")})
			return err
		}, "MalformedPolicyDocument", 400},
		{"delete policy with versions", func() error {
			_, err := root.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
			return err
		}, "DeleteConflict", 409},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.call(), tt.code, tt.status)
		})
	}

	for _, id := range []string{"v2", "v4", "v5", "v6"} {
		res(root.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String(id)})).must(t)
	}
	createUser(t, root, "holder")
	res(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("holder"), PolicyArn: arn})).must(t)
	_, err = root.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
	wantErr(t, err, "DeleteConflict", 409)
	res(root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("holder"), PolicyArn: arn})).must(t)
	res(root.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})).must(t)
	_, err = root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
	wantErr(t, err, "NoSuchEntity", 404)
}

func TestE2EListPolicies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	var want []string
	for _, n := range []string{"p4", "p2", "p5", "p1", "p3"} {
		createPolicy(t, root, n, "/svc/")
		want = append(want, n)
	}
	slices.Sort(want)
	createPolicy(t, root, "root-level", "")
	createUser(t, root, "attached-user")
	res(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("attached-user"), PolicyArn: aws.String(policyARN("/svc/", "p3"))})).must(t)

	var got []string
	var marker *string
	for pages := 1; ; pages++ {
		out := res(root.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, PathPrefix: aws.String("/svc/"), MaxItems: aws.Int32(2), Marker: marker})).must(t)
		if len(out.Policies) > 2 {
			t.Fatalf("page %d has %d policies", pages, len(out.Policies))
		}
		for _, p := range out.Policies {
			if p.Tags != nil || p.Description != nil {
				t.Errorf("ListPolicies returned tags or description for %s", aws.ToString(p.PolicyName))
			}
		}
		got = append(got, policyNames(out.Policies)...)
		if !out.IsTruncated {
			if pages != 3 {
				t.Errorf("%d pages, want 3", pages)
			}
			break
		}
		if pages > 10 || out.Marker == nil {
			t.Fatalf("page %d: truncated without a usable Marker", pages)
		}
		marker = out.Marker
	}
	if !slices.Equal(got, want) {
		t.Errorf("walked %v, want %v", got, want)
	}

	tests := []struct {
		name string
		in   *iam.ListPoliciesInput
		want []string
	}{
		{"local", &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}, append(slices.Clone(want), "root-level")},
		{"only attached", &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, OnlyAttached: true}, []string{"p3"}},
		{"path prefix", &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, PathPrefix: aws.String("/svc/")}, want},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := policyNames(res(root.ListPolicies(ctx, tt.in)).must(t).Policies)
			slices.Sort(names)
			wantSorted := slices.Clone(tt.want)
			slices.Sort(wantSorted)
			if !slices.Equal(names, wantSorted) {
				t.Errorf("policies = %v, want %v", names, wantSorted)
			}
		})
	}
	t.Run("AWS scope holds no local policy", func(t *testing.T) {
		out := res(root.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws})).must(t)
		for _, p := range out.Policies {
			if !strings.HasPrefix(aws.ToString(p.Arn), "arn:aws:iam::aws:policy/") {
				t.Errorf("Scope=AWS listed %s", aws.ToString(p.Arn))
			}
		}
	})
	_, err := root.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: "Nobody"})
	wantErr(t, err, "ValidationError", 400)
}

func TestE2EAttachPolicies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "ann")
	createUser(t, root, "ben")
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops"), Path: aws.String("/teams/")})).must(t)
	shared := createPolicy(t, root, "shared", "/common/")
	other := createPolicy(t, root, "other", "")

	res(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ann"), PolicyArn: aws.String(shared)})).must(t)
	// Attaching again succeeds without counting twice.
	res(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ann"), PolicyArn: aws.String(shared)})).must(t)
	res(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ann"), PolicyArn: aws.String(other)})).must(t)
	res(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ben"), PolicyArn: aws.String(shared)})).must(t)
	res(root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ops"), PolicyArn: aws.String(shared)})).must(t)

	if n := aws.ToInt32(res(root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(shared)})).must(t).Policy.AttachmentCount); n != 3 {
		t.Errorf("AttachmentCount = %d, want 3", n)
	}
	au := res(root.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("ann")})).must(t)
	if names := attachedNames(au.AttachedPolicies); !slices.Equal(sorted(names), []string{"other", "shared"}) {
		t.Errorf("ann's attached = %v", names)
	}
	for _, p := range au.AttachedPolicies {
		if want := map[string]string{"shared": shared, "other": other}[aws.ToString(p.PolicyName)]; aws.ToString(p.PolicyArn) != want {
			t.Errorf("attached %s has ARN %s, want %s", aws.ToString(p.PolicyName), aws.ToString(p.PolicyArn), want)
		}
	}
	au = res(root.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("ann"), PathPrefix: aws.String("/common/")})).must(t)
	if names := attachedNames(au.AttachedPolicies); !slices.Equal(names, []string{"shared"}) {
		t.Errorf("ann's attached under /common/ = %v", names)
	}
	page := res(root.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("ann"), MaxItems: aws.Int32(1)})).must(t)
	next := res(root.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("ann"), Marker: page.Marker})).must(t)
	if !page.IsTruncated || next.IsTruncated || len(page.AttachedPolicies)+len(next.AttachedPolicies) != 2 {
		t.Errorf("attached pages = %v + %v", attachedNames(page.AttachedPolicies), attachedNames(next.AttachedPolicies))
	}
	ag := res(root.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("ops")})).must(t)
	if names := attachedNames(ag.AttachedPolicies); !slices.Equal(names, []string{"shared"}) || aws.ToString(ag.AttachedPolicies[0].PolicyArn) != shared {
		t.Errorf("ops' attached = %v", names)
	}

	entities := []struct {
		filter     types.EntityType
		users      []string
		groups     []string
		pathPrefix string
	}{
		{"", []string{"ann", "ben"}, []string{"ops"}, ""},
		{types.EntityTypeUser, []string{"ann", "ben"}, nil, ""},
		{types.EntityTypeGroup, nil, []string{"ops"}, ""},
		{"", nil, []string{"ops"}, "/teams/"},
	}
	for _, tt := range entities {
		t.Run(fmt.Sprintf("entities filter %q prefix %q", tt.filter, tt.pathPrefix), func(t *testing.T) {
			in := &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(shared), EntityFilter: tt.filter}
			if tt.pathPrefix != "" {
				in.PathPrefix = aws.String(tt.pathPrefix)
			}
			out := res(root.ListEntitiesForPolicy(ctx, in)).must(t)
			var users, groups []string
			for _, u := range out.PolicyUsers {
				users = append(users, aws.ToString(u.UserName))
				if !strings.HasPrefix(aws.ToString(u.UserId), "AIDA") {
					t.Errorf("PolicyUser %s has UserId %s", aws.ToString(u.UserName), aws.ToString(u.UserId))
				}
			}
			for _, g := range out.PolicyGroups {
				groups = append(groups, aws.ToString(g.GroupName))
				if !strings.HasPrefix(aws.ToString(g.GroupId), "AGPA") {
					t.Errorf("PolicyGroup %s has GroupId %s", aws.ToString(g.GroupName), aws.ToString(g.GroupId))
				}
			}
			if !slices.Equal(sorted(users), tt.users) || !slices.Equal(groups, tt.groups) || len(out.PolicyRoles) != 0 {
				t.Errorf("entities = users %v groups %v roles %d, want %v %v", users, groups, len(out.PolicyRoles), tt.users, tt.groups)
			}
		})
	}

	res(root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("ben"), PolicyArn: aws.String(shared)})).must(t)
	res(root.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("ops"), PolicyArn: aws.String(shared)})).must(t)
	if n := aws.ToInt32(res(root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(shared)})).must(t).Policy.AttachmentCount); n != 1 {
		t.Errorf("AttachmentCount after detaching = %d, want 1", n)
	}
	if ag := res(root.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("ops")})).must(t); len(ag.AttachedPolicies) != 0 {
		t.Errorf("ops' attached after detach = %v", attachedNames(ag.AttachedPolicies))
	}

	errs := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"attach missing policy to user", func() error {
			_, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ann"), PolicyArn: aws.String(policyARN("/", "ghost"))})
			return err
		}, "NoSuchEntity", 404},
		{"attach missing policy to group", func() error {
			_, err := root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ops"), PolicyArn: aws.String(policyARN("/", "ghost"))})
			return err
		}, "NoSuchEntity", 404},
		{"attach to missing user", func() error {
			_, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ghost"), PolicyArn: aws.String(shared)})
			return err
		}, "NoSuchEntity", 404},
		{"attach to missing group", func() error {
			_, err := root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ghost"), PolicyArn: aws.String(shared)})
			return err
		}, "NoSuchEntity", 404},
		{"detach unattached from user", func() error {
			_, err := root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("ben"), PolicyArn: aws.String(shared)})
			return err
		}, "NoSuchEntity", 404},
		{"detach unattached from group", func() error {
			_, err := root.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("ops"), PolicyArn: aws.String(shared)})
			return err
		}, "NoSuchEntity", 404},
		{"entities of missing policy", func() error {
			_, err := root.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(policyARN("/", "ghost"))})
			return err
		}, "NoSuchEntity", 404},
		{"attached of missing user", func() error {
			_, err := root.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("ghost")})
			return err
		}, "NoSuchEntity", 404},
		{"attached of missing group", func() error {
			_, err := root.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("ghost")})
			return err
		}, "NoSuchEntity", 404},
		{"not an ARN", func() error {
			_, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ann"), PolicyArn: aws.String("not-a-policy-arn-at-all")})
			return err
		}, "InvalidInput", 400},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.call(), tt.code, tt.status)
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestE2EAttachQuota(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "busy")
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("busy")})).must(t)
	var arns []string
	for i := range 11 {
		arns = append(arns, createPolicy(t, root, fmt.Sprintf("q%02d", i), ""))
	}
	for _, a := range arns[:10] {
		res(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("busy"), PolicyArn: aws.String(a)})).must(t)
		res(root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("busy"), PolicyArn: aws.String(a)})).must(t)
	}
	_, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("busy"), PolicyArn: aws.String(arns[10])})
	wantErr(t, err, "LimitExceeded", 409)
	_, err = root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("busy"), PolicyArn: aws.String(arns[10])})
	wantErr(t, err, "LimitExceeded", 409)
	if n := aws.ToInt32(res(root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arns[10])})).must(t).Policy.AttachmentCount); n != 0 {
		t.Errorf("refused attachment counted: AttachmentCount = %d", n)
	}
	// Re-attaching one already attached is not a new attachment.
	res(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("busy"), PolicyArn: aws.String(arns[0])})).must(t)
}

func TestE2EPolicyTags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	arn := aws.String(createPolicy(t, root, "tagged", ""))

	res(root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: arn, Tags: []types.Tag{tag("c", "3"), tag("b", "2"), tag("a", "1")}})).must(t)
	res(root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: arn, Tags: []types.Tag{tag("A", "one")}})).must(t)
	res(root.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: arn, TagKeys: []string{"b"}})).must(t)
	out := res(root.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: arn})).must(t)
	if got := tagMap(out.Tags); len(got) != 2 || got["a"] != "one" || got["c"] != "3" || out.IsTruncated {
		t.Errorf("policy tags = %v", got)
	}
	if keys := tagKeys(out.Tags); !slices.Equal(keys, []string{"a", "c"}) {
		t.Errorf("policy tag keys in order %v, want sorted", keys)
	}
	if got := tagMap(res(root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn})).must(t).Policy.Tags); len(got) != 2 {
		t.Errorf("GetPolicy tags = %v", got)
	}
	_, err := root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: arn, Tags: []types.Tag{tag("d", "1"), tag("D", "2")}})
	wantErr(t, err, "InvalidInput", 400)
	_, err = root.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(policyARN("/", "ghost"))})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(policyARN("/", "ghost")), Tags: []types.Tag{tag("a", "b")}})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(policyARN("/", "ghost")), TagKeys: []string{"a"}})
	wantErr(t, err, "NoSuchEntity", 404)
}

func TestE2EInlinePolicies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "inl")
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("inlg")})).must(t)
	// Characters URL-encoding must change, '+' and a space among them.
	doc := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", ` +
		`"Resource": "arn:aws:s3:::a+b/*", "Condition": {"StringEquals": {"aws:username": "josé & ann"}}}]}`

	type entity struct {
		kind string
		put  func(name, doc string) error
		get  func(name string) (*string, error)
		del  func(name string) error
		list func() ([]string, error)
	}
	entities := []entity{
		{"user",
			func(n, d string) error {
				_, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("inl"), PolicyName: aws.String(n), PolicyDocument: aws.String(d)})
				return err
			},
			func(n string) (*string, error) {
				out, err := root.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("inl"), PolicyName: aws.String(n)})
				if err != nil {
					return nil, err
				}
				if aws.ToString(out.UserName) != "inl" || aws.ToString(out.PolicyName) != n {
					t.Errorf("GetUserPolicy names = %s %s", aws.ToString(out.UserName), aws.ToString(out.PolicyName))
				}
				return out.PolicyDocument, nil
			},
			func(n string) error {
				_, err := root.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("inl"), PolicyName: aws.String(n)})
				return err
			},
			func() ([]string, error) {
				out, err := root.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("inl")})
				if err != nil {
					return nil, err
				}
				return out.PolicyNames, nil
			}},
		{"group",
			func(n, d string) error {
				_, err := root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("inlg"), PolicyName: aws.String(n), PolicyDocument: aws.String(d)})
				return err
			},
			func(n string) (*string, error) {
				out, err := root.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("inlg"), PolicyName: aws.String(n)})
				if err != nil {
					return nil, err
				}
				if aws.ToString(out.GroupName) != "inlg" || aws.ToString(out.PolicyName) != n {
					t.Errorf("GetGroupPolicy names = %s %s", aws.ToString(out.GroupName), aws.ToString(out.PolicyName))
				}
				return out.PolicyDocument, nil
			},
			func(n string) error {
				_, err := root.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("inlg"), PolicyName: aws.String(n)})
				return err
			},
			func() ([]string, error) {
				out, err := root.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("inlg")})
				if err != nil {
					return nil, err
				}
				return out.PolicyNames, nil
			}},
	}
	for _, e := range entities {
		t.Run(e.kind, func(t *testing.T) {
			if err := e.put("second", allowDoc("ec2:*")); err != nil {
				t.Fatal(err)
			}
			if err := e.put("first", doc); err != nil {
				t.Fatal(err)
			}
			raw, err := e.get("first")
			if err != nil {
				t.Fatal(err)
			}
			if got := decoded(t, raw); got != doc {
				t.Errorf("decoded document = %q, want %q", got, doc)
			}
			if *raw == doc || strings.ContainsAny(*raw, "{\" +") {
				t.Errorf("document is not URL-encoded as AWS does: %q", *raw)
			}
			names, err := e.list()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names, []string{"first", "second"}) {
				t.Errorf("policy names = %v", names)
			}
			// Putting under an existing name replaces the document.
			if err := e.put("first", allowDoc("sqs:*")); err != nil {
				t.Fatal(err)
			}
			if raw, err = e.get("first"); err != nil || decoded(t, raw) != allowDoc("sqs:*") {
				t.Errorf("replaced document = %v, %v", raw, err)
			}
			if err := e.del("first"); err != nil {
				t.Fatal(err)
			}
			_, err = e.get("first")
			wantErr(t, err, "NoSuchEntity", 404)
			wantErr(t, e.del("first"), "NoSuchEntity", 404)
			if names, _ := e.list(); !slices.Equal(names, []string{"second"}) {
				t.Errorf("names after delete = %v", names)
			}
			wantErr(t, e.put("bad", `{"Statement": [`), "MalformedPolicyDocument", 400)
			wantErr(t, e.put("bad name!", allowDoc("s3:*")), "ValidationError", 400)
			if err := e.del("second"); err != nil {
				t.Fatal(err)
			}
		})
	}

	t.Run("user aggregate quota", func(t *testing.T) {
		// 2048 non-white-space characters in all of a user's inline policies.
		if err := entities[0].put("half", docOfSize(t, 1024, 500)); err != nil {
			t.Fatal(err)
		}
		if err := entities[0].put("other-half", docOfSize(t, 1024, 500)); err != nil {
			t.Fatal(err)
		}
		wantErr(t, entities[0].put("one-more", docOfSize(t, 200, 0)), "LimitExceeded", 409)
		// Replacing a policy counts its new size only.
		wantErr(t, entities[0].put("half", docOfSize(t, 1025, 0)), "LimitExceeded", 409)
		if err := entities[0].put("half", docOfSize(t, 1000, 0)); err != nil {
			t.Fatal(err)
		}
		names, _ := entities[0].list()
		if !slices.Equal(names, []string{"half", "other-half"}) {
			t.Errorf("names after refused put = %v", names)
		}
	})
	t.Run("group aggregate quota", func(t *testing.T) {
		if err := entities[1].put("big", docOfSize(t, 5120, 0)); err != nil {
			t.Fatal(err)
		}
		wantErr(t, entities[1].put("more", docOfSize(t, 200, 0)), "LimitExceeded", 409)
	})

	missing := []struct {
		name string
		call func() error
	}{
		{"put for missing user", func() error {
			_, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ghost"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowDoc("s3:*"))})
			return err
		}},
		{"list for missing user", func() error {
			_, err := root.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("ghost")})
			return err
		}},
		{"get for missing group", func() error {
			_, err := root.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("ghost"), PolicyName: aws.String("p")})
			return err
		}},
		{"list for missing group", func() error {
			_, err := root.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("ghost")})
			return err
		}},
	}
	for _, tt := range missing {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.call(), "NoSuchEntity", 404)
		})
	}
}
