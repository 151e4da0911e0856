package console

import (
	"context"
	"encoding/base32"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/totp"
)

func find(t *testing.T, re, body string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in\n%s", re, excerpt(body))
	}
	return html.UnescapeString(m[1])
}

func TestCreateUserShowsSecretsOnce(t *testing.T) {
	s := newStack(t, Config{})
	b := s.signedIn()
	expect(t, b.post("/console/groups", url.Values{"name": {"developers"}}, "/console/groups"), http.StatusSeeOther, "")
	p := b.post("/console/users/new", url.Values{"name": {"alice"}, "console": {"on"}, "password-kind": {"auto"},
		"reset": {"on"}, "programmatic": {"on"}, "group": {"developers"}}, "/console/users/new")
	at := p.location
	p = b.shown(p)
	secret := find(t, `id="new-secret">([^<]+)<`, p.body)
	keyID := find(t, `id="new-key-id">([^<]+)<`, p.body)
	password := find(t, `id="new-password">([^<]+)<`, p.body)
	if len(secret) != 40 || !strings.HasPrefix(keyID, "AKIA") {
		t.Fatalf("key %q secret %q", keyID, secret)
	}
	if !strings.Contains(p.body, "data:text/csv") {
		t.Error("no CSV download")
	}
	// Reloading the page creates nothing and shows no secret.
	again := b.get(at)
	expect(t, again, http.StatusGone, "")
	if strings.Contains(again.body, secret) || strings.Contains(again.body, password) || !strings.Contains(again.body, `id="already-shown"`) {
		t.Errorf("the reloaded page shows a secret, or does not say it was shown\n%s", excerpt(again.body))
	}
	// The key works, the secret is never shown again.
	cred, err := s.iam.Credential(context.Background(), keyID)
	if err != nil || cred.Secret != secret {
		t.Fatalf("Credential(%s) = %v, %v", keyID, cred, err)
	}
	detail := b.get("/console/users/alice")
	expect(t, detail, http.StatusOK, "")
	if strings.Contains(detail.body, secret) || strings.Contains(detail.body, password) || !strings.Contains(detail.body, keyID) {
		t.Error("the user page shows a secret, or not the key ID")
	}
	if !strings.Contains(detail.body, "developers") {
		t.Error("the user is not in the group")
	}
	// The new user must choose a password at first sign-in.
	u := s.browser()
	expect(t, u.signIn(testAccount, "alice", password, false), http.StatusSeeOther, "/signin/"+testAccount+"/password")

	t.Run("policy violation leaves no user behind", func(t *testing.T) {
		p := b.post("/console/users/new", url.Values{"name": {"bob"}, "console": {"on"}, "password-kind": {"custom"},
			"password": {"short"}}, "/console/users/new")
		expect(t, p, http.StatusBadRequest, "")
		if _, err := s.iam.Invoke(context.Background(), &s.root, "GetUser", form("UserName", "bob")); warden.ErrorCode(err) != warden.CodeNoSuchEntity {
			t.Errorf("GetUser bob: %v", err)
		}
	})
	t.Run("delete user with everything attached", func(t *testing.T) {
		s.enableMFA("alice")
		s.as(&s.root, "PutUserPolicy", "UserName", "alice", "PolicyName", "inline", "PolicyDocument", adminPolicy)
		p := b.post("/console/users/alice/delete", url.Values{"confirm": {"alice"}}, "/console/users/alice")
		expect(t, p, http.StatusSeeOther, "/console/users?done=user-deleted")
	})
}

