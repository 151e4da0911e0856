package validate

import (
	"slices"
	"strings"

	"github.com/warden-iam/warden/arn"
	"github.com/warden-iam/warden/servicedata"
)

// Summary is what a policy grants and denies, service by service, as the
// IAM console's policy summary shows it.
type Summary struct {
	Allow []ServiceSummary `json:"allow"`
	Deny  []ServiceSummary `json:"deny"`
	// Unrecognized lists the actions of the policy that name no known
	// service or action; they grant nothing.
	Unrecognized []string `json:"unrecognized,omitempty"`
	// Services is how many services the reference knows, for "3 of 456
	// services".
	Services int `json:"services"`
}

// ServiceSummary is the access a policy's statements of one effect give to
// one service.
type ServiceSummary struct {
	Prefix string         `json:"service"`
	Name   string         `json:"name"`
	Levels []LevelSummary `json:"accessLevels"`
	// Resources are the Resource values of the statements that apply to the
	// service, "All resources" for "*", or "All resources except ..." for
	// NotResource.
	Resources []string `json:"resources"`
	// Conditions reports whether any of the statements has a condition.
	Conditions bool `json:"conditions"`
}

// Access says how much of an access level a policy grants.
type Access string

// Access of a level.
const (
	Full    Access = "Full"
	Limited Access = "Limited"
)

// LevelSummary is the access to one access level of a service.
type LevelSummary struct {
	Level   string `json:"level"` // List, Read, Write, Permissions management, Tagging
	Access  Access `json:"access"`
	Granted int    `json:"granted"` // actions of the level the policy names
	Total   int    `json:"total"`   // actions of the level the service has
	// Actions are the names of the actions granted when access is Limited.
	Actions []string `json:"actions,omitempty"`
}

// Full reports whether the summary grants every action of the service.
func (s *ServiceSummary) Full() bool {
	for _, l := range s.Levels {
		if l.Access != Full {
			return false
		}
	}
	return len(s.Levels) > 0
}

// Summarize reads a policy document and returns what it allows and denies
// for each service. It reads as much of a malformed document as it can and
// never fails; a document that is not JSON has an empty summary.
func Summarize(doc []byte) Summary {
	ref, err := servicedata.Load()
	if err != nil {
		return Summary{}
	}
	out := Summary{Services: len(ref.Services())}
	root, serr := parseTree(doc)
	if serr != nil || root.kind != kindObject {
		return out
	}
	stmtNode, _ := root.member("Statement")
	var stmts []*node
	switch {
	case stmtNode == nil:
	case stmtNode.kind == kindObject:
		stmts = []*node{stmtNode}
	case stmtNode.kind == kindArray:
		stmts = stmtNode.elems
	}
	allow, deny := newAccumulator(), newAccumulator()
	unknown := map[string]bool{}
	for _, sn := range stmts {
		if sn.kind != kindObject {
			continue
		}
		effect, _ := sn.member("Effect")
		acc := allow
		switch {
		case effect == nil || effect.kind != kindString:
			continue
		case effect.text == "Deny":
			acc = deny
		case effect.text != "Allow":
			continue
		}
		acc.statement(ref, sn, unknown)
	}
	out.Allow = allow.services(ref)
	out.Deny = deny.services(ref)
	for a := range unknown {
		out.Unrecognized = append(out.Unrecognized, a)
	}
	slices.Sort(out.Unrecognized)
	return out
}

// accumulator gathers the actions, resources and conditions of the
// statements of one effect.
type accumulator struct {
	granted    map[*servicedata.Service]bitset
	resources  map[*servicedata.Service][]string
	conditions map[*servicedata.Service]bool
}

func newAccumulator() *accumulator {
	return &accumulator{granted: map[*servicedata.Service]bitset{}, resources: map[*servicedata.Service][]string{},
		conditions: map[*servicedata.Service]bool{}}
}

func strs(n *node) []string {
	switch n.kind {
	case kindString:
		return []string{n.text}
	case kindArray:
		var out []string
		for _, e := range n.elems {
			if e.kind == kindString {
				out = append(out, e.text)
			}
		}
		return out
	}
	return nil
}

