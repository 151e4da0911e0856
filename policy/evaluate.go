package policy

// Request is one request to authorize.
type Request struct {
	// Action is "service:Action", e.g. "iam:CreateUser"; compared
	// case-insensitively.
	Action string
	// Resource is the ARN of the resource acted on, or "*" for actions that
	// take none.
	Resource string
	// ResourceAccount is the account that owns the resource. When empty, the
	// account section of Resource is used, and when that is empty too (S3
	// ARNs carry none), the resource is taken to be in the caller's account.
	// A request whose Principal.Account is empty is always treated as one
	// within a single account.
	ResourceAccount string
	// Principal is the caller.
	Principal Principal
	// Context holds the request's condition keys. Policy variables such as
	// ${aws:username} are read from it too, so callers set aws:username,
	// aws:userid, aws:PrincipalTag/..., aws:CurrentTime and the rest here.
	Context Context
}

// Input is the set of policies that apply to a request, by policy type. Nil
// means the type does not apply; a non-nil empty Set applies and allows
// nothing.
type Input struct {
	// Identity holds the caller's identity-based policies: a user's inline
	// and managed policies and those of its groups, or a role's.
	Identity *Set
	// Boundary is the caller's permissions boundary; nil when it has none.
	Boundary *Set
	// Session holds the session policies of a role or federated-user
	// session; nil when the session was created without any.
	Session *Set
	// Resource holds the resource-based policy of the resource (for
	// sts:AssumeRole*, the role's trust policy); nil when it has none.
	Resource *Set
}

// MaxDeciding is how many deciding statements a Result names at most.
const MaxDeciding = 8

// Match names one statement that decided a request.
type Match struct {
	// Kind is the policy type the statement belongs to: Identity,
	// Boundary, Session or Resource (the Input field it came through).
	Kind Kind
	// Policy is the index of the policy in the Set, in Compile order, and
	// PolicyName its Named.Name.
	Policy     int
	PolicyName string
	// Statement is the index of the statement in the policy and Sid its
	// Sid.
	Statement int
	Sid       string
	Effect    Effect
}

// Result is the outcome of Evaluate.
type Result struct {
	Decision Decision
	// Missing is, for ImplicitDeny, the policy type whose Allow was
	// missing: Identity (nothing allowed the request), Boundary or Session
	// (they did not allow what the identity policies did), or Resource (a
	// cross-account request that the resource policy did not allow).
	Missing Kind
	// Truncated reports that more than MaxDeciding statements decided.
	Truncated bool
	n         int
	deciding  [MaxDeciding]Match
	allowedBy [numSlots]bool
}

// AllowedBy reports whether an applicable Allow statement was found in the
// policies of type k (Identity, Boundary, Session or Resource), whatever the
// decision: the simulator reports, for instance, whether the permissions
// boundary allowed a request that was denied for another reason.
func (r *Result) AllowedBy(k Kind) bool {
	for i, sk := range slotKinds {
		if sk == k {
			return r.allowedBy[i]
		}
	}
	return false
}

// Deciding returns the statements that decided: for ExplicitDeny every
// applicable Deny statement, for Allow the Allow statements that made up the
// grant (identity, boundary and session statements, or resource-based ones),
// for ImplicitDeny none. They are ordered by policy type (Identity,
// Boundary, Session, Resource), then policy, then statement.
func (r *Result) Deciding() []Match { return r.deciding[:r.n] }

// hit is a statement that applied, recorded compactly during evaluation.
type hit struct {
	slot slot
	via  via
	stmt int32
}

type slot uint8

const (
	slotIdentity slot = iota
	slotBoundary
	slotSession
	slotResource
	numSlots
)

var slotKinds = [numSlots]Kind{Identity, Boundary, Session, Resource}

// maxAllows bounds the Allow statements remembered per evaluation; beyond
// it allows still count but only the first in report order are named.
const maxAllows = 32

// hits is a bounded list of statements that applied, kept sorted in report
// order (slot, then statement index within the set, which follows policy
// and statement order), so that which ones are named never depends on the
// order the index visits them in.
type hits struct {
	n    int
	more bool
}

// add inserts h into list (whose length is the bound) keeping it sorted.
func (hs *hits) add(list []hit, h hit) {
	if hs.n == len(list) {
		hs.more = true
		if !h.before(&list[hs.n-1]) {
			return
		}
		hs.n--
	}
	i := hs.n
	for i > 0 && h.before(&list[i-1]) {
		list[i] = list[i-1]
		i--
	}
	list[i] = h
	hs.n++
}

