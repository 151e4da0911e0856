package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Helpers shared by the e2e_*_test.go files.

// outcome is the result of an SDK call, to be checked with must.
type outcome[T any] struct {
	v   T
	err error
}

// res captures the two results of an SDK call: res(c.GetUser(ctx, in)).must(t).
func res[T any](v T, err error) outcome[T] { return outcome[T]{v, err} }

// must returns the call's output, failing the test when it returned an error.
func (o outcome[T]) must(t *testing.T) T {
	t.Helper()
	if o.err != nil {
		t.Fatalf("unexpected error: %v", o.err)
	}
	return o.v
}

// wantErr checks that err is the AWS error code, answered with HTTP status and
// a request ID, as AWS does.
func wantErr(t *testing.T, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s (%d), got success", code, status)
	}
	if got := apiCode(t, err); got != code {
		t.Fatalf("error code = %s, want %s (%v)", got, code, err)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("no HTTP response in %v", err)
	}
	if re.HTTPStatusCode() != status {
		t.Errorf("%s: HTTP status = %d, want %d", code, re.HTTPStatusCode(), status)
	}
	if re.ServiceRequestID() == "" {
		t.Errorf("%s: no request ID", code)
	}
}

// wantErrMessage is wantErr that also wants msg in the error's message.
func wantErrMessage(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	wantErr(t, err, code, status)
	var ae smithy.APIError
	if errors.As(err, &ae) && !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("%s message = %q, want it to contain %q", code, ae.ErrorMessage(), msg)
	}
}

// userARN is the ARN of a user in the test account.
func userARN(path, name string) string {
	return "arn:aws:iam::" + testAccount + ":user" + path + name
}

// policyARN is the ARN of a managed policy in the test account.
func policyARN(path, name string) string {
	return "arn:aws:iam::" + testAccount + ":policy" + path + name
}

// allowDoc is a small identity policy allowing action on everything.
func allowDoc(action string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`
}

// createUser creates a user at path / and fails the test otherwise.
func createUser(t *testing.T, c *iam.Client, name string) *types.User {
	t.Helper()
	out := res(c.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)})).must(t)
	return out.User
}

// userWithKey creates a user with an access key and returns the key and an
// IAM client signing as that user.
func userWithKey(t *testing.T, s *server, name string) (*types.AccessKey, *iam.Client) {
	t.Helper()
	createUser(t, s.root(), name)
	out := res(s.root().CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(name)})).must(t)
	return out.AccessKey, s.iamClient(*out.AccessKey.AccessKeyId, *out.AccessKey.SecretAccessKey)
}

// grantSelfService lets a user read itself, list its own keys and change its
// own password, and nothing else (AWS grants IAM users nothing by default).
func grantSelfService(t *testing.T, c *iam.Client, name string) {
	t.Helper()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Action":["iam:GetUser","iam:ListAccessKeys","iam:ChangePassword"],"Resource":"` + userARN("/", name) + `"}]}`
	res(c.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(name),
		PolicyName: aws.String("self-service"), PolicyDocument: aws.String(doc)})).must(t)
}

// createPolicy creates a managed policy allowing action and returns its ARN.
func createPolicy(t *testing.T, c *iam.Client, name, path string) string {
	t.Helper()
	in := &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(allowDoc("s3:GetObject"))}
	if path != "" {
		in.Path = aws.String(path)
	}
	return *res(c.CreatePolicy(context.Background(), in)).must(t).Policy.Arn
}

// recent fails unless ts is set and within a minute of now.
func recent(t *testing.T, what string, ts *time.Time) {
	t.Helper()
	if ts == nil {
		t.Fatalf("%s: no time", what)
	}
	if d := time.Since(*ts); d < -time.Minute || d > time.Minute {
		t.Errorf("%s = %v, not within a minute of now", what, *ts)
	}
}

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, tg := range tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

func tagKeys(tags []types.Tag) []string {
	var out []string
	for _, tg := range tags {
		out = append(out, aws.ToString(tg.Key))
	}
	return out
}

func tag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

func userNames(users []types.User) []string {
	var out []string
	for _, u := range users {
		out = append(out, aws.ToString(u.UserName))
	}
	return out
}

