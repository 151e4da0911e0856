package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/warden-iam/warden"
)

// tx is a warden.Tx on a database/sql transaction.
type tx struct {
	tx       *sql.Tx
	st       *statements // prepared on the pool tx runs on
	readOnly bool
	// changed collects the records written that decide access: the
	// generation moves and they go into the change feed.
	changed warden.ChangeSet
}

var errReadOnly = errors.New("write in a read-only transaction")

func (t *tx) Get(ctx context.Context, kind warden.Kind, account, key string) (warden.Record, error) {
	var data []byte
	err := t.stmt(ctx, t.st.get).QueryRowContext(ctx, string(kind), account, key).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return warden.Record{}, fmt.Errorf("sqlite: get %s: %w", describe(kind, account, key), warden.ErrNotFound)
	}
	if err != nil {
		return warden.Record{}, fmt.Errorf("sqlite: get %s: %w", describe(kind, account, key), err)
	}
	return warden.Record{Kind: kind, Account: account, Key: key, Data: data}, nil
}

func (t *tx) GetMany(ctx context.Context, kind warden.Kind, account string, keys []string) ([]warden.Record, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	arg, err := json.Marshal(keys)
	if err != nil {
		return nil, fmt.Errorf("sqlite: get %d %s of %q: %w", len(keys), kind, account, err)
	}
	rows, err := t.stmt(ctx, t.st.getMany).QueryContext(ctx, string(kind), account, string(arg))
	if err != nil {
		return nil, fmt.Errorf("sqlite: get %d %s of %q: %w", len(keys), kind, account, err)
	}
	defer rows.Close()
	found := make(map[string][]byte, len(keys))
	for rows.Next() {
		var key string
		var data []byte
		if err := rows.Scan(&key, &data); err != nil {
			return nil, fmt.Errorf("sqlite: get %d %s of %q: %w", len(keys), kind, account, err)
		}
		found[key] = data
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: get %d %s of %q: %w", len(keys), kind, account, err)
	}
	return inKeyOrder(kind, account, keys, found), nil
}

// inKeyOrder returns the records found, in the order of keys.
func inKeyOrder(kind warden.Kind, account string, keys []string, found map[string][]byte) []warden.Record {
	out := make([]warden.Record, 0, len(found))
	for _, k := range keys {
		if data, ok := found[k]; ok {
			out = append(out, warden.Record{Kind: kind, Account: account, Key: k, Data: data})
			delete(found, k) // a key asked for twice is returned once
		}
	}
	return out
}

func (t *tx) Insert(ctx context.Context, r warden.Record) error {
	if t.readOnly {
		return fmt.Errorf("sqlite: insert %s: %w", describe(r.Kind, r.Account, r.Key), errReadOnly)
	}
	_, err := t.stmt(ctx, t.st.insert).ExecContext(ctx,
		string(r.Kind), r.Account, r.Key, blob(r.Data))
	if isUniqueViolation(err) {
		// SQLite undoes only the failed statement: the transaction goes on.
		return fmt.Errorf("sqlite: insert %s: %w", describe(r.Kind, r.Account, r.Key), warden.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("sqlite: insert %s: %w", describe(r.Kind, r.Account, r.Key), err)
	}
	t.changed.Add(r.Kind, r.Account, r.Key)
	return nil
}

func (t *tx) Replace(ctx context.Context, r warden.Record) error {
	if t.readOnly {
		return fmt.Errorf("sqlite: replace %s: %w", describe(r.Kind, r.Account, r.Key), errReadOnly)
	}
	res, err := t.stmt(ctx, t.st.replace).ExecContext(ctx,
		blob(r.Data), string(r.Kind), r.Account, r.Key)
	if err := affected(res, err); err != nil {
		return fmt.Errorf("sqlite: replace %s: %w", describe(r.Kind, r.Account, r.Key), err)
	}
	t.changed.Add(r.Kind, r.Account, r.Key)
	return nil
}

func (t *tx) Delete(ctx context.Context, kind warden.Kind, account, key string) error {
	if t.readOnly {
		return fmt.Errorf("sqlite: delete %s: %w", describe(kind, account, key), errReadOnly)
	}
	res, err := t.stmt(ctx, t.st.delete).ExecContext(ctx, string(kind), account, key)
	if err := affected(res, err); err != nil {
		return fmt.Errorf("sqlite: delete %s: %w", describe(kind, account, key), err)
	}
	t.changed.Add(kind, account, key)
	return nil
}

// affected turns a statement that changed no row into ErrNotFound.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return warden.ErrNotFound
	}
	return nil
}

