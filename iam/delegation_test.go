package iam

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

func TestRenderTemplate(t *testing.T) {
	params := []warden.PolicyParameter{
		{Name: "Bucket", Type: "string", Values: []string{"logs"}},
		{Name: "Users", Type: "stringList", Values: []string{"a", "b"}},
	}
	tests := []struct {
		name, doc, want, code string
	}{
		{"string in place", `{"Resource":"arn:aws:s3:::{{Bucket}}/*","Action":"s3:GetObject","Users":"{{Users}}"}`,
			`{"Resource":"arn:aws:s3:::logs/*","Action":"s3:GetObject","Users":["a","b"]}`, ""},
		{"list spliced", `{"R":["x","u/{{Users}}","y"],"B":"{{Bucket}}","U":"{{Users}}"}`, `{"R":["x","u/a","u/b","y"],"B":"logs","U":["a","b"]}`, ""},
		{"order kept", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::{{Bucket}}/*","Condition":{"StringEquals":{"aws:username":"{{Users}}"},"NumericLessThan":{"n":3}}},"U":"{{Users}}","x":[true,null,[],{}]}`,
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::logs/*","Condition":{"StringEquals":{"aws:username":["a","b"]},"NumericLessThan":{"n":3}}},"U":["a","b"],"x":[true,null,[],{}]}`, ""},
		{"html kept", `{"R":"<{{Bucket}}>&","U":"{{Users}}"}`, `{"R":"<logs>&","U":["a","b"]}`, ""},
		{"trailing data", `{"R":"{{Bucket}}","U":"{{Users}}"} {}`, "", "MalformedPolicyDocument"},
		{"missing parameter", `{"R":"{{Bucket}}{{Other}}","U":"{{Users}}"}`, "", "InvalidInput"},
		{"unused parameter", `{"R":"{{Bucket}}"}`, "", "InvalidInput"},
		{"not JSON", `{"R":`, "", "MalformedPolicyDocument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := renderTemplate(tt.doc, params)
			if tt.code != "" {
				var we *warden.Error
				if !errors.As(err, &we) || string(we.Code) != tt.code {
					t.Fatalf("err %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func FuzzRenderTemplate(f *testing.F) {
	f.Add(`{"Statement":[{"Resource":"arn:aws:s3:::{{A}}/{{L}}"}]}`, "x", "y")
	f.Add(`["{{L}}",{"k":"{{A}}{{A}}"}]`, "", "")
	f.Fuzz(func(t *testing.T, doc, a, l string) {
		params := []warden.PolicyParameter{{Name: "A", Type: "string", Values: []string{a}}, {Name: "L", Type: "stringList", Values: []string{l, a}}}
		out, err := renderTemplate(doc, params)
		if err == nil && strings.Contains(out, "{{A}}") && !strings.Contains(a, "{{A}}") && !strings.Contains(l, "{{A}}") {
			t.Fatalf("placeholder left in %s", out)
		}
	})
}

func TestDelegationRequestsExpire(t *testing.T) {
	ctx := context.Background()
	s, root := newTestService(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	invoke(t, s, root, "CreatePolicy", "PolicyName", "tmpl", "PolicyDocument",
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{Bucket}}/*"}}`)
	create := func(workflow string) string {
		form := url.Values{"Description": {"d"}, "NotificationChannel": {"arn:aws:sns:us-east-1:" + testAccount + ":t"},
			"RequestorWorkflowId": {workflow}, "SessionDuration": {"900"},
			"Permissions.PolicyTemplateArn":                   {"arn:aws:iam::" + testAccount + ":policy/tmpl"},
			"Permissions.Parameters.member.1.Name":            {"Bucket"},
			"Permissions.Parameters.member.1.Type":            {"string"},
			"Permissions.Parameters.member.1.Values.member.1": {"logs"}}
		out, err := s.Invoke(ctx, root, "CreateDelegationRequest", form)
		if err != nil {
			t.Fatal(err)
		}
		return out.(*createDelegationRequestOutput).DelegationRequestID
	}
	state := func(id string) string {
		out := invoke(t, s, root, "GetDelegationRequest", "DelegationRequestId", id).(*getDelegationRequestOutput)
		return out.DelegationRequest.State
	}
	unassigned, assigned := create("wf-a"), create("wf-b")
	invoke(t, s, s.testUser(t, root, "owner"), "AssociateDelegationRequest", "DelegationRequestId", assigned)

	now = now.Add(25 * time.Hour)
	if got := state(unassigned); got != "EXPIRED" {
		t.Errorf("unassigned after a day: %s, want EXPIRED", got)
	}
	if got := state(assigned); got != "ASSIGNED" {
		t.Errorf("assigned after a day: %s, want ASSIGNED (7 days)", got)
	}
	_, err := s.Invoke(ctx, root, "AssociateDelegationRequest", url.Values{"DelegationRequestId": {unassigned}})
	var we *warden.Error
	if !errors.As(err, &we) || we.Code != warden.CodeInvalidInput {
		t.Errorf("associating an expired request: %v, want InvalidInput", err)
	}
	now = now.Add(7 * 24 * time.Hour)
	if got := state(assigned); got != "EXPIRED" {
		t.Errorf("assigned after 8 days: %s, want EXPIRED", got)
	}
	// The expiry was written, not only shown.
	err = s.view(ctx, func(tx warden.Tx) error {
		d, err := warden.Load[warden.DelegationRequest](ctx, tx, "", assigned)
		if err == nil && d.State != warden.DelegationExpired {
			t.Errorf("stored state %s", d.State)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testUser makes an administrator user and returns its principal.
func (s *Service) testUser(t *testing.T, root *warden.Principal, name string) *warden.Principal {
	t.Helper()
	invoke(t, s, root, "CreateUser", "UserName", name)
	invoke(t, s, root, "PutUserPolicy", "UserName", name, "PolicyName", "admin",
		"PolicyDocument", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	u := invoke(t, s, root, "GetUser", "UserName", name).(*getUserOutput).User
	return &warden.Principal{Type: warden.PrincipalUser, Account: testAccount, Name: name, ID: u.UserID, ARN: u.Arn}
}
