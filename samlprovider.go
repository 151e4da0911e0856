package warden

import "time"

// KindSAMLProvider is the kind of IAM SAML 2.0 identity providers.
const KindSAMLProvider Kind = "samlprovider"

// SAMLProvider is an IAM SAML 2.0 identity provider: an IdP whose signed
// assertions AssumeRoleWithSAML accepts for the roles that trust it.
type SAMLProvider struct {
	Account    string    `json:"account"`
	Name       string    `json:"name"`
	UUID       string    `json:"uuid"`
	Metadata   string    `json:"metadata"` // the document as sent
	EntityID   string    `json:"entityId"`
	Certs      [][]byte  `json:"certs"` // DER signing certificates from the metadata
	CreateDate time.Time `json:"created"`
	ValidUntil time.Time `json:"validUntil"`
	Tags       []Tag     `json:"tags,omitempty"`
}

func (p *SAMLProvider) recordID() (Kind, string, string) {
	return KindSAMLProvider, p.Account, NameKey(p.Name)
}

// ARN is the provider's ARN, arn:aws:iam::ACCOUNT:saml-provider/NAME.
func (p *SAMLProvider) ARN() string { return "arn:aws:iam::" + p.Account + ":saml-provider/" + p.Name }

// KindSAMLAssertionUse holds the IDs of SAML assertions already exchanged
// for credentials, in the global account, so that a replayed assertion is
// refused on every node until it expires.
const KindSAMLAssertionUse Kind = "samlassertion"

// SAMLAssertionUse records one used assertion. Key is the hex SHA-256 of the
// issuer and the assertion ID.
type SAMLAssertionUse struct {
	Key     string    `json:"key"`
	Expires time.Time `json:"expires"`
}

func (u *SAMLAssertionUse) recordID() (Kind, string, string) { return KindSAMLAssertionUse, "", u.Key }
