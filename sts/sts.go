// Package sts implements the AWS Security Token Service operations once, for
// every front end: authorize with authz, validate, then act. It issues
// temporary security credentials (AssumeRole, GetSessionToken,
// GetFederationToken), resolves them back to their principal for
// authentication (Credential), and answers the informational operations.
//
// Temporary credentials are stored, not signed: see warden.Session and
// credentials.go.
package sts

import (
	"context"
	"net/url"
	"sync"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/apimodel"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/oidc"
	"github.com/warden-iam/warden/secrets"
)

// Service runs STS operations.
type Service struct {
	store warden.Store
	// sessions is where session records are written: the store beneath the
	// authorization snapshot's tracking, as no snapshot entry depends on a
	// session that did not exist before (see authz.Untracked).
	sessions warden.Store
	authz    *authz.Authorizer
	iam      *iam.Service
	box      *secrets.Box
	model    *apimodel.Service

	// Now, NewID, NewSecret and NewToken are replaceable so that tests can
	// move the clock and golden files are stable. Now is the clock session
	// expiration is judged by.
	Now       func() time.Time
	NewID     func(prefix string, n int) string
	NewSecret func() string
	NewToken  func() string

	// WebIdentity verifies the ID tokens of AssumeRoleWithWebIdentity.
	WebIdentity *oidc.Verifier
	// SAMLRecipients are the URLs AssumeRoleWithSAML accepts as an
	// assertion's Recipient and Audience besides SAMLAudience (Warden's
	// own sign-in URL, say).
	SAMLRecipients []string

	sweep    sweeper
	roleUses roleUses
}

// New returns a Service. iamSvc checks MFA codes; box seals the secrets of
// temporary credentials and authorization messages.
func New(store warden.Store, az *authz.Authorizer, iamSvc *iam.Service, box *secrets.Box) *Service {
	return &Service{store: store, sessions: authz.Untracked(store), authz: az, iam: iamSvc, box: box,
		model: apimodel.Load("sts"), Now: time.Now, NewID: secrets.NewID, NewSecret: secrets.NewSecretAccessKey,
		NewToken: newToken, WebIdentity: oidc.NewVerifier(nil)}
}

// operation is one STS action: it decodes its own input.
type operation func(s *Service, ctx context.Context, p *warden.Principal, form url.Values) (any, error)

// run adapts an operation with a typed input.
func run[I, O any](action string, f func(*Service, context.Context, *warden.Principal, *I) (*O, error)) operation {
	return func(s *Service, ctx context.Context, p *warden.Principal, form url.Values) (any, error) {
		in := new(I)
		if err := s.model.Decode(action, form, in); err != nil {
			return nil, err
		}
		out, err := f(s, ctx, p, in)
		if out == nil || err != nil {
			return nil, err
		}
		return out, nil
	}
}

var operations = map[string]operation{
	"GetCallerIdentity":          run("GetCallerIdentity", (*Service).getCallerIdentity),
	"AssumeRole":                 run("AssumeRole", (*Service).assumeRole),
	"GetSessionToken":            run("GetSessionToken", (*Service).getSessionToken),
	"GetFederationToken":         run("GetFederationToken", (*Service).getFederationToken),
	"GetAccessKeyInfo":           run("GetAccessKeyInfo", (*Service).getAccessKeyInfo),
	"DecodeAuthorizationMessage": run("DecodeAuthorizationMessage", (*Service).decodeAuthorizationMessage),
	"AssumeRoleWithWebIdentity":  run("AssumeRoleWithWebIdentity", (*Service).assumeRoleWithWebIdentity),
	"AssumeRoleWithSAML":         run("AssumeRoleWithSAML", (*Service).assumeRoleWithSAML),
	"GetWebIdentityToken":        run("GetWebIdentityToken", (*Service).getWebIdentityToken),
	"AssumeRoot":                 run("AssumeRoot", (*Service).assumeRoot),
	"GetDelegatedAccessToken":    run("GetDelegatedAccessToken", (*Service).getDelegatedAccessToken),
}

// Has reports whether action is an STS operation Warden implements.
func (s *Service) Has(action string) bool {
	_, ok := operations[action]
	return ok
}

// Invoke decodes form as the input of action and runs it for p. It returns
// the operation's result in the AWS XML shape, or an *warden.Error.
func (s *Service) Invoke(ctx context.Context, p *warden.Principal, action string, form url.Values) (any, error) {
	op, ok := operations[action]
	if !ok {
		return nil, warden.Errorf(warden.CodeInvalidAction, "Could not find operation %s for version 2011-06-15", action)
	}
	// Federated users may only ask who they are (see "Compare AWS STS
	// credentials"); the other limits on sessions are the operations' own.
	if p.Type == warden.PrincipalFederatedUser && action != "GetCallerIdentity" {
		return nil, accessDenied(p, "sts:"+action, "*")
	}
	// What deciding this request needs is read now, before the operation
	// opens a transaction: authorizing inside one then reads nothing.
	ctx, err := s.authz.Prepare(ctx, p)
	if err != nil {
		return nil, err
	}
	return op(s, ctx, p, form)
}

// now returns the current time in UTC at the second, as STS reports times.
func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Second) }

// accessDenied is AWS's denial, without a reason, as STS words it.
func accessDenied(p *warden.Principal, action, resource string) *warden.Error {
	return warden.Errorf(warden.CodeAccessDenied, "User: %s is not authorized to perform: %s on resource: %s", p.ARN, action, resource)
}

// audit appends the event of an operation of p to account's trail.
func (s *Service) audit(ctx context.Context, tx warden.Tx, p *warden.Principal, account, action, resource string, details map[string]string) error {
	return tx.AppendAudit(ctx, warden.AuditEvent{
		Time:      s.Now().UTC(),
		Account:   account,
		RequestID: warden.RequestID(ctx),
		Actor:     p.ARN,
		Action:    "sts:" + action,
		Resource:  resource,
		SourceIP:  p.SourceIP,
		UserAgent: p.UserAgent,
		Outcome:   "Success",
		Details:   details,
	})
}

// roleUses throttles RoleLastUsed bookkeeping to one write per role per
// minute, as iam does for access keys.
type roleUses struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// due reports whether the use of role at now should be recorded, and notes
// it.
func (u *roleUses) due(role string, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if t, ok := u.last[role]; ok && now.Sub(t) < time.Minute {
		return false
	}
	if u.last == nil || len(u.last) > 100000 {
		u.last = map[string]time.Time{}
	}
	u.last[role] = now
	return true
}
