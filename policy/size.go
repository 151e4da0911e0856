package policy

import (
	"strconv"
	"unicode/utf8"
)

// Size quotas of IAM and STS, in characters not counting white space, as AWS
// counts them.
const (
	// ManagedPolicySizeLimit bounds a managed policy (and so a permissions
	// boundary).
	ManagedPolicySizeLimit = 6144
	// UserInlineSizeLimit bounds all inline policies of a user together.
	UserInlineSizeLimit = 2048
	// GroupInlineSizeLimit bounds all inline policies of a group together.
	GroupInlineSizeLimit = 5120
	// RoleInlineSizeLimit bounds all inline policies of a role together.
	RoleInlineSizeLimit = 10240
	// TrustPolicySizeLimit is the default bound of a role trust policy.
	TrustPolicySizeLimit = 2048
	// SessionPolicySizeLimit bounds the plaintext of session policies.
	SessionPolicySizeLimit = 2048
)

// Size is the length of doc as AWS counts it against the quotas: characters
// (not bytes) other than white space (space, tab, line feed, carriage
// return).
func Size(doc []byte) int {
	n := 0
	for len(doc) > 0 {
		r, w := utf8.DecodeRune(doc)
		doc = doc[w:]
		switch r {
		case ' ', '\t', '\n', '\r':
			continue
		}
		n++
	}
	return n
}

// CheckSize checks doc against the quota of a single document of the given
// kind and returns *Error with AWS's LimitExceeded message when it is over:
// "Cannot exceed quota for PolicySize: 6144" for Identity and Boundary (the
// managed policy quota), "Cannot exceed quota for ACLSizePerRole: 2048" for
// Trust, and the STS length message for Session. Resource policies have no
// IAM quota (each service sets its own), so CheckSize accepts them. Inline
// policies count against their entity's aggregate quota instead: see
// CheckInlineSize.
func CheckSize(doc []byte, kind Kind) error {
	switch kind {
	case Identity, Boundary, Managed:
		if Size(doc) > ManagedPolicySizeLimit {
			return errorf("Cannot exceed quota for PolicySize: " + strconv.Itoa(ManagedPolicySizeLimit))
		}
	case Trust:
		if Size(doc) > TrustPolicySizeLimit {
			return errorf("Cannot exceed quota for ACLSizePerRole: " + strconv.Itoa(TrustPolicySizeLimit))
		}
	case Session:
		if Size(doc) > SessionPolicySizeLimit {
			return errorf("Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to " + strconv.Itoa(SessionPolicySizeLimit))
		}
	}
	return nil
}

// Owner is the kind of entity that holds inline policies.
type Owner uint8

// Owners of inline policies.
const (
	OwnerUser Owner = iota + 1
	OwnerGroup
	OwnerRole
)

func (o Owner) String() string {
	switch o {
	case OwnerUser:
		return "user"
	case OwnerGroup:
		return "group"
	case OwnerRole:
		return "role"
	}
	return "Owner(" + strconv.Itoa(int(o)) + ")"
}

// InlineSizeLimit is the aggregate inline policy quota of owner, or 0 for an
// unknown owner.
func InlineSizeLimit(owner Owner) int {
	switch owner {
	case OwnerUser:
		return UserInlineSizeLimit
	case OwnerGroup:
		return GroupInlineSizeLimit
	case OwnerRole:
		return RoleInlineSizeLimit
	}
	return 0
}

// CheckInlineSize checks total, the summed Size of all inline policies of one
// user, group or role named name (including the one being put), against the
// owner's aggregate quota. Over the quota it returns *Error with AWS's
// LimitExceeded message, e.g. "Maximum policy size of 2048 bytes exceeded for
// user alice". An unknown owner is an *Error too.
func CheckInlineSize(total int, owner Owner, name string) error {
	limit := InlineSizeLimit(owner)
	if limit == 0 {
		return errorf("Unknown inline policy owner.")
	}
	if total > limit {
		return errorf("Maximum policy size of " + strconv.Itoa(limit) + " bytes exceeded for " + owner.String() + " " + name)
	}
	return nil
}
