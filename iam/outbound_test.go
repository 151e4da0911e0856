package iam_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/secrets"
	"github.com/warden-iam/warden/sqlite"
)

// TestOutboundKeyRotation moves the clock past a key's lifetime: a new key
// signs, the old one stays published for the overlap, then is dropped; the
// keys are sealed at rest.
func TestOutboundKeyRotation(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	key := make([]byte, secrets.KeySize)
	rand.Read(key)
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	svc := iam.New(store, authz.New(store, authz.Strict, slog.New(slog.DiscardHandler)), box)
	svc.IssuerBase = "https://warden.example.com"
	now := time.Now()
	svc.Now = func() time.Time { return now }
	if _, err := svc.Bootstrap(ctx, iam.Bootstrap{AccountID: "123456789012"}); err != nil {
		t.Fatal(err)
	}
	root := &warden.Principal{Type: warden.PrincipalRoot, Account: "123456789012", ID: "123456789012", ARN: "arn:aws:iam::123456789012:root"}
	if _, err := svc.Invoke(ctx, root, "EnableOutboundWebIdentityFederation", nil); err != nil {
		t.Fatal(err)
	}
	f, err := svc.Outbound(ctx, "123456789012")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Keys) != 2 {
		t.Fatalf("%d keys, want RS256 and ES384", len(f.Keys))
	}
	for _, k := range f.Keys {
		if _, err := box.Open(k.Private, "123456789012/"+k.ID); err != nil {
			t.Errorf("key %s is not sealed under the master key for its context: %v", k.ID, err)
		}
	}
	_, first, _ := svc.OutboundSigner(f, "RS256")
	if svc.OutboundRotationDue(f, "RS256") {
		t.Fatal("a new key is due for rotation")
	}

	now = now.Add(31 * 24 * time.Hour)
	if !svc.OutboundRotationDue(f, "RS256") {
		t.Fatal("a 31-day-old key is not due")
	}
	if f, err = svc.RotateOutbound(ctx, "123456789012", "RS256"); err != nil {
		t.Fatal(err)
	}
	_, second, _ := svc.OutboundSigner(f, "RS256")
	pub, _, err := svc.OutboundPublicKeys(ctx, "123456789012", f.IssuerID)
	if err != nil {
		t.Fatal(err)
	}
	if second == first || pub[first] == nil || pub[second] == nil || len(pub) != 3 {
		t.Fatalf("after rotation: signer %s (was %s), published %d keys", second, first, len(pub))
	}

	now = now.Add(25 * time.Hour)
	if f, err = svc.RotateOutbound(ctx, "123456789012", "RS256"); err != nil {
		t.Fatal(err)
	}
	pub, _, _ = svc.OutboundPublicKeys(ctx, "123456789012", f.IssuerID)
	if pub[first] != nil || pub[second] == nil || len(pub) != 2 {
		t.Errorf("after the overlap: %d keys published, the old one still there: %v", len(pub), pub[first] != nil)
	}
}
