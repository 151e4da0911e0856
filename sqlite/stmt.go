package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// statements are the store's hot queries, prepared once per pool. A
// transaction runs them through sql.Tx.StmtContext, which reuses the
// statement database/sql already prepared on the transaction's connection,
// so SQLite parses and plans each of them once per connection instead of on
// every call.
type statements struct {
	get, getMany, count, countSet, sumLen *sql.Stmt
	// list is indexed by [after is the lower bound][there is an upper bound].
	list [2][2]*sql.Stmt
	// Writes, prepared on the writer's pool only.
	insert, replace, delete, audit *sql.Stmt
}

// The text of the hot queries.
const (
	getSQL = `SELECT data FROM records WHERE kind = ? AND account = ? AND key = ?`
	// getManySQL takes the keys as a JSON array, so one statement serves
	// any number of them, past SQLite's limit on parameters.
	getManySQL = `SELECT key, data FROM records WHERE kind = ? AND account = ?
		AND key IN (SELECT value FROM json_each(?))`
	countSQL    = `SELECT count(*) FROM records WHERE kind = ? AND account = ?`
	countSetSQL = `SELECT count(*) FROM records WHERE kind = ?2 AND account = ?3
		AND json_type(CAST(data AS TEXT), ?1) = 'text' AND json_extract(CAST(data AS TEXT), ?1) <> ''`
	sumLenSQL = `SELECT coalesce(sum(json_array_length(CAST(data AS TEXT), ?1)), 0) FROM records
		WHERE kind = ?2 AND account = ?3`
	insertSQL  = `INSERT INTO records (kind, account, key, data) VALUES (?, ?, ?, ?)`
	replaceSQL = `UPDATE records SET data = ? WHERE kind = ? AND account = ? AND key = ?`
	deleteSQL  = `DELETE FROM records WHERE kind = ? AND account = ? AND key = ?`
	auditSQL   = `INSERT INTO audit (time, account, request_id, actor, action, resource, source_ip, user_agent, outcome, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// listSQL is the listing query with a lower bound on the key (strict when
// after is the bound, inclusive when the prefix is) and optionally an upper
// bound; LIMIT -1 is no limit to SQLite. Ranges on the primary key, not LIKE,
// so the index does the work and '%' or '_' in a prefix mean themselves.
func listSQL(strict, upper bool) string {
	q := `SELECT key, data FROM records WHERE kind = ? AND account = ? AND key >= ?`
	if strict {
		q = `SELECT key, data FROM records WHERE kind = ? AND account = ? AND key > ?`
	}
	if upper {
		q += ` AND key < ?`
	}
	return q + ` ORDER BY key LIMIT ?`
}

// prepare prepares the statements on db; writes only when write is set.
func prepare(ctx context.Context, db *sql.DB, write bool) (*statements, error) {
	st := &statements{}
	var err error
	p := func(dst **sql.Stmt, query string) {
		if err == nil {
			*dst, err = db.PrepareContext(ctx, query)
		}
	}
	p(&st.get, getSQL)
	p(&st.getMany, getManySQL)
	p(&st.count, countSQL)
	p(&st.countSet, countSetSQL)
	p(&st.sumLen, sumLenSQL)
	for i, strict := range []bool{false, true} {
		for j, upper := range []bool{false, true} {
			p(&st.list[i][j], listSQL(strict, upper))
		}
	}
	if write {
		p(&st.insert, insertSQL)
		p(&st.replace, replaceSQL)
		p(&st.delete, deleteSQL)
		p(&st.audit, auditSQL)
	}
	if err != nil {
		st.close()
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	return st, nil
}

// close closes the prepared statements; st may be nil.
func (st *statements) close() error {
	if st == nil {
		return nil
	}
	var errs []error
	for _, s := range []*sql.Stmt{st.get, st.getMany, st.count, st.countSet, st.sumLen,
		st.list[0][0], st.list[0][1], st.list[1][0], st.list[1][1],
		st.insert, st.replace, st.delete, st.audit} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// stmt is s bound to the transaction.
func (t *tx) stmt(ctx context.Context, s *sql.Stmt) *sql.Stmt {
	return t.tx.StmtContext(ctx, s)
}
