package postgres

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/storetest"
)

func TestMigrateTwice(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	openTest(t, dsn).Close()
	s := openTest(t, dsn)
	if err := migrate(t.Context(), s.pool, 1); err != nil {
		t.Fatalf("third migrate: %v", err)
	}
	var versions int
	if err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&versions); err != nil {
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
	dsn := storetest.PostgresSchema(t)
	s := openTest(t, dsn)
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version) VALUES (9999)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(t.Context(), dsn); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: %v, want an error", err)
	}
}

func TestOpenMissingSchema(t *testing.T) {
	dsn := storetest.WithSearchPath(t, storetest.PostgresDSN(), "wt_does_not_exist")
	if s, err := Open(t.Context(), dsn); err == nil {
		s.Close()
		t.Fatal("Open with a search_path of no existing schema succeeded")
	}
}

// TestSchemasAreSeparate checks that stores in two schemas of one database
// neither see nor wait for each other.
func TestSchemasAreSeparate(t *testing.T) {
	a, b := openTest(t, storetest.PostgresSchema(t)), openTest(t, storetest.PostgresSchema(t))
	if a.writeLock == b.writeLock {
		t.Errorf("both schemas use write lock %d", a.writeLock)
	}
	if _, err := a.pool.Exec(t.Context(), `INSERT INTO records VALUES ('user', '', 'alice', '\x00')`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.pool.QueryRow(t.Context(), `SELECT count(*) FROM records`).Scan(&n); err != nil || n != 0 {
		t.Errorf("other schema has %d records, %v; want 0", n, err)
	}
}

// TestIndexMigration: a database written before index records gets them
// when a newer Warden opens it.
func TestIndexMigration(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	storetest.RunIndexMigration(t,
		func(t *testing.T) warden.Store {
			s, err := Open(t.Context(), dsn)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return s
		},
		func(t *testing.T, stmts []string) int64 {
			conn, err := pgx.Connect(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(t.Context())
			var n int64
			for _, q := range stmts {
				tag, err := conn.Exec(t.Context(), q)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				n += tag.RowsAffected()
			}
			return n
		})
}

// TestEventChunksMigration checks that a database with the one-row-per-event
// table of migration 20 has its events carried into chunks.
func TestEventChunksMigration(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	storetest.RunEventChunksMigration(t,
		func(t *testing.T) warden.Store {
			s, err := Open(t.Context(), dsn)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return s
		},
		func(t *testing.T, events []storetest.OldEvent) {
			conn, err := pgx.Connect(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(t.Context())
			old, err := migrationFiles.ReadFile("migrations/0020_events.sql")
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{`DROP TABLE event_chunks`, `DROP TABLE event_terms`,
				fmt.Sprintf(`DELETE FROM schema_migrations WHERE version >= %d`, storetest.EventChunksMigrationVersion), string(old)} {
				if _, err := conn.Exec(t.Context(), q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			for _, e := range events {
				if _, err := conn.Exec(t.Context(), `INSERT INTO events (id, account, time, source, name, username,
					access_key_id, read_only, resource_type, resource_name, record) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
					e.ID, e.Account, e.Time, e.Source, e.Name, e.Username, e.AccessKeyID, e.ReadOnly,
					e.ResourceType, e.ResourceName, e.Record); err != nil {
					t.Fatal(err)
				}
			}
		})
}
