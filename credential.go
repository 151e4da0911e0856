package warden

import "time"

// The kinds of the credentials an IAM user holds besides access keys,
// passwords and MFA devices, and of the account's server certificates.
const (
	KindSSHPublicKey       Kind = "sshkey"
	KindSigningCertificate Kind = "signingcert"
	KindServerCertificate  Kind = "servercert"
	KindServiceCredential  Kind = "servicecred"
)

// RootOwner stands for the account's root user where a credential's owner is
// named by a user ID (signing certificates of the root user).
const RootOwner = "root"

// OwnedKey is the storage key of a credential of the user with unique ID
// owner: the owner's ID, a slash and the credential's ID. A user's credentials
// follow the user through renames because the key names the ID, not the name.
func OwnedKey(owner, id string) string { return owner + "/" + id }

// SSHPublicKey is an SSH public key of an IAM user (for CodeCommit).
type SSHPublicKey struct {
	Account     string          `json:"account"`
	ID          string          `json:"id"`    // APKA...
	Owner       string          `json:"owner"` // the user's unique ID
	Body        string          `json:"body"`  // the ssh-rsa encoding
	Fingerprint string          `json:"fingerprint"`
	Status      AccessKeyStatus `json:"status"`
	UploadDate  time.Time       `json:"uploaded"`
}

func (k *SSHPublicKey) recordID() (Kind, string, string) {
	return KindSSHPublicKey, k.Account, OwnedKey(k.Owner, k.ID)
}

// SigningCertificate is an X.509 signing certificate of an IAM user or of
// the root user (Owner RootOwner).
type SigningCertificate struct {
	Account     string          `json:"account"`
	ID          string          `json:"id"`
	Owner       string          `json:"owner"`
	Body        string          `json:"body"` // PEM, as uploaded
	Fingerprint string          `json:"fingerprint"`
	Status      AccessKeyStatus `json:"status"`
	UploadDate  time.Time       `json:"uploaded"`
}

func (c *SigningCertificate) recordID() (Kind, string, string) {
	return KindSigningCertificate, c.Account, OwnedKey(c.Owner, c.ID)
}

// ServerCertificate is an account's TLS certificate with its private key.
// Names are unique in the account regardless of path and case.
type ServerCertificate struct {
	Account    string    `json:"account"`
	ID         string    `json:"id"` // ASCA...
	Name       string    `json:"name"`
	Path       string    `json:"path"`
	Body       string    `json:"body"`
	Chain      string    `json:"chain,omitempty"`
	PrivateKey []byte    `json:"key"` // sealed under the master key with the ID as context; never returned
	Expiration time.Time `json:"expires"`
	UploadDate time.Time `json:"uploaded"`
	Tags       []Tag     `json:"tags,omitempty"`
}

func (c *ServerCertificate) recordID() (Kind, string, string) {
	return KindServerCertificate, c.Account, NameKey(c.Name)
}

// ARN is the server certificate's ARN.
func (c *ServerCertificate) ARN() string {
	return "arn:aws:iam::" + c.Account + ":server-certificate" + c.Path + c.Name
}

// ServiceCredential is a service-specific credential of an IAM user: a user
// name and password (CodeCommit, Amazon Keyspaces) or an API key alias and
// secret (Amazon Bedrock) that one service accepts instead of SigV4.
type ServiceCredential struct {
	Account     string          `json:"account"`
	ID          string          `json:"id"` // ACCA...
	Owner       string          `json:"owner"`
	ServiceName string          `json:"service"`
	ServiceUser string          `json:"serviceUser"` // the user name, or the API key's alias
	Secret      []byte          `json:"secret"`      // sealed with the ID as context
	Status      AccessKeyStatus `json:"status"`
	CreateDate  time.Time       `json:"created"`
	Expiration  *time.Time      `json:"expires,omitempty"`
	// LastUsed is when a service last accepted the credential (to the
	// minute), nil when never.
	LastUsed *time.Time `json:"lastUsed,omitempty"`
}

func (c *ServiceCredential) recordID() (Kind, string, string) {
	return KindServiceCredential, c.Account, OwnedKey(c.Owner, c.ID)
}

// Error codes of the credential and certificate operations.
const (
	CodeUnrecognizedPublicKeyEncoding Code = "UnrecognizedPublicKeyEncoding"
	CodeInvalidPublicKey              Code = "InvalidPublicKey"
	CodeDuplicateSSHPublicKey         Code = "DuplicateSSHPublicKey"
	CodeMalformedCertificate          Code = "MalformedCertificate"
	CodeInvalidCertificate            Code = "InvalidCertificate"
	CodeDuplicateCertificate          Code = "DuplicateCertificate"
	CodeKeyPairMismatch               Code = "KeyPairMismatch"
	CodeNotSupportedService           Code = "NotSupportedService"
	CodeOrganizationNotFound          Code = "OrganizationNotFoundException"
	CodeFeatureDisabled               Code = "FeatureDisabled"
	CodeRoleTemplateDisabled          Code = "RoleTemplateDisabled"
	// CodeNameConflict: AcquireRole's role name is taken by a role that was
	// not made from the template.
	CodeNameConflict Code = "NameConflict"
)

// KindAccountSettings holds one AccountSettings per account.
const KindAccountSettings Kind = "accountsettings"

// AccountSettings are an account's IAM settings beyond the password policy:
// the STS token version of the global endpoint and the account properties.
type AccountSettings struct {
	Account string `json:"account"`
	// GlobalEndpointTokenVersion is 1 (the default: session tokens from the
	// global endpoint work only in Regions enabled by default) or 2.
	GlobalEndpointTokenVersion int               `json:"tokenVersion,omitempty"`
	Properties                 map[string]string `json:"properties,omitempty"`
}

func (a *AccountSettings) recordID() (Kind, string, string) {
	return KindAccountSettings, a.Account, a.Account
}

// TokenVersion is the global endpoint's token version, 1 when never set.
func (a *AccountSettings) TokenVersion() int {
	if a == nil || a.GlobalEndpointTokenVersion == 0 {
		return 1
	}
	return a.GlobalEndpointTokenVersion
}
