package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/storetest"
	"github.com/warden-iam/warden/totp"
)

const adminPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

func TestSignIn(t *testing.T) {
	s := newStack(t, Config{})
	s.user("alice", userPass, adminPolicy)
	s.as(&s.root, "CreateAccountAlias", "AccountAlias", "example-corp")

	t.Run("root by account ID, offered MFA", func(t *testing.T) {
		b := s.browser()
		expect(t, b.signIn(testAccount, "ROOT@example.com", rootPass, true), http.StatusSeeOther, "/console/")
		expect(t, b.get("/console/"), http.StatusSeeOther, "/console/mfa-offer")
		offer := b.get("/console/mfa-offer")
		expect(t, offer, http.StatusOK, "")
		expect(t, b.post("/console/mfa-offer/skip", url.Values{}, "/console/mfa-offer"), http.StatusSeeOther, "/console/")
		dash := b.get("/console/")
		expect(t, dash, http.StatusOK, "")
		if !strings.Contains(dash.body, "Security recommendations") {
			t.Errorf("dashboard lacks the security status:\n%s", excerpt(dash.body))
		}
	})
	t.Run("IAM user by alias", func(t *testing.T) {
		b := s.browser()
		expect(t, b.signIn("example-corp", "alice", userPass, false), http.StatusSeeOther, "/console/")
		expect(t, b.get("/console/users"), http.StatusOK, "")
	})
	t.Run("IAM user name is case-insensitive, password is not", func(t *testing.T) {
		b := s.browser()
		expect(t, b.signIn(testAccount, "ALICE", userPass, false), http.StatusSeeOther, "/console/")
		expect(t, s.browser().signIn(testAccount, "alice", strings.ToUpper(userPass), false), http.StatusUnauthorized, "")
	})
	t.Run("signed-in pages need a session", func(t *testing.T) {
		b := s.browser()
		expect(t, b.get("/console/users"), http.StatusSeeOther, "/signin/")
	})

	var ok, failed int
	for _, e := range s.audit(testAccount) {
		if e.Action != "signin:ConsoleLogin" {
			continue
		}
		if e.SourceIP == "" || e.UserAgent != "console-test" || e.Time.IsZero() {
			t.Errorf("audit event lacks source IP, user agent or time: %+v", e)
		}
		for k, v := range e.Details {
			if strings.Contains(v, "Passw0rd") || strings.Contains(v, "PASSW0RD") {
				t.Errorf("audit event detail %s holds a password: %q", k, v)
			}
		}
		if e.Outcome == "Success" {
			ok++
		} else {
			failed++
		}
	}
	if ok != 3 || failed != 0 {
		t.Errorf("audit has %d successful and %d failed sign-ins, want 3 and 0 (failures have their own records)", ok, failed)
	}
	recs, reasons := s.failures()
	if len(recs) != 1 || recs[0].Count != 1 || reasons["wrong-password"] != 1 || recs[0].UserAgent != "console-test" ||
		len(recs[0].Accounts) != 1 || recs[0].Accounts[0] != testAccount {
		t.Errorf("failure records = %+v, want one of one wrong password", recs)
	}
}

// TestFailuresLookAlike checks that nothing can be enumerated: every failed
// sign-in answers the same page, byte for byte.
func TestFailuresLookAlike(t *testing.T) {
	s := newStack(t, Config{MaxFailures: 3})
	s.user("alice", userPass, "")
	s.user("bob", userPass, "")
	s.user("nopassword", "", "")
	b := s.browser()
	for range 3 {
		b.signIn(testAccount, "bob", "wrong", false)
	}
	cases := []struct {
		name, ident, user, password string
		root                        bool
	}{
		{"wrong password", testAccount, "alice", "wrong", false},
		{"unknown user", testAccount, "mallory", userPass, false},
		{"user without a console password", testAccount, "nopassword", userPass, false},
		{"locked user, right password", testAccount, "bob", userPass, false},
		{"unknown account", "999999999999", "alice", userPass, false},
		{"unknown alias", "no-such-alias", "alice", userPass, false},
		{"empty user name", testAccount, "", userPass, false},
	}
	var want string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := b.signIn(c.ident, c.user, c.password, c.root)
			expect(t, p, http.StatusUnauthorized, "")
			body := strings.ReplaceAll(p.body, c.ident, "IDENT")
			if want == "" {
				want = body
				if !strings.Contains(body, signInFailed) {
					t.Fatalf("failure page lacks the message:\n%s", excerpt(body))
				}
			} else if body != want {
				t.Errorf("page differs from the first failure's:\n%s\nwant\n%s", excerpt(body), excerpt(want))
			}
		})
	}
	rootCases := []struct{ name, email, password string }{
		{"root, wrong password", rootEmail, "wrong"},
		{"root, unknown email", "someone@example.com", rootPass},
	}
	var wantRoot string
	for _, c := range rootCases {
		t.Run(c.name, func(t *testing.T) {
			p := b.signIn(testAccount, c.email, c.password, true)
			expect(t, p, http.StatusUnauthorized, "")
			if wantRoot == "" {
				wantRoot = p.body
			} else if p.body != wantRoot {
				t.Errorf("root failure pages differ")
			}
		})
	}
}

