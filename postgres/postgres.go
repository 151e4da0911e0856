// Package postgres is Warden's shared storage: a warden.Store on PostgreSQL
// (jackc/pgx), for deployments where several stateless Warden nodes use one
// database.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/warden-iam/warden"
)

// SQLSTATE codes the store acts on.
const (
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeUniqueViolation      = "23505"
)

// Retry policy of Update: attempts in all, and the bounds of the randomized
// exponential backoff between them.
const (
	maxAttempts = 20
	minBackoff  = time.Millisecond
	maxBackoff  = 100 * time.Millisecond
)

// Store is a warden.Store on a PostgreSQL connection pool. It is safe for
// concurrent use, also by several processes on one database.
type Store struct {
	pool *pgxpool.Pool
	// writeLock is the key of the session advisory lock every Update holds,
	// derived from the schema so that Wardens in different schemas of one
	// database do not wait for each other.
	writeLock int64
	// writer admits one Update of this process at a time to the pool, so
	// that Updates queueing for writeLock hold one connection, not all of
	// them, and Views are not kept waiting for a connection.
	writer chan struct{}
	// connConfig opens the listening connection, outside the pool, and
	// channel is the schema's NOTIFY channel.
	connConfig *pgx.ConnConfig
	channel    string
}

var _ warden.Store = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL or key=value
// string; pgxpool's pool_* parameters apply) and brings the schema up to
// date. Tables live in the first schema of the search_path, which the DSN may
// set with a search_path parameter; every node must use the same one. Open
// fails if the database is unreachable or has a newer schema than this Warden
// knows.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if !strings.Contains(dsn, "default_query_exec_mode") {
		// Every statement is prepared once per connection and then run
		// from pgx's statement cache by name: PostgreSQL parses and plans
		// the hot queries once, not on every call.
		cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	var schema *string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if schema == nil {
		pool.Close()
		return nil, errors.New("postgres: open: no schema of the search_path exists")
	}
	if err := migrate(ctx, pool, lockKey(*schema, "migrate")); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool, writeLock: lockKey(*schema, "write"), writer: make(chan struct{}, 1),
		connConfig: cfg.ConnConfig, channel: fmt.Sprintf("warden_changes_%x", uint64(lockKey(*schema, "changes")))}, nil
}

// lockKey returns the advisory lock key for purpose in schema.
func lockKey(schema, purpose string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "warden\x00%s\x00%s", schema, purpose)
	return int64(h.Sum64())
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// View runs fn in a REPEATABLE READ READ ONLY transaction: one consistent
// snapshot, never blocked by writers and never failing to serialize. It
// returns fn's error unchanged. Write methods of the Tx fail.
func (s *Store) View(ctx context.Context, fn func(warden.Tx) error) error {
	pgTx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: begin read: %w", err)
	}
	defer pgTx.Rollback(ctx)
	if err := fn(&tx{tx: pgTx, readOnly: true}); err != nil {
		return err
	}
	if err := pgTx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: end read: %w", err)
	}
	return nil
}

// Update runs fn in a SERIALIZABLE transaction and commits it when fn returns
// nil; otherwise it rolls back and returns fn's error unchanged.
//
// Every Update that writes bumps the one generation row, so any two writing
// Updates that overlap in time conflict; left to SERIALIZABLE alone, all but
// one would abort and retry, and under contention some would starve. So each
// Update first takes a session advisory lock, shared by all nodes, and only
// then begins its transaction: writers queue, first come first served, and
// each starts from a snapshot that holds the writes of those before it. An
// Update that only reads queues too: it cannot be known in advance.
//
// Within a process, Updates queue before they take a connection.
//
// SERIALIZABLE stays as the guarantee, also against writers that do not take
// the lock. When PostgreSQL aborts the transaction for a serialization failure
// or a deadlock — whether fn saw it or the commit did — Update rolls back,
// waits a little and runs fn again, up to 20 times in all; then it returns an
// error wrapping warden.ErrConflict. So fn must have no effects outside tx,
// and it must not call Update: the inner call would wait for the lock the
// outer one holds.
func (s *Store) Update(ctx context.Context, fn func(warden.Tx) error) error {
	for attempt := 1; ; attempt++ {
		retry, err := s.attempt(ctx, fn)
		if !retry {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("postgres: update: gave up after %d attempts: %w: %w", attempt, warden.ErrConflict, err)
		}
		if serr := sleep(ctx, backoff(attempt)); serr != nil {
			return fmt.Errorf("postgres: update: %w (while retrying after: %v)", serr, err)
		}
	}
}

