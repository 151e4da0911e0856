package warden

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Index records let a listing read one page by key however large the
// account: the members of a group, the entities a policy is attached to,
// the instance profiles that hold a role, and the entities under a path
// prefix. Insert, Save and Remove keep them in step with the entities in the
// same transaction, so no operation has to remember them. They hold no data
// of their own (Data is "{}"): the key says everything, its fields separated
// by single spaces (no IAM name, path or ARN contains a space), and its last
// field is the key of the entity it points to.
//
//	path            <kind> <path> <name key>               (user, group, role, instanceprofile, policy)
//	groupmember     <group key> <user key>
//	roleprofile     <role key> <instance profile key>
//	attachment      <policy ARN> <usage> <type> <name key>
//	attachmentpath  <policy ARN> <usage> <type> <path> <name key>
//	attachedpolicy      <usage> <name key>                 (customer managed policy in use)
//	attachedpolicypath  <usage> <path> <name key>
//
// usage is "any", "policy" (attached) or "boundary" (the permissions
// boundary); type is "group", "role" or "user". attachment lists in name
// order, attachmentpath in path order, for a PathPrefix. A customer managed
// policy has an attachedpolicy record (and an attachedpolicypath one) for
// usage "any" while it is attached or a boundary anywhere, "policy" while
// its AttachmentCount is above zero and "boundary" while its BoundaryCount
// is: ListPolicies with OnlyAttached reads them. Index kinds decide
// nothing: the entity record they come from changes in the same write.
const (
	KindPathIndex      Kind = "path"
	KindGroupMember    Kind = "groupmember"
	KindRoleProfile    Kind = "roleprofile"
	KindAttachment     Kind = "attachment"
	KindAttachmentPath Kind = "attachmentpath"

	KindAttachedPolicy     Kind = "attachedpolicy"
	KindAttachedPolicyPath Kind = "attachedpolicypath"
)

// The usages of an attachment index record.
const (
	UsageAny      = "any"
	UsagePolicy   = "policy"
	UsageBoundary = "boundary"
)

// indexData is the Data of every index record.
var indexData = []byte("{}")

// isIndex reports whether records of kind are index records.
func (k Kind) isIndex() bool {
	switch k {
	case KindPathIndex, KindGroupMember, KindRoleProfile, KindAttachment, KindAttachmentPath,
		KindAttachedPolicy, KindAttachedPolicyPath:
		return true
	}
	return false
}

// IndexKey joins the fields of an index key.
func IndexKey(fields ...string) string { return strings.Join(fields, " ") }

// IndexTarget returns the entity key an index key points to: its last field.
func IndexTarget(key string) string {
	return key[strings.LastIndexByte(key, ' ')+1:]
}

// indexed is implemented by the entities that have index records.
type indexed interface {
	Entity
	indexRefs() []Ref
}

func pathRef(kind Kind, account, path, name string) Ref {
	return Ref{Kind: KindPathIndex, Account: account, Key: IndexKey(string(kind), path, NameKey(name))}
}

// attachmentRefs are the attachment index records of one entity.
func attachmentRefs(account, typ, path, name string, attached []string, boundary string) []Ref {
	key := NameKey(name)
	var refs []Ref
	add := func(policyARN, usage string) {
		refs = append(refs,
			Ref{Kind: KindAttachment, Account: account, Key: IndexKey(policyARN, usage, typ, key)},
			Ref{Kind: KindAttachmentPath, Account: account, Key: IndexKey(policyARN, usage, typ, path, key)})
	}
	for _, a := range attached {
		add(a, UsagePolicy)
		add(a, UsageAny)
	}
	if boundary != "" {
		add(boundary, UsageBoundary)
		add(boundary, UsageAny)
	}
	return refs
}

func (u *User) indexRefs() []Ref {
	refs := []Ref{pathRef(KindUser, u.Account, u.Path, u.Name)}
	for _, g := range u.Groups {
		refs = append(refs, Ref{Kind: KindGroupMember, Account: u.Account, Key: IndexKey(NameKey(g), NameKey(u.Name))})
	}
	return append(refs, attachmentRefs(u.Account, "user", u.Path, u.Name, u.AttachedPolicies, u.PermissionsBoundary)...)
}