func TestGroupsAndPolicies(t *testing.T) {
	s := newStack(t, Config{})
	s.user("alice", userPass, "")
	b := s.signedIn()
	expect(t, b.post("/console/groups", url.Values{"name": {"readers"}}, "/console/groups"), http.StatusSeeOther, "")

	t.Run("malformed policy is shown, not saved", func(t *testing.T) {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers"}]}`
		p := b.post("/console/policies/new", url.Values{"name": {"ListUsers"}, "document": {doc}}, "/console/policies/new")
		expect(t, p, http.StatusBadRequest, "")
		// The editor's check finds it before CreatePolicy would refuse it.
		if !strings.Contains(p.body, "MISSING_RESOURCE") || !strings.Contains(p.body, html.EscapeString(doc)) {
			t.Errorf("editor does not show the error and the text:\n%s", excerpt(p.body))
		}
	})
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`
	p := b.post("/console/policies/new", url.Values{"name": {"ListUsers"}, "document": {doc}}, "/console/policies/new")
	arn := "arn:aws:iam::" + testAccount + ":policy/ListUsers"
	expect(t, p, http.StatusSeeOther, policyURL(arn)+"&done=policy-created")
	expect(t, b.post("/console/groups/readers/policies", url.Values{"op": {"attach"}, "arn": {arn}}, "/console/groups/readers"),
		http.StatusSeeOther, "/console/groups/readers?done=saved")
	expect(t, b.post("/console/groups/readers/members", url.Values{"op": {"add"}, "user": {"alice"}}, "/console/groups/readers"),
		http.StatusSeeOther, "")
	// Alice now may list users, through the group, and nothing more.
	u := s.browser()
	expect(t, u.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/console/")
	expect(t, u.get("/console/users"), http.StatusOK, "")
	expect(t, u.get("/console/groups"), http.StatusForbidden, "")

	t.Run("edit makes a new default version", func(t *testing.T) {
		edited := strings.Replace(doc, `"iam:ListUsers"`, `["iam:ListUsers","iam:ListGroups"]`, 1)
		from := "/console/policy/edit?arn=" + url.QueryEscape(arn)
		expect(t, b.post("/console/policy/edit", url.Values{"arn": {arn}, "document": {edited}}, from),
			http.StatusSeeOther, policyURL(arn)+"&done=version-created")
		view := b.get(policyURL(arn))
		if !strings.Contains(view.body, "v2") || !strings.Contains(view.body, "iam:ListGroups") {
			t.Errorf("policy page:\n%s", excerpt(view.body))
		}
		expect(t, u.get("/console/groups"), http.StatusOK, "")
	})
	t.Run("filters", func(t *testing.T) {
		local := b.get("/console/policies?scope=Local")
		if !strings.Contains(local.body, "ListUsers") || strings.Contains(local.body, "AdministratorAccess") {
			t.Error("customer managed filter")
		}
		aws := b.get("/console/policies?scope=AWS&q=administratoraccess")
		if !strings.Contains(aws.body, "AdministratorAccess") || strings.Contains(aws.body, ">ListUsers<") {
			t.Errorf("AWS managed filter:\n%s", excerpt(aws.body))
		}
		attached := b.get("/console/policies?scope=All&attached=on")
		if !strings.Contains(attached.body, "ListUsers") {
			t.Error("attached filter")
		}
	})
}

func TestRootOnlyPagesRefuseAdmins(t *testing.T) {
	s := newStack(t, Config{})
	s.user("admin", userPass, adminPolicy)
	admin := s.browser()
	expect(t, admin.signIn(testAccount, "admin", userPass, false), http.StatusSeeOther, "/console/")
	for _, path := range []string{"/console/root", "/console/billing", "/console/close-account"} {
		p := admin.get(path)
		expect(t, p, http.StatusForbidden, "")
		if !strings.Contains(p.body, "root user") {
			t.Errorf("%s: denial does not say why:\n%s", path, excerpt(p.body))
		}
	}
	expect(t, admin.post("/console/billing", url.Values{"enabled": {"on"}}, "/console/"), http.StatusForbidden, "")
	expect(t, admin.post("/console/close-account", url.Values{"understand": {"on"}, "account": {testAccount}}, "/console/"),
		http.StatusForbidden, "")
	// The admin manages everything else.
	expect(t, admin.get("/console/users"), http.StatusOK, "")
	expect(t, admin.get("/console/settings"), http.StatusOK, "")

	root := s.signedIn()
	for _, path := range []string{"/console/root", "/console/billing", "/console/close-account"} {
		expect(t, root.get(path), http.StatusOK, "")
	}
	expect(t, root.post("/console/billing", url.Values{"enabled": {"on"}}, "/console/billing"), http.StatusSeeOther, "/console/billing?done=billing")
	if !strings.Contains(root.get("/console/billing").body, "Activated") {
		t.Error("billing access not activated")
	}
	p := root.post("/console/close-account", url.Values{"understand": {"on"}, "account": {"000000000000"}}, "/console/close-account")
	expect(t, p, http.StatusBadRequest, "")
	expect(t, root.post("/console/close-account", url.Values{"understand": {"on"}, "account": {testAccount}}, "/console/close-account"),
		http.StatusOK, "")
	expect(t, root.get("/console/"), http.StatusSeeOther, "/signin/")
	expect(t, s.browser().signIn(testAccount, rootEmail, rootPass, true), http.StatusUnauthorized, "")
}

func TestConsoleMFAEnrolment(t *testing.T) {
	s := newStack(t, Config{})
	s.user("alice", userPass, "")
	b := s.signedIn()
	p := b.shown(b.post("/console/users/alice/mfa", url.Values{}, "/console/users/alice"))
	if !strings.Contains(p.body, `src="data:image/png;base64,`) {
		t.Fatal("no QR code")
	}
	seed := decodeBase32Text(t, find(t, `id="mfa-seed">([^<]+)<`, p.body))
	serial := find(t, `name="serial" value="([^"]+)"`, p.body)
	now := s.clock.Now()
	step := totp.Step(now)
	csrf := find(t, `name="csrf" value="([^"]+)"`, p.body)
	bad := b.post("/console/users/alice/mfa/enable", url.Values{"csrf": {csrf}, "serial": {serial},
		"code1": {"123456"}, "code2": {"654321"}}, "")
	expect(t, bad, http.StatusBadRequest, "")
	if strings.Contains(bad.body, "data:image/png") {
		t.Error("the QR code is shown again after a failure")
	}
	expect(t, b.post("/console/users/alice/mfa/enable", url.Values{"csrf": {csrf}, "serial": {serial},
		"code1": {totp.CodeAt(seed, step-1)}, "code2": {totp.CodeAt(seed, step)}}, ""), http.StatusSeeOther, "/console/users/alice?done=mfa")

	s.clock.Advance(totp.Period)
	u := s.browser()
	expect(t, u.signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/signin/"+testAccount+"/mfa")
	expect(t, u.code(testAccount, totp.Code(seed, s.clock.Now())), http.StatusSeeOther, "/console/")

	t.Run("root", func(t *testing.T) {
		p := b.shown(b.post("/console/root/mfa", url.Values{}, "/console/root"))
		seed := decodeBase32Text(t, find(t, `id="mfa-seed">([^<]+)<`, p.body))
		serial := find(t, `name="serial" value="([^"]+)"`, p.body)
		step := totp.Step(s.clock.Now())
		expect(t, b.post("/console/root/mfa/enable", url.Values{"serial": {serial}, "code1": {totp.CodeAt(seed, step-1)},
			"code2": {totp.CodeAt(seed, step)}}, "/console/root"), http.StatusSeeOther, "/console/root?done=mfa")
		dash := b.get("/console/")
		if !strings.Contains(dash.body, `<li class="ok">`) {
			t.Error("no passing check")
		}
	})
}

