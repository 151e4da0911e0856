// Package authz is the one place where Warden decides whether a principal may
// perform an action on a resource. Operations in iam and sts ask it before
// they run. It evaluates the caller's policies with the policy engine from an
// in-memory authorization snapshot, so deciding a request reads no database;
// the snapshot is dropped when the store changes. Root is never restricted by
// IAM policies, and root-only tasks refuse every other principal.
package authz

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/warden-iam/warden"
	awsmanaged "github.com/warden-iam/warden/managed"
	"github.com/warden-iam/warden/policy"
)

// Mode says what happens to a denial.
type Mode int

const (
	// Strict blocks denied requests (the default).
	Strict Mode = iota
	// Soft evaluates and logs denials but lets the request through.
	Soft
	// Off allows every authenticated request.
	Off
)

// ParseMode parses "strict", "soft" or "off".
func ParseMode(s string) (Mode, bool) {
	switch s {
	case "strict", "":
		return Strict, true
	case "soft":
		return Soft, true
	case "off":
		return Off, true
	}
	return Strict, false
}

// Request is one authorization question.
type Request struct {
	Action   string // e.g. iam:CreateUser
	Resource string // ARN of the resource acted on, or "*"
	// RootOnly marks tasks only an account's root user may perform; IAM
	// policies cannot grant them.
	RootOnly bool
	// Context holds request-specific condition keys (aws:RequestTag/...,
	// aws:TagKeys, iam:PolicyARN, iam:PermissionsBoundary, ...).
	Context map[string][]string
	// ResourcePolicy is the resource-based policy of the resource, when it
	// has one, and ResourceAccount the account that owns the resource when
	// Resource does not say (see policy.Request).
	ResourcePolicy  *policy.Set
	ResourceAccount string
	// Trust marks a request to assume a role whose trust policy is
	// ResourcePolicy. Besides the usual evaluation, the trust policy must
	// allow the caller, by name or through its account: unlike other
	// resource-based policies, a role's identity-based permissions to
	// assume it are not enough within the account.
	Trust bool
}

// Authorizer decides requests. It is safe for concurrent use.
type Authorizer struct {
	store warden.Store
	mode  Mode
	log   *slog.Logger
	now   func() time.Time
	// awsPolicies gives the documents of AWS managed policies; see
	// UseAWSPolicies.
	awsPolicies func() (*awsmanaged.Catalogue, error)
	awsParsed   sync.Map // AWS managed policy ARN -> *policy.Policy
	devUserID   string   // see UseDevUser

	// policies is the snapshot: each principal's compiled policies;
	// billing the accounts' billing-access settings. flight coalesces
	// concurrent loads of one principal.
	policies  *Cache[*principalPolicies]
	billing   *Cache[bool]
	flight    singleflight.Group
	followMu  sync.Mutex
	followers []interface {
		Invalidate([]warden.Ref)
		Clear()
	}

	pollMu sync.Mutex
	seen   int64 // store generation at the last Poll
	polled bool

	obs observer // see Observe
}

// New returns an Authorizer over store.
func New(store warden.Store, mode Mode, log *slog.Logger) *Authorizer {
	if log == nil {
		log = slog.Default()
	}
	return &Authorizer{store: store, mode: mode, log: log, now: time.Now,
		policies: NewCache[*principalPolicies](maxCached), billing: NewCache[bool](maxCached)}
}

// Authorize returns nil when p may make req, or an *warden.Error with code
// AccessDenied saying why not, in AWS's words. Other errors come from reading
// the caller's policies.
func (a *Authorizer) Authorize(ctx context.Context, p *warden.Principal, req Request) error {
	_, err := a.Check(ctx, p, req)
	return err
}