func TestE2EUserCreateShapes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	boundary := createPolicy(t, root, "boundary", "")

	out := res(root.CreateUser(ctx, &iam.CreateUserInput{
		UserName:            aws.String("alice"),
		Path:                aws.String("/eng/backend/"),
		PermissionsBoundary: aws.String(boundary),
		Tags:                []types.Tag{tag("team", "core"), tag("Cost-Center", "42")},
	})).must(t)
	u := out.User
	if got, want := aws.ToString(u.Arn), userARN("/eng/backend/", "alice"); got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if aws.ToString(u.Path) != "/eng/backend/" || aws.ToString(u.UserName) != "alice" {
		t.Errorf("Path, UserName = %q, %q", aws.ToString(u.Path), aws.ToString(u.UserName))
	}
	if id := aws.ToString(u.UserId); len(id) != 21 || !strings.HasPrefix(id, "AIDA") {
		t.Errorf("UserId = %q, want AIDA + 17 characters", id)
	}
	recent(t, "CreateDate", u.CreateDate)
	if got := tagMap(u.Tags); len(got) != 2 || got["team"] != "core" || got["Cost-Center"] != "42" {
		t.Errorf("Tags = %v", got)
	}
	if u.PermissionsBoundary == nil || aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn) != boundary ||
		u.PermissionsBoundary.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
		t.Errorf("PermissionsBoundary = %+v", u.PermissionsBoundary)
	}
	if u.PasswordLastUsed != nil {
		t.Errorf("PasswordLastUsed = %v for a new user", u.PasswordLastUsed)
	}

	got := res(root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ALICE")})).must(t).User
	if aws.ToString(got.UserId) != aws.ToString(u.UserId) || aws.ToString(got.Arn) != aws.ToString(u.Arn) ||
		!got.CreateDate.Equal(*u.CreateDate) || aws.ToString(got.UserName) != "alice" {
		t.Errorf("GetUser = %+v, want the created user", got)
	}
	if len(got.Tags) != 2 || got.PermissionsBoundary == nil {
		t.Errorf("GetUser lost tags or boundary: %+v", got)
	}
	// Listings leave out the boundary and the tags, as AWS documents.
	listed := res(root.ListUsers(ctx, &iam.ListUsersInput{})).must(t).Users
	if len(listed) != 1 || listed[0].PermissionsBoundary != nil || listed[0].Tags != nil || aws.ToString(listed[0].UserId) != aws.ToString(u.UserId) {
		t.Errorf("ListUsers = %+v, want alice without boundary or tags", listed)
	}
	pol := res(root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(boundary)})).must(t).Policy
	if aws.ToInt32(pol.PermissionsBoundaryUsageCount) != 1 || aws.ToInt32(pol.AttachmentCount) != 0 {
		t.Errorf("boundary policy counts: boundary %d, attachments %d", aws.ToInt32(pol.PermissionsBoundaryUsageCount), aws.ToInt32(pol.AttachmentCount))
	}
}

func TestE2EGetUserWithoutName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)

	t.Run("root", func(t *testing.T) {
		u := res(s.root().GetUser(ctx, &iam.GetUserInput{})).must(t).User
		if aws.ToString(u.Arn) != "arn:aws:iam::"+testAccount+":root" || aws.ToString(u.UserId) != testAccount {
			t.Errorf("root GetUser = %s %s", aws.ToString(u.Arn), aws.ToString(u.UserId))
		}
		// AWS sends neither UserName nor Path for the root user.
		if u.UserName != nil || u.Path != nil {
			t.Errorf("root GetUser has UserName %q Path %q, want none", aws.ToString(u.UserName), aws.ToString(u.Path))
		}
		recent(t, "root CreateDate", u.CreateDate)
	})
	t.Run("user", func(t *testing.T) {
		_, bob := userWithKey(t, s, "bob")
		grantSelfService(t, s.root(), "bob")
		u := res(bob.GetUser(ctx, &iam.GetUserInput{})).must(t).User
		if aws.ToString(u.UserName) != "bob" || aws.ToString(u.Arn) != userARN("/", "bob") || aws.ToString(u.Path) != "/" {
			t.Errorf("bob's GetUser = %+v", u)
		}
		u = res(bob.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})).must(t).User
		if aws.ToString(u.UserName) != "bob" {
			t.Errorf("bob's GetUser by name = %+v", u)
		}
	})
}

