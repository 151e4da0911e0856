package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/storetest"
)

// TestRefusedAttemptsCostNoHash checks that throttled, locked-out and
// unknown-account attempts past the limits are refused before argon2id runs,
// while admitted attempts (right or wrong password, known or unknown user)
// each cost exactly one hash (issue 10, defect 3).
func TestRefusedAttemptsCostNoHash(t *testing.T) {
	s := newStack(t, Config{MaxFailures: 3, IPAttempts: 1000, UserAttempts: 1000, TrustProxyHeaders: true})
	s.user("alice", userPass, "")
	b := s.browser()
	b.ip = "192.0.2.10"
	for range 3 {
		expect(t, b.signIn(testAccount, "alice", "wrong", false), http.StatusUnauthorized, "")
	}
	expect(t, b.signIn(testAccount, "mallory", "guess", false), http.StatusUnauthorized, "")
	if n := s.con.hashes.Load(); n != 4 {
		t.Fatalf("%d hashes for 4 admitted attempts (3 wrong passwords, 1 unknown user), want 4", n)
	}

	// Locked out: neither the right password nor a wrong one is hashed.
	for range 10 {
		b.signIn(testAccount, "alice", userPass, false)
		b.signIn(testAccount, "alice", "wrong", false)
	}
	// Throttled by IP, whatever the target.
	ts := newStack(t, Config{IPAttempts: 2, TrustProxyHeaders: true})
	tb := ts.browser()
	tb.ip = "192.0.2.11"
	for range 2 {
		tb.signIn("999999999999", "nobody", "guess", false)
	}
	before := ts.con.hashes.Load()
	for range 20 {
		expect(t, tb.signIn("999999999999", "nobody", "guess", false), http.StatusUnauthorized, "")
		expect(t, tb.signIn(testAccount, "alice", "guess", false), http.StatusUnauthorized, "")
	}
	if n := s.con.hashes.Load(); n != 4 {
		t.Errorf("locked-out attempts ran %d hashes, want none", n-4)
	}
	if n := ts.con.hashes.Load() - before; n != 0 {
		t.Errorf("throttled attempts ran %d hashes, want none", n)
	}
}

