// Package validate checks policy documents the way IAM Access Analyzer's
// ValidatePolicy does and reports findings in its shape: errors, security
// warnings, general warnings and suggestions, each with an issue code, a
// message and the places in the document it is about (a JSON path and a
// span of line, column and offset). It knows every AWS service's actions,
// resource types and condition keys from package servicedata, so it finds
// unknown actions, ARNs that fit no resource type, mistyped condition keys and
// values, and also overly permissive and redundant statements. It also
// summarizes what a policy grants, service by service, as the IAM console
// does (see Summarize).
//
// Issue codes are Access Analyzer's where it has one. Warden adds a few:
// RESOURCE_TYPE_MISMATCH, CONDITION_KEY_NOT_SUPPORTED_BY_ACTIONS,
// UNREACHABLE_STATEMENT, ALLOW_WITH_NOT_ACTION, ALLOW_WITH_NOT_RESOURCE and
// MALFORMED_POLICY_DOCUMENT. Where Warden's IAM refuses a document that Access
// Analyzer only flags (an empty Action list), the finding is an ERROR, and
// any rule of IAM's grammar (policy.Rules) a document breaks is reported as
// MALFORMED_POLICY_DOCUMENT with IAM's message, so that a document without
// errors is one IAM accepts.
//
// The package is pure: no I/O beyond reading the embedded reference.
package validate

import (
	"cmp"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/warden-iam/warden/policy"
	"github.com/warden-iam/warden/servicedata"
)

// FindingType is the impact of a finding.
type FindingType string

// Finding types, as Access Analyzer names them.
const (
	// Error: part of the policy is not functional, or IAM refuses it.
	Error FindingType = "ERROR"
	// SecurityWarning: the policy allows access that is overly permissive.
	SecurityWarning FindingType = "SECURITY_WARNING"
	// Warning: the policy does not conform to policy writing best practices.
	Warning FindingType = "WARNING"
	// Suggestion: a stylistic improvement that does not change access.
	Suggestion FindingType = "SUGGESTION"
)

// Finding is one finding, in the shape of Access Analyzer's
// ValidatePolicyFinding.
type Finding struct {
	FindingDetails string      `json:"findingDetails"`
	FindingType    FindingType `json:"findingType"`
	IssueCode      string      `json:"issueCode"`
	LearnMoreLink  string      `json:"learnMoreLink"`
	Locations      []Location  `json:"locations"`
}

// String writes the finding on one line: its type, issue code, locations
// (line:column-line:column and path, columns from 0 as the API counts them)
// and details.
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(string(f.FindingType) + " " + f.IssueCode)
	for i, l := range f.Locations {
		if i > 0 {
			b.WriteString(" &")
		}
		b.WriteString(" " + l.String())
	}
	b.WriteString(": " + f.FindingDetails)
	return b.String()
}

// String writes the location as line:column-line:column path.
func (l Location) String() string {
	var p strings.Builder
	for _, e := range l.Path {
		p.WriteString(e.String())
	}
	return strconv.Itoa(l.Span.Start.Line) + ":" + strconv.Itoa(l.Span.Start.Column) + "-" +
		strconv.Itoa(l.Span.End.Line) + ":" + strconv.Itoa(l.Span.End.Column) + " " + strings.TrimPrefix(p.String(), ".")
}

// Location is a place in the document: a path through its JSON and the span
// of text it covers.
type Location struct {
	Path []PathElement `json:"path"`
	Span Span          `json:"span"`
}

// PathElement is one step of a path. Exactly one of its fields is set:
// Index into an array, Value of an object member (the path goes on into the
// member's value), Key of an object member (the path ends at the member's
// name), or Substring of a string.
type PathElement struct {
	Index     *int
	Key       *string
	Value     *string
	Substring *Substring
}

// Substring is a part of a JSON string.
type Substring struct {
	Start  int `json:"start"`
	Length int `json:"length"`
}

// MarshalJSON writes the one member that is set, as Access Analyzer does.
func (e PathElement) MarshalJSON() ([]byte, error) {
	switch {
	case e.Index != nil:
		return json.Marshal(struct {
			Index int `json:"index"`
		}{*e.Index})
	case e.Key != nil:
		return json.Marshal(struct {
			Key string `json:"key"`
		}{*e.Key})
	case e.Value != nil:
		return json.Marshal(struct {
			Value string `json:"value"`
		}{*e.Value})
	case e.Substring != nil:
		return json.Marshal(struct {
			Substring Substring `json:"substring"`
		}{*e.Substring})
	}
	return []byte("{}"), nil
}

