package console

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// TestInlinePolicyEditors: the inline-policy editor of users, groups and
// roles runs the policy checker: "Check" shows the findings and saves
// nothing, a document with errors is not saved and comes back as typed, a
// good one is saved; the editor has line numbers and a statement summary.
func TestInlinePolicyEditors(t *testing.T) {
	s := newStack(t, Config{})
	s.user("alice", userPass, "")
	s.as(&s.root, "CreateGroup", "GroupName", "devs")
	s.as(&s.root, "CreateRole", "RoleName", "app", "AssumeRolePolicyDocument",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	b := s.signedIn()
	typo := `{"Version": "2012-10-17",
"Statement": [{"Effect": "Allow", "Action": ["s3:GetObjekt", "s3:ListBucket", "iam:GetUser"], "Resource": "*",
  "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}`
	broken := `{"Version": "2012-10-17", "Statement": [`
	good := `{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": "s3:*", "Resource": "arn:aws:s3:::x"}]}`
	for _, tc := range []struct{ page, get, param string }{
		{"/console/users/alice", "GetUserPolicy", "UserName"},
		{"/console/groups/devs", "GetGroupPolicy", "GroupName"},
		{"/console/roles/app", "GetRolePolicy", "RoleName"},
	} {
		t.Run(tc.page, func(t *testing.T) {
			name := tc.page[strings.LastIndex(tc.page, "/")+1:]
			saved := func() bool {
				_, err := s.iam.Invoke(context.Background(), &s.root, tc.get, form(tc.param, name, "PolicyName", "p1"))
				if err != nil && warden.ErrorCode(err) != warden.CodeNoSuchEntity {
					t.Fatal(err)
				}
				return err == nil
			}
			empty := b.get(tc.page)
			if !strings.Contains(empty.body, `id="inline-document-lines">1`+"\n2\n") || !strings.Contains(empty.body, `id="inline-check"`) {
				t.Fatalf("no line numbers or check button:\n%s", excerpt(empty.body))
			}
			p := b.post(tc.page+"/policies", url.Values{"op": {"put-inline"}, "policy": {"p1"}, "document": {typo}, "check": {"1"}}, tc.page)
			expect(t, p, http.StatusOK, "")
			body := html.UnescapeString(p.body)
			for _, want := range []string{"INVALID_ACTION", "s3:GetObjekt", `<details id="inline-editor" open>`, "GetObjekt, ListBucket",
				"Bool aws:SecureTransport = true", `value="p1"`} {
				if !strings.Contains(body, want) {
					t.Errorf("check lacks %q", want)
				}
			}
			if !strings.Contains(p.body, html.EscapeString(typo)) || saved() {
				t.Errorf("check lost the text, or saved (%v)", saved())
			}
			p = b.post(tc.page+"/policies", url.Values{"op": {"put-inline"}, "policy": {"p1"}, "document": {broken}}, tc.page)
			expect(t, p, http.StatusBadRequest, "")
			if !strings.Contains(p.body, html.EscapeString(broken)+"</textarea>") || !strings.Contains(p.body, "Nothing was saved") || saved() {
				t.Errorf("a broken document: text kept %v, saved %v\n%s", strings.Contains(p.body, html.EscapeString(broken)), saved(), excerpt(p.body))
			}
			expect(t, b.post(tc.page+"/policies", url.Values{"op": {"put-inline"}, "policy": {"p1"}, "document": {good}}, tc.page),
				http.StatusSeeOther, tc.page+"?done=saved")
			if !saved() {
				t.Error("the good policy was not saved")
			}
		})
	}

	t.Run("trust policy", func(t *testing.T) {
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		p := b.post("/console/roles/app/trust", url.Values{"document": {trust}, "check": {"1"}}, "/console/roles/app")
		expect(t, p, http.StatusOK, "")
		if !strings.Contains(p.body, "Service: lambda.amazonaws.com") || !strings.Contains(p.body, `id="trust-document-check"`) {
			t.Errorf("trust check: %s", excerpt(p.body))
		}
		role := b.get("/console/roles/app")
		if strings.Contains(role.body, "lambda.amazonaws.com") {
			t.Error("checking the trust policy saved it")
		}
		identity := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
		p = b.post("/console/roles/app/trust", url.Values{"document": {identity}}, "/console/roles/app")
		expect(t, p, http.StatusBadRequest, "")
		if !strings.Contains(p.body, html.EscapeString(identity)+"</textarea>") {
			t.Error("the refused trust policy is not kept")
		}
	})

	t.Run("permissions boundary", func(t *testing.T) {
		s.as(&s.root, "CreatePolicy", "PolicyName", "edge", "PolicyDocument",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","iam:PassRole"],"Resource":"*"}]}`)
		boundary := func() string {
			res, err := s.iam.Invoke(context.Background(), &s.root, "GetUser", form("UserName", "alice"))
			if err != nil {
				t.Fatal(err)
			}
			var u userResult
			s.decode(res, &u)
			return u.User.Boundary
		}
		p := b.post("/console/users/alice/boundary", url.Values{"boundary": {"edge"}, "check": {"1"}}, "/console/users/alice")
		expect(t, p, http.StatusOK, "")
		for _, want := range []string{`id="boundary-readout"`, "PASS_ROLE_WITH_STAR_IN_RESOURCE", `value="edge"`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("boundary check lacks %q", want)
			}
		}
		if boundary() != "" {
			t.Fatal("checking set the boundary")
		}
		p = b.post("/console/users/alice/boundary", url.Values{"boundary": {"no-such-policy"}}, "/console/users/alice")
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "No policy is named no-such-policy") {
			t.Errorf("unknown boundary: %d %s", p.status, excerpt(p.body))
		}
		expect(t, b.post("/console/users/alice/boundary", url.Values{"boundary": {"edge"}}, "/console/users/alice"),
			http.StatusSeeOther, "/console/users/alice?done=boundary-set")
		want := "arn:aws:iam::" + testAccount + ":policy/edge"
		if got := boundary(); got != want {
			t.Fatalf("boundary %q, want %q", got, want)
		}
		if page := b.get("/console/users/alice"); find(t, `id="boundary-current">([^<]+)<`, page.body) != want {
			t.Error("the user page does not show the boundary")
		}
		// Removing asks first, then removes.
		if p := b.post("/console/users/alice/boundary", url.Values{"op": {"remove"}}, "/console/users/alice"); p.status != http.StatusOK ||
			!strings.Contains(p.body, "Remove the permissions boundary of user alice") || boundary() != want {
			t.Fatalf("removing the boundary without confirming: %d %s", p.status, excerpt(p.body))
		}
		expect(t, b.post("/console/users/alice/boundary", url.Values{"op": {"remove"}, "confirmed": {"yes"}}, "/console/users/alice"),
			http.StatusSeeOther, "/console/users/alice?done=boundary-removed")
		if got := boundary(); got != "" {
			t.Fatalf("boundary %q after removing it", got)
		}
		expect(t, b.post("/console/roles/app/boundary", url.Values{"boundary": {want}}, "/console/roles/app"),
			http.StatusSeeOther, "/console/roles/app?done=boundary-set")
	})
}

