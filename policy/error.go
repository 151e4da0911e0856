package policy

// Error is a malformed or oversized policy document. Message is written the
// way AWS IAM words it, so a front end can return it to clients as the message
// of a MalformedPolicyDocument (or, for size limits, LimitExceeded) error.
type Error struct {
	// Rule is the Code of the grammar rule the document breaks (see
	// Rules), or "" for a size quota.
	Rule    string
	Message string
}

func (e *Error) Error() string { return e.Message }

func errorf(msg string) *Error { return &Error{Message: msg} }

// Messages shared by several checks.
const (
	msgSyntax         = "Syntax errors in policy."
	msgLegacy         = "The policy failed legacy parsing"
	msgNoActions      = "Policy statement must contain actions."
	msgNoResources    = "Policy statement must contain resources."
	msgVendor         = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgActionColon    = "Actions/Condition can contain only one colon."
	msgConditionColon = "Condition can contain only one colon."
	msgVendorWild     = "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards."
	msgSidUnique      = "Statement IDs (SID) in a single policy must be unique."
	msgNoPrincipals   = "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"
	msgSidAlnum       = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
)

// errVariable is a malformed policy variable: Warden's words, for IAM records
// no message of its own for these.
func errVariable(msg string) *Error { return &Error{Rule: RuleVariable, Message: msg} }
