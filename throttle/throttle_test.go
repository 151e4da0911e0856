package throttle

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestLimiter(c Config) (*Limiter, *clock) {
	l := New(c)
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l.now = clk.now
	return l, clk
}

func user(id string) *warden.Principal {
	return &warden.Principal{Type: warden.PrincipalUser, Account: "123456789012", ID: id, Name: "u" + id}
}

func isThrottled(err error) bool {
	var we *warden.Error
	return errors.As(err, &we) && we.Code == warden.CodeThrottling && we.Message == "Rate exceeded"
}

func TestBucketRefills(t *testing.T) {
	l, clk := newTestLimiter(Config{Rate: 2, Burst: 3})
	ctx := context.Background()
	alice := user("AIDAALICE")
	for i := range 3 {
		if err := l.Allow(ctx, alice, "iam", "SimulateCustomPolicy"); err != nil {
			t.Fatalf("call %d within the burst: %v", i+1, err)
		}
	}
	if err := l.Allow(ctx, alice, "iam", "SimulateCustomPolicy"); !isThrottled(err) {
		t.Fatalf("call over the burst: got %v, want Throttling", err)
	}
	// The bucket is shared by every limited action.
	if err := l.Allow(ctx, alice, "iam", "GetAccountAuthorizationDetails"); !isThrottled(err) {
		t.Fatalf("another limited action on an empty bucket: got %v", err)
	}
	// Unlimited actions and other principals are not affected.
	if err := l.Allow(ctx, alice, "iam", "GetUser"); err != nil {
		t.Fatalf("unlimited action: %v", err)
	}
	if err := l.Allow(ctx, user("AIDABOB"), "iam", "SimulateCustomPolicy"); err != nil {
		t.Fatalf("another principal: %v", err)
	}
	clk.advance(500 * time.Millisecond) // one token at 2/s
	if err := l.Allow(ctx, alice, "iam", "SimulateCustomPolicy"); err != nil {
		t.Fatalf("after a refill: %v", err)
	}
	if err := l.Allow(ctx, alice, "iam", "SimulateCustomPolicy"); !isThrottled(err) {
		t.Fatalf("after the refilled token: got %v", err)
	}
	clk.advance(time.Hour) // refills to the burst, never past it
	for i := range 3 {
		if err := l.Allow(ctx, alice, "iam", "SimulatePrincipalPolicy"); err != nil {
			t.Fatalf("call %d after a quiet hour: %v", i+1, err)
		}
	}
	if err := l.Allow(ctx, alice, "iam", "SimulatePrincipalPolicy"); !isThrottled(err) {
		t.Fatalf("the bucket filled past its burst: %v", err)
	}
}

// TestKeyedByUniqueID: a principal is its unique ID. A re-created user of the
// same name has its own bucket; sessions of one role share the role's.
func TestKeyedByUniqueID(t *testing.T) {
	l, _ := newTestLimiter(Config{Rate: 1, Burst: 1})
	ctx := context.Background()
	old, successor := user("AIDAOLD"), user("AIDANEW")
	successor.Name = old.Name
	if err := l.Allow(ctx, old, "iam", "SimulateCustomPolicy"); err != nil {
		t.Fatal(err)
	}
	if err := l.Allow(ctx, successor, "iam", "SimulateCustomPolicy"); err != nil {
		t.Fatalf("same name, another ID: %v", err)
	}
	s1 := &warden.Principal{Type: warden.PrincipalAssumedRole, Account: "123456789012", ID: "AROAROLE:one"}
	s2 := &warden.Principal{Type: warden.PrincipalAssumedRole, Account: "123456789012", ID: "AROAROLE:two"}
	if err := l.Allow(ctx, s1, "iam", "SimulateCustomPolicy"); err != nil {
		t.Fatal(err)
	}
	if err := l.Allow(ctx, s2, "iam", "SimulateCustomPolicy"); !isThrottled(err) {
		t.Fatalf("a new session of the same role got a fresh bucket: %v", err)
	}
}

func TestLimitAddsAnAction(t *testing.T) {
	l, _ := newTestLimiter(Config{Rate: 1, Burst: 1, Actions: []string{}})
	ctx := context.Background()
	p := user("AIDAX")
	for range 3 {
		if err := l.Allow(ctx, p, "iam", "GenerateCredentialReport"); err != nil {
			t.Fatalf("not yet limited: %v", err)
		}
	}
	l.Limit("iam:GenerateCredentialReport")
	if !l.Limited("iam:GenerateCredentialReport") {
		t.Fatal("Limited says no after Limit")
	}
	l.Allow(ctx, p, "iam", "GenerateCredentialReport")
	if err := l.Allow(ctx, p, "iam", "GenerateCredentialReport"); !isThrottled(err) {
		t.Fatalf("after Limit: %v", err)
	}
}

func TestOffAndNil(t *testing.T) {
	l := New(Config{Rate: 0})
	if l != nil {
		t.Fatal("Rate 0 should turn the limit off")
	}
	for range 100 {
		if err := l.Allow(context.Background(), user("AIDAX"), "iam", "SimulateCustomPolicy"); err != nil {
			t.Fatalf("nil limiter refused: %v", err)
		}
	}
}

// TestBoundedKeys: however many principals call, the limiter tracks at
// most MaxKeys of them, dropping full buckets first.
func TestBoundedKeys(t *testing.T) {
	l, clk := newTestLimiter(Config{Rate: 1, Burst: 2, MaxKeys: 50})
	ctx := context.Background()
	for i := range 1000 {
		clk.advance(time.Millisecond)
		if err := l.Allow(ctx, user(fmt.Sprintf("AIDA%06d", i)), "iam", "SimulateCustomPolicy"); err != nil {
			t.Fatalf("first call of principal %d: %v", i, err)
		}
		if n := l.Len(); n > 50 {
			t.Fatalf("%d buckets tracked, bound 50", n)
		}
	}
	// A busy principal keeps its (empty) bucket while others come and go,
	// once the idle ones have filled up.
	busy := user("AIDABUSY")
	l.Allow(ctx, busy, "iam", "SimulateCustomPolicy")
	l.Allow(ctx, busy, "iam", "SimulateCustomPolicy")
	clk.advance(10 * time.Millisecond)
	for i := range 10 {
		l.Allow(ctx, user(fmt.Sprintf("AIDANEXT%02d", i)), "iam", "SimulateCustomPolicy")
	}
	if err := l.Allow(ctx, busy, "iam", "SimulateCustomPolicy"); !isThrottled(err) {
		t.Fatalf("the busy principal's bucket was dropped: %v", err)
	}
}

func BenchmarkAllow(b *testing.B) {
	l := New(Config{Rate: 1e9, Burst: 1e9})
	p := user("AIDABENCH")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		l.Allow(ctx, p, "iam", "SimulateCustomPolicy")
	}
}
