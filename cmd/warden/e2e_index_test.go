package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/jackc/pgx/v5"

	"github.com/warden-iam/warden/storetest"
)

// indexedAccount fills an account through the API: 40 users (every fourth
// under /team-a/), every third in the group "team", every fifth with the
// policy "p" attached, u07 with it as boundary, a role under /team-a/ with it
// attached and the policy "fence" (under /team-a/) as boundary, and 20
// policies in no use. It returns the ARN of "p".
func indexedAccount(t *testing.T, root *iam.Client) string {
	t.Helper()
	ctx := context.Background()
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("team")})).must(t)
	p := createPolicy(t, root, "p", "")
	fence := createPolicy(t, root, "fence", "/team-a/")
	for i := range 20 {
		path := ""
		if i%2 == 0 {
			path = "/team-a/"
		}
		createPolicy(t, root, fmt.Sprintf("idle%02d", i), path)
	}
	for i := range 40 {
		in := &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("u%02d", i))}
		if i%4 == 1 {
			in.Path = aws.String("/team-a/")
		}
		if i == 7 {
			in.PermissionsBoundary = aws.String(p)
		}
		res(root.CreateUser(ctx, in)).must(t)
		if i%3 == 0 {
			addToGroup(t, root, "team", *in.UserName)
		}
		if i%5 == 0 {
			res(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: in.UserName, PolicyArn: aws.String(p)})).must(t)
		}
	}
	res(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deployer"), Path: aws.String("/team-a/"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`)})).must(t)
	res(root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("deployer"), PolicyArn: aws.String(p)})).must(t)
	res(root.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("deployer"), PermissionsBoundary: aws.String(fence)})).must(t)
	return p
}

// attachedPolicies pages through ListPolicies of the account's own
// policies with OnlyAttached.
func attachedPolicies(t *testing.T, c *iam.Client, in iam.ListPoliciesInput, size int32) []string {
	t.Helper()
	in.Scope, in.OnlyAttached, in.MaxItems = types.PolicyScopeTypeLocal, true, aws.Int32(size)
	var out []string
	pg := iam.NewListPoliciesPaginator(c, &in)
	for pg.HasMorePages() {
		for _, p := range res(pg.NextPage(context.Background())).must(t).Policies {
			out = append(out, aws.ToString(p.PolicyName))
		}
	}
	return out
}

func seq(pick func(i int) bool) []string {
	var out []string
	for i := range 40 {
		if pick(i) {
			out = append(out, fmt.Sprintf("u%02d", i))
		}
	}
	return out
}

// groupMembers pages through GetGroup with the SDK's paginator.
func groupMembers(t *testing.T, c *iam.Client, group string, size int32) []string {
	t.Helper()
	var out []string
	pg := iam.NewGetGroupPaginator(c, &iam.GetGroupInput{GroupName: aws.String(group), MaxItems: aws.Int32(size)})
	for pg.HasMorePages() {
		out = append(out, userNames(res(pg.NextPage(context.Background())).must(t).Users)...)
	}
	return out
}

// usersUnder pages through ListUsers under a path prefix.
func usersUnder(t *testing.T, c *iam.Client, prefix string, size int32) []string {
	t.Helper()
	var out []string
	pg := iam.NewListUsersPaginator(c, &iam.ListUsersInput{PathPrefix: aws.String(prefix), MaxItems: aws.Int32(size)})
	for pg.HasMorePages() {
		out = append(out, userNames(res(pg.NextPage(context.Background())).must(t).Users)...)
	}
	return out
}

// policyEntities pages through ListEntitiesForPolicy.
func policyEntities(t *testing.T, c *iam.Client, in iam.ListEntitiesForPolicyInput, size int32) []string {
	t.Helper()
	in.MaxItems = aws.Int32(size)
	var out []string
	pg := iam.NewListEntitiesForPolicyPaginator(c, &in)
	for pg.HasMorePages() {
		page := res(pg.NextPage(context.Background())).must(t)
		for _, g := range page.PolicyGroups {
			out = append(out, "group:"+aws.ToString(g.GroupName))
		}
		for _, r := range page.PolicyRoles {
			out = append(out, "role:"+aws.ToString(r.RoleName))
		}
		for _, u := range page.PolicyUsers {
			out = append(out, "user:"+aws.ToString(u.UserName))
		}
	}
	return out
}

