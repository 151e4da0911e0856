package policy

import "strings"

// Context holds the request's condition keys and their values (aws:username,
// aws:SourceIp, aws:PrincipalTag/team, iam:PermissionsBoundary, ...). Keys are
// case-insensitive, as IAM condition keys are; a key may hold several values
// (aws:TagKeys). Lookups never allocate. The zero Context is empty and ready
// to use. A Context must not be modified while Evaluate reads it.
type Context struct {
	entries []entry
}

type entry struct {
	key   string // lower case
	one   [1]string
	many  []string
	multi bool
}

func (e *entry) values() []string {
	if e.multi {
		return e.many
	}
	return e.one[:]
}

// Set gives key the single value v, replacing any values it had.
func (c *Context) Set(key, v string) {
	e := c.find(key, true)
	e.one[0], e.many, e.multi = v, nil, false
}

// SetValues gives key the values vs (possibly none: a present but empty
// multi-valued key), replacing any values it had. Context keeps vs.
func (c *Context) SetValues(key string, vs []string) {
	e := c.find(key, true)
	e.one[0], e.many, e.multi = "", vs, true
}

// Add appends v to the values of key, creating the key if needed.
func (c *Context) Add(key, v string) {
	if e := c.find(key, false); e != nil {
		vs := e.values()
		e.many = append(vs[:len(vs):len(vs)], v)
		e.one[0], e.multi = "", true
		return
	}
	c.Set(key, v)
}

// Get returns the values of key and whether the key is present.
func (c *Context) Get(key string) ([]string, bool) {
	if vs, ok := c.lookup(key); ok {
		return vs, true
	}
	for i := 0; i < len(key); i++ {
		if b := key[i]; 'A' <= b && b <= 'Z' || b >= 0x80 {
			for i := range c.entries {
				if strings.EqualFold(c.entries[i].key, key) {
					return c.entries[i].values(), true
				}
			}
			break
		}
	}
	return nil, false
}

// lookup finds a key that is already in lower case, as compiled policies
// hold them.
func (c *Context) lookup(key string) ([]string, bool) {
	for i := range c.entries {
		if c.entries[i].key == key {
			return c.entries[i].values(), true
		}
	}
	return nil, false
}

// Delete removes key.
func (c *Context) Delete(key string) {
	for i := range c.entries {
		if strings.EqualFold(c.entries[i].key, key) {
			c.entries = append(c.entries[:i], c.entries[i+1:]...)
			return
		}
	}
}

// Reset removes every key but keeps the memory for reuse.
func (c *Context) Reset() { c.entries = c.entries[:0] }

// Len is the number of keys.
func (c *Context) Len() int { return len(c.entries) }

// Keys returns the keys in lower case, in the order they were first set.
func (c *Context) Keys() []string {
	keys := make([]string, len(c.entries))
	for i := range c.entries {
		keys[i] = c.entries[i].key
	}
	return keys
}

func (c *Context) find(key string, create bool) *entry {
	key = strings.ToLower(key)
	for i := range c.entries {
		if c.entries[i].key == key {
			return &c.entries[i]
		}
	}
	if !create {
		return nil
	}
	c.entries = append(c.entries, entry{key: key})
	return &c.entries[len(c.entries)-1]
}
