package sqlite_test

import (
	"testing"

	"github.com/warden-iam/warden/sqlite"
	"github.com/warden-iam/warden/storetest"
)

func TestWipe(t *testing.T) {
	for _, path := range []string{sqlite.Memory, t.TempDir() + "/warden.db"} {
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		storetest.TestWipe(t, s)
		s.Close()
	}
}
