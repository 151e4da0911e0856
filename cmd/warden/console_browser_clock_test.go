package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/chromedp/chromedp"

	"github.com/warden-iam/warden/console"
	wiam "github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/secrets"
	wserver "github.com/warden-iam/warden/server"
	"github.com/warden-iam/warden/sqlite"
	"github.com/warden-iam/warden/totp"
)

// startClockedConsole wires `warden serve` (API, console, analyzer) behind an
// httptest server whose console and IAM judge time by a clock the test moves:
// lockouts expire and MFA codes are checked at the clock's time. SigV4 keeps
// real time, since SDK clients sign with it.
func startClockedConsole(t *testing.T) (*server, *testClock) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, dir+"/warden.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	key := make([]byte, secrets.KeySize)
	rand.Read(key)
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{}
	ctx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	w, err := wserver.New(ctx, store, box, wserver.Config{Console: console.Config{Now: clock.Now}, Now: clock.Now,
		Bootstrap: wiam.Bootstrap{AccountID: testAccount, RootEmail: "root@warden.local",
			RootPasswordHash: wiam.HashPassword(rootPass), RootAccessKeyID: rootKeyID, RootSecretAccessKey: rootSecret}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close) // runs before the store's Close, registered earlier
	hs := httptest.NewServer(w.Handler)
	t.Cleanup(hs.Close)
	return &server{URL: hs.URL, Data: dir}, clock
}

// csrfToken hides the one part of a page that differs from request to
// request, so that two answers can be compared byte for byte.
var csrfToken = regexp.MustCompile(`name="csrf" value="[^"]*"`)

// TestConsoleInBrowserRootMFAAndLockout walks, in headless Chromium: root
// enrolling MFA with codes computed here and signing in with one, a replayed
// code refused, an IAM administrator refused the root-only pages, identical
// answers for an unknown user and a wrong password, and a lockout that lifts
// by itself once the (injected) clock has moved past it.
func TestConsoleInBrowserRootMFAAndLockout(t *testing.T) {
	s, clock := startClockedConsole(t)
	ctx := context.Background()
	root := s.root()
	createUser(t, root, "admin")
	res(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("admin"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})).must(t)
	const adminPass = "Admin-Passw0rd!x"
	res(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("admin"), Password: aws.String(adminPass)})).must(t)
	p := newTab(t, s.URL)

	// Root signs in, takes the offer to enrol MFA, and enables a device
	// with two consecutive codes read off the seed the page shows.
	p.signIn("root@warden.local", rootPass, true, "#offer-assign")
	p.click("#offer-assign", "#assign-root-mfa")
	p.click("#assign-root-mfa", "#mfa-seed")
	p.screenshot("root-mfa-enrol")
	seed, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(p.text("#mfa-seed"))
	if err != nil {
		t.Fatal(err)
	}
	step := totp.Step(clock.Now())
	p.fill("#code1", totp.CodeAt(seed, step-1), "#code2", totp.CodeAt(seed, step))
	p.click("#mfa-enable", "#mfa")
	p.screenshot("root-credentials")
	if row := p.text("#mfa"); !strings.Contains(row, "arn:aws:iam::"+testAccount+":mfa/") {
		t.Fatalf("root MFA section: %q", row)
	}
	p.click(`form[action="/console/signout"] button`, "#username")

	// Root signs in with its password and a code; the dashboard says MFA.
	code := totp.CodeAt(seed, step+1)
	p.signIn("root@warden.local", rootPass, true, "#code")
	p.fill("#code", code)
	p.click("#mfa-submit", "#security-status")
	if !strings.Contains(p.text(".who"), "MFA") {
		t.Error("the header does not show the MFA sign-in")
	}
	p.click(`form[action="/console/signout"] button`, "#username")

	// The same code a second time is refused, even with the right password.
	p.signIn("root@warden.local", rootPass, true, "#code")
	p.fill("#code", code)
	p.click("#mfa-submit", "#mfa-error")
	p.screenshot("mfa-replayed")

	// An administrator with AdministratorAccess is refused root-only pages.
	p.signIn("admin", adminPass, false, "#security-status")
	for _, page := range []string{"/console/root", "/console/billing", "/console/close-account"} {
		p.open(page, ".denied")
		p.contains("root user")
	}
	p.screenshot("admin-refused-root-task")
	p.click(`form[action="/console/signout"] button`, "#username")

	// An unknown user and a wrong password get the very same page.
	answer := func(user, password string) string {
		t.Helper()
		p.signIn(user, password, false, "#signin-error")
		return csrfToken.ReplaceAllString(p.html(), "")
	}
	unknown, wrong := answer("nobody-here", "whatever-1A!"), answer("admin", "not-the-password")
	if unknown != wrong {
		t.Errorf("an unknown user and a wrong password are told apart:\n%s\n---\n%s", unknown, wrong)
	}

	// Four more wrong passwords (five in all) lock the admin out; the right
	// one is then refused with the same message, until the lockout has run
	// out on the injected clock.
	for range 4 {
		p.signIn("admin", "not-the-password", false, "#signin-error")
	}
	p.signIn("admin", adminPass, false, "#signin-error")
	p.contains("After repeated failures, sign-in is locked for a while.")
	clock.Advance(16 * time.Minute)
	p.signIn("admin", adminPass, false, "#security-status")
	p.do(chromedp.WaitVisible(chromedp.CSS(".who")))

	// Strangers lock the admin's name out; this browser, which signed in
	// before (it holds a device cookie), still gets in. (The dashboard's
	// lockout panel asks iam:ListUsers, which this admin lacks; its rows are
	// tested in console/defence_test.go.)
	p.click(`form[action="/console/signout"] button`, "#username")
	stranger := newFloodClient(t)
	for range 6 {
		strangerSignIn(t, stranger, s.URL+"/signin/"+testAccount, "", "", "admin", "a-guess-1A!")
	}
	if st, _ := strangerSignIn(t, newFloodClient(t), s.URL+"/signin/"+testAccount, "", "", "admin", adminPass); st != http.StatusUnauthorized {
		t.Fatalf("strangers did not lock the admin's name out (the right password from a new client answered %d)", st)
	}
	p.signIn("admin", adminPass, false, "#security-status")
	p.contains("Recent sign-in lockouts")
}
