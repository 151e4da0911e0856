// Package policy is the AWS IAM policy language: it parses and validates
// policy documents (identity-based, resource-based, role trust, permissions
// boundary and session policies), compiles sets of them into an indexed,
// immutable form, and evaluates requests against them with the AWS policy
// evaluation logic, naming the statements that decided.
//
// The package is pure: no I/O, no clocks, no context.Context. Callers put
// everything a decision depends on — the caller, the action, the resource
// ARN and the condition keys, aws:CurrentTime included — into a Request.
//
// Use it in two steps. Parse once per stored document and Compile once per
// principal (or per snapshot); then Evaluate for every request, which does
// not allocate:
//
//	p, err := policy.Parse(doc, policy.Identity)
//	set := policy.Compile(policy.Named{Name: "ReadOnly", Policy: p})
//	res := policy.Evaluate(&policy.Input{Identity: set}, &req)
package policy

import (
	"slices"
	"strings"
)

// Versions of the policy language.
const (
	// Version2012 is the current language; it enables policy variables.
	Version2012 = "2012-10-17"
	// Version2008 is the original language, assumed when Version is
	// missing; in it ${...} is literal text.
	Version2008 = "2008-10-17"
)

// Policy is a parsed, validated policy document. It is immutable.
type Policy struct {
	raw        []byte
	kind       Kind
	version    string
	id         string
	statements []Statement
	compiled   []statement
	spans      [][2]int
}

// Statement is one statement of a policy as written. Absent elements are
// nil; "Resource": "*" is the one-element list ["*"].
type Statement struct {
	Sid          string
	Effect       Effect
	Principal    *Principals
	NotPrincipal *Principals
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	Condition    []Condition
}

// Raw returns the document exactly as it was given to Parse. The caller must
// not modify it.
func (p *Policy) Raw() []byte { return p.raw }

// Kind is the kind the document was parsed as.
func (p *Policy) Kind() Kind { return p.kind }

// Version is the Version element, or Version2008 when the document has none.
func (p *Policy) Version() string { return p.version }

// ID is the Id element, or "".
func (p *Policy) ID() string { return p.id }

// Statements returns a copy of the statements, in document order. The
// slices inside them are shared and must not be modified.
func (p *Policy) Statements() []Statement { return slices.Clone(p.statements) }

// StatementSpan returns the byte offsets in Raw where statement i begins and
// ends, for pointing users at it (the policy simulator reports statement
// positions). It panics if i is out of range.
func (p *Policy) StatementSpan(i int) (start, end int) {
	return p.spans[i][0], p.spans[i][1]
}

// Parse reads and validates a policy document of the given kind. The
// document is copied; Raw returns it unchanged.
//
// Parse is strict, as IAM is: unknown or duplicated elements, values of the
// wrong JSON type, bad action names, resources that are neither "*" nor an
// ARN, invalid principals, unknown condition operators and condition values
// that do not fit their operator are all refused. Every error is a *Error
// whose Message says what is wrong in AWS's words. Parse checks the shape of
// principals but not that they exist; that takes a store.
func Parse(doc []byte, kind Kind) (*Policy, error) {
	if !kind.valid() {
		return nil, errorf("Unknown policy kind.")
	}
	root, err := readTree(doc)
	if err != nil {
		return nil, err
	}
	if root.kind != nodeObject {
		return nil, errorf(msgSyntax)
	}
	p := &Policy{kind: kind, version: Version2008}
	var stmtNode *node
	for i, k := range root.keys {
		v := root.elems[i]
		switch k {
		case "Version":
			if v.kind != nodeString {
				return nil, errorf(msgSyntax)
			}
			if v.text != Version2012 && v.text != Version2008 {
				return nil, errorf(msgLegacy)
			}
			p.version = v.text
		case "Id":
			if v.kind != nodeString {
				return nil, errorf(msgSyntax)
			}
			p.id = v.text
		case "Statement":
			stmtNode = v
		default:
			return nil, errorf(msgSyntax)
		}
	}
	if stmtNode == nil {
		return nil, errorf("Missing required field Statement")
	}
	var stmts []*node
	switch stmtNode.kind {
	case nodeObject:
		stmts = []*node{stmtNode}
	case nodeArray:
		stmts = stmtNode.elems
	default:
		return nil, errorf(msgSyntax)
	}
	if len(stmts) == 0 {
		return nil, errorf(msgSyntax)
	}
	vars := p.version == Version2012
	sids := make(map[string]bool, len(stmts))
	for _, sn := range stmts {
		s, err := parseStatement(sn, kind)
		if err != nil {
			return nil, err
		}
		if s.Sid != "" {
			if sids[s.Sid] {
				return nil, errorf(msgSidUnique)
			}
			sids[s.Sid] = true
		}
		cs, err := compileStatement(&s, vars)
		if err != nil {
			return nil, err
		}
		p.statements = append(p.statements, s)
		p.compiled = append(p.compiled, cs)
		p.spans = append(p.spans, [2]int{sn.start, sn.end})
	}
	p.raw = slices.Clone(doc)
	return p, nil
}

