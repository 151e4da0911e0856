package console

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/secrets"
	"github.com/warden-iam/warden/sqlite"
	"github.com/warden-iam/warden/totp"
)

const (
	testAccount = "123456789012"
	rootEmail   = "root@example.com"
	rootPass    = "Root-Passw0rd!x"
	userPass    = "Alice-Passw0rd!x"
)

// clock is the injected time of a test stack.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// stack is a console over a real IAM service and an in-memory SQLite store,
// served by httptest, with an injected clock.
type stack struct {
	t     testing.TB
	store warden.Store
	iam   *iam.Service
	con   *Console
	srv   *httptest.Server
	clock *clock
	root  warden.Principal
	az    *authz.Authorizer
}

func newStack(t testing.TB, cfg Config) *stack {
	t.Helper()
	store, err := sqlite.Open(context.Background(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return newStackOn(t, cfg, store, true)
}

// newStackOn builds a stack on store; bootstrap creates the account (false
// for a second node on a store that has it).
func newStackOn(t testing.TB, cfg Config, store warden.Store, bootstrap bool) *stack {
	t.Helper()
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	az := authz.New(store, authz.Strict, quiet)
	tracked := az.Track(store)
	svc := iam.New(tracked, az, box)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	svc.Now = clk.Now
	cfg.Now = clk.Now
	if cfg.Key == nil {
		cfg.Key = box.Derive("console/v1") // as cmd/warden does: every node the same
	}
	if bootstrap {
		if _, err := svc.Bootstrap(context.Background(), iam.Bootstrap{AccountID: testAccount, RootEmail: rootEmail,
			RootPasswordHash: iam.HashPassword(rootPass)}); err != nil {
			t.Fatal(err)
		}
	}
	s := &stack{t: t, store: store, iam: svc, clock: clk, az: az, root: warden.Principal{Type: warden.PrincipalRoot,
		Account: testAccount, ID: testAccount, ARN: "arn:aws:iam::" + testAccount + ":root"}}
	s.con = New(cfg, svc, store, quiet)
	s.srv = httptest.NewServer(s.con)
	t.Cleanup(s.srv.Close)
	return s
}

// as runs an IAM operation as the root user and fails the test on error.
func (s *stack) as(p *warden.Principal, action string, kv ...string) {
	s.t.Helper()
	if _, err := s.iam.Invoke(context.Background(), p, action, form(kv...)); err != nil {
		s.t.Fatalf("%s: %v", action, err)
	}
}

// user creates an IAM user with a console password and, when policy is not
// "", an inline policy.
func (s *stack) user(name, password, policy string) {
	s.t.Helper()
	s.as(&s.root, "CreateUser", "UserName", name)
	if password != "" {
		s.as(&s.root, "CreateLoginProfile", "UserName", name, "Password", password)
	}
	if policy != "" {
		s.as(&s.root, "PutUserPolicy", "UserName", name, "PolicyName", "p", "PolicyDocument", policy)
	}
}

// enableMFA gives a user (or the root user, name "") a virtual MFA device and
// returns its seed.
func (s *stack) enableMFA(name string) []byte {
	s.t.Helper()
	ctx := context.Background()
	dev := name
	if dev == "" {
		dev = "root-device"
	}
	res, err := s.iam.Invoke(ctx, &s.root, "CreateVirtualMFADevice", form("VirtualMFADeviceName", dev))
	if err != nil {
		s.t.Fatal(err)
	}
	var out virtualMFAResult
	s.decode(res, &out)
	secret := seedOf(s.t, out.Device.Base32StringSeed)
	now := s.clock.Now()
	step := totp.Step(now)
	c1, c2 := totp.CodeAt(secret, step-1), totp.CodeAt(secret, step)
	if err := s.iam.EnableMFADevice(ctx, &s.root, name, out.Device.SerialNumber, c1, c2); err != nil {
		s.t.Fatal(err)
	}
	return secret
}

func (s *stack) decode(res any, out any) {
	s.t.Helper()
	b, err := xml.Marshal(res)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := xml.Unmarshal(b, out); err != nil {
		s.t.Fatal(err)
	}
}

// seedOf decodes the Base32StringSeed of CreateVirtualMFADevice (base64 of
// the base32 text) into the TOTP secret.
func seedOf(t testing.TB, b64 string) []byte {
	t.Helper()
	b32, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(string(b32))
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// audit returns the account's sign-in audit events, oldest first.
func (s *stack) audit(account string) []warden.AuditEvent {
	s.t.Helper()
	evs, err := s.store.Audit(context.Background(), account, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	var out []warden.AuditEvent
	for i := len(evs) - 1; i >= 0; i-- {
		if strings.HasPrefix(evs[i].Action, "signin:") {
			out = append(out, evs[i])
		}
	}
	return out
}

// failures returns the records of failed sign-ins, and their reasons
// summed over all of them.
func (s *stack) failures() ([]*warden.SignInFailures, map[string]int) {
	s.t.Helper()
	var out []*warden.SignInFailures
	err := s.store.View(context.Background(), func(tx warden.Tx) error {
		rs, err := tx.List(context.Background(), warden.KindSignInFailures, "", "", "", 0)
		out = decodeAll[warden.SignInFailures](rs)
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	reasons := map[string]int{}
	for _, f := range out {
		for k, n := range f.Reasons {
			reasons[k] += n
		}
	}
	return out, reasons
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t      testing.TB
	base   string
	client *http.Client
	ip     string // sent as X-Forwarded-For when the stack trusts it
}

func (s *stack) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, base: s.srv.URL, client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(method, path string, vals url.Values) page {
	b.t.Helper()
	var body io.Reader
	if vals != nil {
		body = strings.NewReader(vals.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if vals != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", "console-test")
	if b.ip != "" {
		req.Header.Set("X-Forwarded-For", b.ip)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(data), header: resp.Header}
}

func (b *browser) get(path string) page { b.t.Helper(); return b.do(http.MethodGet, path, nil) }

// post sends a form; the CSRF token of the page at from (when not "") is
// added to it.
func (b *browser) post(path string, vals url.Values, from string) page {
	b.t.Helper()
	if from != "" {
		vals.Set("csrf", b.token(from))
	}
	return b.do(http.MethodPost, path, vals)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token reads the CSRF token of the page at path.
func (b *browser) token(path string) string {
	b.t.Helper()
	p := b.get(path)
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s (status %d, location %q)", path, p.status, p.location)
	}
	return m[1]
}

// signIn submits the first sign-in step. name is the user name, or the
// email when root is set.
func (b *browser) signIn(ident, name, password string, root bool) page {
	b.t.Helper()
	from := "/signin/" + ident
	vals := url.Values{"password": {password}}
	if root {
		from += "?as=root"
		vals.Set("as", "root")
		vals.Set("email", name)
	} else {
		vals.Set("username", name)
	}
	return b.post("/signin/"+ident, vals, from)
}

// code submits an MFA code on the second step.
func (b *browser) code(ident, code string) page {
	b.t.Helper()
	return b.post("/signin/"+ident+"/mfa", url.Values{"code": {code}}, "/signin/"+ident+"/mfa")
}

func expect(t testing.TB, p page, status int, location string) {
	t.Helper()
	if p.status != status || (location != "" && p.location != location) {
		t.Fatalf("got %d to %q, want %d to %q\n%s", p.status, p.location, status, location, excerpt(p.body))
	}
}

func excerpt(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if len(body) > 1500 {
		body = body[:1500]
	}
	return body
}

// shown follows the redirect of a POST that created a secret to the page
// that shows it once, and returns that page.
func (b *browser) shown(p page) page {
	b.t.Helper()
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/console/shown/") {
		b.t.Fatalf("got %d to %q, want a redirect to /console/shown/\n%s", p.status, p.location, excerpt(p.body))
	}
	got := b.get(p.location)
	expect(b.t, got, http.StatusOK, "")
	return got
}
