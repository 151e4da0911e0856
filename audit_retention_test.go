package warden_test

import (
	"context"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/sqlite"
)

func TestKeepAudit(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	open := func(t *testing.T, ages ...time.Duration) *sqlite.Store {
		t.Helper()
		s, err := sqlite.Open(t.Context(), sqlite.Memory)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		err = s.Update(t.Context(), func(tx warden.Tx) error {
			for _, age := range ages {
				e := warden.AuditEvent{Time: now.Add(-age), Account: "111111111111", Action: "iam:GetUser", Outcome: "Success"}
				if err := tx.AppendAudit(t.Context(), e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	left := func(t *testing.T, s *sqlite.Store) int {
		t.Helper()
		es, err := s.Audit(t.Context(), "111111111111", 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	day := 24 * time.Hour

	t.Run("prunes what is older than the retention, in batches", func(t *testing.T) {
		var ages []time.Duration
		for i := range warden.AuditPruneBatch*2 + 7 {
			ages = append(ages, 91*day+time.Duration(i)*time.Second)
		}
		ages = append(ages, 89*day, time.Hour)
		s := open(t, ages...)
		ctx, cancel := context.WithCancel(t.Context())
		var deleted int
		// The first pass runs at once; its report ends the loop.
		warden.KeepAudit(ctx, s, 90*day, time.Hour, func() time.Time { return now }, func(n int, err error) {
			if err != nil {
				t.Errorf("prune: %v", err)
			}
			deleted = n
			cancel()
		})
		if want := warden.AuditPruneBatch*2 + 7; deleted != want {
			t.Errorf("deleted %d, want %d", deleted, want)
		}
		if n := left(t, s); n != 2 {
			t.Errorf("%d events left, want the 2 younger than 90 days", n)
		}
	})
	t.Run("0 keeps everything", func(t *testing.T) {
		s := open(t, 1000*day, day)
		warden.KeepAudit(t.Context(), s, 0, time.Hour, func() time.Time { return now }, func(int, error) {
			t.Error("a retention of 0 pruned")
		})
		if n := left(t, s); n != 2 {
			t.Errorf("%d events left, want 2", n)
		}
	})
}
