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

// maxHits bounds the statements remembered per evaluation; beyond it allows
// are still counted but no longer named.
const maxHits = 32

type evalState struct {
	req         *Request
	action      string
	res         arnValue
	hasBoundary bool
	slot        slot
	set         *Set

	allowed [numSlots]bool
	vias    uint8 // bit per via of resource-based allows
	denied  bool
	hits    [maxHits]hit
	nHits   int
	sets    [numSlots]*Set
	full    bool
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
func Evaluate(in *Input, req *Request) Result {
	st := evalState{
		req:         req,
		action:      req.Action,
		res:         newARNValue(req.Resource),
		hasBoundary: in.Boundary != nil,
		sets:        [numSlots]*Set{in.Identity, in.Boundary, in.Session, in.Resource},
	}
	for sl := slotIdentity; sl < numSlots; sl++ {
		if s := st.sets[sl]; s != nil {
			st.slot, st.set = sl, s
			s.evaluate(&st)
		}
	}
	return st.decide(in)
}

// evaluate visits the statements of s that can match the action.
func (s *Set) evaluate(st *evalState) {
	for _, r := range s.always {
		s.visit(st, r)
	}
	n := &s.nodes[0]
	a := st.action
	for i := 0; i < len(a); i++ {
		c := lower(a[i])
		next := int32(-1)
		for _, e := range n.edges {
			if e.b == c {
				next = e.next
				break
			}
		}
		if next < 0 {
			return
		}
		n = &s.nodes[next]
		for _, r := range n.prefix {
			s.visit(st, r)
		}
	}
	for _, r := range n.exact {
		s.visit(st, r)
	}
}

// visit evaluates one candidate statement reached through pattern r.pat.
func (s *Set) visit(st *evalState, r ref) {
	stmt := &s.stmts[r.stmt]
	if stmt.effect == EffectAllow && st.full && st.allowed[st.slot] && st.slot != slotResource {
		return // the decision cannot change and nothing more can be named
	}
	if r.pat < 0 {
		for _, p := range stmt.actions {
			if likeFold(p, st.action) {
				return
			}
		}
	} else {
		if !r.exact && !likeFold(stmt.actions[r.pat], st.action) {
			return
		}
		// A statement is visited through its first matching pattern only.
		for _, p := range stmt.actions[:r.pat] {
			if likeFold(p, st.action) {
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
	if stmt.effect == EffectDeny {
		st.denied = true
	} else {
		st.allowed[st.slot] = true
		if st.slot == slotResource {
			st.vias |= 1 << v
		}
	}
	if st.nHits < maxHits {
		st.hits[st.nHits] = hit{slot: st.slot, via: v, stmt: r.stmt}
		st.nHits++
	} else {
		st.full = true
	}
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

func (st *evalState) decide(in *Input) Result {
	var res Result
	if st.denied {
		res.Decision = ExplicitDeny
		st.name(&res, pick{deny: true})
		return res
	}
	p := &st.req.Principal
	limitsOK := (in.Boundary == nil || st.allowed[slotBoundary]) && (in.Session == nil || st.allowed[slotSession])
	identityOK := st.allowed[slotIdentity] && limitsOK
	allow := func(pk pick) Result {
		res.Decision = Allow
		st.name(&res, pk)
		return res
	}
	switch {
	case p.Type == Service || p.Type == WebIdentity || p.Type == Anonymous:
		if st.vias&viaGrants != 0 {
			return allow(pick{slots: 1 << slotResource, vias: viaGrants})
		}
		res.Missing = Resource
		return res
	case !st.sameAccount():
		if identityOK && st.vias&viaAny != 0 {
			return allow(pick{slots: allSlots, vias: viaAny})
		}
		res.Missing = st.missing(in, identityOK)
		return res
	case identityOK:
		return allow(pick{slots: callerSlots})
	}
	// Resource-based grants within the account.
	var unlimited uint8 = 1 << viaDirect
	if p.Type == User || p.Type == Root {
		unlimited = viaGrants
	}
	if st.vias&unlimited != 0 {
		return allow(pick{slots: 1 << slotResource, vias: unlimited})
	}
	if limitsOK && st.vias&viaGrants != 0 {
		return allow(pick{slots: 1<<slotBoundary | 1<<slotSession | 1<<slotResource, vias: viaGrants})
	}
	res.Missing = st.missing(in, identityOK)
	return res
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
	for i := 0; i < st.nHits; i++ {
		h := &st.hits[i]
		isDeny := st.sets[h.slot].stmts[h.stmt].effect == EffectDeny
		switch {
		case isDeny != pk.deny:
			continue
		case pk.deny:
		case pk.slots&(1<<h.slot) == 0:
			continue
		case h.slot == slotResource && pk.vias&(1<<h.via) == 0:
			continue
		}
		if res.n == MaxDeciding {
			res.Truncated = true
			break
		}
		ss := &st.sets[h.slot].stmts[h.stmt]
		m := Match{
			Kind:       slotKinds[h.slot],
			Policy:     int(ss.policy),
			PolicyName: st.sets[h.slot].names[ss.policy],
			Statement:  int(ss.index),
			Sid:        ss.sid,
			Effect:     ss.effect,
		}
		// Insertion sort: slots are visited in order, statements within a
		// slot in index order only approximately.
		j := res.n
		for j > 0 && after(&res.deciding[j-1], &m) {
			res.deciding[j] = res.deciding[j-1]
			j--
		}
		res.deciding[j] = m
		res.n++
	}
	if st.full {
		res.Truncated = true
	}
}

func after(a, b *Match) bool {
	if a.Kind != b.Kind {
		return kindOrder(a.Kind) > kindOrder(b.Kind)
	}
	if a.Policy != b.Policy {
		return a.Policy > b.Policy
	}
	return a.Statement > b.Statement
}

func kindOrder(k Kind) int {
	switch k {
	case Identity:
		return 0
	case Boundary:
		return 1
	case Session:
		return 2
	}
	return 3
}
