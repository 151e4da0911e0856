package trail

import (
	"context"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

// TestUnauthenticatedLimit: each source gets FailedPerSource events a
// minute; the rest are counted as suppressed, and a new minute starts over.
func TestUnauthenticatedLimit(t *testing.T) {
	store := memoryLog(t)
	r := NewRecorder(store, Options{})
	now := time.Date(2026, 5, 6, 7, 8, 0, 0, time.UTC)
	r.Now = func() time.Time { return now }
	fail := func(ip string) {
		r.Unauthenticated(&Call{Time: now, Service: "iam", Action: "GetUser", AccessKeyID: "AKIAUNKNOWN",
			Principal: warden.Principal{Account: "123456789012", SourceIP: ip}, ErrorCode: "InvalidClientTokenId"})
	}
	for range FailedPerSource + 5 {
		fail("192.0.2.1")
	}
	fail("192.0.2.2")
	if r.Suppressed() != 5 {
		t.Errorf("Suppressed = %d, want 5", r.Suppressed())
	}
	now = now.Add(time.Minute)
	fail("192.0.2.1")
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := store.LookupEvents(context.Background(), warden.EventQuery{Account: "123456789012"})
	if err != nil || len(got) != FailedPerSource+2 {
		t.Fatalf("stored %d events (%v), want %d", len(got), err, FailedPerSource+2)
	}
	if r.Suppressed() != 5 {
		t.Errorf("Suppressed after a new minute = %d, want 5", r.Suppressed())
	}
}
