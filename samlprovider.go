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
	// EncryptionMode is the AssertionEncryptionMode: "Required" refuses
	// plaintext assertions; "" or "Allowed" takes both.
	EncryptionMode string `json:"encryption,omitempty"`
	// PrivateKeys decrypt encrypted assertions (at most two, for rotation).
	PrivateKeys []SAMLPrivateKey `json:"privateKeys,omitempty"`
}

// SAMLPrivateKey is a private key of a SAML provider. The PEM is sealed
// under the master key (secrets.Box, context SealContext) and never
// returned by any operation.
type SAMLPrivateKey struct {
	KeyID     string    `json:"id"`
	Sealed    []byte    `json:"sealed"`
	Timestamp time.Time `json:"time"`
}

// SealContext is the context a SAML provider's private key is sealed
// under: the provider's UUID and the key's ID.
func (p *SAMLProvider) SealContext(keyID string) string {
	return "saml-private-key/" + p.UUID + "/" + keyID
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
