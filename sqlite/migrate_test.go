package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/storetest"
)

// TestIndexMigration: a database written before index records gets them
// when a newer Warden opens it.
func TestIndexMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.db")
	storetest.RunIndexMigration(t,
		func(t *testing.T) warden.Store {
			s, err := Open(t.Context(), path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return s
		},
		func(t *testing.T, stmts []string) int64 {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var n int64
			for _, q := range stmts {
				res, err := db.ExecContext(t.Context(), q)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				k, _ := res.RowsAffected()
				n += k
			}
			return n
		})
}

// TestEventChunksMigration checks that a database with the one-row-per-event
// table of migrations 20 and 30 has its events carried into chunks.
func TestEventChunksMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.db")
	storetest.RunEventChunksMigration(t,
		func(t *testing.T) warden.Store {
			s, err := Open(t.Context(), path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return s
		},
		func(t *testing.T, events []storetest.OldEvent) {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			stmts := []string{`DROP TABLE event_chunks`, `DROP TABLE event_terms`,
				fmt.Sprintf(`DELETE FROM schema_migrations WHERE version >= %d`, storetest.EventChunksMigrationVersion)}
			for _, name := range []string{"0020_events.sql", "0030_event_index_keys.sql"} {
				b, err := migrationFiles.ReadFile("migrations/" + name)
				if err != nil {
					t.Fatal(err)
				}
				stmts = append(stmts, string(b))
			}
			for _, q := range stmts {
				if _, err := db.ExecContext(t.Context(), q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			for _, e := range events {
				if _, err := db.ExecContext(t.Context(), `INSERT INTO events (id, account, time, source, name, username,
					access_key_id, read_only, resource_type, resource_name, record) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
					e.ID, e.Account, e.Time.UnixMicro(), e.Source, e.Name, e.Username, e.AccessKeyID, e.ReadOnly,
					e.ResourceType, e.ResourceName, e.Record); err != nil {
					t.Fatal(err)
				}
			}
		})
}