func TestLockoutAndAutomaticUnlock(t *testing.T) {
	s := newStack(t, Config{MaxFailures: 3, LockoutDuration: 10 * time.Minute})
	s.user("alice", userPass, "")
	b := s.browser()
	for range 3 {
		expect(t, b.signIn(testAccount, "alice", "wrong", false), http.StatusUnauthorized, "")
	}
	expect(t, b.signIn(testAccount, "alice", userPass, false), http.StatusUnauthorized, "")
	// Another browser, another IP: the lockout is the user's, not the client's.
	other := s.browser()
	expect(t, other.signIn(testAccount, "alice", userPass, false), http.StatusUnauthorized, "")

	s.clock.Advance(9 * time.Minute)
	expect(t, b.signIn(testAccount, "alice", userPass, false), http.StatusUnauthorized, "")
	s.clock.Advance(2 * time.Minute)
	expect(t, b.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/console/")

	// A success clears the count: two more failures do not lock.
	c := s.browser()
	for range 2 {
		c.signIn(testAccount, "alice", "wrong", false)
	}
	expect(t, c.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/console/")

	_, reasons := s.failures()
	if reasons["wrong-password"] != 5 || reasons["locked"] != 3 {
		t.Errorf("audit reasons = %v, want 5 wrong-password and 3 locked", reasons)
	}
}

// TestParallelAttemptsCannotPassTheLimit sends 20 wrong passwords at once
// against a limit of 5: exactly 5 are checked, the rest are refused as
// locked, and then even the right password is refused.
func TestParallelAttemptsCannotPassTheLimit(t *testing.T) {
	s := newStack(t, Config{MaxFailures: 5, IPAttempts: 1000, UserAttempts: 1000, AccountAttempts: 1000})
	s.user("alice", userPass, "")
	raceSignIns(t, []*stack{s})
}

// TestParallelAttemptsTwoNodes is the same race against two consoles (two
// nodes) sharing one PostgreSQL.
func TestParallelAttemptsTwoNodes(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	cfg := Config{MaxFailures: 5, IPAttempts: 1000, UserAttempts: 1000, AccountAttempts: 1000}
	a := newStackOn(t, cfg, openPostgres(t, dsn), true)
	a.user("alice", userPass, "")
	b := newStackOn(t, cfg, openPostgres(t, dsn), false)
	b.clock.t = a.clock.Now().Add(-2 * time.Second) // the nodes' clocks differ a little
	raceSignIns(t, []*stack{a, b})
}

func raceSignIns(t *testing.T, nodes []*stack) {
	t.Helper()
	const attempts = 20
	var wg sync.WaitGroup
	statuses := make(chan int, attempts)
	for i := range attempts {
		b := nodes[i%len(nodes)].browser()
		b.token("/signin/" + testAccount) // the sign-in cookie, before the race
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- b.signIn(testAccount, "alice", "wrong-"+string(rune('a'+i)), false).status
		}()
	}
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != http.StatusUnauthorized {
			t.Errorf("a wrong password answered %d", st)
		}
	}
	s := nodes[0]
	_, reasons := s.failures()
	if reasons["wrong-password"] != 5 || reasons["locked"] != attempts-5 {
		t.Errorf("audit reasons = %v, want exactly 5 checked (wrong-password) and %d locked", reasons, attempts-5)
	}
	k := counter(t, s, userKey(factorPassword, subjectOf("", testAccount, testAccount, "user", "alice").user))
	if k.Failures != 5 || !k.Locked(s.clock.Now()) {
		t.Errorf("counter = %+v, want 5 failures and locked", k)
	}
	for _, n := range nodes {
		expect(t, n.browser().signIn(testAccount, "alice", userPass, false), http.StatusUnauthorized, "")
	}
}

