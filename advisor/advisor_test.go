package advisor

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/policy"
	"github.com/warden-iam/warden/sqlite"
)

const acct = "123456789012"

func newStore(t testing.TB) warden.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func load(t *testing.T, s warden.Store, id, service string) *warden.ServiceAccess {
	t.Helper()
	var sa *warden.ServiceAccess
	err := s.View(context.Background(), func(tx warden.Tx) (err error) {
		sa, err = warden.Load[warden.ServiceAccess](context.Background(), tx, acct, warden.ServiceAccessKey(id, service))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sa
}

func TestTrackerMergesAndFlushes(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := New(s, nil)
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tr.Now = func() time.Time { return clock }
	user := &warden.Principal{Type: warden.PrincipalUser, Account: acct, Name: "ada", ID: "AIDAADA", ARN: "arn:aws:iam::" + acct + ":user/ada"}
	role := &warden.Principal{Type: warden.PrincipalAssumedRole, Account: acct, Name: "s1", ID: "AROAREADER:s1",
		ARN: "arn:aws:sts::" + acct + ":assumed-role/reader/s1"}
	via := func(name string) []policy.Match { return []policy.Match{{Kind: policy.Identity, PolicyName: name}} }

	tr.Observe(authz.Allowed{Principal: user, Action: "iam:GetUser", Deciding: via("group/devs/get")})
	clock = clock.Add(time.Minute)
	tr.Observe(authz.Allowed{Principal: user, Action: "iam:ListUsers", Deciding: via("user/ada/own")})
	tr.Observe(authz.Allowed{Principal: user, Action: "sts:AssumeRole", Deciding: via("user/ada/own")})
	tr.Observe(authz.Allowed{Principal: role, Action: "iam:ListRoles", Deciding: via("arn:aws:iam::" + acct + ":policy/ro")})
	tr.Observe(authz.Allowed{Principal: &warden.Principal{Type: warden.PrincipalRoot, Account: acct}, Action: "iam:GetUser"})
	if err := tr.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	iamUse := load(t, s, "AIDAADA", "iam")
	if !iamUse.Last.Equal(clock) || iamUse.EntityType != "user" || iamUse.EntityName != "ada" ||
		len(iamUse.Actions) != 2 || !iamUse.Actions["GetUser"].Equal(clock.Add(-time.Minute)) ||
		!iamUse.Policies["group/devs/get"].Equal(clock.Add(-time.Minute)) || !iamUse.Policies["user/ada/own"].Equal(clock) {
		t.Errorf("ada's iam use = %+v", iamUse)
	}
	if stsUse := load(t, s, "AIDAADA", "sts"); stsUse.Actions != nil {
		t.Errorf("sts is tracked at service level only: %+v", stsUse.Actions)
	}
	if r := load(t, s, "AROAREADER", "iam"); r.EntityType != "role" || r.EntityName != "reader" ||
		r.EntityARN != "arn:aws:iam::"+acct+":role/reader" {
		t.Errorf("the session's use is its role's: %+v", r)
	}
	// A later flush merges: older times never overwrite newer ones.
	old := clock.Add(-time.Hour)
	tr.Now = func() time.Time { return old }
	tr.Observe(authz.Allowed{Principal: user, Action: "iam:GetUser", Deciding: via("group/devs/get")})
	if err := tr.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := load(t, s, "AIDAADA", "iam"); !got.Last.Equal(clock) || !got.Actions["GetUser"].Equal(clock.Add(-time.Minute)) {
		t.Errorf("an older use overwrote a newer one: %+v", got)
	}
}

// TestObserveConcurrently runs the observer from many goroutines while
// flushing, for the race detector.
func TestObserveConcurrently(t *testing.T) {
	s := newStore(t)
	tr := New(s, nil)
	user := &warden.Principal{Type: warden.PrincipalUser, Account: acct, Name: "ada", ID: "AIDAADA", ARN: "arn:aws:iam::" + acct + ":user/ada"}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				tr.Observe(authz.Allowed{Principal: user, Action: "iam:GetUser"})
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			if err := tr.Flush(context.Background()); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := load(t, s, "AIDAADA", "iam"); got.Actions["GetUser"].IsZero() {
		t.Errorf("use lost: %+v", got)
	}
}

// benchmarkAuthorize is a warm authorization of a user through a group's
// policy, with or without the access advisor observing it.
func benchmarkAuthorize(b *testing.B, observe bool) {
	ctx := context.Background()
	s := newStore(b)
	a := authz.New(s, authz.Strict, slog.New(slog.DiscardHandler))
	u := &warden.User{Account: acct, ID: "AIDABENCH", Name: "bench", Path: "/", Groups: []string{"admins"}}
	err := s.Update(ctx, func(tx warden.Tx) error {
		if err := warden.Insert(ctx, tx, u); err != nil {
			return err
		}
		return warden.Insert(ctx, tx, &warden.Group{Account: acct, ID: "AGPAADMINS", Name: "admins", Path: "/",
			InlinePolicies: []warden.InlinePolicy{{Name: "all", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`}}})
	})
	if err != nil {
		b.Fatal(err)
	}
	if observe {
		tr := New(s, nil)
		a.Observe(tr.Observe)
		stop, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { tr.Run(stop, 10*time.Second); close(done) }()
		defer func() { cancel(); <-done }()
	}
	p := &warden.Principal{Type: warden.PrincipalUser, Account: acct, Name: u.Name, ID: u.ID, ARN: u.ARN()}
	req := authz.Request{Action: "iam:GetUser", Resource: u.ARN()}
	if err := a.Authorize(ctx, p, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := a.Authorize(ctx, p, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkAuthorizeTracked(b *testing.B)   { benchmarkAuthorize(b, true) }
func BenchmarkAuthorizeUntracked(b *testing.B) { benchmarkAuthorize(b, false) }

// BenchmarkObserve is the access advisor's whole cost on the request path.
func BenchmarkObserve(b *testing.B) {
	tr := New(newStore(b), nil)
	p := &warden.Principal{Type: warden.PrincipalUser, Account: acct, Name: "ada", ID: "AIDAADA", ARN: "arn:aws:iam::" + acct + ":user/ada"}
	a := authz.Allowed{Principal: p, Action: "iam:GetUser", Deciding: []policy.Match{{Kind: policy.Identity, PolicyName: "group/admins/all"}}}
	b.ReportAllocs()
	for b.Loop() {
		tr.Observe(a)
	}
}
