package policy

import (
	"strconv"
	"strings"
)

// Rule is one rule of IAM's policy grammar: what IAM answers, word for word,
// when a document breaks it. Rules lists them in the order IAM checks them, so
// that a document breaking several gets the message of the first. The richer
// checker (package validate) reports a broken rule under the rule's Code.
type Rule struct {
	// Code names the rule; an *Error carries it.
	Code string
	// Message is IAM's message; %s marks where the offending value goes.
	Message string
	// Kinds are the document kinds the rule applies to; nil means all.
	Kinds []Kind
	// Source is where IAM's wording and behaviour are recorded.
	Source string
}

// Rule codes, in IAM's order of checks.
const (
	RuleJSON             = "JSON"
	RuleTrustJSON        = "TRUST_JSON"
	RuleSessionJSON      = "SESSION_JSON"
	RuleSyntax           = "SYNTAX"
	RuleVersion          = "VERSION"
	RulePrincipalInIdent = "PRINCIPAL_IN_IDENTITY"
	RuleLegacy           = "LEGACY"
	RuleSidAlnum         = "SID_ALNUM"
	RuleSidUnique        = "SID_UNIQUE"
	RulePrincipalMissing = "PRINCIPAL_MISSING"
	RuleNotPrincipal     = "NOT_PRINCIPAL_PROHIBITED"
	RuleBothPrincipals   = "BOTH_PRINCIPALS"
	RuleTrustResource    = "TRUST_RESOURCE_PROHIBITED"
	RuleNoActions        = "NO_ACTIONS"
	RuleTrustNoAction    = "TRUST_NO_ACTION"
	RuleResourceFormat   = "RESOURCE_FORMAT"
	RulePartition        = "PARTITION"
	RuleResourceVendor   = "RESOURCE_VENDOR"
	RuleIAMRegion        = "IAM_REGION"
	RuleS3Region         = "S3_REGION"
	RuleIAMPath          = "IAM_PATH"
	RuleVendor           = "VENDOR"
	RuleActionColon      = "ACTION_COLON"
	RuleVendorWildcard   = "VENDOR_WILDCARD"
	RuleVendorInvalid    = "VENDOR_INVALID"
	RuleConditionColon   = "CONDITION_COLON"
	RuleTrustAction      = "TRUST_ACTION"
	RuleNoResources      = "NO_RESOURCES"
	RuleTrustStar        = "TRUST_STAR_PRINCIPAL"
	RulePrincipal        = "INVALID_PRINCIPAL"
	RuleVariable         = "VARIABLE"
)

const (
	srcMoto       = "github.com/getmoto/moto tests/test_iam/test_iam_policies.py (responses recorded from IAM)"
	srcGrammar    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html"
	srcTrustRes   = "github.com/kubernetes-sigs/external-dns issue 3085 (CreateRole: Has prohibited field Resource)"
	srcTrustJSN   = "github.com/AWSCookbook/Security issue 2 (CreateRole: This policy contains invalid Json)"
	srcPrinc      = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
	srcIAMReg     = "github.com/cloud-gov/terraform-provision pull 1838 (IAM resource ... cannot contain region information)"
	srcIssue11    = "https://github.com/hashicorp/terraform/issues/13449 (PutRolePolicy: Policy document should not specify a principal.)"
	srcTrustAct   = "github.com/localstack/localstack tests/aws/services/iam/test_iam_roles.snapshot.json (UpdateAssumeRolePolicy with sts:InvalidAction, recorded from AWS)"
	srcWildVend   = "github.com/theserverlessway/aws-baseline issue 1 (CreateRole's inline policy: Action vendors ... must not contain wildcards.)"
	srcSidAlnum   = "https://github.com/aws-cloudformation/cfn-lint/issues/1376 and https://github.com/Wolox/carthage_cache/issues/22"
	srcLegacy     = "https://github.com/hashicorp/terraform/issues/14652 and https://github.com/99designs/iamy/issues/65 (white space before the brace; a statement object before Version); https://github.com/hashicorp/terraform/issues/17987 (a trust policy opening with blanks must name resources); https://github.com/garnaat/kappa/issues/111 (a short ARN ending in \"*\" passes); https://github.com/aws-solutions/cognito-user-profiles-export-reference-architecture/issues/2 (the region us-west--2 fails)"
	srcLSPolicies = "github.com/localstack/localstack tests/aws/services/iam/test_iam_policies.snapshot.json (moto's documents recorded again from AWS 18-02-2026)"
	srcNoPrinc    = "https://github.com/terraform-aws-modules/terraform-aws-iam/issues/47 (CreateRole with an empty principal list)"
	srcSessJSN    = "https://github.com/hashicorp/vault/issues/1113 (GetFederationToken given a policy ARN) and github.com/ansible-collections/amazon.aws tests/integration/targets/sts_assume_role/tasks/main.yml (AssumeRole with the policy \"invalid policy\")"
	srcTrustStar  = "https://github.com/aws/aws-cdk/issues/5732 (CreateRole with \"Principal\": \"*\"; aws/aws-cdk pull 5746: the IAM API rejects it, {\"AWS\": \"*\"} is accepted)"
)

