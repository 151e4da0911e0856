// Package serviceauth is the front end that checks service-specific
// credentials for the servers that accept them instead of SigV4: a Git
// server in front of repositories (CodeCommit's HTTPS Git user name and
// password), a Cassandra proxy (Amazon Keyspaces), an LLM gateway (Amazon
// Bedrock API keys). It answers GET /warden/service-auth/{service} in the
// form nginx's auth_request expects: 200 with the principal in headers when
// the credential is good, 401 otherwise, 429 when the source has failed too
// often. It decides nothing itself: iam.Service.VerifyServiceCredential does.
package serviceauth

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/warden-iam/warden"
)

// Path is where the handler is mounted; the service follows it.
const Path = "/warden/service-auth/"

// Verifier checks a credential; *iam.Service is one.
type Verifier interface {
	VerifyServiceCredential(ctx context.Context, account, serviceName, serviceUser, password string) (*warden.Principal, error)
}

// services maps the short names a server configures to IAM's service names.
var services = map[string]string{
	"codecommit": "codecommit.amazonaws.com",
	"cassandra":  "cassandra.amazonaws.com",
	"keyspaces":  "cassandra.amazonaws.com",
	"bedrock":    "bedrock.amazonaws.com",
}

// The response headers that name the verified principal.
const (
	HeaderARN     = "X-Warden-Principal-Arn"
	HeaderID      = "X-Warden-Principal-Id"
	HeaderAccount = "X-Warden-Account"
	HeaderUser    = "X-Warden-User-Name"
)

// Handler serves the service-auth endpoint.
type Handler struct {
	Verify Verifier
	Log    *slog.Logger
	// TrustProxyHeaders takes the source from X-Forwarded-For (set it only
	// behind a proxy that sets the header itself, as nginx's auth_request
	// does with proxy_set_header).
	TrustProxyHeaders bool
	// Failures bounds the failed attempts of one source: Burst at once,
	// then one more every Refill (defaults 20 and 3 seconds).
	Burst  int
	Refill time.Duration
	Now    func() time.Time

	mu      sync.Mutex
	sources map[string]*failures
}

// failures is a source's failure count, decaying by one every Refill.
type failures struct {
	n    float64
	last time.Time
}

// maxSources bounds how many sources are tracked at once.
const maxSources = 100_000

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) limits() (float64, time.Duration) {
	burst, refill := h.Burst, h.Refill
	if burst <= 0 {
		burst = 20
	}
	if refill <= 0 {
		refill = 3 * time.Second
	}
	return float64(burst), refill
}

// decayed returns the source's failure count now, updating it.
func (h *Handler) decayed(f *failures, now time.Time, refill time.Duration) float64 {
	if d := now.Sub(f.last); d > 0 {
		f.n = max(0, f.n-float64(d)/float64(refill))
		f.last = now
	}
	return f.n
}

// blocked reports whether source has used up its failures.
func (h *Handler) blocked(source string) bool {
	burst, refill := h.limits()
	h.mu.Lock()
	defer h.mu.Unlock()
	f, ok := h.sources[source]
	return ok && h.decayed(f, h.now(), refill) >= burst
}

// fail counts a failed attempt of source.
func (h *Handler) fail(source string) {
	_, refill := h.limits()
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sources == nil {
		h.sources = map[string]*failures{}
	}
	f, ok := h.sources[source]
	if !ok {
		if len(h.sources) >= maxSources {
			// Forget the sources whose failures have decayed; if none has,
			// any one, so the map stays bounded.
			for k, g := range h.sources {
				if h.decayed(g, now, refill) == 0 {
					delete(h.sources, k)
				}
			}
			for k := range h.sources {
				if len(h.sources) < maxSources {
					break
				}
				delete(h.sources, k)
			}
		}
		f = &failures{last: now}
		h.sources[source] = f
	}
	h.decayed(f, now, refill)
	f.n++
}

func (h *Handler) source(r *http.Request) string {
	return warden.SourceIP(r.RemoteAddr, r.Header.Get("X-Forwarded-For"), h.TrustProxyHeaders)
}

// credential reads what the request presents: HTTP Basic (user name and
// password; for Bedrock the user name may be the API key with an empty
// password) or a Bearer token (a Bedrock API key).
func credential(r *http.Request) (user, password string, ok bool) {
	if u, p, ok := r.BasicAuth(); ok {
		return u, p, u != ""
	}
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if found && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(token) != "" {
		return strings.TrimSpace(token), "", true
	}
	return "", "", false
}

// accountOf is the account a credential's user name belongs to: IAM names
// them NAME-at-ACCOUNT (API key aliases too); a Bedrock key carries its alias.
func accountOf(user string) string {
	if strings.HasPrefix(user, "ABSK") {
		raw, err := base64.StdEncoding.DecodeString(user[len("ABSK"):])
		if err != nil {
			return ""
		}
		user, _, _ = strings.Cut(string(raw), ":")
	}
	i := strings.LastIndex(user, "-at-")
	if i < 0 {
		return ""
	}
	acct := user[i+len("-at-"):]
	if len(acct) != 12 || strings.Trim(acct, "0123456789") != "" {
		return ""
	}
	return acct
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, Path)
	service, ok := services[name]
	if !ok {
		for _, full := range services {
			ok = ok || name == full
		}
		if !ok {
			http.Error(w, "unknown service", http.StatusNotFound)
			return
		}
		service = name
	}
	w.Header().Set("Cache-Control", "no-store")
	source := h.source(r)
	if h.blocked(source) {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "too many failed attempts", http.StatusTooManyRequests)
		return
	}
	user, password, ok := credential(r)
	var p *warden.Principal
	err := warden.ErrNotFound
	if ok {
		p, err = h.Verify.VerifyServiceCredential(r.Context(), accountOf(user), service, user, password)
	}
	if err != nil {
		if !warden.IsNotFound(err) && h.Log != nil {
			h.Log.Error("service credential check failed", "service", service, "err", err)
		}
		h.fail(source)
		realm := `Basic realm="warden ` + name + `", charset="UTF-8"`
		if service == "bedrock.amazonaws.com" {
			realm = `Bearer realm="warden bedrock"`
		}
		w.Header().Set("WWW-Authenticate", realm)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	w.Header().Set(HeaderARN, p.ARN)
	w.Header().Set(HeaderID, p.ID)
	w.Header().Set(HeaderAccount, p.Account)
	w.Header().Set(HeaderUser, p.Name)
	w.WriteHeader(http.StatusOK)
}
