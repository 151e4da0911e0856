package postgres

import (
	"sync"
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/storetest"
)

// openTest opens a store and closes it when the test ends.
func openTest(tb testing.TB, dsn string) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), dsn)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// openShared opens n stores on one new schema, as n nodes would, all at
// once so that they race to migrate it.
func openShared(t *testing.T, n int) []warden.Store {
	t.Helper()
	dsn := storetest.PostgresSchema(t)
	stores := make([]warden.Store, n)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			s, err := Open(t.Context(), dsn)
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			t.Cleanup(func() { s.Close() })
			stores[i] = s
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return stores
}
