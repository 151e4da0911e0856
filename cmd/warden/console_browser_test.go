package main

import (
	"context"
	"encoding/base32"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/warden-iam/warden/totp"
)

// chromiumPath is Debian's Chromium, which scripts/test.sh installs. The
// browser tests fail without it: the console is part of the product.
const chromiumPath = "/usr/bin/chromium"

// tab is a headless Chromium tab driving one test's server.
type tab struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

func newTab(t *testing.T, base string) *tab {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the console's browser tests need Chromium at %s (apt-get install chromium, or run scripts/test.sh as root): %v", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, without a timeout
		t.Fatalf("starting Chromium: %v", err)
	}
	shots := os.Getenv("WARDEN_SCREENSHOTS")
	if shots == "" {
		// The repository's ignored output folder, as scripts/test.sh uses.
		shots = filepath.Join(moduleRoot(t), "test-output", "screenshots")
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &tab{t: t, ctx: ctx, base: base, shots: shots}
}

// do runs steps with a deadline.
func (p *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("browser: %v (at %s)\n%s", err, p.location(), p.excerpt())
	}
}

func runIn[T any](p *tab, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.t.Fatalf("browser: %v (at %s)", err, p.location())
	}
	return v
}

func (p *tab) location() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

func (p *tab) html() string { p.t.Helper(); return runIn(p, chromedp.OuterHTML(chromedp.CSS("html"))) }

func (p *tab) excerpt() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	h, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if len(h) > 1200 {
		h = h[:1200]
	}
	return h
}

func (p *tab) text(css string) string {
	p.t.Helper()
	return strings.TrimSpace(runIn(p, chromedp.Text(chromedp.CSS(css))))
}

func (p *tab) open(path string, waitFor string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.base+path), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

// fill types values into empty inputs (CSS selector -> text).
func (p *tab) fill(fields ...string) {
	p.t.Helper()
	for i := 0; i+1 < len(fields); i += 2 {
		p.do(chromedp.SendKeys(chromedp.CSS(fields[i]), fields[i+1]))
	}
}

