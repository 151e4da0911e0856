package iam_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/secrets"
)

// names pages through action with form in pages of size and returns the
// values of the elements the XML path sel names, in order.
func names(t testing.TB, svc *iam.Service, p *warden.Principal, action string, form url.Values, size int, sel func([]byte) ([]string, bool, string)) []string {
	t.Helper()
	var out []string
	marker := ""
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("the listing does not end")
		}
		f := url.Values{"MaxItems": {strconv.Itoa(size)}}
		for k, v := range form {
			f[k] = v
		}
		if marker != "" {
			f.Set("Marker", marker)
		}
		res, err := svc.Invoke(context.Background(), p, action, f)
		if err != nil {
			t.Fatalf("%s(%v): %v", action, f, err)
		}
		b, err := xml.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		got, more, m := sel(b)
		if len(got) > size || (more && len(got) != size) {
			t.Fatalf("%s: page of %d, truncated %v, MaxItems %d", action, len(got), more, size)
		}
		out = append(out, got...)
		if !more {
			return out
		}
		marker = m
	}
}

func selector(path string) func([]byte) ([]string, bool, string) {
	return func(b []byte) ([]string, bool, string) {
		var v struct {
			Users       []string `xml:"Users>member>UserName"`
			Groups      []string `xml:"Groups>member>GroupName"`
			Roles       []string `xml:"Roles>member>RoleName"`
			Profiles    []string `xml:"InstanceProfiles>member>InstanceProfileName"`
			Policies    []string `xml:"Policies>member>PolicyName"`
			PGroups     []string `xml:"PolicyGroups>member>GroupName"`
			PRoles      []string `xml:"PolicyRoles>member>RoleName"`
			PUsers      []string `xml:"PolicyUsers>member>UserName"`
			IsTruncated bool     `xml:"IsTruncated"`
			Marker      string   `xml:"Marker"`
		}
		if err := xml.Unmarshal(b, &v); err != nil {
			panic(err)
		}
		m := map[string][]string{"Users": v.Users, "Groups": v.Groups, "Roles": v.Roles, "Profiles": v.Profiles,
			"Policies": v.Policies}
		if path == "Entities" {
			var all []string
			for _, g := range v.PGroups {
				all = append(all, "group:"+g)
			}
			for _, r := range v.PRoles {
				all = append(all, "role:"+r)
			}
			for _, u := range v.PUsers {
				all = append(all, "user:"+u)
			}
			return all, v.IsTruncated, v.Marker
		}
		return m[path], v.IsTruncated, v.Marker
	}
}

// invoke calls action and fails the test on error.
func invoke(t testing.TB, svc *iam.Service, p *warden.Principal, action string, form url.Values) {
	t.Helper()
	if _, err := svc.Invoke(context.Background(), p, action, form); err != nil {
		t.Fatalf("%s %v: %v", action, form, err)
	}
}