var identityKinds = []Kind{Identity, Managed, Boundary, Session}

// Rules is IAM's policy grammar, in IAM's order of checks: JSON, then the
// structure, then Version, then the legacy parser (Effect's case, dates,
// the shape of ARNs), then Sids, then statement fields — actions present,
// resource formats, resources present, action names — and last principals.
var Rules = []Rule{
	{RuleJSON, msgSyntax, nil, srcMoto},
	{RuleTrustJSON, "This policy contains invalid Json", []Kind{Trust}, srcTrustJSN},
	{RuleSessionJSON, "The policy is not in the valid JSON format.", []Kind{Session}, srcSessJSN},
	{RuleSyntax, msgSyntax, nil, srcMoto},
	{RuleVersion, "Policy document must be version 2012-10-17 or greater.", []Kind{Managed}, srcMoto},
	{RulePrincipalInIdent, "Policy document should not specify a principal.", identityKinds, srcIssue11},
	{RuleLegacy, msgLegacy, nil, srcMoto + "; " + srcLegacy},
	{RuleSidAlnum, msgSidAlnum, []Kind{Identity, Managed, Boundary, Session, Trust}, srcSidAlnum},
	{RuleSidUnique, msgSidUnique, nil, srcMoto},
	{RuleTrustResource, "Has prohibited field %s", []Kind{Trust}, srcTrustRes + "; " + srcTrustAct},
	{RulePrincipalMissing, "Missing required field Principal", []Kind{Trust, Resource}, srcPrinc},
	{RuleNotPrincipal, "Has prohibited field NotPrincipal", []Kind{Trust}, srcPrinc},
	{RuleBothPrincipals, "Policy statement must not contain both Principal and NotPrincipal.", []Kind{Resource}, srcGrammar},
	{RuleNoActions, msgNoActions, []Kind{Identity, Managed, Boundary, Session, Resource}, srcMoto},
	{RuleTrustNoAction, "Missing required field Action", []Kind{Trust}, srcPrinc},
	{RuleResourceFormat, `Resource %s must be in ARN format or "*".`, nil, srcMoto},
	{RulePartition, `Partition "%s" is not valid for resource "%s".`, nil, srcMoto},
	{RuleResourceVendor, "Resource vendor must be fully qualified and cannot contain regexes.", nil, srcMoto},
	{RuleIAMRegion, "IAM resource %s cannot contain region information.", nil, srcIAMReg},
	{RuleS3Region, "Resource %s can not contain region information.", nil, srcMoto},
	{RuleIAMPath, `IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`, nil, srcLSPolicies},
	{RuleNoResources, msgNoResources, nil, srcMoto + "; " + srcLSPolicies},
	{RuleVendor, msgVendor, nil, srcMoto},
	{RuleActionColon, msgActionColon, nil, srcMoto},
	{RuleVendorWildcard, msgVendorWild, nil, srcWildVend},
	{RuleVendorInvalid, "Vendor %s is not valid", nil, srcMoto},
	{RuleConditionColon, msgConditionColon, nil, "https://github.com/terraform-aws-modules/terraform-aws-eks/issues/1084 (CreateRole: a condition key with https://)"},
	{RuleTrustAction, "AssumeRole policy may only specify STS AssumeRole actions.", []Kind{Trust}, srcTrustAct},
	{RuleTrustStar, `AssumeRolepolicy contained an invalid principal: "STAR":"*".`, []Kind{Trust}, srcTrustStar},
	{RulePrincipal, "Invalid principal in policy", []Kind{Trust, Resource}, srcPrinc + "; " + srcNoPrinc + "; https://github.com/aws-cloudformation/cfn-lint/issues/4287"},
	{RuleVariable, "Policy variable %s is not valid.", nil, srcGrammar},
}

// ruleMessage returns the message of rule code with args in place of its
// %s marks.
func ruleMessage(code string, args ...string) string {
	for _, r := range Rules {
		if r.Code == code {
			msg := r.Message
			for _, a := range args {
				msg = strings.Replace(msg, "%s", a, 1)
			}
			return msg
		}
	}
	panic("policy: unknown rule " + code)
}

