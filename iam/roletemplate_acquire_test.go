package iam

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/secrets"
	"github.com/warden-iam/warden/sqlite"
)

func TestAcquireRoleSubTypes(t *testing.T) {
	s, root := templateService(t)
	ctx := context.Background()
	tests := []struct {
		name string
		form url.Values
		want string // in the InvalidInput message
	}{
		{"ARN of another service", acquireForm(appTemplate, "Team", "red", "Buckets", "arn:aws:sqs:us-east-1:123456789012:jobs"),
			`Parameter Buckets takes ARNs of the service s3 (arn:PARTITION:s3:…) (SubType s3); "arn:aws:sqs:us-east-1:123456789012:jobs" is not one.`},
		{"second value of a list", acquireForm(appTemplate, "Team", "red", "Buckets", "arn:aws:s3:::a,arn:aws:iam::123456789012:root"),
			`"arn:aws:iam::123456789012:root" is not one.`},
		{"account ID too short", acquireForm(appTemplate, "Team", "red", "Buckets", "arn:aws:s3:::a", "Owner", "12345"),
			`Parameter Owner takes 12-digit AWS account IDs (SubType AccountId); "12345" is not one.`},
		{"not a whole number", acquireForm(appTemplate, "Team", "red", "Buckets", "arn:aws:s3:::a", "Size", "1.5"),
			`Parameter Size takes whole numbers (SubType Integer); "1.5" is not one.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Invoke(ctx, root, "AcquireRole", tt.form)
			if codeOf(err) != "InvalidInput" || !strings.Contains(errMessage(err), tt.want) {
				t.Fatalf("err %v, want InvalidInput with %q", err, tt.want)
			}
		})
	}
	if _, err := s.Invoke(ctx, root, "GetRole", url.Values{"RoleName": {"app-red"}}); codeOf(err) != "NoSuchEntity" {
		t.Fatalf("a refused value made a role: %v", err)
	}
	// Values that satisfy every sub type make the role.
	if _, err := s.Invoke(ctx, root, "AcquireRole", acquireForm(appTemplate, "Team", "red", "Buckets", "arn:aws:s3:::a,arn:aws:s3:::b/*",
		"Owner", "123456789012", "Size", "-3")); err != nil {
		t.Fatal(err)
	}
}

func TestParseRoleTemplateSubTypes(t *testing.T) {
	tests := map[string]struct{ from, to, want string }{
		"unknown string sub type":     {`"SubType": "AccountId"`, `"SubType": "Account"`, `SubType "Account" is not one of AccountId, Region, RoleName, ServicePrincipal`},
		"number sub type on a string": {`"SubType": "AccountId"`, `"SubType": "Integer"`, `is not one of AccountId`},
		"string sub type on a number": {`"SubType": "Integer"`, `"SubType": "AccountId"`, `SubType "AccountId" is not Integer`},
		"ARN sub type not a service":  {`"SubType": "s3"`, `"SubType": "S3 bucket"`, `must be SERVICE or SERVICE:RESOURCE-TYPE`},
		"default not of the sub type": {`"DefaultValue": "111111111111"`, `"DefaultValue": "owner"`, `DefaultValue: Parameter Owner takes 12-digit AWS account IDs`},
		"sub type too long":           {`"SubType": "s3"`, `"SubType": "s3:` + strings.Repeat("a", 256) + `"`, `longer than 256`},
	}
	for name, tt := range tests {
		doc := strings.Replace(testTemplate, tt.from, tt.to, 1)
		if doc == testTemplate {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if _, err := ParseRoleTemplate([]byte(doc)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", name, err, tt.want)
		}
	}
	// A resource type narrows an ARN sub type; the sample of the check at
	// start satisfies it.
	doc := strings.Replace(testTemplate, `"SubType": "s3"`, `"SubType": "iam:role"`, 1)
	tmpl, err := ParseRoleTemplate([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	d := &tmpl.version(nil).ParametersDefinition[1]
	for v, ok := range map[string]bool{"arn:aws:iam::123456789012:role/app": true, "arn:aws:iam::123456789012:role/a/b": true,
		"arn:aws:iam::123456789012:user/app": false, "arn:aws:iam::123456789012:role": false, "arn:aws:iam::123456789012:roles/x": false,
		"arn:aws:s3:::role/x": false} {
		if err := checkValues(d, []string{v}); (err == nil) != ok {
			t.Errorf("iam:role %s: %v, want accepted %v", v, err, ok)
		}
	}
}

// AcquireRole of a name that exists: a repeat answers the role, new values
// of mutable parameters change it, an immutable one cannot change, and a
// role not made from the template is a NameConflict.
func TestAcquireRoleExisting(t *testing.T) {
	s, root := templateService(t)
	ctx := context.Background()
	acquire := func(kv ...string) (wRole, error) {
		out, err := s.Invoke(ctx, root, "AcquireRole", acquireForm(appTemplate, kv...))
		if err != nil {
			return wRole{}, err
		}
		return out.(*roleOutput).Role, nil
	}
	first, err := acquire("Team", "blue", "Buckets", "arn:aws:s3:::a/*")
	if err != nil {
		t.Fatal(err)
	}
	again, err := acquire("Buckets", "arn:aws:s3:::a/*", "Team", "blue", "Owner", "111111111111") // the default, given
	if err != nil || again.RoleID != first.RoleID || again.Arn != first.Arn {
		t.Fatalf("repeat: %+v, %v; first %+v", again, err, first)
	}
	inline := func() string {
		doc := invoke(t, s, root, "GetRolePolicy", "RoleName", "app-blue", "PolicyName", "data").(*getRolePolicyOutput).PolicyDocument
		d, _ := url.QueryUnescape(doc)
		return d
	}
	if d := inline(); !strings.Contains(d, `["arn:aws:s3:::a/*"]`) {
		t.Fatalf("inline policy %s", d)
	}

	// A mutable parameter changes the role in place.
	changed, err := acquire("Team", "blue", "Buckets", "arn:aws:s3:::c/*", "Verb", "s3:PutObject")
	if err != nil || changed.RoleID != first.RoleID {
		t.Fatalf("new values: %+v, %v", changed, err)
	}
	if d := inline(); !strings.Contains(d, `"Action":"s3:PutObject","Resource":["arn:aws:s3:::c/*"]`) {
		t.Fatalf("inline policy after new values %s", d)
	}
	// An immutable one does not, and nothing else changes with it.
	_, err = acquire("Team", "blue", "Buckets", "arn:aws:s3:::d/*", "Owner", "222222222222")
	want := `Parameter Owner of the role template ` + appTemplate + ` is immutable: the role app-blue was made with the value "111111111111" and cannot change to "222222222222".`
	if codeOf(err) != "InvalidInput" || errMessage(err) != want {
		t.Fatalf("immutable change: %v", err)
	}
	if d := inline(); !strings.Contains(d, `arn:aws:s3:::c/*`) {
		t.Fatalf("the refused change changed the inline policy: %s", d)
	}
	tags := invoke(t, s, root, "ListRoleTags", "RoleName", "app-blue").(*listTagsOutput)
	if len(tags.Tags) != 2 || tags.Tags[0].Value != "111111111111" {
		t.Fatalf("tags %+v", tags.Tags)
	}

	// A role of the name made otherwise conflicts.
	invoke(t, s, root, "CreateRole", "RoleName", "app-green", "Path", "/apps/",
		"AssumeRolePolicyDocument", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	_, err = acquire("Team", "green", "Buckets", "arn:aws:s3:::a/*")
	if codeOf(err) != string(warden.CodeNameConflict) || !strings.Contains(errMessage(err), "conflicts with the existing role arn:aws:iam::"+testAccount+":role/apps/app-green, which was not made from a role template") {
		t.Fatalf("name of a plain role: %v", err)
	}
	if n := len(invoke(t, s, root, "ListRolePolicies", "RoleName", "app-green").(*listInlineOutput).PolicyNames); n != 0 {
		t.Fatalf("the conflicting role got %d inline policies", n)
	}
}

// interleavedStore runs after once, when the first View it serves has
// ended: another request arriving between a request's look and its write.
type interleavedStore struct {
	warden.Store
	after func()
}

func (st *interleavedStore) View(ctx context.Context, fn func(warden.Tx) error) error {
	err := st.Store.View(ctx, fn)
	if f := st.after; f != nil {
		st.after = nil
		f()
	}
	return err
}

// A request that finds no role, and then loses the insert to another
// request acquiring the same role, answers that role: it looks again and
// finds a repeat.
func TestAcquireRoleLosesTheInsert(t *testing.T) {
	ctx := context.Background()
	s, st, root := interleavedService(t)
	form := acquireForm(appTemplate, "Team", "blue", "Buckets", "arn:aws:s3:::a/*")
	var other string
	st.after = func() {
		out, err := s.Invoke(ctx, root, "AcquireRole", form)
		if err != nil {
			t.Errorf("the other request: %v", err)
			return
		}
		other = out.(*roleOutput).Role.RoleID
	}
	out, err := s.Invoke(ctx, root, "AcquireRole", form)
	if err != nil {
		t.Fatalf("the request that lost the insert: %v", err)
	}
	if id := out.(*roleOutput).Role.RoleID; other == "" || id != other {
		t.Fatalf("role IDs %q and %q, want the one role", id, other)
	}
}

// interleavedService is templateService over an interleavedStore.
func interleavedService(t *testing.T) (*Service, *interleavedStore, *warden.Principal) {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	acct := &warden.Account{ID: testAccount, RootID: testAccount, Status: warden.AccountActive}
	if err := store.Update(ctx, func(tx warden.Tx) error { return warden.Insert(ctx, tx, acct) }); err != nil {
		t.Fatal(err)
	}
	az := authz.New(store, authz.Strict, slog.New(slog.DiscardHandler))
	st := &interleavedStore{Store: az.Track(store)}
	s, root := New(st, az, box), RootPrincipal(acct)
	tmpl, err := ParseRoleTemplate([]byte(testTemplate))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddRoleTemplates([]*RoleTemplate{tmpl}); err != nil {
		t.Fatal(err)
	}
	return s, st, &root
}

// A role deleted between AcquireRole's look and its write is made anew.
func TestAcquireRoleDeletedMeanwhile(t *testing.T) {
	ctx := context.Background()
	s, st, root := interleavedService(t)
	form := acquireForm(appTemplate, "Team", "gray")
	form.Set("TemplateMinorVersion", "4") // no policies: DeleteRole needs no detaching
	out, err := s.Invoke(ctx, root, "AcquireRole", form)
	if err != nil {
		t.Fatal(err)
	}
	first := out.(*roleOutput).Role.RoleID
	st.after = func() {
		if _, err := s.Invoke(ctx, root, "DeleteRole", url.Values{"RoleName": {"app-gray"}}); err != nil {
			t.Errorf("DeleteRole: %v", err)
		}
	}
	out, err = s.Invoke(ctx, root, "AcquireRole", form)
	if err != nil {
		t.Fatalf("AcquireRole of a role deleted meanwhile: %v", err)
	}
	if id := out.(*roleOutput).Role.RoleID; id == first || st.after != nil {
		t.Fatalf("role ID %s (first %s): not made anew", id, first)
	}
	if _, err := s.Invoke(ctx, root, "GetRole", url.Values{"RoleName": {"app-gray"}}); err != nil {
		t.Fatalf("GetRole: %v", err)
	}
}

// New values that would move the role to another path are refused: IAM
// cannot change a role's path.
func TestAcquireRolePathCannotChange(t *testing.T) {
	s, root := newTestService(t)
	tmpl, err := ParseRoleTemplate([]byte(`{"TemplateName": "EnvRole", "MajorVersion": 1, "DefaultMinorVersion": 1, "Versions": [{"MinorVersion": 1,
	  "RoleNamePattern": "env-role", "RolePathPattern": "/{{Env}}/",
	  "AssumeRolePolicyDocumentTemplate": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]},
	  "ParametersDefinition": [{"Name": "Env", "Type": "String", "IsRequired": true}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddRoleTemplates([]*RoleTemplate{tmpl}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:iam::aws:role-template/warden/EnvRole:1"
	if _, err := s.Invoke(context.Background(), root, "AcquireRole", acquireForm(arn, "Env", "dev")); err != nil {
		t.Fatal(err)
	}
	_, err = s.Invoke(context.Background(), root, "AcquireRole", acquireForm(arn, "Env", "prod"))
	if codeOf(err) != "InvalidInput" || !strings.Contains(errMessage(err), "from path /dev/ to /prod/; a role's path cannot change") {
		t.Fatalf("path change: %v", err)
	}
}
