package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/accessanalyzer"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/awsquery"
	"github.com/warden-iam/warden/console"
	"github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/managed"
	"github.com/warden-iam/warden/secrets"
	"github.com/warden-iam/warden/sts"
)

// devAccountID is the account --dev serves unless --account-id says otherwise.
const devAccountID = "000000000000"

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(string)) error {
	fs := flagSet("serve", stderr)
	var sf storeFlags
	sf.register(fs)
	addr := fs.String("addr", ":8080", "address to listen on")
	accountID := fs.String("account-id", "", "ID of the first account (12 digits; default random, or 000000000000 with --dev)")
	enforce := fs.String("enforce", "strict", "authorization mode: strict, soft or off")
	dev := fs.Bool("dev", false, "local-emulator mode: in-memory store unless --data, any well-formed credentials act as root")
	var cc console.Config
	fs.IntVar(&cc.IPAttempts, "signin-ip-attempts", 20, "console sign-in attempts per minute from one source IP")
	fs.IntVar(&cc.AccountAttempts, "signin-account-attempts", 100, "console sign-in attempts per minute against one account")
	fs.IntVar(&cc.UserAttempts, "signin-user-attempts", 10, "console sign-in attempts per minute against one user name")
	fs.IntVar(&cc.MaxFailures, "signin-max-failures", 5, "wrong passwords within --signin-failure-window that lock a user name")
	fs.DurationVar(&cc.FailureWindow, "signin-failure-window", 15*time.Minute, "window in which wrong passwords are counted")
	fs.DurationVar(&cc.LockoutDuration, "signin-lockout", 15*time.Minute, "how long a lockout lasts")
	fs.IntVar(&cc.PermanentLockoutAfter, "signin-permanent-lockout-after", 0, "lockouts in a row that make an IAM user's lockout permanent (0: never)")
	fs.IntVar(&cc.MFAMaxFailures, "signin-mfa-max-failures", 5, "wrong MFA codes that lock the MFA step (counted apart from passwords)")
	fs.DurationVar(&cc.IdleTimeout, "session-idle-timeout", 15*time.Minute, "console session idle timeout")
	fs.DurationVar(&cc.AbsoluteTimeout, "session-max-age", 12*time.Hour, "console session absolute timeout")
	fs.BoolVar(&cc.SecureCookies, "secure-cookies", false, "mark console cookies Secure behind a TLS-terminating proxy")
	fs.BoolVar(&cc.TrustProxyHeaders, "trust-proxy-headers", false, "take the client IP and TLS from X-Forwarded-For/-Proto (only behind a proxy that sets them)")
	given, err := parseFlags(fs, args, getenv)
	if err != nil {
		return err
	}
	mode, ok := authz.ParseMode(*enforce)
	if !ok {
		return fmt.Errorf("--enforce must be strict, soft or off, not %q", *enforce)
	}
	if *accountID == "" {
		*accountID = newAccountID()
		if *dev {
			*accountID = devAccountID
		}
	}
	if !validAccountID(*accountID) {
		return fmt.Errorf("--account-id must be 12 digits, not %q", *accountID)
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	if *dev {
		fmt.Fprintln(stderr, "WARNING: --dev mode: any well-formed AWS credentials are accepted as root of account "+
			*accountID+" WITHOUT checking signatures. Never expose this server to a network.")
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	defer ln.Close()

	store, box, err := openStore(ctx, sf, *dev && !given["data"] && sf.store == "", getenv)
	if err != nil {
		return err
	}
	defer store.Close()

	az := authz.New(store, mode, log)
	az.UseAWSPolicies(managed.Load) // loaded on first use, not at startup
	go az.Watch(ctx, time.Second)
	tracked := az.Track(store)
	iamSvc := iam.New(tracked, az, box)
	stsSvc := sts.New(tracked, az, iamSvc, box)
	if err := bootstrap(ctx, iamSvc, *accountID, getenv, stdout); err != nil {
		return err
	}
	accounts, err := iamSvc.Accounts(ctx)
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	api := awsquery.NewHandler(iamSvc, stsSvc, log)
	api.Dev, api.DevAccount = *dev, accounts[0].ID
	api.Observe = observer(reg)
	con := console.New(cc, iamSvc, store, log)
	analyzer := accessanalyzer.New(api, az, log)
	srv := &http.Server{Handler: mount(api, con, analyzer, reg, store), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("warden ready", "addr", ln.Addr().String(), "account", accounts[0].ID, "dev", *dev, "enforce", *enforce)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// mount is the one place where handlers are attached to paths.
func mount(api, con, analyzer http.Handler, reg *prometheus.Registry, store warden.Store) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if _, err := store.Generation(ctx); err != nil {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.Handle("POST /policy/validation", analyzer) // IAM Access Analyzer's ValidatePolicy
	mux.Handle("POST /policy/check-access-not-granted", analyzer)
	mux.Handle("POST /policy/check-no-new-access", analyzer)
	mux.Handle("POST /policy/check-no-public-access", analyzer)
	mux.Handle("/signin/", con)
	mux.Handle("/console/", con)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A browser opening the bare address goes to the console; API calls
		// (signed, or with a query string) go to the API.
		if r.Method == http.MethodGet && r.URL.Path == "/" && r.URL.RawQuery == "" && r.Header.Get("Authorization") == "" {
			http.Redirect(w, r, "/console/", http.StatusFound)
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

// bootstrap creates the first account on the first start, printing a
// generated root password once.
func bootstrap(ctx context.Context, svc *iam.Service, accountID string, getenv func(string) string, stdout io.Writer) error {
	password := getenv("WARDEN_ROOT_PASSWORD")
	generated := password == ""
	if generated {
		password = secrets.NewPassword(20)
	}
	email := getenv("WARDEN_ROOT_EMAIL")
	if email == "" {
		email = "root@warden.local"
	}
	keyID, secret := getenv("WARDEN_ROOT_ACCESS_KEY_ID"), getenv("WARDEN_ROOT_SECRET_ACCESS_KEY")
	if (keyID == "") != (secret == "") {
		return errors.New("WARDEN_ROOT_ACCESS_KEY_ID and WARDEN_ROOT_SECRET_ACCESS_KEY must be set together")
	}
	created, err := svc.Bootstrap(ctx, iam.Bootstrap{AccountID: accountID, RootEmail: email,
		RootPasswordHash: iam.HashPassword(password), RootAccessKeyID: keyID, RootSecretAccessKey: secret})
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if created {
		fmt.Fprintf(stdout, "Created account %s with root user %s.\n", accountID, email)
		if generated {
			fmt.Fprintf(stdout, "Root password (shown once, store it safely): %s\n", password)
		}
	}
	return nil
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
