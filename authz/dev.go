package authz

import (
	"context"
	"sync"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// UseDevUser gives the principal with unique ID id (the virtual IAM user of
// --dev, which is not stored) the permissions of AdministratorAccess. Its
// temporary credentials from GetSessionToken carry the same ID and so the
// same permissions; role sessions it starts get the role's. Call it before
// the Authorizer is used.
func (a *Authorizer) UseDevUser(id string) { a.devUserID = id }

// adminAccess is AdministratorAccess, the policy the dev user holds.
var adminAccess = sync.OnceValue(func() *policy.Set {
	p, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`), policy.Identity)
	if err != nil {
		panic("authz: AdministratorAccess: " + err.Error())
	}
	return policy.Compile(policy.Named{Name: "arn:aws:iam::aws:policy/AdministratorAccess", Policy: p})
})

// devPolicies returns the policies of p when p is the dev user (or its
// GetSessionToken session), and otherwise those of the snapshot.
func (a *Authorizer) devPolicies(ctx context.Context, p *warden.Principal) (*principalPolicies, error) {
	if a.devUserID == "" || p.Type != warden.PrincipalUser || p.ID != a.devUserID {
		return a.policiesOf(ctx, p)
	}
	pp := &principalPolicies{identity: adminAccess()}
	if warden.IsTemporaryKey(p.AccessKeyID) {
		// Keep what the session record says (issue time, tags), with the
		// dev user's permissions.
		sess, err := a.policiesOf(ctx, p)
		if err != nil {
			return nil, err
		}
		cp := *sess
		// The dev user is never stored, so the snapshot finds no user
		// behind the session: it is the dev user all the same.
		cp.identity, cp.orphan = adminAccess(), false
		pp = &cp
	}
	return pp, nil
}
