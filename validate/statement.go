package validate

import (
	"slices"
	"strings"
)

// shape is what comparing statements needs of one: the actions it applies
// to, its resources, principal and conditions in canonical form.
type shape struct {
	s *statement
	// actions is the set Action names or, with notAction, the set NotAction
	// excludes.
	actions   *actionSet
	notAction bool
	resources []string
	notRes    bool
	principal string
	condition string
}

// shapeOf returns the shape of a statement, or nil when a part of it is
// unknown or malformed: such statements are not compared.
func (c *checker) shapeOf(s *statement) *shape {
	if s.effect == "" || len(s.actions) == 0 || (c.typ != TrustPolicy && len(s.resources) == 0) {
		return nil
	}
	sh := &shape{s: s, notAction: s.notAction(), notRes: s.notResource()}
	sh.actions = c.statementActions(s)
	if sh.actions == nil {
		return nil
	}
	for _, r := range s.resources {
		sh.resources = append(sh.resources, r.text)
	}
	if c.typ == TrustPolicy {
		sh.resources = []string{"*"}
	}
	if s.principal != nil {
		sh.principal = s.principalKey + canonical(s.principal)
	}
	if s.condNode != nil {
		var conds []string
		for _, cond := range s.conditions {
			vals := make([]string, len(cond.values))
			for i, v := range cond.values {
				vals[i] = v.text
			}
			slices.Sort(vals)
			conds = append(conds, cond.op+"\x00"+strings.ToLower(cond.key)+"\x00"+strings.Join(vals, "\x00"))
		}
		slices.Sort(conds)
		sh.condition = strings.Join(conds, "\x01")
	}
	return sh
}

// canonical writes a JSON value with object members and lists sorted, so
// that equal principals compare equal however they are written.
func canonical(n *node) string {
	switch n.kind {
	case kindString, kindNumber, kindBool:
		return n.text
	case kindArray:
		parts := make([]string, len(n.elems))
		for i, e := range n.elems {
			parts[i] = canonical(e)
		}
		slices.Sort(parts)
		if len(parts) == 1 {
			return parts[0]
		}
		return "[" + strings.Join(parts, ",") + "]"
	case kindObject:
		parts := make([]string, len(n.keys))
		for i, k := range n.keys {
			parts[i] = k + "=" + canonical(n.elems[i])
		}
		slices.Sort(parts)
		return "{" + strings.Join(parts, ",") + "}"
	}
	return ""
}

// covers reports whether t applies to every request that s applies to, so
// that s adds nothing t does not decide already. Effects are not compared.
func covers(t, s *shape) bool {
	if t.principal != s.principal {
		return false
	}
	if t.condition != "" && t.condition != s.condition {
		return false
	}
	// Actions.
	switch {
	case !t.notAction && !s.notAction:
		if !s.actions.subsetOf(t.actions) {
			return false
		}
	case t.notAction && !s.notAction:
		if s.actions.intersects(t.actions) {
			return false
		}
	case !t.notAction && s.notAction:
		if !t.actions.all {
			return false
		}
	default: // both NotAction: t excludes no more than s does
		if !t.actions.subsetOf(s.actions) {
			return false
		}
	}
	// Resources.
	switch {
	case t.notRes || s.notRes:
		if !(t.notRes == s.notRes && slices.Equal(t.resources, s.resources)) && !(s.notRes && slices.Contains(t.resources, "*") && !t.notRes) {
			return false
		}
	default:
		for _, r := range s.resources {
			if !slices.ContainsFunc(t.resources, func(tr string) bool { return arnSubset(r, tr) }) {
				return false
			}
		}
	}
	return true
}

// statements compares the statements of the document: one that another
// statement with the same effect covers is redundant; an Allow that a Deny
// covers never allows anything.
func (c *checker) statements(stmts []*statement) {
	if len(stmts) > maxCompared {
		return
	}
	shapes := make([]*shape, len(stmts))
	for i, s := range stmts {
		shapes[i] = c.shapeOf(s)
	}
	for i, s := range shapes {
		if s == nil {
			continue
		}
		reported := false
		for j, t := range shapes {
			if i == j || t == nil || t.s.effect != s.s.effect || !covers(t, s) {
				continue
			}
			mutual := covers(s, t)
			if mutual && j > i {
				continue // the later of two equal statements is the redundant one
			}
			msg := "The statements are redundant because they provide identical permissions. Update the policy to remove the redundant statement."
			if !mutual {
				verb := "allows"
				if s.s.effect == "Deny" {
					verb = "denies"
				}
				msg = "The statement is redundant because " + t.s.name() + " already " + verb +
					" every action on every resource it does. Update the policy to remove the redundant statement."
			}
			c.report("REDUNDANT_STATEMENT", msg, atNode(s.s.path, s.s.n), atNode(t.s.path, t.s.n))
			reported = true
			break
		}
		if reported || !s.s.allow() {
			continue
		}
		for _, t := range shapes {
			if t == nil || t.s.effect != "Deny" || !covers(t, s) {
				continue
			}
			c.report("UNREACHABLE_STATEMENT", "The statement never allows access because "+t.s.name()+
				" denies every action on every resource it allows. Remove the statement or narrow the Deny.",
				atNode(s.s.path, s.s.n), atNode(t.s.path, t.s.n))
			break
		}
	}
}
