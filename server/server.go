// Package server assembles a whole Warden from a store: the authorizer, the
// IAM and STS operations, the Query API, the console, Access Analyzer, the
// metrics and health endpoints and, in dev mode, the reset endpoints, all
// mounted on one http.Handler. cmd/warden serves it on a port; wardentest
// serves it inside Go tests.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/accessanalyzer"
	"github.com/warden-iam/warden/advisor"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/awsquery"
	"github.com/warden-iam/warden/cloudtrail"
	"github.com/warden-iam/warden/console"
	"github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/issuer"
	"github.com/warden-iam/warden/managed"
	"github.com/warden-iam/warden/notices"
	"github.com/warden-iam/warden/secrets"
	"github.com/warden-iam/warden/serviceauth"
	"github.com/warden-iam/warden/sts"
	"github.com/warden-iam/warden/throttle"
	"github.com/warden-iam/warden/trail"
)

// Config is what a Warden is built from besides its store.
type Config struct {
	// Bootstrap creates the first account and its root user when the store
	// has no account yet (its AccountID is the first account's ID).
	Bootstrap iam.Bootstrap
	Mode      authz.Mode
	// Dev is the local-emulator mode: unknown, well-signed credentials act
	// as the virtual IAM user DevUser (default "dev") holding
	// AdministratorAccess, cross-site browser requests are refused, and
	// POST /warden/reset and /moto-api/reset wipe the store.
	Dev     bool
	DevUser string
	Console console.Config
	Log     *slog.Logger
	// Now, when set, is the clock of the IAM and STS operations (tests move
	// it; SigV4 keeps real time).
	Now func() time.Time
	// PollInterval is how often the store's change feed is read to notice
	// writes by other nodes and local commands (default one second; on
	// PostgreSQL nodes are also notified at once).
	PollInterval time.Duration
	// IssuerBase is the https URL at which this server's OIDC issuer
	// documents (/oidc/...) are reachable, for outbound web identity
	// federation ("": the request's own address).
	IssuerBase string
	// RoleTemplates are the operator's role templates, beside the built-in
	// ones (iam.LoadRoleTemplates).
	RoleTemplates []*iam.RoleTemplate
	// SAMLURL is the URL at which identity providers post SAML responses
	// to sign users in to the console (this server's /saml), accepted as an
	// assertion's Recipient and Audience besides
	// https://signin.aws.amazon.com/saml ("": IssuerBase + "/saml" when
	// IssuerBase is set).
	SAMLURL string
	// NoAccessAdvisor turns off recording which services each principal
	// uses; NoEventHistory turns off recording API calls and sign-ins in
	// the CloudTrail-compatible event history. EventRetention (default 90
	// days) is how long events are kept; EventExportDir, when set, receives
	// CloudTrail log files.
	NoAccessAdvisor bool
	NoEventHistory  bool
	EventRetention  time.Duration
	EventExportDir  string
	// Throttle limits the expensive operations per principal (Rate 0: no
	// limit).
	Throttle throttle.Config
	// CheckSeed refuses to start, with an *iam.SeedMismatch, when the store
	// already has accounts and the seed disagrees with them: the first
	// account's ID when AccountGiven, the root access key of Bootstrap, the
	// root password RootPassword (in clear, only compared) and the root
	// email when RootEmailGiven. A seed that would be silently ignored is
	// a start that cannot work as its operator expects.
	CheckSeed      bool
	AccountGiven   bool
	RootPassword   string
	RootEmailGiven bool
}

// Server is an assembled Warden. Its Handler serves every endpoint.
type Server struct {
	Handler http.Handler
	// Account is the first account's ID; Created says this start created it.
	Account string
	Created bool
	IAM     *iam.Service
	STS     *sts.Service
	Authz   *authz.Authorizer

	store   warden.Store // tracked by the authorizer
	raw     warden.Store
	cfg     Config
	resetMu sync.Mutex
	// stops end the background writers (event history, access advisor),
	// each returning once it has written what it buffered.
	stops []func()
}

