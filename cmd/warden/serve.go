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

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/console"
	"github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/secrets"
	wserver "github.com/warden-iam/warden/server"
	"github.com/warden-iam/warden/throttle"
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
	changePoll := fs.Duration("change-poll", time.Second, "how often to read the store's change feed for other nodes' writes (on PostgreSQL only a safety net: nodes are notified at once)")
	issuerURL := fs.String("issuer-url", "", "https URL at which this server's /oidc/ paths are reachable, for outbound web identity federation")
	samlURL := fs.String("saml-url", "", "URL at which identity providers post SAML responses to sign in to the console (this server's /saml; default --issuer-url + /saml)")
	roleTemplates := fs.String("role-templates", "", "directory of role template files (*.json) for GetRoleTemplateVersion and AcquireRole, beside the built-in ones (docs/role-templates.md)")
	dev := fs.Bool("dev", false, "local-emulator mode: in-memory store unless --data, binds 127.0.0.1, unknown well-signed credentials act as the IAM user --dev-user with AdministratorAccess, POST /warden/reset wipes the store")
	devUser := fs.String("dev-user", warden.DefaultDevUser, "name of the virtual IAM user of --dev")
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
	var tc throttle.Config
	fs.Float64Var(&tc.Rate, "throttle-rate", 2, "expensive API calls (simulator, GetAccountAuthorizationDetails, credential report) a second per principal (0: no limit)")
	fs.IntVar(&tc.Burst, "throttle-burst", 20, "expensive API calls one principal may make at once")
	accessAdvisor := fs.Bool("access-advisor", true, "record which services and actions each user and role uses (IAM access advisor)")
	eventHistory := fs.Bool("event-history", true, "record API calls and sign-ins in the CloudTrail-compatible event history")
	eventRetention := fs.Duration("event-retention", 90*24*time.Hour, "how long the event history keeps events")
	eventExportDir := fs.String("event-export-dir", "", "directory receiving CloudTrail log files (gzip JSON, one per account per 5 minutes)")
	auditRetention := retention(90 * 24 * time.Hour)
	fs.Var(&auditRetention, "audit-retention", "how long audit events are kept: days (90d), a duration (36h), or 0 for ever")
	given, err := parseFlags(fs, args, getenv)
	if err != nil {
		return err
	}
	mode, ok := authz.ParseMode(*enforce)
	if !ok {
		return fmt.Errorf("--enforce must be strict, soft or off, not %q", *enforce)
	}
	if *changePoll <= 0 {
		return fmt.Errorf("--change-poll must be a positive duration, not %s", *changePoll)
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
	var templates []*iam.RoleTemplate
	if *roleTemplates != "" {
		if templates, err = iam.LoadRoleTemplates(*roleTemplates); err != nil {
			return fmt.Errorf("--role-templates: %w", err)
		}
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	if *dev {
		if !validDevUser(*devUser) {
			return fmt.Errorf("--dev-user must be an IAM user name (1-64 of A-Z a-z 0-9 +=,.@_-), not %q", *devUser)
		}
		fmt.Fprintln(stderr, "WARNING: --dev mode: any signed request with unknown AWS credentials acts as IAM user "+
			*devUser+" with AdministratorAccess in account "+*accountID+", WITHOUT a secret to check its signature against, "+
			"and POST /warden/reset wipes everything. Never expose this server to a network.")
	}

	*addr = listenAddr(*addr, given["addr"], *dev)
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

	if p, ok := store.(warden.AuditPruner); ok {
		go warden.KeepAudit(ctx, p, time.Duration(auditRetention), auditRetentionInterval, time.Now, func(n int, err error) {
			if err != nil {
				log.Error("audit retention", "deleted", n, "err", err)
				return
			}
			log.Info("audit retention", "deleted", n, "retention", auditRetention.String())
		})
	}

	b, printed, err := bootstrapConfig(*accountID, getenv)
	if err != nil {
		return err
	}
	srvCtx, stop := context.WithCancel(ctx)
	defer stop()
	w, err := wserver.New(srvCtx, store, box, wserver.Config{Bootstrap: b, Mode: mode, Dev: *dev, DevUser: *devUser,
		Console: cc, Log: log, PollInterval: *changePoll, Throttle: tc, IssuerBase: *issuerURL, SAMLURL: *samlURL, RoleTemplates: templates,
		NoAccessAdvisor: !*accessAdvisor, NoEventHistory: !*eventHistory, EventRetention: *eventRetention, EventExportDir: *eventExportDir,
		CheckSeed: true, AccountGiven: given["account-id"], RootPassword: getenv("WARDEN_ROOT_PASSWORD"),
		RootEmailGiven: getenv("WARDEN_ROOT_EMAIL") != ""})
	var mismatch *iam.SeedMismatch
	if errors.As(err, &mismatch) {
		return fmt.Errorf("refusing to start: %w", err)
	}
	if err != nil {
		return err
	}
	defer w.Close() // before the store closes: writes the buffered events and usage
	if w.Created {
		fmt.Fprintf(stdout, "Created account %s with root user %s.\n", *accountID, b.RootEmail)
		if printed != "" {
			fmt.Fprintf(stdout, "Root password (shown once, store it safely): %s\n", printed)
		}
	}
	srv := &http.Server{Handler: w.Handler, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("warden ready", "addr", ln.Addr().String(), "account", w.Account, "dev", *dev, "enforce", *enforce)
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

// bootstrapConfig is what the first start creates: the first account, its
// root user's email and password (generated, and returned to print once,
// unless WARDEN_ROOT_PASSWORD is set) and root access key.
func bootstrapConfig(accountID string, getenv func(string) string) (b iam.Bootstrap, generated string, err error) {
	password := getenv("WARDEN_ROOT_PASSWORD")
	if password == "" {
		password = secrets.NewPassword(20)
		generated = password
	}
	email := getenv("WARDEN_ROOT_EMAIL")
	if email == "" {
		email = "root@warden.local"
	}
	keyID, secret := getenv("WARDEN_ROOT_ACCESS_KEY_ID"), getenv("WARDEN_ROOT_SECRET_ACCESS_KEY")
	if (keyID == "") != (secret == "") {
		return b, "", errors.New("WARDEN_ROOT_ACCESS_KEY_ID and WARDEN_ROOT_SECRET_ACCESS_KEY must be set together")
	}
	return iam.Bootstrap{AccountID: accountID, RootEmail: email, RootPasswordHash: iam.HashPassword(password),
		RootAccessKeyID: keyID, RootSecretAccessKey: secret}, generated, nil
}

// listenAddr is the address serve listens on: --addr when given (also as
// WARDEN_ADDR); otherwise loopback only in --dev, where any credentials are
// accepted, and all interfaces in production.
func listenAddr(addr string, given, dev bool) string {
	if dev && !given {
		return "127.0.0.1:8080"
	}
	return addr
}

// validDevUser reports whether name is a valid IAM user name.
func validDevUser(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("+=,.@_-", c)
		if !ok {
			return false
		}
	}
	return true
}
