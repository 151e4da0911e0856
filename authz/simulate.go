package authz

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// The policy simulator's side of authz. A simulation evaluates an entity's
// policies, possibly with more policies or another permissions boundary, for
// requests that are not being made; it reads the policies exactly as the
// snapshot does and decides with the same context and the same billing rule
// as Decide, so that it answers what the API would enforce.

// SourceType says where a policy of a simulation comes from, in the words of
// the simulator's PolicySourceType.
type SourceType string

// Policy sources.
const (
	SourceUser        SourceType = "user"  // an inline policy of a user
	SourceGroup       SourceType = "group" // an inline policy of a group
	SourceRole        SourceType = "role"  // an inline policy of a role
	SourceAWSManaged  SourceType = "aws-managed"
	SourceUserManaged SourceType = "user-managed" // a customer managed policy
	SourceResource    SourceType = "resource"     // the resource-based policy
	SourceNone        SourceType = "none"         // a document given with the request
)

// Source is one policy of a simulation.
type Source struct {
	// ID names the policy as the simulator reports it: an inline or managed
	// policy's name, or the request parameter a document came in
	// ("PolicyInputList.1").
	ID   string
	Type SourceType
	// Policy is nil for a stored policy that no longer parses; it grants
	// nothing.
	Policy *policy.Policy

	// name is the policy's name in the snapshot's sets, for the stored
	// policies of an Entity: "user/alice/Inline" or a managed policy's ARN.
	name string
}

// setName is the name the policy is compiled under.
func (s *Source) setName() string {
	if s.name != "" {
		return s.name
	}
	return s.ID
}

// EntityKind is the kind of IAM entity whose policies a simulation reads.
type EntityKind string

// Entity kinds, spelled as in their ARNs.
const (
	EntityUser  EntityKind = "user"
	EntityGroup EntityKind = "group"
	EntityRole  EntityKind = "role"
)

// Entity is an IAM user, group or role with the policies that apply to it.
type Entity struct {
	Kind EntityKind
	ARN  string
	// Caller is the entity as the caller of a simulated request.
	Caller Caller
	// Identity lists the identity-based policies: a user's inline and
	// managed policies followed by those of its groups, in the order the
	// snapshot evaluates them.
	Identity []Source
	// Boundary is the permissions boundary, nil without one. A boundary
	// policy that is gone has a nil Policy and allows nothing.
	Boundary *Source
}

// Caller is who a simulated request comes from.
type Caller struct {
	Principal warden.Principal
	// Tags are the caller's principal tags (aws:PrincipalTag/...).
	Tags []warden.Tag
	// IssuerARN is the role a role caller stands for; see Decide.
	IssuerARN string
}

