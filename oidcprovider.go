package warden

import "time"

// KindOIDCProvider is the kind of IAM OpenID Connect identity providers.
const KindOIDCProvider Kind = "oidcprovider"

// OIDCProvider is an IAM OpenID Connect identity provider: an issuer whose
// ID tokens AssumeRoleWithWebIdentity accepts for the roles that trust it.
// Resource is the URL without its scheme (host[:port][/path]), as in the
// provider's ARN; it is the storage key, lower-cased.
type OIDCProvider struct {
	Account     string    `json:"account"`
	Resource    string    `json:"resource"`
	ClientIDs   []string  `json:"clientIds,omitempty"`
	Thumbprints []string  `json:"thumbprints,omitempty"` // lower-case hex SHA-1
	CreateDate  time.Time `json:"created"`
	Tags        []Tag     `json:"tags,omitempty"`
}

func (p *OIDCProvider) recordID() (Kind, string, string) {
	return KindOIDCProvider, p.Account, NameKey(p.Resource)
}

// ARN is the provider's ARN, arn:aws:iam::ACCOUNT:oidc-provider/HOST[/PATH].
func (p *OIDCProvider) ARN() string {
	return "arn:aws:iam::" + p.Account + ":oidc-provider/" + p.Resource
}

// URL is the issuer URL, https://HOST[/PATH].
func (p *OIDCProvider) URL() string { return "https://" + p.Resource }
