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
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/secrets"
	"github.com/warden-iam/warden/sqlite"
)

const listAccount = "123456789012"

// newListService is an IAM service on an in-memory SQLite store with one
// account, and its root user.
func newListService(tb testing.TB) (*iam.Service, warden.Store, *warden.Principal) {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Memory)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	box, err := secrets.NewBox(make([]byte, secrets.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	svc := iam.New(store, authz.New(store, authz.Strict, slog.New(slog.NewTextHandler(io.Discard, nil))), box)
	if _, err := svc.CreateAccount(ctx, listAccount, "list", "root@example.com", ""); err != nil {
		tb.Fatal(err)
	}
	root := &warden.Principal{Type: warden.PrincipalRoot, Account: listAccount, ID: listAccount,
		ARN: "arn:aws:iam::" + listAccount + ":root"}
	return svc, store, root
}

// seedUsers stores n users user-00000... directly, in one transaction; every
// third is under the path /ops/.
func seedUsers(tb testing.TB, store warden.Store, n int) []string {
	tb.Helper()
	var names []string
	err := store.Update(context.Background(), func(tx warden.Tx) error {
		for i := range n {
			u := &warden.User{Account: listAccount, ID: fmt.Sprintf("AIDA%016d", i), Name: fmt.Sprintf("user-%05d", i),
				Path: "/", CreateDate: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
			if i%3 == 0 {
				u.Path = "/ops/"
			}
			names = append(names, u.Name)
			if err := warden.Insert(context.Background(), tx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return names
}

type listUsersPage struct {
	names  []string
	marker string
}

func listUsers(ctx context.Context, svc *iam.Service, p *warden.Principal, form url.Values) (listUsersPage, error) {
	out, err := svc.Invoke(ctx, p, "ListUsers", form)
	if err != nil {
		return listUsersPage{}, err
	}
	return pageOf(out), nil
}

// pageOf reads the names and marker of a list result from its XML, as a
// client would.
func pageOf(out any) listUsersPage {
	b, err := xml.Marshal(out)
	if err != nil {
		panic(err)
	}
	var v struct {
		Users       []string `xml:"Users>member>UserName"`
		Groups      []string `xml:"Groups>member>GroupName"`
		IsTruncated bool     `xml:"IsTruncated"`
		Marker      string   `xml:"Marker"`
	}
	if err := xml.Unmarshal(b, &v); err != nil {
		panic(err)
	}
	pg := listUsersPage{names: append(v.Users, v.Groups...)}
	if v.IsTruncated {
		pg.marker = v.Marker
	}
	return pg
}

// summaryOf reads GetAccountSummary's map from its XML.
func summaryOf(out any) map[string]int {
	b, err := xml.Marshal(out)
	if err != nil {
		panic(err)
	}
	var v struct {
		Entries []struct {
			Key   string `xml:"key"`
			Value int    `xml:"value"`
		} `xml:"SummaryMap>entry"`
	}
	if err := xml.Unmarshal(b, &v); err != nil {
		panic(err)
	}
	m := map[string]int{}
	for _, e := range v.Entries {
		m[e.Key] = e.Value
	}
	return m
}

func TestListUsersPagesFromStore(t *testing.T) {
	ctx := t.Context()
	svc, store, root := newListService(t)
	names := seedUsers(t, store, 257)
	var ops []string
	for i, n := range names {
		if i%3 == 0 {
			ops = append(ops, n)
		}
	}
	tests := []struct {
		name       string
		pathPrefix string
		maxItems   int
		want       []string
	}{
		{"default page size", "", 0, names},
		{"pages of 7", "", 7, names},
		{"one page of all", "", 1000, names},
		{"path prefix", "/ops/", 10, ops},
		{"path prefix that matches all", "/", 50, names},
		{"path prefix that matches none", "/none/", 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			marker := ""
			for pages := 0; ; pages++ {
				if pages > len(names) {
					t.Fatal("the listing does not end")
				}
				form := url.Values{}
				if tt.pathPrefix != "" {
					form.Set("PathPrefix", tt.pathPrefix)
				}
				if tt.maxItems > 0 {
					form.Set("MaxItems", strconv.Itoa(tt.maxItems))
				}
				if marker != "" {
					form.Set("Marker", marker)
				}
				pg, err := listUsers(ctx, svc, root, form)
				if err != nil {
					t.Fatalf("ListUsers(%v): %v", form, err)
				}
				size := tt.maxItems
				if size == 0 {
					size = 100
				}
				if len(pg.names) > size || (pg.marker != "" && len(pg.names) != size) {
					t.Fatalf("page of %d with marker %q, MaxItems %d", len(pg.names), pg.marker, size)
				}
				got = append(got, pg.names...)
				if pg.marker == "" {
					break
				}
				marker = pg.marker
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("listed %d users, want %d (first %q)", len(got), len(tt.want), first(got))
			}
		})
	}
}

func first(s []string) []string { return s[:min(3, len(s))] }

func TestListMarkers(t *testing.T) {
	ctx := t.Context()
	svc, store, root := newListService(t)
	seedUsers(t, store, 30)
	for _, g := range []string{"g1", "g2", "g3"} {
		if _, err := svc.Invoke(ctx, root, "CreateGroup", url.Values{"GroupName": {g}}); err != nil {
			t.Fatal(err)
		}
	}
	pg, err := listUsers(ctx, svc, root, url.Values{"MaxItems": {"10"}})
	if err != nil || pg.marker == "" {
		t.Fatalf("first page: %v, marker %q", err, pg.marker)
	}
	groups, err := svc.Invoke(ctx, root, "ListGroups", url.Values{"MaxItems": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	groupMarker := pageOf(groups).marker
	if groupMarker == "" {
		t.Fatal("ListGroups of 3 with MaxItems 1 gave no marker")
	}

	t.Run("stale marker resumes after the deleted user", func(t *testing.T) {
		last := pg.names[len(pg.names)-1]
		if _, err := svc.Invoke(ctx, root, "DeleteUser", url.Values{"UserName": {last}}); err != nil {
			t.Fatal(err)
		}
		next, err := listUsers(ctx, svc, root, url.Values{"MaxItems": {"10"}, "Marker": {pg.marker}})
		if err != nil {
			t.Fatalf("ListUsers after the marker's user was deleted: %v", err)
		}
		if len(next.names) != 10 || next.names[0] != "user-00010" {
			t.Errorf("next page = %q, want 10 users from user-00010", first(next.names))
		}
	})

	bad := []struct{ name, marker string }{
		{"not base64", "%%%"},
		{"plain base64 of a name", "dXNlci0wMDAwNQ"},
		{"truncated", pg.marker[:len(pg.marker)-2]},
		{"edited", pg.marker[:len(pg.marker)-1] + string("AB"[boolIndex(pg.marker[len(pg.marker)-1] == 'A')])},
		{"from ListGroups", groupMarker},
		{"empty key", "AAAAAAAAAAA"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := listUsers(ctx, svc, root, url.Values{"MaxItems": {"10"}, "Marker": {tt.marker}})
			var we *warden.Error
			if !errors.As(err, &we) || we.Code != warden.CodeValidationError || we.Message != "Invalid Marker." {
				t.Errorf("ListUsers(Marker %q) = %v, want ValidationError Invalid Marker.", tt.marker, err)
			}
		})
	}
	t.Run("marker with another path prefix", func(t *testing.T) {
		_, err := listUsers(ctx, svc, root, url.Values{"MaxItems": {"10"}, "Marker": {pg.marker}, "PathPrefix": {"/ops/"}})
		var we *warden.Error
		if !errors.As(err, &we) || we.Code != warden.CodeValidationError {
			t.Errorf("ListUsers with another PathPrefix = %v, want ValidationError", err)
		}
	})
	t.Run("marker of another account", func(t *testing.T) {
		if _, err := svc.CreateAccount(ctx, "210987654321", "other", "o@example.com", ""); err != nil {
			t.Fatal(err)
		}
		other := &warden.Principal{Type: warden.PrincipalRoot, Account: "210987654321", ID: "210987654321",
			ARN: "arn:aws:iam::210987654321:root"}
		_, err := listUsers(ctx, svc, other, url.Values{"MaxItems": {"10"}, "Marker": {pg.marker}})
		var we *warden.Error
		if !errors.As(err, &we) || we.Code != warden.CodeValidationError {
			t.Errorf("ListUsers in another account with this account's marker = %v, want ValidationError", err)
		}
	})
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestGetAccountSummaryCounts(t *testing.T) {
	ctx := t.Context()
	svc, store, root := newListService(t)
	seedUsers(t, store, 12)
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	for _, step := range []struct {
		action string
		form   url.Values
	}{
		{"CreatePolicy", url.Values{"PolicyName": {"p1"}, "PolicyDocument": {doc}}},
		{"CreatePolicy", url.Values{"PolicyName": {"p2"}, "PolicyDocument": {doc}}},
		{"CreatePolicyVersion", url.Values{"PolicyArn": {"arn:aws:iam::" + listAccount + ":policy/p1"}, "PolicyDocument": {doc}}},
		{"CreateGroup", url.Values{"GroupName": {"g"}}},
		{"CreateVirtualMFADevice", url.Values{"VirtualMFADeviceName": {"unassigned"}}},
	} {
		if _, err := svc.Invoke(ctx, root, step.action, step.form); err != nil {
			t.Fatalf("%s: %v", step.action, err)
		}
	}
	out, err := svc.Invoke(ctx, root, "GetAccountSummary", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	got := summaryOf(out)
	for k, want := range map[string]int{"Users": 12, "Groups": 1, "Policies": 2, "PolicyVersionsInUse": 3,
		"MFADevices": 1, "MFADevicesInUse": 0, "UsersQuota": 5000} {
		if got[k] != want {
			t.Errorf("%s = %d, want %d", k, got[k], want)
		}
	}
}

// BenchmarkListUsersPage is one ListUsers page of 100 (the second page,
// with a marker) in accounts of 1,000 and 5,000 users: the cost of a page
// must not grow with the account.
func BenchmarkListUsersPage(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			ctx := context.Background()
			svc, store, root := newListService(b)
			seedUsers(b, store, n)
			first, err := listUsers(ctx, svc, root, url.Values{"MaxItems": {"100"}})
			if err != nil {
				b.Fatal(err)
			}
			form := url.Values{"MaxItems": {"100"}, "Marker": {first.marker}}
			if pg, err := listUsers(ctx, svc, root, form); err != nil || len(pg.names) != 100 {
				b.Fatalf("second page: %d users, %v", len(pg.names), err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := svc.Invoke(ctx, root, "ListUsers", form); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGetAccountSummary is GetAccountSummary in an account of 5,000
// users.
func BenchmarkGetAccountSummary(b *testing.B) {
	ctx := context.Background()
	svc, store, root := newListService(b)
	seedUsers(b, store, 5000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Invoke(ctx, root, "GetAccountSummary", url.Values{}); err != nil {
			b.Fatal(err)
		}
	}
}

// listAll pages through action with form and MaxItems size, returning the
// names of member elements named by field.
func listAll(t *testing.T, svc *iam.Service, p *warden.Principal, action string, form url.Values, size int, field string) []string {
	t.Helper()
	var names []string
	marker := ""
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("the listing does not end")
		}
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("MaxItems", strconv.Itoa(size))
		if marker != "" {
			f.Set("Marker", marker)
		}
		out, err := svc.Invoke(t.Context(), p, action, f)
		if err != nil {
			t.Fatalf("%s(%v): %v", action, f, err)
		}
		b, err := xml.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Names       []string `xml:"Policies>member>PolicyName"`
			IsTruncated bool     `xml:"IsTruncated"`
			Marker      string   `xml:"Marker"`
		}
		if err := xml.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		if len(v.Names) > size || (v.IsTruncated && len(v.Names) != size) {
			t.Fatalf("page of %d, truncated %v, MaxItems %d", len(v.Names), v.IsTruncated, size)
		}
		names = append(names, v.Names...)
		if !v.IsTruncated {
			return names
		}
		marker = v.Marker
	}
}

func TestListPoliciesPages(t *testing.T) {
	ctx := t.Context()
	svc, _, root := newListService(t)
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	var local []string
	for i := range 5 {
		name := fmt.Sprintf("local-%d", i)
		local = append(local, name)
		if _, err := svc.Invoke(ctx, root, "CreatePolicy", url.Values{"PolicyName": {name}, "PolicyDocument": {doc}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := listAll(t, svc, root, "ListPolicies", url.Values{"Scope": {"Local"}}, 2, ""); !slices.Equal(got, local) {
		t.Errorf("Local in pages of 2 = %q, want %q", got, local)
	}
	aws := listAll(t, svc, root, "ListPolicies", url.Values{"Scope": {"AWS"}}, 1000, "")
	if len(aws) < 100 {
		t.Fatalf("only %d AWS managed policies listed", len(aws))
	}
	if !slices.IsSortedFunc(aws, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }) {
		t.Error("AWS managed policies are not in name order")
	}
	want := append(slices.Clone(local), aws...)
	for _, size := range []int{5, 7, 100} { // 5: the local page is exactly full
		if got := listAll(t, svc, root, "ListPolicies", url.Values{}, size, ""); !slices.Equal(got, want) {
			t.Errorf("All in pages of %d: %d policies, want %d", size, len(got), len(want))
		}
	}
	// A marker handed out for one Scope is not one for another.
	out, err := svc.Invoke(ctx, root, "ListPolicies", url.Values{"Scope": {"Local"}, "MaxItems": {"2"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := xml.Marshal(out)
	var v struct {
		Marker string `xml:"Marker"`
	}
	xml.Unmarshal(b, &v)
	_, err = svc.Invoke(ctx, root, "ListPolicies", url.Values{"Scope": {"AWS"}, "Marker": {v.Marker}})
	var we *warden.Error
	if v.Marker == "" || !errors.As(err, &we) || we.Message != "Invalid Marker." {
		t.Errorf("ListPolicies(Scope AWS) with a Local marker %q = %v, want Invalid Marker.", v.Marker, err)
	}
}

func TestGetGroupMemberPages(t *testing.T) {
	ctx := t.Context()
	svc, store, root := newListService(t)
	names := seedUsers(t, store, 40)
	for _, g := range []string{"team", "other"} {
		if _, err := svc.Invoke(ctx, root, "CreateGroup", url.Values{"GroupName": {g}}); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for i, n := range names {
		group := "other"
		if i%4 == 1 {
			group = "team"
			want = append(want, n)
		}
		if _, err := svc.Invoke(ctx, root, "AddUserToGroup", url.Values{"GroupName": {group}, "UserName": {n}}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	marker := ""
	for pages := 0; pages <= len(want); pages++ {
		form := url.Values{"GroupName": {"Team"}, "MaxItems": {"3"}}
		if marker != "" {
			form.Set("Marker", marker)
		}
		out, err := svc.Invoke(ctx, root, "GetGroup", form)
		if err != nil {
			t.Fatalf("GetGroup(%v): %v", form, err)
		}
		pg := pageOf(out)
		got = append(got, pg.names...)
		if pg.marker == "" {
			break
		}
		marker = pg.marker
	}
	if !slices.Equal(got, want) {
		t.Errorf("members of team = %q, want %q", got, want)
	}
	// The marker of one group's members is not one for another group.
	out, err := svc.Invoke(ctx, root, "GetGroup", url.Values{"GroupName": {"team"}, "MaxItems": {"3"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Invoke(ctx, root, "GetGroup", url.Values{"GroupName": {"other"}, "Marker": {pageOf(out).marker}})
	var we *warden.Error
	if !errors.As(err, &we) || we.Message != "Invalid Marker." {
		t.Errorf("GetGroup(other) with team's marker = %v, want Invalid Marker.", err)
	}
}

func TestListEntitiesForPolicyPages(t *testing.T) {
	ctx := t.Context()
	svc, store, root := newListService(t)
	names := seedUsers(t, store, 12)
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`
	arnP := "arn:aws:iam::" + listAccount + ":policy/p"
	steps := []struct {
		action string
		form   url.Values
	}{{"CreatePolicy", url.Values{"PolicyName": {"p"}, "PolicyDocument": {doc}}}}
	var want []string
	for _, g := range []string{"g0", "g1", "g2"} {
		steps = append(steps, struct {
			action string
			form   url.Values
		}{"CreateGroup", url.Values{"GroupName": {g}}}, struct {
			action string
			form   url.Values
		}{"AttachGroupPolicy", url.Values{"GroupName": {g}, "PolicyArn": {arnP}}})
		want = append(want, "group:"+g)
	}
	for _, r := range []string{"r0", "r1"} {
		steps = append(steps, struct {
			action string
			form   url.Values
		}{"CreateRole", url.Values{"RoleName": {r}, "AssumeRolePolicyDocument": {trust}}}, struct {
			action string
			form   url.Values
		}{"AttachRolePolicy", url.Values{"RoleName": {r}, "PolicyArn": {arnP}}})
		want = append(want, "role:"+r)
	}
	for i, n := range names {
		if i%2 == 0 {
			steps = append(steps, struct {
				action string
				form   url.Values
			}{"AttachUserPolicy", url.Values{"UserName": {n}, "PolicyArn": {arnP}}})
			want = append(want, "user:"+n)
		}
	}
	for _, st := range steps {
		if _, err := svc.Invoke(ctx, root, st.action, st.form); err != nil {
			t.Fatalf("%s %v: %v", st.action, st.form, err)
		}
	}
	for _, size := range []int{1, 2, 3, 5, 100} { // 3 and 5: a page ends exactly where a kind does
		var got []string
		marker := ""
		for pages := 0; pages <= len(want); pages++ {
			form := url.Values{"PolicyArn": {arnP}, "MaxItems": {strconv.Itoa(size)}}
			if marker != "" {
				form.Set("Marker", marker)
			}
			out, err := svc.Invoke(ctx, root, "ListEntitiesForPolicy", form)
			if err != nil {
				t.Fatalf("ListEntitiesForPolicy(%v): %v", form, err)
			}
			b, _ := xml.Marshal(out)
			var v struct {
				Groups      []string `xml:"PolicyGroups>member>GroupName"`
				Roles       []string `xml:"PolicyRoles>member>RoleName"`
				Users       []string `xml:"PolicyUsers>member>UserName"`
				IsTruncated bool     `xml:"IsTruncated"`
				Marker      string   `xml:"Marker"`
			}
			if err := xml.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			n := len(v.Groups) + len(v.Roles) + len(v.Users)
			if n > size || (v.IsTruncated && n != size) || (n == 0 && pages > 0) {
				t.Fatalf("MaxItems %d: page %d of %d entities, truncated %v", size, pages, n, v.IsTruncated)
			}
			for _, g := range v.Groups {
				got = append(got, "group:"+g)
			}
			for _, r := range v.Roles {
				got = append(got, "role:"+r)
			}
			for _, u := range v.Users {
				got = append(got, "user:"+u)
			}
			if !v.IsTruncated {
				break
			}
			marker = v.Marker
		}
		if !slices.Equal(got, want) {
			t.Errorf("MaxItems %d: entities = %q, want %q", size, got, want)
		}
	}
	_, err := svc.Invoke(ctx, root, "ListEntitiesForPolicy", url.Values{"PolicyArn": {arnP}, "Marker": {"Zm9yZ2Vk"}})
	var we *warden.Error
	if !errors.As(err, &we) || we.Message != "Invalid Marker." {
		t.Errorf("forged marker: %v, want Invalid Marker.", err)
	}
}

// BenchmarkGetAccountAuthorizationDetailsPage is the second page of 100 of
// GetAccountAuthorizationDetails in an account of 1,000 and of 5,000 users:
// read from the store a section at a time, it costs the same at both sizes.
func BenchmarkGetAccountAuthorizationDetailsPage(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			ctx := context.Background()
			svc, store, root := newListService(b)
			seedUsers(b, store, n)
			res, err := svc.Invoke(ctx, root, "GetAccountAuthorizationDetails", url.Values{"MaxItems": {"100"}})
			if err != nil {
				b.Fatal(err)
			}
			var first struct {
				Users  []string `xml:"UserDetailList>member>UserName"`
				Marker string   `xml:"Marker"`
			}
			raw, _ := xml.Marshal(res)
			if err := xml.Unmarshal(raw, &first); err != nil || len(first.Users) != 100 || first.Marker == "" {
				b.Fatalf("first page: %d users, marker %q, %v", len(first.Users), first.Marker, err)
			}
			form := url.Values{"MaxItems": {"100"}, "Marker": {first.Marker}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := svc.Invoke(ctx, root, "GetAccountAuthorizationDetails", form); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
