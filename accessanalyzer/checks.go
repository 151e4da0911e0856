package accessanalyzer

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/warden-iam/warden/policy"
)

// The custom policy checks, decided with Warden's policy engine. Each check
// errs on the side of FAIL, as AWS's do: a conditional Allow counts as a
// grant (its condition might hold), a conditional Deny as no denial.

type checkReason struct {
	Description    string `json:"description"`
	StatementIndex int    `json:"statementIndex"`
	StatementID    string `json:"statementId,omitempty"`
}

type checkOutput struct {
	Result  string        `json:"result"`
	Message string        `json:"message"`
	Reasons []checkReason `json:"reasons"`
}

// probeAction and probeResource stand for "some action" and "some resource"
// that no literal pattern names: what NotAction and NotResource allow.
const (
	probeAction   = "wardenprobe:Probe"
	probeResource = "arn:aws:wardenprobe:::probe"
)

// view is a policy as the checks evaluate it: an identity policy built from
// the statements of the document, and the index each had in the document.
type view struct {
	policy *policy.Policy
	index  []int
	sids   []string
	stmts  []map[string]any
}

// statementsOf returns the statements of a JSON policy document.
func statementsOf(doc string) ([]map[string]any, map[string]any, error) {
	var top map[string]any
	if err := json.Unmarshal([]byte(doc), &top); err != nil {
		return nil, nil, validation("other", "The policy document is not valid JSON.")
	}
	var stmts []map[string]any
	switch st := top["Statement"].(type) {
	case map[string]any:
		stmts = []map[string]any{st}
	case []any:
		for _, s := range st {
			m, ok := s.(map[string]any)
			if !ok {
				return nil, nil, errMalformed
			}
			stmts = append(stmts, m)
		}
	default:
		return nil, nil, errMalformed
	}
	return stmts, top, nil
}

var errMalformed = validation("other", "The policy document is not a valid policy.")

// newView builds the evaluated form of doc. With relax, Allow statements
// lose their conditions (they may hold) and Deny statements with conditions
// or naming particular principals are left out (they may not apply); without
// it conditions stay and are evaluated against an empty request context.
// Principals are always dropped: the checks ask what the policy grants, to
// anyone.
func newView(doc string, resourcePolicy, relax bool) (*view, error) {
	stmts, top, err := statementsOf(doc)
	if err != nil {
		return nil, err
	}
	v := &view{stmts: stmts}
	var kept []any
	for i, st := range stmts {
		c := map[string]any{}
		for k, val := range st {
			c[k] = val
		}
		deny := c["Effect"] == "Deny"
		_, hasCond := c["Condition"]
		if resourcePolicy {
			p, all := c["Principal"], false
			if s, ok := p.(string); ok && s == "*" {
				all = true
			}
			if m, ok := p.(map[string]any); ok && m["AWS"] == "*" {
				all = true
			}
			if _, np := c["NotPrincipal"]; deny && (np || !all) && relax {
				continue
			}
			delete(c, "Principal")
			delete(c, "NotPrincipal")
			if _, ok := c["Resource"]; !ok {
				if _, ok := c["NotResource"]; !ok {
					c["Resource"] = "*"
				}
			}
		}
		if relax && hasCond {
			if deny {
				continue
			}
			delete(c, "Condition")
		}
		kept = append(kept, c)
		v.index = append(v.index, i)
		sid, _ := c["Sid"].(string)
		v.sids = append(v.sids, sid)
	}
	if len(kept) == 0 {
		return v, nil
	}
	top = map[string]any{"Version": top["Version"], "Statement": kept}
	if top["Version"] == nil {
		delete(top, "Version")
	}
	raw, err := json.Marshal(top)
	if err != nil {
		return nil, err
	}
	p, err := policy.Parse(raw, policy.Identity)
	if err != nil {
		return nil, validation("other", "The policy document is not a valid policy: "+err.Error())
	}
	v.policy = p
	return v, nil
}

