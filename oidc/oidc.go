// Package oidc verifies OpenID Connect ID tokens for
// AssumeRoleWithWebIdentity: it discovers an issuer
// (/.well-known/openid-configuration, then jwks_uri) over HTTPS, trusting
// the system roots (SSL_CERT_FILE works) or, when the chain does not verify,
// the thumbprints registered with the IAM provider; caches the issuer's keys
// and fetches them again, rate-limited, when a token names a key it does not
// know; and checks a token's signature (RS256/384/512, ES256/384 only) and
// its iss, aud/azp, exp, nbf and iat claims. Every outbound fetch is bounded
// in time and size. Errors are *warden.Error with STS's codes.
package oidc

import (
	"github.com/warden-iam/warden"
)

// STS's error codes for web identity tokens.
const (
	CodeInvalidIdentityToken  warden.Code = "InvalidIdentityToken"
	CodeExpiredToken          warden.Code = "ExpiredTokenException"
	CodeIDPCommunicationError warden.Code = "IDPCommunicationError"
	CodeIDPRejectedClaim      warden.Code = "IDPRejectedClaim"
)

func invalidToken(format string, args ...any) *warden.Error {
	return warden.Errorf(CodeInvalidIdentityToken, format, args...)
}

func communication(err error, format string, args ...any) *warden.Error {
	e := warden.Errorf(CodeIDPCommunicationError, format, args...)
	e.Err = err
	return e
}
