package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestDataFilesPrivateServe starts warden on a data directory pre-created
// 0755, writes through the API, and checks that every file Warden created
// there (the database, its WAL and shared memory, the master key) is 0600
// (issue 10, defect 6).
func TestDataFilesPrivateServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, []string{"--data", dir}, nil)
	if _, err := srv.root().CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		seen[d.Name()] = true
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %#o, want 0600", d.Name(), m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"warden.db", "warden.db-wal", "warden.db-shm", "master.key"} {
		if !seen[name] {
			t.Errorf("no %s in the data directory (files: %v)", name, seen)
		}
	}
}