// fence returns the ARN of indexedAccount's policy "fence".
func fence(t *testing.T, root *iam.Client) string {
	t.Helper()
	out := res(root.ListPolicies(context.Background(), &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, PathPrefix: aws.String("/team-a/")})).must(t)
	for _, p := range out.Policies {
		if aws.ToString(p.PolicyName) == "fence" {
			return aws.ToString(p.Arn)
		}
	}
	t.Fatal("no policy fence")
	return ""
}

func prefixed(p string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return out
}

// checkIndexedAccount checks the listings of indexedAccount.
func checkIndexedAccount(t *testing.T, root *iam.Client, p string) {
	t.Helper()
	for _, size := range []int32{1, 4, 100} {
		if got, want := groupMembers(t, root, "team", size), seq(func(i int) bool { return i%3 == 0 }); !slices.Equal(got, want) {
			t.Errorf("GetGroup MaxItems %d = %q, want %q", size, got, want)
		}
		if got, want := usersUnder(t, root, "/team-a/", size), seq(func(i int) bool { return i%4 == 1 }); !slices.Equal(got, want) {
			t.Errorf("ListUsers /team-a/ MaxItems %d = %q, want %q", size, got, want)
		}
		all := append([]string{"role:deployer"}, prefixed("user:", seq(func(i int) bool { return i%5 == 0 || i == 7 }))...)
		if got := policyEntities(t, root, iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(p)}, size); !slices.Equal(got, all) {
			t.Errorf("ListEntitiesForPolicy MaxItems %d = %q, want %q", size, got, all)
		}
		under := append([]string{"role:deployer"}, prefixed("user:", seq(func(i int) bool { return i%4 == 1 && i%5 == 0 }))...)
		if got := policyEntities(t, root, iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(p), PathPrefix: aws.String("/team-a/")}, size); !slices.Equal(got, under) {
			t.Errorf("ListEntitiesForPolicy /team-a/ MaxItems %d = %q, want %q", size, got, under)
		}
		if got := policyEntities(t, root, iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(p),
			PolicyUsageFilter: types.PolicyUsageTypePermissionsBoundary}, size); !slices.Equal(got, []string{"user:u07"}) {
			t.Errorf("ListEntitiesForPolicy boundaries MaxItems %d = %q", size, got)
		}
		for _, c := range []struct {
			in   iam.ListPoliciesInput
			want []string
		}{
			{iam.ListPoliciesInput{}, []string{"fence", "p"}},
			{iam.ListPoliciesInput{PolicyUsageFilter: types.PolicyUsageTypePermissionsPolicy}, []string{"p"}},
			{iam.ListPoliciesInput{PolicyUsageFilter: types.PolicyUsageTypePermissionsBoundary}, []string{"fence", "p"}},
			{iam.ListPoliciesInput{PathPrefix: aws.String("/team-a/")}, []string{"fence"}},
		} {
			if got := attachedPolicies(t, root, c.in, size); !slices.Equal(got, c.want) {
				t.Errorf("ListPolicies OnlyAttached %s %q MaxItems %d = %q, want %q",
					c.in.PolicyUsageFilter, aws.ToString(c.in.PathPrefix), size, got, c.want)
			}
		}
	}
}