func TestE2EUpdateUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	key, _ := userWithKey(t, s, "carol")
	createUser(t, root, "dave")
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("staff")})).must(t)
	res(root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("staff"), UserName: aws.String("carol")})).must(t)

	res(root.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("carol"),
		NewUserName: aws.String("caroline"), NewPath: aws.String("/ops/")})).must(t)

	u := res(root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("caroline")})).must(t).User
	if aws.ToString(u.Path) != "/ops/" || aws.ToString(u.Arn) != userARN("/ops/", "caroline") {
		t.Errorf("renamed user = %s %s", aws.ToString(u.Path), aws.ToString(u.Arn))
	}
	_, err := root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")})
	wantErr(t, err, "NoSuchEntity", 404)

	// The access key follows the user to its new name.
	id := res(s.stsClient(*key.AccessKeyId, *key.SecretAccessKey).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(id.Arn) != userARN("/ops/", "caroline") || aws.ToString(id.UserId) != aws.ToString(u.UserId) {
		t.Errorf("identity after rename = %s %s", aws.ToString(id.Arn), aws.ToString(id.UserId))
	}
	keys := res(root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("caroline")})).must(t)
	if len(keys.AccessKeyMetadata) != 1 || aws.ToString(keys.AccessKeyMetadata[0].UserName) != "caroline" {
		t.Errorf("keys after rename = %+v", keys.AccessKeyMetadata)
	}
	groups := res(root.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("caroline")})).must(t)
	if len(groups.Groups) != 1 || aws.ToString(groups.Groups[0].GroupName) != "staff" {
		t.Errorf("groups after rename = %+v", groups.Groups)
	}

	tests := []struct {
		name string
		in   *iam.UpdateUserInput
		code string
		want int
	}{
		{"missing user", &iam.UpdateUserInput{UserName: aws.String("carol"), NewUserName: aws.String("x")}, "NoSuchEntity", 404},
		{"name taken, other case", &iam.UpdateUserInput{UserName: aws.String("caroline"), NewUserName: aws.String("DAVE")}, "EntityAlreadyExists", 409},
		{"bad new path", &iam.UpdateUserInput{UserName: aws.String("caroline"), NewPath: aws.String("ops")}, "ValidationError", 400},
		{"bad new name", &iam.UpdateUserInput{UserName: aws.String("caroline"), NewUserName: aws.String("a b")}, "ValidationError", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := root.UpdateUser(ctx, tt.in)
			wantErr(t, err, tt.code, tt.want)
		})
	}

	// A change of case only is a rename too.
	res(root.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("caroline"), NewUserName: aws.String("Caroline")})).must(t)
	u = res(root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("caroline")})).must(t).User
	if aws.ToString(u.UserName) != "Caroline" {
		t.Errorf("after case change UserName = %s", aws.ToString(u.UserName))
	}
}

func TestE2EDeleteUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "erin")
	res(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("erin")})).must(t)
	_, err := root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("erin")})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("erin")})
	wantErr(t, err, "NoSuchEntity", 404)
	// The name is free again.
	createUser(t, root, "erin")
}

