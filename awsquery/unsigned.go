package awsquery

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/warden-iam/warden"
)

// signed reports whether a request carries a Signature Version 4
// signature, in its Authorization header or its query string.
func signed(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	q := strings.ToLower(r.URL.RawQuery)
	return strings.Contains(q, "x-amz-signature=") || strings.Contains(q, "x-amz-credential=")
}

// unsigned serves one of the STS actions AWS takes without credentials
// (sts.Unsigned): the caller is known only by where it calls from, and the
// operation authenticates it by its identity provider's token. Any other
// unsigned request is refused by sigv4 as before.
func (h *Handler) unsigned(ctx context.Context, c *call, r *http.Request, form url.Values) (any, error) {
	c.service = "sts"
	if v := form.Get("Version"); v != stsVersion {
		if v == "" {
			return nil, warden.Errorf(warden.CodeMissingParameter, "The request must contain the parameter Version")
		}
		return nil, warden.Errorf(warden.CodeInvalidAction, "Could not find operation %s for version %s", c.action, v)
	}
	p := &warden.Principal{SourceIP: remoteIP(r), UserAgent: r.UserAgent(), SecureTransport: r.TLS != nil}
	return h.STS.Invoke(ctx, p, c.action, form)
}
