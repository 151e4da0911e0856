package warden

import (
	"context"
	"time"
)

// AuditPruner is implemented by stores that can delete old audit events.
type AuditPruner interface {
	// PruneAudit deletes up to limit audit events recorded before the
	// given time, oldest first, in a transaction of its own, and returns how
	// many it deleted. It does not move the store's Generation: audit
	// events decide nothing.
	PruneAudit(ctx context.Context, before time.Time, limit int) (int, error)
}

// AuditPruneBatch is how many events one PruneAudit call of PruneAuditBefore
// deletes: small, so that the store's writer is never held for long and
// requests' writes interleave with the pruning.
const AuditPruneBatch = 500

// PruneAuditBefore deletes every audit event of s recorded before the given
// time, AuditPruneBatch at a time, and returns how many it deleted. It stops
// at the first error or when ctx ends.
func PruneAuditBefore(ctx context.Context, s AuditPruner, before time.Time) (int, error) {
	total := 0
	for {
		n, err := s.PruneAudit(ctx, before, AuditPruneBatch)
		total += n
		if err != nil {
			return total, err
		}
		if n < AuditPruneBatch {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// KeepAudit prunes the audit events of s older than retention, once at
// start and then every interval, until ctx ends. report, when not nil, hears
// of every pass that deleted something or failed. A retention of 0 keeps
// events forever: KeepAudit returns at once.
func KeepAudit(ctx context.Context, s AuditPruner, retention, interval time.Duration, now func() time.Time, report func(deleted int, err error)) {
	if retention <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := PruneAuditBefore(ctx, s, now().Add(-retention))
		if report != nil && (n > 0 || err != nil) && ctx.Err() == nil {
			report(n, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
