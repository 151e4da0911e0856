package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestRolesPages walks the roles pages as root: create a role from the AWS
// account template, find it by search, page through a longer list, update
// its trust policy, attach and detach a policy, revoke its sessions and
// delete it behind a typed confirmation.
func TestRolesPages(t *testing.T) {
	s := newStack(t, Config{})
	b := s.signedIn()
	tok := b.token("/console/roles/new")
	p := b.post("/console/roles", url.Values{"csrf": {tok}, "entity": {"account"}, "mfa": {"on"}, "external-id": {"x-123"},
		"name": {"Auditor"}, "description": {"reads everything"}, "arn-typed": {"arn:aws:iam::aws:policy/ReadOnlyAccess"}}, "/console/roles/new")
	expect(t, p, http.StatusSeeOther, "/console/roles/Auditor?done=role-created")
	page := b.get("/console/roles/Auditor")
	for _, want := range []string{"arn:aws:iam::" + testAccount + ":role/Auditor", "sts:ExternalId", "x-123", "aws:MultiFactorAuthPresent",
		"arn:aws:iam::aws:policy/ReadOnlyAccess", "reads everything"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("role page lacks %q", want)
		}
	}

	// A bad template answer keeps the form and says why.
	p = b.post("/console/roles", url.Values{"csrf": {tok}, "entity": {"service"}, "name": {"Svc"}}, "/console/roles/new")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Choose the AWS service") {
		t.Errorf("service role without a service: %d %s", p.status, excerpt(p.body))
	}

	for i := range 30 {
		s.as(&s.root, "CreateRole", "RoleName", "svc-"+strconv.Itoa(i), "AssumeRolePolicyDocument",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	}
	list := b.get("/console/roles?q=audit")
	if !strings.Contains(list.body, ">Auditor<") || strings.Contains(list.body, "svc-1") {
		t.Errorf("search for audit: %s", excerpt(list.body))
	}
	list = b.get("/console/roles?size=10&page=2&sort=name")
	if !strings.Contains(list.body, "Page 2 of 4") || !strings.Contains(list.body, "rel=\"next\"") {
		t.Errorf("page 2: %s", excerpt(list.body))
	}

	tok = b.token("/console/roles/Auditor")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	expect(t, b.post("/console/roles/Auditor/trust", url.Values{"csrf": {tok}, "document": {trust}}, "/console/roles/Auditor"),
		http.StatusSeeOther, "/console/roles/Auditor?done=trust-saved")
	p = b.post("/console/roles/Auditor/trust", url.Values{"csrf": {tok}, "document": {"{not json"}}, "/console/roles/Auditor")
	// The policy checker stops it, and the text stays as typed.
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "JSON_SYNTAX_ERROR") || !strings.Contains(p.body, ">{not json</textarea>") {
		t.Errorf("bad trust policy: %d %s", p.status, excerpt(p.body))
	}
	expect(t, b.post("/console/roles/Auditor/revoke", url.Values{"csrf": {tok}}, "/console/roles/Auditor"),
		http.StatusSeeOther, "/console/roles/Auditor?done=sessions-revoked")
	var got inlineResult
	res, err := s.iam.Invoke(context.Background(), &s.root, "GetRolePolicy", form("RoleName", "Auditor", "PolicyName", revokePolicyName))
	if err != nil {
		t.Fatalf("no revocation policy: %v", err)
	}
	s.decode(res, &got)
	if doc, _ := url.QueryUnescape(got.PolicyDocument); !strings.Contains(doc, "aws:TokenIssueTime") || !strings.Contains(doc, `"Deny"`) {
		t.Errorf("revocation policy %s", doc)
	}

	// Deleting needs the name typed; then the role, its inline and its
	// attached policies go.
	del := b.get("/console/roles/Auditor/delete")
	if !strings.Contains(del.body, "ReadOnlyAccess") || !strings.Contains(del.body, revokePolicyName) {
		t.Errorf("the confirmation does not name what will go: %s", excerpt(del.body))
	}
	tok = b.token("/console/roles/Auditor/delete")
	p = b.post("/console/roles/Auditor/delete", url.Values{"csrf": {tok}, "confirm": {"auditor"}}, "/console/roles/Auditor/delete")
	if p.status != http.StatusBadRequest {
		t.Errorf("delete with the wrong confirmation: %d", p.status)
	}
	expect(t, b.post("/console/roles/Auditor/delete", url.Values{"csrf": {tok}, "confirm": {"Auditor"}}, "/console/roles/Auditor/delete"),
		http.StatusSeeOther, "/console/roles?done=role-deleted")
	if _, err := s.iam.Invoke(context.Background(), &s.root, "GetRole", form("RoleName", "Auditor")); err == nil {
		t.Error("the role is still there")
	}
}

