package sigv4

import (
	"crypto/sha256"
	"sync"
)

const defaultKeyCacheSize = 4096

// KeyCache caches derived signing keys by secret, date, region and service, so
// that verifying with a warm cache skips the four HMAC steps of key derivation.
// It is safe for concurrent use and holds at most its size in entries. Entries
// are indexed by a SHA-256 digest of their inputs: the cache never holds a secret
// in clear. The zero value is ready to use with the default size.
type KeyCache struct {
	mu   sync.Mutex
	half int
	// Two generations: new keys go to cur; when cur is full it becomes old and the
	// previous old is dropped. A hit in old is copied to cur, so keys in use
	// survive while unused ones age out, at the cost of one map per generation.
	cur, old map[[sha256.Size]byte][sha256.Size]byte
}

// NewKeyCache returns a cache holding up to size signing keys (4096 when size is
// zero or negative).
func NewKeyCache(size int) *KeyCache {
	if size <= 0 {
		size = defaultKeyCacheSize
	}
	return &KeyCache{half: max(size/2, 1)}
}

func (c *KeyCache) get(id [sha256.Size]byte) ([sha256.Size]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.cur[id]; ok {
		return k, true
	}
	k, ok := c.old[id]
	if ok {
		c.store(id, k)
	}
	return k, ok
}

func (c *KeyCache) put(id, key [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store(id, key)
}

func (c *KeyCache) store(id, key [sha256.Size]byte) {
	if c.half <= 0 {
		c.half = defaultKeyCacheSize / 2
	}
	if c.cur == nil || len(c.cur) >= c.half {
		c.old, c.cur = c.cur, make(map[[sha256.Size]byte][sha256.Size]byte, c.half)
	}
	c.cur[id] = key
}

// len reports the number of distinct keys held, for tests.
func (c *KeyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.cur)
	for id := range c.old {
		if _, ok := c.cur[id]; !ok {
			n++
		}
	}
	return n
}
