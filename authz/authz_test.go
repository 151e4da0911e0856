package authz

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
	"github.com/warden-iam/warden/sqlite"
)

const acct = "123456789012"

func newStore(t testing.TB) warden.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func put(t testing.TB, s warden.Store, es ...warden.Entity) {
	t.Helper()
	err := s.Update(context.Background(), func(tx warden.Tx) error {
		for _, e := range es {
			if err := warden.Insert(context.Background(), tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func user(name string) *warden.User {
	return &warden.User{Account: acct, ID: "AIDA" + strings.ToUpper(name) + "XXXXXXXXXXXX", Name: name, Path: "/"}
}

func principal(u *warden.User) *warden.Principal {
	return &warden.Principal{Type: warden.PrincipalUser, Account: acct, Name: u.Name, ID: u.ID, ARN: u.ARN()}
}

func managed(name, doc string) *warden.ManagedPolicy {
	return &warden.ManagedPolicy{Account: acct, ID: "ANPA" + name, Name: name, Path: "/", DefaultVersion: "v1",
		Versions: []warden.PolicyVersion{{ID: "v1", Document: doc}}}
}

const (
	allowIAM    = `{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":"iam:*","Resource":"*"}]}`
	denyDelete  = `{"Version":"2012-10-17","Statement":[{"Sid":"NoDelete","Effect":"Deny","Action":"iam:Delete*","Resource":"*"}]}`
	selfOnly    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:user/${aws:username}"}]}`
	listOnly    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","iam:Get*"],"Resource":"*"}]}`
	teamTagOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"}}}]}`
)

func TestAuthorize(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := New(s, Strict, slog.New(slog.DiscardHandler))

	admin := user("admin")
	admin.Groups = []string{"admins"}
	readOnly := user("reader")
	readOnly.AttachedPolicies = []string{"arn:aws:iam::123456789012:policy/ListOnly"}
	self := user("self")
	self.InlinePolicies = []warden.InlinePolicy{{Name: "self", Document: selfOnly}}
	bounded := user("bounded")
	bounded.InlinePolicies = []warden.InlinePolicy{{Name: "all", Document: allowIAM}}
	bounded.PermissionsBoundary = "arn:aws:iam::123456789012:policy/ListOnly"
	tagged := user("tagged")
	tagged.Tags = []warden.Tag{{Key: "team", Value: "blue"}}
	tagged.InlinePolicies = []warden.InlinePolicy{{Name: "tags", Document: teamTagOnly}}
	nobody := user("nobody")
	put(t, s, admin, readOnly, self, bounded, tagged, nobody,
		&warden.Group{Account: acct, ID: "AGPAADMINS", Name: "admins", Path: "/",
			InlinePolicies:   []warden.InlinePolicy{{Name: "all", Document: allowIAM}},
			AttachedPolicies: []string{"arn:aws:iam::123456789012:policy/NoDelete"}},
		managed("ListOnly", listOnly), managed("NoDelete", denyDelete))

	root := &warden.Principal{Type: warden.PrincipalRoot, Account: acct, ID: acct, ARN: "arn:aws:iam::123456789012:root"}
	tests := []struct {
		name    string
		p       *warden.Principal
		req     Request
		allowed bool
		why     string
	}{
		{"root is not restricted", root, Request{Action: "iam:DeleteUser", Resource: "*"}, true, ""},
		{"root-only task refuses admins", principal(admin), Request{Action: "iam:CreateAccessKey", Resource: "arn:aws:iam::123456789012:root", RootOnly: true}, false, "only be performed by the account's root user"},
		{"group inline policy allows", principal(admin), Request{Action: "iam:CreateUser", Resource: "arn:aws:iam::123456789012:user/x"}, true, ""},
		{"group managed deny wins", principal(admin), Request{Action: "iam:DeleteUser", Resource: "arn:aws:iam::123456789012:user/x"}, false, "with an explicit deny in an identity-based policy"},
		{"attached managed policy allows reads", principal(readOnly), Request{Action: "iam:ListUsers", Resource: "*"}, true, ""},
		{"nothing allows writes", principal(readOnly), Request{Action: "iam:CreateUser", Resource: "*"}, false, "because no identity-based policy allows the iam:CreateUser action"},
		{"no policies at all", principal(nobody), Request{Action: "iam:GetUser", Resource: nobody.ARN()}, false, "no identity-based policy"},
		{"variable matches self", principal(self), Request{Action: "iam:GetUser", Resource: self.ARN()}, true, ""},
		{"variable refuses others", principal(self), Request{Action: "iam:GetUser", Resource: admin.ARN()}, false, ""},
		{"boundary caps", principal(bounded), Request{Action: "iam:CreateUser", Resource: "*"}, false, "because no permissions boundary allows the iam:CreateUser action"},
		{"boundary and identity both allow", principal(bounded), Request{Action: "iam:ListGroups", Resource: "*"}, true, ""},
		{"principal tag condition holds", principal(tagged), Request{Action: "iam:CreateUser", Resource: "*", Context: map[string][]string{"aws:RequestTag/team": {"blue"}}}, true, ""},
		{"principal tag condition fails", principal(tagged), Request{Action: "iam:CreateUser", Resource: "*", Context: map[string][]string{"aws:RequestTag/team": {"red"}}}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Authorize(ctx, tt.p, tt.req)
			if tt.allowed != (err == nil) {
				t.Fatalf("Authorize = %v, want allowed=%v", err, tt.allowed)
			}
			if err != nil {
				if warden.ErrorCode(err) != warden.CodeAccessDenied {
					t.Fatalf("code %s", warden.ErrorCode(err))
				}
				if !strings.Contains(err.Error(), "is not authorized to perform: "+tt.req.Action) || !strings.Contains(err.Error(), tt.why) {
					t.Fatalf("message %q lacks %q", err, tt.why)
				}
			}
		})
	}

	t.Run("deciding statements are named", func(t *testing.T) {
		d, err := a.Decide(ctx, principal(admin), Request{Action: "iam:DeleteGroup", Resource: "*"})
		if err != nil {
			t.Fatal(err)
		}
		if d.Result.Decision != policy.ExplicitDeny {
			t.Fatalf("decision %v", d.Result.Decision)
		}
		got := strings.Join(d.Explain(), ",")
		if !strings.Contains(got, "arn:aws:iam::123456789012:policy/NoDelete#0(NoDelete)") {
			t.Fatalf("explanation %q", got)
		}
	})
}

func TestModes(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	u := user("nobody")
	put(t, s, u)
	for _, tt := range []struct {
		mode    Mode
		allowed bool
	}{{Strict, false}, {Soft, true}, {Off, true}} {
		a := New(s, tt.mode, slog.New(slog.DiscardHandler))
		err := a.Authorize(ctx, principal(u), Request{Action: "iam:CreateUser", Resource: "*"})
		if (err == nil) != tt.allowed {
			t.Errorf("mode %d: %v", tt.mode, err)
		}
		// Root-only tasks stay root-only whatever the mode.
		if err := a.Authorize(ctx, principal(u), Request{Action: "iam:CreateAccessKey", Resource: "*", RootOnly: true}); err == nil {
			t.Errorf("mode %d allowed a root-only task", tt.mode)
		}
	}
	if _, ok := ParseMode("loose"); ok {
		t.Error("ParseMode accepted loose")
	}
}

// TestSnapshotFollowsWrites checks that a write through Track is seen by the
// next decision, and that Watch notices writes made past the tracked store.
func TestSnapshotFollowsWrites(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := New(s, Strict, slog.New(slog.DiscardHandler))
	tracked := a.Track(s)
	u := user("grow")
	put(t, s, u)
	req := Request{Action: "iam:CreateUser", Resource: "*"}
	if err := a.Authorize(ctx, principal(u), req); err == nil {
		t.Fatal("allowed before any policy")
	}
	err := tracked.Update(ctx, func(tx warden.Tx) error {
		u.InlinePolicies = []warden.InlinePolicy{{Name: "all", Document: allowIAM}}
		return warden.Save(ctx, tx, u)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize(ctx, principal(u), req); err != nil {
		t.Fatalf("tracked write not seen: %v", err)
	}

	// A write behind the authorizer's back (another node) is seen at the
	// next Poll, not before.
	if err := a.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize(ctx, principal(u), req); err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx warden.Tx) error {
		u.InlinePolicies = nil
		return warden.Save(ctx, tx, u)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize(ctx, principal(u), req); err != nil {
		t.Fatalf("the snapshot is expected to lag until the next Poll: %v", err)
	}
	if err := a.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize(ctx, principal(u), req); err == nil {
		t.Fatal("Poll did not drop the stale snapshot")
	}
}

// benchSetup is a user whose permissions come from its own inline policy
// and its group's, and the request the benchmarks decide for it.
func benchSetup(b *testing.B) (*Authorizer, *warden.Principal, Request) {
	s := newStore(b)
	a := New(s, Strict, slog.New(slog.DiscardHandler))
	u := user("bench")
	u.Groups = []string{"admins"}
	u.InlinePolicies = []warden.InlinePolicy{{Name: "self", Document: selfOnly}}
	put(b, s, u, &warden.Group{Account: acct, ID: "AGPAADMINS", Name: "admins", Path: "/",
		InlinePolicies: []warden.InlinePolicy{{Name: "all", Document: allowIAM}}})
	return a, principal(u), Request{Action: "iam:GetUser", Resource: u.ARN()}
}

func BenchmarkAuthorizeWarm(b *testing.B) {
	ctx := context.Background()
	a, p, req := benchSetup(b)
	if err := a.Authorize(ctx, p, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Authorize(ctx, p, req); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBillingAccessSetting(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := New(s, Strict, slog.New(slog.DiscardHandler))
	tracked := a.Track(s)
	u := user("finance")
	u.InlinePolicies = []warden.InlinePolicy{{Name: "all", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}}
	acct := &warden.Account{ID: acct, Status: warden.AccountActive}
	put(t, s, u, acct)
	billing := []string{"aws-portal:ViewBilling", "billing:GetBillingData", "ce:GetCostAndUsage", "account:GetBillingInfo"}
	for _, action := range billing {
		err := a.Authorize(ctx, principal(u), Request{Action: action, Resource: "*"})
		if err == nil || !strings.Contains(err.Error(), "access to billing information is not activated") {
			t.Fatalf("%s with billing access off: %v", action, err)
		}
	}
	if err := a.Authorize(ctx, principal(u), Request{Action: "iam:ListUsers", Resource: "*"}); err != nil {
		t.Fatalf("a non-billing action was blocked: %v", err)
	}
	err := tracked.Update(ctx, func(tx warden.Tx) error {
		acct.BillingAccess = true
		return warden.Save(ctx, tx, acct)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, action := range billing {
		if err := a.Authorize(ctx, principal(u), Request{Action: action, Resource: "*"}); err != nil {
			t.Fatalf("%s with billing access on: %v", action, err)
		}
	}
	// With the setting on, policies decide: a user without them is refused
	// for the ordinary reason.
	nobody := user("nobody")
	put(t, s, nobody)
	if err := a.Authorize(ctx, principal(nobody), Request{Action: "aws-portal:ViewBilling", Resource: "*"}); err == nil || strings.Contains(err.Error(), "billing information") {
		t.Fatalf("policyless user: %v", err)
	}
}
