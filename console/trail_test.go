package console

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden"
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
