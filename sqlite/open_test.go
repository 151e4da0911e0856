package sqlite

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func openTest(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func pragma(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

// TestPragmas checks the settings durability and concurrency rest on.
func TestPragmas(t *testing.T) {
	// Characters that mean something in a URI must not confuse Open.
	dir := filepath.Join(t.TempDir(), "dir?with#odd%chars")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, filepath.Join(dir, "warden.db"))
	if _, err := os.Stat(filepath.Join(dir, "warden.db")); err != nil {
		t.Errorf("database file: %v", err)
	}
	want := map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"busy_timeout": "10000",
	}
	for _, db := range []*sql.DB{s.writer, s.reader} {
		for name, v := range want {
			if got := pragma(t, db, name); got != v {
				t.Errorf("PRAGMA %s = %s, want %s", name, got, v)
			}
		}
	}
	if got := pragma(t, s.reader, "query_only"); got != "1" {
		t.Errorf("reader PRAGMA query_only = %s, want 1", got)
	}
	if got := pragma(t, s.writer, "query_only"); got != "0" {
		t.Errorf("writer PRAGMA query_only = %s, want 0", got)
	}
}

func TestMigrateTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.db")
	s := openTest(t, path)
	if err := migrate(t.Context(), s.writer); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	s.Close()
	s = openTest(t, path)
	var versions int
	if err := s.reader.QueryRowContext(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if versions != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", versions, len(ms))
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.db")
	s := openTest(t, path)
	if _, err := s.writer.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 'later')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(t.Context(), path)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: %v, want an error", err)
	}
}
