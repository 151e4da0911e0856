package storetest

import (
	"context"
	"testing"

	"github.com/warden-iam/warden"
)

// Wiper is a store that can delete everything it holds (the reset of --dev).
type Wiper interface {
	warden.Store
	Wipe(ctx context.Context) error
}

// TestWipe checks that Wipe deletes every record and audit event, moves the
// generation on, and leaves the store usable.
func TestWipe(t *testing.T, s Wiper) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx warden.Tx) error {
		for _, r := range []warden.Record{{Kind: warden.KindUser, Account: "111111111111", Key: "alice", Data: []byte(`{}`)},
			{Kind: warden.KindAccessKey, Key: "AKIAEXAMPLE", Data: []byte(`{}`)}} {
			if err := tx.Insert(ctx, r); err != nil {
				return err
			}
		}
		return tx.AppendAudit(ctx, event("111111111111", "iam:CreateUser"))
	})
	if err != nil {
		t.Fatal(err)
	}
	before, err := s.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Wipe(ctx); err != nil {
		t.Fatalf("Wipe: %v", err)
	}
	after, err := s.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after <= before {
		t.Errorf("generation %d after Wipe, was %d", after, before)
	}
	err = s.View(ctx, func(tx warden.Tx) error {
		for _, k := range []struct {
			kind    warden.Kind
			account string
		}{{warden.KindUser, "111111111111"}, {warden.KindAccessKey, ""}} {
			n, err := tx.Count(ctx, k.kind, k.account)
			if err != nil {
				return err
			}
			if n != 0 {
				t.Errorf("%d %s records after Wipe", n, k.kind)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := s.Audit(ctx, "111111111111", 0); err != nil || len(ev) != 0 {
		t.Errorf("audit after Wipe: %d events, %v", len(ev), err)
	}
	// Still usable: the same key may be inserted again.
	err = s.Update(ctx, func(tx warden.Tx) error {
		return tx.Insert(ctx, warden.Record{Kind: warden.KindUser, Account: "111111111111", Key: "alice", Data: []byte(`{}`)})
	})
	if err != nil {
		t.Errorf("insert after Wipe: %v", err)
	}
}
