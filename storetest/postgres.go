package storetest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// DefaultPostgres is the PostgreSQL every test run has (scripts/test.sh sees
// to it); WARDEN_TEST_POSTGRES names another.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresDSN is the DSN of the test PostgreSQL.
func PostgresDSN() string {
	if dsn := os.Getenv("WARDEN_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return DefaultPostgres
}

// PostgresSchema creates an empty schema in the test PostgreSQL, dropped when
// the test ends, and returns a DSN whose search_path is that schema. It fails
// the test, never skips it, when PostgreSQL is not there.
func PostgresSchema(tb testing.TB) string {
	tb.Helper()
	dsn := PostgresDSN()
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
	if err := exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("PostgreSQL (WARDEN_TEST_POSTGRES or %s): %v", DefaultPostgres, err)
	}
	tb.Cleanup(func() {
		if err := exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(tb, dsn, schema)
}

// WithSearchPath adds search_path to a URL or key=value DSN.
func WithSearchPath(tb testing.TB, dsn, schema string) string {
	tb.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("PostgreSQL DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