func decodeBase32Text(t *testing.T, text string) []byte {
	t.Helper()
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(text)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func TestDashboard(t *testing.T) {
	s := newStack(t, Config{})
	s.user("alice", userPass, adminPolicy)
	b := s.signedIn()
	p := b.get("/console/")
	for _, want := range []string{"/signin/" + testAccount, "Root user has MFA", "Permissions are given through groups",
		`href="/console/users/alice"`, "A password policy is set", "Every user with console access has MFA", "Users"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	expect(t, b.post("/console/alias", url.Values{"alias": {"Example-Corp"}}, "/console/"), http.StatusSeeOther, "/console/?done=alias")
	if p := b.get("/console/"); !strings.Contains(p.body, "/signin/example-corp") {
		t.Error("no alias sign-in URL")
	}
	bad := b.post("/console/alias", url.Values{"alias": {"123456"}}, "/console/")
	expect(t, bad, http.StatusBadRequest, "")
	// Deleting the alias asks first, naming what stops working, and wants
	// the alias typed.
	ask := b.post("/console/alias/delete", url.Values{"alias": {"example-corp"}}, "/console/")
	if ask.status != http.StatusOK || !strings.Contains(ask.body, "sign-in address stops working") {
		t.Fatalf("no confirmation before deleting the alias: %d %s", ask.status, excerpt(ask.body))
	}
	expect(t, b.post("/console/alias/delete", url.Values{"alias": {"example-corp"}, "confirmed": {"yes"}, "typed": {"wrong"}}, "/console/"),
		http.StatusBadRequest, "")
	expect(t, b.post("/console/alias/delete", url.Values{"alias": {"example-corp"}, "confirmed": {"yes"}, "typed": {"example-corp"}}, "/console/"),
		http.StatusSeeOther, "/console/?done=alias-deleted")
	expect(t, b.post("/console/settings/password-policy", url.Values{"min": {"12"}, "upper": {"on"}, "numbers": {"on"}},
		"/console/settings"), http.StatusSeeOther, "/console/settings?done=policy-set")
}

// TestInlinePolicySections adds and deletes an inline policy through the
// section the user and group pages share.
func TestInlinePolicySections(t *testing.T) {
	s := newStack(t, Config{})
	s.user("alice", userPass, "")
	b := s.signedIn()
	expect(t, b.post("/console/groups", url.Values{"name": {"readers"}}, "/console/groups"), http.StatusSeeOther, "")
	for _, page := range []string{"/console/users/alice", "/console/groups/readers"} {
		t.Run(page, func(t *testing.T) {
			before := b.get(page)
			expect(t, before, http.StatusOK, "")
			if !strings.Contains(before.body, `action="`+page+`/policies"`) || !strings.Contains(before.body, "No inline policies.") {
				t.Fatalf("no inline policy section:\n%s", excerpt(before.body))
			}
			p := b.post(page+"/policies", url.Values{"op": {"put-inline"}, "policy": {"own"}, "document": {adminPolicy}}, page)
			expect(t, p, http.StatusSeeOther, "")
			after := b.get(page)
			if !strings.Contains(after.body, "<summary>own</summary>") || strings.Contains(after.body, "No inline policies.") {
				t.Fatalf("the inline policy is not shown:\n%s", excerpt(after.body))
			}
			p = b.post(page+"/policies", url.Values{"op": {"delete-inline"}, "policy": {"own"}}, page)
			if p.status != http.StatusOK || !strings.Contains(p.body, "Delete inline policy own") {
				t.Fatalf("no confirmation before deleting the inline policy: %d %s", p.status, excerpt(p.body))
			}
			p = b.post(page+"/policies", url.Values{"op": {"delete-inline"}, "policy": {"own"}, "confirmed": {"yes"}}, page)
			expect(t, p, http.StatusSeeOther, "")
			if gone := b.get(page); !strings.Contains(gone.body, "No inline policies.") {
				t.Fatalf("the inline policy is still shown:\n%s", excerpt(gone.body))
			}
		})
	}
}
