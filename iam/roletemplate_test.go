package iam

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/warden-iam/warden"
)

const ciTemplate = "arn:aws:iam::aws:role-template/warden/CIDeployRoleTemplate:1"

// testTemplate has two minor versions (1 the default, 2 disabled), a
// managed policy, a boundary and a tag made from a parameter.
const testTemplate = `{
  "ManagedBy": "ops.example",
  "TemplateName": "AppRole",
  "MajorVersion": 2,
  "Description": "An application role",
  "DefaultMinorVersion": 1,
  "Versions": [
    {"MinorVersion": 1,
     "RoleNamePattern": "app-{{Team}}",
     "RolePathPattern": "/apps/",
     "RoleDescriptionPattern": "Role of team {{Team}}",
     "AssumeRolePolicyDocumentTemplate": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]},
     "InlinePolicyTemplates": [{"PolicyName": "data", "PolicyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"{{Verb}}\",\"Resource\":[\"{{Buckets}}\"]}]}"}],
     "ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
     "RoleTagsTemplate": [{"Key": "team", "Value": "{{Team}}"}, {"Key": "owner", "Value": "{{Owner}}"}],
     "MaxSessionDuration": 7200,
     "ParametersDefinition": [
       {"Name": "Team", "Type": "String", "IsRequired": true},
       {"Name": "Buckets", "Type": "ArnList", "SubType": "s3", "IsRequired": true},
       {"Name": "Size", "Type": "Number", "SubType": "Integer"},
       {"Name": "Verb", "Type": "String", "DefaultValue": "s3:GetObject"},
       {"Name": "Owner", "Type": "String", "SubType": "AccountId", "Immutable": true, "DefaultValue": "111111111111"}
     ]},
    {"MinorVersion": 4,
     "RoleNamePattern": "app-{{Team}}",
     "RolePathPattern": "/apps/",
     "AssumeRolePolicyDocumentTemplate": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]},
     "ParametersDefinition": [{"Name": "Team", "Type": "String", "IsRequired": true}]},
    {"MinorVersion": 3,
     "RoleNamePattern": "app3-{{Team}}",
     "AssumeRolePolicyDocumentTemplate": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]},
     "ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/missing"],
     "ParametersDefinition": [{"Name": "Team", "Type": "String", "IsRequired": true}]},
    {"MinorVersion": 2, "VersionEnabled": false,
     "RoleNamePattern": "app2-{{Team}}",
     "AssumeRolePolicyDocumentTemplate": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]},
     "ParametersDefinition": [{"Name": "Team", "Type": "String", "IsRequired": true}]}
  ]
}`

const appTemplate = "arn:aws:iam::aws:role-template/ops.example/AppRole:2"

