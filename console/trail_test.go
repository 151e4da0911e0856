package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/advisor"
	"github.com/warden-iam/warden/totp"
	"github.com/warden-iam/warden/trail"
)

// TestSignInEvents checks that console sign-ins reach the event history as
// CloudTrail ConsoleLogin events: one per sign-in, with MFAUsed, and with
// AWS's errorMessage for failures; no password or code in any of them.
func TestSignInEvents(t *testing.T) {
	s := newStack(t, Config{})
	log := s.store.(warden.EventLog)
	rec := trail.NewRecorder(log, trail.Options{})
	s.con.Trail = rec
	s.user("alice", userPass, "")
	s.user("mia", userPass, "")
	seed := s.enableMFA("mia")
	s.clock.Advance(totp.Period)

	// The clock moves between sign-ins so that the events have an order.
	expect(t, s.browser().signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/console/")
	s.clock.Advance(time.Second)
	expect(t, s.browser().signIn(testAccount, "alice", "Wrong-"+userPass, false), http.StatusUnauthorized, "")
	s.clock.Advance(time.Second)
	expect(t, s.browser().signIn(testAccount, "nobody", userPass, false), http.StatusUnauthorized, "")
	s.clock.Advance(time.Second)
	b := s.browser()
	expect(t, b.signIn(testAccount, "mia", userPass, false), http.StatusSeeOther, "/signin/"+testAccount+"/mfa")
	code := totp.Code(seed, s.clock.Now())
	expect(t, b.code(testAccount, code), http.StatusSeeOther, "/console/")

	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	events, err := log.LookupEvents(context.Background(), warden.EventQuery{Account: testAccount,
		Attribute: warden.EventAttrEventName, Value: "ConsoleLogin", Oldest: true})
	if err != nil {
		t.Fatal(err)
	}
	type got struct{ user, outcome, mfa, message string }
	want := []got{
		{"alice", "Success", "No", ""},
		{"alice", "Failure", "No", "Failed authentication"},
		{"HIDDEN_DUE_TO_SECURITY_REASONS", "Failure", "No", "No username found in supplied account"},
		{"mia", "Success", "Yes", ""},
	}
	if len(events) != len(want) {
		t.Fatalf("%d ConsoleLogin events, want %d", len(events), len(want))
	}
	for i, e := range events {
		for _, secret := range []string{userPass, code} {
			if strings.Contains(string(e.Record), secret) {
				t.Errorf("event %d holds a secret: %s", i, e.Record)
			}
		}
		var r struct {
			UserIdentity struct {
				Type, UserName string
			}
			ErrorMessage        string
			ResponseElements    struct{ ConsoleLogin string }
			AdditionalEventData struct{ MFAUsed string }
			SourceIPAddress     string
		}
		if err := json.Unmarshal(e.Record, &r); err != nil {
			t.Fatal(err)
		}
		g := got{r.UserIdentity.UserName, r.ResponseElements.ConsoleLogin, r.AdditionalEventData.MFAUsed, r.ErrorMessage}
		if g != want[i] || r.UserIdentity.Type != "IAMUser" || r.SourceIPAddress == "" {
			t.Errorf("event %d = %+v (%s), want %+v", i, g, e.Record, want[i])
		}
	}
}

// TestAuditPages drives the credential report page and download and the
// event history page with its filters, as root and as a user the policies
// refuse.
func TestAuditPages(t *testing.T) {
	s := newStack(t, Config{})
	log := s.store.(warden.EventLog)
	rec := trail.NewRecorder(log, trail.Options{})
	s.con.Trail = rec
	s.con.Events = &trail.Service{Log: log, Authz: s.az, Recorder: rec, Now: s.clock.Now}
	s.user("alice", userPass, "")
	s.user("reader", userPass, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListUsers","s3:GetObject"],"Resource":"*"}]}`)
	usage := advisor.New(s.store, nil)
	s.az.Observe(usage.Observe)
	s.iam.FlushAccessAdvisor = usage.Flush
	// API calls reach the history through the API front end; record two
	// the way it would.
	rec.API(&trail.Call{Time: s.clock.Now(), Service: "iam", Action: "CreateUser", Principal: s.root,
		Params: form("UserName", "alice")})
	s.clock.Advance(time.Second)
	rec.API(&trail.Call{Time: s.clock.Now(), Service: "iam", Action: "ListUsers", Principal: s.root})

	b := s.browser()
	expect(t, b.signIn(testAccount, rootEmail, rootPass, true), http.StatusSeeOther, "/console/")
	expect(t, b.post("/console/mfa-offer/skip", url.Values{}, "/console/mfa-offer"), http.StatusSeeOther, "/console/")
	// The report is made in the background: while it is, the page says so
	// and the download comes back to it.
	hold := make(chan struct{})
	s.iam.BeforeCredentialReport = func(string) { <-hold }
	p := b.get("/console/credential-report")
	expect(t, p, http.StatusOK, "")
	if !strings.Contains(p.body, "The credential report is being generated.") {
		t.Errorf("credential report page while generating:\n%s", excerpt(p.body))
	}
	expect(t, b.get("/console/credential-report.csv"), http.StatusSeeOther, "/console/credential-report")
	close(hold)
	s.iam.WaitCredentialReports()
	s.iam.BeforeCredentialReport = nil
	p = b.get("/console/credential-report")
	expect(t, p, http.StatusOK, "")
	for _, want := range []string{"password_last_used", "&lt;root_account&gt;", ">alice<", "Download report"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("credential report page lacks %q:\n%s", want, excerpt(p.body))
		}
	}
	csvPage := b.get("/console/credential-report.csv")
	if csvPage.status != http.StatusOK || !strings.HasPrefix(csvPage.header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(csvPage.body, "user,arn,user_creation_time,") ||
		!strings.Contains(csvPage.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("download: %d %v\n%s", csvPage.status, csvPage.header, csvPage.body)
	}

	all := b.get("/console/events")
	expect(t, all, http.StatusOK, "")
	for _, want := range []string{">CreateUser<", ">ListUsers<", ">ConsoleLogin<", "Event record", "&#34;eventVersion&#34;"} {
		if !strings.Contains(all.body, want) {
			t.Errorf("event history lacks %q:\n%s", want, excerpt(all.body))
		}
	}
	// What the console does is recorded too: opening the users page is a
	// ListUsers call by root, through the console.
	expect(t, b.get("/console/users"), http.StatusOK, "")
	byConsole := b.get("/console/events?user=root&name=ListUsers")
	if n := strings.Count(b.get("/console/events?name=ListUsers").body, `class="event"`); n < 2 || byConsole.status != http.StatusOK {
		t.Errorf("console ListUsers not recorded: %d ListUsers events", n)
	}
	writes := b.get("/console/events?readonly=false")
	if strings.Contains(writes.body, ">ListUsers<") || !strings.Contains(writes.body, ">CreateUser<") {
		t.Errorf("writes only:\n%s", excerpt(writes.body))
	}
	named := b.get("/console/events?name=ListUsers")
	if strings.Contains(named.body, ">CreateUser<") || !strings.Contains(named.body, ">ListUsers<") {
		t.Errorf("by event name:\n%s", excerpt(named.body))
	}
	expect(t, b.get("/console/events?from=yesterday"), http.StatusBadRequest, "")
	future := b.get("/console/events?from=2999-01-01T00:00")
	if !strings.Contains(future.body, "No events.") {
		t.Errorf("events from the future:\n%s", excerpt(future.body))
	}

	u := s.browser()
	expect(t, u.signIn(testAccount, "reader", userPass, false), http.StatusSeeOther, "/console/")
	expect(t, u.get("/console/events"), http.StatusForbidden, "")
	expect(t, u.get("/console/credential-report.csv"), http.StatusForbidden, "")
	expect(t, u.get("/console/users"), http.StatusOK, "") // iam:ListUsers, which the advisor records

	adv := b.get("/console/access-advisor?arn=arn:aws:iam::" + testAccount + ":user/reader")
	expect(t, adv, http.StatusOK, "")
	for _, want := range []string{"Identity and Access Management", "ListUsers (", "Amazon S3", "Not accessed in the tracking period"} {
		if !strings.Contains(adv.body, want) {
			t.Errorf("Access Advisor lacks %q:\n%s", want, excerpt(adv.body))
		}
	}
	if !strings.Contains(b.get("/console/users/reader").body, `id="access-advisor"`) {
		t.Error("the user page has no Access Advisor tab")
	}
	expect(t, b.get("/console/access-advisor?arn=nonsense"), http.StatusBadRequest, "")
}
