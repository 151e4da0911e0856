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

// eventChunk is how many events one INSERT statement writes (11 columns
// each, well under SQLite's 32,766 parameters).
const eventChunk = 64

// insertEvents returns an INSERT of n events.
func insertEvents(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO events
		(id, account, time, source, name, username, access_key_id, read_only, resource_type, resource_name, record) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?)")
	}
	b.WriteString(" ON CONFLICT (id) DO NOTHING")
	return b.String()
}

var insertEventChunk = insertEvents(eventChunk)

// AppendEvents stores a batch of events in one transaction, eventChunk
// rows per INSERT; events already stored (by ID) are skipped.
func (s *Store) AppendEvents(ctx context.Context, events []warden.Event) error {
	if len(events) == 0 {
		return nil
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: append events: %w", conflict(err))
	}
	defer tx.Rollback()
	args := make([]any, 0, 11*min(len(events), eventChunk))
	var chunk *sql.Stmt
	for len(events) > 0 {
		n := min(len(events), eventChunk)
		args = args[:0]
		for _, e := range events[:n] {
			args = append(args, e.ID, e.Account, e.Time.UnixMicro(), e.Source, e.Name, e.Username,
				e.AccessKeyID, e.ReadOnly, e.ResourceType, e.ResourceName, []byte(e.Record))
		}
		if n == eventChunk {
			if chunk == nil {
				if chunk, err = tx.PrepareContext(ctx, insertEventChunk); err != nil {
					return fmt.Errorf("sqlite: append events: %w", err)
				}
				defer chunk.Close()
			}
			_, err = chunk.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertEvents(n), args...)
		}
		if err != nil {
			return fmt.Errorf("sqlite: append events: %w", conflict(err))
		}
		events = events[n:]
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: append events: %w", conflict(err))
	}
	return nil
}

// eventColumns maps LookupEvents attributes to columns.
var eventColumns = map[warden.EventAttribute]string{
	warden.EventAttrEventID: "id", warden.EventAttrEventName: "name", warden.EventAttrReadOnly: "read_only",
	warden.EventAttrUsername: "username", warden.EventAttrResourceType: "resource_type",
	warden.EventAttrResourceName: "resource_name", warden.EventAttrEventSource: "source",
	warden.EventAttrAccessKeyID: "access_key_id",
}

// LookupEvents returns the events q selects, newest first (or oldest first
// with q.Oldest).
func (s *Store) LookupEvents(ctx context.Context, q warden.EventQuery) ([]warden.Event, error) {
	var where []string
	var args []any
	if q.Account != "" {
		where, args = append(where, "account = ?"), append(args, q.Account)
	}
	if !q.Start.IsZero() {
		where, args = append(where, "time >= ?"), append(args, q.Start.UnixMicro())
	}
	if !q.End.IsZero() {
		where, args = append(where, "time < ?"), append(args, q.End.UnixMicro())
	}
	if q.Attribute != "" {
		col, ok := eventColumns[q.Attribute]
		if !ok {
			return nil, fmt.Errorf("sqlite: lookup events: unknown attribute %q", q.Attribute)
		}
		var v any = q.Value
		if q.Attribute == warden.EventAttrReadOnly {
			v = strings.EqualFold(q.Value, "true")
		}
		where, args = append(where, col+" = ?"), append(args, v)
	}
	order, cmp := "DESC", "<"
	if q.Oldest {
		order, cmp = "ASC", ">"
	}
	if q.AfterID != "" {
		t := q.AfterTime.UnixMicro()
		where = append(where, "(time "+cmp+" ? OR (time = ? AND id "+cmp+" ?))")
		args = append(args, t, t, q.AfterID)
	}
	sqlq := `SELECT id, account, time, source, name, username, access_key_id, read_only, resource_type, resource_name, record FROM events`
	if len(where) > 0 {
		sqlq += " WHERE " + strings.Join(where, " AND ")
	}
	sqlq += " ORDER BY time " + order + ", id " + order
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	sqlq += " LIMIT ?"
	args = append(args, limit)
	rows, err := s.reader.QueryContext(ctx, sqlq, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: lookup events: %w", err)
	}
	defer rows.Close()
	var out []warden.Event
	for rows.Next() {
		var (
			e      warden.Event
			micros int64
			record []byte
		)
		if err := rows.Scan(&e.ID, &e.Account, &micros, &e.Source, &e.Name, &e.Username, &e.AccessKeyID, &e.ReadOnly,
			&e.ResourceType, &e.ResourceName, &record); err != nil {
			return nil, fmt.Errorf("sqlite: lookup events: %w", err)
		}
		e.Time, e.Record = time.UnixMicro(micros).UTC(), record
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: lookup events: %w", err)
	}
	return out, nil
}

// PruneEvents deletes the events older than before.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.writer.ExecContext(ctx, `DELETE FROM events WHERE time < ?`, before.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune events: %w", conflict(err))
	}
	return res.RowsAffected()
}
