package policy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/warden-iam/warden/policy"
)

// FuzzParse checks that no document makes Parse panic, that every failure is
// a *policy.Error, and that whatever parses also compiles and evaluates.
func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::b/${aws:username, 'x'}/*"}]}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::1:root"]},"Action":"s3:*","Resource":"arn:aws:s3:::b${*}${?}","Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*","b?"]},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}}}`,
		`{"Statement":{"Effect":"Allow","NotPrincipal":"*","Action":"s3:Get*","Resource":"*","Condition":{"Null":{"aws:x":true},"NumericLessThan":{"aws:n":1e3},"BinaryEquals":{"aws:b":"AA=="},"ArnLike":{"aws:SourceArn":"arn:aws:*"}}}}`,
		`{"Version":"2012-10-17","Statement":[]}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}"}}`,
		`[`, `{}`, `null`, `"x"`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(0))
	}
	// Every document of the evaluation test data is a seed too.
	files, _ := filepath.Glob(filepath.Join("testdata", "eval", "*.json"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var ef evalFile
		if err := json.Unmarshal(data, &ef); err != nil {
			f.Fatal(err)
		}
		all := []evalPolicies{ef.Policies}
		for _, c := range ef.Cases {
			if c.Policies != nil {
				all = append(all, *c.Policies)
			}
		}
		for _, ps := range all {
			for _, list := range [][]namedDoc{ps.Identity, ps.Boundary, ps.Session, ps.Resource} {
				for _, d := range list {
					f.Add([]byte(d.Document), uint8(1))
				}
			}
		}
	}
	// And every document of the API grammar corpus.
	if data, err := os.ReadFile(filepath.Join("..", "cmd", "warden", "testdata", "grammar", "cases.json")); err == nil {
		var corpus struct {
			Cases []struct {
				Doc json.RawMessage `json:"doc"`
				Raw *string         `json:"raw"`
			} `json:"cases"`
		}
		if err := json.Unmarshal(data, &corpus); err != nil {
			f.Fatal(err)
		}
		for i, c := range corpus.Cases {
			if c.Raw != nil {
				f.Add([]byte(*c.Raw), uint8(i))
			} else {
				f.Add([]byte(c.Doc), uint8(i))
			}
		}
	}
	kinds := []policy.Kind{policy.Identity, policy.Resource, policy.Trust, policy.Boundary, policy.Session, policy.Managed}
	rules := map[string]bool{}
	for _, r := range policy.Rules {
		rules[r.Code] = true
	}
	f.Fuzz(func(t *testing.T, doc []byte, k uint8) {
		kind := kinds[int(k)%len(kinds)]
		p, err := policy.Parse(doc, kind)
		if err != nil {
			var perr *policy.Error
			if !errors.As(err, &perr) || perr.Message == "" || !rules[perr.Rule] {
				t.Fatalf("Parse error %v (%T) is not a *policy.Error with a message and a rule of Rules", err, err)
			}
			return
		}
		if !bytes.Equal(p.Raw(), doc) {
			t.Fatalf("Raw() differs from the document")
		}
		_ = policy.CheckSize(doc, kind)
		set := policy.Compile(policy.Named{Name: "fuzz", Policy: p})
		req := policy.Request{
			Action:   "s3:GetObject",
			Resource: "arn:aws:s3:::b/alice/k",
			Principal: policy.Principal{Type: policy.RoleSession, Account: "123456789012",
				ARN: "arn:aws:sts::123456789012:assumed-role/R/s", IssuerARN: "arn:aws:iam::123456789012:role/R"},
		}
		req.Context.Set("aws:username", "alice")
		req.Context.SetValues("aws:TagKeys", []string{"a1", "b2"})
		req.Context.Set("aws:SourceIp", "10.1.2.3")
		req.Context.Set("aws:CurrentTime", "2024-05-01T00:00:00Z")
		in := &policy.Input{Identity: set, Boundary: set, Session: set, Resource: set}
		res := policy.Evaluate(in, &req)
		for _, m := range res.Deciding() {
			if m.PolicyName != "fuzz" || m.Statement < 0 || m.Statement >= len(p.Statements()) {
				t.Fatalf("bad match %+v", m)
			}
		}
	})
}