func (a *accumulator) statement(ref *servicedata.Reference, sn *node, unknown map[string]bool) {
	touched := map[*servicedata.Service]bitset{}
	if act, _ := sn.member("Action"); act != nil {
		for _, pat := range strs(act) {
			if pat == "*" {
				for _, svc := range ref.Services() {
					b := newBitset(len(svc.Actions))
					for i := range svc.Actions {
						b.set(i)
					}
					touched[svc] = b
				}
				continue
			}
			prefix, name, _ := strings.Cut(pat, ":")
			svc := ref.Service(prefix)
			if svc == nil {
				unknown[pat] = true
				continue
			}
			b := touched[svc]
			if b == nil {
				b = newBitset(len(svc.Actions))
			}
			n := 0
			for i := range svc.Actions {
				if arn.LikeFold(name, svc.Actions[i].Name) {
					b.set(i)
					n++
				}
			}
			if n == 0 {
				unknown[pat] = true
				continue
			}
			touched[svc] = b
		}
	} else if notAct, _ := sn.member("NotAction"); notAct != nil {
		pats := strs(notAct)
		for _, svc := range ref.Services() {
			b := newBitset(len(svc.Actions))
			n := 0
			for i := range svc.Actions {
				name := svc.Actions[i].String()
				if !slices.ContainsFunc(pats, func(p string) bool { return arn.LikeFold(p, name) }) {
					b.set(i)
					n++
				}
			}
			if n > 0 {
				touched[svc] = b
			}
		}
	}
	var resources []string
	if res, _ := sn.member("Resource"); res != nil {
		resources = strs(res)
	} else if notRes, _ := sn.member("NotResource"); notRes != nil {
		resources = []string{"All resources except " + strings.Join(strs(notRes), ", ")}
	} else {
		resources = []string{"All resources"} // a trust policy: the role itself
	}
	cond, _ := sn.member("Condition")
	hasCond := cond != nil && cond.kind == kindObject && len(cond.keys) > 0
	for svc, b := range touched {
		if have := a.granted[svc]; have != nil {
			have.or(b)
		} else {
			a.granted[svc] = b
		}
		for _, r := range resources {
			if r == "*" {
				r = "All resources"
			} else if !strings.HasPrefix(r, "All resources") && !resourceOf(ref, svc, r) {
				continue
			}
			if !slices.Contains(a.resources[svc], r) {
				a.resources[svc] = append(a.resources[svc], r)
			}
		}
		a.conditions[svc] = a.conditions[svc] || hasCond
	}
}

// resourceOf reports whether a Resource value can name a resource of the
// service: its ARN's service section is one of the service's.
func resourceOf(ref *servicedata.Reference, svc *servicedata.Service, r string) bool {
	secs, n := arnSections(r)
	if n != 6 {
		return false
	}
	if !literal(secs[2]) {
		return true
	}
	for i := range svc.ResourceTypes {
		for _, f := range svc.ResourceTypes[i].ARNFormats {
			fs := strings.SplitN(f, ":", 4)
			if len(fs) > 2 && fs[2] == secs[2] {
				return true
			}
		}
	}
	return false
}

func (a *accumulator) services(ref *servicedata.Reference) []ServiceSummary {
	var out []ServiceSummary
	for _, svc := range ref.Services() {
		b, ok := a.granted[svc]
		if !ok {
			continue
		}
		ss := ServiceSummary{Prefix: svc.Prefix, Name: svc.Name, Resources: a.resources[svc], Conditions: a.conditions[svc]}
		for _, lv := range servicedata.Levels {
			var ls LevelSummary
			ls.Level = lv.String()
			for i := range svc.Actions {
				if svc.Actions[i].Level != lv {
					continue
				}
				ls.Total++
				if b.has(i) {
					ls.Granted++
					ls.Actions = append(ls.Actions, svc.Actions[i].Name)
				}
			}
			if ls.Granted == 0 {
				continue
			}
			ls.Access = Limited
			if ls.Granted == ls.Total {
				ls.Access, ls.Actions = Full, nil
			}
			ss.Levels = append(ss.Levels, ls)
		}
		if len(ss.Levels) > 0 {
			out = append(out, ss)
		}
	}
	return out
}
