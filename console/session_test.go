package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

// signedIn returns a browser signed in as the root user, past the MFA offer.
func (s *stack) signedIn() *browser {
	s.t.Helper()
	b := s.browser()
	expect(s.t, b.signIn(testAccount, rootEmail, rootPass, true), http.StatusSeeOther, "/console/")
	expect(s.t, b.post("/console/mfa-offer/skip", url.Values{}, "/console/mfa-offer"), http.StatusSeeOther, "/console/")
	return b
}

func TestCSRF(t *testing.T) {
	s := newStack(t, Config{})
	b := s.signedIn()
	create := url.Values{"name": {"developers"}}
	t.Run("missing token", func(t *testing.T) {
		expect(t, b.post("/console/groups", create, ""), http.StatusForbidden, "")
	})
	t.Run("wrong token", func(t *testing.T) {
		bad := url.Values{"name": {"developers"}, "csrf": {strings.Repeat("A", 43)}}
		expect(t, b.post("/console/groups", bad, ""), http.StatusForbidden, "")
	})
	t.Run("another session's token", func(t *testing.T) {
		other := s.signedIn()
		stolen := url.Values{"name": {"developers"}, "csrf": {other.token("/console/groups")}}
		expect(t, b.post("/console/groups", stolen, ""), http.StatusForbidden, "")
	})
	t.Run("sign-in without its cookie", func(t *testing.T) {
		fresh := s.browser()
		vals := url.Values{"username": {"alice"}, "password": {"x"}, "csrf": {strings.Repeat("A", 43)}}
		expect(t, fresh.post("/signin/"+testAccount, vals, ""), http.StatusForbidden, "")
	})
	if _, err := s.iam.Invoke(context.Background(), &s.root, "GetGroup", form("GroupName", "developers")); warden.ErrorCode(err) != warden.CodeNoSuchEntity {
		t.Fatalf("a refused POST created the group: %v", err)
	}
	expect(t, b.post("/console/groups", create, "/console/groups"), http.StatusSeeOther, "/console/groups/developers?done=group-created")
}

func TestSessionTimeouts(t *testing.T) {
	s := newStack(t, Config{IdleTimeout: 15 * time.Minute, AbsoluteTimeout: 12 * time.Hour})
	t.Run("idle", func(t *testing.T) {
		b := s.signedIn()
		s.clock.Advance(14 * time.Minute)
		expect(t, b.get("/console/"), http.StatusOK, "") // and this visit moves the idle timeout
		s.clock.Advance(14 * time.Minute)
		expect(t, b.get("/console/"), http.StatusOK, "")
		s.clock.Advance(15 * time.Minute)
		expect(t, b.get("/console/"), http.StatusSeeOther, "/signin/")
		expect(t, b.post("/console/groups", url.Values{"name": {"g"}, "csrf": {"x"}}, ""), http.StatusForbidden, "")
	})
	t.Run("absolute", func(t *testing.T) {
		b := s.signedIn()
		for range 12*6 - 1 { // every ten minutes for 12 hours
			s.clock.Advance(10 * time.Minute)
			expect(t, b.get("/console/groups"), http.StatusOK, "")
		}
		s.clock.Advance(10 * time.Minute)
		expect(t, b.get("/console/groups"), http.StatusSeeOther, "/signin/")
	})
	t.Run("pending sign-in", func(t *testing.T) {
		s.as(&s.root, "CreateUser", "UserName", "carol")
		s.as(&s.root, "CreateLoginProfile", "UserName", "carol", "Password", userPass, "PasswordResetRequired", "true")
		b := s.browser()
		expect(t, b.signIn(testAccount, "carol", userPass, false), http.StatusSeeOther, "/signin/"+testAccount+"/password")
		s.clock.Advance(pendingTimeout)
		expect(t, b.get("/signin/"+testAccount+"/password"), http.StatusSeeOther, "/signin/"+testAccount)
	})
	t.Run("sweep", func(t *testing.T) {
		s.clock.Advance(13 * time.Hour)
		if err := s.con.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		var n int
		s.store.View(context.Background(), func(tx warden.Tx) (err error) {
			n, err = tx.Count(context.Background(), warden.KindConsoleSession, "")
			return err
		})
		if n != 0 {
			t.Errorf("%d sessions left after the sweep", n)
		}
	})
}

