package awsquery

import (
	"context"
	"net/http"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/sigv4"
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
	p, err := h.authenticate(ctx, r, body, sig, &call{})
	if err != nil {
		return nil, err
	}
	p.SourceIP = remoteIP(r)
	p.UserAgent = r.UserAgent()
	p.SecureTransport = r.TLS != nil
	return p, nil
}
