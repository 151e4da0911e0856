package policy

import (
	"strconv"
	"strings"

	"github.com/warden-iam/warden/arn"
)

// PrincipalType says what kind of caller a Principal is.
type PrincipalType uint8

const (
	// User is an IAM user signing with its own credentials. It is the zero
	// value, so a Request built for identity-based policies alone needs no
	// Principal.
	User PrincipalType = iota
	// Root is an account's root user.
	Root
	// RoleSession is a session of an assumed role.
	RoleSession
	// FederatedUser is a session from GetFederationToken.
	FederatedUser
	// Service is an AWS service principal (ec2.amazonaws.com) assuming a
	// role or calling on its own behalf.
	Service
	// WebIdentity is a caller of AssumeRoleWithWebIdentity or
	// AssumeRoleWithSAML, known by its identity provider.
	WebIdentity
	// Anonymous is an unauthenticated caller; only "*" matches it.
	Anonymous
)

func (t PrincipalType) String() string {
	switch t {
	case Anonymous:
		return "Anonymous"
	case Root:
		return "Root"
	case User:
		return "User"
	case RoleSession:
		return "RoleSession"
	case FederatedUser:
		return "FederatedUser"
	case Service:
		return "Service"
	case WebIdentity:
		return "WebIdentity"
	}
	return "PrincipalType(" + strconv.Itoa(int(t)) + ")"
}

// Principal is the caller, as resource-based and trust policies see it.
type Principal struct {
	Type PrincipalType
	// Account is the 12-digit ID of the caller's account (empty for
	// Service, WebIdentity and Anonymous).
	Account string
	// ARN is the caller itself: arn:aws:iam::111122223333:user/alice,
	// arn:aws:iam::111122223333:root, the session
	// arn:aws:sts::111122223333:assumed-role/Admin/alice or
	// arn:aws:sts::111122223333:federated-user/bob.
	ARN string
	// IssuerARN is, for a session, the IAM role or user it was issued from
	// (arn:aws:iam::111122223333:role/path/Admin). A policy naming the
	// issuer applies to all of its sessions.
	IssuerARN string
	// Service is the service principal name, for Type Service.
	Service string
	// Federated is the identity provider (accounts.google.com, or the ARN
	// of a SAML or OIDC provider), for Type WebIdentity.
	Federated string
	// CanonicalUser is the canonical user ID, when the caller has one.
	CanonicalUser string
}

