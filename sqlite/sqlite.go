// Package sqlite is Warden's embedded storage: a warden.Store on SQLite
// (modernc.org/sqlite, pure Go), kept in one file in WAL mode with
// synchronous commits, or in memory for tests and --dev.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/warden-iam/warden"
)

// Memory is the path that opens a private in-memory database.
const Memory = ":memory:"

// busyTimeout is how long a writer waits for another process holding the
// write lock before Update gives up with ErrConflict.
const busyTimeout = 10 * time.Second

// Store is a warden.Store on one SQLite database. It is safe for concurrent
// use.
//
// Writers go through a pool of exactly one connection, so writers of this
// process queue in database/sql, in order and honouring their contexts,
// instead of polling SQLite's lock; writers of other processes are kept out by
// BEGIN IMMEDIATE and wait up to busyTimeout. Readers have their own pool and,
// thanks to WAL, run alongside the writer on a consistent snapshot.
type Store struct {
	writer *sql.DB
	reader *sql.DB
	// ws and rs are the hot queries prepared on the writer's and the
	// readers' pool.
	ws, rs *statements
	// keep holds one connection open for the life of an in-memory store: the
	// database disappears with its last connection.
	keep *sql.Conn
}

var _ warden.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and brings its schema
// up to date. The path Memory (":memory:") gives a new in-memory database
// that lives until Close. Open fails if the database was written by a newer
// Warden whose schema this one does not know.
func Open(ctx context.Context, path string) (*Store, error) {
	// Switching a new file to WAL takes an exclusive lock for which SQLite
	// does not always wait (no busy handler), so processes that open one
	// file at the same moment may be told SQLITE_BUSY: they try again, for
	// at most the busy timeout.
	deadline := time.Now().Add(busyTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		s, err := open(ctx, path)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (or an extended code of it).
func isBusy(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

func open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	name, params, err := dataSource(path)
	if err != nil {
		return nil, err
	}

	if err := registerFunctions(); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if path != Memory {
		if err := privateFiles(name); err != nil {
			return nil, err
		}
	}

	s := &Store{}
	fail := func(err error) (*Store, error) {
		s.Close()
		return nil, err
	}

	w := cloneValues(params)
	w.Set("_txlock", "immediate")
	if s.writer, err = sql.Open("sqlite", name+"?"+w.Encode()); err != nil {
		return fail(fmt.Errorf("sqlite: open %s: %w", path, err))
	}
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxLifetime(0)
	s.writer.SetConnMaxIdleTime(0)
	if err := s.writer.PingContext(ctx); err != nil {
		return fail(fmt.Errorf("sqlite: open %s: %w", path, err))
	}
	if err := migrate(ctx, s.writer); err != nil {
		return fail(err)
	}
	if s.ws, err = prepare(ctx, s.writer, true); err != nil {
		return fail(err)
	}

	r := cloneValues(params)
	r.Add("_pragma", "query_only(1)")
	if s.reader, err = sql.Open("sqlite", name+"?"+r.Encode()); err != nil {
		return fail(fmt.Errorf("sqlite: open %s: %w", path, err))
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	if path == Memory {
		readers++ // one of them is s.keep
	}
	s.reader.SetMaxOpenConns(readers)
	s.reader.SetMaxIdleConns(readers)
	if path == Memory {
		if s.keep, err = s.reader.Conn(ctx); err != nil {
			return fail(fmt.Errorf("sqlite: open %s: %w", path, err))
		}
	} else if err := s.reader.PingContext(ctx); err != nil {
		return fail(fmt.Errorf("sqlite: open %s: %w", path, err))
	}
	if s.rs, err = prepare(ctx, s.reader, false); err != nil {
		return fail(err)
	}
	return s, nil
}

// dataSource returns the SQLite URI of path and the connection parameters
// both pools share.
func dataSource(path string) (name string, params url.Values, err error) {
	params = url.Values{}
	params.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	params.Add("_pragma", "foreign_keys(1)")
	// Statement journals (a multi-row INSERT keeps one) and temporary
	// b-trees stay in memory: no write to a temporary file in the middle of
	// a batch, and nothing of the database spilled outside the data directory.
	params.Add("_pragma", "temp_store(MEMORY)")
	if path == Memory {
		// The memdb VFS shares a database among the connections of this
		// process that name it with a leading slash, with ordinary locking
		// (unlike shared-cache mode). It has no WAL: readers and the writer
		// take turns at commit, which is fine for tests and --dev.
		var b [12]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", nil, fmt.Errorf("sqlite: open: %w", err)
		}
		params.Set("vfs", "memdb")
		return "file:/warden-" + hex.EncodeToString(b[:]), params, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// WAL lets readers run while a writer commits; synchronous=FULL syncs
	// the WAL on every commit, so an acknowledged Update survives a crash of
	// the process or of the machine.
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "synchronous(FULL)")
	return "file:" + uriEscaper.Replace(filepath.ToSlash(abs)), params, nil
}

// privateFiles makes the database file and its WAL and shared-memory files
// readable by their owner only, whatever the mode of the directory and the
// umask: they hold password hashes and sealed secrets. The database file is
// created 0600 before SQLite opens it, and SQLite gives the -wal and -shm
// files it creates the mode of the database file; files left by an older
// Warden are narrowed to 0600.
func privateFiles(uri string) error {
	db, err := url.PathUnescape(strings.TrimPrefix(uri, "file:"))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", uri, err)
	}
	db = filepath.FromSlash(db)
	f, err := os.OpenFile(db, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", db, err)
	}
	f.Close()
	for _, p := range []string{db, db + "-wal", db + "-shm", db + "-journal"} {
		err := os.Chmod(p, 0o600)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("sqlite: open %s: %w", p, err)
		}
	}
	return nil
}

