package postgres

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/warden-iam/warden"
)

// The tests need a PostgreSQL server and fail without one: CI provides it.
const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testDSN() string {
	if dsn := os.Getenv("WARDEN_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultTestDSN
}

// newSchema creates an empty schema for one test, dropped when it ends, and
// returns a DSN whose search_path is that schema.
func newSchema(tb testing.TB) string {
	tb.Helper()
	dsn := testDSN()
	schema := "wt_" + strings.ToLower(rand.Text())
	exec := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(tb.Context(), "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("PostgreSQL (WARDEN_TEST_POSTGRES or %s): %v", defaultTestDSN, err)
	}
	tb.Cleanup(func() {
		// tb.Context is done by now.
		if err := exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(tb, dsn, schema)
}

// withSearchPath adds search_path to a URL or key=value DSN.
func withSearchPath(tb testing.TB, dsn, schema string) string {
	tb.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			tb.Fatalf("WARDEN_TEST_POSTGRES: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

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
	dsn := newSchema(t)
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
