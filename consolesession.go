package warden

import "time"

// KindConsoleSession holds ConsoleSession records, in the global account.
const KindConsoleSession Kind = "consolesession"

// ConsoleStage is how far a console sign-in has got.
type ConsoleStage string

const (
	// StageActive is a signed-in session.
	StageActive ConsoleStage = ""
	// StageMFA waits for the code of an MFA device: the password was right.
	StageMFA ConsoleStage = "mfa"
	// StagePassword waits for a new password: the password was right (and
	// the MFA code, if any) but it has expired or must be changed.
	StagePassword ConsoleStage = "password"
)

// ConsoleSession is a session of the web console. The browser holds a random
// session ID in a cookie; only its SHA-256 is stored (Key), so the records
// cannot be used to take over a session.
type ConsoleSession struct {
	Key   string       `json:"key"` // hex SHA-256 of the session ID
	Stage ConsoleStage `json:"stage,omitempty"`

	// Who signed in.
	Type        PrincipalType `json:"type"`
	Account     string        `json:"account"`
	UserName    string        `json:"user,omitempty"` // "" for the root user
	PrincipalID string        `json:"pid"`
	ARN         string        `json:"arn"`
	// SignInAs is the account ID or alias the sign-in URL named.
	SignInAs string `json:"signInAs"`

	// A SAML sign-in acts as a role session (Type PrincipalAssumedRole):
	// AccessKeyID names its Session record, whose policies bind the
	// console's requests; RoleName and RoleID are its role, so that the
	// console session ends when the role is deleted (or another role takes
	// its name); Expires is when the role session ends, and the console
	// session with it.
	AccessKeyID string    `json:"akid,omitempty"`
	RoleName    string    `json:"role,omitempty"`
	RoleID      string    `json:"roleId,omitempty"`
	Expires     time.Time `json:"expires,omitzero"`

	// CSRF is the token every form of the session carries. It is derived
	// from the session ID (an HMAC under the console's key) whenever the
	// session is loaded, and never stored.
	CSRF string `json:"-"`

	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"lastSeen"`

	MFAAuthenticated bool      `json:"mfa,omitempty"`
	MFAAuthTime      time.Time `json:"mfaTime,omitzero"`
	// OfferMFA marks a root session without MFA that has not yet been
	// offered to enrol a device.
	OfferMFA bool `json:"offerMfa,omitempty"`

	SourceIP  string `json:"ip,omitempty"`
	UserAgent string `json:"ua,omitempty"`

	// Once holds pages with a secret that a POST of the session created
	// (a new access key, a new user's password), sealed by the console,
	// until the page is first loaded: the console shows a secret after a
	// redirect, exactly once. At most a few are held.
	Once []SealedPage `json:"once,omitempty"`
}

// SealedPage is one page of ConsoleSession.Once: an ID for its address and
// the page's data, encrypted and authenticated by the console.
type SealedPage struct {
	ID     string `json:"id"`
	Sealed []byte `json:"sealed"`
}

func (s *ConsoleSession) recordID() (Kind, string, string) { return KindConsoleSession, "", s.Key }

// Principal is the caller that the session's requests act as.
func (s *ConsoleSession) Principal() Principal {
	p := Principal{Type: s.Type, Account: s.Account, Name: s.UserName, ID: s.PrincipalID, ARN: s.ARN,
		AccessKeyID: s.AccessKeyID, MFAAuthenticated: s.MFAAuthenticated, MFAAuthTime: s.MFAAuthTime}
	return p
}
