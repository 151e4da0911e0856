package warden

import "context"

// Ref names one stored record: what a cache entry was computed from, and what
// a write changed.
type Ref struct {
	Kind    Kind
	Account string
	Key     string
}

// RefOf returns the Ref of an entity.
func RefOf(e Entity) Ref {
	kind, account, key := e.recordID()
	return Ref{Kind: kind, Account: account, Key: key}
}

// Decides reports whether records of kind can change an access decision or
// a credential. Writes of the other kinds (console sessions, sign-in
// counters) are bookkeeping, and index records (see KindPathIndex) only
// mirror the entity records written with them: stores leave them out of the
// change feed, so they never make other nodes drop their caches.
func (k Kind) Decides() bool {
	switch k {
	case KindConsoleSession, KindSignInCounter, KindUsage:
		return false
	}
	return !k.isIndex()
}

type bookkeepingKey struct{}

// Bookkeeping marks the Updates made with ctx as bookkeeping that decides no
// access (the last use of an access key, say): stores leave their writes out
// of the change feed and the generation stays where it is.
func Bookkeeping(ctx context.Context) context.Context {
	return context.WithValue(ctx, bookkeepingKey{}, true)
}

// IsBookkeeping reports whether ctx was marked by Bookkeeping.
func IsBookkeeping(ctx context.Context) bool {
	v, _ := ctx.Value(bookkeepingKey{}).(bool)
	return v
}

// ChangeSet collects the records a transaction wrote, for stores to put in
// their change feed. The zero value is ready to use.
type ChangeSet struct {
	refs []Ref
	seen map[Ref]struct{}
}

// Add notes that r was written, once however often.
func (c *ChangeSet) Add(kind Kind, account, key string) {
	if !kind.Decides() {
		return
	}
	r := Ref{Kind: kind, Account: account, Key: key}
	if _, ok := c.seen[r]; ok {
		return
	}
	if c.seen == nil {
		c.seen = map[Ref]struct{}{}
	}
	c.seen[r] = struct{}{}
	c.refs = append(c.refs, r)
}

// Refs returns the records noted, in the order first written.
func (c *ChangeSet) Refs() []Ref { return c.refs }

// Changes is one read of a store's change feed.
type Changes struct {
	// Refs are the records changed by the Updates committed after the
	// generation asked about, up to Generation.
	Refs []Ref
	// Generation is the generation the changes reach.
	Generation int64
	// Complete is false when the feed no longer reaches back to the
	// generation asked about (old entries are pruned) or there were more
	// changes than asked for: the caller must assume anything changed.
	Complete bool
}

// Notifier is implemented by stores that can tell a process at once when
// another one committed a change (PostgreSQL's LISTEN/NOTIFY).
type Notifier interface {
	// Listen calls fn after every change another process commits, and
	// also now and then without one, until ctx ends or the connection
	// fails; it returns why it stopped.
	Listen(ctx context.Context, fn func()) error
}
