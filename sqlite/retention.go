package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-iam/warden"
)

var _ warden.AuditPruner = (*Store)(nil)

// PruneAudit deletes up to limit audit events older than before, oldest
// first, in one short statement on the writer's connection, and returns how
// many it deleted. It leaves the generation alone.
func (s *Store) PruneAudit(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	res, err := s.writer.ExecContext(ctx, `
		DELETE FROM audit WHERE id IN (
			SELECT id FROM audit WHERE time < ? ORDER BY time LIMIT ?)`,
		formatTime(before), limit)
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune audit: %w", conflict(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune audit: %w", err)
	}
	return int(n), nil
}
