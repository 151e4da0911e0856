package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-iam/warden"
)

var _ warden.AuditPruner = (*Store)(nil)

// PruneAudit deletes up to limit audit events older than before, oldest
// first, in one short statement of its own, and returns how many it deleted.
// It takes no part in the Updates' write lock and leaves the generation
// alone: no Update reads the audit table, so the two never conflict.
func (s *Store) PruneAudit(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `
		DELETE FROM audit WHERE id IN (
			SELECT id FROM audit WHERE time < $1 ORDER BY time LIMIT $2)`,
		before, limit)
	if err != nil {
		return 0, fmt.Errorf("postgres: prune audit: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
