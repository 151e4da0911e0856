package validate

import (
	"strconv"
	"strings"

	"github.com/warden-iam/warden/policy"
)

// statement is one statement as written, with where each part is.
type statement struct {
	index int // position in the Statement array; -1 when Statement is an object
	n     *node
	path  path

	sid    string
	hasSid bool
	effect string // "Allow", "Deny", or "" when missing or invalid

	// actions are the Action or NotAction values; actionKey is which.
	actions   []item
	actionKey string
	// resources are the Resource or NotResource values.
	resources   []item
	resourceKey string
	// principal is the Principal or NotPrincipal value.
	principal    *node
	principalKey string

	conditions []condition
	condNode   *node
}

func (s *statement) notAction() bool   { return s.actionKey == "NotAction" }
func (s *statement) notResource() bool { return s.resourceKey == "NotResource" }
func (s *statement) allow() bool       { return s.effect == "Allow" }

// name is how messages refer to the statement.
func (s *statement) name() string {
	name := "the statement"
	if s.index >= 0 {
		name = "Statement[" + strconv.Itoa(s.index) + "]"
	}
	if s.sid != "" {
		name += " (Sid " + strconv.Quote(s.sid) + ")"
	}
	return name
}

// item is one string of an element that is a string or a list of strings.
type item struct {
	text string
	n    *node
	path path
}

func (it item) at() at { return atNode(it.path, it.n) }

// elements of a statement; anything else is INVALID_POLICY_ELEMENT.
var statementElements = map[string]bool{
	"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true, "Action": true, "NotAction": true,
	"Resource": true, "NotResource": true, "Condition": true,
}

// dataType reports a value of the wrong JSON type.
func (c *checker) dataType(p path, n *node, want string) {
	c.report("DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type "+want+".", atNode(p, n))
}

// duplicates reports every object member whose name appeared before in the
// same object, anywhere in the document: IAM refuses them as syntax errors.
func (c *checker) duplicates(n *node, p path) {
	switch n.kind {
	case kindObject:
		for i, k := range n.keys {
			for _, prev := range n.keys[:i] {
				if prev == k {
					pos := c.lines.position(n.keySpans[i][0])
					c.report("JSON_SYNTAX_ERROR", "Fix the JSON syntax error at index "+strconv.Itoa(pos.Offset)+
						" line "+strconv.Itoa(pos.Line)+" column "+strconv.Itoa(pos.Column)+". The key "+
						strconv.Quote(k)+" appears more than once in the same object.",
						at{path: p.key(k), start: n.keySpans[i][0], end: n.keySpans[i][1]})
					break
				}
			}
			c.duplicates(n.elems[i], p.value(k))
		}
	case kindArray:
		for i, e := range n.elems {
			c.duplicates(e, p.index(i))
		}
	}
}

func (c *checker) document(root *node) {
	if root.kind != kindObject {
		c.dataType(path{}, root, "Object")
		return
	}
	c.duplicates(root, path{})
	var stmtNode *node
	for i, k := range root.keys {
		v := root.elems[i]
		keyAt := at{path: path{}.key(k), start: root.keySpans[i][0], end: root.keySpans[i][1]}
		switch k {
		case "Version":
			switch {
			case v.kind != kindString:
				c.dataType(path{}.value(k), v, "String")
			case v.text != policy.Version2012 && v.text != policy.Version2008:
				c.report("INVALID_VERSION", "The version "+v.text+" is not valid. Use one of the following versions: "+
					policy.Version2012+", "+policy.Version2008, atNode(path{}.value(k), v))
			default:
				if c.version == "" {
					c.version = v.text
				}
			}
		case "Id":
			if v.kind != kindString {
				c.dataType(path{}.value(k), v, "String")
			}
		case "Statement":
			if stmtNode == nil {
				stmtNode = v
			}
		default:
			c.report("INVALID_POLICY_ELEMENT", "The policy element "+k+" is not valid.", keyAt)
		}
	}
	if _, i := root.member("Version"); i < 0 {
		c.report("MISSING_VERSION", "We recommend that you specify the Version element to help you with debugging permission issues.",
			at{path: path{}, start: root.start, end: root.start + 1})
	}
	if stmtNode == nil {
		c.report("MISSING_STATEMENT", "Add a statement to the policy", atNode(path{}, root))
		return
	}
	sp := path{}.value("Statement")
	var stmts []*statement
	switch stmtNode.kind {
	case kindObject:
		stmts = append(stmts, c.statement(stmtNode, -1, sp))
	case kindArray:
		if len(stmtNode.elems) == 0 {
			c.report("MISSING_STATEMENT", "Add a statement to the policy", atNode(sp, stmtNode))
		}
		for i, e := range stmtNode.elems {
			if e.kind != kindObject {
				c.dataType(sp.index(i), e, "Object")
				continue
			}
			stmts = append(stmts, c.statement(e, i, sp.index(i)))
		}
	default:
		c.dataType(sp, stmtNode, "Array")
	}
	c.sids(stmts)
	c.statements(stmts)
	c.size()
}