// allows evaluates one request against the view; it returns the view's
// index of an Allow statement that grants it, or -1.
func (v *view) allows(action, resource string) int {
	if v.policy == nil {
		return -1
	}
	in := &policy.Input{Identity: policy.Compile(policy.Named{Name: "policy", Policy: v.policy})}
	res := policy.Evaluate(in, &policy.Request{Action: action, Resource: resource})
	if res.Decision != policy.Allow {
		return -1
	}
	for _, m := range res.Deciding() {
		if m.Effect == policy.EffectAllow {
			return m.Statement
		}
	}
	return -1
}

// reason names the statement of view index k, described as what followed by
// its index in the document.
func (v *view) reason(k int, what string) checkReason {
	return checkReason{Description: what + strconv.Itoa(v.index[k]) + ".", StatementIndex: v.index[k], StatementID: v.sids[k]}
}

// candidates are the requests worth asking of a policy: every action and
// resource its statements name (wildcards taken literally match
// themselves), the probes for NotAction and NotResource, and "*".
func candidates(stmts []map[string]any) (actions, resources []string) {
	add := func(list *[]string, v any) {
		switch x := v.(type) {
		case string:
			if !slices.Contains(*list, x) {
				*list = append(*list, x)
			}
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok && !slices.Contains(*list, s) {
					*list = append(*list, s)
				}
			}
		}
	}
	for _, st := range stmts {
		add(&actions, st["Action"])
		add(&resources, st["Resource"])
		if _, ok := st["NotAction"]; ok {
			add(&actions, probeAction)
		}
		if _, ok := st["NotResource"]; ok {
			add(&resources, probeResource)
		}
	}
	add(&resources, "*")
	return actions, resources
}

type accessEntry struct {
	Actions   []string `json:"actions"`
	Resources []string `json:"resources"`
}

type checkAccessNotGrantedInput struct {
	PolicyDocument *string       `json:"policyDocument"`
	Access         []accessEntry `json:"access"`
	PolicyType     *string       `json:"policyType"`
}

func checkPolicyType(t *string) (bool, error) {
	if t == nil {
		return false, fieldFailed("policyType", "null", "Member must not be null")
	}
	switch *t {
	case "IDENTITY_POLICY":
		return false, nil
	case "RESOURCE_POLICY":
		return true, nil
	}
	return false, fieldFailed("policyType", "'"+*t+"'", enumOf([]string{"IDENTITY_POLICY", "RESOURCE_POLICY"}))
}

func (h *Handler) checkAccessNotGranted(body []byte) (*checkOutput, error) {
	var in checkAccessNotGrantedInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, validation("cannotParse", "Could not parse the request body as JSON.")
	}
	if in.PolicyDocument == nil {
		return nil, fieldFailed("policyDocument", "null", "Member must not be null")
	}
	resourcePolicy, err := checkPolicyType(in.PolicyType)
	if err != nil {
		return nil, err
	}
	if len(in.Access) == 0 || len(in.Access) > 1 {
		return nil, fieldFailed("access", strconv.Itoa(len(in.Access))+" entries", "Member must have length between 1 and 1")
	}
	a := in.Access[0]
	if len(a.Actions) == 0 && len(a.Resources) == 0 {
		return nil, validation("other", "The access entry must name at least one action or resource.")
	}
	if len(a.Actions) > 100 || len(a.Resources) > 100 {
		return nil, validation("other", "An access entry may name at most 100 actions and 100 resources.")
	}
	v, err := newView(*in.PolicyDocument, resourcePolicy, true)
	if err != nil {
		return nil, err
	}
	actions, resources := a.Actions, a.Resources
	policyActions, policyResources := candidates(v.stmts)
	if len(actions) == 0 {
		actions = policyActions
	}
	if len(resources) == 0 {
		resources = policyResources
	}
	out := &checkOutput{Result: "PASS", Message: "The policy document does not grant access to perform one or more of the listed actions or resources.", Reasons: []checkReason{}}
	seen := map[int]bool{}
	for _, act := range actions {
		for _, res := range resources {
			i := v.allows(act, res)
			if i < 0 || seen[i] {
				continue
			}
			seen[i] = true
			out.Reasons = append(out.Reasons, v.reason(i, "One or more of the listed actions or resources in the statement with index: "))
		}
	}
	if len(out.Reasons) > 0 {
		out.Result, out.Message = "FAIL", "The policy document grants access to perform one or more of the listed actions or resources."
	}
	return out, nil
}