func TestSignOut(t *testing.T) {
	s := newStack(t, Config{})
	b := s.signedIn()
	cookies := b.client.Jar.Cookies(mustURL(t, s.srv.URL))
	expect(t, b.post("/console/signout", url.Values{}, "/console/"), http.StatusSeeOther, "/signin/"+testAccount)
	expect(t, b.get("/console/"), http.StatusSeeOther, "/signin/")
	// The old cookie is dead on the server too.
	replay := s.browser()
	replay.client.Jar.SetCookies(mustURL(t, s.srv.URL), cookies)
	expect(t, replay.get("/console/"), http.StatusSeeOther, "/signin/")
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSecurityHeaders(t *testing.T) {
	s := newStack(t, Config{})
	b := s.signedIn()
	for _, path := range []string{"/signin/" + testAccount, "/console/", "/console/users"} {
		p := b.get(path)
		h := p.header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: X-Frame-Options %q, Cache-Control %q", path, h.Get("X-Frame-Options"), h.Get("Cache-Control"))
		}
		// Scripts come only from the console's own static files.
		if strings.Count(p.body, "<script") != strings.Count(p.body, `<script src="/console/static/`) || strings.Contains(p.body, " style=") {
			t.Errorf("%s has inline script or style", path)
		}
	}
	resp, err := http.Get(s.srv.URL + "/signin/" + testAccount)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie %s is not HttpOnly and SameSite=Strict", c.Name)
		}
	}
}

func TestSecureCookiesUnderTLS(t *testing.T) {
	s := newStack(t, Config{SecureCookies: true})
	resp, err := http.Get(s.srv.URL + "/signin/" + testAccount)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if !c.Secure || !strings.HasPrefix(c.Name, "__Host-") {
			t.Errorf("cookie %s: Secure %v", c.Name, c.Secure)
		}
	}
}

// TestSessionEndsWithItsUser: a console session belongs to the user who
// signed in, not to the name: once that user is deleted and another created
// under the same name (an administrator), the old session is over.
func TestSessionEndsWithItsUser(t *testing.T) {
	s := newStack(t, Config{})
	s.user("erin", "Erin-Passw0rd!x", "")
	b := s.browser()
	expect(t, b.signIn(testAccount, "erin", "Erin-Passw0rd!x", false), http.StatusSeeOther, "/console/")
	expect(t, b.get("/console/"), http.StatusOK, "")
	s.as(&s.root, "DeleteLoginProfile", "UserName", "erin")
	s.as(&s.root, "DeleteUser", "UserName", "erin")
	s.user("erin", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	expect(t, b.get("/console/users"), http.StatusSeeOther, "/signin/"+testAccount)
	expect(t, b.get("/console/"), http.StatusSeeOther, "/signin/")
}

// TestSignInGoesToTheOnlyAccount: with one account, the bare sign-in address
// goes to that account's sign-in page.
func TestSignInGoesToTheOnlyAccount(t *testing.T) {
	s := newStack(t, Config{})
	expect(t, s.browser().get("/signin/"), http.StatusSeeOther, "/signin/"+testAccount)
	// With a second account it asks which.
	if _, err := s.iam.CreateAccount(t.Context(), "210987654321", "second", "root@second.example", ""); err != nil {
		t.Fatal(err)
	}
	expect(t, s.browser().get("/signin/"), http.StatusOK, "")
}

// TestSAMLSessionLastsItsDuration: the role session of a SAML sign-in ends
// at its Expires, not at the idle or absolute timeout of password
// sign-ins.
func TestSAMLSessionLastsItsDuration(t *testing.T) {
	c := &Console{cfg: Config{IdleTimeout: 15 * time.Minute, AbsoluteTimeout: time.Hour}}
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	role := &warden.ConsoleSession{Stage: warden.StageActive, Created: start, LastSeen: start, Expires: start.Add(4 * time.Hour)}
	password := &warden.ConsoleSession{Stage: warden.StageActive, Created: start, LastSeen: start}
	for _, tt := range []struct {
		at             time.Duration
		roleEnded, pwd bool
	}{
		{10 * time.Minute, false, false},
		{30 * time.Minute, false, true}, // idle past 15 minutes
		{2 * time.Hour, false, true},    // past the absolute hour
		{4*time.Hour - time.Second, false, true},
		{4 * time.Hour, true, true},
	} {
		now := start.Add(tt.at)
		if got := c.ended(role, now); got != tt.roleEnded {
			t.Errorf("SAML session at +%v: ended = %v, want %v", tt.at, got, tt.roleEnded)
		}
		if got := c.ended(password, now); got != tt.pwd {
			t.Errorf("password session at +%v: ended = %v, want %v", tt.at, got, tt.pwd)
		}
	}
}
