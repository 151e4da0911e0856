package sqlite

import (
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"sync"

	msqlite "modernc.org/sqlite"
)

// registerFunctions makes the SQL functions Warden's migrations use
// available to the connections the driver opens from now on; the driver
// holds them for the life of the process, so they are registered once.
var registerFunctions = sync.OnceValue(func() error {
	// warden_sha256_hex(text) is the lower-case hex SHA-256 of the text's
	// UTF-8 bytes: what warden.IndexHash computes in Go, for the
	// delegationworkflow index records migration 0060 builds (SQLite has no
	// hash function of its own; PostgreSQL uses sha256()).
	return msqlite.RegisterDeterministicScalarFunction("warden_sha256_hex", 1,
		func(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			var b []byte
			switch v := args[0].(type) {
			case string:
				b = []byte(v)
			case []byte:
				b = v
			case nil:
				return nil, nil
			default:
				return nil, fmt.Errorf("warden_sha256_hex: %T is not text", v)
			}
			sum := sha256.Sum256(b)
			return hex.EncodeToString(sum[:]), nil
		})
})
