package authz

import (
	"sync"

	"github.com/warden-iam/warden"
)

// Cache keeps values computed from stored records, each until one of the
// records it was computed from changes: a write drops exactly the entries
// that read what it wrote, so unrelated writes (another account, another
// user) leave warm entries warm. It is safe for concurrent use.
//
// A value is computed outside the lock from a read of the store, while
// writes may commit; Put refuses a value when one of its records changed
// since the Epoch taken before the read began, so a stale value is never
// kept.
type Cache[V any] struct {
	mu      sync.RWMutex
	max     int
	entries map[string]cached[V]
	// deps maps a record to the keys of the entries computed from it. It
	// may name keys whose entries are gone: dropping those again is
	// harmless.
	deps map[warden.Ref]map[string]struct{}

	epoch  uint64
	recent [recentBatches]invalidation
}

type cached[V any] struct {
	v    V
	refs []warden.Ref
}

// recentBatches is how many invalidations Put can look back over; a value
// whose computation overlapped more of them is not kept.
const recentBatches = 64

type invalidation struct {
	epoch uint64
	all   bool
	refs  map[warden.Ref]struct{}
}

// NewCache returns a Cache of at most max entries; past it, it starts over.
func NewCache[V any](max int) *Cache[V] {
	return &Cache[V]{max: max, entries: map[string]cached[V]{}, deps: map[warden.Ref]map[string]struct{}{}}
}

// Get returns the value under key.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	return e.v, ok
}

// Epoch returns the point in the cache's history to pass to Put for a value
// about to be computed.
func (c *Cache[V]) Epoch() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.epoch
}

// Put keeps v under key, computed from the records refs as they were at
// epoch, unless one of them changed since.
func (c *Cache[V]) Put(key string, v V, refs []warden.Ref, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.unchangedSince(epoch, refs) {
		return
	}
	if len(c.entries) >= c.max {
		clear(c.entries)
		clear(c.deps)
	}
	c.entries[key] = cached[V]{v: v, refs: refs}
	for _, r := range refs {
		keys := c.deps[r]
		if keys == nil {
			keys = map[string]struct{}{}
			c.deps[r] = keys
		}
		keys[key] = struct{}{}
	}
}

func (c *Cache[V]) unchangedSince(epoch uint64, refs []warden.Ref) bool {
	if c.epoch == epoch {
		return true
	}
	if c.epoch-epoch > recentBatches {
		return false
	}
	for e := epoch + 1; e <= c.epoch; e++ {
		inv := &c.recent[e%recentBatches]
		if inv.all {
			return false
		}
		for _, r := range refs {
			if _, ok := inv.refs[r]; ok {
				return false
			}
		}
	}
	return true
}

// Invalidate drops the entries computed from any of refs.
func (c *Cache[V]) Invalidate(refs []warden.Ref) {
	if len(refs) == 0 {
		return
	}
	set := make(map[warden.Ref]struct{}, len(refs))
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range refs {
		set[r] = struct{}{}
		for key := range c.deps[r] {
			c.drop(key)
		}
		delete(c.deps, r)
	}
	c.epoch++
	c.recent[c.epoch%recentBatches] = invalidation{epoch: c.epoch, refs: set}
}

func (c *Cache[V]) drop(key string) {
	e, ok := c.entries[key]
	if !ok {
		return
	}
	delete(c.entries, key)
	for _, r := range e.refs {
		if keys := c.deps[r]; keys != nil {
			delete(keys, key)
			if len(keys) == 0 {
				delete(c.deps, r)
			}
		}
	}
}

// Clear drops every entry: for when what changed is not known.
func (c *Cache[V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	clear(c.deps)
	c.epoch++
	c.recent[c.epoch%recentBatches] = invalidation{epoch: c.epoch, all: true}
}

// Len returns the number of entries.
func (c *Cache[V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