func parseStatement(n *node, kind Kind) (Statement, error) {
	var s Statement
	if n.kind != nodeObject {
		return s, errorf(msgSyntax)
	}
	var hasEffect bool
	list := func(v *node) ([]string, error) {
		l, ok := v.strings()
		if !ok {
			return nil, errorf(msgSyntax)
		}
		return l, nil
	}
	for i, k := range n.keys {
		v := n.elems[i]
		var err error
		switch k {
		case "Sid":
			if v.kind != nodeString {
				return s, errorf(msgSyntax)
			}
			s.Sid = v.text
		case "Effect":
			if v.kind != nodeString {
				return s, errorf(msgSyntax)
			}
			switch v.text {
			case "Allow":
				s.Effect = EffectAllow
			case "Deny":
				s.Effect = EffectDeny
			default:
				return s, errorf("Invalid effect: " + v.text)
			}
			hasEffect = true
		case "Principal":
			s.Principal, err = parsePrincipals(v)
		case "NotPrincipal":
			s.NotPrincipal, err = parsePrincipals(v)
		case "Action":
			s.Action, err = list(v)
		case "NotAction":
			s.NotAction, err = list(v)
		case "Resource":
			s.Resource, err = list(v)
		case "NotResource":
			s.NotResource, err = list(v)
		case "Condition":
			s.Condition, err = parseConditions(v)
		default:
			return s, errorf(msgSyntax)
		}
		if err != nil {
			return s, err
		}
	}
	return s, validateStatement(&s, kind, hasEffect)
}

// validateStatement checks the element rules of the policy kind, in the order
// IAM reports them.
func validateStatement(s *Statement, kind Kind, hasEffect bool) error {
	if kind != Resource && !isAlnum(s.Sid) {
		return errorf(msgSidAlnum)
	}
	if !hasEffect {
		return errorf("Missing required field Effect")
	}
	if kind.principalRequired() {
		switch {
		case kind == Trust && s.NotPrincipal != nil:
			return errorf("Has prohibited field NotPrincipal")
		case s.Principal == nil && s.NotPrincipal == nil:
			return errorf("Missing required field Principal")
		case s.Principal != nil && s.NotPrincipal != nil:
			return errorf("Policy statement must not contain both Principal and NotPrincipal.")
		}
	} else {
		if s.Principal != nil {
			return errorf("Has prohibited field Principal")
		}
		if s.NotPrincipal != nil {
			return errorf("Has prohibited field NotPrincipal")
		}
	}
	switch {
	case s.Action != nil && s.NotAction != nil:
		return errorf("Policy statement must not contain both Action and NotAction.")
	case len(s.Action) == 0 && len(s.NotAction) == 0:
		if kind == Trust {
			return errorf("Missing required field Action")
		}
		return errorf(msgNoActions)
	}
	for _, a := range s.Action {
		if err := checkAction(a); err != nil {
			return err
		}
	}
	for _, a := range s.NotAction {
		if err := checkAction(a); err != nil {
			return err
		}
	}
	if kind == Trust {
		if s.Resource != nil {
			return errorf("Has prohibited field Resource")
		}
		if s.NotResource != nil {
			return errorf("Has prohibited field NotResource")
		}
		return nil
	}
	switch {
	case s.Resource != nil && s.NotResource != nil:
		return errorf("Policy statement must not contain both Resource and NotResource.")
	case len(s.Resource) == 0 && len(s.NotResource) == 0:
		return errorf(msgNoResources)
	}
	return nil
}