// attempt runs fn once and reports whether the transaction must be retried.
func (s *Store) attempt(ctx context.Context, fn func(warden.Tx) error) (retry bool, err error) {
	select {
	case s.writer <- struct{}{}:
		defer func() { <-s.writer }()
	case <-ctx.Done():
		return false, fmt.Errorf("postgres: begin: %w", context.Cause(ctx))
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: begin: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, s.writeLock); err != nil {
		conn.Conn().Close(ctx) // it may have got the lock after all
		return isRetryable(err), fmt.Errorf("postgres: begin: take write lock: %w", err)
	}
	defer func() {
		// Even when ctx is done or fn panicked: a connection that might
		// still hold the lock must not go back to the pool.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, s.writeLock); err != nil {
			conn.Conn().Close(ctx)
		}
	}()

	pgTx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return false, fmt.Errorf("postgres: begin: %w", err)
	}
	defer pgTx.Rollback(ctx) // runs before the unlock above
	t := &tx{tx: pgTx}
	if err := fn(t); err != nil {
		// Also retry when fn turned a serialization failure into another
		// error: whatever fn concluded came from a doomed transaction.
		return t.retry != nil || isRetryable(err), err
	}
	if t.retry != nil {
		// fn swallowed the failure; the transaction is aborted all the same.
		return true, t.retry
	}
	if refs := t.changed.Refs(); len(refs) > 0 && !warden.IsBookkeeping(ctx) {
		if err := s.recordChanges(ctx, pgTx, refs); err != nil {
			return isRetryable(err), err
		}
	}
	if err := pgTx.Commit(ctx); err != nil {
		return isRetryable(err), fmt.Errorf("postgres: commit: %w", err)
	}
	return false, nil
}

// backoff returns a random wait before attempt+1: uniform below a bound that
// doubles with each attempt, so colliding transactions spread out.
func backoff(attempt int) time.Duration {
	bound := maxBackoff
	if attempt < 20 && minBackoff<<attempt < maxBackoff {
		bound = minBackoff << attempt
	}
	return bound/4 + rand.N(bound*3/4)
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-timer.C:
		return nil
	}
}

// isRetryable reports whether err means PostgreSQL aborted the transaction
// only because of concurrent ones, so that running it again may succeed.
func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == codeSerializationFailure || pgErr.Code == codeDeadlockDetected)
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == codeUniqueViolation
}

// Change-feed retention: every pruneEvery generations the entries more than
// keepChanges generations old are deleted.
const (
	keepChanges = 10000
	pruneEvery  = 256
)

// recordChanges moves the generation and puts refs into the change feed under
// it, in the writing transaction, and notifies the listening nodes when it
// commits (NOTIFY is transactional).
func (s *Store) recordChanges(ctx context.Context, pgTx pgx.Tx, refs []warden.Ref) error {
	var g int64
	if err := pgTx.QueryRow(ctx, `UPDATE generation SET value = value + 1 RETURNING value`).Scan(&g); err != nil {
		return fmt.Errorf("postgres: bump generation: %w", err)
	}
	kinds, accounts, keys := make([]string, len(refs)), make([]string, len(refs)), make([]string, len(refs))
	for i, r := range refs {
		kinds[i], accounts[i], keys[i] = string(r.Kind), r.Account, r.Key
	}
	if _, err := pgTx.Exec(ctx, `INSERT INTO changes (generation, kind, account, key)
		SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])`, g, kinds, accounts, keys); err != nil {
		return fmt.Errorf("postgres: record change: %w", err)
	}
	if g%pruneEvery == 0 && g > keepChanges {
		if _, err := pgTx.Exec(ctx, `DELETE FROM changes WHERE generation <= $1`, g-keepChanges); err != nil {
			return fmt.Errorf("postgres: prune changes: %w", err)
		}
		if _, err := pgTx.Exec(ctx, `UPDATE generation SET floor = $1`, g-keepChanges); err != nil {
			return fmt.Errorf("postgres: prune changes: %w", err)
		}
	}
	if _, err := pgTx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel, strconv.FormatInt(g, 10)); err != nil {
		return fmt.Errorf("postgres: notify change: %w", err)
	}
	return nil
}

