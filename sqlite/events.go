package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/warden-iam/warden"
)

var _ warden.EventLog = (*Store)(nil)

// AppendEvents stores a batch of events as chunks (warden.ChunkEvents), in
// one transaction: a row per chunk and a row per posting. A chunk stored
// already (by the ID of its first event) is skipped with its postings, so a
// batch can be retried.
func (s *Store) AppendEvents(ctx context.Context, events []warden.Event) error {
	if len(events) == 0 {
		return nil
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: append events: %w", conflict(err))
	}
	defer tx.Rollback()
	if err := appendChunks(ctx, tx, warden.ChunkEvents(events)); err != nil {
		return fmt.Errorf("sqlite: append events: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: append events: %w", conflict(err))
	}
	return nil
}

// appendChunks writes chunks and their postings in tx: the chunks one by
// one (each insert says its seq), then the postings termChunk rows per
// INSERT, with one statement prepared for all the full ones.
func appendChunks(ctx context.Context, tx *sql.Tx, chunks []warden.EventChunk) error {
	insChunk, err := tx.PrepareContext(ctx, `INSERT INTO event_chunks (first_id, account, first_time, last_time, data)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (first_id) DO NOTHING`)
	if err != nil {
		return err
	}
	defer insChunk.Close()
	var args []any
	var data []byte // reused: the driver copies what it binds
	for i := range chunks {
		c := &chunks[i]
		if data, err = c.AppendText(data[:0]); err != nil {
			return err
		}
		first, last := c.First.UnixMicro(), c.Last.UnixMicro()
		res, err := insChunk.ExecContext(ctx, c.FirstID, c.Account, first, last, data)
		if err != nil {
			return conflict(err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue // stored by an earlier try of this batch
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return err
		}
		for _, t := range c.Terms() {
			args = append(args, c.Account, t, last, seq, first)
		}
	}
	var full *sql.Stmt
	for len(args) > 0 {
		n := min(len(args)/5, termChunk)
		if n == termChunk {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, insertTerms(termChunk)); err != nil {
					return err
				}
				defer full.Close()
			}
			_, err = full.ExecContext(ctx, args[:5*n]...)
		} else {
			_, err = tx.ExecContext(ctx, insertTerms(n), args[:5*n]...)
		}
		if err != nil {
			return conflict(err)
		}
		args = args[5*n:]
	}
	return nil
}

// termChunk is how many postings one INSERT writes (5 parameters each).
const termChunk = 128

// insertTerms returns an INSERT of n postings.
func insertTerms(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO event_terms (account, term, last_time, seq, first_time) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?)")
	}
	return b.String()
}

// LookupEvents returns the events q selects, newest first (or oldest first
// with q.Oldest).
func (s *Store) LookupEvents(ctx context.Context, q warden.EventQuery) ([]warden.Event, error) {
	events, err := warden.LookupChunks(ctx, q, s.readChunks)
	if err != nil {
		return nil, fmt.Errorf("sqlite: lookup events: %w", err)
	}
	return events, nil
}

// readChunks answers a warden.ChunkQuery: from the postings of q.Term when
// it is set, else from the chunks' own indexes.
func (s *Store) readChunks(ctx context.Context, q warden.ChunkQuery) ([]warden.StoredChunk, error) {
	from := "event_chunks c"
	var where []string
	var args []any
	col := "c."
	if q.Term != "" {
		from = "event_terms t JOIN event_chunks c ON c.seq = t.seq"
		col = "t."
		where, args = append(where, "t.account = ?", "t.term = ?"), append(args, q.Account, q.Term)
	} else if q.Account != "" {
		where, args = append(where, "c.account = ?"), append(args, q.Account)
	}
	if !q.MinLast.IsZero() {
		where, args = append(where, col+"last_time >= ?"), append(args, q.MinLast.UnixMicro())
	}
	if !q.MaxLast.IsZero() {
		where, args = append(where, col+"last_time <= ?"), append(args, q.MaxLast.UnixMicro())
	}
	if !q.MaxFirst.IsZero() {
		where, args = append(where, col+"first_time <= ?"), append(args, q.MaxFirst.UnixMicro())
	}
	order, cmp := "DESC", "<"
	if q.Ascending {
		order, cmp = "ASC", ">"
	}
	if q.AfterSeq != 0 {
		where = append(where, "("+col+"last_time, "+col+"seq) "+cmp+" (?, ?)")
		args = append(args, q.AfterLast.UnixMicro(), q.AfterSeq)
	}
	sqlq := "SELECT c.account, c.seq, c.last_time, c.data FROM " + from
	if len(where) > 0 {
		sqlq += " WHERE " + strings.Join(where, " AND ")
	}
	sqlq += " ORDER BY " + col + "last_time " + order + ", " + col + "seq " + order + " LIMIT ?"
	args = append(args, q.Limit)
	rows, err := s.reader.QueryContext(ctx, sqlq, args...)
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

// pruneChunks is how many chunks one pruning transaction removes, so that
// the writer is never held long.
const pruneChunks = 64

// PruneEvents deletes the events older than before, a few chunks per
// transaction: a chunk wholly older goes with its postings; a chunk that
// straddles before is stored again with only its newer events.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		n, more, err := s.pruneSome(ctx, before)
		total += n
		if err != nil {
			return total, fmt.Errorf("sqlite: prune events: %w", err)
		}
		if !more {
			return total, nil
		}
	}
}

func (s *Store) pruneSome(ctx context.Context, before time.Time) (pruned int64, more bool, err error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, conflict(err)
	}
	defer tx.Rollback()
	cut := before.UnixMicro()
	// A chunk's first event is at most MaxChunkSpan before its last (one
	// migrated from a row per event spans nothing), so the scan of the
	// last-time index ends there.
	rows, err := tx.QueryContext(ctx, `SELECT seq, account, last_time, data FROM event_chunks
		WHERE last_time < ? AND first_time < ? ORDER BY last_time, seq LIMIT ?`,
		before.Add(warden.MaxChunkSpan).UnixMicro(), cut, pruneChunks)
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
	if err := rows.Close(); err != nil {
		return 0, false, err
	}
	var keep []warden.Event
	for _, o := range olds {
		for _, term := range o.Terms {
			if _, err := tx.ExecContext(ctx, `DELETE FROM event_terms WHERE account = ? AND term = ? AND last_time = ? AND seq = ?`,
				o.Account, term, o.Last, o.Seq); err != nil {
				return 0, false, conflict(err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM event_chunks WHERE seq = ?`, o.Seq); err != nil {
			return 0, false, conflict(err)
		}
		pruned, keep = pruned+o.Pruned, append(keep, o.Keep...)
	}
	// The newer part of a straddling chunk is a chunk of its own again,
	// under its own first event's ID.
	if err := appendChunks(ctx, tx, warden.ChunkEvents(keep)); err != nil {
		return 0, false, err
	}
	if err := tx.Commit(); err != nil {
		return 0, false, conflict(err)
	}
	return pruned, len(olds) == pruneChunks, nil
}