// broke is the *Error of a broken rule.
func broke(code string, args ...string) *Error {
	return &Error{Rule: code, Message: ruleMessage(code, args...)}
}

// draft is a statement between the structural check and the later stages.
type draft struct {
	s          Statement
	node       *node
	effect     string // as written
	principals [2]*node
}

// layout is what IAM's parser sees of a document's text beyond its
// structure: whether it opens with white space, and whether a single
// statement object comes before the Version that says how to read it.
type layout struct {
	leadingSpace        bool
	objectBeforeVersion bool
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// checkGrammar runs the grammar's stages over a structurally read document.
func checkGrammar(kind Kind, version string, hasVersion bool, lay layout, ds []draft) error {
	// Version.
	if kind.managed() && (!hasVersion || version != Version2012) {
		return broke(RuleVersion)
	}
	// An identity document names no principal.
	if !kind.principalRequired() && kind != Resource {
		for _, d := range ds {
			if d.principals[0] != nil || d.principals[1] != nil {
				return broke(RulePrincipalInIdent)
			}
		}
	}
	// The legacy parser: a document that does not open with its brace, or
	// whose single statement object precedes the Version, is read by the
	// legacy parser, which refuses it; then Effect's exact case, dates and
	// ARN shapes.
	if kind != Trust && (lay.leadingSpace || lay.objectBeforeVersion) {
		return broke(RuleLegacy)
	}
	// A trust policy that opens with blanks is read as a permissions
	// policy, which must name resources (hashicorp/terraform#17987: an
	// indented heredoc given to CreateRole).
	if kind == Trust && lay.leadingSpace {
		for _, d := range ds {
			if d.s.Resource == nil && d.s.NotResource == nil {
				return broke(RuleNoResources)
			}
		}
	}
	for _, d := range ds {
		if d.effect != "Allow" && d.effect != "Deny" {
			return broke(RuleLegacy)
		}
		for _, c := range d.s.Condition {
			if !strings.Contains(c.Operator, "Date") {
				continue
			}
			for _, v := range c.Values {
				if !lenientDate(v) {
					return broke(RuleLegacy)
				}
			}
		}
		for _, r := range d.s.Resource {
			if !legacyARN(r) {
				return broke(RuleLegacy)
			}
		}
		for _, r := range d.s.NotResource {
			if !legacyARN(r) {
				return broke(RuleLegacy)
			}
		}
	}
	// Sids, statement by statement: its characters, then whether an
	// earlier statement has it.
	sids := make(map[string]bool, len(ds))
	for _, d := range ds {
		if kind != Resource && !isAlnum(d.s.Sid) {
			return broke(RuleSidAlnum)
		}
		if d.s.Sid == "" {
			continue
		}
		if sids[d.s.Sid] {
			return broke(RuleSidUnique)
		}
		sids[d.s.Sid] = true
	}
	// A trust policy's resource is the role: IAM refuses a Resource before
	// it looks at principals (a pasted identity policy gets this message).
	if kind == Trust {
		for _, d := range ds {
			if d.s.Resource != nil {
				return broke(RuleTrustResource, "Resource")
			}
			if d.s.NotResource != nil {
				return broke(RuleTrustResource, "NotResource")
			}
		}
	}
	// Principals of trust and resource policies.
	if kind.principalRequired() {
		for _, d := range ds {
			switch {
			case kind == Trust && d.principals[1] != nil:
				return broke(RuleNotPrincipal)
			case d.principals[0] == nil && d.principals[1] == nil:
				return broke(RulePrincipalMissing)
			case d.principals[0] != nil && d.principals[1] != nil:
				return broke(RuleBothPrincipals)
			}
		}
	}
	// Actions present.
	for _, d := range ds {
		if len(d.s.Action) == 0 && len(d.s.NotAction) == 0 {
			if kind == Trust {
				return broke(RuleTrustNoAction)
			}
			return broke(RuleNoActions)
		}
	}
	// Resource formats, before action names.
	for _, d := range ds {
		for _, list := range [][]string{d.s.Resource, d.s.NotResource} {
			for _, r := range list {
				if err := checkResource(r); err != nil {
					return err
				}
			}
		}
	}
	// Resources present, before action names: IAM answers a statement
	// with the action "invalid" and no resource with the missing resources
	// (localstack/localstack test_iam_policies.snapshot.json, recorded
	// 18-02-2026; moto's older record had the vendor message).
	if kind != Trust {
		for _, d := range ds {
			if len(d.s.Resource) == 0 && len(d.s.NotResource) == 0 {
				return broke(RuleNoResources)
			}
		}
	}
	// Action names.
	for _, d := range ds {
		for _, list := range [][]string{d.s.Action, d.s.NotAction} {
			for _, a := range list {
				if err := checkAction(a); err != nil {
					return err
				}
				if kind == Trust && !trustAction(a) {
					return broke(RuleTrustAction)
				}
			}
		}
		for _, c := range d.s.Condition {
			if _, rest, ok := strings.Cut(c.Key, ":"); ok && strings.HasPrefix(rest, "//") {
				return broke(RuleConditionColon)
			}
		}
	}
	return nil
}

// checkAction validates "vendor:action" or "*". IAM does not look at the
// action name: "iam: asdf safdsf af " is accepted.
func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	vendor, name, ok := strings.Cut(a, ":")
	if !ok || vendor == "" {
		return broke(RuleVendor)
	}
	if strings.Contains(name, ":") {
		return broke(RuleActionColon)
	}
	if strings.ContainsAny(vendor, "*?") {
		return broke(RuleVendorWildcard)
	}
	for i := 0; i < len(vendor); i++ {
		if c := vendor[i]; !isAlnumByte(c) && c != '-' && c != '.' && c != '_' {
			return broke(RuleVendorInvalid, vendor)
		}
	}
	return nil
}

