package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSTSPreferences: the settings page shows the global endpoint's token
// version from GetAccountSummary and changes it through
// SetSecurityTokenServicePreferences, which IAM authorizes: root may, a user
// who may only read may see it but not change it.
func TestSTSPreferences(t *testing.T) {
	s := newStack(t, Config{})
	b := s.signedIn()
	tokenVersion := func() int {
		t.Helper()
		res, err := s.iam.Invoke(context.Background(), &s.root, "GetAccountSummary", nil)
		if err != nil {
			t.Fatal(err)
		}
		var sum summaryResult
		s.decode(res, &sum)
		return sum.get("GlobalEndpointTokenVersion")
	}
	p := b.get("/console/settings")
	expect(t, p, http.StatusOK, "")
	if !strings.Contains(find(t, `id="token-version">([^<]+)<`, p.body), "version 1") ||
		!strings.Contains(p.body, `value="v1Token" id="token-v1" checked`) {
		t.Fatalf("default: %s", excerpt(p.body))
	}
	expect(t, b.post("/console/settings/sts", url.Values{"token-version": {"v2Token"}}, "/console/settings"),
		http.StatusSeeOther, "/console/settings?done=sts-saved")
	if v := tokenVersion(); v != 2 {
		t.Fatalf("GlobalEndpointTokenVersion = %d after choosing v2", v)
	}
	p = b.get("/console/settings?done=sts-saved")
	if !strings.Contains(find(t, `id="token-version">([^<]+)<`, p.body), "version 2") || !strings.Contains(p.body, "session token version was saved") {
		t.Fatalf("after v2: %s", excerpt(p.body))
	}
	bad := b.post("/console/settings/sts", url.Values{"token-version": {"v3Token"}}, "/console/settings")
	expect(t, bad, http.StatusBadRequest, "")
	if v := tokenVersion(); v != 2 {
		t.Fatalf("a bad choice changed the version to %d", v)
	}

	reader := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`
	s.user("auditor", userPass, reader)
	u := s.browser()
	expect(t, u.signIn(testAccount, "auditor", userPass, false), http.StatusSeeOther, "/console/")
	p = u.get("/console/settings")
	expect(t, p, http.StatusOK, "")
	if !strings.Contains(p.body, `id="sts-form"`) {
		t.Fatal("a reader does not see the STS preferences")
	}
	denied := u.post("/console/settings/sts", url.Values{"token-version": {"v1Token"}}, "/console/settings")
	expect(t, denied, http.StatusForbidden, "")
	if !strings.Contains(denied.body, "iam:SetSecurityTokenServicePreferences") {
		t.Errorf("the denial does not name the action: %s", excerpt(denied.body))
	}
	if v := tokenVersion(); v != 2 {
		t.Fatalf("a denied change set the version to %d", v)
	}
	expect(t, b.post("/console/settings/sts", url.Values{"token-version": {"v1Token"}}, "/console/settings"),
		http.StatusSeeOther, "/console/settings?done=sts-saved")
	if v := tokenVersion(); v != 1 {
		t.Fatalf("back to v1: %d", v)
	}
}
