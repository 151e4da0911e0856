package warden

// KindPolicyUsage holds PolicyUsage records.
const KindPolicyUsage Kind = "policyusage"

// AWSManagedAccount is the owner of AWS managed policies: the account field
// of their ARNs (arn:aws:iam::aws:policy/...) and of their ManagedPolicy.
const AWSManagedAccount = "aws"

// PolicyUsage counts how often an account uses an AWS managed policy. AWS
// managed policies are the same in every account and are not stored, but
// their AttachmentCount and PermissionsBoundaryUsageCount are per account, as
// in AWS; they live here. Customer managed policies keep their counts on the
// ManagedPolicy itself.
type PolicyUsage struct {
	Account         string `json:"account"`
	PolicyARN       string `json:"arn"`
	AttachmentCount int    `json:"attachments"`
	BoundaryCount   int    `json:"boundaries"`
}

func (u *PolicyUsage) recordID() (Kind, string, string) {
	return KindPolicyUsage, u.Account, u.PolicyARN
}