// Check is Authorize that also returns the decision behind its answer, for
// callers that report more of it (sts encodes denials). The decision is nil
// when none was evaluated: for the root user, root-only tasks, and mode Off.
func (a *Authorizer) Check(ctx context.Context, p *warden.Principal, req Request) (*Decision, error) {
	if p.IsRoot() {
		return nil, nil
	}
	if req.RootOnly {
		return nil, denied(p, req, "because this action can only be performed by the account's root user")
	}
	if a.mode == Off {
		return nil, nil
	}
	d, err := a.Decide(ctx, p, req)
	if err != nil {
		return nil, err
	}
	if d.Result.Decision == policy.Allow {
		a.observeAllow(p, req, d)
		return d, nil
	}
	a.log.InfoContext(ctx, "access denied", "request_id", warden.RequestID(ctx), "principal", p.ARN,
		"action", req.Action, "resource", req.Resource, "decision", d.Result.Decision.String(),
		"deciding", d.Explain(), "enforced", a.mode == Strict)
	if a.mode == Soft {
		return d, nil
	}
	return d, denied(p, req, d.reason(req.Action))
}

func denied(p *warden.Principal, req Request, why string) error {
	// AWS says "User:" for every kind of caller, sessions included.
	return &warden.Error{Code: warden.CodeAccessDenied, Message: "User: " + p.ARN +
		" is not authorized to perform: " + req.Action + " on resource: " + req.Resource + " " + why}
}

// Decision is the outcome of evaluating a request, with what decided it.
type Decision struct {
	Result policy.Result
	// Request is the request as evaluated, with every condition key.
	Request policy.Request
	// BillingBlocked says the policies allowed a billing action that the
	// account's billing-access setting refused.
	BillingBlocked bool
}

// Explain lists the deciding statements as "policy#statement(sid)".
func (d *Decision) Explain() []string {
	var out []string
	for _, m := range d.Result.Deciding() {
		s := m.Kind.String() + ":" + m.PolicyName + "#" + strconv.Itoa(m.Statement)
		if m.Sid != "" {
			s += "(" + m.Sid + ")"
		}
		out = append(out, s)
	}
	return out
}

func (d *Decision) reason(action string) string {
	if d.BillingBlocked {
		return "because IAM user and role access to billing information is not activated for this account"
	}
	if d.Result.Decision == policy.ExplicitDeny {
		for _, m := range d.Result.Deciding() {
			switch m.Kind {
			case policy.Boundary:
				return "with an explicit deny in a permissions boundary"
			case policy.Session:
				return "with an explicit deny in a session policy"
			}
		}
		return "with an explicit deny in an identity-based policy"
	}
	switch d.Result.Missing {
	case policy.Boundary:
		return "because no permissions boundary allows the " + action + " action"
	case policy.Session:
		return "because no session policy allows the " + action + " action"
	case policy.Resource:
		return "because no resource-based policy allows the " + action + " action"
	}
	return "because no identity-based policy allows the " + action + " action"
}

// Decide evaluates req for p without enforcing it: the policy simulator and
// explanations use it too.
func (a *Authorizer) Decide(ctx context.Context, p *warden.Principal, req Request) (*Decision, error) {
	pp, err := a.devPolicies(ctx, p)
	if err != nil {
		return nil, err
	}
	preq := policy.Request{Action: req.Action, Resource: req.Resource, ResourceAccount: req.ResourceAccount,
		Principal: policy.Principal{Type: principalType(p.Type), Account: p.Account, ARN: p.ARN, IssuerARN: pp.issuerARN}}
	a.fillContext(&preq.Context, p, pp, req)
	if pp.orphan {
		// The principal is gone: no policy, not even a resource-based one
		// naming its ARN, speaks for it any more.
		return &Decision{Result: policy.Result{Decision: policy.ImplicitDeny, Missing: policy.Identity}, Request: preq}, nil
	}
	in := policy.Input{Identity: pp.identity, Boundary: pp.boundary, Session: pp.session, Resource: req.ResourcePolicy}
	d := &Decision{Result: policy.Evaluate(&in, &preq), Request: preq}
	if req.Trust && d.Result.Decision == policy.Allow && !trustAdmits(req.ResourcePolicy, &preq) {
		d.Result = policy.Result{Decision: policy.ImplicitDeny, Missing: policy.Resource}
	}
	if err := a.blockBilling(ctx, p, d); err != nil {
		return nil, err
	}
	return d, nil
}