// TestE2EIndexedListings: GetGroup, ListUsers under a path prefix and
// ListEntitiesForPolicy through the SDK's paginators, on SQLite and
// PostgreSQL, before and after renames, path changes and removals, and
// under concurrent membership changes; a forged marker is Invalid Marker.
func TestE2EIndexedListings(t *testing.T) {
	for kind, start := range storeKinds(t) {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := start(t)
			root := s.root()
			p := indexedAccount(t, root)
			checkIndexedAccount(t, root, p)

			// Rename a member, move a user out of /team-a/, delete one.
			res(root.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("u00"), NewUserName: aws.String("z00")})).must(t)
			res(root.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("u05"), NewPath: aws.String("/team-b/")})).must(t)
			res(root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("u10"), PolicyArn: aws.String(p)})).must(t)
			res(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u10")})).must(t)
			res(root.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("team"), NewGroupName: aws.String("squad")})).must(t)
			members := append(seq(func(i int) bool { return i%3 == 0 && i != 0 }), "z00")
			if got := groupMembers(t, root, "squad", 3); !slices.Equal(got, members) {
				t.Errorf("members after rename = %q, want %q", got, members)
			}
			if got, want := usersUnder(t, root, "/team-a/", 3), seq(func(i int) bool { return i%4 == 1 && i != 5 }); !slices.Equal(got, want) {
				t.Errorf("/team-a/ after moving u05 = %q, want %q", got, want)
			}
			if got := usersUnder(t, root, "/team-b/", 3); !slices.Equal(got, []string{"u05"}) {
				t.Errorf("/team-b/ = %q", got)
			}
			ents := append(append([]string{"role:deployer"}, prefixed("user:", seq(func(i int) bool { return (i%5 == 0 || i == 7) && i != 0 && i != 10 }))...), "user:z00")
			if got := policyEntities(t, root, iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(p)}, 2); !slices.Equal(got, ents) {
				t.Errorf("entities after changes = %q, want %q", got, ents)
			}

			// Moving the role's boundary off "fence" leaves "p" alone in use
			// as a boundary; a marker of one usage is none of another's.
			res(root.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("deployer"), PermissionsBoundary: aws.String(p)})).must(t)
			if got := attachedPolicies(t, root, iam.ListPoliciesInput{}, 1); !slices.Equal(got, []string{"p"}) {
				t.Errorf("policies in use after the boundary change = %q, want [p]", got)
			}
			res(root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("u01"), PermissionsBoundary: aws.String(fence(t, root))})).must(t)
			first := res(root.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, OnlyAttached: true, MaxItems: aws.Int32(1)})).must(t)
			if !first.IsTruncated {
				t.Fatal("ListPolicies OnlyAttached MaxItems 1 of two is not truncated")
			}
			_, err := root.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, OnlyAttached: true,
				PolicyUsageFilter: types.PolicyUsageTypePermissionsPolicy, Marker: first.Marker})
			wantErr(t, err, "ValidationError", 400)

			// A forged or foreign marker is AWS's ValidationError.
			_, err = root.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("squad"), Marker: aws.String("Zm9yZ2VkbWFya2Vy")})
			wantErr(t, err, "ValidationError", 400)
			page := res(root.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(2)})).must(t)
			_, err = root.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/team-a/"), Marker: page.Marker})
			wantErr(t, err, "ValidationError", 400)

			// Members added and removed at once, several on one user: the
			// group lists exactly those whose groups say so.
			var wg sync.WaitGroup
			for w := range 6 {
				wg.Go(func() {
					for r := range 8 {
						user := fmt.Sprintf("u%02d", 11+(w+r)%5)
						in := &iam.AddUserToGroupInput{GroupName: aws.String("squad"), UserName: aws.String(user)}
						var err error
						if (w+r)%2 == 0 {
							_, err = root.AddUserToGroup(ctx, in)
						} else {
							_, err = root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: in.GroupName, UserName: in.UserName})
						}
						if err != nil {
							t.Errorf("worker %d: %v", w, err)
							return
						}
					}
				})
			}
			wg.Wait()
			var want []string
			for _, u := range userNames(res(root.ListUsers(ctx, &iam.ListUsersInput{})).must(t).Users) {
				gs := res(root.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String(u)})).must(t).Groups
				if slices.Contains(groupNames(gs), "squad") {
					want = append(want, u)
				}
			}
			if got := groupMembers(t, root, "squad", 5); !slices.Equal(got, want) {
				t.Errorf("members after concurrent changes = %q, want %q", got, want)
			}
		})
	}
}