func (h *hit) before(o *hit) bool {
	if h.slot != o.slot {
		return h.slot < o.slot
	}
	return h.stmt < o.stmt
}

type evalState struct {
	req         *Request
	action      string
	res         arnValue
	hasBoundary bool
	slot        slot

	allowed   [numSlots]bool
	vias      uint8 // bit per via of resource-based allows
	sets      [numSlots]*Set
	denies    [MaxDeciding]hit
	allows    [maxAllows]hit
	denyHits  hits
	allowHits hits
}

// Evaluate decides req against the policies of in, following the AWS policy
// evaluation logic for requests within an account and across accounts:
//
//  1. An applicable Deny statement in any policy wins (ExplicitDeny).
//  2. Within an account, the request is allowed when the identity-based
//     policies allow it and the permissions boundary and session policies,
//     when present, allow it too; or when the resource-based policy allows
//     it. A resource-based grant naming the caller itself (the IAM user, the
//     role session or federated-user session ARN) is not limited by the
//     boundary or the session policies; one naming the role or user a
//     session came from, or "*", is limited by both (for IAM users, which
//     have no session, no resource-based grant is limited by the boundary,
//     as AWS documents). A grant to the caller's account is a delegation to
//     the account's own policies and grants nothing by itself.
//  3. Across accounts, both the caller's side (identity policies within
//     its boundary and session policies) and the resource-based policy must
//     allow. Callers without an account (service principals, web-identity
//     and anonymous callers) are decided by the resource-based policy alone.
//  4. Otherwise the request is implicitly denied.
//
// A NotPrincipal Deny statement applies to every caller with a permissions
// boundary, as AWS documents. Evaluate does not allocate and is safe for
// concurrent use; it never fails: a malformed request simply matches less.
func Evaluate(in *Input, req *Request) (res Result) {
	st := evalState{
		req:         req,
		action:      req.Action,
		res:         newARNValue(req.Resource),
		hasBoundary: in.Boundary != nil,
		sets:        [numSlots]*Set{in.Identity, in.Boundary, in.Session, in.Resource},
	}
	for sl := slotIdentity; sl < numSlots; sl++ {
		if s := st.sets[sl]; s != nil {
			st.slot = sl
			s.evaluate(&st)
		}
	}
	st.decide(in, &res)
	return res
}

// evaluate visits the statements of s that can match the request.
func (s *Set) evaluate(st *evalState) {
	s.visitList(st, &s.always)
	nodes := s.actions.nodes
	n := &nodes[0]
	a := st.action
	for i := 0; i < len(a); i++ {
		next := child(n.edges, lower(a[i]))
		if next < 0 {
			return
		}
		n = &nodes[next]
		if l := &n.prefix; len(l.refs) != 0 || l.byRes != nil {
			s.visitList(st, l)
		}
	}
	if l := &n.exact; len(l.refs) != 0 || l.byRes != nil {
		s.visitList(st, l)
	}
}

// visit evaluates one candidate statement reached through pattern r.pat.
func (s *Set) visit(st *evalState, r ref) {
	stmt := &s.stmts[r.stmt]
	if r.pat < 0 {
		for i := range stmt.actions {
			if stmt.actions[i].match(st.action) {
				return
			}
		}
	} else {
		if !r.proven && !stmt.actions[r.pat].match(st.action) {
			return
		}
		// A statement is visited through its first matching pattern only.
		for i := range stmt.actions[:r.pat] {
			if stmt.actions[i].match(st.action) {
				return
			}
		}
	}
	if r.res > 0 {
		// Likewise through the first Resource pattern whose key matched.
		for i := range stmt.resources[:r.res] {
			if stmt.resources[i].keyMatches(&st.res) {
				return
			}
		}
	}
	ctx := &st.req.Context
	if !stmt.anyResource {
		matched := false
		for i := range stmt.resources {
			if stmt.resources[i].match(ctx, &st.res) {
				matched = true
				break
			}
		}
		if matched == stmt.notResource {
			return
		}
	}
	v := viaWildcard
	if stmt.principal != nil {
		p := &st.req.Principal
		if stmt.notPrincipal {
			if stmt.principal.excludes(p) && !(stmt.effect == EffectDeny && st.hasBoundary) {
				return
			}
		} else if v = stmt.principal.match(p); v == viaNone {
			return
		}
	}
	for i := range stmt.conditions {
		if !stmt.conditions[i].eval(ctx) {
			return
		}
	}
	h := hit{slot: st.slot, via: v, stmt: r.stmt}
	if stmt.effect == EffectDeny {
		st.denyHits.add(st.denies[:], h)
		return
	}
	st.allowed[st.slot] = true
	if st.slot == slotResource {
		st.vias |= 1 << v
	}
	st.allowHits.add(st.allows[:], h)
}