// Entity reads the user, group or role named name in account with its
// policies, in one read transaction. A missing entity gives an error that
// wraps warden.ErrNotFound; other errors come from the store.
func (a *Authorizer) Entity(ctx context.Context, account string, kind EntityKind, name string) (*Entity, error) {
	var e *Entity
	err := a.store.View(ctx, func(tx warden.Tx) (err error) {
		e, err = a.loadEntity(ctx, tx, account, kind, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (a *Authorizer) loadEntity(ctx context.Context, tx warden.Tx, account string, kind EntityKind, name string) (*Entity, error) {
	e := &Entity{Kind: kind}
	inline := func(t SourceType, owner string, ps []warden.InlinePolicy) {
		for _, ip := range ps {
			n := string(t) + "/" + owner + "/" + ip.Name
			e.Identity = append(e.Identity, Source{ID: ip.Name, Type: t, Policy: a.parse(n, ip.Document, policy.Identity), name: n})
		}
	}
	attached := func(arns []string) error {
		for _, arn := range arns {
			src, err := a.managedSource(ctx, tx, arn, policy.Identity)
			if err != nil {
				return err
			}
			// A managed policy that is gone grants nothing and is left out,
			// as in the snapshot.
			if src.ID != "" {
				e.Identity = append(e.Identity, src)
			}
		}
		return nil
	}
	boundary := func(arn string) error {
		if arn == "" {
			return nil
		}
		src, err := a.managedSource(ctx, tx, arn, policy.Boundary)
		if err != nil {
			return err
		}
		if src.ID == "" {
			src = Source{ID: policyName(arn), Type: managedType(arn), name: arn}
		}
		e.Boundary = &src
		return nil
	}
	switch kind {
	case EntityUser:
		u, err := warden.Load[warden.User](ctx, tx, account, warden.NameKey(name))
		if err != nil {
			return nil, fmt.Errorf("loading user %s: %w", name, err)
		}
		e.ARN = u.ARN()
		e.Caller = Caller{Principal: warden.Principal{Type: warden.PrincipalUser, Account: account, Name: u.Name, ID: u.ID, ARN: u.ARN()},
			Tags: u.Tags}
		inline(SourceUser, u.Name, u.InlinePolicies)
		if err := attached(u.AttachedPolicies); err != nil {
			return nil, err
		}
		for _, gname := range u.Groups {
			g, err := warden.Load[warden.Group](ctx, tx, account, warden.NameKey(gname))
			if errors.Is(err, warden.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			inline(SourceGroup, g.Name, g.InlinePolicies)
			if err := attached(g.AttachedPolicies); err != nil {
				return nil, err
			}
		}
		if err := boundary(u.PermissionsBoundary); err != nil {
			return nil, err
		}
	case EntityGroup:
		g, err := warden.Load[warden.Group](ctx, tx, account, warden.NameKey(name))
		if err != nil {
			return nil, fmt.Errorf("loading group %s: %w", name, err)
		}
		e.ARN = g.ARN()
		// A group never calls; simulating it as the caller gives an IAM user
		// without a name.
		e.Caller = Caller{Principal: warden.Principal{Type: warden.PrincipalUser, Account: account, ID: g.ID, ARN: g.ARN()}}
		inline(SourceGroup, g.Name, g.InlinePolicies)
		if err := attached(g.AttachedPolicies); err != nil {
			return nil, err
		}
	case EntityRole:
		r, err := warden.Load[warden.Role](ctx, tx, account, warden.NameKey(name))
		if err != nil {
			return nil, fmt.Errorf("loading role %s: %w", name, err)
		}
		e.ARN = r.ARN()
		e.Caller = Caller{Principal: warden.Principal{Type: warden.PrincipalAssumedRole, Account: account, Name: r.Name, ID: r.ID, ARN: r.ARN()},
			Tags: r.Tags, IssuerARN: r.ARN()}
		inline(SourceRole, r.Name, r.InlinePolicies)
		if err := attached(r.AttachedPolicies); err != nil {
			return nil, err
		}
		if err := boundary(r.PermissionsBoundary); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("authz: unknown entity kind %q", kind)
	}
	return e, nil
}

// managedSource reads a managed policy's default version. The Source has an
// empty ID when the policy is gone.
func (a *Authorizer) managedSource(ctx context.Context, tx warden.Tx, arn string, kind policy.Kind) (Source, error) {
	doc, err := a.managedDocument(ctx, tx, arn)
	if err != nil || doc == "" {
		return Source{}, err
	}
	src := Source{ID: policyName(arn), Type: managedType(arn), name: arn}
	if kind == policy.Identity {
		pol, err := a.parseIdentity(arn, doc)
		if err != nil {
			a.log.Warn("stored policy does not parse", "policy", arn, "err", err)
		}
		src.Policy = pol
	} else {
		src.Policy = a.parse(arn, doc, kind)
	}
	return src, nil
}

func policyName(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

func managedType(arn string) SourceType {
	if strings.HasPrefix(arn, "arn:aws:iam::"+warden.AWSManagedAccount+":") {
		return SourceAWSManaged
	}
	return SourceUserManaged
}

// Simulation is a compiled set of policies to decide simulated requests
// with. It is safe for concurrent use.
type Simulation struct {
	a       *Authorizer
	caller  Caller
	sets    [3]*policy.Set // identity, boundary, resource; nil when absent
	sources [3][]Source
}

const (
	simIdentity = iota
	simBoundary
	simResource
)

// Simulate prepares a simulation of requests by caller, evaluated against
// the identity policies, the permissions boundary (nil for none) and the
// resource-based policy (nil for none).
func (a *Authorizer) Simulate(caller Caller, identity []Source, boundary, resource *Source) *Simulation {
	s := &Simulation{a: a, caller: caller}
	s.compile(simIdentity, identity)
	if boundary != nil {
		s.compile(simBoundary, []Source{*boundary})
	}
	if resource != nil {
		s.compile(simResource, []Source{*resource})
	}
	return s
}

// SimulateEntity prepares a simulation of e's policies for requests by
// caller, with more identity policies, another permissions boundary (nil to
// keep e's own) and a resource-based policy (nil for none). A user's own
// policies are evaluated from the authorization snapshot, compiled as the
// API's decisions use them, unless more are added. Errors come from reading
// the snapshot.
func (a *Authorizer) SimulateEntity(ctx context.Context, e *Entity, caller Caller, extra []Source, boundary, resource *Source) (*Simulation, error) {
	if boundary == nil {
		boundary = e.Boundary
	}
	identity := append(e.Identity[:len(e.Identity):len(e.Identity)], extra...)
	s := &Simulation{a: a, caller: caller}
	if resource != nil {
		s.compile(simResource, []Source{*resource})
	}
	if e.Kind == EntityUser && len(extra) == 0 && boundary == e.Boundary {
		pp, err := a.policiesOf(ctx, &e.Caller.Principal)
		if err != nil {
			return nil, err
		}
		// The snapshot was read in another transaction: use it only when it
		// holds the same statements.
		if pp.identity.Len() == statementCount(identity) && (boundary == nil) == (pp.boundary == nil) &&
			(boundary == nil || pp.boundary.Len() == statementCount([]Source{*boundary})) {
			s.sets[simIdentity], s.sources[simIdentity] = pp.identity, identity
			if boundary != nil {
				s.sets[simBoundary], s.sources[simBoundary] = pp.boundary, []Source{*boundary}
			}
			return s, nil
		}
	}
	s.compile(simIdentity, identity)
	if boundary != nil {
		s.compile(simBoundary, []Source{*boundary})
	}
	return s, nil
}

func statementCount(srcs []Source) int {
	n := 0
	for _, src := range srcs {
		if src.Policy != nil {
			n += len(src.Policy.Statements())
		}
	}
	return n
}

func (s *Simulation) compile(i int, srcs []Source) {
	named := make([]policy.Named, len(srcs))
	for j := range srcs {
		named[j] = policy.Named{Name: srcs[j].setName(), Policy: srcs[j].Policy}
	}
	s.sets[i], s.sources[i] = policy.Compile(named...), srcs
}

// HasBoundary reports whether the simulation has a permissions boundary.
func (s *Simulation) HasBoundary() bool { return s.sets[simBoundary] != nil }

// Caller is the caller the simulation decides for.
func (s *Simulation) Caller() *Caller { return &s.caller }

// Sources returns every policy of the simulation: identity policies, then
// the boundary, then the resource-based policy.
func (s *Simulation) Sources() []Source {
	var out []Source
	for _, srcs := range s.sources {
		out = append(out, srcs...)
	}
	return out
}

// Source returns the policy a deciding statement belongs to, or nil.
func (s *Simulation) Source(m policy.Match) *Source {
	i := simIdentity
	switch m.Kind {
	case policy.Boundary:
		i = simBoundary
	case policy.Resource:
		i = simResource
	case policy.Identity:
	default:
		return nil
	}
	if m.Policy < 0 || m.Policy >= len(s.sources[i]) {
		return nil
	}
	if src := &s.sources[i][m.Policy]; src.setName() == m.PolicyName {
		return src
	}
	return nil
}

// simulatedKeys are context keys that depend on how a real request is made;
// a simulation has them only when its request context gives them.
var simulatedKeys = []string{"aws:SecureTransport"}

// Decide evaluates req (whose ResourcePolicy and Trust are ignored: the
// simulation has its own resource-based policy) as Authorizer.Decide would
// for the caller with the simulation's policies: the same global condition
// keys, overridden by req.Context, and the same billing-access rule. Keys
// that describe the transport of a real request, and identity keys the
// caller has no value for, are left out unless req.Context gives them.
func (s *Simulation) Decide(ctx context.Context, req Request) (*Decision, error) {
	p := &s.caller.Principal
	pp := &principalPolicies{tags: s.caller.Tags, issuerARN: s.caller.IssuerARN}
	preq := policy.Request{Action: req.Action, Resource: req.Resource, ResourceAccount: req.ResourceAccount,
		Principal: policy.Principal{Type: principalType(p.Type), Account: p.Account, ARN: p.ARN, IssuerARN: pp.issuerARN}}
	s.a.fillContext(&preq.Context, p, pp, req)
	given := func(key string) bool {
		for k := range req.Context {
			if strings.EqualFold(k, key) {
				return true
			}
		}
		return false
	}
	for _, k := range simulatedKeys {
		if !given(k) {
			preq.Context.Delete(k)
		}
	}
	for _, k := range []string{"aws:username", "aws:userid", "aws:PrincipalArn", "aws:PrincipalAccount"} {
		if vs, ok := preq.Context.Get(k); ok && len(vs) == 1 && vs[0] == "" && !given(k) {
			preq.Context.Delete(k)
		}
	}
	in := policy.Input{Identity: s.sets[simIdentity], Boundary: s.sets[simBoundary], Resource: s.sets[simResource]}
	d := &Decision{Result: policy.Evaluate(&in, &preq), Request: preq}
	if err := s.a.blockBilling(ctx, p, d); err != nil {
		return nil, err
	}
	return d, nil
}
