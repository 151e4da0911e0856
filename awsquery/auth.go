package awsquery

import (
	"context"
	"errors"
	"net/http"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/sigv4"
	"github.com/warden-iam/warden/trail"
)

// Authenticate verifies the Signature Version 4 signature of a request that
// another front end has read (body) and parsed (sig), and resolves the
// caller exactly as the Query API does: long-term and temporary credentials,
// the clock skew check, --dev mode (cross-site requests refused with
// ErrCrossSite), and the record of the key's last use.
// The principal carries the request's source IP, user agent and transport.
//
// Errors are *warden.Error (InvalidClientTokenId, ExpiredToken) or
// *sigv4.Error (SignatureDoesNotMatch, RequestExpired, ...); other errors
// come from the store.
func (h *Handler) Authenticate(ctx context.Context, r *http.Request, body []byte, sig *sigv4.Signature) (*warden.Principal, error) {
	if h.Dev && CrossSite(r) {
		return nil, ErrCrossSite
	}
	c := &call{}
	p, err := h.authenticate(ctx, r, body, sig, c)
	if err != nil {
		if c.claimed != nil {
			return nil, &claimError{claimed: c.claimed, err: err}
		}
		return nil, err
	}
	p.SourceIP = remoteIP(r)
	p.UserAgent = r.UserAgent()
	p.SecureTransport = r.TLS != nil
	return p, nil
}

// claimError is a failed authentication of a request whose access key ID
// names an identity: RecordFailure records the event as that identity's.
type claimError struct {
	claimed *warden.Principal
	err     error
}

func (e *claimError) Error() string { return e.err.Error() }
func (e *claimError) Unwrap() error { return e.err }

// RecordFailure hands a request that another front end's Authenticate
// refused with err to the event history, as the Query API records its own:
// as the identity its access key ID names, or as Unknown in the account
// that receives requests with unknown keys. tc says the request's time, ID,
// service, action, parameters and the error its client got.
func (h *Handler) RecordFailure(r *http.Request, sig *sigv4.Signature, tc *trail.Call, err error) {
	if h.Trail == nil {
		return
	}
	p := warden.Principal{Account: h.UnknownKeyAccount}
	var ce *claimError
	if errors.As(err, &ce) {
		p = *ce.claimed
	}
	p.SourceIP, p.UserAgent, p.Region = remoteIP(r), r.UserAgent(), sig.Region
	tc.Principal, tc.AccessKeyID, tc.Region = p, sig.AccessKeyID, sig.Region
	h.Trail.Unauthenticated(tc)
}
