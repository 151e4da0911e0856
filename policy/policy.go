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
// Parse accepts and refuses what IAM accepts and refuses for that kind of
// document, and checks in IAM's order (see Rules): an error is a *Error whose
// Message is IAM's and whose Rule is the broken rule's Code. Like IAM it does
// not look at action names, condition keys or condition values beyond dates;
// a value its operator cannot read never matches. Parse checks the shape of
// principals but not that they exist; that takes a store.
func Parse(doc []byte, kind Kind) (*Policy, error) {
	if !kind.valid() {
		return nil, errorf("Unknown policy kind.")
	}
	root, err := readTree(doc)
	if err != nil {
		// Each service words its own answer: IAM's trust policies, STS's
		// session policies and IAM's identity policies differ.
		switch kind {
		case Trust:
			return nil, broke(RuleTrustJSON)
		case Session:
			return nil, broke(RuleSessionJSON)
		}
		return nil, broke(RuleJSON)
	}
	syntax := broke(RuleSyntax)
	if root.kind != nodeObject {
		return nil, syntax
	}
	p := &Policy{kind: kind, version: Version2008}
	var stmtNode *node
	hasVersion := false
	lay := layout{leadingSpace: isSpaceByte(doc[0])}
	for i, k := range root.keys {
		v := root.elems[i]
		switch k {
		case "Version":
			if v.kind != nodeString || v.text != Version2012 && v.text != Version2008 {
				return nil, syntax
			}
			p.version, hasVersion = v.text, true
		case "Id":
			if v.kind != nodeString {
				return nil, syntax
			}
			p.id = v.text
		case "Statement":
			stmtNode = v
			lay.objectBeforeVersion = v.kind == nodeObject && !hasVersion
		default:
			return nil, syntax
		}
	}
	lay.objectBeforeVersion = lay.objectBeforeVersion && hasVersion
	var stmts []*node
	switch {
	case stmtNode == nil:
		return nil, syntax
	case stmtNode.kind == nodeObject:
		stmts = []*node{stmtNode}
	case stmtNode.kind == nodeArray && len(stmtNode.elems) > 0:
		stmts = stmtNode.elems
	default:
		return nil, syntax
	}
	ds := make([]draft, len(stmts))
	for i, sn := range stmts {
		if !readStatement(sn, &ds[i]) {
			return nil, syntax
		}
	}
	if err := checkGrammar(kind, p.version, hasVersion, lay, ds); err != nil {
		return nil, err
	}
	vars := p.version == Version2012
	for i := range ds {
		d := &ds[i]
		if kind.principalRequired() {
			for j, pn := range d.principals {
				if pn == nil {
					continue
				}
				if kind == Trust && noPrincipals(pn) {
					return nil, &Error{Rule: RulePrincipal, Message: msgNoPrincipals}
				}
				// A trust policy takes everyone only as {"AWS": "*"}; the
				// bare "*" that resource policies accept is refused.
				if kind == Trust && pn.kind == nodeString && pn.text == "*" {
					return nil, broke(RuleTrustStar)
				}
				pr, err := parsePrincipals(pn)
				if err != nil {
					return nil, err
				}
				if j == 0 {
					d.s.Principal = pr
				} else {
					d.s.NotPrincipal = pr
				}
			}
		}
		cs, err := compileStatement(&d.s, vars)
		if err != nil {
			return nil, err
		}
		p.statements = append(p.statements, d.s)
		p.compiled = append(p.compiled, cs)
		p.spans = append(p.spans, [2]int{d.node.start, d.node.end})
	}
	p.raw = slices.Clone(doc)
	return p, nil
}

// readStatement reads the elements of one statement into d. It reports false
// for anything IAM calls a syntax error: an unknown element, a value of the
// wrong JSON type, an Effect that is neither Allow nor Deny in any case, both
// Action and NotAction (or Resource and NotResource), or a condition that is
// not an object of operator blocks.
func readStatement(n *node, d *draft) bool {
	if n.kind != nodeObject {
		return false
	}
	d.node = n
	s := &d.s
	hasEffect := false
	for i, k := range n.keys {
		v := n.elems[i]
		ok := true
		switch k {
		case "Sid":
			ok = v.kind == nodeString
			s.Sid = v.text
		case "Effect":
			ok = v.kind == nodeString && (strings.EqualFold(v.text, "Allow") || strings.EqualFold(v.text, "Deny"))
			d.effect, hasEffect = v.text, true
			s.Effect = EffectDeny
			if strings.EqualFold(v.text, "Allow") {
				s.Effect = EffectAllow
			}
		case "Principal":
			d.principals[0] = v
		case "NotPrincipal":
			d.principals[1] = v
		case "Action":
			s.Action, ok = v.strings()
		case "NotAction":
			s.NotAction, ok = v.strings()
		case "Resource":
			s.Resource, ok = v.strings()
		case "NotResource":
			s.NotResource, ok = v.strings()
		case "Condition":
			s.Condition, ok = readConditions(v)
		default:
			ok = false
		}
		if !ok {
			return false
		}
	}
	return hasEffect && (s.Action == nil || s.NotAction == nil) && (s.Resource == nil || s.NotResource == nil)
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

// noPrincipals reports whether a Principal element names no one: an object
// whose every key holds an empty list, as templates render a principal list
// left empty.
func noPrincipals(n *node) bool {
	if n.kind != nodeObject || len(n.keys) == 0 {
		return false
	}
	for _, e := range n.elems {
		if e.kind != nodeArray || len(e.elems) != 0 {
			return false
		}
	}
	return true
}

// parsePrincipals reads "*" or {"AWS": ..., "Service": ..., "Federated":
// ..., "CanonicalUser": ...}, each a string or a list of strings.
func parsePrincipals(n *node) (*Principals, error) {
	const invalid = "Invalid principal in policy"
	if n.kind == nodeString {
		if n.text != "*" {
			return nil, &Error{Rule: RulePrincipal, Message: invalid}
		}
		return &Principals{All: true}, nil
	}
	if n.kind != nodeObject || len(n.keys) == 0 {
		return nil, &Error{Rule: RulePrincipal, Message: invalid}
	}
	p := &Principals{}
	for i, k := range n.keys {
		l, ok := n.elems[i].strings()
		if !ok || len(l) == 0 {
			return nil, &Error{Rule: RulePrincipal, Message: invalid}
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
			return nil, &Error{Rule: RulePrincipal, Message: invalid}
		}
	}
	return p, nil
}

// readConditions reads {"Operator": {"key": value-or-list, ...}, ...}. An
// operator block that is empty is accepted whatever its name, as IAM does;
// a block with keys needs a known operator.
func readConditions(n *node) ([]Condition, bool) {
	if n.kind != nodeObject {
		return nil, false
	}
	var out []Condition
	for i, op := range n.keys {
		block := n.elems[i]
		if block.kind != nodeObject {
			return nil, false
		}
		if len(block.keys) == 0 {
			continue
		}
		if _, _, _, err := parseOperator(op); err != nil {
			return nil, false
		}
		for j, key := range block.keys {
			vals, ok := conditionValues(block.elems[j])
			if !ok {
				return nil, false
			}
			out = append(out, Condition{Operator: op, Key: key, Values: vals})
		}
	}
	return out, true
}

// conditionValues accepts a string, number or boolean, or a list of them
// (an empty list too).
func conditionValues(n *node) ([]string, bool) {
	scalar := func(n *node) bool {
		return n.kind == nodeString || n.kind == nodeNumber || n.kind == nodeBool
	}
	if scalar(n) {
		return []string{n.text}, true
	}
	if n.kind != nodeArray {
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