// trustAdmits reports whether a trust policy allows the caller of preq in
// any of the ways a Principal element can name it, its account included. It
// evaluates the trust policy as if from another account with unlimited
// identity-based permissions, where any match through the Principal
// element counts and any Deny wins.
func trustAdmits(trust *policy.Set, preq *policy.Request) bool {
	if trust == nil {
		return false
	}
	cross := *preq
	cross.ResourceAccount = "trust-check"
	if cross.Principal.Account == "" {
		cross.Principal.Account = "caller"
	}
	return policy.Evaluate(&policy.Input{Identity: allowAll(), Resource: trust}, &cross).Decision == policy.Allow
}

func principalType(t warden.PrincipalType) policy.PrincipalType {
	switch t {
	case warden.PrincipalRoot:
		return policy.Root
	case warden.PrincipalAssumedRole:
		return policy.RoleSession
	case warden.PrincipalFederatedUser:
		return policy.FederatedUser
	}
	return policy.User
}

// fillContext sets the global condition keys AWS provides with every request.
func (a *Authorizer) fillContext(c *policy.Context, p *warden.Principal, pp *principalPolicies, req Request) {
	now := a.now().UTC()
	if p.Type == warden.PrincipalUser {
		c.Set("aws:username", p.Name)
	}
	c.Set("aws:userid", p.ID)
	if p.Type == warden.PrincipalAssumedRole && pp.issuerARN != "" {
		// A role session's aws:PrincipalArn is the role's ARN.
		c.Set("aws:PrincipalArn", pp.issuerARN)
	} else {
		c.Set("aws:PrincipalArn", p.ARN)
	}
	c.Set("aws:PrincipalAccount", p.Account)
	c.Set("aws:PrincipalType", string(p.Type))
	c.Set("aws:CurrentTime", now.Format(time.RFC3339))
	c.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	c.Set("aws:SecureTransport", strconv.FormatBool(p.SecureTransport))
	if p.SourceIP != "" {
		c.Set("aws:SourceIp", p.SourceIP)
	}
	if p.UserAgent != "" {
		c.Set("aws:UserAgent", p.UserAgent)
	}
	if p.MFAAuthenticated {
		c.Set("aws:MultiFactorAuthPresent", "true")
		c.Set("aws:MultiFactorAuthAge", strconv.FormatInt(int64(now.Sub(p.MFAAuthTime).Seconds()), 10))
	} else if !pp.issued.IsZero() || p.Type == warden.PrincipalAssumedRole || p.Type == warden.PrincipalFederatedUser {
		// Temporary credentials carry the key, false when no MFA was used;
		// long-term keys carry none (see the aws:MultiFactorAuthPresent docs).
		c.Set("aws:MultiFactorAuthPresent", "false")
	}
	if !pp.issued.IsZero() {
		// Present only for temporary credentials: a Deny with DateLessThan
		// on it revokes the sessions issued before a point in time.
		c.Set("aws:TokenIssueTime", pp.issued.UTC().Format(time.RFC3339))
	}
	if pp.sourceIdentity != "" {
		c.Set("aws:SourceIdentity", pp.sourceIdentity)
	}
	for _, t := range pp.tags {
		c.Set("aws:PrincipalTag/"+t.Key, t.Value)
	}
	for k, vs := range req.Context {
		if strings.EqualFold(k, "aws:TagKeys") {
			c.SetValues(k, vs)
			continue
		}
		if len(vs) == 1 {
			c.Set(k, vs[0])
		} else {
			c.SetValues(k, vs)
		}
	}
}