// statement reads and checks one statement.
func (c *checker) statement(n *node, index int, p path) *statement {
	s := &statement{index: index, n: n, path: p}
	stmtAt := atNode(p, n)
	for i, k := range n.keys {
		v := n.elems[i]
		vp := p.value(k)
		keyAt := at{path: p.key(k), start: n.keySpans[i][0], end: n.keySpans[i][1]}
		if !statementElements[k] {
			c.report("INVALID_POLICY_ELEMENT", "The policy element "+k+" is not valid.", keyAt)
			continue
		}
		if j := indexOf(n.keys, k); j != i {
			continue // a duplicate, reported as a syntax error
		}
		switch k {
		case "Sid":
			if v.kind != kindString {
				c.dataType(vp, v, "String")
				continue
			}
			s.sid, s.hasSid = v.text, true
			c.sid(s, atNode(vp, v))
		case "Effect":
			switch {
			case v.kind != kindString:
				c.dataType(vp, v, "String")
			case v.text == "Allow" || v.text == "Deny":
				s.effect = v.text
			default:
				c.report("INVALID_EFFECT", "The effect "+v.text+" is not valid. Use Allow or Deny.", atNode(vp, v))
			}
		case "Action", "NotAction":
			if s.actionKey != "" {
				c.report("UNSUPPORTED_ELEMENT_COMBINATION", "The policy elements Action and NotAction can not be used in the same statement. Remove one of these elements.", keyAt)
				continue
			}
			s.actionKey = k
			s.actions = c.stringList(v, vp)
			if v.kind == kindArray && len(v.elems) == 0 {
				c.report("EMPTY_ARRAY_ACTION", "This statement includes no actions and does not affect the policy. Specify actions.", atNode(vp, v))
			}
		case "Resource", "NotResource":
			if c.typ == TrustPolicy {
				c.report("INVALID_POLICY_ELEMENT", "The policy element "+k+" is not valid in a role trust policy: the resource is the role.", keyAt)
				continue
			}
			if s.resourceKey != "" {
				c.report("UNSUPPORTED_ELEMENT_COMBINATION", "The policy elements Resource and NotResource can not be used in the same statement. Remove one of these elements.", keyAt)
				continue
			}
			s.resourceKey = k
			s.resources = c.stringList(v, vp)
			if v.kind == kindArray && len(v.elems) == 0 {
				c.report("EMPTY_ARRAY_RESOURCE", "This statement includes no resources and does not affect the policy. Specify resources.", atNode(vp, v))
			}
		case "Principal", "NotPrincipal":
			if !c.typ.principals() {
				if c.typ == ServiceControlPolicy {
					c.report("SCP_SYNTAX_ERROR_PRINCIPAL", "SCPs do not support specifying principals. Remove the Principal or NotPrincipal element.", keyAt)
				} else {
					c.report("UNSUPPORTED_PRINCIPAL", "The policy type "+c.typ.String()+" does not support the "+k+" element. Remove the "+k+" element.", keyAt)
				}
				continue
			}
			if s.principalKey != "" {
				c.report("UNSUPPORTED_ELEMENT_COMBINATION", "The policy elements Principal and NotPrincipal can not be used in the same statement. Remove one of these elements.", keyAt)
				continue
			}
			if k == "NotPrincipal" && c.typ == TrustPolicy {
				c.report("INVALID_POLICY_ELEMENT", "The policy element NotPrincipal is not valid in a role trust policy.", keyAt)
				continue
			}
			s.principal, s.principalKey = v, k
			c.principal(v, vp)
		case "Condition":
			s.condNode = v
			s.conditions = c.readConditions(v, vp)
		}
	}
	if s.effect == "" {
		if _, i := n.member("Effect"); i < 0 {
			c.report("MISSING_EFFECT", "Add an Effect element to the policy statement with a value of Allow or Deny.", stmtAt)
		}
	}
	if s.actionKey == "" {
		c.report("MISSING_ACTION", "Add an Action or NotAction element to the policy statement.", stmtAt)
	}
	if s.resourceKey == "" && c.typ != TrustPolicy {
		c.report("MISSING_RESOURCE", "Add a Resource or NotResource element to the policy statement.", stmtAt)
	}
	if c.typ.principals() && s.principalKey == "" {
		if _, i := n.member("Principal"); i < 0 {
			c.report("MISSING_PRINCIPAL", "Add a Principal element to the policy statement.", stmtAt)
		}
	}
	if s.allow() && s.principalKey == "NotPrincipal" {
		c.report("ALLOW_WITH_NOT_PRINCIPAL", "Using Allow with NotPrincipal can be overly permissive. We recommend that you use Principal instead.",
			atNode(p.value("NotPrincipal"), s.principal))
	}
	c.actionChecks(s)
	c.resourceChecks(s)
	c.conditionChecks(s)
	c.securityChecks(s)
	return s
}

