package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/postgres"
	"github.com/warden-iam/warden/secrets"
	"github.com/warden-iam/warden/sqlite"
)

// StoreConfig says which store to open and where its master key is.
type StoreConfig struct {
	// Data is the data directory: the SQLite database warden.db and the
	// master key file, both created when missing.
	Data string
	// DSN, when set, is a postgres:// store; the master key still comes from
	// Data or MasterKey.
	DSN string
	// Memory selects a new in-memory SQLite store under a random master key
	// (--dev, tests).
	Memory bool
	// MasterKey, when set, is the master key (WARDEN_MASTER_KEY).
	MasterKey string
}

// OpenStore opens the store c names and the box that protects its secrets.
func OpenStore(ctx context.Context, c StoreConfig) (warden.Store, *secrets.Box, error) {
	var key []byte
	var err error
	switch {
	case c.MasterKey != "":
		key, err = secrets.ParseKey(c.MasterKey)
		if err != nil {
			return nil, nil, fmt.Errorf("WARDEN_MASTER_KEY: %w", err)
		}
	case c.Memory:
		key = make([]byte, secrets.KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, nil, err
		}
	default:
		key, err = secrets.LoadOrCreateKey(c.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("master key: %w", err)
		}
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		return nil, nil, err
	}
	var store warden.Store
	switch {
	case strings.HasPrefix(c.DSN, "postgres://") || strings.HasPrefix(c.DSN, "postgresql://"):
		store, err = postgres.Open(ctx, c.DSN)
	case c.DSN != "":
		return nil, nil, errors.New("--store must be a postgres:// DSN (SQLite is chosen with --data)")
	case c.Memory:
		store, err = sqlite.Open(ctx, sqlite.Memory)
	default:
		if err := os.MkdirAll(c.Data, 0o700); err != nil {
			return nil, nil, err
		}
		store, err = sqlite.Open(ctx, filepath.Join(c.Data, "warden.db"))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("opening store: %w", err)
	}
	return store, box, nil
}
