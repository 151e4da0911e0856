package warden

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind names a collection of stored records.
type Kind string

// The kinds of record Warden stores. Global kinds (AccessKey, Alias,
// Account) use the empty account.
const (
	KindAccount         Kind = "account"
	KindUser            Kind = "user"
	KindGroup           Kind = "group"
	KindPolicy          Kind = "policy"
	KindAccessKey       Kind = "accesskey"
	KindAlias           Kind = "alias"
	KindMFADevice       Kind = "mfa"
	KindRole            Kind = "role"
	KindInstanceProfile Kind = "instanceprofile"
	KindCounter         Kind = "counter" // used by the conformance suite
)

// Record is one stored entity: its JSON encoding under (Kind, Account, Key).
// Key is unique within (Kind, Account); names are stored lower-cased so that
// uniqueness is case-insensitive, as in IAM.
type Record struct {
	Kind    Kind
	Account string
	Key     string
	Data    []byte
}

// Tx is a transaction. Its methods return ErrNotFound and ErrAlreadyExists
// as documented; any other error is a storage failure.
type Tx interface {
	// Get returns the record or ErrNotFound.
	Get(ctx context.Context, kind Kind, account, key string) (Record, error)
	// GetMany returns the records of kind in account stored under keys, in
	// the order of keys, leaving out the keys with none: one query for a
	// page of entities an index names.
	GetMany(ctx context.Context, kind Kind, account string, keys []string) ([]Record, error)
	// Insert adds a new record or returns ErrAlreadyExists.
	Insert(ctx context.Context, r Record) error
	// Replace overwrites an existing record or returns ErrNotFound.
	Replace(ctx context.Context, r Record) error
	// Delete removes a record or returns ErrNotFound.
	Delete(ctx context.Context, kind Kind, account, key string) error
	// List returns up to limit records of kind in account whose key is
	// greater than after and starts with prefix, ordered by key. limit <= 0
	// means no limit.
	List(ctx context.Context, kind Kind, account, prefix, after string, limit int) ([]Record, error)
	// Count returns how many records of kind account holds.
	Count(ctx context.Context, kind Kind, account string) (int, error)
	// CountSet returns how many records of kind in account have a non-empty
	// string in the top-level field of their JSON encoding; counted by the
	// database, without reading the records out.
	CountSet(ctx context.Context, kind Kind, account, field string) (int, error)
	// SumLen returns the sum over the records of kind in account of the
	// length of the JSON array in the top-level field (a missing field or
	// null counts 0).
	SumLen(ctx context.Context, kind Kind, account, field string) (int, error)
	// AppendAudit records an audit event in the same transaction.
	AppendAudit(ctx context.Context, e AuditEvent) error
}

// Store is Warden's storage. Update runs fn in a serializable read-write
// transaction and commits when fn returns nil; fn may run more than once when
// the store must retry a conflicting transaction, so it must have no effects
// outside tx. View runs fn in a read-only transaction.
type Store interface {
	View(ctx context.Context, fn func(Tx) error) error
	Update(ctx context.Context, fn func(Tx) error) error
	// Audit returns audit events of account, newest first, up to limit
	// (limit <= 0: all).
	Audit(ctx context.Context, account string, limit int) ([]AuditEvent, error)
	// Generation returns a number that grows with every committed Update
	// that wrote a record that decides access (see Kind.Decides and
	// Bookkeeping; read-only Updates and audit events leave it alone), so
	// caches of the store's contents (the authorization snapshot) can tell
	// when they are stale, also when other nodes write.
	Generation(ctx context.Context) (int64, error)
	// ChangesSince returns the records changed by the Updates committed
	// after generation after, at most limit of them: the change feed that
	// lets a node drop just what another node's writes made stale.
	ChangesSince(ctx context.Context, after int64, limit int) (Changes, error)
	Close() error
}

// AuditEvent is one entry of the audit trail.
type AuditEvent struct {
	Time      time.Time         `json:"time"`
	Account   string            `json:"account"`
	RequestID string            `json:"requestId,omitempty"`
	Actor     string            `json:"actor,omitempty"` // ARN of the caller
	Action    string            `json:"action"`          // e.g. iam:CreateUser, signin:ConsoleLogin
	Resource  string            `json:"resource,omitempty"`
	SourceIP  string            `json:"sourceIp,omitempty"`
	UserAgent string            `json:"userAgent,omitempty"`
	Outcome   string            `json:"outcome"` // Success or Failure
	Details   map[string]string `json:"details,omitempty"`
}

// Entity is implemented by every stored domain type.
type Entity interface {
	recordID() (kind Kind, account, key string)
}

// NameKey is the storage key of an IAM name: names are unique regardless of case.
func NameKey(name string) string { return strings.ToLower(name) }

