package sqlite_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/sqlite"
	"github.com/warden-iam/warden/storetest"
)

func TestFile(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) warden.Store { return openFile(t) })
}
func TestMemory(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) warden.Store { return open(t, sqlite.Memory) })
}

// TestShared runs stores on one file, as separate processes would.
func TestShared(t *testing.T) {
	storetest.RunSharedTests(t, func(t *testing.T, n int) []warden.Store {
		path := filepath.Join(t.TempDir(), "warden.db")
		stores := make([]warden.Store, n)
		var wg sync.WaitGroup
		for i := range stores {
			// The first opens race to create and migrate the file.
			wg.Go(func() {
				s, err := sqlite.Open(t.Context(), path)
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
	})
}

func BenchmarkFile(b *testing.B) { storetest.RunBenchmarks(b, openFile) }
func BenchmarkMemory(b *testing.B) {
	storetest.RunBenchmarks(b, func(tb testing.TB) warden.Store { return open(tb, sqlite.Memory) })
}

func openFile(tb testing.TB) warden.Store { return open(tb, filepath.Join(tb.TempDir(), "warden.db")) }

func open(tb testing.TB, path string) warden.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), path)
	if err != nil {
		tb.Fatalf("Open(%q): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}