// uriEscaper escapes the characters that end or escape the path of a SQLite
// URI filename.
var uriEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Close closes the database. An in-memory database is gone afterwards.
func (s *Store) Close() error {
	errs := []error{s.rs.close(), s.ws.close()}
	if s.keep != nil {
		errs = append(errs, s.keep.Close())
	}
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	if s.writer != nil {
		errs = append(errs, s.writer.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// View runs fn in a read-only transaction that sees one consistent snapshot.
// It returns fn's error unchanged. Write methods of the Tx fail.
func (s *Store) View(ctx context.Context, fn func(warden.Tx) error) error {
	sqlTx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer sqlTx.Rollback()
	if err := fn(&tx{tx: sqlTx, st: s.rs, readOnly: true}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: end read: %w", err)
	}
	return nil
}

// Update runs fn in a write transaction and commits it when fn returns nil;
// otherwise it rolls back and returns fn's error unchanged. Update calls fn
// exactly once: writers are serialized, so there is nothing to retry. fn must
// not call Update of the same store: the one writer connection is busy until
// fn returns, so the inner call would wait until its context ends.
//
// When another process holds the database's write lock for longer than the
// busy timeout, Update returns an error wrapping warden.ErrConflict.
func (s *Store) Update(ctx context.Context, fn func(warden.Tx) error) error {
	sqlTx, err := s.writer.BeginTx(ctx, nil) // BEGIN IMMEDIATE, from the DSN
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", conflict(err))
	}
	defer sqlTx.Rollback()
	t := &tx{tx: sqlTx, st: s.ws}
	if err := fn(t); err != nil {
		return err
	}
	if refs := t.changed.Refs(); len(refs) > 0 && !warden.IsBookkeeping(ctx) {
		if err := recordChanges(ctx, sqlTx, refs); err != nil {
			return err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", conflict(err))
	}
	return nil
}

// Change-feed retention: every pruneEvery generations the entries more than
// keepChanges generations old are deleted.
const (
	keepChanges = 10000
	pruneEvery  = 256
)

// recordChanges moves the generation and puts refs into the change feed
// under it, in the writing transaction.
func recordChanges(ctx context.Context, sqlTx *sql.Tx, refs []warden.Ref) error {
	var g int64
	if err := sqlTx.QueryRowContext(ctx, `UPDATE generation SET value = value + 1 WHERE id = 1 RETURNING value`).Scan(&g); err != nil {
		return fmt.Errorf("sqlite: bump generation: %w", err)
	}
	for _, r := range refs {
		if _, err := sqlTx.ExecContext(ctx, `INSERT INTO changes (generation, kind, account, key) VALUES (?, ?, ?, ?)`,
			g, string(r.Kind), r.Account, r.Key); err != nil {
			return fmt.Errorf("sqlite: record change: %w", err)
		}
	}
	if g%pruneEvery == 0 && g > keepChanges {
		if _, err := sqlTx.ExecContext(ctx, `DELETE FROM changes WHERE generation <= ?`, g-keepChanges); err != nil {
			return fmt.Errorf("sqlite: prune changes: %w", err)
		}
		if _, err := sqlTx.ExecContext(ctx, `UPDATE generation SET floor = ? WHERE id = 1`, g-keepChanges); err != nil {
			return fmt.Errorf("sqlite: prune changes: %w", err)
		}
	}
	return nil
}

// Generation returns the number of committed Updates that changed a record
// that decides access.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	if err := s.reader.QueryRowContext(ctx, `SELECT value FROM generation WHERE id = 1`).Scan(&g); err != nil {
		return 0, fmt.Errorf("sqlite: generation: %w", err)
	}
	return g, nil
}

// ChangesSince reads the change feed after generation after.
func (s *Store) ChangesSince(ctx context.Context, after int64, limit int) (warden.Changes, error) {
	var out warden.Changes
	err := s.View(ctx, func(wtx warden.Tx) error {
		sqlTx := wtx.(*tx).tx
		var floor int64
		if err := sqlTx.QueryRowContext(ctx, `SELECT value, floor FROM generation WHERE id = 1`).Scan(&out.Generation, &floor); err != nil {
			return err
		}
		out.Complete = after >= floor
		if !out.Complete || out.Generation <= after {
			return nil
		}
		rows, err := sqlTx.QueryContext(ctx, `SELECT kind, account, key FROM changes
			WHERE generation > ? AND generation <= ? ORDER BY generation LIMIT ?`, after, out.Generation, limit+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r warden.Ref
			if err := rows.Scan(&r.Kind, &r.Account, &r.Key); err != nil {
				return err
			}
			out.Refs = append(out.Refs, r)
		}
		if len(out.Refs) > limit {
			out.Refs, out.Complete = out.Refs[:limit], false
		}
		return rows.Err()
	})
	if err != nil {
		return warden.Changes{}, fmt.Errorf("sqlite: changes: %w", err)
	}
	return out, nil
}

// Audit returns up to limit audit events of account, newest first; limit <= 0
// means all of them.
func (s *Store) Audit(ctx context.Context, account string, limit int) ([]warden.AuditEvent, error) {
	if limit <= 0 {
		limit = -1 // no limit, to SQLite
	}
	rows, err := s.reader.QueryContext(ctx, `
		SELECT time, account, request_id, actor, action, resource, source_ip, user_agent, outcome, details
		FROM audit WHERE account = ? ORDER BY id DESC LIMIT ?`, account, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: audit of %q: %w", account, err)
	}
	defer rows.Close()
	var events []warden.AuditEvent
	for rows.Next() {
		var (
			e       warden.AuditEvent
			t       string
			details sql.NullString
		)
		if err := rows.Scan(&t, &e.Account, &e.RequestID, &e.Actor, &e.Action, &e.Resource,
			&e.SourceIP, &e.UserAgent, &e.Outcome, &details); err != nil {
			return nil, fmt.Errorf("sqlite: audit of %q: %w", account, err)
		}
		if e.Time, err = time.Parse(time.RFC3339Nano, t); err != nil {
			return nil, fmt.Errorf("sqlite: audit of %q: time: %w", account, err)
		}
		if details.Valid {
			if e.Details, err = decodeDetails(details.String); err != nil {
				return nil, fmt.Errorf("sqlite: audit of %q: %w", account, err)
			}
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: audit of %q: %w", account, err)
	}
	return events, nil
}

// isUniqueViolation reports whether err is SQLite's complaint about a
// duplicate primary or unique key, by its extended result code.
func isUniqueViolation(err error) bool {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// conflict adds warden.ErrConflict to err when SQLite gave up waiting for
// another connection's lock.
func conflict(err error) error {
	var e *msqlite.Error
	if errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY {
		return fmt.Errorf("%w: %w", warden.ErrConflict, err)
	}
	return err
}
