// Package console is Warden's web console: an AWS-style sign-in at an
// account-ID or alias URL with real MFA and defences against credential
// stuffing and brute force, server-side sessions, and server-rendered pages
// (html/template, embedded assets; one small script only keeps the policy
// editors' line numbers in step, and every page works without it) for users, groups,
// policies, the security status and root-only tasks. Every page calls the
// same iam operations as the API, with the signed-in principal, so access is
// decided exactly as for the API.
package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/sts"
	"github.com/warden-iam/warden/trail"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config holds the console's defences and timeouts. A zero field takes its
// default (see docs/console.md).
type Config struct {
	// Throttling: at most this many sign-in attempts (successful or not)
	// per ThrottleWindow from one source IP, against one account, and
	// against one user name (or root email) of an account.
	IPAttempts      int           // default 20
	AccountAttempts int           // default 100
	UserAttempts    int           // default 10
	ThrottleWindow  time.Duration // default 1 minute

	// Lockout: MaxFailures wrong passwords for one user name within
	// FailureWindow lock its sign-in for LockoutDuration. With
	// PermanentLockoutAfter > 0, that many lockouts in a row make the
	// lockout of an IAM user permanent until an administrator sets a new
	// password for the user. MFA codes have their own counter with
	// MFAMaxFailures, so guessing codes never locks out a password.
	MaxFailures           int           // default 5
	FailureWindow         time.Duration // default 15 minutes
	LockoutDuration       time.Duration // default 15 minutes
	PermanentLockoutAfter int           // default 0: never permanent
	MFAMaxFailures        int           // default 5

	// At most HashConcurrency argon2id checks run at once (default
	// GOMAXPROCS), and at most HashQueue more attempts wait for one (default
	// twice that; negative: none); attempts beyond are refused before
	// hashing.
	HashConcurrency int
	HashQueue       int

	// Key signs device cookies and derives CSRF tokens; every node of one
	// deployment must have the same (cmd/warden derives it from the master
	// key). When nil, a random key is made, good for this process only.
	Key []byte

	// Sessions end after IdleTimeout without a request and AbsoluteTimeout
	// after sign-in, whichever comes first.
	IdleTimeout     time.Duration // default 15 minutes
	AbsoluteTimeout time.Duration // default 12 hours

	// SecureCookies marks cookies Secure even when the request did not come
	// over TLS (a TLS-terminating proxy in front). Under TLS they always are.
	SecureCookies bool
	// TrustProxyHeaders takes the source IP from X-Forwarded-For and TLS
	// from X-Forwarded-Proto. Only set it behind a proxy that sets them.
	TrustProxyHeaders bool

	// Now is the clock (default time.Now), replaceable in tests.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.IPAttempts, 20)
	def(&c.AccountAttempts, 100)
	def(&c.UserAttempts, 10)
	defDur(&c.ThrottleWindow, time.Minute)
	def(&c.MaxFailures, 5)
	defDur(&c.FailureWindow, 15*time.Minute)
	defDur(&c.LockoutDuration, 15*time.Minute)
	def(&c.MFAMaxFailures, 5)
	defDur(&c.IdleTimeout, 15*time.Minute)
	defDur(&c.AbsoluteTimeout, 12*time.Hour)
	def(&c.HashConcurrency, runtime.GOMAXPROCS(0))
	switch {
	case c.HashQueue == 0:
		c.HashQueue = 2 * c.HashConcurrency
	case c.HashQueue < 0: // no waiting at all
		c.HashQueue = 0
	}
	if len(c.Key) == 0 {
		c.Key = make([]byte, 32)
		if _, err := rand.Read(c.Key); err != nil {
			panic("console: no randomness: " + err.Error())
		}
	}
	if c.PermanentLockoutAfter < 0 {
		c.PermanentLockoutAfter = 0
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Console is the web console, an http.Handler for /signin/ and /console/.
type Console struct {
	cfg   Config
	iam   *iam.Service
	store warden.Store
	log   *slog.Logger
	pages map[string]*template.Template
	mux   *http.ServeMux

	lastSweep atomic.Int64 // unix seconds of the last sweep of idle records

	deviceKey, csrfKey []byte
	gate               *hashGate
	hashes             atomic.Int64 // argon2id checks run, real or dummy
	// Trail, when set, records every sign-in in the event history, and
	// Events answers the event history page.
	Trail  *trail.Recorder
	Events *trail.Service
	// STS, when set, signs users in with SAML (POST /saml) through
	// AssumeRoleWithSAML.
	STS *sts.Service
}

// New returns the console over the IAM service and the store that keeps its
// sessions, sign-in counters and audit events.
func New(cfg Config, iamSvc *iam.Service, store warden.Store, log *slog.Logger) *Console {
	if log == nil {
		log = slog.Default()
	}
	c := &Console{cfg: cfg.withDefaults(), iam: iamSvc, store: store, log: log, pages: sharedPages()}
	c.deviceKey, c.csrfKey = subkey(c.cfg.Key, "device"), subkey(c.cfg.Key, "csrf")
	c.gate = newHashGate(c.cfg.HashConcurrency, c.cfg.HashQueue)
	c.mux = http.NewServeMux()
	c.routes()
	return c
}

func (c *Console) routes() {
	m := c.mux
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/console/static/", http.FileServerFS(static))
	m.Handle("GET /console/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}))

	m.HandleFunc("GET /signin/{$}", c.chooseAccount)
	m.HandleFunc("GET /signin/{ident}", c.signInPage)
	m.HandleFunc("POST /signin/{ident}", c.signInPassword)
	m.HandleFunc("GET /signin/{ident}/mfa", c.mfaPage)
	m.HandleFunc("POST /signin/{ident}/mfa", c.mfaSubmit)
	m.HandleFunc("GET /signin/{ident}/password", c.newPasswordPage)
	m.HandleFunc("POST /signin/{ident}/password", c.newPasswordSubmit)
	m.HandleFunc("POST /console/signout", c.authed(c.signOut))

	m.HandleFunc("GET /console/{$}", c.authed(c.dashboard))
	m.HandleFunc("GET /console/mfa-offer", c.authed(c.mfaOffer))
	m.HandleFunc("POST /console/mfa-offer/skip", c.authed(c.mfaOfferSkip))
	m.HandleFunc("GET /console/shown/{id}", c.authed(c.shownPage))
	m.HandleFunc("POST /console/alias", c.authed(c.setAlias))
	m.HandleFunc("POST /console/alias/delete", c.authed(c.confirmed(dangerDeleteAlias, c.deleteAlias)))

	c.userRoutes(m)
	c.groupRoutes(m)
	c.roleRoutes(m)
	c.simulatorRoutes(m)
	c.policyRoutes(m)
	c.accountRoutes(m)
	c.auditRoutes(m)
	c.samlRoutes(m)
	c.idpRoutes(m)

	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c.renderError(w, r, nil, http.StatusNotFound, "Page not found", "There is no console page at this address.")
	})
}

// ServeHTTP serves the console with its security headers.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; script-src 'self'; object-src 'none'; "+
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if c.secure(r) {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	if !strings.HasPrefix(r.URL.Path, "/console/static/") {
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	c.maybeSweep()
	if acceptsGzip(r) {
		gz := &gzipResponse{ResponseWriter: w}
		defer gz.close()
		w = gz
	}
	c.mux.ServeHTTP(w, r)
}

// subkey derives the key for purpose from the console's key.
func subkey(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("warden/console/" + purpose))
	return m.Sum(nil)
}

func (c *Console) now() time.Time { return c.cfg.Now().UTC() }

// secure reports whether the browser reached us over TLS.
func (c *Console) secure(r *http.Request) bool {
	if r.TLS != nil || c.cfg.SecureCookies {
		return true
	}
	return c.cfg.TrustProxyHeaders && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// sourceIP is the address of the browser.
func (c *Console) sourceIP(r *http.Request) string {
	return warden.SourceIP(r.RemoteAddr, r.Header.Get("X-Forwarded-For"), c.cfg.TrustProxyHeaders)
}

// userAgent is the browser's User-Agent, cut to a sane length for the audit trail.
func userAgent(r *http.Request) string {
	ua := r.UserAgent()
	if len(ua) > 256 {
		ua = ua[:256]
	}
	return ua
}

// maybeSweep removes idle sign-in counters and ended sessions, at most once
// every ten minutes per node, in the background.
func (c *Console) maybeSweep() {
	now := c.cfg.Now().Unix()
	last := c.lastSweep.Load()
	if now-last < 600 || !c.lastSweep.CompareAndSwap(last, now) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Sweep(ctx); err != nil {
			c.log.Warn("console: sweeping idle records", "err", err)
		}
	}()
}

// errMessage is the client message of an operation's error, and whether it
// is one (an *warden.Error): other errors are internal and never shown.
func errMessage(err error) (string, bool) {
	var e *warden.Error
	if errors.As(err, &e) {
		if e.Message != "" {
			return e.Message, true
		}
		return string(e.Code), true
	}
	return "", false
}
