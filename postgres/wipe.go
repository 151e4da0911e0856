package postgres

import (
	"context"

	"github.com/warden-iam/warden"
)

// Wipe deletes every record and audit event in one write transaction, as if
// the database were new (the generation moves on, so every node's caches
// drop what they hold). It is the reset of --dev.
func (s *Store) Wipe(ctx context.Context) error {
	return s.Update(ctx, func(wt warden.Tx) error {
		t := wt.(*tx)
		for _, table := range []string{"records", "audit", "changes"} {
			if _, err := t.tx.Exec(ctx, `DELETE FROM `+table); err != nil {
				return t.fail("wipe "+table, err)
			}
		}
		// The feed no longer reaches back past now: every reader drops
		// everything it holds.
		if _, err := t.tx.Exec(ctx, `UPDATE generation SET value = value + 1, floor = value + 1`); err != nil {
			return t.fail("wipe generation", err)
		}
		return nil
	})
}
