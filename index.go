package warden

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
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
//	userid              <unique id> <name key>             (user)
//	servicecreduser     <service> <service user> <owned key> (service-specific credential)
//	servicecredservice  <service> <owned key>              (service-specific credential)
//	signingcertfp       <fingerprint> <owned key>          (signing certificate)
//	delegationowner     <owner account> <owner ARN | "any"> <request id>
//	delegationworkflow  <requestor account> <workflow hash> <request id>
//	delegationexpiry    <expiry> <request id>
//	noticetopic         <topic hash> <notice key>          (delegation notice)
//	mfaassignment       <"Assigned" | "Unassigned"> <device key> (virtual MFA device)
//
// usage is "any", "policy" (attached) or "boundary" (the permissions
// boundary); type is "group", "role" or "user". attachment lists in name
// order, attachmentpath in path order, for a PathPrefix. A customer managed
// policy has an attachedpolicy record (and an attachedpolicypath one) for
// usage "any" while it is attached or a boundary anywhere, "policy" while
// its AttachmentCount is above zero and "boundary" while its BoundaryCount
// is: ListPolicies with OnlyAttached reads them.
//
// The lookup indexes find one record by something other than its key: a
// user by its unique ID (a user without one has none), a service-specific
// credential by its service name and service user name (both generated
// without spaces: an IAM user name or NewID characters and the account ID),
// a signing certificate by its fingerprint (hex), and the delegation
// requests, global records, by their owner account
// (once claimed: "any" and the owner's ARN, which has no space), by the
// requestor account and the SHA-256 (hex) of the workflow ID (free text,
// possibly with spaces and up to 2 KiB, so hashed to a bounded field) and by
// expiry, the wall-clock second of Expires as JSON stores it
// ("2006-01-02T15:04:05", UTC as iam writes it), oldest first. The
// delegation index records are global too (account ""), as their requests.
// A delegation notice is found by the SHA-256 of its topic ARN (which
// Warden does not check beyond its account), oldest first.
//
// Two filters of listings have records of their own, so that a filter few
// records match reads a page of those and not the account:
// ListServiceSpecificCredentials with AllUsers and a ServiceName reads
// servicecredservice, in owned-key order as the credentials are stored;
// ListVirtualMFADevices with an AssignmentStatus reads mfaassignment, in
// device-key order as the devices are stored (neither an MFA path nor a
// device name has a space), so a page and its marker are those of the
// unfiltered order.
//
// Index kinds decide nothing: the entity record they come from changes in
// the same write.
const (
	KindPathIndex      Kind = "path"
	KindGroupMember    Kind = "groupmember"
	KindRoleProfile    Kind = "roleprofile"
	KindAttachment     Kind = "attachment"
	KindAttachmentPath Kind = "attachmentpath"

	KindAttachedPolicy     Kind = "attachedpolicy"
	KindAttachedPolicyPath Kind = "attachedpolicypath"

	KindUserID             Kind = "userid"
	KindServiceCredUser    Kind = "servicecreduser"
	KindSigningCertFP      Kind = "signingcertfp"
	KindDelegationOwner    Kind = "delegationowner"
	KindDelegationWorkflow Kind = "delegationworkflow"
	KindDelegationExpiry   Kind = "delegationexpiry"
	KindNoticeTopic        Kind = "noticetopic"

	KindServiceCredService Kind = "servicecredservice"
	KindMFAAssignment      Kind = "mfaassignment"
)

// The assignment fields of mfaassignment keys: the AssignmentStatus values
// of ListVirtualMFADevices that filter.
const (
	MFAAssigned   = "Assigned"
	MFAUnassigned = "Unassigned"
)

// DelegationOwnerAny is the owner-ARN field of the delegationowner record
// every claimed request has besides the one with its owner's ARN.
const DelegationOwnerAny = "any"

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
		KindAttachedPolicy, KindAttachedPolicyPath,
		KindUserID, KindServiceCredUser, KindSigningCertFP, KindDelegationOwner, KindDelegationWorkflow, KindDelegationExpiry,
		KindNoticeTopic, KindServiceCredService, KindMFAAssignment:
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
	if u.ID != "" {
		refs = append(refs, Ref{Kind: KindUserID, Account: u.Account, Key: IndexKey(u.ID, NameKey(u.Name))})
	}
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

func (c *ServiceCredential) indexRefs() []Ref {
	key := OwnedKey(c.Owner, c.ID)
	return []Ref{
		{Kind: KindServiceCredUser, Account: c.Account, Key: IndexKey(c.ServiceName, c.ServiceUser, key)},
		{Kind: KindServiceCredService, Account: c.Account, Key: IndexKey(c.ServiceName, key)},
	}
}

func (d *MFADevice) indexRefs() []Ref {
	_, account, key := d.recordID()
	return []Ref{{Kind: KindMFAAssignment, Account: account, Key: IndexKey(MFAAssignment(d), key)}}
}

// MFAAssignment is the assignment field of d's mfaassignment key:
// MFAAssigned while it is enabled for a user or the root user.
func MFAAssignment(d *MFADevice) string {
	if d.Assigned() {
		return MFAAssigned
	}
	return MFAUnassigned
}

func (c *SigningCertificate) indexRefs() []Ref {
	if c.Fingerprint == "" {
		return nil
	}
	return []Ref{{Kind: KindSigningCertFP, Account: c.Account, Key: IndexKey(c.Fingerprint, OwnedKey(c.Owner, c.ID))}}
}

func (d *DelegationRequest) indexRefs() []Ref {
	refs := []Ref{
		{Kind: KindDelegationWorkflow, Key: IndexKey(d.RequestorAccount, IndexHash(d.WorkflowID), d.ID)},
		{Kind: KindDelegationExpiry, Key: IndexKey(DelegationExpiryKey(d.Expires), d.ID)},
	}
	if d.OwnerAccount != "" && d.OwnerARN != "" {
		refs = append(refs,
			Ref{Kind: KindDelegationOwner, Key: IndexKey(d.OwnerAccount, DelegationOwnerAny, d.ID)},
			Ref{Kind: KindDelegationOwner, Key: IndexKey(d.OwnerAccount, d.OwnerARN, d.ID)})
	}
	return refs
}

func (n *DelegationNotice) indexRefs() []Ref {
	_, account, key := n.recordID()
	return []Ref{{Kind: KindNoticeTopic, Account: account, Key: IndexKey(IndexHash(n.Topic), key)}}
}

// IndexHash is the field free text has in an index key (a workflow ID, a
// topic ARN): the hex SHA-256 of the string as its JSON encoding keeps it
// (invalid UTF-8 replaced, as json.Marshal does), so the key computed from
// an entity in memory is the one computed from its stored record and by
// the migrations, and a field of bounded length without spaces.
func IndexHash(text string) string {
	if !utf8.ValidString(text) {
		b, _ := json.Marshal(text)
		_ = json.Unmarshal(b, &text)
	}
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// DelegationExpiryKey is the field an expiry has in delegationexpiry keys:
// its wall-clock second in the time's own zone, the first 19 characters of
// its JSON encoding. Keys sort by time for times in one zone (iam stores
// UTC).
func DelegationExpiryKey(t time.Time) string { return t.Format("2006-01-02T15:04:05") }

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
	case KindServiceCredential:
		e = new(ServiceCredential)
	case KindSigningCertificate:
		e = new(SigningCertificate)
	case KindDelegationRequest:
		e = new(DelegationRequest)
	case KindDelegationNotice:
		e = new(DelegationNotice)
	case KindMFADevice:
		e = new(MFADevice)
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
