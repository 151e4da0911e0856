package validate

import (
	"math/bits"
	"strconv"
	"strings"

	"github.com/warden-iam/warden/arn"
	"github.com/warden-iam/warden/servicedata"
)

// actionSet is a set of actions of the reference: every action, or some
// actions of some services.
type actionSet struct {
	all bool
	m   map[*servicedata.Service]bitset
}

type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) subsetOf(o bitset) bool {
	for i := range b {
		if b[i]&^o[i] != 0 {
			return false
		}
	}
	return true
}
func (b bitset) intersects(o bitset) bool {
	for i := range b {
		if b[i]&o[i] != 0 {
			return true
		}
	}
	return false
}
func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

func (s *actionSet) empty() bool {
	if s.all {
		return false
	}
	for _, b := range s.m {
		if b.count() > 0 {
			return false
		}
	}
	return true
}

func (s *actionSet) add(o *actionSet) {
	if o.all {
		s.all = true
	}
	if s.all {
		s.m = nil
		return
	}
	if s.m == nil {
		s.m = map[*servicedata.Service]bitset{}
	}
	for svc, b := range o.m {
		if have, ok := s.m[svc]; ok {
			have.or(b)
		} else {
			s.m[svc] = append(bitset(nil), b...)
		}
	}
}

// subsetOf reports whether every action of s is in o.
func (s *actionSet) subsetOf(o *actionSet) bool {
	if o.all {
		return true
	}
	if s.all {
		return false
	}
	for svc, b := range s.m {
		ob, ok := o.m[svc]
		if !ok {
			if b.count() > 0 {
				return false
			}
			continue
		}
		if !b.subsetOf(ob) {
			return false
		}
	}
	return true
}

// intersects reports whether s and o share an action.
func (s *actionSet) intersects(o *actionSet) bool {
	if s.all {
		return !o.empty()
	}
	if o.all {
		return !s.empty()
	}
	for svc, b := range s.m {
		if ob, ok := o.m[svc]; ok && b.intersects(ob) {
			return true
		}
	}
	return false
}

