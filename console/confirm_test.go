package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestDestructiveActionsAsk: each destructive form first answers a
// confirmation page naming what will be lost (keeping the form's fields),
// and acts only when the confirmation is posted.
func TestDestructiveActionsAsk(t *testing.T) {
	s := newStack(t, Config{})
	s.user("bob", "Bob-Passw0rd!x", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`)
	s.as(&s.root, "CreateGroup", "GroupName", "ops")
	s.as(&s.root, "AddUserToGroup", "GroupName", "ops", "UserName", "bob")
	var key keyResult
	res, err := s.iam.Invoke(t.Context(), &s.root, "CreateAccessKey", form("UserName", "bob"))
	if err != nil {
		t.Fatal(err)
	}
	s.decode(res, &key)
	id := key.AccessKey.AccessKeyID
	s.as(&s.root, "PutUserPermissionsBoundary", "UserName", "bob", "PermissionsBoundary", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	b := s.signedIn()
	tests := []struct {
		path, from string
		form       url.Values
		says       string
		done       string
	}{
		{"/console/groups/ops/members", "/console/groups/ops", url.Values{"op": {"remove"}, "user": {"bob"}},
			"Remove user bob from group ops", "/console/groups/ops?done=saved"},
		{"/console/users/bob/keys/" + id, "/console/users/bob", url.Values{"op": {"delete"}},
			"Delete access key " + id + " of bob", "/console/users/bob?done=key-deleted"},
		{"/console/users/bob/password", "/console/users/bob", url.Values{"op": {"remove"}},
			"Disable console access for user bob", "/console/users/bob?done=saved"},
		{"/console/users/bob/boundary", "/console/users/bob", url.Values{"op": {"remove"}},
			"Remove the permissions boundary of user bob", "/console/users/bob?done=boundary-removed"},
	}
	for _, tt := range tests {
		tok := b.token(tt.from)
		tt.form.Set("csrf", tok)
		p := b.post(tt.path, tt.form, tt.from)
		if p.status != http.StatusOK || !strings.Contains(p.body, tt.says) || !strings.Contains(p.body, `name="confirmed" value="yes"`) {
			t.Fatalf("%s: no confirmation saying %q: %d %s", tt.path, tt.says, p.status, excerpt(p.body))
		}
		tt.form.Set("confirmed", "yes")
		expect(t, b.post(tt.path, tt.form, tt.from), http.StatusSeeOther, tt.done)
	}
	var got struct {
		User struct {
			Boundary string `xml:"PermissionsBoundary>PermissionsBoundaryArn"`
		} `xml:"User"`
	}
	res, err = s.iam.Invoke(t.Context(), &s.root, "GetUser", form("UserName", "bob"))
	if err != nil {
		t.Fatal(err)
	}
	if s.decode(res, &got); got.User.Boundary != "" {
		t.Errorf("the confirmed removal left the boundary %s", got.User.Boundary)
	}
	// The harmless ops of the same forms need no confirmation.
	tok := b.token("/console/groups/ops")
	expect(t, b.post("/console/groups/ops/members", url.Values{"csrf": {tok}, "op": {"add"}, "user": {"bob"}}, "/console/groups/ops"),
		http.StatusSeeOther, "/console/groups/ops?done=saved")
}

func TestOversizedFormSaysSo(t *testing.T) {
	s := newStack(t, Config{})
	b := s.signedIn()
	tok := b.token("/console/policies/new")
	p := b.post("/console/policies/new", url.Values{"csrf": {tok}, "document": {strings.Repeat("x", 1<<20)}}, "/console/policies/new")
	if p.status != http.StatusRequestEntityTooLarge || !strings.Contains(p.body, "larger than the console accepts") {
		t.Errorf("a 1 MiB form: %d %s", p.status, excerpt(p.body))
	}
}

// TestAttachByName: a policy is found by its name in the picker and attached
// from there, or typed by name (not ARN) in the attach field.
func TestAttachByName(t *testing.T) {
	s := newStack(t, Config{})
	s.user("carol", "", "")
	s.as(&s.root, "CreatePolicy", "PolicyName", "S3Reader", "PolicyDocument",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`)
	b := s.signedIn()
	pick := b.get("/console/policies?attach-to=user/carol&q=s3read")
	if !strings.Contains(pick.body, "S3Reader") || !strings.Contains(pick.body, `action="/console/users/carol/policies"`) {
		t.Fatalf("the picker: %s", excerpt(pick.body))
	}
	tok := b.token("/console/users/carol")
	expect(t, b.post("/console/users/carol/policies", url.Values{"csrf": {tok}, "op": {"attach"}, "arn-typed": {"s3reader"}}, "/console/users/carol"),
		http.StatusSeeOther, "/console/users/carol?done=saved")
	if p := b.get("/console/users/carol"); !strings.Contains(p.body, "arn:aws:iam::"+testAccount+":policy/S3Reader") {
		t.Error("the policy typed by name was not attached")
	}
	p := b.post("/console/users/carol/policies", url.Values{"csrf": {tok}, "op": {"attach"}, "arn-typed": {"NoSuchPolicy"}}, "/console/users/carol")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "No policy is named NoSuchPolicy") {
		t.Errorf("an unknown name: %d %s", p.status, excerpt(p.body))
	}
	if p := b.get("/console/policies?attach-to=../../x&q=s3"); strings.Contains(p.body, `action="/console/users/`) {
		t.Error("a bad attach-to target was used")
	}
}