func indexOf(keys []string, k string) int {
	for i, x := range keys {
		if x == k {
			return i
		}
	}
	return -1
}

// stringList reads an element that is a string or a list of strings.
func (c *checker) stringList(v *node, p path) []item {
	switch v.kind {
	case kindString:
		return []item{{text: v.text, n: v, path: p}}
	case kindArray:
		out := make([]item, 0, len(v.elems))
		for i, e := range v.elems {
			if e.kind != kindString {
				c.dataType(p.index(i), e, "String")
				continue
			}
			out = append(out, item{text: e.text, n: e, path: p.index(i)})
		}
		return out
	}
	c.dataType(p, v, "Array")
	return nil
}

// sid checks the Sid of one statement.
func (c *checker) sid(s *statement, loc at) {
	if s.sid == "" {
		c.report("EMPTY_SID_VALUE", "Add a value to the empty string in the Sid element.", loc)
		return
	}
	// Resource-based policies of some services accept other characters;
	// IAM does not.
	if c.typ == ResourcePolicy || c.typ == ResourceControlPolicy {
		return
	}
	for i := 0; i < len(s.sid); i++ {
		if b := s.sid[i]; !('0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z') {
			c.report("UNSUPPORTED_SID", "Update the characters in the Sid element to use one of the following character types: [a-z, A-Z, 0-9]", loc)
			return
		}
	}
}

// sids reports statement IDs used more than once.
func (c *checker) sids(stmts []*statement) {
	seen := map[string]bool{}
	for _, s := range stmts {
		if !s.hasSid || s.sid == "" {
			continue
		}
		if seen[s.sid] {
			v, _ := s.n.member("Sid")
			c.report("UNIQUE_SIDS_REQUIRED", "Duplicate statement IDs are not supported for this policy type. Update the Sid value.",
				atNode(s.path.value("Sid"), v))
		}
		seen[s.sid] = true
	}
}