func TestE2EDeleteUserConflicts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("crew")})).must(t)
	pol := createPolicy(t, root, "attached", "")

	tests := []struct {
		reason string
		add    func(name string) error
		remove func(name string) error
	}{
		{"login profile",
			func(n string) error {
				_, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(n), Password: aws.String("Secr3t-Passw0rd")})
				return err
			},
			func(n string) error {
				_, err := root.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String(n)})
				return err
			}},
		{"access keys",
			func(n string) error {
				_, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(n)})
				return err
			},
			func(n string) error {
				keys, err := root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(n)})
				if err != nil {
					return err
				}
				for _, k := range keys.AccessKeyMetadata {
					if _, err := root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(n), AccessKeyId: k.AccessKeyId}); err != nil {
						return err
					}
				}
				return nil
			}},
		{"group membership",
			func(n string) error {
				_, err := root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("crew"), UserName: aws.String(n)})
				return err
			},
			func(n string) error {
				_, err := root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("crew"), UserName: aws.String(n)})
				return err
			}},
		{"attached policy",
			func(n string) error {
				_, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(n), PolicyArn: aws.String(pol)})
				return err
			},
			func(n string) error {
				_, err := root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(n), PolicyArn: aws.String(pol)})
				return err
			}},
		{"inline policy",
			func(n string) error {
				_, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(n), PolicyName: aws.String("inline"), PolicyDocument: aws.String(allowDoc("s3:*"))})
				return err
			},
			func(n string) error {
				_, err := root.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(n), PolicyName: aws.String("inline")})
				return err
			}},
	}
	for i, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			name := fmt.Sprintf("conflict%d", i)
			createUser(t, root, name)
			if err := tt.add(name); err != nil {
				t.Fatal(err)
			}
			_, err := root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)})
			wantErr(t, err, "DeleteConflict", 409)
			res(root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})).must(t)
			if err := tt.remove(name); err != nil {
				t.Fatal(err)
			}
			res(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)})).must(t)
		})
	}
	p := res(root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(pol)})).must(t).Policy
	if aws.ToInt32(p.AttachmentCount) != 0 {
		t.Errorf("AttachmentCount after detach = %d", aws.ToInt32(p.AttachmentCount))
	}
}

func TestE2EListUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	var want []string
	for _, n := range []string{"u3", "u1", "u5", "u2", "u4"} {
		res(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(n), Path: aws.String("/team/a/")})).must(t)
		want = append(want, n)
	}
	slices.Sort(want)
	res(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("other"), Path: aws.String("/elsewhere/")})).must(t)

	var got []string
	var marker *string
	pages := 0
	for {
		out := res(root.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/team/"), MaxItems: aws.Int32(2), Marker: marker})).must(t)
		pages++
		if len(out.Users) > 2 {
			t.Fatalf("page %d has %d users, MaxItems is 2", pages, len(out.Users))
		}
		for _, u := range out.Users {
			if aws.ToString(u.Path) != "/team/a/" {
				t.Errorf("user %s has path %s outside the prefix", aws.ToString(u.UserName), aws.ToString(u.Path))
			}
			if u.Tags != nil {
				t.Errorf("ListUsers returned tags for %s", aws.ToString(u.UserName))
			}
		}
		got = append(got, userNames(out.Users)...)
		if !out.IsTruncated {
			if out.Marker != nil {
				t.Errorf("last page has Marker %q", *out.Marker)
			}
			break
		}
		if aws.ToString(out.Marker) == "" {
			t.Fatal("truncated page without Marker")
		}
		marker = out.Marker
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Errorf("walked %v in %d pages, want %v in 3", got, pages, want)
	}

	all := res(root.ListUsers(ctx, &iam.ListUsersInput{})).must(t)
	if len(all.Users) != 6 || all.IsTruncated {
		t.Errorf("ListUsers without prefix = %v (truncated %v)", userNames(all.Users), all.IsTruncated)
	}
	none := res(root.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/nobody/")})).must(t)
	if len(none.Users) != 0 || none.IsTruncated {
		t.Errorf("ListUsers with unused prefix = %v", userNames(none.Users))
	}
	// The SDK's paginator walks the same pages.
	var viaPaginator []string
	pg := iam.NewListUsersPaginator(root, &iam.ListUsersInput{PathPrefix: aws.String("/team/a/"), MaxItems: aws.Int32(2)})
	for pg.HasMorePages() {
		viaPaginator = append(viaPaginator, userNames(res(pg.NextPage(ctx)).must(t).Users)...)
	}
	if !slices.Equal(viaPaginator, want) {
		t.Errorf("paginator walked %v, want %v", viaPaginator, want)
	}
	_, err := root.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(0)})
	wantErr(t, err, "ValidationError", 400)
}

