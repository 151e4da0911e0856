package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/warden-iam/warden"
)

// tx is a warden.Tx on a pgx transaction.
//
// No method lets a statement fail for an expected outcome: a failed statement
// aborts a PostgreSQL transaction, and operations must be able to handle
// ErrNotFound or ErrAlreadyExists and carry on, as they can on SQLite.
type tx struct {
	tx       pgx.Tx
	readOnly bool
	// changed collects the records written that decide access: the
	// generation moves and they go into the change feed.
	changed warden.ChangeSet
	retry   error // the first serialization failure or deadlock seen
}

var errReadOnly = errors.New("write in a read-only transaction")

// fail wraps a statement's error with op, noting whether the transaction must
// be retried.
func (t *tx) fail(op string, err error) error {
	if isRetryable(err) && t.retry == nil {
		t.retry = fmt.Errorf("postgres: %s: %w", op, err)
	}
	if isUniqueViolation(err) {
		return fmt.Errorf("postgres: %s: %w: %w", op, warden.ErrAlreadyExists, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

func (t *tx) Get(ctx context.Context, kind warden.Kind, account, key string) (warden.Record, error) {
	var data []byte
	err := t.tx.QueryRow(ctx,
		`SELECT data FROM records WHERE kind = $1 AND account = $2 AND key = $3`,
		string(kind), account, key).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return warden.Record{}, fmt.Errorf("postgres: get %s: %w", describe(kind, account, key), warden.ErrNotFound)
	}
	if err != nil {
		return warden.Record{}, t.fail("get "+describe(kind, account, key), err)
	}
	return warden.Record{Kind: kind, Account: account, Key: key, Data: data}, nil
}

func (t *tx) GetMany(ctx context.Context, kind warden.Kind, account string, keys []string) ([]warden.Record, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	op := fmt.Sprintf("get %d %s of %q", len(keys), kind, account)
	rows, err := t.tx.Query(ctx,
		`SELECT key, data FROM records WHERE kind = $1 AND account = $2 AND key = ANY($3::text[])`,
		string(kind), account, keys)
	if err != nil {
		return nil, t.fail(op, err)
	}
	defer rows.Close()
	found := make(map[string][]byte, len(keys))
	for rows.Next() {
		var key string
		var data []byte
		if err := rows.Scan(&key, &data); err != nil {
			return nil, t.fail(op, err)
		}
		found[key] = data
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail(op, err)
	}
	out := make([]warden.Record, 0, len(found))
	for _, k := range keys {
		if data, ok := found[k]; ok {
			out = append(out, warden.Record{Kind: kind, Account: account, Key: k, Data: data})
			delete(found, k) // a key asked for twice is returned once
		}
	}
	return out, nil
}

func (t *tx) Insert(ctx context.Context, r warden.Record) error {
	op := "insert " + describe(r.Kind, r.Account, r.Key)
	if t.readOnly {
		return fmt.Errorf("postgres: %s: %w", op, errReadOnly)
	}
	// DO NOTHING instead of a unique violation, which would abort the
	// transaction. If the conflicting row was committed after this
	// transaction's snapshot, PostgreSQL reports a serialization failure
	// instead, and the retry sees the row.
	tag, err := t.tx.Exec(ctx,
		`INSERT INTO records (kind, account, key, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (kind, account, key) DO NOTHING`,
		string(r.Kind), r.Account, r.Key, bytea(r.Data))
	if err != nil {
		return t.fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s: %w", op, warden.ErrAlreadyExists)
	}
	t.changed.Add(r.Kind, r.Account, r.Key)
	return nil
}

func (t *tx) Replace(ctx context.Context, r warden.Record) error {
	op := "replace " + describe(r.Kind, r.Account, r.Key)
	if t.readOnly {
		return fmt.Errorf("postgres: %s: %w", op, errReadOnly)
	}
	tag, err := t.tx.Exec(ctx,
		`UPDATE records SET data = $4 WHERE kind = $1 AND account = $2 AND key = $3`,
		string(r.Kind), r.Account, r.Key, bytea(r.Data))
	if err != nil {
		return t.fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s: %w", op, warden.ErrNotFound)
	}
	t.changed.Add(r.Kind, r.Account, r.Key)
	return nil
}

func (t *tx) Delete(ctx context.Context, kind warden.Kind, account, key string) error {
	op := "delete " + describe(kind, account, key)
	if t.readOnly {
		return fmt.Errorf("postgres: %s: %w", op, errReadOnly)
	}
	tag, err := t.tx.Exec(ctx,
		`DELETE FROM records WHERE kind = $1 AND account = $2 AND key = $3`,
		string(kind), account, key)
	if err != nil {
		return t.fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s: %w", op, warden.ErrNotFound)
	}
	t.changed.Add(kind, account, key)
	return nil
}

func (t *tx) List(ctx context.Context, kind warden.Kind, account, prefix, after string, limit int) ([]warden.Record, error) {
	op := fmt.Sprintf("list %s of %q", kind, account)
	var q strings.Builder
	q.WriteString(`SELECT key, data FROM records WHERE kind = $1 AND account = $2`)
	args := []any{string(kind), account}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if after != "" {
		q.WriteString(` AND key > ` + arg(after))
	}
	if prefix != "" {
		if !utf8.ValidString(prefix) {
			return nil, fmt.Errorf("postgres: %s: prefix %q is not valid UTF-8", op, prefix)
		}
		// A range on the primary key rather than LIKE, so that the index
		// does the work with prepared statements too, and '%' or '_' in
		// prefix mean themselves.
		q.WriteString(` AND key >= ` + arg(prefix))
		if end, ok := prefixEnd(prefix); ok {
			q.WriteString(` AND key < ` + arg(end))
		}
	}
	q.WriteString(` ORDER BY key`)
	if limit > 0 {
		q.WriteString(` LIMIT ` + arg(limit))
	}

	rows, err := t.tx.Query(ctx, q.String(), args...)
	if err != nil {
		return nil, t.fail(op, err)
	}
	defer rows.Close()
	var out []warden.Record
	for rows.Next() {
		r := warden.Record{Kind: kind, Account: account}
		if err := rows.Scan(&r.Key, &r.Data); err != nil {
			return nil, t.fail(op, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail(op, err)
	}
	return out, nil
}

// prefixEnd returns the least valid UTF-8 string greater than every string
// that starts with prefix, in byte ("C" collation) order, and false if there
// is none. It increments the last code point that can be incremented: a
// byte-wise increment could produce invalid UTF-8, which PostgreSQL rejects.
func prefixEnd(prefix string) (string, bool) {
	for prefix != "" {
		r, size := utf8.DecodeLastRuneInString(prefix)
		prefix = prefix[:len(prefix)-size]
		if r < utf8.MaxRune {
			r++
			if r >= 0xD800 && r <= 0xDFFF { // surrogates are not characters
				r = 0xE000
			}
			return prefix + string(r), true
		}
	}
	return "", false
}

func (t *tx) Count(ctx context.Context, kind warden.Kind, account string) (int, error) {
	var n int
	err := t.tx.QueryRow(ctx,
		`SELECT count(*) FROM records WHERE kind = $1 AND account = $2`,
		string(kind), account).Scan(&n)
	if err != nil {
		return 0, t.fail(fmt.Sprintf("count %s of %q", kind, account), err)
	}
	return n, nil
}

func (t *tx) AppendAudit(ctx context.Context, e warden.AuditEvent) error {
	const op = "append audit event"
	if t.readOnly {
		return fmt.Errorf("postgres: %s: %w", op, errReadOnly)
	}
	var details []byte // NULL when there are none
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return fmt.Errorf("postgres: %s: %w", op, err)
		}
	}
	_, err := t.tx.Exec(ctx, `
		INSERT INTO audit (time, account, request_id, actor, action, resource, source_ip, user_agent, outcome, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.Time.Truncate(time.Microsecond), e.Account, e.RequestID, e.Actor, e.Action, e.Resource,
		e.SourceIP, e.UserAgent, e.Outcome, details)
	if err != nil {
		return t.fail(op, err)
	}
	return nil
}

// bytea keeps a nil Data from being stored as NULL.
func bytea(b []byte) []byte {
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
	err := t.tx.QueryRow(ctx, `
		SELECT count(*) FROM records, LATERAL (SELECT convert_from(data, 'UTF8')::jsonb -> $3 AS v) f
		WHERE kind = $1 AND account = $2 AND jsonb_typeof(f.v) = 'string' AND f.v #>> '{}' <> ''`,
		string(kind), account, field).Scan(&n)
	if err != nil {
		return 0, t.fail(fmt.Sprintf("count %s of %q with %s", kind, account, field), err)
	}
	return n, nil
}

func (t *tx) SumLen(ctx context.Context, kind warden.Kind, account, field string) (int, error) {
	var n int64
	err := t.tx.QueryRow(ctx, `
		SELECT coalesce(sum(CASE WHEN jsonb_typeof(f.v) = 'array' THEN jsonb_array_length(f.v) END), 0)::bigint
		FROM records, LATERAL (SELECT convert_from(data, 'UTF8')::jsonb -> $3 AS v) f
		WHERE kind = $1 AND account = $2`,
		string(kind), account, field).Scan(&n)
	if err != nil {
		return 0, t.fail(fmt.Sprintf("sum %s of %s of %q", field, kind, account), err)
	}
	return int(n), nil
}
