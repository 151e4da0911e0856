package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

func event(account, action string) warden.AuditEvent {
	return warden.AuditEvent{
		Time:    time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
		Account: account,
		Action:  action,
		Outcome: "Success",
	}
}

func actions(events []warden.AuditEvent) []string {
	out := make([]string, 0, len(events))
	for _, e := range events {
		out = append(out, e.Action)
	}
	return out
}

func testAudit(t *testing.T, s warden.Store) {
	appendEvents := func(es ...warden.AuditEvent) {
		t.Helper()
		update(t, s, func(tx warden.Tx) error {
			for _, e := range es {
				if err := tx.AppendAudit(t.Context(), e); err != nil {
					return err
				}
			}
			return nil
		})
	}
	appendEvents(event(acctA, "a1"))
	appendEvents(event(acctB, "b1"))
	appendEvents(event(acctA, "a2"))
	appendEvents(event(acctA, "a3"), event(acctA, "a4")) // one transaction, in order
	appendEvents(event(global, "g1"))
	appendEvents(event(acctA, "a5"), event(acctB, "b2"))

	// The event is written with the transaction's other writes.
	update(t, s, func(tx warden.Tx) error {
		if err := tx.Insert(t.Context(), rec(warden.KindUser, acctA, "alice")); err != nil {
			return err
		}
		return tx.AppendAudit(t.Context(), event(acctA, "a6"))
	})

	tests := []struct {
		account string
		limit   int
		want    []string
	}{
		{acctA, 0, []string{"a6", "a5", "a4", "a3", "a2", "a1"}},
		{acctA, -1, []string{"a6", "a5", "a4", "a3", "a2", "a1"}},
		{acctA, 2, []string{"a6", "a5"}},
		{acctA, 100, []string{"a6", "a5", "a4", "a3", "a2", "a1"}},
		{acctB, 0, []string{"b2", "b1"}},
		{global, 0, []string{"g1"}},
		{"333333333333", 0, []string{}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q/%d", tt.account, tt.limit), func(t *testing.T) {
			events, err := s.Audit(t.Context(), tt.account, tt.limit)
			if err != nil {
				t.Fatalf("Audit: %v", err)
			}
			if got := actions(events); !slices.Equal(got, tt.want) {
				t.Errorf("Audit(%q, %d) = %q, want %q", tt.account, tt.limit, got, tt.want)
			}
			for _, e := range events {
				if e.Account != tt.account {
					t.Errorf("event %s has account %q, want %q", e.Action, e.Account, tt.account)
				}
			}
		})
	}
}

// testAuditFields checks that every field of an event comes back as written.
// Times are kept to the microsecond and come back in UTC.
func testAuditFields(t *testing.T, s warden.Store) {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	full := warden.AuditEvent{
		Time:      time.Date(2025, 3, 4, 5, 6, 7, 123456789, zone),
		Account:   acctA,
		RequestID: "4c6b2b4e-6d8a-4a3e-9d5e-3f1c2b7a9e10",
		Actor:     "arn:aws:iam::111111111111:user/alice",
		Action:    "iam:CreateUser",
		Resource:  "arn:aws:iam::111111111111:user/bob",
		SourceIP:  "2001:db8::1",
		UserAgent: `aws-cli/2.15.0 "quoted" ünïcødé`,
		Outcome:   "Failure",
		Details:   map[string]string{"errorCode": "EntityAlreadyExists", "userName": "bob", "empty": ""},
	}
	bare := warden.AuditEvent{Time: time.Date(2025, 3, 4, 5, 6, 8, 0, time.UTC), Account: acctA, Action: "signin:ConsoleLogin", Outcome: "Success"}
	empty := bare
	empty.Action = "iam:ListUsers"
	empty.Details = map[string]string{}
	update(t, s, func(tx warden.Tx) error {
		for _, e := range []warden.AuditEvent{full, bare, empty} {
			if err := tx.AppendAudit(t.Context(), e); err != nil {
				return err
			}
		}
		return nil
	})
	events, err := s.Audit(t.Context(), acctA, 0)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if len(events) != 3 {
		t.Fatalf("Audit returned %d events, want 3", len(events))
	}
	empty.Details = nil // no details come back as nil
	for i, want := range []warden.AuditEvent{empty, bare, full} {
		got := events[i]
		wantTime := want.Time.Truncate(time.Microsecond)
		if !got.Time.Equal(wantTime) || got.Time.Location() != time.UTC {
			t.Errorf("event %s: time %v, want %v in UTC", want.Action, got.Time, wantTime.UTC())
		}
		got.Time, want.Time = time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("event:\n got %+v\nwant %+v", got, want)
		}
	}
}

