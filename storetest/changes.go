package storetest

import (
	"slices"
	"testing"

	"github.com/warden-iam/warden"
)

// testChangeFeed checks that ChangesSince names exactly the records that
// committed Updates wrote, in order, and nothing for rolled-back ones,
// bookkeeping or audit events; that it pages; and that it is complete.
func testChangeFeed(t *testing.T, s warden.Store) {
	ctx := t.Context()
	g0 := generation(t, s)
	alice := rec(warden.KindUser, acctA, "alice")
	admins := rec(warden.KindGroup, acctA, "admins")
	bob := rec(warden.KindUser, acctB, "bob")
	mustUpdate := func(fn func(warden.Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	mustUpdate(func(tx warden.Tx) error {
		if err := tx.Insert(ctx, alice); err != nil {
			return err
		}
		if err := tx.Replace(ctx, alice); err != nil { // noted once
			return err
		}
		return tx.Insert(ctx, admins)
	})
	_ = s.Update(ctx, func(tx warden.Tx) error {
		if err := tx.Insert(ctx, rec(warden.KindUser, acctA, "ghost")); err != nil {
			return err
		}
		return errBoom
	})
	if err := s.Update(warden.Bookkeeping(ctx), func(tx warden.Tx) error { return tx.Replace(ctx, alice) }); err != nil {
		t.Fatal(err)
	}
	mustUpdate(func(tx warden.Tx) error { return tx.AppendAudit(ctx, event(acctA, "x")) })
	mustUpdate(func(tx warden.Tx) error { return tx.Insert(ctx, bob) })
	mustUpdate(func(tx warden.Tx) error { return tx.Delete(ctx, alice.Kind, alice.Account, alice.Key) })

	ref := func(r warden.Record) warden.Ref { return warden.Ref{Kind: r.Kind, Account: r.Account, Key: r.Key} }
	want := []warden.Ref{ref(alice), ref(admins), ref(bob), ref(alice)}
	ch, err := s.ChangesSince(ctx, g0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Complete || ch.Generation != g0+3 || !slices.Equal(ch.Refs, want) {
		t.Errorf("ChangesSince(%d) = %+v, want complete to %d with %v", g0, ch, g0+3, want)
	}
	if ch, err := s.ChangesSince(ctx, g0+1, 100); err != nil || !ch.Complete || !slices.Equal(ch.Refs, want[2:]) {
		t.Errorf("ChangesSince(%d) = %+v, %v; want %v", g0+1, ch, err, want[2:])
	}
	if ch, err := s.ChangesSince(ctx, g0, 2); err != nil || ch.Complete || len(ch.Refs) != 2 {
		t.Errorf("ChangesSince(limit 2) = %+v, %v; want 2 refs, incomplete", ch, err)
	}
	if ch, err := s.ChangesSince(ctx, g0+3, 100); err != nil || !ch.Complete || len(ch.Refs) != 0 || ch.Generation != g0+3 {
		t.Errorf("ChangesSince(now) = %+v, %v; want nothing, complete", ch, err)
	}
}
