package warden

import "time"

// KindSession holds Session records, in the global account keyed by access
// key ID.
const KindSession Kind = "session"

// Session is a set of temporary security credentials issued by STS
// (AssumeRole, GetSessionToken, GetFederationToken) and what they stand for.
//
// The credentials are stored, not signed: the session token handed to the
// client is random and only its SHA-256 is kept, so the record cannot be used
// to forge a token and the client cannot extend or alter what a token grants;
// everything the credentials mean (expiration, principal, session policies
// and tags) lives here, on the server.
type Session struct {
	AccessKeyID string `json:"id"` // ASIA + 16
	Account     string `json:"account"`
	// Secret is the secret access key sealed under the master key with the
	// access key ID as context.
	Secret []byte `json:"secret"`
	// TokenHash is the SHA-256 of the session token.
	TokenHash  []byte    `json:"tokenHash"`
	IssueTime  time.Time `json:"issued"`
	Expiration time.Time `json:"expires"`

	// Type is the principal the credentials act as: PrincipalAssumedRole
	// (AssumeRole), PrincipalFederatedUser (GetFederationToken), or
	// PrincipalUser / PrincipalRoot (GetSessionToken, which keeps the
	// caller's own identity).
	Type PrincipalType `json:"type"`
	ARN  string        `json:"arn"`  // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, ...
	ID   string        `json:"uid"`  // AROA...:SESSION, ACCOUNT:NAME, AIDA..., ACCOUNT
	Name string        `json:"name"` // role session name, federated user name, or user name
	// RoleName and RoleID name the role of an assumed-role session.
	RoleName string `json:"role,omitempty"`
	RoleID   string `json:"roleId,omitempty"`
	// IssuerARN is the role an assumed-role session was issued from, or the
	// IAM user (or root user) that called GetFederationToken or
	// GetSessionToken. IssuerUser is that user's name ("" for the root user).
	IssuerARN  string `json:"issuer,omitempty"`
	IssuerUser string `json:"issuerUser,omitempty"`
	// IssuerUserID is that user's unique ID: a federated user's session
	// stands for that very user, never for a later user of the same name.
	IssuerUserID   string `json:"issuerUserId,omitempty"`
	SourceIdentity string `json:"sourceIdentity,omitempty"`

	// SessionPolicies are the inline session policy documents as sent and
	// PolicyARNs the managed session policies; both limit the session.
	SessionPolicies   []string `json:"policies,omitempty"`
	PolicyARNs        []string `json:"policyArns,omitempty"`
	Tags              []Tag    `json:"tags,omitempty"`
	TransitiveTagKeys []string `json:"transitive,omitempty"`

	MFAAuthenticated bool      `json:"mfa,omitempty"`
	MFAAuthTime      time.Time `json:"mfaTime,omitzero"`
	// Chained marks a role session assumed with another role session's
	// credentials (role chaining).
	Chained bool `json:"chained,omitempty"`
	// IssueRegion is the Region of the request that issued the session, and
	// DefaultRegionsOnly marks a version 1 token of the global endpoint,
	// valid only in the Regions AWS enables by default.
	IssueRegion        string `json:"issueRegion,omitempty"`
	DefaultRegionsOnly bool   `json:"v1,omitempty"`
	// DelegationRequestID names the delegation request whose exchange
	// token GetDelegatedAccessToken traded in for the session: it acts as
	// the request's approver, limited by the request's policy.
	DelegationRequestID string `json:"delegation,omitempty"`
}

func (s *Session) recordID() (Kind, string, string) { return KindSession, "", s.AccessKeyID }

// Expired reports whether the credentials are no longer valid at now.
func (s *Session) Expired(now time.Time) bool { return !now.Before(s.Expiration) }

// HasPolicies reports whether the session was issued with session policies.
func (s *Session) HasPolicies() bool { return len(s.SessionPolicies)+len(s.PolicyARNs) > 0 }

// Principal is the caller that requests signed with the session's
// credentials act as.
func (s *Session) Principal() Principal {
	p := Principal{Type: s.Type, Account: s.Account, ID: s.ID, ARN: s.ARN, AccessKeyID: s.AccessKeyID,
		MFAAuthenticated: s.MFAAuthenticated, MFAAuthTime: s.MFAAuthTime}
	if s.Type == PrincipalUser {
		p.Name = s.Name
	}
	return p
}

// IsTemporaryKey reports whether an access key ID is one of temporary
// credentials (ASIA...) rather than a long-term access key (AKIA...).
func IsTemporaryKey(accessKeyID string) bool {
	return len(accessKeyID) > 4 && accessKeyID[:4] == "ASIA"
}