type checkNoNewAccessInput struct {
	NewPolicyDocument      *string `json:"newPolicyDocument"`
	ExistingPolicyDocument *string `json:"existingPolicyDocument"`
	PolicyType             *string `json:"policyType"`
}

func (h *Handler) checkNoNewAccess(body []byte) (*checkOutput, error) {
	var in checkNoNewAccessInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, validation("cannotParse", "Could not parse the request body as JSON.")
	}
	switch {
	case in.NewPolicyDocument == nil:
		return nil, fieldFailed("newPolicyDocument", "null", "Member must not be null")
	case in.ExistingPolicyDocument == nil:
		return nil, fieldFailed("existingPolicyDocument", "null", "Member must not be null")
	}
	resourcePolicy, err := checkPolicyType(in.PolicyType)
	if err != nil {
		return nil, err
	}
	// The new document as generously as it may grant, the existing one as
	// strictly: anything the first allows and the second does not is new.
	nv, err := newView(*in.NewPolicyDocument, resourcePolicy, true)
	if err != nil {
		return nil, err
	}
	ev, err := newView(*in.ExistingPolicyDocument, resourcePolicy, false)
	if err != nil {
		return nil, err
	}
	// What either document names is worth asking: the existing one's
	// denials mark what the new one may newly allow.
	actions, resources := candidates(append(slices.Clone(nv.stmts), ev.stmts...))
	out := &checkOutput{Result: "PASS", Message: "The modified permissions do not grant new access compared to your existing policy.", Reasons: []checkReason{}}
	seen := map[int]bool{}
	for _, act := range actions {
		for _, res := range resources {
			i := nv.allows(act, res)
			if i < 0 || seen[i] || ev.allows(act, res) >= 0 {
				continue
			}
			seen[i] = true
			out.Reasons = append(out.Reasons, nv.reason(i, "New access in the statement with index: "))
		}
	}
	if len(out.Reasons) > 0 {
		out.Result, out.Message = "FAIL", "The modified permissions grant new access compared to your existing policy."
	}
	return out, nil
}

type checkNoPublicAccessInput struct {
	PolicyDocument *string `json:"policyDocument"`
	ResourceType   *string `json:"resourceType"`
}

// publicResourceTypes are the resource types CheckNoPublicAccess takes.
var publicResourceTypes = []string{"AWS::DynamoDB::Table", "AWS::DynamoDB::Stream", "AWS::EFS::FileSystem",
	"AWS::OpenSearchService::Domain", "AWS::Kinesis::Stream", "AWS::Kinesis::StreamConsumer", "AWS::KMS::Key",
	"AWS::Lambda::Function", "AWS::S3::Bucket", "AWS::S3::AccessPoint", "AWS::S3Express::DirectoryBucket",
	"AWS::S3::Glacier", "AWS::S3Outposts::Bucket", "AWS::S3Outposts::AccessPoint", "AWS::SecretsManager::Secret",
	"AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::IAM::AssumeRolePolicyDocument", "AWS::S3Tables::TableBucket",
	"AWS::ApiGateway::RestApi", "AWS::CodeArtifact::Domain", "AWS::Backup::BackupVault", "AWS::CloudTrail::Dashboard",
	"AWS::CloudTrail::EventDataStore", "AWS::S3Tables::Table", "AWS::S3Express::AccessPoint"}

