package iam

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/warden-iam/warden"
)

// pathListing is the input every path-filtered list operation shares.
type pathListing struct {
	action, kind string // e.g. "ListUsers", "user"
	pathPrefix   string
	marker       string
	maxItems     int
}

// listByPath is the common body of ListUsers, ListGroups and ListRoles:
// authorize the action on the kind's ARN, then read one page of the
// account's entities under the path prefix from the store.
func listByPath[T any, P interface {
	*T
	warden.Entity
}, W any](ctx context.Context, s *Service, p *warden.Principal, l pathListing, shape func(*T) W) (list[W], page, error) {
	if err := s.authorize(ctx, p, l.action, arn(p.Account, l.kind, "/", ""), nil); err != nil {
		return nil, page{}, err
	}
	var (
		items []*T
		pg    page
	)
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		items, pg, err = storePage[T, P](ctx, tx, p.Account, l)
		return err
	})
	if err != nil {
		return nil, page{}, err
	}
	out := make(list[W], 0, len(items))
	for _, e := range items {
		out = append(out, shape(e))
	}
	return out, pg, nil
}

// selective reports whether a PathPrefix leaves out some entities: every
// path starts with "/".
func selective(pathPrefix string) bool { return pathPrefix != "" && pathPrefix != "/" }

// storePage reads one page of entities of type T in account under
// l.pathPrefix from the store, starting after the one the marker names, at
// most l.maxItems (default 100). Without a selective path prefix it reads
// the entities in name order by their key; with one, the path index in path
// order, then name. Either way a page reads MaxItems+1 records, however many
// the account holds. A marker that this listing did not hand out is AWS's
// ValidationError "Invalid Marker.".
func storePage[T any, P interface {
	*T
	warden.Entity
}](ctx context.Context, tx warden.Tx, account string, l pathListing) ([]*T, page, error) {
	if selective(l.pathPrefix) {
		return pathPage[T, P](ctx, tx, account, l, nil)
	}
	after := ""
	if l.marker != "" {
		k, ok := openMarker(l.marker, l.action, account, l.pathPrefix)
		if !ok {
			return nil, page{}, invalidMarker()
		}
		after = k
	}
	items, last, more, err := scan[T, P](ctx, tx, account, after, pageSize(l.maxItems), func(*T) bool { return true })
	if err != nil || !more {
		return items, page{}, err
	}
	return items, page{IsTruncated: true, Marker: sealMarker(last, l.action, account, l.pathPrefix)}, nil
}

// pathPage is storePage under a selective path prefix: one page of the
// path index of T's kind (of those keep accepts; nil keeps all). Its marker
// is the index key without the kind, bound to the prefix as one of the path
// index (so a marker of the name-ordered listing is not one of it).
func pathPage[T any, P interface {
	*T
	warden.Entity
}](ctx context.Context, tx warden.Tx, account string, l pathListing, keep func(*T) bool) ([]*T, page, error) {
	kind := string(warden.KindOf(P(new(T))))
	binding := "path index\x00" + l.pathPrefix
	after := ""
	if l.marker != "" {
		k, ok := openMarker(l.marker, l.action, account, binding)
		if !ok {
			return nil, page{}, invalidMarker()
		}
		pos, err := resolvePath(ctx, tx, account, warden.Kind(kind), k)
		if err != nil {
			return nil, page{}, err
		}
		after = warden.IndexKey(kind, pos)
	}
	items, last, more, err := scanIndex[T, P](ctx, tx, warden.KindPathIndex, account,
		warden.IndexKey(kind, l.pathPrefix), after, pageSize(l.maxItems), keep)
	if err != nil || !more {
		return items, page{}, err
	}
	return items, page{IsTruncated: true, Marker: sealMarker(markPath("", strings.TrimPrefix(last, kind+" ")), l.action, account, binding)}, nil
}

func invalidMarker() error { return warden.Errorf(warden.CodeValidationError, "Invalid Marker.") }

// pageSize is MaxItems or its default.
func pageSize(maxItems int) int {
	if maxItems <= 0 {
		return 100
	}
	return maxItems
}

