package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/warden-iam/warden"
)

// TestDataFilesPrivate checks that the database and its WAL and
// shared-memory files are 0600 even in a world-readable directory, both when
// Warden creates them and when an older Warden left them 0644.
func TestDataFilesPrivate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		precede bool // files exist with mode 0644 before Open
	}{{"new", false}, {"left 0644", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
				t.Fatal(err)
			}
			db := filepath.Join(dir, "warden.db")
			if tc.precede {
				s := openTest(t, db)
				s.Close()
				for _, p := range []string{db + "-wal", db + "-shm"} {
					if err := os.WriteFile(p, nil, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				for _, p := range []string{db, db + "-wal", db + "-shm"} {
					if err := os.Chmod(p, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			s := openTest(t, db)
			err := s.Update(context.Background(), func(tx warden.Tx) error {
				return tx.Insert(context.Background(), warden.Record{Kind: warden.KindCounter, Key: "k", Data: []byte(`{}`)})
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"warden.db", "warden.db-wal", "warden.db-shm"} {
				fi, err := os.Stat(filepath.Join(dir, name))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if m := fi.Mode().Perm(); m != 0o600 {
					t.Errorf("%s has mode %#o, want 0600", name, m)
				}
			}
		})
	}
}
