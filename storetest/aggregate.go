package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

// testCountSetSumLen checks the counts the database makes over the records'
// JSON: what is set and what is not, other kinds and accounts left out.
func testCountSetSumLen(t *testing.T, s warden.Store) {
	data := func(kind warden.Kind, account, key, json string) warden.Record {
		return warden.Record{Kind: kind, Account: account, Key: key, Data: []byte(json)}
	}
	insert(t, s,
		data(warden.KindMFADevice, acctA, "a", `{"user":"alice","versions":[1,2,3]}`),
		data(warden.KindMFADevice, acctA, "b", `{"user":"","versions":[]}`),
		data(warden.KindMFADevice, acctA, "c", `{"versions":[{"id":"v1"}]}`),
		data(warden.KindMFADevice, acctA, "d", `{"user":7,"versions":"no array"}`),
		data(warden.KindMFADevice, acctA, "e", `{"user":null,"versions":null}`),
		data(warden.KindMFADevice, acctA, "f", `{"user":"bob","other":{"user":"x"}}`),
		data(warden.KindMFADevice, acctB, "a", `{"user":"carol","versions":[1,2,3,4,5,6,7]}`),
		data(warden.KindUser, acctA, "a", `{"user":"dave","versions":[1,2,3,4,5,6,7]}`),
	)
	tests := []struct {
		name    string
		kind    warden.Kind
		account string
		set     int // records with a non-empty "user" string
		sum     int // items of the "versions" arrays
	}{
		{"mixed", warden.KindMFADevice, acctA, 2, 4},
		{"other account", warden.KindMFADevice, acctB, 1, 7},
		{"other kind", warden.KindUser, acctA, 1, 7},
		{"none", warden.KindGroup, acctA, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view(t, s, func(tx warden.Tx) error {
				set, err := tx.CountSet(t.Context(), tt.kind, tt.account, "user")
				if err != nil {
					return err
				}
				sum, err := tx.SumLen(t.Context(), tt.kind, tt.account, "versions")
				if err != nil {
					return err
				}
				if set != tt.set || sum != tt.sum {
					t.Errorf("CountSet = %d, SumLen = %d; want %d, %d", set, sum, tt.set, tt.sum)
				}
				return nil
			})
		})
	}
	t.Run("in update", func(t *testing.T) {
		update(t, s, func(tx warden.Tx) error {
			if err := tx.Insert(t.Context(), data(warden.KindMFADevice, acctA, "g", `{"user":"erin","versions":[0]}`)); err != nil {
				return err
			}
			set, err := tx.CountSet(t.Context(), warden.KindMFADevice, acctA, "user")
			if err != nil {
				return err
			}
			sum, err := tx.SumLen(t.Context(), warden.KindMFADevice, acctA, "versions")
			if err != nil {
				return err
			}
			if set != 3 || sum != 5 {
				t.Errorf("after insert: CountSet = %d, SumLen = %d; want 3, 5", set, sum)
			}
			return nil
		})
	})
}

// testPruneAudit checks that audit retention deletes exactly the events
// older than the cut-off, in batches, oldest first, of every account, and
// that pruning does not move the generation.
func testPruneAudit(t *testing.T, s warden.Store) {
	p, ok := s.(warden.AuditPruner)
	if !ok {
		t.Fatalf("%T does not implement warden.AuditPruner", s)
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	update(t, s, func(tx warden.Tx) error {
		for i := range 10 {
			e := event(acctA, "old")
			if i%2 == 1 {
				e.Account = acctB
			}
			e.Time = base.Add(time.Duration(i) * time.Hour)
			if err := tx.AppendAudit(t.Context(), e); err != nil {
				return err
			}
		}
		for i := range 3 {
			e := event(acctA, "new")
			e.Time = base.Add(time.Duration(100+i) * time.Hour)
			if err := tx.AppendAudit(t.Context(), e); err != nil {
				return err
			}
		}
		return nil
	})
	gen, err := s.Generation(t.Context())
	if err != nil {
		t.Fatalf("Generation: %v", err)
	}
	cut := base.Add(50 * time.Hour)

	n, err := p.PruneAudit(t.Context(), cut, 4)
	if err != nil || n != 4 {
		t.Fatalf("PruneAudit(limit 4) = %d, %v; want 4", n, err)
	}
	// The four oldest are gone: hours 0-3, two of each account.
	a, err := s.Audit(t.Context(), acctA, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actions(a), []string{"new", "new", "new", "old", "old", "old"}; !slices.Equal(got, want) {
		t.Errorf("account A after one batch = %q, want %q", got, want)
	}
	if a[len(a)-1].Time != base.Add(4*time.Hour) {
		t.Errorf("oldest event left in A is of %v, want %v", a[len(a)-1].Time, base.Add(4*time.Hour))
	}

	total, err := warden.PruneAuditBefore(t.Context(), p, cut)
	if err != nil || total != 6 {
		t.Fatalf("PruneAuditBefore = %d, %v; want 6", total, err)
	}
	for account, want := range map[string]int{acctA: 3, acctB: 0} {
		es, err := s.Audit(t.Context(), account, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != want {
			t.Errorf("account %s keeps %d events, want %d", account, len(es), want)
		}
		for _, e := range es {
			if e.Time.Before(cut) {
				t.Errorf("event of %v survived a prune before %v", e.Time, cut)
			}
		}
	}
	if n, err := p.PruneAudit(t.Context(), cut, 100); err != nil || n != 0 {
		t.Errorf("PruneAudit with nothing to prune = %d, %v; want 0", n, err)
	}
	if g, err := s.Generation(t.Context()); err != nil || g != gen {
		t.Errorf("Generation after pruning = %d, %v; want %d (unchanged)", g, err, gen)
	}
}
