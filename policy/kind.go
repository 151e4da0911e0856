package policy

import "strconv"

// Kind is the role a policy document plays. It decides which elements Parse
// requires or refuses and which size quota CheckSize applies.
type Kind uint8

const (
	// Identity is a policy attached to a user, group or role (managed or
	// inline). It must not name a Principal.
	Identity Kind = iota + 1
	// Resource is a resource-based policy. Every statement names a Principal
	// or NotPrincipal.
	Resource
	// Trust is a role trust policy (AssumeRolePolicyDocument): a
	// resource-based policy whose resource is the role itself, so every
	// statement names a Principal and none names a Resource.
	Trust
	// Boundary is a managed policy used as a permissions boundary. It
	// follows the rules of Identity.
	Boundary
	// Session is a session policy passed to AssumeRole*, or
	// GetFederationToken. It follows the rules of Identity.
	Session
	// Managed is a customer managed policy as CreatePolicy and
	// CreatePolicyVersion take it: an identity policy that must say
	// "Version": "2012-10-17".
	Managed
)

func (k Kind) String() string {
	switch k {
	case Identity:
		return "Identity"
	case Resource:
		return "Resource"
	case Trust:
		return "Trust"
	case Boundary:
		return "Boundary"
	case Session:
		return "Session"
	case Managed:
		return "Managed"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

func (k Kind) valid() bool { return k >= Identity && k <= Managed }

// managed reports whether documents of this kind are stored as managed
// policies, which IAM only takes in the current language version.
func (k Kind) managed() bool { return k == Managed }

// principalRequired reports whether statements of this kind must say whom
// they apply to.
func (k Kind) principalRequired() bool { return k == Resource || k == Trust }

// Effect is the Effect element of a statement.
type Effect uint8

const (
	// EffectAllow is "Effect": "Allow".
	EffectAllow Effect = iota + 1
	// EffectDeny is "Effect": "Deny".
	EffectDeny
)

func (e Effect) String() string {
	switch e {
	case EffectAllow:
		return "Allow"
	case EffectDeny:
		return "Deny"
	}
	return "Effect(" + strconv.Itoa(int(e)) + ")"
}

// Decision is the outcome of Evaluate.
type Decision uint8

const (
	// ImplicitDeny: no applicable statement allowed the request (or a
	// boundary, session policy or cross-account resource policy did not).
	ImplicitDeny Decision = iota
	// Allow: the request is allowed.
	Allow
	// ExplicitDeny: a Deny statement applied; nothing can override it.
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "ImplicitDeny"
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}
