package sts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/oidc"
	"github.com/warden-iam/warden/saml"
)

// The console's SAML sign-in (an IdP-initiated POST of a SAMLResponse) is
// AssumeRoleWithSAML: SAMLRoles verifies the response to offer its roles,
// and SAMLSignIn exchanges it for the chosen role's session, which the
// console session then acts as. Neither decides access beyond what
// AssumeRoleWithSAML decides.

// maxSignInProviders bounds the SAML providers one response is verified
// against while looking for its roles.
const maxSignInProviders = 10

// assertionKey is the replay-cache key of an assertion.
func assertionKey(a *saml.Assertion) string {
	sum := sha256.Sum256([]byte(a.Issuer + "|" + a.ID))
	return hex.EncodeToString(sum[:])
}

// SAMLRoles verifies a SAML response against each SAML provider its Role
// attribute names (or against providerARN alone, when given: an encrypted
// assertion's attributes cannot be read before it is decrypted), exactly
// as AssumeRoleWithSAML does (signature, decryption, issuer, audience and
// recipient, times, not yet used), without using it up, and returns the
// role/provider pairs of the providers that signed it. Errors are those
// AssumeRoleWithSAML answers: InvalidIdentityToken, ExpiredTokenException,
// or AccessDenied when no pair is left.
func (s *Service) SAMLRoles(ctx context.Context, response, providerARN string) ([]saml.RolePair, error) {
	providers := []string{providerARN}
	if providerARN == "" {
		providers = saml.UnverifiedProviders(response, maxSignInProviders)
	}
	if len(providers) == 0 {
		return nil, warden.Errorf(oidc.CodeInvalidIdentityToken,
			"The SAML response is not a signed SAML 2.0 response naming a role and a SAML provider in its Role attribute.")
	}
	now := s.Now()
	var out []saml.RolePair
	var refused error
	for _, providerARN := range providers {
		account, name, ok := providerName(providerARN)
		if !ok {
			refused = warden.Errorf(oidc.CodeInvalidIdentityToken, "Specified provider doesn't exist")
			continue
		}
		prov, err := s.iam.SAMLProvider(ctx, account, name)
		if warden.IsNotFound(err) {
			refused = warden.Errorf(oidc.CodeInvalidIdentityToken, "Specified provider doesn't exist")
			continue
		}
		if err != nil {
			return nil, err
		}
		want, err := s.samlExpectations(prov, now)
		if err != nil {
			return nil, err
		}
		a, err := saml.Verify(response, want)
		if err != nil {
			refused = samlRefused(err)
			continue
		}
		var used bool
		err = s.sessions.View(ctx, func(tx warden.Tx) error {
			u, err := warden.Load[warden.SAMLAssertionUse](ctx, tx, "", assertionKey(a))
			if warden.IsNotFound(err) {
				return nil
			}
			used = err == nil && now.Before(u.Expires)
			return err
		})
		if err != nil {
			return nil, err
		}
		if used {
			return nil, warden.Errorf(oidc.CodeInvalidIdentityToken, "The SAML assertion has already been used.")
		}
		for _, rp := range a.Roles() {
			if rp.ProviderARN == providerARN && roleAccount(rp.RoleARN) == account {
				out = append(out, rp)
			}
		}
	}
	if len(out) == 0 {
		if refused != nil {
			return nil, refused
		}
		return nil, warden.Errorf(warden.CodeAccessDenied, "Not authorized to perform sts:AssumeRoleWithSAML")
	}
	return out, nil
}

// providerName splits arn:aws:iam::ACCOUNT:saml-provider/NAME.
func providerName(providerARN string) (account, name string, ok bool) {
	rest, ok := strings.CutPrefix(providerARN, "arn:aws:iam::")
	if !ok {
		return "", "", false
	}
	account, name, ok = strings.Cut(rest, ":saml-provider/")
	return account, name, ok && len(account) == 12 && name != ""
}

// SAMLSignIn is AssumeRoleWithSAML for the console's sign-in of the bearer
// of response (p: who posted it) as roleARN through providerARN. The
// session lasts the assertion's SessionDuration (one hour without it),
// capped at the role's MaxSessionDuration. It returns the stored session
// the console session acts as; errors are AssumeRoleWithSAML's.
func (s *Service) SAMLSignIn(ctx context.Context, p *warden.Principal, response, roleARN, providerARN string) (*warden.Session, error) {
	ctx, err := s.authz.Prepare(ctx, p)
	if err != nil {
		return nil, err
	}
	sess, _, err := s.samlSession(ctx, p, &assumeRoleWithSAMLInput{RoleArn: roleARN, PrincipalArn: providerARN, SAMLAssertion: response}, true)
	return sess, err
}
