package main

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/warden-iam/warden/saml/samltest"
)

// idpPage is the test IdP's sign-in page: once the user is "authenticated"
// it posts a signed SAMLResponse to Warden's /saml from the browser, as
// IdP-initiated sign-in does (the HTTP-POST binding).
var idpPage = template.Must(template.New("idp").Parse(`<!doctype html>
<html><head><title>Test IdP</title></head>
<body onload="document.forms[0].submit()">
<form method="post" action="{{.Action}}">
<input type="hidden" name="SAMLResponse" value="{{.Response}}">
<noscript><button type="submit">Continue</button></noscript>
</form></body></html>`))

// TestConsoleSAMLSignInBrowser signs in to the console in Chromium from a
// test IdP on 127.0.0.1: one role lands on the dashboard as the role
// session; two roles give the role picker; a role without permissions
// sees AccessDenied on the users page.
func TestConsoleSAMLSignInBrowser(t *testing.T) {
	s := startSAMLServer(t)
	idp, providerARN, roles := samlConsoleSetup(t, s)
	offers := map[string][]string{"/alice": {roles["Admin"]}, "/bob": {roles["Admin"], roles["Viewer"]}}
	idpSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offered, ok := offers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		user := strings.TrimPrefix(r.URL.Path, "/")
		resp := idp.Response(t, consoleAssertion(s, user+"@example.com", providerARN, offered...), samltest.SignAssertion)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		idpPage.Execute(w, map[string]string{"Action": s.URL + "/saml", "Response": resp})
	}))
	defer idpSrv.Close()
	p := newTab(t, s.URL)

	// One role: straight to the dashboard, as Admin/alice.
	p.do(chromedp.Navigate(idpSrv.URL+"/alice"), chromedp.WaitVisible(chromedp.CSS("#security-status")))
	if loc := p.location(); loc != s.URL+"/console/" {
		t.Fatalf("landed on %s, want the dashboard", loc)
	}
	if who := p.text(".who .ident"); !strings.Contains(who, "Admin/alice") {
		t.Fatalf("signed in as %q, want Admin/alice", who)
	}
	p.screenshot("saml-dashboard")
	p.open("/console/users", "main h1")
	p.contains("Users")

	// Two roles: the picker; bob picks Viewer, which may not list users.
	p.do(chromedp.Navigate(idpSrv.URL+"/bob"), chromedp.WaitVisible(chromedp.CSS("#saml-role-submit")))
	p.contains("Select a role")
	p.contains(roles["Viewer"])
	p.screenshot("saml-roles")
	p.do(chromedp.Click(chromedp.CSS(`input[name=role][value="` + roles["Viewer"] + "," + providerARN + `"]`)))
	p.click("#saml-role-submit", "#security-status")
	if who := p.text(".who .ident"); !strings.Contains(who, "Viewer/bob") {
		t.Fatalf("signed in as %q, want Viewer/bob", who)
	}
	p.open("/console/users", "main h1")
	p.contains("Access denied")
	p.contains("assumed-role/Viewer/bob")
	p.contains("iam:ListUsers")
	p.screenshot("saml-denied")
}
