package console

import (
	"context"
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/postgres"
)

func openPostgres(t *testing.T, dsn string) warden.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