// TestE2EIndexMigration: a database written by a Warden before index
// records (the records as they were, schema at the migration before) lists
// correctly once a newer Warden opens it, on SQLite and PostgreSQL.
func TestE2EIndexMigration(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		data := t.TempDir()
		indexMigration(t, func(t *testing.T) *server { return startServer(t, []string{"--data", data}, nil) },
			func(t *testing.T) {
				db, err := sql.Open("sqlite", filepath.Join(data, "warden.db"))
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				for _, q := range storetest.DowngradeIndexSQL {
					if _, err := db.Exec(q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
			})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn, env := sharedPostgres(t)
		indexMigration(t, func(t *testing.T) *server { return startServer(t, []string{"--store", dsn}, env) },
			func(t *testing.T) {
				conn, err := pgx.Connect(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(context.Background())
				for _, q := range storetest.DowngradeIndexSQL {
					if _, err := conn.Exec(context.Background(), q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
			})
	})
}

// indexMigration fills an account on a first server, stops it, makes the
// database an old one with downgrade, and checks the listings on a second.
func indexMigration(t *testing.T, start func(t *testing.T) *server, downgrade func(t *testing.T)) {
	var (
		p    string
		cred *types.ServiceSpecificCredential
		devs []mfaDevice
	)
	t.Run("old", func(t *testing.T) {
		root := start(t).root()
		p = indexedAccount(t, root)
		cred = res(root.CreateServiceSpecificCredential(context.Background(), &iam.CreateServiceSpecificCredentialInput{
			UserName: aws.String("u03"), ServiceName: aws.String("codecommit.amazonaws.com")})).must(t).ServiceSpecificCredential
		// Three virtual MFA devices, the one under /team/ enabled for u03.
		devs = []mfaDevice{mfaCreate(t, root, "", "m-a"), mfaCreate(t, root, "/team/", "m-b"), mfaCreate(t, root, "", "m-c")}
		if err := mfaEnable(t, root, "u03", devs[1]); err != nil {
			t.Fatalf("EnableMFADevice: %v", err)
		}
	}) // the server stops with the subtest
	if t.Failed() {
		return
	}
	downgrade(t)
	t.Run("new", func(t *testing.T) {
		srv := start(t)
		root := srv.root()
		checkIndexedAccount(t, root, p)
		// The credential is found by its service user name and its owner
		// by ID, through the lookup records migration 0060 built.
		resp := serviceAuth(t, srv, "codecommit", basic(*cred.ServiceUserName, *cred.ServicePassword))
		if want := "arn:aws:iam::" + testAccount + ":user/u03"; resp.StatusCode != http.StatusOK ||
			resp.Header.Get("X-Warden-Principal-Arn") != want {
			t.Errorf("service auth after the migration: %d as %q, want 200 as %s", resp.StatusCode,
				resp.Header.Get("X-Warden-Principal-Arn"), want)
		}
		all := res(root.ListServiceSpecificCredentials(context.Background(), &iam.ListServiceSpecificCredentialsInput{
			AllUsers: aws.Bool(true)})).must(t).ServiceSpecificCredentials
		if len(all) != 1 || aws.ToString(all[0].UserName) != "u03" {
			t.Errorf("AllUsers after the migration = %+v, want u03's credential", all)
		}
		// The filters read the records migration 0080 built.
		for svc, want := range map[string]int{"codecommit.amazonaws.com": 1, "cassandra.amazonaws.com": 0} {
			got := res(root.ListServiceSpecificCredentials(context.Background(), &iam.ListServiceSpecificCredentialsInput{
				AllUsers: aws.Bool(true), ServiceName: aws.String(svc)})).must(t).ServiceSpecificCredentials
			if len(got) != want || (want == 1 && aws.ToString(got[0].ServiceSpecificCredentialId) != aws.ToString(cred.ServiceSpecificCredentialId)) {
				t.Errorf("AllUsers of %s after the migration = %+v, want %d", svc, got, want)
			}
		}
		assigned, unassigned := types.AssignmentStatusTypeAssigned, types.AssignmentStatusTypeUnassigned
		if got := virtualSerials(t, root, assigned); !slices.Equal(got, []string{devs[1].serial}) {
			t.Errorf("Assigned devices after the migration = %q, want %s", got, devs[1].serial)
		}
		// In key order: /m-a, /m-c, /team/m-b.
		if got, want := virtualSerials(t, root, unassigned), []string{devs[0].serial, devs[2].serial}; !slices.Equal(got, want) {
			t.Errorf("Unassigned devices after the migration = %q, want %q", got, want)
		}
		// And the indexes are kept from there on.
		addToGroup(t, root, "team", "u01")
		if got := groupMembers(t, root, "team", 100); !slices.Contains(got, "u01") {
			t.Errorf("members after AddUserToGroup = %q, want u01 among them", got)
		}
		if _, err := root.DeactivateMFADevice(context.Background(), &iam.DeactivateMFADeviceInput{UserName: aws.String("u03"),
			SerialNumber: aws.String(devs[1].serial)}); err != nil {
			t.Fatal(err)
		}
		if got := virtualSerials(t, root, assigned); len(got) != 0 {
			t.Errorf("Assigned devices after DeactivateMFADevice = %q, want none", got)
		}
		if got, want := virtualSerials(t, root, unassigned), []string{devs[0].serial, devs[2].serial, devs[1].serial}; !slices.Equal(got, want) {
			t.Errorf("Unassigned devices after DeactivateMFADevice = %q, want %q", got, want)
		}
	})
}