func (t *tx) List(ctx context.Context, kind warden.Kind, account, prefix, after string, limit int) ([]warden.Record, error) {
	// The lower bound is the greater of after (strict) and prefix
	// (inclusive); the upper bound is the end of the prefix's range.
	lower, strict := prefix, false
	if after != "" && after >= prefix {
		lower, strict = after, true
	}
	args := []any{string(kind), account, lower}
	upper := false
	if prefix != "" {
		if end, ok := prefixEnd(prefix); ok {
			args = append(args, end)
			upper = true
		}
	}
	if limit <= 0 {
		limit = -1 // no limit, to SQLite
	}
	args = append(args, limit)
	rows, err := t.stmt(ctx, t.st.list[b2i(strict)][b2i(upper)]).QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list %s of %q: %w", kind, account, err)
	}
	defer rows.Close()
	var out []warden.Record
	for rows.Next() {
		r := warden.Record{Kind: kind, Account: account}
		if err := rows.Scan(&r.Key, &r.Data); err != nil {
			return nil, fmt.Errorf("sqlite: list %s of %q: %w", kind, account, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list %s of %q: %w", kind, account, err)
	}
	return out, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// prefixEnd returns the least string greater than every string that starts
// with prefix, in SQLite's BINARY (byte) order, and false if there is none.
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

func (t *tx) Count(ctx context.Context, kind warden.Kind, account string) (int, error) {
	var n int
	err := t.stmt(ctx, t.st.count).QueryRowContext(ctx, string(kind), account).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count %s of %q: %w", kind, account, err)
	}
	return n, nil
}

func (t *tx) AppendAudit(ctx context.Context, e warden.AuditEvent) error {
	if t.readOnly {
		return fmt.Errorf("sqlite: append audit event: %w", errReadOnly)
	}
	var details sql.NullString
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return fmt.Errorf("sqlite: append audit event: %w", err)
		}
		details = sql.NullString{String: string(b), Valid: true}
	}
	_, err := t.stmt(ctx, t.st.audit).ExecContext(ctx,
		formatTime(e.Time), e.Account, e.RequestID, e.Actor, e.Action, e.Resource,
		e.SourceIP, e.UserAgent, e.Outcome, details)
	if err != nil {
		return fmt.Errorf("sqlite: append audit event: %w", err)
	}
	return nil
}

// formatTime renders t in UTC to the microsecond, the precision PostgreSQL
// keeps, so both stores give back the same time. The fixed width makes the
// text sort in time order.
func formatTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000000Z")
}

func decodeDetails(s string) (map[string]string, error) {
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("details: %w", err)
	}
	return m, nil
}

// blob keeps a nil Data from being stored as NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func describe(kind warden.Kind, account, key string) string {
	if account == "" {
		return fmt.Sprintf("%s %q", kind, key)
	}
	return fmt.Sprintf("%s %q in account %s", kind, key, account)
}

func (t *tx) CountSet(ctx context.Context, kind warden.Kind, account, field string) (int, error) {
	var n int
	err := t.stmt(ctx, t.st.countSet).QueryRowContext(ctx, "$."+field, string(kind), account).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count %s of %q with %s: %w", kind, account, field, err)
	}
	return n, nil
}

func (t *tx) SumLen(ctx context.Context, kind warden.Kind, account, field string) (int, error) {
	var n int
	err := t.stmt(ctx, t.st.sumLen).QueryRowContext(ctx, "$."+field, string(kind), account).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: sum %s of %s of %q: %w", field, kind, account, err)
	}
	return n, nil
}
