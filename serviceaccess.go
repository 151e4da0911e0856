package warden

import "time"

// KindServiceAccess holds ServiceAccess records; KindAccessJob holds
// AccessJob records.
const (
	KindServiceAccess Kind = "serviceaccess"
	KindAccessJob     Kind = "accessjob"
)

// ServiceAccess is when an IAM user or role last used a service, and
// through which of its policies: the access advisor's data. For the services
// AWS tracks at action level, Actions says when each action was last used.
type ServiceAccess struct {
	Account    string               `json:"account"`
	EntityType string               `json:"type"` // "user" or "role"
	EntityID   string               `json:"id"`   // AIDA... or AROA...
	EntityARN  string               `json:"arn"`
	EntityName string               `json:"name"`
	Service    string               `json:"service"` // namespace, e.g. iam
	Last       time.Time            `json:"last"`
	Region     string               `json:"region,omitempty"`
	Actions    map[string]time.Time `json:"actions,omitempty"`  // action name -> last use
	Policies   map[string]time.Time `json:"policies,omitempty"` // policy name (ARN or user/NAME/POLICY ...) -> last use
}

func (a *ServiceAccess) recordID() (Kind, string, string) {
	return KindServiceAccess, a.Account, ServiceAccessKey(a.EntityID, a.Service)
}

// ServiceAccessKey is the storage key of an entity's use of a service; the
// keys of one entity share the prefix EntityID + "/".
func ServiceAccessKey(entityID, service string) string { return entityID + "/" + service }

// AccessJob is a GenerateServiceLastAccessedDetails job and its report,
// made when the job was created.
type AccessJob struct {
	Account     string    `json:"account"`
	ID          string    `json:"id"`
	ARN         string    `json:"arn"`
	Granularity string    `json:"granularity"` // SERVICE_LEVEL or ACTION_LEVEL
	Created     time.Time `json:"created"`
	Completed   time.Time `json:"completed"`
	Report      []byte    `json:"report"` // the report, JSON, as the iam package writes it
}

func (j *AccessJob) recordID() (Kind, string, string) { return KindAccessJob, j.Account, j.ID }