func testGeneration(t *testing.T, s warden.Store) {
	g := generation(t, s)
	step := func(name string, grows bool, fn func(warden.Tx) error) {
		t.Helper()
		err := s.Update(t.Context(), fn)
		if err != nil && !errors.Is(err, errBoom) {
			t.Fatalf("%s: Update: %v", name, err)
		}
		g2 := generation(t, s)
		switch {
		case grows && g2 <= g:
			t.Errorf("%s: Generation %d -> %d, want it to grow", name, g, g2)
		case !grows && g2 != g:
			t.Errorf("%s: Generation %d -> %d, want it unchanged", name, g, g2)
		}
		g = g2
	}
	r := rec(warden.KindUser, acctA, "alice")
	step("Insert", true, func(tx warden.Tx) error { return tx.Insert(t.Context(), r) })
	step("Replace", true, func(tx warden.Tx) error { return tx.Replace(t.Context(), r) })
	step("read only", false, func(tx warden.Tx) error {
		_, err := tx.Get(t.Context(), r.Kind, r.Account, r.Key)
		return err
	})
	step("rolled back", false, func(tx warden.Tx) error {
		if err := tx.Insert(t.Context(), rec(warden.KindUser, acctA, "bob")); err != nil {
			return err
		}
		return errBoom
	})
	step("failed Insert only", false, func(tx warden.Tx) error {
		if err := tx.Insert(t.Context(), r); !errors.Is(err, warden.ErrAlreadyExists) {
			return fmt.Errorf("Insert: %v, want ErrAlreadyExists", err)
		}
		return nil
	})
	// Audit events and bookkeeping decide no access: other nodes have
	// nothing to drop for them.
	step("AppendAudit", false, func(tx warden.Tx) error { return tx.AppendAudit(t.Context(), event(acctA, "x")) })
	step("console session", false, func(tx warden.Tx) error {
		return tx.Insert(t.Context(), rec(warden.KindConsoleSession, "", "s1"))
	})
	bookkeeping := func(name string, fn func(warden.Tx) error) {
		t.Helper()
		if err := s.Update(warden.Bookkeeping(t.Context()), fn); err != nil {
			t.Fatalf("%s: Update: %v", name, err)
		}
		if g2 := generation(t, s); g2 != g {
			t.Errorf("%s: Generation %d -> %d, want it unchanged", name, g, g2)
		}
	}
	bookkeeping("bookkeeping Replace", func(tx warden.Tx) error { return tx.Replace(t.Context(), r) })
	step("Delete", true, func(tx warden.Tx) error { return tx.Delete(t.Context(), r.Kind, r.Account, r.Key) })
	view(t, s, func(tx warden.Tx) error { return nil })
	if g2 := generation(t, s); g2 != g {
		t.Errorf("View: Generation %d -> %d, want it unchanged", g, g2)
	}
}