// scan reads up to maxItems entities of type T in account that keep
// accepts, in key order after the key after. last is the key of the last one
// returned and more whether another one follows. It reads maxItems+1 records
// at a time over the primary key, so a page costs the same however many
// entities the account holds when keep accepts them all (no PathPrefix); a
// selective filter reads on until the page is full or the kind runs out.
func scan[T any, P interface {
	*T
	warden.Entity
}](ctx context.Context, tx warden.Tx, account, after string, maxItems int, keep func(*T) bool) (items []*T, last string, more bool, err error) {
	kind := warden.KindOf(P(new(T)))
	var keys []string
	for {
		rs, err := tx.List(ctx, kind, account, "", after, maxItems+1)
		if err != nil {
			return nil, "", false, err
		}
		for _, r := range rs {
			v := new(T)
			if err := json.Unmarshal(r.Data, v); err != nil {
				return nil, "", false, fmt.Errorf("decode %s %q: %w", kind, r.Key, err)
			}
			if keep(v) {
				items = append(items, v)
				keys = append(keys, r.Key)
			}
		}
		if len(items) > maxItems {
			return items[:maxItems], keys[maxItems-1], true, nil
		}
		if len(rs) <= maxItems {
			if len(keys) > 0 {
				last = keys[len(keys)-1]
			}
			return items, last, false, nil
		}
		after = rs[len(rs)-1].Key
	}
}

// scanIndex is scan over an index: up to maxItems entities of type T that
// keep accepts (nil: all), those the index records of kind under prefix
// point to, in index key order after the key after. last is the index key
// of the last one returned. Each round reads maxItems+1 index records and
// loads the entities they name with one GetMany; with keep nil there is one
// round, and the entity after the page is not loaded.
func scanIndex[T any, P interface {
	*T
	warden.Entity
}](ctx context.Context, tx warden.Tx, kind warden.Kind, account, prefix, after string, maxItems int, keep func(*T) bool) (items []*T, last string, more bool, err error) {
	for {
		rs, err := tx.List(ctx, kind, account, prefix, after, maxItems+1)
		if err != nil {
			return nil, "", false, err
		}
		batch := rs
		if keep == nil && len(batch) > maxItems {
			batch = batch[:maxItems]
		}
		vs, err := loadIndexed[T, P](ctx, tx, account, batch)
		if err != nil {
			return nil, "", false, err
		}
		for i, v := range vs {
			if keep != nil && !keep(v) {
				continue
			}
			if len(items) == maxItems {
				return items, last, true, nil
			}
			items, last = append(items, v), batch[i].Key
		}
		if len(rs) <= maxItems {
			return items, last, false, nil
		}
		if keep == nil {
			return items, last, true, nil
		}
		after = rs[len(rs)-1].Key
	}
}

// loadIndexed loads the entities of type T the index records rs point to,
// in their order. An index record without its entity is a broken store, not
// a missing entity.
func loadIndexed[T any, P interface {
	*T
	warden.Entity
}](ctx context.Context, tx warden.Tx, account string, rs []warden.Record) ([]*T, error) {
	keys := make([]string, len(rs))
	for i, r := range rs {
		keys[i] = warden.IndexTarget(r.Key)
	}
	vs, err := warden.LoadMany[T, P](ctx, tx, account, keys)
	if err != nil && len(rs) > 0 {
		return nil, fmt.Errorf("index %s under %q: %w", rs[0].Kind, rs[0].Key, err)
	}
	return vs, err
}

// loadAllIndexed loads every entity of type T that the index records of
// kind under prefix point to, in index key order.
func loadAllIndexed[T any, P interface {
	*T
	warden.Entity
}](ctx context.Context, tx warden.Tx, kind warden.Kind, account, prefix string) ([]*T, error) {
	rs, err := tx.List(ctx, kind, account, prefix, "", 0)
	if err != nil {
		return nil, err
	}
	return loadIndexed[T, P](ctx, tx, account, rs)
}

// markerTagLen is how many bytes of the marker's checksum it carries.
const markerTagLen = 8

// maxMarkerKey is the longest key a marker holds as it is: AWS's model caps
// a Marker at 320 characters, and a marker is the base64 of markerTagLen
// bytes and the key.
const maxMarkerKey = 320/4*3 - markerTagLen - 8 // room for a listing's own prefix ("L")