func (g *Group) indexRefs() []Ref {
	refs := []Ref{pathRef(KindGroup, g.Account, g.Path, g.Name)}
	return append(refs, attachmentRefs(g.Account, "group", g.Path, g.Name, g.AttachedPolicies, "")...)
}

func (r *Role) indexRefs() []Ref {
	refs := []Ref{pathRef(KindRole, r.Account, r.Path, r.Name)}
	return append(refs, attachmentRefs(r.Account, "role", r.Path, r.Name, r.AttachedPolicies, r.PermissionsBoundary)...)
}

func (p *InstanceProfile) indexRefs() []Ref {
	refs := []Ref{pathRef(KindInstanceProfile, p.Account, p.Path, p.Name)}
	for _, r := range p.Roles {
		refs = append(refs, Ref{Kind: KindRoleProfile, Account: p.Account, Key: IndexKey(NameKey(r), NameKey(p.Name))})
	}
	return refs
}

func (p *ManagedPolicy) indexRefs() []Ref {
	refs := []Ref{pathRef(KindPolicy, p.Account, p.Path, p.Name)}
	key := NameKey(p.Name)
	add := func(usage string) {
		refs = append(refs,
			Ref{Kind: KindAttachedPolicy, Account: p.Account, Key: IndexKey(usage, key)},
			Ref{Kind: KindAttachedPolicyPath, Account: p.Account, Key: IndexKey(usage, p.Path, key)})
	}
	if p.AttachmentCount > 0 || p.BoundaryCount > 0 {
		add(UsageAny)
	}
	if p.AttachmentCount > 0 {
		add(UsagePolicy)
	}
	if p.BoundaryCount > 0 {
		add(UsageBoundary)
	}
	return refs
}

// IndexRefs returns the index records the stored record r implies, sorted
// and without repeats; none for a kind without indexes. Stores' migrations
// build the same records in SQL, and their tests compare against this.
func IndexRefs(r Record) ([]Ref, error) {
	var e indexed
	switch r.Kind {
	case KindUser:
		e = new(User)
	case KindGroup:
		e = new(Group)
	case KindRole:
		e = new(Role)
	case KindInstanceProfile:
		e = new(InstanceProfile)
	case KindPolicy:
		e = new(ManagedPolicy)
	default:
		return nil, nil
	}
	if err := json.Unmarshal(r.Data, e); err != nil {
		return nil, fmt.Errorf("decode %s %q: %w", r.Kind, r.Key, err)
	}
	return sortedRefs(e.indexRefs()), nil
}

func sortedRefs(refs []Ref) []Ref {
	slices.SortFunc(refs, compareRefs)
	return slices.Compact(refs)
}

func compareRefs(a, b Ref) int {
	if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
		return c
	}
	if c := strings.Compare(a.Account, b.Account); c != 0 {
		return c
	}
	return strings.Compare(a.Key, b.Key)
}

// reindex moves the index records of one entity from old to new (both
// sorted, as sortedRefs returns them): it deletes those only in old and
// inserts those only in new.
func reindex(ctx context.Context, tx Tx, old, new []Ref) error {
	i, j := 0, 0
	for i < len(old) || j < len(new) {
		var c int
		switch {
		case i == len(old):
			c = 1
		case j == len(new):
			c = -1
		default:
			c = compareRefs(old[i], new[j])
		}
		switch {
		case c < 0:
			r := old[i]
			if err := tx.Delete(ctx, r.Kind, r.Account, r.Key); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			i++
		case c > 0:
			r := new[j]
			err := tx.Insert(ctx, Record{Kind: r.Kind, Account: r.Account, Key: r.Key, Data: indexData})
			if err != nil && !errors.Is(err, ErrAlreadyExists) {
				return err
			}
			j++
		default:
			i++
			j++
		}
	}
	return nil
}

// storedIndexRefs returns the index records of the entity stored under
// (kind, account, key), and ErrNotFound when there is none.
func storedIndexRefs(ctx context.Context, tx Tx, kind Kind, account, key string) ([]Ref, error) {
	r, err := tx.Get(ctx, kind, account, key)
	if err != nil {
		return nil, err
	}
	return IndexRefs(r)
}