// TestBusyRefusedBeforeHashing fills the hashing slots and checks that an
// attempt beyond the queue is refused with the busy page, its reserved
// failure given back, and no hash run.
func TestBusyRefusedBeforeHashing(t *testing.T) {
	s := newStack(t, Config{HashConcurrency: 1, HashQueue: -1})
	s.user("alice", userPass, "")
	ctx := context.Background()
	// One check running and no room to wait: the strangers' lane is full.
	if !s.con.gate.enter(ctx, false) {
		t.Fatal("no free slot in an idle gate")
	}
	p := s.browser().signIn(testAccount, "alice", userPass, false)
	expect(t, p, http.StatusTooManyRequests, "")
	if !strings.Contains(p.body, signInBusy) {
		t.Errorf("busy page lacks its message:\n%s", excerpt(p.body))
	}
	if n := s.con.hashes.Load(); n != 0 {
		t.Errorf("a refused attempt ran %d hashes", n)
	}
	k := counter(t, s, userKey(factorPassword, subjectOf("", testAccount, testAccount, "user", "alice").user))
	if k.Failures != 0 {
		t.Errorf("counter = %+v, want the reserved failure given back", k)
	}
	if _, reasons := s.failures(); reasons["busy"] != 1 || reasons["wrong-password"] != 0 {
		t.Errorf("failure reasons = %v, want one busy", reasons)
	}
	s.con.gate.leave(false)
	expect(t, s.browser().signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/console/")
}

// TestGateKeepsASlotForTrustedDevices checks that strangers cannot take
// every hashing slot.
func TestGateKeepsASlotForTrustedDevices(t *testing.T) {
	g := newHashGate(2, 0)
	ctx := context.Background()
	if !g.enter(ctx, false) {
		t.Fatal("first stranger refused")
	}
	if g.enter(ctx, false) {
		t.Fatal("a second stranger took the trusted devices' slot")
	}
	if !g.enter(ctx, true) {
		t.Fatal("a trusted device found no slot")
	}
	g.leave(true)
	g.leave(false)
	if !g.enter(ctx, false) || !g.enter(ctx, true) {
		t.Fatal("slots were not given back")
	}

	// A queue of one: one attempt waits for the slot, the next is refused.
	q := newHashGate(1, 1)
	if !q.enter(ctx, false) {
		t.Fatal("no free slot in an idle gate")
	}
	got := make(chan bool)
	go func() { got <- q.enter(ctx, false) }()
	for q.waiting[0].Load() == 0 {
		runtime.Gosched() // until the goroutine waits
	}
	if q.enter(ctx, false) {
		t.Fatal("an attempt beyond the queue got a slot")
	}
	q.leave(false)
	if !<-got {
		t.Fatal("the waiting attempt was refused when the slot came free")
	}
}

// TestOwnerStaysIn checks the device-cookie defence (issue 10, defect 4):
// strangers' failures against the root email or a user name lock out only
// strangers; a browser that signed in before keeps its own count; a forged
// cookie, another principal's cookie, or a deleted user's cookie for a new
// user of the same name buys nothing.
func TestOwnerStaysIn(t *testing.T) {
	s := newStack(t, Config{MaxFailures: 3, PermanentLockoutAfter: 1, IPAttempts: 1000, UserAttempts: 1000})
	s.user("alice", userPass, "")
	s.user("bob", userPass, "")

	owner, alice := s.browser(), s.browser()
	expect(t, owner.signIn(testAccount, rootEmail, rootPass, true), http.StatusSeeOther, "/console/")
	expect(t, alice.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/console/")
	signOut(t, owner, "/console/mfa-offer")
	signOut(t, alice, "/console/")

	stranger := s.browser()
	for range 10 {
		stranger.signIn(testAccount, rootEmail, "guess", true)
		stranger.signIn(testAccount, "alice", "guess", false)
		stranger.signIn(testAccount, "bob", "guess", false)
	}
	// The strangers' counters are locked: even the right password is
	// refused from a new browser, and alice's and bob's for good.
	expect(t, s.browser().signIn(testAccount, rootEmail, rootPass, true), http.StatusUnauthorized, "")
	expect(t, s.browser().signIn(testAccount, "alice", userPass, false), http.StatusUnauthorized, "")
	if _, permanent, _ := s.con.lockState(context.Background(), testAccount, "alice"); !permanent {
		t.Fatal("strangers did not lock alice's name for good; the test proves nothing")
	}

	// The owners' browsers still get in.
	expect(t, owner.signIn(testAccount, rootEmail, rootPass, true), http.StatusSeeOther, "/console/")
	expect(t, alice.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/console/")
	signOut(t, owner, "/console/mfa-offer")
	signOut(t, alice, "/console/")

	// alice's device cookie does not open bob's sign-in.
	expect(t, alice.signIn(testAccount, "bob", userPass, false), http.StatusUnauthorized, "")

	// A forged cookie is a stranger's.
	login, err := s.iam.ConsoleLogin(context.Background(), testAccount, "alice")
	if err != nil {
		t.Fatal(err)
	}
	forger := s.browser()
	u, _ := url.Parse(s.srv.URL)
	req := &http.Request{URL: u}
	name := s.con.deviceCookie(req, login.Principal.ID)
	var real string
	for _, ck := range alice.client.Jar.Cookies(u) {
		if ck.Name == name {
			real = ck.Value
		}
	}
	if real == "" {
		t.Fatal("alice's browser has no device cookie")
	}
	forged := real[:len(real)-2] + "AA"
	if forged == real {
		forged = real[:len(real)-2] + "BB"
	}
	forger.client.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: forged, Path: "/"}})
	expect(t, forger.signIn(testAccount, "alice", userPass, false), http.StatusUnauthorized, "")
	// The genuine cookie copied to another browser works (it is a bearer
	// token, like the session cookie), but only for alice's unique ID.
	thief := s.browser()
	thief.client.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: real, Path: "/"}})
	expect(t, thief.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/console/")

	// A re-created alice is another principal: the old cookie is a stranger's.
	s.as(&s.root, "DeleteLoginProfile", "UserName", "alice")
	s.as(&s.root, "DeleteUser", "UserName", "alice")
	s.user("alice", userPass, "")
	for range 3 {
		stranger.signIn(testAccount, "alice", "guess", false)
	}
	expect(t, alice.signIn(testAccount, "alice", userPass, false), http.StatusUnauthorized, "")

	// The owner's own failures lock only the owner's device, for a while.
	for range 3 {
		expect(t, owner.signIn(testAccount, rootEmail, "typo", true), http.StatusUnauthorized, "")
	}
	expect(t, owner.signIn(testAccount, rootEmail, rootPass, true), http.StatusUnauthorized, "")
	s.clock.Advance(16 * time.Minute)
	expect(t, owner.signIn(testAccount, rootEmail, rootPass, true), http.StatusSeeOther, "/console/")
}