func templateService(t *testing.T) (*Service, *warden.Principal) {
	t.Helper()
	s, root := newTestService(t)
	tmpl, err := ParseRoleTemplate([]byte(testTemplate))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddRoleTemplates([]*RoleTemplate{tmpl}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRoleTemplates([]*RoleTemplate{tmpl}); err == nil {
		t.Fatal("the same template added twice")
	}
	return s, root
}

func acquireForm(arn string, kv ...string) url.Values {
	form := url.Values{"TemplateArn": {arn}}
	n := 0
	for i := 0; i < len(kv); i += 2 {
		n++
		key := "ReplacementValues.entry." + strconv.Itoa(n)
		form.Set(key+".key", kv[i])
		for j, v := range strings.Split(kv[i+1], ",") {
			form.Set(key+".value.Values.member."+strconv.Itoa(j+1), v)
		}
	}
	return form
}

func codeOf(err error) string {
	var we *warden.Error
	if errors.As(err, &we) {
		return string(we.Code)
	}
	return ""
}

func TestGetRoleTemplateVersion(t *testing.T) {
	s, root := templateService(t)
	ctx := context.Background()
	out, err := s.Invoke(ctx, root, "GetRoleTemplateVersion", url.Values{"TemplateArn": {appTemplate}})
	if err != nil {
		t.Fatal(err)
	}
	v := out.(*getRoleTemplateVersionOutput).RoleTemplateVersion
	if v.MinorVersion != 1 || v.MajorVersion != 2 || !v.Enabled || !v.VersionEnabled || v.TemplateName != "AppRole" ||
		v.ManagedByValue != "ops.example" || len(v.ParametersDefinition) != 5 || v.RoleNamePattern != "app-{{Team}}" {
		t.Fatalf("default version: %+v", v)
	}
	out, err = s.Invoke(ctx, root, "GetRoleTemplateVersion", url.Values{"TemplateArn": {appTemplate}, "MinorVersion": {"2"}})
	if err != nil || out.(*getRoleTemplateVersionOutput).RoleTemplateVersion.VersionEnabled {
		t.Fatalf("minor 2: %+v, %v", out, err)
	}
	for name, form := range map[string]url.Values{
		"unknown template": {"TemplateArn": {"arn:aws:iam::aws:role-template/ops.example/Nope:1"}},
		"unknown minor":    {"TemplateArn": {appTemplate}, "MinorVersion": {"9"}},
		"other major":      {"TemplateArn": {strings.TrimSuffix(appTemplate, "2") + "1"}},
	} {
		if _, err := s.Invoke(ctx, root, "GetRoleTemplateVersion", form); codeOf(err) != "NoSuchEntity" {
			t.Errorf("%s: %v, want NoSuchEntity", name, err)
		}
	}
	if _, err := s.Invoke(ctx, root, "GetRoleTemplateVersion", url.Values{"TemplateArn": {ciTemplate}}); err != nil {
		t.Errorf("built-in template: %v", err)
	}
}

func TestAcquireRole(t *testing.T) {
	s, root := templateService(t)
	ctx := context.Background()
	out, err := s.Invoke(ctx, root, "AcquireRole", acquireForm(appTemplate, "Team", "blue", "Buckets", "arn:aws:s3:::a/*,arn:aws:s3:::b/*"))
	if err != nil {
		t.Fatal(err)
	}
	r := out.(*roleOutput).Role
	if r.RoleName != "app-blue" || r.Path != "/apps/" || r.Description != "Role of team blue" || r.MaxSessionDuration != 7200 ||
		r.SourceRoleTemplate == nil || r.SourceRoleTemplate.TemplateArn != appTemplate || r.SourceRoleTemplate.TemplateMinorVersion != 1 {
		t.Fatalf("role %+v", r)
	}
	doc := invoke(t, s, root, "GetRolePolicy", "RoleName", "app-blue", "PolicyName", "data").(*getRolePolicyOutput).PolicyDocument
	if d, _ := url.QueryUnescape(doc); !strings.Contains(d, `["arn:aws:s3:::a/*","arn:aws:s3:::b/*"]`) {
		t.Fatalf("inline policy %s", d)
	}
	att := invoke(t, s, root, "ListAttachedRolePolicies", "RoleName", "app-blue").(*listAttachedOutput)
	if len(att.AttachedPolicies) != 1 {
		t.Fatalf("attached %+v", att)
	}
	tags := invoke(t, s, root, "ListRoleTags", "RoleName", "app-blue").(*listTagsOutput)
	if len(tags.Tags) != 2 || tags.Tags[0].Key != "owner" || tags.Tags[0].Value != "111111111111" || tags.Tags[1].Value != "blue" {
		t.Fatalf("tags %+v", tags)
	}

	tests := []struct {
		name string
		form url.Values
		code string
	}{
		{"name taken by another minor version", func() url.Values {
			f := acquireForm(appTemplate, "Team", "blue")
			f.Set("TemplateMinorVersion", "4")
			return f
		}(), "EntityAlreadyExists"},
		{"required missing", acquireForm(appTemplate, "Team", "red"), "InvalidInput"},
		{"unknown parameter", acquireForm(appTemplate, "Team", "red", "Buckets", "arn:aws:s3:::a", "Color", "x"), "InvalidInput"},
		{"not an ARN", acquireForm(appTemplate, "Team", "red", "Buckets", "bucket"), "InvalidInput"},
		{"not a number", acquireForm(appTemplate, "Team", "red", "Buckets", "arn:aws:s3:::a", "Size", "big"), "InvalidInput"},
		{"two values for a string", acquireForm(appTemplate, "Team", "red,green", "Buckets", "arn:aws:s3:::a"), "InvalidInput"},
		{"bad role name", acquireForm(appTemplate, "Team", "r d", "Buckets", "arn:aws:s3:::a"), "ValidationError"},
		{"bad tag value", acquireForm(appTemplate, "Team", "a!b", "Buckets", "arn:aws:s3:::a"), "ValidationError"},
		{"policy made malformed", acquireForm(appTemplate, "Team", "red", "Buckets", "arn:aws:s3:::a", "Verb", "not-an-action"), "MalformedPolicyDocument"},
		{"managed policy missing", func() url.Values {
			f := acquireForm(appTemplate, "Team", "red")
			f.Set("TemplateMinorVersion", "3")
			return f
		}(), "NoSuchEntity"},
		{"unknown template", acquireForm("arn:aws:iam::aws:role-template/ops.example/Nope:1", "Team", "x"), "NoSuchEntity"},
		{"disabled version", func() url.Values {
			f := acquireForm(appTemplate, "Team", "red")
			f.Set("TemplateMinorVersion", "2")
			return f
		}(), "RoleTemplateDisabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Invoke(ctx, root, "AcquireRole", tt.form)
			if codeOf(err) != tt.code {
				t.Fatalf("err %v, want %s", err, tt.code)
			}
		})
	}
	// Nothing of a refused acquisition is left behind: the role of minor
	// version 3 was stored before its second attachment failed, in the
	// same transaction.
	for _, name := range []string{"app-red", "app3-red"} {
		if _, err := s.Invoke(ctx, root, "GetRole", url.Values{"RoleName": {name}}); codeOf(err) != "NoSuchEntity" {
			t.Fatalf("GetRole %s: %v", name, err)
		}
	}
	ro := invoke(t, s, root, "GetPolicy", "PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess").(*policyOutput).Policy
	if ro.AttachmentCount != 1 {
		t.Fatalf("ReadOnlyAccess attached %d times, want 1 (app-blue)", ro.AttachmentCount)
	}

	// Too many replacement values is the model's ValidationError.
	var kv []string
	for i := 0; i < 31; i++ {
		kv = append(kv, "P"+strings.Repeat("x", i), "v")
	}
	form := url.Values{"TemplateArn": {appTemplate}}
	for i := 0; i < 31; i++ {
		key := "ReplacementValues.entry." + strconv.Itoa(i+1)
		form.Set(key+".key", kv[2*i])
		form.Set(key+".value.Values.member.1", "v")
	}
	if _, err := s.Invoke(ctx, root, "AcquireRole", form); codeOf(err) != "ValidationError" {
		t.Fatalf("31 entries: %v", err)
	}
}