// markPath is what a marker holds for a position in a path-ordered index:
// head (a fixed part, such as "user ") and tail ("<path> <name key>") as
// they are, or, when a long path makes them too long for a marker, "\x01",
// head and the name key, which resolvePath turns back into a position by
// reading the entity's path.
func markPath(head, tail string) string {
	if len(head)+len(tail) <= maxMarkerKey {
		return head + tail
	}
	return "\x01" + head + warden.IndexTarget(tail)
}

// resolvePath returns the position (head, path, name key) a key from
// markPath names. An entity of kind (or, with a head, of the kind the head
// names) is read when the key holds only its name; when it is gone since,
// the marker is stale: Invalid Marker.
func resolvePath(ctx context.Context, tx warden.Tx, account string, kind warden.Kind, k string) (string, error) {
	rest, short := strings.CutPrefix(k, "\x01")
	if !short {
		return k, nil
	}
	head, name := "", rest
	if i := strings.LastIndexByte(rest, ' '); i >= 0 {
		head, name = rest[:i+1], rest[i+1:]
		kind = warden.Kind(strings.TrimSuffix(head, " "))
	}
	r, err := tx.Get(ctx, kind, account, name)
	if warden.IsNotFound(err) {
		return "", invalidMarker()
	}
	if err != nil {
		return "", err
	}
	var e struct {
		Path string `json:"path"`
	}
	if err := json.Unmarshal(r.Data, &e); err != nil {
		return "", fmt.Errorf("decode %s %q: %w", kind, name, err)
	}
	return head + warden.IndexKey(e.Path, name), nil
}

// sealMarker is the marker of a page that ends with the entity stored under
// key: the key with a checksum that binds it to the listing (action,
// account, path prefix), base64-encoded. Markers are opaque to clients; the
// checksum makes a marker from another listing, a truncated or an edited
// one fail instead of starting somewhere unexpected.
func sealMarker(key, action, account, pathPrefix string) string {
	b := append(markerTag(key, action, account, pathPrefix), key...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// openMarker returns the key a marker sealed for this listing names, and
// false when the marker is not one.
func openMarker(marker, action, account, pathPrefix string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(marker)
	if err != nil || len(b) <= markerTagLen {
		return "", false
	}
	key := string(b[markerTagLen:])
	if !bytes.Equal(b[:markerTagLen], markerTag(key, action, account, pathPrefix)) {
		return "", false
	}
	return key, true
}

// markerKey opens the marker of a listing that pages by the key of the
// entity opening the next page (ListVirtualMFADevices, ListServiceSpecific
// Credentials with AllUsers, ListDelegationRequests): "" without a marker,
// InvalidMarker for one not sealed (sealMarker) for this listing and account
// (a forged or another listing's marker is an error, not a page that starts
// somewhere else). filter is "" for these: their filters page in one order,
// so a marker keeps its place whatever the filter.
func markerKey(marker, action, account, filter string) (string, error) {
	if marker == "" {
		return "", nil
	}
	key, ok := openMarker(marker, action, account, filter)
	if !ok {
		return "", invalidMarker()
	}
	return key, nil
}

// markerEntity returns the entity stored under the key a marker names, to
// open its page, when it is still there and keep takes it.
func markerEntity[T any, P interface {
	*T
	warden.Entity
}](ctx context.Context, tx warden.Tx, account, key string, keep func(P) bool) ([]P, error) {
	e, err := warden.Load[T, P](ctx, tx, account, key)
	switch {
	case err == nil && keep(P(e)):
		return []P{P(e)}, nil
	case err != nil && !warden.IsNotFound(err):
		return nil, err
	}
	return nil, nil
}

func markerTag(key, action, account, pathPrefix string) []byte {
	h := sha256.New()
	for _, s := range []string{"warden marker v1", action, account, pathPrefix, key} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return h.Sum(nil)[:markerTagLen]
}

// shapePage is one page of entities keyed by name, shaped for the wire.
func shapePage[T, W any](items []*T, marker string, maxItems int, pathName func(*T) (string, string), shape func(*T) W) (list[W], page, error) {
	window, pg, err := paginate(items, func(e *T) string {
		_, name := pathName(e)
		return warden.NameKey(name)
	}, marker, maxItems)
	if err != nil {
		return nil, page{}, err
	}
	out := make(list[W], 0, len(window))
	for _, e := range window {
		out = append(out, shape(e))
	}
	return out, pg, nil
}

func groupPathName(g *warden.Group) (string, string) { return g.Path, g.Name }
