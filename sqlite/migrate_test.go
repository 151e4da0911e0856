package sqlite

import (
	"database/sql"
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
