package warden

import "time"

// KindOutboundFederation holds each account's outbound web identity
// federation: Warden as an OpenID Connect issuer of tokens for the
// account's principals.
const KindOutboundFederation Kind = "outboundfed"

// OutboundFederation is an account's issuer: its identifier (the last part
// of the issuer URL), whether principals may get tokens, and its signing
// keys.
type OutboundFederation struct {
	Account  string       `json:"account"`
	IssuerID string       `json:"issuerId"`
	Enabled  bool         `json:"enabled"`
	Keys     []SigningKey `json:"keys"`
}

func (f *OutboundFederation) recordID() (Kind, string, string) {
	return KindOutboundFederation, f.Account, "issuer"
}

// SigningKey is a token signing key. Private is its PKCS #8 DER sealed
// under the master key with the account and key ID as context.
type SigningKey struct {
	ID         string    `json:"id"`
	Algorithm  string    `json:"alg"` // RS256 or ES384
	Private    []byte    `json:"private"`
	CreateDate time.Time `json:"created"`
}
