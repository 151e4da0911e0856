package authz

import (
	"context"
	"strconv"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// FederatedRequest is a request to assume a role with a token of an
// identity provider (AssumeRoleWithWebIdentity, AssumeRoleWithSAML). The
// caller has no identity in any account: only the role's trust policy
// decides, with the provider as the Federated principal.
type FederatedRequest struct {
	// Provider is the Federated principal: the ARN of the IAM OIDC or SAML
	// provider. It is also aws:FederatedProvider.
	Provider string
	Action   string // sts:AssumeRoleWithWebIdentity, sts:TagSession, ...
	Role     string // ARN of the role
	Trust    *policy.Set
	// Context holds the provider's claims as condition keys
	// (HOST/PATH:aud, saml:sub, ...) and the request's own
	// (sts:RoleSessionName, aws:RequestTag/..., aws:TagKeys).
	Context             map[string][]string
	SourceIP, UserAgent string
	SecureTransport     bool
}

// AuthorizeFederated decides a FederatedRequest. It returns the decision
// and, when the trust policy does not allow it (and the mode is Strict), an
// *warden.Error AccessDenied in STS's words. In mode Off nothing is
// evaluated and the decision is nil.
func (a *Authorizer) AuthorizeFederated(ctx context.Context, req FederatedRequest) (*Decision, error) {
	if a.mode == Off {
		return nil, nil
	}
	now := a.now().UTC()
	preq := policy.Request{Action: req.Action, Resource: req.Role, ResourceAccount: "trust-check",
		Principal: policy.Principal{Type: policy.WebIdentity, Account: "caller", Federated: req.Provider}}
	c := &preq.Context
	c.Set("aws:FederatedProvider", req.Provider)
	c.Set("aws:CurrentTime", now.Format(time.RFC3339))
	c.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	c.Set("aws:SecureTransport", strconv.FormatBool(req.SecureTransport))
	if req.SourceIP != "" {
		c.Set("aws:SourceIp", req.SourceIP)
	}
	if req.UserAgent != "" {
		c.Set("aws:UserAgent", req.UserAgent)
	}
	for k, vs := range req.Context {
		if len(vs) == 1 {
			c.Set(k, vs[0])
		} else {
			c.SetValues(k, vs)
		}
	}
	d := &Decision{Result: policy.Evaluate(&policy.Input{Identity: allowAll(), Resource: req.Trust}, &preq), Request: preq}
	if d.Result.Decision == policy.Allow {
		return d, nil
	}
	a.log.InfoContext(ctx, "access denied", "request_id", warden.RequestID(ctx), "principal", req.Provider,
		"action", req.Action, "resource", req.Role, "decision", d.Result.Decision.String(),
		"deciding", d.Explain(), "enforced", a.mode == Strict)
	if a.mode == Soft {
		return d, nil
	}
	return d, &warden.Error{Code: warden.CodeAccessDenied, Message: "Not authorized to perform " + req.Action}
}