// checkAction validates "service:Action" (wildcards allowed in the action
// part only) or "*".
func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	vendor, name, ok := strings.Cut(a, ":")
	if !ok || vendor == "" {
		return errorf(msgVendor)
	}
	if strings.Contains(name, ":") {
		return errorf(msgActionColon)
	}
	if strings.ContainsAny(vendor, "*?") {
		return errorf(msgVendorWild)
	}
	for i := 0; i < len(vendor); i++ {
		if c := vendor[i]; !isAlnumByte(c) && c != '-' {
			return errorf("Vendor " + vendor + " is not valid")
		}
	}
	if name == "" || strings.ContainsAny(name, " \t\r\n") {
		return errorf("Action " + a + " is not valid")
	}
	return nil
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnumByte(s[i]) {
			return false
		}
	}
	return true
}

func isAlnumByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// parsePrincipals reads "*" or {"AWS": ..., "Service": ..., "Federated":
// ..., "CanonicalUser": ...}, each a string or a list of strings.
func parsePrincipals(n *node) (*Principals, error) {
	const invalid = "Invalid principal in policy"
	if n.kind == nodeString {
		if n.text != "*" {
			return nil, errorf(invalid)
		}
		return &Principals{All: true}, nil
	}
	if n.kind != nodeObject || len(n.keys) == 0 {
		return nil, errorf(invalid)
	}
	p := &Principals{}
	for i, k := range n.keys {
		l, ok := n.elems[i].strings()
		if !ok || len(l) == 0 {
			return nil, errorf(invalid)
		}
		switch k {
		case "AWS":
			p.AWS = l
		case "Service":
			p.Service = l
		case "Federated":
			p.Federated = l
		case "CanonicalUser":
			p.CanonicalUser = l
		default:
			return nil, errorf(invalid)
		}
	}
	return p, nil
}

// parseConditions reads {"Operator": {"key": value-or-list, ...}, ...}.
func parseConditions(n *node) ([]Condition, error) {
	if n.kind != nodeObject {
		return nil, errorf(msgSyntax)
	}
	var out []Condition
	for i, op := range n.keys {
		block := n.elems[i]
		if block.kind != nodeObject {
			return nil, errorf(msgSyntax)
		}
		for j, key := range block.keys {
			vals, ok := conditionValues(block.elems[j])
			if !ok {
				return nil, errorf(msgSyntax)
			}
			out = append(out, Condition{Operator: op, Key: key, Values: vals})
		}
	}
	return out, nil
}

// conditionValues accepts a string, number or boolean, or a non-empty list
// of them.
func conditionValues(n *node) ([]string, bool) {
	scalar := func(n *node) bool {
		return n.kind == nodeString || n.kind == nodeNumber || n.kind == nodeBool
	}
	if scalar(n) {
		return []string{n.text}, true
	}
	if n.kind != nodeArray || len(n.elems) == 0 {
		return nil, false
	}
	out := make([]string, len(n.elems))
	for i, e := range n.elems {
		if !scalar(e) {
			return nil, false
		}
		out[i] = e.text
	}
	return out, true
}