func counter(t testing.TB, s *stack, key string) *warden.SignInCounter {
	t.Helper()
	var k *warden.SignInCounter
	err := s.store.View(context.Background(), func(tx warden.Tx) (err error) {
		k, err = warden.Load[warden.SignInCounter](context.Background(), tx, "", key)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestPermanentLockout(t *testing.T) {
	s := newStack(t, Config{MaxFailures: 2, LockoutDuration: time.Minute, PermanentLockoutAfter: 2})
	s.user("alice", userPass, "")
	b := s.browser()
	for range 2 {
		b.signIn(testAccount, "alice", "wrong", false)
	}
	s.clock.Advance(2 * time.Minute) // the first lockout ends
	for range 2 {
		b.signIn(testAccount, "alice", "wrong", false)
	}
	s.clock.Advance(24 * time.Hour) // the second does not
	expect(t, b.signIn(testAccount, "alice", userPass, false), http.StatusUnauthorized, "")

	// An administrator sets a new password: the lockout ends.
	admin := s.browser()
	expect(t, admin.signIn(testAccount, rootEmail, rootPass, true), http.StatusSeeOther, "/console/")
	admin.post("/console/mfa-offer/skip", url.Values{}, "/console/mfa-offer")
	page := admin.get("/console/users/alice")
	if !strings.Contains(page.body, "until an administrator unlocks it") {
		t.Errorf("user page does not show the permanent lockout:\n%s", excerpt(page.body))
	}
	expect(t, admin.post("/console/users/alice/password", url.Values{"password": {"New-Passw0rd!x"}}, "/console/users/alice"),
		http.StatusSeeOther, "/console/users/alice?done=password")
	expect(t, b.signIn(testAccount, "alice", "New-Passw0rd!x", false), http.StatusSeeOther, "/console/")
}

func TestThrottling(t *testing.T) {
	s := newStack(t, Config{IPAttempts: 3, TrustProxyHeaders: true})
	s.user("alice", userPass, "")
	b := s.browser()
	b.ip = "192.0.2.1"
	for _, u := range []string{"x", "y", "z"} {
		b.signIn(testAccount, u, "wrong", false)
	}
	// The fourth attempt from this IP is refused, even with the right password.
	expect(t, b.signIn(testAccount, "alice", userPass, false), http.StatusUnauthorized, "")
	other := s.browser()
	other.ip = "192.0.2.2"
	expect(t, other.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/console/")
	s.clock.Advance(time.Minute)
	expect(t, b.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/console/")

	t.Run("per account", func(t *testing.T) {
		s := newStack(t, Config{AccountAttempts: 2, TrustProxyHeaders: true})
		s.user("alice", userPass, "")
		for i, ip := range []string{"198.51.100.1", "198.51.100.2"} {
			b := s.browser()
			b.ip = ip
			b.signIn(testAccount, "user"+string(rune('a'+i)), "wrong", false)
		}
		b := s.browser()
		b.ip = "198.51.100.3"
		expect(t, b.signIn(testAccount, "alice", userPass, false), http.StatusUnauthorized, "")
	})
}

func TestMFASignIn(t *testing.T) {
	s := newStack(t, Config{MFAMaxFailures: 3})
	mfaOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*",
		"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	s.user("alice", userPass, mfaOnly)
	seed := s.enableMFA("alice")
	s.clock.Advance(totp.Period) // past the codes used to enable it

	b := s.browser()
	expect(t, b.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/signin/"+testAccount+"/mfa")
	// Not signed in yet.
	expect(t, b.get("/console/users"), http.StatusSeeOther, "/signin/"+testAccount)
	expect(t, b.code(testAccount, "000000"), http.StatusUnauthorized, "")
	code := totp.Code(seed, s.clock.Now())
	expect(t, b.code(testAccount, code), http.StatusSeeOther, "/console/")
	// The principal carries aws:MultiFactorAuthPresent: the policy allows.
	expect(t, b.get("/console/users"), http.StatusOK, "")

	t.Run("replayed code refused", func(t *testing.T) {
		c := s.browser()
		expect(t, c.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/signin/"+testAccount+"/mfa")
		expect(t, c.code(testAccount, code), http.StatusUnauthorized, "")
	})
	t.Run("code failures lock codes, not the password", func(t *testing.T) {
		s.clock.Advance(totp.Period)
		c := s.browser()
		c.signIn(testAccount, "alice", userPass, false)
		for range 3 {
			c.code(testAccount, "000000")
		}
		p := c.code(testAccount, totp.Code(seed, s.clock.Now()))
		expect(t, p, http.StatusTooManyRequests, "")
		// The password still works (the first step), the second stays locked.
		d := s.browser()
		expect(t, d.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/signin/"+testAccount+"/mfa")
		s.clock.Advance(16 * time.Minute)
		expect(t, d.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/signin/"+testAccount+"/mfa")
		expect(t, d.code(testAccount, totp.Code(seed, s.clock.Now())), http.StatusSeeOther, "/console/")
	})
	t.Run("without MFA the policy denies", func(t *testing.T) {
		s.user("bob", userPass, mfaOnly)
		c := s.browser()
		expect(t, c.signIn(testAccount, "bob", userPass, false), http.StatusSeeOther, "/console/")
		p := c.get("/console/users")
		expect(t, p, http.StatusForbidden, "")
		if !strings.Contains(p.body, "iam:ListUsers") {
			t.Errorf("denial page does not name the action:\n%s", excerpt(p.body))
		}
	})
}

func TestRootMFASignIn(t *testing.T) {
	s := newStack(t, Config{})
	seed := s.enableMFA("")
	s.clock.Advance(totp.Period)
	b := s.browser()
	expect(t, b.signIn(testAccount, rootEmail, rootPass, true), http.StatusSeeOther, "/signin/"+testAccount+"/mfa")
	expect(t, b.code(testAccount, totp.Code(seed, s.clock.Now())), http.StatusSeeOther, "/console/")
	expect(t, b.get("/console/"), http.StatusOK, "") // no MFA offer: root has MFA
}

func TestPasswordChangeAtSignIn(t *testing.T) {
	s := newStack(t, Config{})
	s.as(&s.root, "CreateUser", "UserName", "alice")
	s.as(&s.root, "CreateLoginProfile", "UserName", "alice", "Password", userPass, "PasswordResetRequired", "true")
	b := s.browser()
	expect(t, b.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/signin/"+testAccount+"/password")
	expect(t, b.get("/console/"), http.StatusSeeOther, "/signin/"+testAccount)
	from := "/signin/" + testAccount + "/password"
	p := b.post(from, url.Values{"old": {userPass}, "new": {"short"}, "confirm": {"short"}}, from)
	expect(t, p, http.StatusBadRequest, "")
	if !strings.Contains(p.body, "PasswordPolicy") && !strings.Contains(p.body, "password policy") {
		t.Errorf("no policy message:\n%s", excerpt(p.body))
	}
	expect(t, b.post(from, url.Values{"old": {userPass}, "new": {"Brand-New-Passw0rd"}, "confirm": {"Brand-New-Passw0rd"}}, from),
		http.StatusSeeOther, "/console/?done=password")
	expect(t, b.get("/console/"), http.StatusOK, "")
	expect(t, s.browser().signIn(testAccount, "alice", "Brand-New-Passw0rd", false), http.StatusSeeOther, "/console/")

	t.Run("expired password", func(t *testing.T) {
		s.as(&s.root, "UpdateAccountPasswordPolicy", "MaxPasswordAge", "30", "AllowUsersToChangePassword", "true")
		s.clock.Advance(31 * 24 * time.Hour)
		c := s.browser()
		expect(t, c.signIn(testAccount, "alice", "Brand-New-Passw0rd", false), http.StatusSeeOther, "/signin/"+testAccount+"/password")
		s.as(&s.root, "UpdateAccountPasswordPolicy", "MaxPasswordAge", "30", "HardExpiry", "true")
		d := s.browser()
		p := d.signIn(testAccount, "alice", "Brand-New-Passw0rd", false)
		expect(t, p, http.StatusUnauthorized, "")
		if !strings.Contains(p.body, "expired") {
			t.Errorf("hard expiry not explained:\n%s", excerpt(p.body))
		}
	})
}
