package postgres

import (
	"testing"

	"github.com/warden-iam/warden/storetest"
)

func TestWipe(t *testing.T) {
	storetest.TestWipe(t, openTest(t, storetest.PostgresSchema(t)))
}
