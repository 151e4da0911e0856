package awsquery

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/sigv4"
)

// ErrCrossSite answers a --dev request that a web page made the browser send.
var ErrCrossSite = &warden.Error{Code: warden.CodeAccessDenied,
	Message: "Cross-site requests are not allowed: Warden in --dev mode answers only clients, not web pages."}

// CrossSite reports whether r is a browser request made by a page of another
// site or origin: its Sec-Fetch-Site says so, or its Origin is not the
// server's own. AWS clients send neither header. In --dev, where any
// credentials are accepted, such requests are refused so that a web page a
// developer visits cannot drive their local Warden.
func CrossSite(r *http.Request) bool {
	switch strings.ToLower(r.Header.Get("Sec-Fetch-Site")) {
	case "cross-site", "same-site":
		return true
	}
	origin := r.Header.Values("Origin")
	if len(origin) == 0 {
		return false
	}
	if len(origin) > 1 {
		return true
	}
	u, err := url.Parse(origin[0])
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return true // "null" (sandboxed pages, file://) included
	}
	return !strings.EqualFold(u.Host, r.Host)
}

// devUser is the caller of a --dev request signed with unknown credentials:
// the virtual IAM user, when the signature is well formed and the request
// time is within 15 minutes.
func (h *Handler) devUser(sig *sigv4.Signature) (*warden.Principal, error) {
	if !wellFormedSignature(sig.Signature) {
		return nil, &sigv4.Error{Code: sigv4.CodeSignatureDoesNotMatch,
			Message: "The request signature we calculated does not match the signature you provided. " +
				"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
	}
	if err := sig.CheckTime(h.Now()); err != nil {
		return nil, err
	}
	name := h.DevUser
	if name == "" {
		name = warden.DefaultDevUser
	}
	p := warden.DevUser(h.DevAccount, name)
	p.AccessKeyID = sig.AccessKeyID
	return &p, nil
}

// wellFormedSignature reports whether s is what SigV4 signs with: 64
// lower-case hexadecimal digits.
func wellFormedSignature(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