// expand returns the set of actions an action pattern matches, or nil when
// the pattern is not a known action or matches none.
func (c *checker) expand(pattern string) *actionSet {
	if c.ref == nil {
		return nil
	}
	if pattern == "*" {
		return &actionSet{all: true}
	}
	prefix, name, ok := strings.Cut(pattern, ":")
	if !ok {
		return nil
	}
	svc := c.ref.Service(prefix)
	if svc == nil {
		return nil
	}
	b := newBitset(len(svc.Actions))
	n := 0
	for i := range svc.Actions {
		if arn.LikeFold(name, svc.Actions[i].Name) {
			b.set(i)
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return &actionSet{m: map[*servicedata.Service]bitset{svc: b}}
}

// actionChecks checks the Action or NotAction values of a statement.
func (c *checker) actionChecks(s *statement) {
	sets := make([]*actionSet, len(s.actions))
	for i, it := range s.actions {
		if c.action(it) {
			sets[i] = c.expand(it.text)
		}
	}
	if len(sets) > maxCompared {
		return
	}
	// An action is redundant when another one of the statement covers all
	// it matches; of two that match the same actions, the later one.
	var redundant []item
	for i, si := range sets {
		if si == nil || si.empty() {
			continue
		}
		for j, sj := range sets {
			if i == j || sj == nil || !si.subsetOf(sj) {
				continue
			}
			if !sj.subsetOf(si) || j < i {
				redundant = append(redundant, s.actions[i])
				break
			}
		}
	}
	if len(redundant) > 0 {
		locs := make([]at, len(redundant))
		for i, it := range redundant {
			locs[i] = it.at()
		}
		c.report("REDUNDANT_ACTION", "The "+strconv.Itoa(len(redundant))+
			" action(s) are redundant because they provide similar permissions. Update the policy to remove the redundant action such as: "+
			redundant[0].text+".", locs...)
	}
}

// action checks one action and reports whether it is well formed.
func (c *checker) action(it item) bool {
	a := it.text
	if i := strings.Index(a, "${"); i >= 0 && strings.Contains(a[i:], "}") {
		c.report("VARIABLE_UNSUPPORTED_IN_ELEMENT", "Policy variables are supported in the Resource and Condition elements. Remove the policy variable "+
			a[i:i+strings.IndexByte(a[i:], '}')+1]+" from this element.", it.at())
		return false
	}
	if a == "*" {
		return true
	}
	vendor, name, ok := strings.Cut(a, ":")
	switch {
	case !ok || vendor == "":
		c.report("INVALID_ACTION", "The action "+a+" does not exist. Write actions as service:ActionName, such as s3:GetObject.", it.at())
		return false
	case strings.Contains(name, ":"):
		c.report("INVALID_ACTION", "The action "+a+" does not exist. An action contains one colon, after the service prefix.", it.at())
		return false
	case strings.ContainsAny(vendor, "*?"):
		c.report("INVALID_SERVICE_IN_ACTION", "The service "+vendor+" specified in the action does not exist. Service prefixes cannot contain wildcards.", it.at())
		return false
	case name == "" || strings.ContainsAny(name, " \t\r\n"):
		c.report("INVALID_ACTION", "The action "+a+" does not exist.", it.at())
		return false
	}
	for i := 0; i < len(vendor); i++ {
		if b := vendor[i]; !(isAlnum(b) || b == '-') {
			c.report("INVALID_SERVICE_IN_ACTION", "The service "+vendor+" specified in the action does not exist.", it.at())
			return false
		}
	}
	if c.ref == nil {
		return true
	}
	svc := c.ref.Service(vendor)
	if svc == nil {
		msg := "The service " + vendor + " specified in the action does not exist."
		if s := closest(vendor, c.ref.ServiceNames(), typoLimit(vendor)); s != "" {
			msg += " Did you mean " + s + "?"
		}
		c.report("INVALID_SERVICE_IN_ACTION", msg, it.at())
		return false
	}
	if strings.ContainsAny(name, "*?") {
		if len(svc.Match(name)) == 0 {
			c.report("INVALID_ACTION", "The action "+a+" does not exist: the pattern matches no action of "+svc.Name+" ("+svc.Prefix+").", it.at())
			return false
		}
		return true
	}
	if svc.Action(name) == nil {
		c.report("INVALID_ACTION", "The action "+a+" does not exist."+c.suggestAction(svc, name), it.at())
		return false
	}
	return true
}

// suggestAction proposes an action for a misspelt one: the closest name in
// the same service, or an action of that name in another service.
func (c *checker) suggestAction(svc *servicedata.Service, name string) string {
	names := make([]string, len(svc.Actions))
	for i := range svc.Actions {
		names[i] = svc.Actions[i].Name
	}
	if s := closest(name, names, typoLimit(name)); s != "" {
		return " Did you mean " + svc.Prefix + ":" + s + "?"
	}
	for _, other := range c.ref.Services() {
		if a := other.Action(name); a != nil {
			return " Did you mean " + a.String() + "?"
		}
	}
	return ""
}

// typoLimit is how many edits make a typo of a word of that length rather
// than another word.
func typoLimit(s string) int {
	switch {
	case len(s) < 5:
		return 1
	case len(s) < 12:
		return 2
	}
	return 3
}

// closest returns the candidate nearest to s in edit distance, ignoring
// case, if it is within limit; "" otherwise.
func closest(s string, candidates []string, limit int) string {
	best, bestD := "", limit+1
	ls := strings.ToLower(s)
	for _, cand := range candidates {
		if d := abs(len(cand) - len(s)); d >= bestD {
			continue
		}
		if d := distance(ls, strings.ToLower(cand), bestD); d < bestD {
			best, bestD = cand, d
		}
	}
	return best
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// distance is the Levenshtein distance of a and b, or at least limit when
// it is limit or more.
func distance(a, b string, limit int) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func isAlnum(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

// statementActions is the set of actions the Action element of a statement
// names, or nil when it has a NotAction element or an action that is not
// known (the statement cannot be compared then).
func (c *checker) statementActions(s *statement) *actionSet {
	if len(s.actions) == 0 {
		return nil
	}
	out := &actionSet{}
	for _, it := range s.actions {
		set := c.expand(it.text)
		if set == nil {
			return nil
		}
		out.add(set)
	}
	return out
}

// roleCheck describes the PassRole and CreateServiceLinkedRole checks,
// which have the same six cases.
type roleCheck struct {
	action string // iam:PassRole
	prefix string // PASS_ROLE
	key    string // the condition key that limits the action to a service
	// messages by case
	starResource, starActionResource, notResource, starActionNotResource, notActionNotResource, starResourceNotAction string
}

var passRole = roleCheck{
	action: "iam:PassRole", prefix: "PASS_ROLE", key: "iam:PassedToService",
	starResource:          "Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it allows iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.",
	starActionResource:    "Using wildcards (*) in the action and the resource can be overly permissive because it allows iam:PassRole permissions on all resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.",
	notResource:           "Using the iam:PassRole action with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs instead.",
	starActionNotResource: "Using an action with a wildcard (*) and NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs instead.",
	notActionNotResource:  "Using NotAction with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs instead.",
	starResourceNotAction: "Using a resource with wildcards (*) and NotAction can be overly permissive because it allows iam:PassRole permissions on all resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.",
}

var createSLR = roleCheck{
	action: "iam:CreateServiceLinkedRole", prefix: "CREATE_SLR", key: "iam:AWSServiceName",
	starResource:          "Using the iam:CreateServiceLinkedRole action with wildcards (*) in the resource can allow creation of unintended service-linked roles. We recommend that you specify resource ARNs instead.",
	starActionResource:    "Using wildcards (*) in the action and the resource can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on all resources. We recommend that you specify resource ARNs instead.",
	notResource:           "Using the iam:CreateServiceLinkedRole action with NotResource can allow creation of unintended service-linked roles for multiple resources. We recommend that you specify resource ARNs instead.",
	starActionNotResource: "Using an action with a wildcard(*) and NotResource can allow creation of unintended service-linked roles because it can allow iam:CreateServiceLinkedRole permissions on multiple resources. We recommend that you specify resource ARNs instead.",
	notActionNotResource:  "Using NotAction with NotResource can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on multiple resources. We recommend that you specify resource ARNs instead.",
	starResourceNotAction: "Using a resource with wildcards (*) and NotAction can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on all resources. We recommend that you specify resource ARNs instead.",
}

// securityChecks looks for Allow statements that grant more than they seem
// to.
func (c *checker) securityChecks(s *statement) {
	if !s.allow() || len(s.actions) == 0 {
		return
	}
	if s.notAction() {
		v, _ := s.n.member("NotAction")
		c.report("ALLOW_WITH_NOT_ACTION", "Using Allow with NotAction can be overly permissive: the statement allows every action that is not listed, in every service, including actions AWS adds later. We recommend that you list the allowed actions in Action instead.",
			atNode(s.path.value("NotAction"), v))
	}
	if s.notResource() {
		v, _ := s.n.member("NotResource")
		c.report("ALLOW_WITH_NOT_RESOURCE", "Using Allow with NotResource can be overly permissive: the statement allows access to every resource that is not listed, including resources created later. We recommend that you list the allowed resources in Resource instead.",
			atNode(s.path.value("NotResource"), v))
	}
	c.roleCheck(s, &passRole)
	c.roleCheck(s, &createSLR)
}

func (c *checker) roleCheck(s *statement, rc *roleCheck) {
	for _, cond := range s.conditions {
		if strings.EqualFold(cond.key, rc.key) {
			return
		}
	}
	// How the statement grants the action.
	explicit, star, notAction := false, false, false
	if s.notAction() {
		notAction = true
		for _, it := range s.actions {
			if arn.LikeFold(it.text, rc.action) {
				return // excluded
			}
		}
	} else {
		for _, it := range s.actions {
			switch {
			case strings.EqualFold(it.text, rc.action):
				explicit = true
			case strings.ContainsAny(it.text, "*?") && arn.LikeFold(it.text, rc.action):
				star = true
			}
		}
		if !explicit && !star {
			return
		}
	}
	// On which resources.
	var code, msg string
	var locs []at
	if s.notResource() {
		v, _ := s.n.member("NotResource")
		locs = []at{atNode(s.path.value("NotResource"), v)}
		switch {
		case notAction:
			code, msg = "_WITH_NOT_ACTION_AND_NOT_RESOURCE", rc.notActionNotResource
		case explicit:
			code, msg = "_WITH_NOT_RESOURCE", rc.notResource
		default:
			code, msg = "_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE", rc.starActionNotResource
		}
	} else {
		for _, it := range s.resources {
			if anyRole(it.text) {
				locs = append(locs, it.at())
			}
		}
		if len(locs) == 0 {
			return
		}
		switch {
		case notAction:
			code, msg = "_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION", rc.starResourceNotAction
		case explicit:
			code, msg = "_WITH_STAR_IN_RESOURCE", rc.starResource
		default:
			code, msg = "_WITH_STAR_IN_ACTION_AND_RESOURCE", rc.starActionResource
		}
	}
	c.report(rc.prefix+code, msg, locs...)
}

// anyRole reports whether a Resource value names roles with a wildcard
// where the role's name goes: "*", arn:aws:iam::*:role/*,
// arn:aws:iam::123456789012:role/service-role/*. A wildcard within a name
// (role/AWSServiceRoleForECS*) narrows it to one service's roles and does
// not count.
func anyRole(r string) bool {
	if r == "*" {
		return true
	}
	secs := strings.SplitN(r, ":", 6)
	if len(secs) != 6 || !(secs[2] == "iam" || strings.ContainsAny(secs[2], "*?")) {
		return false
	}
	rs := secs[5]
	switch {
	case rs == "*", rs == "role*":
		return true
	case strings.HasPrefix(rs, "role/"):
		return rs[strings.LastIndexByte(rs, '/')+1:] == "*"
	}
	return false
}