// Load reads the entity of type T stored under (account, key). It returns
// ErrNotFound when there is none.
func Load[T any, P interface {
	*T
	Entity
}](ctx context.Context, tx Tx, account, key string) (*T, error) {
	var zero T
	kind, _, _ := P(&zero).recordID()
	r, err := tx.Get(ctx, kind, account, key)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(r.Data, v); err != nil {
		return nil, fmt.Errorf("decode %s %q: %w", kind, key, err)
	}
	return v, nil
}

// LoadMany reads the entities of type T stored under keys in account, in
// the order of keys, with one GetMany. It returns an error wrapping
// ErrNotFound when one of them is missing.
func LoadMany[T any, P interface {
	*T
	Entity
}](ctx context.Context, tx Tx, account string, keys []string) ([]*T, error) {
	return loadMany[T, P](ctx, tx, account, keys, false)
}

// LoadPresent is LoadMany leaving out the keys under which nothing is
// stored (a user deleted since another record named it).
func LoadPresent[T any, P interface {
	*T
	Entity
}](ctx context.Context, tx Tx, account string, keys []string) ([]*T, error) {
	return loadMany[T, P](ctx, tx, account, keys, true)
}

func loadMany[T any, P interface {
	*T
	Entity
}](ctx context.Context, tx Tx, account string, keys []string, missingOK bool) ([]*T, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var zero T
	kind, _, _ := P(&zero).recordID()
	rs, err := tx.GetMany(ctx, kind, account, keys)
	if err != nil {
		return nil, err
	}
	if !missingOK {
		for i, key := range keys {
			if i >= len(rs) || rs[i].Key != key {
				return nil, fmt.Errorf("load %s %q: %w", kind, key, ErrNotFound)
			}
		}
	}
	out := make([]*T, 0, len(rs))
	for _, r := range rs {
		v := new(T)
		if err := json.Unmarshal(r.Data, v); err != nil {
			return nil, fmt.Errorf("decode %s %q: %w", kind, r.Key, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// LoadAll lists entities of type T in account whose key starts with prefix,
// in key order, starting after the key after, at most limit (<= 0: all).
func LoadAll[T any, P interface {
	*T
	Entity
}](ctx context.Context, tx Tx, account, prefix, after string, limit int) ([]*T, error) {
	var zero T
	kind, _, _ := P(&zero).recordID()
	rs, err := tx.List(ctx, kind, account, prefix, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(rs))
	for _, r := range rs {
		v := new(T)
		if err := json.Unmarshal(r.Data, v); err != nil {
			return nil, fmt.Errorf("decode %s %q: %w", kind, r.Key, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func record(e Entity) (Record, error) {
	kind, account, key := e.recordID()
	data, err := json.Marshal(e)
	if err != nil {
		return Record{}, err
	}
	return Record{Kind: kind, Account: account, Key: key, Data: data}, nil
}

// Insert stores a new entity or returns ErrAlreadyExists, with its index
// records.
func Insert(ctx context.Context, tx Tx, e Entity) error {
	r, err := record(e)
	if err != nil {
		return err
	}
	if err := tx.Insert(ctx, r); err != nil {
		return err
	}
	if ix, ok := e.(indexed); ok {
		return reindex(ctx, tx, nil, sortedRefs(ix.indexRefs()))
	}
	return nil
}

// Save overwrites an existing entity or returns ErrNotFound. The index
// records of the stored version give way to those of e.
func Save(ctx context.Context, tx Tx, e Entity) error {
	r, err := record(e)
	if err != nil {
		return err
	}
	ix, ok := e.(indexed)
	if !ok {
		return tx.Replace(ctx, r)
	}
	old, err := storedIndexRefs(ctx, tx, r.Kind, r.Account, r.Key)
	if err != nil {
		return err
	}
	if err := tx.Replace(ctx, r); err != nil {
		return err
	}
	return reindex(ctx, tx, old, sortedRefs(ix.indexRefs()))
}

// Remove deletes an entity, with the index records of its stored version,
// or returns ErrNotFound.
func Remove(ctx context.Context, tx Tx, e Entity) error {
	kind, account, key := e.recordID()
	if _, ok := e.(indexed); !ok {
		return tx.Delete(ctx, kind, account, key)
	}
	old, err := storedIndexRefs(ctx, tx, kind, account, key)
	if err != nil {
		return err
	}
	if err := tx.Delete(ctx, kind, account, key); err != nil {
		return err
	}
	return reindex(ctx, tx, old, nil)
}

// IsNotFound reports whether err is ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// KindOf returns the kind of record e is stored as.
func KindOf(e Entity) Kind {
	kind, _, _ := e.recordID()
	return kind
}