// restrictingKeys are condition keys that limit who a statement applies to
// to known accounts, organizations, networks or sources.
var restrictingKeys = []string{"aws:principalaccount", "aws:principalarn", "aws:principalorgid", "aws:principalorgpaths",
	"aws:sourceaccount", "aws:sourcearn", "aws:sourceowner", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceip",
	"aws:sourceorgid", "aws:sourceorgpaths", "aws:userid", "aws:username", "kms:calleraccount", "kms:viaservice",
	"lambda:functionurlauthtype", "s3:dataaccesspointaccount", "sns:endpoint"}

func (h *Handler) checkNoPublicAccess(body []byte) (*checkOutput, error) {
	var in checkNoPublicAccessInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, validation("cannotParse", "Could not parse the request body as JSON.")
	}
	switch {
	case in.PolicyDocument == nil:
		return nil, fieldFailed("policyDocument", "null", "Member must not be null")
	case in.ResourceType == nil:
		return nil, fieldFailed("resourceType", "null", "Member must not be null")
	case !slices.Contains(publicResourceTypes, *in.ResourceType):
		return nil, fieldFailed("resourceType", "'"+*in.ResourceType+"'", enumOf(publicResourceTypes))
	}
	kind := policy.Resource
	if *in.ResourceType == "AWS::IAM::AssumeRolePolicyDocument" {
		kind = policy.Trust
	}
	p, err := policy.Parse([]byte(*in.PolicyDocument), kind)
	if err != nil {
		return nil, validation("other", "The policy document is not a valid policy: "+err.Error())
	}
	out := &checkOutput{Result: "PASS", Message: "The resource policy does not grant public access for the given resource type.", Reasons: []checkReason{}}
	for i, st := range p.Statements() {
		if st.Effect != policy.EffectAllow || !publicPrincipal(st) || restricted(st.Condition) {
			continue
		}
		out.Reasons = append(out.Reasons, checkReason{Description: "Public access granted in the following statement with index: " + strconv.Itoa(i) + ".",
			StatementIndex: i, StatementID: st.Sid})
	}
	if len(out.Reasons) > 0 {
		out.Result, out.Message = "FAIL", "The resource policy grants public access for the given resource type."
	}
	return out, nil
}

// publicPrincipal reports whether a statement applies to anyone: Principal
// "*" (or AWS "*"), or any NotPrincipal.
func publicPrincipal(st policy.Statement) bool {
	if st.NotPrincipal != nil {
		return true
	}
	if st.Principal == nil {
		return false
	}
	return st.Principal.All || slices.Contains(st.Principal.AWS, "*")
}

func restricted(conds []policy.Condition) bool {
	for _, c := range conds {
		op := strings.ToLower(c.Operator)
		if strings.Contains(op, "ifexists") || strings.HasPrefix(op, "not") || strings.Contains(op, ":not") || op == "null" {
			continue
		}
		if slices.Contains(restrictingKeys, strings.ToLower(c.Key)) && !slices.Contains(c.Values, "*") {
			return true
		}
	}
	return false
}

// routes are the Access Analyzer operations Warden serves, by method and
// path; the action is what they are authorized as.
var routes = map[string]string{
	"POST /policy/validation":               "ValidatePolicy",
	"POST /policy/check-access-not-granted": "CheckAccessNotGranted",
	"POST /policy/check-no-new-access":      "CheckNoNewAccess",
	"POST /policy/check-no-public-access":   "CheckNoPublicAccess",
}

// unsupported answers the operations Warden does not serve (analyzers,
// findings, archive rules, access previews, policy generation) with a
// REST-JSON error every SDK parses.
func unsupported(r *http.Request) *apiError {
	return &apiError{status: http.StatusNotImplemented, code: "NotImplementedException",
		message: "Warden's Access Analyzer serves ValidatePolicy, CheckAccessNotGranted, CheckNoNewAccess and CheckNoPublicAccess; " +
			r.Method + " " + r.URL.Path + " is not one of them."}
}
