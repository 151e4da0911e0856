package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func groupNames(groups []types.Group) []string {
	var out []string
	for _, g := range groups {
		out = append(out, aws.ToString(g.GroupName))
	}
	return out
}

func addToGroup(t *testing.T, c *iam.Client, group, user string) {
	t.Helper()
	res(c.AddUserToGroup(context.Background(), &iam.AddUserToGroupInput{GroupName: aws.String(group), UserName: aws.String(user)})).must(t)
}

func TestE2EGroupLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()

	g := res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs"), Path: aws.String("/eng/")})).must(t).Group
	if aws.ToString(g.Arn) != "arn:aws:iam::"+testAccount+":group/eng/devs" || aws.ToString(g.Path) != "/eng/" {
		t.Errorf("created group = %s %s", aws.ToString(g.Arn), aws.ToString(g.Path))
	}
	if id := aws.ToString(g.GroupId); len(id) != 21 || !strings.HasPrefix(id, "AGPA") {
		t.Errorf("GroupId = %q, want AGPA + 17 characters", id)
	}
	recent(t, "group CreateDate", g.CreateDate)

	boundary := createPolicy(t, root, "edge", "")
	for _, u := range []string{"zed", "amy", "kim"} {
		res(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u), PermissionsBoundary: aws.String(boundary),
			Tags: []types.Tag{tag("member", "yes")}})).must(t)
		addToGroup(t, root, "devs", u)
	}
	// Adding a member twice succeeds and changes nothing.
	addToGroup(t, root, "DEVS", "amy")

	got := res(root.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")})).must(t)
	if aws.ToString(got.Group.GroupId) != aws.ToString(g.GroupId) || aws.ToString(got.Group.Arn) != aws.ToString(g.Arn) {
		t.Errorf("GetGroup group = %+v", got.Group)
	}
	if names := userNames(got.Users); !slices.Equal(names, []string{"amy", "kim", "zed"}) || got.IsTruncated {
		t.Errorf("GetGroup members = %v (truncated %v)", names, got.IsTruncated)
	}
	for _, u := range got.Users {
		if u.PermissionsBoundary != nil || u.Tags != nil || aws.ToString(u.Arn) != userARN("/", aws.ToString(u.UserName)) {
			t.Errorf("GetGroup member %s = %+v, want no boundary or tags", aws.ToString(u.UserName), u)
		}
	}
	first := res(root.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs"), MaxItems: aws.Int32(2)})).must(t)
	if len(first.Users) != 2 || !first.IsTruncated || first.Marker == nil {
		t.Fatalf("first member page = %v truncated %v", userNames(first.Users), first.IsTruncated)
	}
	rest := res(root.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs"), Marker: first.Marker})).must(t)
	if names := userNames(rest.Users); !slices.Equal(names, []string{"zed"}) || rest.IsTruncated {
		t.Errorf("second member page = %v", names)
	}

	for _, u := range []string{"amy", "kim"} {
		gs := res(root.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String(u)})).must(t)
		if names := groupNames(gs.Groups); !slices.Equal(names, []string{"devs"}) || aws.ToString(gs.Groups[0].Arn) != aws.ToString(g.Arn) {
			t.Errorf("ListGroupsForUser(%s) = %v", u, names)
		}
	}

	// Renaming keeps the members and moves the group.
	res(root.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("devs"), NewGroupName: aws.String("developers"), NewPath: aws.String("/rd/")})).must(t)
	_, err := root.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")})
	wantErr(t, err, "NoSuchEntity", 404)
	renamed := res(root.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("developers")})).must(t)
	if aws.ToString(renamed.Group.Arn) != "arn:aws:iam::"+testAccount+":group/rd/developers" || aws.ToString(renamed.Group.GroupId) != aws.ToString(g.GroupId) {
		t.Errorf("renamed group = %+v", renamed.Group)
	}
	if names := userNames(renamed.Users); !slices.Equal(names, []string{"amy", "kim", "zed"}) {
		t.Errorf("members after rename = %v", names)
	}
	gs := res(root.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("zed")})).must(t)
	if names := groupNames(gs.Groups); !slices.Equal(names, []string{"developers"}) {
		t.Errorf("zed's groups after rename = %v", names)
	}

	res(root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("developers"), UserName: aws.String("kim")})).must(t)
	// Removing a user who is no longer a member succeeds, as on AWS
	// (cloud-custodian pull 4730 records it).
	res(root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("developers"), UserName: aws.String("kim")})).must(t)
	gs = res(root.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("kim")})).must(t)
	if len(gs.Groups) != 0 {
		t.Errorf("kim's groups after removal = %v", groupNames(gs.Groups))
	}

	// A group with members cannot be deleted; an empty one can.
	_, err = root.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("developers")})
	wantErr(t, err, "DeleteConflict", 409)
	for _, u := range []string{"amy", "zed"} {
		res(root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("developers"), UserName: aws.String(u)})).must(t)
	}
	res(root.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("developers")})).must(t)
	_, err = root.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("developers")})
	wantErr(t, err, "NoSuchEntity", 404)
	// Former members can now be deleted.
	res(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("amy")})).must(t)
}

