package warden

import "time"

// KindRoleDeletion is the kind of the service-linked role deletion tasks
// that DeleteServiceLinkedRole starts and GetServiceLinkedRoleDeletionStatus
// reports.
const KindRoleDeletion Kind = "roledeletion"

// DefaultMaxSessionDuration is the maximum session duration, in seconds, of a
// role created without one.
const DefaultMaxSessionDuration = 3600

// RoleLastUsed is when and in which region a role was last assumed.
type RoleLastUsed struct {
	Date   time.Time `json:"date"`
	Region string    `json:"region,omitempty"`
}

// Role is an IAM role: an identity without long-term credentials, assumed by
// the principals its trust policy names.
type Role struct {
	Account    string    `json:"account"`
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Path       string    `json:"path"`
	CreateDate time.Time `json:"created"`
	// AssumeRolePolicyDocument is the trust policy exactly as it was sent.
	AssumeRolePolicyDocument string         `json:"trust"`
	Description              string         `json:"description,omitempty"`
	MaxSessionDuration       int            `json:"maxSession"` // seconds
	PermissionsBoundary      string         `json:"boundary,omitempty"`
	Tags                     []Tag          `json:"tags,omitempty"`
	InlinePolicies           []InlinePolicy `json:"inline,omitempty"`
	AttachedPolicies         []string       `json:"attached,omitempty"` // policy ARNs
	RoleLastUsed             *RoleLastUsed  `json:"lastUsed,omitempty"`
	// ServiceName is the service principal (elasticbeanstalk.amazonaws.com)
	// of a service-linked role, which only that service may change or
	// delete; "" for every other role.
	ServiceName string `json:"service,omitempty"`
	// SourceTemplateARN and SourceTemplateMinorVersion name the role
	// template version AcquireRole made the role from; "" for other roles.
	SourceTemplateARN          string `json:"template,omitempty"`
	SourceTemplateMinorVersion int    `json:"templateMinor,omitempty"`
	// SourceTemplateValues are the parameter values the role was made
	// with (supplied or defaulted), so that a later AcquireRole can tell
	// a repeat from a change, and refuse changing an Immutable parameter.
	SourceTemplateValues map[string][]string `json:"templateValues,omitempty"`
}

func (r *Role) recordID() (Kind, string, string) { return KindRole, r.Account, NameKey(r.Name) }

// ARN is the role's ARN.
func (r *Role) ARN() string { return "arn:aws:iam::" + r.Account + ":role" + r.Path + r.Name }

// ServiceLinked reports whether the role is a service-linked role.
func (r *Role) ServiceLinked() bool { return r.ServiceName != "" }

// InstanceProfile is a container that passes one role to EC2 instances.
type InstanceProfile struct {
	Account    string    `json:"account"`
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Path       string    `json:"path"`
	CreateDate time.Time `json:"created"`
	Roles      []string  `json:"roles,omitempty"` // role names; IAM allows at most one
	Tags       []Tag     `json:"tags,omitempty"`
}

func (p *InstanceProfile) recordID() (Kind, string, string) {
	return KindInstanceProfile, p.Account, NameKey(p.Name)
}

// ARN is the instance profile's ARN.
func (p *InstanceProfile) ARN() string {
	return "arn:aws:iam::" + p.Account + ":instance-profile" + p.Path + p.Name
}

// DeletionStatus is the state of a service-linked role deletion task.
type DeletionStatus string

const (
	DeletionSucceeded  DeletionStatus = "SUCCEEDED"
	DeletionInProgress DeletionStatus = "IN_PROGRESS"
	DeletionFailed     DeletionStatus = "FAILED"
	DeletionNotStarted DeletionStatus = "NOT_STARTED"
)

// RoleDeletion is a service-linked role deletion task. ID is the
// DeletionTaskId, task/aws-service-role/<service>/<role>/<uuid>.
type RoleDeletion struct {
	Account    string         `json:"account"`
	ID         string         `json:"id"`
	RoleName   string         `json:"role"`
	Status     DeletionStatus `json:"status"`
	Reason     string         `json:"reason,omitempty"`
	Resources  []string       `json:"resources,omitempty"` // ARNs still using the role when it failed
	CreateDate time.Time      `json:"created"`
}

func (d *RoleDeletion) recordID() (Kind, string, string) { return KindRoleDeletion, d.Account, d.ID }