func TestStatementsOf(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
	 {"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","S3:ListBucket","ec2:Describe*"],"Resource":["arn:aws:s3:::a","arn:aws:s3:::a/*"]},
	 {"Effect":"Deny","NotAction":"*","NotResource":"*","Condition":{"StringEquals":{"aws:username":["a","b"]}}}]}`
	st, ok := statementsOf(doc, policy.Identity)
	if !ok || len(st) != 2 {
		t.Fatalf("statementsOf = %v, %v", st, ok)
	}
	if st[0].Sid != "Read" || st[0].Effect != "Allow" || len(st[0].Services) != 2 || st[0].Services[0].Service != "s3" ||
		strings.Join(st[0].Services[0].Actions, ",") != "GetObject,ListBucket" || len(st[0].Resources) != 2 {
		t.Errorf("statement 0: %+v", st[0])
	}
	if !st[1].NotAction || !st[1].NotRes || st[1].Services[0].Service != "All services" || st[1].Resources[0] != "All resources" ||
		st[1].Conditions[0] != "StringEquals aws:username = a, b" {
		t.Errorf("statement 1: %+v", st[1])
	}
	for _, bad := range []string{"", "{", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`} {
		if _, ok := statementsOf(bad, policy.Identity); ok {
			t.Errorf("statementsOf(%q) parsed", bad)
		}
	}
	e := newEditor("x", "document", "Doc", "a\nb\nc", policy.Identity, false)
	if e.Rows != minEditorRows || !strings.HasPrefix(e.Lines, "1\n2\n3\n") || strings.Count(e.Lines, "\n") != e.Rows-1 {
		t.Errorf("editor rows %d lines %q", e.Rows, e.Lines)
	}
}

// TestNewRoleCustomTrustChecked: creating a role with a custom trust policy
// runs the policy checker first; a policy with errors creates nothing and
// comes back as typed.
func TestNewRoleCustomTrustChecked(t *testing.T) {
	s := newStack(t, Config{})
	b := s.signedIn()
	bad := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`
	p := b.post("/console/roles", url.Values{"entity": {"custom"}, "name": {"Custom"}, "document": {bad}}, "/console/roles/new")
	expect(t, p, http.StatusBadRequest, "")
	if !strings.Contains(p.body, html.EscapeString(bad)+"</textarea>") || !strings.Contains(p.body, `id="role-document-check"`) {
		t.Errorf("refused custom trust policy: %s", excerpt(p.body))
	}
	if _, err := s.iam.Invoke(context.Background(), &s.root, "GetRole", form("RoleName", "Custom")); warden.ErrorCode(err) != warden.CodeNoSuchEntity {
		t.Fatalf("GetRole: %v", err)
	}
	good := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	expect(t, b.post("/console/roles", url.Values{"entity": {"custom"}, "name": {"Custom"}, "document": {good}}, "/console/roles/new"),
		http.StatusSeeOther, "/console/roles/Custom?done=role-created")
}