func TestTrustTemplates(t *testing.T) {
	tests := []struct {
		tpl  trustTemplate
		want []string
	}{
		{trustTemplate{Entity: "account"}, []string{`"AWS": "arn:aws:iam::111122223333:root"`, `"sts:AssumeRole"`}},
		{trustTemplate{Entity: "account", AccountID: "444455556666", RequireMFA: true},
			[]string{`arn:aws:iam::444455556666:root`, `"aws:MultiFactorAuthPresent": "true"`}},
		{trustTemplate{Entity: "service", Service: "lambda.amazonaws.com"}, []string{`"Service": "lambda.amazonaws.com"`}},
		{trustTemplate{Entity: "webidentity", Provider: "https://token.actions.githubusercontent.com", Audience: "sts.amazonaws.com"},
			[]string{`"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"`,
				`"sts:AssumeRoleWithWebIdentity"`, `"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"`}},
		{trustTemplate{Entity: "saml", Provider: "Okta"}, []string{`"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"`,
			`"sts:AssumeRoleWithSAML"`, `"SAML:aud": "https://signin.aws.amazon.com/saml"`}},
		{trustTemplate{Entity: "saml", Provider: "arn:aws:iam::111122223333:saml-provider/Okta", SAMLAudiences: []string{"https://warden.example.com/saml"}},
			[]string{`"https://signin.aws.amazon.com/saml",`, `"https://warden.example.com/saml"`}},
	}
	for _, tt := range tests {
		doc, err := tt.tpl.document("111122223333")
		if err != nil {
			t.Fatalf("%+v: %v", tt.tpl, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(doc, w) {
				t.Errorf("%s template lacks %s:\n%s", tt.tpl.Entity, w, doc)
			}
		}
	}
	for _, bad := range []trustTemplate{{Entity: "service"}, {Entity: "webidentity"}, {Entity: "nonsense"}, {Entity: "saml"},
		{Entity: "saml", Provider: "arn:aws:iam::111122223333:oidc-provider/x.example.com"},
		{Entity: "webidentity", Provider: "arn:aws:iam::111122223333:saml-provider/Okta"}} {
		if _, err := bad.document("111122223333"); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// TestUsersList: the users list searches, sorts and pages on the server and
// shows AWS's columns for the users of the page.
func TestUsersList(t *testing.T) {
	s := newStack(t, Config{})
	s.user("alice", "Alice-Passw0rd!x", "")
	s.as(&s.root, "CreateGroup", "GroupName", "devs")
	s.as(&s.root, "AddUserToGroup", "GroupName", "devs", "UserName", "alice")
	s.as(&s.root, "CreateAccessKey", "UserName", "alice")
	for i := range 40 {
		s.as(&s.root, "CreateUser", "UserName", "user-"+strconv.Itoa(100+i))
	}
	b := s.signedIn()
	p := b.get("/console/users?q=alice")
	for _, want := range []string{">alice<", "devs", "Today", "AKIA"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("users list for alice lacks %q: %s", want, excerpt(p.body))
		}
	}
	if strings.Contains(p.body, "user-100") {
		t.Error("the search kept user-100")
	}
	p = b.get("/console/users?size=10&sort=name&dir=desc")
	if !strings.Contains(p.body, "Page 1 of 5") || !strings.Contains(p.body, ">user-139<") || strings.Contains(p.body, ">user-100<") {
		t.Errorf("page 1 sorted by name descending: %s", excerpt(p.body))
	}
	if len(p.body) > 200<<10 {
		t.Errorf("a page of 10 users weighs %d bytes", len(p.body))
	}
}