// trustActions are the actions a trust policy may name: the ways of
// assuming a role and what may come with them. IAM refuses any other, an
// unknown sts: action included (localstack's snapshot of
// UpdateAssumeRolePolicy with sts:InvalidAction, recorded from AWS).
var trustActions = []string{"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
	"sts:TagSession", "sts:SetSourceIdentity", "sts:SetContext"}

// trustAction reports whether a trust policy may name action a: one of
// trustActions, or a wildcard that matches one ("*", "sts:*").
func trustAction(a string) bool {
	p := newActionPattern(a)
	for _, t := range trustActions {
		if p.match(t) {
			return true
		}
	}
	return false
}

// partitions are the partitions IAM accepts in a Resource, and the wildcard
// AWS's own managed policies use.
var partitions = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true, "aws-iso-b": true,
	"aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true, "*": true,
}

// iamPaths are the resource types IAM's message lists, and root,
// contextProvider/, role-template/ and delegation-request/, which AWS
// managed policies and the service authorization reference name.
var iamPaths = []string{"user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/",
	"server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/",
	"access-report/", "contextProvider/", "role-template/", "delegation-request/"}

// splitARN cuts s at its first five colons outside ${...}.
func splitARN(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s) && len(out) < 5; i++ {
		switch {
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			depth++
			i++
		case s[i] == '}' && depth > 0:
			depth--
		case s[i] == ':' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// legacyARN is the legacy parser's view of a Resource: an "arn:" of a known
// partition has a service and either three sections or all six, or four or
// five whose last is "*", a wildcard that stands for the sections left out
// (garnaat/kappa#111: IAM took arn:aws:codebuild:* and answered for the
// statement's actions; arn:aws:s3::example_bucket and
// arn:aws:iam:791234567834:user/dave fail). A region it reads has no empty
// part between its hyphens (the us-west--2 of
// aws-solutions/cognito-user-profiles-export-reference-architecture#2 fails).
func legacyARN(r string) bool {
	secs := splitARN(r)
	if secs[0] != "arn" || len(secs) < 3 || !partitions[secs[1]] {
		return true
	}
	if secs[2] == "" || (len(secs) == 4 || len(secs) == 5) && secs[len(secs)-1] != "*" {
		return false
	}
	return len(secs) < 4 || legacyRegion(secs[3])
}

// legacyRegion reports whether the legacy parser reads an ARN's region
// section: empty, left open by a wildcard or variable, or words joined by
// single hyphens.
func legacyRegion(region string) bool {
	if region == "" || strings.ContainsAny(region, "*?") || strings.Contains(region, "${") {
		return true
	}
	for _, part := range strings.Split(region, "-") {
		if part == "" {
			return false
		}
	}
	return true
}

// checkResource validates a Resource or NotResource entry the way IAM does.
func checkResource(r string) error {
	if r == "*" {
		return nil
	}
	_, rest, ok := strings.Cut(r, ":")
	if !ok {
		return broke(RuleResourceFormat, r)
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !partitions[partition] {
		// IAM names the resource as it reads it: "arn:" and the partition,
		// then the sections given, "*" for those missing.
		parts := strings.Split(rest, ":")
		secs := []string{"*", "*", "*", "*"}
		for i := 0; i < len(parts) && i < 3; i++ {
			secs[i] = parts[i]
		}
		if len(parts) > 3 {
			secs[3] = strings.Join(parts[3:], ":")
		}
		if len(parts) == 1 && parts[0] == "" {
			secs[0] = "*"
		}
		return broke(RulePartition, partition, "arn:"+partition+":"+strings.Join(secs, ":"))
	}
	if !ok {
		return broke(RuleResourceVendor)
	}
	secs := splitARN(r)
	for len(secs) < 6 {
		secs = append(secs, "")
	}
	service, region, account, resource := secs[2], secs[3], secs[4], secs[5]
	switch service {
	case "iam":
		if literal(region) {
			return broke(RuleIAMRegion, r)
		}
		if len(splitARN(r)) == 6 && !iamPath(resource) {
			return broke(RuleIAMPath)
		}
	case "s3":
		// Buckets and objects have neither region nor account; access
		// points, jobs and Storage Lens have both. IAM refuses a region on
		// anything else, an account beside it or not (aws/aws-cdk#22445:
		// arn:aws:s3:us-west-2:123456789:test/athena).
		if literal(region) && (account == "" || !s3Regional(resource)) {
			return broke(RuleS3Region, r)
		}
	}
	return nil
}

// literal reports whether an ARN section is set and has no wildcard.
func literal(sec string) bool { return sec != "" && !strings.ContainsAny(sec, "*?") }

// s3RegionalTypes are the S3 resource types whose ARNs name a region.
var s3RegionalTypes = []string{"accesspoint", "job", "storage-lens", "storage-lens-group", "async-request", "access-grants"}

// s3Regional reports whether an S3 resource is of a regional type, or its
// type is left open by a wildcard or variable.
func s3Regional(res string) bool {
	typ, _, _ := strings.Cut(res, "/")
	if strings.ContainsAny(typ, "*?") || strings.Contains(typ, "${") {
		return true
	}
	for _, t := range s3RegionalTypes {
		if typ == t {
			return true
		}
	}
	return false
}

func iamPath(res string) bool {
	if res == "*" || res == "root" {
		return true
	}
	for _, p := range iamPaths {
		if strings.HasPrefix(res, p) {
			return true
		}
	}
	// A wildcard or variable in the type leaves it open.
	first, _, _ := strings.Cut(res, "/")
	return strings.ContainsAny(first, "*?") || strings.Contains(first, "${")
}

// lenientDate is IAM's check of a date condition value: an epoch time in
// seconds that fits 64 bits, or an ISO 8601 shape read loosely — a year of
// up to four digits, an optional month and day, an optional T (either case)
// and time of day with up to nine fraction digits, and an optional zone (Z,
// +hh, +hhmm or +hh:mm). IAM accepts "01T" and "2016-12-13t2:00:00.5+23"
// and refuses "234-13" and "+1" zones.
func lenientDate(s string) bool {
	if s == "" {
		return false
	}
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return true
	}
	i := 0
	digits := func(min, max int) (int, bool) {
		j := i
		for j < len(s) && j-i < max && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		if j-i < min {
			return 0, false
		}
		n, _ := strconv.Atoi(s[i:j])
		i = j
		return n, true
	}
	if _, ok := digits(1, 4); !ok {
		return false
	}
	if i < len(s) && s[i] == '-' {
		i++
		m, ok := digits(1, 2)
		if !ok || m < 1 || m > 12 {
			return false
		}
		if i < len(s) && s[i] == '-' {
			i++
			d, ok := digits(1, 2)
			if !ok || d < 1 || d > 31 {
				return false
			}
		}
	}
	if i < len(s) && (s[i] == 'T' || s[i] == 't') {
		i++
		if i < len(s) && '0' <= s[i] && s[i] <= '9' {
			if h, ok := digits(1, 2); !ok || h > 24 {
				return false
			}
			for k := 0; k < 2 && i < len(s) && s[i] == ':'; k++ {
				i++
				if m, ok := digits(2, 2); !ok || m > 59 {
					return false
				}
			}
			if i < len(s) && s[i] == '.' {
				i++
				if _, ok := digits(1, 9); !ok {
					return false
				}
			}
		}
	}
	if i == len(s) {
		return true
	}
	switch s[i] {
	case 'Z', 'z':
		return i+1 == len(s)
	case '+', '-':
		i++
		if _, ok := digits(2, 2); !ok {
			return false
		}
		if i < len(s) && s[i] == ':' {
			i++
		}
		if i < len(s) {
			if _, ok := digits(2, 2); !ok {
				return false
			}
		}
		return i == len(s)
	}
	return false
}
