// Package warden holds Warden's domain: the IAM entities it stores, the Store
// and Tx interfaces every backend implements, the principal making a request,
// and the one Error type with AWS error codes. It imports no other package of
// the project.
package warden

import "time"

// Partition is the ARN partition of every Warden ARN.
const Partition = "aws"

// Tag is a key/value pair attached to an entity.
type Tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// InlinePolicy is a policy embedded in a user, group or role.
type InlinePolicy struct {
	Name     string `json:"name"`
	Document string `json:"doc"`
}

// AccountStatus says whether an account is usable.
type AccountStatus string

const (
	AccountActive AccountStatus = "Active"
	AccountClosed AccountStatus = "Closed"
)

// Account is an AWS-style account: a namespace with its own root user.
type Account struct {
	ID             string          `json:"id"`
	Name           string          `json:"name,omitempty"`
	RootEmail      string          `json:"rootEmail,omitempty"`
	RootPassword   string          `json:"rootPassword,omitempty"` // argon2id hash
	RootID         string          `json:"rootId"`
	Status         AccountStatus   `json:"status"`
	CreateDate     time.Time       `json:"created"`
	Alias          string          `json:"alias,omitempty"`
	PasswordPolicy *PasswordPolicy `json:"passwordPolicy,omitempty"`
	RootAccessKeys []string        `json:"rootAccessKeys,omitempty"`
	RootMFADevices []string        `json:"rootMfa,omitempty"` // serial numbers of the root user's enabled MFA devices
	BillingAccess  bool            `json:"billingAccess,omitempty"`
	// RootPasswordLastUsed is when the root user last signed in to the
	// console with its password.
	RootPasswordLastUsed *time.Time `json:"rootPwdUsed,omitempty"`
}

func (a *Account) recordID() (Kind, string, string) { return KindAccount, "", a.ID }

// RootARN is the ARN of the account's root user.
func (a *Account) RootARN() string { return "arn:aws:iam::" + a.ID + ":root" }

// Alias maps a deployment-unique account alias to its account.
type Alias struct {
	Name    string `json:"name"`
	Account string `json:"account"`
}

func (a *Alias) recordID() (Kind, string, string) { return KindAlias, "", a.Name }

// PasswordPolicy is an account's password policy.
type PasswordPolicy struct {
	MinimumPasswordLength      int  `json:"minLen"`
	RequireSymbols             bool `json:"symbols"`
	RequireNumbers             bool `json:"numbers"`
	RequireUppercaseCharacters bool `json:"upper"`
	RequireLowercaseCharacters bool `json:"lower"`
	AllowUsersToChangePassword bool `json:"allowChange"`
	MaxPasswordAge             int  `json:"maxAge,omitempty"`
	PasswordReusePrevention    int  `json:"reuse,omitempty"`
	HardExpiry                 bool `json:"hardExpiry"`
}

// LoginProfile is a user's console password.
type LoginProfile struct {
	PasswordHash          string    `json:"hash"`
	CreateDate            time.Time `json:"created"`
	PasswordResetRequired bool      `json:"reset"`
	PasswordChanged       time.Time `json:"changed"`
	PreviousHashes        []string  `json:"prev,omitempty"`
}

// User is an IAM user.
type User struct {
	Account             string         `json:"account"`
	ID                  string         `json:"id"`
	Name                string         `json:"name"`
	Path                string         `json:"path"`
	CreateDate          time.Time      `json:"created"`
	PasswordLastUsed    *time.Time     `json:"pwdUsed,omitempty"`
	Tags                []Tag          `json:"tags,omitempty"`
	PermissionsBoundary string         `json:"boundary,omitempty"`
	Groups              []string       `json:"groups,omitempty"` // group names, in the order joined
	InlinePolicies      []InlinePolicy `json:"inline,omitempty"`
	AttachedPolicies    []string       `json:"attached,omitempty"` // policy ARNs
	AccessKeys          []string       `json:"keys,omitempty"`     // access key IDs
	MFADevices          []string       `json:"mfa,omitempty"`      // serial numbers
	LoginProfile        *LoginProfile  `json:"login,omitempty"`
}

func (u *User) recordID() (Kind, string, string) { return KindUser, u.Account, NameKey(u.Name) }

// ARN is the user's ARN.
func (u *User) ARN() string { return "arn:aws:iam::" + u.Account + ":user" + u.Path + u.Name }

// Group is an IAM group.
type Group struct {
	Account          string         `json:"account"`
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	Path             string         `json:"path"`
	CreateDate       time.Time      `json:"created"`
	InlinePolicies   []InlinePolicy `json:"inline,omitempty"`
	AttachedPolicies []string       `json:"attached,omitempty"`
}

func (g *Group) recordID() (Kind, string, string) { return KindGroup, g.Account, NameKey(g.Name) }

// ARN is the group's ARN.
func (g *Group) ARN() string { return "arn:aws:iam::" + g.Account + ":group" + g.Path + g.Name }

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	ID         string    `json:"id"` // v1, v2, ...
	Document   string    `json:"doc"`
	CreateDate time.Time `json:"created"`
}

// ManagedPolicy is a customer managed policy (Account is the owner) or an AWS
// managed policy (Account is "aws").
type ManagedPolicy struct {
	Account         string          `json:"account"`
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Path            string          `json:"path"`
	Description     string          `json:"description,omitempty"`
	CreateDate      time.Time       `json:"created"`
	UpdateDate      time.Time       `json:"updated"`
	DefaultVersion  string          `json:"default"`
	NextVersion     int             `json:"next"`
	Versions        []PolicyVersion `json:"versions"`
	AttachmentCount int             `json:"attachments"`
	BoundaryCount   int             `json:"boundaries"`
	Tags            []Tag           `json:"tags,omitempty"`
}

func (p *ManagedPolicy) recordID() (Kind, string, string) {
	return KindPolicy, p.Account, NameKey(p.Name)
}

// ARN is the policy's ARN.
func (p *ManagedPolicy) ARN() string {
	return "arn:aws:iam::" + p.Account + ":policy" + p.Path + p.Name
}

// Default returns the default version.
func (p *ManagedPolicy) Default() *PolicyVersion {
	for i := range p.Versions {
		if p.Versions[i].ID == p.DefaultVersion {
			return &p.Versions[i]
		}
	}
	return nil
}

// AccessKeyStatus is Active or Inactive.
type AccessKeyStatus string

const (
	KeyActive   AccessKeyStatus = "Active"
	KeyInactive AccessKeyStatus = "Inactive"
)

// AccessKey is a long-term access key of an IAM user or of an account's root.
// Secret is the secret access key sealed under the master key.
type AccessKey struct {
	ID          string          `json:"id"`
	Account     string          `json:"account"`
	UserName    string          `json:"user,omitempty"` // "" for the root user
	Secret      []byte          `json:"secret"`
	Status      AccessKeyStatus `json:"status"`
	CreateDate  time.Time       `json:"created"`
	LastUsed    *time.Time      `json:"lastUsed,omitempty"`
	LastService string          `json:"lastService,omitempty"`
	LastRegion  string          `json:"lastRegion,omitempty"`
}

func (k *AccessKey) recordID() (Kind, string, string) { return KindAccessKey, "", k.ID }

// Counter is a numbered record used to exercise stores under concurrency.
type Counter struct {
	Account string `json:"account"`
	Name    string `json:"name"`
	N       int    `json:"n"`
}

func (c *Counter) recordID() (Kind, string, string) { return KindCounter, c.Account, c.Name }