// Generation returns the number of committed Updates that changed a record
// that decides access. The counter is an ordinary row, so a new value is
// never visible before the writes it counts, and writers take it in commit
// order.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	if err := s.pool.QueryRow(ctx, `SELECT value FROM generation`).Scan(&g); err != nil {
		return 0, fmt.Errorf("postgres: generation: %w", err)
	}
	return g, nil
}

// ChangesSince reads the change feed after generation after.
func (s *Store) ChangesSince(ctx context.Context, after int64, limit int) (warden.Changes, error) {
	var out warden.Changes
	err := s.View(ctx, func(wtx warden.Tx) error {
		pgTx := wtx.(*tx).tx
		var floor int64
		if err := pgTx.QueryRow(ctx, `SELECT value, floor FROM generation`).Scan(&out.Generation, &floor); err != nil {
			return err
		}
		out.Complete = after >= floor
		if !out.Complete || out.Generation <= after {
			return nil
		}
		rows, err := pgTx.Query(ctx, `SELECT kind, account, key FROM changes
			WHERE generation > $1 AND generation <= $2 ORDER BY generation LIMIT $3`, after, out.Generation, limit+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r warden.Ref
			var kind string
			if err := rows.Scan(&kind, &r.Account, &r.Key); err != nil {
				return err
			}
			r.Kind = warden.Kind(kind)
			out.Refs = append(out.Refs, r)
		}
		if len(out.Refs) > limit {
			out.Refs, out.Complete = out.Refs[:limit], false
		}
		return rows.Err()
	})
	if err != nil {
		return warden.Changes{}, fmt.Errorf("postgres: changes: %w", err)
	}
	return out, nil
}

// Listen calls fn whenever another node commits a change (LISTEN on the
// schema's channel, on a connection of its own outside the pool), and every
// few seconds without one so that a lost notification is made up for. It
// returns when ctx ends or the connection fails.
func (s *Store) Listen(ctx context.Context, fn func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.connConfig.Copy())
	if err != nil {
		return fmt.Errorf("postgres: listen: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return fmt.Errorf("postgres: listen: %w", err)
	}
	for {
		wait, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := conn.WaitForNotification(wait)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("postgres: listen: %w", err)
		}
		// Several notifications may be pending; one call of fn reads
		// every change up to now.
		for {
			drain, cancel := context.WithTimeout(ctx, time.Millisecond)
			_, derr := conn.WaitForNotification(drain)
			cancel()
			if derr != nil {
				break
			}
		}
		fn()
	}
}

// Audit returns up to limit audit events of account, newest first; limit <= 0
// means all of them.
func (s *Store) Audit(ctx context.Context, account string, limit int) ([]warden.AuditEvent, error) {
	q := `SELECT time, account, request_id, actor, action, resource, source_ip, user_agent, outcome, details
		FROM audit WHERE account = $1 ORDER BY id DESC`
	args := []any{account}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: audit of %q: %w", account, err)
	}
	defer rows.Close()
	var events []warden.AuditEvent
	for rows.Next() {
		var (
			e       warden.AuditEvent
			details []byte
		)
		if err := rows.Scan(&e.Time, &e.Account, &e.RequestID, &e.Actor, &e.Action, &e.Resource,
			&e.SourceIP, &e.UserAgent, &e.Outcome, &details); err != nil {
			return nil, fmt.Errorf("postgres: audit of %q: %w", account, err)
		}
		e.Time = e.Time.UTC()
		if details != nil {
			if err := json.Unmarshal(details, &e.Details); err != nil {
				return nil, fmt.Errorf("postgres: audit of %q: details: %w", account, err)
			}
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: audit of %q: %w", account, err)
	}
	return events, nil
}
