package authz

import (
	"sync/atomic"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// Allowed is what an observer learns of one request the policies allowed.
type Allowed struct {
	Principal *warden.Principal
	Action    string // e.g. iam:GetUser
	// Deciding are the statements that allowed it; their PolicyName is a
	// managed policy's ARN or user/NAME/POLICY, group/NAME/POLICY,
	// role/NAME/POLICY for inline policies. The slice is the decision's
	// own: an observer must not keep it.
	Deciding []policy.Match
}

// observer holds the function told of every Allow.
type observer struct{ f atomic.Pointer[func(Allowed)] }

// Observe sets f to be called after every request whose policies allowed
// it (not the root user's, nor any in mode Off), on the request's goroutine:
// f must be quick and must not block. The access advisor records usage so.
func (a *Authorizer) Observe(f func(Allowed)) { a.obs.f.Store(&f) }

func (a *Authorizer) observeAllow(p *warden.Principal, req Request, d *Decision) {
	if f := a.obs.f.Load(); f != nil {
		(*f)(Allowed{Principal: p, Action: req.Action, Deciding: d.Result.Deciding()})
	}
}
