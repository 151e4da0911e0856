package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestBillsFollowTheBillingAccessRule is the last step of the seed story: an
// IAM user with a billing policy opens the Bills page only once root has
// activated IAM access to billing information; root always can.
func TestBillsFollowTheBillingAccessRule(t *testing.T) {
	s := newStack(t, Config{})
	// What AWS's job-function/Billing policy grants for the bills page.
	s.user("finance", "Finance-Passw0rd!x", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["aws-portal:*Billing","aws-portal:*Usage"],"Resource":"*"}]}`)
	s.user("dev", "Dev-Passw0rd!x", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`)
	s.iam.CountRequest(testAccount, "iam")
	s.iam.CountRequest(testAccount, "iam")
	s.iam.CountRequest(testAccount, "sts")
	if err := s.iam.FlushUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.iam.CountRequest(testAccount, "iam") // not flushed yet: still shown

	root := s.signedIn()
	p := root.get("/console/bills")
	if p.status != http.StatusOK || !strings.Contains(p.body, "4 requests") || !strings.Contains(p.body, "Users") {
		t.Fatalf("root's bills: %d %s", p.status, excerpt(p.body))
	}

	finance := s.browser()
	expect(t, finance.signIn(testAccount, "finance", "Finance-Passw0rd!x", false), http.StatusSeeOther, "/console/")
	p = finance.get("/console/bills")
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "access to billing information is not activated") {
		t.Fatalf("before activation: %d %s", p.status, excerpt(p.body))
	}
	tok := root.token("/console/billing")
	expect(t, root.post("/console/billing", url.Values{"csrf": {tok}, "enabled": {"on"}}, "/console/billing"), http.StatusSeeOther, "/console/billing?done=billing")
	if p = finance.get("/console/bills"); p.status != http.StatusOK {
		t.Fatalf("after activation: %d %s", p.status, excerpt(p.body))
	}
	// Activation lets policies decide; a user without a billing policy is
	// still refused.
	dev := s.browser()
	expect(t, dev.signIn(testAccount, "dev", "Dev-Passw0rd!x", false), http.StatusSeeOther, "/console/")
	if p = dev.get("/console/bills"); p.status != http.StatusForbidden {
		t.Fatalf("a user without billing permissions: %d", p.status)
	}
}
