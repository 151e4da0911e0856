package warden

import "time"

// PrincipalType says what kind of identity made a request.
type PrincipalType string

const (
	PrincipalRoot          PrincipalType = "Account"
	PrincipalUser          PrincipalType = "User"
	PrincipalAssumedRole   PrincipalType = "AssumedRole"
	PrincipalFederatedUser PrincipalType = "FederatedUser"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	Type        PrincipalType
	Account     string
	Name        string // user name; "" for root
	ID          string // unique ID (AIDA... for users, the account ID for root)
	ARN         string
	AccessKeyID string
	// MFAAuthenticated and MFAAuthTime carry aws:MultiFactorAuthPresent and
	// aws:MultiFactorAuthAge into authorization.
	MFAAuthenticated bool
	MFAAuthTime      time.Time
	// SourceIP, UserAgent and SecureTransport describe the request.
	SourceIP        string
	UserAgent       string
	SecureTransport bool
	// Region is the Region the request was signed for.
	Region string
}

// IsRoot reports whether p is an account's root user.
func (p *Principal) IsRoot() bool { return p.Type == PrincipalRoot }
