package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

// testUpdateRollback checks that an Update whose fn fails leaves no trace:
// no record, no audit event, no new generation; and that fn's error comes
// back to the caller.
func testUpdateRollback(t *testing.T, s warden.Store) {
	kept := rec(warden.KindUser, acctA, "kept")
	insert(t, s, kept)
	g := generation(t, s)

	err := s.Update(t.Context(), func(tx warden.Tx) error {
		ctx := t.Context()
		if err := tx.Insert(ctx, rec(warden.KindUser, acctA, "ghost")); err != nil {
			return err
		}
		changed := kept
		changed.Data = []byte(`{"changed":true}`)
		if err := tx.Replace(ctx, changed); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, warden.AuditEvent{Time: time.Now(), Account: acctA, Action: "iam:CreateUser", Outcome: "Success"}); err != nil {
			return err
		}
		return fmt.Errorf("operation failed: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	wantNotFound(t, s, warden.KindUser, acctA, "ghost")
	wantRecord(t, mustGet(t, s, kept.Kind, kept.Account, kept.Key), kept)
	if events, err := s.Audit(t.Context(), acctA, 0); err != nil || len(events) != 0 {
		t.Errorf("Audit after rollback = %d events, %v; want none", len(events), err)
	}
	if g2 := generation(t, s); g2 != g {
		t.Errorf("Generation after rollback = %d, want %d", g2, g)
	}

	// A *warden.Error passes through untouched.
	werr := warden.Errorf(warden.CodeLimitExceeded, "too many users")
	err = s.Update(t.Context(), func(tx warden.Tx) error { return werr })
	if err != werr {
		t.Errorf("Update = %v, want fn's *warden.Error itself", err)
	}
}

// testUpdatePanic checks that a panic in fn rolls back, reaches the caller
// and leaves the store usable.
func testUpdatePanic(t *testing.T, s warden.Store) {
	func() {
		defer func() {
			if r := recover(); r != errBoom {
				t.Errorf("recovered %v, want the panic value", r)
			}
		}()
		s.Update(t.Context(), func(tx warden.Tx) error {
			if err := tx.Insert(t.Context(), rec(warden.KindUser, acctA, "ghost")); err != nil {
				return err
			}
			panic(errBoom)
		})
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // a leaked writer would block for ever
	defer cancel()
	r := rec(warden.KindUser, acctA, "after")
	if err := s.Update(ctx, func(tx warden.Tx) error { return tx.Insert(ctx, r) }); err != nil {
		t.Fatalf("Update after a panic: %v", err)
	}
	wantNotFound(t, s, warden.KindUser, acctA, "ghost")
	wantRecord(t, mustGet(t, s, r.Kind, r.Account, r.Key), r)
}

// testCanceledContext checks that a done context stops View and Update with
// its error, writes nothing and leaves the store usable.
func testCanceledContext(t *testing.T, s warden.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Update(ctx, func(tx warden.Tx) error {
		return tx.Insert(ctx, rec(warden.KindUser, acctA, "ghost"))
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a canceled context = %v, want context.Canceled", err)
	}
	err = s.View(ctx, func(tx warden.Tx) error {
		_, err := tx.Get(ctx, warden.KindUser, acctA, "ghost")
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("View with a canceled context = %v, want context.Canceled", err)
	}
	wantNotFound(t, s, warden.KindUser, acctA, "ghost")
	insert(t, s, rec(warden.KindUser, acctA, "after"))
}

func testViewRejectsWrites(t *testing.T, s warden.Store) {
	r := rec(warden.KindUser, acctA, "alice")
	insert(t, s, r)
	g := generation(t, s)
	view(t, s, func(tx warden.Tx) error {
		ctx := t.Context()
		changed := r
		changed.Data = []byte(`{"changed":true}`)
		writes := []struct {
			name string
			err  error
		}{
			{"Insert", tx.Insert(ctx, rec(warden.KindUser, acctA, "bob"))},
			{"Replace", tx.Replace(ctx, changed)},
			{"Delete", tx.Delete(ctx, r.Kind, r.Account, r.Key)},
			{"AppendAudit", tx.AppendAudit(ctx, warden.AuditEvent{Time: time.Now(), Account: acctA, Action: "iam:CreateUser", Outcome: "Success"})},
		}
		for _, w := range writes {
			if w.err == nil {
				t.Errorf("%s in View succeeded", w.name)
			}
		}
		return nil
	})
	wantRecord(t, mustGet(t, s, r.Kind, r.Account, r.Key), r)
	wantNotFound(t, s, warden.KindUser, acctA, "bob")
	if events, err := s.Audit(t.Context(), acctA, 0); err != nil || len(events) != 0 {
		t.Errorf("Audit = %d events, %v; want none", len(events), err)
	}
	if g2 := generation(t, s); g2 != g {
		t.Errorf("Generation after View = %d, want %d", g2, g)
	}
}
