package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// TestSimulationDecidesAsEnforced checks that simulating a user's own
// policies gives the decision, and the deciding statements, that Decide
// gives for requests by that user.
func TestSimulationDecidesAsEnforced(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := New(s, Strict, slog.New(slog.DiscardHandler))

	admin := user("admin")
	admin.Groups = []string{"admins", "gone"}
	readOnly := user("reader")
	readOnly.AttachedPolicies = []string{"arn:aws:iam::123456789012:policy/ListOnly", "arn:aws:iam::123456789012:policy/Deleted"}
	self := user("self")
	self.InlinePolicies = []warden.InlinePolicy{{Name: "self", Document: selfOnly}}
	bounded := user("bounded")
	bounded.InlinePolicies = []warden.InlinePolicy{{Name: "all", Document: allowIAM}}
	bounded.PermissionsBoundary = "arn:aws:iam::123456789012:policy/ListOnly"
	lostBoundary := user("lost")
	lostBoundary.InlinePolicies = []warden.InlinePolicy{{Name: "all", Document: allowIAM}}
	lostBoundary.PermissionsBoundary = "arn:aws:iam::123456789012:policy/Deleted"
	tagged := user("tagged")
	tagged.Tags = []warden.Tag{{Key: "team", Value: "blue"}}
	tagged.InlinePolicies = []warden.InlinePolicy{{Name: "tags", Document: teamTagOnly}}
	biller := user("biller")
	biller.InlinePolicies = []warden.InlinePolicy{{Name: "all", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}}
	put(t, s, admin, readOnly, self, bounded, lostBoundary, tagged, biller, user("nobody"),
		&warden.Account{ID: acct, Status: warden.AccountActive},
		&warden.Group{Account: acct, ID: "AGPAADMINS", Name: "admins", Path: "/",
			InlinePolicies:   []warden.InlinePolicy{{Name: "all", Document: allowIAM}},
			AttachedPolicies: []string{"arn:aws:iam::123456789012:policy/NoDelete"}},
		managed("ListOnly", listOnly), managed("NoDelete", denyDelete))

	requests := []Request{
		{Action: "iam:CreateUser", Resource: "arn:aws:iam::123456789012:user/x"},
		{Action: "iam:DeleteUser", Resource: "arn:aws:iam::123456789012:user/x"},
		{Action: "iam:ListUsers", Resource: "*"},
		{Action: "iam:GetUser", Resource: self.ARN()},
		{Action: "iam:GetUser", Resource: admin.ARN()},
		{Action: "iam:CreateUser", Resource: "*", Context: map[string][]string{"aws:RequestTag/team": {"blue"}}},
		{Action: "iam:CreateUser", Resource: "*", Context: map[string][]string{"aws:RequestTag/team": {"red"}}},
		{Action: "aws-portal:ViewBilling", Resource: "*"},
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
	}
	for _, u := range []string{"admin", "reader", "self", "bounded", "lost", "tagged", "biller", "nobody"} {
		e, err := a.Entity(ctx, acct, EntityUser, u)
		if err != nil {
			t.Fatal(err)
		}
		// From the snapshot, and compiled afresh.
		fromSnapshot, err := a.SimulateEntity(ctx, e, e.Caller, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if fromSnapshot.sets[simIdentity] != snapshotIdentity(a, &e.Caller.Principal) {
			t.Errorf("%s: the simulation does not use the snapshot", u)
		}
		compiled := a.Simulate(e.Caller, e.Identity, e.Boundary, nil)
		p := &e.Caller.Principal
		for _, sim := range []*Simulation{fromSnapshot, compiled} {
			for _, req := range requests {
				want, err := a.Decide(ctx, p, req)
				if err != nil {
					t.Fatal(err)
				}
				got, err := sim.Decide(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if got.Result.Decision != want.Result.Decision || got.BillingBlocked != want.BillingBlocked ||
					got.Result.Missing != want.Result.Missing {
					t.Errorf("%s %s: simulated %v (billing %v), enforced %v (billing %v)", u, req.Action,
						got.Result.Decision, got.BillingBlocked, want.Result.Decision, want.BillingBlocked)
				}
				if g, w := statements(got.Result.Deciding()), statements(want.Result.Deciding()); !slices.Equal(g, w) {
					t.Errorf("%s %s: simulated statements %v, enforced %v", u, req.Action, g, w)
				}
				for _, m := range got.Result.Deciding() {
					if sim.Source(m) == nil {
						t.Errorf("%s %s: no source for %+v", u, req.Action, m)
					}
				}
			}
		}
	}

	t.Run("sources name the deciding statements", func(t *testing.T) {
		e, err := a.Entity(ctx, acct, EntityUser, "admin")
		if err != nil {
			t.Fatal(err)
		}
		sim, err := a.SimulateEntity(ctx, e, e.Caller, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := sim.Decide(ctx, Request{Action: "iam:DeleteGroup", Resource: "*"})
		if err != nil {
			t.Fatal(err)
		}
		m := d.Result.Deciding()
		if len(m) != 1 {
			t.Fatalf("deciding %v", m)
		}
		if src := sim.Source(m[0]); src == nil || src.ID != "NoDelete" || src.Type != SourceUserManaged {
			t.Fatalf("source %+v", src)
		}
		if e.Identity[0].ID != "all" || e.Identity[0].Type != SourceGroup {
			t.Fatalf("identity sources %+v", e.Identity)
		}
	})

	t.Run("a missing entity is not found", func(t *testing.T) {
		for _, k := range []EntityKind{EntityUser, EntityGroup, EntityRole} {
			if _, err := a.Entity(ctx, acct, k, "missing"); !errors.Is(err, warden.ErrNotFound) {
				t.Errorf("%s: %v", k, err)
			}
		}
	})
}

// statements lists matches by position, as "kind:policy#statement(sid)":
// the simulation names policies as the simulator reports them, the
// snapshot by where they are attached.
func statements(ms []policy.Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s:%d#%d(%s)", m.Kind, m.Policy, m.Statement, m.Sid))
	}
	return out
}

func snapshotIdentity(a *Authorizer, p *warden.Principal) *policy.Set {
	pp, _ := a.policies.Get(cacheKey(p))
	if pp == nil {
		return nil
	}
	return pp.identity
}
