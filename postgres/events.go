package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/warden-iam/warden"
)

var _ warden.EventLog = (*Store)(nil)

// AppendEvents stores a batch of events with one INSERT over arrays (one
// round trip and one statement whatever the batch's size) in one
// transaction; events already stored (by ID) are skipped, so every node of a
// deployment can write its own batches into the shared table.
func (s *Store) AppendEvents(ctx context.Context, events []warden.Event) error {
	if len(events) == 0 {
		return nil
	}
	n := len(events)
	var (
		ids, accounts, sources, names, users, keys, rtypes, rnames = make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		times    = make([]time.Time, n)
		readOnly = make([]bool, n)
		records  = make([][]byte, n)
	)
	for i, e := range events {
		ids[i], accounts[i], times[i], sources[i], names[i] = e.ID, e.Account, e.Time.UTC().Truncate(time.Microsecond), e.Source, e.Name
		users[i], keys[i], readOnly[i], rtypes[i], rnames[i], records[i] = e.Username, e.AccessKeyID, e.ReadOnly,
			e.ResourceType, e.ResourceName, []byte(e.Record)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO events
		(id, account, time, source, name, username, access_key_id, read_only, resource_type, resource_name, record)
		SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::boolean[], $9::text[], $10::text[], $11::bytea[])
		ON CONFLICT (id) DO NOTHING`, ids, accounts, times, sources, names, users, keys, readOnly, rtypes, rnames, records)
	if err != nil {
		return fmt.Errorf("postgres: append events: %w", err)
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
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.Account != "" {
		where = append(where, "account = "+arg(q.Account))
	}
	if !q.Start.IsZero() {
		where = append(where, "time >= "+arg(q.Start.UTC()))
	}
	if !q.End.IsZero() {
		where = append(where, "time < "+arg(q.End.UTC()))
	}
	if q.Attribute != "" {
		col, ok := eventColumns[q.Attribute]
		if !ok {
			return nil, fmt.Errorf("postgres: lookup events: unknown attribute %q", q.Attribute)
		}
		var v any = q.Value
		if q.Attribute == warden.EventAttrReadOnly {
			v = strings.EqualFold(q.Value, "true")
		}
		where = append(where, col+" = "+arg(v))
	}
	order, cmp := "DESC", "<"
	if q.Oldest {
		order, cmp = "ASC", ">"
	}
	if q.AfterID != "" {
		where = append(where, "(time, id) "+cmp+" ("+arg(q.AfterTime.UTC())+", "+arg(q.AfterID)+")")
	}
	sqlq := `SELECT id, account, time, source, name, username, access_key_id, read_only, resource_type, resource_name, record FROM events`
	if len(where) > 0 {
		sqlq += " WHERE " + strings.Join(where, " AND ")
	}
	sqlq += " ORDER BY time " + order + ", id " + order
	if q.Limit > 0 {
		sqlq += " LIMIT " + arg(q.Limit)
	}
	rows, err := s.pool.Query(ctx, sqlq, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: lookup events: %w", err)
	}
	defer rows.Close()
	var out []warden.Event
	for rows.Next() {
		var e warden.Event
		var record []byte
		if err := rows.Scan(&e.ID, &e.Account, &e.Time, &e.Source, &e.Name, &e.Username, &e.AccessKeyID, &e.ReadOnly,
			&e.ResourceType, &e.ResourceName, &record); err != nil {
			return nil, fmt.Errorf("postgres: lookup events: %w", err)
		}
		e.Time, e.Record = e.Time.UTC(), record
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: lookup events: %w", err)
	}
	return out, nil
}

// PruneEvents deletes the events older than before.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM events WHERE time < $1`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("postgres: prune events: %w", err)
	}
	return tag.RowsAffected(), nil
}