// pick selects which recorded hits a Result names: Deny statements, or the
// allows of the slots in the slots mask, where resource-based allows must
// also have come through one of the vias in the vias mask.
type pick struct {
	deny  bool
	slots uint8
	vias  uint8
}

const (
	viaGrants   = 1<<viaDirect | 1<<viaIssuer | 1<<viaWildcard
	viaAny      = viaGrants | 1<<viaAccount
	callerSlots = 1<<slotIdentity | 1<<slotBoundary | 1<<slotSession
	allSlots    = callerSlots | 1<<slotResource
)

// decide applies the evaluation logic to what the sets found and fills res,
// which must be zero.
func (st *evalState) decide(in *Input, res *Result) {
	res.allowedBy = st.allowed
	if st.denyHits.n > 0 {
		res.Decision = ExplicitDeny
		st.name(res, pick{deny: true})
		return
	}
	p := &st.req.Principal
	limitsOK := (in.Boundary == nil || st.allowed[slotBoundary]) && (in.Session == nil || st.allowed[slotSession])
	identityOK := st.allowed[slotIdentity] && limitsOK
	allow := func(pk pick) {
		res.Decision = Allow
		st.name(res, pk)
	}
	switch {
	case p.Type == Service || p.Type == WebIdentity || p.Type == Anonymous:
		if st.vias&viaGrants != 0 {
			allow(pick{slots: 1 << slotResource, vias: viaGrants})
			return
		}
		res.Missing = Resource
		return
	case !st.sameAccount():
		if identityOK && st.vias&viaAny != 0 {
			allow(pick{slots: allSlots, vias: viaAny})
			return
		}
		res.Missing = st.missing(in, identityOK)
		return
	case identityOK:
		allow(pick{slots: callerSlots})
		return
	}
	// Resource-based grants within the account.
	var unlimited uint8 = 1 << viaDirect
	if p.Type == User || p.Type == Root {
		unlimited = viaGrants
	}
	if st.vias&unlimited != 0 {
		allow(pick{slots: 1 << slotResource, vias: unlimited})
		return
	}
	if limitsOK && st.vias&viaGrants != 0 {
		allow(pick{slots: 1<<slotBoundary | 1<<slotSession | 1<<slotResource, vias: viaGrants})
		return
	}
	res.Missing = st.missing(in, identityOK)
}

// sameAccount reports whether the resource is in the caller's account. An
// unknown account on either side counts as the same account.
func (st *evalState) sameAccount() bool {
	acct := st.req.ResourceAccount
	if acct == "" && st.res.n == 6 {
		acct = st.res.secs[4]
	}
	p := st.req.Principal.Account
	return acct == "" || p == "" || acct == p
}

func (st *evalState) missing(in *Input, identityOK bool) Kind {
	switch {
	case identityOK:
		return Resource
	case !st.allowed[slotIdentity] && !st.allowed[slotResource]:
		return Identity
	case in.Boundary != nil && !st.allowed[slotBoundary]:
		return Boundary
	case in.Session != nil && !st.allowed[slotSession]:
		return Session
	}
	return Identity
}

// name fills res with the hits pk selects, in report order.
func (st *evalState) name(res *Result, pk pick) {
	list, hs := st.allows[:st.allowHits.n], &st.allowHits
	if pk.deny {
		list, hs = st.denies[:st.denyHits.n], &st.denyHits
	}
	res.Truncated = hs.more
	for i := range list {
		h := &list[i]
		if !pk.deny && (pk.slots&(1<<h.slot) == 0 || h.slot == slotResource && pk.vias&(1<<h.via) == 0) {
			continue
		}
		if res.n == MaxDeciding {
			res.Truncated = true
			break
		}
		ss := &st.sets[h.slot].stmts[h.stmt]
		res.deciding[res.n] = Match{
			Kind:       slotKinds[h.slot],
			Policy:     int(ss.policy),
			PolicyName: st.sets[h.slot].names[ss.policy],
			Statement:  int(ss.index),
			Sid:        ss.sid,
			Effect:     ss.effect,
		}
		res.n++
	}
}