func TestE2EListGroups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	var want []string
	for i := 5; i >= 1; i-- {
		n := fmt.Sprintf("g%d", i)
		res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(n), Path: aws.String("/listed/")})).must(t)
		want = append(want, n)
	}
	slices.Sort(want)
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("elsewhere")})).must(t)

	var got []string
	var marker *string
	for pages := 1; ; pages++ {
		out := res(root.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String("/listed/"), MaxItems: aws.Int32(2), Marker: marker})).must(t)
		if len(out.Groups) > 2 {
			t.Fatalf("page %d has %d groups", pages, len(out.Groups))
		}
		got = append(got, groupNames(out.Groups)...)
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
	all := res(root.ListGroups(ctx, &iam.ListGroupsInput{})).must(t)
	if len(all.Groups) != 6 {
		t.Errorf("all groups = %v", groupNames(all.Groups))
	}

	// ListGroupsForUser pages too.
	createUser(t, root, "joiner")
	for _, g := range want {
		addToGroup(t, root, g, "joiner")
	}
	page := res(root.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("joiner"), MaxItems: aws.Int32(3)})).must(t)
	next := res(root.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("joiner"), Marker: page.Marker})).must(t)
	if !page.IsTruncated || next.IsTruncated || !slices.Equal(append(groupNames(page.Groups), groupNames(next.Groups)...), want) {
		t.Errorf("ListGroupsForUser pages = %v + %v", groupNames(page.Groups), groupNames(next.Groups))
	}
}

func TestE2EGroupErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Admins")})).must(t)
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("other")})).must(t)
	createUser(t, root, "member")
	pol := createPolicy(t, root, "grp", "")

	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"create duplicate, other case", func() error {
			_, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("admins")})
			return err
		}, "EntityAlreadyExists", 409},
		{"create bad name", func() error {
			_, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("no spaces")})
			return err
		}, "ValidationError", 400},
		{"create 129-character name", func() error {
			_, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(strings.Repeat("g", 129))})
			return err
		}, "ValidationError", 400},
		{"create bad path", func() error {
			_, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("p"), Path: aws.String("/x")})
			return err
		}, "ValidationError", 400},
		{"get missing", func() error {
			_, err := root.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("ghost")})
			return err
		}, "NoSuchEntity", 404},
		{"update missing", func() error {
			_, err := root.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("ghost"), NewGroupName: aws.String("g")})
			return err
		}, "NoSuchEntity", 404},
		{"rename onto another group", func() error {
			_, err := root.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("other"), NewGroupName: aws.String("ADMINS")})
			return err
		}, "EntityAlreadyExists", 409},
		{"delete missing", func() error {
			_, err := root.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("ghost")})
			return err
		}, "NoSuchEntity", 404},
		{"add missing user", func() error {
			_, err := root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Admins"), UserName: aws.String("ghost")})
			return err
		}, "NoSuchEntity", 404},
		{"add to missing group", func() error {
			_, err := root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ghost"), UserName: aws.String("member")})
			return err
		}, "NoSuchEntity", 404},
		{"remove missing user", func() error {
			_, err := root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("Admins"), UserName: aws.String("ghost")})
			return err
		}, "NoSuchEntity", 404},
		{"groups of missing user", func() error {
			_, err := root.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("ghost")})
			return err
		}, "NoSuchEntity", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.call(), tt.code, tt.status)
		})
	}

	conflicts := []struct {
		reason string
		add    func() error
		remove func() error
	}{
		{"member",
			func() error {
				_, err := root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Admins"), UserName: aws.String("member")})
				return err
			},
			func() error {
				_, err := root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("Admins"), UserName: aws.String("member")})
				return err
			}},
		{"attached policy",
			func() error {
				_, err := root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("Admins"), PolicyArn: aws.String(pol)})
				return err
			},
			func() error {
				_, err := root.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("Admins"), PolicyArn: aws.String(pol)})
				return err
			}},
		{"inline policy",
			func() error {
				_, err := root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("Admins"), PolicyName: aws.String("in"), PolicyDocument: aws.String(allowDoc("ec2:*"))})
				return err
			},
			func() error {
				_, err := root.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("Admins"), PolicyName: aws.String("in")})
				return err
			}},
	}
	for _, tt := range conflicts {
		t.Run("delete with "+tt.reason, func(t *testing.T) {
			if err := tt.add(); err != nil {
				t.Fatal(err)
			}
			_, err := root.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("Admins")})
			wantErr(t, err, "DeleteConflict", 409)
			if err := tt.remove(); err != nil {
				t.Fatal(err)
			}
		})
	}
	res(root.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("Admins")})).must(t)
}