// Principals is a Principal or NotPrincipal element as written. All is the
// "*" form; otherwise the lists hold the values under each key.
type Principals struct {
	All           bool
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// via says how a principal element matched the caller; resource-based
// grants are limited differently depending on it (see Evaluate).
type via uint8

const (
	viaNone     via = iota
	viaAccount      // the caller's account: a delegation to its own policies
	viaWildcard     // "*", or the complement of a NotPrincipal
	viaIssuer       // the role or user the caller's session came from
	viaDirect       // the caller itself
)

// principalMatcher is a compiled Principal or NotPrincipal element.
type principalMatcher struct {
	all       bool
	accounts  []string // account IDs named by ID or by their root ARN
	arns      []string // other AWS principal ARNs
	services  []string
	federated []string
	canonical []string
}

// compilePrincipals validates p and canonicalises account IDs. It returns
// *Error "Invalid principal in policy: ..." for a value IAM would refuse.
func compilePrincipals(p *Principals) (principalMatcher, error) {
	m := principalMatcher{all: p.All}
	for _, v := range p.AWS {
		switch {
		case v == "*":
			m.all = true
		case isAccountID(v):
			m.accounts = append(m.accounts, v)
		default:
			a, err := arn.Parse(v)
			if err != nil || strings.ContainsAny(v, "*?") || !validPrincipalARN(a) {
				return principalMatcher{}, invalidPrincipal("AWS", v)
			}
			if a.Service == "iam" && a.Resource == "root" {
				m.accounts = append(m.accounts, a.AccountID)
			} else {
				m.arns = append(m.arns, v)
			}
		}
	}
	for _, v := range p.Service {
		// IAM names the key SERVICE in its answer (aws-samples/aws-cdk-examples#801:
		// "SERVICE":"amazonaws.com"; hashicorp/terraform#35086).
		if !serviceName(v) {
			return principalMatcher{}, invalidPrincipal("SERVICE", v)
		}
		m.services = append(m.services, v)
	}
	for _, v := range p.Federated {
		if v == "" || strings.ContainsAny(v, "*? ") {
			// IAM's words for a Federated value it cannot read
			// (terraform-aws-modules/terraform-aws-iam#202).
			return principalMatcher{}, &Error{Rule: RulePrincipal, Message: "Federated principals must be valid domain names or SAML metadata ARNs"}
		}
		m.federated = append(m.federated, v)
	}
	for _, v := range p.CanonicalUser {
		if v == "" || strings.ContainsAny(v, "*? ") {
			return principalMatcher{}, invalidPrincipal("CanonicalUser", v)
		}
		m.canonical = append(m.canonical, v)
	}
	return m, nil
}

// serviceName reports whether v has the shape of a service principal: a
// service's name, with no wildcard or blank, under amazonaws.com (or the
// China partition's amazonaws.com.cn). IAM checks the name against the
// services it knows; Warden checks the shape only.
func serviceName(v string) bool {
	if v == "" || strings.ContainsAny(v, "*? ") {
		return false
	}
	for _, suffix := range []string{".amazonaws.com", ".amazonaws.com.cn"} {
		if name, ok := strings.CutSuffix(v, suffix); ok && name != "" && !strings.HasSuffix(name, ".") {
			return true
		}
	}
	return false
}

func invalidPrincipal(key, v string) *Error {
	return &Error{Rule: RulePrincipal, Message: `Invalid principal in policy: "` + key + `":"` + v + `"`}
}

// validPrincipalARN accepts the IAM and STS principal ARNs AWS allows in a
// Principal element.
func validPrincipalARN(a arn.ARN) bool {
	if !isAccountID(a.AccountID) || a.Region != "" {
		return false
	}
	typ, _, _ := strings.Cut(a.Resource, "/")
	switch a.Service {
	case "iam":
		return a.Resource == "root" || typ == "user" || typ == "role" && strings.Contains(a.Resource, "/")
	case "sts":
		return (typ == "assumed-role" || typ == "federated-user") && strings.Contains(a.Resource, "/")
	}
	return false
}

func isAccountID(s string) bool {
	return len(s) == 12 && allDigits(s)
}

// match returns how the element names the caller, or viaNone.
func (m *principalMatcher) match(p *Principal) via {
	best := viaNone
	if m.all {
		best = viaWildcard
	}
	switch p.Type {
	case Root, User, RoleSession, FederatedUser:
		for _, a := range m.arns {
			if a == p.ARN {
				return viaDirect
			}
			if p.IssuerARN != "" && a == p.IssuerARN {
				best = viaIssuer
			}
		}
		if best == viaNone {
			for _, a := range m.accounts {
				if a == p.Account {
					// The root user is the account itself.
					if p.Type == Root {
						return viaDirect
					}
					best = viaAccount
					break
				}
			}
		}
	case Service:
		for _, s := range m.services {
			if s == p.Service {
				return viaDirect
			}
		}
	case WebIdentity:
		for _, f := range m.federated {
			if f == p.Federated {
				return viaDirect
			}
		}
	}
	if p.CanonicalUser != "" {
		for _, c := range m.canonical {
			if c == p.CanonicalUser {
				return viaDirect
			}
		}
	}
	return best
}

// excludes reports whether a NotPrincipal element leaves the caller out. As
// AWS documents, a caller is excluded only when every identity it carries is
// listed: the session or user itself, the role or user its session came
// from, and its account. Naming just a role does not exclude its sessions.
func (m *principalMatcher) excludes(p *Principal) bool {
	if m.all {
		return true
	}
	switch p.Type {
	case Root:
		return contains(m.accounts, p.Account) || contains(m.arns, p.ARN)
	case User, RoleSession, FederatedUser:
		if !contains(m.accounts, p.Account) || !contains(m.arns, p.ARN) {
			return false
		}
		return p.IssuerARN == "" || contains(m.arns, p.IssuerARN)
	case Service:
		return contains(m.services, p.Service)
	case WebIdentity:
		return contains(m.federated, p.Federated)
	}
	return p.CanonicalUser != "" && contains(m.canonical, p.CanonicalUser)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