// testHelpers round-trips an entity through the generic helpers of the root
// package.
func testHelpers(t *testing.T, s warden.Store) {
	ctx := t.Context()
	c := &warden.Counter{Account: acctA, Name: "hits", N: 1}
	update(t, s, func(tx warden.Tx) error { return warden.Insert(ctx, tx, c) })
	if err := s.Update(ctx, func(tx warden.Tx) error { return warden.Insert(ctx, tx, c) }); !errors.Is(err, warden.ErrAlreadyExists) {
		t.Errorf("second Insert: %v, want ErrAlreadyExists", err)
	}
	load := func(name string) (*warden.Counter, error) {
		t.Helper()
		var got *warden.Counter
		var err error
		view(t, s, func(tx warden.Tx) error {
			got, err = warden.Load[warden.Counter](ctx, tx, acctA, name)
			return nil
		})
		return got, err
	}
	if got, err := load("hits"); err != nil || *got != *c {
		t.Fatalf("Load = %+v, %v; want %+v", got, err, c)
	}

	c.N = 2
	update(t, s, func(tx warden.Tx) error { return warden.Save(ctx, tx, c) })
	if got, err := load("hits"); err != nil || got.N != 2 {
		t.Fatalf("Load after Save = %+v, %v; want N 2", got, err)
	}

	update(t, s, func(tx warden.Tx) error {
		for _, name := range []string{"b", "a", "c", "hits2"} {
			if err := warden.Insert(ctx, tx, &warden.Counter{Account: acctA, Name: name}); err != nil {
				return err
			}
		}
		// Another account's counter must not show up.
		return warden.Insert(ctx, tx, &warden.Counter{Account: acctB, Name: "a"})
	})
	names := func(prefix, after string, limit int) []string {
		t.Helper()
		var cs []*warden.Counter
		view(t, s, func(tx warden.Tx) (err error) {
			cs, err = warden.LoadAll[warden.Counter](ctx, tx, acctA, prefix, after, limit)
			return err
		})
		var out []string
		for _, c := range cs {
			if c.Account != acctA {
				t.Errorf("LoadAll returned a counter of account %q", c.Account)
			}
			out = append(out, c.Name)
		}
		return out
	}
	if got, want := names("", "", 0), []string{"a", "b", "c", "hits", "hits2"}; !slices.Equal(got, want) {
		t.Errorf("LoadAll = %q, want %q", got, want)
	}
	if got, want := names("hits", "", 0), []string{"hits", "hits2"}; !slices.Equal(got, want) {
		t.Errorf("LoadAll(prefix hits) = %q, want %q", got, want)
	}
	if got, want := names("", "a", 2), []string{"b", "c"}; !slices.Equal(got, want) {
		t.Errorf("LoadAll(after a, limit 2) = %q, want %q", got, want)
	}

	update(t, s, func(tx warden.Tx) error { return warden.Remove(ctx, tx, c) })
	if _, err := load("hits"); !errors.Is(err, warden.ErrNotFound) || !warden.IsNotFound(err) {
		t.Errorf("Load after Remove: %v, want ErrNotFound", err)
	}
	if err := s.Update(ctx, func(tx warden.Tx) error { return warden.Save(ctx, tx, c) }); !errors.Is(err, warden.ErrNotFound) {
		t.Errorf("Save of a removed entity: %v, want ErrNotFound", err)
	}
	if err := s.Update(ctx, func(tx warden.Tx) error { return warden.Remove(ctx, tx, c) }); !errors.Is(err, warden.ErrNotFound) {
		t.Errorf("Remove of a removed entity: %v, want ErrNotFound", err)
	}
}

func testSeeEachOther(t *testing.T, stores []warden.Store) {
	a, b := stores[0], stores[1]
	g := generation(t, b)
	r := rec(warden.KindUser, acctA, "alice")
	insert(t, a, r)
	wantRecord(t, mustGet(t, b, r.Kind, r.Account, r.Key), r)
	if g2 := generation(t, b); g2 <= g {
		t.Errorf("Generation seen by another store: %d -> %d after a write, want it to grow", g, g2)
	}
	update(t, b, func(tx warden.Tx) error { return tx.AppendAudit(t.Context(), event(acctA, "from b")) })
	if events, err := a.Audit(t.Context(), acctA, 0); err != nil || !slices.Equal(actions(events), []string{"from b"}) {
		t.Errorf("Audit seen by another store = %q, %v", actions(events), err)
	}
	if err := b.Update(t.Context(), func(tx warden.Tx) error { return tx.Insert(t.Context(), r) }); !errors.Is(err, warden.ErrAlreadyExists) {
		t.Errorf("Insert of a record another store wrote: %v, want ErrAlreadyExists", err)
	}
}
