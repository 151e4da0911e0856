package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warden-iam/warden"
)

var _ warden.EventLog = (*Store)(nil)

// AppendEvents stores a batch of events as chunks (warden.ChunkEvents) in
// one transaction of two statements over arrays: the chunks, then the
// postings of those the first statement stored. A chunk stored already (by
// the ID of its first event) is skipped with its postings, so a batch can be
// retried, and every node of a deployment writes its own batches into the
// shared tables.
func (s *Store) AppendEvents(ctx context.Context, events []warden.Event) error {
	if len(events) == 0 {
		return nil
	}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		return s.appendChunksTx(ctx, tx, warden.ChunkEvents(events))
	})
	if err != nil {
		return fmt.Errorf("postgres: append events: %w", err)
	}
	return nil
}

// appendChunksTx writes chunks and the postings of those not stored yet.
func (s *Store) appendChunksTx(ctx context.Context, tx pgx.Tx, chunks []warden.EventChunk) error {
	n := len(chunks)
	firstIDs, accounts, data := make([]string, n), make([]string, n), make([][]byte, n)
	firsts, lasts := make([]int64, n), make([]int64, n)
	for i := range chunks {
		c := &chunks[i]
		b, err := c.EncodeDeflated()
		if err != nil {
			return err
		}
		firstIDs[i], accounts[i], data[i] = c.FirstID, c.Account, b
		firsts[i], lasts[i] = c.First.UnixMicro(), c.Last.UnixMicro()
	}
	rows, err := tx.Query(ctx, `INSERT INTO event_chunks (first_id, account, first_time, last_time, data)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bytea[])
		ON CONFLICT (first_id) DO NOTHING RETURNING first_id, seq`, firstIDs, accounts, firsts, lasts, data)
	if err != nil {
		return err
	}
	stored := map[string]int64{}
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			rows.Close()
			return err
		}
		stored[id] = seq
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var tAccounts, terms []string
	var tLasts, tSeqs, tFirsts []int64
	for i := range chunks {
		c := &chunks[i]
		seq, ok := stored[c.FirstID]
		if !ok {
			continue // stored by an earlier try of this batch
		}
		for _, t := range c.Terms() {
			tAccounts, terms = append(tAccounts, c.Account), append(terms, t)
			tLasts, tSeqs, tFirsts = append(tLasts, lasts[i]), append(tSeqs, seq), append(tFirsts, firsts[i])
		}
	}
	if len(terms) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `INSERT INTO event_terms (account, term, last_time, seq, first_time)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])`,
		tAccounts, terms, tLasts, tSeqs, tFirsts)
	return err
}

// LookupEvents returns the events q selects, newest first (or oldest first
// with q.Oldest).
func (s *Store) LookupEvents(ctx context.Context, q warden.EventQuery) ([]warden.Event, error) {
	events, err := warden.LookupChunks(ctx, q, s.readChunks)
	if err != nil {
		return nil, fmt.Errorf("postgres: lookup events: %w", err)
	}
	return events, nil
}

// readChunks answers a warden.ChunkQuery: from the postings of q.Term when
// it is set, else from the chunks' own indexes.
func (s *Store) readChunks(ctx context.Context, q warden.ChunkQuery) ([]warden.StoredChunk, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	from, col := "event_chunks c", "c."
	if q.Term != "" {
		from, col = "event_terms t JOIN event_chunks c ON c.seq = t.seq", "t."
		where = append(where, "t.account = "+arg(q.Account), "t.term = "+arg(q.Term))
	} else if q.Account != "" {
		where = append(where, "c.account = "+arg(q.Account))
	}
	if !q.MinLast.IsZero() {
		where = append(where, col+"last_time >= "+arg(q.MinLast.UnixMicro()))
	}
	if !q.MaxLast.IsZero() {
		where = append(where, col+"last_time <= "+arg(q.MaxLast.UnixMicro()))
	}
	if !q.MaxFirst.IsZero() {
		where = append(where, col+"first_time <= "+arg(q.MaxFirst.UnixMicro()))
	}
	order, cmp := "DESC", "<"
	if q.Ascending {
		order, cmp = "ASC", ">"
	}
	if q.AfterSeq != 0 {
		where = append(where, "("+col+"last_time, "+col+"seq) "+cmp+" ("+arg(q.AfterLast.UnixMicro())+", "+arg(q.AfterSeq)+")")
	}
	sqlq := "SELECT c.account, c.seq, c.last_time, c.data FROM " + from
	if len(where) > 0 {
		sqlq += " WHERE " + strings.Join(where, " AND ")
	}
	sqlq += " ORDER BY " + col + "last_time " + order + ", " + col + "seq " + order + " LIMIT " + arg(q.Limit)
	rows, err := s.pool.Query(ctx, sqlq, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []warden.StoredChunk
	for rows.Next() {
		var c warden.StoredChunk
		var last int64
		if err := rows.Scan(&c.Account, &c.Seq, &last, &c.Data); err != nil {
			return nil, err
		}
		c.Last = time.UnixMicro(last).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// pruneChunks is how many chunks one pruning transaction removes.
const pruneChunks = 64

// PruneEvents deletes the events older than before, a few chunks per
// transaction: a chunk wholly older goes with its postings; a chunk that
// straddles before is stored again with only its newer events.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		var more bool
		err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) (err error) {
			n, more, err = s.pruneSome(ctx, tx, before)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("postgres: prune events: %w", err)
		}
		total += n
		if !more {
			return total, nil
		}
	}
}

func (s *Store) pruneSome(ctx context.Context, tx pgx.Tx, before time.Time) (pruned int64, more bool, err error) {
	// A chunk's first event is at most MaxChunkSpan before its last (one
	// migrated from a row per event spans nothing), so the scan of the
	// last-time index ends there. FOR UPDATE SKIP LOCKED: two nodes pruning
	// at once take different chunks.
	rows, err := tx.Query(ctx, `SELECT seq, account, last_time, data FROM event_chunks
		WHERE last_time < $1 AND first_time < $2 ORDER BY last_time, seq LIMIT $3 FOR UPDATE SKIP LOCKED`,
		before.Add(warden.MaxChunkSpan).UnixMicro(), before.UnixMicro(), pruneChunks)
	if err != nil {
		return 0, false, err
	}
	var olds []warden.PrunedChunk
	for rows.Next() {
		var (
			seq, last int64
			account   string
			data      []byte
		)
		if err := rows.Scan(&seq, &account, &last, &data); err != nil {
			rows.Close()
			return 0, false, err
		}
		o, err := warden.PruneChunk(account, seq, last, data, before)
		if err != nil {
			rows.Close()
			return 0, false, err
		}
		olds = append(olds, o)
	}
	if err := rows.Err(); err != nil {
		return 0, false, err
	}
	var keep []warden.Event
	for _, o := range olds {
		if _, err := tx.Exec(ctx, `DELETE FROM event_terms WHERE account = $1 AND term = ANY($2) AND last_time = $3 AND seq = $4`,
			o.Account, o.Terms, o.Last, o.Seq); err != nil {
			return 0, false, err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM event_chunks WHERE seq = $1`, o.Seq); err != nil {
			return 0, false, err
		}
		pruned, keep = pruned+o.Pruned, append(keep, o.Keep...)
	}
	if len(keep) > 0 {
		// The newer part of a straddling chunk: a chunk of its own again.
		if err := s.appendChunksTx(ctx, tx, warden.ChunkEvents(keep)); err != nil {
			return 0, false, err
		}
	}
	return pruned, len(olds) == pruneChunks, nil
}
