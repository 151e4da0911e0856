package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/warden-iam/warden/saml/samltest"
)

// runInErr runs a with the tab's deadline and returns its error.
func runInErr[T any](p *tab, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// axePath is axe-core's browser build, which scripts/test.sh installs from
// npm into test-output/ (WARDEN_AXE overrides).
func axePath(t *testing.T) string {
	if p := os.Getenv("WARDEN_AXE"); p != "" {
		return p
	}
	return filepath.Join(moduleRoot(t), "test-output", "node_modules", "axe-core", "axe.min.js")
}

type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// TestConsolePagesAccessible opens every console page as root in headless
// Chromium, runs the axe-core accessibility checks on it, and fails on any
// serious or critical violation; it saves a screenshot of each page at
// 1366 px and at 390 px wide (a phone) to the screenshots folder.
func TestConsolePagesAccessible(t *testing.T) {
	axe, err := os.ReadFile(axePath(t))
	if err != nil {
		t.Fatalf("the accessibility check needs axe-core (scripts/test.sh installs it: npm install --prefix test-output axe-core): %v", err)
	}
	s := startServer(t, nil, nil)
	ctx := context.Background()
	root := s.root()
	createUser(t, root, "alice")
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")})).must(t)
	res(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Auditor"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":"sts:AssumeRole"}]}`)})).must(t)
	arn := createPolicy(t, root, "reports", "")
	samlIdP := samltest.New(t, "https://idp.example.com/metadata")
	samlARN := aws.ToString(res(root.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Corp"),
		SAMLMetadataDocument: aws.String(samlIdP.Metadata(time.Now().Add(24 * time.Hour)))})).must(t).SAMLProviderArn)
	oidcARN := aws.ToString(res(root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://token.actions.githubusercontent.com"), ClientIDList: []string{"sts.amazonaws.com"},
		ThumbprintList: []string{strings.Repeat("a", 40)}})).must(t).OpenIDConnectProviderArn)

	p := newTab(t, s.URL)
	p.signIn("root@warden.local", rootPass, true, "#offer-skip")
	p.click("#offer-skip", "#security-status")
	pages := []struct{ name, path string }{
		{"dashboard", "/console/"},
		{"users", "/console/users"},
		{"user", "/console/users/alice"},
		{"user-new", "/console/users/new"},
		{"groups", "/console/groups"},
		{"group", "/console/groups/readers"},
		{"roles", "/console/roles"},
		{"role", "/console/roles/Auditor"},
		{"role-new", "/console/roles/new"},
		{"role-advisor", "/console/access-advisor?arn=arn:aws:iam::" + testAccount + ":role/Auditor"},
		{"already-shown", "/console/shown/none"},
		{"policies", "/console/policies"},
		{"policy", "/console/policy?arn=" + arn},
		{"policy-new", "/console/policies/new"},
		{"simulator", "/console/simulator"},
		{"settings", "/console/settings"},
		{"bills", "/console/bills"},
		{"billing-access", "/console/billing"},
		{"root", "/console/root"},
		{"me", "/console/me"},
		{"server-certificates", "/console/server-certificates"},
		{"credential-report", "/console/credential-report"},
		{"events", "/console/events"},
		{"close-account", "/console/close-account"},
		{"password", "/console/password"},
		{"identity-providers", "/console/identity-providers"},
		{"identity-provider-new-oidc", "/console/identity-providers/new?type=oidc"},
		{"identity-provider-new-saml", "/console/identity-providers/new?type=saml"},
		{"identity-provider-oidc", "/console/identity-providers/provider?arn=" + url.QueryEscape(oidcARN)},
		{"identity-provider-saml", "/console/identity-providers/provider?arn=" + url.QueryEscape(samlARN)},
	}
	var failures []string
	for _, pg := range pages {
		p.do(chromedp.EmulateViewport(1366, 900))
		p.open(pg.path, "main")
		if _, err := runInErr(p, chromedp.Evaluate[any](string(axe))); err != nil {
			t.Fatalf("loading axe-core into %s: %v", pg.path, err)
		}
		out, err := runInErr(p, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(
			r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
				id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))))`,
			func(ep *cdpruntime.EvaluateParams) { await := true; ep.AwaitPromise = &await }))
		if err != nil {
			t.Fatalf("running axe on %s: %v", pg.path, err)
		}
		var vs []axeViolation
		if err := json.Unmarshal([]byte(out), &vs); err != nil {
			t.Fatalf("axe on %s: %v: %s", pg.path, err, out)
		}
		for _, v := range vs {
			failures = append(failures, fmt.Sprintf("%s: %s (%s) %s at %s", pg.path, v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", ")))
		}
		p.screenshot(pg.name + "-1366")
		p.do(chromedp.EmulateViewport(390, 844))
		p.open(pg.path, "main")
		p.screenshot(pg.name + "-390")
		// Nothing may push the page sideways on a phone (wide tables scroll
		// inside their card).
		width, err := runInErr(p, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatalf("measuring %s: %v", pg.path, err)
		}
		if width > 390 {
			failures = append(failures, fmt.Sprintf("%s: %d px wide at a 390 px viewport", pg.path, width))
		}
	}
	if len(failures) > 0 {
		t.Errorf("%d serious or critical accessibility violations:\n%s", len(failures), strings.Join(failures, "\n"))
	}
}