// size checks the document against the quota of its type, in characters
// other than white space.
func (c *checker) size() {
	n := policy.Size(c.doc)
	switch c.typ {
	case IdentityPolicy:
		if n > policy.ManagedPolicySizeLimit {
			c.report("POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", "The "+strconv.Itoa(n)+
				" characters in the identity policy, excluding whitespace, exceed the "+strconv.Itoa(policy.ManagedPolicySizeLimit)+
				" character maximum for inline and managed policies. We recommend that you use multiple granular policies.")
		}
	case ServiceControlPolicy:
		const scpLimit = 5120
		if n > scpLimit {
			c.report("POLICY_SIZE_EXCEEDS_SCP_QUOTA", "The "+strconv.Itoa(n)+" characters in the service control policy (SCP) exceed the "+
				strconv.Itoa(scpLimit)+" character maximum for SCPs. We recommend that you use multiple granular policies.")
		}
	}
}

// principal checks a Principal or NotPrincipal value.
func (c *checker) principal(v *node, p path) {
	switch v.kind {
	case kindString:
		if v.text != "*" {
			c.report("INVALID_PRINCIPAL_FORMAT", "The Principal element contents are not valid. Specify a key-value pair in the Principal element.", atNode(p, v))
		}
		return
	case kindObject:
	default:
		c.dataType(p, v, "Object")
		return
	}
	if len(v.keys) == 0 {
		c.report("EMPTY_OBJECT_PRINCIPAL", "This statement includes no principals and does not affect the policy. Specify principals.", atNode(p, v))
		return
	}
	for i, k := range v.keys {
		e := v.elems[i]
		kp := p.value(k)
		switch k {
		case "AWS", "Service", "Federated", "CanonicalUser":
		default:
			c.report("INVALID_PRINCIPAL_KEY", "The principal key "+k+" is not valid.",
				at{path: p.key(k), start: v.keySpans[i][0], end: v.keySpans[i][1]})
			continue
		}
		if e.kind == kindArray && len(e.elems) == 0 {
			c.report("EMPTY_ARRAY_PRINCIPAL", "This statement includes no principals and does not affect the policy. Specify principals.", atNode(kp, e))
			continue
		}
		for _, it := range c.stringList(e, kp) {
			c.principalValue(k, it)
		}
	}
}

func (c *checker) principalValue(key string, it item) {
	v := it.text
	switch key {
	case "AWS":
		if v == "*" {
			return
		}
		if strings.ContainsAny(v, "*?") {
			c.report("UNSUPPORTED_WILDCARD_IN_PRINCIPAL", "Wildcards (*, ?) are not supported with the principal key AWS. Replace the wildcard with a valid principal value.", it.at())
			return
		}
		switch {
		case len(v) == 21 && strings.HasPrefix(v, "AROA"):
			c.report("INVALID_ROLE_REFERENCE", "The Principal element includes the IAM role ID "+v+". We recommend that you use a role ARN instead.", it.at())
		case len(v) == 21 && strings.HasPrefix(v, "AIDA"):
			c.report("INVALID_USER_REFERENCE", "The Principal element includes the IAM user ID "+v+". We recommend that you use a user ARN instead.", it.at())
		case isAccountID(v), strings.HasPrefix(v, "arn:"):
		default:
			c.report("INVALID_PRINCIPAL_FORMAT", "The Principal element contents are not valid. Specify an AWS account ID, an ARN or \"*\" for the principal key AWS.", it.at())
		}
	case "Service":
		if v == "*" {
			return
		}
		if !strings.Contains(v, ".") || strings.ContainsAny(v, "*? :/") {
			c.report("INVALID_SERVICE_PRINCIPAL_FORMAT", "The service principal "+v+" does not match the expected format. Use the format {service-name}.amazonaws.com.", it.at())
		}
	case "Federated":
		if strings.ContainsAny(v, "*?") {
			c.report("UNSUPPORTED_WILDCARD_IN_PRINCIPAL", "Wildcards (*, ?) are not supported with the principal key Federated. Replace the wildcard with a valid principal value.", it.at())
		}
	case "CanonicalUser":
		if strings.ContainsAny(v, "*?") {
			c.report("UNSUPPORTED_WILDCARD_IN_PRINCIPAL", "Wildcards (*, ?) are not supported with the principal key CanonicalUser. Replace the wildcard with a valid principal value.", it.at())
		}
	}
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