func TestAcquireRoleBuiltinCI(t *testing.T) {
	s, root := newTestService(t)
	out, err := s.Invoke(context.Background(), root, "AcquireRole", acquireForm(ciTemplate, "RoleName", "deploy", "AccountId", testAccount,
		"Subject", "repo:org/app:ref:refs/heads/main", "Resources", "arn:aws:s3:::site/*"))
	if err != nil {
		t.Fatal(err)
	}
	r := out.(*roleOutput).Role
	trust, _ := url.QueryUnescape(r.AssumeRolePolicyDocument)
	for _, want := range []string{`"token.actions.githubusercontent.com:sub":"repo:org/app:ref:refs/heads/main"`,
		`"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"`, `oidc-provider/token.actions.githubusercontent.com`} {
		if !strings.Contains(trust, want) {
			t.Errorf("trust %s lacks %s", trust, want)
		}
	}
	if r.Path != "/ci/" {
		t.Errorf("path %s", r.Path)
	}
}

func TestParseRoleTemplateRefuses(t *testing.T) {
	base := testTemplate
	tests := map[string]string{
		"not JSON":              `{`,
		"unknown member":        strings.Replace(base, `"Description"`, `"Descripton"`, 1),
		"no versions":           `{"TemplateName":"X","MajorVersion":1,"Versions":[]}`,
		"bad default minor":     strings.Replace(base, `"DefaultMinorVersion": 1`, `"DefaultMinorVersion": 5`, 1),
		"undefined placeholder": strings.Replace(base, `"app-{{Team}}"`, `"app-{{Tem}}"`, 1),
		"list in name":          strings.Replace(base, `"app-{{Team}}"`, `"app-{{Buckets}}"`, 1),
		"bad type":              strings.Replace(base, `"Type": "Number"`, `"Type": "Float"`, 1),
		"bad trust":             strings.Replace(base, `"Action":"sts:AssumeRole"}]},`, `"Action":"sts:AssumeRole","Bogus":1}]},`, 1),
		"bad managed ARN":       strings.Replace(base, `"arn:aws:iam::aws:policy/ReadOnlyAccess"`, `"ReadOnlyAccess"`, 1),
		"bad major":             strings.Replace(base, `"MajorVersion": 2`, `"MajorVersion": 0`, 1),
		"bad session":           strings.Replace(base, `"MaxSessionDuration": 7200`, `"MaxSessionDuration": 60`, 1),
	}
	for name, doc := range tests {
		if doc == base {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if _, err := ParseRoleTemplate([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(tests["bad trust"]), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRoleTemplates(dir); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Fatalf("LoadRoleTemplates: %v", err)
	}
	if _, err := LoadRoleTemplates(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing directory is accepted")
	}
}

func FuzzParseRoleTemplate(f *testing.F) {
	f.Add([]byte(testTemplate))
	f.Add([]byte(`{"TemplateName":"X","MajorVersion":1,"Versions":[{"MinorVersion":0,"RoleNamePattern":"r","AssumeRolePolicyDocumentTemplate":"{}","ParametersDefinition":[{"Name":"A","Type":"ArnList","SubType":"iam:role"},{"Name":"B","Type":"String","SubType":"Region"}]}]}`))
	f.Add([]byte(`{"TemplateName":"X","MajorVersion":1,"Versions":[{"MinorVersion":0,"RoleNamePattern":"{{A}}","AssumeRolePolicyDocumentTemplate":"{}","ParametersDefinition":[{"Name":"A","Type":"String"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tmpl, err := ParseRoleTemplate(data)
		if err != nil {
			return
		}
		// A template that parses renders with its samples and has a
		// default version.
		v := tmpl.version(nil)
		if v == nil {
			t.Fatalf("no default version")
		}
		values := map[string][]string{}
		for i := range v.ParametersDefinition {
			d := &v.ParametersDefinition[i]
			values[d.Name] = sampleValues(d)
			if d.DefaultValue == nil {
				if err := checkValues(d, values[d.Name]); err != nil {
					t.Fatalf("the sample of %s is not of its type: %v", d.Name, err)
				}
			}
		}
		if _, err := v.render(values); err != nil {
			t.Fatalf("accepted template does not render its samples: %v", err)
		}
		_ = templateVersionOut(tmpl, v)
	})
}

func TestRenderTemplateBounds(t *testing.T) {
	// A value holding a placeholder is taken as it is, never expanded
	// again (which would recurse without end for "{{L}}").
	got, err := renderTemplate(`{"R":["a{{L}}"],"K":"{{S}}"}`, []warden.PolicyParameter{
		{Name: "L", Type: "stringList", Values: []string{"{{L}}", "{{S}}"}}, {Name: "S", Type: "string", Values: []string{"{{L}}"}}})
	if err != nil || got != `{"R":["a{{L}}","a{{S}}"],"K":"{{L}}"}` {
		t.Fatalf("got %s, %v", got, err)
	}
	// Lists multiply: three lists of 30 values in one string would make
	// 27000 strings, over the bound.
	var vals []string
	for i := 0; i < 30; i++ {
		vals = append(vals, strconv.Itoa(i))
	}
	params := []warden.PolicyParameter{{Name: "A", Type: "stringList", Values: vals}, {Name: "B", Type: "stringList", Values: vals}, {Name: "C", Type: "stringList", Values: vals}}
	if _, err := renderTemplate(`{"R":["{{A}}{{B}}{{C}}"]}`, params); codeOf(err) != "InvalidInput" {
		t.Fatalf("27000 strings: %v", err)
	}
	got, err = renderTemplate(`{"R":["{{A}}-{{B}}"]}`, params[:2])
	if err != nil || !strings.HasPrefix(got, `{"R":["0-0","0-1",`) || strings.Count(got, ",") != 899 {
		t.Fatalf("900 strings: %.80s, %v", got, err)
	}
}

func BenchmarkParseRoleTemplate(b *testing.B) {
	for b.Loop() {
		if _, err := ParseRoleTemplate([]byte(testTemplate)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderRoleTemplate(b *testing.B) {
	tmpl, err := ParseRoleTemplate([]byte(testTemplate))
	if err != nil {
		b.Fatal(err)
	}
	v := tmpl.version(nil)
	values := map[string][]string{"Team": {"blue"}, "Buckets": {"arn:aws:s3:::a/*", "arn:aws:s3:::b/*"}, "Size": {""}, "Verb": {"s3:GetObject"}, "Owner": {"111111111111"}}
	for b.Loop() {
		if _, err := v.render(values); err != nil {
			b.Fatal(err)
		}
	}
}