// signOut ends b's session with the CSRF token of the page at from.
func signOut(t *testing.T, b *browser, from string) {
	t.Helper()
	expect(t, b.post("/console/signout", url.Values{}, from), http.StatusSeeOther, "")
}

// TestCSRFTokenNotStored checks that the session record does not hold the
// CSRF token its forms carry (issue 10, defect 6), and that the token still
// guards the forms.
func TestCSRFTokenNotStored(t *testing.T) {
	s := newStack(t, Config{})
	b := s.browser()
	expect(t, b.signIn(testAccount, rootEmail, rootPass, true), http.StatusSeeOther, "/console/")
	tok := b.token("/console/mfa-offer")
	var recs []warden.Record
	err := s.store.View(context.Background(), func(tx warden.Tx) (err error) {
		recs, err = tx.List(context.Background(), warden.KindConsoleSession, "", "", "", 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("%d session records, want 1", len(recs))
	}
	if strings.Contains(string(recs[0].Data), tok) || strings.Contains(string(recs[0].Data), `"csrf"`) {
		t.Errorf("session record holds the CSRF token: %s", recs[0].Data)
	}
	expect(t, b.post("/console/mfa-offer/skip", url.Values{"csrf": {tok}}, ""), http.StatusSeeOther, "/console/")
	expect(t, b.post("/console/mfa-offer/skip", url.Values{"csrf": {strings.Repeat("A", len(tok))}}, ""), http.StatusForbidden, "")
	// Another session gets another token.
	other := s.browser()
	expect(t, other.signIn(testAccount, rootEmail, rootPass, true), http.StatusSeeOther, "/console/")
	if other.token("/console/mfa-offer") == tok {
		t.Error("two sessions share a CSRF token")
	}
}

// TestFailedSignInsAggregated checks that failed sign-ins from one source in
// one minute make one record with a count, not one audit event each (issue
// 10, defect 6), and that the sweep prunes old records.
func TestFailedSignInsAggregated(t *testing.T) {
	s := newStack(t, Config{TrustProxyHeaders: true, IPAttempts: 30})
	s.user("alice", userPass, "")
	a, b := s.browser(), s.browser()
	a.ip, b.ip = "192.0.2.20", "192.0.2.21"
	for i := range 40 {
		a.signIn(testAccount, "user"+string(rune('a'+i%26)), "guess", false)
	}
	b.signIn("no-such-alias", "alice", "guess", false)
	s.clock.Advance(time.Minute)
	b.signIn(testAccount, "alice", "guess", false)

	recs, reasons := s.failures()
	if len(recs) != 3 {
		t.Fatalf("%d failure records, want 3 (one per source and minute): %+v", len(recs), recs)
	}
	byIP := map[string]int{}
	for _, r := range recs {
		byIP[r.SourceIP] += r.Count
		if r.SourceIP == "192.0.2.20" {
			data, _ := json.Marshal(r)
			t.Logf("the record of 40 failures from one source in one minute: %d bytes", len(data))
			if len(data) > 400 {
				t.Errorf("the record of 40 failures takes %d bytes, want one small record: %s", len(data), data)
			}
		}
	}
	if byIP["192.0.2.20"] != 40 || byIP["192.0.2.21"] != 2 {
		t.Errorf("counts by source = %v, want 40 and 2", byIP)
	}
	if reasons["unknown-user"] != 30 || reasons["throttled-ip"] != 10 || reasons["unknown-account"] != 1 || reasons["wrong-password"] != 1 {
		t.Errorf("reasons = %v", reasons)
	}
	for _, e := range s.audit(testAccount) {
		if e.Outcome != "Success" {
			t.Errorf("a failed sign-in was appended to the audit trail: %+v", e)
		}
	}
	s.clock.Advance(failureRetention + time.Hour)
	if err := s.con.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if recs, _ := s.failures(); len(recs) != 0 {
		t.Errorf("%d failure records survive their retention", len(recs))
	}
}

// TestDashboardLockouts checks the dashboard's list of recent lockouts and
// the administrator's unlock of a permanent one.
func TestDashboardLockouts(t *testing.T) {
	s := newStack(t, Config{MaxFailures: 2, PermanentLockoutAfter: 1})
	s.user("alice", userPass, "")
	admin := s.browser()
	expect(t, admin.signIn(testAccount, rootEmail, rootPass, true), http.StatusSeeOther, "/console/")
	expect(t, admin.post("/console/mfa-offer/skip", url.Values{}, "/console/mfa-offer"), http.StatusSeeOther, "/console/")
	dash := admin.get("/console/")
	if !strings.Contains(dash.body, "No sign-in has been locked out") {
		t.Errorf("dashboard lacks the empty lockout panel:\n%s", excerpt(dash.body))
	}
	stranger := s.browser()
	for range 2 {
		stranger.signIn(testAccount, "alice", "guess", false)
		stranger.signIn(testAccount, "nobody", "guess", false)
	}
	dash = admin.get("/console/")
	panel := dash.body[strings.Index(dash.body, `id="lockouts"`):]
	panel = panel[:strings.Index(panel, "</section>")]
	if !strings.Contains(panel, "arn:aws:iam::"+testAccount+":user/alice") || !strings.Contains(panel, "until unlocked") ||
		strings.Count(panel, "<tr><td>") != 1 || !strings.Contains(panel, `href="/console/users/alice"`) {
		t.Errorf("lockout panel:\n%s", panel)
	}
	expect(t, admin.post("/console/users/alice/password", url.Values{"op": {"unlock"}}, "/console/users/alice"),
		http.StatusSeeOther, "/console/users/alice?done=unlocked")
	expect(t, s.browser().signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/console/")
	dash = admin.get("/console/")
	panel = dash.body[strings.Index(dash.body, `id="lockouts"`):]
	panel = panel[:strings.Index(panel, "</section>")]
	row := panel[strings.Index(panel, "user/alice"):]
	row = row[:strings.Index(row, "</tr>")]
	if strings.Contains(row, "until unlocked") || !strings.Contains(row, ">unlocked<") || strings.Contains(row, "Unlock") {
		t.Errorf("alice's lockout after unlock:\n%s", row)
	}
}

// FuzzDeviceCookie checks that no cookie value but a signed one is trusted,
// and that none makes the parser panic.
func FuzzDeviceCookie(f *testing.F) {
	c := New(Config{Key: []byte("fuzz-key")}, nil, nil, nil)
	f.Add("AAAAAAAAAAAAAAAAAAAAAA.1700000000.AAAA")
	f.Add("..")
	f.Add("AAAAAAAAAAAAAAAAAAAAAA.-1." + strings.Repeat("A", 43))
	f.Add(strings.Repeat(".", 300))
	f.Fuzz(func(t *testing.T, v string) {
		r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/signin/x", nil)
		r.AddCookie(&http.Cookie{Name: c.deviceCookie(r, "AIDAEXAMPLE"), Value: v})
		if d := c.trustedDevice(r, "AIDAEXAMPLE"); d != "" {
			t.Errorf("unsigned cookie %q trusted as device %q", v, d)
		}
	})
}

// TestOwnerStaysInTwoNodes checks that a device cookie issued by one node is
// honoured by another sharing the PostgreSQL store and the master key, while
// strangers on both nodes lock the name out.
func TestOwnerStaysInTwoNodes(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	cfg := Config{MaxFailures: 3, IPAttempts: 1000, UserAttempts: 1000}
	a := newStackOn(t, cfg, openPostgres(t, dsn), true)
	a.user("alice", userPass, "")
	b := newStackOn(t, cfg, openPostgres(t, dsn), false)

	owner := a.browser()
	expect(t, owner.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/console/")
	signOut(t, owner, "/console/")
	for _, n := range []*stack{a, b} {
		st := n.browser()
		for range 3 {
			st.signIn(testAccount, "alice", "guess", false)
		}
	}
	expect(t, b.browser().signIn(testAccount, "alice", userPass, false), http.StatusUnauthorized, "")
	// The same browser, now talking to node b.
	owner.base = b.srv.URL
	ua, _ := url.Parse(a.srv.URL)
	ub, _ := url.Parse(b.srv.URL)
	owner.client.Jar.SetCookies(ub, owner.client.Jar.Cookies(ua))
	expect(t, owner.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/console/")
}

// TestSessionEndsWithItsPrincipal checks that a console session belongs to
// the unique ID it was issued to: once the user is deleted, the session is
// over, and a new user of the same name (here an administrator) does not
// inherit it (issue 10, defect 1, in the console).
func TestSessionEndsWithItsPrincipal(t *testing.T) {
	s := newStack(t, Config{})
	s.user("erin", userPass, "")
	b := s.browser()
	expect(t, b.signIn(testAccount, "erin", userPass, false), http.StatusSeeOther, "/console/")
	expect(t, b.get("/console/"), http.StatusOK, "")
	tok := b.token("/console/")

	s.as(&s.root, "DeleteLoginProfile", "UserName", "erin")
	s.as(&s.root, "DeleteUser", "UserName", "erin")
	s.user("erin", "", adminPolicy)

	expect(t, b.get("/console/users"), http.StatusSeeOther, "/signin/"+testAccount)
	expect(t, b.post("/console/users/new", url.Values{"csrf": {tok}, "name": {"mallory"}}, ""), http.StatusForbidden, "")
	var n int
	err := s.store.View(context.Background(), func(tx warden.Tx) (err error) {
		n, err = tx.Count(context.Background(), warden.KindConsoleSession, "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d console sessions left, want the old erin's deleted", n)
	}
}

// TestSessionEndsWithItsPrincipalTwoNodes: the user is re-created through
// another node sharing the PostgreSQL store; the first node's session ends.
func TestSessionEndsWithItsPrincipalTwoNodes(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	a := newStackOn(t, Config{}, openPostgres(t, dsn), true)
	a.user("erin", userPass, "")
	b := newStackOn(t, Config{}, openPostgres(t, dsn), false)
	br := a.browser()
	expect(t, br.signIn(testAccount, "erin", userPass, false), http.StatusSeeOther, "/console/")
	expect(t, br.get("/console/"), http.StatusOK, "")
	b.as(&b.root, "DeleteLoginProfile", "UserName", "erin")
	b.as(&b.root, "DeleteUser", "UserName", "erin")
	b.user("erin", "", adminPolicy)
	expect(t, br.get("/console/users"), http.StatusSeeOther, "/signin/"+testAccount)
}
