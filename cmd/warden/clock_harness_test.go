package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/awsquery"
	wiam "github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/secrets"
	"github.com/warden-iam/warden/sqlite"
	wsts "github.com/warden-iam/warden/sts"
)

// The clocked harness: the services `warden serve` wires, behind an
// httptest server, with STS on a clock the test moves.

// testClock is real time moved by an offset the test controls.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// startClockedServer wires the same services as `warden serve` behind an
// httptest server, with STS judging session expiration by clock, so that
// tests can let credentials expire without sleeping. SigV4 and MFA keep
// real time: clients sign with it.
func startClockedServer(tb testing.TB) (*server, *testClock) {
	tb.Helper()
	s, clock, _ := startWiredServer(tb)
	return s, clock
}

// startWiredServer is startClockedServer that also hands out the server's
// STS, for tests that need what only STS can make (an encoded message).
func startWiredServer(tb testing.TB) (*server, *testClock, *wsts.Service) {
	tb.Helper()
	return wireServer(tb, nil)
}

// wireServer is startWiredServer with configure, when set, called on the
// Query handler and the store before the server starts.
func wireServer(tb testing.TB, configure func(*awsquery.Handler, *sqlite.Store)) (*server, *testClock, *wsts.Service) {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	store, err := sqlite.Open(ctx, dir+"/warden.db")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	// The master key lives in the data directory, as warden serve keeps
	// it, so that the account and root commands can share the store.
	key, err := secrets.LoadOrCreateKey(dir)
	if err != nil {
		tb.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		tb.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	az := authz.New(store, authz.Strict, quiet)
	tracked := az.Track(store)
	iamSvc := wiam.New(tracked, az, box)
	stsSvc := wsts.New(tracked, az, iamSvc, box)
	clock := &testClock{}
	stsSvc.Now = clock.Now
	if _, err := iamSvc.Bootstrap(ctx, wiam.Bootstrap{AccountID: testAccount, RootAccessKeyID: rootKeyID,
		RootSecretAccessKey: rootSecret}); err != nil {
		tb.Fatal(err)
	}
	h := awsquery.NewHandler(iamSvc, stsSvc, quiet)
	if configure != nil {
		configure(h, store)
	}
	hs := httptest.NewServer(h)
	tb.Cleanup(hs.Close)
	return &server{URL: hs.URL, Data: dir}, clock, stsSvc
}