// click clicks something that loads a page, waits for the load and for an
// element of the new page.
func (p *tab) click(css, waitFor string) {
	p.t.Helper()
	runIn(p, chromedp.WaitEvent(cdppage.LoadEventFired, nil, chromedp.Click(chromedp.CSS(css))))
	p.do(chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

// contains fails the test unless the page's text has want.
func (p *tab) contains(want string) {
	p.t.Helper()
	if body := runIn(p, chromedp.Text(chromedp.CSS("body"))); !strings.Contains(body, want) {
		p.t.Fatalf("page %s lacks %q:\n%s", p.location(), want, p.excerpt())
	}
}

func (p *tab) screenshot(name string) {
	p.t.Helper()
	png := runIn(p, chromedp.FullScreenshot(100))
	path := filepath.Join(p.shots, "console-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// signIn walks the sign-in form of the account; root selects the root tab.
func (p *tab) signIn(name, password string, root bool, waitFor string) {
	p.t.Helper()
	path := "/signin/" + testAccount
	field := "#username"
	if root {
		path, field = path+"?as=root", "#email"
	}
	p.open(path, field)
	p.fill(field, name, "#password", password)
	p.click("#signin-submit", waitFor)
}

// TestConsoleInBrowser walks the console in headless Chromium: root sign-in,
// a group with a policy, a user with console and programmatic access whose
// secrets are shown once, MFA enrolment with codes computed here, the user's
// sign-in with MFA and a forced password change, refusals of what the user
// may not do, and the lockout after repeated wrong passwords.
func TestConsoleInBrowser(t *testing.T) {
	s := startServer(t, nil, nil)
	p := newTab(t, s.URL)

	// A browser at the bare address lands on the only account's sign-in
	// page, as the README says.
	p.open("/", "#username")
	if loc := p.location(); !strings.HasSuffix(loc, "/signin/"+testAccount) {
		t.Fatalf("the bare address led to %s, want /signin/%s", loc, testAccount)
	}

	// Root signs in and is offered MFA; it skips, with a warning.
	p.signIn("root@warden.local", rootPass, true, "#offer-skip")
	p.screenshot("mfa-offer")
	p.click("#offer-skip", "#security-status")
	p.contains("Root user has MFA")
	p.screenshot("dashboard")

	// A group that may read IAM, through an AWS managed policy.
	p.open("/console/groups", "#group-name")
	p.fill("#group-name", "readers")
	p.click("#create-group", "#attach-arn")
	p.fill("#attach-arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	p.click("#attach-submit", "#members")
	p.contains("IAMReadOnlyAccess")

	// The policy editor checks a pasted policy without saving it, then saves
	// a good one; its page summarizes what it grants.
	p.open("/console/policies/new", "#document")
	p.fill("#name", "reports-reader")
	p.do(chromedp.SetValue(chromedp.CSS("#document"),
		`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}]}`))
	p.click("#check-policy", "#policy-check")
	p.contains("INVALID_ACTION")
	p.contains("The action s3:GetObjekt does not exist. Did you mean s3:GetObject?")
	p.screenshot("policy-check")
	p.do(chromedp.SetValue(chromedp.CSS("#document"), `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]},
    {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "iam:PassRole"], "Resource": "*"},
    {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
  ]
}`))
	p.click("#save-policy", "#policy-summary")
	p.contains("The policy was created.")
	p.contains("PASS_ROLE_WITH_STAR_IN_RESOURCE") // a security warning does not stop the save
	if row := p.text(`#summary-allow tr[data-service="s3"]`); !strings.Contains(row, "Limited") || !strings.Contains(row, "arn:aws:s3:::reports/*") {
		t.Errorf("the summary's S3 row: %q", row)
	}
	p.screenshot("policy-summary")

	// A user with console and programmatic access, in the group.
	p.open("/console/users/new", "#name")
	p.fill("#name", "alice")
	p.do(chromedp.Click(chromedp.CSS("#programmatic")), chromedp.Click(chromedp.CSS(`input[name=group][value=readers]`)))
	p.screenshot("create-user")
	p.click("#create-user-submit", "#new-secret")
	keyID, secret, password := p.text("#new-key-id"), p.text("#new-secret"), p.text("#new-password")
	p.screenshot("user-created")
	if len(secret) != 40 || !strings.HasPrefix(keyID, "AKIA") || password == "" {
		t.Fatalf("key %q, secret %q, password %q", keyID, secret, password)
	}
	id, err := sts.NewFromConfig(s.config(keyID, secret, ""), func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL) }).
		GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(id.Arn), ":user/alice") {
		t.Fatalf("the new key: %v, %v", id, err)
	}
	// Reloading the page that showed them creates nothing and shows nothing.
	p.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#already-shown")))
	if h := p.html(); strings.Contains(h, secret) || strings.Contains(h, password) {
		t.Fatal("the reloaded page shows a secret")
	}
	p.screenshot("already-shown")
	// Seen once: the user's page shows the key ID, never the secret, and
	// the one key the POST created.
	p.open("/console/users/alice", "#access-keys")
	if ids := distinctKeyIDs(p.html()); len(ids) != 1 {
		t.Errorf("the user page shows access keys %v, want one", ids)
	}
	if h := p.html(); strings.Contains(h, secret) || strings.Contains(h, password) || !strings.Contains(h, keyID) {
		t.Fatal("the user page shows a secret, or not the key ID")
	}

	// MFA for the user: scan (read) the seed, type two consecutive codes.
	p.click("#assign-mfa", "#mfa-qr")
	p.screenshot("mfa-enrol")
	seed, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(p.text("#mfa-seed"))
	if err != nil {
		t.Fatal(err)
	}
	step := totp.Step(time.Now())
	p.fill("#code1", totp.CodeAt(seed, step-1), "#code2", totp.CodeAt(seed, step))
	p.click("#mfa-enable", "#credentials")
	p.contains("The MFA device was assigned.")
	p.screenshot("user")

	p.click(`form[action="/console/signout"] button`, "#username")

	// Alice signs in: password, then a code (the one after those used to
	// enable the device), then the new password her administrator asked for.
	p.signIn("alice", password, false, "#code")
	p.fill("#code", totp.CodeAt(seed, totp.Step(time.Now())+1))
	p.click("#mfa-submit", "#newpassword-submit")
	newPassword := "Alice-New-Passw0rd!"
	p.fill("#old", password, "#new", newPassword, "#confirm", newPassword)
	p.click("#newpassword-submit", "#security-status")
	p.contains("The password was changed.")
	if !strings.Contains(p.text(".who"), "MFA") {
		t.Error("the header does not show the MFA sign-in")
	}
	// Reading is allowed by the group; creating users is not.
	p.open("/console/users", "#create-user")
	p.contains("alice")
	p.open("/console/users/new", "#name")
	p.fill("#name", "mallory")
	p.click("#create-user-submit", ".denied")
	p.contains("iam:CreateUser")
	p.screenshot("access-denied")
	p.open("/console/billing", ".denied")
	p.contains("root user")

	p.click(`form[action="/console/signout"] button`, "#username")

	// Five wrong passwords lock alice out: then even hers is refused, with
	// the same message.
	for range 5 {
		p.signIn("alice", "not-her-password", false, "#signin-error")
	}
	p.signIn("alice", newPassword, false, "#signin-error")
	p.contains("After repeated failures, sign-in is locked for a while.")
	p.screenshot("signin-locked")
}

var keyIDRE = regexp.MustCompile(`AKIA[A-Z0-9]{16}`)

// distinctKeyIDs lists the access key IDs a page shows, each once.
func distinctKeyIDs(html string) []string {
	var ids []string
	for _, id := range keyIDRE.FindAllString(html, -1) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}
