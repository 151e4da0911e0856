package iam_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

// TestListAttachedPolicies: ListPolicies with OnlyAttached lists the
// customer managed policies in use, from the attached-policy index, in name
// order (path order under a PathPrefix), of the usage PolicyUsageFilter
// asks for, whatever the page size; attaching, detaching, boundaries set and
// removed and entities deleted are reflected; a marker of another filter is
// Invalid Marker.
func TestListAttachedPolicies(t *testing.T) {
	svc, _, root := newListService(t)
	arnOf := func(path, name string) string { return "arn:aws:iam::" + listAccount + ":policy" + path + name }
	paths := map[string]string{}
	for i := range 12 {
		name, path := fmt.Sprintf("P%02d", 11-i), "/"
		if i%3 == 0 {
			path = "/team/"
		}
		paths[name] = path
		invoke(t, svc, root, "CreatePolicy", url.Values{"PolicyName": {name}, "Path": {path}, "PolicyDocument": {testDoc}})
	}
	a := func(name string) string { return arnOf(paths[name], name) }
	invoke(t, svc, root, "CreateUser", url.Values{"UserName": {"u"}})
	invoke(t, svc, root, "CreateGroup", url.Values{"GroupName": {"g"}})
	invoke(t, svc, root, "CreateRole", url.Values{"RoleName": {"r"}, "AssumeRolePolicyDocument": {testTrust}, "PermissionsBoundary": {a("P05")}})
	for _, n := range []string{"P01", "P02", "P08", "P11"} {
		invoke(t, svc, root, "AttachUserPolicy", url.Values{"UserName": {"u"}, "PolicyArn": {a(n)}})
	}
	invoke(t, svc, root, "AttachGroupPolicy", url.Values{"GroupName": {"g"}, "PolicyArn": {a("P02")}})
	invoke(t, svc, root, "AttachRolePolicy", url.Values{"RoleName": {"r"}, "PolicyArn": {a("P03")}})
	invoke(t, svc, root, "PutUserPermissionsBoundary", url.Values{"UserName": {"u"}, "PermissionsBoundary": {a("P08")}})

	list := func(size int, form url.Values) []string {
		t.Helper()
		f := url.Values{"Scope": {"Local"}, "OnlyAttached": {"true"}}
		for k, v := range form {
			f[k] = v
		}
		return names(t, svc, root, "ListPolicies", f, size, selector("Policies"))
	}
	expect := func(what string, form url.Values, want []string) {
		t.Helper()
		for _, size := range []int{1, 2, 3, 100} {
			if got := list(size, form); !slices.Equal(got, want) {
				t.Errorf("%s (pages of %d) = %q, want %q", what, size, got, want)
			}
		}
	}
	policy := url.Values{"PolicyUsageFilter": {"PermissionsPolicy"}}
	boundary := url.Values{"PolicyUsageFilter": {"PermissionsBoundary"}}
	team := url.Values{"PathPrefix": {"/team/"}}
	// /team/ holds P11, P08, P05 and P02.
	expect("in use", nil, []string{"P01", "P02", "P03", "P05", "P08", "P11"})
	expect("attached", policy, []string{"P01", "P02", "P03", "P08", "P11"})
	expect("boundaries", boundary, []string{"P05", "P08"})
	expect("in use under /team/", team, []string{"P02", "P05", "P08", "P11"})
	expect("boundaries under /team/", url.Values{"PathPrefix": {"/team/"}, "PolicyUsageFilter": {"PermissionsBoundary"}}, []string{"P05", "P08"})
	if got := names(t, svc, root, "ListPolicies", url.Values{"Scope": {"Local"}}, 5, selector("Policies")); len(got) != 12 {
		t.Errorf("every policy: %d, want 12", len(got))
	}

	// Attached twice, detached once: still in use.
	invoke(t, svc, root, "DetachUserPolicy", url.Values{"UserName": {"u"}, "PolicyArn": {a("P02")}})
	invoke(t, svc, root, "DetachUserPolicy", url.Values{"UserName": {"u"}, "PolicyArn": {a("P01")}})
	invoke(t, svc, root, "DetachUserPolicy", url.Values{"UserName": {"u"}, "PolicyArn": {a("P08")}})
	invoke(t, svc, root, "AttachGroupPolicy", url.Values{"GroupName": {"g"}, "PolicyArn": {a("P00")}})
	invoke(t, svc, root, "PutRolePermissionsBoundary", url.Values{"RoleName": {"r"}, "PermissionsBoundary": {a("P11")}})
	expect("in use after", nil, []string{"P00", "P02", "P03", "P08", "P11"})
	expect("attached after", policy, []string{"P00", "P02", "P03", "P11"})
	expect("boundaries after", boundary, []string{"P08", "P11"})
	expect("under /team/ after", team, []string{"P02", "P08", "P11"})

	invoke(t, svc, root, "DeleteUserPermissionsBoundary", url.Values{"UserName": {"u"}})
	invoke(t, svc, root, "DetachRolePolicy", url.Values{"RoleName": {"r"}, "PolicyArn": {a("P03")}})
	invoke(t, svc, root, "DeleteRole", url.Values{"RoleName": {"r"}})
	expect("in use at the end", nil, []string{"P00", "P02", "P11"})
	expect("boundaries at the end (the role held the last)", boundary, nil)

	// A marker binds the filter: one of "in use" is no marker of the
	// attached-only listing, nor of the listing without OnlyAttached.
	res, err := svc.Invoke(t.Context(), root, "ListPolicies", url.Values{"Scope": {"Local"}, "OnlyAttached": {"true"}, "MaxItems": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := xml.Marshal(res)
	_, more, marker := selector("Policies")(raw)
	if !more {
		t.Fatal("first page of one is the last")
	}
	for _, f := range []url.Values{
		{"Scope": {"Local"}, "OnlyAttached": {"true"}, "PolicyUsageFilter": {"PermissionsPolicy"}},
		{"Scope": {"Local"}, "OnlyAttached": {"true"}, "PathPrefix": {"/team/"}},
		{"Scope": {"Local"}},
	} {
		f.Set("Marker", marker)
		if _, err := svc.Invoke(t.Context(), root, "ListPolicies", f); warden.ErrorCode(err) != warden.CodeValidationError {
			t.Errorf("ListPolicies %v with a marker of another filter: %v, want ValidationError", f, err)
		}
	}
}

// BenchmarkListAttachedPolicies is ListPolicies with OnlyAttached (Scope
// Local) in accounts of 1,000 and 5,000 customer managed policies, ten of
// them attached: the page must cost the same at both sizes. records/op
// counts the records the request read from the store.
func BenchmarkListAttachedPolicies(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("policies=%d", n), func(b *testing.B) {
			ctx := context.Background()
			svc, store, root, reads := newCountingService(b)
			err := store.Update(ctx, func(tx warden.Tx) error {
				for i := range n {
					mp := &warden.ManagedPolicy{Account: listAccount, ID: fmt.Sprintf("ANPA%016d", i), Name: fmt.Sprintf("policy-%05d", i),
						Path: "/", DefaultVersion: "v1", NextVersion: 2, CreateDate: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
						Versions: []warden.PolicyVersion{{ID: "v1", Document: testDoc, CreateDate: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}}}
					if i%(n/10) == 3 {
						mp.AttachmentCount = 1
					}
					if err := warden.Insert(ctx, tx, mp); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			form := url.Values{"Scope": {"Local"}, "OnlyAttached": {"true"}, "MaxItems": {"100"}}
			res, err := svc.Invoke(ctx, root, "ListPolicies", form)
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := xml.Marshal(res)
			if got, more, _ := selector("Policies")(raw); len(got) != 10 || more {
				b.Fatalf("page of %d (truncated %v), want 10", len(got), more)
			}
			b.ReportAllocs()
			reads.Store(0)
			for b.Loop() {
				if _, err := svc.Invoke(ctx, root, "ListPolicies", form); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(reads.Load())/float64(b.N), "records/op")
		})
	}
}