const (
	testDoc   = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	testTrust = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`
)

// TestSelectivePathPrefix lists every kind under a path prefix that only
// some of its entities have, through the path index: in path order, then
// name, whatever the page size; through renames, path changes and deletes.
func TestSelectivePathPrefix(t *testing.T) {
	svc, _, root := newListService(t)
	paths := []string{"/", "/team-a/", "/team-a/x/", "/team-ab/", "/team-b/"}
	for i := range 20 {
		path := paths[i%len(paths)]
		n := fmt.Sprintf("E%02d", 19-i) // names run against creation order
		invoke(t, svc, root, "CreateUser", url.Values{"UserName": {n}, "Path": {path}})
		invoke(t, svc, root, "CreateGroup", url.Values{"GroupName": {n}, "Path": {path}})
		invoke(t, svc, root, "CreateRole", url.Values{"RoleName": {n}, "Path": {path}, "AssumeRolePolicyDocument": {testTrust}})
		invoke(t, svc, root, "CreateInstanceProfile", url.Values{"InstanceProfileName": {n}, "Path": {path}})
		invoke(t, svc, root, "CreatePolicy", url.Values{"PolicyName": {n}, "Path": {path}, "PolicyDocument": {testDoc}})
	}
	// want lists the names under prefix: path order, then name.
	want := func(prefix string) []string {
		var out []string
		for _, path := range []string{"/team-a/", "/team-a/x/", "/team-ab/", "/team-b/"} {
			if len(path) < len(prefix) || path[:len(prefix)] != prefix {
				continue
			}
			var in []string
			for i := range 20 {
				if paths[i%len(paths)] == path {
					in = append(in, fmt.Sprintf("E%02d", 19-i))
				}
			}
			slices.Sort(in)
			out = append(out, in...)
		}
		return out
	}
	kinds := []struct{ action, field string }{
		{"ListUsers", "Users"}, {"ListGroups", "Groups"}, {"ListRoles", "Roles"},
		{"ListInstanceProfiles", "Profiles"}, {"ListPolicies", "Policies"},
	}
	for _, k := range kinds {
		for _, prefix := range []string{"/team-a/", "/team-a", "/team-", "/team-b/", "/none/"} {
			for _, size := range []int{1, 3, 100} {
				form := url.Values{"PathPrefix": {prefix}}
				if k.action == "ListPolicies" {
					if prefix[len(prefix)-1] != '/' {
						continue // ListPolicies' pattern wants whole path segments
					}
					form.Set("Scope", "Local")
				}
				got := names(t, svc, root, k.action, form, size, selector(k.field))
				if w := want(prefix); !slices.Equal(got, w) {
					t.Errorf("%s PathPrefix %s MaxItems %d = %q, want %q", k.action, prefix, size, got, w)
				}
			}
		}
	}

	// A marker of the name-ordered listing is not one of the path index.
	res, err := svc.Invoke(t.Context(), root, "ListUsers", url.Values{"MaxItems": {"2"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := xml.Marshal(res)
	_, _, m := selector("Users")(b)
	_, err = svc.Invoke(t.Context(), root, "ListUsers", url.Values{"PathPrefix": {"/team-a/"}, "Marker": {m}})
	var we *warden.Error
	if m == "" || !errors.As(err, &we) || we.Message != "Invalid Marker." {
		t.Errorf("ListUsers(PathPrefix) with a name-ordered marker: %v, want Invalid Marker.", err)
	}

	// Rename, path change, delete: the index follows.
	invoke(t, svc, root, "UpdateUser", url.Values{"UserName": {"E19"}, "NewUserName": {"A19"}})       // "/" stays out
	invoke(t, svc, root, "UpdateUser", url.Values{"UserName": {"E18"}, "NewUserName": {"Z18"}})       // in /team-a/
	invoke(t, svc, root, "UpdateUser", url.Values{"UserName": {"E17"}, "NewPath": {"/team-b/"}})      // from /team-a/x/
	invoke(t, svc, root, "UpdateGroup", url.Values{"GroupName": {"E16"}, "NewPath": {"/elsewhere/"}}) // out of /team-
	invoke(t, svc, root, "DeleteUser", url.Values{"UserName": {"E13"}})                               // /team-a/
	got := names(t, svc, root, "ListUsers", url.Values{"PathPrefix": {"/team-"}}, 2, selector("Users"))
	wantUsers := []string{"E03", "E08", "Z18", "E02", "E07", "E12", "E01", "E06", "E11", "E16", "E00", "E05", "E10", "E15", "E17"}
	if !slices.Equal(got, wantUsers) {
		t.Errorf("users under /team- after changes = %q, want %q", got, wantUsers)
	}
	if got := names(t, svc, root, "ListGroups", url.Values{"PathPrefix": {"/elsewhere/"}}, 10, selector("Groups")); !slices.Equal(got, []string{"E16"}) {
		t.Errorf("groups under /elsewhere/ = %q", got)
	}
}

// TestIndexedMembersAndAttachments: GetGroup, ListEntitiesForPolicy (with
// every filter) and ListInstanceProfilesForRole follow renames, path
// changes, detaches, boundaries and removals.
func TestIndexedMembersAndAttachments(t *testing.T) {
	svc, _, root := newListService(t)
	arnP := "arn:aws:iam::" + listAccount + ":policy/p"
	invoke(t, svc, root, "CreatePolicy", url.Values{"PolicyName": {"p"}, "PolicyDocument": {testDoc}})
	invoke(t, svc, root, "CreateGroup", url.Values{"GroupName": {"Team"}})
	invoke(t, svc, root, "CreateGroup", url.Values{"GroupName": {"ops"}, "Path": {"/x/"}})
	invoke(t, svc, root, "AttachGroupPolicy", url.Values{"GroupName": {"ops"}, "PolicyArn": {arnP}})
	for i := range 9 {
		n := fmt.Sprintf("u%d", i)
		path := "/"
		if i%3 == 0 {
			path = "/x/"
		}
		invoke(t, svc, root, "CreateUser", url.Values{"UserName": {n}, "Path": {path}})
		if i%2 == 0 {
			invoke(t, svc, root, "AddUserToGroup", url.Values{"GroupName": {"team"}, "UserName": {n}})
		}
		if i%4 == 0 {
			invoke(t, svc, root, "AttachUserPolicy", url.Values{"UserName": {n}, "PolicyArn": {arnP}})
		}
	}
	invoke(t, svc, root, "PutUserPermissionsBoundary", url.Values{"UserName": {"u1"}, "PermissionsBoundary": {arnP}})
	invoke(t, svc, root, "PutUserPermissionsBoundary", url.Values{"UserName": {"u4"}, "PermissionsBoundary": {arnP}})
	invoke(t, svc, root, "CreateRole", url.Values{"RoleName": {"r"}, "Path": {"/x/"}, "AssumeRolePolicyDocument": {testTrust}, "PermissionsBoundary": {arnP}})
	for _, ip := range []string{"ip1", "ip0", "ip2"} {
		invoke(t, svc, root, "CreateInstanceProfile", url.Values{"InstanceProfileName": {ip}})
	}
	invoke(t, svc, root, "AddRoleToInstanceProfile", url.Values{"InstanceProfileName": {"ip1"}, "RoleName": {"r"}})
	invoke(t, svc, root, "AddRoleToInstanceProfile", url.Values{"InstanceProfileName": {"ip0"}, "RoleName": {"r"}})

	members := func() []string {
		return names(t, svc, root, "GetGroup", url.Values{"GroupName": {"TEAM"}}, 2, selector("Users"))
	}
	entities := func(form url.Values) []string {
		f := url.Values{"PolicyArn": {arnP}}
		for k, v := range form {
			f[k] = v
		}
		return names(t, svc, root, "ListEntitiesForPolicy", f, 2, selector("Entities"))
	}
	expect := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	expect("members", members(), []string{"u0", "u2", "u4", "u6", "u8"})
	expect("entities", entities(nil), []string{"group:ops", "role:r", "user:u0", "user:u1", "user:u4", "user:u8"})
	expect("attached", entities(url.Values{"PolicyUsageFilter": {"PermissionsPolicy"}}), []string{"group:ops", "user:u0", "user:u4", "user:u8"})
	expect("boundaries", entities(url.Values{"PolicyUsageFilter": {"PermissionsBoundary"}}), []string{"role:r", "user:u1", "user:u4"})
	expect("users", entities(url.Values{"EntityFilter": {"User"}}), []string{"user:u0", "user:u1", "user:u4", "user:u8"})
	expect("under /x/", entities(url.Values{"PathPrefix": {"/x/"}}), []string{"group:ops", "role:r", "user:u0"})
	expect("roles under /x/", entities(url.Values{"PathPrefix": {"/x/"}, "EntityFilter": {"Role"}}), []string{"role:r"})
	expect("profiles of r", names(t, svc, root, "ListInstanceProfilesForRole", url.Values{"RoleName": {"r"}}, 1, selector("Profiles")), []string{"ip0", "ip1"})

	invoke(t, svc, root, "UpdateUser", url.Values{"UserName": {"u0"}, "NewUserName": {"u9"}, "NewPath": {"/"}})
	invoke(t, svc, root, "RemoveUserFromGroup", url.Values{"GroupName": {"team"}, "UserName": {"u2"}})
	invoke(t, svc, root, "DetachUserPolicy", url.Values{"UserName": {"u4"}, "PolicyArn": {arnP}})
	invoke(t, svc, root, "DeleteUserPermissionsBoundary", url.Values{"UserName": {"u1"}})
	invoke(t, svc, root, "UpdateGroup", url.Values{"GroupName": {"team"}, "NewGroupName": {"squad"}})
	invoke(t, svc, root, "RemoveRoleFromInstanceProfile", url.Values{"InstanceProfileName": {"ip0"}, "RoleName": {"r"}})
	expect("members after", names(t, svc, root, "GetGroup", url.Values{"GroupName": {"squad"}}, 2, selector("Users")), []string{"u4", "u6", "u8", "u9"})
	expect("entities after", entities(nil), []string{"group:ops", "role:r", "user:u4", "user:u8", "user:u9"})
	expect("under /x/ after", entities(url.Values{"PathPrefix": {"/x/"}}), []string{"group:ops", "role:r"})
	expect("profiles of r after", names(t, svc, root, "ListInstanceProfilesForRole", url.Values{"RoleName": {"r"}}, 1, selector("Profiles")), []string{"ip1"})
	if _, err := svc.Invoke(t.Context(), root, "DeleteGroup", url.Values{"GroupName": {"squad"}}); warden.ErrorCode(err) != warden.CodeDeleteConflict {
		t.Errorf("DeleteGroup of a group with members: %v, want DeleteConflict", err)
	}
	for _, u := range []string{"u4", "u6", "u8", "u9"} {
		invoke(t, svc, root, "RemoveUserFromGroup", url.Values{"GroupName": {"squad"}, "UserName": {u}})
	}
	invoke(t, svc, root, "DeleteGroup", url.Values{"GroupName": {"squad"}})
}

// seedIndexed stores n users directly, in one transaction: 200 of them,
// spread over the account, in group, 200 others with policy attached, and
// ten under /team-a/. Scanning the users for them, as listings did before
// the indexes, reads the whole account for a page.
func seedIndexed(tb testing.TB, store warden.Store, n int, group, policyARN string) {
	tb.Helper()
	err := store.Update(context.Background(), func(tx warden.Tx) error {
		for i := range n {
			u := &warden.User{Account: listAccount, ID: fmt.Sprintf("AIDA%016d", i), Name: fmt.Sprintf("user-%05d", i),
				Path: "/", CreateDate: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
			if i%(n/200) == 0 {
				u.Groups = []string{group}
			}
			if i%(n/200) == 1 {
				u.AttachedPolicies = []string{policyARN}
			}
			if i%(n/10) == 2 {
				u.Path = "/team-a/"
			}
			if err := warden.Insert(context.Background(), tx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// countingTx counts the records its reads return.
type countingTx struct {
	warden.Tx
	n *atomic.Int64
}

func (c countingTx) Get(ctx context.Context, kind warden.Kind, account, key string) (warden.Record, error) {
	r, err := c.Tx.Get(ctx, kind, account, key)
	if err == nil {
		c.n.Add(1)
	}
	return r, err
}

func (c countingTx) GetMany(ctx context.Context, kind warden.Kind, account string, keys []string) ([]warden.Record, error) {
	rs, err := c.Tx.GetMany(ctx, kind, account, keys)
	c.n.Add(int64(len(rs)))
	return rs, err
}

func (c countingTx) List(ctx context.Context, kind warden.Kind, account, prefix, after string, limit int) ([]warden.Record, error) {
	rs, err := c.Tx.List(ctx, kind, account, prefix, after, limit)
	c.n.Add(int64(len(rs)))
	return rs, err
}

// countingStore counts the records its transactions read.
type countingStore struct {
	warden.Store
	n *atomic.Int64
}

func (c countingStore) View(ctx context.Context, fn func(warden.Tx) error) error {
	return c.Store.View(ctx, func(tx warden.Tx) error { return fn(countingTx{tx, c.n}) })
}

func (c countingStore) Update(ctx context.Context, fn func(warden.Tx) error) error {
	return c.Store.Update(ctx, func(tx warden.Tx) error { return fn(countingTx{tx, c.n}) })
}

// newCountingService is newListService over a store that counts the
// records read, for benchmarks to report how many a request reads.
func newCountingService(tb testing.TB) (*iam.Service, warden.Store, *warden.Principal, *atomic.Int64) {
	tb.Helper()
	_, store, root := newListService(tb)
	n := new(atomic.Int64)
	counted := countingStore{store, n}
	box, err := secrets.NewBox(make([]byte, secrets.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	svc := iam.New(counted, authz.New(counted, authz.Strict, slog.New(slog.NewTextHandler(io.Discard, nil))), box)
	return svc, store, root, n
}

// BenchmarkIndexedListings is one page of each listing the indexes serve,
// in accounts of 1,000 and 5,000 users: GetGroup (the second page of 100
// of a group of 200), ListEntitiesForPolicy (the second page of 100 of a
// policy attached to 200 users) and ListUsers with a PathPrefix ten users
// match. A page must cost the same at both sizes; the
// records/op metric counts the records the request read from the store.
func BenchmarkIndexedListings(b *testing.B) {
	arnP := "arn:aws:iam::" + listAccount + ":policy/p"
	for _, bench := range []struct {
		name, action string
		form         url.Values
		field        string
		want         int
		second       bool
	}{
		{"GetGroup", "GetGroup", url.Values{"GroupName": {"team"}, "MaxItems": {"100"}}, "Users", 100, true},
		{"ListEntitiesForPolicy", "ListEntitiesForPolicy", url.Values{"PolicyArn": {arnP}, "MaxItems": {"100"}}, "Entities", 100, true},
		{"ListUsersPathPrefix", "ListUsers", url.Values{"PathPrefix": {"/team-a/"}, "MaxItems": {"100"}}, "Users", 10, false},
	} {
		for _, n := range []int{1000, 5000} {
			b.Run(fmt.Sprintf("%s/users=%d", bench.name, n), func(b *testing.B) {
				ctx := context.Background()
				svc, store, root, reads := newCountingService(b)
				invoke(b, svc, root, "CreateGroup", url.Values{"GroupName": {"team"}})
				invoke(b, svc, root, "CreatePolicy", url.Values{"PolicyName": {"p"}, "PolicyDocument": {testDoc}})
				seedIndexed(b, store, n, "team", arnP)
				form := bench.form
				if bench.second {
					res, err := svc.Invoke(ctx, root, bench.action, form)
					if err != nil {
						b.Fatal(err)
					}
					raw, _ := xml.Marshal(res)
					_, more, m := selector(bench.field)(raw)
					if !more {
						b.Fatal("first page is the last")
					}
					form = url.Values{"Marker": {m}}
					for k, v := range bench.form {
						form[k] = v
					}
				}
				res, err := svc.Invoke(ctx, root, bench.action, form)
				if err != nil {
					b.Fatal(err)
				}
				raw, _ := xml.Marshal(res)
				if got, _, _ := selector(bench.field)(raw); len(got) != bench.want {
					b.Fatalf("page of %d, want %d", len(got), bench.want)
				}
				b.ReportAllocs()
				reads.Store(0)
				for b.Loop() {
					if _, err := svc.Invoke(ctx, root, bench.action, form); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(reads.Load())/float64(b.N), "records/op")
			})
		}
	}
}

// TestLongPathMarkers: entities under paths near the 512-character limit
// page with markers within AWS's 320 characters, and a stale marker of one
// (its entity deleted) is Invalid Marker.
func TestLongPathMarkers(t *testing.T) {
	svc, _, root := newListService(t)
	long := "/" + strings.Repeat("p", 498) + "/"
	arnP := "arn:aws:iam::" + listAccount + ":policy/p"
	invoke(t, svc, root, "CreatePolicy", url.Values{"PolicyName": {"p"}, "PolicyDocument": {testDoc}})
	var want, wantEntities []string
	for i := range 4 {
		n := fmt.Sprintf("user-with-a-long-name-%02d", i)
		want = append(want, n)
		wantEntities = append(wantEntities, "user:"+n)
		invoke(t, svc, root, "CreateUser", url.Values{"UserName": {n}, "Path": {long}})
		invoke(t, svc, root, "AttachUserPolicy", url.Values{"UserName": {n}, "PolicyArn": {arnP}})
		invoke(t, svc, root, "CreatePolicy", url.Values{"PolicyName": {n}, "Path": {long}, "PolicyDocument": {testDoc}})
	}
	sel := selector("Users")
	checked := func(b []byte) ([]string, bool, string) {
		got, more, m := sel(b)
		if len(m) > 320 {
			t.Fatalf("marker of %d characters", len(m))
		}
		return got, more, m
	}
	if got := names(t, svc, root, "ListUsers", url.Values{"PathPrefix": {long[:300]}}, 1, checked); !slices.Equal(got, want) {
		t.Errorf("ListUsers under a long path = %q, want %q", got, want)
	}
	pol := func(b []byte) ([]string, bool, string) {
		got, more, m := selector("Policies")(b)
		if len(m) > 320 {
			t.Fatalf("marker of %d characters", len(m))
		}
		return got, more, m
	}
	if got := names(t, svc, root, "ListPolicies", url.Values{"PathPrefix": {long}, "Scope": {"Local"}}, 1, pol); !slices.Equal(got, want) {
		t.Errorf("ListPolicies under a long path = %q, want %q", got, want)
	}
	ent := func(b []byte) ([]string, bool, string) {
		got, more, m := selector("Entities")(b)
		if len(m) > 320 {
			t.Fatalf("marker of %d characters", len(m))
		}
		return got, more, m
	}
	if got := names(t, svc, root, "ListEntitiesForPolicy", url.Values{"PolicyArn": {arnP}, "PathPrefix": {long}}, 1, ent); !slices.Equal(got, wantEntities) {
		t.Errorf("ListEntitiesForPolicy under a long path = %q, want %q", got, wantEntities)
	}
	// The marker after the first user names it alone; once it is gone the
	// marker is stale.
	res, err := svc.Invoke(t.Context(), root, "ListUsers", url.Values{"PathPrefix": {long}, "MaxItems": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := xml.Marshal(res)
	_, _, m := sel(b)
	invoke(t, svc, root, "DetachUserPolicy", url.Values{"UserName": {want[0]}, "PolicyArn": {arnP}})
	invoke(t, svc, root, "DeleteUser", url.Values{"UserName": {want[0]}})
	_, err = svc.Invoke(t.Context(), root, "ListUsers", url.Values{"PathPrefix": {long}, "Marker": {m}})
	var we *warden.Error
	if !errors.As(err, &we) || we.Message != "Invalid Marker." {
		t.Errorf("marker of a deleted user under a long path: %v, want Invalid Marker.", err)
	}
}
