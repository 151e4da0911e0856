package postgres

import (
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/storetest"
)

func TestStore(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) warden.Store { return openTest(t, storetest.PostgresSchema(t)) })
}

func TestShared(t *testing.T) { storetest.RunSharedTests(t, openShared) }

func BenchmarkStore(b *testing.B) {
	storetest.RunBenchmarks(b, func(tb testing.TB) warden.Store { return openTest(tb, storetest.PostgresSchema(tb)) })
}