func TestE2EUserTags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "tagged")

	res(root.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("tagged"), Tags: []types.Tag{tag("tier", "1"), tag("env", "prod"), tag("owner", "ann")}})).must(t)
	// Keys compare regardless of case: this replaces the value of "env".
	res(root.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("tagged"), Tags: []types.Tag{tag("ENV", "dev")}})).must(t)
	listed := res(root.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("tagged")})).must(t).Tags
	got := tagMap(listed)
	if len(got) != 3 || got["env"] != "dev" || got["owner"] != "ann" || got["tier"] != "1" {
		t.Errorf("tags = %v", got)
	}
	// ListUserTags sorts by key.
	if keys := tagKeys(listed); !slices.Equal(keys, []string{"env", "owner", "tier"}) {
		t.Errorf("tag keys in order %v, want sorted", keys)
	}
	res(root.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("tagged"), TagKeys: []string{"owner", "missing"}})).must(t)
	out := res(root.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("tagged")})).must(t)
	if got := tagMap(out.Tags); len(got) != 2 || got["env"] != "dev" || got["tier"] != "1" || out.IsTruncated {
		t.Errorf("tags after untag = %v", got)
	}
	page := res(root.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("tagged"), MaxItems: aws.Int32(1)})).must(t)
	if len(page.Tags) != 1 || !page.IsTruncated || page.Marker == nil {
		t.Errorf("first tag page = %v truncated %v", tagMap(page.Tags), page.IsTruncated)
	}
	rest := res(root.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("tagged"), Marker: page.Marker})).must(t)
	if len(rest.Tags) != 1 || rest.IsTruncated || aws.ToString(rest.Tags[0].Key) == aws.ToString(page.Tags[0].Key) {
		t.Errorf("second tag page = %v", tagMap(rest.Tags))
	}
	u := res(root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("tagged")})).must(t).User
	if len(u.Tags) != 2 {
		t.Errorf("GetUser tags = %v", tagMap(u.Tags))
	}
	_, err := root.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("ghost")})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("ghost"), Tags: []types.Tag{tag("a", "b")}})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("ghost"), TagKeys: []string{"a"}})
	wantErr(t, err, "NoSuchEntity", 404)
}

func TestE2EUserErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "Existing")

	create := func(name, path string, tags ...types.Tag) error {
		in := &iam.CreateUserInput{UserName: aws.String(name), Tags: tags}
		if path != "" {
			in.Path = aws.String(path)
		}
		_, err := root.CreateUser(ctx, in)
		return err
	}
	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"get missing", func() error {
			_, err := root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity", 404},
		{"duplicate, same case", func() error { return create("Existing", "") }, "EntityAlreadyExists", 409},
		{"duplicate, other case", func() error { return create("existing", "") }, "EntityAlreadyExists", 409},
		{"duplicate, other path", func() error { return create("EXISTING", "/other/") }, "EntityAlreadyExists", 409},
		{"bad characters", func() error { return create("bad name!", "") }, "ValidationError", 400},
		{"slash in name", func() error { return create("a/b", "") }, "ValidationError", 400},
		{"65-character name", func() error { return create(strings.Repeat("n", 65), "") }, "ValidationError", 400},
		{"path without slashes", func() error { return create("p1", "eng") }, "ValidationError", 400},
		{"path without trailing slash", func() error { return create("p2", "/eng") }, "ValidationError", 400},
		{"path with space", func() error { return create("p3", "/a b/") }, "ValidationError", 400},
		{"duplicate tag keys", func() error { return create("t1", "", tag("Team", "a"), tag("team", "b")) }, "InvalidInput", 400},
		{"aws: tag prefix", func() error { return create("t2", "", tag("aws:owner", "x")) }, "InvalidInput", 400},
		{"aws: tag prefix on TagUser", func() error {
			_, err := root.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("Existing"), Tags: []types.Tag{tag("AWS:x", "y")}})
			return err
		}, "InvalidInput", 400},
		{"boundary that does not exist", func() error {
			_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("b1"), PermissionsBoundary: aws.String(policyARN("/", "nope"))})
			return err
		}, "NoSuchEntity", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.call(), tt.code, tt.status)
		})
	}
	// Failed creations leave nothing behind; the longest valid name works.
	users := res(root.ListUsers(ctx, &iam.ListUsersInput{})).must(t)
	if names := userNames(users.Users); !slices.Equal(names, []string{"Existing"}) {
		t.Errorf("users after failed creations = %v", names)
	}
	createUser(t, root, strings.Repeat("n", 64))
	createUser(t, root, "name+=,.@_-1")
}