// New assembles a Warden over store, whose secrets box protects, and
// bootstraps the first account when the store has none. The authorizer
// watches the store until ctx ends. Errors come from the store.
func New(ctx context.Context, store warden.Store, box *secrets.Box, cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	log := cfg.Log
	if cfg.DevUser == "" {
		cfg.DevUser = warden.DefaultDevUser
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	az := authz.New(store, cfg.Mode, log)
	az.UseAWSPolicies(managed.Load) // loaded on first use, not at startup
	tracked := az.Track(store)
	iamSvc := iam.New(tracked, az, box)
	iamSvc.IssuerBase = cfg.IssuerBase
	if err := iamSvc.AddRoleTemplates(cfg.RoleTemplates); err != nil {
		return nil, err
	}
	stsSvc := sts.New(tracked, az, iamSvc, box)
	if cfg.SAMLURL == "" && cfg.IssuerBase != "" {
		cfg.SAMLURL = strings.TrimSuffix(cfg.IssuerBase, "/") + "/saml"
	}
	if cfg.SAMLURL != "" {
		stsSvc.SAMLRecipients = []string{cfg.SAMLURL}
	}
	if cfg.Now != nil {
		iamSvc.Now, stsSvc.Now = cfg.Now, cfg.Now
	}
	if cfg.CheckSeed {
		seed := iam.Bootstrap{RootAccessKeyID: cfg.Bootstrap.RootAccessKeyID, RootSecretAccessKey: cfg.Bootstrap.RootSecretAccessKey}
		if cfg.AccountGiven {
			seed.AccountID = cfg.Bootstrap.AccountID
		}
		if cfg.RootEmailGiven {
			seed.RootEmail = cfg.Bootstrap.RootEmail
		}
		if err := iamSvc.CheckSeed(ctx, seed, cfg.RootPassword); err != nil {
			return nil, err
		}
	}
	created, err := iamSvc.Bootstrap(ctx, cfg.Bootstrap)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	accounts, err := iamSvc.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	if len(accounts) == 0 {
		return nil, errors.New("bootstrap: the store has no account")
	}
	s := &Server{Account: accounts[0].ID, Created: created, IAM: iamSvc, STS: stsSvc, Authz: az, store: tracked, raw: store, cfg: cfg}
	if cfg.Dev {
		az.UseDevUser(warden.DevUser(s.Account, cfg.DevUser).ID)
		iamSvc.DevUserARN = warden.DevUser(s.Account, cfg.DevUser).ARN
	}
	go az.Watch(ctx, cfg.PollInterval)

	reg := prometheus.NewRegistry()
	api := awsquery.NewHandler(iamSvc, stsSvc, log)
	api.Dev, api.DevAccount, api.DevUser = cfg.Dev, s.Account, cfg.DevUser
	api.UnknownKeyAccount = s.Account // the deployment's first account sees requests with unknown keys
	api.Observe = observer(reg)
	api.Limit = throttle.New(cfg.Throttle).Allow
	if cfg.Console.Key == nil {
		// Device cookies and CSRF tokens are keyed from the master key, so
		// every node of a deployment accepts the same ones.
		cfg.Console.Key = box.Derive("console/v1")
	}
	con := console.New(cfg.Console, iamSvc, store, log)
	con.STS = stsSvc
	analyzer := accessanalyzer.New(api, az, log)
	// The billing pages' request counts, flushed every 30 s and by Close.
	s.background(func(ctx context.Context) { iamSvc.WatchUsage(ctx, 30*time.Second) })
	ct, err := s.history(ctx, api, con, analyzer, reg)
	if err != nil {
		return nil, err
	}
	inbox := &notices.Handler{Auth: api, IAM: iamSvc, Log: log}
	s.Handler = s.mount(api, con, analyzer, ct, inbox, reg)
	return s, nil
}

// history starts the event history's recorder and the access advisor's
// tracker, and returns CloudTrail's front end over them.
func (s *Server) history(ctx context.Context, api *awsquery.Handler, con *console.Console, analyzer *accessanalyzer.Handler,
	reg *prometheus.Registry) (http.Handler, error) {
	cfg, log := s.cfg, s.cfg.Log
	events, ok := s.raw.(warden.EventLog)
	if !ok {
		return nil, fmt.Errorf("the store %T keeps no event history", s.raw)
	}
	retention := cfg.EventRetention
	if retention <= 0 {
		retention = 90 * 24 * time.Hour
	}
	rec := trail.NewRecorder(events, trail.Options{Retention: retention, ExportDir: cfg.EventExportDir, Log: log})
	s.background(func(ctx context.Context) { rec.Run(ctx) })
	registerTrailMetrics(reg, rec)
	calls := rec // what the front ends record calls in; none without an event history
	if cfg.NoEventHistory {
		calls = nil
	}
	api.Trail, con.Trail, analyzer.Recorder = calls, calls, calls
	if !cfg.NoAccessAdvisor {
		usage := advisor.New(authz.Untracked(s.store), log)
		s.Authz.Observe(usage.Observe)
		s.IAM.FlushAccessAdvisor = usage.Flush
		s.background(func(ctx context.Context) { usage.Run(ctx, 10*time.Second) })
	}
	lookup := &trail.Service{Log: events, Authz: s.Authz, Recorder: rec, Now: time.Now}
	con.Events = lookup
	return cloudtrail.New(api, lookup, calls, log), nil
}

// background runs fn until Close, which waits for it to return.
func (s *Server) background(fn func(ctx context.Context)) {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { fn(ctx); close(done) }()
	s.stops = append(s.stops, func() { stop(); <-done })
}

// Close stops the background writers once they have written what they
// buffered; call it before closing the store.
func (s *Server) Close() {
	s.IAM.WaitCredentialReports() // a report being generated is stored before the store closes
	for _, stop := range s.stops {
		stop()
	}
	s.stops = nil
}

// registerTrailMetrics exports the event recorder's counters.
func registerTrailMetrics(reg *prometheus.Registry, rec *trail.Recorder) {
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "warden_events_recorded_total",
			Help: "Event history records written."}, func() float64 { return float64(rec.Recorded()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "warden_events_dropped_total",
			Help: "Event history records dropped because the buffer was full."}, func() float64 { return float64(rec.Dropped()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "warden_events_failed_total",
			Help: "Event history records lost to failed writes."}, func() float64 { return float64(rec.Failed()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "warden_events_suppressed_total",
			Help: "Failed-authentication events not recorded: their source passed the per-minute limit."},
			func() float64 { return float64(rec.Suppressed()) }))
}

// mount is the one place where handlers are attached to paths.
func (s *Server) mount(api, con, analyzer, ct, inbox http.Handler, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if _, err := s.store.Generation(ctx); err != nil {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.Handle("POST /policy/validation", analyzer) // IAM Access Analyzer's ValidatePolicy
	mux.Handle("POST /policy/check-access-not-granted", analyzer)
	mux.Handle("POST /policy/check-no-new-access", analyzer)
	mux.Handle("POST /policy/check-no-public-access", analyzer)
	mux.HandleFunc("POST /warden/reset", s.serveReset)
	mux.HandleFunc("POST /moto-api/reset", s.serveReset) // the path emulator-based suites call
	// Temporary delegation's notification channels, collected by partners
	// (Warden has no SNS).
	mux.Handle("GET "+notices.Path, inbox)
	// Service-specific credentials checked for Git servers and proxies
	// (nginx auth_request).
	mux.Handle(serviceauth.Path, &serviceauth.Handler{Verify: s.IAM, Log: s.cfg.Log, TrustProxyHeaders: s.cfg.Console.TrustProxyHeaders})
	mux.Handle("GET "+iam.IssuerPath, &issuer.Handler{IAM: s.IAM}) // the accounts' OIDC issuer documents
	mux.Handle("/signin/", con)
	mux.Handle("/console/", con)
	mux.Handle("POST /saml", con) // SAML sign-in to the console, as https://signin.aws.amazon.com/saml
	mux.Handle("POST /saml/{account}/{provider}", con)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A browser opening the bare address goes to the console; API calls
		// (signed, or with a query string) go to the API.
		if r.Method == http.MethodGet && r.URL.Path == "/" && r.URL.RawQuery == "" && r.Header.Get("Authorization") == "" {
			http.Redirect(w, r, "/console/", http.StatusFound)
			return
		}
		if cloudtrail.IsCloudTrail(r) { // CloudTrail's JSON 1.1 protocol, by X-Amz-Target
			ct.ServeHTTP(w, r)
			return
		}
		if signedFor(r) == "access-analyzer" {
			// Every other Access Analyzer operation, answered in its own
			// protocol (REST-JSON), not IAM's.
			analyzer.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	}))
	return mux
}

func observer(reg *prometheus.Registry) func(service, action, code string, status int, d time.Duration) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_requests_total",
		Help: "API requests by service, action and error code."}, []string{"service", "action", "code"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "warden_request_duration_seconds",
		Help: "API request latency.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}, []string{"service"})
	reg.MustRegister(requests, latency, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return func(service, action, code string, status int, d time.Duration) {
		requests.WithLabelValues(service, action, code).Inc()
		latency.WithLabelValues(service).Observe(d.Seconds())
	}
}

// signedFor is the service a request's SigV4 credential scope names (from
// the Authorization header or X-Amz-Credential), or "".
func signedFor(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if h := r.Header.Get("Authorization"); h != "" {
		_, rest, ok := strings.Cut(h, "Credential=")
		if !ok {
			return ""
		}
		cred, _, _ = strings.Cut(rest, ",")
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[3]
}