// UnmarshalJSON reads any of the four forms.
func (e *PathElement) UnmarshalJSON(b []byte) error {
	var v struct {
		Index     *int       `json:"index"`
		Key       *string    `json:"key"`
		Value     *string    `json:"value"`
		Substring *Substring `json:"substring"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = PathElement(v)
	return nil
}

// String writes the element as it reads in a path: [0], .Statement, "key".
func (e PathElement) String() string {
	switch {
	case e.Index != nil:
		return "[" + strconv.Itoa(*e.Index) + "]"
	case e.Key != nil:
		return "." + strconv.Quote(*e.Key)
	case e.Value != nil:
		return "." + *e.Value
	case e.Substring != nil:
		return "[" + strconv.Itoa(e.Substring.Start) + ":" + strconv.Itoa(e.Substring.Start+e.Substring.Length) + "]"
	}
	return ""
}

// Span is a part of the document, from Start (inclusive) to End (exclusive).
type Span struct {
	Start Position `json:"start"`
	End   Position `json:"end"`
}

// Position is a place in the document: Line from 1, Column and Offset from
// 0, counted in UTF-16 code units.
type Position struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Offset int `json:"offset"`
}

// Type is the kind of policy Access Analyzer validates.
type Type uint8

// Policy types.
const (
	// IdentityPolicy is a policy of a user, group or role, managed or inline,
	// a permissions boundary or a session policy.
	IdentityPolicy Type = iota + 1
	// ResourcePolicy is a resource-based policy (a bucket policy, a key
	// policy, ...).
	ResourcePolicy
	// TrustPolicy is a role's trust policy (AssumeRolePolicyDocument).
	TrustPolicy
	// ServiceControlPolicy is an AWS Organizations SCP.
	ServiceControlPolicy
	// ResourceControlPolicy is an AWS Organizations RCP.
	ResourceControlPolicy
)

func (t Type) kind() policy.Kind {
	switch t {
	case ResourcePolicy, ResourceControlPolicy:
		return policy.Resource
	case TrustPolicy:
		return policy.Trust
	}
	return policy.Identity
}

// String is Access Analyzer's name of the type.
func (t Type) String() string {
	switch t {
	case IdentityPolicy:
		return "IDENTITY_POLICY"
	case ResourcePolicy, TrustPolicy:
		return "RESOURCE_POLICY"
	case ServiceControlPolicy:
		return "SERVICE_CONTROL_POLICY"
	case ResourceControlPolicy:
		return "RESOURCE_CONTROL_POLICY"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// principals reports whether statements of this type name a principal.
func (t Type) principals() bool {
	return t == ResourcePolicy || t == TrustPolicy || t == ResourceControlPolicy
}

// Policy validates doc as a policy of the given kind and returns its
// findings in document order; none for a policy without issues. It never
// fails: a document that is not JSON at all gets a JSON_SYNTAX_ERROR finding.
func Policy(doc []byte, kind policy.Kind) []Finding {
	switch kind {
	case policy.Resource:
		return Document(doc, ResourcePolicy)
	case policy.Trust:
		return Document(doc, TrustPolicy)
	}
	return Document(doc, IdentityPolicy)
}

// Document validates doc as a policy of type t; see Policy.
func Document(doc []byte, t Type) []Finding {
	if t < IdentityPolicy || t > ResourceControlPolicy {
		t = IdentityPolicy
	}
	c := &checker{doc: doc, typ: t, lines: newLines(doc)}
	c.ref, _ = servicedata.Load() // nil only for a damaged build: checks that need it are skipped
	c.run()
	slices.SortStableFunc(c.findings, func(a, b Finding) int {
		return cmp.Compare(a.Locations[0].Span.Start.Offset, b.Locations[0].Span.Start.Offset)
	})
	return c.findings
}

// HasErrors reports whether any finding is an ERROR.
func HasErrors(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.FindingType == Error })
}

// check is what the registry knows about an issue code.
type check struct {
	typ FindingType
	// link is the Learn more link; checks of Access Analyzer's reference
	// get its anchor.
	link string
}

const (
	referenceBase = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-"
	userGuide     = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
	authzRef      = "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"
)

// checks is every issue code Warden reports. Access Analyzer's checks link
// to their entry in its reference, whose anchors are the section ("error",
// "general-warning", ...) and the code in lower case with dashes. A few of
// its warnings and suggestions are errors here, because IAM refuses them.
var checks = func() map[string]check {
	m := map[string]check{}
	add := func(t FindingType, section string, codes ...string) {
		for _, code := range codes {
			m[code] = check{typ: t, link: referenceBase + section + "-" + strings.ReplaceAll(strings.ToLower(code), "_", "-")}
		}
	}
	add(Error, "error",
		"ARN_ACCOUNT_NOT_ALLOWED", "ARN_REGION_NOT_ALLOWED", "DATA_TYPE_MISMATCH", "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
		"INVALID_ACTION", "INVALID_ARN_ACCOUNT", "INVALID_ARN_PREFIX", "INVALID_ARN_REGION", "INVALID_ARN_RESOURCE",
		"INVALID_ARN_SERVICE_CASE", "INVALID_CONDITION_DATA_TYPE", "INVALID_CONDITION_KEY_FORMAT",
		"INVALID_CONDITION_MULTIPLE_BOOLEAN", "INVALID_CONDITION_OPERATOR", "INVALID_EFFECT",
		"INVALID_GLOBAL_CONDITION_KEY", "INVALID_PARTITION", "INVALID_POLICY_ELEMENT", "INVALID_PRINCIPAL_FORMAT",
		"INVALID_PRINCIPAL_KEY", "INVALID_SERVICE", "INVALID_SERVICE_CONDITION_KEY", "INVALID_SERVICE_IN_ACTION",
		"INVALID_SERVICE_PRINCIPAL_FORMAT", "INVALID_VARIABLE_FOR_OPERATOR", "INVALID_VERSION", "JSON_SYNTAX_ERROR",
		"MISSING_ACTION", "MISSING_ARN_ACCOUNT", "MISSING_ARN_FIELD", "MISSING_ARN_REGION", "MISSING_EFFECT",
		"MISSING_PRINCIPAL", "MISSING_QUALIFIER", "MISSING_RESOURCE", "MISSING_STATEMENT",
		"MISSING_TAG_KEY_IN_CONDITION", "NULL_WITH_IF_EXISTS", "SCP_SYNTAX_ERROR_PRINCIPAL", "UNIQUE_SIDS_REQUIRED",
		"UNSUPPORTED_ELEMENT_COMBINATION", "UNSUPPORTED_PRINCIPAL", "UNSUPPORTED_SID",
		"UNSUPPORTED_WILDCARD_IN_PRINCIPAL", "MISSING_BRACE_IN_VARIABLE", "MISSING_QUOTE_IN_VARIABLE",
		"UNSUPPORTED_SPACE_IN_VARIABLE", "EMPTY_VARIABLE", "VARIABLE_UNSUPPORTED_IN_ELEMENT",
		"VARIABLE_UNSUPPORTED_IN_VERSION", "PRIVATE_IP_ADDRESS", "PRIVATE_NOT_IP_ADDRESS",
		"POLICY_SIZE_EXCEEDS_SCP_QUOTA")
	// IAM stores these documents (a condition value its operator cannot
	// read never matches), so they are Access Analyzer's warnings and
	// suggestions; policy.Rules says what IAM refuses.
	add(Warning, "general-warning", "TYPE_MISMATCH_BOOLEAN", "TYPE_MISMATCH_DATE", "TYPE_MISMATCH_IP_RANGE",
		"TYPE_MISMATCH_NUMBER", "TYPE_MISMATCH_STRING")
	add(Suggestion, "suggestion", "EMPTY_ARRAY_CONDITION", "EMPTY_ARRAY_CONDITION_FORALLVALUES",
		"EMPTY_ARRAY_CONDITION_FORANYVALUE", "EMPTY_ARRAY_CONDITION_IFEXISTS")
	// IAM refuses these documents; Access Analyzer only suggests.
	add(Error, "suggestion", "EMPTY_ARRAY_ACTION", "EMPTY_ARRAY_RESOURCE", "EMPTY_ARRAY_PRINCIPAL",
		"EMPTY_OBJECT_PRINCIPAL", "NULL_WITH_QUALIFIER")
	add(Warning, "general-warning",
		"MISSING_VERSION", "TYPE_MISMATCH", "WILDCARD_WITHOUT_LIKE_OPERATOR", "INVALID_DATE_VALUE",
		"DEPRECATED_GLOBAL_CONDITION_KEY", "INVALID_ROLE_REFERENCE", "INVALID_USER_REFERENCE",
		"POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", "CREATE_SLR_WITH_NOT_RESOURCE",
		"CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE", "CREATE_SLR_WITH_NOT_ACTION_AND_NOT_RESOURCE",
		"CREATE_SLR_WITH_STAR_IN_RESOURCE", "CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE",
		"CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION")
	add(SecurityWarning, "security-warning",
		"ALLOW_WITH_NOT_PRINCIPAL", "FORALLVALUES_WITH_SINGLE_VALUED_KEY", "PASS_ROLE_WITH_NOT_RESOURCE",
		"PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE", "PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE",
		"PASS_ROLE_WITH_STAR_IN_RESOURCE", "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
		"PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION")
	add(Suggestion, "suggestion",
		"EMPTY_OBJECT_CONDITION", "EMPTY_SID_VALUE", "IMPROVE_IP_RANGE", "PRIVATE_IP_ADDRESS_SUBSET",
		"PRIVATE_NOT_IP_ADDRESS_SUBSET", "REDUNDANT_ACTION", "REDUNDANT_CONDITION_VALUE_NUM", "REDUNDANT_RESOURCE",
		"REDUNDANT_STATEMENT", "WILDCARD_IN_SERVICE_NAME")
	// Warden's own checks.
	m["RESOURCE_TYPE_MISMATCH"] = check{Warning, authzRef}
	m["CONDITION_KEY_NOT_SUPPORTED_BY_ACTIONS"] = check{Warning, authzRef}
	m["UNREACHABLE_STATEMENT"] = check{Warning, userGuide + "reference_policies_evaluation-logic.html"}
	m["ALLOW_WITH_NOT_ACTION"] = check{SecurityWarning, userGuide + "reference_policies_elements_notaction.html"}
	m["ALLOW_WITH_NOT_RESOURCE"] = check{SecurityWarning, userGuide + "reference_policies_elements_notresource.html"}
	m["MALFORMED_POLICY_DOCUMENT"] = check{Error, userGuide + "reference_policies_grammar.html"}
	return m
}()

// IssueCodes lists every issue code Validate can report, sorted.
func IssueCodes() []string {
	out := make([]string, 0, len(checks))
	for c := range checks {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// maxCompared bounds the checks that compare every pair of statements, of
// actions or of resources, so that a huge document (resource policies have
// no size quota) costs time in proportion to its size. Real policies stay
// far below it; beyond it those checks are skipped.
const maxCompared = 200

// path is a JSON path under construction. Paths are built by appending to
// shared prefixes, so every append copies.
type path []PathElement

func (p path) value(k string) path { return append(slices.Clip(p), PathElement{Value: &k}) }
func (p path) key(k string) path   { return append(slices.Clip(p), PathElement{Key: &k}) }
func (p path) index(i int) path    { return append(slices.Clip(p), PathElement{Index: &i}) }

// at is a location before its span is converted to positions.
type at struct {
	path       path
	start, end int // byte offsets
}

// atNode is the location of a value.
func atNode(p path, n *node) at { return at{path: p, start: n.start, end: n.end} }

// checker holds one validation run.
type checker struct {
	doc      []byte
	typ      Type
	ref      *servicedata.Reference
	lines    *lines
	findings []Finding

	version   string // "" when the document has none
	hasErrors bool
}

// report adds a finding of a registered issue code.
func (c *checker) report(code, details string, locs ...at) {
	ch, ok := checks[code]
	if !ok {
		panic("validate: unregistered issue code " + code)
	}
	if ch.typ == Error {
		c.hasErrors = true
	}
	f := Finding{FindingDetails: details, FindingType: ch.typ, IssueCode: code, LearnMoreLink: ch.link}
	for _, l := range locs {
		p := l.path
		if p == nil {
			p = path{}
		}
		f.Locations = append(f.Locations, Location{Path: p,
			Span: Span{Start: c.lines.position(l.start), End: c.lines.position(l.end)}})
	}
	if len(f.Locations) == 0 {
		f.Locations = []Location{{Path: path{}, Span: Span{Start: c.lines.position(0), End: c.lines.position(0)}}}
	}
	c.findings = append(c.findings, f)
}

func (c *checker) run() {
	root, serr := parseTree(c.doc)
	if serr != nil {
		p := c.lines.position(serr.offset)
		msg := "Fix the JSON syntax error at index " + strconv.Itoa(p.Offset) + " line " + strconv.Itoa(p.Line) +
			" column " + strconv.Itoa(p.Column) + "."
		if serr.what != "" {
			msg += " There is " + serr.what + "."
		}
		end := serr.offset + 1
		if end > len(c.doc) {
			end = len(c.doc)
		}
		c.report("JSON_SYNTAX_ERROR", msg, at{path: path{}, start: serr.offset, end: end})
		return
	}
	c.document(root)
	if !c.hasErrors {
		// Warden's IAM has the last word: a document it refuses always has
		// an error, even when no check above explains it better.
		// The finding names the broken rule of policy.Rules and IAM's
		// message, word for word.
		if _, err := policy.Parse(c.doc, c.typ.kind()); err != nil {
			msg := err.Error()
			var pe *policy.Error
			if errors.As(err, &pe) && pe.Rule != "" {
				msg = "IAM refuses the policy (" + pe.Rule + "): " + pe.Message
			} else {
				msg = "IAM refuses the policy: " + msg
			}
			c.report("MALFORMED_POLICY_DOCUMENT", msg, atNode(path{}, root))
		}
	}
}
